/* Service (v1): the fields a load-balancer reads, and the LoadBalancer status it writes. */
#include <string.h>

#include "object.h"
#include "ovn.h"

struct name_value {
	const char *name;
	int value;
};

/* Maps a string field onto an enum (the string is not kept); reports the allowed names otherwise. */
static const struct name_value *dec_name(struct dec *d, const struct doc_node *v, const struct name_value *names,
					 size_t n)
{
	const char *text;
	size_t len;
	char allowed[160] = "";

	if (!dec_str_view(d, v, &text, &len))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (strlen(names[i].name) == len && memcmp(text, names[i].name, len) == 0)
			return &names[i];
		strncat(allowed, i ? ", " : "", sizeof(allowed) - strlen(allowed) - 1);
		strncat(allowed, names[i].name, sizeof(allowed) - strlen(allowed) - 1);
	}
	dec_error(d, &v->mark, "unknown value \"%.*s\" (want one of %s)", (int)len, text, allowed);
	return NULL;
}

static bool dec_enum(struct dec *d, const struct doc_node *v, const struct name_value *names, size_t n, int *out)
{
	const struct name_value *nv = dec_name(d, v, names, n);
	if (nv)
		*out = nv->value;
	return nv != NULL;
}

static const struct name_value families[] = { { "IPv4", IPF_V4 }, { "IPv6", IPF_V6 } };
static const struct name_value policies[] = { { "SingleStack", SINGLE_STACK },
					      { "PreferDualStack", PREFER_DUAL_STACK },
					      { "RequireDualStack", REQUIRE_DUAL_STACK } };
static const struct name_value traffic[] = { { "Cluster", TRAFFIC_CLUSTER }, { "Local", TRAFFIC_LOCAL } };
static const struct name_value protocols[] = { { "TCP", PROTO_TCP }, { "UDP", PROTO_UDP }, { "SCTP", PROTO_SCTP } };
static const struct name_value types[] = { { "ClusterIP", 0 }, { "NodePort", 0 }, { "LoadBalancer", 0 },
					   { "ExternalName", 0 } };
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* What the field tables fill: the spec goes into the object only when it is not lean. */
struct service_raw {
	const struct object *o;  /* its metadata, read first */
	struct service svc;
	struct vstr lb_class;
	struct service_spec spec;
};

static void dec_families(struct dec *d, const struct doc_node *v, void *base)
{
	struct service_spec *s = &((struct service_raw *)base)->spec;

	if (!dec_expect(d, v, DOC_SEQ))
		return;
	s->families_mark = dec_mark(d, v);
	if (v->seq.n > 2) {
		dec_error(d, &v->mark, "at most two families may be listed");
		return;
	}
	for (size_t i = 0; i < v->seq.n; i++) {
		size_t saved = dec_enter_index(d, i);
		int f;
		if (dec_enum(d, v->seq.v[i], families, COUNT(families), &f)) {
			if (s->nfamilies && s->families[0] == f)
				dec_error(d, &v->seq.v[i]->mark, "family listed twice");
			else
				s->families[s->nfamilies++] = (uint8_t)f;
		}
		dec_leave(d, saved);
	}
}

static void dec_policy(struct dec *d, const struct doc_node *v, void *base)
{
	int p;

	if (dec_enum(d, v, policies, COUNT(policies), &p))
		((struct service_raw *)base)->spec.family_policy = (enum ip_family_policy)p;
}

static void dec_traffic(struct dec *d, const struct doc_node *v, void *base)
{
	int t;

	if (dec_enum(d, v, traffic, COUNT(traffic), &t))
		((struct service_raw *)base)->svc.traffic_policy = (uint8_t)t;
}

struct port_raw {
	struct vstr name, protocol;
	struct vint port, node_port;
};

static const struct dec_field port_fields[] = {
	{ "name", DT_STR, offsetof(struct port_raw, name), 0, 0, NULL, NULL },
	{ "protocol", DT_STR, offsetof(struct port_raw, protocol), 0, 0, NULL, NULL },
	{ "port", DT_INT, offsetof(struct port_raw, port), 1, 65535, NULL, NULL },
	{ "nodePort", DT_INT, offsetof(struct port_raw, node_port), 0, 65535, NULL, NULL },
	{ "targetPort", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "appProtocol", DT_IGNORE, 0, 0, 0, NULL, NULL },
};
static const struct dec_table port_table = DEC_TABLE(port_fields, false);

