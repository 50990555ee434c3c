/*
 * Unit tests for proto/bgp_msg.c and bgp_names.c: the header check, OPEN
 * with its capabilities, KEEPALIVE, NOTIFICATION, ROUTE-REFRESH, and the
 * names and log line of a NOTIFICATION. Tables of hex vectors: one row per
 * case, the NOTIFICATION code, subcode and data each malformed one must get.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_bgp_util.h"

#define MARKER "ffffffffffffffffffffffffffffffff"

/* bgp_header_check */

struct header_row {
	const char *name;
	const char *hex;   /* the bytes available */
	int ret;
	size_t msg_len;
	uint8_t type, code, subcode;
	const char *data;
};

static const struct header_row header_rows[] = {
	{"keepalive", MARKER "0013 04", 1, 19, BGP_KEEPALIVE, 0, 0, ""},
	{"18 bytes: wait", MARKER "0013", 0, 0, 0, 0, 0, ""},
	{"open header, body still to come", MARKER "001d 01", 1, 29, BGP_OPEN, 0, 0, ""},
	{"update of 4096", MARKER "1000 02", 1, 4096, BGP_UPDATE, 0, 0, ""},
	{"route-refresh longer than 23: the decoder's", MARKER "0018 05", 1, 24, BGP_ROUTE_REFRESH, 0, 0, ""},
	{"marker byte 0", "00ffffffffffffffffffffffffffffff 0013 04", -1, 0, 0, 1, 1, ""},
	{"marker byte 15", "fffffffffffffffffffffffffffffffe 0013 04", -1, 0, 0, 1, 1, ""},
	{"length 18", MARKER "0012 04", -1, 0, 0, 1, 2, "0012"},
	{"length 0", MARKER "0000 04", -1, 0, 0, 1, 2, "0000"},
	{"length 4097", MARKER "1001 02", -1, 0, 0, 1, 2, "1001"},
	{"type 0", MARKER "0013 00", -1, 0, 0, 1, 3, "00"},
	{"type 6", MARKER "0013 06", -1, 0, 0, 1, 3, "06"},
	{"type 255", MARKER "0013 ff", -1, 0, 0, 1, 3, "ff"},
	{"keepalive of 20", MARKER "0014 04 00", -1, 0, 0, 1, 2, "0014"},
	{"open of 28", MARKER "001c 01", -1, 0, 0, 1, 2, "001c"},
	{"update of 22", MARKER "0016 02", -1, 0, 0, 1, 2, "0016"},
	{"notification of 20", MARKER "0014 03", -1, 0, 0, 1, 2, "0014"},
	{"route-refresh of 22", MARKER "0016 05", -1, 0, 0, 1, 2, "0016"},
};

static void test_header(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(header_rows); i++) {
		const struct header_row *r = &header_rows[i];
		size_t n, mlen = 0;
		uint8_t *b = hex_exact(r->hex, &n), type = 0;
		struct bgp_error err;
		int ret = bgp_header_check(b, n, &mlen, &type, &err);

		if (ret != r->ret)
			fail_msg("%s: returned %d, want %d (%s)", r->name, ret, r->ret, err.why);
		if (ret == 1 && (mlen != r->msg_len || type != r->type))
			fail_msg("%s: length %zu type %u", r->name, mlen, type);
		if (ret < 0) {
			if (err.code != r->code || err.subcode != r->subcode)
				fail_msg("%s: %u/%u, want %u/%u", r->name, err.code, err.subcode, r->code, r->subcode);
			expect_hex(r->name, err.data, err.len, r->data);
		}
		free(b);
	}
}

/* OPEN round trips: structure -> exact bytes -> the same structure. */

struct open_row {
	const char *name;
	struct bgp_open o;
	const char *hex;
};

