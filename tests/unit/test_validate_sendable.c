/*
 * Validation refuses BGPAdvertisements whose routes cannot be sent: the
 * communities of one advertisement, or of several that merge on one prefix
 * and peer, leave no room for a prefix in a 4096-byte UPDATE. The limit it
 * gives is exact: one community fewer passes. Advertisements that can never
 * apply together (other pool, length, peer, or nodeSelectors no node can
 * match at once) are not merged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "bgp_rib_out.h"
#include "plan.h"
#include "services.h"
#include "testutil.h"

struct text {
	char *s;
	size_t len;
	FILE *f;
};

static void text_open(struct text *t)
{
	t->f = open_memstream(&t->s, &t->len);
	assert_non_null(t->f);
}

static const char *text_close(struct text *t)
{
	fclose(t->f);
	return t->s;
}

static void pool(struct text *t, const char *name, const char *cidr)
{
	fprintf(t->f,
		"---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: %s\n  namespace: lb\n"
		"spec:\n  addresses: [\"%s\"]\n",
		name, cidr);
}

static void peer(struct text *t, const char *name, unsigned my, unsigned their, const char *node_label)
{
	fprintf(t->f,
		"---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata:\n  name: %s\n  namespace: lb\n"
		"spec:\n  myASN: %u\n  peerASN: %u\n  peerAddress: 192.0.2.254\n",
		name, my, their);
	if (node_label)
		fprintf(t->f, "  nodeSelectors:\n  - matchLabels: {%s}\n", node_label);
}

/*
 * A BGPAdvertisement with nstd standard communities asn:0.. and nlarge large
 * ones large:asn:1:0..; extra: more spec lines ("  peers: [r1]\n").
 */
static void adv(struct text *t, const char *name, unsigned asn, size_t nstd, size_t nlarge, const char *extra)
{
	fprintf(t->f,
		"---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata:\n  name: %s\n  namespace: lb\n"
		"spec:\n%s  communities: [",
		name, extra ? extra : "");
	for (size_t i = 0; i < nstd; i++)
		fprintf(t->f, "%s\"%u:%zu\"", i ? ", " : "", asn, i);
	for (size_t i = 0; i < nlarge; i++)
		fprintf(t->f, "%s\"large:%u:1:%zu\"", i || nstd ? ", " : "", asn, i);
	fprintf(t->f, "]\n");
}

/* Loads the text; returns the first error about communities (NULL: valid), which the caller frees. */
static char *check(struct text *t, bool *valid, char *where, size_t wlen)
{
	struct config *c;
	struct diags d;
	const char *yaml = text_close(t);
	*valid = load_text(yaml, &c, &d);
	const struct diag *g = find_diag(&d, DIAG_ERROR, "communit");
	char *msg = g ? strdup(g->msg) : NULL;
	if (g && where)
		snprintf(where, wlen, "%s:%u %s %s", g->mark.file, g->mark.line, g->object ? g->object : "-",
			 g->path ? g->path : "-");
	if (!*valid && !g)
		print_diags(&d);
	config_free(c);
	diags_free(&d);
	free(t->s);
	return msg;
}

static void expect_valid(struct text *t)
{
	bool valid;
	char *msg = check(t, &valid, NULL, 0);
	if (!valid || msg)
		fail_msg("want valid, got: %s", msg ? msg : "(other errors)");
	free(msg);
}

static char *expect_error(struct text *t, const char *want, const char *where)
{
	bool valid;
	char at[256] = "";
	char *msg = check(t, &valid, at, sizeof(at));
	if (valid || !msg || !strstr(msg, want) || (where && strcmp(at, where) != 0))
		fail_msg("want an error at %s containing \"%s\", got %s at %s", where ? where : "-", want,
			 msg ? msg : "none", at);
	return msg;
}

/* "... at most 1,013 standard communities fit ..." -> 1013. */
static size_t limit_in(const char *msg, const char *before)
{
	const char *p = strstr(msg, "at most ");
	assert_non_null(p);
	size_t n = 0;
	for (p += 8; *p && *p != ' '; p++)
		if (*p != ',')
			n = n * 10 + (size_t)(*p - '0');
	assert_non_null(strstr(p, before));
	return n;
}

