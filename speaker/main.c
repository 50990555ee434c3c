/*
 * vipcast-speaker: makes this node's VIPs reachable, over BGP to the peer
 * routers and in L2 mode by answering ARP/NDP for the VIPs it owns.
 *
 * File mode: --config names the directory (or file) of YAML documents the
 * controller reads too; the speaker reloads it on SIGHUP and whenever it
 * changes. Without --config, Kubernetes mode: the objects come from the API
 * server (in-cluster, or --kubeconfig), see kspeaker.h. SIGTERM or SIGINT
 * ends every session for a restart (the peer keeps forwarding where graceful
 * restart was negotiated, speaker_stop()) and hands the L2 VIPs over before
 * exiting; SIGUSR1 prints the state.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bgp_session.h"
#include "big_array.h"
#include "caps.h"
#include "clock.h"
#include "ctl_server.h"
#include "ctl_speaker.h"
#include "kspeaker.h"
#include "kube_health.h"
#include "log.h"
#include "ovn_flags.h"
#include "plan_print.h"
#include "rt_priority.h"
#include "speaker.h"
#include "speaker_metrics.h"

#define EXIT_USAGE 64
#define STOP_FLUSH_MS 2000

/*
 * What the speaker needs once running, as BIRD keeps: packet sockets for
 * ARP/NDP, opened whenever an interface appears (CAP_NET_RAW); TCP MD5 keys,
 * SO_BINDTODEVICE and the like (CAP_NET_ADMIN); the BGP port, whose listener
 * opens when the first BGPPeer appears (CAP_NET_BIND_SERVICE).
 */
#define SPEAKER_CAPS (CAPS_BIT(CAP_NET_BIND_SERVICE) | CAPS_BIT(CAP_NET_ADMIN) | CAPS_BIT(CAP_NET_RAW))

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vipcast-speaker --config PATH --node NAME [options]   (file mode)\n"
		"       vipcast-speaker [--kubeconfig FILE] [--node NAME] [options]   (Kubernetes mode)\n"
		"\n"
		"  -c, --config PATH       a YAML file, or a directory of *.yaml/*.yml files\n"
		"  -n, --node NAME         this node's name (a Node object; default $NODE_NAME)\n"
		"      --kubeconfig FILE   Kubernetes mode from outside a cluster (default: in-cluster)\n"
		"      --context NAME      the kubeconfig context (default: its current one)\n"
		"      --namespace NS      where the metallb.io objects and Secrets are (default $POD_NAMESPACE,\n"
		"                          else the service account's, else metallb-system)\n"
		"      --metrics-address A /metrics, /healthz and /readyz, \"ADDR:PORT\" or \":PORT\" (\"off\": none);\n"
		"                          default :7472 in Kubernetes mode, none in file mode\n"
		"      --health-address A  the same as --metrics-address\n"
		"      --coalesce MS       Kubernetes mode: changes within MS are planned together (default 20)\n"
		"      --lb-class CLASS    serve Services of this loadBalancerClass (default: those with none)\n"
		"      --bgp-port PORT     port to accept BGP connections on (default 179; 0: do not listen)\n"
		"      --status FILE       keep the state (sessions, L2 owners) as JSON in FILE\n"
		"      --socket PATH       the control socket for vipcastctl (default " CTL_SPEAKER_SOCKET ";\n"
		"                          \"off\": none)\n"
		"      --l2-interval MS    L2 liveness heartbeat interval (default 100, at least 10)\n"
		"      --l2-port PORT      L2 liveness UDP port (default 7946)\n"
		"      --l2-key-grace S    seconds a rotated memberlist key is still accepted (default 60)\n"
		"      --rt-priority N     run the event loop under SCHED_RR at N (1-99; default 0: off), so that\n"
		"                          heartbeats keep their time on a busy node (needs CAP_SYS_NICE)\n"
		"  -v, --log-level LEVEL   error, warn, info (default) or debug\n"
		"      --log-format F      text (default) or json: one object a line (time, level, component,\n"
		"                          message; peer, kind, namespace, name where known). A message\n"
		"                          repeated (same text template, same peer or object) is written at\n"
		"                          most 5 times in 10 s; a later line says how many were suppressed\n"
		"      --print-plan        print what a fresh load gives this node (JSON) and exit\n"
		"  -h, --help              this text\n"
		"  -V, --version           print the version\n");
}

