/*
 * The pure core of a BFD session (RFC 5880): the state machine and the timer
 * arithmetic, with no I/O and no clock of its own (time and randomness are
 * passed in), so that the session layer only carries out what it returns.
 *
 * State machine (section 6.2 diagram, section 6.8.6 reception, 6.8.4
 * detection, 6.8.16 administrative control) as one (state, event) table;
 * bfd_fsm_event() is the one function that changes state. It returns the new
 * state, the diagnostic to send (bfd.LocalDiag) and what to do:
 *   BFD_ACT_TX_NOW       send a control packet at once (the state changed)
 *   BFD_ACT_FAST_TX      the session came Up: the negotiated intervals apply
 *   BFD_ACT_SLOW_TX      the session left Up: at least 1 s between packets (6.8.3)
 *   BFD_ACT_UP/DOWN      tell the session's clients (BGP)
 *   BFD_ACT_FORGET_REMOTE  bfd.RemoteDiscr to 0: detection time passed (6.8.1)
 *   BFD_ACT_DETECT_STOP  no detection timer (AdminDown)
 * A packet received in AdminDown is discarded (6.8.6): no change.
 *
 * Timers (struct bfd_timers): what this end advertises (Desired Min TX is at
 * least 1 s while not Up, 6.8.3), what is in effect while a poll sequence
 * runs (a larger TX interval, or a smaller RX interval, waits for the Final,
 * 6.8.3), the poll sequence itself (6.5: P on every packet until a packet
 * with F arrives; a packet answering a poll has F and never P, 6.8.7), the
 * transmit interval (6.8.7: the larger of our Desired Min TX and the remote
 * Required Min RX; none when the remote asks for 0), the detection time
 * (6.8.4, asynchronous mode: remote Detect Mult times the larger of our
 * Required Min RX and the remote Desired Min TX) and the jitter (6.8.7: 75 to
 * 100 % of the interval, 75 to 90 % when Detect Mult is 1).
 *
 * Session-level receive checks that need more than the packet
 * (bfd_rx_check): A against the configured authentication type (6.8.6).
 * The order per packet, as in 6.8.6: bfd_decode, bfd_rx_check (then, later,
 * the authentication itself), bfd_timers_rx, bfd_fsm_event with
 * bfd_fsm_rx_event(State), and bfd_timers_set when the state changed.
 * Demand mode and the echo function are not implemented: vipcast never sets D
 * and advertises Required Min Echo RX 0.
 */
#ifndef VIPCAST_SPEAKER_BFD_FSM_H
#define VIPCAST_SPEAKER_BFD_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "bfd.h"

#define BFD_SLOW_TX_US 1000000u  /* 6.8.3: Desired Min TX while not Up */

enum bfd_event {
	BFD_EV_RX_ADMIN_DOWN,  /* a valid packet arrived; its State field */
	BFD_EV_RX_DOWN,
	BFD_EV_RX_INIT,
	BFD_EV_RX_UP,
	BFD_EV_TIMEOUT,        /* the detection time passed without a valid packet */
	BFD_EV_ADMIN_DOWN,     /* local: the session is disabled */
	BFD_EV_ADMIN_UP,       /* local: the session is enabled again */
	BFD_EV_COUNT
};

enum bfd_action {
	BFD_ACT_TX_NOW = 1 << 0,
	BFD_ACT_FAST_TX = 1 << 1,
	BFD_ACT_SLOW_TX = 1 << 2,
	BFD_ACT_UP = 1 << 3,
	BFD_ACT_DOWN = 1 << 4,
	BFD_ACT_FORGET_REMOTE = 1 << 5,
	BFD_ACT_DETECT_STOP = 1 << 6,
};

struct bfd_fsm {
	uint8_t state;  /* enum bfd_state */
	uint8_t diag;   /* bfd.LocalDiag, enum bfd_diag */
};

struct bfd_fsm_out {
	uint8_t from, to;   /* enum bfd_state */
	uint8_t diag;       /* bfd.LocalDiag after the event */
	unsigned actions;   /* enum bfd_action bits */
};

/* A new session: Down, no diagnostic (6.8.1); AdminDown when created disabled. */
void bfd_fsm_init(struct bfd_fsm *f, bool admin_down);

