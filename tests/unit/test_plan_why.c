/*
 * The plan's explainer: one row per reason, each checked for its codes and
 * for agreeing with the plan itself (announced over BGP exactly when the plan
 * gives a peer the Service; eligible for L2 exactly when the plan says here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "plan_why.h"
#include "services.h"
#include "testutil.h"

#define NODES                                                                                                \
	"apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {zone: a}}\n"                              \
	"status: {addresses: [{type: InternalIP, address: 192.0.2.11}]}\n---\n"                              \
	"apiVersion: v1\nkind: Node\nmetadata: {name: n2, labels: {zone: b}}\n"                              \
	"status: {addresses: [{type: InternalIP, address: 192.0.2.12}]}\n---\n"                              \
	"apiVersion: v1\nkind: Node\nmetadata: {name: nx, labels: {node.kubernetes.io/exclude-from-external-load-balancers: ''}}\n" \
	"status: {addresses: [{type: InternalIP, address: 192.0.2.13}]}\n---\n"                              \
	"apiVersion: v1\nkind: Node\nmetadata: {name: nu}\n"                                                 \
	"status: {addresses: [{type: InternalIP, address: 192.0.2.14}],\n"                                   \
	"  conditions: [{type: NetworkUnavailable, status: 'True'}]}\n---\n"
#define POOLS                                                                                                \
	"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: bgp, namespace: metallb-system}\n" \
	"spec: {addresses: [203.0.113.0/28]}\n---\n"                                                          \
	"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: lonely, namespace: metallb-system}\n" \
	"spec: {addresses: [203.0.113.16/28]}\n---\n"                                                         \
	"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: onlyb, namespace: metallb-system}\n" \
	"spec: {addresses: [203.0.113.32/28]}\n---\n"                                                         \
	"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: named, namespace: metallb-system}\n" \
	"spec: {addresses: [203.0.113.48/28]}\n---\n"                                                         \
	"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: l2, namespace: metallb-system}\n" \
	"spec: {addresses: [198.51.100.0/28]}\n---\n"                                                         \
	"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: l2sel, namespace: metallb-system}\n" \
	"spec: {addresses: [198.51.100.16/28]}\n---\n"                                                        \
	"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: l2b, namespace: metallb-system}\n" \
	"spec: {addresses: [198.51.100.32/28]}\n---\n"                                                        \
	"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: bsel, namespace: metallb-system}\n" \
	"spec: {addresses: [203.0.113.64/28]}\n---\n"
#define PEERS                                                                                                \
	"apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r1, namespace: metallb-system}\n"    \
	"spec: {myASN: 64500, peerASN: 64500, peerAddress: 192.0.2.1, nodeSelectors: [{matchLabels: {zone: a}}]}\n---\n" \
	"apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r2, namespace: metallb-system}\n"    \
	"spec: {myASN: 64500, peerASN: 64500, peerAddress: 192.0.2.2, nodeSelectors: [{matchLabels: {zone: zz}}]}\n---\n"
#define ADVS                                                                                                 \
	"apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: all, namespace: metallb-system}\n" \
	"spec: {ipAddressPools: [bgp], aggregationLength: 30}\n---\n"                                         \
	"apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: b, namespace: metallb-system}\n" \
	"spec: {ipAddressPools: [onlyb], nodeSelectors: [{matchLabels: {zone: b}}]}\n---\n"                  \
	"apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: to-r2, namespace: metallb-system}\n" \
	"spec: {ipAddressPools: [named], peers: [r2]}\n---\n"                                                \
	"apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: front, namespace: metallb-system}\n" \
	"spec: {ipAddressPools: [bsel], serviceSelectors: [{matchLabels: {tier: front}}]}\n---\n"           \
	"apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2, namespace: metallb-system}\n" \
	"spec: {ipAddressPools: [l2], interfaces: [eth0]}\n---\n"                                            \
	"apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: front, namespace: metallb-system}\n" \
	"spec: {ipAddressPools: [l2sel], serviceSelectors: [{matchLabels: {tier: front}}]}\n---\n"           \
	"apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: onb, namespace: metallb-system}\n" \
	"spec: {ipAddressPools: [l2b], nodeSelectors: [{matchLabels: {zone: b}}]}\n---\n"

#define SVC(name, ip, etp, extra)                                                                            \
	"apiVersion: v1\nkind: Service\nmetadata: {name: " name ", namespace: default}\n"                    \
	"spec: {type: LoadBalancer, externalTrafficPolicy: " etp extra "}\n"                                  \
	"status: {loadBalancer: {ingress: [{ip: " ip "}]}}\n---\n"
#define EPS(svc, node, ready)                                                                                \
	"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: " svc "-x, namespace: default,\n" \
	"  labels: {kubernetes.io/service-name: " svc "}}\naddressType: IPv4\n"                               \
	"endpoints: [{addresses: [10.0.0.1], nodeName: " node ", conditions: {ready: " ready "}}]\n---\n"

static const char *const yaml = NODES POOLS PEERS ADVS
	SVC("web", "203.0.113.1", "Cluster", "") EPS("web", "n2", "true")
	SVC("loc", "203.0.113.2", "Local", "") EPS("loc", "n2", "true")
	SVC("noep", "203.0.113.3", "Cluster", "") EPS("noep", "n1", "false")
	SVC("lone", "203.0.113.17", "Cluster", "") EPS("lone", "n1", "true")
	SVC("zb", "203.0.113.33", "Cluster", "") EPS("zb", "n1", "true")
	SVC("nm", "203.0.113.49", "Cluster", "") EPS("nm", "n1", "true")
	SVC("far", "192.0.2.77", "Cluster", "") EPS("far", "n1", "true")
	SVC("other", "203.0.113.5", "Cluster", ", loadBalancerClass: example.com/x") EPS("other", "n1", "true")
	SVC("l2web", "198.51.100.1", "Cluster", "") EPS("l2web", "n1", "true")
	SVC("l2sel", "198.51.100.17", "Cluster", "") EPS("l2sel", "n1", "true")
	SVC("l2b", "198.51.100.33", "Cluster", "") EPS("l2b", "n1", "true")
	SVC("bsel", "203.0.113.65", "Cluster", "") EPS("bsel", "n1", "true")
	"apiVersion: v1\nkind: Service\nmetadata: {name: asks, namespace: default}\n"
	"spec: {type: LoadBalancer, loadBalancerIP: 192.0.2.99}\n---\n";

struct row {
	const char *node, *vip;
	const char *codes;  /* the reasons' codes, joined by " " */
	const char *text;   /* a part of the first reason's text */
	bool bgp, l2;
};

