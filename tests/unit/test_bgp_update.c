/*
 * Unit tests for UPDATE decoding (proto/bgp_update.c, bgp_attr.c): one table
 * row per malformed case with the RFC 7606 outcome (session reset with its
 * NOTIFICATION, treat-as-withdraw, attribute discard) and the NOTIFICATION
 * code, subcode and data RFC 4271 gives it; then well-formed messages
 * decoded field by field.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_bgp_util.h"

/* Attribute pieces (AS 65001, next hop 192.0.2.1, 198.51.100.0/24). */
#define ORIGIN "40 01 01 00 "
#define ASP2 "40 02 04 02 01 fde9 "          /* AS_SEQUENCE [65001], 2-octet */
#define ASP4 "40 02 06 02 01 0000fde9 "      /* the same, 4-octet */
#define NH "40 03 04 c0000201 "
#define LP "40 05 04 00000064 "
#define BASE2 ORIGIN ASP2 NH
#define BASE4 ORIGIN ASP4 NH
#define NLRI "18 c63364"
#define G6 "20010db8000000000000000000000001"
#define LL6 "fe800000000000000000000000000001"
/* 2001:db8:1::/64 via 2001:db8::1 and fe80::1 */
#define MP6 "80 0e 2e 0002 01 20 " G6 LL6 " 00 40 20010db800010000 "
/* withdraw 2001:db8:2::/64 */
#define MPU6 "80 0f 0c 0002 01 40 20010db800020000 "

enum outcome { OK, DISCARD, WITHDRAW, RESET };

struct upd_row {
	const char *name;
	const char *withdrawn, *attrs, *nlri;  /* hex, the lengths are computed */
	const char *raw;                       /* else: the whole body */
	bool as4, ibgp;
	enum outcome expect;
	uint8_t subcode;   /* RESET: the NOTIFICATION's; WITHDRAW, DISCARD: the one RFC 4271 would send (0: none) */
	const char *data;  /* NULL: not checked */
};

