/*
 * Ethernet II framing (IEEE 802.3 / RFC 894) as an AF_PACKET SOCK_RAW socket
 * delivers and takes it: destination, source, EtherType, payload, no FCS.
 *
 * 802.1Q/802.1ad tagged frames are refused: the L2 responder answers on the
 * VLAN interface itself (the kernel strips the tag before a socket bound to
 * it sees the frame), and a tagged frame seen on the parent belongs to a VLAN
 * the node has no interface in.
 */
#ifndef VIPCAST_PROTO_ETHER_H
#define VIPCAST_PROTO_ETHER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "wire.h"

#define ETHER_ADDR_LEN 6
#define ETHER_HDR_LEN 14
#define ETHER_MIN_FRAME 60  /* without the FCS: shorter frames are padded */

enum ether_type {
	ETHER_TYPE_IPV4 = 0x0800,
	ETHER_TYPE_ARP = 0x0806,
	ETHER_TYPE_VLAN = 0x8100,
	ETHER_TYPE_IPV6 = 0x86dd,
	ETHER_TYPE_QINQ = 0x88a8,
};

struct ether_hdr {
	uint8_t dst[ETHER_ADDR_LEN], src[ETHER_ADDR_LEN];
	uint16_t type;
};

static const uint8_t ether_broadcast[ETHER_ADDR_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Group bit: multicast, broadcast included (IEEE 802 I/G bit). */
static inline bool ether_is_multicast(const uint8_t a[ETHER_ADDR_LEN])
{
	return a[0] & 1;
}

static inline bool ether_is_zero(const uint8_t a[ETHER_ADDR_LEN])
{
	static const uint8_t zero[ETHER_ADDR_LEN];
	return memcmp(a, zero, ETHER_ADDR_LEN) == 0;
}

/* Reads the header; false when the frame is too short. */
static inline bool ether_read(struct rd *r, struct ether_hdr *h)
{
	rd_bytes(r, h->dst, ETHER_ADDR_LEN);
	rd_bytes(r, h->src, ETHER_ADDR_LEN);
	rd_u16(r, &h->type);
	return !r->bad;
}

static inline void ether_write(struct wr *w, const uint8_t dst[ETHER_ADDR_LEN], const uint8_t src[ETHER_ADDR_LEN],
			       uint16_t type)
{
	wr_bytes(w, dst, ETHER_ADDR_LEN);
	wr_bytes(w, src, ETHER_ADDR_LEN);
	wr_u16(w, type);
}

/* Pads the frame with zeros to the Ethernet minimum. */
static inline void ether_pad(struct wr *w)
{
	while (!w->full && w->len < ETHER_MIN_FRAME)
		wr_u8(w, 0);
}

#endif
