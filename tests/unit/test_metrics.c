/* lib/metrics: the exposition text, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

static void expect_text(struct metrics *m, const char *want)
{
	size_t len;
	char *text = metrics_render(m, &len);
	assert_string_equal(text, want);
	assert_int_equal(len, strlen(want));
	free(text);
}

static void test_counter_and_gauge(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	const char *const peer[] = {"peer", NULL};
	struct metric_family *up = metrics_family(m, "x_up", "Up (1) or not", METRIC_GAUGE, peer, NULL, 0);
	struct metric_family *n = metrics_family(m, "x_total", "Counted", METRIC_COUNTER, NULL, NULL, 0);
	metric_set(up, (const char *const[]){"192.0.2.2"}, 1);
	metric_set(up, (const char *const[]){"192.0.2.1"}, 0);
	metric_add(n, NULL, 2);
	metric_add(n, NULL, 3);
	expect_text(m, "# HELP x_up Up (1) or not\n"
		       "# TYPE x_up gauge\n"
		       "x_up{peer=\"192.0.2.1\"} 0\n"
		       "x_up{peer=\"192.0.2.2\"} 1\n"
		       "# HELP x_total Counted\n"
		       "# TYPE x_total counter\n"
		       "x_total 5\n");
	metrics_free(m);
}

static void test_escaping(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	const char *const labels[] = {"pool", "ns", NULL};
	struct metric_family *f = metrics_family(m, "y", "a \\ back\nslash \"q\"", METRIC_GAUGE, labels, NULL, 0);
	metric_set(f, (const char *const[]){"a\"b\\c\nd", ""}, 0.5);
	expect_text(m, "# HELP y a \\\\ back\\nslash \"q\"\n"
		       "# TYPE y gauge\n"
		       "y{pool=\"a\\\"b\\\\c\\nd\",ns=\"\"} 0.5\n");
	metrics_free(m);
}

static void test_histogram(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	const double b[] = {0.1, 1, 10};
	struct metric_family *h = metrics_family(m, "z_seconds", "Took", METRIC_HISTOGRAM, NULL, b, 3);
	metric_observe(h, NULL, 0.05);
	metric_observe(h, NULL, 1);   /* le is inclusive */
	metric_observe(h, NULL, 100);
	expect_text(m, "# HELP z_seconds Took\n"
		       "# TYPE z_seconds histogram\n"
		       "z_seconds_bucket{le=\"0.1\"} 1\n"
		       "z_seconds_bucket{le=\"1\"} 2\n"
		       "z_seconds_bucket{le=\"10\"} 2\n"
		       "z_seconds_bucket{le=\"+Inf\"} 3\n"
		       "z_seconds_sum 101.05\n"
		       "z_seconds_count 3\n");
	metrics_free(m);
}

/* A histogram kept between scrapes renders as the same observations made at scrape time. */
static void test_kept_histogram(void **state)
{
	(void)state;
	const double b[] = {0.1, 1, 10};
	struct metric_hist kept;
	metric_hist_init(&kept, b, 3);
	struct metrics *m = metrics_new();
	struct metric_family *direct = metrics_family(m, "d_seconds", "Took", METRIC_HISTOGRAM, NULL, b, 3);
	const double v[] = {0.05, 0.1, 1, 5, 100, 0};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		metric_hist_observe(&kept, v[i]);
		metric_observe(direct, NULL, v[i]);
	}
	assert_int_equal(kept.count, 6);
	assert_int_equal(kept.bucket[0], 3);  /* 0, 0.05, 0.1: le is inclusive */
	assert_int_equal(kept.bucket[1], 1);
	assert_int_equal(kept.bucket[2], 1);
	size_t len;
	char *want = metrics_render(m, &len);
	metrics_free(m);
	m = metrics_new();
	struct metric_family *f = metrics_family(m, "d_seconds", "Took", METRIC_HISTOGRAM, NULL, b, 3);
	metric_set_hist(f, NULL, &kept);
	metric_set_hist(f, NULL, &kept);  /* set, not added */
	expect_text(m, want);
	free(want);
	metrics_free(m);
}

/* Never observed: every bucket 0, sum 0, count 0. */
static void test_kept_histogram_empty(void **state)
{
	(void)state;
	const double b[] = {1};
	struct metric_hist kept;
	metric_hist_init(&kept, b, 1);
	struct metrics *m = metrics_new();
	const char *const lbl[] = {"k", NULL};
	metric_set_hist(metrics_family(m, "e", "E", METRIC_HISTOGRAM, lbl, b, 1), (const char *const[]){"v"}, &kept);
	expect_text(m, "# HELP e E\n# TYPE e histogram\n"
		       "e_bucket{k=\"v\",le=\"1\"} 0\ne_bucket{k=\"v\",le=\"+Inf\"} 0\n"
		       "e_sum{k=\"v\"} 0\ne_count{k=\"v\"} 0\n");
	metrics_free(m);
}

static void test_special_numbers_and_empty_family(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	metrics_family(m, "empty", "No samples", METRIC_GAUGE, NULL, NULL, 0);
	struct metric_family *g = metrics_family(m, "g", "Odd", METRIC_GAUGE, (const char *const[]){"k", NULL}, NULL, 0);
	metric_set(g, (const char *const[]){"a"}, 1.0 / 0.0);
	metric_set(g, (const char *const[]){"b"}, -1.0 / 0.0);
	metric_set(g, (const char *const[]){"c"}, 0.0 / 0.0);
	metric_set(g, (const char *const[]){"d"}, -7);
	expect_text(m, "# HELP empty No samples\n# TYPE empty gauge\n"
		       "# HELP g Odd\n# TYPE g gauge\n"
		       "g{k=\"a\"} +Inf\ng{k=\"b\"} -Inf\ng{k=\"c\"} NaN\ng{k=\"d\"} -7\n");
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_and_gauge),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_kept_histogram),
		cmocka_unit_test(test_kept_histogram_empty),
		cmocka_unit_test(test_special_numbers_and_empty_family),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
