/* Neighbor Solicitation and Advertisement (RFC 4861): see ndp.h. */
#include "ndp.h"

#include <string.h>

#include "inet_csum.h"
#include "wire.h"

const uint8_t ip6_all_nodes[16] = {0xff, 0x02, [15] = 0x01};
static const uint8_t solicited_prefix[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};

static const char *const err_names[NDP_ERR_MAX] = {
	[NDP_OK] = "ok",
	[NDP_ERR_SHORT] = "frame too short",
	[NDP_ERR_VLAN] = "VLAN-tagged frame",
	[NDP_ERR_ETHERTYPE] = "not an IPv6 frame",
	[NDP_ERR_ETH_SRC] = "Ethernet source is not unicast",
	[NDP_ERR_VERSION] = "IP version is not 6",
	[NDP_ERR_PAYLOAD_LEN] = "payload length runs past the frame",
	[NDP_ERR_NEXT_HEADER] = "next header is not ICMPv6",
	[NDP_ERR_SRC] = "source address is multicast",
	[NDP_ERR_HOP_LIMIT] = "hop limit is not 255",
	[NDP_ERR_TYPE] = "neither a neighbor solicitation nor an advertisement",
	[NDP_ERR_CODE] = "ICMP code is not 0",
	[NDP_ERR_ICMP_LEN] = "ICMP length below 24",
	[NDP_ERR_CHECKSUM] = "bad checksum",
	[NDP_ERR_TARGET] = "target address is multicast",
	[NDP_ERR_OPT_LEN0] = "option with length 0",
	[NDP_ERR_OPT_TRUNC] = "option runs past the message",
	[NDP_ERR_LLA] = "link-layer address option is not one unicast Ethernet address",
	[NDP_ERR_DAD_DST] = "solicitation from :: not to a solicited-node address",
	[NDP_ERR_DAD_SLLA] = "solicitation from :: with a source link-layer address",
	[NDP_ERR_NA_SOLICITED] = "advertisement to a multicast address with the Solicited flag",
};

const char *ndp_err_str(enum ndp_err e)
{
	return (unsigned)e < NDP_ERR_MAX ? err_names[e] : "unknown error";
}

bool ip6_is_unspecified(const uint8_t a[16])
{
	static const uint8_t zero[16];
	return memcmp(a, zero, 16) == 0;
}

bool ip6_is_solicited_node(const uint8_t a[16])
{
	return memcmp(a, solicited_prefix, sizeof solicited_prefix) == 0;
}

void ndp_solicited_node(const uint8_t ip[16], uint8_t out[16])
{
	memcpy(out, solicited_prefix, sizeof solicited_prefix);
	memcpy(out + 13, ip + 13, 3);
}

void ndp_multicast_mac(const uint8_t group[16], uint8_t mac[ETHER_ADDR_LEN])
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, group + 12, 4);
}

/* The one's-complement sum of the pseudo-header (RFC 8200 section 8.1) for an ICMPv6 message of len bytes. */
static uint32_t pseudo_sum(const uint8_t src[16], const uint8_t dst[16], uint32_t len)
{
	uint8_t tail[8] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len,
			   0, 0, 0, IPV6_NEXT_ICMPV6};
	uint32_t s = inet_csum_add(0, src, 16);
	s = inet_csum_add(s, dst, 16);
	return inet_csum_add(s, tail, sizeof tail);
}

/* The options after the target: one sub-reader per option, each consumed whole (section 4.6). */
static enum ndp_err read_options(struct rd *r, struct ndp_msg *m)
{
	uint8_t want = m->type == NDP_NS ? NDP_OPT_SLLA : NDP_OPT_TLLA;

	while (r->n > 0) {
		uint8_t type, units;
		struct rd opt;
		if (!rd_u8(r, &type) || !rd_u8(r, &units))
			return NDP_ERR_OPT_TRUNC;
		if (units == 0)
			return NDP_ERR_OPT_LEN0;
		if (!rd_sub(r, (size_t)units * 8 - 2, &opt))
			return NDP_ERR_OPT_TRUNC;
		if (type != want)
			continue;  /* unknown here: skipped */
		if (units != 1)
			return NDP_ERR_LLA;
		uint8_t lla[ETHER_ADDR_LEN];
		rd_bytes(&opt, lla, ETHER_ADDR_LEN);
		if (ether_is_multicast(lla) || ether_is_zero(lla))
			return NDP_ERR_LLA;
		if (!m->has_lla) {
			m->has_lla = true;
			memcpy(m->lla, lla, ETHER_ADDR_LEN);
		}
	}
	return NDP_OK;
}

