/*
 * YAML stream -> document trees, in one pass over libyaml's events.
 *
 * Building the tree from events (rather than through libyaml's document
 * loader and a copy) reads the input once and keeps hostile input cheap:
 *  - nesting deeper than DOC_MAX_DEPTH is refused at the event that opens
 *    it, before libyaml's scanner, which walks every open flow collection on
 *    each token, gets to the rest of a line of 40 000 '[';
 *  - at most DOC_MAX_ANCHORS anchors per document, looked up in a short table;
 *  - an alias is expanded into a copy of its anchor's node, within a node
 *    budget and a text budget, so "billion laughs" stops early; an alias to
 *    a node that is still open (one that would contain itself) is refused.
 * A document with an error is dropped; nesting and anchor limits, like a
 * syntax error, also end the stream. Documents before it are handed out.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "doc.h"
#include "xalloc.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* An open collection: its node, and its children so far (a map's keys and values alternate). */
struct frame {
	struct doc_node *node;
	struct doc_node **kids;
	size_t n, cap;
	int anchor;  /* index in build.anchors, or -1 */
};

struct anchor {
	char *name;
	struct doc_node *node;
	bool open;
	uint32_t line;
};

struct build {
	const char *file;
	struct diags *diags;
	struct doc *doc;
	struct frame stack[DOC_MAX_DEPTH + 1];
	int top;  /* open frames */
	struct anchor anchors[DOC_MAX_ANCHORS];
	size_t nanchors;
	size_t nodes;          /* nodes of this document written out, aliases excluded */
	size_t copied;         /* nodes made by expanding aliases */
	size_t *text_budget;   /* scalar bytes aliases may still copy, for the whole stream */
	bool failed, fatal;    /* fatal: stop reading the stream */
};

