/*
 * The BGP session state machine over socketpairs (no root, no network): the
 * test plays the peer on the other end of each connection, with the wire
 * encoders, and runs the speaker's event loop in short bounded slices.
 * Under ASan/UBSan every path below is also a use-after-free and leak check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bgp.h"
#include "bgp_session.h"
#include "clock.h"
#include "log.h"
#include "plan.h"

#define OUR_ID 0xC000020Bu   /* 192.0.2.11 */
#define LOW_ID 0xC0000201u   /* 192.0.2.1: below ours */
#define HIGH_ID 0xC00002FEu  /* 192.0.2.254: above ours */

struct peer {
	int fd;
	uint8_t buf[1 << 16];
	size_t len, consumed;  /* consumed: the message peer_next returned last */
	bool eof;
};

struct msg {
	uint8_t type;
	const uint8_t *body;
	size_t len;
};

struct fixture {
	struct event_base *base;
	struct bgp_session *s;
	struct peer dialled;   /* the peer's end of the connection the session dials */
	unsigned dials;
	bool refuse_dial;
};

static int dialer(void *arg)
{
	struct fixture *f = arg;
	int sv[2];
	f->dials++;
	if (f->refuse_dial) {
		errno = ECONNREFUSED;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		return -1;
	if (f->dialled.fd >= 0)
		close(f->dialled.fd);
	memset(&f->dialled, 0, sizeof(f->dialled));
	f->dialled.fd = sv[1];
	return sv[0];
}

static void loop_ms(struct event_base *b, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_base_loopexit(b, &tv);
	event_base_dispatch(b);
}

static void peer_drop(struct peer *p, size_t n)
{
	memmove(p->buf, p->buf + n, p->len - n);
	p->len -= n;
}

/* The next message the session sent to p, within ms; false on timeout or EOF. */
static bool peer_next(struct fixture *f, struct peer *p, unsigned ms, struct msg *m)
{
	if (p->consumed) {
		peer_drop(p, p->consumed);
		p->consumed = 0;
	}
	uint64_t end = mono_ms() + ms;
	for (int i = 0; i < 10000; i++) {
		size_t mlen = 0;
		uint8_t type = 0;
		struct bgp_error err;
		if (p->len >= BGP_HEADER_LEN) {
			int r = bgp_header_check(p->buf, p->len, &mlen, &type, &err);
			assert_true(r >= 0);
			if (p->len >= mlen) {
				m->type = type;
				m->body = p->buf + BGP_HEADER_LEN;
				m->len = mlen - BGP_HEADER_LEN;
				p->consumed = mlen;
				return true;
			}
		}
		ssize_t n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len);
		if (n > 0) {
			p->len += (size_t)n;
			continue;
		}
		if (n == 0) {
			p->eof = true;
			return false;
		}
		if (mono_ms() >= end)
			return false;
		loop_ms(f->base, 10);
	}
	return false;
}

/* Skips messages until one of type arrives (within ms). */
static bool peer_expect(struct fixture *f, struct peer *p, uint8_t type, unsigned ms, struct msg *m)
{
	uint64_t end = mono_ms() + ms;
	struct msg tmp;
	if (!m)
		m = &tmp;
	while (mono_ms() < end + 1)
		if (!peer_next(f, p, (unsigned)(end > mono_ms() ? end - mono_ms() : 0), m))
			return false;
		else if (m->type == type)
			return true;
	return false;
}

static void expect_notification(struct fixture *f, struct peer *p, uint8_t code, uint8_t subcode)
{
	struct msg m;
	assert_true(peer_expect(f, p, BGP_NOTIFICATION, 5000, &m));
	uint8_t c = 0, s = 0;
	const uint8_t *data;
	size_t dlen;
	assert_true(bgp_notification_decode(m.body, m.len, &c, &s, &data, &dlen));
	if (c != code || s != subcode)
		fail_msg("NOTIFICATION %s / %s, expected %s / %s", bgp_err_code_name(c), bgp_err_subcode_name(c, s),
			 bgp_err_code_name(code), bgp_err_subcode_name(code, subcode));
}

/* After the NOTIFICATION (if any) the session closes its end. */
static void expect_closed(struct fixture *f, struct peer *p)
{
	struct msg m;
	for (int i = 0; i < 100 && !p->eof; i++)
		if (!peer_next(f, p, 3000, &m) && !p->eof)
			break;
	assert_true(p->eof);
}

