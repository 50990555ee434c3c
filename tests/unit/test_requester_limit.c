/* Unit tests for SipHash-2-4 (lib/siphash.c) and the per-requester reply limits (speaker/requester_limit.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "requester_limit.h"
#include "siphash.h"

/* The reference vectors of the SipHash paper's code: key 00..0f, message 00..(len-1). */
static void siphash_vectors(void **state)
{
	(void)state;
	uint8_t key[16], msg[64];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	assert_true(siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ull);
	assert_true(siphash24(key, msg, 1) == 0x74f839c593dc67fdull);
	assert_true(siphash24(key, msg, 8) == 0x93f5f5799a932462ull);
	assert_true(siphash24(key, msg, 15) == 0xa129ca6149be45e5ull);
	assert_true(siphash24(key, msg, 63) == 0x958a324ceb064572ull);
}

static void key_of(uint8_t k[10], uint32_t n)
{
	memset(k, 0, 10);
	memcpy(k + 6, &n, 4);
}

/* One requester gets its burst, then its rate; another is not affected. */
static void flooder_limited_others_answered(void **state)
{
	(void)state;
	struct requester_limit *t = requester_limit_new(64 * 1024, 20, 10);
	assert_non_null(t);
	uint8_t noisy[10], quiet[10];
	key_of(noisy, 1);
	key_of(quiet, 2);
	uint64_t now = 1000;
	unsigned granted = 0;
	for (int i = 0; i < 1000; i++)  /* 1000 requests in 1 s */
		granted += requester_limit_take(t, noisy, sizeof noisy, now + (uint64_t)i);
	assert_in_range(granted, 10 + 19, 10 + 21);
	assert_true(requester_limit_take(t, quiet, sizeof quiet, now + 1000));
	requester_limit_free(t);
}

/* Memory stays within the cap; a flood of ever-new requesters never starves a steady one nor the flood's own new keys. */
static void bounded_and_new_keys_fresh(void **state)
{
	(void)state;
	struct requester_limit *t = requester_limit_new(4096, 5, 5);
	assert_non_null(t);
	assert_true(requester_limit_entries(t) * 16 <= 4096);
	uint8_t k[10], client[10];
	key_of(client, 0xffffffffu);
	unsigned refused = 0, client_ok = 0;
	for (uint32_t i = 0; i < 100000; i++) {
		key_of(k, i);
		refused += !requester_limit_take(t, k, sizeof k, 5000 + i / 100);
		if (i % 1000 == 0)  /* one a second */
			client_ok += requester_limit_take(t, client, sizeof client, 5000 + i / 100);
	}
	assert_int_equal(refused, 0);
	assert_int_equal(client_ok, 100);
	requester_limit_free(t);
}

/* A bucket refills with time, never beyond its burst. */
static void refill_capped(void **state)
{
	(void)state;
	struct requester_limit *t = requester_limit_new(1024, 10, 3);
	uint8_t k[10];
	key_of(k, 7);
	for (int i = 0; i < 3; i++)
		assert_true(requester_limit_take(t, k, sizeof k, 100));
	assert_false(requester_limit_take(t, k, sizeof k, 100));
	assert_true(requester_limit_take(t, k, sizeof k, 200));  /* 100 ms: one token */
	unsigned n = 0;
	for (int i = 0; i < 10; i++)
		n += requester_limit_take(t, k, sizeof k, 100000);
	assert_int_equal(n, 3);
	requester_limit_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(siphash_vectors),
		cmocka_unit_test(flooder_limited_others_answered),
		cmocka_unit_test(bounded_and_new_keys_fresh),
		cmocka_unit_test(refill_capped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
