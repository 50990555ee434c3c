/* Unit tests for config/community.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "community.h"

#define WHY_LEN 256
#define N(a) (sizeof(a) / sizeof((a)[0]))
#define STD(a, b) ((uint32_t)(a) << 16 | (uint32_t)(b))

/* Heap copy of exactly len bytes, no terminator, so ASan flags any read past len. */
static char *exact(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

static bool parse_n(const char *s, size_t len, struct community *c, char *why)
{
	char *p = exact(s, len);
	bool ok = community_parse(p, len, c, why, WHY_LEN);

	free(p);
	return ok;
}

static bool is_literal_n(const char *s, size_t len)
{
	char *p = exact(s, len);
	bool lit = community_is_literal(p, len);

	free(p);
	return lit;
}

struct ok_row {
	const char *in;
	size_t len; /* 0: strlen(in) */
	uint8_t kind;
	uint32_t v[3];
	const char *formatted;
};

static const struct ok_row parse_ok[] = {
	{ "0:0", 0, COMMUNITY_STANDARD, { 0 }, "0:0" },
	{ "1:2", 0, COMMUNITY_STANDARD, { STD(1, 2) }, "1:2" },
	{ "64500:100", 0, COMMUNITY_STANDARD, { STD(64500, 100) }, "64500:100" },
	{ "65535:65282", 0, COMMUNITY_STANDARD, { STD(65535, 65282) }, "65535:65282" },
	{ "65535:65535", 0, COMMUNITY_STANDARD, { UINT32_MAX }, "65535:65535" },
	{ "0:65535", 0, COMMUNITY_STANDARD, { 65535 }, "0:65535" },
	{ "65535:0", 0, COMMUNITY_STANDARD, { UINT32_C(0xffff0000) }, "65535:0" },
	{ "007:08", 0, COMMUNITY_STANDARD, { STD(7, 8) }, "7:8" },
	{ "large:64500:1:2", 0, COMMUNITY_LARGE, { 64500, 1, 2 }, "large:64500:1:2" },
	{ "large:0:0:0", 0, COMMUNITY_LARGE, { 0, 0, 0 }, "large:0:0:0" },
	{ "large:4294967295:4294967295:4294967295", 0, COMMUNITY_LARGE,
	  { UINT32_MAX, UINT32_MAX, UINT32_MAX }, "large:4294967295:4294967295:4294967295" },
	{ "large:65536:70000:1", 0, COMMUNITY_LARGE, { 65536, 70000, 1 }, "large:65536:70000:1" },
	{ "no-export", 0, COMMUNITY_STANDARD, { STD(65535, 65281) }, "65535:65281" },
	{ "no-advertise", 0, COMMUNITY_STANDARD, { STD(65535, 65282) }, "65535:65282" },
	{ "no-export-subconfed", 0, COMMUNITY_STANDARD, { STD(65535, 65283) }, "65535:65283" },
	{ "nopeer", 0, COMMUNITY_STANDARD, { STD(65535, 65284) }, "65535:65284" },
	{ "blackhole", 0, COMMUNITY_STANDARD, { STD(65535, 666) }, "65535:666" },
	{ "graceful-shutdown", 0, COMMUNITY_STANDARD, { STD(65535, 0) }, "65535:0" },
	{ "accept-own", 0, COMMUNITY_STANDARD, { STD(65535, 1) }, "65535:1" },
	{ "llgr-stale", 0, COMMUNITY_STANDARD, { STD(65535, 6) }, "65535:6" },
	{ "no-llgr", 0, COMMUNITY_STANDARD, { STD(65535, 7) }, "65535:7" },
	{ "NO-EXPORT", 0, COMMUNITY_STANDARD, { STD(65535, 65281) }, "65535:65281" },
	{ "No-Advertise", 0, COMMUNITY_STANDARD, { STD(65535, 65282) }, "65535:65282" },
	{ "BlackHole", 0, COMMUNITY_STANDARD, { STD(65535, 666) }, "65535:666" },
	{ "NoPeer", 0, COMMUNITY_STANDARD, { STD(65535, 65284) }, "65535:65284" },
	/* only the first len bytes count */
	{ "65535:65282", 7, COMMUNITY_STANDARD, { STD(65535, 6) }, "65535:6" },
	{ "no-export-subconfed", 9, COMMUNITY_STANDARD, { STD(65535, 65281) }, "65535:65281" },
	{ "large:1:2:34", 11, COMMUNITY_LARGE, { 1, 2, 3 }, "large:1:2:3" },
	{ "1:2\0garbage", 3, COMMUNITY_STANDARD, { STD(1, 2) }, "1:2" },
};

static void test_parse_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(parse_ok); i++) {
		const struct ok_row *row = &parse_ok[i];
		size_t len = row->len ? row->len : strlen(row->in);
		struct community c;
		char why[WHY_LEN] = "", buf[COMMUNITY_STRLEN];

		memset(&c, 0xaa, sizeof(c));
		if (!parse_n(row->in, len, &c, why))
			fail_msg("%s[:%zu]: rejected: %s", row->in, len, why);
		if (c.kind != row->kind)
			fail_msg("%s: kind %u, want %u", row->in, c.kind, row->kind);
		if (memcmp(c.v, row->v, sizeof(c.v)) != 0)
			fail_msg("%s: values %u %u %u, want %u %u %u", row->in, c.v[0], c.v[1], c.v[2],
				 row->v[0], row->v[1], row->v[2]);
		community_format(&c, buf);
		if (strcmp(buf, row->formatted) != 0)
			fail_msg("%s: formatted %s, want %s", row->in, buf, row->formatted);
	}
}