static const struct upd_row upd_rows[] = {
	/* ORIGIN (RFC 7606 7.1) */
	{"ORIGIN 3", "", "40 01 01 03" ASP2 NH, NLRI, NULL, false, false, WITHDRAW, 6, "40010103"},
	{"ORIGIN of 2 bytes", "", "40 01 02 0000" ASP2 NH, NLRI, NULL, false, false, WITHDRAW, 5, "4001020000"},
	{"ORIGIN with the optional bit", "", "c0 01 01 00" ASP2 NH, NLRI, NULL, false, false, WITHDRAW, 4, "c0010100"},
	{"ORIGIN non-transitive", "", "00 01 01 00" ASP2 NH, NLRI, NULL, false, false, WITHDRAW, 4, "00010100"},
	{"ORIGIN with the partial bit: accepted", "", "60 01 01 00" ASP2 NH, NLRI, NULL, false, false, OK, 0, ""},
	{"ORIGIN with an extended length: accepted", "", "50 01 0001 00" ASP2 NH, NLRI, NULL, false, false, OK, 0, ""},
	/* AS_PATH (7.2) */
	{"AS_PATH segment type 5", "", ORIGIN "40 02 04 05 01 fde9" NH, NLRI, NULL, false, false, WITHDRAW, 11, ""},
	{"AS_PATH segment type 0", "", ORIGIN "40 02 04 00 01 fde9" NH, NLRI, NULL, false, false, WITHDRAW, 11, ""},
	{"AS_PATH empty segment", "", ORIGIN "40 02 02 02 00" NH, NLRI, NULL, false, false, WITHDRAW, 11, ""},
	{"AS_PATH segment past the attribute", "", ORIGIN "40 02 04 02 02 fde9" NH, NLRI, NULL, false, false,
	 WITHDRAW, 11, ""},
	{"AS_PATH lone byte after a segment", "", ORIGIN "40 02 05 02 01 fde9 02" NH, NLRI, NULL, false, false,
	 WITHDRAW, 11, ""},
	{"AS_PATH of 2-octet ASNs on a 4-octet session", "", BASE2, NLRI, NULL, true, false, WITHDRAW, 11, ""},
	{"AS_PATH of 4-octet ASNs on a 2-octet session", "", BASE4, NLRI, NULL, false, false, WITHDRAW, 11, ""},
	{"AS_PATH with an AS_CONFED_SEQUENCE (RFC 5065 5)", "", ORIGIN "40 02 08 03 01 fde9 02 01 fdea" NH, NLRI, NULL,
	 false, false, WITHDRAW, 11, ""},
	{"AS_PATH with an AS_CONFED_SET, iBGP", "", ORIGIN "40 02 08 02 01 fde9 04 01 fdea" NH LP, NLRI, NULL, false, true,
	 WITHDRAW, 11, ""},
	{"AS_PATH empty: accepted (the first-AS check is the session's)", "", ORIGIN "40 02 00" NH, NLRI, NULL, false,
	 false, OK, 0, ""},
	{"AS_PATH optional", "", ORIGIN "c0 02 04 02 01 fde9" NH, NLRI, NULL, false, false, WITHDRAW, 4, NULL},
	/* NEXT_HOP (7.3, RFC 4271 6.3) */
	{"NEXT_HOP of 5 bytes", "", ORIGIN ASP2 "40 03 05 c000020100", NLRI, NULL, false, false, WITHDRAW, 5,
	 "400305c000020100"},
	{"NEXT_HOP of 3 bytes", "", ORIGIN ASP2 "40 03 03 c00002", NLRI, NULL, false, false, WITHDRAW, 5, NULL},
	{"NEXT_HOP 0.0.0.0", "", ORIGIN ASP2 "40 03 04 00000000", NLRI, NULL, false, false, WITHDRAW, 8,
	 "40030400000000"},
	{"NEXT_HOP 224.0.0.1", "", ORIGIN ASP2 "40 03 04 e0000001", NLRI, NULL, false, false, WITHDRAW, 8, NULL},
	{"NEXT_HOP 127.0.0.1", "", ORIGIN ASP2 "40 03 04 7f000001", NLRI, NULL, false, false, WITHDRAW, 8, NULL},
	{"NEXT_HOP 255.255.255.255", "", ORIGIN ASP2 "40 03 04 ffffffff", NLRI, NULL, false, false, WITHDRAW, 8, NULL},
	{"NEXT_HOP optional", "", ORIGIN ASP2 "80 03 04 c0000201", NLRI, NULL, false, false, WITHDRAW, 4, NULL},
	/* MULTI_EXIT_DISC (7.4) */
	{"MED of 3 bytes", "", BASE2 "80 04 03 000001", NLRI, NULL, false, false, WITHDRAW, 5, "800403000001"},
	{"MED well-known", "", BASE2 "40 04 04 00000001", NLRI, NULL, false, false, WITHDRAW, 4, "40040400000001"},
	{"MED optional transitive", "", BASE2 "c0 04 04 00000001", NLRI, NULL, false, false, WITHDRAW, 4, NULL},
	/* LOCAL_PREF (7.5) */
	{"LOCAL_PREF of 3 bytes, iBGP", "", BASE2 "40 05 03 000064", NLRI, NULL, false, true, WITHDRAW, 5, "400503000064"},
	{"LOCAL_PREF of 3 bytes from eBGP: discarded", "", BASE2 "40 05 03 000064", NLRI, NULL, false, false, DISCARD, 0,
	 ""},
	{"LOCAL_PREF optional from eBGP: discarded unread", "", BASE2 "80 05 04 00000064", NLRI, NULL, false, false,
	 DISCARD, 0, ""},
	{"LOCAL_PREF optional, iBGP", "", BASE2 "80 05 04 00000064", NLRI, NULL, false, true, WITHDRAW, 4, NULL},
	/* Missing mandatory attributes (RFC 7606 3 d; data: the type code, RFC 4271 6.3) */
	{"LOCAL_PREF missing, iBGP", "", BASE2, NLRI, NULL, false, true, WITHDRAW, 3, "05"},
	{"ORIGIN missing", "", ASP2 NH, NLRI, NULL, false, false, WITHDRAW, 3, "01"},
	{"AS_PATH missing", "", ORIGIN NH, NLRI, NULL, false, false, WITHDRAW, 3, "02"},
	{"NEXT_HOP missing", "", ORIGIN ASP2, NLRI, NULL, false, false, WITHDRAW, 3, "03"},
	{"all missing", "", "", NLRI, NULL, false, false, WITHDRAW, 3, "01"},
	{"no NLRI: nothing mandatory", "18 c63364", "80 04 04 00000001", "", NULL, false, true, OK, 0, ""},
	{"iBGP with LOCAL_PREF", "", BASE2 LP, NLRI, NULL, false, true, OK, 0, ""},
	/* ATOMIC_AGGREGATE, AGGREGATOR (7.6, 7.7) */
	{"ATOMIC_AGGREGATE of 1 byte", "", BASE2 "40 06 01 00", NLRI, NULL, false, false, DISCARD, 5, "40060100"},
	{"ATOMIC_AGGREGATE", "", BASE2 "40 06 00", NLRI, NULL, false, false, OK, 0, ""},
	{"ATOMIC_AGGREGATE optional", "", BASE2 "c0 06 00", NLRI, NULL, false, false, WITHDRAW, 4, "c00600"},
	{"AGGREGATOR of 8 bytes, 2-octet session", "", BASE2 "c0 07 08 0000fde9 c0000201", NLRI, NULL, false, false,
	 DISCARD, 5, NULL},
	{"AGGREGATOR of 6 bytes, 4-octet session", "", BASE4 "c0 07 06 fde9 c0000201", NLRI, NULL, true, false, DISCARD,
	 5, NULL},
	{"AGGREGATOR of 6 bytes, 2-octet session", "", BASE2 "c0 07 06 fde9 c0000201", NLRI, NULL, false, false, OK, 0,
	 ""},
	{"AGGREGATOR of 8 bytes, 4-octet session", "", BASE4 "c0 07 08 0000fde9 c0000201", NLRI, NULL, true, false, OK,
	 0, ""},
	{"AGGREGATOR well-known", "", BASE2 "40 07 06 fde9 c0000201", NLRI, NULL, false, false, WITHDRAW, 4, NULL},
	/* COMMUNITIES (7.8), LARGE_COMMUNITY (RFC 8092 6), EXTENDED_COMMUNITIES (7.14) */
	{"COMMUNITIES empty", "", BASE2 "c0 08 00", NLRI, NULL, false, false, WITHDRAW, 5, "c00800"},
	{"COMMUNITIES of 5 bytes", "", BASE2 "c0 08 05 fde90064 00", NLRI, NULL, false, false, WITHDRAW, 5, NULL},
	{"COMMUNITIES non-transitive", "", BASE2 "80 08 04 fde90064", NLRI, NULL, false, false, WITHDRAW, 4, NULL},
	{"LARGE_COMMUNITY of 13 bytes", "", BASE2 "c0 20 0d fa56ea01 00000001 00000002 00", NLRI, NULL, false, false,
	 WITHDRAW, 5, NULL},
	{"LARGE_COMMUNITY empty", "", BASE2 "c0 20 00", NLRI, NULL, false, false, WITHDRAW, 5, "c02000"},
	{"LARGE_COMMUNITY twice the same value: accepted", "",
	 BASE2 "c0 20 18 fa56ea01 00000001 00000002 fa56ea01 00000001 00000002", NLRI, NULL, false, false, OK, 0, ""},
	{"LARGE_COMMUNITY well-known", "", BASE2 "40 20 0c fa56ea01 00000001 00000002", NLRI, NULL, false, false,
	 WITHDRAW, 4, NULL},
	{"EXTENDED_COMMUNITIES of 7 bytes", "", BASE2 "c0 10 07 00020000fde900", NLRI, NULL, false, false, WITHDRAW,
	 5, NULL},
	{"EXTENDED_COMMUNITIES", "", BASE2 "c0 10 08 00020000fde90064", NLRI, NULL, false, false, OK, 0, ""},
	/* ORIGINATOR_ID, CLUSTER_LIST (7.9, 7.10) */
	{"ORIGINATOR_ID from eBGP: discarded unread", "", BASE2 "80 09 03 c00002", NLRI, NULL, false, false, DISCARD, 0,
	 ""},
	{"ORIGINATOR_ID of 3 bytes, iBGP", "", BASE2 LP "80 09 03 c00002", NLRI, NULL, false, true, WITHDRAW, 5, NULL},
	{"CLUSTER_LIST of 6 bytes, iBGP", "", BASE2 LP "80 0a 06 c0000201 0000", NLRI, NULL, false, true, WITHDRAW, 5,
	 NULL},
	{"CLUSTER_LIST, iBGP", "", BASE2 LP "80 0a 08 c0000201 c0000202", NLRI, NULL, false, true, OK, 0, ""},
	/* AS4_PATH, AS4_AGGREGATOR (RFC 6793 6) */
	{"AS4_PATH with a confederation segment", "", BASE2 "c0 11 06 03 01 fa56ea01", NLRI, NULL, false, false,
	 DISCARD, 9, NULL},
	{"AS4_PATH cut short", "", BASE2 "c0 11 05 02 01 fa56ea", NLRI, NULL, false, false, DISCARD, 9, NULL},
	{"AS4_PATH from a 4-octet peer: discarded unread", "", BASE4 "c0 11 06 02 01 fa56ea01", NLRI, NULL, true, false,
	 DISCARD, 0, ""},
	{"AS4_AGGREGATOR of 6 bytes", "", BASE2 "c0 12 06 fde9 c0000201", NLRI, NULL, false, false, DISCARD, 5, NULL},
	{"AS4_PATH", "", BASE2 "c0 11 06 02 01 fa56ea01", NLRI, NULL, false, false, OK, 0, ""},
	/* Duplicates (RFC 7606 3 g) */
	{"ORIGIN twice: the second discarded", "", BASE2 "40 01 01 02", NLRI, NULL, false, false, DISCARD, 1, ""},
	{"COMMUNITIES twice", "", BASE2 "c0 08 04 fde90064 c0 08 04 fde900c8", NLRI, NULL, false, false, DISCARD, 1, ""},
	{"a bad duplicate is not even read", "", BASE2 "40 01 05 0102030405", NLRI, NULL, false, false, DISCARD, 1, ""},
	{"MP_REACH_NLRI twice", "", ORIGIN ASP2 MP6 MP6, "", NULL, false, false, RESET, 1, ""},
	{"MP_UNREACH_NLRI twice", "", MPU6 MPU6, "", NULL, false, false, RESET, 1, ""},
	/* Unknown attributes (RFC 4271 5, 6.3) */
	{"unrecognized well-known 99", "", BASE2 "40 63 01 00", NLRI, NULL, false, false, RESET, 2, "40630100"},
	{"unrecognized optional 99", "", BASE2 "80 63 01 00", NLRI, NULL, false, false, OK, 0, ""},
	{"unrecognized optional transitive 240, extended length", "", BASE2 "d0 f0 0001 00", NLRI, NULL, false, false,
	 OK, 0, ""},
	{"optional attribute 0", "", BASE2 "80 00 00", NLRI, NULL, false, false, OK, 0, ""},
	/* The attribute list (RFC 7606 4) */
	{"attribute past the list", "", BASE2 "c0 08 08 fde90064", NLRI, NULL, false, false, WITHDRAW, 1, ""},
	{"two stray bytes after the attributes", "", BASE2 "c0 08", NLRI, NULL, false, false, WITHDRAW, 1, ""},
	{"three bytes of an extended-length header", "", BASE2 "d0 08 00", NLRI, NULL, false, false, WITHDRAW, 1, ""},
	{"two stray bytes that look like MP_REACH_NLRI: nothing hides there", "", BASE2 "80 0e", NLRI, NULL, false,
	 false, WITHDRAW, 1, ""},
	{"a lone stray byte", "", BASE2 "80", NLRI, NULL, false, false, WITHDRAW, 1, ""},
	{"MP_REACH_NLRI past the list: its NLRI are lost", "", ORIGIN ASP2 "80 0e 40 0002 01 10", "", NULL, false,
	 false, RESET, 1, ""},
	{"MP_UNREACH_NLRI past the list", "", "90 0f 0100 0002 01", "", NULL, false, false, RESET, 1, ""},
	/* MP_REACH_NLRI, MP_UNREACH_NLRI (7.11, 5.3; RFC 4760 7: Optional Attribute Error) */
	{"MP_REACH_NLRI IPv6 with an 8-byte next hop", "",
	 ORIGIN ASP2 "80 0e 16 0002 01 08 20010db800000000 00 40 20010db800010000", "", NULL, false, false, RESET, 9,
	 "800e16 0002 01 08 20010db800000000 00 40 20010db800010000"},
	{"MP_REACH_NLRI IPv6 with a 4-byte next hop", "", ORIGIN ASP2 "80 0e 12 0002 01 04 c0000201 00 40 20010db800010000",
	 "", NULL, false, false, RESET, 9, NULL},
	{"MP_REACH_NLRI IPv6 with a 48-byte next hop", "",
	 ORIGIN ASP2 "80 0e 3e 0002 01 30" G6 G6 G6 "00 40 20010db800010000", "", NULL, false, false, RESET, 9, NULL},
	{"MP_REACH_NLRI IPv4 with an 8-byte next hop", "", ORIGIN ASP2 "80 0e 11 0001 01 08 c0000201c0000202 00 18 c63364",
	 "", NULL, false, false, RESET, 9, NULL},
	{"MP_REACH_NLRI IPv4 with a 48-byte next hop", "", ORIGIN ASP2 "80 0e 39 0001 01 30" G6 G6 G6 "00 18 c63364", "",
	 NULL, false, false, RESET, 9, NULL},
	{"MP_REACH_NLRI /129", "", ORIGIN ASP2 "80 0e 27 0002 01 10" G6 "00 81 20010db8000000000000000000000000 00", "",
	 NULL, false, false, RESET, 9, NULL},
	{"MP_REACH_NLRI prefix cut short", "", ORIGIN ASP2 "80 0e 1a 0002 01 10" G6 "00 40 20010db8", "", NULL, false,
	 false, RESET, 9, NULL},
	{"MP_REACH_NLRI shorter than its next hop", "", ORIGIN ASP2 "80 0e 05 0002 01 10 20", "", NULL, false, false,
	 RESET, 9, "800e05000201 1020"},
	{"MP_REACH_NLRI of 2 bytes", "", ORIGIN ASP2 "80 0e 02 0002", "", NULL, false, false, RESET, 9, NULL},
	{"MP_REACH_NLRI without its reserved byte", "", ORIGIN ASP2 "80 0e 14 0002 01 10" G6, "", NULL, false, false,
	 RESET, 9, NULL},
	{"MP_REACH_NLRI transitive: located, withdrawn", "", ORIGIN ASP2 "c0 0e 2e 0002 01 20 " G6 LL6
	 " 00 40 20010db800010000", "", NULL, false, false, WITHDRAW, 4, NULL},
	{"MP_REACH_NLRI without ORIGIN", "", ASP2 MP6, "", NULL, false, false, WITHDRAW, 3, "01"},
	{"MP_REACH_NLRI without LOCAL_PREF, iBGP", "", ORIGIN "40 02 00" MP6, "", NULL, false, true, WITHDRAW, 3, "05"},
	{"MP_REACH_NLRI needs no NEXT_HOP", "", ORIGIN ASP2 MP6, "", NULL, false, false, OK, 0, ""},
	{"MP_REACH_NLRI and an ignored NEXT_HOP", "", ORIGIN ASP2 NH MP6, "", NULL, false, false, OK, 0, ""},
	{"NEXT_HOP 0.0.0.0 without IPv4 NLRI: ignored (RFC 4760 3)", "", ORIGIN ASP2 "40 03 04 00000000" MP6, "", NULL,
	 false, false, OK, 0, ""},
	{"NEXT_HOP of 5 bytes, optional, without IPv4 NLRI: ignored", "", ORIGIN ASP2 "80 03 05 c000020100" MP6, "",
	 NULL, false, false, OK, 0, ""},
	{"MP_REACH_NLRI without NLRI: nothing mandatory", "", "80 0e 15 0002 01 10" G6 "00", "", NULL, false, true, OK,
	 0, ""},
	{"MP_REACH_NLRI next hop ::", "", ORIGIN ASP2 "80 0e 1e 0002 01 10 00000000000000000000000000000000 00 40 20010db800010000",
	 "", NULL, false, false, WITHDRAW, 8, NULL},
	{"MP_REACH_NLRI next hop ff02::1", "", ORIGIN ASP2 "80 0e 1e 0002 01 10 ff020000000000000000000000000001 00 40 20010db800010000",
	 "", NULL, false, false, WITHDRAW, 8, NULL},
	{"MP_REACH_NLRI IPv4, next hop 0.0.0.0", "", ORIGIN ASP2 "80 0e 0d 0001 01 04 00000000 00 18 c63364", "", NULL,
	 false, false, WITHDRAW, 8, NULL},
	{"MP_REACH_NLRI for L2VPN EVPN: ignored", "", ORIGIN ASP2 "80 0e 0b 0019 46 04 c0000201 00 0102", "", NULL,
	 false, false, OK, 0, ""},
	{"MP_UNREACH_NLRI /130", "", "80 0f 04 0002 01 82", "", NULL, false, false, RESET, 9, "800f0400020182"},
	{"MP_UNREACH_NLRI of 2 bytes", "", "80 0f 02 0002", "", NULL, false, false, RESET, 9, NULL},
	{"MP_UNREACH_NLRI prefix cut short", "", "80 0f 05 0002 01 40 20", "", NULL, false, false, RESET, 9, NULL},
	{"MP_UNREACH_NLRI IPv4 /33", "", "80 0f 09 0001 01 21 c633640000", "", NULL, false, false, RESET, 9, NULL},
	{"MP_UNREACH_NLRI transitive: still a withdrawal", "", "c0 0f 0c 0002 01 40 20010db800020000", "", NULL, false,
	 false, WITHDRAW, 4, NULL},
	/* NLRI and withdrawn routes (RFC 7606 5.3, RFC 4271 6.3: Invalid Network Field) */
	{"NLRI /33", "", BASE2, "21 c633640000", NULL, false, false, RESET, 10, ""},
	{"NLRI cut short", "", BASE2, "18 c633", NULL, false, false, RESET, 10, ""},
	{"NLRI /32 and a stray byte", "", BASE2, "20 c6336401 18", NULL, false, false, RESET, 10, ""},
	{"withdrawn /33", "21 c633640000", "", "", NULL, false, false, RESET, 10, ""},
	{"withdrawn cut short", "20 c63364", "", "", NULL, false, false, RESET, 10, ""},
	/* Framing (RFC 4271 6.3, RFC 7606 3 j) */
	{"withdrawn routes length past the body", NULL, NULL, NULL, "0005 1800", false, false, RESET, 1, ""},
	{"attribute length past the body", NULL, NULL, NULL, "0000 0010 400101", false, false, RESET, 1, ""},
	{"body of 3 bytes", NULL, NULL, NULL, "000000", false, false, RESET, 1, ""},
	{"body of 2 bytes", NULL, NULL, NULL, "0000", false, false, RESET, 1, ""},
	{"empty body", NULL, NULL, NULL, "", false, false, RESET, 1, ""},
	/* Several errors: the strongest action wins (RFC 7606 3 i); err is the strongest's */
	{"discard, then withdraw", "", "40 06 01 00 40 01 01 07" ASP2 NH, NLRI, NULL, false, false, WITHDRAW, 6,
	 "40010107"},
	{"withdraw, then reset", "", "40 01 01 07" ASP2 NH "80 0e 05 0002 01 10 20", NLRI, NULL, false, false, RESET, 9,
	 NULL},
	{"withdraw, then bad NLRI", "", "40 01 01 07" ASP2 NH, "21 c633640000", NULL, false, false, RESET, 10, ""},
	{"two withdraws: the first is told", "", "40 01 01 07 40 02 02 02 00" NH, NLRI, NULL, false, false, WITHDRAW, 6,
	 NULL},
};

