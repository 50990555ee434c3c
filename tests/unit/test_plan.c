/* The plan: which routes this node announces to which peer, and who may own an L2 VIP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "services.h"
#include "testutil.h"

struct run {
	struct config *c;
	struct svc_addrs *v;
	size_t n;
	struct plan *p;
};

static void run(struct run *r, const char *yaml, const char *node)
{
	struct diags d;
	memset(r, 0, sizeof(*r));
	if (!load_text(yaml, &r->c, &d))
		print_diags(&d);
	assert_int_equal(d.errors, 0);
	diags_free(&d);
	size_t allocated;
	r->n = service_addresses(r->c, NULL, true, &r->v, &allocated);
	r->p = plan_build(r->c, node, r->v, r->n);
}

static void done(struct run *r)
{
	plan_free(r->p);
	svc_addrs_free(r->v);
	config_free(r->c);
}

/* "203.0.113.0/24 lp=200 c=64500:1,64500:2 l=1:2:3 bw=2" per route of the peer, joined by "; " */
static const char *routes_of(const struct run *r, const char *peer, char *buf, size_t len)
{
	const struct plan_peer *pp = plan_find_peer(r->p, "metallb-system", peer);
	buf[0] = 0;
	if (!pp)
		return "no peer";
	size_t at = 0;
	for (size_t i = 0; i < pp->nroutes; i++) {
		const struct plan_route *rt = &pp->routes[i];
		const struct plan_attrs *a = &r->p->attrs[rt->attrs];
		struct ipaddr ip = {.family = rt->pfx.family};
		char s[IPADDR_STRLEN];
		memcpy(ip.b, rt->pfx.addr, 16);
		ipaddr_format(&ip, s);
		at += (size_t)snprintf(buf + at, len - at, "%s%s/%u", i ? "; " : "", s, rt->pfx.len);
		if (a->has_local_pref)
			at += (size_t)snprintf(buf + at, len - at, " lp=%u", a->local_pref);
		for (size_t k = 0; k < a->ncommunities; k++)
			at += (size_t)snprintf(buf + at, len - at, "%s%u:%u", k ? "," : " c=", a->communities[k] >> 16,
					       a->communities[k] & 0xffff);
		for (size_t k = 0; k < a->nlarge; k++)
			at += (size_t)snprintf(buf + at, len - at, "%s%u:%u:%u", k ? "," : " l=", a->large[k][0],
					       a->large[k][1], a->large[k][2]);
		if (a->link_bw_eps)
			at += (size_t)snprintf(buf + at, len - at, " bw=%u", a->link_bw_eps);
	}
	return buf;
}

#define BASE                                                                                                 \
	"apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {zone: a}}\n"                              \
	"status: {addresses: [{type: InternalIP, address: 192.0.2.11}]}\n---\n"                              \
	"apiVersion: v1\nkind: Node\nmetadata: {name: n2, labels: {zone: b}}\n"                              \
	"status: {addresses: [{type: InternalIP, address: 192.0.2.12}]}\n---\n"                              \
	"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p, namespace: metallb-system}\n" \
	"spec: {addresses: [203.0.113.0/24, '2001:db8::/64']}\n---\n"                                        \
	"apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r1, namespace: metallb-system}\n"    \
	"spec: {myASN: 64500, peerASN: 64500, peerAddress: 192.0.2.1}\n---\n"                                 \
	"apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r2, namespace: metallb-system}\n"    \
	"spec: {myASN: 64500, peerASN: 64501, peerAddress: 192.0.2.2, nodeSelectors: [{matchLabels: {zone: a}}]}\n---\n"

#define SVC(name, ip, etp)                                                                                   \
	"apiVersion: v1\nkind: Service\nmetadata: {name: " name ", namespace: default}\n"                    \
	"spec: {type: LoadBalancer, externalTrafficPolicy: " etp "}\n"                                        \
	"status: {loadBalancer: {ingress: [{ip: " ip "}]}}\n---\n"

#define SVC6(name, ip)                                                                                       \
	"apiVersion: v1\nkind: Service\nmetadata: {name: " name ", namespace: default}\n"                    \
	"spec: {type: LoadBalancer, ipFamilies: [IPv6]}\n"                                                   \
	"status: {loadBalancer: {ingress: [{ip: '" ip "'}]}}\n---\n"

