/*
 * Unit tests for proto/ndp.c: tables of frames. The valid ones were captured
 * with tcpdump from Linux 6.x and ndisc6 1.0.5 between two namespaces; each
 * malformed row patches one of them (and, where the row says so, fixes the
 * checksum up again, so the check under test is the one that fails).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inet_csum.h"
#include "ndp.h"
#include "unhex.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ndisc6 fe80::ff:fe00:2 from fe80::ff:fe00:1 (02:00:00:00:00:01): multicast NS with SLLA. */
#define NS_MCAST                                              \
	"3333 ff00 0002 0200 0000 0001 86dd 600f"              \
	"714d 0020 3aff fe80 0000 0000 0000 0000"              \
	"00ff fe00 0001 ff02 0000 0000 0000 0000"              \
	"0001 ff00 0002 8700 7c97 0000 0000 fe80"              \
	"0000 0000 0000 0000 00ff fe00 0002 0101"              \
	"0200 0000 0001"
/* The kernel's answer: solicited NA (S, O) with TLLA. */
#define NA_SOLICITED                                          \
	"0200 0000 0001 0200 0000 0002 86dd 6000"              \
	"0000 0020 3aff fe80 0000 0000 0000 0000"              \
	"00ff fe00 0002 fe80 0000 0000 0000 0000"              \
	"00ff fe00 0001 8800 1b1a 6000 0000 fe80"              \
	"0000 0000 0000 0000 00ff fe00 0002 0201"              \
	"0200 0000 0002"
/* Duplicate address detection for 2001:db8::1: from ::, with a Nonce option (RFC 7527). */
#define NS_DAD                                                \
	"3333 ff00 0001 0200 0000 0001 86dd 6000"              \
	"0000 0020 3aff 0000 0000 0000 0000 0000"              \
	"0000 0000 0000 ff02 0000 0000 0000 0000"              \
	"0001 ff00 0001 8700 9ce8 0000 0000 2001"              \
	"0db8 0000 0000 0000 0000 0000 0001 0e01"              \
	"5e3a 7d38 c688"
/* Neighbour unreachability detection: unicast NS, and the NA (S only) without TLLA. */
#define NS_UNICAST                                            \
	"0200 0000 0002 0200 0000 0001 86dd 6000"              \
	"0000 0020 3aff fe80 0000 0000 0000 0000"              \
	"00ff fe00 0001 fe80 0000 0000 0000 0000"              \
	"00ff fe00 0002 8700 7d1b 0000 0000 fe80"              \
	"0000 0000 0000 0000 00ff fe00 0002 0101"              \
	"0200 0000 0001"
#define NA_NO_TLLA                                            \
	"0200 0000 0001 0200 0000 0002 86dd 6000"              \
	"0000 0018 3aff fe80 0000 0000 0000 0000"              \
	"00ff fe00 0002 fe80 0000 0000 0000 0000"              \
	"00ff fe00 0001 8800 3f25 4000 0000 fe80"              \
	"0000 0000 0000 0000 00ff fe00 0002"
/* A Router Solicitation: well formed, but not ours. */
#define RS                                                    \
	"3333 0000 0002 0200 0000 0001 86dd 6000"              \
	"0000 0010 3aff fe80 0000 0000 0000 0000"              \
	"00ff fe00 0001 ff02 0000 0000 0000 0000"              \
	"0000 0000 0002 8500 7b2c 0000 0000 0101"              \
	"0200 0000 0001"

/* Frame offsets. */
enum { O_ETYPE = 12, O_VER = 14, O_PLEN = 18, O_NEXT = 20, O_HOP = 21, O_SRC = 22, O_DST = 38,
       O_TYPE = 54, O_CODE = 55, O_CSUM = 56, O_FLAGS = 58, O_TARGET = 62, O_OPT = 78 };

struct patch {
	size_t off;
	const char *hex;
};

