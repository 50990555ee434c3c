/* The L2 heartbeat transport: see l2_hb.h. */
#include "l2_hb.h"

#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bgp_socket.h"
#include "clock.h"
#include "l2_keys.h"
#include "log.h"
#include "rate_limit.h"
#include "xalloc.h"

#define MEMBERLIST_SECRET "memberlist"
#define MEMBERLIST_KEY "secretkey"
#define MEMBERLIST_NS "metallb-system"
#define RX_BATCH 64
#define DSCP_CS6 0xc0

struct hb_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

struct hb_dest {
	char *node;
	struct hb_addr *addrs;  /* its InternalIPs */
	size_t naddrs;
};

struct l2_hb {
	uint16_t port;
	int fd4, fd6;
	struct event *ev4, *ev6;
	l2_hb_recv_fn recv;
	l2_hb_batch_fn batch;
	void *arg;
	struct l2_keys keys;
	struct hb_dest *dests;    /* sorted by node */
	size_t ndests;
	struct rate_limit log_rl;
	struct l2_hb_stats st;
};

/* Logs that a remote party can trigger: at most 5 at once, then one a second. */
static bool may_log(struct l2_hb *h)
{
	return rate_limit_take(&h->log_rl, mono_ms());
}

static void addr_text(const struct sockaddr_storage *ss, char buf[IPADDR_STRLEN])
{
	struct ipaddr ip;
	if (ip_from_sockaddr((const struct sockaddr *)ss, &ip, NULL))
		ipaddr_format(&ip, buf);
	else
		snprintf(buf, IPADDR_STRLEN, "?");
}

/* Once a rotation's grace is over, the previous key is erased. */
static void retire_key_if_due(struct l2_hb *h)
{
	if (l2_keys_expire(&h->keys, mono_ms()))
		log_info("l2", "the previous memberlist key is retired: heartbeats made with it are refused from now on");
}

/* ---- receiving ---- */

static void on_rx(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct l2_hb *h = arg;
	retire_key_if_due(h);
	for (int b = 0; b < RX_BATCH; b++) {
		uint8_t buf[HB_MAX_LEN + 1];
		struct sockaddr_storage from;
		socklen_t flen = sizeof from;
		ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_TRUNC, (struct sockaddr *)&from, &flen);
		if (n < 0)
			break;
		struct hb_key keys[L2_KEYS_MAX];
		uint64_t ids[L2_KEYS_MAX];
		size_t nkeys = l2_keys_accepting(&h->keys, mono_ms(), keys, ids), which = 0;
		if (!nkeys)
			continue;  /* no key: nothing can be authenticated */
		struct hb_msg m;
		char at[IPADDR_STRLEN];
		addr_text(&from, at);
		/* MSG_TRUNC: n is the datagram's real length; a longer one than fits is refused by its length. */
		enum hb_error e =
			hb_decode(buf, (size_t)n > sizeof buf ? sizeof buf : (size_t)n, keys, nkeys, &m, &which);
		if (e != HB_OK) {
			h->st.dropped++;
			if (may_log(h))
				log_warn("l2", "heartbeat from %s dropped: %s", at, hb_error_name(e));
			continue;
		}
		h->st.received++;
		h->recv(h->arg, &m, ids[which], at);
	}
	h->batch(h->arg);
}

/* ---- sending ---- */

