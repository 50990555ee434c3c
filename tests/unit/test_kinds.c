/*
 * Each kind decodes with MetalLB's field names, defaults and meanings.
 * One test per kind: a full object, then the same kind with only the required
 * fields to see every default.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "duration.h"
#include "object.h"
#include "testutil.h"

static struct config *cfg;
static struct diags diags;

static const struct object *load_one(const char *yaml, enum kind k, const char *ns, const char *name)
{
	config_free(cfg);
	diags_free(&diags);
	if (!load_text(yaml, &cfg, &diags)) {
		print_diags(&diags);
		fail_msg("configuration refused");
	}
	const struct object *o = config_find(cfg, k, ns, name);
	assert_non_null(o);
	return o;
}

static void assert_ip(const struct ipaddr *a, const char *text)
{
	char buf[IPADDR_STRLEN];
	ipaddr_format(a, buf);
	assert_string_equal(buf, text);
}

static void assert_range(const struct iprange *r, const char *text)
{
	char buf[IPRANGE_STRLEN];
	iprange_format(r, buf);
	assert_string_equal(buf, text);
}

static void test_pool(void **state)
{
	(void)state;
	const struct object *o = load_one(
		"apiVersion: metallb.io/v1beta1\n"
		"kind: IPAddressPool\n"
		"metadata:\n"
		"  name: prod\n"
		"  namespace: metallb-system\n"
		"  labels: {tier: gold}\n"
		"spec:\n"
		"  addresses:\n"
		"  - 13.1.1.1/24\n"
		"  - 198.51.100.10 - 198.51.100.20\n"
		"  - 198.51.100.30-198.51.100.40\n"
		"  - 203.0.113.7\n"
		"  - 2001:db8::10-2001:db8::1:0\n"
		"  - 2001:db8:1::/64\n"
		"  autoAssign: false\n"
		"  avoidBuggyIPs: true\n"
		"  serviceAllocation:\n"
		"    priority: 50\n"
		"    namespaces: [web, api]\n"
		"    namespaceSelectors:\n"
		"    - matchLabels: {team: a}\n"
		"    serviceSelectors:\n"
		"    - matchExpressions:\n"
		"      - {key: app, operator: In, values: [x, 'y']}\n",
		KIND_IPADDRESSPOOL, "metallb-system", "prod");
	const struct ip_pool *p = &o->pool;

	assert_string_equal(o->meta.id, "IPAddressPool metallb-system/prod");
	assert_string_equal(labels_get(&o->meta.labels, "tier"), "gold");
	assert_int_equal(p->naddrs, 6);
	assert_range(&p->addrs[0].r, "13.1.1.0/24");
	assert_range(&p->addrs[1].r, "198.51.100.10-198.51.100.20");
	assert_range(&p->addrs[2].r, "198.51.100.30-198.51.100.40");
	assert_range(&p->addrs[3].r, "203.0.113.7");
	assert_range(&p->addrs[4].r, "2001:db8::10-2001:db8::1:0");
	assert_range(&p->addrs[5].r, "2001:db8:1::/64");
	assert_int_equal(p->addrs[1].mark.line, 10);
	assert_int_equal(p->addrs[1].mark.col, 5);
	assert_false(p->auto_assign.v);
	assert_true(p->avoid_buggy_ips.v);
	assert_int_equal(p->alloc.priority.v, 50);
	assert_int_equal(p->alloc.namespaces.n, 2);
	assert_string_equal(p->alloc.namespaces.v[1].s, "api");
	assert_int_equal(p->alloc.namespace_selectors.n, 1);
	assert_int_equal(p->alloc.service_selectors.v[0].req[0].nvalues, 2);

	o = load_one("apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\n"
		     "spec: {addresses: [192.0.2.0/24]}\n",
		     KIND_IPADDRESSPOOL, "default", "p");
	assert_true(o->pool.auto_assign.v);
	assert_false(o->pool.auto_assign.set);
	assert_false(o->pool.avoid_buggy_ips.v);
	assert_false(o->pool.alloc.priority.set);
}

static void test_l2_advertisement(void **state)
{
	(void)state;
	const struct object *o = load_one(
		"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: a}\nspec: {addresses: [192.0.2.0/24]}\n"
		"---\n"
		"apiVersion: metallb.io/v1beta1\n"
		"kind: L2Advertisement\n"
		"metadata: {name: l2}\n"
		"spec:\n"
		"  ipAddressPools: [a]\n"
		"  ipAddressPoolSelectors: [{matchLabels: {x: z}}]\n"
		"  nodeSelectors:\n"
		"  - matchLabels: {}\n"
		"    matchExpressions:\n"
		"    - {key: kubernetes.io/hostname, operator: In, values: [n1]}\n"
		"  interfaces: [eth0, br-provider]\n"
		"  serviceSelectors: [{matchExpressions: [{key: a, operator: Exists}]}]\n"
		"  preferredNodeSelectors:\n"
		"  - weight: 80\n"
		"    preference:\n"
		"      matchExpressions: [{key: rack, operator: Gt, values: ['3']}]\n",
		KIND_L2ADVERTISEMENT, "default", "l2");
	const struct l2_adv *l = &o->l2adv;
	struct labels node = { (struct label[]){ { "kubernetes.io/hostname", "n1" } }, 1 };
	struct labels other = { (struct label[]){ { "kubernetes.io/hostname", "n2" } }, 1 };
	struct labels rack = { (struct label[]){ { "rack", "7" } }, 1 };

	assert_int_equal(l->pools.n, 1);
	assert_int_equal(l->pool_selectors.n, 1);
	assert_true(selectors_match_any(&l->node_selectors, &node));
	assert_false(selectors_match_any(&l->node_selectors, &other));
	assert_int_equal(l->interfaces.n, 2);
	assert_string_equal(l->interfaces.v[1].s, "br-provider");
	assert_int_equal(l->service_selectors.v[0].req[0].op, SEL_EXISTS);
	assert_int_equal(l->npreferred, 1);
	assert_int_equal(l->preferred[0].weight, 80);
	assert_true(selector_matches(&l->preferred[0].preference, &rack));
	assert_int_equal(config_adv_pools(cfg, o, NULL, 0), 1);
}

static void test_bgp_advertisement(void **state)
{
	(void)state;
	const struct object *o = load_one(
		"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: a}\nspec: {addresses: [192.0.2.0/24]}\n"
		"---\n"
		"apiVersion: metallb.io/v1beta1\nkind: Community\nmetadata: {name: c}\n"
		"spec:\n  communities:\n  - {name: gold, value: 'large:64500:1:2'}\n"
		"---\n"
		"apiVersion: metallb.io/v1beta1\n"
		"kind: BGPAdvertisement\n"
		"metadata: {name: b}\n"
		"spec:\n"
		"  aggregationLength: 24\n"
		"  aggregationLengthV6: 64\n"
		"  localPref: 150\n"
		"  communities: [\"65535:65282\", no-export, gold]\n"
		"  ipAddressPools: [a]\n"
		"  nodeSelectors: [{matchLabels: {edge: 'true'}}]\n"
		"  peers: [r1, r2]\n",
		KIND_BGPADVERTISEMENT, "default", "b");
	const struct bgp_adv *b = &o->bgpadv;
	char buf[COMMUNITY_STRLEN];

	assert_int_equal(b->aggregation_length.v, 24);
	assert_int_equal(b->aggregation_length_v6.v, 64);
	assert_int_equal(b->local_pref.v, 150);
	assert_int_equal(b->ncommunity_values, 3);
	community_format(&b->community_values[0], buf);
	assert_string_equal(buf, "65535:65282");
	community_format(&b->community_values[1], buf);
	assert_string_equal(buf, "65535:65281");
	community_format(&b->community_values[2], buf);
	assert_string_equal(buf, "large:64500:1:2");
	assert_int_equal(b->peers.n, 2);
	assert_non_null(find_diag(&diags, DIAG_WARNING, "BGPPeer \"r1\" does not exist"));

	o = load_one("apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: d}\n",
		     KIND_BGPADVERTISEMENT, "default", "d");
	assert_int_equal(o->bgpadv.aggregation_length.v, 32);
	assert_int_equal(o->bgpadv.aggregation_length_v6.v, 128);
	assert_false(o->bgpadv.local_pref.set);
}

#define PEER "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r, namespace: lb}\nspec:\n"

static void test_bgp_peer(void **state)
{
	(void)state;
	const struct object *o = load_one(
		PEER "  myASN: 4200000000\n"
		"  peerASN: 64501\n"
		"  localASN: 4200000009\n"
		"  dualStackAddressFamily: true\n"
		"  peerAddress: 2001:db8::1\n"
		"  sourceAddress: 2001:db8::2\n"
		"  peerPort: 1179\n"
		"  holdTime: 1m30s\n"
		"  keepaliveTime: 10s\n"
		"  connectTime: 5s\n"
		"  routerID: 192.0.2.9\n"
		"  nodeSelectors: [{matchLabels: {rack: r1}}]\n"
		"  passwordSecret: {name: md5}\n"
		"  bfdProfile: fast\n"
		"  enableGracefulRestart: true\n"
		"  ebgpMultiHop: true\n"
		"  vrf: red\n"
		"---\n"
		"apiVersion: v1\nkind: Secret\nmetadata: {name: md5, namespace: lb}\ntype: kubernetes.io/basic-auth\n"
		"data: {password: czNjcjN0}\n"
		"---\n"
		"apiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata: {name: fast, namespace: lb}\n",
		KIND_BGPPEER, "lb", "r");
	const struct bgp_peer *p = &o->peer;

	assert_int_equal(p->my_asn.v, 4200000000u);
	assert_int_equal(p->peer_asn.v, 64501);
	assert_int_equal(p->local_asn.v, 4200000009u);
	assert_true(p->dual_stack_af.v);
	assert_null(find_diag(&diags, DIAG_WARNING, "unknown field"));
	assert_ip(&p->peer_address.a, "2001:db8::1");
	assert_ip(&p->source_address.a, "2001:db8::2");
	assert_int_equal(p->peer_port.v, 1179);
	assert_int_equal(p->hold_time.v, 90 * DURATION_NS_PER_S);
	assert_int_equal(p->keepalive_time.v, 10 * DURATION_NS_PER_S);
	assert_int_equal(p->connect_time.v, 5 * DURATION_NS_PER_S);
	assert_ip(&p->router_id.a, "192.0.2.9");
	assert_string_equal(p->md5_password, "s3cr3t");
	assert_true(p->graceful_restart.v);
	assert_true(p->ebgp_multihop.v);
	assert_string_equal(p->vrf.s, "red");
	assert_string_equal(p->bfd_profile.s, "fast");

	/* An empty passwordSecret (Go's zero value, as MetalLB's clients write it) means none. */
	o = load_one(PEER "  myASN: 64500\n  peerASN: 64500\n  peerAddress: 192.0.2.1\n  password: pw\n"
			  "  passwordSecret: {}\n",
		     KIND_BGPPEER, "lb", "r");
	assert_string_equal(o->peer.md5_password, "pw");
	assert_null(o->peer.password_secret.name.s);

	o = load_one(PEER "  myASN: 64500\n  peerASN: 64500\n  peerAddress: 192.0.2.1\n", KIND_BGPPEER, "lb", "r");
	assert_int_equal(o->peer.peer_port.v, 179);
	assert_int_equal(o->peer.hold_time.v, 90 * DURATION_NS_PER_S);
	assert_int_equal(o->peer.keepalive_time.v, 30 * DURATION_NS_PER_S);
	assert_null(o->peer.md5_password);
	assert_int_equal(o->peer.dynamic_asn, DYNAMIC_ASN_NONE);

	/* keepaliveTime alone: holdTime is three times it. */
	o = load_one(PEER "  myASN: 64500\n  dynamicASN: external\n  peerAddress: 192.0.2.1\n  keepaliveTime: 20s\n"
		     "  password: plain\n",
		     KIND_BGPPEER, "lb", "r");
	assert_int_equal(o->peer.hold_time.v, 60 * DURATION_NS_PER_S);
	assert_int_equal(o->peer.dynamic_asn, DYNAMIC_ASN_EXTERNAL);
	assert_string_equal(o->peer.md5_password, "plain");

	/* holdTime 0 disables keepalives; v1beta1 reads the same. */
	o = load_one("apiVersion: metallb.io/v1beta1\nkind: BGPPeer\nmetadata: {name: r, namespace: lb}\nspec:\n"
		     "  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  holdTime: 0s\n",
		     KIND_BGPPEER, "lb", "r");
	assert_int_equal(o->peer.hold_time.v, 0);
	assert_int_equal(o->peer.keepalive_time.v, 0);
	assert_string_equal(o->meta.api_version, "metallb.io/v1beta1");
}