/* The ICMPv6 message, once the IPv6 header is checked (sections 7.1.1, 7.1.2). */
static enum ndp_err read_icmp(struct rd *r, struct ndp_msg *m)
{
	const uint8_t *start = r->p;
	size_t len = r->n;
	uint8_t code, flags;
	uint16_t csum;

	if (!rd_u8(r, &m->type))
		return NDP_ERR_ICMP_LEN;
	if (m->type != NDP_NS && m->type != NDP_NA)
		return NDP_ERR_TYPE;
	if (!rd_u8(r, &code))
		return NDP_ERR_ICMP_LEN;
	if (code != 0)
		return NDP_ERR_CODE;
	if (len < NDP_MIN_LEN)
		return NDP_ERR_ICMP_LEN;
	if (inet_csum_finish(inet_csum_add(pseudo_sum(m->src, m->dst, (uint32_t)len), start, len)))
		return NDP_ERR_CHECKSUM;
	rd_u16(r, &csum);
	rd_u8(r, &flags);
	rd_skip(r, 3);
	rd_bytes(r, m->target, 16);
	m->flags = m->type == NDP_NA ? (flags & (NDP_NA_ROUTER | NDP_NA_SOLICITED | NDP_NA_OVERRIDE)) : 0;
	if (ip6_is_multicast(m->target))
		return NDP_ERR_TARGET;
	enum ndp_err e = read_options(r, m);
	if (e != NDP_OK)
		return e;
	if (m->type == NDP_NS && ip6_is_unspecified(m->src)) {
		if (!ip6_is_solicited_node(m->dst))
			return NDP_ERR_DAD_DST;
		if (m->has_lla)
			return NDP_ERR_DAD_SLLA;
	}
	if (m->type == NDP_NA && ip6_is_multicast(m->dst) && (m->flags & NDP_NA_SOLICITED))
		return NDP_ERR_NA_SOLICITED;
	return NDP_OK;
}

enum ndp_err ndp_decode_ip6(const uint8_t *pkt, size_t len, struct ndp_msg *out)
{
	struct rd r = rd_init(pkt, len);
	uint32_t vtf;
	uint16_t plen;
	uint8_t next;
	struct ndp_msg m;

	memset(&m, 0, sizeof m);
	rd_u32(&r, &vtf);
	rd_u16(&r, &plen);
	rd_u8(&r, &next);
	rd_u8(&r, &m.hop_limit);
	rd_bytes(&r, m.src, 16);
	rd_bytes(&r, m.dst, 16);
	if (r.bad)
		return NDP_ERR_SHORT;
	if (vtf >> 28 != 6)
		return NDP_ERR_VERSION;
	if (next != IPV6_NEXT_ICMPV6)
		return NDP_ERR_NEXT_HEADER;
	if (ip6_is_multicast(m.src))
		return NDP_ERR_SRC;
	if (m.hop_limit != NDP_HOP_LIMIT)
		return NDP_ERR_HOP_LIMIT;
	struct rd icmp;
	if (!rd_sub(&r, plen, &icmp))
		return NDP_ERR_PAYLOAD_LEN;
	enum ndp_err e = read_icmp(&icmp, &m);
	if (e == NDP_OK)
		*out = m;
	return e;
}

enum ndp_err ndp_decode(const uint8_t *frame, size_t len, struct ndp_msg *out)
{
	struct rd r = rd_init(frame, len);
	struct ether_hdr eh;

