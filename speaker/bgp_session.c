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
#include "bgp_linger.h"
#include "bgp_rib_out.h"
#include "bgp_socket.h"
#include "bgp_unnumbered.h"
#include "clock.h"
#include "log.h"
#include "xalloc.h"

#define OPEN_HOLD_S 240           /* hold time until the OPEN arrives (RFC 4271 8.2.2: "4 minutes") */
#define RETRY_FIRST_MS 1000       /* first ConnectRetry interval without connectTime */
#define RETRY_MAX_MS 60000        /* backoff ceiling */
#define STABLE_MS 30000           /* Established this long: the backoff starts over */
#define GR_RESTART_TIME 120       /* seconds the peer keeps our routes while we restart */
#define MSGS_PER_WAKEUP 512       /* bound on work per read event (STYLE 9) */
#define CONNECT_TIMEOUT_S 10      /* a TCP connection attempt gives up after this */
#define CLOSE_FLUSH_MS 2000       /* how long a closing connection may take to flush its NOTIFICATION */
/*
 * Damping of link bandwidth (README, "Link bandwidth"): an update that only
 * changes link bandwidths goes out at most this often per session; held
 * back, the latest one goes when the interval ends. Anything else (a route
 * announced, withdrawn, or another attribute changed) goes at once, with
 * the bandwidths of the moment.
 */
#define LINK_BW_MIN_INTERVAL_MS 5000
#define OUT_MAX (32u << 20)       /* output one connection may queue; past it the peer is not reading */

enum { SLOT_OUT, SLOT_IN, SLOTS };
static const char *const slot_names[SLOTS] = {"outgoing", "incoming"};

/* The events of a connection's state machine (RFC 4271 8.1, those this speaker tells apart). */
enum conn_event {
	CE_TCP_UP,             /* connected, or accepted */
	CE_TCP_FAIL,           /* connect failed, or the connection closed or broke */
	CE_HOLD_EXPIRED,       /* in Connect: the connect deadline */
	CE_SEND_HOLD_EXPIRED,  /* RFC 9687: the peer read nothing for the hold time */
	CE_KEEPALIVE_TIMER,
	CE_OPEN,
	CE_KEEPALIVE,
	CE_UPDATE,
	CE_NOTIFICATION,
	CE_ROUTE_REFRESH,
	CE_MSG_ERROR,          /* a malformed message: the input carries the NOTIFICATION */
	CE_STOP,               /* a local decision (stop, de-configure, collision, takeover, output full) */
	CE_COUNT
};
static const char *const event_names[CE_COUNT] = {
	"TCP up", "TCP failed", "hold timer", "send hold timer", "keepalive timer", "OPEN", "KEEPALIVE",
	"UPDATE", "NOTIFICATION", "ROUTE-REFRESH", "malformed message", "stop",
};

/*
 * What an event carries: a received message's body, or why the connection
 * closes and the NOTIFICATION that says so (err.code 0: none).
 */
struct fsm_input {
	const uint8_t *body;
	size_t len;
	struct bgp_error err;
	char why[256];
};

struct bgp_conn {
	struct bgp_session *s;
	int slot;
	enum bgp_state state;          /* BS_IDLE: the slot is empty */
	struct bufferevent *bev;       /* set exactly when state != BS_IDLE */
	struct evbuffer_cb_entry *out_watch;
	struct event *hold, *keepalive, *send_hold, *more, *overflow;
	struct bgp_open peer_open;
	uint16_t hold_s, keepalive_s;  /* negotiated */
	struct ipaddr local;
	bool overflowed;
};

struct bgp_session {
	struct event_base *base;
	struct bgp_session_config cfg;
	char name[80];                 /* "bgp 192.0.2.1" for logs */
	enum bgp_state state;          /* derived from the slots by session_derive() */
	struct bgp_conn conn[SLOTS];
	struct event *retry;
	int (*dial)(void *arg);
	void *dial_arg;
	unsigned failures;
	uint64_t established_ms;       /* monotonic */
	time_t state_since;            /* wall clock, for the status */
	bool restarted, stopping;
	bool bfd_held;                 /* bgp_session_bfd_hold() */
	bool gr_negotiated, gr_notification;  /* on the last Established connection */
	struct rib_set desired;
	struct rib_peer rib;
	struct rib_set held;           /* a bandwidth-only update held back (has_held) */
	bool has_held;
	struct event *bw_timer;        /* sends held */
	uint64_t bw_sent_ms;           /* monotonic: the last bandwidth-only update sent */
	struct {
		uint64_t msgs_in, msgs_out, updates_in, prefixes_in, withdrawn_in, treat_as_withdraw, eor_in;
		uint64_t announced, withdrawn, skipped, flaps, rejected, updates_out;
		uint64_t sent_type[BGP_ROUTE_REFRESH + 1], rcvd_type[BGP_ROUTE_REFRESH + 1];  /* by message type */
		char last_error[256];
		struct bgp_notif_seen notif_sent, notif_rcvd;  /* the last NOTIFICATION each way */
	} st;
};

static void notif_seen(struct bgp_notif_seen *n, uint8_t code, uint8_t subcode)
{
	n->code = code;
	n->subcode = subcode;
	n->at = time(NULL);
}

static const char *const state_names[] = {"Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"};

const char *bgp_state_name(enum bgp_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(*state_names) ? state_names[s] : "?";
}

const char *bgp_session_config_diff(const struct bgp_session_config *a, const struct bgp_session_config *b)
{
#define DIFF(f, what) if (memcmp(&a->f, &b->f, sizeof(a->f)) != 0) return what
	DIFF(local_as, "myASN or localASN");
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
	DIFF(dual_stack, "dualStackAddressFamily");
	DIFF(password, "the password");
	DIFF(other_next_hop, "the node's other-family address");
	DIFF(ifname, "interface");
	DIFF(ifindex, "the interface's index");
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

static bool ibgp(const struct bgp_session *s, const struct bgp_conn *c)
{
	return bgp_open_asn(&c->peer_open) == s->cfg.local_as;
}

static struct bgp_conn *established_conn(struct bgp_session *s)
{
	for (int i = 0; i < SLOTS; i++)
		if (s->conn[i].state == BS_ESTABLISHED)
			return &s->conn[i];
	return NULL;
}

static void input_why(struct fsm_input *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void input_why(struct fsm_input *in, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(in->why, sizeof(in->why), fmt, ap);
	va_end(ap);
}

static void input_notify(struct fsm_input *in, uint8_t code, uint8_t subcode)
{
	in->err.code = code;
	in->err.subcode = subcode;
	in->err.len = 0;
}

static void conn_send(struct bgp_conn *c, const uint8_t *msg, size_t len)
{
	if (!len || !c->bev || c->overflowed)
		return;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) + len > OUT_MAX ||
	    bufferevent_write(c->bev, msg, len) < 0) {
		/* Closed from the loop: the caller may be in the middle of a table dump. */
		c->overflowed = true;
		event_active(c->overflow, EV_TIMEOUT, 0);
		return;
	}
	c->s->st.msgs_out++;
	if (len > BGP_HEADER_LEN - 1 && msg[BGP_HEADER_LEN - 1] <= BGP_ROUTE_REFRESH)
		c->s->st.sent_type[msg[BGP_HEADER_LEN - 1]]++;
}