static uint8_t *build_body(const struct upd_row *r, size_t *len)
{
	uint8_t wd[BGP_MAX_LEN], at[BGP_MAX_LEN], nl[BGP_MAX_LEN], *b;
	size_t nw, na, nn;

	if (r->raw)
		return hex_exact(r->raw, len);
	nw = hex_to(r->withdrawn, wd, sizeof(wd));
	na = hex_to(r->attrs, at, sizeof(at));
	nn = hex_to(r->nlri, nl, sizeof(nl));
	*len = 4 + nw + na + nn;
	b = malloc(*len);
	assert_non_null(b);
	b[0] = (uint8_t)(nw >> 8), b[1] = (uint8_t)nw;
	memcpy(b + 2, wd, nw);
	b[2 + nw] = (uint8_t)(na >> 8), b[3 + nw] = (uint8_t)na;
	memcpy(b + 4 + nw, at, na);
	memcpy(b + 4 + nw + na, nl, nn);
	return b;
}

static const char *const outcome_names[] = {"ok", "discard", "withdraw", "reset"};

static void test_update_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(upd_rows); i++) {
		const struct upd_row *r = &upd_rows[i];
		size_t n;
		uint8_t *b = build_body(r, &n);
		struct bgp_update u;
		struct bgp_error err;
		bool ok = bgp_update_decode(b, n, r->as4, r->ibgp, &u, &err);
		enum outcome got = !ok ? RESET : u.treat_as_withdraw ? WITHDRAW : u.discarded ? DISCARD : OK;

		if (got != r->expect)
			fail_msg("%s: %s (%u/%u %s; %s), want %s", r->name, outcome_names[got], err.code, err.subcode,
				 err.why, u.why, outcome_names[r->expect]);
		if (r->subcode ? (err.code != BGP_ERR_UPDATE || err.subcode != r->subcode) : err.code != 0)
			fail_msg("%s: NOTIFICATION %u/%u (%s), want 3/%u", r->name, err.code, err.subcode, err.why,
				 r->subcode);
		if (r->data)
			expect_hex(r->name, err.data, err.len, r->data);
		if (got == WITHDRAW && !u.why[0])
			fail_msg("%s: no reason given", r->name);
		if (got == RESET && !err.why[0])
			fail_msg("%s: no reason given", r->name);
		/* What ASan checks too: the decoded pointers stay inside the body. */
		if (ok) {
			assert_true(u.nlri >= b && u.nlri + u.nlri_len <= b + n);
			assert_true(u.withdrawn >= b && u.withdrawn + u.withdrawn_len <= b + n);
		}
		free(b);
	}
}

