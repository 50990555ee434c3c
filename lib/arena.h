/*
 * A region allocator: many small allocations, one free.
 *
 * Each configuration object and each parsed document owns one arena, so
 * replacing an object (a file reload, an API watch event) frees everything it
 * held in one call and no decoder needs a matching free function.
 */
#ifndef VIPCAST_LIB_ARENA_H
#define VIPCAST_LIB_ARENA_H

#include <stdbool.h>
#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t used;  /* bytes handed out, for accounting */
};

#define ARENA_INIT {0}

/* Zeroed memory, aligned for any type. Aborts on out-of-memory, like every allocation here. */
void *arena_alloc(struct arena *a, size_t size);
/* n elements of size bytes each; aborts on overflow. */
void *arena_calloc(struct arena *a, size_t n, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_free(struct arena *a);
/*
 * Sizing an arena exactly: an empty arena given arena_reserve(a, n) takes its
 * first chunk of n bytes; arena_extent() is the bytes a one-chunk arena has
 * used (0 if it has none, or several). The same allocations, in the same
 * order, into an arena reserved to a former extent fill one chunk exactly.
 */
void arena_reserve(struct arena *a, size_t size);
size_t arena_extent(const struct arena *a);
/*
 * An empty arena's first chunk sized for a block of first bytes (returned,
 * zeroed) followed by allocations of a former extent rest: e.g. a struct
 * holding the arena, and what it points to, in one allocation.
 */
void *arena_reserve_with(struct arena *a, size_t first, size_t rest);
/* The memory a's chunks take, headers included: what it costs, beside the used bytes it hands out. */
size_t arena_bytes(const struct arena *a);
/* p points into one of a's chunks (e.g. the struct holding a, allocated from it). */
bool arena_holds(const struct arena *a, const void *p);

#endif
