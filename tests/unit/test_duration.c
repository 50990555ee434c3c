/* Unit tests for config/duration.c, mostly Go's own time package test tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

#define WHY_LEN 256
#define N(a) (sizeof(a) / sizeof((a)[0]))

#define NS INT64_C(1)
#define US (1000 * NS)
#define MS (1000 * US)
#define SEC (1000 * MS)
#define MIN (60 * SEC)
#define HOUR (60 * MIN)

/* Heap copy of exactly len bytes, no terminator, so ASan flags any read past len. */
static bool parse_n(const char *s, size_t len, int64_t *ns, char *why)
{
	char *p = malloc(len ? len : 1);
	bool ok;

	assert_non_null(p);
	memcpy(p, s, len);
	ok = duration_parse(p, len, ns, why, WHY_LEN);
	free(p);
	return ok;
}

static const struct {
	const char *in;
	int64_t want;
} parse_ok[] = {
	/* Go's parseDurationTests (src/time/time_test.go) */
	{ "0", 0 },
	{ "5s", 5 * SEC },
	{ "30s", 30 * SEC },
	{ "1478s", 1478 * SEC },
	{ "-5s", -5 * SEC },
	{ "+5s", 5 * SEC },
	{ "-0", 0 },
	{ "+0", 0 },
	{ "5.0s", 5 * SEC },
	{ "5.6s", 5 * SEC + 600 * MS },
	{ "5.s", 5 * SEC },
	{ ".5s", 500 * MS },
	{ "1.0s", 1 * SEC },
	{ "1.00s", 1 * SEC },
	{ "1.004s", 1 * SEC + 4 * MS },
	{ "1.0040s", 1 * SEC + 4 * MS },
	{ "100.00100s", 100 * SEC + 1 * MS },
	{ "10ns", 10 * NS },
	{ "11us", 11 * US },
	{ "12\xc2\xb5s", 12 * US }, /* U+00B5 */
	{ "12\xce\xbcs", 12 * US }, /* U+03BC */
	{ "13ms", 13 * MS },
	{ "14s", 14 * SEC },
	{ "15m", 15 * MIN },
	{ "16h", 16 * HOUR },
	{ "3h30m", 3 * HOUR + 30 * MIN },
	{ "10.5s4m", 4 * MIN + 10 * SEC + 500 * MS },
	{ "-2m3.4s", -(2 * MIN + 3 * SEC + 400 * MS) },
	{ "1h2m3s4ms5us6ns", 1 * HOUR + 2 * MIN + 3 * SEC + 4 * MS + 5 * US + 6 * NS },
	{ "39h9m14.425s", 39 * HOUR + 9 * MIN + 14 * SEC + 425 * MS },
	{ "52763797000ns", 52763797000 * NS },
	{ "0.3333333333333333333h", 20 * MIN },
	{ "9007199254740993ns", (INT64_C(1) << 53) + 1 },
	{ "9223372036854775807ns", INT64_MAX },
	{ "9223372036854775.807us", INT64_MAX },
	{ "9223372036s854ms775us807ns", INT64_MAX },
	{ "-9223372036854775808ns", INT64_MIN },
	{ "-9223372036854775.808us", INT64_MIN },
	{ "-9223372036s854ms775us808ns", INT64_MIN },
	{ "-2562047h47m16.854775808s", INT64_MIN },
	{ "0.100000000000000000000h", 6 * MIN },
	{ "0.830103483285477580700h", 49 * MIN + 48 * SEC + 372539827 * NS },
	/* Go's ParseDuration doc example */
	{ "10h", 10 * HOUR },
	{ "1h10m10s", 1 * HOUR + 10 * MIN + 10 * SEC },
	{ "1\xc2\xb5s", 1 * US },
	{ "1us", 1 * US },
	/* the forms MetalLB objects use, and the edges */
	{ "90s", 90 * SEC },
	{ "1m30s", 90 * SEC },
	{ "1.5h", 90 * MIN },
	{ "-1.5h", -90 * MIN },
	{ "300ms", 300 * MS },
	{ "-2s", -2 * SEC },
	{ "1.s", 1 * SEC },
	{ "0s", 0 },
	{ "-0s", 0 },
	{ "0.0s", 0 },
	{ "000000000000000000000000000001s", 1 * SEC },
	{ "1h1h", 2 * HOUR },
	{ ".000000001s", 1 * NS },
	{ ".0000000009s", 0 },
	{ "2562047h47m16.854775807s", INT64_MAX },
	{ "2562047h", 2562047 * HOUR },
};

static void test_parse_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(parse_ok); i++) {
		int64_t got = 42;
		char why[WHY_LEN] = "";

		if (!parse_n(parse_ok[i].in, strlen(parse_ok[i].in), &got, why))
			fail_msg("%s: rejected: %s", parse_ok[i].in, why);
		if (got != parse_ok[i].want)
			fail_msg("%s: got %" PRId64 ", want %" PRId64, parse_ok[i].in, got, parse_ok[i].want);
	}
}

