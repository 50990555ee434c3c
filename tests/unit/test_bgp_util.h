/* Shared by the BGP wire tests: hex vectors in, exact heap copies out. */
#ifndef VIPCAST_TESTS_BGP_UTIL_H
#define VIPCAST_TESTS_BGP_UTIL_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Hex digits to bytes; spaces, newlines and '#' comments to the end of the
 * line are skipped. Fails the test on a stray character or an odd digit.
 */
static inline size_t hex_to(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		if (*s == '#') {
			while (*s && *s != '\n')
				s++;
			if (!*s)
				break;
			continue;
		}
		if (isspace((unsigned char)*s) || *s == ':')
			continue;
		if (!isxdigit((unsigned char)*s))
			fail_msg("bad hex character '%c' in \"%.40s\"", *s, s);
		int v = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			fail_msg("hex longer than %zu bytes", cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		fail_msg("odd number of hex digits");
	return n;
}

/* The bytes of s in a heap block of exactly their size, so ASan sees any read past the end. */
static inline uint8_t *hex_exact(const char *s, size_t *len)
{
	uint8_t tmp[BGP_MAX_LEN * 2];
	size_t n = hex_to(s, tmp, sizeof(tmp));
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, tmp, n);
	*len = n;
	return p;
}

static inline void hex_format(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && k + 4 < cap; i++)
		k += (size_t)snprintf(out + k, cap - k, "%s%02x", i ? " " : "", p[i]);
}

/* Fails with both byte strings shown when they differ. */
static inline void expect_bytes(const char *what, const uint8_t *got, size_t got_len, const uint8_t *want,
				size_t want_len)
{
	if (got_len == want_len && (want_len == 0 || memcmp(got, want, want_len) == 0))
		return;
	static char g[3 * BGP_MAX_LEN + 8], w[3 * BGP_MAX_LEN + 8];
	hex_format(got, got_len, g, sizeof(g));
	hex_format(want, want_len, w, sizeof(w));
	fail_msg("%s:\n got  (%zu) %s\n want (%zu) %s", what, got_len, g, want_len, w);
}

static inline void expect_hex(const char *what, const uint8_t *got, size_t got_len, const char *want_hex)
{
	uint8_t want[BGP_MAX_LEN * 2];
	size_t n = hex_to(want_hex, want, sizeof(want));

	expect_bytes(what, got, got_len, want, n);
}

/* A whole message: marker, length, type, then the body's hex. */
static inline size_t msg_hex(uint8_t type, const char *body_hex, uint8_t *out, size_t cap)
{
	size_t n = hex_to(body_hex, out + BGP_HEADER_LEN, cap - BGP_HEADER_LEN) + BGP_HEADER_LEN;

	memset(out, 0xff, 16);
	out[16] = (uint8_t)(n >> 8);
	out[17] = (uint8_t)n;
	out[18] = type;
	return n;
}

static inline struct bgp_prefix pfx4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t len)
{
	struct bgp_prefix p = {.family = 4, .len = len, .addr = {a, b, c, d}};

	return p;
}

/* From text, "2001:db8::1/64" style, through inet_pton. */
#include <arpa/inet.h>
static inline struct bgp_prefix pfx_text(const char *s)
{
	struct bgp_prefix p = {0};
	char addr[64];
	const char *slash = strchr(s, '/');

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		fail_msg("test setup: bad prefix %s", s);
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	p.len = (uint8_t)atoi(slash + 1);
	if (inet_pton(AF_INET, addr, p.addr) == 1)
		p.family = 4;
	else if (inet_pton(AF_INET6, addr, p.addr) == 1)
		p.family = 6;
	else
		fail_msg("test setup: bad prefix %s", s);
	return p;
}

/* The longest text prefix_format writes, "ffff:...:255.255.255.255/255", with its NUL. */
#define PREFIX_STRLEN (INET6_ADDRSTRLEN + 4)

static inline void prefix_format(const struct bgp_prefix *p, char out[PREFIX_STRLEN])
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a)))
		strcpy(a, "?");
	snprintf(out, PREFIX_STRLEN, "%s/%u", a, p->len);
}

/* The prefixes of an NLRI block as "a/b c/d ...", for comparisons. */
static inline void nlri_format(const uint8_t *p, size_t len, uint8_t family, char *out, size_t cap)
{
	struct bgp_prefix x;
	size_t k = 0;

	out[0] = '\0';
	/* Room for a space, a prefix and the NUL; k stays below cap. */
	while (bgp_nlri_next(&p, &len, family, &x) && k + PREFIX_STRLEN < cap) {
		char one[PREFIX_STRLEN];

		prefix_format(&x, one);
		k += (size_t)snprintf(out + k, cap - k, "%s%s", k ? " " : "", one);
	}
	if (len)
		snprintf(out + k, cap - k, " <%zu bytes left>", len);
}

#endif
