/*
 * When to try again after a failed request: exponential backoff with jitter,
 * never sooner than the server's Retry-After. Pure arithmetic: the caller
 * passes the random number, so tests can pin it.
 *
 * The delay after the n-th failure in a row is d = min(initial * 2^(n-1), max),
 * jittered to a uniform value in [d/2, d] so that clients that failed together
 * (an API server restart drops every watch at once) do not return together.
 * A Retry-After (429, 503) raises it to that many seconds, capped at
 * KUBE_RETRY_AFTER_MAX_S so a wrong header cannot park a client for days.
 */
#ifndef VIPCAST_KUBE_BACKOFF_H
#define VIPCAST_KUBE_BACKOFF_H

#include <stdint.h>

#define KUBE_RETRY_AFTER_MAX_S 300

struct kube_backoff {
	uint32_t initial_ms, max_ms;
	uint32_t next_ms;  /* d for the next failure */
	unsigned failures; /* in a row */
};

void kube_backoff_init(struct kube_backoff *b, uint32_t initial_ms, uint32_t max_ms);
/* A success: the next failure waits initial_ms again. */
void kube_backoff_reset(struct kube_backoff *b);
/* A failure: the delay in ms before the next attempt. retry_after_s: 0 for none. rnd: uniform random. */
uint32_t kube_backoff_next(struct kube_backoff *b, long retry_after_s, uint32_t rnd);

#endif
