/* Unit tests for lib/avl.c: exact shapes after inserts and removals, edge cases, and a differential run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avl.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SHAPE_LEN 256
#define TABLE_KEYS 16

struct item {
	int key;
	struct avl_node node;
};

static int key_of(const struct avl_node *n)
{
	return avl_entry(n, struct item, node)->key;
}

static int cmp_int(int a, int b)
{
	return (a > b) - (a < b);
}

static int item_cmp(const struct avl_node *a, const struct avl_node *b)
{
	return cmp_int(key_of(a), key_of(b));
}

static int key_cmp(const void *key, const struct avl_node *n)
{
	return cmp_int(*(const int *)key, key_of(n));
}

static struct item *item_new(int key)
{
	struct item *it = malloc(sizeof(*it));

	assert_non_null(it);
	it->key = key;
	return it;
}

static void item_free(struct avl_node *n, void *arg)
{
	if (arg)
		++*(size_t *)arg;
	free(avl_entry(n, struct item, node));
}

static struct avl_node *find(const struct avl_tree *t, int key)
{
	return avl_find(t, &key, key_cmp);
}

static void append(char *buf, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(buf + *pos, SHAPE_LEN - *pos, fmt, ap);
	va_end(ap);
	assert_true(w >= 0 && (size_t)w < SHAPE_LEN - *pos);
	*pos += (size_t)w;
}

/* "k" for a leaf, "k(left,right)" otherwise, "-" for an empty subtree. */
static void shape_at(const struct avl_node *n, char *buf, size_t *pos)
{
	if (!n) {
		append(buf, pos, "-");
		return;
	}
	append(buf, pos, "%d", key_of(n));
	if (!n->left && !n->right)
		return;
	append(buf, pos, "(");
	shape_at(n->left, buf, pos);
	append(buf, pos, ",");
	shape_at(n->right, buf, pos);
	append(buf, pos, ")");
}

static void assert_shape_only(const struct avl_tree *t, const char *want)
{
	char buf[SHAPE_LEN];
	size_t pos = 0;

	shape_at(t->root, buf, &pos);
	assert_string_equal(buf, want);
}

static void assert_shape(const struct avl_tree *t, const char *want)
{
	assert_shape_only(t, want);
	assert_true(avl_check(t));
}

/* Inserts keys (0-terminated) into t using items[], which must outlive t. */
static size_t build(struct avl_tree *t, struct item *items, const int *keys)
{
	size_t n;

	avl_init(t, item_cmp);
	for (n = 0; keys[n]; n++) {
		items[n].key = keys[n];
		assert_null(avl_insert(t, &items[n].node));
	}
	assert_int_equal(t->count, n);
	return n;
}

static const struct {
	int keys[TABLE_KEYS];
	const char *shape;
} insertions[] = {
	{ { 3, 2, 1 }, "2(1,3)" },	 /* left-left */
	{ { 1, 2, 3 }, "2(1,3)" },	 /* right-right */
	{ { 3, 1, 2 }, "2(1,3)" },	 /* left-right */
	{ { 1, 3, 2 }, "2(1,3)" },	 /* right-left */
	{ { 5, 3, 8, 2, 4, 1 }, "3(2(1,-),5(4,8))" },
	{ { 5, 3, 8, 7, 9, 10 }, "8(5(3,7),9(-,10))" },
	{ { 5, 2, 8, 1, 4, 3 }, "4(2(1,3),5(-,8))" },
	{ { 4, 2, 6, 1, 3, 5, 7 }, "4(2(1,3),6(5,7))" },
};

static void test_insert_shapes(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(insertions); i++) {
		struct item items[TABLE_KEYS];
		struct avl_tree t;

		build(&t, items, insertions[i].keys);
		assert_shape(&t, insertions[i].shape);
	}
}

