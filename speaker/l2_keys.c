/* The memberlist keys and their rotation: see l2_keys.h. */
#include "l2_keys.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void key_erase(struct l2_key *k)
{
	if (k->p)
		OPENSSL_cleanse(k->p, k->len);
	free(k->p);
	*k = (struct l2_key){0};
}

static bool prev_live(const struct l2_keys *k, uint64_t now)
{
	return k->prev.p && now < k->prev_until;
}

static struct hb_key as_hb(const struct l2_key *k)
{
	return (struct hb_key){k->p, k->len};
}

enum l2_keys_change l2_keys_set(struct l2_keys *k, const uint8_t *p, size_t len, uint64_t now)
{
	if (k->cur.p && k->cur.len == len && CRYPTO_memcmp(k->cur.p, p, len) == 0)
		return L2_KEYS_SAME;
	enum l2_keys_change c = k->cur.p ? L2_KEYS_ROTATED : L2_KEYS_FIRST;
	key_erase(&k->prev);
	if (c == L2_KEYS_ROTATED) {
		k->prev = k->cur;
		k->prev_until = now + (k->grace_ms ? k->grace_ms : L2_KEYS_GRACE_MS);
	}
	k->cur = (struct l2_key){xmalloc(len), len, ++k->last_id};
	memcpy(k->cur.p, p, len);
	return c;
}

bool l2_keys_expire(struct l2_keys *k, uint64_t now)
{
	if (!k->prev.p || prev_live(k, now))
		return false;
	key_erase(&k->prev);
	return true;
}

void l2_keys_clear(struct l2_keys *k)
{
	key_erase(&k->cur);
	key_erase(&k->prev);
}

bool l2_keys_have(const struct l2_keys *k)
{
	return k->cur.p != NULL;
}

uint64_t l2_keys_current_id(const struct l2_keys *k)
{
	return k->cur.p ? k->cur.id : L2_KEYS_NONE;
}

uint64_t l2_keys_grace_left(const struct l2_keys *k, uint64_t now)
{
	return prev_live(k, now) ? k->prev_until - now : 0;
}

size_t l2_keys_accepting(const struct l2_keys *k, uint64_t now, struct hb_key out[L2_KEYS_MAX],
			 uint64_t ids[L2_KEYS_MAX])
{
	size_t n = 0;
	if (!k->cur.p)
		return 0;
	ids[n] = k->cur.id;
	out[n++] = as_hb(&k->cur);
	if (prev_live(k, now)) {
		ids[n] = k->prev.id;
		out[n++] = as_hb(&k->prev);
	}
	return n;
}

size_t l2_keys_sending(const struct l2_keys *k, uint64_t peer_key, uint64_t now, struct hb_key out[L2_KEYS_MAX])
{
	size_t n = 0;
	if (!k->cur.p)
		return 0;
	out[n++] = as_hb(&k->cur);
	if (prev_live(k, now) && peer_key != k->cur.id)
		out[n++] = as_hb(&k->prev);
	return n;
}
