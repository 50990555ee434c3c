/*
 * Unit tests for proto/arp.c: tables of frames. The valid ones were captured
 * with tcpdump from Linux 6.x and arping 2.23 between two namespaces; each
 * malformed row patches one of them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arp.h"
#include "unhex.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* arping 192.0.2.2 from 02:00:00:00:00:01 / 192.0.2.1 (arping pads it to 58 bytes). */
#define REQUEST                                                \
	"ffff ffff ffff 0200 0000 0001 0806 0001"               \
	"0800 0604 0001 0200 0000 0001 c000 0201"               \
	"0000 0000 0000 c000 0202 0000 0000 0000"               \
	"0000 0000 0000 0000 0000"
/* The kernel's reply, 42 bytes (veth does not pad). */
#define REPLY                                                  \
	"0200 0000 0001 0200 0000 0002 0806 0001"               \
	"0800 0604 0002 0200 0000 0002 c000 0202"               \
	"0200 0000 0001 c000 0201"
/* arping -U -S 192.0.2.1 192.0.2.1: a gratuitous request with target hardware broadcast. */
#define GARP_ARPING                                            \
	"ffff ffff ffff 0200 0000 0001 0806 0001"               \
	"0800 0604 0001 0200 0000 0001 c000 0201"               \
	"ffff ffff ffff c000 0201 0000 0000 0000"               \
	"0000 0000 0000 0000 0000"

struct patch {
	size_t off;
	const char *hex;
};

struct decode_row {
	const char *name;
	const char *frame;
	struct patch patch[3];
	size_t len;  /* 0: the whole vector; else truncate to len */
	enum arp_err want;
	uint16_t op;
	const char *spa, *tpa;  /* hex, checked when want is ARP_OK */
};

static const struct decode_row decode_rows[] = {
	{"request", REQUEST, {{0}}, 0, ARP_OK, ARP_OP_REQUEST, "c0000201", "c0000202"},
	{"reply unpadded", REPLY, {{0}}, 0, ARP_OK, ARP_OP_REPLY, "c0000202", "c0000201"},
	{"gratuitous request", GARP_ARPING, {{0}}, 0, ARP_OK, ARP_OP_REQUEST, "c0000201", "c0000201"},
	{"probe from 0.0.0.0", REQUEST, {{28, "00000000"}}, 0, ARP_OK, ARP_OP_REQUEST, "00000000", "c0000202"},
	{"hardware type IEEE 802", REQUEST, {{14, "0006"}}, 0, ARP_OK, ARP_OP_REQUEST, "c0000201", "c0000202"},
	{"exactly 42 bytes", REQUEST, {{0}}, 42, ARP_OK, ARP_OP_REQUEST, "c0000201", "c0000202"},
	{"empty", REQUEST, {{0}}, 1, ARP_ERR_SHORT, 0, 0, 0},
	{"Ethernet header cut", REQUEST, {{0}}, 13, ARP_ERR_SHORT, 0, 0, 0},
	{"ARP fixed part cut", REQUEST, {{0}}, 21, ARP_ERR_SHORT, 0, 0, 0},
	{"target address cut", REQUEST, {{0}}, 41, ARP_ERR_SHORT, 0, 0, 0},
	{"802.1Q tag", REQUEST, {{12, "8100"}}, 0, ARP_ERR_VLAN, 0, 0, 0},
	{"802.1ad tag", REQUEST, {{12, "88a8"}}, 0, ARP_ERR_VLAN, 0, 0, 0},
	{"IPv4 EtherType", REQUEST, {{12, "0800"}}, 0, ARP_ERR_ETHERTYPE, 0, 0, 0},
	{"hardware type 2", REQUEST, {{14, "0002"}}, 0, ARP_ERR_HRD, 0, 0, 0},
	{"protocol IPv6", REQUEST, {{16, "86dd"}}, 0, ARP_ERR_PRO, 0, 0, 0},
	{"hardware length 8", REQUEST, {{18, "08"}}, 0, ARP_ERR_LEN, 0, 0, 0},
	{"protocol length 16", REQUEST, {{19, "10"}}, 0, ARP_ERR_LEN, 0, 0, 0},
	{"RARP request", REQUEST, {{20, "0003"}}, 0, ARP_ERR_OP, 0, 0, 0},
	{"operation 0", REQUEST, {{20, "0000"}}, 0, ARP_ERR_OP, 0, 0, 0},
	{"InARP request", REQUEST, {{20, "0008"}}, 0, ARP_ERR_OP, 0, 0, 0},
	{"sender hardware broadcast", REQUEST, {{22, "ffffffffffff"}}, 0, ARP_ERR_SHA, 0, 0, 0},
	{"sender hardware multicast", REQUEST, {{22, "01005e000001"}}, 0, ARP_ERR_SHA, 0, 0, 0},
	{"sender hardware zero", REQUEST, {{22, "000000000000"}}, 0, ARP_ERR_SHA, 0, 0, 0},
};

static size_t build(const char *hex, const struct patch *patch, size_t npatch, size_t len, uint8_t *buf, size_t cap)
{
	size_t n = unhex(hex, buf, cap);
	for (size_t i = 0; i < npatch && patch[i].hex; i++) {
		uint8_t b[32];
		size_t k = unhex(patch[i].hex, b, sizeof b);
		if (patch[i].off + k > n)
			fail_msg("patch past the vector");
		memcpy(buf + patch[i].off, b, k);
	}
	return len ? len : n;
}

