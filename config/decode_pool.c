/* IPAddressPool (metallb.io/v1beta1). */
#include <string.h>

#include "object.h"

static void dec_addresses(struct dec *d, const struct doc_node *v, void *base)
{
	struct ip_pool *p = base;
	char why[160];

	if (!dec_expect(d, v, DOC_SEQ))
		return;
	p->addrs = arena_calloc(d->a, v->seq.n, sizeof(*p->addrs));
	for (size_t i = 0; i < v->seq.n; i++) {
		size_t saved = dec_enter_index(d, i);
		struct vstr s = { 0 };
		struct pool_addr *a = &p->addrs[p->naddrs];
		dec_str(d, v->seq.v[i], &s);
		if (s.s && iprange_parse(s.s, strlen(s.s), &a->r, why, sizeof(why))) {
			a->mark = s.mark;
			p->naddrs++;
		} else if (s.s) {
			dec_error(d, &s.mark, "%s", why);
		}
		dec_leave(d, saved);
	}
}

static const struct dec_field alloc_fields[] = {
	{ "priority", DT_INT, offsetof(struct ip_pool, alloc.priority), 0, INT32_MAX, NULL, NULL },
	{ "namespaces", DT_STRS, offsetof(struct ip_pool, alloc.namespaces), 0, 0, NULL, NULL },
	{ "namespaceSelectors", DT_SELECTORS, offsetof(struct ip_pool, alloc.namespace_selectors), 0, 0, NULL, NULL },
	{ "serviceSelectors", DT_SELECTORS, offsetof(struct ip_pool, alloc.service_selectors), 0, 0, NULL, NULL },
};
static const struct dec_table alloc_table = DEC_TABLE(alloc_fields, false);

static const struct dec_field spec_fields[] = {
	{ "addresses", DT_FN, 0, 0, 0, dec_addresses, NULL },
	{ "autoAssign", DT_BOOL, offsetof(struct ip_pool, auto_assign), 0, 0, NULL, NULL },
	{ "avoidBuggyIPs", DT_BOOL, offsetof(struct ip_pool, avoid_buggy_ips), 0, 0, NULL, NULL },
	{ "serviceAllocation", DT_MAP, 0, 0, 0, NULL, &alloc_table },
};
static const struct dec_table spec_table = DEC_TABLE(spec_fields, false);

static const struct dec_field root_fields[] = { SPEC_ROOT_FIELDS(spec_table) };
static const struct dec_table root_table = DEC_TABLE(root_fields, false);

void decode_ip_pool(struct dec *d, const struct doc_node *root, struct object *o)
{
	struct ip_pool *p = &o->pool;
	unsigned before = d->errors;

	dec_map(d, root, &root_table, p);
	if (d->errors == before && p->naddrs == 0)
		dec_error(d, &o->meta.mark, "spec.addresses must list at least one CIDR, range or address");
	if (!p->auto_assign.set)
		p->auto_assign.v = true;
}
