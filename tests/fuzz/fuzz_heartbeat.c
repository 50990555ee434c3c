/*
 * libFuzzer target for the L2 heartbeat decoder. A forged MAC is never
 * accepted, so random bytes alone would only ever test the framing and the
 * MAC check; the first input byte therefore picks one of two modes:
 *   even: the rest goes to hb_decode as received from the network;
 *   odd:  the rest is a message body that this harness MACs with the key
 *         (what only a key holder could send), so every field check runs.
 * A message that decodes is encoded again and must give the same bytes.
 * The bytes from the sender name's offset on also go to the name reader alone,
 * as a run of names, into a heap buffer of exactly a name's size: a byte
 * written past it is an ASan report here, where inside struct hb_msg it was not.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heartbeat.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[] = "fuzzing key, 32 bytes long......";

static void read_names(const uint8_t *p, size_t n)
{
	char *name = malloc(HB_NAME_MAX + 1);
	struct rd r = rd_init(p, n);
	bool valid;

	if (!name)
		return;
	while (hb_name_read(&r, name, &valid))
		if (strlen(name) > HB_NAME_MAX || (!valid && name[0]))
			abort();
	free(name);
}

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
	if (n > HB_FIXED_LEN)
		read_names(msg + HB_FIXED_LEN, n - HB_FIXED_LEN);
	if (hb_decode(msg, n, &k, 1, &m, NULL) != HB_OK)
		return 0;
	uint8_t again[HB_MAX_LEN];
	size_t n2 = hb_encode(&m, k, again, sizeof again);
	if (n2 != n || memcmp(again, msg, n) != 0)
		abort();
	return 0;
}
