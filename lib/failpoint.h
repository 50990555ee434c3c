#ifndef VIPCAST_FAILPOINT_H
#define VIPCAST_FAILPOINT_H

/*
 * Test builds (VIPCAST_FAILPOINTS, on with VIPCAST_SANITIZE) wait where a
 * failpoint is placed for the milliseconds (at most 60,000) the environment
 * variable NAME holds, and log it: a test can widen a race window to order
 * events deterministically. Other builds compile failpoints away.
 */
#ifdef VIPCAST_FAILPOINTS
void failpoint_sleep(const char *name);
#else
static inline void failpoint_sleep(const char *name)
{
	(void)name;
}
#endif

#endif