/*
 * With connectTime the interval is fixed (FRR's `timers connect`, BIRD's
 * `connect retry time`; validation keeps it at 1 s or more); without it,
 * attempts back off exponentially from 1 s up to 60 s. Jittered either way.
 */
static void session_retry_later(struct bgp_session *s)
{
	uint32_t ms = s->cfg.connect_retry_ms;
	if (!ms) {
		ms = RETRY_FIRST_MS;
		for (unsigned k = 1; k < s->failures && ms < RETRY_MAX_MS; k++)
			ms *= 2;
		if (ms > RETRY_MAX_MS)
			ms = RETRY_MAX_MS;
	}
	ms = jittered_ms(ms);
	log_debug(s->name, "next connection attempt in %u ms", ms);
	timer_ms(s->retry, ms);
}

/*
 * The session's state is its most advanced connection's; with none it is
 * Active (waiting to dial again, and listening) or, once stopping, Idle.
 * When the last connection goes, the next attempt is scheduled here.
 */
static void session_derive(struct bgp_session *s)
{
	enum bgp_state to = BS_IDLE;
	for (int i = 0; i < SLOTS; i++)
		if (s->conn[i].state > to)
			to = s->conn[i].state;
	if (to == BS_IDLE && !s->stopping && !s->bfd_held) {
		to = BS_ACTIVE;
		if (s->state != BS_ACTIVE && s->state != BS_IDLE) {
			if (s->state == BS_ESTABLISHED && mono_ms() - s->established_ms >= STABLE_MS)
				s->failures = 0;
			else
				s->failures++;
			session_retry_later(s);
		}
	}
	if (to == s->state)
		return;
	log_info(s->name, "%s -> %s", bgp_state_name(s->state), bgp_state_name(to));
	s->state = to;
	s->state_since = time(NULL);
}

/* ---- teardown: the one way a connection ends ---- */

static void conn_teardown(struct bgp_conn *c, enum bgp_state from, const struct fsm_input *in)
{
	struct bgp_session *s = c->s;
	bool notify = in->err.code && from >= BS_OPENSENT;
	if (in->why[0]) {
		snprintf(s->st.last_error, sizeof(s->st.last_error), "%s", in->why);
		if (notify) {
			char text[200];
			bgp_notification_format(in->err.code, in->err.subcode, in->err.data, in->err.len, text,
						sizeof(text));
			log_warn(s->name, "%s; sending NOTIFICATION %s", in->why, text);
		} else {
			log_warn(s->name, "%s", in->why);
		}
	}
	evtimer_del(c->hold);
	evtimer_del(c->keepalive);
	evtimer_del(c->send_hold);
	event_del(c->more);
	event_del(c->overflow);
	evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->out_watch);
	uint8_t buf[BGP_HEADER_LEN + 2 + sizeof(in->err.data)];
	size_t n = notify ? bgp_notification_encode(in->err.code, in->err.subcode, in->err.data,
						    in->err.len > sizeof(in->err.data) ? sizeof(in->err.data)
											: in->err.len,
						    buf, sizeof(buf))
			  : 0;
	if (n) {
		notif_seen(&s->st.notif_sent, in->err.code, in->err.subcode);
		s->st.sent_type[BGP_NOTIFICATION]++;
		s->st.msgs_out++;
	}
	bgp_linger(c->bev, n ? buf : NULL, n, CLOSE_FLUSH_MS);
	c->bev = NULL;
	c->out_watch = NULL;
	c->overflowed = false;
	c->hold_s = c->keepalive_s = 0;
	memset(&c->peer_open, 0, sizeof(c->peer_open));
	if (from == BS_ESTABLISHED)
		s->st.flaps++;
}

/* ---- the state machine ---- */

static void hold_restart(struct bgp_conn *c)
{
	if (c->state == BS_OPENSENT)
		timer_ms(c->hold, OPEN_HOLD_S * 1000);
	else if (c->hold_s)
		timer_ms(c->hold, c->hold_s * 1000u);
	else
		evtimer_del(c->hold);
}

static void keepalive_arm(struct bgp_conn *c)
{
	if (c->keepalive_s)
		timer_ms(c->keepalive, jittered_ms(c->keepalive_s * 1000u));
}

/* The one place a connection's state changes. */
static void change_state(struct bgp_conn *c, enum bgp_state to, const struct fsm_input *in)
{
	enum bgp_state from = c->state;
	if (from == to)
		return;
	log_debug(c->s->name, "%s connection: %s -> %s", slot_names[c->slot], bgp_state_name(from),
		  bgp_state_name(to));
	c->state = to;
	switch (to) {
	case BS_IDLE:
		conn_teardown(c, from, in);
		break;
	case BS_CONNECT:
		timer_ms(c->hold, CONNECT_TIMEOUT_S * 1000);
		break;
	case BS_OPENSENT:
	case BS_OPENCONFIRM:
		hold_restart(c);
		keepalive_arm(c);
		break;
	case BS_ESTABLISHED:
	case BS_ACTIVE:
		break;
	}
	session_derive(c->s);
}

typedef bool (*fsm_action)(struct bgp_conn *c, struct fsm_input *in);

static bool act_send_open(struct bgp_conn *c, struct fsm_input *in);
static bool act_open(struct bgp_conn *c, struct fsm_input *in);
static bool act_established(struct bgp_conn *c, struct fsm_input *in);
static bool act_update(struct bgp_conn *c, struct fsm_input *in);
static bool act_route_refresh(struct bgp_conn *c, struct fsm_input *in);
static bool act_notification(struct bgp_conn *c, struct fsm_input *in);
static bool act_keepalive(struct bgp_conn *c, struct fsm_input *in);

