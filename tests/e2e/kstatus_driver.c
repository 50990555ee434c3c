/*
 * A small program over speaker/kstatus.c for tests/e2e/test_kube_status.sh:
 * it runs the status writer against an API server and hands it the desired
 * sets read from stdin, one command a line:
 *
 *   set [SPEC]...   the whole desired set; SPEC is NS/NAME[,uid=UID][,l2[=IF+IF]][,bgp=PEER+PEER],
 *                   or NS/PREFIX*N[,...] for N Services PREFIX00000..  (an empty set: `set`)
 *   stats           prints STATS created=.. updated=.. deleted=.. failed=.. events=.. max_active=..
 *   quit
 *
 * max_active is the most HTTP requests seen in flight at once (sampled every
 * millisecond). Every line it prints starts with a word a test can grep for.
 *
 * Usage: kstatus_driver --kubeconfig FILE --namespace NS --node NODE [--pod NAME] [--no-events]
 *        [--log-level debug|info|warn]
 */
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kstatus.h"
#include "kube_auth.h"
#include "kube_event.h"
#include "kube_http.h"
#include "log.h"
#include "xalloc.h"

#define INBUF_MAX (1 << 20)
#define NAMES_MAX 16

struct spec {
	char ns[128], name[128], uid[64];
	bool l2;
	char *ifaces[NAMES_MAX], *peers[NAMES_MAX];
	size_t nifaces, npeers;
};