static void peer_send(struct peer *p, const uint8_t *msg, size_t len)
{
	assert_int_equal(write(p->fd, msg, len), (ssize_t)len);
}

/* The graceful restart capability the peer offers (peer_send_open's gr): none, plain, N bit, R bit. */
enum { GR = 1, GR_N = 2, GR_R = 4 };

static void peer_send_open(struct peer *p, uint32_t as, uint32_t id, uint16_t hold, unsigned gr)
{
	struct bgp_open o = {.version = 4, .hold_time = hold, .bgp_id = id};
	o.my_as = as > 65535 ? BGP_AS_TRANS : (uint16_t)as;
	o.caps.as4 = true;
	o.caps.as4_number = as;
	o.caps.route_refresh = true;
	o.caps.mp[BGP_AF_IPV4] = true;
	if (gr) {
		o.caps.graceful_restart = true;
		o.caps.gr_time = 120;
		o.caps.gr_af[BGP_AF_IPV4] = true;
		o.caps.gr_notification = (gr & GR_N) != 0;
		o.caps.gr_restarting = (gr & GR_R) != 0;
	}
	uint8_t buf[BGP_MAX_LEN];
	peer_send(p, buf, bgp_open_encode(&o, buf, sizeof(buf)));
}

static void peer_send_keepalive(struct peer *p)
{
	uint8_t buf[BGP_HEADER_LEN];
	peer_send(p, buf, bgp_keepalive_encode(buf, sizeof(buf)));
}

static struct bgp_session_config config(void)
{
	struct bgp_session_config c = {0};
	snprintf(c.name, sizeof(c.name), "metallb-system/rtr");
	c.local_as = c.peer_as = 64512;
	c.peer.family = IPF_V4;
	memcpy(c.peer.b, (uint8_t[]){192, 0, 2, 1}, 4);
	c.port = BGP_PORT;
	c.router_id = OUR_ID;
	c.hold_time = 3;
	c.keepalive_time = 1;
	c.connect_retry_ms = 100;
	return c;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->base = event_base_new();
	f->dialled.fd = -1;
	*state = f;
	return 0;
}

static void start(struct fixture *f, const struct bgp_session_config *c)
{
	f->s = bgp_session_new(f->base, c, false);
	assert_non_null(f->s);
	bgp_session_set_dialer(f->s, dialer, f);
	loop_ms(f->base, 5);  /* the first dial */
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->s)
		bgp_session_close(f->s, BGP_CEASE_ADMIN_SHUTDOWN);
	/* Lingering connections flush or time out within the loop. */
	for (int i = 0; i < 300 && bgp_closing_count(); i++)
		loop_ms(f->base, 10);
	assert_int_equal(bgp_closing_count(), 0);
	if (f->dialled.fd >= 0)
		close(f->dialled.fd);
	event_base_free(f->base);
	free(f);
	return 0;
}

static const char *last_error(struct bgp_session *s)
{
	static char buf[256];
	json_t *j = bgp_session_status(s);
	const char *e = json_string_value(json_object_get(j, "last_error"));
	snprintf(buf, sizeof(buf), "%s", e ? e : "");
	json_decref(j);
	return buf;
}

/* Brings the dialled connection to Established; the peer answers with id. */
static void establish_dialled(struct fixture *f, uint32_t id, unsigned gr)
{
	struct msg m;
	assert_true(peer_expect(f, &f->dialled, BGP_OPEN, 2000, &m));
	assert_int_equal(bgp_session_state(f->s), BS_OPENSENT);
	peer_send_open(&f->dialled, 64512, id, 3, gr);
	assert_true(peer_expect(f, &f->dialled, BGP_KEEPALIVE, 2000, NULL));
	assert_int_equal(bgp_session_state(f->s), BS_OPENCONFIRM);
	peer_send_keepalive(&f->dialled);
	/* End-of-RIB follows the (empty) table. */
	assert_true(peer_expect(f, &f->dialled, BGP_UPDATE, 2000, NULL));
	assert_int_equal(bgp_session_state(f->s), BS_ESTABLISHED);
}

/* A connection the peer opens: returns the peer's end. */
static struct peer *peer_connect(struct fixture *f)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	struct peer *p = calloc(1, sizeof(*p));
	p->fd = sv[1];
	bgp_session_accept(f->s, sv[0]);
	return p;
}