struct loop {
	struct event_base *base;
	struct speaker *sp;
	struct kspeaker *ks;  /* Kubernetes mode */
	struct health *http;  /* file mode: /metrics, /healthz, /readyz when asked for */
	struct event *stop_wait;
	uint64_t stop_at;  /* mono_ms() */
};

static bool file_mode_ready(void *arg, char *why, size_t len)
{
	if (speaker_loaded(arg) && !speaker_drained(arg))
		return true;
	snprintf(why, len, speaker_drained(arg) ? "drained" : "no configuration loaded");
	return false;
}

static struct health *file_mode_http(struct event_base *base, struct speaker *sp, const char *listen)
{
	char err[256];
	struct health *h = health_new(base, listen, file_mode_ready, sp, err, sizeof(err));
	if (!h) {
		log_error("speaker", "metrics endpoint: %s", err);
		return NULL;
	}
	health_set_metrics(h, speaker_metrics, sp);
	log_info("speaker", "health endpoints /metrics, /healthz and /readyz on %s", health_address(h));
	return h;
}

static void stop_wait(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct loop *l = arg;
	if (bgp_closing_count() == 0 || mono_ms() - l->stop_at >= STOP_FLUSH_MS) {
		event_base_loopexit(l->base, NULL);
		return;
	}
	struct timeval tv = {0, 20000};
	evtimer_add(l->stop_wait, &tv);
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct loop *l = arg;
	if (speaker_stopped(l->sp))
		return;
	log_info("speaker", "%s: ending sessions for a restart and handing VIPs over", strsignal((int)sig));
	kspeaker_stop(l->ks);
	speaker_stop(l->sp);
	l->stop_at = mono_ms();
	stop_wait(-1, 0, l);
}

static void on_usr1(evutil_socket_t sig, short what, void *arg)
{
	(void)sig, (void)what;
	struct loop *l = arg;
	char *text = speaker_status(l->sp);
	if (!text) {
		log_error("speaker", "cannot build the status: out of memory");
		return;
	}
	fprintf(stderr, "%s\n", text);
	free(text);
}

/* The arrays a swap or a reload left behind go back to the system (lib/big_array.h). */
static void on_trim(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	big_array_trim();
}

static void on_status_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct loop *l = arg;
	speaker_write_status(l->sp);
}