/* An action returning false ends the connection with the NOTIFICATION it put in the input. */
struct fsm_row {
	fsm_action act;
	enum bgp_state next;
	bool expected;   /* false: RFC 6608 Finite State Machine Error */
};
#define T(a, n) {a, n, true}

/* Rows for events every open state treats alike. */
#define OPEN_STATE_COMMON                                   \
	[CE_TCP_FAIL] = T(NULL, BS_IDLE),                   \
	[CE_HOLD_EXPIRED] = T(NULL, BS_IDLE),               \
	[CE_SEND_HOLD_EXPIRED] = T(NULL, BS_IDLE),          \
	[CE_NOTIFICATION] = T(act_notification, BS_IDLE),   \
	[CE_MSG_ERROR] = T(NULL, BS_IDLE),                  \
	[CE_STOP] = T(NULL, BS_IDLE)

static const struct fsm_row fsm[BS_ESTABLISHED + 1][CE_COUNT] = {
	[BS_CONNECT] = {
		[CE_TCP_UP] = T(act_send_open, BS_OPENSENT),
		[CE_TCP_FAIL] = T(NULL, BS_IDLE),
		[CE_HOLD_EXPIRED] = T(NULL, BS_IDLE),
		[CE_STOP] = T(NULL, BS_IDLE),
	},
	[BS_OPENSENT] = {
		OPEN_STATE_COMMON,
		[CE_KEEPALIVE_TIMER] = T(NULL, BS_OPENSENT),
		[CE_OPEN] = T(act_open, BS_OPENCONFIRM),
	},
	[BS_OPENCONFIRM] = {
		OPEN_STATE_COMMON,
		[CE_KEEPALIVE_TIMER] = T(act_keepalive, BS_OPENCONFIRM),
		[CE_KEEPALIVE] = T(act_established, BS_ESTABLISHED),
	},
	[BS_ESTABLISHED] = {
		OPEN_STATE_COMMON,
		[CE_KEEPALIVE_TIMER] = T(act_keepalive, BS_ESTABLISHED),
		[CE_KEEPALIVE] = T(NULL, BS_ESTABLISHED),
		[CE_UPDATE] = T(act_update, BS_ESTABLISHED),
		[CE_ROUTE_REFRESH] = T(act_route_refresh, BS_ESTABLISHED),
	},
};

static const uint8_t fsm_error_subcode[BS_ESTABLISHED + 1] = {
	[BS_OPENSENT] = BGP_FSM_IN_OPENSENT,
	[BS_OPENCONFIRM] = BGP_FSM_IN_OPENCONFIRM,
	[BS_ESTABLISHED] = BGP_FSM_IN_ESTABLISHED,
};

static void conn_fsm(struct bgp_conn *c, enum conn_event ev, struct fsm_input *in)
{
	if (c->state == BS_IDLE || c->state > BS_ESTABLISHED)
		return;  /* an empty slot has no events: its timers are off, its socket gone */
	const struct fsm_row *r = &fsm[c->state][ev];
	enum bgp_state to = r->next;
	if (!r->expected) {
		/* RFC 6608: which state the unexpected message arrived in. */
		input_notify(in, BGP_ERR_FSM, fsm_error_subcode[c->state]);
		input_why(in, "unexpected %s in state %s", event_names[ev], bgp_state_name(c->state));
		to = BS_IDLE;
	} else if (r->act && !r->act(c, in)) {
		to = BS_IDLE;
	}
	change_state(c, to, in);
}

/* ---- timers ---- */

static void on_hold(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct bgp_conn *c = arg;
	struct fsm_input in = {0};
	if (c->state == BS_CONNECT) {
		input_why(&in, "connect to port %u: no answer within %u s", c->s->cfg.port, CONNECT_TIMEOUT_S);
	} else {
		input_notify(&in, BGP_ERR_HOLD, 0);
		input_why(&in, "hold timer expired: nothing received for %u s",
			  c->state == BS_OPENSENT ? OPEN_HOLD_S : c->hold_s);
	}
	conn_fsm(c, CE_HOLD_EXPIRED, &in);
}

static void on_send_hold(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct bgp_conn *c = arg;
	struct fsm_input in = {0};
	input_notify(&in, BGP_ERR_SEND_HOLD, 0);
	input_why(&in, "the peer has read nothing for %u s (send hold timer, RFC 9687); %zu bytes queued",
		  c->hold_s ? c->hold_s : OPEN_HOLD_S, evbuffer_get_length(bufferevent_get_output(c->bev)));
	conn_fsm(c, CE_SEND_HOLD_EXPIRED, &in);
}

static void on_overflow(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct bgp_conn *c = arg;
	struct fsm_input in = {0};
	input_notify(&in, BGP_ERR_CEASE, BGP_CEASE_OUT_OF_RESOURCES);
	input_why(&in, "output backlog reached %u MiB: the peer does not read fast enough", OUT_MAX >> 20);
	conn_fsm(c, CE_STOP, &in);
}

static void on_keepalive_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct fsm_input in = {0};
	conn_fsm(arg, CE_KEEPALIVE_TIMER, &in);
}

