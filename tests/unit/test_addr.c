/* Unit tests for config/addr.c: literals, CIDRs, ranges and CIDR decomposition. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "testutil.h"

#define WHY_LEN 256
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Heap copy of exactly len bytes, no terminator, so ASan flags any read past len. */
static char *exact(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

static bool parse_addr_n(const char *s, size_t len, struct ipaddr *out)
{
	char *p = exact(s, len);
	bool ok = ipaddr_parse(p, len, out);

	free(p);
	return ok;
}

static struct ipaddr addr(const char *s)
{
	struct ipaddr a;

	if (!parse_addr_n(s, strlen(s), &a))
		fail_msg("test setup: cannot parse %s", s);
	return a;
}

static bool parse_range_n(const char *s, size_t len, bool kubeovn, struct iprange *r, char *why)
{
	char *p = exact(s, len);
	bool ok = kubeovn ? iprange_parse_kubeovn(p, len, r, why, WHY_LEN)
			  : iprange_parse(p, len, r, why, WHY_LEN);

	free(p);
	return ok;
}

static struct iprange range(const char *s)
{
	struct iprange r;
	char why[WHY_LEN];

	if (!parse_range_n(s, strlen(s), false, &r, why))
		fail_msg("test setup: cannot parse %s: %s", s, why);
	return r;
}

static void expect_addr(const char *input, const struct ipaddr *got, const char *want)
{
	char buf[IPADDR_STRLEN];

	ipaddr_format(got, buf);
	if (strcmp(buf, want) != 0)
		fail_msg("%s: got %s, want %s", input, buf, want);
}

/* ipaddr_parse */

struct addr_row {
	const char *in;
	uint8_t family;
	uint8_t b[16];
};

static const struct addr_row addr_ok[] = {
	{ "0.0.0.0", IPF_V4, { 0 } },
	{ "255.255.255.255", IPF_V4, { 255, 255, 255, 255 } },
	{ "192.0.2.1", IPF_V4, { 192, 0, 2, 1 } },
	{ "10.20.30.40", IPF_V4, { 10, 20, 30, 40 } },
	{ "::", IPF_V6, { 0 } },
	{ "::1", IPF_V6, { [15] = 1 } },
	{ "2001:db8::1", IPF_V6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
	{ "2001:DB8::A", IPF_V6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x0a } },
	{ "2001:0db8:0000:0000:0000:0000:0000:0001", IPF_V6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
	{ "1:2:3:4:5:6:7::", IPF_V6, { 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0 } },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", IPF_V6,
	  { 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255 } },
	{ "::ffff:192.0.2.1", IPF_V6, { [10] = 0xff, [11] = 0xff, [12] = 192, [13] = 0, [14] = 2, [15] = 1 } },
	{ "::192.0.2.1", IPF_V6, { [12] = 192, [13] = 0, [14] = 2, [15] = 1 } },
	/* 45 characters, the longest text an address can have */
	{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", IPF_V6,
	  { 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255 } },
};

static void test_ipaddr_parse_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(addr_ok); i++) {
		const struct addr_row *row = &addr_ok[i];
		struct ipaddr a;

		memset(&a, 0xaa, sizeof(a));
		if (!parse_addr_n(row->in, strlen(row->in), &a))
			fail_msg("%s: rejected", row->in);
		if (a.family != row->family)
			fail_msg("%s: family %u, want %u", row->in, a.family, row->family);
		if (memcmp(a.b, row->b, 16) != 0)
			fail_msg("%s: wrong bytes", row->in);
	}
}

static const char *const addr_bad[] = {
	"1.2.3",
	"1.2.3.4.5",
	"256.0.0.0",
	"300.1.1.1",
	"01.2.3.4",
	"1.2.3.04",
	"0x1.2.3.4",
	"1.2.3.-4",
	"+1.2.3.4",
	"-1.2.3.4",
	"1.2.3.4 ",
	" 1.2.3.4",
	"1.2.3.4/32",
	"1.2.3.4\n",
	"1..2.3",
	"a.b.c.d",
	"fe80::1%eth0",
	"fe80::1%1",
	"2001:db8::g",
	":::",
	"1::2::3",
	"1:2:3:4:5:6:7:8:9",
	"00000::1",
	"::ffff:01.2.3.4",
	"[::1]",
	"::1/128",
	"2001:db8::1 ",
	"localhost",
	"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555",
	"0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000",
};

static void test_ipaddr_parse_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(addr_bad); i++) {
		struct ipaddr a = addr("192.0.2.99");
		struct ipaddr before = a;

		if (parse_addr_n(addr_bad[i], strlen(addr_bad[i]), &a))
			fail_msg("%s: accepted", addr_bad[i]);
		assert_memory_equal(&a, &before, sizeof(a));
	}
}

