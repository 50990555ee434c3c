#include "bfd_session.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bfd_fsm.h"
#include "bfd_mux.h"
#include "bfd_socket.h"
#include "clock.h"
#include "log.h"

struct bfd_session {
	struct event_base *base;
	struct bfd_mux *mux;
	struct bfd_session_config cfg;
	char name[80];                /* "bfd 192.0.2.1" for logs */
	bfd_session_cb cb;
	void *cb_arg;
	int fd;
	struct event *tx, *detect;
	struct bfd_fsm fsm;
	struct bfd_timers t;
	uint32_t my_disc, remote_disc;
	uint8_t remote_state, remote_diag;
	bool heard;                   /* a packet arrived since the remote was last forgotten (passive mode) */
	time_t since;                 /* wall clock of the last state change */
	struct bfd_session_counters n;
	uint64_t tx_errors;
	char last_drop[128];
};

static uint64_t mono_us(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000;
}

static void timer_us(struct event *ev, uint64_t us)
{
	struct timeval tv = {(time_t)(us / 1000000), (suseconds_t)(us % 1000000)};
	evtimer_add(ev, &tv);
}

static void send_packet(struct bfd_session *b, bool final)
{
	struct bfd_ctrl c = {
		.diag = b->fsm.diag,
		.state = b->fsm.state,
		.my_disc = b->my_disc,
		.your_disc = b->remote_disc,
	};
	bfd_timers_fill(&b->t, final, &c);
	uint8_t buf[BFD_CTRL_MAX_LEN];
	size_t len = bfd_encode(&c, buf, sizeof(buf));
	if (!len || b->fd < 0)
		return;
	if (send(b->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* ICMP unreachable from a peer not running BFD yet, or no route: the detection time decides. */
		if (++b->tx_errors <= 3 || b->tx_errors % 1000 == 0)
			log_debug(b->name, "send: %s (%llu errors so far)", strerror(errno),
				  (unsigned long long)b->tx_errors);
		return;
	}
	b->n.tx++;
}

/* The periodic transmission, from now (6.8.7); none in passive mode until the remote spoke. */
static void tx_schedule(struct bfd_session *b)
{
	uint32_t iv = bfd_tx_interval_us(&b->t);
	if (!iv || (b->cfg.passive && !b->heard) || b->fsm.state == BFD_ADMIN_DOWN) {
		evtimer_del(b->tx);
		return;
	}
	timer_us(b->tx, bfd_jitter_us(iv, b->t.detect_mult, (uint32_t)random() << 1 ^ (uint32_t)random()));
}

static void tx_now(struct bfd_session *b, bool final)
{
	if (b->cfg.passive && !b->heard)
		return;
	send_packet(b, final);
	tx_schedule(b);
}

static void detect_schedule(struct bfd_session *b)
{
	uint64_t deadline = bfd_detect_deadline_us(&b->t), now = mono_us();
	if (!deadline || b->fsm.state == BFD_ADMIN_DOWN) {
		evtimer_del(b->detect);
		return;
	}
	timer_us(b->detect, deadline > now ? deadline - now : 0);
}

/* Carries out what the state machine decided. */
static void fsm_run(struct bfd_session *b, enum bfd_event ev)
{
	struct bfd_fsm_out o = bfd_fsm_event(&b->fsm, ev);
	if (o.actions & BFD_ACT_FORGET_REMOTE) {
		b->remote_disc = 0;
		b->remote_state = BFD_DOWN;
		b->heard = false;
		b->t.remote_tx_us = b->t.remote_rx_us = 0;
		b->t.remote_mult = 0;
	}
	if (o.actions & BFD_ACT_DETECT_STOP)
		evtimer_del(b->detect);
	if (o.from == o.to)
		return;
	if (o.to == BFD_UP || o.from == BFD_UP)
		log_info(b->name, "%s -> %s (%s; diagnostic: %s)", bfd_state_name(o.from), bfd_state_name(o.to),
			 bfd_event_name(ev), bfd_diag_name(o.diag));
	else
		log_debug(b->name, "%s -> %s (%s)", bfd_state_name(o.from), bfd_state_name(o.to), bfd_event_name(ev));
	b->since = time(NULL);
	if (o.actions & BFD_ACT_UP)
		b->n.up_events++;
	if (o.actions & BFD_ACT_DOWN)
		b->n.down_events++;
	/* FAST_TX / SLOW_TX: what is advertised follows the state, through a poll sequence. */
	bfd_timers_set(&b->t, o.to, b->cfg.tx_us, b->cfg.rx_us);
	if (o.actions & BFD_ACT_TX_NOW)
		tx_now(b, false);
	if (b->cb)
		b->cb(b, o.from, o.to, b->cb_arg);
}

static void on_tx(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct bfd_session *b = arg;
	send_packet(b, false);
	tx_schedule(b);
}

static void on_detect(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct bfd_session *b = arg;
	if (!bfd_detect_expired(&b->t, mono_us())) {
		detect_schedule(b);  /* a packet came in between */
		return;
	}
	fsm_run(b, BFD_EV_TIMEOUT);
}

static void dropped(struct bfd_session *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dropped(struct bfd_session *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->last_drop, sizeof(b->last_drop), fmt, ap);
	va_end(ap);
	b->n.rx_dropped++;
	if (b->n.rx_dropped <= 5 || b->n.rx_dropped % 1000 == 0)
		log_warn(b->name, "dropped a packet: %s (%llu so far)", b->last_drop, (unsigned long long)b->n.rx_dropped);
}

void bfd_session_input(struct bfd_session *b, const struct bfd_ctrl *pkt, int ttl)
{
	/* RFC 5881 5 (GTSM, single hop) and RFC 5883 2 (multihop: at least the expected TTL). */
	if (!b->cfg.multihop && ttl != BFD_TTL) {
		dropped(b, "single-hop packet with TTL %d (must be 255)", ttl);
		return;
	}
	if (b->cfg.multihop && ttl < b->cfg.min_ttl) {
		dropped(b, "multihop packet with TTL %d, below minimumTtl", ttl);
		return;
	}
	enum bfd_rx_err e = bfd_rx_check(BFD_AUTH_NONE, pkt);
	if (e != BFD_RX_OK) {
		dropped(b, "%s", bfd_rx_err_str(e));
		return;
	}
	if (b->fsm.state == BFD_ADMIN_DOWN)
		return;  /* 6.8.6 */
	b->n.rx++;
	b->remote_disc = pkt->my_disc;
	b->remote_state = pkt->state;
	b->remote_diag = pkt->diag;
	bool first = !b->heard;
	b->heard = true;
	bool answer = bfd_timers_rx(&b->t, b->fsm.state, pkt, mono_us());
	detect_schedule(b);
	uint8_t before = b->fsm.state;
	fsm_run(b, bfd_fsm_rx_event(pkt->state));
	if (answer)
		send_packet(b, true);  /* 6.8.7: the Final goes at once, outside the periodic schedule */
	/* Passive mode: the remote spoke, start sending; or its Required Min RX allows sending again. */
	if (b->fsm.state == before && !evtimer_pending(b->tx, NULL)) {
		if (first)
			tx_now(b, false);
		else
			tx_schedule(b);
	}
}

struct bfd_session *bfd_session_new(struct event_base *base, struct bfd_mux *mux, const struct bfd_session_config *cfg,
				    bfd_session_cb cb, void *arg)
{
	struct bfd_session *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	char addr[IPADDR_STRLEN];
	ipaddr_format(&cfg->peer, addr);
	snprintf(b->name, sizeof(b->name), "bfd %s", addr);
	b->base = base;
	b->mux = mux;
	b->cfg = *cfg;
	b->cb = cb;
	b->cb_arg = arg;
	b->since = time(NULL);
	b->remote_state = BFD_DOWN;
	bfd_fsm_init(&b->fsm, false);
	bfd_timers_init(&b->t, b->fsm.state, cfg->tx_us, cfg->rx_us, cfg->mult);
	b->tx = evtimer_new(base, on_tx, b);
	b->detect = evtimer_new(base, on_detect, b);
	const char *why = "memory";
	b->fd = -1;
	if (b->tx && b->detect)
		b->fd = bfd_socket_client(&cfg->peer, cfg->multihop ? BFD_PORT_MULTIHOP : BFD_PORT_SINGLE_HOP,
					  &cfg->source, cfg->ifindex, &why);
	if (b->fd < 0 || !bfd_mux_add(mux, b)) {
		if (b->fd < 0)
			log_error(b->name, "no BFD session for BGPPeer %s: %s: %s", cfg->name, why, strerror(errno));
		if (b->fd >= 0)
			close(b->fd);
		if (b->tx)
			event_free(b->tx);
		if (b->detect)
			event_free(b->detect);
		free(b);
		return NULL;
	}
	log_info(b->name, "new %s session for BGPPeer %s (BFDProfile %s): transmit %u ms, receive %u ms, multiplier %u%s",
		 cfg->multihop ? "multihop" : "single-hop", cfg->name, cfg->profile, cfg->tx_us / 1000, cfg->rx_us / 1000,
		 cfg->mult, cfg->passive ? ", passive" : "");
	if (cfg->echo)
		log_warn(b->name, "BFDProfile %s: echoMode is not supported: the session runs without the echo function",
			 cfg->profile);
	tx_now(b, false);
	return b;
}

void bfd_session_free(struct bfd_session *b)
{
	if (!b)
		return;
	b->cb = NULL;
	fsm_run(b, BFD_EV_ADMIN_DOWN);  /* sends AdminDown: the peer's clients know it is not a failure */
	bfd_mux_remove(b->mux, b);
	event_free(b->tx);
	event_free(b->detect);
	close(b->fd);
	free(b);
}

bool bfd_session_reconfigure(struct bfd_session *b, const struct bfd_session_config *cfg)
{
	const struct bfd_session_config *o = &b->cfg;
	if (strcmp(o->name, cfg->name) != 0 || !ipaddr_eq(&o->peer, &cfg->peer) || !ipaddr_eq(&o->source, &cfg->source) ||
	    o->multihop != cfg->multihop || o->passive != cfg->passive || o->echo != cfg->echo ||
	    o->min_ttl != cfg->min_ttl || o->ifindex != cfg->ifindex)
		return false;
	bool changed = b->cfg.tx_us != cfg->tx_us || b->cfg.rx_us != cfg->rx_us || b->cfg.mult != cfg->mult;
	b->cfg = *cfg;
	if (!changed)
		return true;
	log_info(b->name, "new intervals: transmit %u ms, receive %u ms, multiplier %u", cfg->tx_us / 1000,
		 cfg->rx_us / 1000, cfg->mult);
	b->t.detect_mult = cfg->mult;
	if (bfd_timers_set(&b->t, b->fsm.state, cfg->tx_us, cfg->rx_us))
		tx_now(b, false);  /* 6.8.3: the poll sequence starts at once */
	return true;
}

const struct bfd_session_config *bfd_session_cfg(const struct bfd_session *b)
{
	return &b->cfg;
}

uint8_t bfd_session_state(const struct bfd_session *b)
{
	return b->fsm.state;
}

uint8_t bfd_session_remote_state(const struct bfd_session *b)
{
	return b->remote_state;
}

uint32_t bfd_session_discr(const struct bfd_session *b)
{
	return b->my_disc;
}

void bfd_session_set_discr(struct bfd_session *b, uint32_t discr)
{
	b->my_disc = discr;
}

void bfd_session_counters(const struct bfd_session *b, struct bfd_session_counters *c)
{
	*c = b->n;
}

json_t *bfd_session_status(const struct bfd_session *b)
{
	char addr[IPADDR_STRLEN];
	ipaddr_format(&b->cfg.peer, addr);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I}",
			      "peer", b->cfg.name, "address", addr, "profile", b->cfg.profile, "type",
			      b->cfg.multihop ? "multihop" : "single-hop", "state", bfd_state_name(b->fsm.state), "since",
			      (json_int_t)b->since, "local_diagnostic", bfd_diag_name(b->fsm.diag), "remote_diagnostic",
			      bfd_diag_name(b->remote_diag), "local_discriminator", (json_int_t)b->my_disc,
			      "remote_discriminator", (json_int_t)b->remote_disc, "transmit_interval_ms",
			      (int)(bfd_tx_interval_us(&b->t) / 1000), "detect_time_ms",
			      (int)(bfd_detect_time_us(&b->t) / 1000), "remote_detect_multiplier", (int)b->t.remote_mult,
			      "control_packets_received", (json_int_t)b->n.rx, "control_packets_sent", (json_int_t)b->n.tx,
			      "up_events", (json_int_t)b->n.up_events, "down_events", (json_int_t)b->n.down_events,
			      "packets_dropped", (json_int_t)b->n.rx_dropped);
	if (j && b->last_drop[0])
		json_object_set_new(j, "last_drop", json_string(b->last_drop));
	if (j && b->cfg.passive)
		json_object_set_new(j, "passive", json_true());
	if (j && b->cfg.echo)
		json_object_set_new(j, "echo", json_string("not supported: running without the echo function"));
	return j;
}