static void test_one_adv_standard(void **state)
{
	(void)state;
	struct text t;
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	adv(&t, "a", 64500, 1100, 0, NULL);
	char *msg = expect_error(&t, "1,100 communities take 4,404 bytes of path attributes: an UPDATE announcing one "
				     "IPv4 /32 of IPAddressPool lb/p1 toward any BGPPeer would be ",
				 "t.yaml:16 BGPAdvertisement lb/a spec.communities");
	assert_non_null(strstr(msg, "a BGP UPDATE holds 4,096 bytes, so at most "));
	size_t n = limit_in(msg, " standard communities fit beside one prefix");
	free(msg);
	assert_true(n > 1000 && n < 1100);

	/* The limit is exact: n passes, n + 1 does not. */
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	adv(&t, "a", 64500, n, 0, NULL);
	expect_valid(&t);
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	adv(&t, "a", 64500, n + 1, 0, NULL);
	free(expect_error(&t, "communities take", NULL));
}

static void test_one_adv_large_v6(void **state)
{
	(void)state;
	struct text t;
	text_open(&t);
	pool(&t, "p6", "2001:db8::/120");
	adv(&t, "a", 64500, 0, 340, NULL);
	char *msg = expect_error(&t, "340 large communities take", "t.yaml:16 BGPAdvertisement lb/a spec.communities");
	assert_non_null(strstr(msg, "one IPv6 /128 of IPAddressPool lb/p6"));
	size_t n = limit_in(msg, " large communities fit beside one prefix");
	free(msg);

	text_open(&t);
	pool(&t, "p6", "2001:db8::/120");
	adv(&t, "a", 64500, 0, n, NULL);
	expect_valid(&t);
	text_open(&t);
	pool(&t, "p6", "2001:db8::/120");
	adv(&t, "a", 64500, 0, n + 1, NULL);
	free(expect_error(&t, "large communities take", NULL));
}

/* A /64 takes 8 bytes less than a /128: room for two more standard communities. */
static void test_shorter_aggregate(void **state)
{
	(void)state;
	struct text t;
	text_open(&t);
	pool(&t, "p6", "2001:db8::/64");
	adv(&t, "a", 64500, 1100, 0, NULL);
	char *msg = expect_error(&t, "one IPv6 /128 of IPAddressPool lb/p6", NULL);
	size_t n = limit_in(msg, " standard communities fit");
	free(msg);
	text_open(&t);
	pool(&t, "p6", "2001:db8::/64");
	adv(&t, "a", 64500, n + 2, 0, "  aggregationLengthV6: 64\n");
	expect_valid(&t);
	text_open(&t);
	pool(&t, "p6", "2001:db8::/64");
	adv(&t, "a", 64500, n + 3, 0, "  aggregationLengthV6: 64\n");
	free(expect_error(&t, "one IPv6 /64 of IPAddressPool lb/p6", NULL));
}

static void test_mixed_kinds(void **state)
{
	(void)state;
	struct text t;
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	adv(&t, "a", 64500, 500, 200, NULL);
	char *msg = expect_error(&t, "500 communities and 200 large communities take", NULL);
	assert_non_null(strstr(msg, "beside these 200 large communities at most "));
	free(msg);
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	adv(&t, "a", 64500, 10, 400, NULL);
	msg = expect_error(&t, "the 400 large communities alone leave no room: at most ", NULL);
	free(msg);
}

/* Two advertisements that each fit, merged on the same prefixes. */
static void test_merged(void **state)
{
	(void)state;
	struct text t;
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	adv(&t, "a", 64500, 600, 0, NULL);
	adv(&t, "b", 64501, 600, 0, NULL);
	free(expect_error(&t,
			  "with BGPAdvertisement lb/a, which apply to the same prefixes and peer on one node, the merged "
			  "1,200 communities take 4,804 bytes of path attributes",
			  "t.yaml:24 BGPAdvertisement lb/b spec.communities"));

	/* The same communities twice merge into one set. */
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	adv(&t, "a", 64500, 600, 0, NULL);
	adv(&t, "b", 64500, 600, 0, NULL);
	expect_valid(&t);

	/* Three advertisements, one reported set. */
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	adv(&t, "a", 64500, 400, 0, NULL);
	adv(&t, "b", 64501, 400, 0, NULL);
	adv(&t, "c", 64502, 400, 0, NULL);
	free(expect_error(&t, "with BGPAdvertisement lb/a and BGPAdvertisement lb/b, which apply", NULL));
}

