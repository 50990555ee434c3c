#include "ovn_flags.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp_socket.h"
#include "duration.h"
#include "load.h"
#include "log.h"
#include "xalloc.h"

enum ftype {
	F_BOOL, F_STR, F_IPS4, F_IPS6, F_NODE_IPS, F_IP4, F_U32, F_TTL, F_DUR, F_PORT,
	F_IGNORE,       /* takes a value, ignored with a notice */
	F_IGNORE_BOOL,  /* a boolean, ignored with a notice */
	F_REFUSE_BOOL,  /* a boolean vipcast cannot honour when true */
	F_REFUSE,       /* takes a value vipcast cannot honour */
};

enum fid {
	ID_NONE, ID_NEIGHBOR, ID_NEIGHBOR6, ID_NEIGHBOR_AS, ID_CLUSTER_AS, ID_ROUTER_ID, ID_NODE_IPS, ID_NODE_NAME,
	ID_PASSWORD, ID_HOLD, ID_GR, ID_GR_TIME, ID_GR_DEFERRAL, ID_PASSIVE, ID_MULTIHOP, ID_CLUSTER_IP, ID_METRICS,
	ID_PPROF, ID_KUBECONFIG,
};

struct flag {
	const char *name;
	enum ftype type;
	enum fid id;
	const char *why;  /* for F_REFUSE*: why; for F_IGNORE*: NULL means "logging is vipcast's own" */
};

static const struct flag flags[] = {
	{ "neighbor-address", F_IPS4, ID_NEIGHBOR, NULL },
	{ "neighbor-ipv6-address", F_IPS6, ID_NEIGHBOR6, NULL },
	{ "neighbor-as", F_U32, ID_NEIGHBOR_AS, NULL },
	{ "cluster-as", F_U32, ID_CLUSTER_AS, NULL },
	{ "router-id", F_IP4, ID_ROUTER_ID, NULL },
	{ "node-ips", F_NODE_IPS, ID_NODE_IPS, NULL },
	{ "node-name", F_STR, ID_NODE_NAME, NULL },
	{ "auth-password", F_STR, ID_PASSWORD, NULL },
	{ "holdtime", F_DUR, ID_HOLD, NULL },
	{ "graceful-restart", F_BOOL, ID_GR, NULL },
	{ "graceful-restart-time", F_DUR, ID_GR_TIME, NULL },
	{ "graceful-restart-deferral-time", F_DUR, ID_GR_DEFERRAL, NULL },
	{ "passivemode", F_BOOL, ID_PASSIVE, NULL },
	{ "ebgp-multihop", F_TTL, ID_MULTIHOP, NULL },
	{ "announce-cluster-ip", F_BOOL, ID_CLUSTER_IP, NULL },
	{ "enable-metrics", F_BOOL, ID_METRICS, NULL },
	{ "pprof-port", F_PORT, ID_PPROF, NULL },
	{ "kubeconfig", F_STR, ID_KUBECONFIG, NULL },
	{ "grpc-host", F_IGNORE, ID_NONE, "GoBGP's gRPC API: vipcast has none (vipcastctl reads its control socket)" },
	{ "grpc-port", F_IGNORE, ID_NONE, "GoBGP's gRPC API: vipcast has none (vipcastctl reads its control socket)" },
	{ "log-perm", F_IGNORE, ID_NONE, NULL },
	{ "extended-nexthop", F_REFUSE_BOOL, ID_NONE,
	  "RFC 8950 extended next hop is not supported: give IPv4 neighbors with --neighbor-address and IPv6 ones "
	  "with --neighbor-ipv6-address" },
	{ "nat-gw-mode", F_REFUSE_BOOL, ID_NONE, "announcing EIPs from a NAT gateway is not supported" },
	{ "enable-bfd", F_REFUSE_BOOL, ID_NONE, "BFD is not supported yet" },
	{ "bfd-min-tx", F_IGNORE, ID_NONE, "BFD is not supported yet" },
	{ "bfd-min-rx", F_IGNORE, ID_NONE, "BFD is not supported yet" },
	{ "bfd-detection-multiplier", F_IGNORE, ID_NONE, "BFD is not supported yet" },
	{ "allowed-source-addresses", F_REFUSE, ID_NONE,
	  "not supported: give the source (and next hop) with --node-ips" },
	{ "allowed-source-ipv6-addresses", F_REFUSE, ID_NONE,
	  "not supported: give the source (and next hop) with --node-ips" },
	/* klog's */
	{ "logtostderr", F_IGNORE_BOOL, ID_NONE, NULL },
	{ "alsologtostderr", F_IGNORE_BOOL, ID_NONE, NULL },
	{ "add_dir_header", F_IGNORE_BOOL, ID_NONE, NULL },
	{ "skip_headers", F_IGNORE_BOOL, ID_NONE, NULL },
	{ "skip_log_headers", F_IGNORE_BOOL, ID_NONE, NULL },
	{ "one_output", F_IGNORE_BOOL, ID_NONE, NULL },
	{ "log_file", F_IGNORE, ID_NONE, NULL },
	{ "log_file_max_size", F_IGNORE, ID_NONE, NULL },
	{ "log_dir", F_IGNORE, ID_NONE, NULL },
	{ "log_backtrace_at", F_IGNORE, ID_NONE, NULL },
	{ "log_flush_frequency", F_IGNORE, ID_NONE, NULL },
	{ "stderrthreshold", F_IGNORE, ID_NONE, NULL },
	{ "v", F_IGNORE, ID_NONE, NULL },
	{ "vmodule", F_IGNORE, ID_NONE, NULL },
};
#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

