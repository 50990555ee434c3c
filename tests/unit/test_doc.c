/*
 * Unit tests for the document readers (config/doc_yaml.c, config/doc_json.c)
 * and the shared tree helpers and scalar resolution (config/doc.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "doc.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define YFILE "f.yaml"
#define JSRC "api:Service default/web"
#define MAX_DOCS 8

/* ---- helpers ---- */

struct docs {
	struct doc *v[MAX_DOCS];
	size_t n;
};

static void collect(struct doc *d, void *arg)
{
	struct docs *c = arg;

	if (c->n == MAX_DOCS) {
		doc_free(d);
		fail_msg("more than %d documents", MAX_DOCS);
	}
	c->v[c->n++] = d;
}

static void docs_free(struct docs *c)
{
	for (size_t i = 0; i < c->n; i++)
		doc_free(c->v[i]);
	c->n = 0;
}

/* Heap copy of exactly len bytes, no terminator, so ASan flags any read past len. */
static char *exact(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

static bool read_yaml(const char *text, struct docs *c, struct diags *dg)
{
	size_t len = strlen(text);
	char *p = exact(text, len);

	memset(c, 0, sizeof(*c));
	diags_init(dg);
	bool ok = doc_read_yaml(YFILE, p, len, dg, collect, c);
	free(p);
	return ok;
}

static bool read_json(const char *text, struct docs *c, struct diags *dg)
{
	size_t len = strlen(text);
	char *p = exact(text, len);

	memset(c, 0, sizeof(*c));
	diags_init(dg);
	bool ok = doc_read_json(JSRC, p, len, dg, collect, c);
	free(p);
	return ok;
}

/* Reads YAML that must be one valid document. */
static struct doc *yaml_one(const char *text)
{
	struct docs c;
	struct diags dg;

	if (!read_yaml(text, &c, &dg) || c.n != 1 || dg.n) {
		diags_print(&dg, stderr);
		docs_free(&c);
		diags_free(&dg);
		fail_msg("test setup: cannot read one YAML document from:\n%s", text);
	}
	diags_free(&dg);
	return c.v[0];
}

static struct doc *json_one(const char *text)
{
	struct docs c;
	struct diags dg;

	if (!read_json(text, &c, &dg) || c.n != 1 || dg.n) {
		diags_print(&dg, stderr);
		docs_free(&c);
		diags_free(&dg);
		fail_msg("test setup: cannot read JSON from:\n%s", text);
	}
	diags_free(&dg);
	return c.v[0];
}

/* The node at a path such as "spec.ports[1].name"; fails the test if absent. */
static const struct doc_node *at(const struct doc_node *n, const char *path)
{
	const char *p = path;

	while (*p) {
		if (*p == '[') {
			char *end;
			unsigned long i = strtoul(p + 1, &end, 10);
			if (*end != ']' || !n || n->type != DOC_SEQ || i >= n->seq.n)
				fail_msg("%s: no element at %s", path, p);
			n = n->seq.v[i];
			p = end + 1;
		} else {
			if (*p == '.')
				p++;
			size_t len = strcspn(p, ".[");
			char key[64];
			assert_true(len < sizeof(key));
			memcpy(key, p, len);
			key[len] = 0;
			n = doc_map_get(n, key);
			if (!n)
				fail_msg("%s: no key %s", path, key);
			p += len;
		}
	}
	return n;
}

static void expect_mark(const struct doc_node *n, const char *what, uint32_t line, uint32_t col)
{
	if (n->mark.line != line || n->mark.col != col)
		fail_msg("%s: mark %u:%u, want %u:%u", what, n->mark.line, n->mark.col, line, col);
}

static void expect_scalar(const struct doc_node *n, const char *what, const char *text, bool quoted)
{
	if (n->type != DOC_SCALAR)
		fail_msg("%s: type %d, want a scalar", what, n->type);
	if (n->scalar.len != strlen(text) || memcmp(n->scalar.text, text, n->scalar.len) != 0 ||
	    n->scalar.text[n->scalar.len] != 0)
		fail_msg("%s: text \"%.*s\", want \"%s\"", what, (int)n->scalar.len, n->scalar.text, text);
	if (n->scalar.quoted != quoted)
		fail_msg("%s: quoted %d, want %d", what, n->scalar.quoted, quoted);
}

/* Expects exactly one error diagnostic; returns it (valid until diags_free). */
static const struct diag *one_error(const struct diags *dg, const char *what)
{
	if (dg->n != 1 || dg->errors != 1 || dg->warnings != 0) {
		diags_print(dg, stderr);
		fail_msg("%s: %zu diagnostics (%zu errors), want exactly one error", what, dg->n, dg->errors);
	}
	assert_int_equal(dg->v[0].sev, DIAG_ERROR);
	assert_null(dg->v[0].object);
	assert_null(dg->v[0].path);
	return &dg->v[0];
}

static void expect_diag(const struct diag *g, const char *what, const char *file, uint32_t line,
			uint32_t col, const char *msg)
{
	if (!g->mark.file || strcmp(g->mark.file, file) != 0 || g->mark.line != line ||
	    g->mark.col != col || strcmp(g->msg, msg) != 0)
		fail_msg("%s:\n got  %s:%u:%u: %s\n want %s:%u:%u: %s", what,
			 g->mark.file ? g->mark.file : "(null)", g->mark.line, g->mark.col, g->msg, file,
			 line, col, msg);
}

/* text made of prefix, open n times, leaf, close n times; caller frees */
static char *nest(const char *prefix, const char *open, size_t n, const char *leaf, const char *close)
{
	size_t lp = strlen(prefix), lo = strlen(open), ll = strlen(leaf), lc = strlen(close);
	char *s = malloc(lp + n * (lo + lc) + ll + 1), *p = s;

	assert_non_null(s);
	memcpy(p, prefix, lp);
	p += lp;
	for (size_t i = 0; i < n; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, leaf, ll);
	p += ll;
	for (size_t i = 0; i < n; i++, p += lc)
		memcpy(p, close, lc);
	*p = 0;
	return s;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* ---- YAML: hostile input first, while the process's peak memory is still low ---- */

/* 9 levels of 9 aliases: 9^9 (387 million) scalars once expanded. */
static void test_yaml_billion_laughs(void **state)
{
	(void)state;
	char text[2048];
	size_t o = 0;

	o += (size_t)snprintf(text + o, sizeof(text) - o, "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
	for (int i = 1; i <= 8; i++) {
		o += (size_t)snprintf(text + o, sizeof(text) - o, "l%d: &l%d [", i, i);
		for (int j = 0; j < 9; j++)
			o += (size_t)snprintf(text + o, sizeof(text) - o, "%s*l%d", j ? ", " : "", i - 1);
		o += (size_t)snprintf(text + o, sizeof(text) - o, "]\n");
	}
	assert_true(o < sizeof(text) - 1);

	long rss0 = maxrss_kib();
	double t0 = now();
	struct docs c;
	struct diags dg;
	assert_false(read_yaml(text, &c, &dg));
	double took = now() - t0;
	long grew = maxrss_kib() - rss0;

	assert_int_equal(c.n, 0);
	const struct diag *g = one_error(&dg, "billion laughs");
	assert_string_equal(g->msg, "aliases expand the document beyond its size limit");
	assert_string_equal(g->mark.file, YFILE);
	assert_in_range(g->mark.line, 1, 9);
	if (took > 2.0)
		fail_msg("billion laughs took %.2f s", took);
	if (grew > 64 * 1024)
		fail_msg("billion laughs grew the peak memory by %ld KiB", grew);
	diags_free(&dg);
}

/* One anchor of 1000 scalars referenced 1000 times: a million nodes from 6 KB. */
static void test_yaml_wide_alias_bomb(void **state)
{
	(void)state;
	char *text = malloc(16384), *p = text;

	assert_non_null(text);
	p += sprintf(p, "a: &a [");
	for (int i = 0; i < 1000; i++)
		p += sprintf(p, "%sx", i ? "," : "");
	p += sprintf(p, "]\nb: [");
	for (int i = 0; i < 1000; i++)
		p += sprintf(p, "%s*a", i ? "," : "");
	sprintf(p, "]\n");

	double t0 = now();
	struct docs c;
	struct diags dg;
	assert_false(read_yaml(text, &c, &dg));
	assert_int_equal(c.n, 0);
	const struct diag *g = one_error(&dg, "wide alias bomb");
	assert_string_equal(g->msg, "aliases expand the document beyond its size limit");
	assert_int_equal(g->mark.line, 2);  /* at the alias that goes over */
	if (now() - t0 > 2.0)
		fail_msg("wide alias bomb took %.2f s", now() - t0);
	diags_free(&dg);
	free(text);
}

/* Few nodes but a big scalar: the copy is bounded by bytes too (10 x the input + 1 MiB). */
static void test_yaml_text_alias_bomb(void **state)
{
	(void)state;
	enum { SCALAR = 100000, ALIASES = 200 };
	char *text = malloc(SCALAR + 16 * ALIASES + 64), *p = text;

	assert_non_null(text);
	p += sprintf(p, "a: &a \"");
	memset(p, 'x', SCALAR);
	p += SCALAR;
	p += sprintf(p, "\"\nb: [");
	for (int i = 0; i < ALIASES; i++)
		p += sprintf(p, "%s*a", i ? "," : "");
	sprintf(p, "]\n");

	struct docs c;
	struct diags dg;
	assert_false(read_yaml(text, &c, &dg));
	assert_int_equal(c.n, 0);
	const struct diag *g = one_error(&dg, "text alias bomb");
	assert_string_equal(g->msg, "aliases expand the document beyond its size limit");
	assert_int_equal(g->mark.line, 2);  /* at the alias that goes over */
	diags_free(&dg);
	free(text);
}

/*
 * libyaml's scanner costs O(open flow collections) per token: a line of 40 000
 * '[' used to take seconds. The reader must refuse it without scanning it all.
 */
static void test_yaml_deep_nesting_is_cheap(void **state)
{
	(void)state;
	static const struct {
		const char *open, *close;
		uint32_t col; /* of the first node too deep */
	} rows[] = {
		{ "[", "]", DOC_MAX_DEPTH + 2 },
		{ "{a: ", "}", 4 * (DOC_MAX_DEPTH) + 2 }, /* the key a of the 65th map */
		{ "- ", "", 2 * DOC_MAX_DEPTH + 3 },
	};
	for (size_t i = 0; i < N(rows); i++) {
		char *text = nest("", rows[i].open, 1000000, "x", rows[i].close);
		struct docs c;
		struct diags dg;
		double t0 = now();
		assert_false(read_yaml(text, &c, &dg));
		double took = now() - t0;
		assert_int_equal(c.n, 0);
		expect_diag(one_error(&dg, rows[i].open), rows[i].open, YFILE, 1, rows[i].col,
			    "document nested too deeply");
		if (took > 1.0)
			fail_msg("%s x 1000000 took %.2f s", rows[i].open, took);
		diags_free(&dg);
		free(text);
	}
}

/* ---- YAML: marks ---- */

static const char service_yaml[] = "apiVersion: v1\n"          /* 1 */
				   "kind: Service\n"           /* 2 */
				   "metadata:\n"               /* 3 */
				   "  name: web\n"             /* 4 */
				   "  labels: {app: \"web\"}\n" /* 5 */
				   "spec:\n"                   /* 6 */
				   "  ports:\n"                /* 7 */
				   "  - name: http\n"          /* 8 */
				   "    port: 80\n"            /* 9 */
				   "  - port: 443\n"           /* 10 */
				   "    name: 'https'\n"       /* 11 */
				   "  empty:\n"                /* 12 */
				   "  tail: ~\n";              /* 13 */

static void test_yaml_marks(void **state)
{
	(void)state;
	struct doc *d = yaml_one(service_yaml);
	const struct doc_node *r = d->root;

	assert_string_equal(d->file, YFILE);
	assert_int_equal(r->type, DOC_MAP);
	assert_int_equal(r->map.n, 4);
	expect_mark(r, "root", 1, 1);
	assert_ptr_equal(r->mark.file, d->file);

	/* keys in the order written, each with its own mark */
	static const char *const keys[] = { "apiVersion", "kind", "metadata", "spec" };
	static const uint32_t key_lines[] = { 1, 2, 3, 6 };
	for (size_t i = 0; i < N(keys); i++) {
		expect_scalar(r->map.v[i].key, keys[i], keys[i], false);
		expect_mark(r->map.v[i].key, keys[i], key_lines[i], 1);
	}

	expect_scalar(at(r, "apiVersion"), "apiVersion", "v1", false);
	expect_mark(at(r, "apiVersion"), "apiVersion", 1, 13);
	expect_mark(at(r, "kind"), "kind", 2, 7);
	expect_mark(at(r, "metadata"), "metadata", 4, 3);
	expect_mark(at(r, "metadata.name"), "metadata.name", 4, 9);
	expect_mark(at(r, "metadata.labels"), "metadata.labels", 5, 11);
	expect_mark(at(r, "metadata.labels")->map.v[0].key, "labels key", 5, 12);
	expect_scalar(at(r, "metadata.labels.app"), "labels.app", "web", true);
	expect_mark(at(r, "metadata.labels.app"), "labels.app", 5, 17);
	expect_mark(at(r, "spec"), "spec", 7, 3);

	const struct doc_node *ports = at(r, "spec.ports");
	assert_int_equal(ports->type, DOC_SEQ);
	assert_int_equal(ports->seq.n, 2);
	expect_mark(ports, "ports", 8, 3);
	expect_mark(at(r, "spec.ports[0]"), "ports[0]", 8, 5);
	expect_scalar(at(r, "spec.ports[0].name"), "ports[0].name", "http", false);
	expect_mark(at(r, "spec.ports[0].name"), "ports[0].name", 8, 11);
	expect_scalar(at(r, "spec.ports[0].port"), "ports[0].port", "80", false);
	expect_mark(at(r, "spec.ports[0].port"), "ports[0].port", 9, 11);
	expect_mark(at(r, "spec.ports[1]"), "ports[1]", 10, 5);
	expect_mark(at(r, "spec.ports[1].port"), "ports[1].port", 10, 11);
	expect_scalar(at(r, "spec.ports[1].name"), "ports[1].name", "https", true);
	expect_mark(at(r, "spec.ports[1].name"), "ports[1].name", 11, 11);
	assert_ptr_equal(at(r, "spec.ports[1].name")->mark.file, d->file);

	/* an empty value and ~ are null nodes, still with a place */
	assert_int_equal(at(r, "spec.empty")->type, DOC_NULL);
	expect_mark(at(r, "spec.empty"), "spec.empty", 12, 9);
	assert_int_equal(at(r, "spec.tail")->type, DOC_NULL);
	expect_mark(at(r, "spec.tail"), "spec.tail", 13, 9);
	doc_free(d);
}

/* ---- YAML: streams ---- */

struct stream_row {
	const char *name;
	const char *text;
	size_t ndocs;
	const char *first_key[3]; /* of each document's root map; NULL: not a map */
	uint32_t root_line[3];
};

static const struct stream_row stream_rows[] = {
	{ "empty input", "", 0, { 0 }, { 0 } },
	{ "only a comment", "# nothing here\n", 0, { 0 }, { 0 } },
	{ "only a marker", "---\n", 0, { 0 }, { 0 } },
	{ "only markers", "---\n---\n...\n---\n", 0, { 0 }, { 0 } },
	{ "null documents", "---\n~\n---\nnull\n---\n# c\n", 0, { 0 }, { 0 } },
	{ "one document, no marker", "a: 1\n", 1, { "a" }, { 1 } },
	{ "one document after a marker", "# head\n---\na: 1\n", 1, { "a" }, { 3 } },
	{ "two documents", "a: 1\n---\nb: 2\n", 2, { "a", "b" }, { 1, 3 } },
	{ "explicit ends", "---\na: 1\n...\n---\nb: 2\n...\n", 2, { "a", "b" }, { 2, 5 } },
	{ "empty documents skipped", "a: 1\n---\n---\n# only a comment\n---\n---\nc: 3\n---\n", 2,
	  { "a", "c" }, { 1, 7 } },
	{ "three, not all maps", "- 1\n---\nx\n---\nk: v\n", 3, { NULL, NULL, "k" }, { 1, 3, 5 } },
};

static void test_yaml_streams(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(stream_rows); i++) {
		const struct stream_row *row = &stream_rows[i];
		struct docs c;
		struct diags dg;
		bool ok = read_yaml(row->text, &c, &dg);
		if (!ok || dg.n) {
			diags_print(&dg, stderr);
			fail_msg("%s: ok=%d, %zu diagnostics", row->name, ok, dg.n);
		}
		if (c.n != row->ndocs)
			fail_msg("%s: %zu documents, want %zu", row->name, c.n, row->ndocs);
		for (size_t j = 0; j < c.n; j++) {
			const struct doc_node *root = c.v[j]->root;
			assert_non_null(root);
			assert_int_not_equal(root->type, DOC_NULL);
			if (row->first_key[j]) {
				assert_int_equal(root->type, DOC_MAP);
				expect_scalar(root->map.v[0].key, row->name, row->first_key[j], false);
			} else {
				assert_int_not_equal(root->type, DOC_MAP);
			}
			if (root->mark.line != row->root_line[j])
				fail_msg("%s: document %zu at line %u, want %u", row->name, j, root->mark.line,
					 row->root_line[j]);
			assert_string_equal(c.v[j]->file, YFILE);
		}
		docs_free(&c);
		diags_free(&dg);
	}
}

static void test_yaml_documents_around_errors(void **state)
{
	(void)state;
	struct docs c;
	struct diags dg;

	/* a syntax error ends the stream; the documents before it are handed out */
	assert_false(read_yaml("a: 1\n---\nb: 2\n---\nc: [\n---\nd: 4\n", &c, &dg));
	assert_int_equal(c.n, 2);
	expect_scalar(c.v[0]->root->map.v[0].key, "doc 0", "a", false);
	expect_scalar(c.v[1]->root->map.v[0].key, "doc 1", "b", false);
	expect_diag(one_error(&dg, "syntax error in doc 2"), "syntax error in doc 2", YFILE, 6, 1,
		    "invalid YAML: while parsing a flow node (at line 6): did not find expected node content");
	docs_free(&c);
	diags_free(&dg);

	/* a document refused after parsing does not stop the ones after it */
	assert_false(read_yaml("a: 1\n---\nb: 1\nb: 2\n---\nc: 3\n", &c, &dg));
	assert_int_equal(c.n, 2);
	expect_scalar(c.v[0]->root->map.v[0].key, "doc 0", "a", false);
	expect_scalar(c.v[1]->root->map.v[0].key, "doc 2", "c", false);
	expect_diag(one_error(&dg, "duplicate in doc 1"), "duplicate in doc 1", YFILE, 4, 1,
		    "map key \"b\" already defined at line 3");
	docs_free(&c);
	diags_free(&dg);

	/* too deep a document: those before it are still read */
	char *deep = nest("a: 1\n---\nb: ", "[", DOC_MAX_DEPTH + 5, "x", "]");
	assert_false(read_yaml(deep, &c, &dg));
	assert_int_equal(c.n, 1);
	expect_scalar(c.v[0]->root->map.v[0].key, "doc 0", "a", false);
	expect_diag(one_error(&dg, "deep doc 1"), "deep doc 1", YFILE, 3, DOC_MAX_DEPTH + 4,
		    "document nested too deeply");
	docs_free(&c);
	diags_free(&dg);
	free(deep);
}

/* ---- YAML: errors ---- */

struct error_row {
	const char *name;
	const char *text;
	uint32_t line, col;
	const char *msg;
};

static const struct error_row syntax_rows[] = {
	{ "mapping in a plain scalar", "a: b: c\n", 1, 5,
	  "invalid YAML: mapping values are not allowed in this context" },
	{ "unclosed flow sequence", "a: [1, 2\n", 2, 1,
	  "invalid YAML: while parsing a flow sequence (at line 1): did not find expected ',' or ']'" },
	{ "tab indentation", "a:\n\tb: 1\n", 2, 1,
	  "invalid YAML: while scanning for the next token (at line 2): found character that cannot start any token" },
	{ "unterminated quote", "key: 'unterminated\n", 2, 1,
	  "invalid YAML: while scanning a quoted scalar (at line 1): found unexpected end of stream" },
	{ "undefined alias", "a: 1\nb: *nope\n", 2, 4, "invalid YAML: found undefined alias" },
	{ "list then map", "- a\nb: c\n", 2, 1,
	  "invalid YAML: while parsing a block collection (at line 1): did not find expected '-' indicator" },
	{ "stray closing brace", "a: {b: 1}}\n", 1, 10,
	  "invalid YAML: while parsing a block mapping (at line 1): did not find expected key" },
	{ "bad indentation", "a:\n  b: 1\n c: 2\n", 3, 2,
	  "invalid YAML: while parsing a block mapping (at line 1): did not find expected key" },
	{ "reserved indicator", "a: b\n@c\n", 2, 1,
	  "invalid YAML: while scanning for the next token (at line 2): found character that cannot start any token" },
	{ "anchor defined twice", "x: &a 1\ny: &a 2\n", 2, 4,
	  "invalid YAML: found duplicate anchor; first occurrence (at line 1): second occurrence" },
};

static void test_yaml_syntax_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(syntax_rows); i++) {
		const struct error_row *row = &syntax_rows[i];
		struct docs c;
		struct diags dg;
		if (read_yaml(row->text, &c, &dg))
			fail_msg("%s: accepted", row->name);
		assert_int_equal(c.n, 0);
		const struct diag *g = one_error(&dg, row->name);
		assert_memory_equal(g->msg, "invalid YAML", 12);
		expect_diag(g, row->name, YFILE, row->line, row->col, row->msg);
		char buf[512], want[512];
		diag_format(g, buf, sizeof(buf));
		snprintf(want, sizeof(want), "%s:%u:%u: error: %s", YFILE, row->line, row->col, row->msg);
		assert_string_equal(buf, want);
		diags_free(&dg);
	}
}

