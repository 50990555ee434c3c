/*
 * Unit tests for config/selector.c (label selector matching, Kubernetes
 * semantics) and for decoding selectors from YAML through config/decode.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "doc.h"
#include "selector.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAXV 4
#define MAXR 4
#define MAXL 4

/* ---- building selectors and label sets from rows ---- */

struct req_spec {
	const char *key;
	enum sel_op op;
	const char *values[MAXV]; /* NULL-terminated unless full */
};

/* Labels as key, value pairs; a NULL key ends the list. */
struct label_spec {
	const char *key, *value;
};

struct built_sel {
	struct sel_req req[MAXR];
	const char *values[MAXR][MAXV];
	struct selector sel;
};

static void build_selector(struct built_sel *b, const struct req_spec *spec, size_t n)
{
	memset(b, 0, sizeof(*b));
	assert_true(n <= MAXR);
	for (size_t i = 0; i < n; i++) {
		struct sel_req *r = &b->req[i];
		r->key = spec[i].key;
		r->op = spec[i].op;
		r->values = b->values[i];
		for (size_t j = 0; j < MAXV && spec[i].values[j]; j++)
			b->values[i][r->nvalues++] = spec[i].values[j];
	}
	b->sel.req = b->req;
	b->sel.n = n;
}

static size_t count_reqs(const struct req_spec *spec)
{
	size_t n = 0;

	while (n < MAXR && spec[n].key)
		n++;
	return n;
}

static struct labels build_labels(struct label *store, const struct label_spec *spec)
{
	struct labels l = { store, 0 };

	for (size_t i = 0; i < MAXL && spec[i].key; i++)
		store[l.n++] = (struct label){ spec[i].key, spec[i].value };
	return l;
}

/* ---- labels_get ---- */

static void test_labels_get(void **state)
{
	(void)state;
	struct label store[] = { { "app", "web" }, { "tier", "" }, { "app.kubernetes.io/name", "x" } };
	struct labels l = { store, N(store) };
	struct labels none = { NULL, 0 };

	assert_string_equal(labels_get(&l, "app"), "web");
	assert_ptr_equal(labels_get(&l, "app"), store[0].value);
	assert_string_equal(labels_get(&l, "tier"), "");
	assert_string_equal(labels_get(&l, "app.kubernetes.io/name"), "x");
	assert_null(labels_get(&l, "App"));  /* keys are case-sensitive */
	assert_null(labels_get(&l, "ap"));   /* no prefix matching */
	assert_null(labels_get(&l, "app.kubernetes.io"));
	assert_null(labels_get(&l, ""));
	assert_null(labels_get(&none, "app"));
}

/* ---- selector_matches: one selector, requirements ANDed ---- */

struct match_row {
	const char *name;
	struct req_spec req[MAXR]; /* ends at the first NULL key */
	struct label_spec labels[MAXL + 1];
	bool want;
};

