/*
 * A small program over the API client (kube/) for tests/e2e/test_kube_client.sh:
 * it lists and watches the resources it is told to and prints each change as
 * one line on stdout, and it runs commands read from stdin (one per line) for
 * the writes. Every line it prints starts with a word a test can grep for:
 *
 *   EVENT <resource> ADDED|MODIFIED|DELETED <ns/name> rv=<rv> [invalid: <first error>]
 *   SYNCED <resource> n=<objects> ms=<since start>
 *   STATS <resource> n=.. lists=.. relists=.. watches=.. events=.. bookmarks=.. gone=.. failures=.. refused=..
 *   HTTP requests=.. connects=.. active=.. failures=.. bytes_in=.. heap=<bytes in use> token_reads=..
 *   STATUS <ns/name> <http status> writes=<n> <message>
 *   LEASE <ns/name> <http status> holder=.. transitions=.. rv=..
 *   DISCOVERY <group/version> present|absent|unknown
 *   GET <path> <http status>
 *
 * Commands: stats | watch RES[:NS] | status NS/NAME IP [STALE_RV] |
 * event NS/NAME REASON MESSAGE... | events NS/NAME REASON WORD COUNT (COUNT distinct Events at once) |
 * lease NS NAME HOLDER [STALE_RV] |
 * discover GROUP VERSION | get PATH | quit
 *
 * Usage: kube_client_driver (--kubeconfig FILE [--context NAME] | --in-cluster [--sa-dir DIR])
 *        [--watch RES[:NS]]... [--limit N] [--timeout S] [--idle S] [--max-event BYTES]
 *        [--http1] [--log-level debug|info|warn]
 */
#include <event2/event.h>
#include <getopt.h>
#include <jansson.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "kube_auth.h"
#include "kube_event.h"
#include "kube_http.h"
#include "kube_lease.h"
#include "kube_request.h"
#include "kube_resource.h"
#include "kube_status.h"
#include "kube_stream.h"
#include "kube_watch.h"
#include "log.h"
#include "xalloc.h"

#define MAX_WATCHES 32

struct watched {
	struct kube_watch *w;
	const struct kube_resource *res;
	char label[96];
};

static struct {
	struct event_base *base;
	struct kube_auth auth;
	struct kube_http *h;
	struct kube_recorder *rec;
	struct kube_watch_opts wo;
	struct watched watches[MAX_WATCHES];
	size_t nwatches;
	uint64_t t0;
	struct event *in_ev;
	char inbuf[8192];
	size_t inlen;
	unsigned burst;  /* the events command's count, while it runs */
} g;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static const char *type_name(enum kube_event_type t)
{
	return t == KUBE_ADDED ? "ADDED" : t == KUBE_MODIFIED ? "MODIFIED" : "DELETED";
}

static void status_from_annotation(const struct watched *wd, const struct kube_item *it);

static void on_event(void *arg, enum kube_event_type t, const struct kube_item *it)
{
	struct watched *wd = arg;
	char first[512] = "";

	if (t != KUBE_DELETED && it->diags && it->diags->n)
		diag_format(&it->diags->v[0], first, sizeof(first));
	out("EVENT %s %s %s%s%s rv=%s%s%s", wd->label, type_name(t), it->ns ? it->ns : "", it->ns ? "/" : "",
	    it->name, it->rv, *first ? (it->obj ? " warning: " : " invalid: ") : "", first);
	if (t != KUBE_DELETED)
		status_from_annotation(wd, it);
}

static void on_synced(void *arg)
{
	struct watched *wd = arg;
	out("SYNCED %s n=%zu ms=%llu", wd->label, kube_watch_count(wd->w), (unsigned long long)(mono_ms() - g.t0));
}

static const struct kube_resource *resource_named(const char *plural)
{
	for (int k = 0; k < KIND_COUNT; k++)
		if (strcmp(kube_resource_of((enum kind)k)->plural, plural) == 0)
			return kube_resource_of((enum kind)k);
	return NULL;
}

static bool add_watch(const char *spec)
{
	char name[64];
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);

	if (n >= sizeof(name) || g.nwatches == MAX_WATCHES)
		return false;
	memcpy(name, spec, n);
	name[n] = 0;
	const struct kube_resource *r = resource_named(name);
	if (!r) {
		fprintf(stderr, "unknown resource %s\n", name);
		return false;
	}
	struct watched *wd = &g.watches[g.nwatches++];
	wd->res = r;
	snprintf(wd->label, sizeof(wd->label), "%s", spec);
	struct kube_watch_cbs cbs = { on_event, on_synced, wd, NULL };
	wd->w = kube_watch_new(g.h, r, colon ? colon + 1 : NULL, &g.wo, &cbs);
	return true;
}

