#include "underlay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static int range_cmp(const void *a, const void *b)
{
	return ipaddr_cmp(&((const struct pool_addr *)a)->r.first, &((const struct pool_addr *)b)->r.first);
}

/* r lies wholly in the union of the subnet's excludeIps. */
static bool excluded(const struct ovn_subnet *s, const struct iprange *r)
{
	struct pool_addr *v = xcalloc(s->nexclude, sizeof(*v));
	struct ipaddr need = r->first;
	bool covered = false;

	if (s->nexclude)
		memcpy(v, s->exclude, s->nexclude * sizeof(*v));
	qsort(v, s->nexclude, sizeof(*v), range_cmp);
	for (size_t i = 0; i < s->nexclude && !covered; i++) {
		if (ipaddr_cmp(&v[i].r.first, &need) > 0)
			break;
		if (ipaddr_cmp(&v[i].r.last, &need) < 0)
			continue;
		if (ipaddr_cmp(&v[i].r.last, &r->last) >= 0) {
			covered = true;
		} else {
			need = v[i].r.last;
			ipaddr_next(&need);
		}
	}
	free(v);
	return covered;
}

static bool entry_ok(const struct object *sub, const struct iprange *r, char *why, size_t len)
{
	const struct ovn_subnet *s = &sub->subnet;
	char text[IPRANGE_STRLEN];
	bool inside = false;

	iprange_format(r, text);
	for (size_t i = 0; i < s->ncidrs; i++)
		inside |= iprange_within(r, &s->cidrs[i]);
	if (!inside)
		snprintf(why, len, "%s lies partly outside Kube-OVN Subnet %s", text, sub->meta.name);
	else if (!s->external_lb.v)
		snprintf(why, len, "%s lies in Kube-OVN Subnet %s, which does not set enableExternalLBAddress: true",
			 text, sub->meta.name);
	else if (!excluded(s, r))
		snprintf(why, len, "%s is not all in the excludeIps of Kube-OVN Subnet %s, so Kube-OVN may give those addresses to Pods",
			 text, sub->meta.name);
	else
		return true;
	return false;
}

bool underlay_pool_ok(const struct config *c, const struct object *pool, char *why, size_t len)
{
	const struct objects *subs = &c->kinds[KIND_SUBNET];

	for (size_t e = 0; e < pool->pool.naddrs; e++) {
		const struct iprange *r = &pool->pool.addrs[e].r;
		for (size_t i = 0; i < subs->n; i++) {
			const struct ovn_subnet *s = &subs->v[i]->subnet;
			bool overlaps = false;
			for (size_t k = 0; k < s->ncidrs; k++)
				overlaps |= iprange_overlaps(r, &s->cidrs[k]);
			if (overlaps && !entry_ok(subs->v[i], r, why, len))
				return false;
		}
	}
	return true;
}