static const struct error_row refused_rows[] = {
	/* duplicate keys: at the second, naming the first's line */
	{ "duplicate key", "a: 1\nb: 2\na: 3\n", 3, 1, "map key \"a\" already defined at line 1" },
	{ "duplicate nested key", "x:\n  k: 1\n  j: 2\n  k: 3\n", 4, 3, "map key \"k\" already defined at line 2" },
	{ "duplicate key, quoted", "a: 1\n'a': 2\n", 2, 1, "map key \"a\" already defined at line 1" },
	{ "duplicate key in a flow map", "{b: 1, a: 2, b: 3}\n", 1, 14, "map key \"b\" already defined at line 1" },
	{ "three times", "a: 1\na: 2\na: 3\n", 2, 1, "map key \"a\" already defined at line 1" },
	{ "duplicate in a list item", "- {k: 1}\n- {k: 1, j: 2, k: 3}\n", 2, 16,
	  "map key \"k\" already defined at line 2" },
	{ "duplicate null-looking key", "\"~\": 1\n'~': 2\n", 2, 1, "map key \"~\" already defined at line 1" },
	/* non-scalar and null keys */
	{ "list as a key", "? [a, b]\n: 1\n", 1, 3, "map keys must be strings" },
	{ "map as a key", "? {a: 1}\n: x\n", 1, 3, "map keys must be strings" },
	{ "flow list as an implicit key", "[a]: 1\n", 1, 1, "map keys must be strings" },
	{ "nested list key", "outer:\n  ? [x]\n  : 1\n", 2, 5, "map keys must be strings" },
	{ "null key", "~: 1\n", 1, 1, "map keys must be strings" },
	{ "empty key", "a: 1\n? \n: 2\n", 2, 2, "map keys must be strings" },
	/* aliases that refer to themselves */
	{ "list containing itself", "a: &x [*x]\n", 1, 8, "an alias refers to the node that contains it" },
	{ "map containing itself", "&x {a: *x}\n", 1, 8, "an alias refers to the node that contains it" },
	{ "block map containing itself", "a: &x\n  b: 1\n  c: *x\n", 3, 6,
	  "an alias refers to the node that contains it" },
};

