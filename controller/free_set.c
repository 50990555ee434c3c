#include "free_set.h"

#include <stdlib.h>

#include "xalloc.h"

struct span {
	struct avl_node node;
	struct ipaddr first, last;
};

#define SPAN(n) avl_entry(n, struct span, node)

static int span_cmp(const struct avl_node *a, const struct avl_node *b)
{
	return ipaddr_cmp(&SPAN(a)->first, &SPAN(b)->first);
}

static int key_cmp(const void *key, const struct avl_node *n)
{
	return ipaddr_cmp(key, &SPAN(n)->first);
}

static bool buggy(const struct free_set *s, const struct ipaddr *a)
{
	return s->avoid_buggy && a->family == IPF_V4 && (a->b[3] == 0 || a->b[3] == 255);
}

bool free_set_usable(const struct free_set *s, const struct ipaddr *a)
{
	return iprange_contains(&s->range, a) && !buggy(s, a);
}

/* The next usable address after a, within the range; false past its end. */
static bool next_usable(const struct free_set *s, const struct ipaddr *a, struct ipaddr *out)
{
	*out = *a;
	do {
		if (!ipaddr_next(out) || ipaddr_cmp(out, &s->range.last) > 0)
			return false;
	} while (buggy(s, out));
	return true;
}

static bool prev_usable(const struct free_set *s, const struct ipaddr *a, struct ipaddr *out)
{
	*out = *a;
	do {
		if (!ipaddr_prev(out) || ipaddr_cmp(out, &s->range.first) < 0)
			return false;
	} while (buggy(s, out));
	return true;
}

static void add_span(struct free_set *s, const struct ipaddr *first, const struct ipaddr *last)
{
	struct span *sp = xcalloc(1, sizeof(*sp));
	sp->first = *first;
	sp->last = *last;
	avl_insert(&s->free, &sp->node);
}

void free_set_init(struct free_set *s, const struct iprange *r, bool avoid_buggy)
{
	struct ipaddr first = r->first, last = r->last;

	s->range = *r;
	s->avoid_buggy = avoid_buggy;
	avl_init(&s->free, span_cmp);
	if (buggy(s, &first) && !next_usable(s, &r->first, &first))
		return;
	if (buggy(s, &last) && !prev_usable(s, &r->last, &last))
		return;
	if (ipaddr_cmp(&first, &last) <= 0)
		add_span(s, &first, &last);
}

static void free_span(struct avl_node *n, void *arg)
{
	(void)arg;
	free(SPAN(n));
}

void free_set_destroy(struct free_set *s)
{
	avl_clear(&s->free, free_span, NULL);
}

static struct span *span_holding(const struct free_set *s, const struct ipaddr *a)
{
	struct avl_node *n = avl_floor(&s->free, a, key_cmp);

	return n && ipaddr_cmp(a, &SPAN(n)->last) <= 0 ? SPAN(n) : NULL;
}

bool free_set_is_free(const struct free_set *s, const struct ipaddr *a)
{
	return free_set_usable(s, a) && span_holding(s, a);
}

bool free_set_first(const struct free_set *s, struct ipaddr *out)
{
	struct avl_node *n = avl_first(&s->free);

	if (!n)
		return false;
	*out = SPAN(n)->first;
	return true;
}

bool free_set_take(struct free_set *s, const struct ipaddr *a)
{
	struct span *sp = free_set_usable(s, a) ? span_holding(s, a) : NULL;
	struct ipaddr before, after;

	if (!sp)
		return false;
	bool has_before = ipaddr_cmp(a, &sp->first) > 0 && prev_usable(s, a, &before);
	bool has_after = ipaddr_cmp(a, &sp->last) < 0 && next_usable(s, a, &after);
	if (has_before && has_after) {
		add_span(s, &after, &sp->last);
		sp->last = before;
	} else if (has_before) {
		sp->last = before;
	} else if (has_after) {
		sp->first = after;  /* still after its predecessor: the order holds */
	} else {
		avl_remove(&s->free, &sp->node);
		free(sp);
	}
	return true;
}

bool free_set_put(struct free_set *s, const struct ipaddr *a)
{
	struct ipaddr next, prev;

	if (!free_set_usable(s, a) || span_holding(s, a))
		return false;
	struct avl_node *ln = avl_floor(&s->free, a, key_cmp);
	struct avl_node *rn = avl_ceil(&s->free, a, key_cmp);
	struct span *l = ln ? SPAN(ln) : NULL, *r = rn ? SPAN(rn) : NULL;
	bool join_l = l && next_usable(s, &l->last, &next) && ipaddr_eq(&next, a);
	bool join_r = r && prev_usable(s, &r->first, &prev) && ipaddr_eq(&prev, a);

	if (join_l && join_r) {
		l->last = r->last;
		avl_remove(&s->free, &r->node);
		free(r);
	} else if (join_l) {
		l->last = *a;
	} else if (join_r) {
		r->first = *a;
	} else {
		add_span(s, a, a);
	}
	return true;
}

size_t free_set_fragments(const struct free_set *s)
{
	return s->free.count;
}
