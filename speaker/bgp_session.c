#include "bgp_session.h"

#include <errno.h>
#include <stdarg.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bgp.h"
#include "bgp_rib_out.h"
#include "bgp_socket.h"
#include "log.h"
#include "xalloc.h"

#define OPEN_HOLD_S 240           /* hold time until the OPEN arrives (RFC 4271 8.2.2: "4 minutes") */
#define RETRY_FIRST_MS 1000       /* first ConnectRetry interval unless connectTime says */
#define RETRY_MAX_MS 60000        /* backoff ceiling */
#define STABLE_S 30               /* Established this long: the backoff starts over */
#define GR_RESTART_TIME 120       /* seconds the peer keeps our routes while we restart */
#define MSGS_PER_WAKEUP 512       /* bound on work per read event (STYLE 9) */
#define CONNECT_TIMEOUT_S 10       /* a TCP connection attempt gives up after this */
#define CLOSE_FLUSH_S 2           /* how long a closing connection may take to flush its NOTIFICATION */

struct bgp_conn {
	struct bgp_session *s;     /* NULL once detached to flush a NOTIFICATION */
	struct bufferevent *bev;
	bool outgoing;
	enum bgp_state state;      /* BS_CONNECT, BS_OPENSENT, BS_OPENCONFIRM or BS_ESTABLISHED */
	struct bgp_open peer_open;
	struct event *hold, *keepalive, *more;
	uint16_t hold_s, keepalive_s;
	struct ipaddr local;
};

struct bgp_session {
	struct event_base *base;
	struct bgp_session_config cfg;
	char name[80];              /* "bgp 192.0.2.1" for logs */
	enum bgp_state state;
	struct bgp_conn *out, *in, *est;
	struct event *retry;
	unsigned failures;
	time_t established_at, state_since;
	bool restarted;
	struct rib_set desired;
	struct rib_peer rib;
	struct {
		uint64_t msgs_in, msgs_out, updates_in, prefixes_in, withdrawn_in, treat_as_withdraw, eor_in;
		uint64_t announced, withdrawn, flaps;
		char last_error[200];
	} st;
};

static unsigned closing_conns;

static const char *const state_names[] = {"Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"};

const char *bgp_state_name(enum bgp_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(*state_names) ? state_names[s] : "?";
}

const char *bgp_session_config_diff(const struct bgp_session_config *a, const struct bgp_session_config *b)
{
#define DIFF(f, what) if (memcmp(&a->f, &b->f, sizeof(a->f)) != 0) return what
	DIFF(local_as, "myASN");
	DIFF(peer_as, "peerASN");
	DIFF(dynamic, "dynamicASN");
	DIFF(peer, "peerAddress");
	DIFF(source, "sourceAddress");
	DIFF(port, "peerPort");
	DIFF(router_id, "routerID (or the node's address)");
	DIFF(hold_time, "holdTime");
	DIFF(keepalive_time, "keepaliveTime");
	DIFF(connect_retry_ms, "connectTime");
	DIFF(multihop, "ebgpMultiHop");
	DIFF(graceful_restart, "enableGracefulRestart");
	DIFF(disable_mp, "disableMP");
	DIFF(dual_stack, "dualStackAddressFamily");
	DIFF(password, "the password");
	DIFF(other_next_hop, "the node's other-family address");
	DIFF(name, "name");
#undef DIFF
	return NULL;
}

/* ---- helpers ---- */

static uint32_t jittered_ms(uint32_t ms)
{
	/* RFC 4271 10: jitter between 0.75 and 1.0 of the value. */
	return ms - (uint32_t)((uint64_t)ms * (uint32_t)(random() % 250) / 1000);
}

static void timer_ms(struct event *ev, uint32_t ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(ev, &tv);
}

static void session_state(struct bgp_session *s, enum bgp_state to)
{
	if (s->state == to)
		return;
	log_info(s->name, "%s -> %s", bgp_state_name(s->state), bgp_state_name(to));
	s->state = to;
	s->state_since = time(NULL);
}

