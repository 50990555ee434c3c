/*
 * Intervals are 100 ms and more: a process stalled longer than the detection
 * time on a busy machine would look like a failure.
 *
 * Two BFD sessions of the speaker talking to each other over loopback
 * (127.0.0.1 <-> 127.0.0.2, single hop, one mux): they come Up through the
 * three-way handshake, take the profile's intervals, go Down when one end
 * stops (AdminDown, then the detection time) and report every change. Needs
 * UDP port 3784 free on 127.0.0.0/8; skipped when it is taken.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "bfd.h"
#include "bfd_mux.h"
#include "bfd_session.h"
#include "clock.h"
#include "log.h"

struct end {
	struct bfd_session *b;
	uint8_t last_from, last_to;
	unsigned changes;
};

static void on_change(struct bfd_session *b, uint8_t from, uint8_t to, void *arg)
{
	struct end *e = arg;
	(void)b;
	e->last_from = from;
	e->last_to = to;
	e->changes++;
}

static void loop_ms(struct event_base *base, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static struct bfd_session_config config(uint8_t peer_last, uint8_t source_last, uint32_t interval_ms)
{
	struct bfd_session_config c = {0};
	snprintf(c.name, sizeof(c.name), "metallb-system/peer%u", peer_last);
	snprintf(c.profile, sizeof(c.profile), "fast");
	c.peer.family = c.source.family = IPF_V4;
	memcpy(c.peer.b, (uint8_t[]){127, 0, 0, peer_last}, 4);
	memcpy(c.source.b, (uint8_t[]){127, 0, 0, source_last}, 4);
	c.tx_us = c.rx_us = interval_ms * 1000;
	c.mult = 3;
	c.min_ttl = 254;
	return c;
}

/* Runs the loop until both ends are in `state` (bounded by ms); returns whether they are. */
static bool both(struct event_base *base, struct end *a, struct end *b, uint8_t state, unsigned ms)
{
	uint64_t end = mono_ms() + ms;
	while (mono_ms() < end) {
		if (bfd_session_state(a->b) == state && bfd_session_state(b->b) == state)
			return true;
		loop_ms(base, 10);
	}
	return bfd_session_state(a->b) == state && bfd_session_state(b->b) == state;
}

/* A and B over loopback on a new loop; false (everything freed) when port 3784 is taken on this host. */
static bool pair_open(struct event_base **base, struct bfd_mux **m, struct end *a, const struct bfd_session_config *ca,
		      struct end *b, const struct bfd_session_config *cb)
{
	*base = event_base_new();
	*m = bfd_mux_new(*base);
	a->b = bfd_session_new(*base, *m, ca, on_change, a);
	if (!a->b) {
		bfd_mux_free(*m);
		event_base_free(*base);
		return false;
	}
	b->b = bfd_session_new(*base, *m, cb, on_change, b);
	assert_non_null(b->b);
	return true;
}

static void pair_close(struct event_base *base, struct bfd_mux *m, struct end *a, struct end *b)
{
	bfd_session_free(b->b);
	bfd_session_free(a->b);
	bfd_mux_free(m);
	event_base_free(base);
}

static void test_up_then_down(void **state)
{
	(void)state;
	struct event_base *base;
	struct bfd_mux *m;
	struct end a = {0}, b = {0};
	struct bfd_session_config ca = config(1, 2, 100), cb = config(2, 1, 100);
	if (!pair_open(&base, &m, &a, &ca, &b, &cb))
		skip();  /* port 3784 taken on this host */
	assert_int_equal(bfd_session_state(a.b), BFD_DOWN);
	/* Down -> Init/Up within the slow (1 s) start interval and a bit. */
	assert_true(both(base, &a, &b, BFD_UP, 3000));
	assert_int_equal(a.last_to, BFD_UP);
	assert_int_equal(b.last_to, BFD_UP);
	/* Up, the negotiated 100 ms apply after the poll sequence (jittered to 75-100 ms). */
	struct bfd_session_counters n0, n1;
	bfd_session_counters(a.b, &n0);
	loop_ms(base, 500);
	bfd_session_counters(a.b, &n1);
	print_message("%llu packets sent in 0.5 s at 100 ms\n", (unsigned long long)(n1.tx - n0.tx));
	assert_true(n1.tx - n0.tx >= 4 && n1.tx - n0.tx <= 9);
	assert_int_equal(n1.up_events, 1);
	assert_int_equal(n1.rx_dropped, 0);
	json_t *j = bfd_session_status(a.b);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "Up");
	assert_int_equal(json_integer_value(json_object_get(j, "transmit_interval_ms")), 100);
	json_decref(j);

	/* b goes away: its AdminDown takes a Down with Neighbor Signaled Session Down. */
	bfd_session_free(b.b);
	b.b = NULL;
	for (int i = 0; i < 50 && bfd_session_state(a.b) == BFD_UP; i++)
		loop_ms(base, 10);
	assert_int_equal(bfd_session_state(a.b), BFD_DOWN);
	assert_int_equal(a.last_from, BFD_UP);
	j = bfd_session_status(a.b);
	assert_string_equal(json_string_value(json_object_get(j, "remote_diagnostic")), bfd_diag_name(BFD_DIAG_ADMIN_DOWN));
	json_decref(j);
	bfd_session_counters(a.b, &n1);
	assert_int_equal(n1.down_events, 1);

	pair_close(base, m, &a, &b);
}

