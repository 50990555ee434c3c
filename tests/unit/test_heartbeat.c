/*
 * The L2 heartbeat codec: a golden vector (MAC computed independently with
 * Python's hmac module), round trips, every truncation, bit flips, wrong and
 * rotated keys, and a table of authenticated but malformed messages (a valid
 * MAC over bad fields, as only a key holder could send).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "heartbeat.h"
#include "wire.h"

static const uint8_t key1[] = "0123456789abcdef0123456789abcdef";
static const uint8_t key2[] = "another key, 32 bytes long......";
#define K1 ((struct hb_key){key1, 32})
#define K2 ((struct hb_key){key2, 32})

/* python3: hmac.new(key1, body, sha256) over the fields of golden_msg(). */
static const char golden_hex[] = "5643484201010103006400020005f3c2"
				 "a1b2c3d4000000000000002a0000018b"
				 "cfe5687b056e6f646531056e6f646532"
				 "020005f3c2a1b2c3d568611fcddc6c9b"
				 "9c9e8102191114f694f227a6d26798d9"
				 "2d5716b527fe60ccee";

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = strlen(h) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return n;
}

static struct hb_msg golden_msg(void)
{
	struct hb_msg m = {.state = HB_ALIVE, .flags = HB_FLAG_READY, .detect_mult = 3, .interval_ms = 100,
			   .nup = 2, .boot = 0x0005f3c2a1b2c3d4ULL, .seq = 42, .time_ms = 1700000000123ULL,
			   .to_view = HB_VIEW_UP, .to_boot = 0x0005f3c2a1b2c3d5ULL};
	strcpy(m.from, "node1");
	strcpy(m.to, "node2");
	return m;
}

static void assert_msg_equal(const struct hb_msg *a, const struct hb_msg *b)
{
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->detect_mult, b->detect_mult);
	assert_int_equal(a->interval_ms, b->interval_ms);
	assert_int_equal(a->nup, b->nup);
	assert_true(a->boot == b->boot && a->seq == b->seq && a->time_ms == b->time_ms && a->to_boot == b->to_boot);
	assert_string_equal(a->from, b->from);
	assert_string_equal(a->to, b->to);
	assert_int_equal(a->to_view, b->to_view);
}

static void test_golden(void **state)
{
	(void)state;
	uint8_t want[HB_MAX_LEN], got[HB_MAX_LEN];
	size_t nwant = unhex(golden_hex, want);
	struct hb_msg m = golden_msg(), d;
	size_t n = hb_encode(&m, K1, got, sizeof got);
	assert_int_equal(n, nwant);
	assert_memory_equal(got, want, n);
	size_t which = 99;
	assert_int_equal(hb_decode(want, nwant, &K1, 1, &d, &which), HB_OK);
	assert_int_equal(which, 0);
	assert_msg_equal(&d, &m);
}

static void test_round_trip_extremes(void **state)
{
	(void)state;
	struct hb_msg m = golden_msg(), d;
	memset(m.from, 'a', HB_NAME_MAX);
	m.from[HB_NAME_MAX] = '\0';
	memset(m.to, 'z', HB_NAME_MAX);
	m.to[HB_NAME_MAX] = '\0';
	m.state = HB_LEAVING;
	m.flags = 0;
	m.detect_mult = HB_MAX_DETECT_MULT;
	m.interval_ms = HB_MAX_INTERVAL_MS;
	m.boot = m.seq = m.time_ms = m.to_boot = UINT64_MAX;
	m.nup = UINT16_MAX;
	m.to_view = HB_VIEW_DOWN;
	uint8_t buf[HB_MAX_LEN];
	size_t n = hb_encode(&m, K2, buf, sizeof buf);
	assert_int_equal(n, HB_MAX_LEN);
	assert_int_equal(hb_decode(buf, n, &K2, 1, &d, NULL), HB_OK);
	assert_msg_equal(&d, &m);
	/* One byte too little room: nothing. */
	assert_int_equal(hb_encode(&m, K2, buf, HB_MAX_LEN - 1), 0);
}

static void test_encode_refuses(void **state)
{
	(void)state;
	uint8_t buf[HB_MAX_LEN];
	struct hb_msg m;
	m = golden_msg(), m.interval_ms = HB_MIN_INTERVAL_MS - 1;
	assert_int_equal(hb_encode(&m, K1, buf, sizeof buf), 0);
	m = golden_msg(), m.interval_ms = HB_MAX_INTERVAL_MS + 1;
	assert_int_equal(hb_encode(&m, K1, buf, sizeof buf), 0);
	m = golden_msg(), m.detect_mult = 0;
	assert_int_equal(hb_encode(&m, K1, buf, sizeof buf), 0);
	m = golden_msg(), m.from[0] = '\0';
	assert_int_equal(hb_encode(&m, K1, buf, sizeof buf), 0);
	m = golden_msg(), strcpy(m.to, "has space");
	assert_int_equal(hb_encode(&m, K1, buf, sizeof buf), 0);
	m = golden_msg(), m.flags = 0x80;
	assert_int_equal(hb_encode(&m, K1, buf, sizeof buf), 0);
	m = golden_msg();
	assert_int_equal(hb_encode(&m, (struct hb_key){key1, 0}, buf, sizeof buf), 0);
}