static void test_ipaddr_parse_bounds(void **state)
{
	struct ipaddr a;
	char big[200];

	(void)state;
	assert_false(parse_addr_n("", 0, &a));
	assert_false(ipaddr_parse(NULL, 0, &a));
	assert_false(parse_addr_n("1.2.3.4\0", 8, &a));
	assert_false(parse_addr_n("1.2\0.3.4", 8, &a));
	assert_false(parse_addr_n("::1\0", 4, &a));

	assert_true(parse_addr_n("1.2.3.4\0", 7, &a));
	expect_addr("1.2.3.4 (len 7)", &a, "1.2.3.4");
	assert_true(parse_addr_n("192.0.2.10", 9, &a));
	expect_addr("192.0.2.10 (len 9)", &a, "192.0.2.1");
	assert_true(parse_addr_n("2001:db8::1234", 12, &a));
	expect_addr("2001:db8::1234 (len 12)", &a, "2001:db8::12");
	assert_false(parse_addr_n("192.0.2.10", 7, &a));

	memset(big, '1', sizeof(big));
	assert_false(parse_addr_n(big, sizeof(big), &a));
	memcpy(big, "192.0.2.1", 9);
	memset(big + 9, ' ', sizeof(big) - 9);
	assert_false(parse_addr_n(big, sizeof(big), &a));
}

/* ipaddr_format */