struct row {
	const char *name;
	const char *frame;
	struct patch patch[4];
	size_t len;     /* 0: the vector's length; shorter truncates, longer appends zeros */
	bool fix_csum;  /* recompute the ICMPv6 checksum after patching */
	enum ndp_err want;
	uint8_t type, flags;
	const char *lla;  /* expected option address, NULL: none */
};

static const struct row rows[] = {
	/* Valid. */
	{"multicast NS", NS_MCAST, {{0}}, 0, false, NDP_OK, NDP_NS, 0, "020000000001"},
	{"solicited NA", NA_SOLICITED, {{0}}, 0, false, NDP_OK, NDP_NA, 0x60, "020000000002"},
	{"DAD NS with nonce", NS_DAD, {{0}}, 0, false, NDP_OK, NDP_NS, 0, NULL},
	{"unicast NS", NS_UNICAST, {{0}}, 0, false, NDP_OK, NDP_NS, 0, "020000000001"},
	{"NA without TLLA", NA_NO_TLLA, {{0}}, 0, false, NDP_OK, NDP_NA, 0x40, NULL},
	{"Ethernet padding after the payload", NA_NO_TLLA, {{0}}, 90, false, NDP_OK, NDP_NA, 0x40, NULL},
	{"NS reserved bits ignored", NS_MCAST, {{O_FLAGS, "ffffffff"}}, 0, true, NDP_OK, NDP_NS, 0, "020000000001"},
	{"NA reserved bits dropped", NA_SOLICITED, {{O_FLAGS, "ffffffff"}}, 0, true, NDP_OK, NDP_NA, 0xe0,
	 "020000000002"},
	{"TLLA in an NS is skipped", NS_MCAST, {{O_OPT, "02"}}, 0, true, NDP_OK, NDP_NS, 0, NULL},
	{"unknown option skipped, then SLLA", NS_MCAST, {{O_PLEN, "0028"}, {O_OPT, "0e01 0000 0000 0000 0101 0200 0000 0001"}},
	 94, true, NDP_OK, NDP_NS, 0, "020000000001"},
	{"second SLLA ignored", NS_MCAST, {{O_PLEN, "0028"}, {O_OPT + 8, "0101 0200 0000 0099"}}, 94, true, NDP_OK,
	 NDP_NS, 0, "020000000001"},
	{"unsolicited NA to all nodes", NA_SOLICITED, {{O_DST, "ff02 0000 0000 0000 0000 0000 0000 0001"}, {O_FLAGS, "20"}},
	 0, true, NDP_OK, NDP_NA, 0x20, "020000000002"},
	/* Framing and IPv6 header. */
	{"empty", NS_MCAST, {{0}}, 1, false, NDP_ERR_SHORT, 0, 0, 0},
	{"Ethernet header cut", NS_MCAST, {{0}}, 13, false, NDP_ERR_SHORT, 0, 0, 0},
	{"IPv6 header cut", NS_MCAST, {{0}}, 53, false, NDP_ERR_SHORT, 0, 0, 0},
	{"802.1Q tag", NS_MCAST, {{O_ETYPE, "8100"}}, 0, false, NDP_ERR_VLAN, 0, 0, 0},
	{"IPv4 EtherType", NS_MCAST, {{O_ETYPE, "0800"}}, 0, false, NDP_ERR_ETHERTYPE, 0, 0, 0},
	{"Ethernet source multicast", NS_MCAST, {{6, "01"}}, 0, false, NDP_ERR_ETH_SRC, 0, 0, 0},
	{"Ethernet source zero", NS_MCAST, {{6, "000000000000"}}, 0, false, NDP_ERR_ETH_SRC, 0, 0, 0},
	{"IP version 4", NS_MCAST, {{O_VER, "45"}}, 0, false, NDP_ERR_VERSION, 0, 0, 0},
	{"hop-by-hop header", NS_MCAST, {{O_NEXT, "00"}}, 0, false, NDP_ERR_NEXT_HEADER, 0, 0, 0},
	{"next header UDP", NS_MCAST, {{O_NEXT, "11"}}, 0, false, NDP_ERR_NEXT_HEADER, 0, 0, 0},
	{"source multicast", NS_MCAST, {{O_SRC, "ff"}}, 0, true, NDP_ERR_SRC, 0, 0, 0},
	{"hop limit 254", NS_MCAST, {{O_HOP, "fe"}}, 0, false, NDP_ERR_HOP_LIMIT, 0, 0, 0},
	{"hop limit 1", NA_SOLICITED, {{O_HOP, "01"}}, 0, false, NDP_ERR_HOP_LIMIT, 0, 0, 0},
	{"payload length past the frame", NS_MCAST, {{O_PLEN, "0021"}}, 0, false, NDP_ERR_PAYLOAD_LEN, 0, 0, 0},
	{"message cut", NS_MCAST, {{0}}, 85, false, NDP_ERR_PAYLOAD_LEN, 0, 0, 0},
	/* ICMPv6 (RFC 4861 7.1.1 and 7.1.2). */
	{"router solicitation", RS, {{0}}, 0, false, NDP_ERR_TYPE, 0, 0, 0},
	{"echo request", NS_MCAST, {{O_TYPE, "80"}}, 0, true, NDP_ERR_TYPE, 0, 0, 0},
	{"code 1", NS_MCAST, {{O_CODE, "01"}}, 0, true, NDP_ERR_CODE, 0, 0, 0},
	{"ICMP length 0", NS_MCAST, {{O_PLEN, "0000"}}, 0, false, NDP_ERR_ICMP_LEN, 0, 0, 0},
	{"ICMP length 1", NS_MCAST, {{O_PLEN, "0001"}}, 0, false, NDP_ERR_ICMP_LEN, 0, 0, 0},
	{"ICMP length 23", NA_NO_TLLA, {{O_PLEN, "0017"}}, 0, false, NDP_ERR_ICMP_LEN, 0, 0, 0},
	{"bad checksum", NS_MCAST, {{O_CSUM, "7c98"}}, 0, false, NDP_ERR_CHECKSUM, 0, 0, 0},
	{"checksum over a changed target", NS_MCAST, {{O_TARGET + 15, "03"}}, 0, false, NDP_ERR_CHECKSUM, 0, 0, 0},
	{"checksum covers the pseudo-header", NS_MCAST, {{O_SRC + 15, "02"}}, 0, false, NDP_ERR_CHECKSUM, 0, 0, 0},
	{"NS target multicast", NS_MCAST, {{O_TARGET, "ff02"}}, 0, true, NDP_ERR_TARGET, 0, 0, 0},
	{"NA target multicast", NA_SOLICITED, {{O_TARGET, "ff02"}}, 0, true, NDP_ERR_TARGET, 0, 0, 0},
	{"option length 0", NS_MCAST, {{O_OPT + 1, "00"}}, 0, true, NDP_ERR_OPT_LEN0, 0, 0, 0},
	{"unknown option length 0", NS_DAD, {{O_OPT + 1, "00"}}, 0, true, NDP_ERR_OPT_LEN0, 0, 0, 0},
	{"option past the message", NS_MCAST, {{O_OPT + 1, "02"}}, 0, true, NDP_ERR_OPT_TRUNC, 0, 0, 0},
	{"option header cut", NS_MCAST, {{O_PLEN, "0021"}, {O_OPT + 8, "01"}}, 87, true, NDP_ERR_OPT_TRUNC, 0, 0, 0},
	{"SLLA of 16 bytes", NS_MCAST, {{O_PLEN, "0028"}, {O_OPT + 1, "02"}}, 94, true, NDP_ERR_LLA, 0, 0, 0},
	{"SLLA multicast", NS_MCAST, {{O_OPT + 2, "01"}}, 0, true, NDP_ERR_LLA, 0, 0, 0},
	{"TLLA broadcast", NA_SOLICITED, {{O_OPT + 2, "ffffffffffff"}}, 0, true, NDP_ERR_LLA, 0, 0, 0},
	{"DAD NS to all nodes", NS_DAD, {{O_DST, "ff02 0000 0000 0000 0000 0000 0000 0001"}}, 0, true,
	 NDP_ERR_DAD_DST, 0, 0, 0},
	{"DAD NS to the target", NS_DAD, {{O_DST, "2001 0db8 0000 0000 0000 0000 0000 0001"}}, 0, true,
	 NDP_ERR_DAD_DST, 0, 0, 0},
	{"DAD NS with SLLA", NS_DAD, {{O_OPT, "01"}}, 0, true, NDP_ERR_DAD_SLLA, 0, 0, 0},
	{"NA to all nodes with S", NA_SOLICITED, {{O_DST, "ff02 0000 0000 0000 0000 0000 0000 0001"}}, 0, true,
	 NDP_ERR_NA_SOLICITED, 0, 0, 0},
};

