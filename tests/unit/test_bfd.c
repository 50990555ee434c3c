/*
 * Unit tests for proto/bfd.c: a packet byte by byte, one row per RFC 5880
 * section 6.8.6 discard rule (each patches a valid packet), the
 * authentication sections, and the packets captured from BIRD 2.0.12 and FRR
 * bfdd 8.4.4 (tests/vectors/bfd/, made by scripts/capture-bfd-vectors.sh):
 * every field as the daemons were configured, and re-encoded to the same bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfd.h"
#include "unhex.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Decodes from a heap block of exactly n bytes, so ASan sees any read past the
 * end. The authentication data points into it: with keep, the caller frees it.
 */
static enum bfd_err decode_heap(const uint8_t *p, size_t n, struct bfd_ctrl *c, uint8_t **keep)
{
	uint8_t *h = malloc(n ? n : 1);
	assert_non_null(h);
	memcpy(h, p, n);
	enum bfd_err e = bfd_decode(h, n, c);
	if (keep)
		*keep = h;
	else
		free(h);
	return e;
}

static enum bfd_err decode_exact(const uint8_t *p, size_t n, struct bfd_ctrl *c)
{
	return decode_heap(p, n, c, NULL);
}

/* Up, diag 0, P, mult 3, my 0x11223344, your 0x55667788, tx 300 ms, rx 350 ms, echo 50 ms. */
#define UP_POLL "20 e0 03 18 11 22 33 44 55 66 77 88 00 04 93 e0 00 05 57 30 00 00 c3 50"

static void test_encode_bytes(void **state)
{
	(void)state;
	struct bfd_ctrl c = {
		.state = BFD_UP, .poll = true, .detect_mult = 3, .my_disc = 0x11223344, .your_disc = 0x55667788,
		.desired_min_tx_us = 300000, .required_min_rx_us = 350000, .required_min_echo_rx_us = 50000,
	};
	uint8_t want[64], buf[64];
	size_t wn = unhex(UP_POLL, want, sizeof want);

	assert_int_equal(wn, BFD_CTRL_LEN);
	assert_int_equal(bfd_encode(&c, buf, sizeof buf), BFD_CTRL_LEN);
	assert_memory_equal(buf, want, BFD_CTRL_LEN);
	/* One byte short: nothing. */
	assert_int_equal(bfd_encode(&c, buf, BFD_CTRL_LEN - 1), 0);

	/* Every flag, diag 31, AdminDown: byte by byte. */
	c = (struct bfd_ctrl){.diag = 31, .state = BFD_ADMIN_DOWN, .final = true, .cpi = true, .demand = true,
			      .multipoint = true, .detect_mult = 255, .my_disc = 1};
	assert_int_equal(bfd_encode(&c, buf, sizeof buf), BFD_CTRL_LEN);
	assert_int_equal(buf[0], 0x3f);
	assert_int_equal(buf[1], 0x1b);
	assert_int_equal(buf[2], 255);
	assert_int_equal(buf[3], 24);
	assert_int_equal(buf[7], 1);
	/* Not writable: diag above 31, state above 3. */
	c.diag = 32;
	assert_int_equal(bfd_encode(&c, buf, sizeof buf), 0);
	c.diag = 0, c.state = 4;
	assert_int_equal(bfd_encode(&c, buf, sizeof buf), 0);
}