static void test_yaml_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(refused_rows); i++) {
		const struct error_row *row = &refused_rows[i];
		struct docs c;
		struct diags dg;
		if (read_yaml(row->text, &c, &dg))
			fail_msg("%s: accepted", row->name);
		if (c.n)
			fail_msg("%s: %zu documents handed out", row->name, c.n);
		expect_diag(one_error(&dg, row->name), row->name, YFILE, row->line, row->col, row->msg);
		diags_free(&dg);
	}
}

static void test_yaml_quoted_keys_accepted(void **state)
{
	(void)state;
	/* a quoted "~" or "" is a string key; a key with a NUL byte keeps its length */
	struct doc *d = yaml_one("\"~\": 1\n\"\": 2\n\"a\\0b\": 3\na: 4\n");
	const struct doc_node *r = d->root;

	assert_int_equal(r->map.n, 4);
	expect_scalar(r->map.v[0].key, "~ key", "~", true);
	expect_scalar(r->map.v[1].key, "empty key", "", true);
	assert_int_equal(r->map.v[2].key->scalar.len, 3);
	assert_memory_equal(r->map.v[2].key->scalar.text, "a\0b", 4);
	expect_scalar(doc_map_get(r, "~"), "value of ~", "1", false);
	expect_scalar(doc_map_get(r, ""), "value of empty", "2", false);
	expect_scalar(doc_map_get(r, "a"), "value of a", "4", false); /* not "a\0b" */
	assert_null(doc_map_get(r, "b"));
	doc_free(d);
}