static const struct open_row open_rows[] = {
	{"65001, IPv4+IPv6, route refresh, 4-octet",
	 {.version = 4, .my_as = 65001, .hold_time = 90, .bgp_id = 0xc0000201,
	  .caps = {.mp = {true, true}, .route_refresh = true, .as4 = true, .as4_number = 65001}},
	 MARKER "0033 01 04 fde9 005a c0000201 16 02 14 010400010001 010400020001 0200 41040000fde9"},
	{"AS_TRANS, IPv6 only, graceful restart (restarting, 120 s, IPv6 forwarding kept)",
	 {.version = 4, .my_as = BGP_AS_TRANS, .hold_time = 3, .bgp_id = 0xc6336407,
	  .caps = {.mp = {false, true}, .as4 = true, .as4_number = 4200000001u, .graceful_restart = true,
		   .gr_restarting = true, .gr_time = 120, .gr_af = {false, true}, .gr_af_forwarding = {false, true}}},
	 MARKER "0033 01 04 5ba0 0003 c6336407 16 02 14 010400020001 4006807800020180 4104fa56ea01"},
	{"graceful restart with the RFC 8538 N bit, restarting, 120 s, IPv4 forwarding kept",
	 {.version = 4, .my_as = 65001, .hold_time = 90, .bgp_id = 0xc0000201,
	  .caps = {.mp = {true, false}, .graceful_restart = true, .gr_restarting = true, .gr_notification = true,
		   .gr_time = 120, .gr_af = {true, false}, .gr_af_forwarding = {true, false}}},
	 MARKER "002d 01 04 fde9 005a c0000201 10 02 0e 010400010001 4006c07800010180"},
	{"graceful restart with the N bit only, not restarting, no families",
	 {.version = 4, .my_as = 64512, .hold_time = 0, .bgp_id = 1,
	  .caps = {.graceful_restart = true, .gr_notification = true, .gr_time = 1}},
	 MARKER "0023 01 04 fc00 0000 00000001 06 02 04 4002 4001"},
	{"graceful restart, no families (helper only), hold 0",
	 {.version = 4, .my_as = 64512, .hold_time = 0, .bgp_id = 1, .caps = {.graceful_restart = true, .gr_time = 4095}},
	 MARKER "0023 01 04 fc00 0000 00000001 06 02 04 4002 0fff"},
	{"IPv4 with an IPv6 next hop (RFC 8950 extended next hop)",
	 {.version = 4, .my_as = 65001, .hold_time = 90, .bgp_id = 0xc0000201,
	  .caps = {.mp = {true, false}, .route_refresh = true, .ext_nh_ipv4 = true, .as4 = true, .as4_number = 65001}},
	 MARKER "0035 01 04 fde9 005a c0000201 18 02 16 010400010001 0200 0506000100010002 41040000fde9"},
	{"no capabilities", {.version = 4, .my_as = 65001, .hold_time = 180, .bgp_id = 0xc0000201},
	 MARKER "001d 01 04 fde9 00b4 c0000201 00"},
};

/* Field by field (struct bgp_open has padding); a new field must be added here. */
_Static_assert(sizeof(struct bgp_caps) == 28 && sizeof(struct bgp_open) == 40, "compare the new field below");

static bool caps_eq(const struct bgp_caps *a, const struct bgp_caps *b)
{
	return !memcmp(a->mp, b->mp, sizeof a->mp) && a->route_refresh == b->route_refresh &&
	       a->ext_nh_ipv4 == b->ext_nh_ipv4 && a->as4 == b->as4 &&
	       a->as4_number == b->as4_number && a->graceful_restart == b->graceful_restart &&
	       a->gr_restarting == b->gr_restarting && a->gr_notification == b->gr_notification && a->gr_time == b->gr_time &&
	       !memcmp(a->gr_af, b->gr_af, sizeof a->gr_af) &&
	       !memcmp(a->gr_af_forwarding, b->gr_af_forwarding, sizeof a->gr_af_forwarding) && a->unknown == b->unknown;
}

static void expect_open_eq(const char *name, const struct bgp_open *got, const struct bgp_open *want)
{
	if (got->version != want->version || got->my_as != want->my_as || got->hold_time != want->hold_time ||
	    got->bgp_id != want->bgp_id || !caps_eq(&got->caps, &want->caps))
		fail_msg("%s: decoded OPEN differs: AS %u hold %u id %08x as4 %d/%u mp %d%d rr %d gr %d/%d/%u unknown %u",
			 name, got->my_as, got->hold_time, got->bgp_id, got->caps.as4, got->caps.as4_number,
			 got->caps.mp[0], got->caps.mp[1], got->caps.route_refresh, got->caps.graceful_restart,
			 got->caps.gr_restarting, got->caps.gr_time, got->caps.unknown);
}

