/* BFDProfile (metallb.io/v1beta1): ranges and defaults as MetalLB documents them. */
#include "object.h"

static const struct dec_field spec_fields[] = {
	{ "receiveInterval", DT_INT, offsetof(struct bfd_profile, receive_interval), 10, 60000, NULL, NULL },
	{ "transmitInterval", DT_INT, offsetof(struct bfd_profile, transmit_interval), 10, 60000, NULL, NULL },
	{ "detectMultiplier", DT_INT, offsetof(struct bfd_profile, detect_multiplier), 2, 255, NULL, NULL },
	{ "echoInterval", DT_INT, offsetof(struct bfd_profile, echo_interval), 10, 60000, NULL, NULL },
	{ "echoMode", DT_BOOL, offsetof(struct bfd_profile, echo_mode), 0, 0, NULL, NULL },
	{ "passiveMode", DT_BOOL, offsetof(struct bfd_profile, passive_mode), 0, 0, NULL, NULL },
	{ "minimumTtl", DT_INT, offsetof(struct bfd_profile, minimum_ttl), 1, 254, NULL, NULL },
};
static const struct dec_table spec_table = DEC_TABLE(spec_fields, false);

static const struct dec_field root_fields[] = { SPEC_ROOT_FIELDS(spec_table) };
static const struct dec_table root_table = DEC_TABLE(root_fields, false);

static void set_default(struct vint *v, int64_t def)
{
	if (!v->set)
		v->v = def;
}

void decode_bfd_profile(struct dec *d, const struct doc_node *root, struct object *o)
{
	struct bfd_profile *b = &o->bfd;

	dec_map(d, root, &root_table, b);
	set_default(&b->receive_interval, 300);
	set_default(&b->transmit_interval, 300);
	set_default(&b->detect_multiplier, 3);
	set_default(&b->echo_interval, 50);
	set_default(&b->minimum_ttl, 254);
	if (b->echo_mode.v)
		dec_warn(d, &b->echo_mode.mark,
			 "spec.echoMode is not supported: BFD sessions with this profile run without the echo function");
}