static bool ibgp(const struct bgp_session *s, const struct bgp_conn *c)
{
	return bgp_open_asn(&c->peer_open) == s->cfg.local_as;
}

static void conn_send(struct bgp_conn *c, const uint8_t *msg, size_t len)
{
	if (!len)
		return;
	bufferevent_write(c->bev, msg, len);
	if (c->s)
		c->s->st.msgs_out++;
}

/* ---- closing ---- */

static void conn_free(struct bgp_conn *c)
{
	if (c->hold)
		event_free(c->hold);
	if (c->keepalive)
		event_free(c->keepalive);
	if (c->more)
		event_free(c->more);
	if (c->bev)
		bufferevent_free(c->bev);
	free(c);
}

static void detached_flushed(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct bgp_conn *c = arg;
	closing_conns--;
	conn_free(c);
}

static void detached_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	detached_flushed(bev, arg);
}

static void detached_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	detached_flushed(NULL, arg);
}

static void session_retry_later(struct bgp_session *s);

/*
 * Takes c out of its session. With code, the NOTIFICATION goes out first and
 * the connection lingers until it is flushed (or CLOSE_FLUSH_S pass).
 */
static void conn_close(struct bgp_conn *c, uint8_t code, uint8_t subcode, const void *data, size_t len)
{
	struct bgp_session *s = c->s;
	if (s) {
		if (s->out == c)
			s->out = NULL;
		if (s->in == c)
			s->in = NULL;
		if (s->est == c) {
			s->est = NULL;
			s->st.flaps++;
		}
		c->s = NULL;
	}
	if (c->hold)
		evtimer_del(c->hold);
	if (c->keepalive)
		evtimer_del(c->keepalive);
	if (c->more)
		evtimer_del(c->more);
	/*
	 * Never freed here: the caller may be this connection's own read
	 * callback. A timer (the hold timer, reused) frees it from the loop.
	 */
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setcb(c->bev, NULL, detached_flushed, detached_event, c);
	closing_conns++;
	event_assign(c->hold, bufferevent_get_base(c->bev), -1, 0, detached_timeout, c);
	if (!code || c->state == BS_CONNECT) {
		bufferevent_disable(c->bev, EV_WRITE);
		timer_ms(c->hold, 0);
		return;
	}
	uint8_t buf[BGP_HEADER_LEN + 2 + 64];
	size_t n = bgp_notification_encode(code, subcode, data, len > 64 ? 64 : len, buf, sizeof(buf));
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_write(c->bev, buf, n);
	timer_ms(c->hold, CLOSE_FLUSH_S * 1000);
}

/* After a connection of s ends: the session's state, and when to dial again. */
static void session_after_close(struct bgp_session *s, bool was_established)
{
	if (s->est)
		return;
	if (s->out || s->in) {
		enum bgp_state best = BS_CONNECT;
		if (s->out && s->out->state > best)
			best = s->out->state;
		if (s->in && s->in->state > best)
			best = s->in->state;
		session_state(s, best);
		return;
	}
	if (was_established && time(NULL) - s->established_at >= STABLE_S)
		s->failures = 0;
	else
		s->failures++;
	session_state(s, BS_ACTIVE);
	session_retry_later(s);
}

static void conn_fail(struct bgp_conn *c, uint8_t code, uint8_t subcode, const void *data, size_t len,
		      const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void conn_fail(struct bgp_conn *c, uint8_t code, uint8_t subcode, const void *data, size_t len,
		      const char *fmt, ...)
{
	struct bgp_session *s = c->s;
	bool was_est = s && s->est == c;
	if (s) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->st.last_error, sizeof(s->st.last_error), fmt, ap);
		va_end(ap);
		if (code)
			log_warn(s->name, "%s; sending NOTIFICATION %s / %s", s->st.last_error, bgp_err_code_name(code),
				 bgp_err_subcode_name(code, subcode));
		else
			log_warn(s->name, "%s", s->st.last_error);
	}
	conn_close(c, code, subcode, data, len);
	if (s)
		session_after_close(s, was_est);
}

/* ---- timers ---- */