static const struct match_row match_rows[] = {
	/* empty selector */
	{ "empty selector, no labels", { { 0 } }, { { 0 } }, true },
	{ "empty selector, some labels", { { 0 } }, { { "app", "web" }, { 0 } }, true },

	/* matchLabels (In with one value), ANDed */
	{ "matchLabels hit", { { "app", SEL_IN, { "web" } } }, { { "app", "web" }, { 0 } }, true },
	{ "matchLabels hit among others", { { "app", SEL_IN, { "web" } } },
	  { { "tier", "fe" }, { "app", "web" }, { 0 } }, true },
	{ "matchLabels other value", { { "app", SEL_IN, { "web" } } }, { { "app", "db" }, { 0 } }, false },
	{ "matchLabels value case", { { "app", SEL_IN, { "web" } } }, { { "app", "Web" }, { 0 } }, false },
	{ "matchLabels key case", { { "app", SEL_IN, { "web" } } }, { { "App", "web" }, { 0 } }, false },
	{ "matchLabels absent", { { "app", SEL_IN, { "web" } } }, { { 0 } }, false },
	{ "matchLabels AND both", { { "app", SEL_IN, { "web" } }, { "tier", SEL_IN, { "fe" } } },
	  { { "tier", "fe" }, { "app", "web" }, { 0 } }, true },
	{ "matchLabels AND one missing", { { "app", SEL_IN, { "web" } }, { "tier", SEL_IN, { "fe" } } },
	  { { "app", "web" }, { 0 } }, false },
	{ "matchLabels AND one differs", { { "app", SEL_IN, { "web" } }, { "tier", SEL_IN, { "fe" } } },
	  { { "app", "web" }, { "tier", "be" }, { 0 } }, false },
	{ "matchLabels empty value", { { "app", SEL_IN, { "" } } }, { { "app", "" }, { 0 } }, true },
	{ "matchLabels empty value, absent", { { "app", SEL_IN, { "" } } }, { { 0 } }, false },
	{ "matchLabels empty value, non-empty label", { { "app", SEL_IN, { "" } } },
	  { { "app", "x" }, { 0 } }, false },

	/* In */
	{ "In first", { { "env", SEL_IN, { "a", "b", "c" } } }, { { "env", "a" }, { 0 } }, true },
	{ "In last", { { "env", SEL_IN, { "a", "b", "c" } } }, { { "env", "c" }, { 0 } }, true },
	{ "In not listed", { { "env", SEL_IN, { "a", "b", "c" } } }, { { "env", "d" }, { 0 } }, false },
	{ "In prefix of a value", { { "env", SEL_IN, { "prod" } } }, { { "env", "pro" }, { 0 } }, false },
	{ "In absent", { { "env", SEL_IN, { "a", "b" } } }, { { "other", "a" }, { 0 } }, false },

	/* NotIn */
	{ "NotIn other value", { { "env", SEL_NOT_IN, { "a", "b" } } }, { { "env", "c" }, { 0 } }, true },
	{ "NotIn listed", { { "env", SEL_NOT_IN, { "a", "b" } } }, { { "env", "b" }, { 0 } }, false },
	{ "NotIn absent matches", { { "env", SEL_NOT_IN, { "a", "b" } } }, { { 0 } }, true },
	{ "NotIn absent among others", { { "env", SEL_NOT_IN, { "a" } } }, { { "app", "a" }, { 0 } }, true },

	/* Exists / DoesNotExist */
	{ "Exists present", { { "gpu", SEL_EXISTS, { 0 } } }, { { "gpu", "nvidia" }, { 0 } }, true },
	{ "Exists present, empty value", { { "gpu", SEL_EXISTS, { 0 } } }, { { "gpu", "" }, { 0 } }, true },
	{ "Exists absent", { { "gpu", SEL_EXISTS, { 0 } } }, { { "cpu", "x" }, { 0 } }, false },
	{ "DoesNotExist absent", { { "gpu", SEL_DOES_NOT_EXIST, { 0 } } }, { { "cpu", "x" }, { 0 } }, true },
	{ "DoesNotExist no labels", { { "gpu", SEL_DOES_NOT_EXIST, { 0 } } }, { { 0 } }, true },
	{ "DoesNotExist present", { { "gpu", SEL_DOES_NOT_EXIST, { 0 } } }, { { "gpu", "" }, { 0 } }, false },

	/* Gt / Lt: integers */
	{ "Gt above", { { "n", SEL_GT, { "5" } } }, { { "n", "6" }, { 0 } }, true },
	{ "Gt equal", { { "n", SEL_GT, { "5" } } }, { { "n", "5" }, { 0 } }, false },
	{ "Gt below", { { "n", SEL_GT, { "5" } } }, { { "n", "4" }, { 0 } }, false },
	{ "Gt numeric not lexical", { { "n", SEL_GT, { "9" } } }, { { "n", "10" }, { 0 } }, true },
	{ "Gt numeric not lexical 2", { { "n", SEL_GT, { "10" } } }, { { "n", "9" }, { 0 } }, false },
	{ "Gt negative", { { "n", SEL_GT, { "-2" } } }, { { "n", "-1" }, { 0 } }, true },
	{ "Gt plus sign", { { "n", SEL_GT, { "5" } } }, { { "n", "+6" }, { 0 } }, true },
	{ "Gt int64 max", { { "n", SEL_GT, { "9223372036854775806" } } },
	  { { "n", "9223372036854775807" }, { 0 } }, true },
	{ "Gt label overflows int64", { { "n", SEL_GT, { "1" } } },
	  { { "n", "9223372036854775808" }, { 0 } }, false },
	{ "Gt absent", { { "n", SEL_GT, { "5" } } }, { { 0 } }, false },
	{ "Gt label not an integer", { { "n", SEL_GT, { "5" } } }, { { "n", "abc" }, { 0 } }, false },
	{ "Gt label trailing junk", { { "n", SEL_GT, { "5" } } }, { { "n", "10x" }, { 0 } }, false },
	{ "Gt label float", { { "n", SEL_GT, { "5" } } }, { { "n", "6.5" }, { 0 } }, false },
	{ "Gt label hex", { { "n", SEL_GT, { "5" } } }, { { "n", "0x10" }, { 0 } }, false },
	{ "Gt label empty", { { "n", SEL_GT, { "-5" } } }, { { "n", "" }, { 0 } }, false },
	{ "Gt label leading space", { { "n", SEL_GT, { "5" } } }, { { "n", " 6" }, { 0 } }, false },
	{ "Gt label trailing space", { { "n", SEL_GT, { "5" } } }, { { "n", "6 " }, { 0 } }, false },
	{ "Gt value not an integer", { { "n", SEL_GT, { "abc" } } }, { { "n", "6" }, { 0 } }, false },
	{ "Gt value leading space", { { "n", SEL_GT, { " 5" } } }, { { "n", "6" }, { 0 } }, false },
	{ "Gt two values", { { "n", SEL_GT, { "1", "2" } } }, { { "n", "6" }, { 0 } }, false },
	{ "Gt no value", { { "n", SEL_GT, { 0 } } }, { { "n", "6" }, { 0 } }, false },
	{ "Lt below", { { "n", SEL_LT, { "5" } } }, { { "n", "4" }, { 0 } }, true },
	{ "Lt equal", { { "n", SEL_LT, { "5" } } }, { { "n", "5" }, { 0 } }, false },
	{ "Lt above", { { "n", SEL_LT, { "5" } } }, { { "n", "6" }, { 0 } }, false },
	{ "Lt negative", { { "n", SEL_LT, { "-2" } } }, { { "n", "-3" }, { 0 } }, true },
	{ "Lt numeric not lexical", { { "n", SEL_LT, { "10" } } }, { { "n", "9" }, { 0 } }, true },
	{ "Lt absent", { { "n", SEL_LT, { "5" } } }, { { 0 } }, false },
	{ "Lt label not an integer", { { "n", SEL_LT, { "5" } } }, { { "n", "four" }, { 0 } }, false },

	/* mixed, ANDed */
	{ "In and DoesNotExist", { { "app", SEL_IN, { "web" } }, { "canary", SEL_DOES_NOT_EXIST, { 0 } } },
	  { { "app", "web" }, { 0 } }, true },
	{ "In and DoesNotExist, excluded", { { "app", SEL_IN, { "web" } }, { "canary", SEL_DOES_NOT_EXIST, { 0 } } },
	  { { "app", "web" }, { "canary", "true" }, { 0 } }, false },
	{ "Exists, NotIn, Gt all hold",
	  { { "zone", SEL_EXISTS, { 0 } }, { "zone", SEL_NOT_IN, { "b" } }, { "rank", SEL_GT, { "1" } } },
	  { { "zone", "a" }, { "rank", "2" }, { 0 } }, true },
	{ "Exists, NotIn, Gt: last fails",
	  { { "zone", SEL_EXISTS, { 0 } }, { "zone", SEL_NOT_IN, { "b" } }, { "rank", SEL_GT, { "1" } } },
	  { { "zone", "a" }, { "rank", "1" }, { 0 } }, false },
	{ "Exists, NotIn, Gt: middle fails",
	  { { "zone", SEL_EXISTS, { 0 } }, { "zone", SEL_NOT_IN, { "b" } }, { "rank", SEL_GT, { "1" } } },
	  { { "zone", "b" }, { "rank", "2" }, { 0 } }, false },
};

