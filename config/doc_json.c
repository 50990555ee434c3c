/*
 * JSON text -> document tree, through jansson. Used for objects from the API
 * server, which carry no line numbers: nodes get the source name and line 0,
 * and diagnostics rely on the field path instead.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"

static struct doc_node *conv(struct doc *d, json_t *j, unsigned depth, bool *too_deep);

static void set_scalar(struct doc *d, struct doc_node *n, const char *text, size_t len, bool quoted)
{
	n->type = DOC_SCALAR;
	n->scalar.text = arena_strndup(&d->arena, text, len);
	n->scalar.len = len;
	n->scalar.quoted = quoted;
}

static void conv_object(struct doc *d, json_t *j, struct doc_node *n, unsigned depth, bool *too_deep)
{
	const char *key;
	json_t *v;

	n->type = DOC_MAP;
	n->map.v = arena_calloc(&d->arena, json_object_size(j), sizeof(*n->map.v));
	json_object_foreach(j, key, v) {
		struct doc_node *k = doc_node_new(d, DOC_SCALAR, 0, 0);
		set_scalar(d, k, key, strlen(key), true);
		struct doc_node *val = conv(d, v, depth + 1, too_deep);
		if (!val)
			return;
		n->map.v[n->map.n++] = (struct doc_pair){ k, val };
	}
}

static void conv_array(struct doc *d, json_t *j, struct doc_node *n, unsigned depth, bool *too_deep)
{
	size_t i;
	json_t *v;

	n->type = DOC_SEQ;
	n->seq.v = arena_calloc(&d->arena, json_array_size(j), sizeof(*n->seq.v));
	json_array_foreach(j, i, v) {
		struct doc_node *val = conv(d, v, depth + 1, too_deep);
		if (!val)
			return;
		n->seq.v[n->seq.n++] = val;
	}
}

/* The shortest text that reads back as the same double, always with a '.' or an exponent. */
static int format_real(double v, char *buf, size_t len)
{
	int n = 0;

	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (!strpbrk(buf, ".eEn"))  /* nan and inf carry an 'n' */
		n = snprintf(buf, len, "%.1f", v);
	return n;
}

static struct doc_node *conv(struct doc *d, json_t *j, unsigned depth, bool *too_deep)
{
	char num[64];
	int len;

	if (depth > DOC_MAX_DEPTH) {
		*too_deep = true;
		return NULL;
	}
	struct doc_node *n = doc_node_new(d, DOC_NULL, 0, 0);
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		conv_object(d, j, n, depth, too_deep);
		break;
	case JSON_ARRAY:
		conv_array(d, j, n, depth, too_deep);
		break;
	case JSON_STRING:
		set_scalar(d, n, json_string_value(j), json_string_length(j), true);
		break;
	case JSON_INTEGER:
		len = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		set_scalar(d, n, num, (size_t)len, false);
		break;
	case JSON_REAL:
		len = format_real(json_real_value(j), num, sizeof(num));
		set_scalar(d, n, num, (size_t)len, false);
		break;
	case JSON_TRUE:
		set_scalar(d, n, "true", 4, false);
		break;
	case JSON_FALSE:
		set_scalar(d, n, "false", 5, false);
		break;
	case JSON_NULL:
		break;
	}
	return *too_deep ? NULL : n;
}

bool doc_read_json(const char *source, const char *buf, size_t len, struct diags *diags,
		   void (*fn)(struct doc *d, void *arg), void *arg)
{
	json_error_t err;
	struct mark m = { source, 0, 0 };

	if (len > DOC_MAX_FILE_SIZE) {
		diag_add(diags, DIAG_ERROR, &m, NULL, NULL, "document larger than %u bytes",
			 DOC_MAX_FILE_SIZE);
		return false;
	}
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
	if (!j) {
		m.line = err.line > 0 ? (uint32_t)err.line : 0;
		m.col = err.column > 0 ? (uint32_t)err.column : 0;
		diag_add(diags, DIAG_ERROR, &m, NULL, NULL, "invalid JSON: %s", err.text);
		return false;
	}

	struct doc *d = doc_from_jansson(source, j);
	json_decref(j);
	if (!d) {
		diag_add(diags, DIAG_ERROR, &m, NULL, NULL, "document nested too deeply");
		return false;
	}
	fn(d, arg);
	return true;
}

struct doc *doc_from_jansson(const char *source, const struct json_t *j)
{
	bool too_deep = false;
	struct doc *d = doc_new(source);

	/* conv() only reads: jansson's iterators take no const. */
	d->root = conv(d, (json_t *)j, 0, &too_deep);
	if (too_deep) {
		doc_free(d);
		return NULL;
	}
	return d;
}
