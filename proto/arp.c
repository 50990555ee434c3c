/* ARP for Ethernet/IPv4 (RFC 826): see arp.h. */
#include "arp.h"

#include <string.h>

#include "wire.h"

static const char *const err_names[ARP_ERR_MAX] = {
	[ARP_OK] = "ok",
	[ARP_ERR_SHORT] = "frame too short",
	[ARP_ERR_VLAN] = "VLAN-tagged frame",
	[ARP_ERR_ETHERTYPE] = "not an ARP frame",
	[ARP_ERR_HRD] = "hardware type is not Ethernet",
	[ARP_ERR_PRO] = "protocol type is not IPv4",
	[ARP_ERR_LEN] = "address lengths are not 6 and 4",
	[ARP_ERR_OP] = "operation is neither request nor reply",
	[ARP_ERR_SHA] = "sender hardware address is not unicast",
};

const char *arp_err_str(enum arp_err e)
{
	return (unsigned)e < ARP_ERR_MAX ? err_names[e] : "unknown error";
}

enum arp_err arp_decode(const uint8_t *frame, size_t len, struct arp_pkt *out)
{
	struct rd r = rd_init(frame, len);
	struct ether_hdr eh;

	if (!ether_read(&r, &eh))
		return ARP_ERR_SHORT;
	if (eh.type == ETHER_TYPE_VLAN || eh.type == ETHER_TYPE_QINQ)
		return ARP_ERR_VLAN;
	if (eh.type != ETHER_TYPE_ARP)
		return ARP_ERR_ETHERTYPE;

	uint16_t hrd, pro;
	uint8_t hln, pln;
	rd_u16(&r, &hrd);
	rd_u16(&r, &pro);
	rd_u8(&r, &hln);
	rd_u8(&r, &pln);
	rd_u16(&r, &out->op);
	if (r.bad)
		return ARP_ERR_SHORT;
	if (hrd != ARP_HRD_ETHER && hrd != ARP_HRD_IEEE802)
		return ARP_ERR_HRD;
	if (pro != ETHER_TYPE_IPV4)
		return ARP_ERR_PRO;
	if (hln != ETHER_ADDR_LEN || pln != 4)
		return ARP_ERR_LEN;
	if (out->op != ARP_OP_REQUEST && out->op != ARP_OP_REPLY)
		return ARP_ERR_OP;
	rd_bytes(&r, out->sha, ETHER_ADDR_LEN);
	rd_bytes(&r, out->spa, 4);
	rd_bytes(&r, out->tha, ETHER_ADDR_LEN);
	rd_bytes(&r, out->tpa, 4);
	if (r.bad)
		return ARP_ERR_SHORT;
	if (ether_is_multicast(out->sha) || ether_is_zero(out->sha))
		return ARP_ERR_SHA;
	memcpy(out->eth_dst, eh.dst, ETHER_ADDR_LEN);
	memcpy(out->eth_src, eh.src, ETHER_ADDR_LEN);
	return ARP_OK;
}

size_t arp_encode(const struct arp_pkt *p, uint8_t *buf, size_t cap)
{
	struct wr w = wr_init(buf, cap);

	ether_write(&w, p->eth_dst, p->eth_src, ETHER_TYPE_ARP);
	wr_u16(&w, ARP_HRD_ETHER);
	wr_u16(&w, ETHER_TYPE_IPV4);
	wr_u8(&w, ETHER_ADDR_LEN);
	wr_u8(&w, 4);
	wr_u16(&w, p->op);
	wr_bytes(&w, p->sha, ETHER_ADDR_LEN);
	wr_bytes(&w, p->spa, 4);
	wr_bytes(&w, p->tha, ETHER_ADDR_LEN);
	wr_bytes(&w, p->tpa, 4);
	ether_pad(&w);
	return w.full ? 0 : w.len;
}

void arp_make_reply(const struct arp_pkt *req, const uint8_t mac[ETHER_ADDR_LEN], const uint8_t ip[4],
		    struct arp_pkt *out)
{
	struct arp_pkt p;

	memcpy(p.eth_dst, req->sha, ETHER_ADDR_LEN);
	memcpy(p.eth_src, mac, ETHER_ADDR_LEN);
	p.op = ARP_OP_REPLY;
	memcpy(p.sha, mac, ETHER_ADDR_LEN);
	memcpy(p.spa, ip, 4);
	memcpy(p.tha, req->sha, ETHER_ADDR_LEN);
	memcpy(p.tpa, req->spa, 4);
	*out = p;
}

void arp_make_gratuitous(enum arp_op op, const uint8_t mac[ETHER_ADDR_LEN], const uint8_t ip[4], struct arp_pkt *out)
{
	memcpy(out->eth_dst, ether_broadcast, ETHER_ADDR_LEN);
	memcpy(out->eth_src, mac, ETHER_ADDR_LEN);
	out->op = (uint16_t)op;
	memcpy(out->sha, mac, ETHER_ADDR_LEN);
	memcpy(out->spa, ip, 4);
	if (op == ARP_OP_REQUEST)
		memset(out->tha, 0, ETHER_ADDR_LEN);
	else
		memcpy(out->tha, ether_broadcast, ETHER_ADDR_LEN);
	memcpy(out->tpa, ip, 4);
}