static void test_bfd_profile(void **state)
{
	(void)state;
	const struct object *o = load_one("apiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata: {name: f}\n"
					  "spec:\n  receiveInterval: 100\n  transmitInterval: 200\n  detectMultiplier: 5\n"
					  "  echoInterval: 60\n  echoMode: true\n  passiveMode: true\n  minimumTtl: 10\n",
					  KIND_BFDPROFILE, "default", "f");
	assert_int_equal(o->bfd.receive_interval.v, 100);
	assert_int_equal(o->bfd.transmit_interval.v, 200);
	assert_int_equal(o->bfd.detect_multiplier.v, 5);
	assert_int_equal(o->bfd.echo_interval.v, 60);
	assert_true(o->bfd.echo_mode.v);
	assert_true(o->bfd.passive_mode.v);
	assert_int_equal(o->bfd.minimum_ttl.v, 10);

	o = load_one("apiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata: {name: f}\n", KIND_BFDPROFILE,
		     "default", "f");
	assert_int_equal(o->bfd.receive_interval.v, 300);
	assert_int_equal(o->bfd.transmit_interval.v, 300);
	assert_int_equal(o->bfd.detect_multiplier.v, 3);
	assert_int_equal(o->bfd.echo_interval.v, 50);
	assert_false(o->bfd.echo_mode.v);
	assert_int_equal(o->bfd.minimum_ttl.v, 254);
}