/* Well-formed UPDATEs, field by field */

static uint8_t *body_of(const char *withdrawn, const char *attrs, const char *nlri, size_t *n)
{
	struct upd_row r = {.withdrawn = withdrawn, .attrs = attrs, .nlri = nlri};

	return build_body(&r, n);
}

static void expect_nlri(const char *what, const uint8_t *p, size_t len, uint8_t family, const char *want)
{
	char got[1024];

	nlri_format(p, len, family, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("%s: %s, want %s", what, got, want);
}

static void test_update_ipv4(void **state)
{
	size_t n;
	uint8_t *b = body_of("18 cb0071",
			     "40 01 01 02"
			     "40 02 0a 02 02 0000fde9 fa56ea01"
			     "40 03 04 c0000201"
			     "80 04 04 00000032"
			     "c0 08 08 fde90064 fde900c8"
			     "c0 20 0c fa56ea01 00000001 00000002",
			     "18 c63364 20 c6120001 00 0f c613 19 c0000200", &n);
	struct bgp_update u;
	struct bgp_error err;
	uint32_t lc[3], asn;
	uint8_t seg;
	struct bgp_as_path_iter it;

	(void)state;
	if (!bgp_update_decode(b, n, true, false, &u, &err))
		fail_msg("%s", err.why);
	assert_false(u.treat_as_withdraw);
	assert_false(u.end_of_rib);
	assert_int_equal(u.discarded, 0);
	expect_nlri("withdrawn", u.withdrawn, u.withdrawn_len, 4, "203.0.113.0/24");
	expect_nlri("nlri", u.nlri, u.nlri_len, 4, "198.51.100.0/24 198.18.0.1/32 0.0.0.0/0 198.18.0.0/15 192.0.2.0/25");
	assert_int_equal(u.origin, BGP_ORIGIN_INCOMPLETE);
	assert_int_equal(u.as_path_count, 2);
	bgp_as_path_iter_init(&it, u.as_path, u.as_path_len, true);
	assert_true(bgp_as_path_iter_next(&it, &seg, &asn));
	assert_int_equal(asn, 65001);
	assert_int_equal(seg, BGP_AS_SEQUENCE);
	assert_true(bgp_as_path_iter_next(&it, &seg, &asn));
	assert_int_equal(asn, 4200000001u);
	assert_false(bgp_as_path_iter_next(&it, &seg, &asn));
	expect_hex("next hop", u.next_hop, 4, "c0000201");
	assert_int_equal(u.med, 50);
	assert_int_equal(u.ncommunities, 2);
	assert_int_equal(bgp_community_at(&u, 0), 65001u << 16 | 100);
	assert_int_equal(bgp_community_at(&u, 1), 65001u << 16 | 200);
	assert_int_equal(u.nlarge_communities, 1);
	bgp_large_community_at(&u, 0, lc);
	assert_int_equal(lc[0], 4200000001u);
	assert_int_equal(lc[1], 1);
	assert_int_equal(lc[2], 2);
	assert_int_equal(u.attrs_seen, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 8) | ((uint64_t)1 << 32));
	assert_false(u.mp_reach || u.mp_unreach);
	free(b);
}