/* An independent checksum: RFC 1071 over pseudo-header and message, written out longhand. */
static void fix_checksum(uint8_t *f, size_t n)
{
	size_t plen = (size_t)f[O_PLEN] << 8 | f[O_PLEN + 1];
	uint32_t s = 0;

	assert_true(O_TYPE + plen <= n);
	f[O_CSUM] = f[O_CSUM + 1] = 0;
	for (size_t i = O_SRC; i < O_TYPE; i += 2)
		s += (uint32_t)(f[i] << 8 | f[i + 1]);
	s += (uint32_t)plen + IPV6_NEXT_ICMPV6;
	for (size_t i = 0; i < plen; i += 2)
		s += (uint32_t)(f[O_TYPE + i] << 8 | (i + 1 < plen ? f[O_TYPE + i + 1] : 0));
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	f[O_CSUM] = (uint8_t)(~s >> 8);
	f[O_CSUM + 1] = (uint8_t)~s;
}

static size_t build(const struct row *row, uint8_t *buf, size_t cap)
{
	memset(buf, 0, cap);
	size_t n = unhex(row->frame, buf, cap);
	if (row->len)
		n = row->len;
	for (size_t i = 0; i < N(row->patch) && row->patch[i].hex; i++) {
		uint8_t b[32];
		size_t k = unhex(row->patch[i].hex, b, sizeof b);
		if (row->patch[i].off + k > n)
			fail_msg("%s: patch past the vector", row->name);
		memcpy(buf + row->patch[i].off, b, k);
	}
	if (row->fix_csum)
		fix_checksum(buf, n);
	return n;
}