/* The one place the state changes. */
struct bfd_fsm_out bfd_fsm_event(struct bfd_fsm *f, enum bfd_event ev);

/* The event a received packet's State field is. */
enum bfd_event bfd_fsm_rx_event(uint8_t received_state);
const char *bfd_event_name(enum bfd_event ev);

/* ---- timers ---- */

struct bfd_timers {
	/* configured */
	uint32_t desired_min_tx_us, required_min_rx_us;
	uint8_t detect_mult;
	/* advertised in our packets (Desired Min TX at least 1 s while not Up) */
	uint32_t adv_tx_us, adv_rx_us;
	/* in effect: until a poll sequence ends, the old value where 6.8.3 says so */
	uint32_t use_tx_us, use_rx_us;
	bool poll;           /* a poll sequence runs: our packets carry P */
	/* the remote's last valid packet (all zero before one arrived) */
	uint32_t remote_tx_us, remote_rx_us;
	uint8_t remote_mult;
	uint64_t last_rx_us; /* when it arrived, on the caller's monotonic clock */
};

/* Configured values, for a session in `state` (normally Down). */
void bfd_timers_init(struct bfd_timers *t, uint8_t state, uint32_t desired_min_tx_us, uint32_t required_min_rx_us,
		     uint8_t detect_mult);

/*
 * New configured intervals, or the same ones after a state change (call it
 * with the new state after every change): recomputes what is advertised, and
 * when that changes starts a poll sequence (6.8.3). While Up, a larger TX
 * interval and a smaller RX interval wait for the Final. Returns true when a
 * poll sequence started (the caller sends a packet with P at once).
 */
bool bfd_timers_set(struct bfd_timers *t, uint8_t state, uint32_t desired_min_tx_us, uint32_t required_min_rx_us);

/*
 * A valid packet arrived at now_us, the session in `state` (before the
 * packet's event): takes the remote's intervals and multiplier; its F ends
 * our poll sequence (the new values take effect). Returns true when the
 * packet has P and must be answered with F at once (6.8.6; not in AdminDown,
 * where the packet is discarded after the timers are updated).
 */
bool bfd_timers_rx(struct bfd_timers *t, uint8_t state, const struct bfd_ctrl *pkt, uint64_t now_us);

/* 6.8.7: the transmit interval before jitter; 0: do not transmit periodically. */
uint32_t bfd_tx_interval_us(const struct bfd_timers *t);

/* 6.8.7: interval reduced by jitter, rnd uniform over 32 bits. */
uint32_t bfd_jitter_us(uint32_t interval_us, uint8_t detect_mult, uint32_t rnd);

/* 6.8.4: the detection time; 0 before any packet arrived. */
uint64_t bfd_detect_time_us(const struct bfd_timers *t);

/* When the detection timer fires (0: not running), and whether it has at now_us. */
uint64_t bfd_detect_deadline_us(const struct bfd_timers *t);
bool bfd_detect_expired(const struct bfd_timers *t, uint64_t now_us);

/*
 * Our next packet's timer fields and flags: Desired Min TX, Required Min RX
 * (the advertised ones), Required Min Echo RX 0, Detect Mult, and P while a
 * poll runs, or F (and never P with it) when `final` answers a poll.
 */
void bfd_timers_fill(const struct bfd_timers *t, bool final, struct bfd_ctrl *pkt);

/* ---- session-level receive checks (6.8.6) ---- */

enum bfd_rx_err {
	BFD_RX_OK = 0,
	BFD_RX_AUTH_UNEXPECTED,  /* A set, no authentication configured */
	BFD_RX_AUTH_MISSING,     /* A clear, authentication configured */
	BFD_RX_AUTH_TYPE,        /* another authentication type than configured */
	BFD_RX_MAX
};

/* auth_type: the session's configured enum bfd_auth_type (bfd.AuthType), BFD_AUTH_NONE for none. */
enum bfd_rx_err bfd_rx_check(uint8_t auth_type, const struct bfd_ctrl *pkt);
const char *bfd_rx_err_str(enum bfd_rx_err e);

#endif
