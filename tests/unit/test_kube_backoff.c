/* Unit tests for kube/kube_backoff.c: growth, cap, jitter range, reset and Retry-After. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kube_backoff.h"

static void test_growth_and_cap(void **state)
{
	(void)state;
	struct kube_backoff b;
	/* rnd = UINT32_MAX picks near the top of [d/2, d], rnd = 0 the bottom. */
	static const uint32_t top[] = { 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000 };

	kube_backoff_init(&b, 500, 30000);
	for (size_t i = 0; i < sizeof(top) / sizeof(*top); i++) {
		uint32_t d = b.next_ms;
		assert_int_equal(d, top[i]);
		assert_int_equal(kube_backoff_next(&b, 0, (uint32_t)(d - d / 2)), d);  /* rnd % (d - d/2 + 1) */
		assert_int_equal(b.failures, i + 1);
	}
	kube_backoff_reset(&b);
	assert_int_equal(kube_backoff_next(&b, 0, 0), 250);
	assert_int_equal(b.failures, 1);
}

static void test_jitter_range(void **state)
{
	(void)state;
	struct kube_backoff b;
	uint32_t lo = UINT32_MAX, hi = 0;

	/* Every random value lands in [d/2, d]: the 4th failure has d = 4000. */
	for (uint32_t rnd = 0; rnd < 100000; rnd += 7) {
		kube_backoff_init(&b, 500, 30000);
		for (int i = 0; i < 3; i++)
			kube_backoff_next(&b, 0, rnd);
		uint32_t ms = kube_backoff_next(&b, 0, rnd * 2654435761u);
		lo = ms < lo ? ms : lo;
		hi = ms > hi ? ms : hi;
	}
	assert_int_equal(lo, 2000);
	assert_int_equal(hi, 4000);
}

static void test_retry_after(void **state)
{
	(void)state;
	struct kube_backoff b;

	kube_backoff_init(&b, 500, 30000);
	/* A longer Retry-After wins; a shorter one does not shorten the backoff. */
	assert_int_equal(kube_backoff_next(&b, 5, 0), 5000);
	for (int i = 0; i < 6; i++)
		kube_backoff_next(&b, 0, 0);
	assert_int_equal(kube_backoff_next(&b, 1, UINT32_MAX - 1), 15000 + (UINT32_MAX - 1) % 15001);
	/* Capped: a server cannot park the client for a day. */
	assert_int_equal(kube_backoff_next(&b, 86400, 0), KUBE_RETRY_AFTER_MAX_S * 1000);
	/* Not there (0) or nonsense (negative): ignored. */
	kube_backoff_reset(&b);
	assert_int_equal(kube_backoff_next(&b, -3, 0), 250);
}

static void test_degenerate(void **state)
{
	(void)state;
	struct kube_backoff b;

	kube_backoff_init(&b, 0, 0);  /* clamped to 1 ms */
	assert_true(kube_backoff_next(&b, 0, 12345) <= 1);
	kube_backoff_init(&b, 3000000000u, 4000000000u);  /* no overflow near the top */
	for (int i = 0; i < 5; i++)
		assert_true(kube_backoff_next(&b, 0, UINT32_MAX) <= 4000000000u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_growth_and_cap),
		cmocka_unit_test(test_jitter_range),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_degenerate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