static void peer_free(struct peer *p)
{
	close(p->fd);
	free(p);
}

static void test_dial_and_establish(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	start(f, &c);
	establish_dialled(f, LOW_ID, false);
	/* Keepalives every second, and the session stays up while the peer answers. */
	for (int i = 0; i < 4; i++) {
		assert_true(peer_expect(f, &f->dialled, BGP_KEEPALIVE, 2000, NULL));
		peer_send_keepalive(&f->dialled);
	}
	assert_int_equal(bgp_session_state(f->s), BS_ESTABLISHED);
}

/*
 * The families our OPEN offers, per MetalLB's FRR mode: the session's own;
 * both with dualStackAddressFamily; disableMP (deprecated) changes nothing.
 */
static void test_open_families(void **state)
{
	struct fixture *f = *state;
	static const struct {
		uint8_t family;
		bool disable_mp, dual_stack, v4, v6;
	} rows[] = {
		{IPF_V4, false, false, true, false}, {IPF_V4, true, false, true, false},
		{IPF_V4, false, true, true, true},   {IPF_V4, true, true, true, true},
		{IPF_V6, false, false, false, true}, {IPF_V6, true, true, true, true},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		struct bgp_session_config c = config();
		c.peer.family = rows[i].family;
		c.disable_mp = rows[i].disable_mp;
		c.dual_stack = rows[i].dual_stack;
		start(f, &c);
		struct msg m;
		struct bgp_open o;
		struct bgp_error err;
		assert_true(peer_expect(f, &f->dialled, BGP_OPEN, 2000, &m));
		assert_true(bgp_open_decode(m.body, m.len, &o, &err));
		assert_int_equal(o.caps.mp[BGP_AF_IPV4], rows[i].v4);
		assert_int_equal(o.caps.mp[BGP_AF_IPV6], rows[i].v6);
		bgp_session_close(f->s, BGP_CEASE_ADMIN_SHUTDOWN);
		f->s = NULL;
		for (int k = 0; k < 300 && bgp_closing_count(); k++)
			loop_ms(f->base, 10);
		close(f->dialled.fd);
		memset(&f->dialled, 0, sizeof(f->dialled));
		f->dialled.fd = -1;
	}
}

/* localASN: the OPEN carries the AS the session config presents (4-octet in the capability). */
static void test_open_local_as(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	c.local_as = 4200000001u;
	c.peer_as = 64512;
	start(f, &c);
	struct msg m;
	struct bgp_open o;
	struct bgp_error err;
	assert_true(peer_expect(f, &f->dialled, BGP_OPEN, 2000, &m));
	assert_true(bgp_open_decode(m.body, m.len, &o, &err));
	assert_int_equal(o.my_as, BGP_AS_TRANS);
	assert_int_equal(bgp_open_asn(&o), 4200000001u);
}

static void test_hold_expiry(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	start(f, &c);
	establish_dialled(f, LOW_ID, false);
	uint64_t t0 = mono_ms();
	expect_notification(f, &f->dialled, BGP_ERR_HOLD, 0);
	uint64_t took = mono_ms() - t0;
	assert_true(took >= 2500 && took <= 3600);
	expect_closed(f, &f->dialled);
	assert_int_equal(bgp_session_state(f->s), BS_ACTIVE);
	/* ConnectRetry: it dials again. */
	unsigned before = f->dials;
	loop_ms(f->base, 400);
	assert_true(f->dials > before);
}

/* Finding 1: a second connection while Established is refused on the bare socket. */
static void test_duplicate_while_established(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	start(f, &c);
	struct peer *in = peer_connect(f);
	struct msg m;
	assert_true(peer_expect(f, in, BGP_OPEN, 2000, &m));
	/* The peer's Identifier is the higher: its connection wins over the one we dialled. */
	peer_send_open(in, 64512, HIGH_ID, 3, false);
	assert_true(peer_expect(f, in, BGP_KEEPALIVE, 2000, NULL));
	peer_send_keepalive(in);
	assert_true(peer_expect(f, in, BGP_UPDATE, 2000, NULL));
	assert_int_equal(bgp_session_state(f->s), BS_ESTABLISHED);

	struct peer *dup = peer_connect(f);
	expect_notification(f, dup, BGP_ERR_CEASE, BGP_CEASE_CONNECTION_REJECTED);
	expect_closed(f, dup);
	peer_free(dup);
	/* The Established connection is untouched and keeps its timers. */
	for (int i = 0; i < 2; i++) {
		assert_true(peer_expect(f, in, BGP_KEEPALIVE, 2000, NULL));
		peer_send_keepalive(in);
	}
	assert_int_equal(bgp_session_state(f->s), BS_ESTABLISHED);
	/* Then the BGPPeer is removed: Cease / Peer De-configured on the live connection. */
	bgp_session_close(f->s, BGP_CEASE_PEER_DECONFIGURED);
	f->s = NULL;
	expect_notification(f, in, BGP_ERR_CEASE, BGP_CEASE_PEER_DECONFIGURED);
	expect_closed(f, in);
	peer_free(in);
}

