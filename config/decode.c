#include "decode.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"
#include "link_bw.h"
#include "ovn.h"

size_t dec_enter(struct dec *d, const char *field)
{
	size_t saved = d->pathlen;
	int n = snprintf(d->path + d->pathlen, sizeof(d->path) - d->pathlen, "%s%s",
			 d->pathlen ? "." : "", field);
	if (n > 0)
		d->pathlen = d->pathlen + (size_t)n < sizeof(d->path) ? d->pathlen + (size_t)n
								      : sizeof(d->path) - 1;
	return saved;
}

size_t dec_enter_index(struct dec *d, size_t i)
{
	size_t saved = d->pathlen;
	int n = snprintf(d->path + d->pathlen, sizeof(d->path) - d->pathlen, "[%zu]", i);
	if (n > 0)
		d->pathlen = d->pathlen + (size_t)n < sizeof(d->path) ? d->pathlen + (size_t)n
								      : sizeof(d->path) - 1;
	return saved;
}

void dec_leave(struct dec *d, size_t saved)
{
	d->pathlen = saved;
	d->path[saved] = 0;
}

static void dec_vreport(struct dec *d, enum diag_severity sev, const struct mark *m,
			const char *fmt, va_list ap)
{
	char msg[768];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	diag_add(d->diags, sev, m, d->obj, d->path, "%s", msg);
}

void dec_error(struct dec *d, const struct mark *m, const char *fmt, ...)
{
	va_list ap;

	d->errors++;
	va_start(ap, fmt);
	dec_vreport(d, DIAG_ERROR, m, fmt, ap);
	va_end(ap);
}

void dec_warn(struct dec *d, const struct mark *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dec_vreport(d, DIAG_WARNING, m, fmt, ap);
	va_end(ap);
}

struct mark dec_mark(const struct dec *d, const struct doc_node *n)
{
	struct mark m = n->mark;

	m.file = d->file;
	return m;
}

bool dec_expect(struct dec *d, const struct doc_node *n, enum doc_type t)
{
	if (n->type == t)
		return true;
	dec_error(d, &n->mark, "expected %s, got %s", t == DOC_MAP ? "a map" : "a list",
		  doc_type_name(n));
	return false;
}

/* A string field takes any scalar Kubernetes would read as a string. */
static bool want_string(struct dec *d, const struct doc_node *n)
{
	if (n->type == DOC_SCALAR && doc_scalar_kind(n) == DSK_STRING) {
		if (memchr(n->scalar.text, 0, n->scalar.len)) {
			dec_error(d, &n->mark, "string contains a NUL byte");
			return false;
		}
		return true;
	}
	if (n->type == DOC_SCALAR)
		dec_error(d, &n->mark, "expected a string, got %s \"%.*s\" (quote it)",
			  doc_type_name(n), (int)n->scalar.len, n->scalar.text);
	else
		dec_error(d, &n->mark, "expected a string, got %s", doc_type_name(n));
	return false;
}

bool dec_str_view(struct dec *d, const struct doc_node *n, const char **text, size_t *len)
{
	if (!want_string(d, n))
		return false;
	*text = n->scalar.text;
	*len = n->scalar.len;
	return true;
}

void dec_str(struct dec *d, const struct doc_node *n, struct vstr *out)
{
	if (!want_string(d, n))
		return;
	out->s = arena_strndup(d->a, n->scalar.text, n->scalar.len);
	out->mark = dec_mark(d, n);
}

void dec_int(struct dec *d, const struct doc_node *n, int64_t min, int64_t max, struct vint *out)
{
	int64_t v;

	if (n->type != DOC_SCALAR || doc_scalar_kind(n) != DSK_INT) {
		if (n->type == DOC_SCALAR)
			dec_error(d, &n->mark, "expected an integer, got %s \"%.*s\"", doc_type_name(n),
				  (int)n->scalar.len, n->scalar.text);
		else
			dec_error(d, &n->mark, "expected an integer, got %s", doc_type_name(n));
		return;
	}
	if (!doc_scalar_int(n, &v)) {
		dec_error(d, &n->mark, "integer %.*s out of range", (int)n->scalar.len, n->scalar.text);
		return;
	}
	if ((min || max) && (v < min || v > max)) {
		dec_error(d, &n->mark, "%lld is out of range: must be between %lld and %lld",
			  (long long)v, (long long)min, (long long)max);
		return;
	}
	*out = (struct vint){ true, v, dec_mark(d, n) };
}

