/*
 * The API server's JSON and a user's YAML go through the same decoders: the
 * same object gives the same model, and the same mistake the same message
 * and field path (JSON has no lines, so its diagnostics carry none).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "doc.h"
#include "duration.h"
#include "object.h"
#include "testutil.h"

static const char pool_yaml[] =
	"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p, namespace: lb, labels: {a: b}}\n"
	"spec:\n  addresses: [192.0.2.0/25, 2001:db8::1-2001:db8::ff]\n  autoAssign: false\n"
	"  serviceAllocation: {priority: 5, namespaces: [x]}\n";
static const char pool_json[] =
	"{\"apiVersion\":\"metallb.io/v1beta1\",\"kind\":\"IPAddressPool\","
	"\"metadata\":{\"name\":\"p\",\"namespace\":\"lb\",\"labels\":{\"a\":\"b\"},\"resourceVersion\":\"7\"},"
	"\"spec\":{\"addresses\":[\"192.0.2.0/25\",\"2001:db8::1-2001:db8::ff\"],\"autoAssign\":false,"
	"\"serviceAllocation\":{\"priority\":5,\"namespaces\":[\"x\"]}}}";

static struct config *load_json(const char *json, struct diags *d)
{
	struct config *c = config_new();
	diags_init(d);
	if (!config_load_json(c, "apiserver", json, strlen(json), d, NULL) || !config_validate(c, d)) {
		config_free(c);
		return NULL;
	}
	return c;
}

static void test_same_pool(void **state)
{
	(void)state;
	struct config *cy, *cj;
	struct diags dy, dj;

	assert_true(load_text(pool_yaml, &cy, &dy));
	cj = load_json(pool_json, &dj);
	assert_non_null(cj);
	const struct object *y = config_find(cy, KIND_IPADDRESSPOOL, "lb", "p");
	const struct object *j = config_find(cj, KIND_IPADDRESSPOOL, "lb", "p");
	assert_non_null(y);
	assert_non_null(j);
	assert_int_equal(y->pool.naddrs, j->pool.naddrs);
	for (size_t i = 0; i < y->pool.naddrs; i++)
		assert_true(iprange_same(&y->pool.addrs[i].r, &j->pool.addrs[i].r));
	assert_int_equal(y->pool.auto_assign.v, j->pool.auto_assign.v);
	assert_int_equal(y->pool.alloc.priority.v, j->pool.alloc.priority.v);
	assert_string_equal(labels_get(&j->meta.labels, "a"), "b");
	assert_int_equal(j->pool.addrs[0].mark.line, 0);
	assert_string_equal(j->pool.addrs[0].mark.file, "apiserver");
	config_free(cy);
	config_free(cj);
	diags_free(&dy);
	diags_free(&dj);
}

static void test_list_items_without_kind(void **state)
{
	(void)state;
	struct diags d;
	struct config *c = load_json(
		"{\"apiVersion\":\"metallb.io/v1beta2\",\"kind\":\"BGPPeerList\",\"metadata\":{},\"items\":["
		"{\"metadata\":{\"name\":\"r\",\"namespace\":\"lb\"},"
		"\"spec\":{\"myASN\":64500,\"peerASN\":64501,\"peerAddress\":\"192.0.2.1\",\"holdTime\":\"9s\"}}]}",
		&d);
	assert_non_null(c);
	const struct object *o = config_find(c, KIND_BGPPEER, "lb", "r");
	assert_non_null(o);
	assert_int_equal(o->peer.hold_time.v, 9 * DURATION_NS_PER_S);
	assert_int_equal(o->peer.keepalive_time.v, 3 * DURATION_NS_PER_S);
	config_free(c);
	diags_free(&d);
}

struct parity {
	const char *yaml, *json, *path, *msg;
};

static const struct parity parity[] = {
	{ "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec: {addresses: ['192.0.2.9-192.0.2.1']}\n",
	  "{\"apiVersion\":\"metallb.io/v1beta1\",\"kind\":\"IPAddressPool\",\"metadata\":{\"name\":\"p\"},"
	  "\"spec\":{\"addresses\":[\"192.0.2.9-192.0.2.1\"]}}",
	  "spec.addresses[0]", "range end 192.0.2.1 is before its start 192.0.2.9" },
	{ "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec: {addresses: [192.0.2.0/24], autoAssign: 'true'}\n",
	  "{\"apiVersion\":\"metallb.io/v1beta1\",\"kind\":\"IPAddressPool\",\"metadata\":{\"name\":\"p\"},"
	  "\"spec\":{\"addresses\":[\"192.0.2.0/24\"],\"autoAssign\":\"true\"}}",
	  "spec.autoAssign", "expected a boolean (true or false), got a string" },
	{ "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 0}]}\n",
	  "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"},\"spec\":{\"ports\":[{\"port\":0}]}}",
	  "spec.ports[0].port", "0 is out of range: must be between 1 and 65535" },
	{ "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 1.5}]}\n",
	  "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"},\"spec\":{\"ports\":[{\"port\":1.5}]}}",
	  "spec.ports[0].port", "expected an integer, got a number \"1.5\"" },
};

static void test_error_parity(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parity) / sizeof(parity[0]); i++) {
		struct config *cy, *cj;
		struct diags dy, dj;
		assert_false(load_text(parity[i].yaml, &cy, &dy));
		cj = load_json(parity[i].json, &dj);
		assert_null(cj);
		const struct diag *gy = find_diag(&dy, DIAG_ERROR, parity[i].msg);
		const struct diag *gj = find_diag(&dj, DIAG_ERROR, parity[i].msg);
		if (!gy || !gj) {
			print_diags(&dy);
			print_diags(&dj);
			fail_msg("case %zu: missing \"%s\"", i, parity[i].msg);
		}
		assert_string_equal(gy->msg, gj->msg);
		assert_string_equal(gy->path, parity[i].path);
		assert_string_equal(gj->path, parity[i].path);
		assert_string_equal(gy->object, gj->object);
		assert_true(gy->mark.line > 0);
		assert_int_equal(gj->mark.line, 0);
		config_free(cy);
		diags_free(&dy);
		diags_free(&dj);
	}
}

static void test_malformed_json(void **state)
{
	(void)state;
	struct diags d;
	assert_null(load_json("{\"apiVersion\": \"v1\",\n \"kind\": }", &d));
	const struct diag *g = find_diag(&d, DIAG_ERROR, "invalid JSON");
	assert_non_null(g);
	assert_int_equal(g->mark.line, 2);
	diags_free(&d);

	assert_null(load_json("{\"kind\":\"Service\",\"kind\":\"Node\"}", &d));
	assert_non_null(find_diag(&d, DIAG_ERROR, "duplicate"));
	diags_free(&d);
}

static struct object *read_api(const char *text, bool lean)
{
	json_t *j = json_loads(text, 0, NULL);
	struct doc *doc = doc_from_jansson("api", j);
	struct diags d;
	struct object *o = NULL;
	diags_init(&d);
	assert_int_equal(object_read_lean(doc->root, NULL, NULL, lean, &d, &o), OBJECT_OK);
	assert_int_equal(d.errors, 0);
	doc_free(doc);
	json_decref(j);
	diags_free(&d);
	return o;
}

/*
 * A lean decode (the speaker's caches): what only the allocator reads is not
 * kept (the metallb.io/ annotations among it), and the object fills one chunk exactly.
 */
