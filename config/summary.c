#include "summary.h"

#include <string.h>

#include "object.h"

#define SUMMARY_NAMES 4

static void print_names(const struct objects *os, FILE *out)
{
	for (size_t i = 0; i < os->n && i < SUMMARY_NAMES; i++) {
		const struct object *o = os->v[i];
		fprintf(out, "%s%s%s%s", i ? ", " : "  ", o->meta.namespace ? o->meta.namespace : "",
			o->meta.namespace ? "/" : "", o->meta.name);
	}
	if (os->n > SUMMARY_NAMES)
		fprintf(out, ", and %zu more", os->n - SUMMARY_NAMES);
}

static void print_pool_detail(const struct objects *os, FILE *out)
{
	size_t entries = 0, v4 = 0, v6 = 0;

	for (size_t i = 0; i < os->n; i++)
		for (size_t j = 0; j < os->v[i]->pool.naddrs; j++) {
			entries++;
			if (os->v[i]->pool.addrs[j].r.first.family == IPF_V4)
				v4++;
			else
				v6++;
		}
	fprintf(out, "  (%zu address entries: %zu IPv4, %zu IPv6)", entries, v4, v6);
}

static void print_service_detail(const struct objects *os, FILE *out)
{
	size_t lb = 0;

	for (size_t i = 0; i < os->n; i++)
		if (strcmp(os->v[i]->svc.type, "LoadBalancer") == 0)
			lb++;
	fprintf(out, "  (%zu of type LoadBalancer)", lb);
}

void config_print_summary(const struct config *c, FILE *out)
{
	for (int k = 0; k < KIND_COUNT; k++) {
		const struct objects *os = &c->kinds[k];
		fprintf(out, "%-17s %4zu", kind_name((enum kind)k), os->n);
		if (k == KIND_IPADDRESSPOOL && os->n)
			print_pool_detail(os, out);
		if (k == KIND_SERVICE && os->n)
			print_service_detail(os, out);
		print_names(os, out);
		fputc('\n', out);
	}
}