static void test_decode_fields(void **state)
{
	(void)state;
	uint8_t p[64];
	size_t n = unhex(UP_POLL, p, sizeof p);
	struct bfd_ctrl c;

	assert_int_equal(decode_exact(p, n, &c), BFD_OK);
	assert_int_equal(c.diag, 0);
	assert_int_equal(c.state, BFD_UP);
	assert_true(c.poll);
	assert_false(c.final || c.cpi || c.demand || c.multipoint);
	assert_int_equal(c.detect_mult, 3);
	assert_int_equal(c.length, 24);
	assert_int_equal(c.my_disc, 0x11223344);
	assert_int_equal(c.your_disc, 0x55667788);
	assert_int_equal(c.desired_min_tx_us, 300000);
	assert_int_equal(c.required_min_rx_us, 350000);
	assert_int_equal(c.required_min_echo_rx_us, 50000);
	assert_int_equal(c.auth.type, BFD_AUTH_NONE);

	/* Each flag bit alone (M is refused, so not here), and the diagnostic's 5 bits. */
	static const struct { uint8_t bit; size_t off; } flags[] = {
		{BFD_FLAG_P, offsetof(struct bfd_ctrl, poll)}, {BFD_FLAG_F, offsetof(struct bfd_ctrl, final)},
		{BFD_FLAG_C, offsetof(struct bfd_ctrl, cpi)}, {BFD_FLAG_D, offsetof(struct bfd_ctrl, demand)},
	};
	for (size_t i = 0; i < N(flags); i++) {
		p[1] = (uint8_t)(BFD_UP << 6 | flags[i].bit);
		assert_int_equal(decode_exact(p, n, &c), BFD_OK);
		assert_true(*(const bool *)((const char *)&c + flags[i].off));
		assert_int_equal(c.poll + c.final + c.cpi + c.demand, 1);
	}
	p[0] = 0x3f;
	assert_int_equal(decode_exact(p, n, &c), BFD_OK);
	assert_int_equal(c.diag, 31);
	/* Bytes past Length are the lower layer's padding. */
	p[0] = 0x20;
	memset(p + n, 0xee, 8);
	assert_int_equal(decode_exact(p, n + 8, &c), BFD_OK);
	assert_int_equal(c.length, 24);
}

/* One row per discard rule: a patch of UP_POLL (or of an authenticated packet) and its error. */
struct bad {
	const char *name, *hex;
	size_t cut;        /* nonzero: only the first cut bytes */
	enum bfd_err want;
};

#define DOWN_NOYOUR "20 40 03 18 11 22 33 44 00 00 00 00 00 0f 42 40 00 0f 42 40 00 00 00 00"
#define SIMPLE_HDR(len, st) "20 " st " 03 " len " 11 22 33 44 55 66 77 88 00 0f 42 40 00 0f 42 40 00 00 00 00 "

