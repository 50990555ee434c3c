#include "generation.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "load.h"
#include "services.h"

static void plan_config(struct generation *g, const char *node, const char *lb_class, bool allocate)
{
	g->nsvcs = service_addresses(g->cfg, lb_class, allocate, &g->svcs, &g->allocated);
	g->plan = plan_build(g->cfg, node, g->svcs, g->nsvcs);
}

bool generation_build(struct generation *g, const char *path, const char *node, const char *lb_class,
		      struct diags *d)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	size_t ignored = 0;
	memset(g, 0, sizeof(*g));
	g->cfg = config_read(path, d, &ignored);
	if (g->cfg)
		plan_config(g, node, lb_class, true);
	g->seconds = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	return g->cfg != NULL;
}

bool generation_plan(struct generation *g, struct config *cfg, const char *node, const char *lb_class, bool allocate,
		     struct diags *d)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	memset(g, 0, sizeof(*g));
	if (!config_validate(cfg, d)) {
		config_free(cfg);
		g->seconds = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
		return false;
	}
	g->cfg = cfg;
	plan_config(g, node, lb_class, allocate);
	g->seconds = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	return true;
}

void generation_free(struct generation *g)
{
	plan_free(g->plan);
	free(g->svcs);
	if (g->cfg)
		config_free(g->cfg);
	if (g->source && g->source_free)
		g->source_free(g->source);
	memset(g, 0, sizeof(*g));
}