static const struct {
	const char *name;
	int keys[TABLE_KEYS];
	const char *before;
	int remove;
	const char *after;
} removals[] = {
	{ "only node", { 1 }, "1", 1, "-" },
	{ "leaf", { 4, 2, 6, 1, 3, 5, 7 }, "4(2(1,3),6(5,7))", 1, "4(2(-,3),6(5,7))" },
	{ "root, successor is its right child", { 2, 1, 3 }, "2(1,3)", 2, "3(1,-)" },
	{ "root, successor deeper", { 4, 2, 6, 1, 3, 5, 7 }, "4(2(1,3),6(5,7))", 4, "5(2(1,3),6(-,7))" },
	{ "root, successor has a right child", { 8, 4, 12, 2, 6, 10, 14, 11 }, "8(4(2,6),12(10(-,11),14))", 8,
	  "10(4(2,6),12(11,14))" },
	{ "inner, two children, double rotation", { 8, 4, 12, 2, 6, 10, 14, 11 }, "8(4(2,6),12(10(-,11),14))", 12,
	  "8(4(2,6),11(10,14))" },
	{ "root with one child", { 1, 2 }, "1(-,2)", 1, "2" },
	{ "only a right child", { 2, 1, 3, 4 }, "2(1,3(-,4))", 3, "2(1,4)" },
	{ "only a left child", { 3, 2, 4, 1 }, "3(2(1,-),4)", 2, "3(1,4)" },
	{ "single rotation", { 2, 1, 3, 4 }, "2(1,3(-,4))", 1, "3(2,4)" },
	{ "double rotation", { 2, 1, 4, 3 }, "2(1,4(3,-))", 1, "3(2,4)" },
	{ "rotation, balanced sibling", { 2, 1, 4, 3, 5 }, "2(1,4(3,5))", 1, "4(2(-,3),5)" },
	{ "rotation, balanced sibling, mirrored", { 4, 2, 5, 1, 3 }, "4(2(1,3),5)", 5, "2(1,4(3,-))" },
	{ "rotations cascade to the root", { 8, 5, 11, 3, 7, 10, 12, 2, 4, 6, 9, 1 },
	  "8(5(3(2(1,-),4),7(6,-)),11(10(9,-),12))", 12, "5(3(2(1,-),4),8(7(6,-),10(9,11)))" },
};

static void test_remove_shapes(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(removals); i++) {
		struct item items[TABLE_KEYS];
		struct avl_tree t;
		struct avl_node *n;
		size_t count;

		print_message("%s\n", removals[i].name);
		count = build(&t, items, removals[i].keys);
		assert_shape(&t, removals[i].before);
		n = find(&t, removals[i].remove);
		assert_non_null(n);
		avl_remove(&t, n);
		assert_shape(&t, removals[i].after);
		assert_int_equal(t.count, count - 1);
		assert_null(n->left);
		assert_null(n->right);
		assert_null(n->parent);
		assert_null(find(&t, removals[i].remove));
		for (size_t k = 0; k < count; k++)
			if (items[k].key != removals[i].remove)
				assert_ptr_equal(find(&t, items[k].key), &items[k].node);
	}
}

static void test_insert_duplicate(void **state)
{
	struct item a = { .key = 5 }, b = { .key = 5 }, c = { .key = 7 };
	struct avl_node poison;
	struct avl_tree t;

	(void)state;
	memset(&b.node, 0xa5, sizeof(b.node));
	poison = b.node;
	avl_init(&t, item_cmp);
	assert_null(avl_insert(&t, &a.node));
	assert_null(avl_insert(&t, &c.node));
	assert_ptr_equal(avl_insert(&t, &b.node), &a.node);
	assert_ptr_equal(avl_insert(&t, &a.node), &a.node);
	assert_memory_equal(&b.node, &poison, sizeof(poison));
	assert_int_equal(t.count, 2);
	assert_shape(&t, "5(-,7)");

	avl_remove(&t, &a.node);
	assert_null(avl_insert(&t, &b.node));
	assert_ptr_equal(find(&t, 5), &b.node);
	assert_ptr_equal(avl_insert(&t, &a.node), &b.node);
	assert_shape(&t, "7(5,-)");
}

static const struct {
	int key;
	int floor, ceil; /* 0: NULL */
} bounds[] = {
	{ -2147483647 - 1, 0, 10 }, { 9, 0, 10 },   { 10, 10, 10 }, { 11, 10, 20 },
	{ 19, 10, 20 },		    { 20, 20, 20 }, { 21, 20, 30 }, { 29, 20, 30 },
	{ 30, 30, 30 },		    { 31, 30, 0 },  { 2147483647, 30, 0 },
};