static bool dec_port(struct dec *d, const struct doc_node *item, struct service_port *out)
{
	struct port_raw raw = { 0 };
	unsigned before = d->errors;
	int proto = PROTO_TCP;

	dec_map(d, item, &port_table, &raw);
	if (raw.protocol.s) {
		size_t saved = dec_enter(d, "protocol");
		dec_enum(d, doc_map_get(item, "protocol"), protocols, COUNT(protocols), &proto);
		dec_leave(d, saved);
	}
	if (d->errors == before && !raw.port.set)
		dec_error(d, &item->mark, "port is required");
	if (d->errors != before)
		return false;
	*out = (struct service_port){ raw.name.s, (enum l4_proto)proto, raw.port.v, raw.node_port.v,
				      dec_mark(d, item) };
	return true;
}

/* The Pods a Service selects: the allocator's sharing rule compares them; announcing never does. */
static void dec_pod_selector(struct dec *d, const struct doc_node *v, void *base)
{
	if (!d->lean)
		dec_labels(d, v, &((struct service_raw *)base)->spec.selector);
}

static void dec_ports(struct dec *d, const struct doc_node *v, void *base)
{
	struct service_spec *s = &((struct service_raw *)base)->spec;

	if (d->lean || !dec_expect(d, v, DOC_SEQ))  /* ports matter to sharing, decided by the allocator */
		return;
	s->ports = arena_calloc(d->a, v->seq.n, sizeof(*s->ports));
	for (size_t i = 0; i < v->seq.n; i++) {
		size_t saved = dec_enter_index(d, i);
		if (dec_port(d, v->seq.v[i], &s->ports[s->nports]))
			s->nports++;
		dec_leave(d, saved);
	}
}

/*
 * spec.clusterIPs, or spec.clusterIP when only that is written: what
 * --announce-cluster-ip announces (plan_ovn.h). "None" (headless) and ""
 * give none; an address that does not parse is left out with a warning,
 * as vipcast never needed these to serve LoadBalancers.
 */
static void add_cluster_ip(struct dec *d, const struct doc_node *v, struct service_raw *raw)
{
	const char *ip;
	size_t len;
	const struct object *o = raw->o;
	struct service *s = &raw->svc;

	if (!dec_str_view(d, v, &ip, &len) || !len || (len == 4 && memcmp(ip, "None", 4) == 0))
		return;
	/* Announcing reads them only of Services Kube-OVN's annotation names (metadata is read first). */
	if (d->lean && !labels_get(&o->meta.annotations, OVN_ANNOTATION_BGP))
		return;
	if (!s->cluster_ips)  /* only Services that have one pay for it */
		s->cluster_ips = arena_calloc(d->a, 2, sizeof(*s->cluster_ips));
	if (s->ncluster_ips == 2)
		dec_warn(d, &v->mark, "more than two cluster IPs: \"%.*s\" left out", (int)len, ip);
	else if (!ipaddr_parse(ip, len, &s->cluster_ips[s->ncluster_ips]))
		dec_warn(d, &v->mark, "\"%.*s\" is not an IP address: left out", (int)len, ip);
	else
		s->ncluster_ips++;
}

static void dec_cluster_ip(struct dec *d, const struct doc_node *v, void *base)
{
	struct service_raw *raw = base;

	if (!raw->svc.ncluster_ips)  /* clusterIPs, when written, holds it first */
		add_cluster_ip(d, v, raw);
}

static void dec_cluster_ips(struct dec *d, const struct doc_node *v, void *base)
{
	struct service_raw *raw = base;

	if (v->type == DOC_NULL || !dec_expect(d, v, DOC_SEQ))
		return;
	raw->svc.ncluster_ips = 0;
	for (size_t i = 0; i < v->seq.n; i++) {
		size_t saved = dec_enter_index(d, i);
		add_cluster_ip(d, v->seq.v[i], raw);
		dec_leave(d, saved);
	}
}

/* The type's name is one of the table's: 100k Services hold no copy of "LoadBalancer". */
static void dec_type(struct dec *d, const struct doc_node *v, void *base)
{
	struct service *s = &((struct service_raw *)base)->svc;
	const struct name_value *nv = dec_name(d, v, types, COUNT(types));
	if (nv)
		s->type = nv->name;
}