static const struct {
	const char *in, *want;
} format_rows[] = {
	{ "0.0.0.0", "0.0.0.0" },
	{ "255.255.255.255", "255.255.255.255" },
	{ "::", "::" },
	{ "0:0:0:0:0:0:0:0", "::" },
	{ "2001:DB8:0:0:0:0:0:1", "2001:db8::1" },
	{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
	{ "::ffff:192.0.2.1", "::ffff:192.0.2.1" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
	{ "::ffff:0:0", "::ffff:0.0.0.0" },
	{ "::1:0", "::1:0" },
	{ "::0.1.0.0", "::1:0" },
	{ "::1.2.3.4", "::102:304" },
	{ "64:ff9b::192.0.2.1", "64:ff9b::c000:201" },
	{ "1::", "1::" },
	{ "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8" },
	{ "1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7" },
	{ "1:0:0:1:0:0:0:1", "1:0:0:1::1" },
	{ "1:0:0:2:0:0:3:4", "1::2:0:0:3:4" },
	{ "0:0:1:0:0:0:0:0", "0:0:1::" },
	{ "00ab:0c00:0000:000d::", "ab:c00:0:d::" },
};

static void test_ipaddr_format(void **state)
{
	struct ipaddr none = { 0 };
	char buf[IPADDR_STRLEN];

	(void)state;
	for (size_t i = 0; i < N(format_rows); i++) {
		struct ipaddr a = addr(format_rows[i].in);

		expect_addr(format_rows[i].in, &a, format_rows[i].want);
	}
	ipaddr_format(&none, buf);
	assert_string_equal(buf, "invalid");
}

/* Every IPv6 address, with zero groups sprinkled in, survives format then parse. */
static void test_ipaddr_format_round_trip(void **state)
{
	uint64_t x = 0x2545f4914f6cdd1du;

	(void)state;
	for (int i = 0; i < 5000; i++) {
		struct ipaddr a = { .family = IPF_V6 }, back;
		char buf[IPADDR_STRLEN];

		for (int g = 0; g < 8; g++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (x % 3 != 0) {
				a.b[2 * g] = (uint8_t)(x >> 8);
				a.b[2 * g + 1] = (uint8_t)(x >> 16);
			}
		}
		ipaddr_format(&a, buf);
		if (!parse_addr_n(buf, strlen(buf), &back) || !ipaddr_eq(&a, &back))
			fail_msg("round trip failed for %s", buf);
	}
}

/* ipaddr_cmp / ipaddr_eq */

static const struct {
	const char *a, *b;
	int want;
} cmp_rows[] = {
	{ "10.0.0.1", "10.0.0.2", -1 },
	{ "10.0.0.2", "10.0.0.1", 1 },
	{ "10.0.0.1", "10.0.0.1", 0 },
	{ "9.255.255.255", "10.0.0.0", -1 },
	{ "0.0.0.0", "255.255.255.255", -1 },
	{ "255.255.255.255", "::", -1 },
	{ "::", "0.0.0.0", 1 },
	{ "192.0.2.1", "::ffff:192.0.2.1", -1 },
	{ "::1", "::2", -1 },
	{ "2001:db8::1", "2001:db8::1", 0 },
	{ "ffff::", "fffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
};

static void test_ipaddr_cmp(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(cmp_rows); i++) {
		struct ipaddr a = addr(cmp_rows[i].a), b = addr(cmp_rows[i].b);
		int got = ipaddr_cmp(&a, &b);

		if (got != cmp_rows[i].want)
			fail_msg("cmp(%s, %s) = %d, want %d", cmp_rows[i].a, cmp_rows[i].b, got,
				 cmp_rows[i].want);
		if (ipaddr_eq(&a, &b) != (cmp_rows[i].want == 0))
			fail_msg("eq(%s, %s) wrong", cmp_rows[i].a, cmp_rows[i].b);
	}
}

/* ipaddr_next / ipaddr_prev */

static const struct {
	const char *in;
	bool next;
	const char *want; /* NULL: wraps, returns false and leaves the address alone */
} step_rows[] = {
	{ "192.0.2.1", true, "192.0.2.2" },
	{ "192.0.2.255", true, "192.0.3.0" },
	{ "10.255.255.255", true, "11.0.0.0" },
	{ "255.255.255.254", true, "255.255.255.255" },
	{ "255.255.255.255", true, NULL },
	{ "192.0.3.0", false, "192.0.2.255" },
	{ "10.0.0.0", false, "9.255.255.255" },
	{ "0.0.0.1", false, "0.0.0.0" },
	{ "0.0.0.0", false, NULL },
	{ "::", true, "::1" },
	{ "::ffff", true, "::1:0" },
	{ "::1:0", false, "::ffff" },
	{ "2001:db8::ffff:ffff:ffff:ffff", true, "2001:db8:0:1::" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", true, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true, NULL },
	{ "1::", false, "0:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
	{ "::", false, NULL },
};

static void test_ipaddr_is_unspecified(void **state)
{
	(void)state;
	struct ipaddr none = {0};
	assert_true(ipaddr_is_unspecified(&none));
	struct ipaddr v4 = addr("0.0.0.0"), v6 = addr("::"), one = addr("0.0.0.1"), six = addr("::1"),
		      hi = addr("8000::");
	assert_true(ipaddr_is_unspecified(&v4));
	assert_true(ipaddr_is_unspecified(&v6));
	assert_false(ipaddr_is_unspecified(&one));
	assert_false(ipaddr_is_unspecified(&six));
	assert_false(ipaddr_is_unspecified(&hi));
}

static void test_ipaddr_step(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(step_rows); i++) {
		struct ipaddr a = addr(step_rows[i].in), before = a;
		bool ok = step_rows[i].next ? ipaddr_next(&a) : ipaddr_prev(&a);

		if (ok != (step_rows[i].want != NULL))
			fail_msg("%s %s: returned %d", step_rows[i].in, step_rows[i].next ? "+1" : "-1", ok);
		if (ok)
			expect_addr(step_rows[i].in, &a, step_rows[i].want);
		else
			assert_memory_equal(&a, &before, sizeof(a));
		if (a.family == IPF_V4)
			assert_memory_equal(a.b + 4, before.b + 4, 12);
	}
}

/* ipaddr_mask / ipaddr_fill */

static const struct {
	const char *in;
	unsigned prefix;
	const char *masked, *filled;
} mask_rows[] = {
	{ "192.0.2.123", 24, "192.0.2.0", "192.0.2.255" },
	{ "192.0.2.123", 25, "192.0.2.0", "192.0.2.127" },
	{ "192.0.2.123", 31, "192.0.2.122", "192.0.2.123" },
	{ "192.0.2.123", 32, "192.0.2.123", "192.0.2.123" },
	{ "192.0.2.123", 0, "0.0.0.0", "255.255.255.255" },
	{ "192.0.2.123", 1, "128.0.0.0", "255.255.255.255" },
	{ "192.0.2.123", 12, "192.0.0.0", "192.15.255.255" },
	{ "192.0.2.123", 40, "192.0.2.123", "192.0.2.123" },
	{ "2001:db8::1", 64, "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff" },
	{ "2001:db8::1", 0, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
	{ "2001:db8::1", 127, "2001:db8::", "2001:db8::1" },
	{ "2001:db8::1", 128, "2001:db8::1", "2001:db8::1" },
	{ "2001:db8:abcd:1234::1", 36, "2001:db8:a000::", "2001:db8:afff:ffff:ffff:ffff:ffff:ffff" },
	{ "2001:db8::1", 200, "2001:db8::1", "2001:db8::1" },
};

static void test_ipaddr_mask_fill(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(mask_rows); i++) {
		struct ipaddr m = addr(mask_rows[i].in), f = m;

		ipaddr_mask(&m, mask_rows[i].prefix);
		ipaddr_fill(&f, mask_rows[i].prefix);
		expect_addr(mask_rows[i].in, &m, mask_rows[i].masked);
		expect_addr(mask_rows[i].in, &f, mask_rows[i].filled);
		if (f.family == IPF_V4) {
			static const uint8_t zero[12];

			assert_memory_equal(f.b + 4, zero, 12);
		}
	}
}

/* iprange_parse */

struct range_row {
	const char *in;
	const char *first, *last;
	int prefix;
	const char *formatted;
};

static const struct range_row range_ok[] = {
	{ "192.0.2.0/24", "192.0.2.0", "192.0.2.255", 24, "192.0.2.0/24" },
	{ "13.1.1.1/24", "13.1.1.0", "13.1.1.255", 24, "13.1.1.0/24" },
	{ "0.0.0.0/0", "0.0.0.0", "255.255.255.255", 0, "0.0.0.0/0" },
	{ "10.1.2.3/0", "0.0.0.0", "255.255.255.255", 0, "0.0.0.0/0" },
	{ "10.1.2.3/32", "10.1.2.3", "10.1.2.3", 32, "10.1.2.3/32" },
	{ "10.1.2.3/31", "10.1.2.2", "10.1.2.3", 31, "10.1.2.2/31" },
	{ "255.255.255.255/32", "255.255.255.255", "255.255.255.255", 32, "255.255.255.255/32" },
	{ "192.0.2.1/024", "192.0.2.0", "192.0.2.255", 24, "192.0.2.0/24" },
	{ "::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, "::/0" },
	{ "2001:db8::1/128", "2001:db8::1", "2001:db8::1", 128, "2001:db8::1/128" },
	{ "2001:db8::1/64", "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", 64, "2001:db8::/64" },
	{ "2001:DB8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 32, "2001:db8::/32" },
	{ "::ffff:192.0.2.0/120", "::ffff:192.0.2.0", "::ffff:192.0.2.255", 120, "::ffff:192.0.2.0/120" },
	{ " 192.0.2.0/24\t", "192.0.2.0", "192.0.2.255", 24, "192.0.2.0/24" },
	{ "192.0.2.10-192.0.2.20", "192.0.2.10", "192.0.2.20", -1, "192.0.2.10-192.0.2.20" },
	{ "192.0.2.10 - 192.0.2.20", "192.0.2.10", "192.0.2.20", -1, "192.0.2.10-192.0.2.20" },
	{ "192.0.2.10\t-\t192.0.2.20", "192.0.2.10", "192.0.2.20", -1, "192.0.2.10-192.0.2.20" },
	{ "192.0.2.10  -192.0.2.20", "192.0.2.10", "192.0.2.20", -1, "192.0.2.10-192.0.2.20" },
	{ "  192.0.2.10-192.0.2.20  ", "192.0.2.10", "192.0.2.20", -1, "192.0.2.10-192.0.2.20" },
	{ "192.0.2.0-192.0.2.255", "192.0.2.0", "192.0.2.255", -1, "192.0.2.0-192.0.2.255" },
	{ "192.0.2.5-192.0.2.5", "192.0.2.5", "192.0.2.5", -1, "192.0.2.5" },
	{ "0.0.0.0-255.255.255.255", "0.0.0.0", "255.255.255.255", -1, "0.0.0.0-255.255.255.255" },
	{ "2001:db8::1-2001:db8::ff", "2001:db8::1", "2001:db8::ff", -1, "2001:db8::1-2001:db8::ff" },
	{ "2001:db8::1 - 2001:db8::ff", "2001:db8::1", "2001:db8::ff", -1, "2001:db8::1-2001:db8::ff" },
	{ "::ffff:192.0.2.1-::ffff:192.0.2.9", "::ffff:192.0.2.1", "::ffff:192.0.2.9", -1,
	  "::ffff:192.0.2.1-::ffff:192.0.2.9" },
	{ "192.0.2.7", "192.0.2.7", "192.0.2.7", -1, "192.0.2.7" },
	{ "\t2001:db8::7 ", "2001:db8::7", "2001:db8::7", -1, "2001:db8::7" },
};

static void check_range(const char *in, const struct iprange *r, const struct range_row *want)
{
	char buf[IPRANGE_STRLEN];

	expect_addr(in, &r->first, want->first);
	expect_addr(in, &r->last, want->last);
	if (r->prefix != want->prefix)
		fail_msg("%s: prefix %d, want %d", in, r->prefix, want->prefix);
	iprange_format(r, buf);
	if (strcmp(buf, want->formatted) != 0)
		fail_msg("%s: formatted %s, want %s", in, buf, want->formatted);
}

static void test_iprange_parse_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(range_ok); i++) {
		struct iprange r;
		char why[WHY_LEN] = "";

		if (!parse_range_n(range_ok[i].in, strlen(range_ok[i].in), false, &r, why))
			fail_msg("%s: rejected: %s", range_ok[i].in, why);
		check_range(range_ok[i].in, &r, &range_ok[i]);
	}
}

struct bad_row {
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *why;
};

static const struct bad_row range_bad[] = {
	{ "", 0, "empty address range" },
	{ " \t ", 0, "empty address range" },
	{ "300.1.1.1", 0, "invalid IP address \"300.1.1.1\"" },
	{ "300.1.1.1/24", 0, "invalid IP address \"300.1.1.1\"" },
	{ "192.0.2", 0, "invalid IP address \"192.0.2\"" },
	{ "192.0.2.0/33", 0, "invalid prefix length \"/33\" for IPv4" },
	{ "192.0.2.0/", 0, "invalid prefix length \"/\" for IPv4" },
	{ "192.0.2.0/-1", 0, "invalid prefix length \"/-1\" for IPv4" },
	{ "192.0.2.0/+24", 0, "invalid prefix length \"/+24\" for IPv4" },
	{ "192.0.2.0/ 24", 0, "invalid prefix length \"/ 24\" for IPv4" },
	{ "192.0.2.0/24/24", 0, "invalid prefix length \"/24/24\" for IPv4" },
	{ "192.0.2.0/0x18", 0, "invalid prefix length \"/0x18\" for IPv4" },
	{ "192.0.2.0/99999999999999999999", 0,
	  "invalid prefix length \"/99999999999999999999\" for IPv4" },
	{ "192.0.2.0/24-192.0.2.255", 0, "invalid prefix length \"/24-192.0.2.255\" for IPv4" },
	{ "192.0.2.0 /24", 0, "invalid IP address \"192.0.2.0 \"" },
	{ "/24", 0, "invalid IP address \"\"" },
	{ "2001:db8::/129", 0, "invalid prefix length \"/129\" for IPv6" },
	{ "2001:db8::/1280", 0, "invalid prefix length \"/1280\" for IPv6" },
	{ "192.0.2.9-192.0.2.1", 0, "range end 192.0.2.1 is before its start 192.0.2.9" },
	{ "192.0.2.9 - 192.0.2.1", 0, "range end 192.0.2.1 is before its start 192.0.2.9" },
	{ "2001:db8::ff-2001:db8::1", 0, "range end 2001:db8::1 is before its start 2001:db8::ff" },
	{ "192.0.2.1-2001:db8::1", 0, "range mixes IPv4 and IPv6: \"192.0.2.1-2001:db8::1\"" },
	{ "::1-192.0.2.1", 0, "range mixes IPv4 and IPv6: \"::1-192.0.2.1\"" },
	{ "192.0.2.1-::ffff:192.0.2.9", 0, "range mixes IPv4 and IPv6: \"192.0.2.1-::ffff:192.0.2.9\"" },
	{ "192.0.2.1-", 0, "invalid IP address \"\"" },
	{ "-192.0.2.1", 0, "invalid IP address \"\"" },
	{ "-", 0, "invalid IP address \"\"" },
	{ "192.0.2.1-192.0.2.5-192.0.2.9", 0, "invalid IP address \"192.0.2.5-192.0.2.9\"" },
	{ "192.0.2.1--192.0.2.9", 0, "invalid IP address \"-192.0.2.9\"" },
	{ "192.0.2.1..192.0.2.9", 0, "invalid IP address \"192.0.2.1..192.0.2.9\"" },
	{ "fe80::1%eth0", 0, "invalid IP address \"fe80::1%eth0\"" },
	{ "fe80::1%eth0/64", 0, "invalid IP address \"fe80::1%eth0\"" },
	{ "fe80::1%eth0-fe80::2", 0, "invalid IP address \"fe80::1%eth0\"" },
	{ "192.0.2.1 192.0.2.2", 0, "invalid IP address \"192.0.2.1 192.0.2.2\"" },
	{ "abc\x01\"\\", 0, "invalid IP address \"abc\\x01\\\"\\\\\"" },
	{ "h\xc3\xa9", 0, "invalid IP address \"h\\xc3\\xa9\"" },
	{ "1.2.3.4\0", 8, "invalid address range \"1.2.3.4\\x00\": contains a NUL byte" },
	{ "\0", 1, "invalid address range \"\\x00\": contains a NUL byte" },
	{ "1.2.3.4-1.2.3.5\0junk", 20,
	  "invalid address range \"1.2.3.4-1.2.3.5\\x00junk\": contains a NUL byte" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0,
	  "invalid IP address \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"" },
};

static void run_bad_rows(const struct bad_row *rows, size_t n, bool kubeovn)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = rows[i].len ? rows[i].len : strlen(rows[i].in);
		struct iprange r = range("198.51.100.0/24"), before = r;
		char why[WHY_LEN] = "";

		if (parse_range_n(rows[i].in, len, kubeovn, &r, why))
			fail_msg("%s: accepted", rows[i].in);
		if (strcmp(why, rows[i].why) != 0)
			fail_msg("%s: reason [%s], want [%s]", rows[i].in, why, rows[i].why);
		assert_true(iprange_same(&r, &before));
	}
}

static void test_iprange_parse_bad(void **state)
{
	(void)state;
	run_bad_rows(range_bad, N(range_bad), false);
}

static void test_iprange_parse_prefix_of_buffer(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		bool kubeovn;
		struct range_row want;
	} rows[] = {
		{ "192.0.2.0/24", 11, false, { "", "192.0.0.0", "255.255.255.255", 2, "192.0.0.0/2" } },
		{ "192.0.2.1-192.0.2.99", 19, false,
		  { "", "192.0.2.1", "192.0.2.9", -1, "192.0.2.1-192.0.2.9" } },
		{ "2001:db8::/640", 13, false,
		  { "", "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", 64, "2001:db8::/64" } },
		{ "10.0.0.1..10.0.0.10", 18, true, { "", "10.0.0.1", "10.0.0.1", -1, "10.0.0.1" } },
		{ "10.0.0.1 junk", 8, false, { "", "10.0.0.1", "10.0.0.1", -1, "10.0.0.1" } },
	};
	struct iprange r;
	char why[WHY_LEN];

	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		if (!parse_range_n(rows[i].in, rows[i].len, rows[i].kubeovn, &r, why))
			fail_msg("%s[:%zu]: rejected: %s", rows[i].in, rows[i].len, why);
		check_range(rows[i].in, &r, &rows[i].want);
	}
}

