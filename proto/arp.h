/*
 * ARP (RFC 826) for IPv4 over Ethernet, as the L2 responder reads it from and
 * writes it to an AF_PACKET socket: whole Ethernet frames.
 *
 * Decoding checks the framing (EtherType 0x0806, no VLAN tag), the fixed
 * fields for Ethernet/IPv4 (hardware type 1 or 6 as Linux accepts, protocol
 * 0x0800, lengths 6 and 4), the operation (request or reply; RARP and InARP
 * are refused) and that the sender hardware address is a unicast one, so a
 * reply can never be aimed at a group. Bytes after the 28-byte ARP body are
 * Ethernet padding and ignored.
 *
 * Encoding writes a padded 60-byte frame: a reply to a request, and the two
 * gratuitous forms a new owner sends (RFC 5227 section 2.3 announcement:
 * sender and target protocol address both the VIP): the request form, which
 * Linux neighbours accept at once, and the reply form, which some other
 * stacks want.
 */
#ifndef VIPCAST_PROTO_ARP_H
#define VIPCAST_PROTO_ARP_H

#include <stddef.h>
#include <stdint.h>

#include "ether.h"

#define ARP_BODY_LEN 28
#define ARP_FRAME_LEN ETHER_MIN_FRAME  /* what the encoders write: 14 + 28, padded */

enum arp_hrd { ARP_HRD_ETHER = 1, ARP_HRD_IEEE802 = 6 };
enum arp_op { ARP_OP_REQUEST = 1, ARP_OP_REPLY = 2 };

enum arp_err {
	ARP_OK = 0,
	ARP_ERR_SHORT,      /* frame ends before the ARP body does */
	ARP_ERR_VLAN,       /* 802.1Q / 802.1ad tagged */
	ARP_ERR_ETHERTYPE,  /* not 0x0806 */
	ARP_ERR_HRD,        /* hardware type not Ethernet */
	ARP_ERR_PRO,        /* protocol type not IPv4 */
	ARP_ERR_LEN,        /* hardware/protocol address lengths not 6/4 */
	ARP_ERR_OP,         /* neither request nor reply */
	ARP_ERR_SHA,        /* sender hardware address is multicast, broadcast or zero */
	ARP_ERR_MAX
};

struct arp_pkt {
	uint8_t eth_dst[ETHER_ADDR_LEN], eth_src[ETHER_ADDR_LEN];
	uint16_t op;                  /* enum arp_op */
	uint8_t sha[ETHER_ADDR_LEN];  /* sender hardware address */
	uint8_t spa[4];               /* sender protocol address; 0.0.0.0 in an RFC 5227 probe */
	uint8_t tha[ETHER_ADDR_LEN];
	uint8_t tpa[4];
};

/* Decodes one Ethernet frame carrying ARP. */
enum arp_err arp_decode(const uint8_t *frame, size_t len, struct arp_pkt *out);
const char *arp_err_str(enum arp_err e);

/*
 * Writes p as a frame (hardware type 1) into buf; returns the length
 * (ARP_FRAME_LEN) or 0 when cap is too small.
 */
size_t arp_encode(const struct arp_pkt *p, uint8_t *buf, size_t cap);

/*
 * The reply to a request for `ip` from the interface with MAC `mac`: to the
 * requester's sender addresses (an RFC 5227 probe with sender 0.0.0.0 gets
 * target 0.0.0.0, as Linux answers it), unicast to its sender hardware address.
 */
void arp_make_reply(const struct arp_pkt *req, const uint8_t mac[ETHER_ADDR_LEN], const uint8_t ip[4],
		    struct arp_pkt *out);

/*
 * A gratuitous ARP for `ip` from `mac`, broadcast: op ARP_OP_REQUEST (target
 * hardware address zero, RFC 5227) or ARP_OP_REPLY (target hardware address
 * broadcast, as arping -U -P and MetalLB send it).
 */
void arp_make_gratuitous(enum arp_op op, const uint8_t mac[ETHER_ADDR_LEN], const uint8_t ip[4], struct arp_pkt *out);

#endif
