#include "service_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* metallb.io/NAME, else metallb.universe.tf/NAME. */
static const char *svc_annotation(const struct object *svc, const char *name)
{
	char key[64];

	snprintf(key, sizeof(key), "metallb.io/%s", name);
	const char *v = labels_get(&svc->meta.annotations, key);
	if (v)
		return v;
	snprintf(key, sizeof(key), "metallb.universe.tf/%s", name);
	return labels_get(&svc->meta.annotations, key);
}

bool svc_is_ours(const struct object *svc, const char *lb_class)
{
	const struct service *s = &svc->svc;

	if (strcmp(s->type, "LoadBalancer") != 0)
		return false;
	if (!s->load_balancer_class)
		return lb_class == NULL;
	return lb_class && strcmp(s->load_balancer_class, lb_class) == 0;
}

static bool add_wanted(struct svc_request *r, const struct ipaddr *ip)
{
	for (size_t i = 0; i < r->nwant; i++)
		if (r->want[i].family == ip->family) {
			snprintf(r->error, sizeof(r->error), "more than one %s address requested",
				 ip->family == IPF_V4 ? "IPv4" : "IPv6");
			return false;
		}
	r->want[r->nwant++] = *ip;
	return true;
}

/* "192.0.2.10, 2001:db8::10" */
static bool parse_wanted(struct svc_request *r, const char *list)
{
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		const char *s = p, *e = p + len;
		struct ipaddr ip;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (!ipaddr_parse(s, (size_t)(e - s), &ip)) {
			snprintf(r->error, sizeof(r->error), "invalid IP \"%.*s\" in metallb.io/%s", (int)(e - s), s,
				 ANN_LOADBALANCER_IPS);
			return false;
		}
		if (!add_wanted(r, &ip))
			return false;
		p += len + (p[len] == ',');
	}
	return true;
}

static bool read_wanted(const struct object *svc, struct svc_request *r)
{
	const char *ann = svc_annotation(svc, ANN_LOADBALANCER_IPS);
	const struct vip *lbip = &svc_spec(&svc->svc)->load_balancer_ip;

	if (ann && lbip->set) {
		snprintf(r->error, sizeof(r->error), "spec.loadBalancerIP and the metallb.io/%s annotation are both set",
			 ANN_LOADBALANCER_IPS);
		return false;
	}
	if (lbip->set)
		return add_wanted(r, &lbip->a);
	return ann ? parse_wanted(r, ann) : true;
}

static void read_families(const struct service_spec *s, struct svc_request *r)
{
	r->policy = s->family_policy == FAMILY_POLICY_UNSET ? SINGLE_STACK : s->family_policy;
	r->nfamilies = 0;
	for (size_t i = 0; i < s->nfamilies; i++)
		r->families[r->nfamilies++] = s->families[i];
	for (size_t i = 0; i < r->nwant && r->nfamilies < 2; i++)
		if (r->nfamilies == 0 || r->families[0] != r->want[i].family)
			r->families[r->nfamilies++] = r->want[i].family;
	if (r->nfamilies == 0)
		r->families[r->nfamilies++] = IPF_V4;  /* the API server would default to the cluster's family */
	if (r->policy == SINGLE_STACK)
		r->nfamilies = 1;
	else if (r->nfamilies == 1)
		r->families[r->nfamilies++] = r->families[0] == IPF_V4 ? IPF_V6 : IPF_V4;
}

static bool check_wanted_families(struct svc_request *r)
{
	char buf[IPADDR_STRLEN];

	for (size_t i = 0; i < r->nwant; i++) {
		bool fits = false;
		for (size_t f = 0; f < r->nfamilies; f++)
			fits |= r->families[f] == r->want[i].family;
		if (!fits) {
			ipaddr_format(&r->want[i], buf);
			snprintf(r->error, sizeof(r->error), "requested IP %s is %s, but the Service is single-stack %s",
				 buf, r->want[i].family == IPF_V4 ? "IPv4" : "IPv6",
				 r->families[0] == IPF_V4 ? "IPv4" : "IPv6");
			return false;
		}
	}
	return true;
}

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct label *)a)->key, ((const struct label *)b)->key);
}

/* As Kubernetes prints a label set: keys sorted, "k=v" joined by commas. */
static char *selector_key(const struct labels *sel)
{
	struct label *v = xcalloc(sel->n, sizeof(*v));
	size_t len = 1;

	if (sel->n) {
		memcpy(v, sel->v, sel->n * sizeof(*v));
		qsort(v, sel->n, sizeof(*v), label_cmp);
	}
	for (size_t i = 0; i < sel->n; i++)
		len += strlen(v[i].key) + strlen(v[i].value) + 2;
	char *out = xmalloc(len), *p = out;
	*p = 0;
	for (size_t i = 0; i < sel->n; i++)
		p += sprintf(p, "%s%s=%s", i ? "," : "", v[i].key, v[i].value);
	free(v);
	return out;
}

void svc_request_read(const struct object *svc, const char *lb_class, struct svc_request *r)
{
	const struct service *s = &svc->svc;

	memset(r, 0, sizeof(*r));
	r->ours = svc_is_ours(svc, lb_class);
	r->pool = svc_annotation(svc, ANN_ADDRESS_POOL);
	r->sharing_key = svc_annotation(svc, ANN_ALLOW_SHARED_IP);
	if (r->sharing_key && !*r->sharing_key)
		r->sharing_key = NULL;
	const struct service_spec *spec = svc_spec(s);
	r->ports = spec->ports;
	r->nports = spec->nports;
	if (s->traffic_policy == TRAFFIC_LOCAL)
		r->backend_key = selector_key(&spec->selector);
	if (!read_wanted(svc, r))
		return;
	read_families(spec, r);
	if (r->nwant > r->nfamilies) {
		snprintf(r->error, sizeof(r->error), "%zu IPs requested for a single-stack Service", r->nwant);
		return;
	}
	check_wanted_families(r);
}

void svc_request_free(struct svc_request *r)
{
	free(r->backend_key);
	r->backend_key = NULL;
}
