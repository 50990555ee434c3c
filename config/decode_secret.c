/* Secret (v1): data (base64, decoded with OpenSSL) and stringData, which wins on a shared key. */
#include <openssl/evp.h>
#include <string.h>

#include "object.h"

static struct secret_entry *entry_for(struct dec *d, struct secret *s, const char *key, size_t cap)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].key, key) == 0)
			return &s->v[i];
	if (s->n == cap)
		return NULL;
	s->v[s->n].key = arena_strdup(d->a, key);
	return &s->v[s->n++];
}

/* Go's base64.StdEncoding: padded, no line breaks. */
static bool base64_decode(struct dec *d, const char *in, size_t len, unsigned char **out, size_t *outlen)
{
	if (len % 4 != 0 || len > INT32_MAX || strspn(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != len)
		return false;
	size_t pad = len && in[len - 1] == '=' ? (len > 1 && in[len - 2] == '=' ? 2 : 1) : 0;
	if (memchr(in, '=', len - pad))
		return false;
	*out = arena_alloc(d->a, len / 4 * 3 + 1);
	int n = EVP_DecodeBlock(*out, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n < pad)
		return false;
	*outlen = (size_t)n - pad;
	return true;
}

static void dec_data(struct dec *d, const struct doc_node *v, void *base, bool encoded)
{
	struct secret *s = base;
	struct labels l = { 0 };
	size_t cap;

	dec_labels(d, v, &l);
	cap = s->n + l.n;
	struct secret_entry *nv = arena_calloc(d->a, cap, sizeof(*nv));
	if (s->n)
		memcpy(nv, s->v, s->n * sizeof(*nv));
	s->v = nv;
	for (size_t i = 0; i < l.n; i++) {
		struct secret_entry *e = entry_for(d, s, l.v[i].key, cap);
		unsigned char *bytes;
		size_t n;
		if (!encoded) {
			e->value = (const unsigned char *)l.v[i].value;
			e->len = strlen(l.v[i].value);
		} else if (base64_decode(d, l.v[i].value, strlen(l.v[i].value), &bytes, &n)) {
			if (!e->value) {  /* stringData, read earlier, wins */
				e->value = bytes;
				e->len = n;
			}
		} else {
			size_t saved = dec_enter(d, l.v[i].key);
			dec_error(d, &v->mark, "value is not valid base64");
			dec_leave(d, saved);
		}
	}
}

static void dec_encoded(struct dec *d, const struct doc_node *v, void *base)
{
	dec_data(d, v, base, true);
}

static const struct dec_field root_fields[] = {
	ROOT_COMMON_FIELDS,
	{ "type", DT_STR, offsetof(struct secret, type), 0, 0, NULL, NULL },
	{ "data", DT_FN, 0, 0, 0, dec_encoded, NULL },
	{ "stringData", DT_IGNORE, 0, 0, 0, NULL, NULL },  /* read first, by decode_secret() */
	{ "immutable", DT_IGNORE, 0, 0, 0, NULL, NULL },
};
static const struct dec_table root_table = DEC_TABLE(root_fields, false);

void decode_secret(struct dec *d, const struct doc_node *root, struct object *o)
{
	const struct doc_node *sd = doc_map_get(root, "stringData");

	/* stringData first, so data never overwrites it whatever order the map has. */
	if (sd && sd->type != DOC_NULL) {
		size_t saved = dec_enter(d, "stringData");
		dec_data(d, sd, &o->secret, false);
		dec_leave(d, saved);
	}
	dec_map(d, root, &root_table, &o->secret);
	if (!o->secret.type.s)
		o->secret.type.s = "Opaque";
}