static void test_iprange_parse_why_buffer(void **state)
{
	struct iprange r;
	char small[8];

	(void)state;
	memset(small, 'x', sizeof(small));
	assert_false(iprange_parse("300.1.1.1", 9, &r, small, sizeof(small)));
	assert_string_equal(small, "invalid");
	assert_false(iprange_parse("300.1.1.1", 9, &r, NULL, 0));
	memset(small, 'x', sizeof(small));
	assert_false(iprange_parse("300.1.1.1", 9, &r, small, 0));
	assert_int_equal(small[0], 'x');
	assert_false(iprange_parse(NULL, 0, &r, small, sizeof(small)));
	assert_false(iprange_parse_kubeovn(NULL, 0, &r, NULL, 0));
}

/* iprange_parse_kubeovn */

static const struct range_row kubeovn_ok[] = {
	{ "10.0.0.1..10.0.0.10", "10.0.0.1", "10.0.0.10", -1, "10.0.0.1-10.0.0.10" },
	{ "10.0.0.1 .. 10.0.0.10", "10.0.0.1", "10.0.0.10", -1, "10.0.0.1-10.0.0.10" },
	{ " 10.0.0.5 ", "10.0.0.5", "10.0.0.5", -1, "10.0.0.5" },
	{ "10.0.0.5..10.0.0.5", "10.0.0.5", "10.0.0.5", -1, "10.0.0.5" },
	{ "2001:db8::1..2001:db8::ff", "2001:db8::1", "2001:db8::ff", -1, "2001:db8::1-2001:db8::ff" },
	{ "::ffff:1.2.3.4..::ffff:1.2.3.9", "::ffff:1.2.3.4", "::ffff:1.2.3.9", -1,
	  "::ffff:1.2.3.4-::ffff:1.2.3.9" },
	{ "fd00::a", "fd00::a", "fd00::a", -1, "fd00::a" },
};