static void test_yaml_aliases(void **state)
{
	(void)state;
	struct doc *d = yaml_one("base: &b\n"
				 "  x: 1\n"
				 "  y: [2, 3]\n"
				 "copy: *b\n"
				 "name: &n hello\n"
				 "again: *n\n"
				 "list: [*n, *n]\n");
	const struct doc_node *r = d->root, *base = at(r, "base"), *copy = at(r, "copy");

	assert_int_equal(copy->type, DOC_MAP);
	assert_int_equal(copy->map.n, 2);
	assert_ptr_not_equal(copy, base); /* expanded: a copy, not a shared node */
	expect_scalar(at(copy, "x"), "copy.x", "1", false);
	assert_int_equal(at(copy, "y")->seq.n, 2);
	expect_scalar(at(copy, "y[0]"), "copy.y[0]", "2", false);
	expect_scalar(at(copy, "y[1]"), "copy.y[1]", "3", false);
	/* a copy keeps the place of what it copies */
	expect_mark(copy, "copy", 1, 7);
	expect_mark(at(copy, "x"), "copy.x", 2, 6);
	expect_mark(at(r, "base.x"), "base.x", 2, 6);

	expect_scalar(at(r, "again"), "again", "hello", false);
	expect_scalar(at(r, "list[0]"), "list[0]", "hello", false);
	expect_scalar(at(r, "list[1]"), "list[1]", "hello", false);
	expect_mark(at(r, "list[1]"), "list[1]", 5, 7);
	doc_free(d);

	/* nested aliases within the budget: 5 levels of 5 is 3125 scalars */
	char text[1024];
	size_t o = (size_t)snprintf(text, sizeof(text), "l0: &l0 [a, b, c, d, e]\n");
	for (int i = 1; i <= 4; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d]\n", i,
				      i, i - 1, i - 1, i - 1, i - 1, i - 1);
	d = yaml_one(text);
	const struct doc_node *n = at(d->root, "l4");
	size_t leaves = 1;
	while (n->type == DOC_SEQ) {
		assert_int_equal(n->seq.n, 5);
		leaves *= n->seq.n;
		n = n->seq.v[4];
	}
	assert_int_equal(leaves, 3125);
	expect_scalar(n, "l4[4][4][4][4][4]", "e", false);
	doc_free(d);
}