/* One end goes deaf (its mux forgets it): it notices within the detection time, and says so. */
static void test_detection_time(void **state)
{
	(void)state;
	struct event_base *base;
	struct bfd_mux *m;
	struct end a = {0}, b = {0};
	struct bfd_session_config ca = config(1, 2, 20), cb = config(2, 1, 20);
	if (!pair_open(&base, &m, &a, &ca, &b, &cb))
		skip();  /* port 3784 taken on this host */
	assert_true(both(base, &a, &b, BFD_UP, 3000));
	loop_ms(base, 200);  /* the poll sequence ends: 20 ms x 3 in force, 60 ms detection */
	bfd_mux_remove(m, a.b);
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	while (bfd_session_state(a.b) == BFD_UP && clock_ns(CLOCK_MONOTONIC) - t0 < 2000000000u)
		loop_ms(base, 1);
	double ms = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e6;
	print_message("detected after %.1f ms (detection time 60 ms)\n", ms);
	assert_int_equal(bfd_session_state(a.b), BFD_DOWN);
	assert_true(ms <= 200);  /* from the last packet heard, which may be before the removal */
	json_t *j = bfd_session_status(a.b);
	assert_string_equal(json_string_value(json_object_get(j, "local_diagnostic")), bfd_diag_name(BFD_DIAG_CTRL_EXPIRED));
	json_decref(j);
	/* a's Down reaches b, which goes Down too. */
	for (int i = 0; i < 100 && bfd_session_state(b.b) == BFD_UP; i++)
		loop_ms(base, 5);
	assert_int_equal(bfd_session_state(b.b), BFD_DOWN);
	assert_int_equal(b.last_from, BFD_UP);
	pair_close(base, m, &a, &b);
}

/* passiveMode (RFC 5880 6.1): nothing sent until the remote speaks; two passive ends stay silent. */
static void test_passive(void **state)
{
	(void)state;
	struct event_base *base;
	struct bfd_mux *m;
	struct end a = {0}, b = {0};
	struct bfd_session_config ca = config(1, 2, 100), cb = config(2, 1, 100);
	ca.passive = cb.passive = true;
	if (!pair_open(&base, &m, &a, &ca, &b, &cb))
		skip();  /* port 3784 taken on this host */
	loop_ms(base, 1500);
	struct bfd_session_counters na, nb;
	bfd_session_counters(a.b, &na);
	bfd_session_counters(b.b, &nb);
	assert_int_equal(na.tx + nb.tx, 0);
	assert_int_equal(bfd_session_state(a.b), BFD_DOWN);
	/* b active again (a new session): a answers, both come Up. */
	bfd_session_free(b.b);
	bfd_session_counters(a.b, &na);
	assert_int_equal(na.tx, 0);
	cb.passive = false;
	b.b = bfd_session_new(base, m, &cb, on_change, &b);
	assert_non_null(b.b);
	assert_true(both(base, &a, &b, BFD_UP, 3000));
	bfd_session_counters(a.b, &na);
	assert_true(na.tx > 0);
	pair_close(base, m, &a, &b);
}

int main(void)
{
	log_set_level(getenv("TEST_LOG") ? LOG_DEBUG : LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_up_then_down),
		cmocka_unit_test(test_detection_time),
		cmocka_unit_test(test_passive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