void dec_bool(struct dec *d, const struct doc_node *n, struct vbool *out)
{
	if (n->type != DOC_SCALAR || doc_scalar_kind(n) != DSK_BOOL) {
		dec_error(d, &n->mark, "expected a boolean (true or false), got %s", doc_type_name(n));
		return;
	}
	*out = (struct vbool){ true, doc_scalar_bool(n), dec_mark(d, n) };
}

void dec_duration(struct dec *d, const struct doc_node *n, struct vint *out)
{
	char why[160];
	int64_t ns;

	if (!want_string(d, n))
		return;
	if (!duration_parse(n->scalar.text, n->scalar.len, &ns, why, sizeof(why))) {
		dec_error(d, &n->mark, "%s", why);
		return;
	}
	*out = (struct vint){ true, ns, dec_mark(d, n) };
}

void dec_strs(struct dec *d, const struct doc_node *n, struct vstrs *out)
{
	if (!dec_expect(d, n, DOC_SEQ))
		return;
	out->v = arena_calloc(d->a, n->seq.n, sizeof(*out->v));
	out->mark = dec_mark(d, n);
	for (size_t i = 0; i < n->seq.n; i++) {
		size_t saved = dec_enter_index(d, i);
		struct vstr s = { 0 };
		dec_str(d, n->seq.v[i], &s);
		if (s.s)
			out->v[out->n++] = s;
		dec_leave(d, saved);
	}
}

/*
 * No prefix: every key; else those with it, and with ovn (annotations)
 * Kube-OVN's (ovn_annotation_kept) and vipcast's link bandwidth opt-in too.
 */
/* As a prefix: no key has it (only the ovn ones are kept). */
static const char no_prefix[1];

static bool kept(const struct doc_node *key, const char *prefix, bool ovn)
{
	return !prefix || (prefix != no_prefix && strncmp(key->scalar.text, prefix, strlen(prefix)) == 0) ||
	       (ovn && (ovn_annotation_kept(key->scalar.text, key->scalar.len) ||
			(key->scalar.len == strlen(ANNOTATION_LINK_BW) &&
			 memcmp(key->scalar.text, ANNOTATION_LINK_BW, key->scalar.len) == 0)));
}

/* Keys nearly every Service or EndpointSlice carries: 100k objects point at one copy. */
static const char *const common_keys[] = {
	LABEL_SERVICE_NAME, "metallb.io/ip-allocated-from-pool", "metallb.io/address-pool", "metallb.io/loadBalancerIPs",
	"metallb.io/allow-shared-ip", "endpointslice.kubernetes.io/managed-by", "app.kubernetes.io/name",
	"app.kubernetes.io/instance", "app", OVN_ANNOTATION_BGP,
};

static const char *key_copy(struct dec *d, const struct doc_node *key)
{
	for (size_t i = 0; i < sizeof(common_keys) / sizeof(common_keys[0]); i++)
		if (strlen(common_keys[i]) == key->scalar.len && memcmp(common_keys[i], key->scalar.text, key->scalar.len) == 0)
			return common_keys[i];
	return arena_strndup(d->a, key->scalar.text, key->scalar.len);
}

static void labels_filtered(struct dec *d, const struct doc_node *n, struct labels *out, const char *prefix, bool ovn)
{
	if (!dec_expect(d, n, DOC_MAP))
		return;
	size_t keep = 0;
	for (size_t i = 0; i < n->map.n; i++)
		keep += kept(n->map.v[i].key, prefix, ovn);
	out->v = keep ? arena_calloc(d->a, keep, sizeof(*out->v)) : NULL;
	for (size_t i = 0; i < n->map.n; i++) {
		const struct doc_pair *p = &n->map.v[i];
		struct vstr v = { 0 };
		if (!kept(p->key, prefix, ovn))
			continue;
		size_t saved = dec_enter(d, p->key->scalar.text);
		if (p->value->type == DOC_NULL)
			v.s = "";
		else
			dec_str(d, p->value, &v);
		dec_leave(d, saved);
		if (v.s)
			out->v[out->n++] = (struct label){ key_copy(d, p->key), v.s };
	}
}

void dec_labels(struct dec *d, const struct doc_node *n, struct labels *out)
{
	labels_filtered(d, n, out, NULL, false);
}

