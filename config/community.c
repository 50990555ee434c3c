/*
 * BGP community literals: RFC 1997 "A:B", RFC 8092 "large:G:L1:L2" and the
 * IANA well-known names. Numbers are plain decimal: no sign, no spaces.
 */
#include "community.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "text.h"

#define LARGE_PREFIX "large:"
#define LARGE_PREFIX_LEN (sizeof(LARGE_PREFIX) - 1)
#define NUMBER_SHOWN_MAX 24

struct well_known {
	const char *name;
	uint16_t value; /* the ASN half is always 65535 */
};

static const struct well_known well_known[] = {
	{ "no-export", 65281 },
	{ "no-advertise", 65282 },
	{ "no-export-subconfed", 65283 },
	{ "nopeer", 65284 },
	{ "blackhole", 666 },
	{ "graceful-shutdown", 0 },
	{ "accept-own", 1 },
	{ "llgr-stale", 6 },
	{ "no-llgr", 7 },
};

/* The literal being parsed, kept for reasons. */
struct source {
	const char *s;
	size_t len;
	char *why;
	size_t whylen;
};

__attribute__((format(printf, 2, 3)))
static bool fail(const struct source *src, const char *fmt, ...)
{
	va_list ap;

	if (src->why && src->whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(src->why, src->whylen, fmt, ap);
		va_end(ap);
	}
	return false;
}

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static const struct well_known *find_well_known(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(well_known) / sizeof(well_known[0]); i++) {
		const char *name = well_known[i].name;
		size_t j = 0;

		if (strlen(name) != len)
			continue;
		while (j < len && ascii_lower(s[j]) == name[j])
			j++;
		if (j == len)
			return &well_known[i];
	}
	return NULL;
}

static bool has_large_prefix(const char *s, size_t len)
{
	return len >= LARGE_PREFIX_LEN && memcmp(s, LARGE_PREFIX, LARGE_PREFIX_LEN) == 0;
}

static bool parse_number(const struct source *src, const char *s, size_t len, uint32_t max,
			 uint32_t *out)
{
	char q[TEXT_QUOTE_MAX], qn[TEXT_QUOTE_MAX];
	uint64_t v = 0;
	bool big = false;

	if (len == 0)
		return fail(src, "invalid community %s: empty number", text_quote(q, src->s, src->len));
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return fail(src, "invalid community %s: %s is not a decimal number",
				    text_quote(q, src->s, src->len), text_quote(qn, s, len));
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > max) {
			big = true;
			v = (uint64_t)max + 1;
		}
	}
	if (big)
		return fail(src, "invalid community %s: %.*s%s exceeds %u", text_quote(q, src->s, src->len),
			    (int)(len > NUMBER_SHOWN_MAX ? NUMBER_SHOWN_MAX : len), s,
			    len > NUMBER_SHOWN_MAX ? "..." : "", (unsigned)max);
	*out = (uint32_t)v;
	return true;
}

/* Parses exactly n colon-separated numbers from s into vals; `want` explains a wrong count. */
static bool parse_fields(const struct source *src, const char *s, size_t len, unsigned n,
			 uint32_t max, uint32_t *vals, const char *want)
{
	char q[TEXT_QUOTE_MAX];
	unsigned count = 0;
	size_t start = 0;

	for (size_t i = 0; i < len; i++)
		count += s[i] == ':';
	if (count != n - 1)
		return fail(src, "invalid community %s: %s", text_quote(q, src->s, src->len), want);
	for (size_t i = 0, k = 0; i <= len; i++) {
		if (i < len && s[i] != ':')
			continue;
		if (!parse_number(src, s + start, i - start, max, &vals[k++]))
			return false;
		start = i + 1;
	}
	return true;
}

static bool parse_literal(const struct source *src, struct community *c)
{
	const struct well_known *wk;
	uint32_t v[3] = { 0 };

	if ((wk = find_well_known(src->s, src->len))) {
		c->kind = COMMUNITY_STANDARD;
		c->v[0] = UINT32_C(65535) << 16 | wk->value;
		return true;
	}
	if (has_large_prefix(src->s, src->len)) {
		if (!parse_fields(src, src->s + LARGE_PREFIX_LEN, src->len - LARGE_PREFIX_LEN, 3,
				  UINT32_MAX, v, "a large community is large:GLOBAL:LOCAL1:LOCAL2"))
			return false;
		c->kind = COMMUNITY_LARGE;
		memcpy(c->v, v, sizeof(v));
		return true;
	}
	if (!parse_fields(src, src->s, src->len, 2, 65535, v,
			  "want ASN:VALUE, large:GLOBAL:LOCAL1:LOCAL2 or a well-known name"))
		return false;
	c->kind = COMMUNITY_STANDARD;
	c->v[0] = v[0] << 16 | v[1];
	return true;
}

bool community_parse(const char *s, size_t len, struct community *out, char *why, size_t whylen)
{
	struct source src = { s, s ? len : 0, why, whylen };
	struct community c = { 0 };
	char q[TEXT_QUOTE_MAX];

	if (src.len == 0)
		return fail(&src, "invalid community \"\": empty");
	if (memchr(s, '\0', src.len))
		return fail(&src, "invalid community %s: contains a NUL byte", text_quote(q, s, src.len));
	if (!parse_literal(&src, &c))
		return false;
	*out = c;
	return true;
}

void community_format(const struct community *c, char buf[COMMUNITY_STRLEN])
{
	if (c->kind == COMMUNITY_STANDARD)
		snprintf(buf, COMMUNITY_STRLEN, "%u:%u", (unsigned)(c->v[0] >> 16),
			 (unsigned)(c->v[0] & 0xffff));
	else if (c->kind == COMMUNITY_LARGE)
		snprintf(buf, COMMUNITY_STRLEN, "large:%u:%u:%u", (unsigned)c->v[0],
			 (unsigned)c->v[1], (unsigned)c->v[2]);
	else
		snprintf(buf, COMMUNITY_STRLEN, "invalid");
}

bool community_eq(const struct community *a, const struct community *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == COMMUNITY_LARGE)
		return a->v[0] == b->v[0] && a->v[1] == b->v[1] && a->v[2] == b->v[2];
	return a->v[0] == b->v[0];
}

bool community_is_literal(const char *s, size_t len)
{
	bool colon = false;

	if (!s || len == 0 || memchr(s, '\0', len))
		return false;
	if (has_large_prefix(s, len) || find_well_known(s, len))
		return true;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ':')
			colon = true;
		else if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return colon;
}