static void test_selector_matches(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(match_rows); i++) {
		const struct match_row *row = &match_rows[i];
		struct built_sel b;
		struct label store[MAXL];
		build_selector(&b, row->req, count_reqs(row->req));
		struct labels l = build_labels(store, row->labels);
		bool got = selector_matches(&b.sel, &l);
		if (got != row->want)
			fail_msg("%s: got %s, want %s", row->name, got ? "match" : "no match",
				 row->want ? "match" : "no match");
	}
}

/* ---- selectors_match_any: a list of selectors, ORed ---- */

static void test_selectors_match_any(void **state)
{
	(void)state;
	static const struct req_spec web[] = { { "app", SEL_IN, { "web" } } };
	static const struct req_spec db[] = { { "app", SEL_IN, { "db" } }, { "tier", SEL_EXISTS, { 0 } } };
	struct built_sel bw, bd, bempty;
	build_selector(&bw, web, N(web));
	build_selector(&bd, db, N(db));
	build_selector(&bempty, NULL, 0);

	struct label lw[] = { { "app", "web" } };
	struct label ld[] = { { "app", "db" }, { "tier", "be" } };
	struct label ldnotier[] = { { "app", "db" } };
	struct label lother[] = { { "app", "cache" } };
	struct labels web_l = { lw, N(lw) }, db_l = { ld, N(ld) }, dbnt_l = { ldnotier, N(ldnotier) },
		      other_l = { lother, N(lother) }, none_l = { NULL, 0 };

	/* an empty list matches everything */
	struct selectors empty = { NULL, 0, { 0 } };
	assert_true(selectors_match_any(&empty, &web_l));
	assert_true(selectors_match_any(&empty, &none_l));

	/* one selector */
	struct selector one_v[] = { bw.sel };
	struct selectors one = { one_v, 1, { 0 } };
	assert_true(selectors_match_any(&one, &web_l));
	assert_false(selectors_match_any(&one, &db_l));
	assert_false(selectors_match_any(&one, &none_l));

	/* two selectors: ORed */
	struct selector two_v[] = { bw.sel, bd.sel };
	struct selectors two = { two_v, 2, { 0 } };
	assert_true(selectors_match_any(&two, &web_l));
	assert_true(selectors_match_any(&two, &db_l));  /* only the second */
	assert_false(selectors_match_any(&two, &dbnt_l)); /* the second's AND fails */
	assert_false(selectors_match_any(&two, &other_l));
	assert_false(selectors_match_any(&two, &none_l));

	/* a list holding an empty selector matches everything */
	struct selector with_empty_v[] = { bd.sel, bempty.sel };
	struct selectors with_empty = { with_empty_v, 2, { 0 } };
	assert_true(selectors_match_any(&with_empty, &other_l));
	assert_true(selectors_match_any(&with_empty, &none_l));
}

/* ---- selectors_can_all_match: could one node match every list ---- */

/* Up to three lists of up to two one-requirement selectors each; a NULL key ends a list. */
struct sat_row {
	const char *name;
	struct req_spec lists[3][2];
	bool want;
};

