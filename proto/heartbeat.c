/* The L2 heartbeat: layout and rules in heartbeat.h. */
#include "heartbeat.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "wire.h"

static const uint8_t hb_magic[4] = {'V', 'C', 'H', 'B'};

const char *hb_error_name(enum hb_error e)
{
	switch (e) {
	case HB_OK:
		return "ok";
	case HB_E_LENGTH:
		return "bad length";
	case HB_E_MAGIC:
		return "not a heartbeat";
	case HB_E_VERSION:
		return "unknown version";
	case HB_E_MAC:
		return "authentication failed";
	case HB_E_FRAMING:
		return "bad framing";
	case HB_E_FIELD:
		return "field out of range";
	}
	return "?";
}

const char *hb_view_name(enum hb_view v)
{
	switch (v) {
	case HB_VIEW_DOWN:
		return "down";
	case HB_VIEW_RISING:
		return "rising";
	case HB_VIEW_UP:
		return "up";
	}
	return "?";
}

static bool name_ok(const char *s, size_t n)
{
	if (n < 1 || n > HB_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

static bool fields_ok(enum hb_state state, uint8_t flags, uint8_t mult, uint16_t interval, enum hb_view view)
{
	return (state == HB_ALIVE || state == HB_LEAVING) && !(flags & ~HB_FLAG_READY) && mult >= 1 &&
	       mult <= HB_MAX_DETECT_MULT && interval >= HB_MIN_INTERVAL_MS && interval <= HB_MAX_INTERVAL_MS &&
	       (view == HB_VIEW_DOWN || view == HB_VIEW_RISING || view == HB_VIEW_UP);
}

static bool mac(struct hb_key key, const uint8_t *p, size_t n, uint8_t out[HB_MAC_LEN])
{
	unsigned len = 0;
	if (!key.len || key.len > INT_MAX)
		return false;
	return HMAC(EVP_sha256(), key.p, (int)key.len, p, n, out, &len) && len == HB_MAC_LEN;
}

static void wr_name(struct wr *w, const char *s)
{
	size_t n = strlen(s);
	wr_u8(w, (uint8_t)n);
	wr_bytes(w, s, n);
}

size_t hb_encode(const struct hb_msg *m, struct hb_key key, uint8_t *buf, size_t cap)
{
	size_t nfrom = strnlen(m->from, sizeof m->from), nto = strnlen(m->to, sizeof m->to);
	if (!fields_ok(m->state, m->flags, m->detect_mult, m->interval_ms, m->to_view) || !name_ok(m->from, nfrom) ||
	    !name_ok(m->to, nto))
		return 0;
	struct wr w = wr_init(buf, cap);
	wr_bytes(&w, hb_magic, sizeof hb_magic);
	wr_u8(&w, HB_VERSION);
	wr_u8(&w, (uint8_t)m->state);
	wr_u8(&w, m->flags);
	wr_u8(&w, m->detect_mult);
	wr_u16(&w, m->interval_ms);
	wr_u16(&w, m->nup);
	wr_u32(&w, (uint32_t)(m->boot >> 32));
	wr_u32(&w, (uint32_t)m->boot);
	wr_u32(&w, (uint32_t)(m->seq >> 32));
	wr_u32(&w, (uint32_t)m->seq);
	wr_u32(&w, (uint32_t)(m->time_ms >> 32));
	wr_u32(&w, (uint32_t)m->time_ms);
	wr_name(&w, m->from);
	wr_name(&w, m->to);
	wr_u8(&w, (uint8_t)m->to_view);
	wr_u32(&w, (uint32_t)(m->to_boot >> 32));
	wr_u32(&w, (uint32_t)m->to_boot);
	uint8_t tag[HB_MAC_LEN];
	if (w.full || !mac(key, buf, w.len, tag))
		return 0;
	wr_bytes(&w, tag, sizeof tag);
	return w.full ? 0 : w.len;
}

static bool rd_u64(struct rd *r, uint64_t *v)
{
	uint32_t hi, lo;
	if (!rd_u32(r, &hi) || !rd_u32(r, &lo))
		return false;
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

bool hb_name_read(struct rd *r, char out[HB_NAME_MAX + 1], bool *valid)
{
	uint8_t n;
	struct rd sub;
	out[0] = '\0';
	*valid = false;
	if (!rd_u8(r, &n) || !rd_sub(r, n, &sub))
		return false;
	/* Checked where it lies, before any byte is copied: the length byte may say 255. */
	if (!name_ok((const char *)sub.p, n))
		return true;
	*valid = rd_bytes(&sub, out, n);
	out[*valid ? n : 0] = '\0';
	return true;
}

enum hb_error hb_decode(const uint8_t *buf, size_t n, const struct hb_key *keys, size_t nkeys,
			struct hb_msg *out, size_t *which)
{
	if (n < HB_MIN_LEN || n > HB_MAX_LEN)
		return HB_E_LENGTH;
	struct rd r = rd_init(buf, n);
	uint8_t magic[4], version;
	if (!rd_bytes(&r, magic, sizeof magic) || memcmp(magic, hb_magic, sizeof magic) != 0)
		return HB_E_MAGIC;
	if (!rd_u8(&r, &version) || version != HB_VERSION)
		return HB_E_VERSION;

	size_t body = n - HB_MAC_LEN, k;
	uint8_t tag[HB_MAC_LEN];
	for (k = 0; k < nkeys; k++)
		if (mac(keys[k], buf, body, tag) && CRYPTO_memcmp(tag, buf + body, HB_MAC_LEN) == 0)
			break;
	if (k == nkeys)
		return HB_E_MAC;
	if (which)
		*which = k;

	/* Authenticated: now read the fields, within the bytes before the MAC. */
	struct rd b = rd_init(buf + sizeof magic + 1, body - sizeof magic - 1);
	uint8_t state = 0, flags = 0, view = 0;  /* set before use; gcc -O2 cannot see b.bad guards them */
	struct hb_msg m = {0};
	bool from_ok = false, to_ok = false;
	rd_u8(&b, &state);
	rd_u8(&b, &flags);
	rd_u8(&b, &m.detect_mult);
	rd_u16(&b, &m.interval_ms);
	rd_u16(&b, &m.nup);
	rd_u64(&b, &m.boot);
	rd_u64(&b, &m.seq);
	rd_u64(&b, &m.time_ms);
	hb_name_read(&b, m.from, &from_ok);
	hb_name_read(&b, m.to, &to_ok);
	rd_u8(&b, &view);
	rd_u64(&b, &m.to_boot);
	if (b.bad || b.n != 0)
		return HB_E_FRAMING;
	m.state = (enum hb_state)state;
	m.flags = flags;
	m.to_view = (enum hb_view)view;
	if (!from_ok || !to_ok || !fields_ok(m.state, m.flags, m.detect_mult, m.interval_ms, m.to_view))
		return HB_E_FIELD;
	*out = m;
	return HB_OK;
}
