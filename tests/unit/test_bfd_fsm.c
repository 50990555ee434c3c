/*
 * Unit tests for speaker/bfd_fsm.c: every (state, event) cell of RFC 5880's
 * state machine written out from the section 6.2 diagram and sections 6.8.1,
 * 6.8.4, 6.8.6 and 6.8.16; then the timer rules of 6.8.3, 6.8.4, 6.8.7 and
 * the poll sequence of 6.5.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bfd_fsm.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define KEEP 0xff

enum { AD = BFD_ADMIN_DOWN, DN = BFD_DOWN, IN = BFD_INIT, UP = BFD_UP };
enum {
	TX = BFD_ACT_TX_NOW, FAST = BFD_ACT_FAST_TX, SLOW = BFD_ACT_SLOW_TX, CUP = BFD_ACT_UP,
	CDOWN = BFD_ACT_DOWN, FORGET = BFD_ACT_FORGET_REMOTE, NODETECT = BFD_ACT_DETECT_STOP,
};

struct cell {
	uint8_t from;
	enum bfd_event ev;
	uint8_t to, diag;  /* diag KEEP: the one before */
	unsigned actions;
};

static const struct cell cells[] = {
	/* AdminDown: packets and timeouts change nothing (6.8.6 discards the packet) */
	{AD, BFD_EV_RX_ADMIN_DOWN, AD, KEEP, 0},
	{AD, BFD_EV_RX_DOWN, AD, KEEP, 0},
	{AD, BFD_EV_RX_INIT, AD, KEEP, 0},
	{AD, BFD_EV_RX_UP, AD, KEEP, 0},
	{AD, BFD_EV_TIMEOUT, AD, KEEP, 0},
	{AD, BFD_EV_ADMIN_DOWN, AD, KEEP, 0},
	{AD, BFD_EV_ADMIN_UP, DN, BFD_DIAG_NONE, TX},
	/* Down: "DOWN" -> Init, "INIT" -> Up; "UP, ADMIN DOWN, TIMER" stay */
	{DN, BFD_EV_RX_ADMIN_DOWN, DN, KEEP, 0},
	{DN, BFD_EV_RX_DOWN, IN, KEEP, TX},
	{DN, BFD_EV_RX_INIT, UP, BFD_DIAG_NONE, TX | FAST | CUP},
	{DN, BFD_EV_RX_UP, DN, KEEP, 0},
	{DN, BFD_EV_TIMEOUT, DN, KEEP, FORGET},
	{DN, BFD_EV_ADMIN_DOWN, AD, BFD_DIAG_ADMIN_DOWN, TX | NODETECT},
	{DN, BFD_EV_ADMIN_UP, DN, KEEP, 0},
	/* Init: "ADMIN DOWN, TIMER" -> Down; "DOWN" stays; "INIT, UP" -> Up */
	{IN, BFD_EV_RX_ADMIN_DOWN, DN, BFD_DIAG_NEIGHBOR_DOWN, TX},
	{IN, BFD_EV_RX_DOWN, IN, KEEP, 0},
	{IN, BFD_EV_RX_INIT, UP, BFD_DIAG_NONE, TX | FAST | CUP},
	{IN, BFD_EV_RX_UP, UP, BFD_DIAG_NONE, TX | FAST | CUP},
	{IN, BFD_EV_TIMEOUT, DN, BFD_DIAG_CTRL_EXPIRED, TX | FORGET},
	{IN, BFD_EV_ADMIN_DOWN, AD, BFD_DIAG_ADMIN_DOWN, TX | NODETECT},
	{IN, BFD_EV_ADMIN_UP, IN, KEEP, 0},
	/* Up: "DOWN, ADMIN DOWN, TIMER" -> Down; "INIT, UP" stay */
	{UP, BFD_EV_RX_ADMIN_DOWN, DN, BFD_DIAG_NEIGHBOR_DOWN, TX | SLOW | CDOWN},
	{UP, BFD_EV_RX_DOWN, DN, BFD_DIAG_NEIGHBOR_DOWN, TX | SLOW | CDOWN},
	{UP, BFD_EV_RX_INIT, UP, KEEP, 0},
	{UP, BFD_EV_RX_UP, UP, KEEP, 0},
	{UP, BFD_EV_TIMEOUT, DN, BFD_DIAG_CTRL_EXPIRED, TX | SLOW | CDOWN | FORGET},
	{UP, BFD_EV_ADMIN_DOWN, AD, BFD_DIAG_ADMIN_DOWN, TX | SLOW | CDOWN | NODETECT},
	{UP, BFD_EV_ADMIN_UP, UP, KEEP, 0},
};

