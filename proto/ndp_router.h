/*
 * IPv6 Router Solicitation and Router Advertisement (RFC 4861 4.1, 4.2) as
 * ICMPv6 messages for a raw ICMPv6 socket: the kernel adds the IPv6 header
 * and the checksum (RFC 3542 3.1), and hands the hop limit over as
 * ancillary data.
 *
 * Unnumbered BGP uses them the way FRR does: each end advertises itself with
 * RAs on the link and learns the other's link-local address from the RAs it
 * receives. vipcast's RAs say "not a default router" (router lifetime 0,
 * RFC 4861 6.2.3) and carry no prefix, so a host that hears them changes no
 * route; they carry the Source Link-Layer Address option so the peer needs
 * no Neighbor Solicitation before its first packet.
 *
 * ndp_router_check applies the validity checks of RFC 4861 6.1.1 and 6.1.2
 * (hop limit 255, code 0, length, link-local source for an RA, options of
 * nonzero length within the message; an RS from the unspecified address has
 * no SLLA option).
 */
#ifndef VIPCAST_PROTO_NDP_ROUTER_H
#define VIPCAST_PROTO_NDP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ndp_router_type { NDP_RS = 133, NDP_RA = 134 };

#define NDP_RS_LEN 8   /* type, code, checksum, reserved */
#define NDP_RA_LEN 16  /* + hop limit, flags, router lifetime, reachable time, retrans timer */
#define NDP_ROUTER_MAX (NDP_RA_LEN + 8)

/*
 * Writes an RS (type NDP_RS) or an RA (NDP_RA, router lifetime in seconds)
 * with an SLLA option when mac is not NULL; checksum 0 for the kernel to
 * fill. Returns the length, 0 when cap is short.
 */
size_t ndp_router_encode(enum ndp_router_type type, uint16_t lifetime, const uint8_t *mac, uint8_t *buf, size_t cap);

struct ndp_router_msg {
	uint8_t type;         /* NDP_RS or NDP_RA */
	uint16_t lifetime;    /* RA: router lifetime, seconds */
	bool has_slla;
	uint8_t slla[6];      /* the first SLLA option of Ethernet length */
};

/*
 * Checks one received ICMPv6 message (msg, len) from src with the hop limit
 * it arrived with. False with *why set when it must be dropped (or is not
 * an RS/RA).
 */
bool ndp_router_check(const uint8_t *msg, size_t len, int hop_limit, const uint8_t src[16],
		      struct ndp_router_msg *out, const char **why);

#endif