#define EPS(svc, node, ready)                                                                                \
	"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: " svc "-x, namespace: default,\n" \
	"  labels: {kubernetes.io/service-name: " svc "}}\naddressType: IPv4\n"                               \
	"endpoints: [{addresses: [10.0.0.1], nodeName: " node ", conditions: {ready: " ready "}}]\n---\n"

static void test_bgp_routes_and_attributes(void **state)
{
	(void)state;
	struct run r;
	char buf[1024];
	run(&r,
	    BASE SVC("a", "203.0.113.1", "Cluster") EPS("a", "n2", "true") SVC("b", "203.0.113.2", "Cluster")
		    EPS("b", "n1", "false") SVC6("c", "2001:db8::5") EPS("c", "n1", "true")
			    "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: all, namespace: metallb-system}\n"
			    "spec: {localPref: 200, communities: ['64500:2', '64500:1', 'large:1:2:3']}\n---\n"
			    "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: agg, namespace: metallb-system}\n"
			    "spec: {aggregationLength: 24, aggregationLengthV6: 64, peers: [r2], communities: ['64500:9']}\n",
	    "n1");
	assert_true(r.p->node_found);
	assert_null(r.p->node_silent);
	assert_int_equal(r.p->npeers, 2);
	/* b has no ready endpoint: not announced; c is IPv6. */
	assert_string_equal(routes_of(&r, "r1", buf, sizeof(buf)),
			    "203.0.113.1/32 lp=200 c=64500:1,64500:2 l=1:2:3; 2001:db8::5/128 lp=200 c=64500:1,64500:2 l=1:2:3");
	/* r2 also gets the aggregates of the second advertisement. */
	assert_string_equal(routes_of(&r, "r2", buf, sizeof(buf)),
			    "203.0.113.0/24 c=64500:9; 203.0.113.1/32 lp=200 c=64500:1,64500:2 l=1:2:3; "
			    "2001:db8::/64 c=64500:9; 2001:db8::5/128 lp=200 c=64500:1,64500:2 l=1:2:3");
	assert_int_equal(r.p->services_announced, 2);
	assert_int_equal(r.p->services_without_endpoints, 1);
	/* Per Service, the peers it goes to (ServiceBGPStatus): a to both, c to both, b to none. */
	assert_int_equal(r.p->nbgp_svcs, 2);
	assert_string_equal(r.p->bgp_svcs[0].svc->meta.name, "a");
	assert_string_equal(r.p->bgp_svcs[1].svc->meta.name, "c");
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(r.p->bgp_svcs[i].npeers, 2);
		assert_string_equal(r.p->peers[r.p->bgp_svcs[i].peers[0]].peer->meta.name, "r1");
		assert_string_equal(r.p->peers[r.p->bgp_svcs[i].peers[1]].peer->meta.name, "r2");
	}
	done(&r);

	/* n2 is not selected by r2. */
	run(&r, BASE SVC("a", "203.0.113.1", "Cluster") EPS("a", "n2", "true"), "n2");
	assert_int_equal(r.p->npeers, 1);
	assert_string_equal(routes_of(&r, "r1", buf, sizeof(buf)), "");  /* no BGPAdvertisement at all */
	done(&r);
}

static void test_two_advertisements_merge(void **state)
{
	(void)state;
	struct run r;
	char buf[1024];
	run(&r,
	    BASE SVC("a", "203.0.113.1", "Cluster") EPS("a", "n1", "true")
		    "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: x, namespace: metallb-system}\n"
		    "spec: {communities: ['64500:1']}\n---\n"
		    "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: yy, namespace: metallb-system}\n"
		    "spec: {localPref: 50, communities: ['64500:1', 'no-export']}\n",
	    "n1");
	assert_string_equal(routes_of(&r, "r1", buf, sizeof(buf)), "203.0.113.1/32 lp=50 c=64500:1,65535:65281");
	done(&r);
}

#define SVC_L(name, ip, tier)                                                                                \
	"apiVersion: v1\nkind: Service\nmetadata: {name: " name ", namespace: default, labels: {tier: " tier "}}\n" \
	"spec: {type: LoadBalancer}\nstatus: {loadBalancer: {ingress: [{ip: " ip "}]}}\n---\n"