static void build_error(struct build *b, const yaml_mark_t *m, const char *msg)
{
	struct mark mk = { b->file, (uint32_t)m->line + 1, (uint32_t)m->column + 1 };

	if (!b->failed)
		diag_add(b->diags, DIAG_ERROR, &mk, NULL, NULL, "%s", msg);
	b->failed = true;
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
static void check_duplicate_keys(struct build *b, const struct doc_node *n)
{
	if (n->map.n < 2)
		return;
	struct doc_pair *sorted = malloc(n->map.n * sizeof(*sorted));
	if (!sorted)
		abort();
	memcpy(sorted, n->map.v, n->map.n * sizeof(*sorted));
	qsort(sorted, n->map.n, sizeof(*sorted), key_cmp);
	for (size_t i = 1; i < n->map.n; i++) {
		const struct doc_node *x = sorted[i - 1].key, *y = sorted[i].key;
		if (x->scalar.len == y->scalar.len &&
		    memcmp(x->scalar.text, y->scalar.text, x->scalar.len) == 0) {
			diag_add(b->diags, DIAG_ERROR, &y->mark, NULL, NULL,
				 "map key \"%.*s\" already defined at line %u", (int)x->scalar.len,
				 x->scalar.text, x->mark.line);
			b->failed = true;
			break;
		}
	}
	free(sorted);
}

static struct doc_node *new_node(struct build *b, enum doc_type t, const yaml_mark_t *m)
{
	b->nodes++;
	return doc_node_new(b->doc, t, (uint32_t)m->line + 1, (uint32_t)m->column + 1);
}

static void add_anchor(struct build *b, const yaml_char_t *name, struct doc_node *n, bool open,
		       const yaml_mark_t *m)
{
	if (!name)
		return;
	for (size_t i = 0; i < b->nanchors; i++)
		if (strcmp(b->anchors[i].name, (const char *)name) == 0) {
			char msg[128];
			snprintf(msg, sizeof(msg),
				 "invalid YAML: found duplicate anchor; first occurrence (at line %u): second occurrence",
				 b->anchors[i].line);
			build_error(b, m, msg);
			return;
		}
	if (b->nanchors == DOC_MAX_ANCHORS) {
		build_error(b, m, "a document may define at most " STR(DOC_MAX_ANCHORS) " anchors");
		b->fatal = true;
		return;
	}
	struct anchor *a = &b->anchors[b->nanchors++];
	a->name = xstrdup((const char *)name);
	a->node = n;
	a->open = open;
	a->line = (uint32_t)m->line + 1;
}

/* The budget of alias copies: ten times the document written out so far, plus some. */
static bool copy_allowed(struct build *b)
{
	return b->copied < 10 * b->nodes + 10000;
}

static struct doc_node *copy_node(struct build *b, const struct doc_node *src, unsigned depth,
				  const yaml_mark_t *m)
{
	if (b->failed)
		return NULL;
	if (depth > DOC_MAX_DEPTH) {
		build_error(b, m, "document nested too deeply");
		return NULL;
	}
	if (!copy_allowed(b)) {
		build_error(b, m, "aliases expand the document beyond its size limit");
		return NULL;
	}
	b->copied++;
	struct doc_node *n = doc_node_new(b->doc, src->type, src->mark.line, src->mark.col);
	switch (src->type) {
	case DOC_SCALAR:
		if (src->scalar.len > *b->text_budget) {
			build_error(b, m, "aliases expand the document beyond its size limit");
			return NULL;
		}
		*b->text_budget -= src->scalar.len;
		n->scalar = src->scalar;  /* the text is immutable: share it */
		break;
	case DOC_MAP:
		n->map.v = arena_calloc(&b->doc->arena, src->map.n, sizeof(*n->map.v));
		for (size_t i = 0; i < src->map.n; i++) {
			struct doc_node *k = copy_node(b, src->map.v[i].key, depth + 1, m);
			struct doc_node *v = k ? copy_node(b, src->map.v[i].value, depth + 1, m) : NULL;
			if (!v)
				return NULL;
			n->map.v[n->map.n++] = (struct doc_pair){ k, v };
		}
		break;
	case DOC_SEQ:
		n->seq.v = arena_calloc(&b->doc->arena, src->seq.n, sizeof(*n->seq.v));
		for (size_t i = 0; i < src->seq.n; i++) {
			struct doc_node *v = copy_node(b, src->seq.v[i], depth + 1, m);
			if (!v)
				return NULL;
			n->seq.v[n->seq.n++] = v;
		}
		break;
	default:
		break;
	}
	return n;
}

/* Hands a finished node to the open collection, or makes it the root. */
static void attach(struct build *b, struct doc_node *n)
{
	if (b->top == 0) {
		b->doc->root = n;
		return;
	}
	struct frame *f = &b->stack[b->top - 1];
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 8;
		f->kids = xrealloc(f->kids, f->cap, sizeof(*f->kids));
	}
	f->kids[f->n++] = n;
}

/* A node is as deep as the collections open around it. */
static bool too_deep(struct build *b, const yaml_mark_t *m)
{
	if (b->top <= DOC_MAX_DEPTH)
		return false;
	build_error(b, m, "document nested too deeply");
	b->fatal = true;
	return true;
}

static void on_scalar(struct build *b, const yaml_event_t *ev)
{
	if (too_deep(b, &ev->start_mark))
		return;
	struct doc_node *n = new_node(b, DOC_SCALAR, &ev->start_mark);
	size_t len = ev->data.scalar.length;

	n->scalar.len = len;
	n->scalar.text = arena_strndup(&b->doc->arena, (const char *)ev->data.scalar.value, len);
	n->scalar.quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	if (!n->scalar.quoted && doc_scalar_kind(n) == DSK_NULL)
		n->type = DOC_NULL;
	add_anchor(b, ev->data.scalar.anchor, n, false, &ev->start_mark);
	attach(b, n);
}

static void on_open(struct build *b, const yaml_event_t *ev, enum doc_type t, const yaml_char_t *anchor)
{
	if (too_deep(b, &ev->start_mark))
		return;
	struct frame *f = &b->stack[b->top++];
	f->node = new_node(b, t, &ev->start_mark);
	f->n = 0;
	f->anchor = anchor ? (int)b->nanchors : -1;
	add_anchor(b, anchor, f->node, true, &ev->start_mark);
}