#define WANT_STD "want ASN:VALUE, large:GLOBAL:LOCAL1:LOCAL2 or a well-known name"
#define WANT_LARGE "a large community is large:GLOBAL:LOCAL1:LOCAL2"

static const struct {
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *why;
} parse_bad[] = {
	{ "", 0, "invalid community \"\": empty" },
	{ "65536:1", 0, "invalid community \"65536:1\": 65536 exceeds 65535" },
	{ "1:65536", 0, "invalid community \"1:65536\": 65536 exceeds 65535" },
	{ "4294967296:1", 0, "invalid community \"4294967296:1\": 4294967296 exceeds 65535" },
	{ "99999999999999999999999999999:1", 0,
	  "invalid community \"99999999999999999999999999999:1\": 999999999999999999999999... exceeds 65535" },
	{ "1", 0, "invalid community \"1\": " WANT_STD },
	{ "65535", 0, "invalid community \"65535\": " WANT_STD },
	{ "1:2:3", 0, "invalid community \"1:2:3\": " WANT_STD },
	{ "LARGE:1:2:3", 0, "invalid community \"LARGE:1:2:3\": " WANT_STD },
	{ "abc", 0, "invalid community \"abc\": " WANT_STD },
	{ "no_export", 0, "invalid community \"no_export\": " WANT_STD },
	{ "no-exports", 0, "invalid community \"no-exports\": " WANT_STD },
	{ "no-export ", 0, "invalid community \"no-export \": " WANT_STD },
	{ " no-export", 0, "invalid community \" no-export\": " WANT_STD },
	{ ":1", 0, "invalid community \":1\": empty number" },
	{ "1:", 0, "invalid community \"1:\": empty number" },
	{ ":", 0, "invalid community \":\": empty number" },
	{ "+1:2", 0, "invalid community \"+1:2\": \"+1\" is not a decimal number" },
	{ "-1:2", 0, "invalid community \"-1:2\": \"-1\" is not a decimal number" },
	{ "1:-2", 0, "invalid community \"1:-2\": \"-2\" is not a decimal number" },
	{ " 1:2", 0, "invalid community \" 1:2\": \" 1\" is not a decimal number" },
	{ "1:2 ", 0, "invalid community \"1:2 \": \"2 \" is not a decimal number" },
	{ "1 :2", 0, "invalid community \"1 :2\": \"1 \" is not a decimal number" },
	{ "0x10:1", 0, "invalid community \"0x10:1\": \"0x10\" is not a decimal number" },
	{ "1.5:2", 0, "invalid community \"1.5:2\": \"1.5\" is not a decimal number" },
	{ "1e3:2", 0, "invalid community \"1e3:2\": \"1e3\" is not a decimal number" },
	{ "\xd9\xa1:2", 0, "invalid community \"\\xd9\\xa1:2\": \"\\xd9\\xa1\" is not a decimal number" },
	{ "large:1:2", 0, "invalid community \"large:1:2\": " WANT_LARGE },
	{ "large:1:2:3:4", 0, "invalid community \"large:1:2:3:4\": " WANT_LARGE },
	{ "large:", 0, "invalid community \"large:\": " WANT_LARGE },
	{ "large:4294967296:1:2", 0, "invalid community \"large:4294967296:1:2\": 4294967296 exceeds 4294967295" },
	{ "large:1:2:99999999999", 0,
	  "invalid community \"large:1:2:99999999999\": 99999999999 exceeds 4294967295" },
	{ "large:1::2", 0, "invalid community \"large:1::2\": empty number" },
	{ "large:1:2:", 0, "invalid community \"large:1:2:\": empty number" },
	{ "large:+1:2:3", 0, "invalid community \"large:+1:2:3\": \"+1\" is not a decimal number" },
	{ "large: 1:2:3", 0, "invalid community \"large: 1:2:3\": \" 1\" is not a decimal number" },
	{ "large:1:2:3\n", 0, "invalid community \"large:1:2:3\\x0a\": \"3\\x0a\" is not a decimal number" },
	{ "1:2\0", 4, "invalid community \"1:2\\x00\": contains a NUL byte" },
	{ "no-export\0", 10, "invalid community \"no-export\\x00\": contains a NUL byte" },
	{ "\0", 1, "invalid community \"\\x00\": contains a NUL byte" },
};

