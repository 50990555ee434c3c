#include "selector.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

const char *sel_op_name(enum sel_op op)
{
	static const char *const names[] = {
		[SEL_IN] = "In", [SEL_NOT_IN] = "NotIn", [SEL_EXISTS] = "Exists",
		[SEL_DOES_NOT_EXIST] = "DoesNotExist", [SEL_GT] = "Gt", [SEL_LT] = "Lt",
	};
	return names[op];
}