static void test_wrong_and_rotated_keys(void **state)
{
	(void)state;
	uint8_t buf[HB_MAX_LEN];
	struct hb_msg m = golden_msg(), d;
	size_t n = hb_encode(&m, K1, buf, sizeof buf);
	assert_int_equal(hb_decode(buf, n, &K2, 1, &d, NULL), HB_E_MAC);
	/* A key that is a prefix of the right one is another key. */
	struct hb_key shorter = {key1, 31};
	assert_int_equal(hb_decode(buf, n, &shorter, 1, &d, NULL), HB_E_MAC);
	struct hb_key both[2] = {K2, K1};
	size_t which = 0;
	assert_int_equal(hb_decode(buf, n, both, 2, &d, &which), HB_OK);
	assert_int_equal(which, 1);
	assert_int_equal(hb_decode(buf, n, NULL, 0, &d, NULL), HB_E_MAC);
}

static void test_every_truncation_and_extension(void **state)
{
	(void)state;
	uint8_t buf[HB_MAX_LEN + 8];
	struct hb_msg m = golden_msg(), d;
	size_t n = hb_encode(&m, K1, buf, sizeof buf);
	for (size_t k = 0; k < n; k++) {
		enum hb_error e = hb_decode(buf, k, &K1, 1, &d, NULL);
		assert_true(e == HB_E_LENGTH || e == HB_E_MAC);
	}
	buf[n] = 0;
	assert_int_equal(hb_decode(buf, n + 1, &K1, 1, &d, NULL), HB_E_MAC);
	memset(buf, 0, sizeof buf);
	assert_int_equal(hb_decode(buf, HB_MAX_LEN + 1, &K1, 1, &d, NULL), HB_E_LENGTH);
}

static void test_every_bit_flip(void **state)
{
	(void)state;
	uint8_t buf[HB_MAX_LEN];
	struct hb_msg m = golden_msg(), d;
	size_t n = hb_encode(&m, K1, buf, sizeof buf);
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 8; b++) {
			buf[i] ^= (uint8_t)(1 << b);
			enum hb_error e = hb_decode(buf, n, &K1, 1, &d, NULL);
			assert_true(i < 4 ? e == HB_E_MAGIC : i == 4 ? e == HB_E_VERSION : e == HB_E_MAC);
			buf[i] ^= (uint8_t)(1 << b);
		}
	assert_int_equal(hb_decode(buf, n, &K1, 1, &d, NULL), HB_OK);
}

/* ---- authenticated but malformed: raw bodies MACed here ---- */

struct raw {
	uint8_t b[HB_MAX_LEN + 64];
	size_t n;
};

static void put(struct raw *r, const void *p, size_t n)
{
	memcpy(r->b + r->n, p, n);
	r->n += n;
}

static void put8(struct raw *r, uint8_t v)
{
	put(r, &v, 1);
}

static void put16(struct raw *r, uint16_t v)
{
	put8(r, (uint8_t)(v >> 8)), put8(r, (uint8_t)v);
}

static void put64(struct raw *r, uint64_t v)
{
	for (int s = 56; s >= 0; s -= 8)
		put8(r, (uint8_t)(v >> s));
}

struct bad_row {
	const char *what;
	uint8_t version, state, flags, mult;
	uint16_t interval;
	const char *from, *to;  /* NULL: as many letters 'a' as the length says */
	int from_len, to_len;   /* -1: the name's length; else the length byte, with at most 5 bytes of the name */
	uint8_t view;
	size_t extra;          /* bytes between the last field and the MAC */
	enum hb_error want;
};

