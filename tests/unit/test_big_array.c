/* Arrays replaced whole: small ones from malloc, large ones in mappings kept for reuse while they are reused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "big_array.h"

#define LARGE (BIG_ARRAY_MIN * 4)

static void test_small_from_malloc(void **state)
{
	(void)state;
	size_t before = big_array_cached(NULL);
	unsigned char *p = big_alloc(100, 1, true);
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(p[i], 0);
	p = big_realloc(p, 200, 1);
	memset(p, 7, 200);
	big_free(p);
	assert_int_equal(big_array_cached(NULL), before);  /* a malloc'd one is not kept */
	big_free(NULL);
}

static void test_large_reused(void **state)
{
	(void)state;
	unsigned char *p = big_alloc(LARGE, 1, true);
	memset(p, 0xab, LARGE);
	size_t before = big_array_cached(NULL);
	big_free(p);
	assert_int_equal(big_array_cached(NULL), before + 1);
	unsigned char *q = big_alloc(LARGE - 100, 1, true);  /* the next copy goes where the last one was */
	assert_ptr_equal(q, p);
	assert_int_equal(big_array_cached(NULL), before);
	for (size_t i = 0; i < LARGE - 100; i += 4093)
		assert_int_equal(q[i], 0);  /* zeroed when asked */
	big_free(q);
}

static void test_not_reused_when_too_large(void **state)
{
	(void)state;
	unsigned char *p = big_alloc(4 * LARGE, 1, false);
	big_free(p);
	unsigned char *q = big_alloc(LARGE, 1, false);  /* would waste more than half of it */
	assert_ptr_not_equal(q, p);
	big_free(q);
}

static void test_realloc_keeps_contents(void **state)
{
	(void)state;
	uint32_t *v = NULL;
	size_t n = 0;
	for (size_t cap = 64; cap <= LARGE; cap *= 2) {  /* across BIG_ARRAY_MIN: from malloc into a mapping */
		v = big_realloc(v, cap, sizeof(*v));
		for (; n < cap; n++)
			v[n] = (uint32_t)n * 2654435761u;
	}
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i], (uint32_t)i * 2654435761u);
	v = big_realloc(v, 10, sizeof(*v));  /* shrinking keeps the head */
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(v[i], (uint32_t)i * 2654435761u);
	big_free(v);
}

static void test_cache_bounded(void **state)
{
	(void)state;
	void *v[40];
	for (int i = 0; i < 40; i++)
		v[i] = big_alloc(LARGE + (size_t)i * 65536, 1, false);
	for (int i = 0; i < 40; i++)
		big_free(v[i]);
	size_t bytes;
	size_t n = big_array_cached(&bytes);
	assert_true(n <= 16);
	assert_true(bytes <= (64u << 20));
}

static void test_idle_given_back(void **state)
{
	(void)state;
	void *p = big_alloc(LARGE, 1, false);
	big_array_trim();
	big_free(p);
	assert_true(big_array_cached(NULL) >= 1);
	big_array_trim();  /* just put back: kept */
	assert_true(big_array_cached(NULL) >= 1);
	struct timespec ts = { 2, 200 * 1000 * 1000 };  /* past the 2 s a mapping may stay unused */
	nanosleep(&ts, NULL);
	big_array_trim();
	assert_int_equal(big_array_cached(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_from_malloc),
		cmocka_unit_test(test_large_reused),
		cmocka_unit_test(test_not_reused_when_too_large),
		cmocka_unit_test(test_realloc_keeps_contents),
		cmocka_unit_test(test_cache_bounded),
		cmocka_unit_test(test_idle_given_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