static const struct sat_row sat_rows[] = {
	{ "nothing", { { { 0 } } }, true },
	{ "different values", { { { "app", SEL_IN, { "web" } } }, { { "app", SEL_IN, { "db" } } } }, false },
	{ "a shared value", { { { "app", SEL_IN, { "web", "db" } } }, { { "app", SEL_IN, { "db" } } } }, true },
	{ "exists and absent", { { { "app", SEL_EXISTS, { 0 } } }, { { "app", SEL_DOES_NOT_EXIST, { 0 } } } }, false },
	{ "in and not in", { { { "app", SEL_IN, { "web" } } }, { { "app", SEL_NOT_IN, { "web" } } } }, false },
	{ "not in and absent", { { { "app", SEL_NOT_IN, { "web" } } }, { { "app", SEL_DOES_NOT_EXIST, { 0 } } } }, true },
	{ "not in and exists", { { { "app", SEL_NOT_IN, { "web", "x" } } }, { { "app", SEL_EXISTS, { 0 } } } }, true },
	{ "gt and lt leave 6", { { { "n", SEL_GT, { "5" } } }, { { "n", SEL_LT, { "7" } } } }, true },
	{ "gt and lt leave none", { { { "n", SEL_GT, { "5" } } }, { { "n", SEL_LT, { "6" } } } }, false },
	{ "not in takes the only integer",
	  { { { "n", SEL_GT, { "5" } } }, { { "n", SEL_LT, { "7" } } }, { { "n", SEL_NOT_IN, { "6" } } } }, false },
	{ "not in takes one of two",
	  { { { "n", SEL_GT, { "5" } } }, { { "n", SEL_LT, { "8" } } }, { { "n", SEL_NOT_IN, { "6" } } } }, true },
	{ "in and gt", { { { "n", SEL_IN, { "3", "9" } } }, { { "n", SEL_GT, { "5" } } } }, true },
	{ "in below gt", { { { "n", SEL_IN, { "3" } } }, { { "n", SEL_GT, { "5" } } } }, false },
	{ "gt needs the label", { { { "n", SEL_GT, { "5" } } }, { { "n", SEL_DOES_NOT_EXIST, { 0 } } } }, false },
	{ "other keys", { { { "app", SEL_IN, { "web" } } }, { { "zone", SEL_IN, { "a" } } } }, true },
	{ "second selector of a list",
	  { { { "app", SEL_IN, { "web" } }, { "app", SEL_IN, { "db" } } }, { { "app", SEL_IN, { "db" } } } }, true },
	{ "pairwise but not all three",
	  { { { "n", SEL_IN, { "1", "2" } } }, { { "n", SEL_IN, { "2", "3" } } }, { { "n", SEL_IN, { "1", "3" } } } },
	  false },
};

static void test_selectors_can_all_match(void **state)
{
	(void)state;
	for (size_t r = 0; r < N(sat_rows); r++) {
		const struct sat_row *row = &sat_rows[r];
		struct built_sel b[3][2];
		struct selector v[3][2];
		struct selectors lists[3];
		const struct selectors *ptrs[3];
		for (size_t i = 0; i < 3; i++) {
			size_t n = 0;
			while (n < 2 && row->lists[i][n].key) {
				build_selector(&b[i][n], &row->lists[i][n], 1);
				v[i][n] = b[i][n].sel;
				n++;
			}
			lists[i] = (struct selectors){ v[i], n, { 0 } };
			ptrs[i] = &lists[i];
		}
		bool got = selectors_can_all_match(ptrs, 3);
		if (got != row->want)
			fail_msg("%s: got %d, want %d", row->name, got, row->want);
	}
}

static void test_sel_op_name(void **state)
{
	(void)state;
	assert_string_equal(sel_op_name(SEL_IN), "In");
	assert_string_equal(sel_op_name(SEL_NOT_IN), "NotIn");
	assert_string_equal(sel_op_name(SEL_EXISTS), "Exists");
	assert_string_equal(sel_op_name(SEL_DOES_NOT_EXIST), "DoesNotExist");
	assert_string_equal(sel_op_name(SEL_GT), "Gt");
	assert_string_equal(sel_op_name(SEL_LT), "Lt");
}

/* ---- decoding selectors from YAML ---- */

#define FILE_NAME "sel.yaml"

struct fixture {
	struct diags diags;
	struct arena arena;
	struct doc *doc;
	struct dec dec;
};

static void keep_doc(struct doc *d, void *arg)
{
	struct doc **out = arg;

	if (*out)
		fail_msg("test setup: more than one document");
	*out = d;
}

/* Parses yaml (must be valid) and sets up a decoder writing into f. */
static struct fixture *fixture_new(const char *yaml)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	diags_init(&f->diags);
	if (!doc_read_yaml(FILE_NAME, yaml, strlen(yaml), &f->diags, keep_doc, &f->doc) || !f->doc) {
		diags_print(&f->diags, stderr);
		fail_msg("test setup: cannot read YAML:\n%s", yaml);
	}
	assert_int_equal(f->diags.n, 0);
	f->dec.diags = &f->diags;
	f->dec.a = &f->arena;
	f->dec.file = arena_strdup(&f->arena, FILE_NAME);
	return f;
}

static void fixture_free(struct fixture *f)
{
	doc_free(f->doc);
	diags_free(&f->diags);
	arena_free(&f->arena);
	free(f);
}

/* The decoded objects must not point into the document. */
static void fixture_drop_doc(struct fixture *f)
{
	doc_free(f->doc);
	f->doc = NULL;
}

static void expect_req(const struct sel_req *r, const char *key, enum sel_op op, const char *const *values,
		       size_t nvalues)
{
	assert_string_equal(r->key, key);
	if (r->op != op)
		fail_msg("%s: op %s, want %s", key, sel_op_name(r->op), sel_op_name(op));
	assert_int_equal(r->nvalues, nvalues);
	for (size_t i = 0; i < nvalues; i++)
		assert_string_equal(r->values[i], values[i]);
}

