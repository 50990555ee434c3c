#include "object.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *const v_metallb[] = { "metallb.io/v1beta1", NULL };
static const char *const v_metallb_peer[] = { "metallb.io/v1beta2", "metallb.io/v1beta1", NULL };
static const char *const v_core[] = { "v1", NULL };
static const char *const v_discovery[] = { "discovery.k8s.io/v1", NULL };
static const char *const v_kubeovn[] = { "kubeovn.io/v1", NULL };

/*
 * An object is allocated only as large as its kind needs: a Service or an
 * EndpointSlice does not pay for the BGPPeer member of the union (760 bytes
 * against under 300; it matters with 100k Services). Nothing copies or
 * clears a whole struct object, so the missing tail is never touched.
 */
#define OBJ_SIZE(member) (offsetof(struct object, member) + sizeof(((struct object *)0)->member))

static const struct kind_info kinds[KIND_COUNT] = {
	[KIND_IPADDRESSPOOL] = { "IPAddressPool", v_metallb, true, decode_ip_pool, OBJ_SIZE(pool) },
	[KIND_L2ADVERTISEMENT] = { "L2Advertisement", v_metallb, true, decode_l2_adv, OBJ_SIZE(l2adv) },
	[KIND_BGPADVERTISEMENT] = { "BGPAdvertisement", v_metallb, true, decode_bgp_adv, OBJ_SIZE(bgpadv) },
	[KIND_BGPPEER] = { "BGPPeer", v_metallb_peer, true, decode_bgp_peer, OBJ_SIZE(peer) },
	[KIND_BFDPROFILE] = { "BFDProfile", v_metallb, true, decode_bfd_profile, OBJ_SIZE(bfd) },
	[KIND_COMMUNITY] = { "Community", v_metallb, true, decode_community, OBJ_SIZE(communities) },
	[KIND_SECRET] = { "Secret", v_core, true, decode_secret, OBJ_SIZE(secret) },
	[KIND_SERVICE] = { "Service", v_core, true, decode_service, OBJ_SIZE(svc) },
	[KIND_NODE] = { "Node", v_core, false, decode_node, OBJ_SIZE(node) },
	[KIND_NAMESPACE] = { "Namespace", v_core, false, decode_namespace, offsetof(struct object, pool) },
	[KIND_ENDPOINTSLICE] = { "EndpointSlice", v_discovery, true, decode_endpoint_slice, OBJ_SIZE(eps) },
	[KIND_SUBNET] = { "Subnet", v_kubeovn, false, decode_ovn_subnet, OBJ_SIZE(subnet) },
	[KIND_POD] = { "Pod", v_core, true, decode_pod, OBJ_SIZE(pod) },
};

const char *kind_name(enum kind k)
{
	return kinds[k].name;
}

void object_free(struct object *o)
{
	if (!o)
		return;
	if (atomic_load(&o->refs) > 1 && atomic_fetch_sub(&o->refs, 1) > 1)
		return;
	if (arena_holds(&o->arena, o)) {
		struct arena a = o->arena;  /* o goes with it */
		arena_free(&a);
		return;
	}
	arena_free(&o->arena);
	free(o);
}

struct object *object_ref(struct object *o)
{
	unsigned one = 0;
	atomic_compare_exchange_strong(&o->refs, &one, 1);  /* never counted: one holder */
	atomic_fetch_add(&o->refs, 1);
	return o;
}

/* apiVersion group of a kind vipcast reads, e.g. "metallb.io" of "metallb.io/v1beta1". */
static bool same_group(const char *have, const char *want)
{
	const char *slash = strchr(want, '/');
	size_t glen = slash ? (size_t)(slash - want) : 0;
	const char *hslash = strchr(have, '/');
	size_t hlen = hslash ? (size_t)(hslash - have) : 0;

	return glen == hlen && strncmp(have, want, glen) == 0;
}

static int find_kind(const char *kind, const char *api)
{
	for (int k = 0; k < KIND_COUNT; k++)
		if (strcmp(kind, kinds[k].name) == 0 && same_group(api, kinds[k].api_versions[0]))
			return k;
	return -1;
}

/* The kind table's own copy of api (static: 100k objects need not hold their own), or NULL. */
static const char *version_known(const struct kind_info *ki, const char *api)
{
	for (const char *const *v = ki->api_versions; *v; v++)
		if (strcmp(api, *v) == 0)
			return *v;
	return NULL;
}

/* RFC 1123 subdomain, as Kubernetes requires of most object names. */
static bool valid_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 253 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-' ||
		      s[i] == '.'))
			return false;
	return true;
}

struct meta_raw {
	struct vstr name, namespace, created, uid;
	struct labels labels, annotations;
};

