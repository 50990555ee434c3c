/*
 * The L2 owner rule (speaker/owner.h): the score against an independent
 * computation, preferredNodeSelectors weights, determinism, sharing, and the
 * two numbers that matter: how evenly 1000 VIPs spread over 5 nodes, and how
 * many move when a 6th node comes or one goes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "owner.h"
#include "plan.h"
#include "reconcile.h"
#include "testutil.h"

static struct ipaddr ip(const char *s)
{
	struct ipaddr a;
	assert_true(ipaddr_parse(s, strlen(s), &a));
	return a;
}

/* python3: int.from_bytes(hashlib.sha256(b"node1\0192.0.2.200").digest()[:8], "big") */
static void test_score_matches_independent_sha256(void **state)
{
	(void)state;
	struct ipaddr v4 = ip("192.0.2.200"), v6 = ip("2001:db8::200");
	assert_true(owner_score("node1", &v4) == 0x105284e6477c0f38ULL);
	assert_true(owner_score("node2", &v4) == 0x5c1d407390a46f82ULL);
	assert_true(owner_score("node1", &v6) == 0x4b807f97d0e508e5ULL);
	/* Long names take the allocating path and must hash the same bytes. */
	char long_name[300];
	memset(long_name, 'n', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	assert_true(owner_score(long_name, &v4) != owner_score(long_name + 1, &v4));
}

/* The owner among the live nodes of names[0..n), as every speaker computes it. */
static int owner_of(const struct ipaddr *vip, const char *const *names, const int64_t *weights, const bool *live,
		    size_t n)
{
	struct owner_rank r[16];
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (live[i])
			r[k++] = (struct owner_rank){names[i], weights ? weights[i] : 0, owner_score(names[i], vip), (int)i};
	owner_rank_sort(r, k);
	return k ? r[0].tag : -1;
}

static void test_weights_then_score_then_name(void **state)
{
	(void)state;
	struct ipaddr v = ip("192.0.2.200");
	const char *names[] = {"node1", "node2"};
	bool live[] = {true, true};
	/* node2's score is larger: it wins at equal weight... */
	assert_int_equal(owner_of(&v, names, NULL, live, 2), 1);
	/* ...and a preferredNodeSelectors weight overrides the hash. */
	int64_t w[] = {10, 0};
	assert_int_equal(owner_of(&v, names, w, live, 2), 0);
	/* Equal scores (not reachable with SHA-256 in practice) go to the smaller name. */
	struct owner_rank a = {"b", 0, 7, 0}, b = {"a", 0, 7, 1};
	assert_true(owner_rank_cmp(&b, &a) < 0);
	assert_true(owner_rank_cmp(&a, &a) == 0);
}

static void test_deterministic_whatever_the_order(void **state)
{
	(void)state;
	const char *names[] = {"n1", "n2", "n3", "n4", "n5"};
	for (int i = 0; i < 200; i++) {
		struct ipaddr v = ip("198.18.0.0");
		v.b[3] = (uint8_t)i;
		struct owner_rank r1[5], r2[5];
		for (int k = 0; k < 5; k++) {
			r1[k] = (struct owner_rank){names[k], 0, owner_score(names[k], &v), k};
			r2[4 - k] = r1[k];
		}
		owner_rank_sort(r1, 5);
		owner_rank_sort(r2, 5);
		for (int k = 0; k < 5; k++)
			assert_string_equal(r1[k].node, r2[k].node);
	}
}

#define NVIPS 1000

static void vip_n(int i, bool v6, struct ipaddr *out)
{
	char s[64];
	if (v6)
		snprintf(s, sizeof s, "2001:db8::%x:%x", i / 256, i % 256 + 0x200);
	else
		snprintf(s, sizeof s, "198.18.%d.%d", i / 250, i % 250 + 1);
	*out = ip(s);
}

static void spread(bool v6)
{
	const char *names[] = {"node1", "node2", "node3", "node4", "node5", "node6"};
	bool live5[] = {true, true, true, true, true, false}, live6[] = {true, true, true, true, true, true};
	int count[6] = {0}, before[NVIPS], after6[NVIPS];
	for (int i = 0; i < NVIPS; i++) {
		struct ipaddr v;
		vip_n(i, v6, &v);
		before[i] = owner_of(&v, names, NULL, live5, 6);
		after6[i] = owner_of(&v, names, NULL, live6, 6);
		count[before[i]]++;
	}
	int mn = NVIPS, mx = 0;
	for (int k = 0; k < 5; k++) {
		mn = count[k] < mn ? count[k] : mn;
		mx = count[k] > mx ? count[k] : mx;
	}
	printf("%s: %d VIPs on 5 nodes: %d %d %d %d %d, max/min %.3f\n", v6 ? "IPv6" : "IPv4", NVIPS, count[0],
	       count[1], count[2], count[3], count[4], (double)mx / mn);
	/* Binomial(1000, 0.2): mean 200, sd 12.6; every count within 3.5 sd, max/min under 1.3. */
	assert_true(mn >= 156 && mx <= 244);
	assert_true((double)mx / mn < 1.3);

	/* A 6th node comes: only VIPs it now owns move, about 1/6 of them. */
	int moved = 0;
	for (int i = 0; i < NVIPS; i++)
		if (after6[i] != before[i]) {
			assert_int_equal(after6[i], 5);
			moved++;
		}
	printf("  node6 joins: %d VIPs move (1/6 = %d), all to node6\n", moved, NVIPS / 6);
	assert_true(moved >= 127 && moved <= 207);  /* 166.7 +- 3.4 sd */

	/* node3 goes: exactly its VIPs move, each to another node; nothing else moves. */
	bool live_no3[] = {true, true, false, true, true, false};
	int moved3 = 0, had3 = count[2], to[6] = {0};
	for (int i = 0; i < NVIPS; i++) {
		struct ipaddr v;
		vip_n(i, v6, &v);
		int o = owner_of(&v, names, NULL, live_no3, 6);
		if (o != before[i]) {
			assert_int_equal(before[i], 2);
			moved3++;
			to[o]++;
		} else {
			assert_int_not_equal(before[i], 2);
		}
	}
	printf("  node3 leaves: %d VIPs move (node3 had %d), to node1..5: %d %d %d %d %d\n", moved3, had3, to[0], to[1],
	       to[2], to[3], to[4]);
	assert_int_equal(moved3, had3);
	/* ...and they spread over the four others too. */
	for (int k = 0; k < 5; k++)
		if (k != 2)
			assert_true(to[k] > had3 / 8);
}

static void test_spread_and_movement_v4(void **state)
{
	(void)state;
	spread(false);
}

static void test_spread_and_movement_v6(void **state)
{
	(void)state;
	spread(true);
}

/* ---- through the plan: sharing and preferred weights as the configuration gives them ---- */

#define NODE(n, zone, addr)                                                                                  \
	"apiVersion: v1\nkind: Node\nmetadata: {name: " n ", labels: {zone: " zone "}}\n"                   \
	"status: {addresses: [{type: InternalIP, address: " addr "}]}\n---\n"
#define SHARED_SVC(name, port, ip)                                                                           \
	"apiVersion: v1\nkind: Service\nmetadata: {name: " name ", namespace: default,\n"                   \
	"  annotations: {metallb.io/allow-shared-ip: k}}\n"                                                    \
	"spec: {type: LoadBalancer, ports: [{port: " port "}]}\nstatus: {loadBalancer: {ingress: [{ip: " ip "}]}}\n---\n"
#define EPS(svc)                                                                                             \
	"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: " svc "-x, namespace: default,\n" \
	"  labels: {kubernetes.io/service-name: '" svc "'}}\naddressType: IPv4\n"                             \
	"endpoints: [{addresses: [10.0.0.1], nodeName: n1}]\n---\n"
#define POOL                                                                                                 \
	"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p, namespace: metallb-system}\n" \
	"spec: {addresses: [203.0.113.0/24]}\n---\n"

static void test_plan_sharing_and_preference(void **state)
{
	(void)state;
	const char *yaml = NODE("n1", "a", "192.0.2.11") NODE("n2", "b", "192.0.2.12") NODE("n3", "a", "192.0.2.13")
		POOL SHARED_SVC("web", "80", "203.0.113.7") EPS("web") SHARED_SVC("tls", "443", "203.0.113.7") EPS("tls")
		"apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2, namespace: metallb-system}\n"
		"spec: {preferredNodeSelectors: [{weight: 50, preference: {matchLabels: {zone: b}}}]}\n";
	struct config *c = load_valid(yaml);
	assert_non_null(c);
	struct svc_addrs *v;
	size_t allocated, n = service_addresses(c, NULL, true, &v, &allocated);
	struct plan *p = plan_build(c, "n1", v, n);
	/* Two Services, one IP: one VIP, so one owner for both. */
	assert_int_equal(p->nl2, 1);
	assert_int_equal(p->l2[0].nservices, 2);
	assert_int_equal(p->l2[0].nnodes, 3);
	struct owner_rank r[3];
	for (size_t k = 0; k < 3; k++)
		r[k] = (struct owner_rank){p->l2[0].nodes[k].node, p->l2[0].nodes[k].weight,
					   owner_score(p->l2[0].nodes[k].node, &p->l2[0].ip), (int)k};
	owner_rank_sort(r, 3);
	/* n2 is preferred (weight 50) whatever the hash says; the others follow by score. */
	assert_string_equal(r[0].node, "n2");
	assert_true(r[0].weight >= 50 && r[1].weight == 0 && r[2].weight == 0);
	assert_true(r[1].score > r[2].score);
	plan_free(p);
	svc_addrs_free(v);
	config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_score_matches_independent_sha256),
		cmocka_unit_test(test_weights_then_score_then_name),
		cmocka_unit_test(test_deterministic_whatever_the_order),
		cmocka_unit_test(test_spread_and_movement_v4),
		cmocka_unit_test(test_spread_and_movement_v6),
		cmocka_unit_test(test_plan_sharing_and_preference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
