/*
 * The L2 responder: see l2_responder.h for what it does.
 *
 * State: the owned VIPs, sorted by address, each with its reply bucket and
 * its announcement schedule; and one entry per interface the kernel has,
 * with the sockets it answers on (opened only while it answers for a VIP of
 * that family) and the solicited-node groups joined there.
 *
 * Every change of either side (l2_responder_set, an interface change) ends
 * in ifc_sync() for the interfaces concerned, which recomputes what each
 * answers for and brings its sockets, filters and groups to match, and in
 * run_announcements(), the one place announcements go out: each VIP with
 * rounds left and due gets one round on every interface answering it, at
 * most ANNOUNCE_BUDGET VIPs per run, and one libevent timer is armed for the
 * next due round.
 */
#include "l2_responder.h"

#include <errno.h>
#include <event2/event.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "arp.h"
#include "clock.h"
#include "l2_links.h"
#include "l2_socket.h"
#include "log.h"
#include "ndp.h"
#include "rate_limit.h"
#include "requester_limit.h"
#include "xalloc.h"

#define COMP "l2"

#define DEFAULT_GARP_COUNT 5
#define DEFAULT_GARP_INTERVAL_MS 1000
#define DEFAULT_REPLY_RATE 20000     /* replies/s, all requesters together: the last guard */
#define DEFAULT_REQUESTER_RATE 20    /* replies/s to one requester */
#define REQUESTER_TABLE_BYTES (64 * 1024)
#define LIMIT_LOG_MS 10000     /* one line per limit kind per this */
#define RX_BUDGET 256          /* frames read per socket wakeup */
#define RX_BATCH 32            /* frames per recvmmsg */
#define ANNOUNCE_BUDGET 256    /* VIPs announced per timer run */
#define CONFLICT_LOG_MS 10000  /* one conflict line per VIP per this */
#define CONFLICT_ANNOUNCE_MS 1000
#define ERROR_LOG_MS 10000
#define RX_BUF 2048

struct vip {
	struct ipaddr ip;
	char **ifnames;  /* copies; none: the default interfaces */
	size_t nifnames;
	double since;    /* CLOCK_REALTIME when it became owned */
	unsigned ann_left;   /* announcement rounds still to send */
	uint64_t ann_due;    /* monotonic ms of the next */
	uint64_t conflict_logged, conflict_announced;  /* monotonic ms; 0: never */
	uint64_t conflicts_unlogged;
	struct l2_vip_counters n;  /* while answered: a VIP given up and taken again starts from 0 */
};

struct ifc;

struct rx {
	struct ifc *ifc;
	int fd;            /* -1: closed */
	struct event *ev;
	uint64_t filter_hash;
	size_t filter_len;
};

struct ifc {
	struct l2_responder *r;
	int ifindex;
	char name[IF_NAMESIZE];
	uint8_t mac[ETHER_ADDR_LEN];
	bool usable;       /* up, carrier, Ethernet */
	bool default_ok;   /* answers the VIPs that name no interface */
	double since;      /* CLOCK_REALTIME since when it is usable */
	struct rx arp, nd;
	uint8_t (*groups)[ETHER_ADDR_LEN];  /* multicast MACs joined on nd.fd */
	size_t ngroups;
	uint64_t err_logged;
};

struct l2_responder {
	struct event_base *base;
	unsigned garp_count, garp_interval_ms, refresh_s;
	struct rate_limit replies;          /* all requesters together */
	struct requester_limit *requesters; /* per sender MAC and IP */
	uint64_t limit_logged[2], limit_unlogged[2];  /* per enum limit_kind */
	struct l2_links *links;
	struct vip *vips;  /* sorted by ip, unique */
	size_t nvips;
	struct ifc **ifcs;
	size_t nifcs;
	int tx;            /* send socket, -1 until opened */
	uint64_t tx_err_logged;
	struct event *timer;
	struct sock_filter *prog;  /* scratch, L2_BPF_MAX_INSNS */
	struct l2_responder_stats st;
};