static struct {
	struct event_base *base;
	struct kube_auth auth;
	struct kube_http *h;
	struct kube_recorder *rec;
	struct kstatus *ks;
	struct event *in_ev, *sample;
	char *inbuf;
	size_t inlen;
	unsigned max_active;
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

static size_t split_names(char *s, char **v)
{
	size_t n = 0;
	for (char *save = NULL, *t = strtok_r(s, "+", &save); t && n < NAMES_MAX; t = strtok_r(NULL, "+", &save))
		v[n++] = t;
	return n;
}

/* NS/NAME,opts -> *sp (pointing into tok); false if it does not read. */
static bool parse_spec(char *tok, struct spec *sp)
{
	char *save = NULL, *head = strtok_r(tok, ",", &save), *slash = head ? strchr(head, '/') : NULL;

	memset(sp, 0, sizeof(*sp));
	if (!slash || (size_t)(slash - head) >= sizeof(sp->ns) || strlen(slash + 1) >= sizeof(sp->name))
		return false;
	memcpy(sp->ns, head, (size_t)(slash - head));
	strcpy(sp->name, slash + 1);
	for (char *o = strtok_r(NULL, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (strncmp(o, "uid=", 4) == 0 && strlen(o + 4) < sizeof(sp->uid)) {
			strcpy(sp->uid, o + 4);
		} else if (strcmp(o, "l2") == 0) {
			sp->l2 = true;
		} else if (strncmp(o, "l2=", 3) == 0) {
			sp->l2 = true;
			sp->nifaces = split_names(o + 3, sp->ifaces);
		} else if (strncmp(o, "bgp=", 4) == 0) {
			sp->npeers = split_names(o + 4, sp->peers);
		} else {
			return false;
		}
	}
	return true;
}

static int svc_cmp(const void *a, const void *b)
{
	const struct kstatus_svc *x = a, *y = b;
	int r = strcmp(x->ns, y->ns);
	return r ? r : strcmp(x->name, y->name);
}

static void cmd_set(char *args)
{
	struct kstatus_svc *v = NULL;
	char **owned = NULL;  /* the names made for NS/PREFIX*N */
	size_t n = 0, cap = 0, nowned = 0;
	struct spec *specs = NULL;
	size_t nspecs = 0;
	char *save = NULL;

	for (char *tok = strtok_r(args, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		specs = xrealloc(specs, nspecs + 1, sizeof(*specs));
		struct spec *sp = &specs[nspecs];
		if (!parse_spec(tok, sp)) {
			out("ERROR set: cannot read %s", tok);
			goto done;
		}
		nspecs++;
	}
	for (size_t i = 0; i < nspecs; i++) {
		struct spec *sp = &specs[i];
		char *star = strchr(sp->name, '*');
		long count = star ? atol(star + 1) : 1;
		if (star)
			*star = 0;
		for (long j = 0; j < count; j++) {
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				v = xrealloc(v, cap, sizeof(*v));
				owned = xrealloc(owned, cap, sizeof(*owned));
			}
			const char *name = sp->name;
			if (star) {
				size_t l = strlen(sp->name) + 16;
				char *nm = xmalloc(l);
				snprintf(nm, l, "%s%05ld", sp->name, j);
				owned[nowned++] = nm;
				name = nm;
			}
			v[n++] = (struct kstatus_svc){ sp->ns, name, *sp->uid ? sp->uid : NULL, sp->l2,
						       (const char *const *)sp->ifaces, sp->nifaces,
						       (const char *const *)sp->peers, sp->npeers };
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), svc_cmp);
	kstatus_set(g.ks, v, n);
	out("SET n=%zu", n);
done:
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(v);
	free(specs);
}

static void print_stats(void)
{
	struct kstatus_stats s;
	kstatus_get_stats(g.ks, &s);
	out("STATS created=%llu updated=%llu deleted=%llu failed=%llu events=%llu max_active=%u",
	    (unsigned long long)s.created, (unsigned long long)s.updated, (unsigned long long)s.deleted,
	    (unsigned long long)s.failed, (unsigned long long)s.events, g.max_active);
}

static void run_command(char *line)
{
	if (strncmp(line, "set", 3) == 0 && (line[3] == ' ' || !line[3]))
		cmd_set(line + 3);
	else if (strcmp(line, "stats") == 0)
		print_stats();
	else if (strcmp(line, "quit") == 0)
		event_base_loopbreak(g.base);
	else if (*line)
		out("ERROR unknown command: %s", line);
}

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
	(void)what, (void)arg;
	ssize_t n = read(fd, g.inbuf + g.inlen, INBUF_MAX - 1 - g.inlen);

	if (n <= 0) {
		event_del(g.in_ev);  /* EOF: keep writing */
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
	if (g.inlen == INBUF_MAX - 1)
		g.inlen = 0;  /* a line too long: dropped */
}

static void on_sample(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	struct kube_http_stats hs;
	kube_http_get_stats(g.h, &hs);
	if (hs.active > g.max_active)
		g.max_active = hs.active;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig, (void)what, (void)arg;
	event_base_loopbreak(g.base);
}

static void usage(void)
{
	fprintf(stderr, "usage: kstatus_driver --kubeconfig FILE --namespace NS --node NODE [--pod NAME] [--no-events]\n"
			"       [--log-level debug|info|warn]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kubeconfig", required_argument, NULL, 'k' }, { "namespace", required_argument, NULL, 'n' },
		{ "node", required_argument, NULL, 'N' },       { "pod", required_argument, NULL, 'p' },
		{ "no-events", no_argument, NULL, 'E' },        { "log-level", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	struct kstatus_opts ko = { 0 };
	const char *kubeconfig = NULL;
	bool events = true;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': kubeconfig = optarg; break;
		case 'n': ko.ns = optarg; break;
		case 'N': ko.node = optarg; break;
		case 'p': ko.pod_name = optarg; break;
		case 'E': events = false; break;
		case 'L':
			log_set_level(strcmp(optarg, "debug") == 0 ? LOG_DEBUG
				      : strcmp(optarg, "warn") == 0 ? LOG_WARN
								     : LOG_INFO);
			break;
		default: usage();
		}
	}
	if (!kubeconfig || !ko.ns || !ko.node)
		usage();
	struct diags d;
	diags_init(&d);
	bool ok = kube_auth_from_kubeconfig(&g.auth, kubeconfig, NULL, &d);
	diags_print(&d, stderr);
	diags_free(&d);
	if (!ok)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	g.inbuf = xmalloc(INBUF_MAX);
	g.base = event_base_new();
	g.h = kube_http_new(g.base, &g.auth, NULL);
	g.rec = events ? kube_recorder_new(g.h, "vipcast-speaker", ko.node) : NULL;
	g.ks = kstatus_new(g.base, g.h, g.rec, &ko);
	g.in_ev = event_new(g.base, STDIN_FILENO, EV_READ | EV_PERSIST, on_stdin, NULL);
	event_add(g.in_ev, NULL);
	g.sample = event_new(g.base, -1, EV_PERSIST, on_sample, NULL);
	struct timeval ms = { 0, 1000 };
	event_add(g.sample, &ms);
	struct event *sigterm = evsignal_new(g.base, SIGTERM, on_signal, NULL);
	struct event *sigint = evsignal_new(g.base, SIGINT, on_signal, NULL);
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	out("READY");
	event_base_dispatch(g.base);

	print_stats();
	kstatus_free(g.ks);
	kube_recorder_free(g.rec);
	kube_http_free(g.h);
	kube_auth_free(&g.auth);
	event_free(g.in_ev);
	event_free(g.sample);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(g.base);
	free(g.inbuf);
	return 0;
}
