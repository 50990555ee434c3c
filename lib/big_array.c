#include "big_array.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "clock.h"
#include "xalloc.h"

#define MAP_GRAIN (64u << 10)
#define CACHE_SLOTS 16
#define CACHE_BYTES (64u << 20)
/*
 * A kept mapping unused this long goes: a patch reuses its arrays within
 * milliseconds, while those a fresh plan's swap leaves would be kept for
 * nothing (at 100k Services, 13 MB each time).
 */
#define CACHE_IDLE_MS 2000

/* Before each array: cap 0 for one from malloc, else the bytes of its mapping (this header included). */
struct big_hdr {
	size_t cap;
	size_t bytes;  /* asked for */
};

static struct {
	pthread_mutex_t lock;
	void *map[CACHE_SLOTS];  /* oldest first */
	size_t cap[CACHE_SLOTS];
	uint64_t since[CACHE_SLOTS];  /* mono_ms() it was put back */
	size_t n, bytes;
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

static size_t bytes_of(size_t n, size_t size)
{
	if (size && n > (SIZE_MAX - sizeof(struct big_hdr) - MAP_GRAIN) / size)
		xalloc_die("big_alloc: size overflow");
	return n * size;
}

static void cache_drop(size_t i)
{
	cache.bytes -= cache.cap[i];
	memmove(&cache.map[i], &cache.map[i + 1], (cache.n - i - 1) * sizeof(cache.map[0]));
	memmove(&cache.cap[i], &cache.cap[i + 1], (cache.n - i - 1) * sizeof(cache.cap[0]));
	memmove(&cache.since[i], &cache.since[i + 1], (cache.n - i - 1) * sizeof(cache.since[0]));
	cache.n--;
}

/* Under the lock: moves the mappings idle since before now - CACHE_IDLE_MS (the oldest first) to evict[]. */
static size_t cache_expire(uint64_t now, void **evict, size_t *evict_cap)
{
	size_t n = 0;
	while (cache.n && now - cache.since[0] > CACHE_IDLE_MS) {
		evict[n] = cache.map[0], evict_cap[n++] = cache.cap[0];
		cache_drop(0);
	}
	return n;
}

static void unmap_all(void **evict, const size_t *evict_cap, size_t n)
{
	for (size_t i = 0; i < n; i++)
		munmap(evict[i], evict_cap[i]);
}

/* The smallest kept mapping that holds need bytes without wasting more than half of it, or NULL. */
static void *cache_take(size_t need, size_t *cap)
{
	void *m = NULL, *evict[CACHE_SLOTS];
	size_t evict_cap[CACHE_SLOTS];
	pthread_mutex_lock(&cache.lock);
	size_t nevict = cache_expire(mono_ms(), evict, evict_cap);
	size_t best = cache.n;
	for (size_t i = 0; i < cache.n; i++)
		if (cache.cap[i] >= need && cache.cap[i] - need <= need / 2 &&
		    (best == cache.n || cache.cap[i] < cache.cap[best]))
			best = i;
	if (best < cache.n) {
		m = cache.map[best];
		*cap = cache.cap[best];
		cache_drop(best);
	}
	pthread_mutex_unlock(&cache.lock);
	unmap_all(evict, evict_cap, nevict);
	return m;
}

static void cache_put(void *m, size_t cap)
{
	void *evict[CACHE_SLOTS + 1];
	size_t evict_cap[CACHE_SLOTS + 1], nevict = 0;
	uint64_t now = mono_ms();

	pthread_mutex_lock(&cache.lock);
	nevict = cache_expire(now, evict, evict_cap);
	if (cap > CACHE_BYTES) {
		evict[nevict] = m, evict_cap[nevict++] = cap;
	} else {
		while (cache.n && (cache.n == CACHE_SLOTS || cache.bytes + cap > CACHE_BYTES)) {
			evict[nevict] = cache.map[0], evict_cap[nevict++] = cache.cap[0];
			cache_drop(0);
		}
		cache.map[cache.n] = m;
		cache.cap[cache.n] = cap;
		cache.since[cache.n++] = now;
		cache.bytes += cap;
	}
	pthread_mutex_unlock(&cache.lock);
	unmap_all(evict, evict_cap, nevict);
}

void big_array_trim(void)
{
	void *evict[CACHE_SLOTS];
	size_t evict_cap[CACHE_SLOTS];

	pthread_mutex_lock(&cache.lock);
	size_t n = cache_expire(mono_ms(), evict, evict_cap);
	pthread_mutex_unlock(&cache.lock);
	unmap_all(evict, evict_cap, n);
}

void *big_alloc(size_t n, size_t size, bool zero)
{
	size_t bytes = bytes_of(n, size);
	struct big_hdr *h;

	if (bytes + sizeof(*h) < BIG_ARRAY_MIN) {
		h = zero ? xcalloc(1, sizeof(*h) + bytes) : xmalloc(sizeof(*h) + bytes);
		h->cap = 0;
	} else {
		size_t need = (bytes + sizeof(*h) + MAP_GRAIN - 1) / MAP_GRAIN * MAP_GRAIN, cap = need;
		h = cache_take(need, &cap);
		if (h && zero)
			memset(h + 1, 0, bytes);
		if (!h) {
			h = mmap(NULL, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);  /* zeroed */
			if (h == MAP_FAILED)
				xalloc_die("mmap");
		}
		h->cap = cap;
	}
	h->bytes = bytes;
	return h + 1;
}

void *big_realloc(void *p, size_t n, size_t size)
{
	if (!p)
		return big_alloc(n, size, false);
	struct big_hdr *h = (struct big_hdr *)p - 1;
	size_t bytes = bytes_of(n, size);

	if (!h->cap && bytes + sizeof(*h) < BIG_ARRAY_MIN) {
		h = xrealloc(h, 1, sizeof(*h) + bytes);
		h->bytes = bytes;
		return h + 1;
	}
	if (h->cap && bytes + sizeof(*h) <= h->cap) {
		h->bytes = bytes;
		return p;
	}
	void *q = big_alloc(n, size, false);
	memcpy(q, p, h->bytes < bytes ? h->bytes : bytes);
	big_free(p);
	return q;
}

void big_free(void *p)
{
	if (!p)
		return;
	struct big_hdr *h = (struct big_hdr *)p - 1;
	if (!h->cap)
		free(h);
	else
		cache_put(h, h->cap);
}

size_t big_array_cached(size_t *bytes)
{
	pthread_mutex_lock(&cache.lock);
	size_t n = cache.n;
	if (bytes)
		*bytes = cache.bytes;
	pthread_mutex_unlock(&cache.lock);
	return n;
}