static void test_open_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(open_rows); i++) {
		const struct open_row *r = &open_rows[i];
		uint8_t buf[BGP_MAX_LEN];
		size_t n = bgp_open_encode(&r->o, buf, sizeof(buf)), mlen;
		uint8_t type;
		struct bgp_open back;
		struct bgp_error err;

		expect_hex(r->name, buf, n, r->hex);
		assert_int_equal(bgp_header_check(buf, n, &mlen, &type, &err), 1);
		assert_int_equal(mlen, n);
		if (!bgp_open_decode(buf + BGP_HEADER_LEN, n - BGP_HEADER_LEN, &back, &err))
			fail_msg("%s: %s", r->name, err.why);
		expect_open_eq(r->name, &back, &r->o);
		/* Every shorter buffer is refused whole. */
		for (size_t cap = 0; cap < n; cap++)
			assert_int_equal(bgp_open_encode(&r->o, buf, cap), 0);
	}
}

static void test_open_asn(void **state)
{
	struct bgp_open o = {.my_as = BGP_AS_TRANS, .caps = {.as4 = true, .as4_number = 4200000001u}};

	(void)state;
	assert_int_equal(bgp_open_asn(&o), 4200000001u);
	o.caps.as4 = false;
	assert_int_equal(bgp_open_asn(&o), BGP_AS_TRANS);
	assert_int_equal(bgp_as2(65535), 65535);
	assert_int_equal(bgp_as2(65536), BGP_AS_TRANS);
	assert_int_equal(bgp_as2(4200000001u), BGP_AS_TRANS);
}

/* OPEN bodies that decode: the forms other speakers use. */
static void test_open_decode_forms(void **state)
{
	struct bgp_open o;
	struct bgp_error err;
	size_t n;
	uint8_t *b;

	(void)state;
	/* One capability per optional parameter, unknown ones (enhanced route refresh, FQDN) skipped. */
	b = hex_exact("04 fde9 005a c0000201 16 02 02 4600 02 04 49020000 02 02 0200 02 06 41040000fde9", &n);
	assert_true(bgp_open_decode(b, n, &o, &err));
	assert_int_equal(o.caps.unknown, 2);
	assert_true(o.caps.route_refresh);
	assert_true(o.caps.as4);
	assert_int_equal(bgp_open_asn(&o), 65001);
	free(b);

	/* The pre-standard route refresh code 128; MP for families vipcast does not speak (IPv4 multicast, AFI 3). */
	b = hex_exact("04 fde9 005a c0000201 12 02 10 8000 010400010002 010400030001 0200", &n);
	assert_true(bgp_open_decode(b, n, &o, &err));
	assert_true(o.caps.route_refresh);
	assert_false(o.caps.mp[BGP_AF_IPV4]);
	assert_int_equal(o.caps.unknown, 0);
	free(b);

	/*
	 * RFC 8950 with three tuples as FRR may send them: IPv4 multicast and
	 * IPv4 unicast over IPv6, and an unknown next hop AFI; only the unicast
	 * over IPv6 one counts.
	 */
	b = hex_exact("04 fde9 005a c0000201 16 02 14 0512 000100020002 000100010002 000100010003", &n);
	assert_true(bgp_open_decode(b, n, &o, &err));
	assert_true(o.caps.ext_nh_ipv4);
	free(b);
	b = hex_exact("04 fde9 005a c0000201 0a 02 08 0506 000100010001", &n);
	assert_true(bgp_open_decode(b, n, &o, &err));
	assert_false(o.caps.ext_nh_ipv4);
	free(b);

	/* RFC 9072 extended optional parameters length. */
	b = hex_exact("04 fde9 005a c0000201 ff ff 000b 02 0008 41040000fde9 0200", &n);
	if (!bgp_open_decode(b, n, &o, &err))
		fail_msg("extended parameters: %s", err.why);
	assert_true(o.caps.as4 && o.caps.route_refresh);
	free(b);

	/* An empty capabilities parameter; hold time 3, the smallest allowed. */
	b = hex_exact("04 fde9 0003 c0000201 02 02 00", &n);
	assert_true(bgp_open_decode(b, n, &o, &err));
	assert_int_equal(o.hold_time, 3);
	free(b);
}

