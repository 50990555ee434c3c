#include "generation.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "load.h"
#include "services.h"

bool generation_build(struct generation *g, const char *path, const char *node, const char *lb_class,
		      struct diags *d)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	size_t ignored = 0;
	memset(g, 0, sizeof(*g));
	g->cfg = config_read(path, d, &ignored);
	if (!g->cfg)
		return false;
	struct svc_addrs *svcs;
	size_t nsvcs = service_addresses(g->cfg, lb_class, &svcs, &g->allocated);
	g->plan = plan_build(g->cfg, node, svcs, nsvcs);
	free(svcs);
	g->seconds = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	return true;
}

void generation_free(struct generation *g)
{
	plan_free(g->plan);
	if (g->cfg)
		config_free(g->cfg);
	memset(g, 0, sizeof(*g));
}
