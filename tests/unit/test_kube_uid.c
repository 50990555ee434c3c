/* Kubernetes uids packed into 16 bytes: the API server's form round-trips, anything else is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "kube_uid.h"

static void test_round_trip(void **state)
{
	(void)state;
	static const char *const uids[] = {
		"0b7f6a36-1c1e-4a55-9c8e-7c1f0e0d1a2b",
		"00000000-0000-0000-0000-000000000000",
		"ffffffff-ffff-ffff-ffff-ffffffffffff",
	};
	for (size_t i = 0; i < sizeof(uids) / sizeof(uids[0]); i++) {
		uint8_t b[KUBE_UID_BYTES];
		char back[KUBE_UID_TEXT];
		assert_true(kube_uid_pack(uids[i], b));
		kube_uid_unpack(b, back);
		assert_string_equal(back, uids[i]);
	}
	uint8_t b[KUBE_UID_BYTES];
	assert_true(kube_uid_pack("0b7f6a36-1c1e-4a55-9c8e-7c1f0e0d1a2b", b));
	assert_int_equal(b[0], 0x0b);
	assert_int_equal(b[15], 0x2b);
}

static void test_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"u1",
		"0B7F6A36-1C1E-4A55-9C8E-7C1F0E0D1A2B",   /* upper case: would not come back the same */
		"0b7f6a36-1c1e-4a55-9c8e-7c1f0e0d1a2",    /* short */
		"0b7f6a36-1c1e-4a55-9c8e-7c1f0e0d1a2bc",  /* long */
		"0b7f6a361c1e-4a55-9c8e-7c1f0e0d1a2b0",   /* a dash missing */
		"0b7f6a36-1c1e-4a55-9c8e-7c1f0e0d1a2g",   /* not hex */
		"0b7f6a36-1c1e-4a55-9c8e-7c1f0e0d1a-b",
		"-b7f6a36-1c1e-4a55-9c8e-7c1f0e0d1a2b",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t b[KUBE_UID_BYTES];
		memset(b, 0xaa, sizeof(b));
		assert_false(kube_uid_pack(bad[i], b));
		assert_int_equal(b[0], 0xaa);  /* untouched */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