static const struct bad_row bad_rows[] = {
	{"valid", 1, 1, 0, 3, 100, "node1", "node2", -1, -1, 2, 0, HB_OK},
	{"version 2", 2, 1, 0, 3, 100, "node1", "node2", -1, -1, 2, 0, HB_E_VERSION},
	{"state 0", 1, 0, 0, 3, 100, "node1", "node2", -1, -1, 2, 0, HB_E_FIELD},
	{"state 3", 1, 3, 0, 3, 100, "node1", "node2", -1, -1, 2, 0, HB_E_FIELD},
	{"unknown flag", 1, 1, 2, 3, 100, "node1", "node2", -1, -1, 2, 0, HB_E_FIELD},
	{"multiplier 0", 1, 1, 0, 0, 100, "node1", "node2", -1, -1, 2, 0, HB_E_FIELD},
	{"multiplier 51", 1, 1, 0, 51, 100, "node1", "node2", -1, -1, 2, 0, HB_E_FIELD},
	{"interval 9 ms", 1, 1, 0, 3, 9, "node1", "node2", -1, -1, 2, 0, HB_E_FIELD},
	{"interval 60001 ms", 1, 1, 0, 3, 60001, "node1", "node2", -1, -1, 2, 0, HB_E_FIELD},
	{"view 3", 1, 1, 0, 3, 100, "node1", "node2", -1, -1, 3, 0, HB_E_FIELD},
	{"empty sender", 1, 1, 0, 3, 100, "", "node2", -1, -1, 2, 0, HB_E_FIELD},
	{"sender with a space", 1, 1, 0, 3, 100, "no de", "node2", -1, -1, 2, 0, HB_E_FIELD},
	{"sender with a NUL", 1, 1, 0, 3, 100, "no\0de", "node2", 5, -1, 2, 0, HB_E_FIELD},
	{"receiver with DEL", 1, 1, 0, 3, 100, "node1", "node\x7f", -1, -1, 2, 0, HB_E_FIELD},
	{"sender length past the end", 1, 1, 0, 3, 100, "node1", "node2", 200, -1, 2, 0, HB_E_FRAMING},
	{"receiver length past the end", 1, 1, 0, 3, 100, "node1", "node2", -1, 40, 2, 0, HB_E_FRAMING},
	{"a byte left before the MAC", 1, 1, 0, 3, 100, "node1", "node2", -1, -1, 2, 1, HB_E_FRAMING},
	{"sender of 254 bytes", 1, 1, 0, 3, 100, NULL, "node2", HB_NAME_MAX + 1, -1, 2, 0, HB_E_FIELD},
	{"sender of 255 bytes", 1, 1, 0, 3, 100, NULL, "node2", 255, -1, 2, 0, HB_E_FIELD},
	{"receiver of 255 bytes", 1, 1, 0, 3, 100, "node1", NULL, -1, 255, 2, 0, HB_E_FIELD},
};

/* The name as a row gives it: its length byte, then its bytes. */
static void put_name(struct raw *r, const char *name, int len)
{
	if (!name) {
		put8(r, (uint8_t)len);
		for (int i = 0; i < len; i++)
			put8(r, 'a');
		return;
	}
	size_t n = len < 0 ? strlen(name) : (size_t)len;
	put8(r, (uint8_t)n);
	put(r, name, len < 0 ? n : (n > 5 ? 5 : n));
}

static void test_authenticated_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_rows / sizeof bad_rows[0]; i++) {
		const struct bad_row *row = &bad_rows[i];
		struct raw r = {.n = 0};
		put(&r, "VCHB", 4);
		put8(&r, row->version);
		put8(&r, row->state);
		put8(&r, row->flags);
		put8(&r, row->mult);
		put16(&r, row->interval);
		put16(&r, 1);
		put64(&r, 7), put64(&r, 8), put64(&r, 9);
		put_name(&r, row->from, row->from_len);
		put_name(&r, row->to, row->to_len);
		put8(&r, row->view);
		put64(&r, 10);
		for (size_t k = 0; k < row->extra; k++)
			put8(&r, 0);
		unsigned len;
		HMAC(EVP_sha256(), key1, 32, r.b, r.n, r.b + r.n, &len);
		r.n += len;
		struct hb_msg d;
		enum hb_error e = hb_decode(r.b, r.n, &K1, 1, &d, NULL);
		if (e != row->want)
			fail_msg("%s: got %s, want %s", row->what, hb_error_name(e), hb_error_name(row->want));
	}
}

/*
 * A length byte saying 254 or 255 (255 is one byte more than out holds with
 * its NUL): refused, consumed, and not a byte written past out. The decoder
 * once copied the name first and checked its length after.
 */
static void test_name_longer_than_out(void **state)
{
	(void)state;
	for (unsigned n = HB_NAME_MAX; n <= 255; n++) {
		struct {
			char name[HB_NAME_MAX + 1];
			uint8_t canary[8];
		} out;
		uint8_t wire[1 + 255];
		bool valid = n > HB_NAME_MAX;
		wire[0] = (uint8_t)n;
		memset(wire + 1, 'a', n);
		memset(&out, 0x5a, sizeof out);
		struct rd r = rd_init(wire, 1 + n);
		assert_true(hb_name_read(&r, out.name, &valid));
		assert_int_equal(r.n, 0);
		assert_int_equal(valid, n <= HB_NAME_MAX);
		assert_int_equal(strlen(out.name), valid ? n : 0);
		for (size_t i = 0; i < sizeof out.canary; i++)
			if (out.canary[i] != 0x5a)
				fail_msg("a name of %u bytes: canary byte %zu is %#x, written past the name", n, i,
					 out.canary[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_round_trip_extremes),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_wrong_and_rotated_keys),
		cmocka_unit_test(test_every_truncation_and_extension),
		cmocka_unit_test(test_every_bit_flip),
		cmocka_unit_test(test_authenticated_malformed),
		cmocka_unit_test(test_name_longer_than_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
