/* Kube-OVN: decoding Pods, Subnet readiness and Service cluster IPs; the bgp annotation's rules (plan_ovn.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "doc.h"
#include "object.h"
#include "ovn.h"
#include "plan_ovn.h"
#include "testutil.h"

static const char *ip_str(const struct ipaddr *a, char buf[IPADDR_STRLEN])
{
	ipaddr_format(a, buf);
	return buf;
}

static void test_policy(void **state)
{
	(void)state;
	static const struct {
		const char *value;
		enum ovn_policy want;
		bool warns;
	} cases[] = {
		{ NULL, OVN_BGP_NONE, false },	  { "", OVN_BGP_NONE, false },	      { "true", OVN_BGP_CLUSTER, false },
		{ "cluster", OVN_BGP_CLUSTER, false }, { "local", OVN_BGP_LOCAL, false }, { "yes", OVN_BGP_CLUSTER, true },
		{ "True", OVN_BGP_NONE, true },	  { "false", OVN_BGP_NONE, true },    { "LOCAL", OVN_BGP_NONE, true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *why = "unset";
		assert_int_equal(ovn_policy_parse(cases[i].value, &why), cases[i].want);
		assert_int_equal(why != NULL, cases[i].warns);
	}
}

static const char pod_yaml[] = "apiVersion: v1\n"
			       "kind: Pod\n"
			       "metadata:\n"
			       "  name: web-0\n"
			       "  namespace: shop\n"
			       "  annotations:\n"
			       "    ovn.kubernetes.io/bgp: local\n"
			       "    ovn.kubernetes.io/ip_address: 198.18.1.5, 2001:db8:18::5\n"
			       "    ovn.kubernetes.io/logical_switch: ovn-default\n"
			       "    net1.shop.ovn.kubernetes.io/ip_address: 198.18.9.1\n"
			       "    net1.shop.ovn.kubernetes.io/logical_switch: attach\n"
			       "    orphan.kubernetes.io/ip_address: 198.18.9.2\n"
			       "    bad.kubernetes.io/ip_address: 198.18.9.300\n"
			       "    bad.kubernetes.io/logical_switch: attach\n"
			       "spec:\n"
			       "  nodeName: node1\n"
			       "  restartPolicy: Always\n"
			       "  containers: [{name: c, image: x}]\n"
			       "status:\n"
			       "  phase: Running\n"
			       "  podIP: 198.18.1.5\n"
			       "  podIPs: [{ip: 198.18.1.5}, {ip: \"2001:db8:18::5\"}]\n"
			       "  conditions: [{type: Ready, status: \"True\"}]\n";

static void test_pod_decode(void **state)
{
	(void)state;
	struct config *c;
	struct diags d;
	char b[IPADDR_STRLEN];
	assert_true(load_text(pod_yaml, &c, &d));
	assert_non_null(find_diag(&d, DIAG_WARNING, "198.18.9.300"));
	const struct object *o = config_find(c, KIND_POD, "shop", "web-0");
	assert_non_null(o);
	assert_string_equal(o->pod.node_name, "node1");
	assert_false(o->pod.host_network);
	assert_false(o->pod.finished);
	assert_int_equal(o->pod.nips, 2);
	assert_string_equal(ip_str(&o->pod.ips[1], b), "2001:db8:18::5");
	/* The orphan (no logical_switch) and the bad one (no valid address) give no attachment. */
	assert_int_equal(o->pod.natt, 2);
	assert_string_equal(o->pod.att[0].provider, "ovn");
	assert_string_equal(o->pod.att[0].subnet, "ovn-default");
	assert_int_equal(o->pod.att[0].nips, 2);
	assert_string_equal(ip_str(&o->pod.att[0].ips[0], b), "198.18.1.5");
	assert_string_equal(ip_str(&o->pod.att[0].ips[1], b), "2001:db8:18::5");
	assert_string_equal(o->pod.att[1].provider, "net1.shop.ovn");
	assert_string_equal(o->pod.att[1].subnet, "attach");
	assert_int_equal(ovn_policy_of(o), OVN_BGP_LOCAL);
	diags_free(&d);
	config_free(c);
}