static void test_every_cell(void **state)
{
	(void)state;
	bool covered[4][BFD_EV_COUNT] = {{false}};

	for (size_t i = 0; i < N(cells); i++) {
		const struct cell *c = &cells[i];
		/* A diagnostic no row writes, to see which rows keep it. */
		struct bfd_fsm f = {.state = c->from, .diag = 30};
		struct bfd_fsm_out o = bfd_fsm_event(&f, c->ev);
		uint8_t diag = c->diag == KEEP ? 30 : c->diag;

		if (o.from != c->from || o.to != c->to || o.diag != diag || o.actions != c->actions)
			fail_msg("%s + %s: got %s diag %u actions %#x, want %s diag %u actions %#x",
				 bfd_state_name(c->from), bfd_event_name(c->ev), bfd_state_name(o.to), o.diag,
				 o.actions, bfd_state_name(c->to), diag, c->actions);
		assert_int_equal(f.state, c->to);
		assert_int_equal(f.diag, diag);
		covered[c->from][c->ev] = true;
	}
	for (int s = 0; s < 4; s++)
		for (int e = 0; e < BFD_EV_COUNT; e++)
			if (!covered[s][e])
				fail_msg("no row for %s + %s", bfd_state_name((uint8_t)s), bfd_event_name(e));
}

static void test_init_and_names(void **state)
{
	(void)state;
	struct bfd_fsm f;

	bfd_fsm_init(&f, false);
	assert_int_equal(f.state, BFD_DOWN);
	assert_int_equal(f.diag, BFD_DIAG_NONE);
	bfd_fsm_init(&f, true);
	assert_int_equal(f.state, BFD_ADMIN_DOWN);
	assert_int_equal(f.diag, BFD_DIAG_ADMIN_DOWN);
	assert_int_equal(bfd_fsm_rx_event(BFD_ADMIN_DOWN), BFD_EV_RX_ADMIN_DOWN);
	assert_int_equal(bfd_fsm_rx_event(BFD_DOWN), BFD_EV_RX_DOWN);
	assert_int_equal(bfd_fsm_rx_event(BFD_INIT), BFD_EV_RX_INIT);
	assert_int_equal(bfd_fsm_rx_event(BFD_UP), BFD_EV_RX_UP);
	assert_string_equal(bfd_event_name(BFD_EV_TIMEOUT), "detection time expired");
	assert_string_equal(bfd_event_name(BFD_EV_COUNT), "unknown event");
	/* An out-of-range event changes nothing. */
	f.state = BFD_UP;
	struct bfd_fsm_out o = bfd_fsm_event(&f, BFD_EV_COUNT);
	assert_int_equal(o.to, BFD_UP);
	assert_int_equal(o.actions, 0);
}

/* The exchange captured from FRR (tests/vectors/bfd/bird-frr), replayed to our state machine. */
static void test_frr_exchange(void **state)
{
	(void)state;
	static const struct { uint8_t rx, to, diag; } steps[] = {
		{BFD_DOWN, BFD_INIT, BFD_DIAG_NONE},
		{BFD_INIT, BFD_UP, BFD_DIAG_NONE},
		{BFD_UP, BFD_UP, BFD_DIAG_NONE},
		{BFD_ADMIN_DOWN, BFD_DOWN, BFD_DIAG_NEIGHBOR_DOWN},  /* BIRD sent the same: 23 40 ... */
		{BFD_ADMIN_DOWN, BFD_DOWN, BFD_DIAG_NEIGHBOR_DOWN},
	};
	struct bfd_fsm f;

	bfd_fsm_init(&f, false);
	for (size_t i = 0; i < N(steps); i++) {
		bfd_fsm_event(&f, bfd_fsm_rx_event(steps[i].rx));
		assert_int_equal(f.state, steps[i].to);
		assert_int_equal(f.diag, steps[i].diag);
	}
}

