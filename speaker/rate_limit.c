#include "rate_limit.h"

void rate_limit_init(struct rate_limit *r, uint32_t rate, uint32_t burst, uint64_t now_ms)
{
	r->rate = rate;
	r->burst = burst;
	r->tokens_milli = (uint64_t)burst * 1000;
	r->last_ms = now_ms;
}

bool rate_limit_take(struct rate_limit *r, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)r->burst * 1000;
	if (now_ms > r->last_ms) {
		uint64_t add = (now_ms - r->last_ms) * r->rate;  /* ms x tokens/s = milli-tokens */
		r->tokens_milli = add >= cap - r->tokens_milli ? cap : r->tokens_milli + add;
		r->last_ms = now_ms;
	}
	if (r->tokens_milli < 1000)
		return false;
	r->tokens_milli -= 1000;
	return true;
}