static bool pod_finished(const char *phase, const char *restart, const char *reason)
{
	char y[512];
	snprintf(y, sizeof(y), "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {%s%s}\nstatus: {phase: %s%s%s}\n",
		 restart ? "restartPolicy: " : "", restart ? restart : "", phase, reason ? ", reason: " : "",
		 reason ? reason : "");
	struct config *c = load_valid(y);
	assert_non_null(c);
	bool f = config_find(c, KIND_POD, "default", "p")->pod.finished;
	config_free(c);
	return f;
}

/* Kube-OVN's isPodAlive(), negated. */
static void test_pod_finished(void **state)
{
	(void)state;
	assert_false(pod_finished("Running", NULL, NULL));
	assert_false(pod_finished("Pending", "Never", NULL));
	assert_false(pod_finished("Succeeded", "Always", NULL));
	assert_false(pod_finished("Succeeded", NULL, NULL));
	assert_true(pod_finished("Succeeded", "OnFailure", NULL));
	assert_true(pod_finished("Succeeded", "Never", NULL));
	assert_true(pod_finished("Failed", "Never", NULL));
	assert_false(pod_finished("Failed", "OnFailure", NULL));
	assert_true(pod_finished("Failed", "Always", "Evicted"));
}

static void test_pod_refused(void **state)
{
	(void)state;
	struct config *c;
	struct diags d;
	assert_false(load_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {hostNetwork: maybe}\n", &c, &d));
	assert_non_null(find_diag(&d, DIAG_ERROR, "boolean"));
	diags_free(&d);
	config_free(c);
	/* An address that does not parse is left out with a warning, not refused. */
	assert_true(load_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {podIPs: [{ip: nope}, {ip: 198.18.0.1}]}\n",
			      &c, &d));
	assert_non_null(find_diag(&d, DIAG_WARNING, "\"nope\" is not an IP address"));
	assert_int_equal(config_find(c, KIND_POD, "default", "p")->pod.nips, 1);
	diags_free(&d);
	config_free(c);
}

static void test_subnet_ready(void **state)
{
	(void)state;
	struct config *c = load_valid("apiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: a}\n"
				      "spec: {cidrBlock: 198.18.0.0/24}\n"
				      "---\napiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: b}\n"
				      "spec: {cidrBlock: 198.18.1.0/24}\n"
				      "status: {conditions: [{type: Validated, status: \"True\"}, {type: Ready, status: \"False\"}]}\n"
				      "---\napiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: c}\n"
				      "spec: {cidrBlock: 198.18.2.0/24}\nstatus: {conditions: [{type: Ready, status: \"True\"}]}\n");
	assert_non_null(c);
	assert_false(config_find(c, KIND_SUBNET, NULL, "a")->subnet.not_ready);
	assert_true(config_find(c, KIND_SUBNET, NULL, "b")->subnet.not_ready);
	assert_false(config_find(c, KIND_SUBNET, NULL, "c")->subnet.not_ready);
	config_free(c);
}

static void test_service_cluster_ips(void **state)
{
	(void)state;
	char b[IPADDR_STRLEN];
	struct config *c = load_valid("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"
				      "spec: {clusterIP: 198.18.3.1, clusterIPs: [198.18.3.1, \"2001:db8:3::1\"]}\n"
				      "---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n"
				      "spec: {clusterIPs: [198.18.3.2], clusterIP: 198.18.3.2}\n"
				      "---\napiVersion: v1\nkind: Service\nmetadata: {name: headless}\n"
				      "spec: {clusterIP: None, clusterIPs: [None]}\n"
				      "---\napiVersion: v1\nkind: Service\nmetadata: {name: old}\nspec: {clusterIP: 198.18.3.4}\n");
	assert_non_null(c);
	const struct object *a = config_find(c, KIND_SERVICE, "default", "a");
	assert_int_equal(a->svc.ncluster_ips, 2);
	assert_string_equal(ip_str(&a->svc.cluster_ips[1], b), "2001:db8:3::1");
	assert_int_equal(config_find(c, KIND_SERVICE, "default", "b")->svc.ncluster_ips, 1);
	assert_int_equal(config_find(c, KIND_SERVICE, "default", "headless")->svc.ncluster_ips, 0);
	assert_int_equal(config_find(c, KIND_SERVICE, "default", "old")->svc.ncluster_ips, 1);
	config_free(c);
}

