#include "failpoint.h"

#ifdef VIPCAST_FAILPOINTS
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"

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
#endif