static void hold_expired(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct bgp_conn *c = arg;
	conn_fail(c, BGP_ERR_HOLD, 0, NULL, 0, "hold timer expired: nothing received for %u s",
		  c->state == BS_OPENSENT ? OPEN_HOLD_S : c->hold_s);
}

static void hold_restart(struct bgp_conn *c)
{
	if (c->state == BS_OPENSENT)
		timer_ms(c->hold, OPEN_HOLD_S * 1000);
	else if (c->hold_s)
		timer_ms(c->hold, c->hold_s * 1000u);
	else
		evtimer_del(c->hold);
}

static void send_keepalive(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct bgp_conn *c = arg;
	uint8_t buf[BGP_HEADER_LEN];
	conn_send(c, buf, bgp_keepalive_encode(buf, sizeof(buf)));
	if (c->keepalive_s)
		timer_ms(c->keepalive, jittered_ms(c->keepalive_s * 1000u));
}

/* ---- sending routes ---- */

static void emit_to_conn(const uint8_t *msg, size_t len, void *arg)
{
	conn_send(arg, msg, len);
}

static void rib_peer_setup(struct bgp_session *s, struct bgp_conn *c)
{
	const struct bgp_caps *caps = &c->peer_open.caps;
	struct rib_peer *r = &s->rib;
	bool any_mp = caps->mp[BGP_AF_IPV4] || caps->mp[BGP_AF_IPV6];
	uint8_t fam = s->cfg.peer.family;

	memset(r, 0, sizeof(*r));
	r->af[BGP_AF_IPV4] = any_mp ? caps->mp[BGP_AF_IPV4] : true;
	r->af[BGP_AF_IPV6] = caps->mp[BGP_AF_IPV6];
	if (s->cfg.disable_mp)
		r->af[fam == IPF_V4 ? BGP_AF_IPV6 : BGP_AF_IPV4] = false;
	/* A family other than the session's needs a next hop of its own. */
	const struct ipaddr *other = &s->cfg.other_next_hop;
	if (fam == IPF_V4) {
		memcpy(r->base.next_hop4, c->local.b, 4);
		if (s->cfg.dual_stack && other->family == IPF_V6)
			memcpy(r->base.next_hop6, other->b, 16);
		else
			r->af[BGP_AF_IPV6] = false;
	} else {
		memcpy(r->base.next_hop6, c->local.b, 16);
		if (s->cfg.dual_stack && other->family == IPF_V4)
			memcpy(r->base.next_hop4, other->b, 4);
		else
			r->af[BGP_AF_IPV4] = false;
	}
	r->base.origin = 0;
	r->base.ebgp = !ibgp(s, c);
	r->base.local_as = s->cfg.local_as;
	r->base.peer_as4 = caps->as4;
}

static void send_end_of_rib(struct bgp_conn *c)
{
	uint8_t buf[64];
	for (int f = 0; f < BGP_AF_COUNT; f++)
		if (c->s->rib.af[f])
			conn_send(c, buf, bgp_end_of_rib_encode((enum bgp_af)f, buf, sizeof(buf)));
}

static void send_full_table(struct bgp_session *s, struct bgp_conn *c, bool end_of_rib)
{
	struct rib_diff_stats st = {0};
	rib_diff(NULL, &s->desired, &s->rib, emit_to_conn, c, &st);
	if (end_of_rib)
		send_end_of_rib(c);
	s->st.announced += st.announced;
	log_info(s->name, "sent %zu routes in %zu UPDATEs%s", st.announced, st.messages,
		 end_of_rib ? ", then End-of-RIB" : " (route refresh)");
}

void bgp_session_set_routes(struct bgp_session *s, const struct plan_route *routes, size_t n,
			    const struct plan_attrs *attrs, size_t nattrs)
{
	struct rib_set next = {0};
	rib_set_copy(&next, routes, n, attrs, nattrs);
	if (s->est) {
		struct rib_diff_stats st = {0};
		rib_diff(&s->desired, &next, &s->rib, emit_to_conn, s->est, &st);
		s->st.announced += st.announced;
		s->st.withdrawn += st.withdrawn;
		if (st.messages)
			log_info(s->name, "announced %zu, withdrew %zu routes in %zu UPDATEs", st.announced,
				 st.withdrawn, st.messages);
	}
	rib_set_clear(&s->desired);
	s->desired = next;
}

