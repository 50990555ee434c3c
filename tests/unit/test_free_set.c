/*
 * free_set against a plain bitmap over small ranges (with and without
 * avoidBuggyIPs), plus the edges: ranges that start or end on .0/.255, a
 * range with no usable address, a /64 and a /8 that stay one interval.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "free_set.h"

static struct iprange range(const char *text)
{
	struct iprange r;
	char why[128];
	assert_true(iprange_parse(text, strlen(text), &r, why, sizeof(why)));
	return r;
}

static struct ipaddr ip(const char *text)
{
	struct ipaddr a;
	assert_true(ipaddr_parse(text, strlen(text), &a));
	return a;
}

static void assert_first(const struct free_set *s, const char *want)
{
	struct ipaddr a;
	char buf[IPADDR_STRLEN];

	if (!want) {
		assert_false(free_set_first(s, &a));
		return;
	}
	assert_true(free_set_first(s, &a));
	ipaddr_format(&a, buf);
	assert_string_equal(buf, want);
}

static void test_buggy_edges(void **state)
{
	(void)state;
	struct free_set s;
	struct iprange r = range("192.0.2.255-198.51.100.0");  /* starts and ends on buggy addresses */

	free_set_init(&s, &r, true);
	assert_first(&s, "192.0.3.1");
	assert_false(free_set_usable(&s, &(struct ipaddr){ 0 }));
	struct ipaddr a = ip("192.0.3.0");
	assert_false(free_set_usable(&s, &a));
	assert_false(free_set_take(&s, &a));
	a = ip("192.0.3.1");
	assert_true(free_set_take(&s, &a));
	assert_false(free_set_take(&s, &a));
	assert_first(&s, "192.0.3.2");
	free_set_destroy(&s);

	/* /31 and /32 made only of buggy addresses: nothing to hand out. */
	r = range("203.0.113.255/32");
	free_set_init(&s, &r, true);
	assert_first(&s, NULL);
	free_set_destroy(&s);
	r = range("198.51.100.0/24");
	free_set_init(&s, &r, false);
	assert_first(&s, "198.51.100.0");
	free_set_destroy(&s);
}

static void test_walk_across_blocks(void **state)
{
	(void)state;
	struct free_set s;
	struct iprange r = range("198.18.0.0/22");
	char buf[IPADDR_STRLEN];

	free_set_init(&s, &r, true);
	/* Taking the lowest address 1016 times hands out x.1..x.254 of four /24s, in order. */
	for (int i = 0; i < 4 * 254; i++) {
		struct ipaddr a;
		assert_true(free_set_first(&s, &a));
		assert_int_equal(a.b[2], i / 254);
		assert_int_equal(a.b[3], i % 254 + 1);
		assert_true(free_set_take(&s, &a));
		assert_int_equal(free_set_fragments(&s), i == 4 * 254 - 1 ? 0 : 1);
	}
	assert_first(&s, NULL);
	/* Giving back x.254 and (x+1).1 joins them into one interval across .255/.0. */
	struct ipaddr a = ip("198.18.1.254"), b = ip("198.18.2.1");
	assert_true(free_set_put(&s, &b));
	assert_true(free_set_put(&s, &a));
	assert_false(free_set_put(&s, &a));
	assert_int_equal(free_set_fragments(&s), 1);
	assert_first(&s, "198.18.1.254");
	assert_true(free_set_take(&s, &a));
	free_set_first(&s, &a);
	ipaddr_format(&a, buf);
	assert_string_equal(buf, "198.18.2.1");
	free_set_destroy(&s);
}

static void test_huge_ranges(void **state)
{
	(void)state;
	struct free_set s;
	struct iprange r = range("2001:db8::/64");

	free_set_init(&s, &r, true);
	for (int i = 0; i < 1000; i++) {
		struct ipaddr a;
		assert_true(free_set_first(&s, &a));
		assert_true(free_set_take(&s, &a));
	}
	assert_first(&s, "2001:db8::3e8");
	assert_int_equal(free_set_fragments(&s), 1);
	struct ipaddr last = ip("2001:db8::ffff:ffff:ffff:ffff");
	assert_true(free_set_take(&s, &last));
	assert_true(free_set_put(&s, &last));
	assert_int_equal(free_set_fragments(&s), 1);
	free_set_destroy(&s);

	r = range("198.18.0.0/15");
	free_set_init(&s, &r, false);
	struct ipaddr mid = ip("198.19.0.0");
	assert_true(free_set_take(&s, &mid));
	assert_int_equal(free_set_fragments(&s), 2);
	free_set_destroy(&s);
}

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Random take/put on a 4x/24 range against a bitmap; checks first() after every step. */
static void differential(bool avoid)
{
	struct free_set s;
	struct iprange r = range("192.0.2.250-192.0.6.5");
	enum { N = 6 + 3 * 256 + 6 };  /* 192.0.2.250 .. 192.0.6.5 */
	bool used[N] = { false };
	struct ipaddr base = r.first;

	free_set_init(&s, &r, avoid);
	for (int step = 0; step < 50000; step++) {
		unsigned i = (unsigned)(next_rand() % N);
		struct ipaddr a = base;
		for (unsigned k = 0; k < i; k++)
			ipaddr_next(&a);
		bool usable = !(avoid && (a.b[3] == 0 || a.b[3] == 255));
		if (next_rand() % 2) {
			assert_int_equal(free_set_take(&s, &a), usable && !used[i]);
			used[i] = used[i] || usable;
		} else {
			assert_int_equal(free_set_put(&s, &a), usable && used[i]);
			used[i] = false;
		}
		assert_int_equal(free_set_is_free(&s, &a), usable && !used[i]);
		struct ipaddr want = base, got;
		unsigned k = 0;
		for (; k < N; k++, ipaddr_next(&want))
			if (!used[k] && !(avoid && (want.b[3] == 0 || want.b[3] == 255)))
				break;
		assert_int_equal(free_set_first(&s, &got), k < N);
		if (k < N)
			assert_true(ipaddr_eq(&got, &want));
		assert_true(avl_check(&s.free));
	}
	free_set_destroy(&s);
}

static void test_differential(void **state)
{
	(void)state;
	differential(false);
	differential(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buggy_edges),
		cmocka_unit_test(test_walk_across_blocks),
		cmocka_unit_test(test_huge_ranges),
		cmocka_unit_test(test_differential),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
