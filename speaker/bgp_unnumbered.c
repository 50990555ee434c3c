/* Unnumbered BGP: neighbour discovery by Router Advertisements, link tracking, next hops. See bgp_unnumbered.h. */
#include "bgp_unnumbered.h"

#include <errno.h>
#include <event2/event.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bgp_session.h"
#include "clock.h"
#include "l2_links.h"
#include "log.h"
#include "ndp_router.h"
#include "xalloc.h"

#define COMP "bgp-unnumbered"
#define RA_FAST_MS 1000
#define RA_FAST_COUNT 3
#define RA_INTERVAL_MS 10000
#define RS_REPLY_GAP_MS 1000
#define RA_REPLY_GAP_MS 3000
#define RX_PER_WAKEUP 16
#define PEER_STALE_MS (3 * RA_INTERVAL_MS)  /* a peer not heard for this long may be replaced */

struct unl_if {
	struct bgp_unnumbered *u;
	char name[IF_NAMESIZE];
	int ifindex;           /* 0 while the interface is not there */
	bool usable;           /* up with carrier: discovery runs */
	bool named;            /* named by a resolve() since the last begin */
	bool has_mac;
	uint8_t mac[6];
	struct ipaddr peer;    /* family 0: none found */
	int fd;
	struct event *rx, *tick;
	unsigned ras_sent;
	uint64_t last_reply_ms;  /* monotonic: our last RA sent in answer to an RS or RA */
	uint64_t peer_heard_ms;   /* monotonic: the peer's last Router Advertisement */
	uint64_t ras_received, bad_received, send_errors, others_ignored;
};

struct bgp_unnumbered {
	struct event_base *base;
	struct l2_links *links;
	struct unl_if **v;
	size_t n;
	struct event *notify;
	void (*changed)(void *arg);
	void *arg;
};

/* ---- pure helpers ---- */

void bgp_unnumbered_next_hops(struct bgp_route_attrs *a, const struct ipaddr *link_local,
			      const struct ipaddr *global, bool ipv4)
{
	if (global && global->family == IPF_V6) {
		memcpy(a->next_hop6, global->b, 16);
		memcpy(a->next_hop6_ll, link_local->b, 16);
		a->has_next_hop6_ll = true;
	} else {
		memcpy(a->next_hop6, link_local->b, 16);
		a->has_next_hop6_ll = false;
	}
	a->ipv4_nh6 = ipv4;
}

void bgp_unnumbered_scope(struct sockaddr_storage *ss, int ifindex)
{
	if (ifindex > 0 && ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_scope_id = (uint32_t)ifindex;
}

/* ---- reporting a change, from the loop ---- */

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct bgp_unnumbered *u = arg;
	u->changed(u->arg);
}

static void notify(struct bgp_unnumbered *u)
{
	event_active(u->notify, EV_TIMEOUT, 0);
}

static void forget_peer(struct unl_if *i, const char *why)
{
	if (!i->peer.family)
		return;
	char a[IPADDR_STRLEN];
	ipaddr_format(&i->peer, a);
	log_info(COMP, "%s: peer %s forgotten: %s", i->name, a, why);
	memset(&i->peer, 0, sizeof(i->peer));
	notify(i->u);
}

/* ---- the ICMPv6 socket ---- */

static void send_one(struct unl_if *i, enum ndp_router_type type, const struct in6_addr *to)
{
	uint8_t buf[NDP_ROUTER_MAX];
	size_t n = ndp_router_encode(type, 0, i->has_mac ? i->mac : NULL, buf, sizeof(buf));
	struct sockaddr_in6 dst = {.sin6_family = AF_INET6, .sin6_addr = *to, .sin6_scope_id = (uint32_t)i->ifindex};
	/* Right after the link comes up its link-local address may still be tentative (DAD): the next tick retries. */
	if (sendto(i->fd, buf, n, MSG_DONTWAIT, (struct sockaddr *)&dst, sizeof(dst)) < 0 && i->send_errors++ < 10)
		log_info(COMP, "%s: cannot send a Router %s: %s", i->name, type == NDP_RA ? "Advertisement" : "Solicitation",
			 strerror(errno));
}