static void test_decode_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(decode_rows); i++) {
		const struct decode_row *row = &decode_rows[i];
		uint8_t buf[128];
		size_t n = build(row->frame, row->patch, N(row->patch), row->len, buf, sizeof buf);
		/* An exact-size heap copy, so ASan sees any read past the end. */
		uint8_t *p = malloc(n);
		assert_non_null(p);
		memcpy(p, buf, n);
		struct arp_pkt pkt;
		enum arp_err e = arp_decode(p, n, &pkt);
		free(p);
		if (e != row->want)
			fail_msg("%s: got %s, want %s", row->name, arp_err_str(e), arp_err_str(row->want));
		if (e != ARP_OK)
			continue;
		uint8_t spa[4], tpa[4];
		unhex(row->spa, spa, 4);
		unhex(row->tpa, tpa, 4);
		assert_int_equal(pkt.op, row->op);
		assert_memory_equal(pkt.spa, spa, 4);
		assert_memory_equal(pkt.tpa, tpa, 4);
		assert_memory_equal(pkt.sha, buf + 22, 6);
		assert_memory_equal(pkt.tha, buf + 32, 6);
		assert_memory_equal(pkt.eth_dst, buf, 6);
		assert_memory_equal(pkt.eth_src, buf + 6, 6);
	}
}

static const uint8_t our_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xaa};
static const uint8_t vip[4] = {192, 0, 2, 2};

struct encode_row {
	const char *name;
	const char *want;
};

static void expect_frame(const char *name, const struct arp_pkt *p, const char *want_hex)
{
	uint8_t want[128], got[128];
	size_t wn = unhex(want_hex, want, sizeof want);
	size_t gn = arp_encode(p, got, sizeof got);
	if (gn != wn)
		fail_msg("%s: %zu bytes, want %zu", name, gn, wn);
	if (memcmp(got, want, wn) != 0) {
		for (size_t i = 0; i < wn; i++)
			if (got[i] != want[i])
				fail_msg("%s: byte %zu is %02x, want %02x", name, i, got[i], want[i]);
	}
	/* What we write, we read back the same. */
	struct arp_pkt back;
	assert_int_equal(arp_decode(got, gn, &back), ARP_OK);
	assert_memory_equal(&back, p, sizeof back);
}

static void test_encode(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct arp_pkt req, out;

	assert_int_equal(arp_decode(buf, build(REQUEST, NULL, 0, 0, buf, sizeof buf), &req), ARP_OK);
	arp_make_reply(&req, our_mac, vip, &out);
	expect_frame("reply", &out,
		     "0200 0000 0001 0200 0000 00aa 0806 0001"
		     "0800 0604 0002 0200 0000 00aa c000 0202"
		     "0200 0000 0001 c000 0201 0000 0000 0000"
		     "0000 0000 0000 0000 0000 0000");

	/* RFC 5227 probe: sender 0.0.0.0; the answer goes to 0.0.0.0 at the prober's MAC. */
	struct patch probe = {28, "00000000"};
	assert_int_equal(arp_decode(buf, build(REQUEST, &probe, 1, 0, buf, sizeof buf), &req), ARP_OK);
	arp_make_reply(&req, our_mac, vip, &out);
	expect_frame("reply to a probe", &out,
		     "0200 0000 0001 0200 0000 00aa 0806 0001"
		     "0800 0604 0002 0200 0000 00aa c000 0202"
		     "0200 0000 0001 0000 0000 0000 0000 0000"
		     "0000 0000 0000 0000 0000 0000");

	arp_make_gratuitous(ARP_OP_REQUEST, our_mac, vip, &out);
	expect_frame("gratuitous request", &out,
		     "ffff ffff ffff 0200 0000 00aa 0806 0001"
		     "0800 0604 0001 0200 0000 00aa c000 0202"
		     "0000 0000 0000 c000 0202 0000 0000 0000"
		     "0000 0000 0000 0000 0000 0000");

	arp_make_gratuitous(ARP_OP_REPLY, our_mac, vip, &out);
	expect_frame("gratuitous reply", &out,
		     "ffff ffff ffff 0200 0000 00aa 0806 0001"
		     "0800 0604 0002 0200 0000 00aa c000 0202"
		     "ffff ffff ffff c000 0202 0000 0000 0000"
		     "0000 0000 0000 0000 0000 0000");
}

static void test_encode_small_buffer(void **state)
{
	(void)state;
	uint8_t buf[ARP_FRAME_LEN];
	struct arp_pkt p;

	arp_make_gratuitous(ARP_OP_REQUEST, our_mac, vip, &p);
	assert_int_equal(arp_encode(&p, buf, sizeof buf), ARP_FRAME_LEN);
	for (size_t cap = 0; cap < ARP_FRAME_LEN; cap++)
		assert_int_equal(arp_encode(&p, buf, cap), 0);
}

static void test_err_str(void **state)
{
	(void)state;
	for (int e = 0; e < ARP_ERR_MAX; e++)
		assert_non_null(arp_err_str((enum arp_err)e));
	assert_string_equal(arp_err_str(ARP_ERR_MAX), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_small_buffer),
		cmocka_unit_test(test_err_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