struct bad_open_row {
	const char *name;
	const char *body;
	uint8_t code, subcode;
	const char *data;
};

#define OPEN_BASE "04 fde9 005a c0000201 "

static const struct bad_open_row bad_open_rows[] = {
	{"version 3", "03 fde9 005a c0000201 00", 2, 1, "0004"},
	{"version 5", "05 fde9 005a c0000201 00", 2, 1, "0004"},
	{"AS 0 (RFC 7607)", "04 0000 005a c0000201 00", 2, 2, ""},
	{"hold time 1", "04 fde9 0001 c0000201 00", 2, 6, ""},
	{"hold time 2", "04 fde9 0002 c0000201 00", 2, 6, ""},
	{"BGP Identifier 0", "04 fde9 005a 00000000 00", 2, 3, ""},
	{"optional parameter 1 (authentication)", OPEN_BASE "04 01 02 0000", 2, 4, ""},
	{"optional parameter 3", OPEN_BASE "02 03 00", 2, 4, ""},
	{"optional parameters length past the body", OPEN_BASE "05 02 02 0200", 2, 0, ""},
	{"a byte after the optional parameters", OPEN_BASE "04 02 02 0200 00", 2, 0, ""},
	{"a parameter past the parameters", OPEN_BASE "03 02 02 02", 2, 0, ""},
	{"a parameter header cut", OPEN_BASE "01 02", 2, 0, ""},
	{"a capability past its parameter", OPEN_BASE "04 02 02 4104", 2, 0, ""},
	{"a capability header cut", OPEN_BASE "03 02 01 41", 2, 0, ""},
	{"multiprotocol of 3 bytes", OPEN_BASE "07 02 05 0103 000100", 2, 0, ""},
	{"multiprotocol of 5 bytes", OPEN_BASE "09 02 07 0105 0001000100", 2, 0, ""},
	{"route refresh with a byte", OPEN_BASE "05 02 03 020100", 2, 0, ""},
	{"4-octet AS of 2 bytes", OPEN_BASE "06 02 04 4102fde9", 2, 0, ""},
	{"4-octet AS 0 (RFC 7607)", OPEN_BASE "08 02 06 410400000000", 2, 2, ""},
	{"graceful restart of 1 byte", OPEN_BASE "05 02 03 400100", 2, 0, ""},
	{"graceful restart of 3 bytes", OPEN_BASE "07 02 05 4003007800", 2, 0, ""},
	{"graceful restart of 4 bytes", OPEN_BASE "08 02 06 40040078 0002", 2, 0, ""},
	{"extended next hop of 0 bytes", OPEN_BASE "04 02 02 0500", 2, 0, ""},
	{"extended next hop of 5 bytes", OPEN_BASE "09 02 07 0505 0001000100", 2, 0, ""},
	{"extended next hop of 8 bytes", OPEN_BASE "0c 02 0a 0508 0001000100020001", 2, 0, ""},
	{"extended next hop past its parameter", OPEN_BASE "06 02 04 0506 0001", 2, 0, ""},
	{"extended parameters length cut", OPEN_BASE "ff ff 00", 2, 0, ""},
	{"extended parameters past the body", OPEN_BASE "ff ff 0010 02 0002 0200", 2, 0, ""},
	{"body of 2 bytes", "04 fd", 1, 2, "0015"},
	{"body of 9 bytes", "04 fde9 005a c0000201", 1, 2, "001c"},
};

static void test_open_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(bad_open_rows); i++) {
		const struct bad_open_row *r = &bad_open_rows[i];
		size_t n;
		uint8_t *b = hex_exact(r->body, &n);
		struct bgp_open o;
		struct bgp_error err;

		if (bgp_open_decode(b, n, &o, &err))
			fail_msg("%s: decoded", r->name);
		if (err.code != r->code || err.subcode != r->subcode)
			fail_msg("%s: %u/%u (%s), want %u/%u", r->name, err.code, err.subcode, err.why, r->code,
				 r->subcode);
		expect_hex(r->name, err.data, err.len, r->data);
		assert_true(err.why[0] != '\0');
		free(b);
	}
}