static void test_decode_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		const struct row *row = &rows[i];
		uint8_t buf[256];
		size_t n = build(row, buf, sizeof buf);
		uint8_t *p = malloc(n);  /* exact size: ASan sees any read past the end */
		assert_non_null(p);
		memcpy(p, buf, n);
		struct ndp_msg m;
		enum ndp_err e = ndp_decode(p, n, &m);
		if (e != row->want)
			fail_msg("%s: got %s, want %s", row->name, ndp_err_str(e), ndp_err_str(row->want));
		/* From the IPv6 header on, the same verdict (framing errors aside). */
		if (n >= ETHER_HDR_LEN && e != NDP_ERR_VLAN && e != NDP_ERR_ETHERTYPE && e != NDP_ERR_ETH_SRC) {
			struct ndp_msg m6;
			enum ndp_err e6 = ndp_decode_ip6(p + ETHER_HDR_LEN, n - ETHER_HDR_LEN, &m6);
			if (e6 != e)
				fail_msg("%s: from the IPv6 header got %s, want %s", row->name, ndp_err_str(e6),
					 ndp_err_str(e));
			if (e == NDP_OK) {
				assert_memory_equal(m6.target, m.target, 16);
				assert_true(ether_is_zero(m6.eth_src) && ether_is_zero(m6.eth_dst));
			}
		}
		free(p);
		if (e != NDP_OK)
			continue;
		assert_int_equal(m.type, row->type);
		assert_int_equal(m.flags, row->flags);
		assert_int_equal(m.hop_limit, 255);
		assert_memory_equal(m.eth_dst, buf, 6);
		assert_memory_equal(m.eth_src, buf + 6, 6);
		assert_memory_equal(m.src, buf + O_SRC, 16);
		assert_memory_equal(m.dst, buf + O_DST, 16);
		assert_memory_equal(m.target, buf + O_TARGET, 16);
		if (row->lla) {
			uint8_t lla[6];
			unhex(row->lla, lla, 6);
			assert_true(m.has_lla);
			assert_memory_equal(m.lla, lla, 6);
		} else {
			assert_false(m.has_lla);
		}
	}
}

