/*
 * libFuzzer target for the L2 heartbeat decoder. A forged MAC is never
 * accepted, so random bytes alone would only ever test the framing and the
 * MAC check; the first input byte therefore picks one of two modes:
 *   even: the rest goes to hb_decode as received from the network;
 *   odd:  the rest is a message body that this harness MACs with the key
 *         (what only a key holder could send), so every field check runs.
 * A message that decodes is encoded again and must give the same bytes.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heartbeat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[] = "fuzzing key, 32 bytes long......";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[HB_MAX_LEN + HB_MAC_LEN + 1];
	struct hb_key k = {key, sizeof key - 1};
	struct hb_msg m;
	const uint8_t *msg = data + 1;
	size_t n = size ? size - 1 : 0;

	if (!size)
		return 0;
	if (data[0] & 1) {
		unsigned len = 0;
		if (n > HB_MAX_LEN)
			return 0;
		memcpy(buf, msg, n);
		HMAC(EVP_sha256(), key, (int)k.len, buf, n, buf + n, &len);
		msg = buf;
		n += len;
	}
	if (hb_decode(msg, n, &k, 1, &m, NULL) != HB_OK)
		return 0;
	uint8_t again[HB_MAX_LEN];
	size_t n2 = hb_encode(&m, k, again, sizeof again);
	if (n2 != n || memcmp(again, msg, n) != 0)
		abort();
	return 0;
}