static void test_kubeovn_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(kubeovn_ok); i++) {
		struct iprange r;
		char why[WHY_LEN] = "";

		if (!parse_range_n(kubeovn_ok[i].in, strlen(kubeovn_ok[i].in), true, &r, why))
			fail_msg("%s: rejected: %s", kubeovn_ok[i].in, why);
		check_range(kubeovn_ok[i].in, &r, &kubeovn_ok[i]);
	}
}

static const struct bad_row kubeovn_bad[] = {
	{ "", 0, "empty address range" },
	{ "10.0.0.10..10.0.0.1", 0, "range end 10.0.0.1 is before its start 10.0.0.10" },
	{ "10.0.0.1..2001:db8::1", 0, "range mixes IPv4 and IPv6: \"10.0.0.1..2001:db8::1\"" },
	{ "10.0.0.1-10.0.0.5", 0, "invalid IP address \"10.0.0.1-10.0.0.5\"" },
	{ "10.0.0.0/24", 0, "invalid IP address \"10.0.0.0/24\"" },
	{ "10.0.0.1...10.0.0.5", 0, "invalid IP address \".10.0.0.5\"" },
	{ "10.0.0.1..", 0, "invalid IP address \"\"" },
	{ "..10.0.0.1", 0, "invalid IP address \"\"" },
	{ "..", 0, "invalid IP address \"\"" },
	{ "10.0.0.1..10.0.0.2..10.0.0.3", 0, "invalid IP address \"10.0.0.2..10.0.0.3\"" },
	{ "10.0.0.256", 0, "invalid IP address \"10.0.0.256\"" },
	{ "fe80::1%eth0..fe80::2", 0, "invalid IP address \"fe80::1%eth0\"" },
	{ "10.0.0.1\0..10.0.0.2", 19, "invalid address range \"10.0.0.1\\x00..10.0.0.2\": contains a NUL byte" },
};