/* Advertisements that never meet on one prefix and peer are not merged. */
static void test_not_merged(void **state)
{
	(void)state;
	struct text t;

	/* Other pools. */
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	pool(&t, "p2", "198.51.100.0/24");
	adv(&t, "a", 64500, 600, 0, "  ipAddressPools: [p1]\n");
	adv(&t, "b", 64501, 600, 0, "  ipAddressPools: [p2]\n");
	expect_valid(&t);

	/* Other aggregation lengths: other prefixes. */
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	adv(&t, "a", 64500, 600, 0, NULL);
	adv(&t, "b", 64501, 600, 0, "  aggregationLength: 31\n");
	expect_valid(&t);

	/* Other peers, both defined. */
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	peer(&t, "r1", 64500, 64501, NULL);
	peer(&t, "r2", 64500, 64502, NULL);
	adv(&t, "a", 64500, 600, 0, "  peers: [r1]\n");
	adv(&t, "b", 64501, 600, 0, "  peers: [r2]\n");
	expect_valid(&t);

	/* nodeSelectors no node matches at once. */
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	adv(&t, "a", 64500, 600, 0, "  nodeSelectors:\n  - matchLabels: {role: a}\n");
	adv(&t, "b", 64501, 600, 0, "  nodeSelectors:\n  - matchLabels: {role: b}\n");
	expect_valid(&t);

	/* Any two could meet on one node, never all three: at most two merge (800 fit). */
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	adv(&t, "a", 64500, 400, 0, "  nodeSelectors:\n  - matchExpressions: [{key: rack, operator: In, values: [\"1\", \"2\"]}]\n");
	adv(&t, "b", 64501, 400, 0, "  nodeSelectors:\n  - matchExpressions: [{key: rack, operator: In, values: [\"2\", \"3\"]}]\n");
	adv(&t, "c", 64502, 400, 0, "  nodeSelectors:\n  - matchExpressions: [{key: rack, operator: In, values: [\"1\", \"3\"]}]\n");
	expect_valid(&t);

	/* The peer's nodes: b reaches r1 only, a runs only where r1 does not. */
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	peer(&t, "r1", 64500, 64501, "role: b");
	adv(&t, "a", 64500, 600, 0, "  nodeSelectors:\n  - matchLabels: {role: a}\n");
	adv(&t, "b", 64501, 600, 0, "  peers: [r1]\n");
	expect_valid(&t);
}

/* The same pairs that do meet: one node, one peer. */
static void test_merged_through_peer_and_nodes(void **state)
{
	(void)state;
	struct text t;

	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	peer(&t, "r1", 64500, 64501, NULL);
	adv(&t, "a", 64500, 600, 0, "  nodeSelectors:\n  - matchLabels: {role: a}\n");
	adv(&t, "b", 64501, 600, 0, "  peers: [r1]\n");
	free(expect_error(&t, "toward BGPPeer lb/r1", NULL));

	/* A peer named but not defined yet counts, at its largest. */
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	adv(&t, "a", 64500, 600, 0, "  peers: [zz]\n");
	adv(&t, "b", 64501, 600, 0, NULL);
	free(expect_error(&t, "toward BGPPeer \"zz\" (not defined yet)", NULL));

	/* Selectors that overlap: role In [a, b] and role: b. */
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	adv(&t, "a", 64500, 600, 0, "  nodeSelectors:\n  - matchExpressions: [{key: role, operator: In, values: [a, b]}]\n");
	adv(&t, "b", 64501, 600, 0, "  nodeSelectors:\n  - matchLabels: {role: b}\n");
	free(expect_error(&t, "the merged 1,200 communities", NULL));
}

/* Toward a defined iBGP peer the limit is that peer's, not the largest any peer could need. */
static void test_defined_peer_exact(void **state)
{
	(void)state;
	struct text t;
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	peer(&t, "r1", 64500, 64500, NULL);
	adv(&t, "a", 64500, 1100, 0, "  peers: [r1]\n");
	char *msg = expect_error(&t, "toward BGPPeer lb/r1", NULL);
	size_t ibgp = limit_in(msg, " standard communities fit");
	free(msg);
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	adv(&t, "a", 64500, 1100, 0, NULL);
	msg = expect_error(&t, "toward any BGPPeer", NULL);
	size_t any = limit_in(msg, " standard communities fit");
	free(msg);
	assert_true(ibgp > any);
	text_open(&t);
	pool(&t, "p1", "192.0.2.0/24");
	peer(&t, "r1", 64500, 64500, NULL);
	adv(&t, "a", 64500, ibgp, 0, "  peers: [r1]\n");
	expect_valid(&t);
}