#define DEFAULT_HOLD (90 * DURATION_NS_PER_S)
#define DEFAULT_GR_TIME (90 * DURATION_NS_PER_S)
#define DEFAULT_GR_DEFERRAL (360 * DURATION_NS_PER_S)
#define DEFAULT_PPROF_PORT 10667
#define VIPCAST_GR_TIME (120 * DURATION_NS_PER_S)  /* what bgp_session.c advertises */

/* "--name" or "--name=..." of a known flag; *value points after '=' or is NULL. */
static const struct flag *lookup(const char *arg, const char **value)
{
	if (strncmp(arg, "--", 2) != 0)
		return NULL;
	arg += 2;
	size_t len = strcspn(arg, "=");
	for (size_t i = 0; i < NFLAGS; i++)
		if (strlen(flags[i].name) == len && strncmp(arg, flags[i].name, len) == 0) {
			*value = arg[len] == '=' ? arg + len + 1 : NULL;
			return &flags[i];
		}
	return NULL;
}

bool ovn_flags_is_kube_ovn(int argc, char *const *argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *v;
		const struct flag *f = lookup(argv[i], &v);
		if (f && (f->id == ID_NEIGHBOR || f->id == ID_NEIGHBOR6 || f->id == ID_NEIGHBOR_AS || f->id == ID_CLUSTER_AS))
			return true;
	}
	return false;
}

static bool fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return false;
}

/* Go's strconv.ParseBool. */
static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
	for (size_t i = 0; i < 6; i++) {
		if (strcmp(s, yes[i]) == 0)
			return *out = true, true;
		if (strcmp(s, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno || v > max)
		return false;
	*out = v;
	return true;
}

static void notice(struct ovn_flags *f, const char *name)
{
	size_t used = strlen(f->notices);
	snprintf(f->notices + used, sizeof(f->notices) - used, "%s--%s", used ? ", " : "", name);
}

/* One IP list value: comma-separated, each of family fam (NONE: either). */
static bool add_ips(struct ovn_flags *f, const struct flag *fl, const char *v, uint8_t fam, char *err, size_t len)
{
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, ",");
		struct ipaddr a;
		if (!ipaddr_parse(p, n, &a) || (fam && a.family != fam))
			return fail(err, len, "--%s: \"%.*s\" is not an %s address", fl->name, (int)n, p,
				    fam == IPF_V4 ? "IPv4" : fam == IPF_V6 ? "IPv6" : "IP");
		if (fl->id == ID_NODE_IPS) {
			*(a.family == IPF_V4 ? &f->node_ip4 : &f->node_ip6) = a;
		} else {
			if (f->nneighbors == OVN_MAX_NEIGHBORS)
				return fail(err, len, "--%s: more than %d neighbors", fl->name, OVN_MAX_NEIGHBORS);
			f->neighbors[f->nneighbors++] = a;
		}
		p += n + (p[n] == ',');
	}
	return true;
}