static void test_yaml_anchor_limit(void **state)
{
	(void)state;
	size_t cap = (DOC_MAX_ANCHORS + 1) * 32 * 2 + 64, o;
	char *text = malloc(cap);
	assert_non_null(text);

	/* DOC_MAX_ANCHORS in each of two documents: fine */
	o = 0;
	for (int doc = 0; doc < 2; doc++) {
		o += (size_t)snprintf(text + o, cap - o, "---\n");
		for (int i = 0; i < DOC_MAX_ANCHORS; i++)
			o += (size_t)snprintf(text + o, cap - o, "- &a%d %d\n", i, i);
	}
	struct docs c;
	struct diags dg;
	assert_true(read_yaml(text, &c, &dg));
	assert_int_equal(dg.n, 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.v[1]->root->seq.n, DOC_MAX_ANCHORS);
	docs_free(&c);
	diags_free(&dg);

	/* one more: refused at the anchor too many */
	o = (size_t)snprintf(text, cap, "k: v\n---\n");
	for (int i = 0; i <= DOC_MAX_ANCHORS; i++)
		o += (size_t)snprintf(text + o, cap - o, "- &a%d %d\n", i, i);
	assert_false(read_yaml(text, &c, &dg));
	assert_int_equal(c.n, 1);
	char msg[128];
	snprintf(msg, sizeof(msg), "a document may define at most %d anchors", DOC_MAX_ANCHORS);
	expect_diag(one_error(&dg, "anchors"), "anchors", YFILE, DOC_MAX_ANCHORS + 3, 3, msg);
	docs_free(&c);
	diags_free(&dg);
	free(text);
}

/*
 * Depth: the root is at depth 0 and no node may be deeper than DOC_MAX_DEPTH.
 * Map keys are nodes one level below their map, like the values.
 */
static void test_yaml_depth_limit(void **state)
{
	(void)state;
	static const struct {
		const char *open, *leaf, *close;
		size_t ok; /* the most that may be nested */
	} rows[] = {
		{ "[", "", "]", DOC_MAX_DEPTH + 1 },  /* the innermost list at depth DOC_MAX_DEPTH */
		{ "[", "x", "]", DOC_MAX_DEPTH },     /* the scalar at depth DOC_MAX_DEPTH */
		{ "{a: ", "1", "}", DOC_MAX_DEPTH },  /* key and value at depth DOC_MAX_DEPTH */
		{ "- ", "x", "", DOC_MAX_DEPTH },
	};
	for (size_t i = 0; i < N(rows); i++) {
		for (size_t extra = 0; extra < 2; extra++) {
			char *text = nest("", rows[i].open, rows[i].ok + extra, rows[i].leaf, rows[i].close);
			struct docs c;
			struct diags dg;
			bool ok = read_yaml(text, &c, &dg);
			if (ok != !extra || dg.n != extra || c.n != !extra) {
				diags_print(&dg, stderr);
				fail_msg("%s x %zu: ok=%d docs=%zu", rows[i].open, rows[i].ok + extra, ok, c.n);
			}
			if (extra)
				assert_string_equal(dg.v[0].msg, "document nested too deeply");
			docs_free(&c);
			diags_free(&dg);
			free(text);
		}
	}

	/* aliases can nest deeper than the text does */
	char *inner = nest("x: &a ", "[", 40, "1", "]");
	char *text = nest(inner, "\ny: ", 1, "", "");
	free(inner);
	char *full = nest(text, "[", 40, "*a", "]");
	free(text);
	struct docs c;
	struct diags dg;
	assert_false(read_yaml(full, &c, &dg));
	assert_int_equal(c.n, 0);
	/* y's list is at depth 1, *a at 41, so x's 25th '[' would land at 65: refused at the alias */
	expect_diag(one_error(&dg, "alias depth"), "alias depth", YFILE, 2, 44, "document nested too deeply");
	diags_free(&dg);
	free(full);
}

static void test_yaml_file_size(void **state)
{
	(void)state;
	size_t len = DOC_MAX_FILE_SIZE;
	char *buf = malloc(len + 1);
	assert_non_null(buf);

	/* exactly the limit: read */
	memcpy(buf, "a: 1\n#", 6);
	memset(buf + 6, 'x', len - 7);
	buf[len - 1] = '\n';
	struct docs c = { 0 };
	struct diags dg;
	diags_init(&dg);
	assert_true(doc_read_yaml("big.yaml", buf, len, &dg, collect, &c));
	assert_int_equal(dg.n, 0);
	assert_int_equal(c.n, 1);
	docs_free(&c);

	/* one byte more: refused before parsing */
	buf[len] = '\n';
	assert_false(doc_read_yaml("big.yaml", buf, len + 1, &dg, collect, &c));
	assert_int_equal(c.n, 0);
	expect_diag(one_error(&dg, "too big"), "too big", "big.yaml", 0, 0, "file larger than 16777216 bytes");
	char line[256];
	diag_format(&dg.v[0], line, sizeof(line));
	assert_string_equal(line, "big.yaml: error: file larger than 16777216 bytes");
	diags_free(&dg);
	free(buf);
}

/* ---- scalar resolution ---- */

struct scalar_row {
	const char *yaml; /* the value, as written after "v: " */
	enum doc_type type;
	const char *text; /* for scalars */
	bool quoted;
	enum doc_scalar_kind kind;
};

#define PLAIN(s, k) { s, DOC_SCALAR, s, false, k }
#define NUL_(s) { s, DOC_NULL, NULL, false, DSK_NULL }