/* ---- timers ---- */

static struct bfd_ctrl pkt(uint32_t tx, uint32_t rx, uint8_t mult, bool poll, bool final)
{
	return (struct bfd_ctrl){.state = BFD_UP, .detect_mult = mult, .my_disc = 1, .your_disc = 2,
				 .desired_min_tx_us = tx, .required_min_rx_us = rx, .poll = poll, .final = final};
}

static void test_slow_while_not_up(void **state)
{
	(void)state;
	struct bfd_timers t;
	struct bfd_ctrl out = {0};

	bfd_timers_init(&t, BFD_DOWN, 200000, 250000, 4);
	assert_int_equal(t.adv_tx_us, 1000000);  /* 6.8.3: at least 1 s while not Up */
	assert_int_equal(t.adv_rx_us, 250000);
	assert_false(t.poll);
	/* Nothing received yet: our own interval. */
	assert_int_equal(bfd_tx_interval_us(&t), 1000000);
	assert_int_equal(bfd_detect_time_us(&t), 0);
	assert_false(bfd_detect_expired(&t, UINT64_MAX));
	bfd_timers_fill(&t, false, &out);
	assert_int_equal(out.desired_min_tx_us, 1000000);
	assert_int_equal(out.required_min_rx_us, 250000);
	assert_int_equal(out.required_min_echo_rx_us, 0);
	assert_int_equal(out.detect_mult, 4);
	assert_false(out.poll || out.final);
	/* A configured interval above 1 s is kept. */
	bfd_timers_init(&t, BFD_DOWN, 2000000, 250000, 3);
	assert_int_equal(t.adv_tx_us, 2000000);
	bfd_timers_init(&t, BFD_UP, 200000, 250000, 3);
	assert_int_equal(t.adv_tx_us, 200000);
}

static void test_tx_interval(void **state)
{
	(void)state;
	struct bfd_timers t;
	struct bfd_ctrl p;

	bfd_timers_init(&t, BFD_UP, 200000, 250000, 3);
	/* 6.8.7: the larger of our Desired Min TX and the remote's Required Min RX. */
	p = pkt(300000, 350000, 3, false, false);
	bfd_timers_rx(&t, BFD_UP, &p, 0);
	assert_int_equal(bfd_tx_interval_us(&t), 350000);
	p = pkt(300000, 100000, 3, false, false);
	bfd_timers_rx(&t, BFD_UP, &p, 0);
	assert_int_equal(bfd_tx_interval_us(&t), 200000);  /* a smaller remote RX: at once */
	/* Required Min RX 0: the remote wants no periodic packets. */
	p = pkt(300000, 0, 3, false, false);
	bfd_timers_rx(&t, BFD_UP, &p, 0);
	assert_int_equal(bfd_tx_interval_us(&t), 0);
}

static void test_detection_time(void **state)
{
	(void)state;
	struct bfd_timers t;
	struct bfd_ctrl p;

	bfd_timers_init(&t, BFD_UP, 200000, 250000, 4);
	/* 6.8.4: remote Detect Mult x max(our Required Min RX, remote Desired Min TX). */
	p = pkt(300000, 350000, 3, false, false);
	bfd_timers_rx(&t, BFD_UP, &p, 5000000);
	assert_int_equal(bfd_detect_time_us(&t), 900000);
	assert_int_equal(bfd_detect_deadline_us(&t), 5900000);
	assert_false(bfd_detect_expired(&t, 5899999));
	assert_true(bfd_detect_expired(&t, 5900000));
	p = pkt(100000, 350000, 5, false, false);
	bfd_timers_rx(&t, BFD_UP, &p, 6000000);
	assert_int_equal(bfd_detect_time_us(&t), 1250000);
	assert_int_equal(bfd_detect_deadline_us(&t), 7250000);
	/* The largest values do not overflow. */
	p = pkt(UINT32_MAX, 1, 255, false, false);
	bfd_timers_rx(&t, BFD_UP, &p, 0);
	assert_int_equal(bfd_detect_time_us(&t), 255ull * UINT32_MAX);
}

