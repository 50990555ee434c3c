/*
 * vipcast-controller: gives each LoadBalancer Service its external IPs.
 *
 * With --config it reads configuration from files (the YAML a MetalLB user
 * applies with kubectl): --check loads and validates it; --dry-run also
 * allocates for every Service in it, honouring the addresses their statuses
 * already show, and prints the outcome. Without --config it runs in
 * Kubernetes mode (kctl.h): in the cluster, or against --kubeconfig. It needs
 * no privilege: every capability is dropped before anything is read.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "caps.h"
#include "diag.h"
#include "duration.h"
#include "kube_health.h"
#include "kctl.h"
#include "load.h"
#include "log.h"
#include "reconcile.h"
#include "report.h"
#include "summary.h"

#define EXIT_INVALID 2
#define EXIT_USAGE 64

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vipcast-controller --config PATH (--check | --dry-run [-o json|table]) [--lb-class CLASS]\n"
		"       vipcast-controller [--kubeconfig FILE [--context NAME]] [--namespace NS] [--lb-class CLASS]\n"
		"                          [--leader-elect [LEADER OPTIONS]] [--memberlist-secret NAME] [--log-level L]\n"
		"                          [--log-format text|json]\n"
		"\n"
		"File mode:\n"
		"  -c, --config PATH     a YAML file, or a directory of *.yaml/*.yml files\n"
		"      --check           load and validate; print a summary per kind\n"
		"      --dry-run         allocate for every Service and print the result\n"
		"  -o, --output FORMAT   table (default) or json, for --dry-run\n"
		"exit status: 0 when the configuration is valid (whatever the Services got),\n"
		"2 when it is not (the errors on stderr), 64 on a usage error, 1 when privileges cannot be dropped\n"
		"\n"
		"Kubernetes mode (no --config):\n"
		"      --kubeconfig FILE   the API server and credentials (default: in-cluster, the service account)\n"
		"      --context NAME      a context of the kubeconfig other than its current one\n"
		"      --namespace NS      where the IPAddressPools, the memberlist Secret and the Lease live\n"
		"                          (default: the service account's namespace, else metallb-system)\n"
		"      --pod-name NAME     this replica's identity in the Lease and in Events (default: $POD_NAME,\n"
		"                          else HOSTNAME_PID)\n"
		"      --memberlist-secret NAME  the Secret created with a random key when missing (default\n"
		"                          memberlist; \"\" creates none)\n"
		"      --leader-elect      only the holder of a coordination.k8s.io Lease writes (for several replicas)\n"
		"      --leader-elect-lease-duration D   how long a Lease not renewed stays held (default 15s)\n"
		"      --leader-elect-renew-deadline D   the leader stops writing when it could not renew for this\n"
		"                          long (default 10s; less than the lease duration)\n"
		"      --leader-elect-retry-period D     between attempts to renew or acquire (default 2s)\n"
		"      --leader-elect-resource-name NAME the Lease's name (default vipcast-controller)\n"
		"      --health-listen ADDR:PORT  serve GET /metrics, /healthz and /readyz (default :7472, every address;\n"
		"                          port 0: any free one, logged; \"\": none)\n"
		"      --socket PATH       the control socket for vipcastctl (default " KCTL_DEFAULT_SOCKET ";\n"
		"                          \"off\": none)\n"
		"      --log-level LEVEL   error, warn, info (default) or debug\n"
		"      --log-format F      text (default) or json: one object a line (time, level, component,\n"
		"                          message; kind, namespace, name where known). A message repeated\n"
		"                          (same text template, same Service) is written at most 5 times in\n"
		"                          10 s; a later line says how many were suppressed\n"
		"\n"
		"Both modes:\n"
		"      --lb-class CLASS  serve Services of this loadBalancerClass (default: those with none)\n"
		"  -h, --help            this text\n"
		"  -V, --version         print the version\n");
}

static void dry_run_print(const struct config *c, const char *lb_class, bool json)
{
	struct alloc *a = alloc_new();
	struct svc_outcome *v;
	size_t n = reconcile_all(a, c, lb_class, &v);

	if (json)
		report_json(stdout, v, n);
	else
		report_table(stdout, v, n);
	reconcile_free(v, n);
	alloc_free(a);
}

static int file_mode(const char *path, bool check, const char *lb_class, const char *output)
{
	struct diags d;
	size_t ignored = 0;
	diags_init(&d);
	struct config *c = config_read(path, &d, &ignored);
	diags_print(&d, stderr);
	if (!c) {
		fprintf(stderr, "%s: configuration is invalid: %zu error%s, %zu warning%s\n", path, d.errors,
			d.errors == 1 ? "" : "s", d.warnings, d.warnings == 1 ? "" : "s");
		diags_free(&d);
		return EXIT_INVALID;
	}
	if (check) {
		config_print_summary(c, stdout);
		printf("%s: configuration is valid (%zu warning%s, %zu object%s of other kinds ignored)\n", path,
		       d.warnings, d.warnings == 1 ? "" : "s", ignored, ignored == 1 ? "" : "s");
	} else {
		dry_run_print(c, lb_class, strcmp(output, "json") == 0);
	}
	config_free(c);
	diags_free(&d);
	return 0;
}

/* A duration flag in Go's form ("15s", "1500ms"), at least 100 ms. */
static bool parse_ms(const char *flag, const char *s, uint32_t *out)
{
	int64_t ns;
	char why[128];

	if (!duration_parse(s, strlen(s), &ns, why, sizeof(why)) || ns < 100 * DURATION_NS_PER_MS ||
	    ns > 3600 * DURATION_NS_PER_S) {
		fprintf(stderr, "vipcast-controller: %s %s: %s\n", flag, s,
			ns < 100 * DURATION_NS_PER_MS ? "at least 100ms" : ns > 3600 * DURATION_NS_PER_S ? "at most 1h" : why);
		return false;
	}
	*out = (uint32_t)(ns / DURATION_NS_PER_MS);
	return true;
}

