/* The pure core of a BFD session (RFC 5880): see bfd_fsm.h. */
#include "bfd_fsm.h"

#define KEEP 0xff  /* a row's diag: bfd.LocalDiag stays */

struct fsm_row {
	uint8_t next;       /* enum bfd_state */
	uint8_t diag;       /* on this transition; KEEP */
	unsigned actions;   /* beyond those change_state() adds for any state change */
};

#define STAY(s) {s, KEEP, 0}
#define TIMEOUT {BFD_DOWN, BFD_DIAG_CTRL_EXPIRED, BFD_ACT_FORGET_REMOTE}
#define TO_ADMIN_DOWN {BFD_ADMIN_DOWN, BFD_DIAG_ADMIN_DOWN, BFD_ACT_DETECT_STOP}

/*
 * Section 6.2's diagram, with 6.8.6 (reception), 6.8.4 and 6.8.1 (detection
 * time: Down with diagnostic 1, bfd.RemoteDiscr forgotten) and 6.8.16
 * (administrative control: AdminDown with diagnostic 7, packets discarded).
 */
static const struct fsm_row fsm[BFD_UP + 1][BFD_EV_COUNT] = {
	[BFD_ADMIN_DOWN] = {
		[BFD_EV_RX_ADMIN_DOWN] = STAY(BFD_ADMIN_DOWN),
		[BFD_EV_RX_DOWN] = STAY(BFD_ADMIN_DOWN),
		[BFD_EV_RX_INIT] = STAY(BFD_ADMIN_DOWN),
		[BFD_EV_RX_UP] = STAY(BFD_ADMIN_DOWN),
		[BFD_EV_TIMEOUT] = STAY(BFD_ADMIN_DOWN),
		[BFD_EV_ADMIN_DOWN] = STAY(BFD_ADMIN_DOWN),
		[BFD_EV_ADMIN_UP] = {BFD_DOWN, BFD_DIAG_NONE, 0},  /* as a new session */
	},
	[BFD_DOWN] = {
		[BFD_EV_RX_ADMIN_DOWN] = STAY(BFD_DOWN),
		[BFD_EV_RX_DOWN] = {BFD_INIT, KEEP, 0},
		[BFD_EV_RX_INIT] = {BFD_UP, BFD_DIAG_NONE, 0},
		[BFD_EV_RX_UP] = STAY(BFD_DOWN),
		[BFD_EV_TIMEOUT] = {BFD_DOWN, KEEP, BFD_ACT_FORGET_REMOTE},
		[BFD_EV_ADMIN_DOWN] = TO_ADMIN_DOWN,
		[BFD_EV_ADMIN_UP] = STAY(BFD_DOWN),
	},
	[BFD_INIT] = {
		[BFD_EV_RX_ADMIN_DOWN] = {BFD_DOWN, BFD_DIAG_NEIGHBOR_DOWN, 0},
		[BFD_EV_RX_DOWN] = STAY(BFD_INIT),
		[BFD_EV_RX_INIT] = {BFD_UP, BFD_DIAG_NONE, 0},
		[BFD_EV_RX_UP] = {BFD_UP, BFD_DIAG_NONE, 0},
		[BFD_EV_TIMEOUT] = TIMEOUT,
		[BFD_EV_ADMIN_DOWN] = TO_ADMIN_DOWN,
		[BFD_EV_ADMIN_UP] = STAY(BFD_INIT),
	},
	[BFD_UP] = {
		[BFD_EV_RX_ADMIN_DOWN] = {BFD_DOWN, BFD_DIAG_NEIGHBOR_DOWN, 0},
		[BFD_EV_RX_DOWN] = {BFD_DOWN, BFD_DIAG_NEIGHBOR_DOWN, 0},
		[BFD_EV_RX_INIT] = STAY(BFD_UP),
		[BFD_EV_RX_UP] = STAY(BFD_UP),
		[BFD_EV_TIMEOUT] = TIMEOUT,
		[BFD_EV_ADMIN_DOWN] = TO_ADMIN_DOWN,
		[BFD_EV_ADMIN_UP] = STAY(BFD_UP),
	},
};