static void test_jitter(void **state)
{
	(void)state;
	/* 6.8.7: 75-100 % of the interval; 75-90 % with Detect Mult 1. */
	assert_int_equal(bfd_jitter_us(1000000, 3, 0), 1000000);
	assert_int_equal(bfd_jitter_us(1000000, 3, UINT32_MAX), 750001);
	assert_int_equal(bfd_jitter_us(1000000, 3, 1u << 31), 875000);
	assert_int_equal(bfd_jitter_us(1000000, 1, 0), 900000);
	assert_int_equal(bfd_jitter_us(1000000, 1, UINT32_MAX), 750001);
	assert_int_equal(bfd_jitter_us(1000000, 1, 1u << 31), 825000);
	static const uint32_t intervals[] = {1, 3, 4, 10, 99, 300000, 1000000, UINT32_MAX};
	for (size_t i = 0; i < N(intervals); i++) {
		uint64_t iv = intervals[i];
		for (uint64_t r = 0; r <= UINT32_MAX; r += 0x10000001u) {
			for (uint8_t mult = 1; mult <= 2; mult++) {
				uint64_t j = bfd_jitter_us((uint32_t)iv, mult, (uint32_t)r);
				uint64_t hi = mult == 1 ? iv * 90 / 100 : iv;
				if (j * 100 < iv * 75 || (j > hi && iv >= 10))
					fail_msg("interval %llu mult %u rnd %#llx: %llu", (unsigned long long)iv, mult,
						 (unsigned long long)r, (unsigned long long)j);
			}
		}
	}
}

/* Coming Up: the advertised TX drops to the configured value at once and a poll starts (BIRD and FRR do the same). */
static void test_poll_on_up(void **state)
{
	(void)state;
	struct bfd_timers t;
	struct bfd_ctrl p, out = {0};

	bfd_timers_init(&t, BFD_DOWN, 200000, 250000, 4);
	assert_true(bfd_timers_set(&t, BFD_UP, 200000, 250000));
	assert_true(t.poll);
	assert_int_equal(t.use_tx_us, 200000);
	bfd_timers_fill(&t, false, &out);
	assert_true(out.poll);
	assert_false(out.final);
	assert_int_equal(out.desired_min_tx_us, 200000);
	/* Answering the remote's poll while ours runs: F, never P with it (6.8.7). */
	bfd_timers_fill(&t, true, &out);
	assert_true(out.final);
	assert_false(out.poll);
	/* The same values again: no new poll. */
	assert_false(bfd_timers_set(&t, BFD_UP, 200000, 250000));
	/* A packet without F leaves the poll running; one with F ends it. */
	p = pkt(300000, 350000, 3, false, false);
	assert_false(bfd_timers_rx(&t, BFD_UP, &p, 0));
	assert_true(t.poll);
	p = pkt(300000, 350000, 3, false, true);
	assert_false(bfd_timers_rx(&t, BFD_UP, &p, 0));
	assert_false(t.poll);
	bfd_timers_fill(&t, false, &out);
	assert_false(out.poll || out.final);
	/* Leaving Up: 1 s at once, and a poll. */
	assert_true(bfd_timers_set(&t, BFD_DOWN, 200000, 250000));
	assert_int_equal(t.use_tx_us, 1000000);
	assert_int_equal(t.adv_tx_us, 1000000);
}

/* 6.8.3: while Up, a larger TX interval waits for the Final; a smaller one applies at once. */
static void test_poll_tx_change(void **state)
{
	(void)state;
	struct bfd_timers t;
	struct bfd_ctrl p, out = {0};

	bfd_timers_init(&t, BFD_UP, 200000, 250000, 3);
	assert_true(bfd_timers_set(&t, BFD_UP, 500000, 250000));
	bfd_timers_fill(&t, false, &out);
	assert_int_equal(out.desired_min_tx_us, 500000);  /* advertised at once */
	assert_true(out.poll);
	assert_int_equal(bfd_tx_interval_us(&t), 200000); /* sent at the old rate */
	/* A second change during the poll: it goes on, no new one. */
	assert_false(bfd_timers_set(&t, BFD_UP, 600000, 250000));
	assert_int_equal(bfd_tx_interval_us(&t), 200000);
	p = pkt(300000, 100000, 3, false, true);
	bfd_timers_rx(&t, BFD_UP, &p, 0);
	assert_int_equal(bfd_tx_interval_us(&t), 600000);
	/* Faster: at once. */
	assert_true(bfd_timers_set(&t, BFD_UP, 100000, 250000));
	assert_int_equal(bfd_tx_interval_us(&t), 100000);
	/* Not Up: at once, whichever way. */
	bfd_timers_init(&t, BFD_DOWN, 2000000, 250000, 3);
	assert_true(bfd_timers_set(&t, BFD_DOWN, 3000000, 250000));
	assert_int_equal(bfd_tx_interval_us(&t), 3000000);
}