/* ---- receiving ---- */

static void established(struct bgp_session *s, struct bgp_conn *c)
{
	c->state = BS_ESTABLISHED;
	s->est = c;
	struct bgp_conn *other = c == s->out ? s->in : s->out;
	if (other)
		conn_close(other, BGP_ERR_CEASE, BGP_CEASE_COLLISION, NULL, 0);
	s->established_at = time(NULL);
	s->st.last_error[0] = 0;
	session_state(s, BS_ESTABLISHED);
	char nh[IPADDR_STRLEN];
	ipaddr_format(&c->local, nh);
	log_info(s->name, "established: AS %u, router ID %u.%u.%u.%u, hold %u s, keepalive %u s, %s, local address %s",
		 bgp_open_asn(&c->peer_open), c->peer_open.bgp_id >> 24, (c->peer_open.bgp_id >> 16) & 255,
		 (c->peer_open.bgp_id >> 8) & 255, c->peer_open.bgp_id & 255, c->hold_s, c->keepalive_s,
		 ibgp(s, c) ? "iBGP" : "eBGP", nh);
	rib_peer_setup(s, c);
	send_full_table(s, c, true);
	s->restarted = false;
}

/* RFC 4271 6.8: the connection the BGP speaker with the higher Identifier opened survives. */
static bool resolve_collision(struct bgp_session *s, struct bgp_conn *c)
{
	struct bgp_conn *other = c == s->out ? s->in : s->out;
	if (!other)
		return true;
	if (other->state == BS_CONNECT) {
		conn_close(other, 0, 0, NULL, 0);
		return true;
	}
	bool keep_outgoing = s->cfg.router_id > c->peer_open.bgp_id;
	struct bgp_conn *loser = (c->outgoing == keep_outgoing) ? other : c;
	log_info(s->name, "connection collision: keeping the connection %s opened",
		 keep_outgoing ? "we" : "the peer");
	conn_close(loser, BGP_ERR_CEASE, BGP_CEASE_COLLISION, NULL, 0);
	return loser != c;
}

static bool check_peer_as(struct bgp_session *s, struct bgp_conn *c)
{
	uint32_t as = bgp_open_asn(&c->peer_open);
	const char *want = NULL;
	char wbuf[64];
	if (s->cfg.peer_as && as != s->cfg.peer_as) {
		snprintf(wbuf, sizeof(wbuf), "peerASN %u", s->cfg.peer_as);
		want = wbuf;
	} else if (!s->cfg.peer_as && s->cfg.dynamic == DYNAMIC_ASN_INTERNAL && as != s->cfg.local_as) {
		snprintf(wbuf, sizeof(wbuf), "an internal peer (AS %u, dynamicASN internal)", s->cfg.local_as);
		want = wbuf;
	} else if (!s->cfg.peer_as && s->cfg.dynamic == DYNAMIC_ASN_EXTERNAL && as == s->cfg.local_as) {
		want = "an external peer (dynamicASN external)";
	}
	if (!want)
		return true;
	uint8_t data[2] = {(uint8_t)(c->peer_open.my_as >> 8), (uint8_t)c->peer_open.my_as};
	conn_fail(c, BGP_ERR_OPEN, BGP_OPEN_BAD_PEER_AS, data, 2,
		  "ASN mismatch: the peer's OPEN says AS %u, BGPPeer %s expects %s", as, s->cfg.name, want);
	return false;
}

