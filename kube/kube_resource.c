#include "kube_resource.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

static const struct kube_resource resources[KIND_COUNT] = {
	[KIND_IPADDRESSPOOL] = { KIND_IPADDRESSPOOL, "metallb.io", "v1beta1", "ipaddresspools", "IPAddressPool",
				 "metallb.io/v1beta1", true },
	[KIND_L2ADVERTISEMENT] = { KIND_L2ADVERTISEMENT, "metallb.io", "v1beta1", "l2advertisements",
				   "L2Advertisement", "metallb.io/v1beta1", true },
	[KIND_BGPADVERTISEMENT] = { KIND_BGPADVERTISEMENT, "metallb.io", "v1beta1", "bgpadvertisements",
				    "BGPAdvertisement", "metallb.io/v1beta1", true },
	[KIND_BGPPEER] = { KIND_BGPPEER, "metallb.io", "v1beta2", "bgppeers", "BGPPeer", "metallb.io/v1beta2", true },
	[KIND_BFDPROFILE] = { KIND_BFDPROFILE, "metallb.io", "v1beta1", "bfdprofiles", "BFDProfile",
			      "metallb.io/v1beta1", true },
	[KIND_COMMUNITY] = { KIND_COMMUNITY, "metallb.io", "v1beta1", "communities", "Community", "metallb.io/v1beta1",
			     true },
	[KIND_SECRET] = { KIND_SECRET, "", "v1", "secrets", "Secret", "v1", true },
	[KIND_SERVICE] = { KIND_SERVICE, "", "v1", "services", "Service", "v1", true },
	[KIND_NODE] = { KIND_NODE, "", "v1", "nodes", "Node", "v1", false },
	[KIND_NAMESPACE] = { KIND_NAMESPACE, "", "v1", "namespaces", "Namespace", "v1", false },
	[KIND_ENDPOINTSLICE] = { KIND_ENDPOINTSLICE, "discovery.k8s.io", "v1", "endpointslices", "EndpointSlice",
				 "discovery.k8s.io/v1", true },
	[KIND_SUBNET] = { KIND_SUBNET, "kubeovn.io", "v1", "subnets", "Subnet", "kubeovn.io/v1", false },
	[KIND_POD] = { KIND_POD, "", "v1", "pods", "Pod", "v1", true },
};

const struct kube_resource kube_res_event = { KIND_COUNT, "", "v1", "events", "Event", "v1", true };
const struct kube_resource kube_res_lease = { KIND_COUNT, "coordination.k8s.io", "v1", "leases", "Lease",
					      "coordination.k8s.io/v1", true };
const struct kube_resource kube_res_crd = { KIND_COUNT, "apiextensions.k8s.io", "v1", "customresourcedefinitions",
					    "CustomResourceDefinition", "apiextensions.k8s.io/v1", false };

const struct kube_resource *kube_resource_of(enum kind k)
{
	return k < KIND_COUNT ? &resources[k] : NULL;
}

/* Object names (RFC 1123 subdomains, Event names, generated names) need no escaping. */
static bool path_safe(const char *s)
{
	if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '.' || *p == '_' || *p == ':'))
			return false;
	return true;
}

bool kube_path(char *buf, size_t len, const struct kube_resource *r, const char *ns, const char *name,
	       const char *sub, const char *query)
{
	size_t off = 0;
	int n;

#define PUT(...)                                                         \
	do {                                                             \
		n = snprintf(buf + off, len - off, __VA_ARGS__);         \
		if (n < 0 || (size_t)n >= len - off)                     \
			return false;                                    \
		off += (size_t)n;                                        \
	} while (0)

	if (!len)
		return false;
	if (*r->group)
		PUT("/apis/%s/%s", r->group, r->version);
	else
		PUT("/api/%s", r->version);
	if (ns && *ns && r->namespaced) {
		if (!path_safe(ns))
			return false;
		PUT("/namespaces/%s", ns);
	}
	PUT("/%s", r->plural);
	if (name) {
		if (!path_safe(name))
			return false;
		PUT("/%s", name);
	}
	if (sub)
		PUT("/%s", sub);
	if (query && *query)
		PUT("?%s", query);
#undef PUT
	return true;
}

struct kube_discovery {
	struct kube_req *req;
	char *group, *version;
	void (*cb)(void *arg, enum kube_api_state s);
	void *arg;
};

static bool serves_version(const char *body, size_t len, const char *version)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	const json_t *v = json_object_get(root, "versions"), *e;
	size_t i;
	bool found = false;

	json_array_foreach(v, i, e) {
		const json_t *s = json_object_get(e, "version");
		if (json_is_string(s) && strcmp(json_string_value(s), version) == 0)
			found = true;
	}
	json_decref(root);
	return found;
}

static void discovered(void *arg, const struct kube_resp *r)
{
	struct kube_discovery *d = arg;
	enum kube_api_state s = KUBE_API_UNKNOWN;

	d->req = NULL;
	if (r->status == 404)
		s = KUBE_API_ABSENT;
	else if (r->status == 200)
		s = serves_version(r->body, r->len, d->version) ? KUBE_API_PRESENT : KUBE_API_ABSENT;
	else
		log_warn("kube", "discovery of %s/%s: %s", d->group, d->version,
			 r->error ? r->error : "unexpected HTTP status");
	log_debug("kube", "discovery: %s/%s %s (HTTP %ld)", d->group, d->version,
		  s == KUBE_API_PRESENT ? "served" : s == KUBE_API_ABSENT ? "not served" : "unknown", r->status);
	void (*cb)(void *arg, enum kube_api_state s) = d->cb;
	void *cb_arg = d->arg;
	kube_discover_cancel(d);
	cb(cb_arg, s);
}

void kube_discover_cancel(struct kube_discovery *d)
{
	if (!d)
		return;
	kube_http_cancel(d->req);
	free(d->group);
	free(d->version);
	free(d);
}

struct kube_discovery *kube_discover(struct kube_http *h, const char *group, const char *version,
				     void (*cb)(void *arg, enum kube_api_state s), void *arg)
{
	char path[256];
	struct kube_discovery *d = xcalloc(1, sizeof(*d));

	snprintf(path, sizeof(path), "/apis/%s", group);
	d->group = xstrdup(group);
	d->version = xstrdup(version);
	d->cb = cb;
	d->arg = arg;
	d->req = kube_http_request(h, "GET", path, NULL, 0, NULL, discovered, d);
	return d;
}
