#include "selector.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

const char *labels_get(const struct labels *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return l->v[i].value;
	return NULL;
}

static bool value_listed(const struct sel_req *r, const char *v)
{
	for (size_t i = 0; i < r->nvalues; i++)
		if (strcmp(r->values[i], v) == 0)
			return true;
	return false;
}

static bool parse_long(const char *s, long long *out)
{
	char *end;

	if (!*s || isspace((unsigned char)*s))
		return false;  /* strtoll skips leading blanks; Kubernetes' ParseInt does not */
	errno = 0;
	*out = strtoll(s, &end, 10);
	return !*end && errno == 0;
}

/* Node selector terms' Gt/Lt: both the label and the one value are integers. */
static bool compare_matches(const struct sel_req *r, const char *v)
{
	long long have, want;

	if (!v || r->nvalues != 1 || !parse_long(v, &have) || !parse_long(r->values[0], &want))
		return false;
	return r->op == SEL_GT ? have > want : have < want;
}

static bool req_matches(const struct sel_req *r, const struct labels *l)
{
	const char *v = labels_get(l, r->key);

	switch (r->op) {
	case SEL_IN:
		return v && value_listed(r, v);
	case SEL_NOT_IN:
		return !v || !value_listed(r, v);
	case SEL_EXISTS:
		return v != NULL;
	case SEL_DOES_NOT_EXIST:
		return v == NULL;
	case SEL_GT:
	case SEL_LT:
		return compare_matches(r, v);
	}
	return false;
}

bool selector_matches(const struct selector *s, const struct labels *l)
{
	for (size_t i = 0; i < s->n; i++)
		if (!req_matches(&s->req[i], l))
			return false;
	return true;
}

bool selectors_match_any(const struct selectors *s, const struct labels *l)
{
	if (s->n == 0)
		return true;
	for (size_t i = 0; i < s->n; i++)
		if (selector_matches(&s->v[i], l))
			return true;
	return false;
}

/* ---- can selectors match together ---- */

/* Combinations of one selector per list tried before answering true. */
#define SAT_BUDGET 4096

/* The requirements of one key: does value v (NULL: the label is absent) meet all of them? */
static bool key_accepts(const struct sel_req *const *reqs, size_t n, const char *v)
{
	struct label one = { reqs[0]->key, v };
	struct labels l = { &one, v ? 1 : 0 };

	for (size_t i = 0; i < n; i++)
		if (!req_matches(reqs[i], &l))
			return false;
	return true;
}

static bool key_try_int(const struct sel_req *const *reqs, size_t n, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return key_accepts(reqs, n, buf);
}

/*
 * Some value (or none) meets every requirement on one key. The candidates
 * cover every case: absent; a value an In lists; integers just past each Gt
 * and Lt bound, as many as NotIn could exclude, plus one; and a string no
 * requirement names.
 */
static bool key_satisfiable(const struct sel_req *const *reqs, size_t n)
{
	size_t values = 0, longest = 0;

	if (key_accepts(reqs, n, NULL))
		return true;
	for (size_t i = 0; i < n; i++) {
		values += reqs[i]->nvalues;
		for (size_t k = 0; k < reqs[i]->nvalues; k++) {
			size_t len = strlen(reqs[i]->values[k]);
			longest = len > longest ? len : longest;
			if (reqs[i]->op == SEL_IN && key_accepts(reqs, n, reqs[i]->values[k]))
				return true;
		}
	}
	for (size_t i = 0; i < n; i++) {
		long long bound;
		if ((reqs[i]->op != SEL_GT && reqs[i]->op != SEL_LT) || reqs[i]->nvalues != 1 ||
		    !parse_long(reqs[i]->values[0], &bound))
			continue;
		for (size_t k = 0; k <= values; k++) {
			if (reqs[i]->op == SEL_GT && bound < LLONG_MAX - (long long)k &&
			    key_try_int(reqs, n, bound + 1 + (long long)k))
				return true;
			if (reqs[i]->op == SEL_LT && bound > LLONG_MIN + (long long)k &&
			    key_try_int(reqs, n, bound - 1 - (long long)k))
				return true;
		}
	}
	char *fresh = xmalloc(longest + 2);
	memset(fresh, 'x', longest + 1);
	fresh[longest + 1] = 0;
	bool ok = key_accepts(reqs, n, fresh);
	free(fresh);
	return ok;
}

/* The requirements of chosen[0..n) can all hold: keys are independent, so each key on its own. */
static bool conjunction_satisfiable(const struct selector *const *chosen, size_t n)
{
	size_t total = 0, k = 0;
	bool ok = true;

	for (size_t i = 0; i < n; i++)
		total += chosen[i]->n;
	const struct sel_req **all = xcalloc(total + 1, sizeof(*all)), **same = xcalloc(total + 1, sizeof(*same));
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < chosen[i]->n; j++)
			all[k++] = &chosen[i]->req[j];
	for (size_t i = 0; i < total && ok; i++) {
		size_t m = 0;
		bool first = true;
		for (size_t j = 0; j < total; j++) {
			if (strcmp(all[j]->key, all[i]->key) != 0)
				continue;
			first &= j >= i;
			same[m++] = all[j];
		}
		if (first)  /* each key once, at its first requirement */
			ok = key_satisfiable(same, m);
	}
	free(all);
	free(same);
	return ok;
}

struct sat_search {
	const struct selectors *const *lists;
	size_t n;
	const struct selector **chosen;
	size_t nchosen;
	unsigned budget;
};

static bool sat_from(struct sat_search *s, size_t i)
{
	if (i == s->n) {
		if (s->budget == 0)
			return true;
		s->budget--;
		return conjunction_satisfiable(s->chosen, s->nchosen);
	}
	if (s->lists[i]->n == 0)
		return sat_from(s, i + 1);
	for (size_t k = 0; k < s->lists[i]->n; k++) {
		s->chosen[s->nchosen++] = &s->lists[i]->v[k];
		bool ok = sat_from(s, i + 1);
		s->nchosen--;
		if (ok || s->budget == 0)
			return true;
	}
	return false;
}

bool selectors_can_all_match(const struct selectors *const *lists, size_t n)
{
	struct sat_search s = { lists, n, xcalloc(n + 1, sizeof(*s.chosen)), 0, SAT_BUDGET };
	bool ok = sat_from(&s, 0);
	free(s.chosen);
	return ok;
}

const char *sel_op_name(enum sel_op op)
{
	static const char *const names[] = {
		[SEL_IN] = "In", [SEL_NOT_IN] = "NotIn", [SEL_EXISTS] = "Exists",
		[SEL_DOES_NOT_EXIST] = "DoesNotExist", [SEL_GT] = "Gt", [SEL_LT] = "Lt",
	};
	return names[op];
}