/* True at most once per period: for log lines a remote party can trigger. */
static bool quiet_ok(uint64_t *last, uint64_t period, uint64_t now)
{
	if (*last && now - *last < period)
		return false;
	*last = now;
	return true;
}

static void fmt_mac(const uint8_t m[ETHER_ADDR_LEN], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* VIPs */

static int vip_cmp(const void *a, const void *b)
{
	return ipaddr_cmp(&((const struct vip *)a)->ip, &((const struct vip *)b)->ip);
}

static struct vip *vip_find(const struct l2_responder *r, const struct ipaddr *ip)
{
	struct vip key = {.ip = *ip};
	return r->nvips ? bsearch(&key, r->vips, r->nvips, sizeof key, vip_cmp) : NULL;
}

static void vip_clear(struct vip *v)
{
	for (size_t i = 0; i < v->nifnames; i++)
		free(v->ifnames[i]);
	free(v->ifnames);
}

/* The VIP is answered on this interface now. */
static bool vip_on(const struct vip *v, const struct ifc *c)
{
	if (!c->usable)
		return false;
	if (v->nifnames == 0)
		return c->default_ok;
	for (size_t i = 0; i < v->nifnames; i++)
		if (strcmp(v->ifnames[i], c->name) == 0)
			return true;
	return false;
}

static bool same_ifnames(const struct vip *a, const struct vip *b)
{
	if (a->nifnames != b->nifnames)
		return false;
	for (size_t i = 0; i < a->nifnames; i++)
		if (strcmp(a->ifnames[i], b->ifnames[i]) != 0)
			return false;
	return true;
}

static void ipaddr_v4(struct ipaddr *a, const uint8_t b[4])
{
	memset(a, 0, sizeof *a);
	a->family = IPF_V4;
	memcpy(a->b, b, 4);
}

static void ipaddr_v6(struct ipaddr *a, const uint8_t b[16])
{
	a->family = IPF_V6;
	memcpy(a->b, b, 16);
}

/* Sending */

/* Counts a frame sent in counter and in vip_counter (the VIP's own). */
static void send_frame(struct l2_responder *r, struct ifc *c, const uint8_t *frame, size_t len, uint64_t *counter,
		       uint64_t *vip_counter)
{
	if (len == 0)
		return;
	if (r->tx < 0) {
		r->tx = l2_socket_open_tx();
		if (r->tx < 0) {
			if (quiet_ok(&r->tx_err_logged, ERROR_LOG_MS, mono_ms()))
				log_error(COMP, "cannot open the AF_PACKET send socket: %s", strerror(errno));
			return;
		}
	}
	if (l2_socket_send(r->tx, c->ifindex, frame, len) < 0) {
		if (quiet_ok(&c->err_logged, ERROR_LOG_MS, mono_ms()))
			log_warn(COMP, "interface %s: sending: %s", c->name, strerror(errno));
		return;
	}
	(*counter)++;
	(*vip_counter)++;
}

/* One announcement of v on c: gratuitous ARP request and reply, or an unsolicited NA. */
static void announce_on(struct l2_responder *r, struct vip *v, struct ifc *c)
{
	uint8_t buf[NDP_FRAME_MAX];

	if (v->ip.family == IPF_V4) {
		struct arp_pkt p;
		arp_make_gratuitous(ARP_OP_REQUEST, c->mac, v->ip.b, &p);
		send_frame(r, c, buf, arp_encode(&p, buf, sizeof buf), &r->st.garp_sent, &v->n.gratuitous);
		arp_make_gratuitous(ARP_OP_REPLY, c->mac, v->ip.b, &p);
		send_frame(r, c, buf, arp_encode(&p, buf, sizeof buf), &r->st.garp_sent, &v->n.gratuitous);
	} else {
		struct ndp_msg m;
		ndp_make_unsolicited_na(c->mac, v->ip.b, v->ip.b, &m);
		send_frame(r, c, buf, ndp_encode(&m, buf, sizeof buf), &r->st.unsolicited_na_sent, &v->n.gratuitous);
	}
}

static void announce_round(struct l2_responder *r, struct vip *v)
{
	for (size_t i = 0; i < r->nifcs; i++)
		if (vip_on(v, r->ifcs[i]))
			announce_on(r, v, r->ifcs[i]);
}

static void on_timer(evutil_socket_t fd, short what, void *arg);

static void run_announcements(struct l2_responder *r)
{
	uint64_t now = mono_ms(), next = UINT64_MAX;
	size_t done = 0;

	for (size_t i = 0; i < r->nvips; i++) {
		struct vip *v = &r->vips[i];
		if (v->ann_left && v->ann_due <= now && done < ANNOUNCE_BUDGET) {
			announce_round(r, v);
			done++;
			if (--v->ann_left) {
				v->ann_due = now + r->garp_interval_ms;
			} else if (r->refresh_s) {
				v->ann_left = 1;
				v->ann_due = now + (uint64_t)r->refresh_s * 1000;
			}
		}
		if (v->ann_left && v->ann_due < next)
			next = v->ann_due;
	}
	evtimer_del(r->timer);
	if (next != UINT64_MAX) {
		uint64_t ms = next > now ? next - now : 1;  /* 1: the budget ran out, go on next loop turn */
		struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
		evtimer_add(r->timer, &tv);
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	run_announcements(arg);
}

/* Starts v's announcement series over: a round now, then garp_count - 1 more. */
static void restart_series(struct l2_responder *r, struct vip *v, uint64_t now)
{
	v->ann_left = r->garp_count;
	v->ann_due = now;
}

/* Receiving */

static void conflict(struct l2_responder *r, struct vip *v, struct ifc *c, const uint8_t mac[ETHER_ADDR_LEN],
		     const char *what)
{
	uint64_t now = mono_ms();

	r->st.conflicts++;
	v->n.conflicts++;
	if (quiet_ok(&v->conflict_logged, CONFLICT_LOG_MS, now)) {
		char ip[IPADDR_STRLEN], m[18];
		ipaddr_format(&v->ip, ip);
		fmt_mac(mac, m);
		log_warn(COMP, "VIP %s on %s: %s from %s, which is not this node; announcing it again "
			 "(%llu more such since the last report)",
			 ip, c->name, what, m, (unsigned long long)v->conflicts_unlogged);
		v->conflicts_unlogged = 0;
	} else {
		v->conflicts_unlogged++;
	}
	if (quiet_ok(&v->conflict_announced, CONFLICT_ANNOUNCE_MS, now))
		announce_on(r, v, c);
}

enum limit_kind { LIMIT_REQUESTER, LIMIT_GLOBAL };

static void limited(struct l2_responder *r, enum limit_kind k, const struct vip *v, const uint8_t mac[ETHER_ADDR_LEN],
		    const struct ipaddr *from)
{
	(*(k == LIMIT_REQUESTER ? &r->st.limited_requester : &r->st.limited_global))++;
	if (!quiet_ok(&r->limit_logged[k], LIMIT_LOG_MS, mono_ms())) {
		r->limit_unlogged[k]++;
		return;
	}
	char vip[IPADDR_STRLEN], ip[IPADDR_STRLEN], m[18];
	ipaddr_format(&v->ip, vip);
	ipaddr_format(from, ip);
	fmt_mac(mac, m);
	log_warn(COMP, "VIP %s: request from %s (%s) not answered: %s (%llu more dropped since the last report)", vip, m,
		 ip, k == LIMIT_REQUESTER ? "this requester is over its reply rate" : "over the node's global reply rate",
		 (unsigned long long)r->limit_unlogged[k]);
	r->limit_unlogged[k] = 0;
}

/* A reply allowed to this requester: its own bucket first, so a flooder does not drain the global one. */
static bool take_token(struct l2_responder *r, const struct vip *v, const uint8_t mac[ETHER_ADDR_LEN],
		       const struct ipaddr *from)
{
	uint8_t key[ETHER_ADDR_LEN + 16];
	uint64_t now = mono_ms();
	size_t alen = from->family == IPF_V4 ? 4 : 16;
	memcpy(key, mac, ETHER_ADDR_LEN);
	memcpy(key + ETHER_ADDR_LEN, from->b, alen);
	if (!requester_limit_take(r->requesters, key, ETHER_ADDR_LEN + alen, now)) {
		limited(r, LIMIT_REQUESTER, v, mac, from);
		return false;
	}
	if (!rate_limit_take(&r->replies, now)) {
		limited(r, LIMIT_GLOBAL, v, mac, from);
		return false;
	}
	return true;
}

static void handle_arp(struct l2_responder *r, struct ifc *c, const uint8_t *frame, size_t len, bool to_us)
{
	struct arp_pkt p;
	enum arp_err e = arp_decode(frame, len, &p);
	if (e != ARP_OK) {
		r->st.malformed++;
		log_debug(COMP, "%s: ARP frame dropped: %s", c->name, arp_err_str(e));
		return;
	}
	struct ipaddr spa, tpa;
	ipaddr_v4(&spa, p.spa);
	ipaddr_v4(&tpa, p.tpa);
	/* Another MAC speaking as the VIP: a reply for it, or a gratuitous announcement. */
	struct vip *sv = vip_find(r, &spa);
	if (sv && vip_on(sv, c) && !l2_links_mac_is_ours(r->links, p.sha)) {
		conflict(r, sv, c, p.sha, p.op == ARP_OP_REPLY ? "ARP reply" : "ARP request");
		return;
	}
	if (p.op != ARP_OP_REQUEST || !to_us)
		return;
	struct vip *tv = vip_find(r, &tpa);
	if (!tv || !vip_on(tv, c))
		return;
	r->st.arp_requests++;
	tv->n.requests++;
	if (!take_token(r, tv, p.sha, &spa))
		return;
	uint8_t buf[ARP_FRAME_LEN];
	struct arp_pkt out;
	arp_make_reply(&p, c->mac, tv->ip.b, &out);
	send_frame(r, c, buf, arp_encode(&out, buf, sizeof buf), &r->st.arp_replies, &tv->n.responses);
}

static void handle_nd(struct l2_responder *r, struct ifc *c, const uint8_t *frame, size_t len, bool to_us)
{
	struct ndp_msg m;
	enum ndp_err e = ndp_decode(frame, len, &m);
	if (e != NDP_OK) {
		r->st.malformed++;
		log_debug(COMP, "%s: NDP frame dropped: %s", c->name, ndp_err_str(e));
		return;
	}
	struct ipaddr target;
	ipaddr_v6(&target, m.target);
	struct vip *v = vip_find(r, &target);
	if (!v || !vip_on(v, c))
		return;
	if (m.type == NDP_NA) {
		const uint8_t *mac = m.has_lla ? m.lla : m.eth_src;
		if (!l2_links_mac_is_ours(r->links, mac))
			conflict(r, v, c, mac, "neighbor advertisement");
		return;
	}
	if (!to_us)
		return;
	r->st.ns_received++;
	v->n.requests++;
	struct ipaddr src;
	ipaddr_v6(&src, m.src);
	if (!take_token(r, v, m.has_lla ? m.lla : m.eth_src, &src))
		return;
	uint8_t buf[NDP_FRAME_MAX];
	struct ndp_msg out;
	ndp_make_na_reply(&m, c->mac, v->ip.b, &out);
	send_frame(r, c, buf, ndp_encode(&out, buf, sizeof buf), &r->st.na_sent, &v->n.responses);
}

static void on_rx(evutil_socket_t fd, short what, void *arg)
{
	struct rx *x = arg;
	struct ifc *c = x->ifc;
	struct l2_responder *r = c->r;
	static uint8_t bufs[RX_BATCH][RX_BUF];
	struct sockaddr_ll from[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct mmsghdr msgs[RX_BATCH];
	(void)what;

	/* In batches: under a storm, one system call per RX_BATCH frames, not per frame. */
	for (int done = 0; done < RX_BUDGET;) {
		for (int i = 0; i < RX_BATCH; i++) {
			iov[i] = (struct iovec){.iov_base = bufs[i], .iov_len = RX_BUF};
			msgs[i] = (struct mmsghdr){
				.msg_hdr = {.msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iov[i], .msg_iovlen = 1},
			};
		}
		int n = recvmmsg(fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ENETDOWN &&
			    quiet_ok(&c->err_logged, ERROR_LOG_MS, mono_ms()))
				log_warn(COMP, "interface %s: receiving: %s", c->name, strerror(errno));
			return;
		}
		for (int i = 0; i < n; i++) {
			if (from[i].sll_pkttype == PACKET_OUTGOING)
				continue;
			/* A frame for another host's MAC (promiscuous mode): a conflict to see, not a question to answer. */
			bool to_us = from[i].sll_pkttype != PACKET_OTHERHOST;
			size_t len = msgs[i].msg_len;
			if (x == &c->arp)
				handle_arp(r, c, bufs[i], len, to_us);
			else
				handle_nd(r, c, bufs[i], len, to_us);
		}
		if (n < RX_BATCH)
			return;
		done += n;
	}
}

/* Interfaces */

static void rx_close(struct rx *x)
{
	if (x->ev)
		event_free(x->ev);
	if (x->fd >= 0)
		close(x->fd);
	x->ev = NULL;
	x->fd = -1;
	x->filter_len = 0;
	x->filter_hash = 0;
	if (x == &x->ifc->nd)
		x->ifc->ngroups = 0;  /* the groups are left with the socket */
}

static uint64_t prog_hash(const struct sock_filter *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	const uint8_t *b = (const uint8_t *)p;
	for (size_t i = 0; i < n * sizeof *p; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

/*
 * Opens, re-filters or closes one receive socket with the program in
 * r->prog. False when the kernel refused it: the socket then is closed, or
 * keeps its previous filter.
 */
static bool rx_sync(struct l2_responder *r, struct ifc *c, struct rx *x, uint16_t proto, size_t nprog)
{
	if (nprog == 0) {
		rx_close(x);
		return true;
	}
	uint64_t h = prog_hash(r->prog, nprog);
	if (x->fd >= 0) {
		if (x->filter_len == nprog && x->filter_hash == h)
			return true;
		if (l2_socket_set_filter(x->fd, r->prog, nprog) < 0)
			return false;
	} else {
		x->fd = l2_socket_open(c->ifindex, proto, r->prog, nprog);
		if (x->fd < 0)
			return false;
		x->ev = event_new(r->base, x->fd, EV_READ | EV_PERSIST, on_rx, x);
		if (!x->ev || event_add(x->ev, NULL) < 0) {
			log_error(COMP, "interface %s: cannot watch its socket", c->name);
			rx_close(x);
			return false;
		}
	}
	x->filter_len = nprog;
	x->filter_hash = h;
	return true;
}

static int mac_cmp(const void *a, const void *b)
{
	return memcmp(a, b, ETHER_ADDR_LEN);
}

/* Joins the solicited-node groups of the IPv6 VIPs answered here and leaves the others. */
static void groups_sync(struct ifc *c, const uint8_t (*v6)[16], size_t n6)
{
	uint8_t(*want)[ETHER_ADDR_LEN] = xcalloc(n6 ? n6 : 1, sizeof *want);
	size_t nwant = 0;

	if (c->nd.fd < 0)
		n6 = 0;
	for (size_t i = 0; i < n6; i++) {
		uint8_t g[16];
		ndp_solicited_node(v6[i], g);
		ndp_multicast_mac(g, want[nwant++]);
	}
	qsort(want, nwant, sizeof *want, mac_cmp);
	size_t k = 0;
	for (size_t i = 0; i < nwant; i++)
		if (k == 0 || memcmp(want[k - 1], want[i], ETHER_ADDR_LEN) != 0)
			memcpy(want[k++], want[i], ETHER_ADDR_LEN);
	nwant = k;
	/* Both sorted: leave what is no longer wanted, join what is new. */
	size_t i = 0, j = 0;
	while (i < c->ngroups || j < nwant) {
		int d = i == c->ngroups ? 1 : j == nwant ? -1 : memcmp(c->groups[i], want[j], ETHER_ADDR_LEN);
		if (d < 0) {
			l2_socket_membership(c->nd.fd, c->ifindex, c->groups[i++], false);
		} else if (d > 0) {
			if (l2_socket_membership(c->nd.fd, c->ifindex, want[j], true) < 0)
				log_error(COMP, "interface %s: joining a solicited-node group: %s", c->name,
					  strerror(errno));
			j++;
		} else {
			i++, j++;
		}
	}
	free(c->groups);
	c->groups = want;
	c->ngroups = nwant;
}

/* Brings c's sockets, filters and groups in line with the VIPs it answers now. */
static void ifc_sync(struct l2_responder *r, struct ifc *c)
{
	size_t n4 = 0, n6 = 0;
	for (size_t i = 0; i < r->nvips; i++)
		if (vip_on(&r->vips[i], c))
			*(r->vips[i].ip.family == IPF_V4 ? &n4 : &n6) += 1;
	uint8_t(*v4)[4] = xcalloc(n4 ? n4 : 1, sizeof *v4);
	uint8_t(*v6)[16] = xcalloc(n6 ? n6 : 1, sizeof *v6);
	size_t k4 = 0, k6 = 0;
	for (size_t i = 0; i < r->nvips; i++) {
		const struct vip *v = &r->vips[i];
		if (!vip_on(v, c))
			continue;
		if (v->ip.family == IPF_V4)
			memcpy(v4[k4++], v->ip.b, 4);
		else
			memcpy(v6[k6++], v->ip.b, 16);
	}
	/* The exact filter first; if the kernel refuses it (option memory), the protocol-only one. */
	if (!rx_sync(r, c, &c->arp, ETH_P_ARP, n4 ? l2_bpf_arp((const uint8_t(*)[4])v4, n4, r->prog, L2_BPF_MAX_INSNS) : 0) &&
	    !rx_sync(r, c, &c->arp, ETH_P_ARP, l2_bpf_arp(NULL, 0, r->prog, L2_BPF_MAX_INSNS)) &&
	    quiet_ok(&c->err_logged, ERROR_LOG_MS, mono_ms()))
		log_error(COMP, "interface %s: ARP socket: %s", c->name, strerror(errno));
	if (!rx_sync(r, c, &c->nd, ETH_P_IPV6, n6 ? l2_bpf_nd((const uint8_t(*)[16])v6, n6, r->prog, L2_BPF_MAX_INSNS) : 0) &&
	    !rx_sync(r, c, &c->nd, ETH_P_IPV6, l2_bpf_nd(NULL, 0, r->prog, L2_BPF_MAX_INSNS)) &&
	    quiet_ok(&c->err_logged, ERROR_LOG_MS, mono_ms()))
		log_error(COMP, "interface %s: IPv6 socket: %s", c->name, strerror(errno));
	groups_sync(c, (const uint8_t(*)[16])v6, n6);
	free(v4);
	free(v6);
}

static struct ifc *ifc_find(const struct l2_responder *r, int ifindex)
{
	for (size_t i = 0; i < r->nifcs; i++)
		if (r->ifcs[i]->ifindex == ifindex)
			return r->ifcs[i];
	return NULL;
}

static void ifc_free(struct ifc *c)
{
	rx_close(&c->arp);
	rx_close(&c->nd);
	free(c->groups);
	free(c);
}

static void link_changed(void *arg, int ifindex)
{
	struct l2_responder *r = arg;
	const struct l2_link *l = l2_links_get(r->links, ifindex);
	struct ifc *c = ifc_find(r, ifindex);

	if (!l) {
		if (!c)
			return;
		if (c->usable)
			log_info(COMP, "interface %s is gone", c->name);
		for (size_t i = 0; i < r->nifcs; i++)
			if (r->ifcs[i] == c) {
				r->ifcs[i] = r->ifcs[--r->nifcs];
				break;
			}
		ifc_free(c);
		return;
	}
	if (!c) {
		c = xcalloc(1, sizeof *c);
		c->r = r;
		c->ifindex = ifindex;
		c->arp = (struct rx){.ifc = c, .fd = -1};
		c->nd = (struct rx){.ifc = c, .fd = -1};
		r->ifcs = xrealloc(r->ifcs, r->nifcs + 1, sizeof *r->ifcs);
		r->ifcs[r->nifcs++] = c;
	}
	bool was_usable = c->usable;
	bool renamed = strcmp(c->name, l->name) != 0, new_mac = memcmp(c->mac, l->mac, ETHER_ADDR_LEN) != 0;
	const char *why = NULL;
	snprintf(c->name, sizeof c->name, "%s", l->name);
	memcpy(c->mac, l->mac, ETHER_ADDR_LEN);
	c->usable = l2_link_usable(l);
	c->default_ok = l2_link_default_ok(l->name, l->flags, l->arptype, l->master, &why);
	if (c->usable && !was_usable) {
		c->since = wall_s();
		log_debug(COMP, "interface %s is usable%s%s", c->name, c->default_ok ? "" : "; by default not answered: ",
			  c->default_ok ? "" : why);
	}
	ifc_sync(r, c);
	if (!c->usable || (was_usable && !renamed && !new_mac))
		return;
	/* Newly usable, renamed into a VIP's list, or a new MAC: tell the LAN. */
	uint64_t now = mono_ms();
	size_t n = 0;
	for (size_t i = 0; i < r->nvips; i++)
		if (vip_on(&r->vips[i], c)) {
			restart_series(r, &r->vips[i], now);
			n++;
		}
	if (n) {
		log_info(COMP, "interface %s: announcing %zu VIP%s", c->name, n, n == 1 ? "" : "s");
		run_announcements(r);
	}
}

/* The API */

struct l2_responder *l2_responder_new(struct event_base *base, const struct l2_responder_options *opt)
{
	struct l2_responder *r = xcalloc(1, sizeof *r);

	r->base = base;
	r->garp_count = opt && opt->garp_count ? opt->garp_count : DEFAULT_GARP_COUNT;
	r->garp_interval_ms = opt && opt->garp_interval_ms ? opt->garp_interval_ms : DEFAULT_GARP_INTERVAL_MS;
	r->refresh_s = opt ? opt->refresh_s : 0;
	unsigned rate = opt && opt->reply_rate ? opt->reply_rate : DEFAULT_REPLY_RATE;
	unsigned rrate = opt && opt->requester_rate ? opt->requester_rate : DEFAULT_REQUESTER_RATE;
	rate_limit_init(&r->replies, rate, rate > 1 ? (rate + 1) / 2 : 1, mono_ms());
	r->requesters = requester_limit_new(REQUESTER_TABLE_BYTES, rrate, rrate);
	r->tx = -1;
	r->prog = xcalloc(L2_BPF_MAX_INSNS, sizeof *r->prog);
	r->timer = evtimer_new(base, on_timer, r);
	r->links = l2_links_new(base, link_changed, r);
	if (!r->timer || !r->links || !r->requesters) {
		l2_responder_free(r);
		return NULL;
	}
	for (size_t i = 0; i < l2_links_count(r->links); i++)
		link_changed(r, l2_links_at(r->links, i)->ifindex);
	r->tx = l2_socket_open_tx();
	if (r->tx < 0)
		log_error(COMP, "cannot open an AF_PACKET socket (CAP_NET_RAW needed): %s", strerror(errno));
	return r;
}

void l2_responder_set(struct l2_responder *r, const struct l2_owned *in, size_t n)
{
	struct vip *nv = xcalloc(n ? n : 1, sizeof *nv);
	size_t k = 0;
	uint64_t now = mono_ms();
	double real = wall_s();

	for (size_t i = 0; i < n; i++) {
		if (in[i].ip.family != IPF_V4 && in[i].ip.family != IPF_V6)
			continue;
		nv[k].ip = in[i].ip;
		if (in[i].ninterfaces) {
			nv[k].ifnames = xcalloc(in[i].ninterfaces, sizeof *nv[k].ifnames);
			for (size_t j = 0; j < in[i].ninterfaces; j++)
				nv[k].ifnames[nv[k].nifnames++] = xstrdup(in[i].interfaces[j]);
		}
		k++;
	}
	qsort(nv, k, sizeof *nv, vip_cmp);
	/* A VIP listed twice: one entry (which interface list is kept is unspecified). */
	size_t u = 0;
	for (size_t i = 0; i < k; i++) {
		if (u && ipaddr_eq(&nv[u - 1].ip, &nv[i].ip)) {
			vip_clear(&nv[i]);
			continue;
		}
		nv[u++] = nv[i];
	}
	size_t added = 0, removed = 0;
	for (size_t i = 0; i < u; i++) {
		struct vip *v = &nv[i], *old = vip_find(r, &v->ip);
		char ip[IPADDR_STRLEN];
		ipaddr_format(&v->ip, ip);
		if (old) {
			char **names = v->ifnames;
			size_t nnames = v->nifnames;
			bool moved = !same_ifnames(old, v);
			*v = *old;
			v->ifnames = names;
			v->nifnames = nnames;
			if (moved) {
				log_info(COMP, "VIP %s: interfaces changed, announcing", ip);
				restart_series(r, v, now);
			}
			continue;
		}
		v->since = real;
		restart_series(r, v, now);
		log_debug(COMP, "VIP %s: answering and announcing", ip);
		added++;
	}
	for (size_t i = 0; i < r->nvips; i++) {
		struct vip key = {.ip = r->vips[i].ip};
		if (!bsearch(&key, nv, u, sizeof key, vip_cmp)) {
			char ip[IPADDR_STRLEN];
			ipaddr_format(&r->vips[i].ip, ip);
			log_debug(COMP, "VIP %s: no longer answered", ip);
			removed++;
		}
		vip_clear(&r->vips[i]);
	}
	free(r->vips);
	r->vips = nv;
	r->nvips = u;
	if (added || removed)
		log_info(COMP, "answering for %zu VIP%s (%zu new, %zu given up)", u, u == 1 ? "" : "s", added, removed);
	for (size_t i = 0; i < r->nifcs; i++)
		ifc_sync(r, r->ifcs[i]);
	run_announcements(r);
}

void l2_responder_announce(struct l2_responder *r, const struct ipaddr *ip)
{
	struct vip *v = vip_find(r, ip);
	if (!v)
		return;
	restart_series(r, v, mono_ms());
	run_announcements(r);
}

void l2_responder_walk(const struct l2_responder *r,
		       void (*fn)(const struct ipaddr *ip, const char *ifname, double since, void *arg), void *arg)
{
	for (size_t i = 0; i < r->nvips; i++)
		for (size_t j = 0; j < r->nifcs; j++) {
			const struct vip *v = &r->vips[i];
			const struct ifc *c = r->ifcs[j];
			if (vip_on(v, c))
				fn(&v->ip, c->name, v->since > c->since ? v->since : c->since, arg);
		}
}

void l2_responder_vip_counters(const struct l2_responder *r,
			       void (*fn)(const struct ipaddr *ip, const struct l2_vip_counters *n, void *arg), void *arg)
{
	for (size_t i = 0; i < r->nvips; i++)
		fn(&r->vips[i].ip, &r->vips[i].n, arg);
}

void l2_responder_stats(const struct l2_responder *r, struct l2_responder_stats *out)
{
	*out = r->st;
}

void l2_responder_free(struct l2_responder *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nifcs; i++)
		ifc_free(r->ifcs[i]);
	free(r->ifcs);
	for (size_t i = 0; i < r->nvips; i++)
		vip_clear(&r->vips[i]);
	free(r->vips);
	if (r->timer)
		event_free(r->timer);
	l2_links_free(r->links);
	if (r->tx >= 0)
		close(r->tx);
	free(r->prog);
	requester_limit_free(r->requesters);
	free(r);
}