static const struct {
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *why;
} parse_bad[] = {
	/* Go's parseDurationErrorTests, with Go's quoting */
	{ "", 0, "invalid duration \"\"" },
	{ "3", 0, "missing unit in duration \"3\"" },
	{ "-", 0, "invalid duration \"-\"" },
	{ "s", 0, "invalid duration \"s\"" },
	{ ".", 0, "invalid duration \".\"" },
	{ "-.", 0, "invalid duration \"-.\"" },
	{ ".s", 0, "invalid duration \".s\"" },
	{ "+.s", 0, "invalid duration \"+.s\"" },
	{ "1d", 0, "unknown unit \"d\" in duration \"1d\"" },
	{ "\x85\x85", 0, "invalid duration \"\\x85\\x85\"" },
	{ "\xff" "ff", 0, "invalid duration \"\\xffff\"" },
	{ "hello \xff" "ff world", 0, "invalid duration \"hello \\xffff world\"" },
	{ "\xef\xbf\xbd", 0, "invalid duration \"\\xef\\xbf\\xbd\"" },
	{ "9223372036854775810ns", 0, "invalid duration \"9223372036854775810ns\": out of range" },
	{ "9223372036854775808ns", 0, "invalid duration \"9223372036854775808ns\": out of range" },
	{ "-9223372036854775809ns", 0, "invalid duration \"-9223372036854775809ns\": out of range" },
	{ "9223372036854776us", 0, "invalid duration \"9223372036854776us\": out of range" },
	{ "3000000h", 0, "invalid duration \"3000000h\": out of range" },
	{ "9223372036854775.808us", 0, "invalid duration \"9223372036854775.808us\": out of range" },
	{ "9223372036854ms775us808ns", 0,
	  "invalid duration \"9223372036854ms775us808ns\": out of range" },
	/* one nanosecond past the largest duration, and sums that would wrap */
	{ "2562047h47m16.854775808s", 0, "invalid duration \"2562047h47m16.854775808s\": out of range" },
	{ "2562048h", 0, "invalid duration \"2562048h\": out of range" },
	{ "-9223372036854775808ns1ns", 0,
	  "invalid duration \"-9223372036854775808ns1ns\": out of range" },
	{ "9223372036854775808ns9223372036854775808ns", 0,
	  "invalid duration \"9223372036854775808ns9223372036854775808ns\": out of range" },
	{ "99999999999999999999999s", 0, "invalid duration \"99999999999999999999999s\": out of range" },
	/* syntax */
	{ "1h-2m", 0, "unknown unit \"h-\" in duration \"1h-2m\"" },
	{ "1 s", 0, "unknown unit \" s\" in duration \"1 s\"" },
	{ "1s ", 0, "unknown unit \"s \" in duration \"1s \"" },
	{ " 1s", 0, "invalid duration \" 1s\"" },
	{ "--1s", 0, "invalid duration \"--1s\"" },
	{ "+-1s", 0, "invalid duration \"+-1s\"" },
	{ "00", 0, "missing unit in duration \"00\"" },
	{ "1.5", 0, "missing unit in duration \"1.5\"" },
	{ "1s2", 0, "missing unit in duration \"1s2\"" },
	{ "1.2.3s", 0, "missing unit in duration \"1.2.3s\"" },
	{ "1S", 0, "unknown unit \"S\" in duration \"1S\"" },
	{ "1sec", 0, "unknown unit \"sec\" in duration \"1sec\"" },
	{ "1d2h", 0, "unknown unit \"d\" in duration \"1d2h\"" },
	{ "1\xc2\xb5", 0, "unknown unit \"\\xc2\\xb5\" in duration \"1\\xc2\\xb5\"" },
	{ "1e3s", 0, "unknown unit \"e\" in duration \"1e3s\"" },
	{ "1\"s", 0, "unknown unit \"\\\"s\" in duration \"1\\\"s\"" },
	/* NUL bytes and long input */
	{ "1s\0", 3, "invalid duration \"1s\\x00\": contains a NUL byte" },
	{ "\0", 1, "invalid duration \"\\x00\": contains a NUL byte" },
	{ "1sxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0,
	  "unknown unit \"sxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\" in duration "
	  "\"1sxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"" },
};

static void test_parse_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(parse_bad); i++) {
		size_t len = parse_bad[i].len ? parse_bad[i].len : strlen(parse_bad[i].in);
		int64_t got = 42;
		char why[WHY_LEN] = "";

		if (parse_n(parse_bad[i].in, len, &got, why))
			fail_msg("%s: accepted as %" PRId64, parse_bad[i].in, got);
		if (strcmp(why, parse_bad[i].why) != 0)
			fail_msg("%s: reason [%s], want [%s]", parse_bad[i].in, why, parse_bad[i].why);
		assert_int_equal(got, 42);
	}
}