/* ---- the routes ---- */

static const char world[] =
	"apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata:\n  name: ovn\n  namespace: metallb-system\n"
	"  annotations: {vipcast.io/kube-ovn-routes: \"true\"}\n"
	"spec: {myASN: 65000, peerASN: 65030, peerAddress: 192.0.2.1}\n"
	"---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata:\n  name: all\n  namespace: metallb-system\n"
	"  annotations: {vipcast.io/kube-ovn-routes: \"true\", vipcast.io/kube-ovn-cluster-ips: \"true\"}\n"
	"spec: {myASN: 65000, peerASN: 65030, peerAddress: 192.0.2.2}\n"
	"---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: plain, namespace: metallb-system}\n"
	"spec: {myASN: 65000, peerASN: 65030, peerAddress: 192.0.2.3}\n"
	/* Subnets: cluster, local, not ready, none, yes */
	"---\napiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: cl, annotations: {ovn.kubernetes.io/bgp: \"true\"}}\n"
	"spec: {cidrBlock: \"198.18.0.0/24,2001:db8:18::/64\"}\n"
	"---\napiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: lo, annotations: {ovn.kubernetes.io/bgp: local}}\n"
	"spec: {cidrBlock: 198.18.1.0/24}\n"
	"---\napiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: down, annotations: {ovn.kubernetes.io/bgp: cluster}}\n"
	"spec: {cidrBlock: 198.18.2.0/24}\nstatus: {conditions: [{type: Ready, status: \"False\"}]}\n"
	"---\napiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: quiet}\nspec: {cidrBlock: 198.18.3.0/24}\n"
	"---\napiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: yes-subnet, annotations: {ovn.kubernetes.io/bgp: \"yes\"}}\n"
	"spec: {cidrBlock: 198.18.4.0/24}\n"
	/* Pods */
	"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: lo-here\n  annotations:\n"
	"    ovn.kubernetes.io/ip_address: 198.18.1.10\n    ovn.kubernetes.io/logical_switch: lo\n"
	"spec: {nodeName: node1}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: lo-there\n  annotations:\n"
	"    ovn.kubernetes.io/ip_address: 198.18.1.11\n    ovn.kubernetes.io/logical_switch: lo\n"
	"spec: {nodeName: node2}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: own-cluster-in-lo\n  annotations:\n"
	"    ovn.kubernetes.io/bgp: cluster\n"
	"    ovn.kubernetes.io/ip_address: 198.18.1.12\n    ovn.kubernetes.io/logical_switch: lo\n"
	"spec: {nodeName: node2}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: own-local-there\n  annotations:\n"
	"    ovn.kubernetes.io/bgp: local\n"
	"    ovn.kubernetes.io/ip_address: 198.18.3.13\n    ovn.kubernetes.io/logical_switch: quiet\n"
	"spec: {nodeName: node2}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: own-true-quiet\n  annotations:\n"
	"    ovn.kubernetes.io/bgp: \"true\"\n"
	"    ovn.kubernetes.io/ip_address: 198.18.3.14,2001:db8:3::14\n    ovn.kubernetes.io/logical_switch: quiet\n"
	"spec: {nodeName: node2}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: in-down\n  annotations:\n"
	"    ovn.kubernetes.io/bgp: \"true\"\n"
	"    ovn.kubernetes.io/ip_address: 198.18.2.15\n    ovn.kubernetes.io/logical_switch: down\n"
	"spec: {nodeName: node1}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: quiet-pod\n  annotations:\n"
	"    ovn.kubernetes.io/ip_address: 198.18.3.16\n    ovn.kubernetes.io/logical_switch: quiet\n"
	"spec: {nodeName: node1}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: host\n  annotations: {ovn.kubernetes.io/bgp: \"true\"}\n"
	"spec: {nodeName: node1, hostNetwork: true}\nstatus: {podIPs: [{ip: 192.0.2.11}]}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: done\n  annotations:\n"
	"    ovn.kubernetes.io/ip_address: 198.18.0.17\n    ovn.kubernetes.io/logical_switch: cl\n"
	"spec: {nodeName: node1, restartPolicy: Never}\nstatus: {phase: Succeeded}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: status-only\n  annotations: {ovn.kubernetes.io/bgp: local}\n"
	"spec: {nodeName: node1}\nstatus: {podIPs: [{ip: 198.18.5.18}]}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: status-no-policy\n"
	"spec: {nodeName: node1}\nstatus: {podIPs: [{ip: 198.18.5.19}]}\n"
	/* Services */
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: ci, annotations: {ovn.kubernetes.io/bgp: \"true\"}}\n"
	"spec: {clusterIPs: [198.18.6.1, \"2001:db8:6::1\"]}\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: ci-cluster, annotations: {ovn.kubernetes.io/bgp: cluster}}\n"
	"spec: {clusterIPs: [198.18.6.2]}\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: np, annotations: {ovn.kubernetes.io/bgp: \"true\"}}\n"
	"spec: {type: NodePort, clusterIPs: [198.18.6.3], ports: [{port: 80}]}\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: dup, annotations: {ovn.kubernetes.io/bgp: \"true\"}}\n"
	"spec: {clusterIPs: [198.18.0.5]}\n";

static const char *routes(const struct ovn_routes *r, size_t n, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		struct ipaddr a = { .family = r->v[i].family };
		char s[IPADDR_STRLEN];
		memcpy(a.b, r->v[i].addr, 16);
		at += (size_t)snprintf(buf + at, len - at, "%s%s/%u", i ? " " : "", ip_str(&a, s), r->v[i].len);
	}
	return buf;
}