static bool parse_duration(const struct flag *fl, const char *v, int64_t min, int64_t max, int64_t *out, char *err,
			   size_t len)
{
	char why[128];
	if (!duration_parse(v, strlen(v), out, why, sizeof(why)))
		return fail(err, len, "--%s: %s", fl->name, why);
	if (*out < min || *out > max) {
		char a[32], b[32];
		duration_format(min, a, sizeof(a));
		duration_format(max, b, sizeof(b));
		return fail(err, len, "--%s: %s is outside %s to %s", fl->name, v, a, b);
	}
	return true;
}

static bool apply(struct ovn_flags *f, const struct flag *fl, const char *v, char *err, size_t len)
{
	uint64_t u;
	bool b = true;
	if (fl->type == F_BOOL || fl->type == F_IGNORE_BOOL || fl->type == F_REFUSE_BOOL) {
		if (v && !parse_bool(v, &b))
			return fail(err, len, "--%s: \"%s\" is not a boolean", fl->name, v);
	}
	switch (fl->type) {
	case F_IGNORE:
	case F_IGNORE_BOOL:
		notice(f, fl->name);
		return true;
	case F_REFUSE_BOOL:
		return !b || fail(err, len, "--%s: %s", fl->name, fl->why);
	case F_REFUSE:
		return fail(err, len, "--%s: %s", fl->name, fl->why);
	case F_IPS4:
		return add_ips(f, fl, v, IPF_V4, err, len);
	case F_IPS6:
		return add_ips(f, fl, v, IPF_V6, err, len);
	case F_NODE_IPS:
		return add_ips(f, fl, v, IPF_NONE, err, len);
	case F_IP4:
		if (!ipaddr_parse(v, strlen(v), &f->router_id) || f->router_id.family != IPF_V4)
			return fail(err, len, "--%s: \"%s\" is not an IPv4 address", fl->name, v);
		return true;
	case F_U32:
		if (!parse_u64(v, UINT32_MAX, &u) || !u)
			return fail(err, len, "--%s: \"%s\" is not an AS number (1 to 4294967295)", fl->name, v);
		*(fl->id == ID_NEIGHBOR_AS ? &f->neighbor_as : &f->cluster_as) = (uint32_t)u;
		return true;
	case F_TTL:
		if (!parse_u64(v, 255, &u) || !u)
			return fail(err, len, "--%s: the TTL must be 1 to 255, not \"%s\"", fl->name, v);
		f->ebgp_multihop = (unsigned)u;
		return true;
	case F_PORT:
		if (!parse_u64(v, 65535, &u) || !u)
			return fail(err, len, "--%s: \"%s\" is not a port", fl->name, v);
		f->metrics_port = (int)u;
		return true;
	case F_DUR:
		if (fl->id == ID_HOLD)
			return parse_duration(fl, v, 3 * DURATION_NS_PER_S, 65535 * DURATION_NS_PER_S, &f->hold_ns, err, len);
		if (fl->id == ID_GR_TIME)
			return parse_duration(fl, v, DURATION_NS_PER_S, 4095 * DURATION_NS_PER_S, &f->gr_time_ns, err, len);
		return parse_duration(fl, v, DURATION_NS_PER_S, 18 * 3600 * DURATION_NS_PER_S, &f->gr_deferral_ns, err,
				      len);
	case F_STR:
		if (fl->id == ID_NODE_NAME) {
			char *s = xstrdup(v);
			for (char *p = s; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			f->node_name = s;
		} else if (fl->id == ID_PASSWORD)
			f->password = v;
		else
			f->kubeconfig = v;
		return true;
	case F_BOOL:
		if (fl->id == ID_GR)
			f->graceful_restart = b;
		else if (fl->id == ID_PASSIVE)
			f->passive = b;
		else if (fl->id == ID_CLUSTER_IP)
			f->announce_cluster_ip = b;
		else
			f->enable_metrics = b, f->metrics_set = true;
		return true;
	}
	return true;
}

static bool takes_value(const struct flag *fl)
{
	return fl->type != F_BOOL && fl->type != F_IGNORE_BOOL && fl->type != F_REFUSE_BOOL;
}

/* The router ID kube-ovn-speaker falls back to: POD_IPS' IPv4 address, else POD_IP's. */
static void router_id_from_env(struct ovn_flags *f, const char *(*env)(const char *))
{
	const char *s = env("POD_IPS");
	if (!s || !*s)
		s = env("POD_IP");
	for (const char *p = s ? s : ""; *p;) {
		size_t n = strcspn(p, ",");
		struct ipaddr a;
		if (ipaddr_parse(p, n, &a) && a.family == IPF_V4) {
			f->router_id = a;
			return;
		}
		p += n + (p[n] == ',');
	}
}

bool ovn_flags_parse(int argc, char *const *argv, const char *(*env)(const char *), struct ovn_flags *f, char **rest,
		     int *nrest, char *err, size_t errlen)
{
	*f = (struct ovn_flags){ .hold_ns = DEFAULT_HOLD, .gr_time_ns = DEFAULT_GR_TIME,
				 .gr_deferral_ns = DEFAULT_GR_DEFERRAL, .ebgp_multihop = 1, .enable_metrics = true,
				 .metrics_port = DEFAULT_PPROF_PORT };
	*nrest = 0;
	if (argc > 0)
		rest[(*nrest)++] = argv[0];
	bool ended = false;
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		const struct flag *fl = ended ? NULL : lookup(argv[i], &v);
		ended |= strcmp(argv[i], "--") == 0;
		if (!fl) {
			rest[(*nrest)++] = argv[i];
			continue;
		}
		if (!v && takes_value(fl)) {
			if (i + 1 == argc)
				return fail(err, errlen, "--%s needs a value", fl->name);
			v = argv[++i];
		}
		if (!apply(f, fl, v, err, errlen))
			return false;
	}
	if (!f->nneighbors)
		return fail(err, errlen, "at least one of --neighbor-address or --neighbor-ipv6-address must be given");
	if (!f->cluster_as)
		return fail(err, errlen, "--cluster-as must be given");
	if (!f->neighbor_as)
		return fail(err, errlen, "--neighbor-as must be given");
	if (f->router_id.family == IPF_NONE)
		router_id_from_env(f, env);
	return true;
}