static void print_stats(void)
{
	struct kube_http_stats hs;
	struct mallinfo2 mi = mallinfo2();

	for (size_t i = 0; i < g.nwatches; i++) {
		struct kube_watch_stats s;
		kube_watch_get_stats(g.watches[i].w, &s);
		out("STATS %s n=%zu lists=%llu relists=%llu pages=%llu watches=%llu events=%llu bookmarks=%llu gone=%llu "
		    "failures=%llu refused=%llu rv=%s",
		    g.watches[i].label, kube_watch_count(g.watches[i].w), (unsigned long long)s.lists,
		    (unsigned long long)s.relists, (unsigned long long)s.pages, (unsigned long long)s.watches,
		    (unsigned long long)s.events, (unsigned long long)s.bookmarks, (unsigned long long)s.gone,
		    (unsigned long long)s.failures, (unsigned long long)s.refused,
		    kube_watch_rv(g.watches[i].w) ? kube_watch_rv(g.watches[i].w) : "-");
	}
	kube_http_get_stats(g.h, &hs);
	struct kube_recorder_stats rs;
	kube_recorder_get_stats(g.rec, &rs);
	out("HTTP requests=%llu connects=%llu active=%u failures=%llu bytes_in=%llu heap=%zu token_reads=%u "
	    "events_created=%llu events_patched=%llu events_failed=%llu events_dropped=%llu events_max_active=%u",
	    (unsigned long long)hs.requests, (unsigned long long)hs.connects, hs.active,
	    (unsigned long long)hs.failures, (unsigned long long)hs.bytes_in, mi.uordblks, g.auth.token_reads,
	    (unsigned long long)rs.created, (unsigned long long)rs.patched, (unsigned long long)rs.failed,
	    (unsigned long long)rs.dropped, rs.max_active);
}

/* ------------------------------------------------------------------ status */

struct status_cmd {
	char ns[128], name[128], ip[64], stale_rv[64];
};

static bool set_ingress(void *arg, json_t *obj)
{
	struct status_cmd *c = arg;
	json_t *status = json_object_get(obj, "status");
	if (!json_is_object(status)) {
		status = json_object();
		json_object_set_new(obj, "status", status);
	}
	/* Already there: the one ingress entry has this IP (the server adds ipMode). */
	const json_t *ingress = json_object_get(json_object_get(status, "loadBalancer"), "ingress");
	const char *have = json_string_value(json_object_get(json_array_get(ingress, 0), "ip"));
	if (json_array_size(ingress) == 1 && have && strcmp(have, c->ip) == 0)
		return false;
	json_object_set_new(status, "loadBalancer", json_pack("{s:[{s:s}]}", "ingress", "ip", c->ip));
	return true;
}

static void status_written(void *arg, long status, const json_t *obj, unsigned writes, const char *msg)
{
	struct status_cmd *c = arg;
	(void)obj;
	out("STATUS %s/%s %ld writes=%u %s", c->ns, c->name, status, writes, msg);
	free(c);
}

static void status_read(void *arg, const struct kube_resp *r, json_t *body)
{
	struct status_cmd *c = arg;
	char msg[256];

	if (r->status != 200) {
		out("STATUS %s/%s %ld writes=0 %s", c->ns, c->name, r->status, kube_resp_message(r, body, msg, sizeof(msg)));
		free(c);
		return;
	}
	json_object_set_new(json_object_get(body, "metadata"), "resourceVersion", json_string(c->stale_rv));
	if (!kube_status_update(g.h, kube_resource_of(KIND_SERVICE), c->ns, c->name, body, set_ingress, status_written, c)) {
		out("STATUS %s/%s 204 writes=0 nothing to write", c->ns, c->name);
		free(c);
	}
}

/*
 * A Service annotated vipcast.test/ip gets that address in its status, written
 * from inside the watch callback with the event's object as the current
 * version, as the controller will.
 */