static void on_open(struct bgp_conn *c, const uint8_t *body, size_t len)
{
	struct bgp_session *s = c->s;
	struct bgp_error err = {0};
	if (c->state != BS_OPENSENT) {
		conn_fail(c, BGP_ERR_FSM, 0, NULL, 0, "OPEN received in state %s", bgp_state_name(c->state));
		return;
	}
	if (!bgp_open_decode(body, len, &c->peer_open, &err)) {
		conn_fail(c, err.code, err.subcode, err.data, err.len, "bad OPEN: %s", err.why);
		return;
	}
	if (!check_peer_as(s, c))
		return;
	if (c->peer_open.bgp_id == s->cfg.router_id && ibgp(s, c)) {
		uint8_t id[4] = {c->peer_open.bgp_id >> 24, c->peer_open.bgp_id >> 16, c->peer_open.bgp_id >> 8,
				 c->peer_open.bgp_id};
		conn_fail(c, BGP_ERR_OPEN, BGP_OPEN_BAD_BGP_ID, id, 4,
			  "the peer's BGP Identifier equals our router ID (RFC 6286: not allowed within an AS)");
		return;
	}
	if (!resolve_collision(s, c))
		return;
	uint16_t ph = c->peer_open.hold_time, mine = s->cfg.hold_time;
	c->hold_s = ph < mine ? ph : mine;
	c->keepalive_s = 0;
	if (c->hold_s) {
		c->keepalive_s = s->cfg.keepalive_time ? s->cfg.keepalive_time : c->hold_s / 3;
		if (c->keepalive_s > c->hold_s / 3)
			c->keepalive_s = c->hold_s / 3;
		if (!c->keepalive_s)
			c->keepalive_s = 1;
	}
	c->state = BS_OPENCONFIRM;
	session_state(s, BS_OPENCONFIRM);
	send_keepalive(-1, 0, c);
	hold_restart(c);
}

static void count_nlri(const uint8_t *p, size_t len, uint8_t family, uint64_t *counter)
{
	struct bgp_prefix pfx;
	while (bgp_nlri_next(&p, &len, family, &pfx))
		(*counter)++;
}

static void on_update(struct bgp_conn *c, const uint8_t *body, size_t len)
{
	struct bgp_session *s = c->s;
	struct bgp_update u;
	struct bgp_error err = {0};
	if (c->state != BS_ESTABLISHED) {
		conn_fail(c, BGP_ERR_FSM, 0, NULL, 0, "UPDATE received in state %s", bgp_state_name(c->state));
		return;
	}
	if (!bgp_update_decode(body, len, c->peer_open.caps.as4, ibgp(s, c), &u, &err)) {
		conn_fail(c, err.code, err.subcode, err.data, err.len, "bad UPDATE: %s", err.why);
		return;
	}
	s->st.updates_in++;
	if (u.end_of_rib) {
		s->st.eor_in++;
		return;
	}
	uint64_t gone = 0, came = 0;
	count_nlri(u.withdrawn, u.withdrawn_len, 4, &gone);
	if (u.mp_unreach)
		count_nlri(u.mp_withdrawn, u.mp_withdrawn_len, u.mp_unreach_af == BGP_AF_IPV4 ? 4 : 6, &gone);
	count_nlri(u.nlri, u.nlri_len, 4, &came);
	if (u.mp_reach)
		count_nlri(u.mp_nlri, u.mp_nlri_len, u.mp_reach_af == BGP_AF_IPV4 ? 4 : 6, &came);
	if (u.treat_as_withdraw) {
		s->st.treat_as_withdraw++;
		log_warn(s->name, "UPDATE treated as withdraw (RFC 7606): %s", u.why);
		gone += came;
		came = 0;
	}
	s->st.prefixes_in += came;
	s->st.withdrawn_in += gone;
}

static void on_notification(struct bgp_conn *c, const uint8_t *body, size_t len)
{
	struct bgp_session *s = c->s;
	uint8_t code = 0, sub = 0;
	const uint8_t *data = NULL;
	size_t dlen = 0;
	bgp_notification_decode(body, len, &code, &sub, &data, &dlen);
	const char *hint = "";
	if (code == BGP_ERR_OPEN && sub == BGP_OPEN_BAD_PEER_AS)
		hint = " (ASN mismatch: the peer expects another AS than our myASN)";
	else if (code == BGP_ERR_OPEN && sub == BGP_OPEN_BAD_BGP_ID)
		hint = " (the peer refuses our router ID)";
	conn_fail(c, 0, 0, NULL, 0, "peer sent NOTIFICATION %s / %s%s, %zu bytes of data", bgp_err_code_name(code),
		  bgp_err_subcode_name(code, sub), hint, dlen);
	(void)s;
}

