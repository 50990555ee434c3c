/*
 * Internals shared by proto/bgp_*.c; not part of the API in bgp.h.
 */
#ifndef VIPCAST_PROTO_BGP_INT_H
#define VIPCAST_PROTO_BGP_INT_H

#include "bgp.h"
#include "wire.h"

/* What RFC 7606 does about an error, weakest first (RFC 7606 2). */
enum bgp_action {
	BGP_ACT_NONE = 0,
	BGP_ACT_DISCARD,   /* drop the attribute, keep the routes */
	BGP_ACT_WITHDRAW,  /* treat the message's routes as withdrawn */
	BGP_ACT_RESET,     /* NOTIFICATION and close the session */
};

/* Clears err (which may be NULL). */
void bgp_err_clear(struct bgp_error *err);
/* Fills err (which may be NULL): code, subcode, data (cut to fit) and the reason. */
__attribute__((format(printf, 6, 7)))
void bgp_err_set(struct bgp_error *err, uint8_t code, uint8_t subcode, const void *data, size_t len,
		 const char *fmt, ...);

/* Header with a placeholder length; bgp_msg_end() writes the length and gives it, 0 when it did not fit. */
void bgp_msg_begin(struct wr *w, uint8_t type);
size_t bgp_msg_end(struct wr *w);

bool bgp_af_from_wire(uint16_t afi, uint8_t safi, enum bgp_af *af);
void bgp_af_to_wire(enum bgp_af af, uint16_t *afi, uint8_t *safi);
static inline uint8_t bgp_af_family(enum bgp_af af)
{
	return af == BGP_AF_IPV4 ? 4 : 6;
}
static inline unsigned bgp_family_bits(uint8_t family)
{
	return family == 4 ? 32 : family == 6 ? 128 : 0;
}
/* Bytes of a prefix in NLRI: its length octet and the address octets (RFC 4271 4.3). */
static inline size_t bgp_prefix_wire_len(unsigned bits)
{
	return 1 + (bits + 7) / 8;
}

/*
 * Checks that p[0..len) is a sequence of whole prefixes of the family (RFC
 * 7606 5.3: no length above 32/128, none running past the field). On false,
 * why says where.
 */
bool bgp_nlri_valid(const uint8_t *p, size_t len, uint8_t family, char *why, size_t whylen);

/*
 * The path attributes of an UPDATE (bgp_attr.c): fills u, applies RFC 7606
 * and returns the strongest action an error asked for (err says which
 * NOTIFICATION and why). nlri_len: bytes of IPv4 NLRI, for the mandatory
 * attribute checks; *count: attributes read.
 */
enum bgp_action bgp_attrs_parse(const uint8_t *p, size_t len, size_t nlri_len, bool as4, bool ibgp,
				struct bgp_update *u, struct bgp_error *err, unsigned *count);

#endif
