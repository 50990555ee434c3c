/*
 * The allocator's rules, one test per rule, each through the same path as
 * `vipcast-controller --dry-run`: YAML in, reconcile_all(), outcomes checked
 * by Service. Incremental cases (pool edits, updates) drive alloc_* directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "reconcile.h"
#include "testutil.h"

struct run {
	struct config *cfg;
	struct diags d;
	struct alloc *a;
	struct svc_outcome *v;
	size_t n;
};

static void run_text(struct run *r, const char *yaml, const char *lb_class)
{
	memset(r, 0, sizeof(*r));
	if (!load_text(yaml, &r->cfg, &r->d)) {
		print_diags(&r->d);
		fail_msg("configuration refused");
	}
	r->a = alloc_new();
	r->n = reconcile_all(r->a, r->cfg, lb_class, &r->v);
}

static void run_done(struct run *r)
{
	reconcile_free(r->v, r->n);
	alloc_free(r->a);
	config_free(r->cfg);
	diags_free(&r->d);
}

static const struct svc_outcome *outcome(const struct run *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].svc->meta.name, name) == 0)
			return &r->v[i];
	return NULL;
}

/* want: "ip[,ip]@pool", or "!" followed by a substring of the error, or "-" for "not served at all". */
static void expect(const struct run *r, const char *name, const char *want)
{
	const struct svc_outcome *o = outcome(r, name);
	char got[512] = "";

	if (!o) {
		if (strcmp(want, "-") != 0)
			fail_msg("%s: not served, want %s", name, want);
		return;
	}
	if (!o->res.ok) {
		snprintf(got, sizeof(got), "!%s", o->res.message);
		if (want[0] != '!' || !strstr(got, want + 1))
			fail_msg("%s: got \"%s\", want \"%s\"", name, got, want);
		return;
	}
	size_t off = 0;
	for (size_t i = 0; i < o->res.nips; i++) {
		char ip[IPADDR_STRLEN];
		ipaddr_format(&o->res.ips[i], ip);
		off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%s", i ? "," : "", ip);
	}
	snprintf(got + off, sizeof(got) - off, "@%s", o->res.pool);
	if (strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", name, got, want);
}

#define POOL(name, extra, addrs)                                                                    \
	"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: " name ", namespace: lb}\n" \
	"spec:\n  addresses: " addrs "\n" extra "---\n"
#define SVC(ns, name, meta, spec)                                                                   \
	"apiVersion: v1\nkind: Service\nmetadata: {name: " name ", namespace: " ns meta "}\n"          \
	"spec:\n  type: LoadBalancer\n" spec "---\n"
#define TS(t) ", creationTimestamp: '2026-01-01T00:00:" t "Z'"
#define SVC_STATUS(ns, name, meta, spec, ip)                                                        \
	"apiVersion: v1\nkind: Service\nmetadata: {name: " name ", namespace: " ns meta "}\n"          \
	"spec:\n  type: LoadBalancer\n" spec                                                            \
	"status: {loadBalancer: {ingress: [{ip: " ip "}]}}\n---\n"

static void test_range_edges_and_order(void **state)
{
	(void)state;
	struct run r;
	run_text(&r,
		 POOL("p", "", "[192.0.2.10-192.0.2.11, 198.51.100.7/32]")
		 SVC("a", "s1", TS("01"), "") SVC("a", "s2", TS("02"), "") SVC("a", "s3", TS("03"), "")
		 SVC("a", "s4", TS("04"), ""),
		 NULL);
	expect(&r, "s1", "192.0.2.10@p");  /* first address of the first entry */
	expect(&r, "s2", "192.0.2.11@p");  /* last address of that range */
	expect(&r, "s3", "198.51.100.7@p"); /* next entry, in the order written */
	expect(&r, "s4", "!no pool has a free IPv4 address (tried p)");
	run_done(&r);
}

static void test_entries_in_written_order(void **state)
{
	(void)state;
	struct run r;
	run_text(&r, POOL("p", "", "[198.51.100.0/31, 192.0.2.0/31]") SVC("a", "s1", TS("01"), ""), NULL);
	expect(&r, "s1", "198.51.100.0@p");  /* written first, though numerically higher */
	run_done(&r);
}

static void test_avoid_buggy_ips(void **state)
{
	(void)state;
	struct run r;
	run_text(&r,
		 POOL("p", "  avoidBuggyIPs: true\n", "[192.0.2.255-198.51.100.1, 203.0.113.254/31]")
		 SVC("a", "s1", TS("01"), "") SVC("a", "s2", TS("02"), "") SVC("a", "s3", TS("03"), "")
		 SVC("a", "s4", TS("04"), "") SVC("a", "want0", TS("05"), "  loadBalancerIP: 203.0.113.255\n"),
		 NULL);
	/* 192.0.2.255 and 192.0.3.0 are skipped: the range starts on .255 and crosses into .0 */
	expect(&r, "s1", "192.0.3.1@p");
	expect(&r, "want0", "!203.0.113.255 ends in .0 or .255 and pool p sets avoidBuggyIPs");
	run_done(&r);

	run_text(&r, POOL("p", "  avoidBuggyIPs: true\n", "[203.0.113.254/31]") SVC("a", "s1", TS("01"), "")
		 SVC("a", "s2", TS("02"), ""), NULL);
	expect(&r, "s1", "203.0.113.254@p");  /* /31 at a CIDR edge: .255 is never handed out */
	expect(&r, "s2", "!no pool has a free IPv4 address");
	run_done(&r);

	run_text(&r, POOL("p", "", "[203.0.113.255/32]") SVC("a", "s1", TS("01"), ""), NULL);
	expect(&r, "s1", "203.0.113.255@p");  /* without avoidBuggyIPs it is an address like any other */
	run_done(&r);
}

static void test_pool_choice(void **state)
{
	(void)state;
	struct run r;
	run_text(&r,
		 POOL("zz-plain", "", "[192.0.2.1/32]")
		 POOL("aa-plain", "", "[192.0.2.2/32]")
		 POOL("manual", "  autoAssign: false\n", "[192.0.2.3/32]")
		 POOL("prio0", "  serviceAllocation: {namespaces: [a]}\n", "[192.0.2.4/32]")
		 POOL("prio20", "  serviceAllocation: {priority: 20, namespaces: [a]}\n", "[192.0.2.5/32]")
		 POOL("prio10", "  serviceAllocation: {priority: 10, namespaces: [a]}\n", "[192.0.2.6/32]")
		 POOL("web-only", "  serviceAllocation:\n    priority: 1\n    serviceSelectors: [{matchLabels: {app: web}}]\n",
		      "[192.0.2.7/32]")
		 POOL("team-b", "  serviceAllocation:\n    priority: 1\n    namespaceSelectors: [{matchLabels: {team: b}}]\n",
		      "[192.0.2.8/32]")
		 "apiVersion: v1\nkind: Namespace\nmetadata: {name: b, labels: {team: b}}\n---\n"
		 SVC("a", "a1", TS("01"), "") SVC("a", "a2", TS("02"), "") SVC("a", "a3", TS("03"), "")
		 SVC("a", "a4", TS("04"), "") SVC("a", "a5", TS("05"), "") SVC("a", "a6", TS("06"), "")
		 SVC("a", "web", TS("07") ", labels: {app: web}", "")
		 SVC("b", "b1", TS("08"), "") SVC("c", "c1", TS("09"), "")
		 SVC("c", "named", TS("10") ", annotations: {metallb.io/address-pool: manual}", "")
		 SVC("c", "old-annotation", TS("11") ", annotations: {metallb.universe.tf/address-pool: prio10}", "")
		 SVC("c", "ghost", TS("12") ", annotations: {metallb.io/address-pool: nope}", ""),
		 NULL);
	expect(&r, "a1", "192.0.2.6@prio10");  /* priority 10 before 20 before unset */
	expect(&r, "a2", "192.0.2.5@prio20");
	expect(&r, "a3", "192.0.2.4@prio0");
	expect(&r, "a4", "192.0.2.2@aa-plain"); /* then every other autoAssign pool, by name */
	expect(&r, "a5", "192.0.2.1@zz-plain");
	expect(&r, "a6", "!no pool has a free IPv4 address (tried prio10, prio20, prio0, aa-plain, zz-plain)");
	expect(&r, "web", "192.0.2.7@web-only");
	expect(&r, "b1", "192.0.2.8@team-b");
	expect(&r, "c1", "!no pool has a free IPv4 address (tried aa-plain, zz-plain)"); /* pinned pools are not c's */
	expect(&r, "named", "192.0.2.3@manual");  /* an annotation reaches an autoAssign: false pool */
	expect(&r, "old-annotation", "!pool prio10 does not admit this Service");
	expect(&r, "ghost", "!pool nope named by metallb.io/address-pool does not exist");
	run_done(&r);
}

static void test_requested_ips(void **state)
{
	(void)state;
	struct run r;
	run_text(&r,
		 POOL("p", "", "[192.0.2.0/29, 2001:db8::/126]")
		 POOL("manual", "  autoAssign: false\n", "[198.51.100.0/30]")
		 SVC("a", "lbip", TS("01"), "  loadBalancerIP: 192.0.2.5\n")
		 SVC("a", "ann", TS("02") ", annotations: {metallb.io/loadBalancerIPs: '192.0.2.6, 2001:db8::2'}",
		     "  ipFamilyPolicy: RequireDualStack\n")
		 SVC("a", "manual", TS("03"), "  loadBalancerIP: 198.51.100.1\n")
		 SVC("a", "outside", TS("04"), "  loadBalancerIP: 203.0.113.9\n")
		 SVC("a", "taken", TS("05"), "  loadBalancerIP: 192.0.2.5\n")
		 SVC("a", "both", TS("06") ", annotations: {metallb.io/loadBalancerIPs: 192.0.2.1}",
		     "  loadBalancerIP: 192.0.2.1\n")
		 SVC("a", "two-v4", TS("07") ", annotations: {metallb.io/loadBalancerIPs: '192.0.2.1,192.0.2.2'}", "")
		 SVC("a", "wrong-pool", TS("08") ", annotations: {metallb.io/address-pool: manual}",
		     "  loadBalancerIP: 192.0.2.3\n")
		 SVC("a", "auto", TS("09"), ""),
		 NULL);
	expect(&r, "lbip", "192.0.2.5@p");
	expect(&r, "ann", "192.0.2.6,2001:db8::2@p");
	expect(&r, "manual", "198.51.100.1@manual");  /* requested IPs may come from autoAssign: false pools */
	expect(&r, "outside", "!203.0.113.9 is in no address pool");
	expect(&r, "taken", "!192.0.2.5 is in use by a/lbip and no common metallb.io/allow-shared-ip key");
	expect(&r, "both", "!spec.loadBalancerIP and the metallb.io/loadBalancerIPs annotation are both set");
	expect(&r, "two-v4", "!more than one IPv4 address requested");
	expect(&r, "wrong-pool", "!the address is in pool p, not in pool manual");
	expect(&r, "auto", "192.0.2.0@p");
	run_done(&r);
}

static void test_sharing(void **state)
{
	(void)state;
	struct run r;
#define SHARED(key) ", annotations: {metallb.io/allow-shared-ip: " key "}"
	run_text(&r,
		 POOL("p", "", "[192.0.2.0/30]")
		 "apiVersion: v1\nkind: Service\nmetadata: {name: dns-tcp, namespace: a, creationTimestamp: '2026-01-01T00:00:01Z',"
		 " annotations: {metallb.io/allow-shared-ip: dns}}\nspec:\n  type: LoadBalancer\n  ports: [{port: 53, protocol: TCP}]\n---\n"
		 "apiVersion: v1\nkind: Service\nmetadata: {name: dns-udp, namespace: a, creationTimestamp: '2026-01-01T00:00:02Z',"
		 " annotations: {metallb.io/allow-shared-ip: dns}}\nspec:\n  type: LoadBalancer\n  ports: [{port: 53, protocol: UDP}]\n---\n"
		 "apiVersion: v1\nkind: Service\nmetadata: {name: dns-tcp2, namespace: a, creationTimestamp: '2026-01-01T00:00:03Z',"
		 " annotations: {metallb.io/allow-shared-ip: dns}}\nspec:\n  type: LoadBalancer\n  ports: [{port: 53, protocol: TCP}]\n---\n"
		 SVC("a", "nokey", TS("04"), "")
		 SVC("a", "otherkey", TS("05") SHARED("web"), "")
		 SVC("a", "local1", TS("06") SHARED("loc"), "  externalTrafficPolicy: Local\n  selector: {app: x}\n")
		 SVC("a", "local2", TS("07") SHARED("loc"),
		     "  externalTrafficPolicy: Local\n  selector: {app: other}\n  loadBalancerIP: 192.0.2.3\n"),
		 NULL);
	expect(&r, "dns-tcp", "192.0.2.0@p");
	expect(&r, "dns-udp", "192.0.2.0@p");   /* TCP/53 and UDP/53 share */
	expect(&r, "dns-tcp2", "192.0.2.1@p");  /* TCP/53 collides: next address */
	expect(&r, "nokey", "192.0.2.2@p");     /* no key: never shares */
	expect(&r, "otherkey", "192.0.2.3@p");
	expect(&r, "local1", "!no pool has a free IPv4 address");
	expect(&r, "local2", "!192.0.2.3 is in use by a/otherkey");
	run_done(&r);

	run_text(&r,
		 POOL("p", "", "[192.0.2.0/31]")
		 SVC("a", "l1", TS("01") SHARED("k"), "  externalTrafficPolicy: Local\n  selector: {app: x, tier: a}\n")
		 SVC("a", "l2", TS("02") SHARED("k"),
		     "  externalTrafficPolicy: Local\n  selector: {tier: a, app: x}\n  ports: [{port: 81}]\n")
		 SVC("a", "l3", TS("03") SHARED("k"),
		     "  externalTrafficPolicy: Local\n  selector: {app: other}\n  ports: [{port: 82}]\n")
		 SVC("a", "c1", TS("04") SHARED("k"), "  ports: [{port: 83}]\n"),
		 NULL);
	expect(&r, "l1", "192.0.2.0@p");
	expect(&r, "l2", "192.0.2.0@p");  /* Local with the identical selector, in any order */
	expect(&r, "l3", "192.0.2.1@p");  /* another selector: no sharing */
	expect(&r, "c1", "!no pool has a free IPv4 address");  /* Cluster never shares with Local */
	run_done(&r);
}

static void test_families(void **state)
{
	(void)state;
	struct run r;
	run_text(&r,
		 POOL("v4", "", "[192.0.2.0/30]")
		 POOL("v6", "", "[2001:db8::/126]")
		 POOL("x-dual", "", "[198.51.100.0/30, 2001:db8:1::/126]")
		 SVC("a", "single4", TS("01"), "")
		 SVC("a", "single6", TS("02"), "  ipFamilies: [IPv6]\n")
		 SVC("a", "require", TS("03"), "  ipFamilyPolicy: RequireDualStack\n")
		 SVC("a", "require6", TS("04"), "  ipFamilyPolicy: RequireDualStack\n  ipFamilies: [IPv6, IPv4]\n")
		 SVC("a", "prefer", TS("05"), "  ipFamilyPolicy: PreferDualStack\n")
		 SVC("a", "need-v6-pool", TS("06") ", annotations: {metallb.io/address-pool: v6}",
		     "  ipFamilyPolicy: RequireDualStack\n")
		 SVC("a", "prefer-v6-pool", TS("07") ", annotations: {metallb.io/address-pool: v6}",
		     "  ipFamilyPolicy: PreferDualStack\n")
		 SVC("a", "single4-in-v6", TS("08") ", annotations: {metallb.io/address-pool: v6}", ""),
		 NULL);
	expect(&r, "single4", "192.0.2.0@v4");
	expect(&r, "single6", "2001:db8::@v6");
	expect(&r, "require", "198.51.100.0,2001:db8:1::@x-dual");  /* only x-dual has both */
	expect(&r, "require6", "2001:db8:1::1,198.51.100.1@x-dual");
	expect(&r, "prefer", "198.51.100.2,2001:db8:1::2@x-dual");
	expect(&r, "need-v6-pool", "!no pool has a free IPv4 and a free IPv6 address (tried v6)");
	expect(&r, "prefer-v6-pool", "2001:db8::1@v6");  /* PreferDualStack takes what the pool has */
	expect(&r, "single4-in-v6", "!no pool has a free IPv4 address (tried v6)");
	run_done(&r);
}

static void test_lb_class_and_types(void **state)
{
	(void)state;
	struct run r;
	const char *yaml = POOL("p", "", "[192.0.2.0/30]")
		SVC("a", "plain", TS("01"), "")
		SVC("a", "classy", TS("02"), "  loadBalancerClass: vipcast.io/lb\n")
		"apiVersion: v1\nkind: Service\nmetadata: {name: cip, namespace: a}\nspec: {ports: [{port: 1}]}\n";
	run_text(&r, yaml, NULL);
	expect(&r, "plain", "192.0.2.0@p");
	expect(&r, "classy", "-");
	expect(&r, "cip", "-");
	run_done(&r);
	run_text(&r, yaml, "vipcast.io/lb");
	expect(&r, "plain", "-");
	expect(&r, "classy", "192.0.2.0@p");
	run_done(&r);
}

static void test_restart_reclaim(void **state)
{
	(void)state;
	struct run r;
	run_text(&r,
		 POOL("p", "", "[192.0.2.0/29]")
		 SVC_STATUS("a", "young", TS("09"), "", "192.0.2.5")
		 SVC_STATUS("a", "old", TS("01"), "", "192.0.2.5")
		 SVC("a", "fresh", TS("05"), "")
		 SVC_STATUS("a", "stale", TS("06"), "", "203.0.113.1")
		 SVC_STATUS("a", "keeps-high", TS("07"), "", "192.0.2.7")
		 SVC_STATUS("a", "moved-request", TS("08"), "  loadBalancerIP: 192.0.2.2\n", "192.0.2.6"),
		 NULL);
	expect(&r, "old", "192.0.2.5@p");         /* the older Service keeps a contested address */
	expect(&r, "keeps-high", "192.0.2.7@p");  /* a valid status is kept, not compacted */
	expect(&r, "fresh", "192.0.2.0@p");       /* new ones only after every re-claim */
	expect(&r, "stale", "192.0.2.1@p");       /* status outside every pool: allocated anew */
	expect(&r, "moved-request", "192.0.2.2@p");
	expect(&r, "young", "192.0.2.3@p");       /* lost the contest: allocated anew, not 192.0.2.6 */
	run_done(&r);
}

static void collect_lost(const char *ns, const char *name, const char *why, void *arg)
{
	(void)ns;
	(void)why;
	int *n = arg;
	*n += strcmp(name, "b") == 0 ? 1 : 100;
}

static const struct object *replace(struct config *c, const char *yaml)
{
	struct config *tmp = config_new();
	struct diags d;
	diags_init(&d);
	assert_true(config_load_yaml(tmp, "edit.yaml", yaml, strlen(yaml), &d, NULL));
	struct object *o = tmp->kinds[KIND_IPADDRESSPOOL].n ? tmp->kinds[KIND_IPADDRESSPOOL].v[0]
							     : tmp->kinds[KIND_SERVICE].v[0];
	config_take(tmp, o->kind, o->meta.namespace, o->meta.name);
	config_free(tmp);
	diags_free(&d);
	object_free(config_put(c, o));  /* caller re-installs before using the allocator */
	return o;
}

static void assign(struct alloc *a, const struct object *svc, const char *want_ip)
{
	struct svc_request r;
	struct alloc_result res;
	char got[IPADDR_STRLEN] = "none";

	svc_request_read(svc, NULL, &r);
	alloc_assign(a, svc, &r, &res);
	svc_request_free(&r);
	if (res.nips)
		ipaddr_format(&res.ips[0], got);
	if (strcmp(got, want_ip) != 0)
		fail_msg("%s: got %s, want %s (%s)", svc->meta.name, got, want_ip, res.message);
}

static void test_pool_shrink_and_stability(void **state)
{
	(void)state;
	struct run r;
	run_text(&r, POOL("p", "", "[192.0.2.0/29]") SVC("a", "a", TS("01"), "") SVC("a", "b", TS("02"), "")
		     SVC("a", "c", TS("03"), ""), NULL);
	expect(&r, "c", "192.0.2.2@p");

	/* A pool edit that keeps a's and c's addresses only takes b's. The old pool object must
	 * outlive alloc_set_config(): swap it out by hand. */
	struct object *old = config_take(r.cfg, KIND_IPADDRESSPOOL, "lb", "p");
	const char *edit = POOL("p", "", "[192.0.2.0/32, 192.0.2.2-192.0.2.6]");
	struct config *tmp = config_new();
	struct diags d;
	diags_init(&d);
	if (!config_load_yaml(tmp, "edit.yaml", edit, strlen(edit), &d, NULL)) {
		print_diags(&d);
		fail();
	}
	config_put(r.cfg, config_take(tmp, KIND_IPADDRESSPOOL, "lb", "p"));
	config_free(tmp);
	diags_free(&d);
	int lost = 0;
	alloc_set_config(r.a, r.cfg, collect_lost, &lost);
	object_free(old);
	assert_int_equal(lost, 1);  /* only b */
	const struct object *b = config_find(r.cfg, KIND_SERVICE, "a", "b");
	assign(r.a, b, "192.0.2.3");  /* next lowest free in the new pool */
	assign(r.a, config_find(r.cfg, KIND_SERVICE, "a", "a"), "192.0.2.0");
	assign(r.a, config_find(r.cfg, KIND_SERVICE, "a", "c"), "192.0.2.2");

	/* An update that keeps the Service valid keeps its address; one that names another pool moves it. */
	const struct object *c2 = replace(r.cfg, SVC("a", "c", TS("03"), "  ports: [{port: 8080}]\n"));
	assign(r.a, c2, "192.0.2.2");
	assert_int_equal(alloc_held_addresses(r.a), 3);
	alloc_release(r.a, "a", "c");
	assert_int_equal(alloc_held_addresses(r.a), 2);
	assign(r.a, c2, "192.0.2.2");  /* lowest free again */
	run_done(&r);
}

static void usage_line(const struct object *pool, const struct alloc_pool_usage *u, void *arg)
{
	char *out = arg;
	size_t off = strlen(out);
	snprintf(out + off, 512 - off, "%s%s v4 %lld/%lld v6 %lld/%lld", off ? "; " : "", pool->meta.name,
		 (long long)u->assigned[0], (long long)u->available[0], (long long)u->assigned[1],
		 (long long)u->available[1]);
}

/* The IPAddressPool status counters, as MetalLB counts them; and the reason a holding was cleared. */
static void test_pool_usage(void **state)
{
	(void)state;
	struct run r;
	char got[512] = "";
	run_text(&r,
		 POOL("big6", "  autoAssign: false\n", "[2001:db8::/64]")
		 POOL("buggy", "  avoidBuggyIPs: true\n  autoAssign: false\n", "[192.0.2.0/23, 198.51.100.250-198.51.101.5]")
		 POOL("p", "", "[203.0.113.0/30, 2001:db8:1::/126]")
		 SVC("a", "s1", TS("01"), "")
		 SVC("a", "dns-tcp", TS("02") SHARED("dns"), "  ports: [{port: 53, protocol: TCP}]\n")
		 SVC("a", "dns-udp", TS("03") SHARED("dns"), "  ports: [{port: 53, protocol: UDP}]\n")
		 SVC("a", "dual", TS("04"), "  ipFamilyPolicy: RequireDualStack\n")
		 SVC("a", "b1", TS("05") ", annotations: {metallb.io/address-pool: buggy}", ""),
		 NULL);
	expect(&r, "dns-udp", "203.0.113.1@p");
	alloc_pool_usage(r.a, usage_line, got);
	/* buggy: 512 - 4 (.0/.255 of two /24s) + 12 - 2 (.255, .0 in the range); a /64 never runs out */
	assert_string_equal(got, "big6 v4 0/0 v6 0/9223372036854775807; buggy v4 1/517 v6 0/0; p v4 3/1 v6 1/3");

	/* A requested address that changes: the old one is cleared, with the reason. */
	struct alloc_result res;
	struct svc_request req;
	const struct object *s1 = replace(r.cfg, SVC("a", "s1", TS("01"), "  loadBalancerIP: 203.0.113.3\n"));
	svc_request_read(s1, NULL, &req);
	assert_true(alloc_assign(r.a, s1, &req, &res));
	assert_string_equal(res.cleared, "the requested addresses changed");
	assert_true(alloc_assign(r.a, s1, &req, &res));
	assert_string_equal(res.cleared, "");  /* kept: nothing cleared */
	svc_request_free(&req);
	run_done(&r);
}

static void test_underlay(void **state)
{
	(void)state;
	struct run r;
	const char *subnet = "apiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: u}\nspec:\n"
			     "  cidrBlock: 192.0.2.0/24\n  enableExternalLBAddress: %s\n  excludeIps: [%s]\n---\n";
	char yaml[2048];

	snprintf(yaml, sizeof(yaml), subnet, "true", "'192.0.2.1..192.0.2.10', '192.0.2.11..192.0.2.20'");
	strcat(yaml, POOL("under", "", "[192.0.2.5-192.0.2.15]") SVC("a", "s", TS("01"), ""));
	run_text(&r, yaml, NULL);
	expect(&r, "s", "192.0.2.5@under");
	run_done(&r);

	snprintf(yaml, sizeof(yaml), subnet, "false", "'192.0.2.1..192.0.2.20'");
	strcat(yaml, POOL("under", "", "[192.0.2.5-192.0.2.15]") SVC("a", "s", TS("01"), ""));
	run_text(&r, yaml, NULL);
	expect(&r, "s", "!no address pool with autoAssign admits this Service: pool under cannot serve: "
			"192.0.2.5-192.0.2.15 lies in Kube-OVN Subnet u, which does not set enableExternalLBAddress: true");
	run_done(&r);

	snprintf(yaml, sizeof(yaml), subnet, "true", "'192.0.2.1..192.0.2.10'");
	strcat(yaml, POOL("under", "", "[192.0.2.5-192.0.2.15]")
		     SVC("a", "s", TS("01") ", annotations: {metallb.io/address-pool: under}", ""));
	run_text(&r, yaml, NULL);
	expect(&r, "s", "!192.0.2.5-192.0.2.15 is not all in the excludeIps of Kube-OVN Subnet u");
	run_done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_edges_and_order),
		cmocka_unit_test(test_entries_in_written_order),
		cmocka_unit_test(test_avoid_buggy_ips),
		cmocka_unit_test(test_pool_choice),
		cmocka_unit_test(test_requested_ips),
		cmocka_unit_test(test_sharing),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_lb_class_and_types),
		cmocka_unit_test(test_restart_reclaim),
		cmocka_unit_test(test_pool_shrink_and_stability),
		cmocka_unit_test(test_underlay),
		cmocka_unit_test(test_pool_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
