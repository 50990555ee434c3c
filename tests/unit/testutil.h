/* Shared by the configuration tests: load YAML text, look for a diagnostic. */
#ifndef VIPCAST_TESTS_TESTUTIL_H
#define VIPCAST_TESTS_TESTUTIL_H

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "load.h"

/* Loads and, when loading succeeded, validates. The caller frees both. */
static inline bool load_text(const char *yaml, struct config **c, struct diags *d)
{
	diags_init(d);
	*c = config_new();
	bool ok = config_load_yaml(*c, "t.yaml", yaml, strlen(yaml), d, NULL);
	return ok && config_validate(*c, d);
}

static inline void print_diags(const struct diags *d);

/* Loads text that must be valid: the diagnostics printed and NULL otherwise. */
static inline struct config *load_valid(const char *yaml)
{
	struct config *c;
	struct diags d;
	if (!load_text(yaml, &c, &d) || d.errors) {
		print_diags(&d);
		config_free(c);
		c = NULL;
	}
	diags_free(&d);
	return c;
}

/* The first diagnostic of this severity whose message contains text, or NULL. */
static inline const struct diag *find_diag(const struct diags *d, enum diag_severity sev, const char *text)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].sev == sev && strstr(d->v[i].msg, text))
			return &d->v[i];
	return NULL;
}

static inline void print_diags(const struct diags *d)
{
	diags_print(d, stderr);
}

/* Field by field: struct iprange has padding, which memcmp would compare too. */
static inline bool iprange_same(const struct iprange *a, const struct iprange *b)
{
	return a->first.family == b->first.family && memcmp(a->first.b, b->first.b, sizeof a->first.b) == 0 &&
	       a->last.family == b->last.family && memcmp(a->last.b, b->last.b, sizeof a->last.b) == 0 &&
	       a->prefix == b->prefix;
}

#endif