static void test_floor_ceil(void **state)
{
	int keys[] = { 20, 10, 30, 0 };
	struct item items[3];
	struct avl_tree t;

	(void)state;
	avl_init(&t, item_cmp);
	for (size_t i = 0; i < N(bounds); i++) {
		assert_null(avl_floor(&t, &bounds[i].key, key_cmp));
		assert_null(avl_ceil(&t, &bounds[i].key, key_cmp));
		assert_null(avl_find(&t, &bounds[i].key, key_cmp));
	}
	assert_null(avl_first(&t));
	assert_null(avl_last(&t));

	build(&t, items, keys);
	for (size_t i = 0; i < N(bounds); i++) {
		struct avl_node *f = avl_floor(&t, &bounds[i].key, key_cmp);
		struct avl_node *c = avl_ceil(&t, &bounds[i].key, key_cmp);

		print_message("key %d\n", bounds[i].key);
		assert_int_equal(f ? key_of(f) : 0, bounds[i].floor);
		assert_int_equal(c ? key_of(c) : 0, bounds[i].ceil);
		if (bounds[i].floor == bounds[i].key)
			assert_ptr_equal(avl_find(&t, &bounds[i].key, key_cmp), f);
		else
			assert_null(avl_find(&t, &bounds[i].key, key_cmp));
	}
	assert_int_equal(key_of(avl_first(&t)), 10);
	assert_int_equal(key_of(avl_last(&t)), 30);
	assert_null(avl_prev(avl_first(&t)));
	assert_null(avl_next(avl_last(&t)));
	assert_int_equal(key_of(avl_next(avl_first(&t))), 20);
	assert_int_equal(key_of(avl_prev(avl_last(&t))), 20);
}

#define SEQ_N 100000
#define SEQ_MIN_HEIGHT 17 /* ceil(log2(SEQ_N + 1)) */

/* log2 by repeated squaring, to keep the test free of libm. */
static double log2_approx(double x)
{
	double r = 0, bit = 1;

	while (x >= 2) {
		x /= 2;
		r += 1;
	}
	for (int i = 0; i < 40; i++) {
		bit /= 2;
		x *= x;
		if (x >= 2) {
			x /= 2;
			r += bit;
		}
	}
	return r;
}

static void sequential(bool ascending)
{
	struct item *items = malloc(SEQ_N * sizeof(*items));
	struct avl_tree t;
	struct avl_node *n;
	int k;

	assert_non_null(items);
	avl_init(&t, item_cmp);
	for (int i = 0; i < SEQ_N; i++) {
		items[i].key = ascending ? i : SEQ_N - 1 - i;
		assert_null(avl_insert(&t, &items[i].node));
	}
	assert_true(avl_check(&t));
	assert_int_equal(t.count, SEQ_N);
	assert_true(t.root->height <= 1.44 * log2_approx(SEQ_N + 2));
	assert_int_equal(t.root->height, SEQ_MIN_HEIGHT);

	for (k = 0, n = avl_first(&t); n; n = avl_next(n), k++)
		assert_int_equal(key_of(n), k);
	assert_int_equal(k, SEQ_N);
	for (k = SEQ_N - 1, n = avl_last(&t); n; n = avl_prev(n), k--)
		assert_int_equal(key_of(n), k);
	assert_int_equal(k, -1);

	for (int i = 0; i < SEQ_N; i++) {
		avl_remove(&t, &items[i].node);
		if (i % 1000 == 0) {
			assert_true(avl_check(&t));
			assert_true(t.root->height <= 1.44 * log2_approx((double)t.count + 2));
		}
	}
	assert_null(t.root);
	assert_int_equal(t.count, 0);
	free(items);
}

static void test_ascending(void **state)
{
	(void)state;
	assert_true(log2_approx(1024) == 10);
	assert_true(log2_approx(100002) > 16.609 && log2_approx(100002) < 16.610);
	sequential(true);
}

static void test_descending(void **state)
{
	(void)state;
	sequential(false);
}

static void test_clear_frees(void **state)
{
	struct avl_tree t;
	size_t freed = 0;

	(void)state;
	avl_init(&t, item_cmp);
	avl_clear(&t, item_free, &freed);
	assert_int_equal(freed, 0);
	for (int i = 0; i < 1000; i++)
		assert_null(avl_insert(&t, &item_new(i * 7919 % 1000)->node));
	avl_clear(&t, item_free, &freed);
	assert_int_equal(freed, 1000);
	assert_null(t.root);
	assert_int_equal(t.count, 0);
	assert_true(avl_check(&t));

	assert_null(avl_insert(&t, &item_new(1)->node));
	assert_true(avl_check(&t));
	avl_clear(&t, item_free, &freed);
	assert_int_equal(freed, 1001);
}