static void send_ra(struct unl_if *i)
{
	static const struct in6_addr all_nodes = {{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}};
	send_one(i, NDP_RA, &all_nodes);
	i->ras_sent++;
}

static void arm_tick(struct unl_if *i)
{
	uint32_t ms = i->ras_sent < RA_FAST_COUNT ? RA_FAST_MS : RA_INTERVAL_MS;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(i->tick, &tv);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct unl_if *i = arg;
	send_ra(i);
	arm_tick(i);
}

static void got_message(struct unl_if *i, const uint8_t *msg, size_t len, int hops, const struct sockaddr_in6 *src)
{
	struct ndp_router_msg m;
	const char *why = NULL;
	if (!ndp_router_check(msg, len, hops, src->sin6_addr.s6_addr, &m, &why)) {
		if (i->bad_received++ < 10)
			log_info(COMP, "%s: dropped an ICMPv6 message: %s", i->name, why);
		return;
	}
	if (m.has_slla && i->has_mac && memcmp(m.slla, i->mac, 6) == 0)
		return;  /* our own */
	if (m.type == NDP_RS) {
		uint64_t now = mono_ms();
		if (now - i->last_reply_ms >= RS_REPLY_GAP_MS) {
			i->last_reply_ms = now;
			send_ra(i);
		}
		return;
	}
	i->ras_received++;
	struct ipaddr peer = {.family = IPF_V6};
	memcpy(peer.b, src->sin6_addr.s6_addr, 16);
	uint64_t now = mono_ms();
	if (ipaddr_eq(&peer, &i->peer)) {
		i->peer_heard_ms = now;
		/*
		 * A peer that restarted (same address) knows us again only from
		 * our RAs: answering its RAs, at most every 3 s, saves it waiting
		 * up to our 10 s interval.
		 */
		if (now - i->last_reply_ms >= RA_REPLY_GAP_MS) {
			i->last_reply_ms = now;
			send_ra(i);
		}
		return;
	}
	char a[IPADDR_STRLEN], b[IPADDR_STRLEN] = "";
	ipaddr_format(&peer, a);
	if (i->peer.family)
		ipaddr_format(&i->peer, b);
	/* The link should be point-to-point: a second router does not take over from one still heard. */
	if (i->peer.family && now - i->peer_heard_ms < PEER_STALE_MS) {
		if (i->others_ignored++ < 10)
			log_warn(COMP, "%s: ignoring the Router Advertisement of %s: peer %s was heard %llu ms ago "
				       "(unnumbered BGP expects a point-to-point link)",
				 i->name, a, b, (unsigned long long)(now - i->peer_heard_ms));
		return;
	}
	i->peer_heard_ms = now;
	log_info(COMP, "%s: peer %s found by its Router Advertisement%s%s", i->name, a, b[0] ? ", replacing " : "", b);
	i->peer = peer;
	i->last_reply_ms = now;
	send_ra(i);  /* a peer that just came up learns us now, not at our next periodic RA */
	notify(i->u);
}

static void on_rx(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct unl_if *i = arg;
	for (int k = 0; k < RX_PER_WAKEUP; k++) {
		uint8_t buf[1500];
		union {
			struct cmsghdr h;
			uint8_t b[CMSG_SPACE(sizeof(int)) * 2];
		} ctl;
		struct sockaddr_in6 src;
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh = {.msg_name = &src, .msg_namelen = sizeof(src), .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0)
			return;
		int hops = -1;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT &&
			    c->cmsg_len >= CMSG_LEN(sizeof(int)))
				memcpy(&hops, CMSG_DATA(c), sizeof(int));
		if (mh.msg_namelen < sizeof(src) || (mh.msg_flags & MSG_TRUNC))
			continue;
		got_message(i, buf, (size_t)n, hops, &src);
	}
}