/* RFC 4724 4.2: with graceful restart, a new connection replaces the Established one. */
static void test_graceful_restart_takeover(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	c.graceful_restart = true;
	start(f, &c);
	establish_dialled(f, LOW_ID, true);
	struct peer *in = peer_connect(f);
	expect_closed(f, &f->dialled);  /* the old connection goes, without a NOTIFICATION */
	assert_true(peer_expect(f, in, BGP_OPEN, 2000, NULL));
	peer_send_open(in, 64512, LOW_ID, 3, true);
	assert_true(peer_expect(f, in, BGP_KEEPALIVE, 2000, NULL));
	peer_send_keepalive(in);
	assert_true(peer_expect(f, in, BGP_UPDATE, 2000, NULL));
	assert_int_equal(bgp_session_state(f->s), BS_ESTABLISHED);
	peer_free(in);
}

/* RFC 4271 6.8 with both connections in OpenSent: the higher BGP Identifier's connection wins. */
static void collision(struct fixture *f, uint32_t peer_id, bool outgoing_wins)
{
	struct bgp_session_config c = config();
	start(f, &c);
	assert_true(peer_expect(f, &f->dialled, BGP_OPEN, 2000, NULL));
	struct peer *in = peer_connect(f);
	assert_true(peer_expect(f, in, BGP_OPEN, 2000, NULL));
	/* The OPEN arrives first on the connection that is to lose, then on the winner. */
	struct peer *win = outgoing_wins ? &f->dialled : in, *lose = outgoing_wins ? in : &f->dialled;
	peer_send_open(lose, 64512, peer_id, 3, false);
	peer_send_open(win, 64512, peer_id, 3, false);
	expect_notification(f, lose, BGP_ERR_CEASE, BGP_CEASE_COLLISION);
	expect_closed(f, lose);
	assert_true(peer_expect(f, win, BGP_KEEPALIVE, 2000, NULL));
	peer_send_keepalive(win);
	assert_true(peer_expect(f, win, BGP_UPDATE, 2000, NULL));
	assert_int_equal(bgp_session_state(f->s), BS_ESTABLISHED);
	peer_free(in);
}

static void test_collision_we_win(void **state)
{
	collision(*state, LOW_ID, true);
}

static void test_collision_peer_wins(void **state)
{
	collision(*state, HIGH_ID, false);
}

/* RFC 6608: the subcode names the state the unexpected message came in. */
static void test_unexpected_in_opensent(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	start(f, &c);
	assert_true(peer_expect(f, &f->dialled, BGP_OPEN, 2000, NULL));
	peer_send_keepalive(&f->dialled);
	expect_notification(f, &f->dialled, BGP_ERR_FSM, BGP_FSM_IN_OPENSENT);
	expect_closed(f, &f->dialled);
	assert_non_null(strstr(last_error(f->s), "unexpected KEEPALIVE in state OpenSent"));
}

static void test_unexpected_in_openconfirm(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	start(f, &c);
	assert_true(peer_expect(f, &f->dialled, BGP_OPEN, 2000, NULL));
	peer_send_open(&f->dialled, 64512, LOW_ID, 3, false);
	assert_true(peer_expect(f, &f->dialled, BGP_KEEPALIVE, 2000, NULL));
	peer_send_open(&f->dialled, 64512, LOW_ID, 3, false);
	expect_notification(f, &f->dialled, BGP_ERR_FSM, BGP_FSM_IN_OPENCONFIRM);
	expect_closed(f, &f->dialled);
}

