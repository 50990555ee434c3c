/*
 * Unnumbered BGP in the speaker (speaker/bgp_unnumbered.c and its use by the
 * session): the next hops for a link-local and for a global address, the
 * scope of the dialled address, and a session over a socketpair whose OPEN
 * offers both families and the RFC 8950 extended next hop; IPv4 routes go
 * in MP_REACH_NLRI with an IPv6 next hop when the peer offers it too, and are
 * not sent when it does not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bgp.h"
#include "bgp_session.h"
#include "bgp_unnumbered.h"
#include "clock.h"
#include "plan.h"

static const struct ipaddr LL = {IPF_V6, {0xfe, 0x80, [15] = 0x11}};
static const struct ipaddr GLOBAL = {IPF_V6, {0x20, 0x01, 0x0d, 0xb8, 0, 3, [15] = 0x11}};

static void test_next_hops(void **state)
{
	struct bgp_route_attrs a = {0};
	struct ipaddr none = {0};

	(void)state;
	bgp_unnumbered_next_hops(&a, &LL, &none, true);
	assert_memory_equal(a.next_hop6, LL.b, 16);
	assert_false(a.has_next_hop6_ll);
	assert_true(a.ipv4_nh6);
	bgp_unnumbered_next_hops(&a, &LL, &GLOBAL, false);
	assert_memory_equal(a.next_hop6, GLOBAL.b, 16);
	assert_memory_equal(a.next_hop6_ll, LL.b, 16);
	assert_true(a.has_next_hop6_ll);
	assert_false(a.ipv4_nh6);
	bgp_unnumbered_next_hops(&a, &LL, NULL, false);
	assert_false(a.has_next_hop6_ll);
}

static void test_scope(void **state)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	(void)state;
	ss.ss_family = AF_INET6;
	bgp_unnumbered_scope(&ss, 7);
	assert_int_equal(s6->sin6_scope_id, 7);
	bgp_unnumbered_scope(&ss, 0);
	assert_int_equal(s6->sin6_scope_id, 7);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_INET;
	bgp_unnumbered_scope(&ss, 7);
	assert_int_equal(((struct sockaddr_in *)&ss)->sin_port, 0);
	assert_int_equal(s6->sin6_scope_id, 0);
}

/* ---- a session over a socketpair */

struct fixture {
	struct event_base *base;
	struct bgp_session *s;
	int fd;  /* the peer's end */
	uint8_t buf[1 << 16];
	size_t len;
};

static int dialer(void *arg)
{
	struct fixture *f = arg;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		return -1;
	f->fd = sv[1];
	return sv[0];
}

static void loop_ms(struct event_base *b, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_base_loopexit(b, &tv);
	event_base_dispatch(b);
}

/* The next message of type from the session, within 2 s: its body copied to body. */
static size_t expect_msg(struct fixture *f, uint8_t want, uint8_t *body)
{
	uint64_t end = mono_ms() + 2000;
	while (mono_ms() < end) {
		size_t mlen = 0;
		uint8_t type = 0;
		struct bgp_error err;
		if (f->len >= BGP_HEADER_LEN && bgp_header_check(f->buf, f->len, &mlen, &type, &err) == 1 &&
		    f->len >= mlen) {
			size_t blen = mlen - BGP_HEADER_LEN;
			memcpy(body, f->buf + BGP_HEADER_LEN, blen);
			memmove(f->buf, f->buf + mlen, f->len - mlen);
			f->len -= mlen;
			if (type == want)
				return blen;
			continue;
		}
		ssize_t n = f->fd >= 0 ? read(f->fd, f->buf + f->len, sizeof(f->buf) - f->len) : -1;
		if (n > 0)
			f->len += (size_t)n;
		else
			loop_ms(f->base, 10);
	}
	fail_msg("no message of type %u", want);
	return 0;
}

static void send_msg(struct fixture *f, const uint8_t *m, size_t n)
{
	assert_int_equal(write(f->fd, m, n), (ssize_t)n);
}

static const struct plan_route routes[] = {
	{{4, 32, {198, 51, 100, 10}}, 0},
	{{6, 128, {0x20, 0x01, 0x0d, 0xb8, 0, 5, [15] = 0x10}}, 0},
};
static const struct plan_attrs attrs[1];