struct visits {
	int keys[TABLE_KEYS];
	size_t n;
};

static void record(struct avl_node *n, void *arg)
{
	struct visits *v = arg;

	v->keys[v->n++] = key_of(n);
}

static void test_clear_post_order(void **state)
{
	int keys[] = { 8, 5, 11, 3, 7, 10, 12, 2, 4, 6, 9, 1, 0 };
	int want[] = { 1, 2, 4, 3, 6, 7, 5, 9, 10, 12, 11, 8 };
	struct item items[TABLE_KEYS];
	struct visits v = { .n = 0 };
	struct avl_tree t;

	(void)state;
	build(&t, items, keys);
	avl_clear(&t, record, &v);
	assert_int_equal(v.n, N(want));
	assert_memory_equal(v.keys, want, sizeof(want));
	assert_null(t.root);

	build(&t, items, keys);
	avl_clear(&t, NULL, NULL);
	assert_null(t.root);
	assert_int_equal(t.count, 0);
}

static void test_check_detects_damage(void **state)
{
	int keys[] = { 4, 2, 6, 1, 3, 5, 7, 0 };
	struct item items[TABLE_KEYS];
	struct avl_node *n2, *n5;
	struct avl_tree t;

	(void)state;
	build(&t, items, keys);
	n2 = find(&t, 2);
	n5 = find(&t, 5);
	assert_true(avl_check(&t));

	t.root->height++;
	assert_false(avl_check(&t));
	t.root->height--;

	n2->parent = n5;
	assert_false(avl_check(&t));
	n2->parent = t.root;

	avl_entry(n5, struct item, node)->key = 3;
	assert_false(avl_check(&t));
	avl_entry(n5, struct item, node)->key = 5;

	t.count++;
	assert_false(avl_check(&t));
	t.count--;

	n2->left->left = n2;
	assert_false(avl_check(&t));
	n2->left->left = NULL;

	assert_true(avl_check(&t));
}

/* 1(-,2(-,3)): heights, links, order and count all consistent, only balance broken. */
static void test_check_detects_imbalance(void **state)
{
	int keys[] = { 1, 2, 0 };
	struct item items[TABLE_KEYS];
	struct avl_node *n1, *n2;
	struct avl_tree t;

	(void)state;
	build(&t, items, keys);
	n1 = find(&t, 1);
	n2 = find(&t, 2);
	items[2] = (struct item){ .key = 3, .node = { .parent = n2, .height = 1 } };
	n2->right = &items[2].node;
	n2->height = 2;
	n1->height = 3;
	t.count = 3;
	assert_shape_only(&t, "1(-,2(-,3))");
	assert_false(avl_check(&t));
}

#define DIFF_OPS 200000
#define DIFF_KEYS 1024
#define DIFF_CHECK_EVERY 1000

enum op { OP_INSERT, OP_REMOVE, OP_FIND, OP_FLOOR, OP_CEIL, OP_NEXT, OP_PREV, OP_COUNT };

static const char *const op_names[] = { "insert", "remove", "find", "floor", "ceil", "next", "prev" };

/* The reference: items sorted by key. */
struct ref {
	struct item *v[DIFF_KEYS];
	size_t n;
};

static uint64_t xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* First index whose key is >= key (or > key when strict). */
static size_t ref_bound(const struct ref *r, int key, bool strict)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->v[mid]->key < key || (strict && r->v[mid]->key == key))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct avl_node *ref_node(const struct ref *r, size_t i)
{
	return i < r->n ? &r->v[i]->node : NULL;
}

static struct avl_node *ref_find(const struct ref *r, int key)
{
	size_t i = ref_bound(r, key, false);

	return i < r->n && r->v[i]->key == key ? &r->v[i]->node : NULL;
}

static void expect(int step, enum op op, int key, const struct avl_node *got, const struct avl_node *want)
{
	if (got != want)
		fail_msg("step %d: %s(%d) gave key %d, want key %d", step, op_names[op], key,
			 got ? key_of(got) : -1, want ? key_of(want) : -1);
}

static void diff_insert(struct avl_tree *t, struct ref *r, int step, int key)
{
	size_t i = ref_bound(r, key, false);
	struct item *it = item_new(key);
	struct avl_node *got = avl_insert(t, &it->node);

	if (i < r->n && r->v[i]->key == key) {
		expect(step, OP_INSERT, key, got, &r->v[i]->node);
		free(it);
		return;
	}
	expect(step, OP_INSERT, key, got, NULL);
	memmove(&r->v[i + 1], &r->v[i], (r->n - i) * sizeof(r->v[0]));
	r->v[i] = it;
	r->n++;
}

