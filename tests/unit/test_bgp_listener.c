/*
 * The BGP listener under descriptor exhaustion: with RLIMIT_NOFILE lowered so
 * that accept() fails with EMFILE while connections wait in the backlog, the
 * event loop must not spin (few loop iterations, little CPU time over one
 * a few seconds); once the limit is raised again, a new connection is accepted and
 * handed to the session the finder names. Runs without privileges, on an
 * ephemeral port, with clients on 127.0.0.1 and ::1 only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bgp_listener.h"
#include "bgp_socket.h"

#define NCLIENTS 3
#define WINDOW_MS 2500  /* the socket is tried again twice in it */
#define MAX_ITERATIONS 10000000u  /* a bound on the loop even when it spins */

static int the_session;  /* what the finder hands out for a loopback peer */

struct ctx {
	unsigned found, refused, accepted;
	uint16_t ports[32];  /* the peers' ports of the accepted connections */
	size_t nports;
};

static void *find(const struct ipaddr *peer, void *arg)
{
	struct ctx *c = arg;
	static const uint8_t v6_loopback[16] = {[15] = 1};
	bool loopback = peer->family == IPF_V4 ? peer->b[0] == 127 : memcmp(peer->b, v6_loopback, 16) == 0;
	if (!loopback) {
		c->refused++;
		return NULL;
	}
	c->found++;
	return &the_session;
}

static void accepted(void *session, int fd, void *arg)
{
	struct ctx *c = arg;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct ipaddr ip;
	uint16_t port = 0;
	assert_ptr_equal(session, &the_session);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0 && ip_from_sockaddr((struct sockaddr *)&ss, &ip, &port) &&
	    c->nports < sizeof(c->ports) / sizeof(c->ports[0]))
		c->ports[c->nports++] = port;
	c->accepted++;
	close(fd);
}

static unsigned libevent_messages;

static void count_libevent_log(int severity, const char *msg)
{
	(void)severity, (void)msg;
	libevent_messages++;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A blocking connect to the loopback address of the family; the client's port in *local. */
static int client(uint8_t family, uint16_t port, uint16_t *local)
{
	struct ipaddr lo = {.family = family};
	if (family == IPF_V4)
		lo.b[0] = 127, lo.b[3] = 1;
	else
		lo.b[15] = 1;
	struct sockaddr_storage ss;
	socklen_t len;
	sockaddr_from_ip(&lo, port, &ss, &len);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
	struct ipaddr me;
	len = sizeof(ss);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	assert_true(ip_from_sockaddr((struct sockaddr *)&ss, &me, local));
	return fd;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	*(bool *)arg = true;
}

/* Runs the loop one round at a time for ms, or until *stop; returns the rounds. */
static unsigned run_for(struct event_base *base, unsigned ms, const bool *stop)
{
	bool over = false;
	struct event *deadline = evtimer_new(base, on_deadline, &over);
	assert_non_null(deadline);
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(deadline, &tv);
	unsigned n = 0;
	while (!over && !(stop && *stop) && n < MAX_ITERATIONS) {
		event_base_loop(base, EVLOOP_ONCE);
		n++;
	}
	event_free(deadline);
	return n;
}

static bool has_port(const struct ctx *c, uint16_t port)
{
	for (size_t i = 0; i < c->nports; i++)
		if (c->ports[i] == port)
			return true;
	return false;
}

static void emfile_pauses_then_accepts(void **state)
{
	uint8_t family = *(uint8_t *)*state;
	struct ctx c = {0};
	struct event_base *base = event_base_new();
	assert_non_null(base);
	libevent_messages = 0;
	event_set_log_callback(count_libevent_log);
	struct bgp_listener *l = bgp_listener_new(base, 0, find, accepted, &c);
	assert_non_null(l);
	uint16_t port = bgp_listener_port(l, family);
	if (!port) {
		bgp_listener_free(l);
		event_base_free(base);
		skip();  /* no IPv6 here */
	}

	int fds[NCLIENTS + 1];
	uint16_t ports[NCLIENTS + 1];
	for (int i = 0; i < NCLIENTS; i++)
		fds[i] = client(family, port, &ports[i]);

	/* Every descriptor below the lowest free one is taken: no new one can be made. */
	int lowest = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(lowest >= 0);
	close(lowest);
	struct rlimit old, low;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)lowest;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);

	double cpu0 = cpu_s();
	unsigned rounds = run_for(base, WINDOW_MS, NULL);
	double cpu = cpu_s() - cpu0;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	struct bgp_listener_stats st;
	bgp_listener_stats(l, &st);
	fprintf(stderr, "IPv%u, %d connections waiting, accept() failing with EMFILE for %u ms: %u loop rounds, "
			"%.3f s of CPU, %u libevent messages, %llu accept errors, %llu pauses\n",
		family, NCLIENTS, WINDOW_MS, rounds, cpu, libevent_messages, (unsigned long long)st.accept_errors,
		(unsigned long long)st.pauses);
	assert_int_equal(c.accepted, 0);
	assert_true(rounds < 20);
	assert_true(cpu < 0.2);
	assert_true(st.accept_errors >= 2 && st.accept_errors <= 4);
	assert_int_equal(st.accept_errors, st.pauses);

	/* Descriptors again: the waiting connections and a new one reach the session. */
	fds[NCLIENTS] = client(family, port, &ports[NCLIENTS]);
	bool all = false;
	for (unsigned i = 0; i < 40 && !all; i++) {
		run_for(base, 50, NULL);
		all = c.accepted == NCLIENTS + 1;
	}
	for (int i = 0; i <= NCLIENTS; i++)
		assert_true(has_port(&c, ports[i]));
	assert_int_equal(c.found, NCLIENTS + 1);
	assert_int_equal(c.refused, 0);
	bgp_listener_stats(l, &st);
	assert_int_equal(st.accepted, NCLIENTS + 1);

	for (int i = 0; i <= NCLIENTS; i++)
		close(fds[i]);
	bgp_listener_free(l);
	event_set_log_callback(NULL);
	event_base_free(base);
}

int main(void)
{
	static uint8_t v4 = IPF_V4, v6 = IPF_V6;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(emfile_pauses_then_accepts, &v4),
		cmocka_unit_test_prestate(emfile_pauses_then_accepts, &v6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