/* serviceSelectors: each advertisement gives its communities only to the Services it selects. */
static void test_bgp_service_selectors(void **state)
{
	(void)state;
	struct run r;
	char buf[1024];
	run(&r,
	    BASE SVC_L("web", "203.0.113.1", "web") EPS("web", "n1", "true") SVC_L("db", "203.0.113.2", "db")
		    EPS("db", "n1", "true") SVC_L("other", "203.0.113.3", "cache") EPS("other", "n1", "true")
			    "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: w, namespace: metallb-system}\n"
			    "spec: {communities: ['64500:1'], serviceSelectors: [{matchLabels: {tier: web}}]}\n---\n"
			    "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: d, namespace: metallb-system}\n"
			    "spec: {communities: ['64500:2'], peers: [r2],\n"
			    "  serviceSelectors: [{matchExpressions: [{key: tier, operator: In, values: [db]}]}]}\n",
	    "n1");
	assert_string_equal(routes_of(&r, "r1", buf, sizeof(buf)), "203.0.113.1/32 c=64500:1");
	assert_string_equal(routes_of(&r, "r2", buf, sizeof(buf)), "203.0.113.1/32 c=64500:1; 203.0.113.2/32 c=64500:2");
	/* "other" is selected by neither advertisement: not announced over BGP. */
	assert_int_equal(r.p->nbgp_svcs, 2);
	assert_string_equal(r.p->bgp_svcs[0].svc->meta.name, "db");
	assert_int_equal(r.p->bgp_svcs[0].npeers, 1);
	assert_string_equal(r.p->bgp_svcs[1].svc->meta.name, "web");
	done(&r);
}

static void test_local_traffic_policy(void **state)
{
	(void)state;
	struct run r;
	char buf[1024];
	const char *yaml = BASE SVC("l", "203.0.113.3", "Local") EPS("l", "n2", "true")
		"apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: all, namespace: metallb-system}\n";
	run(&r, yaml, "n1");
	assert_string_equal(routes_of(&r, "r1", buf, sizeof(buf)), "");
	assert_int_equal(r.p->nbgp_svcs, 0);
	done(&r);
	run(&r, yaml, "n2");
	assert_string_equal(routes_of(&r, "r1", buf, sizeof(buf)), "203.0.113.3/32");
	assert_int_equal(r.p->nbgp_svcs, 1);
	done(&r);
}

/*
 * vipcast.io/link-bandwidth: per-endpoint gives an ETP Local Service's route
 * the count of its ready endpoints on this node; an ETP Cluster one none, nor
 * an advertisement without it. Of two advertisements for one route, the
 * link bandwidth survives the merge.
 */
static void test_link_bandwidth(void **state)
{
	(void)state;
	struct run r;
	char buf[1024];
	const char *yaml =
		BASE SVC("l", "203.0.113.3", "Local") SVC("c", "203.0.113.4", "Cluster") EPS("c", "n1", "true")
		"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: l-x, namespace: default,\n"
		"  labels: {kubernetes.io/service-name: l}}\naddressType: IPv4\nendpoints: ["
		"{addresses: [10.0.0.1], nodeName: n1, conditions: {ready: true}},"
		"{addresses: [10.0.0.2], nodeName: n1, conditions: {ready: true}},"
		"{addresses: [10.0.0.3], nodeName: n1, conditions: {ready: false}},"
		"{addresses: [10.0.0.4], nodeName: n2, conditions: {ready: true}}]\n---\n"
		"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: l-y, namespace: default,\n"
		"  labels: {kubernetes.io/service-name: l}}\naddressType: IPv4\nendpoints: ["
		"{addresses: [10.0.0.5], nodeName: n1, conditions: {ready: true}}]\n---\n"
		"apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: bw, namespace: metallb-system, "
		"annotations: {vipcast.io/link-bandwidth: per-endpoint}}\nspec: {peers: [r1]}\n---\n"
		"apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: plain, namespace: metallb-system}\n"
		"spec: {communities: ['64500:7']}\n";
	run(&r, yaml, "n1");
	assert_string_equal(routes_of(&r, "r1", buf, sizeof(buf)),
			    "203.0.113.3/32 c=64500:7 bw=3; 203.0.113.4/32 c=64500:7");
	assert_string_equal(routes_of(&r, "r2", buf, sizeof(buf)), "203.0.113.3/32 c=64500:7; 203.0.113.4/32 c=64500:7");
	done(&r);
	run(&r, yaml, "n2");
	assert_string_equal(routes_of(&r, "r1", buf, sizeof(buf)),
			    "203.0.113.3/32 c=64500:7 bw=1; 203.0.113.4/32 c=64500:7");
	done(&r);
}

