/* Time as the daemons count it: monotonic for timers and ages, the wall clock for what is shown. */
#ifndef VIPCAST_LIB_CLOCK_H
#define VIPCAST_LIB_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t mono_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

static inline uint64_t wall_ms(void)
{
	return clock_ns(CLOCK_REALTIME) / 1000000;
}

static inline uint64_t wall_us(void)
{
	return clock_ns(CLOCK_REALTIME) / 1000;
}

/* Seconds since the epoch, with the fraction. */
static inline double wall_s(void)
{
	return (double)clock_ns(CLOCK_REALTIME) / 1e9;
}

#endif