/* The send hold timer runs while output is queued and nothing of it leaves. */
static void on_output_change(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct bgp_conn *c = arg;
	if (info->n_deleted && evbuffer_get_length(buf) == 0)
		evtimer_del(c->send_hold);
	else if (info->n_deleted || !evtimer_pending(c->send_hold, NULL))
		timer_ms(c->send_hold, (c->hold_s ? c->hold_s : OPEN_HOLD_S) * 1000u);
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
	r->log_name = s->name;
	r->af[BGP_AF_IPV4] = any_mp ? caps->mp[BGP_AF_IPV4] : true;
	r->af[BGP_AF_IPV6] = caps->mp[BGP_AF_IPV6];
	/* A family other than the session's needs a next hop of its own. */
	const struct ipaddr *other = &s->cfg.other_next_hop;
	if (s->cfg.ifindex) {
		bgp_unnumbered_next_hops(&r->base, &c->local, other, caps->ext_nh_ipv4);
		if (!caps->ext_nh_ipv4 && r->af[BGP_AF_IPV4])
			log_warn(s->name, "the peer has no extended next hop for IPv4 (RFC 8950): IPv4 routes not sent");
		r->af[BGP_AF_IPV4] = r->af[BGP_AF_IPV4] && caps->ext_nh_ipv4;
	} else if (fam == IPF_V4) {
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

static void send_full_table(struct bgp_session *s, struct bgp_conn *c, bool end_of_rib)
{
	struct rib_diff_stats st = {0};
	rib_diff(NULL, &s->desired, &s->rib, emit_to_conn, c, &st);
	s->st.updates_out += st.messages;
	if (end_of_rib) {
		uint8_t buf[64];
		for (int f = 0; f < BGP_AF_COUNT; f++)
			if (s->rib.af[f]) {
				conn_send(c, buf, bgp_end_of_rib_encode((enum bgp_af)f, buf, sizeof(buf)));
				s->st.updates_out++;
			}
	}
	s->st.announced += st.announced;
	s->st.skipped += st.skipped;
	log_info(s->name, "sent %zu routes in %zu UPDATEs%s", st.announced, st.messages,
		 end_of_rib ? ", then End-of-RIB" : " (route refresh)");
}

/* Makes next the desired set, sending the difference to an Established peer; takes next. */
static void apply_routes(struct bgp_session *s, struct rib_set next)
{
	if (s->has_held) {
		evtimer_del(s->bw_timer);
		rib_set_clear(&s->held);
		s->has_held = false;
	}
	struct bgp_conn *est = established_conn(s);
	if (est && rib_bandwidth_only(&s->desired, &next))
		s->bw_sent_ms = mono_ms();
	if (est) {
		struct rib_diff_stats st = {0};
		rib_diff(&s->desired, &next, &s->rib, emit_to_conn, est, &st);
		s->st.announced += st.announced;
		s->st.updates_out += st.messages;
		s->st.withdrawn += st.withdrawn;
		s->st.skipped += st.skipped;
		if (st.messages)
			log_info(s->name, "announced %zu, withdrew %zu routes in %zu UPDATEs", st.announced,
				 st.withdrawn, st.messages);
	}
	rib_set_clear(&s->desired);
	s->desired = next;
}

static void send_held(evutil_socket_t fd, short what, void *arg)
{
	struct bgp_session *s = arg;
	(void)fd, (void)what;
	struct rib_set next = s->held;
	memset(&s->held, 0, sizeof(s->held));
	s->has_held = false;
	apply_routes(s, next);
}

void bgp_session_set_routes(struct bgp_session *s, const struct plan_route *routes, size_t n,
			    const struct plan_attrs *attrs, size_t nattrs)
{
	struct rib_set next = {0};
	rib_set_copy(&next, routes, n, attrs, nattrs);
	uint64_t now = mono_ms();
	if (established_conn(s) && s->bw_sent_ms && now - s->bw_sent_ms < LINK_BW_MIN_INTERVAL_MS &&
	    rib_bandwidth_only(&s->desired, &next)) {
		rib_set_clear(&s->held);
		s->held = next;
		if (!s->has_held) {
			uint64_t wait = LINK_BW_MIN_INTERVAL_MS - (now - s->bw_sent_ms);
			struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)(wait % 1000 * 1000)};
			evtimer_add(s->bw_timer, &tv);
			log_debug(s->name, "link bandwidth change held back %llu ms", (unsigned long long)wait);
		}
		s->has_held = true;
		return;
	}
	apply_routes(s, next);
}

/* ---- actions ---- */

static void send_open(struct bgp_conn *c)
{
	struct bgp_session *s = c->s;
	struct bgp_open o = {.version = 4, .hold_time = s->cfg.hold_time, .bgp_id = s->cfg.router_id};
	o.my_as = s->cfg.local_as > 65535 ? BGP_AS_TRANS : (uint16_t)s->cfg.local_as;
	o.caps.as4 = true;
	o.caps.as4_number = s->cfg.local_as;
	o.caps.route_refresh = true;
	uint8_t fam = s->cfg.peer.family;
	/* MetalLB's FRR mode: the session's own family; both with dualStackAddressFamily. */
	o.caps.mp[BGP_AF_IPV4] = fam == IPF_V4 || s->cfg.dual_stack;
	o.caps.mp[BGP_AF_IPV6] = fam == IPF_V6 || s->cfg.dual_stack;
	if (s->cfg.ifindex)  /* unnumbered, as FRR: both families, IPv4 over IPv6 next hops */
		o.caps.mp[BGP_AF_IPV4] = o.caps.ext_nh_ipv4 = true;
	if (s->cfg.graceful_restart) {
		/*
		 * R is set on the first OPEN of every session made at process
		 * start, fresh start or restart alike: the speaker cannot tell
		 * them apart (nothing survives it on the node), and R on a fresh
		 * start is harmless: a peer with no stale routes from us has
		 * nothing to keep, and R only tells it not to wait for our
		 * End-of-RIB before it sends its own (RFC 4724 4.1, 4.2). After a
		 * restart it is what makes the peer keep our routes until our
		 * End-of-RIB. Sessions made later (a BGPPeer added) and
		 * reconnects do not set it.
		 */
		o.caps.graceful_restart = true;
		o.caps.gr_restarting = s->restarted;
		o.caps.gr_notification = true;  /* RFC 8538 */
		o.caps.gr_time = GR_RESTART_TIME;
		for (int f = 0; f < BGP_AF_COUNT; f++) {
			o.caps.gr_af[f] = o.caps.mp[f];
			/* The forwarding plane (kube-proxy on the node) survives a speaker restart. */
			o.caps.gr_af_forwarding[f] = o.caps.mp[f];
		}
	}
	uint8_t buf[BGP_MAX_LEN];
	conn_send(c, buf, bgp_open_encode(&o, buf, sizeof(buf)));
}

static bool act_send_open(struct bgp_conn *c, struct fsm_input *in)
{
	(void)in;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(bufferevent_getfd(c->bev), (struct sockaddr *)&ss, &sl) == 0)
		ip_from_sockaddr((struct sockaddr *)&ss, &c->local, NULL);
	bufferevent_enable(c->bev, EV_READ);
	send_open(c);
	return true;
}

static bool act_keepalive(struct bgp_conn *c, struct fsm_input *in)
{
	(void)in;
	uint8_t buf[BGP_HEADER_LEN];
	conn_send(c, buf, bgp_keepalive_encode(buf, sizeof(buf)));
	keepalive_arm(c);
	return true;
}