static void test_update_ipv6_ibgp(void **state)
{
	size_t n;
	uint8_t *b = body_of("", MPU6 MP6 ORIGIN "40 02 00 40 05 04 000000c8", "", &n);
	struct bgp_update u;
	struct bgp_error err;
	struct bgp_as_path_iter it;
	uint8_t seg;
	uint32_t asn;

	(void)state;
	if (!bgp_update_decode(b, n, true, true, &u, &err))
		fail_msg("%s", err.why);
	assert_false(u.treat_as_withdraw);
	assert_true(u.mp_reach && u.mp_unreach);
	assert_int_equal(u.mp_reach_af, BGP_AF_IPV6);
	assert_int_equal(u.mp_unreach_af, BGP_AF_IPV6);
	expect_hex("global", u.mp_next_hop, 16, G6);
	assert_true(u.mp_next_hop_has_ll);
	expect_hex("link-local", u.mp_next_hop_ll, 16, LL6);
	expect_nlri("mp nlri", u.mp_nlri, u.mp_nlri_len, 6, "2001:db8:1::/64");
	expect_nlri("mp withdrawn", u.mp_withdrawn, u.mp_withdrawn_len, 6, "2001:db8:2::/64");
	assert_int_equal(u.local_pref, 200);
	assert_int_equal(u.as_path_len, 0);
	assert_int_equal(u.as_path_count, 0);
	bgp_as_path_iter_init(&it, u.as_path, u.as_path_len, true);
	assert_false(bgp_as_path_iter_next(&it, &seg, &asn));
	assert_int_equal(u.nlri_len, 0);
	assert_false(u.end_of_rib);
	free(b);

	/* Global next hop only; IPv4 unicast over MP_REACH_NLRI. */
	b = body_of("", ORIGIN ASP2 "80 0e 26 0002 01 10" G6 "00 80 20010db8000000000000000000000002", "", &n);
	assert_true(bgp_update_decode(b, n, false, false, &u, &err));
	assert_false(u.mp_next_hop_has_ll);
	expect_nlri("mp /128", u.mp_nlri, u.mp_nlri_len, 6, "2001:db8::2/128");
	free(b);
	b = body_of("", ORIGIN ASP2 "80 0e 0d 0001 01 04 c0000202 00 18 c63364", "", &n);
	assert_true(bgp_update_decode(b, n, false, false, &u, &err));
	assert_int_equal(u.mp_reach_af, BGP_AF_IPV4);
	expect_hex("v4 mp next hop", u.mp_next_hop_v4, 4, "c0000202");
	expect_nlri("v4 mp", u.mp_nlri, u.mp_nlri_len, 4, "198.51.100.0/24");
	assert_false(u.mp_next_hop_v6);
	free(b);
	/* RFC 8950: IPv4 unicast with a 16-byte (link-local) or a 32-byte IPv6 next hop. */
	b = body_of("", ORIGIN ASP2 "80 0e 19 0001 01 10" LL6 "00 18 c63364", "", &n);
	assert_true(bgp_update_decode(b, n, false, false, &u, &err));
	assert_int_equal(u.mp_reach_af, BGP_AF_IPV4);
	assert_true(u.mp_next_hop_v6 && !u.mp_next_hop_has_ll);
	expect_hex("v4 over link-local", u.mp_next_hop, 16, LL6);
	free(b);
	b = body_of("", ORIGIN ASP2 "80 0e 29 0001 01 20" G6 LL6 "00 18 c63364", "", &n);
	assert_true(bgp_update_decode(b, n, false, false, &u, &err));
	assert_true(u.mp_next_hop_v6 && u.mp_next_hop_has_ll);
	expect_hex("v4 over global", u.mp_next_hop, 16, G6);
	expect_hex("v4 over global, link-local", u.mp_next_hop_ll, 16, LL6);
	expect_nlri("v4 mp over v6", u.mp_nlri, u.mp_nlri_len, 4, "198.51.100.0/24");
	free(b);
}

