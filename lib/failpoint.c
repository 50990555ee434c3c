#include "failpoint.h"

#ifdef VIPCAST_FAILPOINTS
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include <pthread.h>
#include <string.h>

#include "log.h"

#define NTH_NAMES 8

void failpoint_sleep(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return;
	char *end;
	errno = 0;
	unsigned long ms = strtoul(v, &end, 10);
	if (errno || *end || ms > 60000) {
		log_warn("failpoint", "%s=%s: not a number of milliseconds up to 60000, ignored", name, v);
		return;
	}
	log_info("failpoint", "%s: waiting %lu ms", name, ms);
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
bool failpoint_nth(const char *name)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static const char *names[NTH_NAMES];
	static unsigned long calls[NTH_NAMES];
	const char *v = getenv(name);
	if (!v || !*v)
		return false;
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (errno || *end || !n)
		return false;
	pthread_mutex_lock(&lock);
	size_t i = 0;
	while (i < NTH_NAMES && names[i] && strcmp(names[i], name) != 0)
		i++;
	bool hit = false;
	if (i < NTH_NAMES) {
		names[i] = name;
		hit = ++calls[i] == n;
	}
	pthread_mutex_unlock(&lock);
	if (hit)
		log_info("failpoint", "%s: call %lu fails", name, n);
	return hit;
}
#endif
