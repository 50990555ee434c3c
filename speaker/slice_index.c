#include "slice_index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avl.h"
#include "xalloc.h"

struct slice_node {
	struct avl_node node;
	const struct ready_slice *slice;
};

struct slice_index {
	struct avl_tree tree;
	const struct ready_slice **found;
	size_t cap;
};

struct slice_key {
	const char *ns, *service;
	uintptr_t slice;  /* 0: before every slice of that Service */
};

static int key_cmp(const void *key, const struct avl_node *n)
{
	const struct slice_key *k = key;
	const struct ready_slice *o = avl_entry(n, struct slice_node, node)->slice;
	int r = strcmp(k->ns, o->ns);
	if (!r)
		r = strcmp(k->service, o->service);
	if (!r)
		r = k->slice < (uintptr_t)o ? -1 : k->slice > (uintptr_t)o;
	return r;
}

static int node_cmp(const struct avl_node *a, const struct avl_node *b)
{
	const struct ready_slice *o = avl_entry(a, struct slice_node, node)->slice;
	struct slice_key k = {o->ns, o->service, (uintptr_t)o};
	return key_cmp(&k, b);
}

struct slice_index *slice_index_new(void)
{
	struct slice_index *x = xcalloc(1, sizeof(*x));
	avl_init(&x->tree, node_cmp);
	return x;
}

static void free_node(struct avl_node *n, void *arg)
{
	(void)arg;
	free(avl_entry(n, struct slice_node, node));
}

void slice_index_free(struct slice_index *x)
{
	if (!x)
		return;
	avl_clear(&x->tree, free_node, NULL);
	free(x->found);
	free(x);
}

void slice_index_add(struct slice_index *x, const struct ready_slice *slice)
{
	if (!slice->service)
		return;
	struct slice_node *n = xcalloc(1, sizeof(*n));
	n->slice = slice;
	if (avl_insert(&x->tree, &n->node))
		free(n);  /* already there */
}

void slice_index_remove(struct slice_index *x, const struct ready_slice *slice)
{
	if (!slice->service)
		return;
	struct slice_key k = {slice->ns, slice->service, (uintptr_t)slice};
	struct avl_node *n = avl_find(&x->tree, &k, key_cmp);
	if (n) {
		avl_remove(&x->tree, n);
		free_node(n, NULL);
	}
}

size_t slice_index_of(struct slice_index *x, const char *ns, const char *service,
		      const struct ready_slice *const **out)
{
	struct slice_key k = {ns, service, 0};
	size_t n = 0;
	for (struct avl_node *a = avl_ceil(&x->tree, &k, key_cmp); a; a = avl_next(a)) {
		const struct ready_slice *o = avl_entry(a, struct slice_node, node)->slice;
		if (strcmp(o->ns, ns) || strcmp(o->service, service))
			break;
		if (n == x->cap) {
			x->cap = x->cap ? 2 * x->cap : 8;
			x->found = xrealloc(x->found, x->cap, sizeof(*x->found));
		}
		x->found[n++] = o;
	}
	*out = x->found;
	return n;
}

size_t slice_index_count(const struct slice_index *x)
{
	return x->tree.count;
}
