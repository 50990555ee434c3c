/*
 * One Kubernetes object from a document tree: apiVersion and kind pick the
 * decoder, metadata is read the same way for every kind, and the kind's own
 * decoder fills the rest. Used by the file loader and the API reader alike.
 */
#ifndef VIPCAST_CONFIG_OBJECT_H
#define VIPCAST_CONFIG_OBJECT_H

#include "decode.h"
#include "model.h"

struct kind_info {
	const char *name;
	const char *const *api_versions;  /* NULL-terminated */
	bool namespaced;
	void (*decode)(struct dec *d, const struct doc_node *root, struct object *o);
	size_t size;  /* bytes of struct object this kind uses: the header and its union member */
};


enum object_read {
	OBJECT_OK,
	OBJECT_INVALID,  /* reported in diags */
	OBJECT_IGNORED,  /* a kind vipcast does not read (a Deployment beside a Service) */
};

/*
 * *out is set only for OBJECT_OK; it owns its memory (object_free).
 * list_api and list_kind (may be NULL) stand in for an item's missing
 * apiVersion and kind, as in the items of an API server's IPAddressPoolList.
 */
enum object_read object_read(const struct doc_node *root, const char *list_api, const char *list_kind,
			     struct diags *diags, struct object **out);
/* lean: only what announcing reads is kept (no metallb.io/ annotations, no ports, selector or addresses), for caches of many objects. */
enum object_read object_read_lean(const struct doc_node *root, const char *list_api, const char *list_kind,
				  bool lean, struct diags *diags, struct object **out);

/* Field table entries every kind's root table starts with. */
#define ROOT_COMMON_FIELDS                                                                \
	{ "apiVersion", DT_IGNORE, 0, 0, 0, NULL, NULL }, { "kind", DT_IGNORE, 0, 0, 0, NULL, NULL }, \
		{ "metadata", DT_IGNORE, 0, 0, 0, NULL, NULL }

/* The root of a kind whose fields sit under spec, with a status vipcast does not read. */
#define SPEC_ROOT_FIELDS(spec_table) \
	ROOT_COMMON_FIELDS, { "spec", DT_MAP, 0, 0, 0, NULL, &(spec_table) }, { "status", DT_IGNORE, 0, 0, 0, NULL, NULL }

/* The kinds' decoders, one file each. */
void decode_ip_pool(struct dec *d, const struct doc_node *root, struct object *o);
void decode_l2_adv(struct dec *d, const struct doc_node *root, struct object *o);
void decode_bgp_adv(struct dec *d, const struct doc_node *root, struct object *o);
void decode_bgp_peer(struct dec *d, const struct doc_node *root, struct object *o);
void decode_bfd_profile(struct dec *d, const struct doc_node *root, struct object *o);
void decode_community(struct dec *d, const struct doc_node *root, struct object *o);
void decode_secret(struct dec *d, const struct doc_node *root, struct object *o);
void decode_service(struct dec *d, const struct doc_node *root, struct object *o);
void decode_node(struct dec *d, const struct doc_node *root, struct object *o);
void decode_namespace(struct dec *d, const struct doc_node *root, struct object *o);
void decode_endpoint_slice(struct dec *d, const struct doc_node *root, struct object *o);
void decode_ovn_subnet(struct dec *d, const struct doc_node *root, struct object *o);
void decode_pod(struct dec *d, const struct doc_node *root, struct object *o);

/* A value's mark if it was written, else the object's own. */
static inline const struct mark *mark_or(const struct mark *m, const struct object *o)
{
	return m->file ? m : &o->meta.mark;
}

#endif