static void test_parse_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(parse_bad); i++) {
		size_t len = parse_bad[i].len ? parse_bad[i].len : strlen(parse_bad[i].in);
		struct community c = { COMMUNITY_LARGE, { 1, 2, 3 } };
		char why[WHY_LEN] = "";

		if (parse_n(parse_bad[i].in, len, &c, why))
			fail_msg("%s: accepted", parse_bad[i].in);
		if (strcmp(why, parse_bad[i].why) != 0)
			fail_msg("%s: reason [%s], want [%s]", parse_bad[i].in, why, parse_bad[i].why);
		assert_int_equal(c.kind, COMMUNITY_LARGE);
		assert_int_equal(c.v[0], 1);
		assert_int_equal(c.v[2], 3);
	}
}

static void test_parse_why_buffer(void **state)
{
	struct community c;
	char small[8];

	(void)state;
	assert_false(community_parse("65536:1", 7, &c, small, sizeof(small)));
	assert_string_equal(small, "invalid");
	assert_false(community_parse("65536:1", 7, &c, NULL, 0));
	small[0] = 'x';
	assert_false(community_parse("65536:1", 7, &c, small, 0));
	assert_int_equal(small[0], 'x');
	assert_false(community_parse(NULL, 0, &c, small, sizeof(small)));
}

static void test_format(void **state)
{
	static const struct {
		struct community c;
		const char *want;
	} rows[] = {
		{ { COMMUNITY_STANDARD, { STD(65535, 65282), 99, 99 } }, "65535:65282" },
		{ { COMMUNITY_STANDARD, { 0 } }, "0:0" },
		{ { COMMUNITY_STANDARD, { UINT32_MAX } }, "65535:65535" },
		{ { COMMUNITY_LARGE, { 64500, 1, 2 } }, "large:64500:1:2" },
		{ { COMMUNITY_LARGE, { UINT32_MAX, UINT32_MAX, UINT32_MAX } },
		  "large:4294967295:4294967295:4294967295" },
		{ { 0, { 1 } }, "invalid" },
	};

	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		char buf[COMMUNITY_STRLEN];

		community_format(&rows[i].c, buf);
		assert_string_equal(buf, rows[i].want);
	}
}

