/*
 * The L2 responder: makes this node answer ARP (IPv4) and Neighbor
 * Solicitations (IPv6) for the VIPs it owns, so the LAN sends their traffic
 * here. Which VIPs the node owns is decided elsewhere (speaker/l2.c); this
 * part only speaks on the wire. The VIPs are on no interface: the kernel
 * does not answer for them, the responder does, with AF_PACKET sockets
 * (speaker/l2_socket.h) and without the kernel's ARP or neighbour code.
 *
 * Where: on the interfaces a VIP names, or, when it names none, on every
 * interface that l2_link_default_ok() admits (speaker/l2_links.h); in both
 * cases only while the interface is up with carrier. Interfaces and their
 * addresses are tracked live from netlink notifications.
 *
 * What:
 *  - an ARP request or NS for an owned VIP is answered with the MAC of the
 *    interface it came in on: an ARP reply to the requester; a solicited NA
 *    (Solicited and Override flags, TLLA, hop limit 255) to the solicitor,
 *    or to ff02::1 with Override only when the NS is duplicate address
 *    detection from ::. Every NA comes from the VIP itself, as Linux and
 *    keepalived send theirs: a link-local source is valid too, but
 *    receivers that match the answer's source with the address they asked
 *    for (ndisc6 among them) ignore it. Replies are limited per requester
 *    (sender MAC and sender IP; requester_rate per second, burst the same;
 *    speaker/requester_limit.h), so a host that floods is limited and the
 *    others are still answered; and, as the last guard, for the node as a
 *    whole (reply_rate per second, burst reply_rate / 2). A request dropped
 *    by either is counted per limit and logged at most every 10 s per
 *    limit;
 *  - the solicited-node multicast group of every IPv6 VIP is joined on the
 *    interfaces answering it;
 *  - on becoming owner, and on an interface that becomes usable or changes
 *    its MAC, the VIP is announced: gratuitous ARP as a request and as a
 *    reply (sender = target = VIP; a Linux neighbour takes the request form
 *    at once, the reply form only after its locktime), unsolicited NA with
 *    the Override flag to ff02::1; at once, then garp_count - 1 more times
 *    garp_interval_ms apart; then, with refresh_s, once every refresh_s;
 *  - a VIP given up is not answered from the moment l2_responder_set returns;
 *  - an ARP packet or NA for an owned VIP sent by a MAC not of this node
 *    (another host answering for it or announcing it) is a conflict:
 *    counted, logged (at most every 10 s per VIP) and answered with a
 *    re-announcement on that interface (at most one a second per VIP).
 *
 * Options left 0 take the defaults: garp_count 5, garp_interval_ms 1000,
 * reply_rate 20000, requester_rate 20; refresh_s 0 is off. Opening AF_PACKET sockets needs
 * CAP_NET_RAW.
 */
#ifndef VIPCAST_SPEAKER_L2_RESPONDER_H
#define VIPCAST_SPEAKER_L2_RESPONDER_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct event_base;

struct l2_owned {
	struct ipaddr ip;                 /* a VIP this node owns now */
	const char *const *interfaces;    /* where to answer; NULL with n 0: every suitable interface */
	size_t ninterfaces;
};

struct l2_responder_options {
	unsigned garp_count;       /* announcements on becoming owner: at once, then spread over the next seconds (default 5) */
	unsigned garp_interval_ms; /* gap between them (default 1000; first ones faster is fine) */
	unsigned refresh_s;        /* periodic re-announcement to keep switch MAC tables warm; 0 = off (metallb#2910) */
	unsigned reply_rate;       /* replies/s of the node, all requesters and VIPs together (default 20000, burst half) */
	unsigned requester_rate;   /* replies/s to one requester (sender MAC + IP) (default 20, burst the same) */
};

struct l2_responder;

/* opt may be NULL (all defaults). NULL when interface tracking cannot start (logged). */
struct l2_responder *l2_responder_new(struct event_base *base, const struct l2_responder_options *opt);
/* Replaces the set of owned VIPs. Newly owned: announce at once (gratuitous ARP request+reply / unsolicited NA with Override to ff02::1), then repeat. No longer owned: stop answering at once. Unchanged: nothing. */
void l2_responder_set(struct l2_responder *r, const struct l2_owned *v, size_t n);
/* Re-announces one VIP now (used after a split brain or a lost owner). */
void l2_responder_announce(struct l2_responder *r, const struct ipaddr *ip);
/* For status: calls fn per (VIP, interface) being answered, with the time (CLOCK_REALTIME seconds) since when. */
void l2_responder_walk(const struct l2_responder *r, void (*fn)(const struct ipaddr *ip, const char *ifname, double since, void *arg), void *arg);

/*
 * Counters since l2_responder_new. arp_requests and ns_received count the
 * questions for owned VIPs on an interface answering them; arp_replies and
 * na_sent the answers sent; garp_sent and unsolicited_na_sent every
 * announcement frame (a gratuitous request and reply count two); malformed
 * the frames the filter passed that did not decode; limited_requester and
 * limited_global the requests for owned VIPs left unanswered by the
 * per-requester and by the node's reply rate.
 */
struct l2_responder_stats { uint64_t arp_requests, arp_replies, ns_received, na_sent, garp_sent, unsolicited_na_sent, limited_requester, limited_global, conflicts, malformed; };
void l2_responder_stats(const struct l2_responder *r, struct l2_responder_stats *out);
/*
 * The same per VIP answered (MetalLB's metallb_layer2_* {ip}): requests as
 * arp_requests + ns_received, responses as arp_replies + na_sent,
 * gratuitous as garp_sent + unsolicited_na_sent; conflicts (vipcast's
 * vipcast_l2_conflicting_macs_total) as conflicts. Kept while the VIP is
 * answered; given up and taken again, it starts from 0.
 */
struct l2_vip_counters { uint64_t requests, responses, gratuitous, conflicts; };
void l2_responder_vip_counters(const struct l2_responder *r,
			       void (*fn)(const struct ipaddr *ip, const struct l2_vip_counters *n, void *arg), void *arg);
void l2_responder_free(struct l2_responder *r);

#endif