static void test_unexpected_in_established(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	start(f, &c);
	establish_dialled(f, LOW_ID, false);
	peer_send_open(&f->dialled, 64512, LOW_ID, 3, false);
	expect_notification(f, &f->dialled, BGP_ERR_FSM, BGP_FSM_IN_ESTABLISHED);
	expect_closed(f, &f->dialled);
}

static void test_garbage_after_open(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	start(f, &c);
	establish_dialled(f, LOW_ID, false);
	uint8_t junk[40];
	memset(junk, 0x5a, sizeof(junk));
	peer_send(&f->dialled, junk, sizeof(junk));
	expect_notification(f, &f->dialled, BGP_ERR_HEADER, BGP_HDR_NOT_SYNC);
	expect_closed(f, &f->dialled);
	assert_int_equal(bgp_session_state(f->s), BS_ACTIVE);
}

/* RFC 8203/9003: the peer's shutdown communication is kept, control characters escaped. */
static void test_shutdown_communication(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	start(f, &c);
	establish_dialled(f, LOW_ID, false);
	static const char text[] = "maintenance\x1b[2J until 06:00";
	uint8_t data[64];
	data[0] = (uint8_t)(sizeof(text) - 1);
	memcpy(data + 1, text, sizeof(text) - 1);
	uint8_t buf[128];
	size_t n = bgp_notification_encode(BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN, data, sizeof(text), buf, sizeof(buf));
	peer_send(&f->dialled, buf, n);
	expect_closed(f, &f->dialled);
	const char *e = last_error(f->s);
	assert_non_null(strstr(e, "Administrative Shutdown"));
	assert_non_null(strstr(e, "maintenance"));
	assert_null(strchr(e, '\x1b'));
	assert_non_null(strstr(e, "until 06:00"));
}