static bool parse_format(const char *s)
{
	enum log_format f;

	if (!log_parse_format(s, &f)) {
		fprintf(stderr, "vipcast-controller: --log-format %s: text or json\n", s);
		return false;
	}
	log_set_format(f);
	return true;
}

static bool parse_level(const char *s)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			log_set_level((enum log_level)i);
			return true;
		}
	fprintf(stderr, "vipcast-controller: --log-level %s: one of error, warn, info, debug\n", s);
	return false;
}

enum {
	OPT_CHECK = 256, OPT_DRY_RUN, OPT_LB_CLASS, OPT_KUBECONFIG, OPT_CONTEXT, OPT_NAMESPACE, OPT_POD_NAME,
	OPT_MEMBERLIST, OPT_LEADER_ELECT, OPT_LEASE_DURATION, OPT_RENEW_DEADLINE, OPT_RETRY_PERIOD, OPT_LEASE_NAME,
	OPT_HEALTH, OPT_SOCKET, OPT_LOG_LEVEL, OPT_LOG_FORMAT,
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "output", required_argument, NULL, 'o' },
		{ "lb-class", required_argument, NULL, OPT_LB_CLASS },
		{ "kubeconfig", required_argument, NULL, OPT_KUBECONFIG },
		{ "context", required_argument, NULL, OPT_CONTEXT },
		{ "namespace", required_argument, NULL, OPT_NAMESPACE },
		{ "pod-name", required_argument, NULL, OPT_POD_NAME },
		{ "memberlist-secret", required_argument, NULL, OPT_MEMBERLIST },
		{ "leader-elect", no_argument, NULL, OPT_LEADER_ELECT },
		{ "leader-elect-lease-duration", required_argument, NULL, OPT_LEASE_DURATION },
		{ "leader-elect-renew-deadline", required_argument, NULL, OPT_RENEW_DEADLINE },
		{ "leader-elect-retry-period", required_argument, NULL, OPT_RETRY_PERIOD },
		{ "leader-elect-resource-name", required_argument, NULL, OPT_LEASE_NAME },
		{ "health-listen", required_argument, NULL, OPT_HEALTH },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *output = "table";
	bool check = false, dry_run = false, kube_flag = false;
	struct kctl_opts ko = {
		.memberlist = KCTL_DEFAULT_MEMBERLIST,
		.lease_name = KCTL_DEFAULT_LEASE,
		.lease_ms = 15000,
		.renew_ms = 10000,
		.retry_ms = 2000,
		.health_listen = HEALTH_DEFAULT_LISTEN,
		.ctl_socket = KCTL_DEFAULT_SOCKET,
	};

	for (int ch; (ch = getopt_long(argc, argv, "c:o:hV", opts, NULL)) != -1;) {
		bool ok = true;
		kube_flag |= ch >= OPT_KUBECONFIG && ch <= OPT_LOG_LEVEL && ch != OPT_LOG_LEVEL;
		switch (ch) {
		case 'c': path = optarg; break;
		case OPT_CHECK: check = true; break;
		case OPT_DRY_RUN: dry_run = true; break;
		case 'o': output = optarg; break;
		case OPT_LB_CLASS: ko.lb_class = optarg; break;
		case OPT_KUBECONFIG: ko.kubeconfig = optarg; break;
		case OPT_CONTEXT: ko.context = optarg; break;
		case OPT_NAMESPACE: ko.ns = optarg; break;
		case OPT_POD_NAME: ko.identity = optarg; break;
		case OPT_MEMBERLIST: ko.memberlist = optarg; break;
		case OPT_LEADER_ELECT: ko.leader_elect = true; break;
		case OPT_LEASE_DURATION: ok = parse_ms("--leader-elect-lease-duration", optarg, &ko.lease_ms); break;
		case OPT_RENEW_DEADLINE: ok = parse_ms("--leader-elect-renew-deadline", optarg, &ko.renew_ms); break;
		case OPT_RETRY_PERIOD: ok = parse_ms("--leader-elect-retry-period", optarg, &ko.retry_ms); break;
		case OPT_LEASE_NAME: ko.lease_name = optarg; break;
		case OPT_HEALTH: ko.health_listen = optarg; break;
		case OPT_SOCKET: ko.ctl_socket = strcmp(optarg, "off") ? optarg : NULL; break;
		case OPT_LOG_LEVEL: ok = parse_level(optarg); break;
		case OPT_LOG_FORMAT: ok = parse_format(optarg); break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vipcast-controller %s\n", VIPCAST_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
		if (!ok)
			return EXIT_USAGE;
	}
	if (optind != argc || (strcmp(output, "json") != 0 && strcmp(output, "table") != 0)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* The controller needs no privilege at all. */
	struct caps_outcome caps;
	const char *why = "";
	if (caps_restrict(0, &caps, &why) < 0) {
		fprintf(stderr, "vipcast-controller: cannot drop privileges (%s: %s)\n", why, strerror(errno));
		return 1;
	}
	if (caps.had)
		log_info("controller", "capabilities kept: none (%d dropped); no_new_privs set",
			 __builtin_popcountll(caps.had));
	if (path) {
		if (check == dry_run || kube_flag) {
			usage(stderr);
			return EXIT_USAGE;
		}
		return file_mode(path, check, ko.lb_class, output);
	}
	if (check || dry_run) {
		fprintf(stderr, "vipcast-controller: --check and --dry-run need --config\n");
		return EXIT_USAGE;
	}
	if (ko.renew_ms >= ko.lease_ms || ko.retry_ms >= ko.renew_ms) {
		fprintf(stderr, "vipcast-controller: want retry period < renew deadline < lease duration\n");
		return EXIT_USAGE;
	}
	int status = kctl_run(&ko);
	log_flush_suppressed();
	return status;
}
