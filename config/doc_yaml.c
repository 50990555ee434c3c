/*
 * YAML stream -> document trees, through libyaml's document loader.
 *
 * libyaml resolves anchors into shared node indexes; copying them out expands
 * aliases, so the copy is bounded by a node budget (no "billion laughs") and a
 * depth limit (which also stops alias cycles). A first pass over the events
 * (precheck) refuses deep nesting and too many anchors before the loader runs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "doc.h"

#define STR_(x) #x
#define STR(x) STR_(x)

struct yconv {
	yaml_document_t *ydoc;
	struct doc *doc;
	struct diags *diags;
	size_t budget;        /* nodes the copy may still create */
	size_t text_budget;   /* scalar bytes it may still copy */
	bool failed;
};

static void conv_error(struct yconv *c, const yaml_mark_t *m, const char *msg)
{
	struct mark mk = { c->doc->file, (uint32_t)m->line + 1, (uint32_t)m->column + 1 };

	if (!c->failed)
		diag_add(c->diags, DIAG_ERROR, &mk, NULL, NULL, "%s", msg);
	c->failed = true;
}

static struct doc_node *conv_node(struct yconv *c, yaml_node_t *y, unsigned depth);

static struct doc_node *conv_scalar(struct yconv *c, yaml_node_t *y, struct doc_node *n)
{
	if (y->data.scalar.length > c->text_budget) {  /* a big scalar repeated through aliases */
		conv_error(c, &y->start_mark, "aliases expand the document beyond its size limit");
		return NULL;
	}
	c->text_budget -= y->data.scalar.length;
	n->type = DOC_SCALAR;
	n->scalar.len = y->data.scalar.length;
	n->scalar.text = arena_strndup(&c->doc->arena, (const char *)y->data.scalar.value,
				       y->data.scalar.length);
	n->scalar.quoted = y->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	if (!n->scalar.quoted && doc_scalar_kind(n) == DSK_NULL)
		n->type = DOC_NULL;
	return n;
}

static int key_cmp(const void *a, const void *b)
{
	const struct doc_node *x = ((const struct doc_pair *)a)->key;
	const struct doc_node *y = ((const struct doc_pair *)b)->key;
	size_t n = x->scalar.len < y->scalar.len ? x->scalar.len : y->scalar.len;
	int r = memcmp(x->scalar.text, y->scalar.text, n);
	if (r)
		return r;
	if (x->scalar.len != y->scalar.len)
		return x->scalar.len < y->scalar.len ? -1 : 1;
	return x->mark.line != y->mark.line ? (x->mark.line < y->mark.line ? -1 : 1)
					    : (x->mark.col < y->mark.col ? -1 : x->mark.col > y->mark.col);
}

/* Kubernetes refuses a map that names a key twice; so do we, pointing at the second. */
static void check_duplicate_keys(struct yconv *c, const struct doc_node *n)
{
	if (n->map.n < 2)
		return;
	struct doc_pair *sorted = malloc(n->map.n * sizeof(*sorted));
	if (!sorted)
		abort();
	memcpy(sorted, n->map.v, n->map.n * sizeof(*sorted));
	qsort(sorted, n->map.n, sizeof(*sorted), key_cmp);
	for (size_t i = 1; i < n->map.n; i++) {
		const struct doc_node *a = sorted[i - 1].key, *b = sorted[i].key;
		if (a->scalar.len == b->scalar.len &&
		    memcmp(a->scalar.text, b->scalar.text, a->scalar.len) == 0) {
			diag_add(c->diags, DIAG_ERROR, &b->mark, NULL, NULL,
				 "map key \"%.*s\" already defined at line %u", (int)a->scalar.len,
				 a->scalar.text, a->mark.line);
			c->failed = true;
			break;
		}
	}
	free(sorted);
}

static struct doc_node *conv_map(struct yconv *c, yaml_node_t *y, struct doc_node *n, unsigned depth)
{
	yaml_node_pair_t *p = y->data.mapping.pairs.start;
	size_t count = (size_t)(y->data.mapping.pairs.top - p);