static void test_decode_selector(void **state)
{
	(void)state;
	struct fixture *f = fixture_new("matchLabels:\n"
					"  app: web\n"
					"  tier: \"\"\n"
					"  empty:\n"
					"  version: \"5\"\n"
					"matchExpressions:\n"
					"- key: env\n"
					"  operator: In\n"
					"  values: [prod, \"staging\"]\n"
					"- key: zone\n"
					"  operator: NotIn\n"
					"  values:\n"
					"  - a\n"
					"- key: gpu\n"
					"  operator: Exists\n"
					"- key: canary\n"
					"  operator: DoesNotExist\n"
					"  values: []\n");
	struct selector s;
	memset(&s, 0xa5, sizeof(s));
	s.n = 0;
	dec_selector(&f->dec, f->doc->root, false, &s);
	assert_int_equal(f->dec.errors, 0);
	assert_int_equal(f->diags.n, 0);
	fixture_drop_doc(f); /* everything below lives in the decoder's arena */

	assert_int_equal(s.n, 8);
	expect_req(&s.req[0], "app", SEL_IN, (const char *[]){ "web" }, 1);
	expect_req(&s.req[1], "tier", SEL_IN, (const char *[]){ "" }, 1);
	expect_req(&s.req[2], "empty", SEL_IN, (const char *[]){ "" }, 1);
	expect_req(&s.req[3], "version", SEL_IN, (const char *[]){ "5" }, 1);
	expect_req(&s.req[4], "env", SEL_IN, (const char *[]){ "prod", "staging" }, 2);
	expect_req(&s.req[5], "zone", SEL_NOT_IN, (const char *[]){ "a" }, 1);
	expect_req(&s.req[6], "gpu", SEL_EXISTS, NULL, 0);
	expect_req(&s.req[7], "canary", SEL_DOES_NOT_EXIST, NULL, 0);
	assert_string_equal(s.mark.file, FILE_NAME);
	assert_ptr_equal(s.mark.file, f->dec.file);
	assert_int_equal(s.mark.line, 1);
	assert_int_equal(s.mark.col, 1);

	/* and it matches the way it reads */
	struct label yes[] = { { "app", "web" }, { "tier", "" }, { "empty", "" }, { "version", "5" },
			       { "env", "staging" }, { "gpu", "1" } };
	struct labels l = { yes, N(yes) };
	assert_true(selector_matches(&s, &l));
	yes[4].value = "dev";
	assert_false(selector_matches(&s, &l));
	yes[4].value = "prod";
	assert_true(selector_matches(&s, &l));
	l.n = 5; /* no gpu */
	assert_false(selector_matches(&s, &l));
	fixture_free(f);
}

static void test_decode_selector_order_and_empty(void **state)
{
	(void)state;
	/* matchExpressions written first come first */
	struct fixture *f = fixture_new("matchExpressions:\n"
					"- {key: a, operator: Exists}\n"
					"matchLabels: {b: c}\n");
	struct selector s = { 0 };
	dec_selector(&f->dec, f->doc->root, false, &s);
	assert_int_equal(f->dec.errors, 0);
	assert_int_equal(s.n, 2);
	expect_req(&s.req[0], "a", SEL_EXISTS, NULL, 0);
	expect_req(&s.req[1], "b", SEL_IN, (const char *[]){ "c" }, 1);
	fixture_free(f);

	/* {} and null members: an empty selector, which matches everything */
	f = fixture_new("sel: {}\nnulls: {matchLabels: ~, matchExpressions: ~}\n");
	struct selector e1 = { 0 }, e2 = { 0 };
	dec_selector(&f->dec, doc_map_get(f->doc->root, "sel"), false, &e1);
	dec_selector(&f->dec, doc_map_get(f->doc->root, "nulls"), false, &e2);
	assert_int_equal(f->dec.errors, 0);
	assert_int_equal(f->diags.n, 0);
	assert_int_equal(e1.n, 0);
	assert_int_equal(e2.n, 0);
	assert_int_equal(e1.mark.line, 1);
	assert_int_equal(e1.mark.col, 6);
	struct labels none = { NULL, 0 };
	assert_true(selector_matches(&e1, &none));
	assert_true(selector_matches(&e2, &none));
	fixture_free(f);
}

static void test_decode_node_term(void **state)
{
	(void)state;
	struct fixture *f = fixture_new("matchExpressions:\n"
					"- {key: rank, operator: Gt, values: [\"5\"]}\n"
					"- {key: rank, operator: Lt, values: [\"10\"]}\n"
					"matchFields:\n"
					"- {key: metadata.name, operator: In, values: [n1]}\n");
	struct selector s = { 0 };
	dec_selector(&f->dec, f->doc->root, true, &s);
	assert_int_equal(f->dec.errors, 0);
	assert_int_equal(f->diags.n, 0); /* matchFields is known in a node selector term */
	assert_int_equal(s.n, 2);
	expect_req(&s.req[0], "rank", SEL_GT, (const char *[]){ "5" }, 1);
	expect_req(&s.req[1], "rank", SEL_LT, (const char *[]){ "10" }, 1);

	struct label lab[] = { { "rank", "7" } };
	struct labels l = { lab, 1 };
	assert_true(selector_matches(&s, &l));
	lab[0].value = "10";
	assert_false(selector_matches(&s, &l));
	lab[0].value = "5";
	assert_false(selector_matches(&s, &l));
	lab[0].value = "seven";
	assert_false(selector_matches(&s, &l));
	fixture_free(f);
}

/* One selector that decodes with exactly one diagnostic. */
struct diag_row {
	const char *name;
	const char *yaml;
	bool node_term;
	enum diag_severity sev;
	uint32_t line, col;
	const char *path; /* NULL: none */
	const char *msg;
	size_t nreq; /* requirements still decoded */
};