static void test_secret(void **state)
{
	(void)state;
	const struct object *o = load_one("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
					  "data: {a: YWJj, b: '', c: YQ==}\nstringData: {a: override, d: plain}\n",
					  KIND_SECRET, "default", "s");
	const struct secret *s = &o->secret;
	assert_string_equal(s->type.s, "Opaque");
	assert_int_equal(s->n, 4);
	for (size_t i = 0; i < s->n; i++) {
		const char *want = strcmp(s->v[i].key, "a") == 0   ? "override"
				   : strcmp(s->v[i].key, "b") == 0 ? ""
				   : strcmp(s->v[i].key, "c") == 0 ? "a"
								   : "plain";
		assert_int_equal(s->v[i].len, strlen(want));
		assert_memory_equal(s->v[i].value, want, s->v[i].len);
	}
}

static void test_service(void **state)
{
	(void)state;
	const struct object *o = load_one(
		"apiVersion: v1\nkind: Service\n"
		"metadata:\n  name: web\n  namespace: shop\n  creationTimestamp: \"2026-01-02T03:04:05Z\"\n"
		"  annotations:\n    metallb.io/address-pool: prod\n    metallb.io/allow-shared-ip: key1\n"
		"spec:\n"
		"  type: LoadBalancer\n"
		"  loadBalancerIP: 192.0.2.10\n"
		"  loadBalancerClass: vipcast\n"
		"  ipFamilies: [IPv6, IPv4]\n"
		"  ipFamilyPolicy: PreferDualStack\n"
		"  externalTrafficPolicy: Local\n"
		"  selector: {app: web}\n"
		"  ports:\n"
		"  - {name: dns, port: 53, protocol: UDP, targetPort: dns}\n"
		"  - {port: 443, nodePort: 30443}\n"
		"  clusterIP: 198.18.0.10\n"
		"status:\n  loadBalancer:\n    ingress:\n    - ip: 192.0.2.10\n    - hostname: lb.example\n"
		"    - ip: 2001:db8::10\n",
		KIND_SERVICE, "shop", "web");
	const struct service *s = &o->svc;

	assert_string_equal(s->type, "LoadBalancer");
	const struct service_spec *sp = s->spec;
	assert_non_null(sp);
	assert_ip(&sp->load_balancer_ip.a, "192.0.2.10");
	assert_string_equal(s->load_balancer_class, "vipcast");
	assert_int_equal(sp->nfamilies, 2);
	assert_int_equal(sp->families[0], IPF_V6);
	assert_int_equal(sp->family_policy, PREFER_DUAL_STACK);
	assert_int_equal(s->traffic_policy, TRAFFIC_LOCAL);
	assert_string_equal(labels_get(&sp->selector, "app"), "web");
	assert_int_equal(sp->nports, 2);
	assert_int_equal(sp->ports[0].proto, PROTO_UDP);
	assert_int_equal(sp->ports[0].port, 53);
	assert_string_equal(sp->ports[0].name, "dns");
	assert_int_equal(sp->ports[1].proto, PROTO_TCP);
	assert_int_equal(sp->ports[1].node_port, 30443);
	assert_int_equal(s->ningress, 2);
	assert_ip(&s->ingress[1], "2001:db8::10");
	assert_string_equal(labels_get(&o->meta.annotations, "metallb.io/address-pool"), "prod");
	assert_string_equal(o->meta.creation_timestamp, "2026-01-02T03:04:05Z");

	o = load_one("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n", KIND_SERVICE, "default", "s");
	assert_string_equal(o->svc.type, "ClusterIP");
	assert_int_equal(o->svc.traffic_policy, TRAFFIC_CLUSTER);
	assert_int_equal(o->svc.spec->family_policy, FAMILY_POLICY_UNSET);
	assert_int_equal(o->svc.ningress, 0);
}