static const struct bad bads[] = {
	{"empty", "", 0, BFD_ERR_TRUNCATED},
	{"3 bytes", "20 c0 03", 0, BFD_ERR_TRUNCATED},
	{"version 0", "00 c0 03 18 11 22 33 44 55 66 77 88 00 04 93 e0 00 05 57 30 00 00 c3 50", 0, BFD_ERR_VERSION},
	{"version 2", "40 c0 03 18 11 22 33 44 55 66 77 88 00 04 93 e0 00 05 57 30 00 00 c3 50", 0, BFD_ERR_VERSION},
	{"version 7", "e0 c0 03 18 11 22 33 44 55 66 77 88 00 04 93 e0 00 05 57 30 00 00 c3 50", 0, BFD_ERR_VERSION},
	{"version before length", "40 c0 03 00", 0, BFD_ERR_VERSION},
	{"length 23", "20 c0 03 17 11 22 33 44 55 66 77 88 00 04 93 e0 00 05 57 30 00 00 c3 50", 0, BFD_ERR_LEN_SHORT},
	{"length 0", "20 c0 03 00 11 22 33 44 55 66 77 88 00 04 93 e0 00 05 57 30 00 00 c3 50", 0, BFD_ERR_LEN_SHORT},
	{"length 25 with A", "20 c4 03 19 11 22 33 44 55 66 77 88 00 04 93 e0 00 05 57 30 00 00 c3 50 01", 0,
	 BFD_ERR_LEN_SHORT},
	{"length 24 with A", "20 c4 03 18 11 22 33 44 55 66 77 88 00 04 93 e0 00 05 57 30 00 00 c3 50", 0,
	 BFD_ERR_LEN_SHORT},
	{"length 25, payload 24", "20 c0 03 19 11 22 33 44 55 66 77 88 00 04 93 e0 00 05 57 30 00 00 c3 50", 0,
	 BFD_ERR_LEN_PAYLOAD},
	{"payload 23", UP_POLL, 23, BFD_ERR_LEN_PAYLOAD},
	{"payload 4", UP_POLL, 4, BFD_ERR_LEN_PAYLOAD},
	{"detect mult 0", "20 c0 00 18 11 22 33 44 55 66 77 88 00 04 93 e0 00 05 57 30 00 00 c3 50", 0,
	 BFD_ERR_DETECT_MULT},
	{"M set", "20 c1 03 18 11 22 33 44 55 66 77 88 00 04 93 e0 00 05 57 30 00 00 c3 50", 0, BFD_ERR_MULTIPOINT},
	{"my discriminator 0", "20 c0 03 18 00 00 00 00 55 66 77 88 00 04 93 e0 00 05 57 30 00 00 c3 50", 0,
	 BFD_ERR_MY_DISC},
	{"your discriminator 0 in Up", "20 c0 03 18 11 22 33 44 00 00 00 00 00 04 93 e0 00 05 57 30 00 00 c3 50", 0,
	 BFD_ERR_YOUR_DISC},
	{"your discriminator 0 in Init", "20 80 03 18 11 22 33 44 00 00 00 00 00 04 93 e0 00 05 57 30 00 00 c3 50",
	 0, BFD_ERR_YOUR_DISC},
	{"length 25 without A", "20 c0 03 19 11 22 33 44 55 66 77 88 00 04 93 e0 00 05 57 30 00 00 c3 50 00", 0,
	 BFD_ERR_TRAILING},
	/* Authentication sections. */
	{"Auth Len above the rest", SIMPLE_HDR("1c", "c4") "01 05 01 61", 0, BFD_ERR_AUTH_LEN},
	{"Auth Len below the rest", SIMPLE_HDR("1d", "c4") "01 04 01 61 62", 0, BFD_ERR_AUTH_LEN},
	{"Auth Type 0", SIMPLE_HDR("1c", "c4") "00 04 01 61", 0, BFD_ERR_AUTH_TYPE},
	{"Auth Type 6", SIMPLE_HDR("1c", "c4") "06 04 01 61", 0, BFD_ERR_AUTH_TYPE},
	{"simple, no password", SIMPLE_HDR("1b", "c4") "01 03 01", 0, BFD_ERR_AUTH_TYPE_LEN},
	{"simple, Auth Len 2", SIMPLE_HDR("1a", "c4") "01 02", 0, BFD_ERR_AUTH_TYPE_LEN},
	{"simple, 17-byte password", SIMPLE_HDR("2c", "c4") "01 14 01 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61",
	 0, BFD_ERR_AUTH_TYPE_LEN},
	{"keyed MD5, Auth Len 28", SIMPLE_HDR("34", "c4") "02 1c 01 00 00 00 00 01"
	 "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", 0, BFD_ERR_AUTH_TYPE_LEN},
	{"meticulous MD5, Auth Len 23", SIMPLE_HDR("2f", "c4") "03 17 01 00 00 00 00 01"
	 "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", 0, BFD_ERR_AUTH_TYPE_LEN},
	{"keyed SHA1, Auth Len 24", SIMPLE_HDR("30", "c4") "04 18 01 00 00 00 00 01"
	 "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", 0, BFD_ERR_AUTH_TYPE_LEN},
	{"meticulous SHA1, cut in its hash", SIMPLE_HDR("34", "c4") "05 1c 01 00 00 00 00 01"
	 "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", 0, BFD_ERR_LEN_PAYLOAD},
};

static void test_discard_rules(void **state)
{
	(void)state;
	bool seen[BFD_ERR_MAX] = {false};

	for (size_t i = 0; i < N(bads); i++) {
		uint8_t p[128];
		size_t n = unhex(bads[i].hex, p, sizeof p);
		struct bfd_ctrl c;
		memset(&c, 0x5a, sizeof c);
		struct bfd_ctrl before = c;

		if (bads[i].cut)
			n = bads[i].cut;
		enum bfd_err e = decode_exact(p, n, &c);
		if (e != bads[i].want)
			fail_msg("%s: got \"%s\", want \"%s\"", bads[i].name, bfd_err_str(e), bfd_err_str(bads[i].want));
		/* A refused packet leaves the output alone. */
		assert_memory_equal(&c, &before, sizeof c);
		seen[e] = true;
	}
	/* Every error has a row, and a name of its own. */
	for (int e = BFD_ERR_TRUNCATED; e < BFD_ERR_MAX; e++) {
		if (!seen[e])
			fail_msg("no row for \"%s\"", bfd_err_str((enum bfd_err)e));
		for (int f = 0; f < e; f++)
			assert_string_not_equal(bfd_err_str((enum bfd_err)e), bfd_err_str((enum bfd_err)f));
	}
	assert_string_equal(bfd_err_str(BFD_ERR_MAX), "unknown error");
}