static bool check_peer_as(struct bgp_session *s, struct bgp_conn *c, struct fsm_input *in)
{
	uint32_t as = bgp_open_asn(&c->peer_open);
	char want[80] = "";
	if (s->cfg.peer_as && as != s->cfg.peer_as)
		snprintf(want, sizeof(want), "peerASN %u", s->cfg.peer_as);
	else if (!s->cfg.peer_as && s->cfg.dynamic == DYNAMIC_ASN_INTERNAL && as != s->cfg.local_as)
		snprintf(want, sizeof(want), "an internal peer (AS %u, dynamicASN internal)", s->cfg.local_as);
	else if (!s->cfg.peer_as && s->cfg.dynamic == DYNAMIC_ASN_EXTERNAL && as == s->cfg.local_as)
		snprintf(want, sizeof(want), "an external peer (dynamicASN external)");
	if (!want[0])
		return true;
	input_notify(in, BGP_ERR_OPEN, BGP_OPEN_BAD_PEER_AS);
	in->err.data[0] = (uint8_t)(c->peer_open.my_as >> 8);
	in->err.data[1] = (uint8_t)c->peer_open.my_as;
	in->err.len = 2;
	input_why(in, "ASN mismatch: the peer's OPEN says AS %u, BGPPeer %s expects %s", as, s->cfg.name, want);
	return false;
}

/*
 * RFC 4271 6.8: with two connections open, the one opened by the speaker
 * with the higher BGP Identifier survives. The peer's Identifier is known
 * from this OPEN, so the other connection is compared in OpenSent too.
 * Returns false when c is the one to close (the input says why).
 */
static bool resolve_collision(struct bgp_conn *c, struct fsm_input *in)
{
	struct bgp_session *s = c->s;
	struct bgp_conn *other = &s->conn[!c->slot];
	struct fsm_input o = {0};
	if (other->state == BS_IDLE)
		return true;
	if (other->state == BS_CONNECT) {
		input_why(&o, "the %s connection came up first: dropping the %s attempt", slot_names[c->slot],
			  slot_names[other->slot]);
		conn_fsm(other, CE_STOP, &o);
		return true;
	}
	bool keep_outgoing = other->state != BS_ESTABLISHED && s->cfg.router_id > c->peer_open.bgp_id;
	bool c_loses = other->state == BS_ESTABLISHED || (c->slot == SLOT_OUT) != keep_outgoing;
	struct fsm_input *loser_in = c_loses ? in : &o;
	input_notify(loser_in, BGP_ERR_CEASE, BGP_CEASE_COLLISION);
	input_why(loser_in, "connection collision: keeping the connection %s opened",
		  (c_loses ? other->slot : c->slot) == SLOT_OUT ? "we" : "the peer");
	if (c_loses)
		return false;
	conn_fsm(other, CE_STOP, &o);
	return true;
}

static bool act_open(struct bgp_conn *c, struct fsm_input *in)
{
	struct bgp_session *s = c->s;
	if (!bgp_open_decode(in->body, in->len, &c->peer_open, &in->err)) {
		input_why(in, "bad OPEN: %s", in->err.why);
		return false;
	}
	if (!check_peer_as(s, c, in))
		return false;
	uint32_t id = c->peer_open.bgp_id;
	if (id == s->cfg.router_id && ibgp(s, c)) {
		input_notify(in, BGP_ERR_OPEN, BGP_OPEN_BAD_BGP_ID);
		uint8_t b[4] = {id >> 24, id >> 16, id >> 8, id};
		memcpy(in->err.data, b, 4);
		in->err.len = 4;
		input_why(in, "the peer's BGP Identifier equals our router ID (RFC 6286: not allowed within an AS)");
		return false;
	}
	if (!resolve_collision(c, in))
		return false;
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
	uint8_t buf[BGP_HEADER_LEN];
	conn_send(c, buf, bgp_keepalive_encode(buf, sizeof(buf)));
	return true;
}

static bool act_established(struct bgp_conn *c, struct fsm_input *in)
{
	(void)in;
	struct bgp_session *s = c->s;
	struct bgp_conn *other = &s->conn[!c->slot];
	if (other->state != BS_IDLE) {
		struct fsm_input o = {0};
		input_notify(&o, BGP_ERR_CEASE, BGP_CEASE_COLLISION);
		input_why(&o, "connection collision: the %s connection is Established", slot_names[c->slot]);
		conn_fsm(other, CE_STOP, &o);
	}
	s->established_ms = mono_ms();
	s->st.last_error[0] = 0;
	char nh[IPADDR_STRLEN];
	ipaddr_format(&c->local, nh);
	uint32_t id = c->peer_open.bgp_id;
	log_info(s->name, "established: AS %u, router ID %u.%u.%u.%u, hold %u s, keepalive %u s, %s, local address %s",
		 bgp_open_asn(&c->peer_open), id >> 24, (id >> 16) & 255, (id >> 8) & 255, id & 255, c->hold_s,
		 c->keepalive_s, ibgp(s, c) ? "iBGP" : "eBGP", nh);
	s->gr_negotiated = s->cfg.graceful_restart && c->peer_open.caps.graceful_restart;
	s->gr_notification = s->gr_negotiated && c->peer_open.caps.gr_notification;
	if (s->cfg.graceful_restart)
		log_info(s->name, "graceful restart %s%s%s%s", s->gr_negotiated ? "negotiated" : "not offered by the peer",
			 s->gr_notification ? ", with notification (RFC 8538)" : "",
			 s->restarted ? "; our OPEN had the Restarting bit" : "",
			 c->peer_open.caps.gr_restarting ? "; the peer restarted (R bit)" : "");
	/*
	 * Every Established connection gets the whole table and End-of-RIB:
	 * after our restart the peer drops what the table no longer holds;
	 * after the peer's (its OPEN has R, or the connection dropped while
	 * graceful restart was negotiated) it learns everything again. We hold
	 * nothing the peer sends, so there is nothing to keep stale here.
	 */
	rib_peer_setup(s, c);
	send_full_table(s, c, true);
	s->restarted = false;
	return true;
}

static void count_nlri(const uint8_t *p, size_t len, uint8_t family, uint64_t *counter)
{
	struct bgp_prefix pfx;
	while (bgp_nlri_next(&p, &len, family, &pfx))
		(*counter)++;
}

