/* Unit tests for kube/kube_resource.c: API paths of every kind, and names a path must refuse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "kube_resource.h"

static void test_paths(void **state)
{
	(void)state;
	char p[256];

	assert_true(kube_path(p, sizeof(p), kube_resource_of(KIND_SERVICE), NULL, NULL, NULL, "limit=500"));
	assert_string_equal(p, "/api/v1/services?limit=500");
	assert_true(kube_path(p, sizeof(p), kube_resource_of(KIND_SERVICE), "default", "web", "status", NULL));
	assert_string_equal(p, "/api/v1/namespaces/default/services/web/status");
	assert_true(kube_path(p, sizeof(p), kube_resource_of(KIND_ENDPOINTSLICE), "default", NULL, NULL, ""));
	assert_string_equal(p, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices");
	assert_true(kube_path(p, sizeof(p), kube_resource_of(KIND_BGPPEER), "metallb-system", NULL, NULL, NULL));
	assert_string_equal(p, "/apis/metallb.io/v1beta2/namespaces/metallb-system/bgppeers");
	/* A namespace given for a cluster-scoped kind is left out. */
	assert_true(kube_path(p, sizeof(p), kube_resource_of(KIND_NODE), "default", "n1", NULL, NULL));
	assert_string_equal(p, "/api/v1/nodes/n1");
	assert_true(kube_path(p, sizeof(p), kube_resource_of(KIND_SUBNET), NULL, NULL, NULL, NULL));
	assert_string_equal(p, "/apis/kubeovn.io/v1/subnets");
	assert_true(kube_path(p, sizeof(p), &kube_res_lease, "metallb-system", "vipcast-controller", NULL, NULL));
	assert_string_equal(p, "/apis/coordination.k8s.io/v1/namespaces/metallb-system/leases/vipcast-controller");
	assert_true(kube_path(p, sizeof(p), &kube_res_event, "default", "web.18a3f0c2d4e5f6a7", NULL, NULL));
	assert_string_equal(p, "/api/v1/namespaces/default/events/web.18a3f0c2d4e5f6a7");
	assert_true(kube_path(p, sizeof(p), &kube_res_crd, "default", NULL, NULL,
			      "fieldSelector=metadata.name%3Dsubnets.kubeovn.io"));
	assert_string_equal(p, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
			       "?fieldSelector=metadata.name%3Dsubnets.kubeovn.io");
	for (int k = 0; k < KIND_COUNT; k++)
		assert_int_equal(kube_resource_of((enum kind)k)->kind, k);
}

static void test_refused(void **state)
{
	(void)state;
	char p[64];
	const struct kube_resource *svc = kube_resource_of(KIND_SERVICE);
	static const char *const names[] = { "", ".", "..", "a/b", "a?b", "a b", "a%2f", "a#b", "\xc3\xa9" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		assert_false(kube_path(p, sizeof(p), svc, "default", names[i], NULL, NULL));
		if (*names[i])
			assert_false(kube_path(p, sizeof(p), svc, names[i], "web", NULL, NULL));
	}
	/* Too long for the buffer. */
	assert_false(kube_path(p, 20, svc, "default", "web", NULL, NULL));
	assert_false(kube_path(p, 0, svc, NULL, NULL, NULL, NULL));
	assert_null(kube_resource_of(KIND_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