/* A 2-octet session and a 4-octet local AS: AS_TRANS in AS_PATH, the real one in AS4_PATH (RFC 6793 4.2.2). */
static void test_update_as4_path(void **state)
{
	size_t n;
	uint8_t *b = body_of("", ORIGIN "40 02 06 02 02 5ba0 fde9" NH "c0 11 0a 02 02 fa56ea01 0000fde9", NLRI, &n);
	struct bgp_update u;
	struct bgp_error err;
	struct bgp_as_path_iter it;
	uint8_t seg;
	uint32_t asn;

	(void)state;
	assert_true(bgp_update_decode(b, n, false, false, &u, &err));
	assert_int_equal(u.as_path_count, 2);
	bgp_as_path_iter_init(&it, u.as_path, u.as_path_len, false);
	assert_true(bgp_as_path_iter_next(&it, &seg, &asn));
	assert_int_equal(asn, BGP_AS_TRANS);
	assert_true(bgp_as_path_iter_next(&it, &seg, &asn));
	assert_int_equal(asn, 65001);
	assert_false(bgp_as_path_iter_next(&it, &seg, &asn));
	bgp_as_path_iter_init(&it, u.as4_path, u.as4_path_len, true);
	assert_true(bgp_as_path_iter_next(&it, &seg, &asn));
	assert_int_equal(asn, 4200000001u);
	assert_true(bgp_as_path_iter_next(&it, &seg, &asn));
	assert_int_equal(asn, 65001);
	assert_false(bgp_as_path_iter_next(&it, &seg, &asn));
	assert_true(u.attrs_seen & (1u << BGP_ATTR_AS4_PATH));
	free(b);

	/* The same from a 4-octet peer: AS4_PATH is dropped. */
	b = body_of("", BASE4 "c0 11 06 02 01 fa56ea01", NLRI, &n);
	assert_true(bgp_update_decode(b, n, true, false, &u, &err));
	assert_null(u.as4_path);
	assert_false(u.attrs_seen & (1u << BGP_ATTR_AS4_PATH));
	assert_int_equal(u.discarded, 1);
	free(b);

	/* An AS_SET counts once. */
	b = body_of("", ORIGIN "40 02 10 02 02 fde9 fdea 01 02 0001 0002 02 01 0003" NH, NLRI, &n);
	assert_true(bgp_update_decode(b, n, false, false, &u, &err));
	assert_int_equal(u.as_path_count, 4);
	bgp_as_path_iter_init(&it, u.as_path, u.as_path_len, false);
	for (int k = 0; k < 5; k++) {
		static const uint32_t want[] = {65001, 65002, 1, 2, 3};
		static const uint8_t seg_want[] = {BGP_AS_SEQUENCE, BGP_AS_SEQUENCE, BGP_AS_SET, BGP_AS_SET, BGP_AS_SEQUENCE};
		assert_true(bgp_as_path_iter_next(&it, &seg, &asn));
		assert_int_equal(asn, want[k]);
		assert_int_equal(seg, seg_want[k]);
	}
	assert_false(bgp_as_path_iter_next(&it, &seg, &asn));
	free(b);
}