static const struct diag_row diag_rows[] = {
	{ "unknown operator",
	  "matchExpressions:\n"
	  "- key: app\n"
	  "  operator: Equals\n"
	  "  values: [a]\n",
	  false, DIAG_ERROR, 3, 13, "matchExpressions[0].operator",
	  "unknown operator \"Equals\" (want In, NotIn, Exists or DoesNotExist)", 0 },
	{ "operator case matters",
	  "matchExpressions:\n"
	  "- {key: app, operator: in, values: [a]}\n",
	  false, DIAG_ERROR, 2, 24, "matchExpressions[0].operator",
	  "unknown operator \"in\" (want In, NotIn, Exists or DoesNotExist)", 0 },
	{ "Gt outside a node selector term",
	  "matchExpressions:\n"
	  "- {key: rank, operator: Gt, values: [\"1\"]}\n",
	  false, DIAG_ERROR, 2, 25, "matchExpressions[0].operator",
	  "unknown operator \"Gt\" (want In, NotIn, Exists or DoesNotExist)", 0 },
	{ "unknown operator in a node selector term",
	  "matchExpressions:\n"
	  "- {key: rank, operator: Ge, values: [\"1\"]}\n",
	  true, DIAG_ERROR, 2, 25, "matchExpressions[0].operator",
	  "unknown operator \"Ge\" (want In, NotIn, Exists or DoesNotExist, Gt or Lt)", 0 },
	{ "In without values",
	  "matchLabels: {a: b}\n"
	  "matchExpressions:\n"
	  "- key: app\n"
	  "  operator: In\n",
	  false, DIAG_ERROR, 3, 3, "matchExpressions[0]", "operator In needs at least one value", 1 },
	{ "NotIn with an empty list",
	  "matchExpressions:\n"
	  "  - key: app\n"
	  "    operator: NotIn\n"
	  "    values: []\n",
	  false, DIAG_ERROR, 2, 5, "matchExpressions[0]", "operator NotIn needs at least one value", 0 },
	{ "In with null values",
	  "matchExpressions:\n"
	  "- key: app\n"
	  "  operator: In\n"
	  "  values:\n",
	  false, DIAG_ERROR, 2, 3, "matchExpressions[0]", "operator In needs at least one value", 0 },
	{ "Exists with values",
	  "matchExpressions:\n"
	  "- key: app\n"
	  "  operator: Exists\n"
	  "  values: [a]\n",
	  false, DIAG_ERROR, 4, 11, "matchExpressions[0]", "operator Exists takes no values", 0 },
	{ "DoesNotExist with values",
	  "matchExpressions:\n"
	  "- key: app\n"
	  "  operator: DoesNotExist\n"
	  "  values:\n"
	  "  - a\n",
	  false, DIAG_ERROR, 5, 3, "matchExpressions[0]", "operator DoesNotExist takes no values", 0 },
	{ "Gt with two values",
	  "matchExpressions:\n"
	  "- {key: rank, operator: Gt, values: [\"1\", \"2\"]}\n",
	  true, DIAG_ERROR, 2, 3, "matchExpressions[0]", "operator Gt needs exactly one integer value", 0 },
	{ "Lt without values",
	  "matchExpressions:\n"
	  "- {key: rank, operator: Lt}\n",
	  true, DIAG_ERROR, 2, 3, "matchExpressions[0]", "operator Lt needs exactly one integer value", 0 },
	{ "missing key",
	  "matchExpressions:\n"
	  "- {key: a, operator: Exists}\n"
	  "- operator: Exists\n",
	  false, DIAG_ERROR, 3, 3, "matchExpressions[1]", "key is required", 1 },
	{ "empty key",
	  "matchExpressions:\n"
	  "- key: \"\"\n"
	  "  operator: Exists\n",
	  false, DIAG_ERROR, 2, 3, "matchExpressions[0]", "key is required", 0 },
	{ "key that YAML reads as a boolean",
	  "matchExpressions:\n"
	  "- {key: n, operator: Exists}\n",
	  false, DIAG_ERROR, 2, 9, "matchExpressions[0].key",
	  "expected a string, got a boolean \"n\" (quote it)", 0 },
	{ "missing operator",
	  "matchExpressions:\n"
	  "- key: app\n"
	  "  values: [a]\n",
	  false, DIAG_ERROR, 2, 3, "matchExpressions[0]", "operator is required", 0 },
	{ "boolean label value",
	  "matchLabels:\n"
	  "  app: web\n"
	  "  enabled: true\n",
	  false, DIAG_ERROR, 3, 12, "matchLabels.enabled",
	  "expected a string, got a boolean \"true\" (quote it)", 1 },
	{ "yes as a label value",
	  "matchLabels:\n"
	  "  enabled: yes\n",
	  false, DIAG_ERROR, 2, 12, "matchLabels.enabled",
	  "expected a string, got a boolean \"yes\" (quote it)", 0 },
	{ "integer label value",
	  "matchLabels: {version: 5}\n",
	  false, DIAG_ERROR, 1, 24, "matchLabels.version",
	  "expected a string, got an integer \"5\" (quote it)", 0 },
	{ "float label value",
	  "matchLabels: {version: 1.5}\n",
	  false, DIAG_ERROR, 1, 24, "matchLabels.version",
	  "expected a string, got a number \"1.5\" (quote it)", 0 },
	{ "integer in values",
	  "matchExpressions:\n"
	  "- key: rank\n"
	  "  operator: In\n"
	  "  values: [\"1\", 2]\n",
	  false, DIAG_ERROR, 4, 17, "matchExpressions[0].values[1]",
	  "expected a string, got an integer \"2\" (quote it)", 0 },
	{ "matchLabels not a map",
	  "matchLabels: [a, b]\n",
	  false, DIAG_ERROR, 1, 14, "matchLabels", "expected a map, got a list", 0 },
	{ "matchExpressions not a list",
	  "matchExpressions: {key: a}\n",
	  false, DIAG_ERROR, 1, 19, "matchExpressions", "expected a list, got a map", 0 },
	{ "expression not a map",
	  "matchExpressions:\n"
	  "- app\n",
	  false, DIAG_ERROR, 2, 3, "matchExpressions[0]", "expected a map, got a string", 0 },
	{ "selector not a map",
	  "app\n",
	  false, DIAG_ERROR, 1, 1, NULL, "expected a map, got a string", 0 },
	{ "matchLabel typo",
	  "matchLabel:\n"
	  "  app: web\n",
	  false, DIAG_WARNING, 1, 1, NULL, "unknown field \"matchLabel\"", 0 },
	{ "unknown field beside a known one",
	  "matchLabels: {app: web}\n"
	  "matchExpression: []\n",
	  false, DIAG_WARNING, 2, 1, NULL, "unknown field \"matchExpression\"", 1 },
	{ "matchFields outside a node selector term",
	  "matchFields: []\n",
	  false, DIAG_WARNING, 1, 1, NULL, "unknown field \"matchFields\"", 0 },
	{ "unknown field in an expression",
	  "matchExpressions:\n"
	  "- key: app\n"
	  "  operator: Exists\n"
	  "  value: [a]\n",
	  false, DIAG_WARNING, 4, 3, "matchExpressions[0]", "unknown field \"value\"", 1 },
};