/* KEEPALIVE, NOTIFICATION, ROUTE-REFRESH */

static void test_keepalive(void **state)
{
	uint8_t buf[32];
	size_t n = bgp_keepalive_encode(buf, sizeof(buf));

	(void)state;
	expect_hex("keepalive", buf, n, MARKER "0013 04");
	assert_int_equal(bgp_keepalive_encode(buf, 18), 0);
}

static void test_notification(void **state)
{
	static const uint8_t text[] = "\x0bmaintenance";
	uint8_t buf[BGP_MAX_LEN + 16], *big;
	uint8_t code, sub;
	const uint8_t *data;
	size_t n, dlen;

	(void)state;
	n = bgp_notification_encode(BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN, text, 12, buf, sizeof(buf));
	expect_hex("cease", buf, n, MARKER "0021 03 06 02 0b 6d61696e74656e616e6365");
	assert_true(bgp_notification_decode(buf + BGP_HEADER_LEN, n - BGP_HEADER_LEN, &code, &sub, &data, &dlen));
	assert_int_equal(code, 6);
	assert_int_equal(sub, 2);
	expect_bytes("cease data", data, dlen, text, 12);

	n = bgp_notification_encode(BGP_ERR_HOLD, 0, NULL, 0, buf, sizeof(buf));
	expect_hex("hold", buf, n, MARKER "0015 03 04 00");
	assert_true(bgp_notification_decode(buf + BGP_HEADER_LEN, 2, &code, &sub, &data, &dlen));
	assert_int_equal(dlen, 0);
	assert_false(bgp_notification_decode(buf + BGP_HEADER_LEN, 1, &code, &sub, &data, &dlen));

	/* Data past what a message holds is cut at 4096 bytes in all. */
	big = calloc(1, 5000);
	assert_non_null(big);
	n = bgp_notification_encode(BGP_ERR_UPDATE, BGP_UPD_OPTIONAL_ATTR, big, 5000, buf, sizeof(buf));
	assert_int_equal(n, BGP_MAX_LEN);
	assert_int_equal(buf[16] << 8 | buf[17], BGP_MAX_LEN);
	free(big);
	assert_int_equal(bgp_notification_encode(BGP_ERR_HOLD, 0, NULL, 0, buf, 20), 0);
}

