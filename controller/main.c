/*
 * vipcast-controller: gives each LoadBalancer Service its external IPs.
 *
 * This build reads configuration from files (the YAML a MetalLB user applies
 * with kubectl): --check loads and validates it; --dry-run also allocates for
 * every Service in it, honouring the addresses their statuses already show,
 * and prints the outcome. It needs no privilege: every capability is
 * dropped before anything is read.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "caps.h"
#include "diag.h"
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
		"usage: vipcast-controller --config PATH (--check | --dry-run [-o json|table])\n"
		"\n"
		"  -c, --config PATH     a YAML file, or a directory of *.yaml/*.yml files\n"
		"      --check           load and validate; print a summary per kind\n"
		"      --dry-run         allocate for every Service and print the result\n"
		"  -o, --output FORMAT   table (default) or json, for --dry-run\n"
		"      --lb-class CLASS  serve Services of this loadBalancerClass (default: those with none)\n"
		"exit status: 0 when the configuration is valid (whatever the Services got),\n"
		"2 when it is not (the errors on stderr), 64 on a usage error, 1 when privileges cannot be dropped\n"
		"  -h, --help         this text\n"
		"  -V, --version      print the version\n");
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "lb-class", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *output = "table", *lb_class = NULL;
	bool check = false, dry_run = false;

	for (int ch; (ch = getopt_long(argc, argv, "c:o:hV", opts, NULL)) != -1;) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			check = true;
			break;
		case 'n':
			dry_run = true;
			break;
		case 'o':
			output = optarg;
			break;
		case 'L':
			lb_class = optarg;
			break;
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
	}
	if (!path || optind != argc || check == dry_run ||
	    (strcmp(output, "json") != 0 && strcmp(output, "table") != 0)) {
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
