/*
 * Arrays that are replaced whole, again and again: a patched plan's route
 * and Service arrays, a generation's addresses, a BGP session's route set.
 * At 100k Services a patch copies about 13 MB of them and frees the copies
 * before. From the malloc heap, each new copy lands past the small
 * allocations made since the last one, and the heap only grows; in fresh
 * mappings each copy costs a page fault per 4 KiB. So the large ones live
 * in mappings of their own that are kept for reuse: a copy goes into the
 * memory the one before it left; one unused for 2 s goes back to the system
 * (a fresh plan's swap leaves a whole plan's arrays). Small ones (under
 * BIG_ARRAY_MIN bytes) come from malloc as usual.
 *
 * Everything from big_alloc() and big_realloc() is freed by big_free(),
 * never free(). Safe from any thread.
 */
#ifndef VIPCAST_LIB_BIG_ARRAY_H
#define VIPCAST_LIB_BIG_ARRAY_H

#include <stdbool.h>
#include <stddef.h>

#define BIG_ARRAY_MIN (256u << 10)

/* n elements of size bytes; zeroed when zero. Aborts on overflow or out of memory. */
void *big_alloc(size_t n, size_t size, bool zero);
/* Grows or shrinks p (NULL: none yet) to n elements, keeping its contents; the new part is not zeroed. */
void *big_realloc(void *p, size_t n, size_t size);
void big_free(void *p);

/* Gives back the kept mappings unused for 2 s (also done by each big_alloc() and big_free()); call it now and then. */
void big_array_trim(void);

/* Mappings kept for reuse, and their bytes (for tests). */
size_t big_array_cached(size_t *bytes);

#endif