static json_t *peer_json(const struct ovn_flags *f, size_t i)
{
	char addr[IPADDR_STRLEN], dur[32];
	const struct ipaddr *n = &f->neighbors[i];
	const struct ipaddr *src = n->family == IPF_V4 ? &f->node_ip4 : &f->node_ip6;
	json_t *annotations = json_pack("{s:s}", "vipcast.io/kube-ovn-routes", "true");
	if (f->announce_cluster_ip)
		json_object_set_new(annotations, "vipcast.io/kube-ovn-cluster-ips", json_string("true"));
	ipaddr_format(n, addr);
	duration_format(f->hold_ns, dur, sizeof(dur));
	json_t *spec = json_pack("{s:I, s:I, s:s, s:s, s:b}", "myASN", (json_int_t)f->cluster_as, "peerASN",
				 (json_int_t)f->neighbor_as, "peerAddress", addr, "holdTime", dur, "enableGracefulRestart",
				 f->graceful_restart);
	if (f->ebgp_multihop > 1 && f->cluster_as != f->neighbor_as)  /* iBGP sessions need no TTL beyond 1 hop */
		json_object_set_new(spec, "ebgpMultiHop", json_true());
	if (src->family != IPF_NONE) {
		ipaddr_format(src, addr);
		json_object_set_new(spec, "sourceAddress", json_string(addr));
	}
	if (f->router_id.family == IPF_V4) {
		ipaddr_format(&f->router_id, addr);
		json_object_set_new(spec, "routerID", json_string(addr));
	}
	if (f->password && *f->password)
		json_object_set_new(spec, "password", json_string(f->password));
	char name[48];
	snprintf(name, sizeof(name), "kube-ovn-speaker-%zu", i + 1);
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:o}, s:o}", "apiVersion", "metallb.io/v1beta2", "kind", "BGPPeer",
			 "metadata", "name", name, "namespace", "metallb-system", "annotations", annotations, "spec", spec);
}

char *ovn_flags_peers_json(const struct ovn_flags *f)
{
	json_t *items = json_array();
	for (size_t i = 0; i < f->nneighbors; i++)
		json_array_append_new(items, peer_json(f, i));
	json_t *list = json_pack("{s:s, s:s, s:o}", "apiVersion", "v1", "kind", "List", "items", items);
	char *s = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	if (!s)
		xalloc_die("the kube-ovn-speaker BGPPeers");
	return s;
}

