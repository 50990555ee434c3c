/*
 * Bounds-checked reading and writing of network byte order.
 *
 * A reader never moves past its end: a short read fails, leaves the value
 * untouched and marks the reader bad, so a decoder can chain reads and test
 * once. A writer never writes past its capacity: an overflowing write is
 * dropped and marks the writer full, so an encoder can check once at the end.
 * A writer without a buffer (wr_measure) only counts: the same encoder code
 * then says how long its output would be.
 */
#ifndef VIPCAST_PROTO_WIRE_H
#define VIPCAST_PROTO_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
	const uint8_t *p;
	size_t n;   /* bytes left */
	bool bad;   /* a read failed */
};

static inline struct rd rd_init(const void *p, size_t n)
{
	return (struct rd){.p = p, .n = n, .bad = false};
}

static inline bool rd_need(struct rd *r, size_t k)
{
	if (r->bad || r->n < k) {
		r->bad = true;
		return false;
	}
	return true;
}

static inline bool rd_u8(struct rd *r, uint8_t *v)
{
	if (!rd_need(r, 1))
		return false;
	*v = r->p[0];
	r->p++, r->n--;
	return true;
}

static inline bool rd_u16(struct rd *r, uint16_t *v)
{
	if (!rd_need(r, 2))
		return false;
	*v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2, r->n -= 2;
	return true;
}

static inline bool rd_u32(struct rd *r, uint32_t *v)
{
	if (!rd_need(r, 4))
		return false;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4, r->n -= 4;
	return true;
}

static inline bool rd_bytes(struct rd *r, void *dst, size_t k)
{
	if (!rd_need(r, k))
		return false;
	memcpy(dst, r->p, k);
	r->p += k, r->n -= k;
	return true;
}

/* Splits the next k bytes off as a reader of their own. */
static inline bool rd_sub(struct rd *r, size_t k, struct rd *sub)
{
	if (!rd_need(r, k))
		return false;
	*sub = rd_init(r->p, k);
	r->p += k, r->n -= k;
	return true;
}

static inline bool rd_skip(struct rd *r, size_t k)
{
	if (!rd_need(r, k))
		return false;
	r->p += k, r->n -= k;
	return true;
}

struct wr {
	uint8_t *p;
	size_t cap, len;
	bool full;  /* a write did not fit */
};

static inline struct wr wr_init(void *p, size_t cap)
{
	return (struct wr){.p = p, .cap = cap, .len = 0, .full = false};
}

/* Counts the bytes an encoder would write, without writing them. */
static inline struct wr wr_measure(void)
{
	return (struct wr){.p = NULL, .cap = SIZE_MAX, .len = 0, .full = false};
}

static inline bool wr_room(struct wr *w, size_t k)
{
	if (w->full || w->cap - w->len < k) {
		w->full = true;
		return false;
	}
	return true;
}

static inline void wr_u8(struct wr *w, uint8_t v)
{
	if (!wr_room(w, 1))
		return;
	if (w->p)
		w->p[w->len] = v;
	w->len++;
}

static inline void wr_u16(struct wr *w, uint16_t v)
{
	if (!wr_room(w, 2))
		return;
	if (w->p) {
		w->p[w->len] = (uint8_t)(v >> 8);
		w->p[w->len + 1] = (uint8_t)v;
	}
	w->len += 2;
}

static inline void wr_u32(struct wr *w, uint32_t v)
{
	if (!wr_room(w, 4))
		return;
	if (w->p)
		for (int s = 24, i = 0; s >= 0; s -= 8, i++)
			w->p[w->len + (size_t)i] = (uint8_t)(v >> s);
	w->len += 4;
}

static inline void wr_bytes(struct wr *w, const void *src, size_t k)
{
	if (!wr_room(w, k))
		return;
	if (w->p)
		memcpy(w->p + w->len, src, k);
	w->len += k;
}

/* Overwrites a 16-bit field written earlier (a length known only at the end). */
static inline void wr_put_u16_at(struct wr *w, size_t at, uint16_t v)
{
	if (w->p && at + 2 <= w->len) {
		w->p[at] = (uint8_t)(v >> 8);
		w->p[at + 1] = (uint8_t)v;
	}
}

#endif
