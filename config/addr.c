/*
 * Address, CIDR and range parsing for IPAddressPool and Kube-OVN entries.
 *
 * Inputs are untrusted (pointer, length) slices: they are bounded, checked for
 * NUL bytes and copied into a local buffer before inet_pton sees them.
 * Output follows RFC 5952 like Go's netip, independent of the libc's inet_ntop.
 * Reasons quote the offending text with control and non-ASCII bytes escaped.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "text.h"

#define ADDR_TEXT_MAX (IPADDR_STRLEN - 1)

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static void trim(const char **s, size_t *len)
{
	while (*len > 0 && is_space((*s)[0])) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_space((*s)[*len - 1]))
		(*len)--;
}

/* Finds needle (nlen >= 1) in s[0..len), or NULL. */
static const char *find(const char *s, size_t len, const char *needle, size_t nlen)
{
	for (size_t i = 0; i + nlen <= len; i++) {
		if (memcmp(s + i, needle, nlen) == 0)
			return s + i;
	}
	return NULL;
}

bool ipaddr_parse(const char *s, size_t len, struct ipaddr *out)
{
	char buf[ADDR_TEXT_MAX + 1];
	struct ipaddr a = { 0 };
	int af;

	if (!s || len == 0 || len > ADDR_TEXT_MAX || memchr(s, '\0', len) || memchr(s, '%', len))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	af = memchr(s, ':', len) ? AF_INET6 : AF_INET;
	if (inet_pton(af, buf, a.b) != 1)
		return false;
	a.family = af == AF_INET6 ? IPF_V6 : IPF_V4;
	*out = a;
	return true;
}

/* RFC 5952 text, as Go's netip prints it: the longest run of two or more zero groups becomes "::". */
static void format_v6(const uint8_t *b, char buf[IPADDR_STRLEN])
{
	unsigned w[8], zstart = 8, zlen = 0;
	size_t used = 0;

	for (unsigned i = 0; i < 8; i++)
		w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
	for (unsigned i = 0; i < 8; i++) {
		unsigned j = i;

		while (j < 8 && w[j] == 0)
			j++;
		if (j - i >= 2 && j - i > zlen) {
			zstart = i;
			zlen = j - i;
		}
	}
	buf[0] = '\0';
	for (unsigned i = 0; i < 8; i++) {
		const char *sep = i > 0 && i != zstart + zlen ? ":" : "";

		if (i == zstart) {
			used += (size_t)snprintf(buf + used, IPADDR_STRLEN - used, "::");
			i += zlen - 1;
			continue;
		}
		used += (size_t)snprintf(buf + used, IPADDR_STRLEN - used, "%s%x", sep, w[i]);
	}
}

static bool is_v4_mapped(const uint8_t *b)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(b, prefix, sizeof(prefix)) == 0;
}

