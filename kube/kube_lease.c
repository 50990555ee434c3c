#include "kube_lease.h"

#include <string.h>

#include "kube_resource.h"
#include "kube_stream.h"
#include "log.h"
#include "xalloc.h"

static struct kube_call *bad_path(const char *ns, const char *name)
{
	log_error("kube", "Lease %s/%s: not a name a path can hold", ns ? ns : "", name ? name : "");
	return NULL;
}

struct kube_call *kube_lease_get(struct kube_http *h, const char *ns, const char *name, kube_json_fn fn, void *arg)
{
	char path[512];

	if (!kube_path(path, sizeof(path), &kube_res_lease, ns, name, NULL, NULL))
		return bad_path(ns, name);
	return kube_json_request(h, "GET", path, NULL, NULL, fn, arg);
}

struct kube_call *kube_lease_create(struct kube_http *h, const json_t *lease, kube_json_fn fn, void *arg)
{
	const char *ns, *name;
	char path[512];

	kube_object_meta(lease, NULL, NULL, &ns, &name);
	if (!ns || !kube_path(path, sizeof(path), &kube_res_lease, ns, NULL, NULL, NULL))
		return bad_path(ns, name);
	return kube_json_request(h, "POST", path, lease, KUBE_CT_JSON, fn, arg);
}

struct kube_call *kube_lease_update(struct kube_http *h, const json_t *lease, kube_json_fn fn, void *arg)
{
	const char *ns, *name;
	char path[512];

	kube_object_meta(lease, NULL, NULL, &ns, &name);
	if (!ns || !name || !kube_path(path, sizeof(path), &kube_res_lease, ns, name, NULL, NULL))
		return bad_path(ns, name);
	return kube_json_request(h, "PUT", path, lease, KUBE_CT_JSON, fn, arg);
}

json_t *kube_lease_build(const char *ns, const char *name, const char *holder, unsigned duration_s,
			 const json_t *from)
{
	json_t *l = from ? json_deep_copy(from) : json_object();
	char now[40];

	if (!l)
		xalloc_die("kube_lease_build");
	kube_timestamp(now, 1);
	json_object_set_new(l, "apiVersion", json_string(kube_res_lease.api_version));
	json_object_set_new(l, "kind", json_string("Lease"));
	json_t *md = kube_json_object_at(l, "metadata");
	json_object_set_new(md, "namespace", json_string(ns));
	json_object_set_new(md, "name", json_string(name));
	json_object_del(md, "managedFields");
	json_t *spec = kube_json_object_at(l, "spec");
	const json_t *was = json_object_get(spec, "holderIdentity");
	bool same = json_is_string(was) && strcmp(json_string_value(was), holder) == 0;
	if (!same) {
		json_t *tr = json_object_get(spec, "leaseTransitions");
		json_int_t n = json_is_integer(tr) ? json_integer_value(tr) : 0;
		json_object_set_new(spec, "leaseTransitions", json_integer(from && was && json_is_string(was) ? n + 1 : n));
		json_object_set_new(spec, "acquireTime", json_string(now));
	}
	json_object_set_new(spec, "holderIdentity", json_string(holder));
	json_object_set_new(spec, "leaseDurationSeconds", json_integer(duration_s));
	json_object_set_new(spec, "renewTime", json_string(now));
	return l;
}