static void test_decode_selector_diags(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(diag_rows); i++) {
		const struct diag_row *row = &diag_rows[i];
		struct fixture *f = fixture_new(row->yaml);
		struct selector s = { 0 };
		dec_selector(&f->dec, f->doc->root, row->node_term, &s);
		if (f->diags.n != 1) {
			diags_print(&f->diags, stderr);
			fail_msg("%s: %zu diagnostics, want 1", row->name, f->diags.n);
		}
		const struct diag *g = &f->diags.v[0];
		if (g->sev != row->sev || g->mark.line != row->line || g->mark.col != row->col ||
		    strcmp(g->msg, row->msg) != 0 || !g->mark.file || strcmp(g->mark.file, FILE_NAME) != 0 ||
		    (row->path ? !g->path || strcmp(g->path, row->path) != 0 : g->path != NULL)) {
			char buf[1024];
			diag_format(g, buf, sizeof(buf));
			fail_msg("%s:\n got  %s (path %s)\n want %s %u:%u %s (path %s)", row->name, buf,
				 g->path ? g->path : "none", row->sev == DIAG_ERROR ? "error" : "warning",
				 row->line, row->col, row->msg, row->path ? row->path : "none");
		}
		if (row->sev == DIAG_ERROR) {
			assert_int_equal(f->dec.errors, 1);
			assert_int_equal(f->diags.errors, 1);
			assert_int_equal(f->diags.warnings, 0);
		} else {
			assert_int_equal(f->dec.errors, 0);
			assert_int_equal(f->diags.errors, 0);
			assert_int_equal(f->diags.warnings, 1);
		}
		if (s.n != row->nreq)
			fail_msg("%s: %zu requirements decoded, want %zu", row->name, s.n, row->nreq);
		fixture_free(f);
	}
}

static void test_decode_selector_path_prefix(void **state)
{
	(void)state;
	/* Messages carry the field path the decoder is at, and the object id. */
	struct fixture *f = fixture_new("matchLabels: {app: 7}\n");
	struct selector s = { 0 };
	f->dec.obj = "L2Advertisement metallb-system/l2";
	size_t saved = dec_enter(&f->dec, "spec");
	dec_enter(&f->dec, "nodeSelectors");
	dec_enter_index(&f->dec, 2);
	dec_selector(&f->dec, f->doc->root, false, &s);
	assert_string_equal(f->dec.path, "spec.nodeSelectors[2]"); /* restored */
	dec_leave(&f->dec, saved);
	assert_string_equal(f->dec.path, "");
	assert_int_equal(f->diags.n, 1);
	assert_string_equal(f->diags.v[0].path, "spec.nodeSelectors[2].matchLabels.app");
	assert_string_equal(f->diags.v[0].object, "L2Advertisement metallb-system/l2");
	char buf[512];
	diag_format(&f->diags.v[0], buf, sizeof(buf));
	assert_string_equal(buf, "sel.yaml:1:20: error: L2Advertisement metallb-system/l2: "
				 "spec.nodeSelectors[2].matchLabels.app: "
				 "expected a string, got an integer \"7\" (quote it)");
	fixture_free(f);
}

static void test_decode_selector_several_errors(void **state)
{
	(void)state;
	struct fixture *f = fixture_new("matchLabels: {a: true, b: ok, c: 3}\n"
					"matchExpressions:\n"
					"- {key: k1, operator: Bogus}\n"
					"- {key: k2, operator: In}\n"
					"- {key: k3, operator: Exists}\n");
	struct selector s = { 0 };
	dec_selector(&f->dec, f->doc->root, false, &s);
	assert_int_equal(f->dec.errors, 4);
	assert_int_equal(f->diags.errors, 4);
	assert_int_equal(f->diags.n, 4);
	const uint32_t lines[] = { 1, 1, 3, 4 };
	const uint32_t cols[] = { 18, 34, 23, 3 };
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(f->diags.v[i].mark.line, lines[i]);
		assert_int_equal(f->diags.v[i].mark.col, cols[i]);
	}
	/* the good parts are still decoded */
	assert_int_equal(s.n, 2);
	expect_req(&s.req[0], "b", SEL_IN, (const char *[]){ "ok" }, 1);
	expect_req(&s.req[1], "k3", SEL_EXISTS, NULL, 0);
	fixture_free(f);
}