static void test_routes(void **state)
{
	(void)state;
	char buf[1024];
	struct config *c = load_valid(world);
	assert_non_null(c);
	struct ovn_routes r;
	size_t n;

	plan_ovn_routes(c, "node1", &r);
	const struct object *ovn = config_find(c, KIND_BGPPEER, "metallb-system", "ovn");
	const struct object *all = config_find(c, KIND_BGPPEER, "metallb-system", "all");
	const struct object *plain = config_find(c, KIND_BGPPEER, "metallb-system", "plain");
	plan_ovn_for_peer(&r, ovn, &n);
	assert_string_equal(routes(&r, n, buf, sizeof(buf)),
			    "198.18.0.0/24 198.18.1.10/32 198.18.1.12/32 198.18.3.14/32 198.18.4.0/24 198.18.5.18/32 "
			    "2001:db8:3::14/128 2001:db8:18::/64");
	plan_ovn_for_peer(&r, all, &n);
	/* The cluster IPs follow: sorted, without those already there; "cluster" and NodePort do not count. */
	assert_string_equal(routes(&r, n, buf, sizeof(buf)) + strlen("198.18.0.0/24 198.18.1.10/32 198.18.1.12/32 "
								     "198.18.3.14/32 198.18.4.0/24 198.18.5.18/32 "
								     "2001:db8:3::14/128 2001:db8:18::/64 "),
			    "198.18.0.5/32 198.18.6.1/32 2001:db8:6::1/128");
	plan_ovn_for_peer(&r, plain, &n);
	assert_int_equal(n, 0);
	ovn_routes_free(&r);

	plan_ovn_routes(c, "node2", &r);
	plan_ovn_for_peer(&r, ovn, &n);
	assert_string_equal(routes(&r, n, buf, sizeof(buf)),
			    "198.18.0.0/24 198.18.1.11/32 198.18.1.12/32 198.18.3.13/32 198.18.3.14/32 198.18.4.0/24 "
			    "2001:db8:3::14/128 2001:db8:18::/64");
	ovn_routes_free(&r);
	config_free(c);
}

/* No peer takes the routes: nothing is computed. */
static void test_no_taker(void **state)
{
	(void)state;
	struct config *c = load_valid(
		"apiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: cl, annotations: {ovn.kubernetes.io/bgp: \"true\"}}\n"
		"spec: {cidrBlock: 198.18.0.0/24}\n"
		"---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata:\n  name: p\n  namespace: metallb-system\n"
		"  annotations: {vipcast.io/kube-ovn-routes: \"false\"}\n"
		"spec: {myASN: 65000, peerASN: 65030, peerAddress: 192.0.2.1}\n");
	assert_non_null(c);
	struct ovn_routes r;
	plan_ovn_routes(c, "node1", &r);
	assert_null(r.v);
	assert_int_equal(r.n, 0);
	config_free(c);
}