static bool act_update(struct bgp_conn *c, struct fsm_input *in)
{
	struct bgp_session *s = c->s;
	struct bgp_update u;
	if (!bgp_update_decode(in->body, in->len, c->peer_open.caps.as4, ibgp(s, c), &u, &in->err)) {
		input_why(in, "bad UPDATE: %s", in->err.why);
		return false;
	}
	s->st.updates_in++;
	if (u.end_of_rib) {
		s->st.eor_in++;
		return true;
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
	return true;
}

static bool act_route_refresh(struct bgp_conn *c, struct fsm_input *in)
{
	enum bgp_af af;
	if (bgp_route_refresh_decode(in->body, in->len, &af, &in->err)) {
		if (c->s->rib.af[af])
			send_full_table(c->s, c, false);  /* RFC 2918: the Adj-RIB-Out again */
		return true;
	}
	if (!in->err.code)
		return true;  /* RFC 7313 5: an unknown AFI/SAFI is ignored */
	input_why(in, "bad ROUTE-REFRESH: %s", in->err.why);
	return false;
}

static bool act_notification(struct bgp_conn *c, struct fsm_input *in)
{
	uint8_t code = 0, sub = 0;
	const uint8_t *data = NULL;
	size_t dlen = 0;
	char text[200];
	if (!bgp_notification_decode(in->body, in->len, &code, &sub, &data, &dlen)) {
		input_why(in, "peer sent a malformed NOTIFICATION (%zu bytes)", in->len);
		return true;
	}
	notif_seen(&c->s->st.notif_rcvd, code, sub);
	/* The text of an RFC 8203/9003 shutdown communication comes out escaped. */
	bgp_notification_format(code, sub, data, dlen, text, sizeof(text));
	const char *hint = "";
	if (code == BGP_ERR_OPEN && sub == BGP_OPEN_BAD_PEER_AS)
		hint = " (ASN mismatch: the peer expects another AS than ours, localASN or else myASN)";
	else if (code == BGP_ERR_OPEN && sub == BGP_OPEN_BAD_BGP_ID)
		hint = " (the peer refuses our router ID)";
	input_why(in, "peer sent NOTIFICATION %s%s", text, hint);
	(void)c;
	return true;
}

/* ---- connections ---- */

static enum conn_event message_event(uint8_t type)
{
	switch (type) {
	case BGP_OPEN:
		return CE_OPEN;
	case BGP_UPDATE:
		return CE_UPDATE;
	case BGP_NOTIFICATION:
		return CE_NOTIFICATION;
	case BGP_KEEPALIVE:
		return CE_KEEPALIVE;
	default:
		return CE_ROUTE_REFRESH;  /* bgp_header_check lets no other type through */
	}
}

static void conn_read(struct bufferevent *bev, void *arg)
{
	struct bgp_conn *c = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	for (int k = 0; k < MSGS_PER_WAKEUP; k++) {
		size_t avail = evbuffer_get_length(input), mlen = 0;
		if (avail < BGP_HEADER_LEN)
			return;
		uint8_t type = 0;
		struct fsm_input in = {0};
		const uint8_t *hdr = evbuffer_pullup(input, BGP_HEADER_LEN);
		int r = hdr ? bgp_header_check(hdr, avail, &mlen, &type, &in.err) : -1;
		if (r < 0) {
			input_why(&in, "bad message header: %s", hdr ? in.err.why : "out of memory");
			conn_fsm(c, CE_MSG_ERROR, &in);
			return;
		}
		if (r == 0 || avail < mlen)
			return;
		const uint8_t *msg = evbuffer_pullup(input, (ev_ssize_t)mlen);
		if (!msg) {
			input_notify(&in, BGP_ERR_CEASE, BGP_CEASE_OUT_OF_RESOURCES);
			input_why(&in, "out of memory reading a %zu-byte message", mlen);
			conn_fsm(c, CE_STOP, &in);
			return;
		}
		c->s->st.msgs_in++;
		if (type <= BGP_ROUTE_REFRESH)
			c->s->st.rcvd_type[type]++;
		if (type != BGP_NOTIFICATION)
			hold_restart(c);
		in.body = msg + BGP_HEADER_LEN;
		in.len = mlen - BGP_HEADER_LEN;
		conn_fsm(c, message_event(type), &in);
		if (c->bev != bev)
			return;  /* closed: the socket and its input went to the linger */
		evbuffer_drain(input, mlen);
	}
	if (evbuffer_get_length(input) >= BGP_HEADER_LEN)
		event_active(c->more, EV_TIMEOUT, 0);
}

static void conn_more(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct bgp_conn *c = arg;
	if (c->bev)
		conn_read(c->bev, c);
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct bgp_conn *c = arg;
	struct fsm_input in = {0};
	if (what & BEV_EVENT_CONNECTED) {
		conn_fsm(c, CE_TCP_UP, &in);
		return;
	}
	int e = EVUTIL_SOCKET_ERROR();
	if (c->state == BS_CONNECT)
		input_why(&in, "connect to port %u: %s", c->s->cfg.port,
			  what & BEV_EVENT_ERROR ? strerror(e) : "closed");
	else
		input_why(&in, "connection %s in state %s",
			  what & BEV_EVENT_EOF ? "closed by the peer" : strerror(e), bgp_state_name(c->state));
	conn_fsm(c, CE_TCP_FAIL, &in);
}

/* Puts fd into the empty slot c (state Connect). On failure fd is closed. */
static bool conn_open(struct bgp_conn *c, int fd)
{
	c->bev = bufferevent_socket_new(c->s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		close(fd);
		log_error(c->s->name, "out of memory for a connection");
		return false;
	}
	c->out_watch = evbuffer_add_cb(bufferevent_get_output(c->bev), on_output_change, c);
	if (!c->out_watch) {
		bufferevent_free(c->bev);
		c->bev = NULL;
		log_error(c->s->name, "out of memory for a connection");
		return false;
	}
	bufferevent_setcb(c->bev, conn_read, NULL, conn_event, c);
	/* Reading starts with the OPEN we send: nothing may be read before the connection is up. */
	bufferevent_enable(c->bev, EV_WRITE);
	change_state(c, BS_CONNECT, NULL);
	return true;
}

static int session_ttl(const struct bgp_session *s)
{
	if (s->cfg.peer_as == s->cfg.local_as || (!s->cfg.peer_as && s->cfg.dynamic == DYNAMIC_ASN_INTERNAL))
		return 0;
	return s->cfg.multihop ? BGP_TTL_MULTIHOP : BGP_TTL_EBGP;
}

static void dial_failed(struct bgp_session *s, const char *what, int e)
{
	snprintf(s->st.last_error, sizeof(s->st.last_error), "%s: %s", what, strerror(e));
	log_warn(s->name, "cannot dial: %s", s->st.last_error);
	s->failures++;
	session_retry_later(s);
	session_derive(s);
}

static void session_dial(evutil_socket_t fd_unused, short what, void *arg)
{
	(void)fd_unused, (void)what;
	struct bgp_session *s = arg;
	struct bgp_conn *c = &s->conn[SLOT_OUT];
	if (s->stopping || s->bfd_held || c->state != BS_IDLE || established_conn(s))
		return;
	const char *why = "dial";
	int fd = s->dial ? s->dial(s->dial_arg)
			 : bgp_socket_client(&s->cfg.peer, &s->cfg.source, s->cfg.password, session_ttl(s), &why);
	if (fd < 0) {
		dial_failed(s, why, errno);
		return;
	}
	if (!conn_open(c, fd)) {
		dial_failed(s, "connection", ENOMEM);
		return;
	}
	struct fsm_input in = {0};
	if (s->dial) {
		conn_fsm(c, CE_TCP_UP, &in);
		return;
	}
	struct sockaddr_storage ss;
	socklen_t sl;
	sockaddr_from_ip(&s->cfg.peer, s->cfg.port, &ss, &sl);
	bgp_unnumbered_scope(&ss, s->cfg.ifindex);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&ss, (int)sl) < 0) {
		input_why(&in, "connect: %s", strerror(errno));
		conn_fsm(c, CE_TCP_FAIL, &in);
	}
}

