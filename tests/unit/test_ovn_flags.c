/* kube-ovn-speaker's command line: what it becomes, and what is refused (ovn_flags.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovn_flags.h"
#include "plan_ovn.h"
#include "testutil.h"

static const char *env_pod_ips;

static const char *fake_env(const char *name)
{
	if (strcmp(name, "POD_IPS") == 0)
		return env_pod_ips;
	if (strcmp(name, "POD_IP") == 0)
		return "192.0.2.99";
	return NULL;
}

#define MAXARGS 24

/* argv from a space-separated line; parses it. */
static bool parse(const char *line, struct ovn_flags *f, char *rest_out, size_t restlen, char *err, size_t errlen)
{
	static char buf[1024];  /* f points into it, as into a real argv */
	char *argv[MAXARGS], *rest[MAXARGS];
	int argc = 0, nrest;
	snprintf(buf, sizeof(buf), "kube-ovn-speaker %s", line);
	for (char *save, *t = strtok_r(buf, " ", &save); t && argc < MAXARGS; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	err[0] = 0;
	bool ok = ovn_flags_parse(argc, argv, fake_env, f, rest, &nrest, err, errlen);
	size_t at = 0;
	rest_out[0] = 0;
	for (int i = 1; ok && i < nrest; i++)
		at += (size_t)snprintf(rest_out + at, restlen - at, "%s%s", i > 1 ? " " : "", rest[i]);
	return ok;
}

static void test_detect(void **state)
{
	(void)state;
	char *a[] = { "x", "--config", "/d", "--node", "n1" };
	char *b[] = { "x", "--config=/d", "--cluster-as=65000" };
	char *c[] = { "x", "--", "--neighbor-address=192.0.2.1" };
	assert_false(ovn_flags_is_kube_ovn(5, a));
	assert_true(ovn_flags_is_kube_ovn(3, b));
	assert_false(ovn_flags_is_kube_ovn(3, c));
}

static void test_table(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		const char *err;   /* NULL: accepted */
		const char *rest;  /* what stays for vipcast's own parser */
	} cases[] = {
		/* Kube-OVN's yamls/speaker.yaml (v1.16), addresses adapted */
		{ "--logtostderr=false --alsologtostderr=true --log_file=/var/log/kube-ovn/kube-ovn-speaker.log "
		  "--log_file_max_size=200 --neighbor-address=192.0.2.1 --neighbor-as=65030 --cluster-as=65000",
		  NULL, "" },
		{ "--config /d --neighbor-address 192.0.2.1,192.0.2.2 --neighbor-as 65030 --cluster-as 65000 --node n1",
		  NULL, "--config /d --node n1" },
		{ "--neighbor-ipv6-address=2001:db8::1 --neighbor-as=65030 --cluster-as=65000 --v=3", NULL, "" },
		{ "--neighbor-address=2001:db8::1 --neighbor-as=1 --cluster-as=2", "not an IPv4 address", NULL },
		{ "--neighbor-ipv6-address=192.0.2.1 --neighbor-as=1 --cluster-as=2", "not an IPv6 address", NULL },
		{ "--neighbor-as=65030 --cluster-as=65000", "--neighbor-address or --neighbor-ipv6-address", NULL },
		{ "--neighbor-address=192.0.2.1 --neighbor-as=65030", "--cluster-as must be given", NULL },
		{ "--neighbor-address=192.0.2.1 --cluster-as=65000", "--neighbor-as must be given", NULL },
		{ "--neighbor-address=192.0.2.1 --neighbor-as=0 --cluster-as=1", "not an AS number", NULL },
		{ "--neighbor-address=192.0.2.1 --neighbor-as=4294967296 --cluster-as=1", "not an AS number", NULL },
		{ "--neighbor-address=192.0.2.1 --neighbor-as=1 --cluster-as=2 --holdtime=2s", "outside 3s", NULL },
		{ "--neighbor-address=192.0.2.1 --neighbor-as=1 --cluster-as=2 --holdtime=90", "--holdtime", NULL },
		{ "--neighbor-address=192.0.2.1 --neighbor-as=1 --cluster-as=2 --ebgp-multihop=0", "TTL", NULL },
		{ "--neighbor-address=192.0.2.1 --neighbor-as=1 --cluster-as=2 --ebgp-multihop=256", "TTL", NULL },
		{ "--neighbor-address=192.0.2.1 --neighbor-as=1 --cluster-as=2 --graceful-restart-time=4096s", "outside",
		  NULL },
		{ "--neighbor-address=192.0.2.1 --neighbor-as=1 --cluster-as=2 --graceful-restart=maybe", "not a boolean",
		  NULL },
		{ "--neighbor-address=192.0.2.1 --neighbor-as=1 --cluster-as=2 --extended-nexthop", "RFC 8950", NULL },
		{ "--neighbor-address=192.0.2.1 --neighbor-as=1 --cluster-as=2 --extended-nexthop=false", NULL, "" },
		{ "--neighbor-address=192.0.2.1 --neighbor-as=1 --cluster-as=2 --nat-gw-mode", "NAT gateway", NULL },
		{ "--neighbor-address=192.0.2.1 --neighbor-as=1 --cluster-as=2 --allowed-source-addresses=192.0.2.5",
		  "--node-ips", NULL },
		{ "--neighbor-address=192.0.2.1 --neighbor-as=1 --cluster-as=2 --router-id=2001:db8::1", "not an IPv4",
		  NULL },
		{ "--neighbor-address=192.0.2.1 --neighbor-as=1 --cluster-as=2 --holdtime", "needs a value", NULL },
		{ "--neighbor-address=192.0.2.1 --neighbor-as=1 --cluster-as=2 --grpc-host=127.0.0.1 --grpc-port=50051 "
		  "--log-level debug",
		  NULL, "--log-level debug" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct ovn_flags f;
		char rest[512], err[256];
		bool ok = parse(cases[i].line, &f, rest, sizeof(rest), err, sizeof(err));
		if (ok != !cases[i].err || (cases[i].err && !strstr(err, cases[i].err)) ||
		    (ok && strcmp(rest, cases[i].rest) != 0))
			fail_msg("case %zu (%s): ok %d, err \"%s\", rest \"%s\"", i, cases[i].line, ok, err, ok ? rest : "");
		free((char *)f.node_name);
	}
}

static void test_values(void **state)
{
	(void)state;
	struct ovn_flags f;
	char rest[256], err[256], b[IPADDR_STRLEN];
	env_pod_ips = "2001:db8::9,192.0.2.9";
	assert_true(parse("--neighbor-address=192.0.2.1 --neighbor-ipv6-address=2001:db8::1 --neighbor-as=65030 "
			  "--cluster-as=65000 --node-ips=192.0.2.11,2001:db8::11 --node-name=Node1 --auth-password=s3cret "
			  "--holdtime=1m --graceful-restart --graceful-restart-time=120s --passivemode=true "
			  "--ebgp-multihop=3 --announce-cluster-ip --enable-metrics=false --kubeconfig=/k",
			  &f, rest, sizeof(rest), err, sizeof(err)));
	assert_int_equal(f.nneighbors, 2);
	assert_string_equal((ipaddr_format(&f.neighbors[1], b), b), "2001:db8::1");
	assert_int_equal(f.neighbor_as, 65030);
	assert_int_equal(f.cluster_as, 65000);
	assert_string_equal((ipaddr_format(&f.node_ip4, b), b), "192.0.2.11");
	assert_string_equal((ipaddr_format(&f.node_ip6, b), b), "2001:db8::11");
	assert_string_equal((ipaddr_format(&f.router_id, b), b), "192.0.2.9");  /* POD_IPS' IPv4 */
	assert_string_equal(f.node_name, "node1");
	assert_string_equal(f.password, "s3cret");
	assert_int_equal(f.hold_ns, INT64_C(60000000000));
	assert_true(f.graceful_restart && f.passive && f.announce_cluster_ip);
	assert_false(f.enable_metrics);
	assert_int_equal(f.ebgp_multihop, 3);
	assert_string_equal(f.kubeconfig, "/k");

	/* The BGPPeers they make load as any other, and take the routes. */
	char *json = ovn_flags_peers_json(&f);
	struct config *c = config_new();
	struct diags d;
	diags_init(&d);
	assert_true(config_load_json(c, "flags", json, strlen(json), &d, NULL));
	assert_true(config_validate(c, &d));
	if (d.n)
		print_diags(&d);
	assert_int_equal(d.n, 0);
	const struct object *p4 = config_find(c, KIND_BGPPEER, "metallb-system", "kube-ovn-speaker-1");
	const struct object *p6 = config_find(c, KIND_BGPPEER, "metallb-system", "kube-ovn-speaker-2");
	assert_non_null(p4);
	assert_non_null(p6);
	assert_int_equal(p4->peer.my_asn.v, 65000);
	assert_int_equal(p4->peer.peer_asn.v, 65030);
	assert_string_equal((ipaddr_format(&p4->peer.source_address.a, b), b), "192.0.2.11");
	assert_string_equal((ipaddr_format(&p6->peer.source_address.a, b), b), "2001:db8::11");
	assert_string_equal((ipaddr_format(&p4->peer.router_id.a, b), b), "192.0.2.9");
	assert_int_equal(p4->peer.hold_time.v, INT64_C(60000000000));
	assert_true(p4->peer.graceful_restart.v);
	assert_true(p4->peer.ebgp_multihop.v);
	assert_string_equal(p4->peer.md5_password, "s3cret");
	assert_string_equal(labels_get(&p4->meta.annotations, OVN_PEER_ROUTES), "true");
	assert_string_equal(labels_get(&p4->meta.annotations, OVN_PEER_CLUSTER_IPS), "true");
	assert_true(p4->peer.node_selectors.n == 0);  /* the flags are this node's own */
	diags_free(&d);
	config_free(c);
	free(json);
	free((char *)f.node_name);

	/* Defaults: kube-ovn-speaker's; POD_IP when POD_IPS is empty; iBGP never multihop. */
	env_pod_ips = "";
	assert_true(parse("--neighbor-address=192.0.2.1 --neighbor-as=65000 --cluster-as=65000 --ebgp-multihop=2", &f,
			  rest, sizeof(rest), err, sizeof(err)));
	assert_int_equal(f.hold_ns, INT64_C(90000000000));
	assert_int_equal(f.gr_time_ns, INT64_C(90000000000));
	assert_int_equal(f.gr_deferral_ns, INT64_C(360000000000));
	assert_true(f.enable_metrics);
	assert_int_equal(f.metrics_port, 10667);
	assert_string_equal((ipaddr_format(&f.router_id, b), b), "192.0.2.99");
	json = ovn_flags_peers_json(&f);
	assert_null(strstr(json, "ebgpMultiHop"));
	assert_null(strstr(json, "kube-ovn-cluster-ips"));
	assert_null(strstr(json, "sourceAddress"));
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