static void test_parse_prefix_of_buffer(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		bool ok;
		int64_t want;
	} rows[] = {
		{ "1500ms", 5, true, 1500 * MIN },
		{ "0s", 1, true, 0 },
		{ "-0s", 2, true, 0 },
		{ "1h30m", 2, true, HOUR },
		{ "1h30m", 4, false, 0 },
		{ "10s", 1, false, 0 },
		{ "1.5h", 3, false, 0 },
		{ "5s", 0, false, 0 },
	};
	char why[WHY_LEN];

	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		int64_t got = 42;

		if (parse_n(rows[i].in, rows[i].len, &got, why) != rows[i].ok)
			fail_msg("%s[:%zu]: wrong verdict", rows[i].in, rows[i].len);
		if (rows[i].ok && got != rows[i].want)
			fail_msg("%s[:%zu]: got %" PRId64, rows[i].in, rows[i].len, got);
	}
	assert_false(duration_parse(NULL, 0, &(int64_t){ 0 }, why, sizeof(why)));
	assert_string_equal(why, "invalid duration \"\"");
}

static void test_parse_why_buffer(void **state)
{
	int64_t ns;
	char small[8];

	(void)state;
	assert_false(duration_parse("1d", 2, &ns, small, sizeof(small)));
	assert_string_equal(small, "unknown");
	assert_false(duration_parse("1d", 2, &ns, NULL, 0));
	small[0] = 'x';
	assert_false(duration_parse("1d", 2, &ns, small, 0));
	assert_int_equal(small[0], 'x');
}

static const struct {
	int64_t ns;
	const char *want;
} format_rows[] = {
	/* Go's durationTests (src/time/time_test.go) */
	{ 0, "0s" },
	{ 1 * NS, "1ns" },
	{ 1100 * NS, "1.1\xc2\xb5s" },
	{ 2200 * US, "2.2ms" },
	{ 3300 * MS, "3.3s" },
	{ 4 * MIN + 5 * SEC, "4m5s" },
	{ 4 * MIN + 5001 * MS, "4m5.001s" },
	{ 5 * HOUR + 6 * MIN + 7001 * MS, "5h6m7.001s" },
	{ 8 * MIN + 1 * NS, "8m0.000000001s" },
	{ INT64_MAX, "2562047h47m16.854775807s" },
	{ INT64_MIN, "-2562047h47m16.854775808s" },
	/* Go's Duration.String doc example and common values */
	{ 1 * HOUR + 15 * MIN + 30 * SEC + 918273645 * NS, "1h15m30.918273645s" },
	{ 90 * SEC, "1m30s" },
	{ HOUR, "1h0m0s" },
	{ 10 * HOUR, "10h0m0s" },
	{ MIN, "1m0s" },
	{ 300 * MS, "300ms" },
	{ 1500 * MS, "1.5s" },
	{ 1 * US, "1\xc2\xb5s" },
	{ -2 * SEC, "-2s" },
	{ -1 * NS, "-1ns" },
	{ 999 * NS, "999ns" },
	{ 1 * MS, "1ms" },
	{ SEC - 1, "999.999999ms" },
	{ SEC, "1s" },
	{ MIN - 1, "59.999999999s" },
	{ -90 * MIN, "-1h30m0s" },
	{ 100 * HOUR + 1, "100h0m0.000000001s" },
};

static void test_format(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(format_rows); i++) {
		char buf[32];

		memset(buf, 'x', sizeof(buf));
		duration_format(format_rows[i].ns, buf, sizeof(buf));
		if (strcmp(buf, format_rows[i].want) != 0)
			fail_msg("%" PRId64 ": got %s, want %s", format_rows[i].ns, buf, format_rows[i].want);
	}
}

static void test_format_small_buffer(void **state)
{
	char buf[8];

	(void)state;
	duration_format(INT64_MIN, buf, 5);
	assert_string_equal(buf, "-256");
	duration_format(90 * SEC, buf, 1);
	assert_string_equal(buf, "");
	memset(buf, 'x', sizeof(buf));
	duration_format(90 * SEC, buf, 0);
	assert_int_equal(buf[0], 'x');
	duration_format(90 * SEC, NULL, 0);
	duration_format(90 * SEC, buf, 6);
	assert_string_equal(buf, "1m30s");
}

/* String() output always parses back to the same value, as Go guarantees. */
static void test_round_trip(void **state)
{
	static const int64_t edges[] = { 0, 1, -1, 999, 1000, 999999, 1000000, SEC - 1, SEC, MIN, HOUR,
					 INT64_MAX, INT64_MIN, INT64_MIN + 1, INT64_MAX - 1 };
	uint64_t x = 0x9e3779b97f4a7c15u;

	(void)state;
	for (size_t i = 0; i < N(edges) + 20000; i++) {
		int64_t d, back = 0;
		char buf[32], why[WHY_LEN];

		if (i < N(edges)) {
			d = edges[i];
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			d = (int64_t)(x >> (x % 64));
			if ((x & 1) && d != INT64_MIN)
				d = -d;
		}
		duration_format(d, buf, sizeof(buf));
		if (!parse_n(buf, strlen(buf), &back, why) || back != d)
			fail_msg("%" PRId64 " -> %s -> %" PRId64 " (%s)", d, buf, back, why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_prefix_of_buffer),
		cmocka_unit_test(test_parse_why_buffer),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_small_buffer),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