/* Down and AdminDown may name no remote discriminator yet. */
static void test_your_disc_zero_allowed(void **state)
{
	(void)state;
	uint8_t p[64];
	size_t n = unhex(DOWN_NOYOUR, p, sizeof p);
	struct bfd_ctrl c;

	assert_int_equal(decode_exact(p, n, &c), BFD_OK);
	assert_int_equal(c.state, BFD_DOWN);
	p[1] = 0x00;
	assert_int_equal(decode_exact(p, n, &c), BFD_OK);
	assert_int_equal(c.state, BFD_ADMIN_DOWN);
}

static void roundtrip_auth(struct bfd_ctrl *c, size_t want_len, const char *want_tail_hex)
{
	uint8_t buf[BFD_CTRL_MAX_LEN], tail[32];
	size_t tn = unhex(want_tail_hex, tail, sizeof tail);
	struct bfd_ctrl back;

	assert_int_equal(bfd_encode(c, buf, sizeof buf), want_len);
	assert_int_equal(buf[1] & BFD_FLAG_A, BFD_FLAG_A);
	assert_int_equal(buf[3], want_len);
	assert_int_equal(tn, want_len - BFD_CTRL_LEN);
	assert_memory_equal(buf + BFD_CTRL_LEN, tail, tn);
	assert_int_equal(bfd_encode(c, buf, want_len - 1), 0);
	assert_int_equal(decode_exact(buf, want_len, &back), BFD_OK);
	assert_int_equal(back.auth.type, c->auth.type);
	assert_int_equal(back.auth.key_id, c->auth.key_id);
	assert_int_equal(back.auth.seq, c->auth.seq);
	assert_int_equal(back.auth.data_len, c->auth.data_len);
	assert_int_equal(back.length, want_len);
}