/* RFC 8538 3: Cease / Hard Reset carries the reason's code, subcode and data. */
static void test_hard_reset(void **state)
{
	static const uint8_t shutdown_text[] = "\x04" "bye!";
	uint8_t buf[BGP_MAX_LEN + 16], *big;
	uint8_t code, sub, in_code, in_sub;
	const uint8_t *data, *inner;
	size_t n, dlen, ilen;

	(void)state;
	n = bgp_hard_reset_encode(BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN, NULL, 0, buf, sizeof(buf));
	expect_hex("hard reset, admin shutdown", buf, n, MARKER "0017 03 06 09 06 02");
	assert_true(bgp_notification_decode(buf + BGP_HEADER_LEN, n - BGP_HEADER_LEN, &code, &sub, &data, &dlen));
	assert_int_equal(code, BGP_ERR_CEASE);
	assert_int_equal(sub, BGP_CEASE_HARD_RESET);
	assert_true(bgp_hard_reset_decode(data, dlen, &in_code, &in_sub, &inner, &ilen));
	assert_int_equal(in_code, BGP_ERR_CEASE);
	assert_int_equal(in_sub, BGP_CEASE_ADMIN_SHUTDOWN);
	assert_int_equal(ilen, 0);

	/* The reason's data (an RFC 9003 shutdown communication) follows its code and subcode. */
	n = bgp_hard_reset_encode(BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN, shutdown_text, 5, buf, sizeof(buf));
	expect_hex("hard reset with text", buf, n, MARKER "001c 03 06 09 06 02 04 62796521");
	assert_true(bgp_notification_decode(buf + BGP_HEADER_LEN, n - BGP_HEADER_LEN, &code, &sub, &data, &dlen));
	assert_true(bgp_hard_reset_decode(data, dlen, &in_code, &in_sub, &inner, &ilen));
	expect_bytes("inner data", inner, ilen, shutdown_text, 5);

	n = bgp_hard_reset_encode(BGP_ERR_HOLD, 0, NULL, 0, buf, sizeof(buf));
	expect_hex("hard reset, hold timer", buf, n, MARKER "0017 03 06 09 04 00");

	/* Decoding: the reason needs both octets. */
	static const struct {
		const char *name, *data;
		bool ok;
		uint8_t code, sub;
		size_t inner_len;
	} rows[] = {
		{"empty", "", false, 0, 0, 0},
		{"code only", "06", false, 0, 0, 0},
		{"code and subcode", "0602", true, 6, 2, 0},
		{"unknown reason kept as is", "ff ff 0102", true, 255, 255, 2},
	};
	for (size_t i = 0; i < N(rows); i++) {
		uint8_t raw[16];
		size_t rn = hex_to(rows[i].data, raw, sizeof(raw));
		bool ok = bgp_hard_reset_decode(raw, rn, &in_code, &in_sub, &inner, &ilen);
		if (ok != rows[i].ok || (ok && (in_code != rows[i].code || in_sub != rows[i].sub || ilen != rows[i].inner_len)))
			fail_msg("%s: ok %d %u/%u %zu", rows[i].name, ok, in_code, in_sub, ilen);
	}

	/* Inner data past what a message holds is cut at 4096 bytes in all; a short buffer gets nothing. */
	big = calloc(1, 5000);
	assert_non_null(big);
	n = bgp_hard_reset_encode(BGP_ERR_UPDATE, BGP_UPD_OPTIONAL_ATTR, big, 5000, buf, sizeof(buf));
	assert_int_equal(n, BGP_MAX_LEN);
	assert_int_equal(buf[21], BGP_ERR_UPDATE);
	free(big);
	assert_int_equal(bgp_hard_reset_encode(BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN, NULL, 0, buf, 22), 0);
}

static void test_route_refresh(void **state)
{
	uint8_t buf[64];
	size_t n;
	enum bgp_af af = BGP_AF_IPV4;
	struct bgp_error err;
	uint8_t *b;

	(void)state;
	n = bgp_route_refresh_encode(BGP_AF_IPV6, buf, sizeof(buf));
	expect_hex("rr v6", buf, n, MARKER "0017 05 0002 00 01");
	assert_true(bgp_route_refresh_decode(buf + BGP_HEADER_LEN, 4, &af, &err));
	assert_int_equal(af, BGP_AF_IPV6);
	n = bgp_route_refresh_encode(BGP_AF_IPV4, buf, sizeof(buf));
	expect_hex("rr v4", buf, n, MARKER "0017 05 0001 00 01");
	assert_true(bgp_route_refresh_decode(buf + BGP_HEADER_LEN, 4, &af, &err));
	assert_int_equal(af, BGP_AF_IPV4);

	/* Other families and RFC 7313 subtypes: ignored, no NOTIFICATION. */
	b = hex_exact("0001 00 02", &n);
	assert_false(bgp_route_refresh_decode(b, n, &af, &err));
	assert_int_equal(err.code, 0);
	free(b);
	b = hex_exact("0019 00 46", &n);
	assert_false(bgp_route_refresh_decode(b, n, &af, &err));
	assert_int_equal(err.code, 0);
	free(b);
	b = hex_exact("0001 01 01", &n);
	assert_false(bgp_route_refresh_decode(b, n, &af, &err));
	assert_int_equal(err.code, 0);
	free(b);

	/* RFC 7313 5: a body other than 4 bytes; the data is the whole message. */
	b = hex_exact("0001 00 01 00", &n);
	assert_false(bgp_route_refresh_decode(b, n, &af, &err));
	assert_int_equal(err.code, BGP_ERR_ROUTE_REFRESH);
	assert_int_equal(err.subcode, BGP_RR_BAD_LENGTH);
	expect_hex("rr length data", err.data, err.len, MARKER "0018 05 0001 00 01 00");
	free(b);
	b = hex_exact("0001 00", &n);
	assert_false(bgp_route_refresh_decode(b, n, &af, &err));
	assert_int_equal(err.subcode, BGP_RR_BAD_LENGTH);
	free(b);
}

