/*
 * IPv6 Neighbor Discovery (RFC 4861): the Neighbor Solicitation and Neighbor
 * Advertisement messages with their Source/Target Link-Layer Address options
 * (section 4.6.1) for Ethernet, inside an IPv6 header (RFC 8200) with no
 * extension headers, checksummed over the IPv6 pseudo-header (RFC 4443
 * section 2.3, RFC 8200 section 8.1).
 *
 * Decoders take a whole Ethernet frame (ndp_decode) or the IPv6 header on
 * (ndp_decode_ip6) and apply every validity check of RFC 4861 sections 7.1.1
 * and 7.1.2: hop limit 255, ICMP code 0, checksum, ICMP length at least 24,
 * target not multicast, no option of length 0 and none running past the
 * message; for an NS from the unspecified address (duplicate address
 * detection) the destination must be a solicited-node multicast address and
 * there must be no SLLA option; an NA to a multicast destination must not set
 * the Solicited flag. On top of these, a link-layer address option must have
 * the Ethernet length (1, 8 bytes) and a unicast address, the Ethernet source
 * must be unicast and the IPv6 source must not be multicast, so a reply can
 * never be aimed at a group. Unknown options are skipped (section 4.6); of
 * two link-layer address options the first counts, as in Linux. Bytes after
 * the IPv6 payload are Ethernet padding and ignored.
 *
 * Encoders write one NS or NA with at most one link-layer address option,
 * hop limit 255 and the checksum filled in.
 */
#ifndef VIPCAST_PROTO_NDP_H
#define VIPCAST_PROTO_NDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ether.h"

#define IPV6_HDR_LEN 40
#define IPV6_NEXT_ICMPV6 58
#define NDP_HOP_LIMIT 255
#define NDP_MIN_LEN 24     /* ICMP header + reserved/flags + target */
#define NDP_LLA_OPT_LEN 8  /* an Ethernet SLLA/TLLA option */
#define NDP_FRAME_MAX (ETHER_HDR_LEN + IPV6_HDR_LEN + NDP_MIN_LEN + NDP_LLA_OPT_LEN)  /* 86 */

enum ndp_type { NDP_NS = 135, NDP_NA = 136 };
enum ndp_opt { NDP_OPT_SLLA = 1, NDP_OPT_TLLA = 2 };

/* Neighbor Advertisement flags, as the high bits of the byte after the checksum. */
#define NDP_NA_ROUTER 0x80
#define NDP_NA_SOLICITED 0x40
#define NDP_NA_OVERRIDE 0x20

enum ndp_err {
	NDP_OK = 0,
	NDP_ERR_SHORT,          /* frame or header truncated */
	NDP_ERR_VLAN,           /* 802.1Q / 802.1ad tagged */
	NDP_ERR_ETHERTYPE,      /* not 0x86dd */
	NDP_ERR_ETH_SRC,        /* Ethernet source multicast or zero */
	NDP_ERR_VERSION,        /* IP version not 6 */
	NDP_ERR_PAYLOAD_LEN,    /* payload length runs past the frame */
	NDP_ERR_NEXT_HEADER,    /* not ICMPv6 right after the IPv6 header */
	NDP_ERR_SRC,            /* IPv6 source is multicast */
	NDP_ERR_HOP_LIMIT,      /* not 255: the message crossed a router (7.1.1) */
	NDP_ERR_TYPE,           /* neither NS nor NA */
	NDP_ERR_CODE,           /* ICMP code not 0 */
	NDP_ERR_ICMP_LEN,       /* shorter than 24 bytes */
	NDP_ERR_CHECKSUM,
	NDP_ERR_TARGET,         /* target is multicast */
	NDP_ERR_OPT_LEN0,       /* an option with length 0 */
	NDP_ERR_OPT_TRUNC,      /* an option runs past the message */
	NDP_ERR_LLA,            /* link-layer address option not 8 bytes, or not a unicast address */
	NDP_ERR_DAD_DST,        /* NS from :: not to a solicited-node multicast address */
	NDP_ERR_DAD_SLLA,       /* NS from :: with an SLLA option */
	NDP_ERR_NA_SOLICITED,   /* NA to a multicast address with the Solicited flag */
	NDP_ERR_MAX
};

struct ndp_msg {
	uint8_t eth_dst[ETHER_ADDR_LEN], eth_src[ETHER_ADDR_LEN];  /* zero from ndp_decode_ip6 */
	uint8_t src[16], dst[16];
	uint8_t hop_limit;
	uint8_t type;    /* enum ndp_type */
	uint8_t flags;   /* NA: NDP_NA_*; NS: 0 */
	uint8_t target[16];
	bool has_lla;    /* NS: Source, NA: Target Link-Layer Address option */
	uint8_t lla[ETHER_ADDR_LEN];
};

enum ndp_err ndp_decode(const uint8_t *frame, size_t len, struct ndp_msg *out);
/* The same from the IPv6 header on; eth_dst and eth_src come back zero. */
enum ndp_err ndp_decode_ip6(const uint8_t *pkt, size_t len, struct ndp_msg *out);
const char *ndp_err_str(enum ndp_err e);

/*
 * Writes m as an Ethernet frame (IPv6, hop limit m->hop_limit, ICMPv6 with
 * the checksum computed) into buf; returns its length or 0 when cap is too
 * small. flags are written for an NA only.
 */
size_t ndp_encode(const struct ndp_msg *m, uint8_t *buf, size_t cap);

/*
 * The advertisement answering solicitation ns for its target, from the
 * interface with MAC `mac` and IPv6 source `src` (the responder gives the
 * target itself), with a TLLA option and hop limit 255 (RFC 4861 section 7.2.4): to the
 * solicitor with the Solicited and Override flags, at its SLLA (or the
 * frame's source when the NS has none); to a duplicate address detection NS
 * (from ::), to all nodes (ff02::1) with Override only.
 */
void ndp_make_na_reply(const struct ndp_msg *ns, const uint8_t mac[ETHER_ADDR_LEN], const uint8_t src[16],
		       struct ndp_msg *out);

/* An unsolicited advertisement of target (RFC 4861 section 7.2.6): Override flag, TLLA, to ff02::1. */
void ndp_make_unsolicited_na(const uint8_t mac[ETHER_ADDR_LEN], const uint8_t src[16], const uint8_t target[16],
			     struct ndp_msg *out);

/* ff02::1:ffXX:XXXX, the solicited-node multicast address of ip (RFC 4291 section 2.7.1). */
void ndp_solicited_node(const uint8_t ip[16], uint8_t out[16]);
/* 33:33 and the low 32 bits of a multicast address (RFC 2464 section 7). */
void ndp_multicast_mac(const uint8_t group[16], uint8_t mac[ETHER_ADDR_LEN]);

static inline bool ip6_is_multicast(const uint8_t a[16])
{
	return a[0] == 0xff;
}

bool ip6_is_unspecified(const uint8_t a[16]);
bool ip6_is_solicited_node(const uint8_t a[16]);

extern const uint8_t ip6_all_nodes[16];  /* ff02::1 */

#endif
