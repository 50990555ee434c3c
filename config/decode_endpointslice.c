/*
 * EndpointSlice (discovery.k8s.io/v1): which nodes hold endpoints of which
 * Service, and whether they are ready. An absent ready condition means ready,
 * as the EndpointSlice API defines it.
 */
#include <string.h>

#include "object.h"

struct cond_raw {
	struct vbool ready, serving, terminating;
};

static const struct dec_field cond_fields[] = {
	{ "ready", DT_BOOL, offsetof(struct cond_raw, ready), 0, 0, NULL, NULL },
	{ "serving", DT_BOOL, offsetof(struct cond_raw, serving), 0, 0, NULL, NULL },
	{ "terminating", DT_BOOL, offsetof(struct cond_raw, terminating), 0, 0, NULL, NULL },
};
static const struct dec_table cond_table = DEC_TABLE(cond_fields, false);

struct endpoint_raw {
	struct vstrs addresses;
	struct vstr node_name;
	struct cond_raw cond;
};

/* Announcing needs where endpoints are and whether they are ready, not their addresses. */
static void dec_addresses(struct dec *d, const struct doc_node *v, void *base)
{
	if (!d->lean)
		dec_strs(d, v, &((struct endpoint_raw *)base)->addresses);
}

static const struct dec_field endpoint_fields[] = {
	{ "addresses", DT_FN, 0, 0, 0, dec_addresses, NULL },
	{ "nodeName", DT_STR, offsetof(struct endpoint_raw, node_name), 0, 0, NULL, NULL },
	{ "conditions", DT_MAP, offsetof(struct endpoint_raw, cond), 0, 0, NULL, &cond_table },
	{ "hostname", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "zone", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "targetRef", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "hints", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "deprecatedTopology", DT_IGNORE, 0, 0, 0, NULL, NULL },
};
static const struct dec_table endpoint_table = DEC_TABLE(endpoint_fields, false);

static bool dec_endpoint(struct dec *d, const struct doc_node *item, uint8_t family, struct endpoint *e)
{
	struct endpoint_raw raw = { 0 };
	unsigned before = d->errors;

	dec_map(d, item, &endpoint_table, &raw);
	*e = (struct endpoint){ 0 };  /* the slot of a refused endpoint is reused: forget its addresses */
	e->node_name = raw.node_name.s;
	e->ready = !raw.cond.ready.set || raw.cond.ready.v;
	e->serving = raw.cond.serving.set ? raw.cond.serving.v : e->ready;
	e->terminating = raw.cond.terminating.set && raw.cond.terminating.v;
	if (family == IPF_NONE || d->lean)
		return d->errors == before;
	e->addrs = arena_calloc(d->a, raw.addresses.n, sizeof(*e->addrs));
	for (size_t i = 0; i < raw.addresses.n; i++) {
		const struct vstr *a = &raw.addresses.v[i];
		struct ipaddr *ip = &e->addrs[e->naddrs];
		if (!ipaddr_parse(a->s, strlen(a->s), ip) || ip->family != family)
			dec_error(d, &a->mark, "\"%s\" is not an %s address", a->s,
				  family == IPF_V4 ? "IPv4" : "IPv6");
		else
			e->naddrs++;
	}
	return d->errors == before;
}

struct slice_raw {
	struct vstr address_type;
	const struct doc_node *endpoints;
};

static void keep_endpoints(struct dec *d, const struct doc_node *v, void *base)
{
	(void)d;
	((struct slice_raw *)base)->endpoints = v;
}

static const struct dec_field root_fields[] = {
	ROOT_COMMON_FIELDS,
	{ "addressType", DT_STR, offsetof(struct slice_raw, address_type), 0, 0, NULL, NULL },
	{ "endpoints", DT_FN, 0, 0, 0, keep_endpoints, NULL },
	{ "ports", DT_IGNORE, 0, 0, 0, NULL, NULL },
};
static const struct dec_table root_table = DEC_TABLE(root_fields, false);

static bool address_family(const struct vstr *t, uint8_t *family)
{
	if (t->s && strcmp(t->s, "IPv4") == 0)
		*family = IPF_V4;
	else if (t->s && strcmp(t->s, "IPv6") == 0)
		*family = IPF_V6;
	else if (t->s && strcmp(t->s, "FQDN") == 0)
		*family = IPF_NONE;
	else
		return false;
	return true;
}

void decode_endpoint_slice(struct dec *d, const struct doc_node *root, struct object *o)
{
	struct endpoint_slice *es = &o->eps;
	struct slice_raw raw = { 0 };
	unsigned before = d->errors;

	dec_map(d, root, &root_table, &raw);
	if (d->errors != before)
		return;
	if (!address_family(&raw.address_type, &es->family)) {
		dec_error(d, mark_or(&raw.address_type.mark, o), "addressType must be IPv4, IPv6 or FQDN");
		return;
	}
	es->service_name = labels_get(&o->meta.labels, LABEL_SERVICE_NAME);
	if (!raw.endpoints || raw.endpoints->type == DOC_NULL)
		return;
	size_t saved = dec_enter(d, "endpoints");
	if (dec_expect(d, raw.endpoints, DOC_SEQ)) {
		es->v = arena_calloc(d->a, raw.endpoints->seq.n, sizeof(*es->v));
		for (size_t i = 0; i < raw.endpoints->seq.n; i++) {
			size_t s2 = dec_enter_index(d, i);
			if (dec_endpoint(d, raw.endpoints->seq.v[i], es->family, &es->v[es->n]))
				es->n++;
			dec_leave(d, s2);
		}
	}
	dec_leave(d, saved);
}