static void test_update_duplicate_keeps_first(void **state)
{
	size_t n;
	uint8_t *b = body_of("", BASE2 "40 01 01 02 c0 08 04 fde90064 c0 08 04 fde900c8", NLRI, &n);
	struct bgp_update u;

	(void)state;
	assert_true(bgp_update_decode(b, n, false, false, &u, NULL));
	assert_int_equal(u.origin, 0);
	assert_int_equal(u.ncommunities, 1);
	assert_int_equal(bgp_community_at(&u, 0), 65001u << 16 | 100);
	assert_int_equal(u.discarded, 2);
	free(b);
}

/* RFC 7606 4: the Total Attribute Length still finds the NLRI, which are withdrawn. */
static void test_update_overrun_finds_nlri(void **state)
{
	size_t n;
	uint8_t *b = body_of("", BASE2 "c0 08 08 fde90064", "18 c63364 20 c6120001", &n);
	struct bgp_update u;
	struct bgp_error err;

	(void)state;
	assert_true(bgp_update_decode(b, n, false, false, &u, &err));
	assert_true(u.treat_as_withdraw);
	expect_nlri("nlri", u.nlri, u.nlri_len, 4, "198.51.100.0/24 198.18.0.1/32");

	/* MP_REACH_NLRI with wrong flags: its NLRI are found, to be withdrawn. */
	free(b);
	b = body_of("", ORIGIN ASP2 "c0 0e 2e 0002 01 20 " G6 LL6 " 00 40 20010db800010000", "", &n);
	assert_true(bgp_update_decode(b, n, false, false, &u, &err));
	assert_true(u.treat_as_withdraw);
	assert_true(u.mp_reach);
	expect_nlri("mp nlri", u.mp_nlri, u.mp_nlri_len, 6, "2001:db8:1::/64");
	free(b);
}