static void status_from_annotation(const struct watched *wd, const struct kube_item *it)
{
	const json_t *ann = json_object_get(json_object_get(it->raw, "metadata"), "annotations");
	const char *ip = json_string_value(json_object_get(ann, "vipcast.test/ip"));

	if (wd->res->kind != KIND_SERVICE || !ip || !it->ns || strlen(ip) >= 64 || strlen(it->ns) >= 128 ||
	    strlen(it->name) >= 128)
		return;
	struct status_cmd *c = xcalloc(1, sizeof(*c));
	strcpy(c->ns, it->ns);
	strcpy(c->name, it->name);
	strcpy(c->ip, ip);
	if (!kube_status_update(g.h, wd->res, c->ns, c->name, it->raw, set_ingress, status_written, c))
		free(c);  /* the status already says so */
}

static bool split_nsname(const char *s, char *ns, size_t nl, char *name, size_t ml)
{
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= nl || strlen(slash + 1) >= ml)
		return false;
	memcpy(ns, s, (size_t)(slash - s));
	ns[slash - s] = 0;
	strcpy(name, slash + 1);
	return true;
}

static void cmd_status(char **argv, int argc)
{
	struct status_cmd *c = xcalloc(1, sizeof(*c));
	if (argc < 3 || !split_nsname(argv[1], c->ns, sizeof(c->ns), c->name, sizeof(c->name)) ||
	    strlen(argv[2]) >= sizeof(c->ip) || (argc > 3 && strlen(argv[3]) >= sizeof(c->stale_rv))) {
		out("STATUS ? 0 writes=0 usage: status NS/NAME IP [STALE_RV]");
		free(c);
		return;
	}
	strcpy(c->ip, argv[2]);
	if (argc > 3) {
		/* Read it, then write from a version older than the one read: the first PUT must conflict. */
		char path[512];
		strcpy(c->stale_rv, argv[3]);
		kube_path(path, sizeof(path), kube_resource_of(KIND_SERVICE), c->ns, c->name, NULL, NULL);
		kube_json_request(g.h, "GET", path, NULL, NULL, status_read, c);
		return;
	}
	kube_status_update(g.h, kube_resource_of(KIND_SERVICE), c->ns, c->name, NULL, set_ingress, status_written, c);
}

/* ------------------------------------------------------------------ event */

struct event_cmd {
	char reason[128], message[1024];
	unsigned burst;  /* 0: one Event with message; else that many, "message N" */
};

static void event_target(void *arg, const struct kube_resp *r, json_t *body)
{
	struct event_cmd *c = arg;
	const char *uid, *rv, *ns, *name;

	kube_object_meta(body, &uid, &rv, &ns, &name);
	if (r->status != 200 || !name) {
		out("EVENTREC failed HTTP %ld", r->status);
	} else {
		struct kube_ref ref = { "v1", "Service", ns, name, uid, rv };
		if (!c->burst)
			kube_record(g.rec, &ref, false, c->reason, "%s", c->message);
		for (unsigned i = 0; i < c->burst; i++)
			kube_record(g.rec, &ref, false, c->reason, "%s %u", c->message, i);
		if (c->burst)
			out("EVENTREC burst %u recorded", c->burst);
	}
	free(c);
}

static void cmd_event(char **argv, int argc)
{
	char ns[128], name[128], path[512];
	if (argc < 4 || !split_nsname(argv[1], ns, sizeof(ns), name, sizeof(name)) ||
	    !kube_path(path, sizeof(path), kube_resource_of(KIND_SERVICE), ns, name, NULL, NULL)) {
		out("EVENTREC usage: event NS/NAME REASON MESSAGE...");
		return;
	}
	struct event_cmd *c = xcalloc(1, sizeof(*c));
	c->burst = g.burst;
	snprintf(c->reason, sizeof(c->reason), "%s", argv[2]);
	size_t off = 0;
	for (int i = 3; i < argc && off < sizeof(c->message); i++)
		off += (size_t)snprintf(c->message + off, sizeof(c->message) - off, "%s%s", i > 3 ? " " : "", argv[i]);
	kube_json_request(g.h, "GET", path, NULL, NULL, event_target, c);
}

/* ------------------------------------------------------------------ lease */

struct lease_cmd {
	char ns[128], name[128], holder[128], stale_rv[64];
};

static void lease_print(struct lease_cmd *c, const struct kube_resp *r, json_t *body)
{
	const json_t *spec = json_object_get(body, "spec");
	const char *rv;
	char msg[256];

	kube_object_meta(body, NULL, &rv, NULL, NULL);
	if (r->status == 200 || r->status == 201)
		out("LEASE %s/%s %ld holder=%s transitions=%lld rv=%s", c->ns, c->name, r->status,
		    json_string_value(json_object_get(spec, "holderIdentity")),
		    (long long)json_integer_value(json_object_get(spec, "leaseTransitions")), rv ? rv : "-");
	else
		out("LEASE %s/%s %ld %s", c->ns, c->name, r->status, kube_resp_message(r, body, msg, sizeof(msg)));
}