static const struct scalar_row scalar_rows[] = {
	/* null */
	NUL_(""), NUL_("~"), NUL_("null"), NUL_("Null"), NUL_("NULL"), NUL_("# just a comment"),
	PLAIN("nULL", DSK_STRING), PLAIN("none", DSK_STRING), PLAIN("nil", DSK_STRING), PLAIN("~~", DSK_STRING),
	/* booleans (YAML 1.1) */
	PLAIN("true", DSK_BOOL), PLAIN("True", DSK_BOOL), PLAIN("TRUE", DSK_BOOL),
	PLAIN("false", DSK_BOOL), PLAIN("False", DSK_BOOL), PLAIN("FALSE", DSK_BOOL),
	PLAIN("yes", DSK_BOOL), PLAIN("Yes", DSK_BOOL), PLAIN("YES", DSK_BOOL),
	PLAIN("no", DSK_BOOL), PLAIN("No", DSK_BOOL), PLAIN("NO", DSK_BOOL),
	PLAIN("on", DSK_BOOL), PLAIN("On", DSK_BOOL), PLAIN("ON", DSK_BOOL),
	PLAIN("off", DSK_BOOL), PLAIN("Off", DSK_BOOL), PLAIN("OFF", DSK_BOOL),
	PLAIN("y", DSK_BOOL), PLAIN("Y", DSK_BOOL), PLAIN("n", DSK_BOOL), PLAIN("N", DSK_BOOL),
	PLAIN("tRUE", DSK_STRING), PLAIN("yES", DSK_STRING), PLAIN("oN", DSK_STRING), PLAIN("t", DSK_STRING),
	PLAIN("f", DSK_STRING), PLAIN("enabled", DSK_STRING), PLAIN("yes please", DSK_STRING),
	/* integers */
	PLAIN("0", DSK_INT), PLAIN("123", DSK_INT), PLAIN("-5", DSK_INT), PLAIN("+7", DSK_INT),
	PLAIN("0x1F", DSK_INT), PLAIN("0X1f", DSK_INT), PLAIN("0o17", DSK_INT), PLAIN("0b101", DSK_INT),
	PLAIN("1_000", DSK_INT), PLAIN("-0x1F", DSK_INT), PLAIN("010", DSK_INT), PLAIN("08", DSK_FLOAT),
	PLAIN("_1", DSK_STRING), PLAIN("9223372036854775807", DSK_INT),
	PLAIN("9223372036854775808", DSK_INT), PLAIN("99999999999999999999", DSK_INT),
	/* floats */
	PLAIN("1.5", DSK_FLOAT), PLAIN("-1.5", DSK_FLOAT), PLAIN("1e3", DSK_FLOAT), PLAIN("1E3", DSK_FLOAT),
	PLAIN("-1.5e-3", DSK_FLOAT), PLAIN("6.02e+23", DSK_FLOAT), PLAIN(".5", DSK_FLOAT), PLAIN("1.", DSK_FLOAT),
	PLAIN("1_000.5", DSK_FLOAT), PLAIN(".inf", DSK_FLOAT), PLAIN(".Inf", DSK_FLOAT), PLAIN("-.inf", DSK_FLOAT),
	PLAIN("+.INF", DSK_FLOAT), PLAIN(".nan", DSK_FLOAT), PLAIN(".NaN", DSK_FLOAT),
	/* strings that look a little like numbers */
	PLAIN("192.0.2.1", DSK_STRING), PLAIN("65535:65282", DSK_STRING), PLAIN("1.2.3", DSK_STRING),
	PLAIN("10.0.0.0/8", DSK_STRING), PLAIN("2001:db8::1", DSK_STRING), PLAIN("1e", DSK_STRING),
	PLAIN("1e3.5", DSK_STRING), PLAIN("0x", DSK_STRING), PLAIN("0xG1", DSK_STRING), PLAIN("0b102", DSK_STRING),
	PLAIN("12abc", DSK_STRING), PLAIN("inf", DSK_STRING), PLAIN("nan", DSK_STRING), PLAIN(".", DSK_STRING),
	PLAIN("+", DSK_STRING), PLAIN("_1", DSK_STRING), PLAIN("1-2", DSK_STRING), PLAIN("10s", DSK_STRING),
	PLAIN("web", DSK_STRING), PLAIN("hello world", DSK_STRING),
	/* any quoted or block scalar is a string */
	{ "\"true\"", DOC_SCALAR, "true", true, DSK_STRING },
	{ "'yes'", DOC_SCALAR, "yes", true, DSK_STRING },
	{ "\"123\"", DOC_SCALAR, "123", true, DSK_STRING },
	{ "'1.5'", DOC_SCALAR, "1.5", true, DSK_STRING },
	{ "\"~\"", DOC_SCALAR, "~", true, DSK_STRING },
	{ "'null'", DOC_SCALAR, "null", true, DSK_STRING },
	{ "\"\"", DOC_SCALAR, "", true, DSK_STRING },
	{ "''", DOC_SCALAR, "", true, DSK_STRING },
	{ "\"0x1F\"", DOC_SCALAR, "0x1F", true, DSK_STRING },
	{ "'.inf'", DOC_SCALAR, ".inf", true, DSK_STRING },
	{ "|\n  true", DOC_SCALAR, "true\n", true, DSK_STRING },
	{ ">-\n  42", DOC_SCALAR, "42", true, DSK_STRING },
};

static void test_scalar_kind(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(scalar_rows); i++) {
		const struct scalar_row *row = &scalar_rows[i];
		char text[128];
		snprintf(text, sizeof(text), "k: x\nv: %s\n", row->yaml);
		struct doc *d = yaml_one(text);
		const struct doc_node *n = at(d->root, "v");
		if (n->type != row->type)
			fail_msg("%s: type %d, want %d", row->yaml, n->type, row->type);
		if (row->type == DOC_SCALAR)
			expect_scalar(n, row->yaml, row->text, row->quoted);
		enum doc_scalar_kind k = doc_scalar_kind(n);
		if (k != row->kind)
			fail_msg("%s: kind %d, want %d", row->yaml, k, row->kind);
		doc_free(d);
	}
}

struct int_row {
	const char *text;
	bool ok;
	int64_t v;
};

static const struct int_row int_rows[] = {
	{ "0", true, 0 },
	{ "-0", true, 0 },
	{ "123", true, 123 },
	{ "-5", true, -5 },
	{ "+7", true, 7 },
	{ "0x1F", true, 31 },
	{ "0X1f", true, 31 },
	{ "-0x1F", true, -31 },
	{ "0o17", true, 15 },
	{ "0O17", true, 15 },
	{ "0b101", true, 5 },
	{ "010", true, 8 },
	{ "-017", true, -15 },
	{ "1_000", true, 1000 },
	{ "1_000_000", true, 1000000 },
	{ "0x7FFF_FFFF", true, 0x7FFFFFFF },
	{ "9223372036854775807", true, INT64_MAX },
	{ "-9223372036854775808", true, INT64_MIN },
	{ "0x7FFFFFFFFFFFFFFF", true, INT64_MAX },
	{ "-0x8000000000000000", true, INT64_MIN },
	{ "9223372036854775808", false, 0 },
	{ "-9223372036854775809", false, 0 },
	{ "0x8000000000000000", false, 0 },
	{ "18446744073709551616", false, 0 },
	{ "99999999999999999999999999", false, 0 },
	{ "0b1000000000000000000000000000000000000000000000000000000000000000", false, 0 },
};