static void test_node_namespace_slice_subnet(void **state)
{
	(void)state;
	const char *yaml =
		"apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n  labels: {kubernetes.io/hostname: n1}\n"
		"spec: {podCIDR: 198.18.1.0/24, taints: []}\n"
		"status:\n  addresses:\n  - {type: InternalIP, address: 192.0.2.11}\n  - {type: Hostname, address: n1}\n"
		"  conditions:\n  - {type: Ready, status: 'True'}\n  - {type: NetworkUnavailable, status: 'True'}\n"
		"  nodeInfo: {kubeletVersion: v1.30.0}\n"
		"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: a}}\n"
		"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		"metadata: {name: web-abc, namespace: shop, labels: {kubernetes.io/service-name: web}}\n"
		"addressType: IPv4\n"
		"endpoints:\n"
		"- {addresses: [198.18.1.5], nodeName: n1}\n"
		"- {addresses: [198.18.2.5], nodeName: n2, conditions: {ready: false, terminating: true}}\n"
		"ports: [{port: 80, protocol: TCP}]\n"
		"---\napiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: underlay}\n"
		"spec:\n  cidrBlock: 192.0.2.0/24,2001:db8::/64\n  excludeIps: [192.0.2.1, 192.0.2.200..192.0.2.220]\n"
		"  enableExternalLBAddress: true\n  vlan: v341\n  gateway: 192.0.2.1\n";

	const struct object *o = load_one(yaml, KIND_NODE, NULL, "n1");
	assert_null(o->meta.namespace);
	assert_string_equal(o->meta.id, "Node n1");
	assert_int_equal(o->node.naddrs, 2);
	assert_string_equal(o->node.addrs[0].type, "InternalIP");
	assert_ip(&o->node.addrs[0].ip, "192.0.2.11");
	assert_int_equal(o->node.addrs[1].ip.family, IPF_NONE);
	assert_true(o->node.network_unavailable);

	o = config_find(cfg, KIND_NAMESPACE, NULL, "shop");
	assert_non_null(o);
	assert_string_equal(labels_get(&o->meta.labels, "team"), "a");

	o = config_find(cfg, KIND_ENDPOINTSLICE, "shop", "web-abc");
	assert_non_null(o);
	assert_string_equal(o->eps.service_name, "web");
	assert_int_equal(o->eps.family, IPF_V4);
	assert_int_equal(o->eps.n, 2);
	assert_true(o->eps.v[0].ready);
	assert_false(o->eps.v[1].ready);
	assert_true(o->eps.v[1].terminating);
	assert_string_equal(o->eps.v[1].node_name, "n2");
	assert_ip(&o->eps.v[1].addrs[0], "198.18.2.5");

	o = config_find(cfg, KIND_SUBNET, NULL, "underlay");
	assert_non_null(o);
	assert_int_equal(o->subnet.ncidrs, 2);
	assert_range(&o->subnet.cidrs[1], "2001:db8::/64");
	assert_int_equal(o->subnet.nexclude, 2);
	assert_range(&o->subnet.exclude[1].r, "192.0.2.200-192.0.2.220");
	assert_true(o->subnet.external_lb.v);
	assert_string_equal(o->subnet.vlan.s, "v341");
	assert_int_equal(diags.warnings, 0);
}