static void test_kubeovn_bad(void **state)
{
	(void)state;
	run_bad_rows(kubeovn_bad, N(kubeovn_bad), true);
}

/* iprange_format on hand-built ranges */

static void test_iprange_format(void **state)
{
	struct iprange r = { addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"),
			     addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), -1 };
	char buf[IPRANGE_STRLEN];

	(void)state;
	iprange_format(&r, buf);
	assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	r.prefix = 127;
	iprange_format(&r, buf);
	assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127");
	r.first = r.last;
	r.prefix = -1;
	iprange_format(&r, buf);
	assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

/* contains / overlaps / within */

static const struct {
	const char *range, *addr;
	bool want;
} contains_rows[] = {
	{ "192.0.2.0/24", "192.0.2.0", true },
	{ "192.0.2.0/24", "192.0.2.255", true },
	{ "192.0.2.0/24", "192.0.3.0", false },
	{ "192.0.2.0/24", "192.0.1.255", false },
	{ "192.0.2.10-192.0.2.20", "192.0.2.15", true },
	{ "192.0.2.10-192.0.2.20", "192.0.2.9", false },
	{ "192.0.2.10-192.0.2.20", "192.0.2.21", false },
	{ "0.0.0.0/0", "255.255.255.255", true },
	{ "0.0.0.0/0", "::", false },
	{ "::/0", "0.0.0.0", false },
	{ "::/0", "::ffff:192.0.2.1", true },
	{ "::ffff:192.0.2.0/120", "192.0.2.1", false },
	{ "2001:db8::1", "2001:db8::1", true },
};

static void test_iprange_contains(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(contains_rows); i++) {
		struct iprange r = range(contains_rows[i].range);
		struct ipaddr a = addr(contains_rows[i].addr);

		if (iprange_contains(&r, &a) != contains_rows[i].want)
			fail_msg("%s contains %s: want %d", contains_rows[i].range, contains_rows[i].addr,
				 contains_rows[i].want);
	}
}

