/*
 * BGPAdvertisement (metallb.io/v1beta1). Community names are resolved by validation.
 *
 * serviceSelectors (MetalLB 0.16): the advertisement applies only to the
 * Services one of its selectors matches, within the pools it selects. As in
 * MetalLB it excludes an aggregationLength other than 32 or an
 * aggregationLengthV6 other than 128: an aggregate is shared by the Services
 * of a pool and cannot follow one Service's labels.
 */
#include "object.h"

static const struct dec_field spec_fields[] = {
	{ "aggregationLength", DT_INT, offsetof(struct bgp_adv, aggregation_length), 0, 32, NULL, NULL },
	{ "aggregationLengthV6", DT_INT, offsetof(struct bgp_adv, aggregation_length_v6), 0, 128, NULL, NULL },
	{ "localPref", DT_INT, offsetof(struct bgp_adv, local_pref), 0, UINT32_MAX, NULL, NULL },
	{ "communities", DT_STRS, offsetof(struct bgp_adv, communities), 0, 0, NULL, NULL },
	{ "ipAddressPools", DT_STRS, offsetof(struct bgp_adv, pools), 0, 0, NULL, NULL },
	{ "ipAddressPoolSelectors", DT_SELECTORS, offsetof(struct bgp_adv, pool_selectors), 0, 0, NULL, NULL },
	{ "nodeSelectors", DT_SELECTORS, offsetof(struct bgp_adv, node_selectors), 0, 0, NULL, NULL },
	{ "serviceSelectors", DT_SELECTORS, offsetof(struct bgp_adv, service_selectors), 0, 0, NULL, NULL },
	{ "peers", DT_STRS, offsetof(struct bgp_adv, peers), 0, 0, NULL, NULL },
};
static const struct dec_table spec_table = DEC_TABLE(spec_fields, false);

static const struct dec_field root_fields[] = { SPEC_ROOT_FIELDS(spec_table) };
static const struct dec_table root_table = DEC_TABLE(root_fields, false);

void decode_bgp_adv(struct dec *d, const struct doc_node *root, struct object *o)
{
	struct bgp_adv *a = &o->bgpadv;

	dec_map(d, root, &root_table, a);
	if (!a->aggregation_length.set)
		a->aggregation_length.v = 32;
	if (!a->aggregation_length_v6.set)
		a->aggregation_length_v6.v = 128;
	if (a->service_selectors.n && a->aggregation_length.v != 32)
		dec_error(d, &a->aggregation_length.mark,
			  "spec.serviceSelectors and spec.aggregationLength exclude each other: with serviceSelectors "
			  "aggregationLength must be 32");
	if (a->service_selectors.n && a->aggregation_length_v6.v != 128)
		dec_error(d, &a->aggregation_length_v6.mark,
			  "spec.serviceSelectors and spec.aggregationLengthV6 exclude each other: with serviceSelectors "
			  "aggregationLengthV6 must be 128");
}