/* Runs a session to Established with a peer offering (or not) the extended next hop; counts what it sends. */
static void run_session(bool peer_enh, unsigned *v4_mp, unsigned *v6_mp, unsigned *v4_classic)
{
	struct fixture f = {.base = event_base_new(), .fd = -1};
	struct bgp_session_config c = {0};
	snprintf(c.name, sizeof(c.name), "metallb-system/tor");
	snprintf(c.ifname, sizeof(c.ifname), "eth0");
	c.ifindex = 2;
	c.peer = LL;
	c.local_as = 64512;
	c.peer_as = 64500;
	c.port = BGP_PORT;
	c.router_id = 0xc000020b;
	c.hold_time = 3;
	c.keepalive_time = 1;
	c.connect_retry_ms = 100;
	f.s = bgp_session_new(f.base, &c, false);
	assert_non_null(f.s);
	bgp_session_set_dialer(f.s, dialer, &f);
	bgp_session_set_routes(f.s, routes, 2, attrs, 1);
	loop_ms(f.base, 5);

	uint8_t body[BGP_MAX_LEN], m[BGP_MAX_LEN];
	struct bgp_open o;
	struct bgp_error err;
	size_t n = expect_msg(&f, BGP_OPEN, body);
	assert_true(bgp_open_decode(body, n, &o, &err));
	assert_true(o.caps.mp[BGP_AF_IPV4] && o.caps.mp[BGP_AF_IPV6]);
	assert_true(o.caps.ext_nh_ipv4);

	struct bgp_open peer = {.version = 4, .my_as = 64500, .hold_time = 3, .bgp_id = 0xcb007101};
	peer.caps.as4 = true;
	peer.caps.as4_number = 64500;
	peer.caps.mp[BGP_AF_IPV4] = peer.caps.mp[BGP_AF_IPV6] = true;
	peer.caps.ext_nh_ipv4 = peer_enh;
	send_msg(&f, m, bgp_open_encode(&peer, m, sizeof(m)));
	expect_msg(&f, BGP_KEEPALIVE, body);
	send_msg(&f, m, bgp_keepalive_encode(m, sizeof(m)));

	*v4_mp = *v6_mp = *v4_classic = 0;
	/* One End-of-RIB per family sent: IPv4 only with the extended next hop. */
	for (int eors = 0, k = 0; eors < (peer_enh ? 2 : 1) && k < 10; k++) {
		struct bgp_update u;
		n = expect_msg(&f, BGP_UPDATE, body);
		assert_true(bgp_update_decode(body, n, true, false, &u, &err));
		if (u.end_of_rib) {
			eors++;
			continue;
		}
		*v4_classic += u.nlri_len > 0;
		if (u.mp_reach) {
			assert_true(u.mp_next_hop_v6);
			assert_false(u.mp_next_hop_has_ll);
			*(u.mp_reach_af == BGP_AF_IPV4 ? v4_mp : v6_mp) += 1;
		}
	}
	bgp_session_close(f.s, BGP_CEASE_ADMIN_SHUTDOWN);
	for (int i = 0; i < 300 && bgp_closing_count(); i++)
		loop_ms(f.base, 10);
	close(f.fd);
	event_base_free(f.base);
}

static void test_session_with_extended_next_hop(void **state)
{
	unsigned v4_mp, v6_mp, v4_classic;

	(void)state;
	run_session(true, &v4_mp, &v6_mp, &v4_classic);
	assert_int_equal(v4_mp, 1);
	assert_int_equal(v6_mp, 1);
	assert_int_equal(v4_classic, 0);
}

static void test_session_without_extended_next_hop(void **state)
{
	unsigned v4_mp, v6_mp, v4_classic;

	(void)state;
	run_session(false, &v4_mp, &v6_mp, &v4_classic);
	assert_int_equal(v4_mp, 0);
	assert_int_equal(v6_mp, 1);
	assert_int_equal(v4_classic, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_hops),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_session_with_extended_next_hop),
		cmocka_unit_test(test_session_without_extended_next_hop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