/* Names and the log line */

static void test_names(void **state)
{
	static const struct {
		uint8_t code, sub;
		const char *code_name, *sub_name;
	} rows[] = {
		{1, 1, "Message Header Error", "Connection Not Synchronized"},
		{1, 2, "Message Header Error", "Bad Message Length"},
		{1, 3, "Message Header Error", "Bad Message Type"},
		{2, 1, "OPEN Message Error", "Unsupported Version Number"},
		{2, 2, "OPEN Message Error", "Bad Peer AS"},
		{2, 3, "OPEN Message Error", "Bad BGP Identifier"},
		{2, 4, "OPEN Message Error", "Unsupported Optional Parameter"},
		{2, 6, "OPEN Message Error", "Unacceptable Hold Time"},
		{2, 7, "OPEN Message Error", "Unsupported Capability"},
		{3, 1, "UPDATE Message Error", "Malformed Attribute List"},
		{3, 2, "UPDATE Message Error", "Unrecognized Well-known Attribute"},
		{3, 3, "UPDATE Message Error", "Missing Well-known Attribute"},
		{3, 4, "UPDATE Message Error", "Attribute Flags Error"},
		{3, 5, "UPDATE Message Error", "Attribute Length Error"},
		{3, 6, "UPDATE Message Error", "Invalid ORIGIN Attribute"},
		{3, 8, "UPDATE Message Error", "Invalid NEXT_HOP Attribute"},
		{3, 9, "UPDATE Message Error", "Optional Attribute Error"},
		{3, 10, "UPDATE Message Error", "Invalid Network Field"},
		{3, 11, "UPDATE Message Error", "Malformed AS_PATH"},
		{4, 0, "Hold Timer Expired", "Unspecific"},
		{5, 0, "Finite State Machine Error", "Unspecific"},
		{5, 2, "Finite State Machine Error", "Receive Unexpected Message in OpenConfirm State"},
		{6, 1, "Cease", "Maximum Number of Prefixes Reached"},
		{6, 2, "Cease", "Administrative Shutdown"},
		{6, 3, "Cease", "Peer De-configured"},
		{6, 4, "Cease", "Administrative Reset"},
		{6, 5, "Cease", "Connection Rejected"},
		{6, 6, "Cease", "Other Configuration Change"},
		{6, 7, "Cease", "Connection Collision Resolution"},
		{6, 8, "Cease", "Out of Resources"},
		{6, 9, "Cease", "Hard Reset"},
		{6, 10, "Cease", "BFD Down"},
		{7, 1, "ROUTE-REFRESH Message Error", "Invalid Message Length"},
		{6, 11, "Cease", "Unknown Subcode"},
		{3, 7, "UPDATE Message Error", "AS Routing Loop (deprecated)"},
		{3, 12, "UPDATE Message Error", "Unknown Subcode"},
		{4, 1, "Hold Timer Expired", "Unknown Subcode"},
		{0, 1, "Unknown Error Code", "Unknown Subcode"},
		{8, 0, "Send Hold Timer Expired", "Unspecific"},
		{9, 1, "Unknown Error Code", "Unknown Subcode"},
		{255, 255, "Unknown Error Code", "Unknown Subcode"},
	};

	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		assert_string_equal(bgp_err_code_name(rows[i].code), rows[i].code_name);
		assert_string_equal(bgp_err_subcode_name(rows[i].code, rows[i].sub), rows[i].sub_name);
	}
	assert_string_equal(bgp_type_name(BGP_OPEN), "OPEN");
	assert_string_equal(bgp_type_name(BGP_ROUTE_REFRESH), "ROUTE-REFRESH");
	assert_string_equal(bgp_type_name(0), "unknown");
	assert_string_equal(bgp_type_name(200), "unknown");
	assert_string_equal(bgp_attr_name(BGP_ATTR_LARGE_COMMUNITY), "LARGE_COMMUNITY");
	assert_string_equal(bgp_attr_name(BGP_ATTR_MP_REACH), "MP_REACH_NLRI");
	assert_string_equal(bgp_attr_name(11), "unknown");
	assert_string_equal(bgp_attr_name(255), "unknown");
}