/* The allocator orders Services by age; announcing never does. */
static void dec_created(struct dec *d, const struct doc_node *v, void *base)
{
	if (!d->lean)
		dec_str(d, v, &((struct meta_raw *)base)->created);
}

/* Nothing reads an EndpointSlice's uid when announcing (the watch cache keys it by its own copy). */
static void dec_uid(struct dec *d, const struct doc_node *v, void *base)
{
	if (!(d->lean && d->label_prefix && strcmp(d->label_prefix, LABEL_SERVICE_NAME) == 0))
		dec_str(d, v, &((struct meta_raw *)base)->uid);
}

static const struct dec_field meta_fields[] = {
	{ "name", DT_STR, offsetof(struct meta_raw, name), 0, 0, NULL, NULL },
	{ "namespace", DT_STR, offsetof(struct meta_raw, namespace), 0, 0, NULL, NULL },
	{ "labels", DT_LABELS, offsetof(struct meta_raw, labels), 0, 0, NULL, NULL },
	{ "annotations", DT_ANNOTATIONS, offsetof(struct meta_raw, annotations), 0, 0, NULL, NULL },
	{ "creationTimestamp", DT_FN, 0, 0, 0, dec_created, NULL },
	{ "uid", DT_FN, 0, 0, 0, dec_uid, NULL },
	{ "resourceVersion", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "generation", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "generateName", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "deletionTimestamp", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "deletionGracePeriodSeconds", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "ownerReferences", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "finalizers", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "managedFields", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "selfLink", DT_IGNORE, 0, 0, 0, NULL, NULL },
};
static const struct dec_table meta_table = DEC_TABLE(meta_fields, false);

/* A plain string scalar, or NULL: apiVersion and kind are read before any field table. */
static const char *type_string(const struct doc_node *n)
{
	if (!n || n->type != DOC_SCALAR || doc_scalar_kind(n) != DSK_STRING ||
	    strlen(n->scalar.text) != n->scalar.len)
		return NULL;
	return n->scalar.text;
}

/* Room for a lean object's id, kept only while it is decoded: names are at most 253 characters. */
#define LEAN_ID_MAX 600

/*
 * The id messages name the object by, known before the rest of metadata is
 * read. buf: where a lean object's goes (it keeps none), else NULL: into the arena.
 */
static const char *object_id(struct arena *a, char *buf, const struct kind_info *ki, const struct doc_node *md)
{
	const struct doc_node *name = doc_map_get(md, "name"), *ns = doc_map_get(md, "namespace");
	const char *n = type_string(name), *s = type_string(ns);

	if (!n)
		return ki->name;
	if (buf) {
		if (ki->namespaced)
			snprintf(buf, LEAN_ID_MAX, "%s %s/%s", ki->name, s && *s ? s : "default", n);
		else
			snprintf(buf, LEAN_ID_MAX, "%s %s", ki->name, n);
		return buf;
	}
	if (!ki->namespaced)
		return arena_printf(a, "%s %s", ki->name, n);
	return arena_printf(a, "%s %s/%s", ki->name, s && *s ? s : "default", n);
}

/* idbuf: LEAN_ID_MAX bytes that outlive the decode, for a lean object's id. */
static bool read_meta(struct dec *d, const struct doc_node *root, const struct kind_info *ki,
		      struct object *o, char *idbuf)
{
	const struct doc_node *md = doc_map_get(root, "metadata");
	struct meta_raw m = { 0 };
	unsigned before = d->errors;

	if (!md || md->type == DOC_NULL) {
		dec_error(d, &root->mark, "metadata.name is required");
		return false;
	}
	d->obj = object_id(d->a, d->lean ? idbuf : NULL, ki, md);  /* d->obj: for the decoder's messages */
	size_t saved = dec_enter(d, "metadata");
	/* An EndpointSlice copies its Service's labels; announcing reads only which Service it is of. */
	d->label_prefix = d->lean && ki->decode == decode_endpoint_slice ? LABEL_SERVICE_NAME : NULL;
	dec_map(d, md, &meta_table, &m);
	d->label_prefix = NULL;
	if (d->errors == before && !m.name.s) {
		dec_error(d, &md->mark, "name is required");
	} else if (m.name.s && !valid_name(m.name.s)) {
		size_t s2 = dec_enter(d, "name");
		dec_error(d, &m.name.mark, "invalid name \"%s\": lower-case letters, digits, '-' and '.' only",
			  m.name.s);
		dec_leave(d, s2);
	}
	dec_leave(d, saved);