static void test_scalar_int(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(int_rows); i++) {
		const struct int_row *row = &int_rows[i];
		char text[128];
		snprintf(text, sizeof(text), "v: %s\n", row->text);
		struct doc *d = yaml_one(text);
		const struct doc_node *n = at(d->root, "v");
		if (doc_scalar_kind(n) != DSK_INT)
			fail_msg("%s: kind %d, want an integer", row->text, doc_scalar_kind(n));
		int64_t v = 12345;
		bool ok = doc_scalar_int(n, &v);
		if (ok != row->ok)
			fail_msg("%s: doc_scalar_int returned %d, want %d", row->text, ok, row->ok);
		if (ok && v != row->v)
			fail_msg("%s: %lld, want %lld", row->text, (long long)v, (long long)row->v);
		doc_free(d);
	}
}

static void test_scalar_bool(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		bool v;
	} rows[] = {
		{ "true", true },  { "True", true },   { "TRUE", true },   { "yes", true },  { "Yes", true },
		{ "YES", true },   { "on", true },     { "On", true },     { "ON", true },   { "y", true },
		{ "Y", true },     { "false", false }, { "False", false }, { "FALSE", false }, { "no", false },
		{ "No", false },   { "NO", false },    { "off", false },   { "Off", false }, { "OFF", false },
		{ "n", false },    { "N", false },
	};
	for (size_t i = 0; i < N(rows); i++) {
		char text[64];
		snprintf(text, sizeof(text), "v: %s\n", rows[i].text);
		struct doc *d = yaml_one(text);
		const struct doc_node *n = at(d->root, "v");
		if (doc_scalar_kind(n) != DSK_BOOL)
			fail_msg("%s: not a boolean", rows[i].text);
		if (doc_scalar_bool(n) != rows[i].v)
			fail_msg("%s: %d, want %d", rows[i].text, doc_scalar_bool(n), rows[i].v);
		doc_free(d);
	}
}

static void test_type_name_and_lookup(void **state)
{
	(void)state;
	struct doc *d = yaml_one("m: {a: 1}\nl: [1]\nz: ~\ni: 5\nf: 1.5\nb: no\ns: web\nq: '5'\n");
	static const struct {
		const char *key, *name;
	} rows[] = {
		{ "m", "a map" },    { "l", "a list" },   { "z", "null" },     { "i", "an integer" },
		{ "f", "a number" }, { "b", "a boolean" }, { "s", "a string" }, { "q", "a string" },
	};
	for (size_t i = 0; i < N(rows); i++)
		assert_string_equal(doc_type_name(at(d->root, rows[i].key)), rows[i].name);
	assert_string_equal(doc_type_name(NULL), "nothing");

	assert_null(doc_map_get(d->root, "missing"));
	assert_null(doc_map_get(d->root, "M"));
	assert_null(doc_map_get(at(d->root, "l"), "a")); /* not a map */
	assert_null(doc_map_get(NULL, "a"));
	assert_ptr_equal(doc_map_get(d->root, "m"), d->root->map.v[0].value);
	assert_true(doc_scalar_is(at(d->root, "s"), "web"));
	assert_false(doc_scalar_is(at(d->root, "s"), "we"));
	assert_false(doc_scalar_is(at(d->root, "s"), "webs"));
	assert_true(doc_scalar_is(at(d->root, "q"), "5"));
	assert_false(doc_scalar_is(at(d->root, "m"), "a"));
	assert_false(doc_scalar_is(at(d->root, "z"), ""));
	assert_false(doc_scalar_is(NULL, "x"));
	doc_free(d);
}

/* ---- JSON ---- */

static void test_json_tree(void **state)
{
	(void)state;
	struct doc *d = json_one("{\"metadata\": {\"name\": \"web\", \"labels\": {\"app\": \"web\", \"on\": \"true\"}},\n"
				 " \"spec\": {\"v\": [80, \"http\", true, false, null, 1.5, -3, 100.0, 1e2, "
				 "-9223372036854775808, \"\", \"a\\u0000b\", \"5\"]},\n"
				 " \"e\": {}, \"l\": []}");
	const struct doc_node *r = d->root;

	assert_string_equal(d->file, JSRC);
	assert_int_equal(r->type, DOC_MAP);
	assert_int_equal(r->map.n, 4);
	static const char *const keys[] = { "metadata", "spec", "e", "l" };
	for (size_t i = 0; i < N(keys); i++) {
		expect_scalar(r->map.v[i].key, keys[i], keys[i], true); /* keys are strings */
		expect_mark(r->map.v[i].key, keys[i], 0, 0);
	}
	expect_scalar(at(r, "metadata.name"), "name", "web", true);
	expect_scalar(at(r, "metadata.labels.on"), "labels.on", "true", true);
	assert_int_equal(doc_scalar_kind(at(r, "metadata.labels.on")), DSK_STRING);
	assert_int_equal(at(r, "e")->type, DOC_MAP);
	assert_int_equal(at(r, "e")->map.n, 0);
	assert_int_equal(at(r, "l")->type, DOC_SEQ);
	assert_int_equal(at(r, "l")->seq.n, 0);

	static const struct {
		enum doc_type type;
		const char *text;
		size_t len;
		bool quoted;
		enum doc_scalar_kind kind;
	} v[] = {
		{ DOC_SCALAR, "80", 2, false, DSK_INT },
		{ DOC_SCALAR, "http", 4, true, DSK_STRING },
		{ DOC_SCALAR, "true", 4, false, DSK_BOOL },
		{ DOC_SCALAR, "false", 5, false, DSK_BOOL },
		{ DOC_NULL, NULL, 0, false, DSK_NULL },
		{ DOC_SCALAR, "1.5", 3, false, DSK_FLOAT },
		{ DOC_SCALAR, "-3", 2, false, DSK_INT },
		{ DOC_SCALAR, "100.0", 5, false, DSK_FLOAT },
		{ DOC_SCALAR, "100.0", 5, false, DSK_FLOAT },
		{ DOC_SCALAR, "-9223372036854775808", 20, false, DSK_INT },
		{ DOC_SCALAR, "", 0, true, DSK_STRING },
		{ DOC_SCALAR, "a\0b", 3, true, DSK_STRING },
		{ DOC_SCALAR, "5", 1, true, DSK_STRING },
	};
	const struct doc_node *seq = at(r, "spec.v");
	assert_int_equal(seq->type, DOC_SEQ);
	assert_int_equal(seq->seq.n, N(v));
	for (size_t i = 0; i < N(v); i++) {
		const struct doc_node *n = seq->seq.v[i];
		if (n->type != v[i].type)
			fail_msg("spec.v[%zu]: type %d, want %d", i, n->type, v[i].type);
		if (n->type == DOC_SCALAR) {
			if (n->scalar.len != v[i].len || memcmp(n->scalar.text, v[i].text, v[i].len) != 0)
				fail_msg("spec.v[%zu]: text \"%.*s\"", i, (int)n->scalar.len, n->scalar.text);
			if (n->scalar.quoted != v[i].quoted)
				fail_msg("spec.v[%zu]: quoted %d", i, n->scalar.quoted);
		}
		if (doc_scalar_kind(n) != v[i].kind)
			fail_msg("spec.v[%zu]: kind %d, want %d", i, doc_scalar_kind(n), v[i].kind);
		expect_mark(n, "JSON value", 0, 0);
		assert_ptr_equal(n->mark.file, d->file);
	}
	int64_t i64;
	assert_true(doc_scalar_int(seq->seq.v[0], &i64));
	assert_int_equal(i64, 80);
	assert_true(doc_scalar_int(seq->seq.v[9], &i64));
	assert_true(i64 == INT64_MIN);
	assert_true(doc_scalar_bool(seq->seq.v[2]));
	assert_false(doc_scalar_bool(seq->seq.v[3]));
	expect_mark(r, "root", 0, 0);
	assert_string_equal(r->mark.file, JSRC);
	doc_free(d);
}

