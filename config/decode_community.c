/* Community (metallb.io/v1beta1): names for community values, used by BGPAdvertisements. */
#include <string.h>

#include "object.h"

struct alias_raw {
	struct vstr name, value;
};

static const struct dec_field alias_fields[] = {
	{ "name", DT_STR, offsetof(struct alias_raw, name), 0, 0, NULL, NULL },
	{ "value", DT_STR, offsetof(struct alias_raw, value), 0, 0, NULL, NULL },
};
static const struct dec_table alias_table = DEC_TABLE(alias_fields, false);

static bool dec_alias(struct dec *d, const struct doc_node *item, struct community_alias *out)
{
	struct alias_raw raw = { 0 };
	char why[160];
	unsigned before = d->errors;

	dec_map(d, item, &alias_table, &raw);
	if (d->errors != before)
		return false;
	if (!raw.name.s || !*raw.name.s || !raw.value.s) {
		dec_error(d, &item->mark, "each community needs a name and a value");
		return false;
	}
	if (!community_parse(raw.value.s, strlen(raw.value.s), &out->value, why, sizeof(why))) {
		dec_error(d, &raw.value.mark, "%s", why);
		return false;
	}
	out->name = raw.name;
	out->mark = dec_mark(d, item);
	return true;
}

static void dec_list(struct dec *d, const struct doc_node *v, void *base)
{
	struct community_set *cs = base;

	if (!dec_expect(d, v, DOC_SEQ))
		return;
	cs->v = arena_calloc(d->a, v->seq.n, sizeof(*cs->v));
	for (size_t i = 0; i < v->seq.n; i++) {
		size_t saved = dec_enter_index(d, i);
		struct community_alias *a = &cs->v[cs->n];
		if (dec_alias(d, v->seq.v[i], a)) {
			for (size_t k = 0; k < cs->n; k++)
				if (strcmp(cs->v[k].name.s, a->name.s) == 0)
					dec_error(d, &a->name.mark, "community name \"%s\" is defined twice",
						  a->name.s);
			cs->n++;
		}
		dec_leave(d, saved);
	}
}

static const struct dec_field spec_fields[] = {
	{ "communities", DT_FN, 0, 0, 0, dec_list, NULL },
};
static const struct dec_table spec_table = DEC_TABLE(spec_fields, false);

static const struct dec_field root_fields[] = { SPEC_ROOT_FIELDS(spec_table) };
static const struct dec_table root_table = DEC_TABLE(root_fields, false);

void decode_community(struct dec *d, const struct doc_node *root, struct object *o)
{
	dec_map(d, root, &root_table, &o->communities);
}