static const uint8_t our_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xaa};
static const uint8_t our_ll[16] = {0xfe, 0x80, [11] = 0xff, [12] = 0xfe, [15] = 0xaa};

static void expect_frame(const char *name, const struct ndp_msg *m, const char *want_hex)
{
	uint8_t want[128], got[128];
	size_t wn = unhex(want_hex, want, sizeof want);
	size_t gn = ndp_encode(m, got, sizeof got);
	if (gn != wn)
		fail_msg("%s: %zu bytes, want %zu", name, gn, wn);
	for (size_t i = 0; i < wn; i++)
		if (got[i] != want[i])
			fail_msg("%s: byte %zu is %02x, want %02x", name, i, got[i], want[i]);
	struct ndp_msg back;
	enum ndp_err e = ndp_decode(got, gn, &back);
	if (e != NDP_OK)
		fail_msg("%s: reads back as %s", name, ndp_err_str(e));
	assert_memory_equal(&back, m, sizeof back);
}

static struct ndp_msg decoded(const char *hex)
{
	uint8_t buf[128];
	struct ndp_msg m;
	size_t n = unhex(hex, buf, sizeof buf);
	assert_int_equal(ndp_decode(buf, n, &m), NDP_OK);
	return m;
}

static void test_encode(void **state)
{
	(void)state;
	struct ndp_msg ns, out;

	/* The kernel's own solicited NA, re-made from its NS: same bytes. */
	static const uint8_t kmac[6] = {0x02, 0, 0, 0, 0, 0x02};
	static const uint8_t kll[16] = {0xfe, 0x80, [8] = 0x00, [9] = 0x00, [10] = 0x00, [11] = 0xff, [12] = 0xfe, [15] = 0x02};
	ns = decoded(NS_MCAST);
	ndp_make_na_reply(&ns, kmac, kll, &out);
	expect_frame("solicited NA as Linux writes it", &out, NA_SOLICITED);

	/* A VIP, answered from our link-local. */
	ns = decoded(NS_MCAST);
	memcpy(ns.target, (uint8_t[16]){0x20, 0x01, 0x0d, 0xb8, [15] = 0x10}, 16);
	ndp_make_na_reply(&ns, our_mac, our_ll, &out);
	expect_frame("solicited NA for a VIP", &out,
		     "0200 0000 0001 0200 0000 00aa 86dd 6000"
		     "0000 0020 3aff fe80 0000 0000 0000 0000"
		     "00ff fe00 00aa fe80 0000 0000 0000 0000"
		     "00ff fe00 0001 8800 e983 6000 0000 2001"
		     "0db8 0000 0000 0000 0000 0000 0010 0201"
		     "0200 0000 00aa");

	/* A unicast NS without SLLA: the answer goes to the frame's source. */
	uint8_t buf[128];
	size_t n = unhex(NS_UNICAST, buf, sizeof buf);
	buf[O_PLEN + 1] = 0x18;
	fix_checksum(buf, n - 8);
	assert_int_equal(ndp_decode(buf, n - 8, &ns), NDP_OK);
	assert_false(ns.has_lla);
	ndp_make_na_reply(&ns, our_mac, our_ll, &out);
	assert_memory_equal(out.eth_dst, ns.eth_src, 6);
	assert_int_equal(out.flags, NDP_NA_SOLICITED | NDP_NA_OVERRIDE);

	/* Duplicate address detection: defended to all nodes, Override only (RFC 4861 7.2.4). */
	ns = decoded(NS_DAD);
	ndp_make_na_reply(&ns, our_mac, our_ll, &out);
	expect_frame("NA defending against DAD", &out,
		     "3333 0000 0001 0200 0000 00aa 86dd 6000"
		     "0000 0020 3aff fe80 0000 0000 0000 0000"
		     "00ff fe00 00aa ff02 0000 0000 0000 0000"
		     "0000 0000 0001 8800 2811 2000 0000 2001"
		     "0db8 0000 0000 0000 0000 0000 0001 0201"
		     "0200 0000 00aa");

	static const uint8_t vip[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x10};
	ndp_make_unsolicited_na(our_mac, our_ll, vip, &out);
	expect_frame("unsolicited NA", &out,
		     "3333 0000 0001 0200 0000 00aa 86dd 6000"
		     "0000 0020 3aff fe80 0000 0000 0000 0000"
		     "00ff fe00 00aa ff02 0000 0000 0000 0000"
		     "0000 0000 0001 8800 2802 2000 0000 2001"
		     "0db8 0000 0000 0000 0000 0000 0010 0201"
		     "0200 0000 00aa");

	/* An NS as ndisc6 sends it, from the structure. */
	ns = decoded(NS_MCAST);
	n = ndp_encode(&ns, buf, sizeof buf);
	uint8_t want[128];
	size_t wn = unhex(NS_MCAST, want, sizeof want);
	assert_int_equal(n, wn);
	want[15] = 0, want[16] = want[17] = 0;  /* ndisc6 sets a flow label; we write none */
	assert_memory_equal(buf, want, wn);
}