/* RFC 4486: a connection we will not run gets Cease / Connection Rejected on the bare socket. */
static void refuse(struct bgp_session *s, int fd, const char *why)
{
	uint8_t buf[BGP_NOTIFICATION_MIN_LEN];
	size_t n = bgp_notification_encode(BGP_ERR_CEASE, BGP_CEASE_CONNECTION_REJECTED, NULL, 0, buf, sizeof(buf));
	ssize_t w = send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)w;  /* best effort: the socket is fresh, its buffer empty */
	close(fd);
	s->st.rejected++;
	if (s->st.rejected <= 10 || s->st.rejected % 1000 == 0)
		log_info(s->name, "refused a connection from the peer (%s): Cease / Connection Rejected "
				  "(%llu so far)", why, (unsigned long long)s->st.rejected);
}

void bgp_session_accept(struct bgp_session *s, int fd)
{
	struct bgp_conn *est = established_conn(s);
	struct fsm_input in = {0};
	if (s->stopping || s->bfd_held) {
		refuse(s, fd, s->stopping ? "the session is closing" : "its BFD session is not Up");
		return;
	}
	if (est && !est->peer_open.caps.graceful_restart) {
		refuse(s, fd, "the session is Established");
		return;
	}
	if (est) {
		/* RFC 4724 4.2: a new connection from a restarting peer replaces the old one. */
		input_why(&in, "the peer reconnected (graceful restart): dropping the old connection");
		conn_fsm(est, CE_STOP, &in);
	}
	struct bgp_conn *c = &s->conn[SLOT_IN];
	if (c->state != BS_IDLE) {
		struct fsm_input o = {0};
		input_notify(&o, BGP_ERR_CEASE, BGP_CEASE_COLLISION);
		input_why(&o, "the peer opened another connection: closing its previous one");
		conn_fsm(c, CE_STOP, &o);
	}
	bgp_socket_ttl(fd, s->cfg.peer.family, session_ttl(s));
	if (!conn_open(c, fd))
		return;
	evtimer_del(s->retry);
	struct fsm_input up = {0};
	conn_fsm(c, CE_TCP_UP, &up);
}

/* ---- the session ---- */

static bool slot_init(struct bgp_session *s, int slot)
{
	struct bgp_conn *c = &s->conn[slot];
	c->s = s;
	c->slot = slot;
	c->state = BS_IDLE;
	c->hold = evtimer_new(s->base, on_hold, c);
	c->keepalive = evtimer_new(s->base, on_keepalive_timer, c);
	c->send_hold = evtimer_new(s->base, on_send_hold, c);
	c->more = evtimer_new(s->base, conn_more, c);
	c->overflow = evtimer_new(s->base, on_overflow, c);
	return c->hold && c->keepalive && c->send_hold && c->more && c->overflow;
}

static void slot_free(struct bgp_conn *c)
{
	struct event *evs[] = {c->hold, c->keepalive, c->send_hold, c->more, c->overflow};
	for (size_t i = 0; i < sizeof(evs) / sizeof(*evs); i++)
		if (evs[i])
			event_free(evs[i]);
}

static void session_free(struct bgp_session *s)
{
	for (int i = 0; i < SLOTS; i++)
		slot_free(&s->conn[i]);
	if (s->retry)
		event_free(s->retry);
	if (s->bw_timer)
		event_free(s->bw_timer);
	rib_set_clear(&s->desired);
	rib_set_clear(&s->held);
	free(s);
}

struct bgp_session *bgp_session_new(struct event_base *base, const struct bgp_session_config *cfg, bool restarted)
{
	struct bgp_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	char addr[IPADDR_STRLEN];
	s->base = base;
	s->cfg = *cfg;
	s->restarted = restarted;
	ipaddr_format(&cfg->peer, addr);
	snprintf(s->name, sizeof(s->name), "bgp %s%s%s", addr, cfg->ifname[0] ? "%" : "", cfg->ifname);
	s->state = BS_IDLE;
	s->state_since = time(NULL);
	s->retry = evtimer_new(base, session_dial, s);
	s->bw_timer = evtimer_new(base, send_held, s);
	if (!s->retry || !s->bw_timer || !slot_init(s, SLOT_OUT) || !slot_init(s, SLOT_IN)) {
		log_error(s->name, "out of memory: no session for BGPPeer %s", cfg->name);
		session_free(s);
		return NULL;
	}
	log_info(s->name, "new session for BGPPeer %s: AS %u -> AS %u%s, port %u", cfg->name, cfg->local_as,
		 cfg->peer_as, cfg->peer_as ? "" : " (dynamic)", cfg->port);
	event_active(s->retry, EV_TIMEOUT, 0);
	return s;
}

void bgp_session_set_dialer(struct bgp_session *s, int (*dial)(void *arg), void *arg)
{
	s->dial = dial;
	s->dial_arg = arg;
}

const struct bgp_session_config *bgp_session_cfg(const struct bgp_session *s)
{
	return &s->cfg;
}

enum bgp_state bgp_session_state(const struct bgp_session *s)
{
	return s->state;
}

/* Closes every connection of s with in (a NOTIFICATION, or none), then frees s. */
static void session_close_with(struct bgp_session *s, const struct fsm_input *with)
{
	s->stopping = true;
	for (int i = 0; i < SLOTS; i++) {
		struct fsm_input in = *with;
		conn_fsm(&s->conn[i], CE_STOP, &in);
	}
	session_free(s);
}

/* RFC 8538 3: Cease / Hard Reset carrying the Cease it stands for; the peer flushes our routes at once. */
static void input_hard_reset(struct fsm_input *in, uint8_t cease_subcode)
{
	uint8_t inner[2] = {BGP_ERR_CEASE, cease_subcode};
	input_notify(in, BGP_ERR_CEASE, BGP_CEASE_HARD_RESET);
	memcpy(in->err.data, inner, sizeof(inner));
	in->err.len = sizeof(inner);
}