static int open_socket(const struct unl_if *i, const char **why)
{
	int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6);
	if (fd < 0) {
		*why = "socket(ICMPv6)";
		return -1;
	}
	struct icmp6_filter f;
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ND_ROUTER_ADVERT, &f);
	ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, &f);
	int one = 1, zero = 0, hops = 255, ifindex = i->ifindex;
	struct ipv6_mreq all_routers = {.ipv6mr_multiaddr = {{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}}},
					.ipv6mr_interface = (unsigned)i->ifindex};
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, i->name, (socklen_t)strlen(i->name)) < 0)
		*why = "SO_BINDTODEVICE";
	else if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0)
		*why = "ICMP6_FILTER";
	else if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) < 0)
		*why = "IPV6_RECVHOPLIMIT";
	else if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
		 setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0)
		*why = "hop limit 255";
	else if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0)
		*why = "IPV6_MULTICAST_IF";
	else if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero, sizeof(zero)) < 0)
		*why = "IPV6_MULTICAST_LOOP";
	else if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &all_routers, sizeof(all_routers)) < 0)
		*why = "joining ff02::2";
	else
		return fd;
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

static void stop_discovery(struct unl_if *i)
{
	if (i->rx)
		event_free(i->rx);
	if (i->tick)
		event_free(i->tick);
	if (i->fd >= 0)
		close(i->fd);
	i->rx = i->tick = NULL;
	i->fd = -1;
}

static void start_discovery(struct unl_if *i)
{
	static const struct in6_addr all_routers = {{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}}};
	const char *why = "";
	i->fd = open_socket(i, &why);
	if (i->fd < 0) {
		log_error(COMP, "%s: no neighbour discovery: %s: %s", i->name, why, strerror(errno));
		return;
	}
	i->rx = event_new(i->u->base, i->fd, EV_READ | EV_PERSIST, on_rx, i);
	i->tick = evtimer_new(i->u->base, on_tick, i);
	if (!i->rx || !i->tick || event_add(i->rx, NULL) < 0) {
		log_error(COMP, "%s: out of memory for neighbour discovery", i->name);
		stop_discovery(i);
		return;
	}
	i->ras_sent = 0;
	send_one(i, NDP_RS, &all_routers);
	send_ra(i);
	arm_tick(i);
	log_info(COMP, "%s: looking for the BGP peer (Router Solicitation and Advertisements sent)", i->name);
}

/* ---- the link ---- */

static const struct l2_link *link_named(const struct bgp_unnumbered *u, const char *name)
{
	for (size_t k = 0; u->links && k < l2_links_count(u->links); k++) {
		const struct l2_link *l = l2_links_at(u->links, k);
		if (strcmp(l->name, name) == 0)
			return l;
	}
	return NULL;
}

