/*
 * IP addresses, CIDRs and address ranges as IPAddressPool and Kube-OVN write them.
 *
 * One type holds both families so pools, ranges and allocators need no
 * per-family code paths: an IPv4 address keeps its four bytes in b[0..3].
 * Ordering puts every IPv4 address before every IPv6 address.
 */
#ifndef VIPCAST_CONFIG_ADDR_H
#define VIPCAST_CONFIG_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ip_family { IPF_NONE = 0, IPF_V4 = 4, IPF_V6 = 6 };

struct ipaddr {
	uint8_t family;   /* enum ip_family */
	uint8_t b[16];    /* network order; IPv4 uses b[0..3], the rest is zero */
};

/* An inclusive range. prefix >= 0 when it was written as a CIDR (after masking). */
struct iprange {
	struct ipaddr first, last;
	int prefix;
};

#define IPADDR_STRLEN 46  /* INET6_ADDRSTRLEN */
#define IPRANGE_STRLEN (2 * IPADDR_STRLEN + 2)

static inline unsigned ipaddr_bits(const struct ipaddr *a)
{
	return a->family == IPF_V4 ? 32 : 128;
}

/* Strict literal: dotted quad or RFC 4291 text; no zone, no prefix, no spaces. */
bool ipaddr_parse(const char *s, size_t len, struct ipaddr *out);
void ipaddr_format(const struct ipaddr *a, char buf[IPADDR_STRLEN]);
int ipaddr_cmp(const struct ipaddr *a, const struct ipaddr *b);
bool ipaddr_eq(const struct ipaddr *a, const struct ipaddr *b);
/* 0.0.0.0, ::, or no address at all (family IPF_NONE): nothing a connection can go to. */
bool ipaddr_is_unspecified(const struct ipaddr *a);
/* a + 1 / a - 1 within the family; false on wrap-around. */
bool ipaddr_next(struct ipaddr *a);
bool ipaddr_prev(struct ipaddr *a);
/* Keeps the first `prefix` bits, clears the rest. */
void ipaddr_mask(struct ipaddr *a, unsigned prefix);
/* Sets every bit after the first `prefix` bits. */
void ipaddr_fill(struct ipaddr *a, unsigned prefix);

/*
 * "a.b.c.d/n" (host bits allowed and cleared: 13.1.1.1/24 is 13.1.1.0/24),
 * "first-last" (spaces around '-' allowed), or one address (a /32 or /128).
 * On failure returns false and writes a reason such as
 * "range end 192.0.2.1 is before its start 192.0.2.9" to why.
 */
bool iprange_parse(const char *s, size_t len, struct iprange *out, char *why, size_t whylen);
/* Kube-OVN excludeIps entry: one address or "first..last". */
bool iprange_parse_kubeovn(const char *s, size_t len, struct iprange *out, char *why, size_t whylen);
/* "192.0.2.0/24" for a CIDR, "192.0.2.10-192.0.2.20" for a range, the address for a single one. */
void iprange_format(const struct iprange *r, char buf[IPRANGE_STRLEN]);
bool iprange_contains(const struct iprange *r, const struct ipaddr *a);
bool iprange_overlaps(const struct iprange *a, const struct iprange *b);
/* r lies wholly inside outer. */
bool iprange_within(const struct iprange *r, const struct iprange *outer);

/*
 * Splits r into the fewest CIDRs that cover exactly it, lowest first.
 * Calls fn for each; stops early and returns false when fn returns false.
 */
bool iprange_cidrs(const struct iprange *r,
		   bool (*fn)(const struct ipaddr *net, unsigned prefix, void *arg), void *arg);

#endif