static const struct {
	const char *a, *b;
	bool overlaps, a_within_b;
} pair_rows[] = {
	{ "192.0.2.0/24", "192.0.2.0/24", true, true },
	{ "192.0.2.0/25", "192.0.2.0/24", true, true },
	{ "192.0.2.0/24", "192.0.2.0/25", true, false },
	{ "192.0.2.0/25", "192.0.2.128/25", false, false },
	{ "192.0.2.0-192.0.2.128", "192.0.2.128/25", true, false },
	{ "192.0.2.127", "192.0.2.128/25", false, false },
	{ "192.0.2.128", "192.0.2.128/25", true, true },
	{ "192.0.2.255", "192.0.2.128/25", true, true },
	{ "192.0.3.0", "192.0.2.128/25", false, false },
	{ "10.0.0.0/8", "0.0.0.0/0", true, true },
	{ "0.0.0.0/0", "::/0", false, false },
	{ "::/0", "0.0.0.0/0", false, false },
	{ "2001:db8::/64", "2001:db8::/32", true, true },
	{ "2001:db8::1-2001:db8:1::", "2001:db8::/48", true, false },
};

static void test_iprange_overlaps_within(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(pair_rows); i++) {
		struct iprange a = range(pair_rows[i].a), b = range(pair_rows[i].b);

		if (iprange_overlaps(&a, &b) != pair_rows[i].overlaps ||
		    iprange_overlaps(&b, &a) != pair_rows[i].overlaps)
			fail_msg("overlaps(%s, %s): want %d", pair_rows[i].a, pair_rows[i].b,
				 pair_rows[i].overlaps);
		if (iprange_within(&a, &b) != pair_rows[i].a_within_b)
			fail_msg("within(%s, %s): want %d", pair_rows[i].a, pair_rows[i].b,
				 pair_rows[i].a_within_b);
	}
}

/* iprange_cidrs */

struct collected {
	char text[8192];
	size_t count, stop_after;
	struct ipaddr net[300];
	unsigned prefix[300];
};

static bool collect(const struct ipaddr *net, unsigned prefix, void *arg)
{
	struct collected *c = arg;
	char a[IPADDR_STRLEN];
	size_t used = strlen(c->text);

	assert_true(c->count < N(c->net));
	c->net[c->count] = *net;
	c->prefix[c->count] = prefix;
	c->count++;
	ipaddr_format(net, a);
	snprintf(c->text + used, sizeof(c->text) - used, "%s%s/%u", used ? " " : "", a, prefix);
	return c->stop_after == 0 || c->count < c->stop_after;
}

/* Blocks are aligned, contiguous, cover first..last exactly, and no neighbours could merge. */
static void check_decomposition(const char *in, const struct iprange *r, const struct collected *c)
{
	struct ipaddr expect = r->first;

	for (size_t i = 0; i < c->count; i++) {
		struct ipaddr lo = c->net[i], hi = lo;

		ipaddr_mask(&lo, c->prefix[i]);
		if (!ipaddr_eq(&lo, &c->net[i]) || !ipaddr_eq(&lo, &expect))
			fail_msg("%s: block %zu misaligned or not contiguous", in, i);
		ipaddr_fill(&hi, c->prefix[i]);
		if (i + 1 == c->count) {
			if (!ipaddr_eq(&hi, &r->last))
				fail_msg("%s: last block does not end at the range end", in);
		} else {
			expect = hi;
			assert_true(ipaddr_next(&expect));
		}
		if (i > 0 && c->prefix[i] == c->prefix[i - 1] && c->prefix[i] > 0) {
			struct ipaddr parent = c->net[i - 1];

			ipaddr_mask(&parent, c->prefix[i] - 1);
			if (ipaddr_eq(&parent, &c->net[i - 1]))
				fail_msg("%s: blocks %zu and %zu could merge", in, i - 1, i);
		}
	}
}

static const struct {
	const char *in;
	size_t count;
	const char *want; /* the whole list, or "first ... last" when count is large */
} cidr_rows[] = {
	{ "192.0.2.0/24", 1, "192.0.2.0/24" },
	{ "192.0.2.7", 1, "192.0.2.7/32" },
	{ "255.255.255.255", 1, "255.255.255.255/32" },
	{ "0.0.0.0", 1, "0.0.0.0/32" },
	{ "0.0.0.0-255.255.255.255", 1, "0.0.0.0/0" },
	{ "0.0.0.0/0", 1, "0.0.0.0/0" },
	{ "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, "::/0" },
	{ "10.0.0.0-10.0.1.255", 1, "10.0.0.0/23" },
	{ "192.0.2.10-192.0.2.20", 4, "192.0.2.10/31 192.0.2.12/30 192.0.2.16/30 192.0.2.20/32" },
	{ "192.0.2.255-192.0.3.0", 2, "192.0.2.255/32 192.0.3.0/32" },
	{ "192.0.2.1-192.0.2.254", 14,
	  "192.0.2.1/32 192.0.2.2/31 192.0.2.4/30 192.0.2.8/29 192.0.2.16/28 192.0.2.32/27 "
	  "192.0.2.64/26 192.0.2.128/26 192.0.2.192/27 192.0.2.224/28 192.0.2.240/29 "
	  "192.0.2.248/30 192.0.2.252/31 192.0.2.254/32" },
	{ "255.255.255.254-255.255.255.255", 1, "255.255.255.254/31" },
	{ "0.0.0.1-255.255.255.254", 62, "0.0.0.1/32 ... 255.255.255.254/32" },
	{ "2001:db8::1-2001:db8::ffff:ffff:ffff:fffe", 126,
	  "2001:db8::1/128 ... 2001:db8::ffff:ffff:ffff:fffe/128" },
	{ "::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 254,
	  "::1/128 ... ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128" },
	{ "2001:db8::-2001:db8::1", 1, "2001:db8::/127" },
	{ "::ffff:ffff:ffff:ffff-::1:0:0:0:0", 2, "::ffff:ffff:ffff:ffff/128 0:0:0:1::/128" },
};

static void test_iprange_cidrs(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(cidr_rows); i++) {
		struct iprange r = range(cidr_rows[i].in);
		struct collected *c = calloc(1, sizeof(*c));
		const char *got;
		char summary[256];

		assert_non_null(c);
		got = c->text;
		if (!iprange_cidrs(&r, collect, c))
			fail_msg("%s: returned false", cidr_rows[i].in);
		if (c->count != cidr_rows[i].count)
			fail_msg("%s: %zu blocks, want %zu", cidr_rows[i].in, c->count, cidr_rows[i].count);
		if (strstr(cidr_rows[i].want, " ... ")) {
			const char *last = strrchr(c->text, ' ');

			snprintf(summary, sizeof(summary), "%.*s ...%s", (int)strcspn(c->text, " "),
				 c->text, last ? last : "");
			got = summary;
		}
		if (strcmp(got, cidr_rows[i].want) != 0)
			fail_msg("%s: got %s, want %s", cidr_rows[i].in, got, cidr_rows[i].want);
		check_decomposition(cidr_rows[i].in, &r, c);
		free(c);
	}
}

