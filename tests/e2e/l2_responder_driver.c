/*
 * A test driver for the L2 responder alone: runs it in a libevent loop and
 * takes commands on stdin, one per line, answering on stdout:
 *
 *   set [VIP[@IF,IF...] ...]   own exactly these VIPs (none: give all up)
 *   announce VIP               l2_responder_announce
 *   walk                       one "walk VIP IF SINCE" line per answer, then "end"
 *   stats                      "stats arp_requests=N arp_replies=N ..."
 *   vipstats                   "vipstats VIP=REQUESTS/RESPONSES/GRATUITOUS ..." (per VIP answered)
 *   quit                       (or end of input)
 *
 * Options: --garp-count N --garp-interval-ms N --refresh-s N --reply-rate N
 * -v (debug log). Prints "ready" once the responder runs. Used by
 * tests/e2e/test_l2_responder.sh inside network namespaces.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "l2_responder.h"
#include "log.h"

struct driver {
	struct event_base *base;
	struct l2_responder *r;
	char line[1 << 18];  /* a set of thousands of VIPs is one line */
	size_t len;
};

static void die(const char *msg)
{
	fprintf(stderr, "l2_responder_driver: %s\n", msg);
	exit(2);
}

static bool parse_ip(const char *s, struct ipaddr *ip)
{
	return ipaddr_parse(s, strlen(s), ip);
}

#define MAX_SET 8192
#define MAX_IFS 8

static void cmd_set(struct driver *d, char *args)
{
	static struct l2_owned v[MAX_SET];
	static const char *names[MAX_SET][MAX_IFS];
	size_t n = 0;

	for (char *tok = strtok(args, " \t"); tok; tok = strtok(NULL, " \t")) {
		if (n == MAX_SET)
			die("too many VIPs");
		char *at = strchr(tok, '@');
		memset(&v[n], 0, sizeof v[n]);
		if (at) {
			*at++ = 0;
			size_t k = 0;
			for (char *save = NULL, *i = strtok_r(at, ",", &save); i && k < MAX_IFS; i = strtok_r(NULL, ",", &save))
				names[n][k++] = i;
			v[n].interfaces = names[n];
			v[n].ninterfaces = k;
		}
		if (!parse_ip(tok, &v[n].ip)) {
			printf("error bad address %s\n", tok);
			return;
		}
		n++;
	}
	l2_responder_set(d->r, v, n);
	printf("ok\n");
}

static void vipstats_fn(const struct ipaddr *ip, const struct l2_vip_counters *n, void *arg)
{
	(void)arg;
	char a[IPADDR_STRLEN];
	ipaddr_format(ip, a);
	printf(" %s=%llu/%llu/%llu", a, (unsigned long long)n->requests, (unsigned long long)n->responses,
	       (unsigned long long)n->gratuitous);
}

static void walk_fn(const struct ipaddr *ip, const char *ifname, double since, void *arg)
{
	char buf[IPADDR_STRLEN];
	(void)arg;
	ipaddr_format(ip, buf);
	printf("walk %s %s %.3f\n", buf, ifname, since);
}

static void command(struct driver *d, char *line)
{
	char *args = line + strcspn(line, " \t");
	if (*args)
		*args++ = 0;
	if (strcmp(line, "set") == 0) {
		cmd_set(d, args);
	} else if (strcmp(line, "announce") == 0) {
		struct ipaddr ip;
		if (!parse_ip(args, &ip)) {
			printf("error bad address %s\n", args);
		} else {
			l2_responder_announce(d->r, &ip);
			printf("ok\n");
		}
	} else if (strcmp(line, "walk") == 0) {
		l2_responder_walk(d->r, walk_fn, NULL);
		printf("end\n");
	} else if (strcmp(line, "stats") == 0) {
		struct l2_responder_stats s;
		l2_responder_stats(d->r, &s);
		printf("stats arp_requests=%llu arp_replies=%llu ns_received=%llu na_sent=%llu garp_sent=%llu "
		       "unsolicited_na_sent=%llu limited_requester=%llu limited_global=%llu conflicts=%llu malformed=%llu\n",
		       (unsigned long long)s.arp_requests, (unsigned long long)s.arp_replies,
		       (unsigned long long)s.ns_received, (unsigned long long)s.na_sent,
		       (unsigned long long)s.garp_sent, (unsigned long long)s.unsolicited_na_sent,
		       (unsigned long long)s.limited_requester, (unsigned long long)s.limited_global,
		       (unsigned long long)s.conflicts,
		       (unsigned long long)s.malformed);
	} else if (strcmp(line, "vipstats") == 0) {
		printf("vipstats");
		l2_responder_vip_counters(d->r, vipstats_fn, NULL);
		printf("\n");
	} else if (strcmp(line, "quit") == 0) {
		event_base_loopbreak(d->base);
	} else if (*line) {
		printf("error unknown command %s\n", line);
	}
	fflush(stdout);
}

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
	struct driver *d = arg;
	(void)what;
	ssize_t n = read(fd, d->line + d->len, sizeof d->line - 1 - d->len);
	if (n <= 0) {
		if (n < 0 && errno == EINTR)
			return;
		event_base_loopbreak(d->base);
		return;
	}
	d->len += (size_t)n;
	char *nl;
	while ((nl = memchr(d->line, '\n', d->len))) {
		*nl = 0;
		command(d, d->line);
		d->len -= (size_t)(nl + 1 - d->line);
		memmove(d->line, nl + 1, d->len);
	}
	if (d->len == sizeof d->line - 1)
		die("line too long");
}

int main(int argc, char **argv)
{
	struct l2_responder_options opt = {0};
	struct driver d = {0};

	for (int i = 1; i < argc; i++) {
		unsigned *field = NULL;
		if (strcmp(argv[i], "--garp-count") == 0)
			field = &opt.garp_count;
		else if (strcmp(argv[i], "--garp-interval-ms") == 0)
			field = &opt.garp_interval_ms;
		else if (strcmp(argv[i], "--refresh-s") == 0)
			field = &opt.refresh_s;
		else if (strcmp(argv[i], "--reply-rate") == 0)
			field = &opt.reply_rate;
		else if (strcmp(argv[i], "--requester-rate") == 0)
			field = &opt.requester_rate;
		else if (strcmp(argv[i], "-v") == 0)
			log_set_level(LOG_DEBUG);
		else
			die("usage: l2_responder_driver [--garp-count N] [--garp-interval-ms N] [--refresh-s N] "
			    "[--reply-rate N] [--requester-rate N] [-v]");
		if (field) {
			if (++i == argc)
				die("option needs a value");
			*field = (unsigned)strtoul(argv[i], NULL, 10);
		}
	}
	d.base = event_base_new();
	if (!d.base)
		die("event_base_new");
	d.r = l2_responder_new(d.base, &opt);
	if (!d.r)
		die("l2_responder_new failed");
	struct event *in = event_new(d.base, 0, EV_READ | EV_PERSIST, on_stdin, &d);
	event_add(in, NULL);
	printf("ready\n");
	fflush(stdout);
	event_base_dispatch(d.base);
	event_free(in);
	l2_responder_free(d.r);
	event_base_free(d.base);
	return 0;
}
