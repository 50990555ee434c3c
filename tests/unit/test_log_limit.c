/* Unit tests for lib/log_limit.c, on a fake clock: bursts, refill, counts, keys, sweep, a bounded table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_limit.h"

static const char tmpl_a[] = "UPDATE treated as withdraw (RFC 7606): %s";
static const char tmpl_b[] = "cannot allocate: %s";

static struct log_limit *fresh(void)
{
	struct log_limit *l = malloc(sizeof *l);
	assert_non_null(l);
	log_limit_init(l);
	return l;
}

static bool admit(struct log_limit *l, const void *tmpl, const char *comp, const char *name, int64_t now,
		  struct log_limit_report *rep)
{
	struct log_limit_key k = {tmpl, comp, name ? "Service" : NULL, name ? "default" : NULL, name};
	return log_limit_admit(l, &k, 1, "the message", now, rep);
}

static void test_burst_then_counted(void **state)
{
	(void)state;
	struct log_limit *l = fresh();
	struct log_limit_report rep;
	unsigned written = 0;
	for (int i = 0; i < 10000; i++) /* 10,000 in one second */
		written += admit(l, tmpl_a, "bgp 192.0.2.1", NULL, 1000 + i / 10, &rep);
	assert_int_equal(written, LOG_LIMIT_BURST);
	assert_int_equal(l->pending, 1);
	/* 2 s later the bucket holds one line: it is written with the count of those left out. */
	assert_true(admit(l, tmpl_a, "bgp 192.0.2.1", NULL, 3000, &rep));
	assert_int_equal(rep.suppressed, 10000 - LOG_LIMIT_BURST);
	assert_int_equal(rep.over_ms, 3000 - 1000);
	assert_int_equal(l->pending, 0);
	assert_false(admit(l, tmpl_a, "bgp 192.0.2.1", NULL, 3001, &rep));
	free(l);
}

static void test_refill_rate(void **state)
{
	(void)state;
	struct log_limit *l = fresh();
	struct log_limit_report rep;
	unsigned written = 0;
	/* One call every 10 ms for 60 s: the burst, then BURST per window. */
	for (int64_t t = 0; t < 60000; t += 10)
		written += admit(l, tmpl_a, "bgp 192.0.2.1", NULL, t, &rep);
	assert_in_range(written, LOG_LIMIT_BURST * 6, LOG_LIMIT_BURST * 7);
	free(l);
}

static void test_keys_apart(void **state)
{
	(void)state;
	struct log_limit *l = fresh();
	struct log_limit_report rep;
	for (int i = 0; i < LOG_LIMIT_BURST; i++)
		assert_true(admit(l, tmpl_a, "bgp 192.0.2.1", NULL, 0, &rep));
	assert_false(admit(l, tmpl_a, "bgp 192.0.2.1", NULL, 0, &rep));
	/* another peer, another template, another Service: their own buckets */
	assert_true(admit(l, tmpl_a, "bgp 192.0.2.2", NULL, 0, &rep));
	assert_true(admit(l, tmpl_b, "bgp 192.0.2.1", NULL, 0, &rep));
	for (int i = 0; i < LOG_LIMIT_BURST; i++)
		assert_true(admit(l, tmpl_b, "service", "web", 0, &rep));
	assert_false(admit(l, tmpl_b, "service", "web", 0, &rep));
	assert_true(admit(l, tmpl_b, "service", "db", 0, &rep));
	free(l);
}