void ipaddr_format(const struct ipaddr *a, char buf[IPADDR_STRLEN])
{
	const uint8_t *b = a->b;

	if (a->family == IPF_V4)
		snprintf(buf, IPADDR_STRLEN, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	else if (a->family == IPF_V6 && is_v4_mapped(b))
		snprintf(buf, IPADDR_STRLEN, "::ffff:%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
	else if (a->family == IPF_V6)
		format_v6(b, buf);
	else
		snprintf(buf, IPADDR_STRLEN, "invalid");
}

int ipaddr_cmp(const struct ipaddr *a, const struct ipaddr *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(a->b, b->b, ipaddr_bits(a) / 8);
	return (c > 0) - (c < 0);
}

bool ipaddr_eq(const struct ipaddr *a, const struct ipaddr *b)
{
	return ipaddr_cmp(a, b) == 0;
}

bool ipaddr_is_unspecified(const struct ipaddr *a)
{
	if (a->family != IPF_V4 && a->family != IPF_V6)
		return true;
	for (unsigned i = 0; i < ipaddr_bits(a) / 8; i++)
		if (a->b[i])
			return false;
	return true;
}

/* Adds delta (+1 or -1) with carry; false, leaving a as it was, when every byte is `stop`. */
static bool step(struct ipaddr *a, uint8_t stop, int delta)
{
	unsigned n = ipaddr_bits(a) / 8;
	unsigned i = n;

	while (i > 0 && a->b[i - 1] == stop)
		i--;
	if (i == 0)
		return false;
	a->b[i - 1] = (uint8_t)(a->b[i - 1] + delta);
	for (; i < n; i++)
		a->b[i] = (uint8_t)(stop + delta);
	return true;
}

bool ipaddr_next(struct ipaddr *a)
{
	return step(a, 0xff, 1);
}

bool ipaddr_prev(struct ipaddr *a)
{
	return step(a, 0x00, -1);
}

/* Bits after the first `prefix` are cleared, or set when `set` is true. */
static void host_bits(struct ipaddr *a, unsigned prefix, bool set)
{
	unsigned bits = ipaddr_bits(a);

	for (unsigned i = 0; i < bits / 8; i++) {
		unsigned start = i * 8;
		uint8_t host;

		if (prefix >= start + 8)
			continue;
		host = prefix <= start ? 0xff : (uint8_t)(0xff >> (prefix - start));
		a->b[i] = set ? (uint8_t)(a->b[i] | host) : (uint8_t)(a->b[i] & ~host);
	}
}

void ipaddr_mask(struct ipaddr *a, unsigned prefix)
{
	host_bits(a, prefix, false);
}

void ipaddr_fill(struct ipaddr *a, unsigned prefix)
{
	host_bits(a, prefix, true);
}

static const char *family_name(const struct ipaddr *a)
{
	return a->family == IPF_V4 ? "IPv4" : "IPv6";
}

static bool parse_one(const char *s, size_t len, struct ipaddr *out, char *why, size_t whylen)
{
	char q[TEXT_QUOTE_MAX];

	if (!ipaddr_parse(s, len, out))
		return text_fail(why, whylen, "invalid IP address %s", text_quote(q, s, len));
	return true;
}

/* Decimal 0..bits with no sign; leading zeros are accepted as Go's net.ParseCIDR does. */
static bool parse_prefix(const char *s, size_t len, unsigned bits, unsigned *out)
{
	unsigned v = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > bits)
			return false;
	}
	*out = v;
	return true;
}

static bool parse_cidr(const char *s, size_t len, const char *slash, struct iprange *out,
		       char *why, size_t whylen)
{
	size_t alen = (size_t)(slash - s);
	char q[TEXT_QUOTE_MAX];
	unsigned prefix;

	if (!parse_one(s, alen, &out->first, why, whylen))
		return false;
	if (!parse_prefix(slash + 1, len - alen - 1, ipaddr_bits(&out->first), &prefix))
		return text_fail(why, whylen, "invalid prefix length %s for %s",
			    text_quote(q, slash, len - alen), family_name(&out->first));
	ipaddr_mask(&out->first, prefix);
	out->last = out->first;
	ipaddr_fill(&out->last, prefix);
	out->prefix = (int)prefix;
	return true;
}

/* Parses the two ends around a separator of seplen bytes at sep. */
static bool parse_pair(const char *s, size_t len, const char *sep, size_t seplen,
		       struct iprange *out, char *why, size_t whylen)
{
	const char *a = s, *b = sep + seplen;
	size_t alen = (size_t)(sep - s), blen = len - alen - seplen;
	char q[TEXT_QUOTE_MAX], fa[IPADDR_STRLEN], fb[IPADDR_STRLEN];

	trim(&a, &alen);
	trim(&b, &blen);
	if (!parse_one(a, alen, &out->first, why, whylen) ||
	    !parse_one(b, blen, &out->last, why, whylen))
		return false;
	if (out->first.family != out->last.family)
		return text_fail(why, whylen, "range mixes IPv4 and IPv6: %s", text_quote(q, s, len));
	if (ipaddr_cmp(&out->last, &out->first) < 0) {
		ipaddr_format(&out->first, fa);
		ipaddr_format(&out->last, fb);
		return text_fail(why, whylen, "range end %s is before its start %s", fb, fa);
	}
	out->prefix = -1;
	return true;
}