static void test_silent_nodes(void **state)
{
	(void)state;
	struct run r;
	char buf[1024];
	const char *adv =
		"apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: all, namespace: metallb-system}\n";
	run(&r,
	    "apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {node.kubernetes.io/exclude-from-external-load-balancers: ''}}\n"
	    "status: {addresses: [{type: InternalIP, address: 192.0.2.11}]}\n---\n"
	    "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p, namespace: metallb-system}\n"
	    "spec: {addresses: [203.0.113.0/28]}\n---\n"
	    "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r1, namespace: metallb-system}\n"
	    "spec: {myASN: 64500, peerASN: 64500, peerAddress: 192.0.2.1}\n---\n" SVC("a", "203.0.113.1", "Cluster")
		    EPS("a", "n1", "true"),
	    "n1");
	assert_non_null(r.p->node_silent);
	done(&r);
	run(&r,
	    "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
	    "status: {addresses: [{type: InternalIP, address: 192.0.2.11}],\n"
	    "  conditions: [{type: NetworkUnavailable, status: 'True'}]}\n---\n"
	    "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p, namespace: metallb-system}\n"
	    "spec: {addresses: [203.0.113.0/28]}\n---\n"
	    "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r1, namespace: metallb-system}\n"
	    "spec: {myASN: 64500, peerASN: 64500, peerAddress: 192.0.2.1}\n---\n" SVC("a", "203.0.113.1", "Cluster")
		    EPS("a", "n1", "true") "---\n",
	    "n1");
	assert_non_null(r.p->node_silent);
	assert_int_equal(r.p->npeers, 1);
	assert_string_equal(routes_of(&r, "r1", buf, sizeof(buf)), "");
	done(&r);
	/* A node the configuration does not know. */
	run(&r, BASE SVC("a", "203.0.113.1", "Cluster") EPS("a", "n1", "true") "---\n", "ghost");
	assert_false(r.p->node_found);
	assert_int_equal(r.p->npeers, 0);
	(void)adv;
	done(&r);
}

static void test_l2_eligibility(void **state)
{
	(void)state;
	struct run r;
	run(&r,
	    BASE "apiVersion: v1\nkind: Node\nmetadata: {name: n3, labels: {zone: a}}\n"
		 "status: {addresses: [{type: InternalIP, address: 192.0.2.13}]}\n---\n"
		 SVC("a", "203.0.113.1", "Cluster") EPS("a", "n2", "true")
		 SVC("l", "203.0.113.2", "Local") EPS("l", "n3", "true")
		 SVC("z", "203.0.113.4", "Cluster") EPS("z", "n3", "false")
		 "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2, namespace: metallb-system}\n"
		 "spec: {nodeSelectors: [{matchLabels: {zone: a}}], interfaces: [eth1, eth0, eth1]}\n",
	    "n1");
	assert_int_equal(r.p->nl2, 2);  /* z has no ready endpoint */
	const struct plan_l2_vip *a = &r.p->l2[0], *l = &r.p->l2[1];
	assert_int_equal(a->nnodes, 2);
	assert_string_equal(a->nodes[0].node, "n1");
	assert_string_equal(a->nodes[1].node, "n3");
	assert_true(a->here);
	assert_int_equal(a->ninterfaces, 2);
	assert_string_equal(a->interfaces[0], "eth1");
	assert_string_equal(a->interfaces[1], "eth0");
	assert_string_equal(a->services[0], "default/a");
	assert_int_equal(l->nnodes, 1);
	assert_string_equal(l->nodes[0].node, "n3");
	assert_false(l->here);
	done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bgp_routes_and_attributes),
		cmocka_unit_test(test_two_advertisements_merge),
		cmocka_unit_test(test_bgp_service_selectors),
		cmocka_unit_test(test_local_traffic_policy),
		cmocka_unit_test(test_link_bandwidth),
		cmocka_unit_test(test_silent_nodes),
		cmocka_unit_test(test_l2_eligibility),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
