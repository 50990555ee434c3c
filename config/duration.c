/*
 * Go's time.ParseDuration and Duration.String(), ported rule for rule so a
 * duration means here exactly what it means to the Go side of the cluster.
 * Parsing accumulates the magnitude in a uint64 bounded by 1<<63, like Go, but
 * also refuses the sum of two 1<<63 terms, which wraps to 0 in Go.
 */
#include "duration.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "text.h"

#define MAGNITUDE_MAX (UINT64_C(1) << 63)

enum step_result { STEP_OK, STEP_SYNTAX, STEP_RANGE, STEP_NO_UNIT, STEP_BAD_UNIT };

struct unit {
	const char *name;
	uint64_t ns;
};

static const struct unit units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\xc2\xb5s", 1000 }, /* U+00B5 micro sign */
	{ "\xce\xbcs", 1000 }, /* U+03BC greek mu */
	{ "ms", 1000000 },
	{ "s", 1000000000 },
	{ "m", UINT64_C(60) * 1000000000 },
	{ "h", UINT64_C(3600) * 1000000000 },
};

struct cursor {
	const char *s;
	size_t len, pos;
};

static bool at_digit(const struct cursor *c)
{
	return c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9';
}

/* Go's leadingInt: false once the value passes 1<<63. */
static bool leading_int(struct cursor *c, uint64_t *x)
{
	*x = 0;
	for (; at_digit(c); c->pos++) {
		if (*x > MAGNITUDE_MAX / 10)
			return false;
		*x = *x * 10 + (uint64_t)(c->s[c->pos] - '0');
		if (*x > MAGNITUDE_MAX)
			return false;
	}
	return true;
}

/* Go's leadingFraction: on overflow it stops gaining precision but keeps consuming digits. */
static void leading_fraction(struct cursor *c, uint64_t *x, double *scale)
{
	bool overflow = false;

	*x = 0;
	*scale = 1;
	for (; at_digit(c); c->pos++) {
		uint64_t y;

		if (overflow)
			continue;
		if (*x > (MAGNITUDE_MAX - 1) / 10) {
			overflow = true;
			continue;
		}
		y = *x * 10 + (uint64_t)(c->s[c->pos] - '0');
		if (y > MAGNITUDE_MAX) {
			overflow = true;
			continue;
		}
		*x = y;
		*scale *= 10;
	}
}

static const struct unit *find_unit(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strlen(units[i].name) == len && memcmp(units[i].name, s, len) == 0)
			return &units[i];
	}
	return NULL;
}

/* Consumes one "<number><unit>" and adds it to *d; the unit text is left in *u, *ulen. */
static enum step_result step(struct cursor *c, uint64_t *d, const char **u, size_t *ulen)
{
	uint64_t v, f = 0;
	double scale = 1;
	size_t start = c->pos;
	bool post = false;
	const struct unit *unit;

	if (c->s[c->pos] != '.' && !at_digit(c))
		return STEP_SYNTAX;
	if (!leading_int(c, &v))
		return STEP_RANGE;
	if (c->pos < c->len && c->s[c->pos] == '.') {
		size_t frac = ++c->pos;

		leading_fraction(c, &f, &scale);
		post = c->pos != frac;
	}
	if (c->s[start] == '.' && !post)
		return STEP_SYNTAX;
	*u = c->s + c->pos;
	while (c->pos < c->len && c->s[c->pos] != '.' && !at_digit(c))
		c->pos++;
	*ulen = (size_t)(c->s + c->pos - *u);
	if (*ulen == 0)
		return STEP_NO_UNIT;
	if (!(unit = find_unit(*u, *ulen)))
		return STEP_BAD_UNIT;
	if (v > MAGNITUDE_MAX / unit->ns)
		return STEP_RANGE;
	v *= unit->ns;
	if (f > 0) {
		v += (uint64_t)((double)f * ((double)unit->ns / scale));
		if (v > MAGNITUDE_MAX)
			return STEP_RANGE;
	}
	if (v > MAGNITUDE_MAX - *d)
		return STEP_RANGE;
	*d += v;
	return STEP_OK;
}

