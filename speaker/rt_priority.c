/* Real-time scheduling for the speaker's event loop: see rt_priority.h. */
#include "rt_priority.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>

int rt_priority_enter(int prio)
{
	if (prio < 1 || prio > RT_PRIORITY_MAX) {
		errno = EINVAL;
		return -1;
	}
	struct sched_param sp = {.sched_priority = prio};
	int e = pthread_setschedparam(pthread_self(), SCHED_RR, &sp);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

int rt_priority_leave(void)
{
	struct sched_param sp = {.sched_priority = 0};
	int policy;
	if (pthread_getschedparam(pthread_self(), &policy, &sp) == 0 && policy == SCHED_OTHER)
		return 0;
	sp.sched_priority = 0;
	int e = pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}