static void on_message(struct bgp_conn *c, uint8_t type, const uint8_t *body, size_t len)
{
	struct bgp_session *s = c->s;
	s->st.msgs_in++;
	if (type != BGP_NOTIFICATION)
		hold_restart(c);
	switch (type) {
	case BGP_OPEN:
		on_open(c, body, len);
		break;
	case BGP_UPDATE:
		on_update(c, body, len);
		break;
	case BGP_NOTIFICATION:
		on_notification(c, body, len);
		break;
	case BGP_KEEPALIVE:
		if (c->state == BS_OPENCONFIRM)
			established(s, c);
		else if (c->state != BS_ESTABLISHED)
			conn_fail(c, BGP_ERR_FSM, 0, NULL, 0, "KEEPALIVE received in state %s",
				  bgp_state_name(c->state));
		break;
	case BGP_ROUTE_REFRESH: {
		enum bgp_af af;
		struct bgp_error err = {0};
		if (c->state != BS_ESTABLISHED)
			conn_fail(c, BGP_ERR_FSM, 0, NULL, 0, "ROUTE-REFRESH received in state %s",
				  bgp_state_name(c->state));
		else if (bgp_route_refresh_decode(body, len, &af, &err)) {
			if (s->rib.af[af])
				send_full_table(s, c, false);  /* RFC 2918: the Adj-RIB-Out again */
		} else if (err.code) {
			conn_fail(c, err.code, err.subcode, err.data, err.len, "bad ROUTE-REFRESH: %s", err.why);
		}
		break;
	}
	}
}

static void conn_read(struct bufferevent *bev, void *arg)
{
	struct bgp_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	for (int k = 0; k < MSGS_PER_WAKEUP && c->s; k++) {
		size_t avail = evbuffer_get_length(in), mlen = 0;
		if (avail < BGP_HEADER_LEN)
			return;
		uint8_t type = 0;
		struct bgp_error err = {0};
		const uint8_t *hdr = evbuffer_pullup(in, BGP_HEADER_LEN);
		int r = bgp_header_check(hdr, avail, &mlen, &type, &err);
		if (r < 0) {
			conn_fail(c, err.code, err.subcode, err.data, err.len, "bad message header: %s", err.why);
			return;
		}
		if (r == 0 || avail < mlen)
			return;
		const uint8_t *msg = evbuffer_pullup(in, (ev_ssize_t)mlen);
		on_message(c, type, msg + BGP_HEADER_LEN, mlen - BGP_HEADER_LEN);
		if (!c->s)
			return;  /* closed: c is detached, its input no longer matters */
		evbuffer_drain(in, mlen);
	}
	if (c->s && evbuffer_get_length(in) >= BGP_HEADER_LEN)
		event_active(c->more, EV_TIMEOUT, 0);
}

static void conn_more(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct bgp_conn *c = arg;
	conn_read(c->bev, c);
}

static void send_open(struct bgp_conn *c)
{
	struct bgp_session *s = c->s;
	struct bgp_open o = {.version = 4, .hold_time = s->cfg.hold_time, .bgp_id = s->cfg.router_id};
	o.my_as = s->cfg.local_as > 65535 ? BGP_AS_TRANS : (uint16_t)s->cfg.local_as;
	o.caps.as4 = true;
	o.caps.as4_number = s->cfg.local_as;
	o.caps.route_refresh = true;
	uint8_t fam = s->cfg.peer.family;
	o.caps.mp[BGP_AF_IPV4] = fam == IPF_V4 || !s->cfg.disable_mp;
	o.caps.mp[BGP_AF_IPV6] = fam == IPF_V6 || !s->cfg.disable_mp;
	if (s->cfg.graceful_restart) {
		o.caps.graceful_restart = true;
		o.caps.gr_restarting = s->restarted;
		o.caps.gr_time = GR_RESTART_TIME;
		for (int f = 0; f < BGP_AF_COUNT; f++) {
			o.caps.gr_af[f] = o.caps.mp[f];
			/* The forwarding plane (kube-proxy on the node) survives a speaker restart. */
			o.caps.gr_af_forwarding[f] = o.caps.mp[f];
		}
	}
	uint8_t buf[BGP_MAX_LEN];
	conn_send(c, buf, bgp_open_encode(&o, buf, sizeof(buf)));
	c->state = BS_OPENSENT;
	hold_restart(c);
}