static void test_update_end_of_rib(void **state)
{
	static const struct {
		const char *body;
		bool eor;
		enum bgp_af af;
	} rows[] = {
		{"0000 0000", true, BGP_AF_IPV4},
		{"0000 0006 800f03 000201", true, BGP_AF_IPV6},
		{"0000 0007 900f0003 000201", true, BGP_AF_IPV6},
		{"0000 0006 800f03 000101", true, BGP_AF_IPV4},
		{"0000 0007 800f04 000201 00", false, BGP_AF_IPV4},  /* withdraws ::/0 */
		{"0000 000a 800f03 000201 40010100", false, BGP_AF_IPV4},
		{"0000 0006 800f03 001946", false, BGP_AF_IPV4},     /* EVPN: not a family of ours */
		{"0000 0000 18c63364", false, BGP_AF_IPV4},
		{"0004 18c63364 0000", false, BGP_AF_IPV4},
		{"0000 0004 80630100", false, BGP_AF_IPV4},
	};

	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		size_t n;
		uint8_t *b = hex_exact(rows[i].body, &n);
		struct bgp_update u;
		struct bgp_error err;

		assert_true(bgp_update_decode(b, n, true, false, &u, &err));
		if (u.end_of_rib != rows[i].eor || (u.end_of_rib && u.end_of_rib_af != rows[i].af))
			fail_msg("row %zu: end_of_rib %d af %d", i, u.end_of_rib, u.end_of_rib_af);
		free(b);
	}
}

static void test_nlri_next(void **state)
{
	static const struct {
		const char *hex;
		uint8_t family;
		const char *want;
	} rows[] = {
		{"00", 4, "0.0.0.0/0"},
		{"01 ff", 4, "128.0.0.0/1"},
		{"1f ffffffff", 4, "255.255.255.254/31"},
		{"20 c0000201", 4, "192.0.2.1/32"},
		{"09 c0ff", 4, "192.128.0.0/9"},
		{"80 20010db8000000000000000000000001", 6, "2001:db8::1/128"},
		{"7f 20010db80000000000000000000000ff", 6, "2001:db8::fe/127"},
		{"00 00", 6, "::/0 ::/0"},
		{"21 0000000000", 4, " <6 bytes left>"},
		{"81 00", 6, " <2 bytes left>"},
		{"18 c633", 4, " <3 bytes left>"},
		{"18 c63364", 5, " <4 bytes left>"},
	};

	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		size_t n;
		uint8_t *b = hex_exact(rows[i].hex, &n);

		expect_nlri(rows[i].hex, b, n, rows[i].family, rows[i].want);
		free(b);
	}
	const uint8_t *p = NULL;
	size_t len = 4;
	struct bgp_prefix x;
	assert_false(bgp_nlri_next(&p, &len, 4, &x));
	assert_false(bgp_nlri_next(NULL, &len, 4, &x));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_update_malformed),
		cmocka_unit_test(test_update_ipv4),
		cmocka_unit_test(test_update_ipv6_ibgp),
		cmocka_unit_test(test_update_as4_path),
		cmocka_unit_test(test_update_duplicate_keeps_first),
		cmocka_unit_test(test_update_overrun_finds_nlri),
		cmocka_unit_test(test_update_end_of_rib),
		cmocka_unit_test(test_nlri_next),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
