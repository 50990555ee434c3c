#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ready_slice.h"
#include "xalloc.h"

struct config *config_new(void)
{
	return xcalloc(1, sizeof(struct config));
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (int k = 0; k < KIND_COUNT; k++) {
		for (size_t i = 0; !c->kinds[k].borrowed && i < c->kinds[k].n; i++)
			object_free(c->kinds[k].v[i]);
		free(c->kinds[k].v);
		free(c->kinds[k].index);
	}
	for (size_t i = 0; !c->ready.borrowed && i < c->ready.n; i++)
		ready_slice_free(c->ready.v[i]);
	free(c->ready.v);
	arena_free(&c->resolved);
	free(c);
}

static int key_cmp(const char *ns_a, const char *name_a, const char *ns_b, const char *name_b)
{
	int r = strcmp(ns_a ? ns_a : "", ns_b ? ns_b : "");
	return r ? r : strcmp(name_a, name_b);
}

static int object_cmp(const void *x, const void *y)
{
	const struct object *a = *(struct object *const *)x, *b = *(struct object *const *)y;
	return key_cmp(a->meta.namespace, a->meta.name, b->meta.namespace, b->meta.name);
}

/* ---- the hash index ---- */

static uint64_t key_hash(const char *ns, const char *name)
{
	uint64_t h = 1469598103934665603u;  /* FNV-1a */
	for (const char *p = ns ? ns : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	h = (h ^ 0xff) * 1099511628211u;  /* a byte no name holds: "a" + "bc" differs from "ab" + "c" */
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	return h;
}

static bool same_key(const struct object *o, const char *ns, const char *name)
{
	return key_cmp(o->meta.namespace, o->meta.name, ns, name) == 0;
}

/* The slot holding the key, or the empty slot where it would go. */
static size_t index_slot(const struct objects *os, const char *ns, const char *name)
{
	size_t mask = os->index_cap - 1, i = (size_t)key_hash(ns, name) & mask;
	while (os->index[i] && !same_key(os->index[i], ns, name))
		i = (i + 1) & mask;
	return i;
}

static void index_grow(struct objects *os)
{
	size_t cap = os->index_cap ? os->index_cap * 2 : 64;
	free(os->index);
	os->index = xcalloc(cap, sizeof(*os->index));
	os->index_cap = cap;
	for (size_t i = 0; i < os->n; i++)
		os->index[index_slot(os, os->v[i]->meta.namespace, os->v[i]->meta.name)] = os->v[i];
}

/* A shared copy has no index (config_share()): the first change builds one. */
static void index_ensure(struct objects *os)
{
	if (os->index_cap || !os->n)
		return;
	size_t cap = 64;
	while (cap < 2 * os->n)
		cap *= 2;
	os->index_cap = cap / 2;
	index_grow(os);
}

static struct object *index_get(const struct objects *os, const char *ns, const char *name)
{
	return os->index_cap ? os->index[index_slot(os, ns, name)] : NULL;
}

/* Removes a key present in the index, shifting back the entries of its probe run. */
static void index_del(struct objects *os, const char *ns, const char *name)
{
	size_t mask = os->index_cap - 1, i = index_slot(os, ns, name);
	os->index[i] = NULL;
	for (size_t j = (i + 1) & mask; os->index[j]; j = (j + 1) & mask) {
		struct object *o = os->index[j];
		os->index[j] = NULL;
		os->index[index_slot(os, o->meta.namespace, o->meta.name)] = o;
	}
}

/* ---- the ordered array ---- */

static void objects_sort(struct objects *os)
{
	if (os->unsorted)
		qsort(os->v, os->n, sizeof(*os->v), object_cmp);
	os->unsorted = false;
}

void config_sort(struct config *c)
{
	for (int k = 0; k < KIND_COUNT; k++)
		objects_sort(&c->kinds[k]);
}

/* Index in the sorted array of the object with this key, or where it would go. */
static size_t lookup(const struct objects *os, const char *ns, const char *name)
{
	size_t lo = 0, hi = os->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct object *o = os->v[mid];
		if (key_cmp(o->meta.namespace, o->meta.name, ns, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void append(struct objects *os, struct object *o)
{
	if (os->n == os->cap) {
		os->cap = os->cap ? os->cap * 2 : 16;
		os->v = xrealloc(os->v, os->cap, sizeof(*os->v));
	}
	if (os->n && object_cmp(&os->v[os->n - 1], &o) > 0)
		os->unsorted = true;
	os->v[os->n++] = o;
	if (2 * os->n > os->index_cap)  /* load factor at most 1/2 */
		index_grow(os);
	else
		os->index[index_slot(os, o->meta.namespace, o->meta.name)] = o;
}

struct object *config_add(struct config *c, struct object *o)
{
	struct objects *os = &c->kinds[o->kind];
	index_ensure(os);
	struct object *old = index_get(os, o->meta.namespace, o->meta.name);

	if (old)
		return old;
	append(os, o);
	return NULL;
}

struct object *config_put(struct config *c, struct object *o)
{
	struct objects *os = &c->kinds[o->kind];
	index_ensure(os);
	struct object *old = index_get(os, o->meta.namespace, o->meta.name);

	if (!old) {
		if (os->unsorted) {
			append(os, o);
			objects_sort(os);
			return NULL;
		}
		/* One object into a sorted array: binary search and a move, not a sort per event. */
		size_t at = lookup(os, o->meta.namespace, o->meta.name);
		append(os, o);
		memmove(&os->v[at + 1], &os->v[at], (os->n - 1 - at) * sizeof(*os->v));
		os->v[at] = o;
		os->unsorted = false;
		return NULL;
	}
	os->index[index_slot(os, o->meta.namespace, o->meta.name)] = o;
	objects_sort(os);
	os->v[lookup(os, o->meta.namespace, o->meta.name)] = o;
	return old;
}

void config_share(struct config *dst, const struct config *src, enum kind k)
{
	const struct objects *from = &src->kinds[k];
	struct objects *to = &dst->kinds[k];

	to->v = xcalloc(from->n + 1, sizeof(*to->v));
	for (size_t i = 0; i < from->n; i++)
		to->v[i] = object_ref(from->v[i]);
	to->n = to->cap = from->n;
	to->unsorted = from->unsorted;
	/* A sorted copy is searched by halving: 100k objects' index is 1-2 MiB per generation. */
	if (from->index_cap && from->unsorted) {
		to->index = xcalloc(from->index_cap, sizeof(*to->index));
		memcpy(to->index, from->index, from->index_cap * sizeof(*to->index));
		to->index_cap = from->index_cap;
	}
}

struct object *config_take(struct config *c, enum kind k, const char *ns, const char *name)
{
	struct objects *os = &c->kinds[k];
	index_ensure(os);
	struct object *o = index_get(os, ns, name);

	if (!o)
		return NULL;
	index_del(os, ns, name);
	objects_sort(os);
	size_t at = lookup(os, ns, name);
	memmove(&os->v[at], &os->v[at + 1], (os->n - at - 1) * sizeof(*os->v));
	os->n--;
	return o;
}

struct object *config_find(const struct config *c, enum kind k, const char *ns, const char *name)
{
	const struct objects *os = &c->kinds[k];
	if (os->index_cap)
		return index_get(os, ns, name);
	if (os->unsorted) {
		for (size_t i = 0; i < os->n; i++)
			if (same_key(os->v[i], ns, name))
				return os->v[i];
		return NULL;
	}
	size_t at = lookup(os, ns, name);
	return at < os->n && same_key(os->v[at], ns, name) ? os->v[at] : NULL;
}

void config_borrow(struct config *dst, const struct config *src, enum kind k)
{
	const struct objects *from = &src->kinds[k];
	struct objects *to = &dst->kinds[k];

	to->v = xmalloc((from->n + 1) * sizeof(*to->v));
	if (from->n)
		memcpy(to->v, from->v, from->n * sizeof(*to->v));
	to->n = to->cap = from->n;
	to->unsorted = from->unsorted;
	to->borrowed = true;
}

/* ---- ready slices ---- */

/* In no order: a change is a swap with the last, O(1) (a plan orders what it reads itself). */
void config_ready_add(struct config *c, struct ready_slice *r)
{
	struct ready_slices *rs = &c->ready;
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 64;
		rs->v = xrealloc(rs->v, rs->cap, sizeof(*rs->v));
	}
	r->at = rs->n;
	rs->v[rs->n++] = r;
}

bool config_ready_remove(struct config *c, const struct ready_slice *r)
{
	struct ready_slices *rs = &c->ready;
	size_t at = r->at;
	if (at >= rs->n || rs->v[at] != r)
		return false;
	rs->v[at] = rs->v[--rs->n];
	rs->v[at]->at = at;
	return true;
}

static void ready_copy(struct config *dst, const struct config *src, bool borrowed)
{
	const struct ready_slices *from = &src->ready;
	struct ready_slices *to = &dst->ready;
	to->v = xcalloc(from->n + 1, sizeof(*to->v));
	for (size_t i = 0; i < from->n; i++)
		to->v[i] = borrowed ? from->v[i] : ready_slice_ref(from->v[i]);
	to->n = to->cap = from->n;
	to->borrowed = borrowed;
}

void config_ready_share(struct config *dst, const struct config *src)
{
	ready_copy(dst, src, false);
}

void config_ready_borrow(struct config *dst, const struct config *src)
{
	ready_copy(dst, src, true);
}
