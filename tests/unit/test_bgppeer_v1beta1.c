/*
 * BGPPeer metallb.io/v1beta1 reads as MetalLB's conversion webhook turns it
 * into v1beta2: the same fields copied, unset timers become 0s; v1beta2-only
 * fields and a missing peerASN or peerAddress are refused with a message
 * naming the field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "duration.h"
#include "object.h"
#include "testutil.h"

#define V1 "apiVersion: metallb.io/v1beta1\nkind: BGPPeer\nmetadata: {name: r, namespace: lb}\nspec:\n"
#define V2 "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r, namespace: lb}\nspec:\n"
#define BASE "  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n"

static struct config *cfg;
static struct diags diags;

static int teardown(void **state)
{
	(void)state;
	config_free(cfg);
	diags_free(&diags);
	cfg = NULL;
	return 0;
}

/* The peer, or NULL when the configuration is refused. */
static const struct bgp_peer *load(const char *yaml)
{
	teardown(NULL);
	if (!load_text(yaml, &cfg, &diags))
		return NULL;
	const struct object *o = config_find(cfg, KIND_BGPPEER, "lb", "r");
	assert_non_null(o);
	return &o->peer;
}

static void test_every_field_copied(void **state)
{
	(void)state;
	const struct bgp_peer *p = load(
		V1 "  myASN: 4200000000\n  peerASN: 64501\n  peerAddress: 2001:db8::1\n  sourceAddress: 2001:db8::2\n"
		   "  peerPort: 1179\n  holdTime: 3m\n  keepaliveTime: 20s\n  routerID: 192.0.2.9\n"
		   "  nodeSelectors:\n  - matchLabels: {rack: r1}\n    matchExpressions:\n"
		   "    - {key: zone, operator: In, values: [a, b]}\n"
		   "  password: pw\n  bfdProfile: fast\n  ebgpMultiHop: true\n"
		   "---\napiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata: {name: fast, namespace: lb}\n");
	if (!p)
		print_diags(&diags);
	assert_non_null(p);
	assert_int_equal(diags.n, 0);
	assert_int_equal(p->my_asn.v, 4200000000u);
	assert_int_equal(p->peer_asn.v, 64501);
	assert_int_equal(p->peer_address.a.family, IPF_V6);
	assert_true(p->source_address.set);
	assert_int_equal(p->peer_port.v, 1179);
	assert_int_equal(p->hold_time.v, 180 * DURATION_NS_PER_S);
	assert_int_equal(p->keepalive_time.v, 20 * DURATION_NS_PER_S);
	assert_true(p->router_id.set);
	assert_int_equal(p->node_selectors.n, 1);
	assert_int_equal(p->node_selectors.v[0].n, 2);
	assert_string_equal(p->md5_password, "pw");
	assert_string_equal(p->bfd_profile.s, "fast");
	assert_true(p->ebgp_multihop.v);
}

/* v1beta1's timers are values, v1beta2's pointers the conversion always sets. */
static void test_unset_timers_become_zero(void **state)
{
	(void)state;
	const struct bgp_peer *p = load(V1 BASE);
	assert_non_null(p);
	assert_int_equal(p->hold_time.v, 0);
	assert_int_equal(p->keepalive_time.v, 0);
	assert_non_null(find_diag(&diags, DIAG_WARNING, "MetalLB's conversion to v1beta2 makes it 0s and keepaliveTime 0s"));

	/* The same peer in v1beta2 gets the 90s default and no warning. */
	p = load(V2 BASE);
	assert_non_null(p);
	assert_int_equal(p->hold_time.v, 90 * DURATION_NS_PER_S);
	assert_int_equal(diags.n, 0);

	/* holdTime alone: keepaliveTime is 0s (not a third), as converted. */
	p = load(V1 BASE "  holdTime: 90s\n");
	assert_non_null(p);
	assert_int_equal(p->hold_time.v, 90 * DURATION_NS_PER_S);
	assert_int_equal(p->keepalive_time.v, 0);
	assert_int_equal(diags.n, 0);

	/* keepaliveTime alone: holdTime 0s, below it: refused, as MetalLB does. */
	assert_null(load(V1 BASE "  keepaliveTime: 10s\n"));
	assert_non_null(find_diag(&diags, DIAG_ERROR, "greater than holdTime 0s"));
}

/* Stricter than MetalLB (179 after its conversion), as vipcast's CRD: port 0 never works in v1beta2. */
static void test_port_zero_refused(void **state)
{
	(void)state;
	assert_null(load(V1 BASE "  holdTime: 90s\n  peerPort: 0\n"));
	assert_non_null(find_diag(&diags, DIAG_ERROR, "must be between 1 and 16384"));
}

static void test_v1beta2_fields_refused(void **state)
{
	(void)state;
	static const char *const fields[] = {
		"localASN: 64600", "dynamicASN: external", "interface: eth0", "connectTime: 5s",
		"passwordSecret: {name: s}", "enableGracefulRestart: true", "vrf: red", "disableMP: true",
		"dualStackAddressFamily: true",
	};
	char yaml[512];

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		snprintf(yaml, sizeof(yaml), V1 BASE "  holdTime: 90s\n  %s\n", fields[i]);
		assert_null(load(yaml));
		const struct diag *dg = find_diag(&diags, DIAG_ERROR, "a field of metallb.io/v1beta2 BGPPeer only");
		assert_non_null(dg);
		char want[64];
		snprintf(want, sizeof(want), "spec.%.*s", (int)(strchr(fields[i], ':') - fields[i]), fields[i]);
		assert_string_equal(dg->path, want);
		assert_non_null(load(V2 BASE "  holdTime: 90s\n"));
	}
}

static void test_schema_required(void **state)
{
	(void)state;
	assert_null(load(V1 "  myASN: 64500\n  peerAddress: 192.0.2.1\n  holdTime: 90s\n"));
	assert_non_null(find_diag(&diags, DIAG_ERROR, "spec.peerASN is required in metallb.io/v1beta1"));
	assert_null(load(V1 "  myASN: 64500\n  peerASN: 64501\n  holdTime: 90s\n"));
	assert_non_null(find_diag(&diags, DIAG_ERROR, "spec.peerAddress is required in metallb.io/v1beta1"));

	/* Exists works as in v1beta2 (vipcast's CRD allows it in v1beta1 too). */
	const struct bgp_peer *p = load(V1 BASE "  holdTime: 90s\n  nodeSelectors:\n  - matchExpressions:\n"
						"    - {key: rack, operator: Exists}\n");
	assert_non_null(p);
	assert_int_equal(p->node_selectors.v[0].req[0].op, SEL_EXISTS);
	/* An empty selector matches every node, in both versions. */
	p = load(V1 BASE "  holdTime: 90s\n  nodeSelectors: [{}]\n");
	assert_non_null(p);
	assert_int_equal(p->node_selectors.n, 1);
	assert_int_equal(p->node_selectors.v[0].n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_every_field_copied, teardown),
		cmocka_unit_test_teardown(test_unset_timers_become_zero, teardown),
		cmocka_unit_test_teardown(test_port_zero_refused, teardown),
		cmocka_unit_test_teardown(test_v1beta2_fields_refused, teardown),
		cmocka_unit_test_teardown(test_schema_required, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