/* A peer that stops reading is dropped after the hold time (RFC 9687), memory bounded. */
static void test_peer_stops_reading(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	start(f, &c);
	establish_dialled(f, LOW_ID, false);
	int small = 4096;
	setsockopt(f->dialled.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	/* 30,000 routes with one attribute set each fill every buffer on the way. */
	enum { N = 30000 };
	struct plan_route *routes = calloc(N, sizeof(*routes));
	struct plan_attrs *attrs = calloc(N, sizeof(*attrs));
	for (uint32_t i = 0; i < N; i++) {
		routes[i].pfx.family = 4;
		routes[i].pfx.len = 32;
		uint32_t a = 0xC6120000u + i;  /* 198.18.0.0/15 */
		routes[i].pfx.addr[0] = a >> 24, routes[i].pfx.addr[1] = a >> 16;
		routes[i].pfx.addr[2] = a >> 8, routes[i].pfx.addr[3] = a;
		routes[i].attrs = i;
		attrs[i].has_local_pref = true;
		attrs[i].local_pref = 100 + i;
	}
	bgp_session_set_routes(f->s, routes, N, attrs, N);
	free(routes);
	free(attrs);
	/* The peer keeps sending keepalives, so its hold timer is no excuse. */
	uint64_t t0 = mono_ms();
	for (int i = 0; i < 60 && bgp_session_state(f->s) == BS_ESTABLISHED; i++) {
		peer_send_keepalive(&f->dialled);
		loop_ms(f->base, 100);
	}
	uint64_t took = mono_ms() - t0;
	assert_int_not_equal(bgp_session_state(f->s), BS_ESTABLISHED);
	assert_true(took >= 2500 && took <= 4500);
	assert_non_null(strstr(last_error(f->s), "send hold timer"));
}

/* Closing in every state frees everything (ASan checks) and sends the Cease where a peer listens. */
static void test_close_in_each_state(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	enum bgp_state states[] = {BS_ACTIVE, BS_OPENSENT, BS_OPENCONFIRM, BS_ESTABLISHED};
	for (size_t k = 0; k < sizeof(states) / sizeof(*states); k++) {
		f->refuse_dial = states[k] == BS_ACTIVE;
		start(f, &c);
		if (states[k] == BS_ACTIVE) {
			loop_ms(f->base, 50);
		} else {
			assert_true(peer_expect(f, &f->dialled, BGP_OPEN, 2000, NULL));
			if (states[k] >= BS_OPENCONFIRM) {
				peer_send_open(&f->dialled, 64512, LOW_ID, 3, false);
				assert_true(peer_expect(f, &f->dialled, BGP_KEEPALIVE, 2000, NULL));
			}
			if (states[k] == BS_ESTABLISHED) {
				peer_send_keepalive(&f->dialled);
				assert_true(peer_expect(f, &f->dialled, BGP_UPDATE, 2000, NULL));
			}
		}
		assert_int_equal(bgp_session_state(f->s), states[k]);
		bgp_session_close(f->s, BGP_CEASE_CONFIG_CHANGE);
		f->s = NULL;
		if (states[k] != BS_ACTIVE) {
			expect_notification(f, &f->dialled, BGP_ERR_CEASE, BGP_CEASE_CONFIG_CHANGE);
			expect_closed(f, &f->dialled);
		}
		for (int i = 0; i < 300 && bgp_closing_count(); i++)
			loop_ms(f->base, 10);
		assert_int_equal(bgp_closing_count(), 0);
	}
	f->refuse_dial = false;
}

/* A refused dial is retried every connectTime (jittered 0.75-1.0), never faster. */
static void test_retry_interval(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();  /* connectTime 100 ms (validation allows 1 s up) */
	f->refuse_dial = true;
	start(f, &c);
	unsigned first = f->dials;
	loop_ms(f->base, 1000);
	/* Every 75-100 ms: 10 to 13 more attempts in a second; fewer only if the loop lags. */
	unsigned more = f->dials - first;
	print_message("%u attempts in 1 s at connectTime 100 ms\n", more);
	assert_true(more >= 8 && more <= 14);
	assert_int_equal(bgp_session_state(f->s), BS_ACTIVE);
	f->refuse_dial = false;
}

/* Without connectTime a refused dial backs off exponentially from 1 s (with jitter). */
static void test_backoff_without_connect_time(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	c.connect_retry_ms = 0;
	f->refuse_dial = true;
	start(f, &c);
	loop_ms(f->base, 3300);
	/* At 0, then 0.75-1 s later, then 1.5-2 s after that; the next is 3-4 s further. */
	assert_int_equal(f->dials, 3);
	f->refuse_dial = false;
}

/* ---- graceful restart: how a session ends, and a restarting peer (RFC 4724, RFC 8538) ---- */

static const struct plan_route gr_routes[] = {
	{{4, 32, {198, 51, 100, 10}}, 0},
	{{4, 32, {198, 51, 100, 11}}, 0},
};
static const struct plan_attrs gr_attrs[1];

/* Our OPEN's graceful restart capability, as the peer reads it. */
static struct bgp_caps our_gr(struct fixture *f, struct peer *p)
{
	struct msg m;
	struct bgp_open o;
	struct bgp_error err;
	assert_true(peer_expect(f, p, BGP_OPEN, 2000, &m));
	assert_true(bgp_open_decode(m.body, m.len, &o, &err));
	return o.caps;
}

/* Brings the dialled connection up with the routes set; returns the NLRI count sent before End-of-RIB. */
static size_t establish_with_routes(struct fixture *f, unsigned gr, struct bgp_caps *ours)
{
	bgp_session_set_routes(f->s, gr_routes, 2, gr_attrs, 1);
	*ours = our_gr(f, &f->dialled);
	peer_send_open(&f->dialled, 64512, LOW_ID, 3, gr);
	assert_true(peer_expect(f, &f->dialled, BGP_KEEPALIVE, 2000, NULL));
	peer_send_keepalive(&f->dialled);
	size_t nlri = 0;
	struct msg m;
	for (int i = 0; i < 10; i++) {
		struct bgp_update u;
		struct bgp_error err;
		assert_true(peer_expect(f, &f->dialled, BGP_UPDATE, 2000, &m));
		assert_true(bgp_update_decode(m.body, m.len, true, true, &u, &err));
		if (u.end_of_rib)
			return nlri;
		struct bgp_prefix pfx;
		const uint8_t *q = u.nlri;
		size_t len = u.nlri_len;
		while (bgp_nlri_next(&q, &len, 4, &pfx))
			nlri++;
	}
	fail_msg("no End-of-RIB");
	return 0;
}

/* The connection ends with no message at all: no withdrawal, no NOTIFICATION. */
static void expect_silent_close(struct fixture *f, struct peer *p)
{
	struct msg m;
	for (int i = 0; i < 100; i++) {
		if (peer_next(f, p, 3000, &m)) {
			if (m.type != BGP_KEEPALIVE)
				fail_msg("message type %u before the close", m.type);
			continue;
		}
		break;
	}
	assert_true(p->eof);
}

/* SIGTERM with graceful restart but no N bit at the peer: the TCP connection closes, nothing sent. */
static void test_end_restart_gr(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	c.graceful_restart = true;
	f->s = bgp_session_new(f->base, &c, true);
	bgp_session_set_dialer(f->s, dialer, f);
	struct bgp_caps ours;
	assert_int_equal(establish_with_routes(f, GR, &ours), 2);
	/* Fresh from process start: R set; N and forwarding offered. */
	assert_true(ours.graceful_restart && ours.gr_restarting && ours.gr_notification);
	assert_true(ours.gr_af[BGP_AF_IPV4] && ours.gr_af_forwarding[BGP_AF_IPV4]);
	bool n = true;
	assert_true(bgp_session_gr_negotiated(f->s, &n));
	assert_false(n);
	bgp_session_end(f->s, BGP_END_RESTART);
	f->s = NULL;
	expect_silent_close(f, &f->dialled);
}

/* With N on both sides: Cease / Administrative Shutdown, which the peer treats as a restart. */
static void test_end_restart_gr_notification(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	c.graceful_restart = true;
	start(f, &c);
	struct bgp_caps ours;
	establish_with_routes(f, GR | GR_N, &ours);
	assert_false(ours.gr_restarting);  /* not a session made at process start */
	bool n = false;
	assert_true(bgp_session_gr_negotiated(f->s, &n));
	assert_true(n);
	bgp_session_end(f->s, BGP_END_RESTART);
	f->s = NULL;
	/* No withdrawal first: the NOTIFICATION is the next message. */
	struct msg m;
	do
		assert_true(peer_next(f, &f->dialled, 3000, &m));
	while (m.type == BGP_KEEPALIVE);
	assert_int_equal(m.type, BGP_NOTIFICATION);
	assert_int_equal(m.body[0], BGP_ERR_CEASE);
	assert_int_equal(m.body[1], BGP_CEASE_ADMIN_SHUTDOWN);
	expect_closed(f, &f->dialled);
}

/* enableGracefulRestart on, the peer without the capability: Cease as before. Off: Cease too. */
static void test_end_restart_without_gr(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	c.graceful_restart = true;
	start(f, &c);
	struct bgp_caps ours;
	establish_with_routes(f, 0, &ours);
	assert_false(bgp_session_gr_negotiated(f->s, NULL));
	bgp_session_end(f->s, BGP_END_RESTART);
	f->s = NULL;
	expect_notification(f, &f->dialled, BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN);
	expect_closed(f, &f->dialled);

	c.graceful_restart = false;
	start(f, &c);
	establish_with_routes(f, GR | GR_N, &ours);
	assert_false(ours.graceful_restart);
	assert_false(bgp_session_gr_negotiated(f->s, NULL));
	bgp_session_end(f->s, BGP_END_RESTART);
	f->s = NULL;
	expect_notification(f, &f->dialled, BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN);
	expect_closed(f, &f->dialled);
}

/* The next NOTIFICATION is a Cease / Hard Reset standing for Cease / inner_sub. */
static void expect_hard_reset(struct fixture *f, struct peer *p, uint8_t inner_sub)
{
	struct msg m;
	assert_true(peer_expect(f, p, BGP_NOTIFICATION, 3000, &m));
	uint8_t code, sub, icode, isub;
	const uint8_t *data, *inner;
	size_t dlen, ilen;
	assert_true(bgp_notification_decode(m.body, m.len, &code, &sub, &data, &dlen));
	assert_int_equal(code, BGP_ERR_CEASE);
	assert_int_equal(sub, BGP_CEASE_HARD_RESET);
	assert_true(bgp_hard_reset_decode(data, dlen, &icode, &isub, &inner, &ilen));
	assert_int_equal(icode, BGP_ERR_CEASE);
	assert_int_equal(isub, inner_sub);
}

/*
 * A close the peer must flush our routes for: with RFC 8538's N bit a Cease /
 * Hard Reset standing for Cease / sub (a plain Cease would leave them stale
 * for the restart time), without N the plain Cease.
 */
static void expect_flushing_close(struct fixture *f, void (*close)(struct bgp_session *), uint8_t sub)
{
	struct bgp_session_config c = config();
	c.graceful_restart = true;
	struct bgp_caps ours;
	start(f, &c);
	establish_with_routes(f, GR | GR_N, &ours);
	close(f->s);
	f->s = NULL;
	expect_hard_reset(f, &f->dialled, sub);
	expect_closed(f, &f->dialled);

	start(f, &c);
	establish_with_routes(f, GR, &ours);
	close(f->s);
	f->s = NULL;
	expect_notification(f, &f->dialled, BGP_ERR_CEASE, sub);
	expect_closed(f, &f->dialled);
}

static void end_leave(struct bgp_session *s)
{
	bgp_session_end(s, BGP_END_LEAVE);
}

static void close_deconfigured(struct bgp_session *s)
{
	bgp_session_close(s, BGP_CEASE_PEER_DECONFIGURED);
}

/* Leaving for good (drain). */
static void test_end_leave(void **state)
{
	expect_flushing_close(*state, end_leave, BGP_CEASE_ADMIN_SHUTDOWN);
}

/* A session closed while the process goes on: its BGPPeer changed or went. */
static void test_close_with_notification(void **state)
{
	expect_flushing_close(*state, close_deconfigured, BGP_CEASE_PEER_DECONFIGURED);
}

/*
 * Helper side: the peer restarts (its connection drops, it comes back with
 * R set): the same session, unchanged, sends every route and End-of-RIB again.
 */
static void test_peer_restarts(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	c.graceful_restart = true;
	start(f, &c);
	struct bgp_caps ours;
	assert_int_equal(establish_with_routes(f, GR, &ours), 2);
	unsigned dials = f->dials;
	close(f->dialled.fd);  /* the peer's process dies */
	f->dialled.fd = -1;
	for (int i = 0; i < 100 && f->dials == dials; i++)
		loop_ms(f->base, 20);
	assert_true(f->dials > dials);
	assert_int_equal(establish_with_routes(f, GR | GR_R, &ours), 2);
	assert_false(ours.gr_restarting);  /* we did not restart */
	assert_int_equal(bgp_session_state(f->s), BS_ESTABLISHED);
}

/*
 * BFD coupling (RFC 5882, RFC 9384): held, the session neither dials nor
 * accepts; released, it dials at once; BFD Down ends it with Cease / BFD
 * Down and holds it again.
 */
static void test_bfd_hold_and_down(void **state)
{
	struct fixture *f = *state;
	struct bgp_session_config c = config();
	f->s = bgp_session_new(f->base, &c, false);
	assert_non_null(f->s);
	bgp_session_set_dialer(f->s, dialer, f);
	bgp_session_bfd_hold(f->s, true);
	loop_ms(f->base, 300);
	assert_int_equal(f->dials, 0);
	assert_int_equal(bgp_session_state(f->s), BS_IDLE);
	struct peer *in = peer_connect(f);
	expect_notification(f, in, BGP_ERR_CEASE, BGP_CEASE_CONNECTION_REJECTED);
	expect_closed(f, in);
	peer_free(in);

	bgp_session_bfd_hold(f->s, false);
	loop_ms(f->base, 20);
	assert_int_equal(f->dials, 1);
	establish_dialled(f, LOW_ID, 0);

	bgp_session_bfd_down(f->s);
	expect_notification(f, &f->dialled, BGP_ERR_CEASE, BGP_CEASE_BFD_DOWN);
	expect_closed(f, &f->dialled);
	loop_ms(f->base, 300);  /* connectTime is 100 ms: no dial while held */
	assert_int_equal(f->dials, 1);
	assert_int_equal(bgp_session_state(f->s), BS_IDLE);
	bgp_session_bfd_hold(f->s, false);
	loop_ms(f->base, 20);
	assert_int_equal(f->dials, 2);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);  /* as the daemon does: a peer's closed end is an error, not a signal */
	log_set_level(getenv("TEST_LOG") ? LOG_DEBUG : LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dial_and_establish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bfd_hold_and_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_families, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_local_as, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_while_established, setup, teardown),
		cmocka_unit_test_setup_teardown(test_graceful_restart_takeover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collision_we_win, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collision_peer_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unexpected_in_opensent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unexpected_in_openconfirm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unexpected_in_established, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_after_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_communication, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_stops_reading, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_in_each_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backoff_without_connect_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_restart_gr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_restart_gr_notification, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_restart_without_gr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_leave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_with_notification, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_restarts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