static void test_lists_and_ignored_kinds(void **state)
{
	(void)state;
	const char *yaml = "apiVersion: v1\nkind: List\nitems:\n"
			   "- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n"
			   "- {apiVersion: apps/v1, kind: Deployment, metadata: {name: d}}\n"
			   "---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPoolList\nitems:\n"
			   "- metadata: {name: p, namespace: lb}\n  spec: {addresses: [192.0.2.0/24]}\n";
	struct config *c = config_new();
	struct diags d;
	size_t ignored = 0;

	diags_init(&d);
	assert_true(config_load_yaml(c, "l.yaml", yaml, strlen(yaml), &d, &ignored));
	assert_int_equal(ignored, 1);
	assert_non_null(config_find(c, KIND_NAMESPACE, NULL, "a"));
	assert_non_null(config_find(c, KIND_IPADDRESSPOOL, "lb", "p"));
	config_free(c);
	diags_free(&d);
}

static void test_store_put_take(void **state)
{
	(void)state;
	load_one("apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n---\n"
		 "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n"
		 "apiVersion: v1\nkind: Namespace\nmetadata: {name: c}\n",
		 KIND_NAMESPACE, NULL, "a");
	const struct objects *ns = &cfg->kinds[KIND_NAMESPACE];
	assert_int_equal(ns->n, 3);
	assert_string_equal(ns->v[0]->meta.name, "a");
	assert_string_equal(ns->v[2]->meta.name, "c");

	struct object *b = config_take(cfg, KIND_NAMESPACE, NULL, "b");
	assert_non_null(b);
	assert_null(config_find(cfg, KIND_NAMESPACE, NULL, "b"));
	assert_null(config_put(cfg, b));
	assert_ptr_equal(config_find(cfg, KIND_NAMESPACE, NULL, "b"), b);
	assert_null(config_take(cfg, KIND_NAMESPACE, NULL, "zz"));
	assert_string_equal(ns->v[1]->meta.name, "b");  /* put back in its place, not at the end */

	/* Puts into a sorted array keep it sorted, at either end and in between. */
	struct object *a = config_take(cfg, KIND_NAMESPACE, NULL, "a"), *c = config_take(cfg, KIND_NAMESPACE, NULL, "c");
	assert_null(config_put(cfg, c));
	assert_null(config_put(cfg, a));
	static const char *const order[] = { "a", "b", "c" };
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(ns->v[i]->meta.name, order[i]);
	assert_false(ns->unsorted);
}

static int teardown(void **state)
{
	(void)state;
	config_free(cfg);
	diags_free(&diags);
	cfg = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_l2_advertisement),
		cmocka_unit_test(test_bgp_advertisement),
		cmocka_unit_test(test_bgp_peer),
		cmocka_unit_test(test_bfd_profile),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_node_namespace_slice_subnet),
		cmocka_unit_test(test_lists_and_ignored_kinds),
		cmocka_unit_test(test_store_put_take),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
