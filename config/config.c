#include "config.h"

#include <stdlib.h>
#include <string.h>

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
		for (size_t i = 0; i < c->kinds[k].n; i++)
			object_free(c->kinds[k].v[i]);
		free(c->kinds[k].v);
	}
	arena_free(&c->resolved);
	free(c);
}

static int key_cmp(const char *ns_a, const char *name_a, const char *ns_b, const char *name_b)
{
	int r = strcmp(ns_a ? ns_a : "", ns_b ? ns_b : "");
	return r ? r : strcmp(name_a, name_b);
}

/* Index of the object with this key, or where it would go (*found false). */
static size_t lookup(const struct objects *os, const char *ns, const char *name, bool *found)
{
	size_t lo = 0, hi = os->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct object *o = os->v[mid];
		int r = key_cmp(o->meta.namespace, o->meta.name, ns, name);
		if (r == 0) {
			*found = true;
			return mid;
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void insert_at(struct objects *os, size_t at, struct object *o)
{
	if (os->n == os->cap) {
		os->cap = os->cap ? os->cap * 2 : 16;
		os->v = xrealloc(os->v, os->cap, sizeof(*os->v));
	}
	memmove(&os->v[at + 1], &os->v[at], (os->n - at) * sizeof(*os->v));
	os->v[at] = o;
	os->n++;
}

struct object *config_add(struct config *c, struct object *o)
{
	struct objects *os = &c->kinds[o->kind];
	bool found;
	size_t at = lookup(os, o->meta.namespace, o->meta.name, &found);

	if (found)
		return os->v[at];
	insert_at(os, at, o);
	return NULL;
}

struct object *config_put(struct config *c, struct object *o)
{
	struct objects *os = &c->kinds[o->kind];
	bool found;
	size_t at = lookup(os, o->meta.namespace, o->meta.name, &found);

	if (!found) {
		insert_at(os, at, o);
		return NULL;
	}
	struct object *old = os->v[at];
	os->v[at] = o;
	return old;
}

struct object *config_take(struct config *c, enum kind k, const char *ns, const char *name)
{
	struct objects *os = &c->kinds[k];
	bool found;
	size_t at = lookup(os, ns, name, &found);

	if (!found)
		return NULL;
	struct object *o = os->v[at];
	memmove(&os->v[at], &os->v[at + 1], (os->n - at - 1) * sizeof(*os->v));
	os->n--;
	return o;
}

struct object *config_find(const struct config *c, enum kind k, const char *ns, const char *name)
{
	const struct objects *os = &c->kinds[k];
	bool found;
	size_t at = lookup(os, ns, name, &found);

	return found ? os->v[at] : NULL;
}