static void test_auth_sections(void **state)
{
	(void)state;
	static const uint8_t digest[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
	struct bfd_ctrl c = {.state = BFD_DOWN, .detect_mult = 3, .my_disc = 7};

	c.auth = (struct bfd_auth){.type = BFD_AUTH_SIMPLE, .key_id = 9, .data = (const uint8_t *)"pw", .data_len = 2};
	roundtrip_auth(&c, 29, "01 05 09 70 77");
	c.auth = (struct bfd_auth){.type = BFD_AUTH_KEYED_MD5, .key_id = 1, .seq = 0x01020304, .data = digest,
				   .data_len = 16};
	roundtrip_auth(&c, 48, "02 18 01 00 01 02 03 04 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10");
	c.auth.type = BFD_AUTH_METICULOUS_MD5;
	roundtrip_auth(&c, 48, "03 18 01 00 01 02 03 04 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10");
	c.auth = (struct bfd_auth){.type = BFD_AUTH_KEYED_SHA1, .key_id = 255, .seq = 0xfffffffe, .data = digest,
				   .data_len = 20};
	roundtrip_auth(&c, 52,
		       "04 1c ff 00 ff ff ff fe 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14");
	c.auth.type = BFD_AUTH_METICULOUS_SHA1;
	roundtrip_auth(&c, 52,
		       "05 1c ff 00 ff ff ff fe 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14");

	/* The MD5/SHA1 Reserved byte is ignored on receipt. */
	uint8_t p[BFD_CTRL_MAX_LEN];
	struct bfd_ctrl back;
	assert_int_equal(bfd_encode(&c, p, sizeof p), 52);
	p[27] = 0xaa;
	assert_int_equal(bfd_decode(p, 52, &back), BFD_OK);
	assert_memory_equal(back.auth.data, digest, 20);

	/* Not writable: unknown type, data length wrong for the type, no data. */
	uint8_t buf[BFD_CTRL_MAX_LEN];
	c.auth.type = 6;
	assert_int_equal(bfd_encode(&c, buf, sizeof buf), 0);
	c.auth.type = BFD_AUTH_KEYED_SHA1, c.auth.data_len = 16;
	assert_int_equal(bfd_encode(&c, buf, sizeof buf), 0);
	c.auth = (struct bfd_auth){.type = BFD_AUTH_SIMPLE, .data = digest, .data_len = 17};
	assert_int_equal(bfd_encode(&c, buf, sizeof buf), 0);
	c.auth.data_len = 0;
	assert_int_equal(bfd_encode(&c, buf, sizeof buf), 0);
	c.auth = (struct bfd_auth){.type = BFD_AUTH_KEYED_MD5, .data = NULL, .data_len = 16};
	assert_int_equal(bfd_encode(&c, buf, sizeof buf), 0);
	assert_int_equal(bfd_auth_len(BFD_AUTH_SIMPLE, 16), 19);
	assert_int_equal(bfd_auth_len(BFD_AUTH_NONE, 0), 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(bfd_state_name(BFD_ADMIN_DOWN), "AdminDown");
	assert_string_equal(bfd_state_name(BFD_DOWN), "Down");
	assert_string_equal(bfd_state_name(BFD_INIT), "Init");
	assert_string_equal(bfd_state_name(BFD_UP), "Up");
	assert_string_equal(bfd_state_name(4), "invalid");
	assert_string_equal(bfd_diag_name(BFD_DIAG_NONE), "No Diagnostic");
	assert_string_equal(bfd_diag_name(BFD_DIAG_CTRL_EXPIRED), "Control Detection Time Expired");
	assert_string_equal(bfd_diag_name(BFD_DIAG_ECHO_FAILED), "Echo Function Failed");
	assert_string_equal(bfd_diag_name(BFD_DIAG_NEIGHBOR_DOWN), "Neighbor Signaled Session Down");
	assert_string_equal(bfd_diag_name(BFD_DIAG_FWD_RESET), "Forwarding Plane Reset");
	assert_string_equal(bfd_diag_name(BFD_DIAG_PATH_DOWN), "Path Down");
	assert_string_equal(bfd_diag_name(BFD_DIAG_CONCAT_PATH_DOWN), "Concatenated Path Down");
	assert_string_equal(bfd_diag_name(BFD_DIAG_ADMIN_DOWN), "Administratively Down");
	assert_string_equal(bfd_diag_name(BFD_DIAG_REV_CONCAT_PATH_DOWN), "Reverse Concatenated Path Down");
	assert_string_equal(bfd_diag_name(BFD_DIAG_MISCONNECTIVITY), "Mis-Connectivity Defect");
	assert_string_equal(bfd_diag_name(10), "reserved");
	assert_string_equal(bfd_diag_name(31), "reserved");
	assert_string_equal(bfd_diag_name(32), "invalid");
	assert_string_equal(bfd_auth_type_name(BFD_AUTH_METICULOUS_SHA1), "Meticulous Keyed SHA1");
	assert_string_equal(bfd_auth_type_name(6), "reserved");
}

/* The captured packets: every field, and vipcast's encoder writes the daemon's very bytes. */
struct vec {
	const char *file;
	uint8_t diag, state;
	bool poll, final;
	uint8_t mult;
	uint32_t my, your, tx, rx, echo;
	uint8_t auth;
	uint32_t seq;
};

static const struct vec vecs[] = {
	{"bird-auth-keyed-md5/bird1-01-down.hex", 0, BFD_DOWN, 0, 0, 4, 0xa79d08cd, 0x00000000, 1000000, 250000, 0, 2, 0xc95f001f},
	{"bird-auth-keyed-md5/bird1-02-init.hex", 0, BFD_INIT, 0, 0, 4, 0xa79d08cd, 0xa4d0f7bc, 1000000, 250000, 0, 2, 0xc95f001f},
	{"bird-auth-keyed-md5/bird1-03-up-final.hex", 0, BFD_UP, 0, 1, 4, 0xa79d08cd, 0xa4d0f7bc, 200000, 250000, 0, 2, 0xc95f001f},
	{"bird-auth-keyed-md5/bird1-04-up-poll.hex", 0, BFD_UP, 1, 0, 4, 0xa79d08cd, 0xa4d0f7bc, 200000, 250000, 0, 2, 0xc95f001f},
	{"bird-auth-keyed-md5/bird1-05-up.hex", 0, BFD_UP, 0, 0, 4, 0xa79d08cd, 0xa4d0f7bc, 200000, 250000, 0, 2, 0xc95f0020},
	{"bird-auth-keyed-md5/bird2-01-down.hex", 0, BFD_DOWN, 0, 0, 4, 0xa4d0f7bc, 0x00000000, 1000000, 250000, 0, 2, 0x88e7d767},
	{"bird-auth-keyed-md5/bird2-02-up-poll.hex", 0, BFD_UP, 1, 0, 4, 0xa4d0f7bc, 0xa79d08cd, 200000, 250000, 0, 2, 0x88e7d767},
	{"bird-auth-keyed-md5/bird2-03-up-final.hex", 0, BFD_UP, 0, 1, 4, 0xa4d0f7bc, 0xa79d08cd, 200000, 250000, 0, 2, 0x88e7d767},
	{"bird-auth-keyed-md5/bird2-04-up.hex", 0, BFD_UP, 0, 0, 4, 0xa4d0f7bc, 0xa79d08cd, 200000, 250000, 0, 2, 0x88e7d768},
	{"bird-auth-meticulous-sha1/bird1-01-down.hex", 0, BFD_DOWN, 0, 0, 4, 0x9aa12f65, 0x00000000, 1000000, 250000, 0, 5, 0x3f62f4b7},
	{"bird-auth-meticulous-sha1/bird1-02-init.hex", 0, BFD_INIT, 0, 0, 4, 0x9aa12f65, 0x5069e533, 1000000, 250000, 0, 5, 0x3f62f4b8},
	{"bird-auth-meticulous-sha1/bird1-03-up-final.hex", 0, BFD_UP, 0, 1, 4, 0x9aa12f65, 0x5069e533, 200000, 250000, 0, 5, 0x3f62f4b9},
	{"bird-auth-meticulous-sha1/bird1-04-up-poll.hex", 0, BFD_UP, 1, 0, 4, 0x9aa12f65, 0x5069e533, 200000, 250000, 0, 5, 0x3f62f4ba},
	{"bird-auth-meticulous-sha1/bird1-05-up.hex", 0, BFD_UP, 0, 0, 4, 0x9aa12f65, 0x5069e533, 200000, 250000, 0, 5, 0x3f62f4bb},
	{"bird-auth-meticulous-sha1/bird2-01-down.hex", 0, BFD_DOWN, 0, 0, 4, 0x5069e533, 0x00000000, 1000000, 250000, 0, 5, 0x50c52c51},
	{"bird-auth-meticulous-sha1/bird2-02-up-poll.hex", 0, BFD_UP, 1, 0, 4, 0x5069e533, 0x9aa12f65, 200000, 250000, 0, 5, 0x50c52c52},
	{"bird-auth-meticulous-sha1/bird2-03-up-final.hex", 0, BFD_UP, 0, 1, 4, 0x5069e533, 0x9aa12f65, 200000, 250000, 0, 5, 0x50c52c53},
	{"bird-auth-meticulous-sha1/bird2-04-up.hex", 0, BFD_UP, 0, 0, 4, 0x5069e533, 0x9aa12f65, 200000, 250000, 0, 5, 0x50c52c54},
	{"bird-auth-simple/bird1-01-down.hex", 0, BFD_DOWN, 0, 0, 4, 0x3a2628bd, 0x00000000, 1000000, 250000, 0, 1, 0x00000000},
	{"bird-auth-simple/bird1-02-init.hex", 0, BFD_INIT, 0, 0, 4, 0x3a2628bd, 0x2c0cebd2, 1000000, 250000, 0, 1, 0x00000000},
	{"bird-auth-simple/bird1-03-up-final.hex", 0, BFD_UP, 0, 1, 4, 0x3a2628bd, 0x2c0cebd2, 200000, 250000, 0, 1, 0x00000000},
	{"bird-auth-simple/bird1-04-up-poll.hex", 0, BFD_UP, 1, 0, 4, 0x3a2628bd, 0x2c0cebd2, 200000, 250000, 0, 1, 0x00000000},
	{"bird-auth-simple/bird1-05-up.hex", 0, BFD_UP, 0, 0, 4, 0x3a2628bd, 0x2c0cebd2, 200000, 250000, 0, 1, 0x00000000},
	{"bird-auth-simple/bird2-01-down.hex", 0, BFD_DOWN, 0, 0, 4, 0x2c0cebd2, 0x00000000, 1000000, 250000, 0, 1, 0x00000000},
	{"bird-auth-simple/bird2-02-up-poll.hex", 0, BFD_UP, 1, 0, 4, 0x2c0cebd2, 0x3a2628bd, 200000, 250000, 0, 1, 0x00000000},
	{"bird-auth-simple/bird2-03-up-final.hex", 0, BFD_UP, 0, 1, 4, 0x2c0cebd2, 0x3a2628bd, 200000, 250000, 0, 1, 0x00000000},
	{"bird-auth-simple/bird2-04-up.hex", 0, BFD_UP, 0, 0, 4, 0x2c0cebd2, 0x3a2628bd, 200000, 250000, 0, 1, 0x00000000},
	{"bird-frr/bird-01-down.hex", 0, BFD_DOWN, 0, 0, 4, 0x4670c39a, 0x00000000, 1000000, 250000, 0, 0, 0x00000000},
	{"bird-frr/bird-02-up-poll.hex", 0, BFD_UP, 1, 0, 4, 0x4670c39a, 0x84277a85, 200000, 250000, 0, 0, 0x00000000},
	{"bird-frr/bird-03-up-final.hex", 0, BFD_UP, 0, 1, 4, 0x4670c39a, 0x84277a85, 200000, 250000, 0, 0, 0x00000000},
	{"bird-frr/bird-04-up.hex", 0, BFD_UP, 0, 0, 4, 0x4670c39a, 0x84277a85, 200000, 250000, 0, 0, 0x00000000},
	{"bird-frr/bird-05-down-poll.hex", 3, BFD_DOWN, 1, 0, 4, 0x4670c39a, 0x84277a85, 1000000, 250000, 0, 0, 0x00000000},
	{"bird-frr/bird-06-down.hex", 3, BFD_DOWN, 0, 0, 4, 0x4670c39a, 0x84277a85, 1000000, 250000, 0, 0, 0x00000000},
	{"bird-frr/bird-07-down.hex", 3, BFD_DOWN, 0, 0, 4, 0x4670c39a, 0x00000000, 1000000, 250000, 0, 0, 0x00000000},
	{"bird-frr/frr-01-down.hex", 0, BFD_DOWN, 0, 0, 3, 0x84277a85, 0x00000000, 1000000, 1000000, 50000, 0, 0x00000000},
	{"bird-frr/frr-02-init.hex", 0, BFD_INIT, 0, 0, 3, 0x84277a85, 0x4670c39a, 1000000, 1000000, 50000, 0, 0x00000000},
	{"bird-frr/frr-03-up-poll.hex", 0, BFD_UP, 1, 0, 3, 0x84277a85, 0x4670c39a, 300000, 350000, 50000, 0, 0x00000000},
	{"bird-frr/frr-04-up-final.hex", 0, BFD_UP, 0, 1, 3, 0x84277a85, 0x4670c39a, 300000, 350000, 50000, 0, 0x00000000},
	{"bird-frr/frr-05-up.hex", 0, BFD_UP, 0, 0, 3, 0x84277a85, 0x4670c39a, 300000, 350000, 50000, 0, 0x00000000},
	{"bird-frr/frr-06-up-poll.hex", 0, BFD_UP, 1, 0, 3, 0x84277a85, 0x4670c39a, 500000, 350000, 50000, 0, 0x00000000},
	{"bird-frr/frr-07-up.hex", 0, BFD_UP, 0, 0, 3, 0x84277a85, 0x4670c39a, 500000, 350000, 50000, 0, 0x00000000},
	{"bird-frr/frr-08-admindown.hex", 0, BFD_ADMIN_DOWN, 0, 0, 3, 0x84277a85, 0x4670c39a, 500000, 350000, 50000, 0, 0x00000000},
	{"bird-frr/frr-09-admindown-final.hex", 0, BFD_ADMIN_DOWN, 0, 1, 3, 0x84277a85, 0x4670c39a, 500000, 350000, 50000, 0, 0x00000000},
};

static size_t read_vector(const char *name, uint8_t *out, size_t cap)
{
	char path[512], text[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "%s/vectors/bfd/%s", TEST_DATA_DIR, name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	return unhex(text, out, cap);
}

static void test_vectors(void **state)
{
	(void)state;
	bool states[4] = {false}, polls = false, finals = false;

	for (size_t i = 0; i < N(vecs); i++) {
		const struct vec *v = &vecs[i];
		uint8_t p[128], re[BFD_CTRL_MAX_LEN];
		size_t n = read_vector(v->file, p, sizeof p);
		struct bfd_ctrl c;
		uint8_t *heap;
		enum bfd_err e = decode_heap(p, n, &c, &heap);

		if (e != BFD_OK)
			fail_msg("%s: %s", v->file, bfd_err_str(e));
		if (c.diag != v->diag || c.state != v->state || c.poll != v->poll || c.final != v->final ||
		    c.detect_mult != v->mult || c.my_disc != v->my || c.your_disc != v->your ||
		    c.desired_min_tx_us != v->tx || c.required_min_rx_us != v->rx ||
		    c.required_min_echo_rx_us != v->echo || c.auth.type != v->auth || c.auth.seq != v->seq ||
		    c.cpi || c.demand || c.length != n)
			fail_msg("%s: decoded %s diag %u P%d F%d mult %u my %#x your %#x tx %u rx %u echo %u auth %u seq %#x",
				 v->file, bfd_state_name(c.state), c.diag, c.poll, c.final, c.detect_mult, c.my_disc,
				 c.your_disc, c.desired_min_tx_us, c.required_min_rx_us, c.required_min_echo_rx_us,
				 c.auth.type, c.auth.seq);
		if (v->auth) {
			/* BIRD's password "vipcast-bfd", id 1. */
			assert_int_equal(c.auth.key_id, 1);
			if (v->auth == BFD_AUTH_SIMPLE) {
				assert_int_equal(c.auth.data_len, 11);
				assert_memory_equal(c.auth.data, "vipcast-bfd", 11);
			} else {
				assert_int_equal(c.auth.data_len, v->auth == BFD_AUTH_KEYED_MD5 ? 16 : 20);
			}
		}
		assert_int_equal(bfd_encode(&c, re, sizeof re), n);
		if (memcmp(re, p, n) != 0)
			fail_msg("%s: re-encoded bytes differ", v->file);
		free(heap);
		states[c.state] = true;
		polls |= c.poll, finals |= c.final;
	}
	/* The captures cover every state and both halves of a poll sequence. */
	assert_true(states[BFD_ADMIN_DOWN] && states[BFD_DOWN] && states[BFD_INIT] && states[BFD_UP]);
	assert_true(polls && finals);
}

/* As configured: BIRD tx 200 ms / rx 250 ms / mult 4 (1 s while not Up), FRR tx 300 then 500 ms / rx 350 ms / mult 3. */
static void test_vectors_as_configured(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(vecs); i++) {
		const struct vec *v = &vecs[i];
		bool frr = strstr(v->file, "/frr-") != NULL;
		if (frr) {
			assert_int_equal(v->mult, 3);
			if (v->state == BFD_UP || v->state == BFD_ADMIN_DOWN)
				assert_true(v->tx == 300000 || v->tx == 500000);
			else
				assert_int_equal(v->tx, 1000000);
			assert_true(v->rx == 350000 || (v->state != BFD_UP && v->rx == 1000000));
		} else {
			assert_int_equal(v->mult, 4);
			assert_int_equal(v->tx, v->state == BFD_UP ? 200000 : 1000000);
			assert_int_equal(v->rx, 250000);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_bytes),
		cmocka_unit_test(test_decode_fields),
		cmocka_unit_test(test_discard_rules),
		cmocka_unit_test(test_your_disc_zero_allowed),
		cmocka_unit_test(test_auth_sections),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_vectors_as_configured),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