/* Trims s and rejects NULs and empty input; false with a reason. */
static bool prepare(const char **s, size_t *len, char *why, size_t whylen)
{
	char q[TEXT_QUOTE_MAX];

	if (!*s)
		*len = 0;
	if (*len > 0 && memchr(*s, '\0', *len))
		return text_fail(why, whylen, "invalid address range %s: contains a NUL byte",
			    text_quote(q, *s, *len));
	trim(s, len);
	if (*len == 0)
		return text_fail(why, whylen, "empty address range");
	return true;
}

static bool parse_single(const char *s, size_t len, struct iprange *out, char *why, size_t whylen)
{
	if (!parse_one(s, len, &out->first, why, whylen))
		return false;
	out->last = out->first;
	out->prefix = -1;
	return true;
}

bool iprange_parse(const char *s, size_t len, struct iprange *out, char *why, size_t whylen)
{
	struct iprange r;
	const char *sep;
	bool ok;

	if (!prepare(&s, &len, why, whylen))
		return false;
	if ((sep = memchr(s, '/', len)))
		ok = parse_cidr(s, len, sep, &r, why, whylen);
	else if ((sep = memchr(s, '-', len)))
		ok = parse_pair(s, len, sep, 1, &r, why, whylen);
	else
		ok = parse_single(s, len, &r, why, whylen);
	if (ok)
		*out = r;
	return ok;
}

bool iprange_parse_kubeovn(const char *s, size_t len, struct iprange *out, char *why, size_t whylen)
{
	struct iprange r;
	const char *sep;
	bool ok;

	if (!prepare(&s, &len, why, whylen))
		return false;
	if ((sep = find(s, len, "..", 2)))
		ok = parse_pair(s, len, sep, 2, &r, why, whylen);
	else
		ok = parse_single(s, len, &r, why, whylen);
	if (ok)
		*out = r;
	return ok;
}

void iprange_format(const struct iprange *r, char buf[IPRANGE_STRLEN])
{
	char a[IPADDR_STRLEN], b[IPADDR_STRLEN];

	ipaddr_format(&r->first, a);
	if (r->prefix >= 0) {
		snprintf(buf, IPRANGE_STRLEN, "%s/%d", a, r->prefix);
	} else if (!ipaddr_eq(&r->first, &r->last)) {
		ipaddr_format(&r->last, b);
		snprintf(buf, IPRANGE_STRLEN, "%s-%s", a, b);
	} else {
		snprintf(buf, IPRANGE_STRLEN, "%s", a);
	}
}

bool iprange_contains(const struct iprange *r, const struct ipaddr *a)
{
	return a->family == r->first.family &&
	       ipaddr_cmp(&r->first, a) <= 0 && ipaddr_cmp(a, &r->last) <= 0;
}

bool iprange_overlaps(const struct iprange *a, const struct iprange *b)
{
	return a->first.family == b->first.family &&
	       ipaddr_cmp(&a->first, &b->last) <= 0 && ipaddr_cmp(&b->first, &a->last) <= 0;
}

bool iprange_within(const struct iprange *r, const struct iprange *outer)
{
	return r->first.family == outer->first.family &&
	       ipaddr_cmp(&outer->first, &r->first) <= 0 && ipaddr_cmp(&r->last, &outer->last) <= 0;
}

/* The shortest prefix whose block starts at `at` and ends at or before `last`. */
static unsigned widest_block(const struct ipaddr *at, const struct ipaddr *last, struct ipaddr *end)
{
	unsigned prefix = 0;

	for (;; prefix++) {
		struct ipaddr m = *at;

		ipaddr_mask(&m, prefix);
		if (!ipaddr_eq(&m, at))
			continue;
		*end = *at;
		ipaddr_fill(end, prefix);
		if (ipaddr_cmp(end, last) <= 0)
			return prefix;
	}
}

bool iprange_cidrs(const struct iprange *r,
		   bool (*fn)(const struct ipaddr *net, unsigned prefix, void *arg), void *arg)
{
	struct ipaddr at = r->first, end;

	if ((at.family != IPF_V4 && at.family != IPF_V6) || at.family != r->last.family ||
	    ipaddr_cmp(&at, &r->last) > 0)
		return false;
	for (;;) {
		unsigned prefix = widest_block(&at, &r->last, &end);

		if (!fn(&at, prefix, arg))
			return false;
		if (ipaddr_eq(&end, &r->last))
			return true;
		at = end;
		ipaddr_next(&at);
	}
}