static void test_decode_selectors(void **state)
{
	(void)state;
	struct fixture *f = fixture_new("sels:\n"
					"- matchLabels: {app: web}\n"
					"- matchExpressions:\n"
					"  - {key: app, operator: In, values: [db]}\n"
					"  - {key: tier, operator: Exists}\n"
					"empty: []\n");
	struct selectors ss = { 0 }, es = { 0 };
	dec_selectors(&f->dec, doc_map_get(f->doc->root, "sels"), &ss);
	dec_selectors(&f->dec, doc_map_get(f->doc->root, "empty"), &es);
	assert_int_equal(f->dec.errors, 0);
	assert_int_equal(f->diags.n, 0);
	fixture_drop_doc(f);

	assert_int_equal(ss.n, 2);
	assert_int_equal(ss.mark.line, 2);
	assert_int_equal(ss.mark.col, 1);
	assert_string_equal(ss.mark.file, FILE_NAME);
	assert_int_equal(ss.v[0].n, 1);
	expect_req(&ss.v[0].req[0], "app", SEL_IN, (const char *[]){ "web" }, 1);
	assert_int_equal(ss.v[0].mark.line, 2);
	assert_int_equal(ss.v[0].mark.col, 3);
	assert_int_equal(ss.v[1].n, 2);
	expect_req(&ss.v[1].req[0], "app", SEL_IN, (const char *[]){ "db" }, 1);
	expect_req(&ss.v[1].req[1], "tier", SEL_EXISTS, NULL, 0);
	assert_int_equal(ss.v[1].mark.line, 3);
	assert_int_equal(ss.v[1].mark.col, 3);
	assert_int_equal(es.n, 0);
	assert_int_equal(es.mark.line, 6);
	assert_int_equal(es.mark.col, 8);

	struct label lweb[] = { { "app", "web" } }, ldb[] = { { "app", "db" }, { "tier", "x" } },
		     ldb_only[] = { { "app", "db" } };
	struct labels web = { lweb, 1 }, db = { ldb, 2 }, db_only = { ldb_only, 1 }, none = { NULL, 0 };
	assert_true(selectors_match_any(&ss, &web));
	assert_true(selectors_match_any(&ss, &db));
	assert_false(selectors_match_any(&ss, &db_only));
	assert_false(selectors_match_any(&ss, &none));
	assert_true(selectors_match_any(&es, &none));
	assert_true(selectors_match_any(&es, &db_only));
	fixture_free(f);
}

static void test_decode_selectors_diags(void **state)
{
	(void)state;
	/* not a list */
	struct fixture *f = fixture_new("sels: {matchLabels: {a: b}}\n");
	struct selectors ss = { 0 };
	dec_selectors(&f->dec, doc_map_get(f->doc->root, "sels"), &ss);
	assert_int_equal(f->dec.errors, 1);
	assert_int_equal(f->diags.n, 1);
	assert_string_equal(f->diags.v[0].msg, "expected a list, got a map");
	assert_int_equal(f->diags.v[0].mark.line, 1);
	assert_int_equal(f->diags.v[0].mark.col, 7);
	assert_int_equal(ss.n, 0);
	fixture_free(f);

	/* an error in the second selector names its index */
	f = fixture_new("- matchLabels: {a: b}\n"
			"- matchLabels: {a: b}\n"
			"  matchExpressions: [{key: k, operator: Nope}]\n");
	memset(&ss, 0, sizeof(ss));
	dec_selectors(&f->dec, f->doc->root, &ss);
	assert_int_equal(f->dec.errors, 1);
	assert_int_equal(f->diags.n, 1);
	assert_string_equal(f->diags.v[0].path, "[1].matchExpressions[0].operator");
	assert_int_equal(f->diags.v[0].mark.line, 3);
	assert_int_equal(f->diags.v[0].mark.col, 41);
	assert_string_equal(f->diags.v[0].msg,
			    "unknown operator \"Nope\" (want In, NotIn, Exists or DoesNotExist)");
	assert_string_equal(f->dec.path, "");
	fixture_free(f);

	/* a typo in a list entry is a warning only */
	f = fixture_new("- matchLabel: {a: b}\n");
	memset(&ss, 0, sizeof(ss));
	dec_selectors(&f->dec, f->doc->root, &ss);
	assert_int_equal(f->dec.errors, 0);
	assert_int_equal(f->diags.errors, 0);
	assert_int_equal(f->diags.warnings, 1);
	assert_int_equal(f->diags.v[0].sev, DIAG_WARNING);
	assert_string_equal(f->diags.v[0].msg, "unknown field \"matchLabel\"");
	assert_string_equal(f->diags.v[0].path, "[0]");
	assert_int_equal(f->diags.v[0].mark.line, 1);
	assert_int_equal(f->diags.v[0].mark.col, 3);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labels_get),
		cmocka_unit_test(test_selector_matches),
		cmocka_unit_test(test_selectors_match_any),
		cmocka_unit_test(test_selectors_can_all_match),
		cmocka_unit_test(test_sel_op_name),
		cmocka_unit_test(test_decode_selector),
		cmocka_unit_test(test_decode_selector_order_and_empty),
		cmocka_unit_test(test_decode_node_term),
		cmocka_unit_test(test_decode_selector_diags),
		cmocka_unit_test(test_decode_selector_path_prefix),
		cmocka_unit_test(test_decode_selector_several_errors),
		cmocka_unit_test(test_decode_selectors),
		cmocka_unit_test(test_decode_selectors_diags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