static void test_encode_small_buffer(void **state)
{
	(void)state;
	uint8_t buf[NDP_FRAME_MAX];
	struct ndp_msg m;
	static const uint8_t vip[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x10};

	ndp_make_unsolicited_na(our_mac, our_ll, vip, &m);
	assert_int_equal(ndp_encode(&m, buf, sizeof buf), NDP_FRAME_MAX);
	for (size_t cap = 0; cap < NDP_FRAME_MAX; cap++)
		assert_int_equal(ndp_encode(&m, buf, cap), 0);
}

static void test_multicast(void **state)
{
	(void)state;
	uint8_t ip[16], want[16], got[16], mac[6];

	unhex("2001 0db8 0000 0000 0000 0000 12ab cdef", ip, 16);
	unhex("ff02 0000 0000 0000 0000 0001 ffab cdef", want, 16);
	ndp_solicited_node(ip, got);
	assert_memory_equal(got, want, 16);
	assert_true(ip6_is_solicited_node(got));
	assert_false(ip6_is_solicited_node(ip));
	assert_false(ip6_is_solicited_node(ip6_all_nodes));
	ndp_multicast_mac(got, mac);
	unhex("3333 ffab cdef", want, 6);
	assert_memory_equal(mac, want, 6);
	ndp_multicast_mac(ip6_all_nodes, mac);
	unhex("3333 0000 0001", want, 6);
	assert_memory_equal(mac, want, 6);
	assert_true(ip6_is_unspecified((uint8_t[16]){0}));
	assert_false(ip6_is_unspecified(ip6_all_nodes));
}

static void test_err_str(void **state)
{
	(void)state;
	for (int e = 0; e < NDP_ERR_MAX; e++)
		assert_non_null(ndp_err_str((enum ndp_err)e));
	assert_string_equal(ndp_err_str(NDP_ERR_MAX), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_small_buffer),
		cmocka_unit_test(test_multicast),
		cmocka_unit_test(test_err_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
