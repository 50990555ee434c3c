/*
 * A token bucket: at most `burst` events at once, refilled at `rate` per
 * second. The L2 responder limits its replies per VIP with it, so a flood of
 * requests cannot turn the node into an amplifier.
 */
#ifndef VIPCAST_SPEAKER_RATE_LIMIT_H
#define VIPCAST_SPEAKER_RATE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct rate_limit {
	uint32_t rate, burst;   /* tokens per second, bucket size */
	uint64_t tokens_milli;  /* thousandths of a token */
	uint64_t last_ms;
};

void rate_limit_init(struct rate_limit *r, uint32_t rate, uint32_t burst, uint64_t now_ms);
/* Takes one token if there is one. */
bool rate_limit_take(struct rate_limit *r, uint64_t now_ms);

#endif
