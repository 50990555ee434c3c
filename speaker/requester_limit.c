/* Reply rate limits per requester: see requester_limit.h. */
#include "requester_limit.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "siphash.h"

struct entry {
	uint64_t hash;         /* 0: free */
	uint32_t last_ms;      /* low 32 bits of the monotonic clock: compared by difference */
	uint32_t tokens_milli; /* thousandths of a token */
};

struct requester_limit {
	uint8_t key[16];
	uint32_t rate, burst;
	size_t nsets;  /* a power of two */
	struct entry *e;
};

struct requester_limit *requester_limit_new(size_t max_bytes, uint32_t rate, uint32_t burst)
{
	struct requester_limit *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	size_t set = REQUESTER_WAYS * sizeof(struct entry);
	t->nsets = 1;
	while (t->nsets * 2 * set <= max_bytes)
		t->nsets *= 2;
	t->e = calloc(t->nsets * REQUESTER_WAYS, sizeof *t->e);
	if (!t->e) {
		free(t);
		return NULL;
	}
	if (getrandom(t->key, sizeof t->key, GRND_NONBLOCK) != (ssize_t)sizeof t->key) {
		/* No entropy yet (early boot): the clock is a weaker key, better than none. */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		memcpy(t->key, &ts, sizeof ts < sizeof t->key ? sizeof ts : sizeof t->key);
	}
	t->rate = rate;
	t->burst = burst ? burst : 1;
	return t;
}

bool requester_limit_take(struct requester_limit *t, const void *key, size_t len, uint64_t now_ms)
{
	if (len > REQUESTER_KEY_MAX)
		len = REQUESTER_KEY_MAX;
	uint64_t h = siphash24(t->key, key, len) | 1;  /* never 0, the free mark */
	struct entry *set = &t->e[(h >> 32 & (t->nsets - 1)) * REQUESTER_WAYS], *hit = NULL, *old = set;
	uint32_t now = (uint32_t)now_ms;

	for (int i = 0; i < REQUESTER_WAYS && !hit; i++) {
		if (set[i].hash == h)
			hit = &set[i];
		else if (!set[i].hash || (old->hash && now - set[i].last_ms > now - old->last_ms))
			old = &set[i];
	}
	uint64_t cap = (uint64_t)t->burst * 1000;
	if (!hit) {
		hit = old;
		hit->hash = h;
		hit->tokens_milli = (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap);
	} else {
		uint64_t add = (uint64_t)(now - hit->last_ms) * t->rate;
		uint64_t tok = hit->tokens_milli + add;
		hit->tokens_milli = (uint32_t)(tok > cap ? cap : tok);
	}
	hit->last_ms = now;
	if (hit->tokens_milli < 1000)
		return false;
	hit->tokens_milli -= 1000;
	return true;
}

size_t requester_limit_entries(const struct requester_limit *t)
{
	return t->nsets * REQUESTER_WAYS;
}

void requester_limit_free(struct requester_limit *t)
{
	if (!t)
		return;
	free(t->e);
	free(t);
}