/* Different texts of one template: LOG_LIMIT_TEMPLATE_BURST of them, then counted. */
static void test_template_bucket(void **state)
{
	(void)state;
	struct log_limit *l = fresh();
	struct log_limit_report rep;
	struct log_limit_key k = {tmpl_a, "l2", NULL, NULL, NULL};
	char text[32];
	unsigned written = 0;
	for (int i = 0; i < 9; i++) { /* nine VIPs changing owner at once: all written */
		snprintf(text, sizeof text, "192.0.2.%d owner node2", i);
		assert_true(log_limit_admit(l, &k, 1, text, 0, &rep));
	}
	for (int i = 9; i < 1000; i++) {
		snprintf(text, sizeof text, "192.0.2.%d owner node2", i);
		written += log_limit_admit(l, &k, 1, text, 0, &rep);
	}
	assert_int_equal(written + 9, LOG_LIMIT_TEMPLATE_BURST);
	assert_true(log_limit_sweep(l, LOG_LIMIT_WINDOW_MS, false, &rep));
	assert_false(rep.slot->exact);
	assert_int_equal(rep.suppressed, 1000 - LOG_LIMIT_TEMPLATE_BURST);
	assert_string_equal(rep.slot->last, "192.0.2.999 owner node2");
	free(l);
}

static void test_sweep(void **state)
{
	(void)state;
	struct log_limit *l = fresh();
	struct log_limit_report rep;
	for (int i = 0; i < 100; i++)
		admit(l, tmpl_a, "bgp 192.0.2.1", NULL, 0, &rep);
	struct log_limit_key k = {tmpl_a, "bgp 192.0.2.1", NULL, NULL, NULL};
	assert_false(log_limit_admit(l, &k, 1, "the message", 0, &rep));
	assert_false(log_limit_sweep(l, 500, false, &rep)); /* no line in the bucket yet */
	assert_true(log_limit_sweep(l, 2000, false, &rep));
	assert_int_equal(rep.suppressed, 100 - LOG_LIMIT_BURST + 1);
	assert_true(rep.slot->exact);
	assert_string_equal(rep.slot->last, "the message");
	assert_string_equal(rep.slot->component, "bgp 192.0.2.1");
	assert_false(log_limit_sweep(l, 2000, true, &rep)); /* reported once */
	/* force: at exit, whatever the bucket holds */
	for (int i = 0; i < 10; i++)
		admit(l, tmpl_a, "bgp 192.0.2.1", NULL, 2000, &rep);
	assert_false(log_limit_sweep(l, 2000, false, &rep));
	assert_true(log_limit_sweep(l, 2000, true, &rep));
	assert_int_equal(rep.suppressed, 10);
	free(l);
}

/* More keys than slots: the least recently used is reused, counts stay consistent. */
static void test_bounded_table(void **state)
{
	(void)state;
	struct log_limit *l = fresh();
	struct log_limit_report rep;
	char name[32];
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < LOG_LIMIT_SLOTS * 2; i++) {
			snprintf(name, sizeof name, "svc-%d", i);
			for (int j = 0; j < LOG_LIMIT_BURST + 2; j++)
				admit(l, tmpl_b, "service", name, round * 100000 + i, &rep);
		}
	assert_true(l->pending <= LOG_LIMIT_SLOTS);
	unsigned reported = 0;
	while (log_limit_sweep(l, 1000000, true, &rep))
		reported++;
	assert_int_equal(reported, LOG_LIMIT_SLOTS / 2); /* a key takes two slots, one per bucket */
	assert_int_equal(l->pending, 0);
	assert_true(l->evicted_pending > 0);
	free(l);
}

/* A long component or name is cut to fit, and still one key. */
static void test_long_names(void **state)
{
	(void)state;
	struct log_limit *l = fresh();
	struct log_limit_report rep;
	char long_name[600];
	memset(long_name, 'x', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	for (int i = 0; i < LOG_LIMIT_BURST; i++)
		assert_true(admit(l, tmpl_b, long_name, long_name, 0, &rep));
	assert_false(admit(l, tmpl_b, long_name, long_name, 0, &rep));
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_counted),
		cmocka_unit_test(test_refill_rate),
		cmocka_unit_test(test_keys_apart),
		cmocka_unit_test(test_template_bucket),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_bounded_table),
		cmocka_unit_test(test_long_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
