/*
 * vipcast-controller: gives each LoadBalancer Service its external IPs.
 *
 * This build reads configuration from files: --check loads and validates a
 * directory (or file) of the same YAML a MetalLB user applies with kubectl.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "load.h"
#include "summary.h"

#define EXIT_INVALID 2
#define EXIT_USAGE 64

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vipcast-controller --config PATH --check\n"
		"\n"
		"  -c, --config PATH  a YAML file, or a directory of *.yaml/*.yml files\n"
		"      --check        load and validate; print a summary per kind;\n"
		"                     exit 0 when valid, 2 (errors on stderr) when not\n"
		"  -h, --help         this text\n"
		"  -V, --version      print the version\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	bool check = false;

	for (int ch; (ch = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1;) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			check = true;
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
	if (!path || optind != argc || !check) {
		usage(stderr);
		return EXIT_USAGE;
	}

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
	config_print_summary(c, stdout);
	printf("%s: configuration is valid (%zu warning%s, %zu object%s of other kinds ignored)\n", path,
	       d.warnings, d.warnings == 1 ? "" : "s", ignored, ignored == 1 ? "" : "s");
	config_free(c);
	diags_free(&d);
	return 0;
}