static const struct hb_dest *find_dest(const struct l2_hb *h, const char *node)
{
	size_t lo = 0, hi = h->ndests;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(h->dests[mid].node, node);
		if (!r)
			return &h->dests[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void send_one(struct l2_hb *h, const struct hb_dest *d, const uint8_t *buf, size_t n)
{
	for (size_t a = 0; a < d->naddrs; a++) {
		const struct hb_addr *to = &d->addrs[a];
		int fd = to->ss.ss_family == AF_INET ? h->fd4 : h->fd6;
		if (fd < 0)
			continue;
		if (sendto(fd, buf, n, 0, (const struct sockaddr *)&to->ss, to->len) == (ssize_t)n) {
			h->st.sent++;
			continue;
		}
		h->st.send_errors++;
		if (may_log(h)) {
			char at[IPADDR_STRLEN];
			addr_text(&to->ss, at);
			log_warn("l2", "heartbeat to %s at %s: %s", d->node, at, strerror(errno));
		}
	}
}

void l2_hb_send(struct l2_hb *h, const struct hb_msg *m, uint64_t peer_key)
{
	const struct hb_dest *d = find_dest(h, m->to);
	if (!d)
		return;
	retire_key_if_due(h);
	struct hb_key keys[L2_KEYS_MAX];
	size_t nkeys = l2_keys_sending(&h->keys, peer_key, mono_ms(), keys);
	/*
	 * Every copy (one per address, one per key during a rotation) carries one
	 * sequence number: the receiver takes the first and drops the others quietly.
	 */
	for (size_t k = 0; k < nkeys; k++) {
		uint8_t buf[HB_MAX_LEN];
		size_t n = hb_encode(m, keys[k], buf, sizeof buf);
		if (n)
			send_one(h, d, buf, n);
	}
}

/* ---- the key ---- */

static const struct secret_entry *find_key(const struct config *c, const struct object **from)
{
	const struct objects *s = &c->kinds[KIND_SECRET];
	const struct object *pick = config_find(c, KIND_SECRET, MEMBERLIST_NS, MEMBERLIST_SECRET);
	for (size_t i = 0; i < s->n && !pick; i++)  /* file mode: any namespace */
		if (strcmp(s->v[i]->meta.name, MEMBERLIST_SECRET) == 0)
			pick = s->v[i];
	*from = pick;
	for (size_t i = 0; pick && i < pick->secret.n; i++)
		if (strcmp(pick->secret.v[i].key, MEMBERLIST_KEY) == 0)
			return &pick->secret.v[i];
	return NULL;
}

bool l2_hb_config_has_key(const struct config *c)
{
	const struct object *o;
	const struct secret_entry *e = find_key(c, &o);
	return e && e->len >= L2_HB_KEY_MIN_LEN;
}

bool l2_hb_set_key(struct l2_hb *h, const struct config *c, bool needed)
{
	enum log_level lvl = needed ? LOG_ERROR : LOG_DEBUG;  /* BGP-only: nothing depends on the key */
	const struct object *o;
	const struct secret_entry *e = find_key(c, &o);
	if (!l2_hb_config_has_key(c)) {
		if (!o)
			log_msg(lvl, "l2", "no Secret %s (key %s): speakers cannot authenticate each other's heartbeats, "
					"so this node answers only for VIPs no other node may own",
				  MEMBERLIST_SECRET, MEMBERLIST_KEY);
		else
			log_msg(lvl, "l2", "%s: key %s %s: this node answers only for VIPs no other node may own",
				  o->meta.id, MEMBERLIST_KEY, e ? "is shorter than 16 bytes" : "is missing");
		return false;  /* the caller says goodbye with the old key, then drops it */
	}
	bool rotating = l2_keys_grace_left(&h->keys, mono_ms()) > 0;
	if (l2_keys_set(&h->keys, (const uint8_t *)e->value, e->len, mono_ms()) == L2_KEYS_ROTATED)
		log_info("l2", "memberlist key changed: for %d s the previous one is still accepted, and sent to "
			       "speakers not yet heard with the new one%s",
			 (h->keys.grace_ms ? h->keys.grace_ms : L2_KEYS_GRACE_MS) / 1000,
			 rotating ? "; the key before it (a rotation ago) is retired now" : "");
	return true;
}

/* ---- destinations ---- */

static void dests_free(struct l2_hb *h)
{
	for (size_t i = 0; i < h->ndests; i++) {
		free(h->dests[i].node);
		free(h->dests[i].addrs);
	}
	free(h->dests);
	h->dests = NULL;
	h->ndests = 0;
}

void l2_hb_set_nodes(struct l2_hb *h, const struct config *c, const char *self)
{
	const struct objects *nodes = &c->kinds[KIND_NODE];
	dests_free(h);
	h->dests = xcalloc(nodes->n + 1, sizeof(*h->dests));
	for (size_t i = 0; i < nodes->n; i++) {  /* kept sorted by name */
		const struct object *o = nodes->v[i];
		if (strcmp(o->meta.name, self) == 0)
			continue;
		struct hb_dest *d = &h->dests[h->ndests++];
		d->node = xstrdup(o->meta.name);
		d->addrs = xcalloc(o->node.naddrs + 1, sizeof(*d->addrs));
		for (size_t a = 0; a < o->node.naddrs; a++) {
			const struct node_address *na = &o->node.addrs[a];
			if (na->type && strcmp(na->type, "InternalIP") == 0 && na->ip.family != IPF_NONE) {
				struct hb_addr *to = &d->addrs[d->naddrs++];
				sockaddr_from_ip(&na->ip, h->port, &to->ss, &to->len);
			}
		}
		if (!d->naddrs)
			log_warn("l2", "Node %s has no InternalIP address: no heartbeats go to it", o->meta.name);
	}
}

/* ---- life cycle ---- */

static int open_socket(int family, uint16_t port)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1, tos = DSCP_CS6;
	struct ipaddr any = {.family = family == AF_INET ? IPF_V4 : IPF_V6};
	struct sockaddr_storage ss;
	socklen_t len;
	sockaddr_from_ip(&any, port, &ss, &len);
	if (family == AF_INET) {
		setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

void l2_hb_set_key_grace(struct l2_hb *h, unsigned ms)
{
	h->keys.grace_ms = ms;
}

struct l2_hb *l2_hb_new(struct event_base *base, uint16_t port, l2_hb_recv_fn recv, l2_hb_batch_fn batch,
			void *arg)
{
	struct l2_hb *h = xcalloc(1, sizeof(*h));
	h->port = port;
	h->recv = recv;
	h->batch = batch;
	h->arg = arg;
	rate_limit_init(&h->log_rl, 1, 5, mono_ms());
	h->fd4 = open_socket(AF_INET, port);
	if (h->fd4 < 0)
		log_error("l2", "heartbeat socket on UDP port %u (IPv4): %s", port, strerror(errno));
	h->fd6 = open_socket(AF_INET6, port);
	if (h->fd6 < 0 && errno != EAFNOSUPPORT)
		log_error("l2", "heartbeat socket on UDP port %u (IPv6): %s", port, strerror(errno));
	if (h->fd4 < 0 && h->fd6 < 0) {
		l2_hb_free(h);
		return NULL;
	}
	if (h->fd4 >= 0)
		h->ev4 = event_new(base, h->fd4, EV_READ | EV_PERSIST, on_rx, h);
	if (h->fd6 >= 0)
		h->ev6 = event_new(base, h->fd6, EV_READ | EV_PERSIST, on_rx, h);
	if ((h->fd4 >= 0 && (!h->ev4 || event_add(h->ev4, NULL) < 0)) ||
	    (h->fd6 >= 0 && (!h->ev6 || event_add(h->ev6, NULL) < 0))) {
		log_error("l2", "cannot watch the heartbeat sockets");
		l2_hb_free(h);
		return NULL;
	}
	return h;
}

void l2_hb_free(struct l2_hb *h)
{
	if (!h)
		return;
	if (h->ev4)
		event_free(h->ev4);
	if (h->ev6)
		event_free(h->ev6);
	if (h->fd4 >= 0)
		close(h->fd4);
	if (h->fd6 >= 0)
		close(h->fd6);
	dests_free(h);
	l2_keys_clear(&h->keys);
	free(h);
}

void l2_hb_drop_key(struct l2_hb *h)
{
	l2_keys_clear(&h->keys);
}

uint64_t l2_hb_current_key(const struct l2_hb *h)
{
	return l2_keys_current_id(&h->keys);
}

uint64_t l2_hb_key_grace_left(const struct l2_hb *h)
{
	return l2_keys_grace_left(&h->keys, mono_ms());
}

void l2_hb_stats(const struct l2_hb *h, struct l2_hb_stats *out)
{
	*out = h->st;
}
