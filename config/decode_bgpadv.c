/* BGPAdvertisement (metallb.io/v1beta1). Community names are resolved by validation. */
#include "object.h"

static const struct dec_field spec_fields[] = {
	{ "aggregationLength", DT_INT, offsetof(struct bgp_adv, aggregation_length), 0, 32, NULL },
	{ "aggregationLengthV6", DT_INT, offsetof(struct bgp_adv, aggregation_length_v6), 0, 128, NULL },
	{ "localPref", DT_INT, offsetof(struct bgp_adv, local_pref), 0, UINT32_MAX, NULL },
	{ "communities", DT_STRS, offsetof(struct bgp_adv, communities), 0, 0, NULL },
	{ "ipAddressPools", DT_STRS, offsetof(struct bgp_adv, pools), 0, 0, NULL },
	{ "ipAddressPoolSelectors", DT_SELECTORS, offsetof(struct bgp_adv, pool_selectors), 0, 0, NULL },
	{ "nodeSelectors", DT_SELECTORS, offsetof(struct bgp_adv, node_selectors), 0, 0, NULL },
	{ "peers", DT_STRS, offsetof(struct bgp_adv, peers), 0, 0, NULL },
};
static const struct dec_table spec_table = DEC_TABLE(spec_fields, false);

static void dec_spec(struct dec *d, const struct doc_node *v, void *base)
{
	dec_map(d, v, &spec_table, base);
}

static const struct dec_field root_fields[] = {
	ROOT_COMMON_FIELDS,
	{ "spec", DT_FN, 0, 0, 0, dec_spec },
	{ "status", DT_IGNORE, 0, 0, 0, NULL },
};
static const struct dec_table root_table = DEC_TABLE(root_fields, false);

void decode_bgp_adv(struct dec *d, const struct doc_node *root, struct object *o)
{
	struct bgp_adv *a = &o->bgpadv;

	dec_map(d, root, &root_table, a);
	if (!a->aggregation_length.set)
		a->aggregation_length.v = 32;
	if (!a->aggregation_length_v6.set)
		a->aggregation_length_v6.v = 128;
}