static void count_update(const uint8_t *msg, size_t len, void *arg)
{
	(void)msg;
	assert_true(len <= BGP_MAX_LEN);
	(*(size_t *)arg)++;
}

/*
 * What validation accepts, the speaker sends: at the limit it gives, two
 * advertisements merged by the plan still make UPDATEs the encoder writes
 * toward the largest session (eBGP, a 4-octet local AS the peer cannot
 * read, a link-local IPv6 next hop); one more community is refused.
 */
static void node_peer_service(struct text *t)
{
	fprintf(t->f, "---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
		      "status: {addresses: [{type: InternalIP, address: 192.0.2.11}]}\n"
		      "---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r1, namespace: lb}\n"
		      "spec: {myASN: 4200000001, peerASN: 64501, peerAddress: 192.0.2.1}\n"
		      "---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\n"
		      "spec: {type: LoadBalancer, ipFamilyPolicy: PreferDualStack, ipFamilies: [IPv4, IPv6]}\n"
		      "status: {loadBalancer: {ingress: [{ip: 192.0.2.5}, {ip: '2001:db8::5'}]}}\n"
		      "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s-x, namespace: default,\n"
		      "  labels: {kubernetes.io/service-name: s}}\naddressType: IPv4\n"
		      "endpoints: [{addresses: [10.0.0.1], nodeName: n1, conditions: {ready: true}}]\n");
	pool(t, "p", "192.0.2.0/24");
	pool(t, "p6", "2001:db8::/120");
}

static void test_accepted_is_sendable(void **state)
{
	(void)state;
	struct text t;
	text_open(&t);
	node_peer_service(&t);
	adv(&t, "a", 64500, 700, 0, NULL);
	adv(&t, "b", 64501, 700, 0, NULL);
	char *msg = expect_error(&t, "the merged 1,400 communities", NULL);
	size_t n = limit_in(msg, " standard communities fit");
	free(msg);

	text_open(&t);
	node_peer_service(&t);
	adv(&t, "a", 64500, n / 2, 0, NULL);
	adv(&t, "b", 64501, n - n / 2, 0, NULL);
	struct config *c;
	struct diags d;
	const char *yaml = text_close(&t);
	if (!load_text(yaml, &c, &d))
		print_diags(&d);
	assert_int_equal(d.errors, 0);
	struct svc_addrs *svcs;
	size_t allocated;
	size_t nsvcs = service_addresses(c, NULL, true, &svcs, &allocated);
	struct plan *p = plan_build(c, "n1", svcs, nsvcs);
	const struct plan_peer *pp = plan_find_peer(p, "lb", "r1");
	assert_non_null(pp);
	assert_int_equal(pp->nroutes, 2);
	assert_int_equal(p->attrs[pp->routes[0].attrs].ncommunities, n);

	struct rib_set set = {0};
	rib_set_copy(&set, pp->routes, pp->nroutes, p->attrs, p->nattrs);
	struct rib_peer rp = {.af = {true, true}};
	rp.base.ebgp = true, rp.base.local_as = 4200000001u, rp.base.peer_as4 = false;
	rp.base.has_next_hop6_ll = true;
	struct rib_diff_stats st = {0};
	size_t msgs = 0;
	rib_diff(NULL, &set, &rp, count_update, &msgs, &st);
	assert_int_equal(st.announced, 2);
	assert_int_equal(st.skipped, 0);
	assert_int_equal(msgs, 2);
	rib_set_clear(&set);
	plan_free(p);
	svc_addrs_free(svcs);
	config_free(c);
	diags_free(&d);
	free(t.s);

	text_open(&t);
	node_peer_service(&t);
	adv(&t, "a", 64500, n / 2, 0, NULL);
	adv(&t, "b", 64501, n - n / 2 + 1, 0, NULL);
	free(expect_error(&t, "the merged", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_adv_standard),
		cmocka_unit_test(test_one_adv_large_v6),
		cmocka_unit_test(test_shorter_aggregate),
		cmocka_unit_test(test_mixed_kinds),
		cmocka_unit_test(test_merged),
		cmocka_unit_test(test_not_merged),
		cmocka_unit_test(test_merged_through_peer_and_nodes),
		cmocka_unit_test(test_defined_peer_exact),
		cmocka_unit_test(test_accepted_is_sendable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