static const struct dec_field spec_fields[] = {
	{ "type", DT_FN, 0, 0, 0, dec_type, NULL },
	{ "loadBalancerIP", DT_IP, offsetof(struct service_raw, spec.load_balancer_ip), 0, 0, NULL, NULL },
	{ "loadBalancerClass", DT_STR, offsetof(struct service_raw, lb_class), 0, 0, NULL, NULL },
	{ "ipFamilies", DT_FN, 0, 0, 0, dec_families, NULL },
	{ "ipFamilyPolicy", DT_FN, 0, 0, 0, dec_policy, NULL },
	{ "externalTrafficPolicy", DT_FN, 0, 0, 0, dec_traffic, NULL },
	{ "ports", DT_FN, 0, 0, 0, dec_ports, NULL },
	{ "selector", DT_FN, 0, 0, 0, dec_pod_selector, NULL },
	{ "clusterIP", DT_FN, 0, 0, 0, dec_cluster_ip, NULL },
	{ "clusterIPs", DT_FN, 0, 0, 0, dec_cluster_ips, NULL },
	{ "externalIPs", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "externalName", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "sessionAffinity", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "sessionAffinityConfig", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "loadBalancerSourceRanges", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "healthCheckNodePort", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "publishNotReadyAddresses", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "allocateLoadBalancerNodePorts", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "internalTrafficPolicy", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "trafficDistribution", DT_IGNORE, 0, 0, 0, NULL, NULL },
	{ "topologyKeys", DT_IGNORE, 0, 0, 0, NULL, NULL },
};
static const struct dec_table spec_table = DEC_TABLE(spec_fields, false);

/* status.loadBalancer.ingress[].ip; hostnames and ports are not vipcast's. */
static void dec_ingress(struct dec *d, const struct doc_node *v, struct service *s)
{
	if (!dec_expect(d, v, DOC_SEQ))
		return;
	if (v->seq.n > UINT16_MAX) {
		dec_error(d, &v->mark, "%zu addresses: at most %u", v->seq.n, (unsigned)UINT16_MAX);
		return;
	}
	s->ingress = arena_calloc(d->a, v->seq.n, sizeof(*s->ingress));
	for (size_t i = 0; i < v->seq.n; i++) {
		size_t saved = dec_enter_index(d, i);
		const struct doc_node *ip = doc_map_get(v->seq.v[i], "ip");
		if (dec_expect(d, v->seq.v[i], DOC_MAP) && ip && ip->type != DOC_NULL) {
			size_t s2 = dec_enter(d, "ip");
			struct vip got = { 0 };
			dec_ip(d, ip, &got);
			if (got.set)
				s->ingress[s->ningress++] = got.a;
			dec_leave(d, s2);
		}
		dec_leave(d, saved);
	}
}

static void dec_status(struct dec *d, const struct doc_node *v, void *base)
{
	const struct doc_node *lb = doc_map_get(v, "loadBalancer");
	const struct doc_node *ing = doc_map_get(lb, "ingress");

	if (!dec_expect(d, v, DOC_MAP) || !ing || ing->type == DOC_NULL)
		return;
	size_t saved = dec_enter(d, "loadBalancer.ingress");
	dec_ingress(d, ing, &((struct service_raw *)base)->svc);
	dec_leave(d, saved);
}

static const struct dec_field root_fields[] = {
	ROOT_COMMON_FIELDS,
	{ "spec", DT_MAP, 0, 0, 0, NULL, &spec_table },
	{ "status", DT_FN, 0, 0, 0, dec_status, NULL },
};
static const struct dec_table root_table = DEC_TABLE(root_fields, false);

void decode_service(struct dec *d, const struct doc_node *root, struct object *o)
{
	struct service_raw raw = { .o = o };

	dec_map(d, root, &root_table, &raw);
	if (!raw.svc.type)
		raw.svc.type = "ClusterIP";
	raw.svc.load_balancer_class = raw.lb_class.s;
	if (raw.spec.family_policy == SINGLE_STACK && raw.spec.nfamilies > 1)
		dec_error(d, &raw.spec.families_mark, "ipFamilyPolicy SingleStack allows one family, two are listed");
	o->svc = raw.svc;
	if (!d->lean) {
		struct service_spec *spec = arena_alloc(d->a, sizeof(*spec));
		*spec = raw.spec;
		o->svc.spec = spec;
	}
	const char *why;
	ovn_policy_parse(labels_get(&o->meta.annotations, OVN_ANNOTATION_BGP), &why);
	if (why)
		dec_warn(d, &o->meta.mark, "annotation " OVN_ANNOTATION_BGP ": %s", why);
}