	if (!ether_read(&r, &eh))
		return NDP_ERR_SHORT;
	if (eh.type == ETHER_TYPE_VLAN || eh.type == ETHER_TYPE_QINQ)
		return NDP_ERR_VLAN;
	if (eh.type != ETHER_TYPE_IPV6)
		return NDP_ERR_ETHERTYPE;
	if (ether_is_multicast(eh.src) || ether_is_zero(eh.src))
		return NDP_ERR_ETH_SRC;
	enum ndp_err e = ndp_decode_ip6(r.p, r.n, out);
	if (e == NDP_OK) {
		memcpy(out->eth_dst, eh.dst, ETHER_ADDR_LEN);
		memcpy(out->eth_src, eh.src, ETHER_ADDR_LEN);
	}
	return e;
}

size_t ndp_encode(const struct ndp_msg *m, uint8_t *buf, size_t cap)
{
	struct wr w = wr_init(buf, cap);
	uint16_t icmp_len = NDP_MIN_LEN + (m->has_lla ? NDP_LLA_OPT_LEN : 0);

	ether_write(&w, m->eth_dst, m->eth_src, ETHER_TYPE_IPV6);
	wr_u32(&w, 6u << 28);
	wr_u16(&w, icmp_len);
	wr_u8(&w, IPV6_NEXT_ICMPV6);
	wr_u8(&w, m->hop_limit);
	wr_bytes(&w, m->src, 16);
	wr_bytes(&w, m->dst, 16);
	size_t icmp_at = w.len;
	wr_u8(&w, m->type);
	wr_u8(&w, 0);
	wr_u16(&w, 0);  /* checksum, below */
	wr_u8(&w, m->type == NDP_NA ? m->flags : 0);
	wr_u8(&w, 0);
	wr_u16(&w, 0);
	wr_bytes(&w, m->target, 16);
	if (m->has_lla) {
		wr_u8(&w, m->type == NDP_NS ? NDP_OPT_SLLA : NDP_OPT_TLLA);
		wr_u8(&w, 1);
		wr_bytes(&w, m->lla, ETHER_ADDR_LEN);
	}
	if (w.full)
		return 0;
	uint32_t s = inet_csum_add(pseudo_sum(m->src, m->dst, icmp_len), w.p + icmp_at, icmp_len);
	wr_put_u16_at(&w, icmp_at + 2, inet_csum_finish(s));
	return w.len;
}

void ndp_make_na_reply(const struct ndp_msg *ns, const uint8_t mac[ETHER_ADDR_LEN], const uint8_t src[16],
		       struct ndp_msg *out)
{
	struct ndp_msg m;

	memset(&m, 0, sizeof m);
	memcpy(m.eth_src, mac, ETHER_ADDR_LEN);
	memcpy(m.src, src, 16);
	if (ip6_is_unspecified(ns->src)) {
		memcpy(m.dst, ip6_all_nodes, 16);
		ndp_multicast_mac(ip6_all_nodes, m.eth_dst);
		m.flags = NDP_NA_OVERRIDE;
	} else {
		memcpy(m.dst, ns->src, 16);
		memcpy(m.eth_dst, ns->has_lla ? ns->lla : ns->eth_src, ETHER_ADDR_LEN);
		m.flags = NDP_NA_SOLICITED | NDP_NA_OVERRIDE;
	}
	m.hop_limit = NDP_HOP_LIMIT;
	m.type = NDP_NA;
	memcpy(m.target, ns->target, 16);
	m.has_lla = true;
	memcpy(m.lla, mac, ETHER_ADDR_LEN);
	*out = m;
}

void ndp_make_unsolicited_na(const uint8_t mac[ETHER_ADDR_LEN], const uint8_t src[16], const uint8_t target[16],
			     struct ndp_msg *out)
{
	memset(out, 0, sizeof *out);
	memcpy(out->eth_src, mac, ETHER_ADDR_LEN);
	ndp_multicast_mac(ip6_all_nodes, out->eth_dst);
	memcpy(out->src, src, 16);
	memcpy(out->dst, ip6_all_nodes, 16);
	out->hop_limit = NDP_HOP_LIMIT;
	out->type = NDP_NA;
	out->flags = NDP_NA_OVERRIDE;
	memcpy(out->target, target, 16);
	out->has_lla = true;
	memcpy(out->lla, mac, ETHER_ADDR_LEN);
}
