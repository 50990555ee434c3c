/* L2Advertisement (metallb.io/v1beta1). */
#include "object.h"

static void dec_preferred(struct dec *d, const struct doc_node *v, void *base)
{
	struct l2_adv *l2 = base;

	if (!dec_expect(d, v, DOC_SEQ))
		return;
	l2->preferred = arena_calloc(d->a, v->seq.n, sizeof(*l2->preferred));
	for (size_t i = 0; i < v->seq.n; i++) {
		const struct doc_node *item = v->seq.v[i];
		size_t saved = dec_enter_index(d, i);
		if (dec_expect(d, item, DOC_MAP)) {
			struct preferred_node *p = &l2->preferred[l2->npreferred++];
			struct vint weight = { 0 };
			p->mark = dec_mark(d, item);
			for (size_t k = 0; k < item->map.n; k++) {
				const struct doc_pair *kv = &item->map.v[k];
				size_t s2 = dec_enter(d, kv->key->scalar.text);
				if (doc_scalar_is(kv->key, "weight"))
					dec_int(d, kv->value, 1, 100, &weight);
				else if (doc_scalar_is(kv->key, "preference"))
					dec_selector(d, kv->value, true, &p->preference);
				else
					dec_warn(d, &kv->key->mark, "unknown field \"%s\"", kv->key->scalar.text);
				dec_leave(d, s2);
			}
			if (!weight.set)
				dec_error(d, &item->mark, "weight is required (1 to 100)");
			p->weight = weight.v;
		}
		dec_leave(d, saved);
	}
}

static const struct dec_field spec_fields[] = {
	{ "ipAddressPools", DT_STRS, offsetof(struct l2_adv, pools), 0, 0, NULL, NULL },
	{ "ipAddressPoolSelectors", DT_SELECTORS, offsetof(struct l2_adv, pool_selectors), 0, 0, NULL, NULL },
	{ "nodeSelectors", DT_SELECTORS, offsetof(struct l2_adv, node_selectors), 0, 0, NULL, NULL },
	{ "serviceSelectors", DT_SELECTORS, offsetof(struct l2_adv, service_selectors), 0, 0, NULL, NULL },
	{ "interfaces", DT_STRS, offsetof(struct l2_adv, interfaces), 0, 0, NULL, NULL },
	{ "preferredNodeSelectors", DT_FN, 0, 0, 0, dec_preferred, NULL },
};
static const struct dec_table spec_table = DEC_TABLE(spec_fields, false);

static const struct dec_field root_fields[] = { SPEC_ROOT_FIELDS(spec_table) };
static const struct dec_table root_table = DEC_TABLE(root_fields, false);

void decode_l2_adv(struct dec *d, const struct doc_node *root, struct object *o)
{
	dec_map(d, root, &root_table, &o->l2adv);
}