/* Brings i in step with its link: discovery runs exactly while the link is up with carrier. */
static void sync_link(struct unl_if *i)
{
	const struct l2_link *l = link_named(i->u, i->name);
	bool usable = l && (l->flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
	int ifindex = l ? l->ifindex : 0;
	if (i->usable && (!usable || ifindex != i->ifindex)) {
		log_info(COMP, "%s: %s", i->name, !l ? "gone" : !usable ? "down or without carrier" : "replaced");
		stop_discovery(i);
		forget_peer(i, "the link went down");
		i->usable = false;
	}
	i->ifindex = ifindex;
	i->has_mac = l && l->has_mac;
	if (l && l->has_mac)
		memcpy(i->mac, l->mac, 6);
	if (usable && !i->usable) {
		i->usable = true;
		start_discovery(i);
	}
}

static void on_link(void *arg, int ifindex)
{
	(void)ifindex;
	struct bgp_unnumbered *u = arg;
	for (size_t k = 0; k < u->n; k++)
		sync_link(u->v[k]);
}

/* ---- the speaker's side ---- */

struct bgp_unnumbered *bgp_unnumbered_new(struct event_base *base, void (*changed)(void *arg), void *arg)
{
	struct bgp_unnumbered *u = xcalloc(1, sizeof(*u));
	u->base = base;
	u->changed = changed;
	u->arg = arg;
	u->notify = evtimer_new(base, on_notify, u);
	u->links = l2_links_new(base, on_link, u);
	if (!u->notify || !u->links) {
		log_error(COMP, "cannot watch the interfaces: unnumbered BGP peers get no session");
		bgp_unnumbered_free(u);
		return NULL;
	}
	return u;
}

static void if_free(struct unl_if *i)
{
	stop_discovery(i);
	free(i);
}

void bgp_unnumbered_free(struct bgp_unnumbered *u)
{
	if (!u)
		return;
	for (size_t k = 0; k < u->n; k++)
		if_free(u->v[k]);
	free(u->v);
	if (u->notify)
		event_free(u->notify);
	if (u->links)
		l2_links_free(u->links);
	free(u);
}

void bgp_unnumbered_begin(struct bgp_unnumbered *u)
{
	for (size_t k = 0; k < u->n; k++)
		u->v[k]->named = false;
}

void bgp_unnumbered_end(struct bgp_unnumbered *u)
{
	size_t w = 0;
	for (size_t k = 0; k < u->n; k++) {
		if (u->v[k]->named) {
			u->v[w++] = u->v[k];
			continue;
		}
		log_info(COMP, "%s: no BGPPeer names it any more: discovery stopped", u->v[k]->name);
		if_free(u->v[k]);
	}
	u->n = w;
}

static struct unl_if *if_get(struct bgp_unnumbered *u, const char *name)
{
	for (size_t k = 0; k < u->n; k++)
		if (strcmp(u->v[k]->name, name) == 0)
			return u->v[k];
	struct unl_if *i = xcalloc(1, sizeof(*i));
	i->u = u;
	i->fd = -1;
	snprintf(i->name, sizeof(i->name), "%s", name);
	u->v = xrealloc(u->v, u->n + 1, sizeof(*u->v));
	u->v[u->n++] = i;
	sync_link(i);
	if (!i->ifindex)
		log_warn(COMP, "%s: no such interface (yet): waiting for it", name);
	return i;
}

/* A global (not link-local) IPv6 address of the interface, for the 32-byte next hop. */
static bool interface_global(const char *name, struct ipaddr *out)
{
	struct ifaddrs *all = NULL;
	bool found = false;
	if (getifaddrs(&all) < 0)
		return false;
	for (struct ifaddrs *a = all; a && !found; a = a->ifa_next) {
		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET6 || strcmp(a->ifa_name, name) != 0)
			continue;
		const uint8_t *b = ((const struct sockaddr_in6 *)a->ifa_addr)->sin6_addr.s6_addr;
		if ((b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff)
			continue;
		out->family = IPF_V6;
		memcpy(out->b, b, 16);
		found = true;
	}
	freeifaddrs(all);
	return found;
}

bool bgp_unnumbered_resolve(struct bgp_unnumbered *u, struct bgp_session_config *cfg)
{
	struct unl_if *i = if_get(u, cfg->ifname);
	i->named = true;
	if (!i->usable || !i->peer.family)
		return false;
	cfg->peer = i->peer;
	cfg->ifindex = i->ifindex;
	memset(&cfg->other_next_hop, 0, sizeof(cfg->other_next_hop));
	interface_global(i->name, &cfg->other_next_hop);
	return true;
}

json_t *bgp_unnumbered_status(const struct bgp_unnumbered *u)
{
	json_t *a = json_array();
	for (size_t k = 0; u && k < u->n; k++) {
		const struct unl_if *i = u->v[k];
		char p[IPADDR_STRLEN] = "";
		if (i->peer.family)
			ipaddr_format(&i->peer, p);
		json_array_append_new(a, json_pack("{s:s, s:i, s:b, s:s?, s:I, s:I}", "interface", i->name, "ifindex",
						   i->ifindex, "up", i->usable, "peer", p[0] ? p : NULL,
						   "router_advertisements_sent", (json_int_t)i->ras_sent,
						   "router_advertisements_received", (json_int_t)i->ras_received));
	}
	return a;
}
