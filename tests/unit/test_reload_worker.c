/*
 * Background reloads: the event loop keeps running while a large
 * configuration is read and planned, requests coalesce, the newest
 * configuration wins, an invalid one comes back refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "reload_worker.h"

struct fixture {
	struct event_base *base;
	struct event *tick;
	char dir[64];
	unsigned ticks, done, refused;
	size_t last_services;
	unsigned ticks_at_done;
};

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct fixture *f = arg;
	f->ticks++;
}

static void on_done(struct generation *g, bool ok, const struct diags *d, void *arg)
{
	struct fixture *f = arg;
	f->done++;
	f->ticks_at_done = f->ticks;
	if (!ok) {
		f->refused++;
		assert_true(d->errors > 0);
		return;
	}
	f->last_services = g->plan->services_announced + g->plan->services_without_endpoints;
	generation_free(g);
}

/* A directory with a node, a pool and n LoadBalancer Services with status addresses. */
static void write_config(struct fixture *f, unsigned n, bool broken)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/config.yaml", f->dir);
	char tmp[136];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *out = fopen(tmp, "w");
	assert_non_null(out);
	fprintf(out, "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\nstatus:\n  addresses:\n"
		     "    - type: InternalIP\n      address: 192.0.2.11\n---\n"
		     "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: p\n"
		     "  namespace: metallb-system\nspec:\n  addresses: [%s]\n",
		broken ? "not-an-address" : "198.18.0.0/15");
	for (unsigned i = 0; i < n; i++)
		fprintf(out, "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s%u\n  namespace: default\n"
			     "spec:\n  type: LoadBalancer\n  ports: [{port: 80, protocol: TCP}]\n"
			     "status:\n  loadBalancer:\n    ingress: [{ip: 198.18.%u.%u}]\n",
			i, i / 256, i % 256);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(rename(tmp, path), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/vipcast-reload-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->base = event_base_new();
	f->tick = event_new(f->base, -1, EV_PERSIST, on_tick, f);
	struct timeval tv = {0, 2000};
	event_add(f->tick, &tv);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[128];
	snprintf(path, sizeof(path), "%s/config.yaml", f->dir);
	unlink(path);
	rmdir(f->dir);
	event_free(f->tick);
	event_base_free(f->base);
	free(f);
	return 0;
}

/* Runs the loop until `want` results came back (bounded: 60 s). */
static void run_until_done(struct fixture *f, unsigned want)
{
	uint64_t end = mono_ms() + 60000;
	while (f->done < want && mono_ms() < end)
		event_base_loop(f->base, EVLOOP_ONCE);
	assert_int_equal(f->done, want);
}

static void test_loop_runs_during_a_large_build(void **state)
{
	struct fixture *f = *state;
	write_config(f, 20000, false);
	struct reload_worker *w = reload_worker_new(f->base, f->dir, "n1", NULL, on_done, f);
	assert_non_null(w);
	unsigned before = f->ticks;
	uint64_t t0 = mono_ms();
	assert_true(reload_worker_request(w));
	run_until_done(f, 1);
	/* In the loop, no tick could happen between the request and the result. */
	unsigned during = f->ticks_at_done - before;
	print_message("20,000 Services built in %llu ms; the loop ticked %u times meanwhile\n",
		      (unsigned long long)(mono_ms() - t0), during);
	assert_true(during > 0);
	assert_int_equal(f->last_services, 20000);
	reload_worker_free(w);
}

static void test_requests_coalesce_newest_wins(void **state)
{
	struct fixture *f = *state;
	write_config(f, 3000, false);
	struct reload_worker *w = reload_worker_new(f->base, f->dir, "n1", NULL, on_done, f);
	assert_non_null(w);
	assert_true(reload_worker_request(w));
	for (unsigned n = 3001; n <= 3005; n++) {
		write_config(f, n, false);
		assert_true(reload_worker_request(w));
	}
	/* However the thread interleaved, the last result read the last file. */
	uint64_t end = mono_ms() + 60000;
	while (f->last_services != 3005 && mono_ms() < end)
		event_base_loop(f->base, EVLOOP_ONCE);
	assert_int_equal(f->last_services, 3005);
	assert_true(f->done >= 1 && f->done <= 6);
	reload_worker_free(w);
}

static void test_invalid_configuration_is_refused(void **state)
{
	struct fixture *f = *state;
	write_config(f, 10, true);
	struct reload_worker *w = reload_worker_new(f->base, f->dir, "n1", NULL, on_done, f);
	assert_non_null(w);
	assert_true(reload_worker_request(w));
	run_until_done(f, 1);
	assert_int_equal(f->refused, 1);
	reload_worker_free(w);
}

/* Freed while a build runs: the thread is joined and the result dropped (ASan checks the leak). */
static void test_free_during_a_build(void **state)
{
	struct fixture *f = *state;
	write_config(f, 5000, false);
	struct reload_worker *w = reload_worker_new(f->base, f->dir, "n1", NULL, on_done, f);
	assert_non_null(w);
	assert_true(reload_worker_request(w));
	usleep(1000);
	reload_worker_free(w);
	assert_int_equal(f->done, 0);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_loop_runs_during_a_large_build, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests_coalesce_newest_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_configuration_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_during_a_build, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
