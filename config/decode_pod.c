/*
 * Pod (v1), for announcing Pod addresses as kube-ovn-speaker does: where it
 * runs, whether it is done for good, its addresses (status.podIPs) and
 * Kube-OVN's per-provider address annotations. The rest of a Pod passes
 * silently. An address that does not parse is left out with a warning: a
 * Pod written by Kube-OVN never refuses a configuration over one annotation.
 */
#include <string.h>

#include "object.h"
#include "ovn.h"

struct pod_raw {
	struct vstr node_name, restart_policy, phase, reason;
	struct vbool host_network;
	struct pod *pod;
};

static void dec_pod_ips(struct dec *d, const struct doc_node *v, void *base)
{
	struct pod *p = ((struct pod_raw *)base)->pod;

	if (v->type == DOC_NULL || !dec_expect(d, v, DOC_SEQ))
		return;
	p->ips = arena_calloc(d->a, v->seq.n + 1, sizeof(*p->ips));
	for (size_t i = 0; i < v->seq.n; i++) {
		size_t saved = dec_enter_index(d, i);
		struct vstr ip = { 0 };
		const struct doc_node *item = v->seq.v[i];
		if (dec_expect(d, item, DOC_MAP) && doc_map_get(item, "ip")) {
			dec_str(d, doc_map_get(item, "ip"), &ip);
			if (ip.s && !ipaddr_parse(ip.s, strlen(ip.s), &p->ips[p->nips]))
				dec_warn(d, &ip.mark, "\"%s\" is not an IP address: left out", ip.s);
			else if (ip.s)
				p->nips++;
		}
		dec_leave(d, saved);
	}
}

static const struct dec_field spec_fields[] = {
	{ "nodeName", DT_STR, offsetof(struct pod_raw, node_name), 0, 0, NULL, NULL },
	{ "hostNetwork", DT_BOOL, offsetof(struct pod_raw, host_network), 0, 0, NULL, NULL },
	{ "restartPolicy", DT_STR, offsetof(struct pod_raw, restart_policy), 0, 0, NULL, NULL },
};
static const struct dec_table spec_table = DEC_TABLE(spec_fields, true);

static const struct dec_field status_fields[] = {
	{ "phase", DT_STR, offsetof(struct pod_raw, phase), 0, 0, NULL, NULL },
	{ "reason", DT_STR, offsetof(struct pod_raw, reason), 0, 0, NULL, NULL },
	{ "podIPs", DT_FN, 0, 0, 0, dec_pod_ips, NULL },
};
static const struct dec_table status_table = DEC_TABLE(status_fields, true);

static const struct dec_field root_fields[] = {
	ROOT_COMMON_FIELDS,
	{ "spec", DT_MAP, 0, 0, 0, NULL, &spec_table },
	{ "status", DT_MAP, 0, 0, 0, NULL, &status_table },
};
static const struct dec_table root_table = DEC_TABLE(root_fields, false);

static bool eq(const struct vstr *v, const char *s)
{
	return v->s && strcmp(v->s, s) == 0;
}

/* Kube-OVN's isPodAlive(), negated: Succeeded not to be restarted, Failed for good, or evicted. */
static bool finished(const struct pod_raw *r)
{
	bool always = !r->restart_policy.s || eq(&r->restart_policy, "Always");
	return (eq(&r->phase, "Succeeded") && !always) || (eq(&r->phase, "Failed") && eq(&r->restart_policy, "Never")) ||
	       (eq(&r->phase, "Failed") && eq(&r->reason, "Evicted"));
}

static void add_attachment(struct dec *d, struct object *o, const struct label *l, size_t plen)
{
	struct pod *p = &o->pod;
	char *provider = arena_strndup(d->a, l->key, plen);
	const char *ls = labels_get(&o->meta.annotations,
				    arena_printf(d->a, "%s%s", provider, OVN_LOGICAL_SWITCH_SUFFIX));
	if (!*l->value || !ls || !*ls)
		return;
	struct pod_attachment *a = &p->att[p->natt];
	*a = (struct pod_attachment){ .provider = provider, .subnet = ls };
	for (const char *s = l->value; *s;) {
		size_t len = strcspn(s, ",");
		const char *t = s;
		size_t tl = len;
		while (tl && *t == ' ')
			t++, tl--;
		while (tl && t[tl - 1] == ' ')
			tl--;
		if (a->nips == 2)
			dec_warn(d, &o->meta.mark, "annotation %s: more than two addresses, \"%.*s\" left out", l->key,
				 (int)tl, t);
		else if (!ipaddr_parse(t, tl, &a->ips[a->nips]))
			dec_warn(d, &o->meta.mark, "annotation %s: \"%.*s\" is not an IP address: left out", l->key,
				 (int)tl, t);
		else
			a->nips++;
		s += len + (s[len] == ',');
	}
	if (a->nips)
		p->natt++;
}

static void read_annotations(struct dec *d, struct object *o)
{
	const struct labels *an = &o->meta.annotations;
	size_t slen = strlen(OVN_IP_ADDRESS_SUFFIX);
	const char *why;

	o->pod.att = arena_calloc(d->a, an->n + 1, sizeof(*o->pod.att));
	for (size_t i = 0; i < an->n; i++) {
		size_t klen = strlen(an->v[i].key);
		if (klen > slen && strcmp(an->v[i].key + klen - slen, OVN_IP_ADDRESS_SUFFIX) == 0)
			add_attachment(d, o, &an->v[i], klen - slen);
	}
	ovn_policy_parse(labels_get(an, OVN_ANNOTATION_BGP), &why);
	if (why)
		dec_warn(d, &o->meta.mark, "annotation " OVN_ANNOTATION_BGP ": %s", why);
}

void decode_pod(struct dec *d, const struct doc_node *root, struct object *o)
{
	struct pod_raw raw = { .pod = &o->pod };
	unsigned before = d->errors;

	dec_map(d, root, &root_table, &raw);
	if (d->errors != before)
		return;
	o->pod.node_name = raw.node_name.s;
	o->pod.host_network = raw.host_network.v;
	o->pod.finished = finished(&raw);
	read_annotations(d, o);
}