static const struct {
	const char *name;
	enum sel_op op;
	bool node_term_only;
} sel_ops[] = {
	{ "In", SEL_IN, false },         { "NotIn", SEL_NOT_IN, false },
	{ "Exists", SEL_EXISTS, false }, { "DoesNotExist", SEL_DOES_NOT_EXIST, false },
	{ "Gt", SEL_GT, true },          { "Lt", SEL_LT, true },
};

static bool parse_sel_op(const struct vstr *s, bool node_term, enum sel_op *op)
{
	for (size_t i = 0; i < sizeof(sel_ops) / sizeof(sel_ops[0]); i++)
		if (strcmp(s->s, sel_ops[i].name) == 0 && (node_term || !sel_ops[i].node_term_only)) {
			*op = sel_ops[i].op;
			return true;
		}
	return false;
}

struct expr_raw {
	struct vstr key, op;
	struct vstrs values;
};

static const struct dec_field expr_fields[] = {
	{ "key", DT_STR, offsetof(struct expr_raw, key), 0, 0, NULL, NULL },
	{ "operator", DT_STR, offsetof(struct expr_raw, op), 0, 0, NULL, NULL },
	{ "values", DT_STRS, offsetof(struct expr_raw, values), 0, 0, NULL, NULL },
};
static const struct dec_table expr_table = DEC_TABLE(expr_fields, false);

static void check_expr_values(struct dec *d, const struct doc_node *n, const struct sel_req *r,
			      const struct vstrs *values)
{
	if ((r->op == SEL_IN || r->op == SEL_NOT_IN) && values->n == 0)
		dec_error(d, &n->mark, "operator %s needs at least one value", sel_op_name(r->op));
	else if ((r->op == SEL_EXISTS || r->op == SEL_DOES_NOT_EXIST) && values->n)
		dec_error(d, &values->mark, "operator %s takes no values", sel_op_name(r->op));
	else if ((r->op == SEL_GT || r->op == SEL_LT) && values->n != 1)
		dec_error(d, &n->mark, "operator %s needs exactly one integer value", sel_op_name(r->op));
}

static bool dec_expr(struct dec *d, const struct doc_node *n, bool node_term, struct sel_req *r)
{
	struct expr_raw raw = { 0 };
	unsigned before = d->errors;

	dec_map(d, n, &expr_table, &raw);
	if (d->errors != before)
		return false;
	if (!raw.key.s || !*raw.key.s) {
		dec_error(d, &n->mark, "key is required");
		return false;
	}
	if (!raw.op.s) {
		dec_error(d, &n->mark, "operator is required");
		return false;
	}
	if (!parse_sel_op(&raw.op, node_term, &r->op)) {
		size_t saved = dec_enter(d, "operator");
		dec_error(d, &raw.op.mark, "unknown operator \"%s\" (want In, NotIn, Exists or DoesNotExist%s)",
			  raw.op.s, node_term ? ", Gt or Lt" : "");
		dec_leave(d, saved);
		return false;
	}
	r->key = raw.key.s;
	r->values = arena_calloc(d->a, raw.values.n, sizeof(*r->values));
	r->nvalues = 0;  /* r may be the slot of a refused expression, which counted its values */
	for (size_t i = 0; i < raw.values.n; i++)
		r->values[r->nvalues++] = raw.values.v[i].s;
	check_expr_values(d, n, r, &raw.values);
	return d->errors == before;
}

static void add_match_labels(struct dec *d, const struct doc_node *v, struct selector *out,
			     size_t cap)
{
	struct labels l = { 0 };

	dec_labels(d, v, &l);
	for (size_t i = 0; i < l.n && out->n < cap; i++) {
		struct sel_req *r = &out->req[out->n++];
		r->key = l.v[i].key;
		r->op = SEL_IN;
		r->values = arena_alloc(d->a, sizeof(*r->values));
		r->values[0] = l.v[i].value;
		r->nvalues = 1;
	}
}

static void add_match_expressions(struct dec *d, const struct doc_node *v, bool node_term,
				  struct selector *out, size_t cap)
{
	if (!dec_expect(d, v, DOC_SEQ))
		return;
	for (size_t i = 0; i < v->seq.n && out->n < cap; i++) {
		size_t saved = dec_enter_index(d, i);
		if (dec_expect(d, v->seq.v[i], DOC_MAP) && dec_expr(d, v->seq.v[i], node_term, &out->req[out->n]))
			out->n++;
		dec_leave(d, saved);
	}
}

