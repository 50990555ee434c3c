/*
 * Node and Namespace (v1). Of a Node, vipcast reads its labels (metadata),
 * its addresses and whether NetworkUnavailable is True; the rest of spec and
 * status belongs to the kubelet and passes silently.
 */
#include <string.h>

#include "object.h"

static void dec_addresses(struct dec *d, const struct doc_node *v, struct node *n)
{
	if (!dec_expect(d, v, DOC_SEQ))
		return;
	n->addrs = arena_calloc(d->a, v->seq.n, sizeof(*n->addrs));
	for (size_t i = 0; i < v->seq.n; i++) {
		size_t saved = dec_enter_index(d, i);
		const struct doc_node *item = v->seq.v[i];
		struct vstr type = { 0 }, addr = { 0 };
		if (dec_expect(d, item, DOC_MAP)) {
			const struct doc_node *t = doc_map_get(item, "type"), *a = doc_map_get(item, "address");
			if (t)
				dec_str(d, t, &type);
			if (a)
				dec_str(d, a, &addr);
		}
		if (type.s && addr.s) {
			struct node_address *na = &n->addrs[n->naddrs++];
			na->type = type.s;
			na->address = addr.s;
			if (!ipaddr_parse(addr.s, strlen(addr.s), &na->ip))
				na->ip.family = IPF_NONE;
		}
		dec_leave(d, saved);
	}
}

static void dec_conditions(struct dec *d, const struct doc_node *v, struct node *n)
{
	if (!dec_expect(d, v, DOC_SEQ))
		return;
	for (size_t i = 0; i < v->seq.n; i++) {
		const struct doc_node *item = v->seq.v[i];
		if (item->type == DOC_MAP && doc_scalar_is(doc_map_get(item, "type"), "NetworkUnavailable") &&
		    doc_scalar_is(doc_map_get(item, "status"), "True"))
			n->network_unavailable = true;
	}
}

static void dec_status(struct dec *d, const struct doc_node *v, void *base)
{
	const struct doc_node *addrs = doc_map_get(v, "addresses");
	const struct doc_node *conds = doc_map_get(v, "conditions");

	if (!dec_expect(d, v, DOC_MAP))
		return;
	if (addrs && addrs->type != DOC_NULL) {
		size_t saved = dec_enter(d, "addresses");
		dec_addresses(d, addrs, base);
		dec_leave(d, saved);
	}
	if (conds && conds->type != DOC_NULL) {
		size_t saved = dec_enter(d, "conditions");
		dec_conditions(d, conds, base);
		dec_leave(d, saved);
	}
}

static const struct dec_field node_fields[] = {
	ROOT_COMMON_FIELDS,
	{ "spec", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "status", DT_FN, 0, 0, 0, dec_status, NULL },
};
static const struct dec_table node_table = DEC_TABLE(node_fields, false);

void decode_node(struct dec *d, const struct doc_node *root, struct object *o)
{
	dec_map(d, root, &node_table, &o->node);
}

static const struct dec_field ns_fields[] = {
	ROOT_COMMON_FIELDS,
	{ "spec", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "status", DT_IGNORE, 0, 0, 0, NULL, NULL },
};
static const struct dec_table ns_table = DEC_TABLE(ns_fields, false);

void decode_namespace(struct dec *d, const struct doc_node *root, struct object *o)
{
	dec_map(d, root, &ns_table, o);
}