	n->type = DOC_MAP;
	n->map.v = arena_calloc(&c->doc->arena, count, sizeof(*n->map.v));
	for (size_t i = 0; i < count && !c->failed; i++) {
		yaml_node_t *yk = yaml_document_get_node(c->ydoc, p[i].key);
		yaml_node_t *yv = yaml_document_get_node(c->ydoc, p[i].value);
		if (!yk || !yv || yk->type != YAML_SCALAR_NODE) {
			conv_error(c, yk ? &yk->start_mark : &y->start_mark, "map keys must be strings");
			break;
		}
		struct doc_node *k = conv_node(c, yk, depth + 1);
		struct doc_node *v = conv_node(c, yv, depth + 1);
		if (!k || !v)
			break;
		if (k->type != DOC_SCALAR) {  /* an unquoted null key such as "~:" */
			conv_error(c, &yk->start_mark, "map keys must be strings");
			break;
		}
		n->map.v[n->map.n++] = (struct doc_pair){ k, v };
	}
	if (!c->failed)
		check_duplicate_keys(c, n);
	return n;
}

static struct doc_node *conv_seq(struct yconv *c, yaml_node_t *y, struct doc_node *n, unsigned depth)
{
	yaml_node_item_t *it = y->data.sequence.items.start;
	size_t count = (size_t)(y->data.sequence.items.top - it);

	n->type = DOC_SEQ;
	n->seq.v = arena_calloc(&c->doc->arena, count, sizeof(*n->seq.v));
	for (size_t i = 0; i < count && !c->failed; i++) {
		yaml_node_t *yi = yaml_document_get_node(c->ydoc, it[i]);
		struct doc_node *v = yi ? conv_node(c, yi, depth + 1) : NULL;
		if (!v)
			break;
		n->seq.v[n->seq.n++] = v;
	}
	return n;
}

static struct doc_node *conv_node(struct yconv *c, yaml_node_t *y, unsigned depth)
{
	if (c->failed)
		return NULL;
	if (depth > DOC_MAX_DEPTH) {
		conv_error(c, &y->start_mark, "document nested too deeply (or an alias refers to itself)");
		return NULL;
	}
	if (c->budget == 0) {
		conv_error(c, &y->start_mark, "aliases expand the document beyond its size limit");
		return NULL;
	}
	c->budget--;

	struct doc_node *n = doc_node_new(c->doc, DOC_NULL, (uint32_t)y->start_mark.line + 1,
					  (uint32_t)y->start_mark.column + 1);
	switch (y->type) {
	case YAML_SCALAR_NODE:
		return conv_scalar(c, y, n);
	case YAML_MAPPING_NODE:
		return conv_map(c, y, n, depth);
	case YAML_SEQUENCE_NODE:
		return conv_seq(c, y, n, depth);
	case YAML_NO_NODE:
		break;
	}
	conv_error(c, &y->start_mark, "empty node");
	return NULL;
}

static void parser_error(const char *file, const yaml_parser_t *p, struct diags *diags)
{
	struct mark m = { file, (uint32_t)p->problem_mark.line + 1, (uint32_t)p->problem_mark.column + 1 };

	if (p->error == YAML_MEMORY_ERROR)
		diag_add(diags, DIAG_ERROR, &m, NULL, NULL, "out of memory reading YAML");
	else if (p->context)  /* libyaml's context comes first: "while parsing a flow sequence" */
		diag_add(diags, DIAG_ERROR, &m, NULL, NULL, "invalid YAML: %s (at line %zu): %s",
			 p->context, p->context_mark.line + 1, p->problem ? p->problem : "error");
	else
		diag_add(diags, DIAG_ERROR, &m, NULL, NULL, "invalid YAML: %s",
			 p->problem ? p->problem : "error");
}

/* The first document the first pass refuses, and why. */
struct precheck {
	size_t doc;  /* its index in the stream, or SIZE_MAX */
	yaml_mark_t mark;
	const char *why;
};