static void diff_remove(struct avl_tree *t, struct ref *r, int step, int key)
{
	size_t i = ref_bound(r, key, false);
	struct avl_node *got = find(t, key);

	expect(step, OP_REMOVE, key, got, ref_find(r, key));
	if (!got)
		return;
	avl_remove(t, got);
	free(r->v[i]);
	memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof(r->v[0]));
	r->n--;
}

static void diff_neighbour(const struct ref *r, int step, enum op op, uint64_t x)
{
	size_t i;

	if (r->n == 0)
		return;
	i = (size_t)(x % r->n);
	if (op == OP_NEXT)
		expect(step, op, r->v[i]->key, avl_next(&r->v[i]->node), ref_node(r, i + 1));
	else
		expect(step, op, r->v[i]->key, avl_prev(&r->v[i]->node), i ? ref_node(r, i - 1) : NULL);
}

static void diff_walk(const struct avl_tree *t, const struct ref *r, int step)
{
	struct avl_node *n;
	size_t i;

	if (!avl_check(t))
		fail_msg("step %d: avl_check failed", step);
	assert_int_equal(t->count, r->n);
	for (i = 0, n = avl_first(t); n; n = avl_next(n), i++)
		assert_ptr_equal(n, ref_node(r, i));
	assert_int_equal(i, r->n);
	for (i = r->n, n = avl_last(t); n; n = avl_prev(n), i--)
		assert_ptr_equal(n, ref_node(r, i - 1));
	assert_int_equal(i, 0);
}

static void test_differential(void **state)
{
	struct ref r = { .n = 0 };
	uint64_t s = UINT64_C(0x9e3779b97f4a7c15);
	size_t hits[OP_COUNT] = { 0 }, freed = 0;
	struct avl_tree t;

	(void)state;
	avl_init(&t, item_cmp);
	for (int step = 0; step < DIFF_OPS; step++) {
		uint64_t x = xorshift64(&s);
		enum op op = (enum op)(x % OP_COUNT);
		int key = (int)((x >> 8) % (DIFF_KEYS + 4)) - 2; /* queries also probe beyond both ends */

		switch (op) {
		case OP_INSERT:
			diff_insert(&t, &r, step, (int)((x >> 8) % DIFF_KEYS));
			break;
		case OP_REMOVE:
			diff_remove(&t, &r, step, key);
			break;
		case OP_FIND:
			expect(step, op, key, find(&t, key), ref_find(&r, key));
			break;
		case OP_FLOOR: {
			size_t i = ref_bound(&r, key, true);

			expect(step, op, key, avl_floor(&t, &key, key_cmp), i ? ref_node(&r, i - 1) : NULL);
			break;
		}
		case OP_CEIL:
			expect(step, op, key, avl_ceil(&t, &key, key_cmp), ref_node(&r, ref_bound(&r, key, false)));
			break;
		case OP_NEXT:
		case OP_PREV:
			diff_neighbour(&r, step, op, x >> 24);
			break;
		case OP_COUNT:
			break;
		}
		hits[op]++;
		assert_int_equal(t.count, r.n);
		if (step % DIFF_CHECK_EVERY == 0)
			diff_walk(&t, &r, step);
	}
	diff_walk(&t, &r, DIFF_OPS);
	for (int op = 0; op < OP_COUNT; op++)
		assert_true(hits[op] > DIFF_OPS / OP_COUNT / 2);
	assert_true(r.n > DIFF_KEYS / 4 && r.n < DIFF_KEYS * 3 / 4);

	avl_clear(&t, item_free, &freed);
	assert_int_equal(freed, r.n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_shapes),
		cmocka_unit_test(test_remove_shapes),
		cmocka_unit_test(test_insert_duplicate),
		cmocka_unit_test(test_floor_ceil),
		cmocka_unit_test(test_ascending),
		cmocka_unit_test(test_descending),
		cmocka_unit_test(test_clear_frees),
		cmocka_unit_test(test_clear_post_order),
		cmocka_unit_test(test_check_detects_damage),
		cmocka_unit_test(test_check_detects_imbalance),
		cmocka_unit_test(test_differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
