/*
 * BGP communities as BGPAdvertisement.communities and Community objects write them:
 * "65535:65282" (RFC 1997), "large:64500:1:2" (RFC 8092), and well-known names.
 */
#ifndef VIPCAST_CONFIG_COMMUNITY_H
#define VIPCAST_CONFIG_COMMUNITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum community_kind { COMMUNITY_STANDARD = 1, COMMUNITY_LARGE = 2 };

struct community {
	uint8_t kind;          /* enum community_kind */
	uint32_t v[3];         /* standard: v[0] = (asn << 16) | value; large: global, local1, local2 */
};

#define COMMUNITY_STRLEN 48

/*
 * Parses a literal. Standard: two decimal 16-bit numbers; large: "large:" and
 * three decimal 32-bit numbers; or a well-known name (no-export, no-advertise,
 * no-export-subconfed, nopeer, blackhole, graceful-shutdown, accept-own,
 * llgr-stale, no-llgr; case-insensitive). False with a reason when it is none of these.
 */
bool community_parse(const char *s, size_t len, struct community *out, char *why, size_t whylen);
/* "65535:65282" or "large:64500:1:2". */
void community_format(const struct community *c, char buf[COMMUNITY_STRLEN]);
bool community_eq(const struct community *a, const struct community *b);
/* Looks like a literal (digits and colons, or "large:") rather than a Community object name. */
bool community_is_literal(const char *s, size_t len);

#endif