static void lease_written(void *arg, const struct kube_resp *r, json_t *body)
{
	struct lease_cmd *c = arg;
	lease_print(c, r, body);
	free(c);
}

static void lease_read(void *arg, const struct kube_resp *r, json_t *body)
{
	struct lease_cmd *c = arg;

	if (r->status == 404) {
		json_t *l = kube_lease_build(c->ns, c->name, c->holder, 15, NULL);
		kube_lease_create(g.h, l, lease_written, c);
		json_decref(l);
		return;
	}
	if (r->status != 200) {
		lease_written(c, r, body);
		return;
	}
	json_t *l = kube_lease_build(c->ns, c->name, c->holder, 15, body);
	if (c->stale_rv[0])
		json_object_set_new(json_object_get(l, "metadata"), "resourceVersion", json_string(c->stale_rv));
	kube_lease_update(g.h, l, lease_written, c);
	json_decref(l);
}

static void cmd_lease(char **argv, int argc)
{
	if (argc < 4 || strlen(argv[1]) >= 128 || strlen(argv[2]) >= 128 || strlen(argv[3]) >= 128 ||
	    (argc > 4 && strlen(argv[4]) >= 64)) {
		out("LEASE usage: lease NS NAME HOLDER [STALE_RV]");
		return;
	}
	struct lease_cmd *c = xcalloc(1, sizeof(*c));
	strcpy(c->ns, argv[1]);
	strcpy(c->name, argv[2]);
	strcpy(c->holder, argv[3]);
	if (argc > 4)
		strcpy(c->stale_rv, argv[4]);
	if (!kube_lease_get(g.h, c->ns, c->name, lease_read, c)) {
		out("LEASE usage: invalid name");
		free(c);
	}
}

/* ------------------------------------------------------------------ other commands */

struct discover_cmd {
	char gv[160];
};

static void discovered(void *arg, enum kube_api_state s)
{
	struct discover_cmd *c = arg;
	out("DISCOVERY %s %s", c->gv, s == KUBE_API_PRESENT ? "present" : s == KUBE_API_ABSENT ? "absent" : "unknown");
	free(c);
}

static void got(void *arg, const struct kube_resp *r, json_t *body)
{
	char *path = arg;
	(void)body;
	out("GET %s %ld%s%s", path, r->status, r->error ? " " : "", r->error ? r->error : "");
	free(path);
}

static void quit(void)
{
	event_base_loopbreak(g.base);
}

static void run_command(char *line)
{
	char *argv[64];
	int argc = 0;

	for (char *tok = strtok(line, " \t"); tok && argc < 64; tok = strtok(NULL, " \t"))
		argv[argc++] = tok;
	if (!argc)
		return;
	if (strcmp(argv[0], "stats") == 0) {
		print_stats();
	} else if (strcmp(argv[0], "watch") == 0 && argc == 2) {
		if (!add_watch(argv[1]))
			out("WATCH %s refused", argv[1]);
	} else if (strcmp(argv[0], "status") == 0) {
		cmd_status(argv, argc);
	} else if (strcmp(argv[0], "event") == 0) {
		cmd_event(argv, argc);
	} else if (strcmp(argv[0], "events") == 0 && argc == 5) {
		/* events NS/NAME REASON MESSAGE COUNT: COUNT distinct Events at once */
		char *args[4] = { argv[0], argv[1], argv[2], argv[3] };
		g.burst = (unsigned)strtoul(argv[4], NULL, 10);
		cmd_event(args, 4);
		g.burst = 0;
	} else if (strcmp(argv[0], "lease") == 0) {
		cmd_lease(argv, argc);
	} else if (strcmp(argv[0], "discover") == 0 && argc == 3) {
		struct discover_cmd *c = xcalloc(1, sizeof(*c));
		snprintf(c->gv, sizeof(c->gv), "%s/%s", argv[1], argv[2]);
		kube_discover(g.h, argv[1], argv[2], discovered, c);
	} else if (strcmp(argv[0], "get") == 0 && argc == 2 && argv[1][0] == '/') {
		kube_json_request(g.h, "GET", argv[1], NULL, NULL, got, xstrdup(argv[1]));
	} else if (strcmp(argv[0], "quit") == 0) {
		quit();
	} else {
		out("ERROR unknown command %s", argv[0]);
	}
}

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
	(void)what, (void)arg;
	ssize_t n = read(fd, g.inbuf + g.inlen, sizeof(g.inbuf) - 1 - g.inlen);

	if (n <= 0) {
		event_del(g.in_ev);  /* EOF: keep watching */
		return;
	}
	g.inlen += (size_t)n;
	g.inbuf[g.inlen] = 0;
	char *start = g.inbuf, *nl;
	while ((nl = strchr(start, '\n'))) {
		*nl = 0;
		run_command(start);
		start = nl + 1;
	}
	g.inlen = strlen(start);
	memmove(g.inbuf, start, g.inlen);
	if (g.inlen == sizeof(g.inbuf) - 1)
		g.inlen = 0;  /* a line too long: dropped */
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig, (void)what, (void)arg;
	quit();
}