static const char *const event_names[BFD_EV_COUNT] = {
	[BFD_EV_RX_ADMIN_DOWN] = "received AdminDown",
	[BFD_EV_RX_DOWN] = "received Down",
	[BFD_EV_RX_INIT] = "received Init",
	[BFD_EV_RX_UP] = "received Up",
	[BFD_EV_TIMEOUT] = "detection time expired",
	[BFD_EV_ADMIN_DOWN] = "administratively disabled",
	[BFD_EV_ADMIN_UP] = "administratively enabled",
};

const char *bfd_event_name(enum bfd_event ev)
{
	return (unsigned)ev < BFD_EV_COUNT ? event_names[ev] : "unknown event";
}

enum bfd_event bfd_fsm_rx_event(uint8_t received_state)
{
	static const enum bfd_event ev[] = {BFD_EV_RX_ADMIN_DOWN, BFD_EV_RX_DOWN, BFD_EV_RX_INIT, BFD_EV_RX_UP};

	return ev[received_state & 3];
}

void bfd_fsm_init(struct bfd_fsm *f, bool admin_down)
{
	f->state = admin_down ? BFD_ADMIN_DOWN : BFD_DOWN;
	f->diag = admin_down ? BFD_DIAG_ADMIN_DOWN : BFD_DIAG_NONE;
}

/* The actions any change from `from` to `to` brings, whatever the event. */
static unsigned change_actions(uint8_t from, uint8_t to)
{
	unsigned a = 0;

	if (from == to)
		return 0;
	a |= BFD_ACT_TX_NOW;
	if (to == BFD_UP)
		a |= BFD_ACT_FAST_TX | BFD_ACT_UP;
	if (from == BFD_UP)
		a |= BFD_ACT_SLOW_TX | BFD_ACT_DOWN;
	return a;
}

struct bfd_fsm_out bfd_fsm_event(struct bfd_fsm *f, enum bfd_event ev)
{
	struct bfd_fsm_out out = {.from = f->state, .to = f->state, .diag = f->diag};

	if (f->state > BFD_UP || (unsigned)ev >= BFD_EV_COUNT)
		return out;
	const struct fsm_row *r = &fsm[f->state][ev];
	out.to = r->next;
	if (r->diag != KEEP)
		out.diag = r->diag;
	out.actions = r->actions | change_actions(out.from, out.to);
	f->state = out.to;
	f->diag = out.diag;
	return out;
}

/* ---- timers ---- */

static uint32_t max32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static uint32_t advertised_tx(uint8_t state, uint32_t desired)
{
	return state == BFD_UP ? desired : max32(desired, BFD_SLOW_TX_US);
}

void bfd_timers_init(struct bfd_timers *t, uint8_t state, uint32_t desired_min_tx_us, uint32_t required_min_rx_us,
		     uint8_t detect_mult)
{
	*t = (struct bfd_timers){
		.desired_min_tx_us = desired_min_tx_us,
		.required_min_rx_us = required_min_rx_us,
		.detect_mult = detect_mult,
		.adv_tx_us = advertised_tx(state, desired_min_tx_us),
		.adv_rx_us = required_min_rx_us,
	};
	t->use_tx_us = t->adv_tx_us;
	t->use_rx_us = t->adv_rx_us;
}

bool bfd_timers_set(struct bfd_timers *t, uint8_t state, uint32_t desired_min_tx_us, uint32_t required_min_rx_us)
{
	uint32_t tx = advertised_tx(state, desired_min_tx_us), rx = required_min_rx_us;
	bool up = state == BFD_UP;

	t->desired_min_tx_us = desired_min_tx_us;
	t->required_min_rx_us = required_min_rx_us;
	if (tx == t->adv_tx_us && rx == t->adv_rx_us)
		return false;
	t->adv_tx_us = tx;
	t->adv_rx_us = rx;
	/* 6.8.3: while Up, sending slower or accepting faster waits for the Final. */
	if (!up || tx < t->use_tx_us)
		t->use_tx_us = tx;
	if (!up || rx > t->use_rx_us)
		t->use_rx_us = rx;
	bool started = !t->poll;
	t->poll = true;
	return started;
}