/* 6.8.3: while Up, a smaller RX interval counts for detection only after the Final. */
static void test_poll_rx_change(void **state)
{
	(void)state;
	struct bfd_timers t;
	struct bfd_ctrl p;

	bfd_timers_init(&t, BFD_UP, 200000, 500000, 3);
	p = pkt(100000, 100000, 3, false, false);
	bfd_timers_rx(&t, BFD_UP, &p, 0);
	assert_int_equal(bfd_detect_time_us(&t), 1500000);
	assert_true(bfd_timers_set(&t, BFD_UP, 200000, 250000));
	assert_int_equal(t.adv_rx_us, 250000);
	assert_int_equal(bfd_detect_time_us(&t), 1500000);  /* the old value until the Final */
	p = pkt(100000, 100000, 3, false, true);
	bfd_timers_rx(&t, BFD_UP, &p, 0);
	assert_int_equal(bfd_detect_time_us(&t), 750000);
	/* Larger: at once. */
	assert_true(bfd_timers_set(&t, BFD_UP, 200000, 400000));
	assert_int_equal(bfd_detect_time_us(&t), 1200000);
}

/* 6.8.6: a packet with P is answered with F at once, except in AdminDown. */
static void test_answer_poll(void **state)
{
	(void)state;
	struct bfd_timers t;
	struct bfd_ctrl p = pkt(300000, 350000, 3, true, false);

	bfd_timers_init(&t, BFD_UP, 200000, 250000, 3);
	assert_true(bfd_timers_rx(&t, BFD_UP, &p, 0));
	assert_true(bfd_timers_rx(&t, BFD_DOWN, &p, 0));
	assert_false(bfd_timers_rx(&t, BFD_ADMIN_DOWN, &p, 0));
	/* The timers are taken even in AdminDown. */
	p = pkt(700000, 800000, 5, true, false);
	bfd_timers_rx(&t, BFD_ADMIN_DOWN, &p, 42);
	assert_int_equal(t.remote_tx_us, 700000);
	assert_int_equal(t.remote_rx_us, 800000);
	assert_int_equal(t.remote_mult, 5);
	assert_int_equal(t.last_rx_us, 42);
}

static void test_rx_check(void **state)
{
	(void)state;
	struct bfd_ctrl p = pkt(1, 1, 1, false, false);

	assert_int_equal(bfd_rx_check(BFD_AUTH_NONE, &p), BFD_RX_OK);
	assert_int_equal(bfd_rx_check(BFD_AUTH_KEYED_SHA1, &p), BFD_RX_AUTH_MISSING);
	p.auth.type = BFD_AUTH_KEYED_SHA1;
	assert_int_equal(bfd_rx_check(BFD_AUTH_NONE, &p), BFD_RX_AUTH_UNEXPECTED);
	assert_int_equal(bfd_rx_check(BFD_AUTH_KEYED_SHA1, &p), BFD_RX_OK);
	assert_int_equal(bfd_rx_check(BFD_AUTH_METICULOUS_SHA1, &p), BFD_RX_AUTH_TYPE);
	for (int e = 1; e < BFD_RX_MAX; e++)
		for (int f = 0; f < e; f++)
			assert_string_not_equal(bfd_rx_err_str(e), bfd_rx_err_str(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_cell),
		cmocka_unit_test(test_init_and_names),
		cmocka_unit_test(test_frr_exchange),
		cmocka_unit_test(test_slow_while_not_up),
		cmocka_unit_test(test_tx_interval),
		cmocka_unit_test(test_detection_time),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_poll_on_up),
		cmocka_unit_test(test_poll_tx_change),
		cmocka_unit_test(test_poll_rx_change),
		cmocka_unit_test(test_answer_poll),
		cmocka_unit_test(test_rx_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