static bool has_flag(char *const *v, int n, const char *lng, const char *shrt)
{
	size_t len = strlen(lng);
	for (int i = 1; i < n && strcmp(v[i], "--") != 0; i++)
		if ((strncmp(v[i], lng, len) == 0 && (v[i][len] == '=' || !v[i][len])) ||
		    (shrt && strncmp(v[i], shrt, 2) == 0))
			return true;
	return false;
}

static char *flag_arg(const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 2;
	char *s = xcalloc(len, 1);
	snprintf(s, len, "%s=%s", name, value);
	return s;
}

static const char *real_env(const char *name)
{
	return getenv(name);
}

/* What kube-ovn-speaker does that vipcast does differently, said once at start. */
static void log_differences(const struct ovn_flags *f)
{
	if (f->notices[0])
		log_info("speaker", "kube-ovn-speaker flags accepted and ignored: %s (logging is vipcast's: see --log-level "
				    "and --log-format; GoBGP's gRPC API has no counterpart)", f->notices);
	if (f->passive)
		log_warn("speaker", "--passivemode: vipcast also connects to the neighbors; the session forms all the same");
	if (f->graceful_restart && f->gr_time_ns != VIPCAST_GR_TIME)
		log_warn("speaker", "--graceful-restart-time: vipcast advertises a restart time of 120 s");
	if (f->graceful_restart && f->gr_deferral_ns != DEFAULT_GR_DEFERRAL)
		log_warn("speaker", "--graceful-restart-deferral-time: not used (vipcast sends its routes at once)");
	if (f->ebgp_multihop > 1 && f->ebgp_multihop != BGP_TTL_MULTIHOP)
		log_warn("speaker", "--ebgp-multihop=%u: vipcast's multihop sessions use TTL %d (MetalLB's)", f->ebgp_multihop,
			 BGP_TTL_MULTIHOP);
}

bool ovn_flags_take(int *argc, char ***argv)
{
	if (!ovn_flags_is_kube_ovn(*argc, *argv))
		return true;
	static struct ovn_flags f;
	char err[256];
	int n;
	char **rest = xcalloc((size_t)*argc + 4, sizeof(*rest));
	if (!ovn_flags_parse(*argc, *argv, real_env, &f, rest, &n, err, sizeof(err))) {
		fprintf(stderr, "vipcast-speaker: kube-ovn-speaker flags: %s\n", err);
		free(rest);
		return false;
	}
	bool file_mode = has_flag(rest, n, "--config", "-c");
	log_differences(&f);
	if (f.kubeconfig && file_mode)
		log_info("speaker", "--kubeconfig %s: not used in file mode", f.kubeconfig);
	/* Ours go first, so that vipcast's own flags written later win. */
	char **out = xcalloc((size_t)n + 4, sizeof(*out));
	int k = 0;
	out[k++] = rest[0];
	if (f.node_name)
		out[k++] = flag_arg("--node", f.node_name);
	if (f.kubeconfig && *f.kubeconfig && !file_mode)
		out[k++] = flag_arg("--kubeconfig", f.kubeconfig);
	char port[16];
	snprintf(port, sizeof(port), ":%d", f.metrics_port);
	if (!has_flag(rest, n, "--metrics-address", NULL) && !has_flag(rest, n, "--health-address", NULL))
		out[k++] = flag_arg("--metrics-address", f.enable_metrics ? port : "off");
	for (int i = 1; i < n; i++)
		out[k++] = rest[i];
	out[k] = NULL;
	free(rest);
	config_set_builtin("kube-ovn-speaker flags", ovn_flags_peers_json(&f));
	log_info("speaker", "kube-ovn-speaker flags: %zu BGP neighbor%s, AS %u to AS %u, taking Kube-OVN's routes%s",
		 f.nneighbors, f.nneighbors == 1 ? "" : "s", f.cluster_as, f.neighbor_as,
		 f.announce_cluster_ip ? " and cluster IPs" : "");
	static char **kept;  /* for the process's lifetime */
	kept = out;
	*argc = k;
	*argv = kept;
	return true;
}