static void conn_connected(struct bgp_conn *c)
{
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(bufferevent_getfd(c->bev), (struct sockaddr *)&ss, &sl) == 0)
		ip_from_sockaddr((struct sockaddr *)&ss, &c->local, NULL);
	send_open(c);
	if (c->s->state < BS_OPENSENT)
		session_state(c->s, BS_OPENSENT);
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct bgp_conn *c = arg;
	if (what & BEV_EVENT_CONNECTED) {
		conn_connected(c);
		return;
	}
	int e = EVUTIL_SOCKET_ERROR();
	if (c->state == BS_CONNECT)
		conn_fail(c, 0, 0, NULL, 0, "connect to port %u: %s", c->s->cfg.port,
			  what & BEV_EVENT_TIMEOUT ? "no answer" : what & BEV_EVENT_ERROR ? strerror(e) : "closed");
	else
		conn_fail(c, 0, 0, NULL, 0, "connection %s in state %s",
			  what & BEV_EVENT_EOF ? "closed by the peer" : strerror(e), bgp_state_name(c->state));
}

static struct bgp_conn *conn_new(struct bgp_session *s, int fd, bool outgoing)
{
	struct bgp_conn *c = xcalloc(1, sizeof(*c));
	c->s = s;
	c->outgoing = outgoing;
	c->state = BS_CONNECT;
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		close(fd);
		free(c);
		return NULL;
	}
	c->hold = evtimer_new(s->base, hold_expired, c);
	c->keepalive = evtimer_new(s->base, send_keepalive, c);
	c->more = evtimer_new(s->base, conn_more, c);
	bufferevent_setcb(c->bev, conn_read, NULL, conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return c;
}

static int session_ttl(const struct bgp_session *s)
{
	if (s->cfg.peer_as == s->cfg.local_as || (!s->cfg.peer_as && s->cfg.dynamic == DYNAMIC_ASN_INTERNAL))
		return 0;
	return s->cfg.multihop ? BGP_TTL_MULTIHOP : BGP_TTL_EBGP;
}

static void session_dial(evutil_socket_t fd_unused, short what, void *arg)
{
	(void)fd_unused, (void)what;
	struct bgp_session *s = arg;
	if (s->out || s->est)
		return;
	const char *why = "";
	int fd = bgp_socket_client(&s->cfg.peer, &s->cfg.source, s->cfg.password, session_ttl(s), &why);
	if (fd < 0) {
		snprintf(s->st.last_error, sizeof(s->st.last_error), "%s: %s", why, strerror(errno));
		log_warn(s->name, "cannot dial: %s", s->st.last_error);
		s->failures++;
		session_retry_later(s);
		return;
	}
	struct bgp_conn *c = conn_new(s, fd, true);
	if (!c) {
		s->failures++;
		session_retry_later(s);
		return;
	}
	s->out = c;
	struct sockaddr_storage ss;
	socklen_t sl;
	sockaddr_from_ip(&s->cfg.peer, s->cfg.port, &ss, &sl);
	if (s->state < BS_CONNECT || s->state == BS_ACTIVE)
		session_state(s, BS_CONNECT);
	/* Without a deadline a peer that drops SYNs holds the attempt for minutes of kernel retries. */
	struct timeval deadline = {CONNECT_TIMEOUT_S, 0};
	bufferevent_set_timeouts(c->bev, NULL, &deadline);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&ss, (int)sl) < 0)
		conn_fail(c, 0, 0, NULL, 0, "connect: %s", strerror(errno));
}