static void test_notification_format(void **state)
{
	static const struct {
		uint8_t code, sub;
		const char *data;  /* hex */
		const char *want;
	} rows[] = {
		{6, 2, "0b 6d61696e74656e616e6365", "Cease / Administrative Shutdown: \"maintenance\""},
		{6, 4, "00", "Cease / Administrative Reset: \"\""},
		{6, 2, "03 610a62", "Cease / Administrative Shutdown: \"a\\x0ab\""},
		{6, 2, "06 68c3a96c6c6f", "Cease / Administrative Shutdown: \"h\xc3\xa9llo\""},
		{6, 2, "02 c328", "Cease / Administrative Shutdown: \"\\xc3(\""},
		{6, 2, "03 22 5c 7f", "Cease / Administrative Shutdown: \"\\x22\\x5c\\x7f\""},
		{6, 2, "05 6162", "Cease / Administrative Shutdown (data 05 61 62)"},
		{6, 2, "07 e282ac f09f9880", "Cease / Administrative Shutdown: \"\xe2\x82\xac\xf0\x9f\x98\x80\""},
		{6, 2, "02 c080", "Cease / Administrative Shutdown: \"\\xc0\\x80\""},           /* overlong */
		{6, 2, "03 eda080", "Cease / Administrative Shutdown: \"\\xed\\xa0\\x80\""},     /* surrogate */
		{6, 2, "04 f4908080", "Cease / Administrative Shutdown: \"\\xf4\\x90\\x80\\x80\""}, /* past U+10FFFF */
		{6, 2, "03 ff e282", "Cease / Administrative Shutdown: \"\\xff\\xe2\\x82\""},    /* bad lead, cut */
		{1, 2, "0012", "Message Header Error / Bad Message Length (length 18)"},
		{1, 3, "07", "Message Header Error / Bad Message Type (type 7)"},
		{2, 1, "0004", "OPEN Message Error / Unsupported Version Number (peer speaks version 4)"},
		{3, 3, "03", "UPDATE Message Error / Missing Well-known Attribute (NEXT_HOP)"},
		{3, 4, "80010100", "UPDATE Message Error / Attribute Flags Error (data 80 01 01 00)"},
		{2, 2, "fde9", "OPEN Message Error / Bad Peer AS (data fd e9)"},
		{4, 0, "", "Hold Timer Expired / Unspecific"},
		{6, 9, "0602", "Cease / Hard Reset for Cease / Administrative Shutdown"},
		{6, 9, "04 00 01", "Cease / Hard Reset for Hold Timer Expired / Unspecific (data 01)"},
		{6, 9, "06", "Cease / Hard Reset (data 06)"},
		{9, 9, "", "Unknown Error Code / Unknown Subcode"},
	};
	char line[256], small[10];

	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		uint8_t data[64];
		size_t n = hex_to(rows[i].data, data, sizeof(data));
		int len = bgp_notification_format(rows[i].code, rows[i].sub, data, n, line, sizeof(line));

		assert_string_equal(line, rows[i].want);
		assert_int_equal(len, strlen(rows[i].want));
		/* Cut short: the start of the same line, terminated; the length is still the full one. */
		assert_int_equal(bgp_notification_format(rows[i].code, rows[i].sub, data, n, small, sizeof(small)), len);
		assert_int_equal(strncmp(small, rows[i].want, sizeof(small) - 1), 0);
		assert_int_equal(strlen(small), sizeof(small) - 1);
		assert_int_equal(bgp_notification_format(rows[i].code, rows[i].sub, data, n, NULL, 0), len);
	}

	/* Long data: the first 48 bytes in hex and the count. */
	uint8_t big[100] = {0};
	bgp_notification_format(3, 9, big, sizeof(big), line, sizeof(line));
	assert_non_null(strstr(line, " ... 100 bytes)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_open_round_trip),
		cmocka_unit_test(test_open_asn),
		cmocka_unit_test(test_open_decode_forms),
		cmocka_unit_test(test_open_malformed),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_notification),
		cmocka_unit_test(test_hard_reset),
		cmocka_unit_test(test_route_refresh),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_notification_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
