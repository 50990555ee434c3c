#ifndef VIPCAST_FAILPOINT_H
#define VIPCAST_FAILPOINT_H

#include <stdbool.h>

/*
 * Test builds (VIPCAST_FAILPOINTS, on with VIPCAST_SANITIZE) wait where a
 * failpoint is placed for the milliseconds (at most 60,000) the environment
 * variable NAME holds, and log it: a test can widen a race window to order
 * events deterministically; or fail one call (failpoint_nth). Other builds
 * compile failpoints away.
 */
#ifdef VIPCAST_FAILPOINTS
void failpoint_sleep(const char *name);
/* True at the n-th call for NAME, n the number the environment variable NAME holds (logged). */
bool failpoint_nth(const char *name);
#else
static inline void failpoint_sleep(const char *name)
{
	(void)name;
}
static inline bool failpoint_nth(const char *name)
{
	(void)name;
	return false;
}
#endif

#endif