	o->meta.name = m.name.s;
	o->meta.namespace = ki->namespaced ? (m.namespace.s && *m.namespace.s ? m.namespace.s : "default")
					   : NULL;
	o->meta.labels = m.labels;
	o->meta.annotations = m.annotations;
	o->meta.creation_timestamp = m.created.s;
	o->meta.uid = m.uid.s;
	o->meta.id = d->lean ? NULL : d->obj;
	return d->errors == before;
}

static bool read_type(const struct doc_node *root, const char *list_api, const char *list_kind,
		      struct diags *diags, const char **kind, const char **api)
{
	if (root->type != DOC_MAP) {
		diag_add(diags, DIAG_ERROR, &root->mark, NULL, NULL,
			 "expected a Kubernetes object (a map with apiVersion and kind), got %s",
			 doc_type_name(root));
		return false;
	}
	const struct doc_node *kn = doc_map_get(root, "kind"), *an = doc_map_get(root, "apiVersion");
	*kind = kn ? type_string(kn) : list_kind;
	*api = an ? type_string(an) : list_api;
	if (!*kind || !*api) {
		const struct doc_node *bad = kn && !*kind ? kn : an && !*api ? an : root;
		diag_add(diags, DIAG_ERROR, &bad->mark, NULL, NULL,
			 "every object needs a string apiVersion and kind");
		return false;
	}
	return true;
}

enum object_read object_read(const struct doc_node *root, const char *list_api, const char *list_kind,
			     struct diags *diags, struct object **out)
{
	return object_read_lean(root, list_api, list_kind, false, diags, out);
}

/* Room for the first pass of a lean decode: larger objects spill into more chunks and stay as they are. */
#define LEAN_SCRATCH 4096

/* Objects read from the API server: their source needs no copy each. */
static const char api_source[] = "api";

/* inline_obj: the object and everything it holds in one allocation, reserve bytes beyond the object. */
static struct object *object_alloc(const struct kind_info *ki, size_t reserve, bool inline_obj)
{
	if (!inline_obj) {
		struct object *o = xcalloc(1, ki->size);
		arena_reserve(&o->arena, reserve);
		return o;
	}
	struct arena a = ARENA_INIT;
	struct object *o = arena_reserve_with(&a, ki->size, reserve);
	o->arena = a;
	return o;
}

static struct object *decode_once(const struct doc_node *root, int k, const char *api, bool lean, size_t reserve,
				  bool inline_obj, struct diags *diags)
{
	const struct kind_info *ki = &kinds[k];
	struct object *o = object_alloc(ki, reserve, inline_obj);
	o->kind = (enum kind)k;
	o->meta.mark = root->mark;
	const char *file = root->mark.file ? root->mark.file : "";
	o->meta.mark.file = strcmp(file, api_source) == 0 ? api_source : arena_strdup(&o->arena, file);
	o->meta.api_version = api;
	struct dec d = { .diags = diags, .a = &o->arena, .obj = ki->name, .file = o->meta.mark.file, .lean = lean };
	char idbuf[LEAN_ID_MAX];
	if (read_meta(&d, root, ki, o, idbuf))
		ki->decode(&d, root, o);
	if (d.errors) {
		object_free(o);
		return NULL;
	}
	return o;
}

enum object_read object_read_lean(const struct doc_node *root, const char *list_api, const char *list_kind,
				  bool lean, struct diags *diags, struct object **out)
{
	const char *kind, *api;

	*out = NULL;
	if (!read_type(root, list_api, list_kind, diags, &kind, &api))
		return OBJECT_INVALID;
	int k = find_kind(kind, api);
	if (k < 0)
		return OBJECT_IGNORED;
	const struct kind_info *ki = &kinds[k];
	const char *known = version_known(ki, api);
	if (!known) {
		const struct doc_node *an = doc_map_get(root, "apiVersion");
		diag_add(diags, DIAG_ERROR, an ? &an->mark : &root->mark, NULL, "apiVersion",
			 "%s is not served as \"%s\" (use %s)", ki->name, api, ki->api_versions[0]);
		return OBJECT_INVALID;
	}

	struct object *o = decode_once(root, k, known, lean, lean ? LEAN_SCRATCH : 0, false, diags);
	if (!o)
		return OBJECT_INVALID;
	size_t extent = lean ? arena_extent(&o->arena) : 0;
	if (extent) {
		/* Again, the object and what it holds in one chunk of the size the first pass used:
		 * a cache of 100k objects wastes nothing. */
		struct diags quiet;
		diags_init(&quiet);
		struct object *exact = decode_once(root, k, known, lean, extent, true, &quiet);
		diags_free(&quiet);
		if (exact && arena_extent(&exact->arena)) {
			object_free(o);
			o = exact;
		} else {
			object_free(exact);
		}
	}
	*out = o;
	return OBJECT_OK;
}