bool bfd_timers_rx(struct bfd_timers *t, uint8_t state, const struct bfd_ctrl *pkt, uint64_t now_us)
{
	t->remote_tx_us = pkt->desired_min_tx_us;
	t->remote_rx_us = pkt->required_min_rx_us;
	t->remote_mult = pkt->detect_mult;
	t->last_rx_us = now_us;
	if (pkt->final && t->poll) {
		t->poll = false;
		t->use_tx_us = t->adv_tx_us;
		t->use_rx_us = t->adv_rx_us;
	}
	return pkt->poll && state != BFD_ADMIN_DOWN;
}

uint32_t bfd_tx_interval_us(const struct bfd_timers *t)
{
	if (t->remote_rx_us == 0 && t->remote_mult != 0)
		return 0;  /* 6.8.7: the remote asked for no packets */
	return max32(t->use_tx_us, t->remote_rx_us);
}

uint32_t bfd_jitter_us(uint32_t interval_us, uint8_t detect_mult, uint32_t rnd)
{
	/* From the top (100 %, or 90 % with Detect Mult 1) down towards 75 %, never below. */
	uint64_t top = detect_mult == 1 ? (uint64_t)interval_us * 90 / 100 : interval_us;
	uint64_t low = ((uint64_t)interval_us * 75 + 99) / 100;

	if (top <= low)
		return (uint32_t)low;  /* a few microseconds: no room between the bounds */
	return (uint32_t)(top - (((top - low) * rnd) >> 32));
}

uint64_t bfd_detect_time_us(const struct bfd_timers *t)
{
	return (uint64_t)t->remote_mult * max32(t->use_rx_us, t->remote_tx_us);
}

uint64_t bfd_detect_deadline_us(const struct bfd_timers *t)
{
	uint64_t d = bfd_detect_time_us(t);

	return d ? t->last_rx_us + d : 0;
}

bool bfd_detect_expired(const struct bfd_timers *t, uint64_t now_us)
{
	uint64_t deadline = bfd_detect_deadline_us(t);

	return deadline != 0 && now_us >= deadline;
}

void bfd_timers_fill(const struct bfd_timers *t, bool final, struct bfd_ctrl *pkt)
{
	pkt->desired_min_tx_us = t->adv_tx_us;
	pkt->required_min_rx_us = t->adv_rx_us;
	pkt->required_min_echo_rx_us = 0;
	pkt->detect_mult = t->detect_mult;
	pkt->final = final;
	pkt->poll = t->poll && !final;
}

/* ---- session-level receive checks ---- */

static const char *const rx_err_names[BFD_RX_MAX] = {
	[BFD_RX_OK] = "ok",
	[BFD_RX_AUTH_UNEXPECTED] = "authentication present but none configured",
	[BFD_RX_AUTH_MISSING] = "authentication configured but absent",
	[BFD_RX_AUTH_TYPE] = "authentication type differs from the configured one",
};

const char *bfd_rx_err_str(enum bfd_rx_err e)
{
	return (unsigned)e < BFD_RX_MAX ? rx_err_names[e] : "unknown error";
}

enum bfd_rx_err bfd_rx_check(uint8_t auth_type, const struct bfd_ctrl *pkt)
{
	if (pkt->auth.type != BFD_AUTH_NONE && auth_type == BFD_AUTH_NONE)
		return BFD_RX_AUTH_UNEXPECTED;
	if (pkt->auth.type == BFD_AUTH_NONE && auth_type != BFD_AUTH_NONE)
		return BFD_RX_AUTH_MISSING;
	if (pkt->auth.type != auth_type)
		return BFD_RX_AUTH_TYPE;
	return BFD_RX_OK;
}