static const struct row rows[] = {
	{"n1", "203.0.113.1", "announced", "BGPPeer r1 as 203.0.113.0/30", true, false},
	{"n1", "203.0.113.9", "no-service", "no LoadBalancer Service", false, false},
	{"n1", "203.0.113.5", "service-not-served", "loadBalancerClass example.com/x", false, false},
	{"n1", "192.0.2.77", "no-pool", "in no IPAddressPool", false, false},
	{"n1", "192.0.2.99", "no-pool", "default/asks asks for 192.0.2.99 but has no address", false, false},
	{"ghost", "203.0.113.1", "node-unknown", "no Node ghost", false, false},
	{"nx", "203.0.113.1", "node-excluded", "exclude-from-external-load-balancers", false, false},
	{"nu", "203.0.113.1", "node-excluded", "NetworkUnavailable", false, false},
	{"n1", "203.0.113.3", "no-ready-endpoint", "default/noep", false, false},
	{"n1", "203.0.113.2", "no-local-endpoint", "no ready endpoint on node n1", false, false},
	{"n1", "203.0.113.17", "no-advertisement", "pool lonely", false, false},
	{"n1", "203.0.113.33", "advertisement-node-selectors", "BGPAdvertisement b", false, false},
	{"n2", "203.0.113.33", "no-peer", "no BGPPeer selects node n2", false, false},
	{"n1", "203.0.113.49", "peers-not-named", "names peers r2", false, false},
	{"n1", "198.51.100.1", "l2-eligible", "eligible nodes: n1, n2", false, true},
	{"n1", "198.51.100.17", "advertisement-service-selectors", "L2Advertisement front", false, false},
	{"n1", "198.51.100.33", "advertisement-node-selectors", "L2Advertisement onb", false, false},
	{"n1", "203.0.113.65", "advertisement-service-selectors", "BGPAdvertisement front", false, false},
};

/* The plan's own verdicts for vip. */
static void plan_verdict(const struct plan *p, const struct ipaddr *vip, bool *bgp, bool *l2)
{
	*bgp = *l2 = false;
	for (size_t i = 0; i < p->nbgp_svcs; i++)
		for (size_t k = 0; k < p->bgp_svcs[i].svc->svc.ningress; k++)
			*bgp |= ipaddr_eq(&p->bgp_svcs[i].svc->svc.ingress[k], vip);
	for (size_t i = 0; i < p->nl2; i++)
		*l2 |= ipaddr_eq(&p->l2[i].ip, vip) && p->l2[i].here;
}

static void test_reasons(void **state)
{
	(void)state;
	struct config *c = load_valid(yaml);
	assert_non_null(c);
	struct svc_addrs *v;
	size_t allocated, n = service_addresses(c, NULL, true, &v, &allocated);
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		const struct row *r = &rows[i];
		struct ipaddr vip;
		assert_true(ipaddr_parse(r->vip, strlen(r->vip), &vip));
		struct plan_why w;
		plan_why(c, r->node, v, n, &vip, &w);
		char codes[256] = "";
		for (size_t k = 0; k < w.n; k++)
			snprintf(codes + strlen(codes), sizeof(codes) - strlen(codes), "%s%s", k ? " " : "",
				 why_code_name(w.v[k].code));
		print_message("%s %s: %s: %s\n", r->node, r->vip, codes, w.n ? w.v[0].text : "");
		assert_string_equal(codes, r->codes);
		assert_non_null(strstr(w.v[0].text, r->text));
		assert_int_equal(w.bgp, r->bgp);
		assert_int_equal(w.l2, r->l2);
		struct plan *p = plan_build(c, r->node, v, n);
		bool pb, pl;
		plan_verdict(p, &vip, &pb, &pl);
		assert_int_equal(w.bgp, pb);
		assert_int_equal(w.l2, pl);
		plan_free(p);
	}
	svc_addrs_free(v);
	config_free(c);
}

static void test_runtime_reasons_and_bounds(void **state)
{
	(void)state;
	struct plan_why w = {0};
	for (int i = 0; i < WHY_MAX + 3; i++)
		plan_why_add(&w, WHY_SESSION_DOWN, "bgp", "session %d", i);
	assert_int_equal(w.n, WHY_MAX);
	assert_string_equal(w.v[WHY_MAX - 1].text, "session 15");
	assert_string_equal(why_code_name(WHY_L2_NOT_OWNER), "l2-not-owner");
	assert_string_equal(why_code_name(WHY_NCODES), "?");
	for (int k = 0; k < WHY_NCODES; k++)
		assert_string_not_equal(why_code_name((enum why_code)k), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_runtime_reasons_and_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
