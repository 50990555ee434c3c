#include "arena.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/*
 * Under AddressSanitizer every allocation gets a poisoned gap before it and
 * the chunk's unused tail stays poisoned, so an overflow of one small object
 * into its neighbour is reported as it would be with one malloc each.
 */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define ARENA_REDZONE 16
#else
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ARENA_REDZONE 0
#endif

/* Small first chunks: an object holds a few hundred bytes, and there may be 100k of them. */
#define ARENA_CHUNK_MIN 448
#define ARENA_CHUNK_MAX (64 * 1024)

/* 16 bytes before mem: 100k objects in one chunk each pay it 100k times. */
struct arena_chunk {
	struct arena_chunk *next;
	uint32_t size, off;
	alignas(max_align_t) unsigned char mem[];
};

static size_t round_up(size_t n)
{
	const size_t al = alignof(max_align_t);
	return (n + al - 1) / al * al;
}

static struct arena_chunk *chunk_new(struct arena *a, size_t cap)
{
	if (cap > UINT32_MAX)
		xalloc_die("arena chunk too large");
	struct arena_chunk *c = xmalloc(sizeof(*c) + cap);
	c->size = (uint32_t)cap;
	c->off = 0;
	c->next = a->head;
	a->head = c;
	ASAN_POISON_MEMORY_REGION(c->mem, cap);
	return c;
}

void arena_reserve(struct arena *a, size_t size)
{
	if (!a->head && size)
		chunk_new(a, size);
}

bool arena_holds(const struct arena *a, const void *p)
{
	for (const struct arena_chunk *c = a->head; c; c = c->next)
		if ((const unsigned char *)p >= c->mem && (const unsigned char *)p < c->mem + c->size)
			return true;
	return false;
}

size_t arena_bytes(const struct arena *a)
{
	size_t n = 0;
	for (const struct arena_chunk *c = a->head; c; c = c->next)
		n += sizeof(*c) + c->size;
	return n;
}

size_t arena_extent(const struct arena *a)
{
	return a->head && !a->head->next ? a->head->off : 0;
}

/* Strings need no alignment: packing them saves a third of a decoded object's memory. */
static void *alloc_aligned(struct arena *a, size_t size, size_t align)
{
	struct arena_chunk *c = a->head;

	size = size ? size : 1;
	if (size > UINT32_MAX / 2)
		xalloc_die("arena allocation too large");
	size_t start = c ? (c->off + round_up(ARENA_REDZONE) + align - 1) / align * align : 0;
	if (!c || start + size > c->size) {
		size_t need = round_up(size + ARENA_REDZONE);
		size_t cap = ARENA_CHUNK_MIN;
		if (c)
			cap = c->size < ARENA_CHUNK_MAX ? c->size * 2 : ARENA_CHUNK_MAX;
		if (cap < need)
			cap = need;
		c = chunk_new(a, cap);
		start = round_up(ARENA_REDZONE);
	}
	void *p = c->mem + start;
	c->off = (uint32_t)(start + size);
	a->used += size;
	ASAN_UNPOISON_MEMORY_REGION(p, size);
	memset(p, 0, size);
	return p;
}

void *arena_reserve_with(struct arena *a, size_t first, size_t rest)
{
	/* every later allocation lands this much further on than in an arena without the block */
	size_t lead = round_up(first) + round_up(ARENA_REDZONE);
	arena_reserve(a, lead + rest);
	return alloc_aligned(a, round_up(first), alignof(max_align_t));
}

void *arena_alloc(struct arena *a, size_t size)
{
	return alloc_aligned(a, size, alignof(max_align_t));
}

void *arena_calloc(struct arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		xalloc_die("arena_calloc overflow");
	return arena_alloc(a, n * size);
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p = alloc_aligned(a, len + 1, 1);
	memcpy(p, s, len);
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		xalloc_die("arena_printf format");
	char *p = alloc_aligned(a, (size_t)n + 1, 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head;

	while (c) {
		struct arena_chunk *next = c->next;
		ASAN_UNPOISON_MEMORY_REGION(c->mem, c->size);
		free(c);
		c = next;
	}
	a->head = NULL;
	a->used = 0;
}
