/* The document tree's shared parts: scalar resolution and lookups. */
#include "doc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct doc *doc_new(const char *file)
{
	struct doc *d = xcalloc(1, sizeof(*d));
	d->file = arena_strdup(&d->arena, file);
	return d;
}

void doc_free(struct doc *d)
{
	if (!d)
		return;
	arena_free(&d->arena);
	free(d);
}

struct doc_node *doc_node_new(struct doc *d, enum doc_type t, uint32_t line, uint32_t col)
{
	struct doc_node *n = arena_alloc(&d->arena, sizeof(*n));
	n->type = t;
	n->mark = (struct mark){ .file = d->file, .line = line, .col = col };
	return n;
}

#define WORD_MAX 5  /* the longest word in the tables below */

static bool text_in(const char *s, size_t len, const char *const *words)
{
	if (len > WORD_MAX)  /* most scalars: names, addresses */
		return false;
	for (; *words; words++)
		if (strlen(*words) == len && memcmp(s, *words, len) == 0)
			return true;
	return false;
}

static const char *const yaml_true[] = { "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
					 "on", "On", "ON", NULL };
static const char *const yaml_false[] = { "n", "N", "no", "No", "NO", "false", "False", "FALSE",
					  "off", "Off", "OFF", NULL };
static const char *const yaml_null[] = { "", "~", "null", "Null", "NULL", NULL };
static const char *const yaml_float_words[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
						"-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN",
						NULL };

static int digit_value(char c, unsigned base)
{
	int v = -1;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	return v >= 0 && (unsigned)v < base ? v : -1;
}

/* Accumulates the magnitude; false on syntax error, *overflow set past 2^63. */
static bool parse_int(const char *s, size_t len, int64_t *out, bool *overflow)
{
	size_t i = 0;
	bool neg = false;
	unsigned base = 10;
	uint64_t mag = 0, limit;
	size_t digits = 0;

	*overflow = false;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (len - i > 2 && s[i] == '0' && strchr("xXoObB", s[i + 1])) {
		base = strchr("xX", s[i + 1]) ? 16 : strchr("oO", s[i + 1]) ? 8 : 2;
		i += 2;
	} else if (len - i > 1 && s[i] == '0') {
		base = 8;  /* YAML 1.1: 010 is eight; 08 is then no integer (but a float) */
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		if (s[i] == '_' && digits)
			continue;
		int v = digit_value(s[i], base);
		if (v < 0)
			return false;
		if (mag > (limit - (uint64_t)v) / base)
			*overflow = true;
		else
			mag = mag * base + (uint64_t)v;
		digits++;
	}
	if (!digits)
		return false;
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return true;
}

static bool looks_float(const char *s, size_t len)
{
	size_t i = 0, digits = 0;
	bool dot = false;

	if (text_in(s, len, yaml_float_words))
		return true;
	if (!len || !s[0] || !strchr("+-.0123456789", s[0]))
		return false;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	for (; i < len && (isdigit((unsigned char)s[i]) || s[i] == '_' || s[i] == '.'); i++) {
		if (s[i] == '.') {
			if (dot)
				return false;
			dot = true;
		} else if (s[i] != '_') {
			digits++;
		}
	}
	if (!digits)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t exp = 0;
		for (; i < len && isdigit((unsigned char)s[i]); i++)
			exp++;
		if (!exp)
			return false;
		return i == len;
	}
	return i == len;  /* digits alone: an integer that did not parse, such as 08 */
}

enum doc_scalar_kind doc_scalar_kind(const struct doc_node *n)
{
	int64_t v;
	bool overflow;

	if (n->type == DOC_NULL)
		return DSK_NULL;
	if (n->type != DOC_SCALAR || n->scalar.quoted)
		return DSK_STRING;
	const char *s = n->scalar.text;
	size_t len = n->scalar.len;
	if (text_in(s, len, yaml_null))
		return DSK_NULL;
	if (text_in(s, len, yaml_true) || text_in(s, len, yaml_false))
		return DSK_BOOL;
	if (parse_int(s, len, &v, &overflow))
		return DSK_INT;
	if (looks_float(s, len))
		return DSK_FLOAT;
	return DSK_STRING;
}

bool doc_scalar_bool(const struct doc_node *n)
{
	return text_in(n->scalar.text, n->scalar.len, yaml_true);
}

bool doc_scalar_int(const struct doc_node *n, int64_t *v)
{
	bool overflow;

	return parse_int(n->scalar.text, n->scalar.len, v, &overflow) && !overflow;
}

const char *doc_type_name(const struct doc_node *n)
{
	if (!n)
		return "nothing";
	switch (n->type) {
	case DOC_MAP:
		return "a map";
	case DOC_SEQ:
		return "a list";
	case DOC_NULL:
		return "null";
	case DOC_SCALAR:
		break;
	}
	switch (doc_scalar_kind(n)) {
	case DSK_INT:
		return "an integer";
	case DSK_FLOAT:
		return "a number";
	case DSK_BOOL:
		return "a boolean";
	case DSK_NULL:
		return "null";
	case DSK_STRING:
		break;
	}
	return "a string";
}

bool doc_scalar_is(const struct doc_node *n, const char *s)
{
	return n && n->type == DOC_SCALAR && n->scalar.len == strlen(s) &&
	       memcmp(n->scalar.text, s, n->scalar.len) == 0;
}

const struct doc_node *doc_map_get(const struct doc_node *map, const char *key)
{
	if (!map || map->type != DOC_MAP)
		return NULL;
	for (size_t i = 0; i < map->map.n; i++)
		if (doc_scalar_is(map->map.v[i].key, key))
			return map->map.v[i].value;
	return NULL;
}