static void test_lean(void **state)
{
	(void)state;
	static const char svc[] =
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\",\"namespace\":\"d\","
		"\"uid\":\"u1\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\",\"labels\":{\"app\":\"web\"},"
		"\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"{...the whole object...}\","
		"\"metallb.io/address-pool\":\"p\",\"other\":\"x\"}},"
		"\"spec\":{\"type\":\"LoadBalancer\",\"externalTrafficPolicy\":\"Local\",\"selector\":{\"app\":\"web\"},"
		"\"ports\":[{\"name\":\"http\",\"port\":80}]},"
		"\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"192.0.2.1\"}]}}}";
	static const char eps[] =
		"{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"web-x\","
		"\"namespace\":\"d\",\"uid\":\"u2\",\"labels\":{\"kubernetes.io/service-name\":\"web\",\"app\":\"web\","
		"\"endpointslice.kubernetes.io/managed-by\":\"endpointslice-controller.k8s.io\"}},\"addressType\":\"IPv4\","
		"\"endpoints\":[{\"addresses\":[\"198.51.100.7\"],\"nodeName\":\"n1\",\"conditions\":{\"ready\":false}},"
		"{\"addresses\":[\"198.51.100.8\"],\"nodeName\":\"n2\"}]}";
	for (int lean = 0; lean < 2; lean++) {
		struct object *o = read_api(svc, lean);
		assert_int_equal(svc_spec(&o->svc)->nports, lean ? 0 : 1);
		assert_int_equal(svc_spec(&o->svc)->selector.n, lean ? 0 : 1);
		assert_true(lean ? o->svc.spec == NULL : o->svc.spec != NULL);
		assert_true(lean ? !o->meta.creation_timestamp : o->meta.creation_timestamp != NULL);
		assert_string_equal(o->meta.uid, "u1");
		assert_int_equal(o->meta.labels.n, 1);
		assert_int_equal(o->meta.annotations.n, lean ? 0 : 3);  /* metallb.io/ ones are the allocator's */
		assert_true(lean ? !labels_get(&o->meta.annotations, "metallb.io/address-pool")
				 : !strcmp(labels_get(&o->meta.annotations, "metallb.io/address-pool"), "p"));
		assert_int_equal(o->svc.traffic_policy, TRAFFIC_LOCAL);
		assert_int_equal(o->svc.ningress, 1);
		assert_true(!lean || arena_extent(&o->arena) > 0);
		assert_int_equal(arena_holds(&o->arena, o), lean);  /* lean: object and contents, one allocation */
		assert_string_equal(o->meta.api_version, "v1");
		object_free(o);

		o = read_api(eps, lean);
		assert_string_equal(o->eps.service_name, "web");
		assert_int_equal(o->meta.labels.n, lean ? 1 : 3);
		assert_int_equal(o->eps.n, 2);
		assert_string_equal(o->eps.v[0].node_name, "n1");
		assert_false(o->eps.v[0].ready);
		assert_true(o->eps.v[1].ready);
		assert_int_equal(o->eps.v[1].naddrs, lean ? 0 : 1);
		assert_true(!lean || arena_extent(&o->arena) > 0);
		assert_int_equal(arena_holds(&o->arena, o), lean);
		assert_true(lean ? !o->meta.uid : o->meta.uid != NULL);
		/* the Service-name key is one copy for every slice, never in the object's arena */
		assert_false(arena_holds(&o->arena, o->meta.labels.v[0].key));
		assert_false(arena_holds(&o->arena, o->meta.api_version));
		object_free(o);
	}
}

/* Cluster IPs in a lean decode: only of a Service Kube-OVN's annotation names (--announce-cluster-ip). */
static void test_lean_cluster_ips(void **state)
{
	(void)state;
	static const char *const svcs[] = {
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"a\",\"namespace\":\"d\"},"
		"\"spec\":{\"clusterIPs\":[\"198.51.100.1\",\"2001:db8::1\"]}}",
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"b\",\"namespace\":\"d\","
		"\"annotations\":{\"ovn.kubernetes.io/bgp\":\"true\"}},"
		"\"spec\":{\"clusterIPs\":[\"198.51.100.1\",\"2001:db8::1\"]}}",
	};
	for (int lean = 0; lean < 2; lean++)
		for (int annotated = 0; annotated < 2; annotated++) {
			struct object *o = read_api(svcs[annotated], lean);
			assert_int_equal(o->svc.ncluster_ips, !lean || annotated ? 2 : 0);
			object_free(o);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_pool),
		cmocka_unit_test(test_list_items_without_kind),
		cmocka_unit_test(test_error_parity),
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_lean),
		cmocka_unit_test(test_lean_cluster_ips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
