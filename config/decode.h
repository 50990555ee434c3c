/*
 * Decoding document trees into model structs, driven by field tables.
 *
 * A table lists a map's known fields with their type and where the value goes;
 * dec_map() walks the map once, decodes each field, warns about unknown ones
 * (as kubectl does) and keeps the field path for every message. Errors are
 * counted in struct dec; an object with any error is not used.
 */
#ifndef VIPCAST_CONFIG_DECODE_H
#define VIPCAST_CONFIG_DECODE_H

#include <stddef.h>

#include "doc.h"
#include "model.h"

struct dec {
	struct diags *diags;
	struct arena *a;  /* the object's arena: decoded values live there */
	const char *obj;  /* object id for messages, or NULL */
	const char *file; /* the source name, in the object's arena: stored marks point here */
	char path[256];
	size_t pathlen;
	unsigned errors;
	bool lean;        /* keep only what announcing reads: annotations other than Kube-OVN's and the link bandwidth's dropped */
	const char *label_prefix;  /* DT_LABELS keeps only the labels with this prefix; NULL: all */
};

enum dec_type {
	DT_STR,       /* struct vstr */
	DT_INT,       /* struct vint, within [min, max] unless both are 0 */
	DT_BOOL,      /* struct vbool */
	DT_DURATION,  /* struct vint, nanoseconds */
	DT_STRS,      /* struct vstrs */
	DT_LABELS,    /* struct labels */
	DT_ANNOTATIONS, /* struct labels; with dec.lean, Kube-OVN's (ovn.h) and vipcast.io/link-bandwidth only */
	DT_SELECTOR,  /* struct selector */
	DT_SELECTORS, /* struct selectors */
	DT_IP,        /* struct vip */
	DT_MAP,       /* a nested map, decoded with the table sub into base + off */
	DT_FN,        /* fn(dec, value, base) */
	DT_IGNORE,    /* a known field vipcast does not use */
};

struct dec_table;

struct dec_field {
	const char *name;
	enum dec_type type;
	size_t off;
	int64_t min, max;
	void (*fn)(struct dec *d, const struct doc_node *v, void *base);
	const struct dec_table *sub;
};

struct dec_table {
	const struct dec_field *f;
	size_t n;
	bool lenient;  /* unknown fields pass silently: a schema vipcast does not own */
};

#define DEC_TABLE(fields, len) { (fields), sizeof(fields) / sizeof((fields)[0]), (len) }

size_t dec_enter(struct dec *d, const char *field);
size_t dec_enter_index(struct dec *d, size_t i);
void dec_leave(struct dec *d, size_t saved);
void dec_error(struct dec *d, const struct mark *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void dec_warn(struct dec *d, const struct mark *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* n's mark, made to outlive the document (stored values keep it). */
struct mark dec_mark(const struct dec *d, const struct doc_node *n);

void dec_map(struct dec *d, const struct doc_node *map, const struct dec_table *t, void *base);
/* n must be a map or a list; says so and returns false otherwise. */
bool dec_expect(struct dec *d, const struct doc_node *n, enum doc_type t);

void dec_str(struct dec *d, const struct doc_node *n, struct vstr *out);
/* A string read in place (valid while the document is), not copied: for values turned into something else. */
bool dec_str_view(struct dec *d, const struct doc_node *n, const char **text, size_t *len);
void dec_int(struct dec *d, const struct doc_node *n, int64_t min, int64_t max, struct vint *out);
void dec_bool(struct dec *d, const struct doc_node *n, struct vbool *out);
void dec_duration(struct dec *d, const struct doc_node *n, struct vint *out);
void dec_strs(struct dec *d, const struct doc_node *n, struct vstrs *out);
void dec_labels(struct dec *d, const struct doc_node *n, struct labels *out);
/* node_term: a NodeSelectorTerm-like selector that also allows Gt and Lt. */
void dec_selector(struct dec *d, const struct doc_node *n, bool node_term, struct selector *out);
void dec_selectors(struct dec *d, const struct doc_node *n, struct selectors *out);
void dec_ip(struct dec *d, const struct doc_node *n, struct vip *out);

#endif