static void on_close(struct build *b)
{
	struct frame *f = &b->stack[--b->top];
	struct doc_node *n = f->node;

	if (n->type == DOC_MAP) {
		n->map.v = arena_calloc(&b->doc->arena, f->n / 2, sizeof(*n->map.v));
		for (size_t i = 0; i + 1 < f->n; i += 2) {
			if (f->kids[i]->type != DOC_SCALAR) {
				struct mark km = f->kids[i]->mark;
				yaml_mark_t ym = { 0, km.line - 1, km.col - 1 };
				build_error(b, &ym, "map keys must be strings");
				return;
			}
			n->map.v[n->map.n++] = (struct doc_pair){ f->kids[i], f->kids[i + 1] };
		}
		check_duplicate_keys(b, n);
	} else {
		n->seq.v = arena_calloc(&b->doc->arena, f->n, sizeof(*n->seq.v));
		if (f->n)
			memcpy(n->seq.v, f->kids, f->n * sizeof(*n->seq.v));
		n->seq.n = f->n;
	}
	if (f->anchor >= 0 && (size_t)f->anchor < b->nanchors && b->anchors[f->anchor].node == n)
		b->anchors[f->anchor].open = false;
	attach(b, n);
}

static void on_alias(struct build *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	if (too_deep(b, &ev->start_mark))
		return;
	for (size_t i = b->nanchors; i-- > 0;) {
		const struct anchor *a = &b->anchors[i];
		if (strcmp(a->name, name) != 0)
			continue;
		if (a->open) {
			build_error(b, &ev->start_mark, "an alias refers to the node that contains it");
			return;
		}
		struct doc_node *n = copy_node(b, a->node, (unsigned)b->top, &ev->start_mark);
		if (n)
			attach(b, n);
		return;
	}
	build_error(b, &ev->start_mark, "invalid YAML: found undefined alias");
}

static void document_reset(struct build *b)
{
	while (b->top > 0)
		b->top--;
	for (size_t i = 0; i < b->nanchors; i++)
		free(b->anchors[i].name);
	b->nanchors = 0;
	b->nodes = b->copied = 0;
	b->failed = false;
}

static void free_frames(struct build *b)
{
	for (size_t i = 0; i < sizeof(b->stack) / sizeof(*b->stack); i++) {
		free(b->stack[i].kids);
		b->stack[i].kids = NULL;
		b->stack[i].cap = 0;
	}
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

bool doc_read_yaml(const char *file, const char *buf, size_t len, struct diags *diags,
		   void (*fn)(struct doc *d, void *arg), void *arg)
{
	yaml_parser_t parser;
	size_t text_budget = 10 * len + (1u << 20);  /* for the whole stream, not per document */
	struct build b = { .file = file, .diags = diags, .text_budget = &text_budget };
	bool ok = true, done = false;

	if (len > DOC_MAX_FILE_SIZE) {
		struct mark m = { file, 0, 0 };
		diag_add(diags, DIAG_ERROR, &m, NULL, NULL, "file larger than %u bytes", DOC_MAX_FILE_SIZE);
		return false;
	}
	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			parser_error(file, &parser, diags);
			ok = false;
			break;
		}
		if (b.failed && ev.type != YAML_DOCUMENT_START_EVENT && ev.type != YAML_DOCUMENT_END_EVENT &&
		    ev.type != YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);  /* skip the rest of a refused document */
			continue;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			document_reset(&b);
			b.doc = doc_new(file);
			break;
		case YAML_SCALAR_EVENT:
			on_scalar(&b, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			on_open(&b, &ev, DOC_SEQ, ev.data.sequence_start.anchor);
			break;
		case YAML_MAPPING_START_EVENT:
			on_open(&b, &ev, DOC_MAP, ev.data.mapping_start.anchor);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			on_close(&b);
			break;
		case YAML_ALIAS_EVENT:
			on_alias(&b, &ev);
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (b.failed || !b.doc->root || b.doc->root->type == DOC_NULL) {
				ok &= !b.failed;
				doc_free(b.doc);  /* refused, or an empty document between two "---" */
			} else {
				fn(b.doc, arg);
			}
			b.doc = NULL;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (b.fatal) {
			ok = false;
			break;
		}
	}
	if (b.doc)
		doc_free(b.doc);
	document_reset(&b);
	free_frames(&b);
	yaml_parser_delete(&parser);
	return ok;
}
