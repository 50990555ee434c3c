/* The region allocator: exact sizing for caches of many small objects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "arena.h"

/* A mix of aligned blocks and unaligned strings, like a decoded object. */
static void fill(struct arena *a)
{
	arena_strdup(a, "");
	arena_strdup(a, "v1");
	arena_calloc(a, 3, 24);
	arena_printf(a, "Service %s/%s", "default", "web");
	arena_alloc(a, 1);
	arena_strdup(a, "8f2e6c1a-0000-4000-8000-000000000001");
	arena_calloc(a, 1, 40);
}

static void test_reserved_extent_fits_exactly(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT, b = ARENA_INIT, c = ARENA_INIT;
	assert_int_equal(arena_extent(&a), 0);
	arena_reserve(&a, 4096);
	fill(&a);
	size_t e = arena_extent(&a);
	assert_true(e > 0 && e < 4096);

	arena_reserve(&b, e);
	fill(&b);
	assert_int_equal(arena_extent(&b), e);  /* one chunk, filled to the byte */
	assert_int_equal(b.used, a.used);

	arena_reserve(&c, e - 1);
	fill(&c);
	assert_int_equal(arena_extent(&c), 0);  /* one byte short: it spilled into a second chunk */
	arena_free(&a);
	arena_free(&b);
	arena_free(&c);
}

/* Reserving a non-empty arena changes nothing; memory handed out is zeroed and usable. */
static void test_reserve_only_when_empty(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	char *s = arena_strdup(&a, "abc");
	size_t e = arena_extent(&a);
	arena_reserve(&a, 1 << 20);
	assert_int_equal(arena_extent(&a), e);
	int *v = arena_calloc(&a, 4, sizeof(int));
	assert_int_equal(v[0] | v[1] | v[2] | v[3], 0);
	assert_string_equal(s, "abc");
	arena_free(&a);
	assert_int_equal(arena_extent(&a), 0);
}

/* A struct allocated from the arena it holds: found in it, freed with it. */
static void test_holds(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT, outside = ARENA_INIT, plain = ARENA_INIT;
	arena_reserve(&plain, 4096);
	fill(&plain);
	size_t e = arena_extent(&plain);
	arena_free(&plain);
	struct arena *self = arena_reserve_with(&a, 40, e);
	fill(&a);
	assert_true(arena_extent(&a) > e);  /* one chunk: the block and the same allocations fit */
	assert_true(arena_holds(&a, self));
	char *spill = arena_calloc(&a, 1, 4096);  /* a second chunk */
	assert_true(arena_holds(&a, self) && arena_holds(&a, spill));
	assert_int_equal(arena_extent(&a), 0);
	assert_false(arena_holds(&a, &outside));
	*self = a;
	struct arena copy = *self;
	arena_free(&copy);
}

/* A small arena costs its whole first chunk, not the few bytes it handed out. */
static void test_bytes(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	assert_int_equal(arena_bytes(&a), 0);
	arena_strdup(&a, "x");
	size_t one = arena_bytes(&a);
	assert_true(one >= 448 && a.used == 2);
	arena_calloc(&a, 1, 8192);  /* a second chunk */
	assert_true(arena_bytes(&a) >= one + 8192);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_holds),
		cmocka_unit_test(test_reserved_extent_fits_exactly),
		cmocka_unit_test(test_reserve_only_when_empty),
		cmocka_unit_test(test_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