static const struct error_row json_error_rows[] = {
	{ "duplicate key", "{\"a\": 1, \"a\": 2}", 1, 12, "invalid JSON: duplicate object key near '\"a\"'" },
	{ "nested duplicate key", "{\"m\": {\n  \"k\": 1,\n  \"k\": 2}}", 3, 5,
	  "invalid JSON: duplicate object key near '\"k\"'" },
	{ "missing value", "{\n  \"a\": 1,\n  \"b\": }", 3, 8, "invalid JSON: unexpected token near '}'" },
	{ "missing colon", "{\"a\" 1}", 1, 6, "invalid JSON: ':' expected near '1'" },
	{ "unclosed array", "[1,2", 1, 4, "invalid JSON: ']' expected near end of file" },
	{ "trailing garbage", "{\"a\": 1} x", 1, 10, "invalid JSON: end of file expected near 'x'" },
	{ "real overflow", "{\"a\":1e400}", 1, 10, "invalid JSON: real number overflow near '1e400'" },
	{ "integer overflow", "{\"a\":99999999999999999999}", 1, 25,
	  "invalid JSON: too big integer near '99999999999999999999'" },
	{ "a bare string", "\"x\"", 1, 3, "invalid JSON: '[' or '{' expected near '\"x\"'" },
};

static void test_json_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(json_error_rows); i++) {
		const struct error_row *row = &json_error_rows[i];
		struct docs c;
		struct diags dg;
		if (read_json(row->text, &c, &dg))
			fail_msg("%s: accepted", row->name);
		assert_int_equal(c.n, 0);
		expect_diag(one_error(&dg, row->name), row->name, JSRC, row->line, row->col, row->msg);
		diags_free(&dg);
	}

	/* an empty input */
	struct docs c;
	struct diags dg;
	assert_false(read_json("", &c, &dg));
	assert_int_equal(c.n, 0);
	assert_memory_equal(one_error(&dg, "empty")->msg, "invalid JSON: ", 14);
	diags_free(&dg);
}

static void test_json_depth_limit(void **state)
{
	(void)state;
	static const struct {
		const char *open, *leaf, *close;
		size_t ok;
	} rows[] = {
		{ "[", "", "]", DOC_MAX_DEPTH + 1 },
		{ "[", "1", "]", DOC_MAX_DEPTH },
		{ "{\"a\": ", "1", "}", DOC_MAX_DEPTH },
		{ "{\"a\": ", "{}", "}", DOC_MAX_DEPTH },
	};
	for (size_t i = 0; i < N(rows); i++) {
		for (size_t extra = 0; extra < 2; extra++) {
			char *text = nest("", rows[i].open, rows[i].ok + extra, rows[i].leaf, rows[i].close);
			struct docs c;
			struct diags dg;
			bool ok = read_json(text, &c, &dg);
			if (ok != !extra || dg.n != extra || c.n != !extra) {
				diags_print(&dg, stderr);
				fail_msg("%s x %zu: ok=%d docs=%zu", rows[i].open, rows[i].ok + extra, ok, c.n);
			}
			if (extra)
				expect_diag(&dg.v[0], rows[i].open, JSRC, 0, 0, "document nested too deeply");
			docs_free(&c);
			diags_free(&dg);
			free(text);
		}
	}

	/* very deep: refused (by jansson's own limit) quickly */
	char *text = nest("", "[", 1000000, "", "]");
	struct docs c;
	struct diags dg;
	double t0 = now();
	assert_false(read_json(text, &c, &dg));
	assert_true(now() - t0 < 1.0);
	assert_int_equal(c.n, 0);
	assert_memory_equal(one_error(&dg, "very deep")->msg, "invalid JSON: ", 14);
	diags_free(&dg);
	free(text);
}

static void test_json_size_limit(void **state)
{
	(void)state;
	size_t len = DOC_MAX_FILE_SIZE;
	char *buf = malloc(len + 1);
	assert_non_null(buf);

	memcpy(buf, "{\"a\": \"", 7);
	memset(buf + 7, 'x', len - 9);
	memcpy(buf + len - 2, "\"}", 2);
	struct docs c = { 0 };
	struct diags dg;
	diags_init(&dg);
	assert_true(doc_read_json(JSRC, buf, len, &dg, collect, &c));
	assert_int_equal(c.n, 1);
	assert_int_equal(at(c.v[0]->root, "a")->scalar.len, len - 9);
	docs_free(&c);

	buf[len] = ' ';
	assert_false(doc_read_json(JSRC, buf, len + 1, &dg, collect, &c));
	assert_int_equal(c.n, 0);
	expect_diag(one_error(&dg, "too big"), "too big", JSRC, 0, 0, "document larger than 16777216 bytes");
	diags_free(&dg);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: it measures the growth of the peak memory */
		cmocka_unit_test(test_yaml_billion_laughs),
		cmocka_unit_test(test_yaml_wide_alias_bomb),
		cmocka_unit_test(test_yaml_text_alias_bomb),
		cmocka_unit_test(test_yaml_deep_nesting_is_cheap),
		cmocka_unit_test(test_yaml_marks),
		cmocka_unit_test(test_yaml_streams),
		cmocka_unit_test(test_yaml_documents_around_errors),
		cmocka_unit_test(test_yaml_syntax_errors),
		cmocka_unit_test(test_yaml_refused),
		cmocka_unit_test(test_yaml_quoted_keys_accepted),
		cmocka_unit_test(test_yaml_aliases),
		cmocka_unit_test(test_yaml_anchor_limit),
		cmocka_unit_test(test_yaml_depth_limit),
		cmocka_unit_test(test_yaml_file_size),
		cmocka_unit_test(test_scalar_kind),
		cmocka_unit_test(test_scalar_int),
		cmocka_unit_test(test_scalar_bool),
		cmocka_unit_test(test_type_name_and_lookup),
		cmocka_unit_test(test_json_tree),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_json_depth_limit),
		cmocka_unit_test(test_json_size_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