static bool step_failure(enum step_result r, const char *s, size_t len, const char *u, size_t ulen,
			 char *why, size_t whylen)
{
	char q[TEXT_QUOTE_MAX], qu[TEXT_QUOTE_MAX];

	switch (r) {
	case STEP_RANGE:
		return text_fail(why, whylen, "invalid duration %s: out of range", text_quote(q, s, len));
	case STEP_NO_UNIT:
		return text_fail(why, whylen, "missing unit in duration %s", text_quote(q, s, len));
	case STEP_BAD_UNIT:
		return text_fail(why, whylen, "unknown unit %s in duration %s",
			    text_quote(qu, u, ulen), text_quote(q, s, len));
	default:
		return text_fail(why, whylen, "invalid duration %s", text_quote(q, s, len));
	}
}

bool duration_parse(const char *s, size_t len, int64_t *ns, char *why, size_t whylen)
{
	struct cursor c = { s, s ? len : 0, 0 };
	char q[TEXT_QUOTE_MAX];
	uint64_t d = 0;
	bool neg = false;

	if (c.len > 0 && memchr(s, '\0', c.len))
		return text_fail(why, whylen, "invalid duration %s: contains a NUL byte", text_quote(q, s, c.len));
	if (c.len > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		c.pos = 1;
	}
	if (c.len - c.pos == 1 && s[c.pos] == '0') {
		*ns = 0;
		return true;
	}
	if (c.pos == c.len)
		return text_fail(why, whylen, "invalid duration %s", text_quote(q, s, c.len));
	while (c.pos < c.len) {
		const char *u = NULL;
		size_t ulen = 0;
		enum step_result r = step(&c, &d, &u, &ulen);

		if (r != STEP_OK)
			return step_failure(r, s, c.len, u, ulen, why, whylen);
	}
	if (!neg && d > MAGNITUDE_MAX - 1)
		return text_fail(why, whylen, "invalid duration %s: out of range", text_quote(q, s, c.len));
	*ns = neg ? (int64_t)(0 - d) : (int64_t)d;
	return true;
}

static size_t fmt_frac(char *buf, size_t w, uint64_t *v, int prec)
{
	bool print = false;

	for (int i = 0; i < prec; i++) {
		unsigned digit = (unsigned)(*v % 10);

		print = print || digit != 0;
		if (print)
			buf[--w] = (char)('0' + digit);
		*v /= 10;
	}
	if (print)
		buf[--w] = '.';
	return w;
}

static size_t fmt_int(char *buf, size_t w, uint64_t v)
{
	do {
		buf[--w] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return w;
}

/* Below one second: "0s", "1ns", "1.1µs", "2.2ms". */
static size_t fmt_small(char *buf, size_t w, uint64_t u)
{
	int prec;

	buf[--w] = 's';
	if (u == 0) {
		buf[--w] = '0';
		return w;
	}
	if (u < 1000) {
		prec = 0;
		buf[--w] = 'n';
	} else if (u < 1000000) {
		prec = 3;
		w -= 2;
		memcpy(buf + w, "\xc2\xb5", 2);
	} else {
		prec = 6;
		buf[--w] = 'm';
	}
	w = fmt_frac(buf, w, &u, prec);
	return fmt_int(buf, w, u);
}

/* One second or more: "1.5s", "1m30s", "2562047h47m16.854775807s". */
static size_t fmt_large(char *buf, size_t w, uint64_t u)
{
	buf[--w] = 's';
	w = fmt_frac(buf, w, &u, 9);
	w = fmt_int(buf, w, u % 60);
	u /= 60;
	if (u > 0) {
		buf[--w] = 'm';
		w = fmt_int(buf, w, u % 60);
		u /= 60;
		if (u > 0) {
			buf[--w] = 'h';
			w = fmt_int(buf, w, u);
		}
	}
	return w;
}

void duration_format(int64_t ns, char *buf, size_t buflen)
{
	char tmp[32];
	uint64_t u = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
	size_t w = u < (uint64_t)DURATION_NS_PER_S ? fmt_small(tmp, sizeof(tmp), u)
						  : fmt_large(tmp, sizeof(tmp), u);
	size_t n;

	if (ns < 0)
		tmp[--w] = '-';
	if (!buf || buflen == 0)
		return;
	n = sizeof(tmp) - w < buflen ? sizeof(tmp) - w : buflen - 1;
	memcpy(buf, tmp + w, n);
	buf[n] = '\0';
}