/* Which Services the Kubernetes-mode speaker keeps for Kube-OVN's routes, beside its LoadBalancers. */
static void test_cluster_ip_kept(void **state)
{
	(void)state;
	struct config *c = load_valid(
		"apiVersion: v1\nkind: Service\nmetadata: {name: bgp-on, annotations: {ovn.kubernetes.io/bgp: \"true\"}}\n"
		"spec: {clusterIP: 198.18.3.1}\n"
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: bgp-off, annotations: {ovn.kubernetes.io/bgp: \"false\"}}\n"
		"spec: {type: ClusterIP, clusterIP: 198.18.3.2}\n"
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: plain}\nspec: {clusterIP: 198.18.3.3}\n"
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: lb, annotations: {ovn.kubernetes.io/bgp: \"true\"}}\n"
		"spec: {type: LoadBalancer, clusterIP: 198.18.3.4}\n");
	assert_non_null(c);
	assert_true(plan_ovn_cluster_ip(config_find(c, KIND_SERVICE, "default", "bgp-on")));
	assert_true(plan_ovn_cluster_ip(config_find(c, KIND_SERVICE, "default", "bgp-off")));  /* its change withdraws */
	assert_false(plan_ovn_cluster_ip(config_find(c, KIND_SERVICE, "default", "plain")));
	assert_false(plan_ovn_cluster_ip(config_find(c, KIND_SERVICE, "default", "lb")));
	config_free(c);
}

/* A lean decode (the speaker's caches in Kubernetes mode) keeps what Kube-OVN's routes need. */
static void test_lean(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"annotations\":{"
		"\"ovn.kubernetes.io/bgp\":\"local\",\"ovn.kubernetes.io/ip_address\":\"198.18.1.5\","
		"\"ovn.kubernetes.io/logical_switch\":\"lo\",\"ovn.kubernetes.io/mac_address\":\"00:00:00:01:02:03\","
		"\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\"}},\"spec\":{\"nodeName\":\"n1\"}}",
		"{\"apiVersion\":\"metallb.io/v1beta2\",\"kind\":\"BGPPeer\",\"metadata\":{\"name\":\"p\","
		"\"namespace\":\"metallb-system\",\"annotations\":{\"vipcast.io/kube-ovn-routes\":\"true\","
		"\"vipcast.io/other\":\"x\",\"vipcast.io/link-bandwidth\":\"per-endpoint\"}},"
		"\"spec\":{\"myASN\":1,\"peerASN\":2,\"peerAddress\":\"192.0.2.1\"}}",
	};
	static const size_t want[] = { 3, 2 };
	for (size_t i = 0; i < 2; i++) {
		json_t *j = json_loads(texts[i], 0, NULL);
		struct doc *doc = doc_from_jansson("api", j);
		struct diags d;
		struct object *o = NULL;
		diags_init(&d);
		assert_int_equal(object_read_lean(doc->root, NULL, NULL, true, &d, &o), OBJECT_OK);
		assert_int_equal(o->meta.annotations.n, want[i]);
		if (o->kind == KIND_POD) {
			assert_int_equal(o->pod.natt, 1);
			assert_int_equal(ovn_policy_of(o), OVN_BGP_LOCAL);
		} else {
			assert_string_equal(labels_get(&o->meta.annotations, OVN_PEER_ROUTES), "true");
		}
		object_free(o);
		doc_free(doc);
		json_decref(j);
		diags_free(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy),		cmocka_unit_test(test_pod_decode),
		cmocka_unit_test(test_pod_finished),	cmocka_unit_test(test_pod_refused),
		cmocka_unit_test(test_subnet_ready),	cmocka_unit_test(test_service_cluster_ips),
		cmocka_unit_test(test_routes),		cmocka_unit_test(test_no_taker),
		cmocka_unit_test(test_lean),		cmocka_unit_test(test_cluster_ip_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
