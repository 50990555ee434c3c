/*
 * Kube-OVN Subnet (kubeovn.io/v1). vipcast reads only what underlay pools
 * need: the CIDRs, the excluded addresses (Kube-OVN never gives those to Pods)
 * and enableExternalLBAddress. The schema is Kube-OVN's, so other fields pass
 * silently.
 */
#include <string.h>

#include "object.h"
#include "ovn.h"

static void dec_cidr_block(struct dec *d, const struct doc_node *v, void *base)
{
	struct ovn_subnet *s = base;
	struct vstr text = { 0 };
	char why[160];

	dec_str(d, v, &text);
	if (!text.s)
		return;
	s->cidr_mark = text.mark;
	for (const char *p = text.s; *p;) {
		size_t len = strcspn(p, ",");
		struct iprange *r = &s->cidrs[s->ncidrs];
		if (s->ncidrs == 2) {
			dec_error(d, &v->mark, "at most one IPv4 and one IPv6 CIDR");
			return;
		}
		if (!iprange_parse(p, len, r, why, sizeof(why))) {
			dec_error(d, &v->mark, "invalid CIDR \"%.*s\": %s", (int)len, p, why);
			return;
		}
		if (r->prefix < 0) {
			dec_error(d, &v->mark, "\"%.*s\" is not a CIDR", (int)len, p);
			return;
		}
		s->ncidrs++;
		p += len + (p[len] == ',');
	}
}

static void dec_exclude(struct dec *d, const struct doc_node *v, void *base)
{
	struct ovn_subnet *s = base;
	struct vstrs list = { 0 };
	char why[160];

	dec_strs(d, v, &list);
	s->exclude = arena_calloc(d->a, list.n, sizeof(*s->exclude));
	for (size_t i = 0; i < list.n; i++) {
		struct pool_addr *e = &s->exclude[s->nexclude];
		if (iprange_parse_kubeovn(list.v[i].s, strlen(list.v[i].s), &e->r, why, sizeof(why))) {
			e->mark = list.v[i].mark;
			s->nexclude++;
		} else {
			size_t saved = dec_enter_index(d, i);
			dec_error(d, &list.v[i].mark, "%s", why);
			dec_leave(d, saved);
		}
	}
}

static const struct dec_field spec_fields[] = {
	{ "cidrBlock", DT_FN, 0, 0, 0, dec_cidr_block, NULL },
	{ "excludeIps", DT_FN, 0, 0, 0, dec_exclude, NULL },
	{ "enableExternalLBAddress", DT_BOOL, offsetof(struct ovn_subnet, external_lb), 0, 0, NULL, NULL },
	{ "vlan", DT_STR, offsetof(struct ovn_subnet, vlan), 0, 0, NULL, NULL },
	{ "protocol", DT_STR, offsetof(struct ovn_subnet, protocol), 0, 0, NULL, NULL },
	{ "provider", DT_STR, offsetof(struct ovn_subnet, provider), 0, 0, NULL, NULL },
};
static const struct dec_table spec_table = DEC_TABLE(spec_fields, true);

/* status.conditions: Kube-OVN skips a Subnet that is not Ready; one with no conditions (a file) counts as ready. */
static void dec_status(struct dec *d, const struct doc_node *v, void *base)
{
	const struct doc_node *conds = doc_map_get(v, "conditions");

	if (!dec_expect(d, v, DOC_MAP) || !conds || conds->type != DOC_SEQ)
		return;
	for (size_t i = 0; i < conds->seq.n; i++) {
		const struct doc_node *c = conds->seq.v[i];
		struct vstr type = { 0 }, status = { 0 };
		if (c->type != DOC_MAP || !doc_map_get(c, "type") || !doc_map_get(c, "status"))
			continue;
		size_t saved = dec_enter_index(d, i);
		dec_str(d, doc_map_get(c, "type"), &type);
		dec_str(d, doc_map_get(c, "status"), &status);
		dec_leave(d, saved);
		if (type.s && strcmp(type.s, "Ready") == 0)
			((struct ovn_subnet *)base)->not_ready = !status.s || strcmp(status.s, "True") != 0;
	}
}

static const struct dec_field root_fields[] = {
	ROOT_COMMON_FIELDS,
	{ "spec", DT_MAP, 0, 0, 0, NULL, &spec_table },
	{ "status", DT_FN, 0, 0, 0, dec_status, NULL },
};
static const struct dec_table root_table = DEC_TABLE(root_fields, false);

static bool in_subnet(const struct ovn_subnet *s, const struct iprange *r)
{
	for (size_t i = 0; i < s->ncidrs; i++)
		if (iprange_within(r, &s->cidrs[i]))
			return true;
	return false;
}

void decode_ovn_subnet(struct dec *d, const struct doc_node *root, struct object *o)
{
	struct ovn_subnet *s = &o->subnet;
	unsigned before = d->errors;
	char buf[IPRANGE_STRLEN];
	const char *why;

	dec_map(d, root, &root_table, s);
	if (d->errors != before)
		return;
	ovn_policy_parse(labels_get(&o->meta.annotations, OVN_ANNOTATION_BGP), &why);
	if (why)
		dec_warn(d, &o->meta.mark, "annotation " OVN_ANNOTATION_BGP ": %s", why);
	if (s->ncidrs == 0) {
		dec_error(d, &o->meta.mark, "spec.cidrBlock is required");
		return;
	}
	for (size_t i = 0; i < s->nexclude; i++) {
		if (in_subnet(s, &s->exclude[i].r))
			continue;
		iprange_format(&s->exclude[i].r, buf);
		dec_error(d, &s->exclude[i].mark, "spec.excludeIps entry %s is outside the subnet's cidrBlock", buf);
	}
}
