/*
 * Iterative AVL tree with parent pointers. Insert and remove change the tree
 * at one spot, then walk up from there (rebalance): each node on the way gets
 * its height recomputed and, where its balance factor reached +-2, one single
 * or double rotation. The walk stops at the first subtree whose height is what
 * it was before the change, since nothing above it can then be affected.
 *
 * Removing a node with two children unlinks its in-order successor (which has
 * no left child) and relinks it into the removed node's place, taking over its
 * height. Nodes are embedded in caller structs, so payloads are never copied and
 * every other node stays where it is.
 */
#include "avl.h"

/* AVL height is < 1.4405 log2(n + 2), so no tree that fits in memory reaches this. */
#define AVL_HEIGHT_MAX 96

static int height(const struct avl_node *n)
{
	return n ? n->height : 0;
}

static int balance(const struct avl_node *n)
{
	return height(n->left) - height(n->right);
}

static void update_height(struct avl_node *n)
{
	int l = height(n->left), r = height(n->right);

	n->height = 1 + (l > r ? l : r);
}

/* Puts repl (maybe NULL) where old hangs under parent, or at the root. */
static void replace_child(struct avl_tree *t, struct avl_node *parent, struct avl_node *old,
			  struct avl_node *repl)
{
	if (!parent)
		t->root = repl;
	else if (parent->left == old)
		parent->left = repl;
	else
		parent->right = repl;
	if (repl)
		repl->parent = parent;
}

static struct avl_node *rotate_left(struct avl_tree *t, struct avl_node *x)
{
	struct avl_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	replace_child(t, x->parent, x, y);
	y->left = x;
	x->parent = y;
	update_height(x);
	update_height(y);
	return y;
}

static struct avl_node *rotate_right(struct avl_tree *t, struct avl_node *x)
{
	struct avl_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	replace_child(t, x->parent, x, y);
	y->right = x;
	x->parent = y;
	update_height(x);
	update_height(y);
	return y;
}

/* Restores balance at n, whose children are valid AVL trees; returns the subtree's new root. */
static struct avl_node *fix(struct avl_tree *t, struct avl_node *n)
{
	int b = balance(n);

	if (b > 1) {
		if (balance(n->left) < 0)
			rotate_left(t, n->left);
		return rotate_right(t, n);
	}
	if (b < -1) {
		if (balance(n->right) > 0)
			rotate_right(t, n->right);
		return rotate_left(t, n);
	}
	update_height(n);
	return n;
}

static void rebalance(struct avl_tree *t, struct avl_node *n)
{
	while (n) {
		int before = n->height;

		n = fix(t, n);
		if (n->height == before)
			return;
		n = n->parent;
	}
}

void avl_init(struct avl_tree *t, avl_cmp_fn cmp)
{
	t->root = NULL;
	t->count = 0;
	t->cmp = cmp;
}

struct avl_node *avl_insert(struct avl_tree *t, struct avl_node *n)
{
	struct avl_node *parent = NULL, **link = &t->root;

	while (*link) {
		int c;

		parent = *link;
		c = t->cmp(n, parent);
		if (c == 0)
			return parent;
		link = c < 0 ? &parent->left : &parent->right;
	}
	n->left = n->right = NULL;
	n->parent = parent;
	n->height = 1;
	*link = n;
	t->count++;
	rebalance(t, parent);
	return NULL;
}

/* Moves n's in-order successor into n's place; returns where rebalancing starts. */
static struct avl_node *relink_successor(struct avl_tree *t, struct avl_node *n)
{
	struct avl_node *s = n->right, *start;

	while (s->left)
		s = s->left;
	start = s;
	if (s != n->right) {
		start = s->parent;
		start->left = s->right;
		if (s->right)
			s->right->parent = start;
		s->right = n->right;
		s->right->parent = s;
	}
	s->left = n->left;
	s->left->parent = s;
	s->height = n->height;
	replace_child(t, n->parent, n, s);
	return start;
}