static void session_retry_later(struct bgp_session *s)
{
	uint32_t ms = s->cfg.connect_retry_ms ? s->cfg.connect_retry_ms : RETRY_FIRST_MS;
	for (unsigned k = 1; k < s->failures && ms < RETRY_MAX_MS; k++)
		ms *= 2;
	if (ms > RETRY_MAX_MS)
		ms = RETRY_MAX_MS;
	ms = jittered_ms(ms);
	log_debug(s->name, "next connection attempt in %u ms", ms);
	timer_ms(s->retry, ms);
}

void bgp_session_accept(struct bgp_session *s, int fd)
{
	if (s->est) {
		if (!s->est->peer_open.caps.graceful_restart) {
			log_info(s->name, "refusing a second connection: the session is Established");
			struct bgp_conn *c = conn_new(s, fd, false);
			if (c) {
				c->state = BS_OPENSENT;  /* so that the NOTIFICATION is sent */
				s->in = c;
				conn_close(c, BGP_ERR_CEASE, BGP_CEASE_CONNECTION_REJECTED, NULL, 0);
			}
			return;
		}
		/* RFC 4724 4.2: a new connection from a restarting peer replaces the old one. */
		log_info(s->name, "the peer reconnected (graceful restart): dropping the old connection");
		conn_close(s->est, 0, 0, NULL, 0);
	}
	if (s->in)
		conn_close(s->in, BGP_ERR_CEASE, BGP_CEASE_COLLISION, NULL, 0);
	bgp_socket_ttl(fd, s->cfg.peer.family, session_ttl(s));
	struct bgp_conn *c = conn_new(s, fd, false);
	if (!c)
		return;
	s->in = c;
	evtimer_del(s->retry);
	conn_connected(c);
}

struct bgp_session *bgp_session_new(struct event_base *base, const struct bgp_session_config *cfg, bool restarted)
{
	struct bgp_session *s = xcalloc(1, sizeof(*s));
	char addr[IPADDR_STRLEN];
	s->base = base;
	s->cfg = *cfg;
	s->restarted = restarted;
	ipaddr_format(&cfg->peer, addr);
	snprintf(s->name, sizeof(s->name), "bgp %s", addr);
	s->state = BS_IDLE;
	s->state_since = time(NULL);
	s->retry = evtimer_new(base, session_dial, s);
	log_info(s->name, "new session for BGPPeer %s: AS %u -> AS %u%s, port %u", cfg->name, cfg->local_as,
		 cfg->peer_as, cfg->peer_as ? "" : " (dynamic)", cfg->port);
	event_active(s->retry, EV_TIMEOUT, 0);
	return s;
}

const struct bgp_session_config *bgp_session_cfg(const struct bgp_session *s)
{
	return &s->cfg;
}

enum bgp_state bgp_session_state(const struct bgp_session *s)
{
	return s->state;
}

void bgp_session_close(struct bgp_session *s, uint8_t cease_subcode)
{
	log_info(s->name, "closing: Cease / %s", bgp_err_subcode_name(BGP_ERR_CEASE, cease_subcode));
	if (s->out)
		conn_close(s->out, BGP_ERR_CEASE, cease_subcode, NULL, 0);
	if (s->in)
		conn_close(s->in, BGP_ERR_CEASE, cease_subcode, NULL, 0);
	event_free(s->retry);
	rib_set_clear(&s->desired);
	free(s);
}

unsigned bgp_closing_count(void)
{
	return closing_conns;
}

json_t *bgp_session_status(const struct bgp_session *s)
{
	char addr[IPADDR_STRLEN];
	ipaddr_format(&s->cfg.peer, addr);
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "peer", s->cfg.name, "address", addr,
			      "state", bgp_state_name(s->state), "since", (json_int_t)s->state_since, "routes",
			      (json_int_t)s->desired.n, "prefixes_received", (json_int_t)s->st.prefixes_in,
			      "updates_received", (json_int_t)s->st.updates_in, "flaps", (json_int_t)s->st.flaps);
	if (s->st.last_error[0])
		json_object_set_new(j, "last_error", json_string(s->st.last_error));
	return j;
}
