/*
 * Intrusive AVL tree: embed a struct avl_node in your own struct, give the tree
 * a comparator over nodes, and look things up with a comparator of key against
 * node. The tree never allocates; every operation is O(log n) worst case except
 * avl_clear (O(n)) and avl_next/avl_prev (O(log n) each, O(1) amortized over a
 * full walk). Keys are unique under the tree's comparator.
 */
#ifndef VIPCAST_LIB_AVL_H
#define VIPCAST_LIB_AVL_H

#include <stdbool.h>
#include <stddef.h>

/* height: nodes on the longest downward path, so a leaf has 1. */
struct avl_node {
	struct avl_node *left, *right, *parent;
	int height;
};

typedef int (*avl_cmp_fn)(const struct avl_node *a, const struct avl_node *b);
/* <0: key orders before n, 0: key matches n, >0: key orders after n. */
typedef int (*avl_key_fn)(const void *key, const struct avl_node *n);

struct avl_tree {
	struct avl_node *root;
	size_t count;
	avl_cmp_fn cmp;
};

void avl_init(struct avl_tree *t, avl_cmp_fn cmp);
/*
 * Inserts n. Returns NULL, or the node already in the tree that compares equal;
 * n is then not inserted and not written to.
 */
struct avl_node *avl_insert(struct avl_tree *t, struct avl_node *n);
/* n must be in t. Other nodes keep their addresses; n's links are zeroed. */
void avl_remove(struct avl_tree *t, struct avl_node *n);
struct avl_node *avl_find(const struct avl_tree *t, const void *key, avl_key_fn cmp);
/* Greatest node <= key, or NULL. */
struct avl_node *avl_floor(const struct avl_tree *t, const void *key, avl_key_fn cmp);
/* Least node >= key, or NULL. */
struct avl_node *avl_ceil(const struct avl_tree *t, const void *key, avl_key_fn cmp);
struct avl_node *avl_first(const struct avl_tree *t);
struct avl_node *avl_last(const struct avl_tree *t);
struct avl_node *avl_next(const struct avl_node *n);
struct avl_node *avl_prev(const struct avl_node *n);
/*
 * Calls fn (if not NULL) on every node in post-order, so fn may free the node.
 * Leaves the tree empty.
 */
void avl_clear(struct avl_tree *t, void (*fn)(struct avl_node *n, void *arg), void *arg);
/* For tests: checks heights, balance factors, parent links, ordering and count. */
bool avl_check(const struct avl_tree *t);

#define avl_entry(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

#endif