/*
 * A session ended while this process goes on (its BGPPeer changed or went):
 * where RFC 8538 was negotiated a plain Cease would leave our routes stale at
 * the peer for the restart time, so it is sent as a Hard Reset (section 5).
 */
void bgp_session_close(struct bgp_session *s, uint8_t cease_subcode)
{
	struct fsm_input in = {0};
	if (established_conn(s) && s->gr_negotiated && s->gr_notification) {
		log_info(s->name, "closing: Cease / Hard Reset (RFC 8538) for %s: the peer flushes our routes",
			 bgp_err_subcode_name(BGP_ERR_CEASE, cease_subcode));
		input_hard_reset(&in, cease_subcode);
	} else {
		log_info(s->name, "closing: Cease / %s", bgp_err_subcode_name(BGP_ERR_CEASE, cease_subcode));
		input_notify(&in, BGP_ERR_CEASE, cease_subcode);
	}
	session_close_with(s, &in);
}

void bgp_session_bfd_hold(struct bgp_session *s, bool held)
{
	if (held == s->bfd_held)
		return;
	s->bfd_held = held;
	log_info(s->name, held ? "waiting for BFD to come Up before connecting" : "BFD is Up: connecting");
	if (!held)
		event_active(s->retry, EV_TIMEOUT, 0);
	session_derive(s);
}

void bgp_session_bfd_down(struct bgp_session *s)
{
	s->bfd_held = true;
	for (int i = 0; i < SLOTS; i++) {
		struct fsm_input in = {0};
		input_notify(&in, BGP_ERR_CEASE, BGP_CEASE_BFD_DOWN);
		input_why(&in, "BFD session went Down");
		conn_fsm(&s->conn[i], CE_STOP, &in);
	}
	evtimer_del(s->retry);
	session_derive(s);
}

bool bgp_session_gr_negotiated(const struct bgp_session *s, bool *notification)
{
	if (notification)
		*notification = s->gr_notification;
	return s->gr_negotiated;
}

void bgp_session_end(struct bgp_session *s, enum bgp_end how)
{
	struct bgp_conn *est = established_conn(s);
	bool gr = est && s->gr_negotiated, n = gr && s->gr_notification;
	struct fsm_input in = {0};

	if (how == BGP_END_LEAVE && n) {
		input_hard_reset(&in, BGP_CEASE_ADMIN_SHUTDOWN);
		log_info(s->name, "leaving for good: Cease / Hard Reset (RFC 8538): the peer flushes our routes");
	} else if (how == BGP_END_LEAVE) {
		input_notify(&in, BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN);
		log_info(s->name, "leaving for good: Cease / Administrative Shutdown: the peer flushes our routes");
	} else if (n) {
		input_notify(&in, BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN);
		log_info(s->name, "stopping for a restart, graceful restart with notification (RFC 8538) negotiated: "
				  "Cease / Administrative Shutdown; the peer keeps forwarding on our routes for %u s",
			 GR_RESTART_TIME);
	} else if (gr) {
		log_info(s->name, "stopping for a restart, graceful restart negotiated: closing the connection "
				  "without a NOTIFICATION (RFC 4724); the peer keeps forwarding on our routes for %u s",
			 GR_RESTART_TIME);
	} else {
		input_notify(&in, BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN);
		log_info(s->name, "stopping: Cease / Administrative Shutdown; the peer withdraws our routes (%s)",
			 !s->cfg.graceful_restart ? "enableGracefulRestart is off"
			 : !est			  ? "not Established"
						  : "the peer did not offer graceful restart");
	}
	session_close_with(s, &in);
}

unsigned bgp_closing_count(void)
{
	return bgp_linger_count();
}

void bgp_session_counters(const struct bgp_session *s, struct bgp_session_counters *c)
{
	c->up = s->state == BS_ESTABLISHED;
	c->updates_out = s->st.updates_out;
	c->opens_sent = s->st.sent_type[BGP_OPEN];
	c->opens_received = s->st.rcvd_type[BGP_OPEN];
	c->notifications_sent = s->st.sent_type[BGP_NOTIFICATION];
	c->updates_received = s->st.rcvd_type[BGP_UPDATE];
	c->keepalives_sent = s->st.sent_type[BGP_KEEPALIVE];
	c->keepalives_received = s->st.rcvd_type[BGP_KEEPALIVE];
	c->route_refresh_sent = s->st.sent_type[BGP_ROUTE_REFRESH];
	c->total_sent = s->st.msgs_out;
	c->total_received = s->st.msgs_in;
	c->pending = s->desired.n;
	c->announced = 0;
	for (size_t i = 0; c->up && i < s->desired.n; i++) {
		enum bgp_af af = s->desired.routes[i].pfx.family == 4 ? BGP_AF_IPV4 : BGP_AF_IPV6;
		c->announced += s->rib.af[af] && !(s->desired.unsent && s->desired.unsent[i]);
	}
}

json_t *bgp_session_status(const struct bgp_session *s)
{
	char addr[IPADDR_STRLEN];
	ipaddr_format(&s->cfg.peer, addr);
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "peer", s->cfg.name, "address", addr,
			      "state", bgp_state_name(s->state), "since", (json_int_t)s->state_since, "routes",
			      (json_int_t)s->desired.n, "prefixes_received", (json_int_t)s->st.prefixes_in,
			      "updates_received", (json_int_t)s->st.updates_in, "flaps", (json_int_t)s->st.flaps,
			      "connections_rejected", (json_int_t)s->st.rejected, "routes_not_encodable",
			      (json_int_t)s->st.skipped);
	if (j && s->st.last_error[0])
		json_object_set_new(j, "last_error", json_string(s->st.last_error));
	if (j && s->cfg.graceful_restart)
		json_object_set_new(j, "graceful_restart",
				    json_string(s->gr_notification ? "negotiated, with notification (RFC 8538)"
						: s->gr_negotiated   ? "negotiated"
								     : "not negotiated"));
	return j;
}

void bgp_session_info(const struct bgp_session *s, struct bgp_session_info *out)
{
	out->state = s->state;
	out->since = s->state_since;
	out->prefixes_received = s->st.prefixes_in;
	out->routes = s->desired.n;
	out->last_error = s->st.last_error;
	out->notif_sent = s->st.notif_sent;
	out->notif_rcvd = s->st.notif_rcvd;
}