void avl_remove(struct avl_tree *t, struct avl_node *n)
{
	struct avl_node *start;

	if (n->left && n->right) {
		start = relink_successor(t, n);
	} else {
		start = n->parent;
		replace_child(t, start, n, n->left ? n->left : n->right);
	}
	n->left = n->right = n->parent = NULL;
	n->height = 0;
	t->count--;
	rebalance(t, start);
}

struct avl_node *avl_find(const struct avl_tree *t, const void *key, avl_key_fn cmp)
{
	struct avl_node *n = t->root;

	while (n) {
		int c = cmp(key, n);

		if (c == 0)
			return n;
		n = c < 0 ? n->left : n->right;
	}
	return NULL;
}

struct avl_node *avl_floor(const struct avl_tree *t, const void *key, avl_key_fn cmp)
{
	struct avl_node *n = t->root, *best = NULL;

	while (n) {
		int c = cmp(key, n);

		if (c == 0)
			return n;
		if (c < 0) {
			n = n->left;
		} else {
			best = n;
			n = n->right;
		}
	}
	return best;
}

struct avl_node *avl_ceil(const struct avl_tree *t, const void *key, avl_key_fn cmp)
{
	struct avl_node *n = t->root, *best = NULL;

	while (n) {
		int c = cmp(key, n);

		if (c == 0)
			return n;
		if (c > 0) {
			n = n->right;
		} else {
			best = n;
			n = n->left;
		}
	}
	return best;
}

struct avl_node *avl_first(const struct avl_tree *t)
{
	struct avl_node *n = t->root;

	while (n && n->left)
		n = n->left;
	return n;
}

struct avl_node *avl_last(const struct avl_tree *t)
{
	struct avl_node *n = t->root;

	while (n && n->right)
		n = n->right;
	return n;
}

struct avl_node *avl_next(const struct avl_node *n)
{
	struct avl_node *p;

	if (n->right) {
		for (p = n->right; p->left; p = p->left)
			;
		return p;
	}
	for (p = n->parent; p && n == p->right; p = p->parent)
		n = p;
	return p;
}

struct avl_node *avl_prev(const struct avl_node *n)
{
	struct avl_node *p;

	if (n->left) {
		for (p = n->left; p->right; p = p->right)
			;
		return p;
	}
	for (p = n->parent; p && n == p->left; p = p->parent)
		n = p;
	return p;
}

/* Detaches each leaf before visiting it, so fn may free it and its parent becomes a leaf. */
void avl_clear(struct avl_tree *t, void (*fn)(struct avl_node *n, void *arg), void *arg)
{
	struct avl_node *n = t->root;

	while (n) {
		struct avl_node *p;

		if (n->left) {
			n = n->left;
			continue;
		}
		if (n->right) {
			n = n->right;
			continue;
		}
		p = n->parent;
		if (p && p->left == n)
			p->left = NULL;
		else if (p)
			p->right = NULL;
		if (fn)
			fn(n, arg);
		n = p;
	}
	t->root = NULL;
	t->count = 0;
}

/* Height of the subtree at n, or -1 if it breaks an invariant. Depth-bounded against cycles. */
static int check_subtree(const struct avl_node *n, const struct avl_node *parent, int depth,
			 size_t *count)
{
	int l, r;

	if (!n)
		return 0;
	if (n->parent != parent || depth > AVL_HEIGHT_MAX)
		return -1;
	l = check_subtree(n->left, n, depth + 1, count);
	r = check_subtree(n->right, n, depth + 1, count);
	if (l < 0 || r < 0 || l - r > 1 || r - l > 1 || n->height != 1 + (l > r ? l : r))
		return -1;
	++*count;
	return n->height;
}

bool avl_check(const struct avl_tree *t)
{
	const struct avl_node *a, *b;
	size_t count = 0;

	if (check_subtree(t->root, NULL, 1, &count) < 0 || count != t->count)
		return false;
	for (a = avl_first(t); a && (b = avl_next(a)); a = b)
		if (t->cmp(a, b) >= 0 || t->cmp(b, a) <= 0)
			return false;
	return true;
}