void dec_selector(struct dec *d, const struct doc_node *n, bool node_term, struct selector *out)
{
	const struct doc_node *ml = doc_map_get(n, "matchLabels");
	const struct doc_node *me = doc_map_get(n, "matchExpressions");
	size_t cap = 0;

	if (!dec_expect(d, n, DOC_MAP))
		return;
	cap += ml && ml->type == DOC_MAP ? ml->map.n : 0;
	cap += me && me->type == DOC_SEQ ? me->seq.n : 0;
	out->req = arena_calloc(d->a, cap, sizeof(*out->req));
	out->mark = dec_mark(d, n);
	for (size_t i = 0; i < n->map.n; i++) {
		const struct doc_pair *p = &n->map.v[i];
		if (p->value != ml && p->value != me) {
			if (!(node_term && doc_scalar_is(p->key, "matchFields")))
				dec_warn(d, &p->key->mark, "unknown field \"%s\"", p->key->scalar.text);
			continue;
		}
		size_t saved = dec_enter(d, p->key->scalar.text);
		if (p->value->type == DOC_NULL)
			;
		else if (p->value == ml)
			add_match_labels(d, ml, out, cap);
		else
			add_match_expressions(d, me, node_term, out, cap);
		dec_leave(d, saved);
	}
}

void dec_selectors(struct dec *d, const struct doc_node *n, struct selectors *out)
{
	if (!dec_expect(d, n, DOC_SEQ))
		return;
	out->v = arena_calloc(d->a, n->seq.n, sizeof(*out->v));
	out->mark = dec_mark(d, n);
	for (size_t i = 0; i < n->seq.n; i++) {
		size_t saved = dec_enter_index(d, i);
		if (n->seq.v[i]->type == DOC_NULL)  /* an empty selector: matches everything */
			out->v[out->n++].mark = dec_mark(d, n->seq.v[i]);
		else
			dec_selector(d, n->seq.v[i], false, &out->v[out->n++]);
		dec_leave(d, saved);
	}
}

void dec_ip(struct dec *d, const struct doc_node *n, struct vip *out)
{
	if (!want_string(d, n))
		return;
	if (n->scalar.len == 0)
		return;  /* Kubernetes treats "" as unset for IP fields */
	if (!ipaddr_parse(n->scalar.text, n->scalar.len, &out->a)) {
		dec_error(d, &n->mark, "invalid IP address \"%.*s\"", (int)n->scalar.len, n->scalar.text);
		return;
	}
	out->set = true;
	out->mark = dec_mark(d, n);
}

static const struct dec_field *find_field(const struct dec_table *t, const struct doc_node *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (doc_scalar_is(key, t->f[i].name))
			return &t->f[i];
	return NULL;
}

static void dec_field(struct dec *d, const struct dec_field *f, const struct doc_node *v, void *base)
{
	void *at = (char *)base + f->off;

	switch (f->type) {
	case DT_STR: dec_str(d, v, at); break;
	case DT_INT: dec_int(d, v, f->min, f->max, at); break;
	case DT_BOOL: dec_bool(d, v, at); break;
	case DT_DURATION: dec_duration(d, v, at); break;
	case DT_STRS: dec_strs(d, v, at); break;
	case DT_LABELS: labels_filtered(d, v, at, d->label_prefix, false); break;
	/* announcing reads Kube-OVN's annotations and the link bandwidth opt-in; the metallb.io/ ones are the allocator's */
	case DT_ANNOTATIONS: labels_filtered(d, v, at, d->lean ? no_prefix : NULL, true); break;
	case DT_SELECTOR: dec_selector(d, v, false, at); break;
	case DT_SELECTORS: dec_selectors(d, v, at); break;
	case DT_IP: dec_ip(d, v, at); break;
	case DT_MAP: dec_map(d, v, f->sub, at); break;
	case DT_FN: f->fn(d, v, base); break;
	case DT_IGNORE: break;
	}
}

void dec_map(struct dec *d, const struct doc_node *map, const struct dec_table *t, void *base)
{
	if (!dec_expect(d, map, DOC_MAP))
		return;
	for (size_t i = 0; i < map->map.n; i++) {
		const struct doc_pair *p = &map->map.v[i];
		const struct dec_field *f = find_field(t, p->key);
		if (!f) {
			if (!t->lenient)
				dec_warn(d, &p->key->mark, "unknown field \"%s\"", p->key->scalar.text);
			continue;
		}
		size_t saved = dec_enter(d, p->key->scalar.text);
		if (p->value->type != DOC_NULL)
			dec_field(d, f, p->value, base);
		dec_leave(d, saved);
	}
}