static void test_eq(void **state)
{
	static const struct {
		struct community a, b;
		bool want;
	} rows[] = {
		{ { COMMUNITY_STANDARD, { STD(1, 2) } }, { COMMUNITY_STANDARD, { STD(1, 2) } }, true },
		{ { COMMUNITY_STANDARD, { STD(1, 2), 5, 6 } }, { COMMUNITY_STANDARD, { STD(1, 2), 7, 8 } }, true },
		{ { COMMUNITY_STANDARD, { STD(1, 2) } }, { COMMUNITY_STANDARD, { STD(2, 1) } }, false },
		{ { COMMUNITY_STANDARD, { 5 } }, { COMMUNITY_LARGE, { 5 } }, false },
		{ { COMMUNITY_LARGE, { 1, 2, 3 } }, { COMMUNITY_LARGE, { 1, 2, 3 } }, true },
		{ { COMMUNITY_LARGE, { 1, 2, 3 } }, { COMMUNITY_LARGE, { 1, 2, 4 } }, false },
		{ { COMMUNITY_LARGE, { 1, 2, 3 } }, { COMMUNITY_LARGE, { 1, 9, 3 } }, false },
		{ { COMMUNITY_LARGE, { 1, 2, 3 } }, { COMMUNITY_LARGE, { 0, 2, 3 } }, false },
	};

	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		if (community_eq(&rows[i].a, &rows[i].b) != rows[i].want ||
		    community_eq(&rows[i].b, &rows[i].a) != rows[i].want)
			fail_msg("row %zu: want %d", i, rows[i].want);
	}
}

static void test_parsed_names_equal_numbers(void **state)
{
	struct community a, b;
	char why[WHY_LEN];

	(void)state;
	assert_true(parse_n("no-advertise", 12, &a, why));
	assert_true(parse_n("65535:65282", 11, &b, why));
	assert_true(community_eq(&a, &b));
	assert_true(parse_n("large:65535:65282:0", 19, &b, why));
	assert_false(community_eq(&a, &b));
}

static void test_is_literal(void **state)
{
	static const struct {
		const char *in;
		size_t len; /* 0: strlen(in) */
		bool want;
	} rows[] = {
		{ "65535:65282", 0, true },
		{ "1:2:3", 0, true },
		{ "65536:1", 0, true },
		{ "1:", 0, true },
		{ ":", 0, true },
		{ "large:64500:1:2", 0, true },
		{ "large:", 0, true },
		{ "large:foo", 0, true },
		{ "no-export", 0, true },
		{ "NO-EXPORT", 0, true },
		{ "llgr-stale", 0, true },
		{ "123", 0, false },
		{ "", 0, false },
		{ "my-community", 0, false },
		{ "no-export-please", 0, false },
		{ "1:2a", 0, false },
		{ "+1:2", 0, false },
		{ "1:2 ", 0, false },
		{ "LARGE:1:2:3", 0, false },
		{ "large", 0, false },
		{ "1:2\0", 4, false },
		{ "65535:65282", 5, false },
		{ "65535:65282", 6, true },
		{ "large:1", 5, false },
		{ "large:1", 6, true },
	};

	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		size_t len = rows[i].len ? rows[i].len : strlen(rows[i].in);

		if (is_literal_n(rows[i].in, len) != rows[i].want)
			fail_msg("%s[:%zu]: want %d", rows[i].in, len, rows[i].want);
	}
	assert_false(community_is_literal(NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_why_buffer),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_eq),
		cmocka_unit_test(test_parsed_names_equal_numbers),
		cmocka_unit_test(test_is_literal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