static void test_iprange_cidrs_stop_and_invalid(void **state)
{
	struct collected *c = calloc(1, sizeof(*c));
	struct iprange r = range("192.0.2.1-192.0.2.254");
	struct iprange backwards = { addr("192.0.2.9"), addr("192.0.2.1"), -1 };
	struct iprange mixed = { addr("192.0.2.1"), addr("::1"), -1 };
	struct iprange none = { 0 };

	(void)state;
	assert_non_null(c);
	c->stop_after = 2;
	assert_false(iprange_cidrs(&r, collect, c));
	assert_int_equal(c->count, 2);
	assert_string_equal(c->text, "192.0.2.1/32 192.0.2.2/31");

	memset(c, 0, sizeof(*c));
	assert_false(iprange_cidrs(&backwards, collect, c));
	assert_false(iprange_cidrs(&mixed, collect, c));
	assert_false(iprange_cidrs(&none, collect, c));
	assert_int_equal(c->count, 0);
	free(c);
}

/* xorshift64: pseudo-random ranges from a fixed seed, so failures reproduce. */
static uint8_t rng_byte(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (uint8_t)(*x >> 24);
}

static void random_range(uint64_t *rng, struct iprange *r, bool v6)
{
	unsigned n = v6 ? 16 : 4;

	memset(r, 0, sizeof(*r));
	r->first.family = r->last.family = v6 ? IPF_V6 : IPF_V4;
	for (unsigned i = 0; i < n; i++) {
		r->first.b[i] = rng_byte(rng);
		r->last.b[i] = rng_byte(rng);
	}
	/* share a random-length common prefix so block sizes vary */
	memcpy(r->last.b, r->first.b, rng_byte(rng) % n);
	if (ipaddr_cmp(&r->first, &r->last) > 0) {
		struct ipaddr t = r->first;

		r->first = r->last;
		r->last = t;
	}
	r->prefix = -1;
}

static void test_iprange_cidrs_random(void **state)
{
	struct collected *c = malloc(sizeof(*c));
	uint64_t rng = 0x9e3779b97f4a7c15u;

	(void)state;
	assert_non_null(c);
	for (int i = 0; i < 2000; i++) {
		struct iprange r;
		char in[IPRANGE_STRLEN];

		random_range(&rng, &r, i % 2);
		iprange_format(&r, in);
		memset(c, 0, sizeof(*c));
		if (!iprange_cidrs(&r, collect, c))
			fail_msg("%s: returned false", in);
		if (c->count > 2 * ipaddr_bits(&r.first))
			fail_msg("%s: %zu blocks is more than the minimum can be", in, c->count);
		check_decomposition(in, &r, c);
	}
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipaddr_parse_ok),
		cmocka_unit_test(test_ipaddr_parse_bad),
		cmocka_unit_test(test_ipaddr_parse_bounds),
		cmocka_unit_test(test_ipaddr_format),
		cmocka_unit_test(test_ipaddr_format_round_trip),
		cmocka_unit_test(test_ipaddr_cmp),
		cmocka_unit_test(test_ipaddr_is_unspecified),
		cmocka_unit_test(test_ipaddr_step),
		cmocka_unit_test(test_ipaddr_mask_fill),
		cmocka_unit_test(test_iprange_parse_ok),
		cmocka_unit_test(test_iprange_parse_bad),
		cmocka_unit_test(test_iprange_parse_prefix_of_buffer),
		cmocka_unit_test(test_iprange_parse_why_buffer),
		cmocka_unit_test(test_kubeovn_ok),
		cmocka_unit_test(test_kubeovn_bad),
		cmocka_unit_test(test_iprange_format),
		cmocka_unit_test(test_iprange_contains),
		cmocka_unit_test(test_iprange_overlaps_within),
		cmocka_unit_test(test_iprange_cidrs),
		cmocka_unit_test(test_iprange_cidrs_stop_and_invalid),
		cmocka_unit_test(test_iprange_cidrs_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