static bool drop_privileges(void)
{
	struct caps_outcome c;
	const char *why = "";
	char kept[128], missing[128] = "";
	if (caps_restrict(SPEAKER_CAPS, &c, &why) < 0) {
		log_error("speaker", "cannot drop privileges (%s: %s)", why, strerror(errno));
		return false;
	}
	caps_format(c.kept, kept, sizeof kept);
	if (c.kept != SPEAKER_CAPS) {
		char names[100];
		caps_format(SPEAKER_CAPS & ~c.kept, names, sizeof names);
		snprintf(missing, sizeof missing, " (not held, so not kept: %s)", names);
	}
	log_info("speaker", "capabilities kept: %s%s; bounding set %s; no_new_privs set", kept, missing,
		 c.bounding_cut ? "cut to the same" : "left as it was (no CAP_SETPCAP)");
	return true;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v > max)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},     {"node", required_argument, NULL, 'n'},
		{"lb-class", required_argument, NULL, 'L'},   {"bgp-port", required_argument, NULL, 'P'},
		{"status", required_argument, NULL, 'S'},     {"l2-interval", required_argument, NULL, 'I'},
		{"l2-port", required_argument, NULL, 'U'},    {"log-level", required_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},             {"version", no_argument, NULL, 'V'},
		{"print-plan", no_argument, NULL, 'p'},       {"kubeconfig", required_argument, NULL, 'K'},
		{"context", required_argument, NULL, 'C'},    {"namespace", required_argument, NULL, 'N'},
		{"health-address", required_argument, NULL, 'H'}, {"coalesce", required_argument, NULL, 'Q'},
		{"l2-key-grace", required_argument, NULL, 'G'},   {"log-format", required_argument, NULL, 'F'},
		{"metrics-address", required_argument, NULL, 'H'}, {"socket", required_argument, NULL, 'O'},
		{"rt-priority", required_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	struct kspeaker_opts ko = {.health_listen = KSPEAKER_DEFAULT_HEALTH};
	struct speaker_options o = {.bgp_port = 179};
	o.l2.interval_ms = 100;
	o.l2.detect_mult = 3;
	o.l2.port = 7946;
	unsigned long v;
	bool print_plan = false, http_set = false;
	unsigned rt_priority = 0;
	const char *ctl_path = CTL_SPEAKER_SOCKET;

#ifdef M_ARENA_MAX
	/* One malloc arena: plans built on the planning thread are freed on the loop, and memory one
	 * thread frees stays in its arena, apart from the other's (issue 11: RSS at 100k Services). */
	mallopt(M_ARENA_MAX, 1);
#endif
	if (!ovn_flags_take(&argc, &argv))  /* kube-ovn-speaker's command line, ovn_flags.h */
		return EXIT_USAGE;
	for (int ch; (ch = getopt_long(argc, argv, "c:n:v:hV", opts, NULL)) != -1;) {
		switch (ch) {
		case 'c':
			o.config_path = optarg;
			break;
		case 'n':
			o.node = optarg;
			break;
		case 'L':
			o.lb_class = optarg;
			break;
		case 'P':
			if (!parse_uint(optarg, 65535, &v))
				goto bad;
			o.bgp_port = (uint16_t)v;
			break;
		case 'S':
			o.status_path = optarg;
			break;
		case 'I':
			if (!parse_uint(optarg, 60000, &v) || v < 10)
				goto bad;
			o.l2.interval_ms = (unsigned)v;
			break;
		case 'U':
			if (!parse_uint(optarg, 65535, &v) || !v)
				goto bad;
			o.l2.port = (uint16_t)v;
			break;
		case 'v':
			if (!strcmp(optarg, "error"))
				log_set_level(LOG_ERROR);
			else if (!strcmp(optarg, "warn"))
				log_set_level(LOG_WARN);
			else if (!strcmp(optarg, "info"))
				log_set_level(LOG_INFO);
			else if (!strcmp(optarg, "debug"))
				log_set_level(LOG_DEBUG);
			else
				goto bad;
			break;
		case 'F': {
			enum log_format f;
			if (!log_parse_format(optarg, &f))
				goto bad;
			log_set_format(f);
			break;
		}
		case 'O':
			ctl_path = strcmp(optarg, "off") == 0 ? NULL : optarg;
			break;
		case 'p':
			print_plan = true;
			break;
		case 'K':
			ko.kubeconfig = optarg;
			break;
		case 'C':
			ko.context = optarg;
			break;
		case 'N':
			ko.ns = optarg;
			break;
		case 'H':
			ko.health_listen = strcmp(optarg, "off") == 0 ? NULL : optarg;
			http_set = true;
			break;
		case 'G':
			if (!parse_uint(optarg, 3600, &v) || !v)
				goto bad;
			o.l2.key_grace_ms = (unsigned)v * 1000;
			break;
		case 'R':
			if (!parse_uint(optarg, RT_PRIORITY_MAX, &v))
				goto bad;
			rt_priority = (unsigned)v;
			break;
		case 'Q':
			if (!parse_uint(optarg, 10000, &v) || !v)
				goto bad;
			ko.coalesce_ms = (unsigned)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vipcast-speaker %s\n", VIPCAST_VERSION);
			return 0;
		default:
			goto bad;
		}
	}
	if (!o.node)
		o.node = getenv("NODE_NAME");
	if (!o.node || !*o.node || optind != argc || (o.config_path && (ko.kubeconfig || ko.context)) ||
	    (print_plan && !o.config_path))
		goto bad;
	if (print_plan)
		return plan_print(&o, stdout);

	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	struct loop l = {0};
	/*
	 * Precise timers: by default libevent reads CLOCK_MONOTONIC_COARSE (one
	 * kernel tick: 4 ms at HZ=250, 10 ms at HZ=100) and waits in whole ms, so
	 * 10 ms heartbeats went out every 11-16 ms and a late wake-up could not
	 * be told from the clock's own slack (speaker/l2.c, on_deadline).
	 */
	struct event_config *ecfg = event_config_new();
	if (ecfg)
		event_config_set_flag(ecfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	l.base = ecfg ? event_base_new_with_config(ecfg) : NULL;
	if (ecfg)
		event_config_free(ecfg);
	if (!l.base) {
		fprintf(stderr, "vipcast-speaker: cannot create the event loop\n");
		return 1;
	}
	log_info("speaker", "vipcast-speaker %s starting: node %s, configuration %s", VIPCAST_VERSION, o.node,
		 o.config_path ? o.config_path : "from the Kubernetes API");
	/* Before the capabilities go (CAP_SYS_NICE): a daemon that cannot still does its job, slower to be scheduled. */
	if (rt_priority && rt_priority_enter((int)rt_priority) < 0)
		log_error("speaker", "cannot run under SCHED_RR at priority %u (%s): heartbeats may be late on a busy node",
			  rt_priority, strerror(errno));
	else if (rt_priority)
		log_info("speaker", "event loop under SCHED_RR at priority %u", rt_priority);
	l.sp = speaker_new(l.base, &o);
	/* After the L2 sockets opened, before the first load: every load runs with the same privileges. */
	if (!drop_privileges()) {
		speaker_free(l.sp);
		event_base_free(l.base);
		return 1;
	}
	if (o.config_path) {
		speaker_reload(l.sp);
		if (http_set && ko.health_listen && !(l.http = file_mode_http(l.base, l.sp, ko.health_listen))) {
			speaker_free(l.sp);
			event_base_free(l.base);
			return 1;
		}
	} else if (!(l.ks = kspeaker_new(l.base, l.sp, &o, &ko))) {
		speaker_free(l.sp);
		event_base_free(l.base);
		return 1;
	}

	/* A daemon without its control socket still does its job: the failure is logged. */
	struct ctl_server *ctl = ctl_path ? ctl_speaker_new(l.base, l.sp, ctl_path) : NULL;
	struct event *sigs[3] = {evsignal_new(l.base, SIGTERM, on_stop, &l), evsignal_new(l.base, SIGINT, on_stop, &l),
				 evsignal_new(l.base, SIGUSR1, on_usr1, &l)};
	l.stop_wait = evtimer_new(l.base, stop_wait, &l);
	struct event *tick = o.status_path ? event_new(l.base, -1, EV_PERSIST, on_status_tick, &l) : NULL;
	struct event *trim = event_new(l.base, -1, EV_PERSIST, on_trim, NULL);
	struct timeval second = {1, 0};
	bool ready = l.stop_wait && (tick || !o.status_path) && (!tick || event_add(tick, &second) == 0) && trim &&
		     event_add(trim, &second) == 0;
	for (int i = 0; i < 3; i++)
		ready = ready && sigs[i] && evsignal_add(sigs[i], NULL) == 0;
	int status = 0;
	if (ready) {
		event_base_dispatch(l.base);
	} else {
		log_error("speaker", "cannot set up the signal and timer events");
		status = 1;
	}

	if (tick)
		event_free(tick);
	if (trim)
		event_free(trim);
	for (int i = 0; i < 3; i++)
		if (sigs[i])
			event_free(sigs[i]);
	if (l.stop_wait)
		event_free(l.stop_wait);
	ctl_server_free(ctl);
	kspeaker_free(l.ks);
	health_free(l.http);
	speaker_free(l.sp);
	event_base_free(l.base);
	log_flush_suppressed();
	log_info("speaker", "stopped");
	return status;
bad:
	usage(stderr);
	return EXIT_USAGE;
}