static void usage(void)
{
	fprintf(stderr, "usage: kube_client_driver (--kubeconfig FILE [--context NAME] | --in-cluster [--sa-dir DIR])\n"
			"       [--watch RES[:NS]]... [--limit N] [--timeout S] [--idle S] [--max-event BYTES]\n"
			"       [--http1] [--log-level debug|info|warn]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kubeconfig", required_argument, NULL, 'k' }, { "context", required_argument, NULL, 'c' },
		{ "in-cluster", no_argument, NULL, 'i' },       { "sa-dir", required_argument, NULL, 's' },
		{ "watch", required_argument, NULL, 'w' },      { "limit", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },    { "idle", required_argument, NULL, 'I' },
		{ "max-event", required_argument, NULL, 'm' },  { "http1", no_argument, NULL, '1' },
		{ "log-level", required_argument, NULL, 'L' },  { NULL, 0, NULL, 0 },
	};
	const char *kubeconfig = NULL, *context = NULL, *sa_dir = NULL;
	const char *watches[MAX_WATCHES];
	size_t nw = 0;
	bool in_cluster = false;
	struct kube_http_opts ho = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': kubeconfig = optarg; break;
		case 'c': context = optarg; break;
		case 'i': in_cluster = true; break;
		case 's': sa_dir = optarg; break;
		case 'w':
			if (nw == MAX_WATCHES)
				usage();
			watches[nw++] = optarg;
			break;
		case 'l': g.wo.page_limit = (unsigned)atoi(optarg); break;
		case 't': g.wo.timeout_s = (unsigned)atoi(optarg); break;
		case 'I': g.wo.idle_s = (unsigned)atoi(optarg); break;
		case 'm': g.wo.max_event = (size_t)atol(optarg); break;
		case '1': ho.http1 = true; break;
		case 'L':
			log_set_level(strcmp(optarg, "debug") == 0 ? LOG_DEBUG
				      : strcmp(optarg, "warn") == 0 ? LOG_WARN
								     : LOG_INFO);
			break;
		default: usage();
		}
	}
	if (!kubeconfig == !in_cluster)
		usage();
	struct diags d;
	diags_init(&d);
	bool ok = in_cluster ? kube_auth_in_cluster(&g.auth, sa_dir, &d)
			     : kube_auth_from_kubeconfig(&g.auth, kubeconfig, context, &d);
	diags_print(&d, stderr);
	diags_free(&d);
	if (!ok)
		return 1;
	log_info("driver", "API server %s from %s", g.auth.server, g.auth.source);
	signal(SIGPIPE, SIG_IGN);
	g.base = event_base_new();
	g.h = kube_http_new(g.base, &g.auth, &ho);
	g.rec = kube_recorder_new(g.h, "vipcast-test", "driver");
	g.t0 = mono_ms();
	for (size_t i = 0; i < nw; i++)
		if (!add_watch(watches[i]))
			usage();
	struct stat st;
	g.in_ev = event_new(g.base, STDIN_FILENO, EV_READ | EV_PERSIST, on_stdin, NULL);
	if (isatty(STDIN_FILENO) || (fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))))
		event_add(g.in_ev, NULL);  /* commands come from a pipe, FIFO or socket */
	struct event *sigterm = evsignal_new(g.base, SIGTERM, on_signal, NULL);
	struct event *sigint = evsignal_new(g.base, SIGINT, on_signal, NULL);
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	event_base_dispatch(g.base);

	print_stats();
	for (size_t i = 0; i < g.nwatches; i++)
		kube_watch_free(g.watches[i].w);
	kube_recorder_free(g.rec);
	kube_http_free(g.h);
	kube_auth_free(&g.auth);
	event_free(g.in_ev);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(g.base);
	return 0;
}