/*
 * libyaml costs more than the input's size in two places, both inside
 * yaml_parser_load(): its scanner walks every open flow collection on each
 * token (a line of 40 000 '[' takes seconds, 16 MiB of them days), and its
 * loader looks each anchor and alias up in a list of the document's anchors.
 * So a first pass over the events, stopping at the first offence, finds the
 * document to refuse before any is loaded; the documents before it still are.
 * Syntax errors are left to the loading pass, which reports them.
 */
static void precheck(const char *buf, size_t len, struct precheck *pc)
{
	yaml_parser_t p;
	yaml_event_t ev;
	size_t doc = 0, anchors = 0;
	unsigned depth = 0;

	pc->doc = SIZE_MAX;
	if (!yaml_parser_initialize(&p))
		abort();
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (pc->doc == SIZE_MAX && yaml_parser_parse(&p, &ev)) {
		yaml_event_type_t t = ev.type;
		const yaml_char_t *anchor = NULL;
		bool node = true;

		switch (t) {
		case YAML_SCALAR_EVENT:
			anchor = ev.data.scalar.anchor;
			break;
		case YAML_SEQUENCE_START_EVENT:
			anchor = ev.data.sequence_start.anchor;
			break;
		case YAML_MAPPING_START_EVENT:
			anchor = ev.data.mapping_start.anchor;
			break;
		case YAML_ALIAS_EVENT:
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			node = false;
			break;
		case YAML_DOCUMENT_END_EVENT:
			doc++;
			anchors = 0;
			node = false;
			break;
		default:
			node = false;
			break;
		}
		if (node && depth > DOC_MAX_DEPTH) {  /* the same rule as conv_node's */
			pc->doc = doc;
			pc->mark = ev.start_mark;
			pc->why = "document nested too deeply";
		} else if (anchor && ++anchors > DOC_MAX_ANCHORS) {
			pc->doc = doc;
			pc->mark = ev.start_mark;
			pc->why = "a document may define at most " STR(DOC_MAX_ANCHORS) " anchors";
		}
		if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT)
			depth++;
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
}

bool doc_read_yaml(const char *file, const char *buf, size_t len, struct diags *diags,
		   void (*fn)(struct doc *d, void *arg), void *arg)
{
	yaml_parser_t parser;
	struct precheck pc = { 0 };
	size_t text_budget = 10 * len + (1u << 20);  /* for the whole stream, not per document */
	bool ok = true;

	if (len > DOC_MAX_FILE_SIZE) {
		struct mark m = { file, 0, 0 };
		diag_add(diags, DIAG_ERROR, &m, NULL, NULL, "file larger than %u bytes", DOC_MAX_FILE_SIZE);
		return false;
	}
	precheck(buf, len, &pc);
	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (size_t i = 0;; i++) {
		yaml_document_t ydoc;
		if (i == pc.doc) {
			struct mark m = { file, (uint32_t)pc.mark.line + 1, (uint32_t)pc.mark.column + 1 };
			diag_add(diags, DIAG_ERROR, &m, NULL, NULL, "%s", pc.why);
			ok = false;
			break;
		}
		if (!yaml_parser_load(&parser, &ydoc)) {
			parser_error(file, &parser, diags);
			ok = false;
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&ydoc);
		if (!root) {
			yaml_document_delete(&ydoc);
			break;
		}
		size_t nodes = (size_t)(ydoc.nodes.top - ydoc.nodes.start);
		struct yconv c = { .ydoc = &ydoc, .doc = doc_new(file), .diags = diags,
				   .budget = 10 * nodes + 10000, .text_budget = text_budget };
		c.doc->root = conv_node(&c, root, 0);
		text_budget = c.text_budget;
		yaml_document_delete(&ydoc);
		if (c.failed) {
			doc_free(c.doc);
			ok = false;
			continue;
		}
		if (c.doc->root->type == DOC_NULL)
			doc_free(c.doc);  /* an empty document between two "---" */
		else
			fn(c.doc, arg);
	}
	yaml_parser_delete(&parser);
	return ok;
}
