/*
 * Unit tests for Router Solicitation / Advertisement (proto/ndp_router.c):
 * exact bytes of what vipcast sends, and a table of received messages, one
 * row per RFC 4861 6.1 check, each from a heap block of its exact size.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ndp_router.h"
#include "test_bgp_util.h"

static const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x01};

static void test_encode(void **state)
{
	uint8_t buf[NDP_ROUTER_MAX];
	size_t n;

	(void)state;
	n = ndp_router_encode(NDP_RA, 0, mac, buf, sizeof(buf));
	expect_hex("RA, lifetime 0, SLLA", buf, n, "86 00 0000 00 00 0000 00000000 00000000 01 01 02005e005301");
	n = ndp_router_encode(NDP_RA, 1800, NULL, buf, sizeof(buf));
	expect_hex("RA, lifetime 1800", buf, n, "86 00 0000 00 00 0708 00000000 00000000");
	n = ndp_router_encode(NDP_RS, 0, mac, buf, sizeof(buf));
	expect_hex("RS, SLLA", buf, n, "85 00 0000 00000000 01 01 02005e005301");
	for (size_t cap = 0; cap < 24; cap++)
		assert_int_equal(ndp_router_encode(NDP_RA, 0, mac, buf, cap), 0);
	assert_int_equal(ndp_router_encode((enum ndp_router_type)135, 0, NULL, buf, sizeof(buf)), 0);
}

#define LL "fe80000000000000000000fffe000001"
#define GLOBAL "20010db8000000000000000000000001"
#define ZERO "00000000000000000000000000000000"

struct row {
	const char *name, *msg, *src;
	int hops;
	bool ok;
	const char *why;  /* a substring of the reason, when dropped */
};

static const struct row rows[] = {
	{"FRR's RA: lifetime 1800, SLLA, MTU option", "86 00 1234 40 00 0708 00000000 00000000 01 01 02005e005302"
	 " 05 01 0000 000005dc", LL, 255, true, NULL},
	{"RA without options", "86 00 0000 00 00 0000 00000000 00000000", LL, 255, true, NULL},
	{"RS from the unspecified address", "85 00 0000 00000000", ZERO, 255, true, NULL},
	{"RA with hop limit 64", "86 00 0000 00 00 0000 00000000 00000000", LL, 64, false, "hop limit"},
	{"RA with code 1", "86 01 0000 00 00 0000 00000000 00000000", LL, 255, false, "code"},
	{"RA from a global address", "86 00 0000 00 00 0000 00000000 00000000", GLOBAL, 255, false, "not link-local"},
	{"RA of 15 bytes", "86 00 0000 00 00 0000 00000000 000000", LL, 255, false, "shorter than 16"},
	{"RS of 7 bytes", "85 00 0000 000000", LL, 255, false, "shorter than 8"},
	{"RA with an option of length 0", "86 00 0000 00 00 0000 00000000 00000000 01 00", LL, 255, false, "length 0"},
	{"RA with an option past the end", "86 00 0000 00 00 0000 00000000 00000000 01 02 02005e005302", LL, 255, false,
	 "past the message"},
	{"RA with an option header cut", "86 00 0000 00 00 0000 00000000 00000000 01", LL, 255, false, "cut short"},
	{"RS from :: with SLLA", "85 00 0000 00000000 01 01 02005e005302", ZERO, 255, false, "unspecified"},
	{"an NS", "87 00 0000 00000000" LL, LL, 255, false, "neither"},
	{"3 bytes", "86 00 00", LL, 255, false, "ICMPv6 header"},
};

static void test_check(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		const struct row *r = &rows[i];
		size_t n;
		uint8_t *m = hex_exact(r->msg, &n), src[16];
		struct ndp_router_msg out;
		const char *why = NULL;

		hex_to(r->src, src, 16);
		bool ok = ndp_router_check(m, n, r->hops, src, &out, &why);
		if (ok != r->ok)
			fail_msg("%s: %s (%s)", r->name, ok ? "accepted" : "dropped", why ? why : "");
		if (!ok && !strstr(why, r->why))
			fail_msg("%s: reason \"%s\", want \"%s\"", r->name, why, r->why);
		free(m);
	}
}

static void test_fields(void **state)
{
	size_t n;
	uint8_t *m = hex_exact("86 00 1234 40 00 0708 00000000 00000000 05 01 0000 000005dc 01 01 02005e005302"
			       " 01 01 02005e005303", &n), src[16];
	struct ndp_router_msg out;
	const char *why = NULL;

	(void)state;
	hex_to(LL, src, 16);
	assert_true(ndp_router_check(m, n, 255, src, &out, &why));
	assert_int_equal(out.type, NDP_RA);
	assert_int_equal(out.lifetime, 1800);
	assert_true(out.has_slla);
	expect_hex("the first SLLA", out.slla, 6, "02005e005302");
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
