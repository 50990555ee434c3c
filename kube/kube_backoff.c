#include "kube_backoff.h"

void kube_backoff_init(struct kube_backoff *b, uint32_t initial_ms, uint32_t max_ms)
{
	b->initial_ms = initial_ms ? initial_ms : 1;
	b->max_ms = max_ms < b->initial_ms ? b->initial_ms : max_ms;
	kube_backoff_reset(b);
}

void kube_backoff_reset(struct kube_backoff *b)
{
	b->next_ms = b->initial_ms;
	b->failures = 0;
}

uint32_t kube_backoff_next(struct kube_backoff *b, long retry_after_s, uint32_t rnd)
{
	uint32_t d = b->next_ms, half = d / 2;
	uint32_t delay = half + (uint32_t)(rnd % ((uint64_t)(d - half) + 1));

	b->failures++;
	b->next_ms = d > b->max_ms / 2 ? b->max_ms : d * 2;
	if (retry_after_s > 0) {
		if (retry_after_s > KUBE_RETRY_AFTER_MAX_S)
			retry_after_s = KUBE_RETRY_AFTER_MAX_S;
		if ((uint32_t)retry_after_s * 1000u > delay)
			delay = (uint32_t)retry_after_s * 1000u;
	}
	return delay;
}
