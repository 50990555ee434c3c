/* Liveness between L2 speakers: the rules are in liveness.h. */
#include "liveness.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

struct liveness {
	char *self;
	uint64_t boot, seq;
	struct lv_options opt;
	uint64_t start_ms, hold_ms;
	bool hold_over, ready;
	unsigned nup;
	uint64_t gen;
	char why[HB_NAME_MAX + 128];
	struct lv_peer *peers;  /* sorted by name */
	size_t npeers;
};

const char *lv_state_name(enum lv_state s)
{
	switch (s) {
	case LV_DOWN:
		return "down";
	case LV_LEFT:
		return "left";
	case LV_RISING:
		return "rising";
	case LV_UP:
		return "up";
	}
	return "?";
}

const char *lv_verdict_name(enum lv_verdict v)
{
	switch (v) {
	case LV_ACCEPTED:
		return "accepted";
	case LV_NOT_FOR_US:
		return "addressed to another node";
	case LV_FROM_US:
		return "carries this node's name";
	case LV_UNKNOWN:
		return "from a node not in the configuration";
	case LV_SKEW:
		return "timestamp too far from this clock";
	case LV_DUPLICATE:
		return "duplicate or late";
	case LV_REPLAY:
		return "replayed or out of order";
	case LV_STALE:
		return "from a speaker that said it stopped";
	}
	return "?";
}

static uint64_t own_detect_ms(const struct liveness *l)
{
	return (uint64_t)l->opt.interval_ms * l->opt.detect_mult;
}

struct liveness *liveness_new(const char *self, uint64_t boot, const struct lv_options *o, uint64_t now)
{
	struct liveness *l = xcalloc(1, sizeof(*l));
	l->self = xstrdup(self);
	l->boot = boot;
	l->opt = *o;
	if (!l->opt.max_skew_ms)
		l->opt.max_skew_ms = LV_DEFAULT_MAX_SKEW_MS;
	l->start_ms = now;
	l->hold_ms = own_detect_ms(l) + l->opt.interval_ms;
	snprintf(l->why, sizeof l->why, "startup hold");
	return l;
}

void liveness_free(struct liveness *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->npeers; i++)
		free(l->peers[i].name);
	free(l->peers);
	free(l->self);
	free(l);
}

static int peer_name_cmp(const void *x, const void *y)
{
	return strcmp(((const struct lv_peer *)x)->name, ((const struct lv_peer *)y)->name);
}

long liveness_find(const struct liveness *l, const char *name)
{
	size_t lo = 0, hi = l->npeers;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(l->peers[mid].name, name);
		if (!r)
			return (long)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static bool heard(const struct lv_peer *p)
{
	return p->state == LV_RISING || p->state == LV_UP;
}

/* ---- the one place where states, relations and readiness change ---- */

static void peer_down(struct liveness *l, struct lv_peer *p, enum lv_state to, enum lv_cause cause, uint64_t now)
{
	if (p->state == LV_UP && cause == LV_CAUSE_TIMEOUT)
		p->flaps = now - p->up_ms < LV_FLAP_WINDOW_MS ? (p->flaps < LV_FLAP_MAX ? p->flaps + 1 : p->flaps) : 0;
	if (heard(p)) {
		if (cause == LV_CAUSE_TIMEOUT)
			log_info("l2", "speaker %s is down: no heartbeat for %" PRIu64 " ms", p->name, now - p->last_ms);
		else if (cause == LV_CAUSE_LEFT)
			log_info("l2", "speaker %s is stopping (said so)", p->name);
		else
			log_info("l2", "speaker %s restarted", p->name);
	}
	p->state = to;
	p->cause = cause;
	p->down_ms = now;
	p->ready = false;
	p->nup = 0;
	p->sees_us = HB_VIEW_DOWN;
	l->gen++;
}

static void peer_rise(struct liveness *l, struct lv_peer *p, uint64_t now)
{
	p->state = LV_RISING;
	p->first_ms = now;
	p->rise_ms = p->detect_ms << p->flaps;
	l->gen++;
}

static enum lv_relation relation(const struct liveness *l, const struct lv_peer *p)
{
	if (!heard(p) || !p->ready)
		return LV_IGNORE;
	if (p->nup < l->nup && p->state != LV_UP)
		return LV_IGNORE;  /* it will step back: it sees fewer and we do not see it up */
	return LV_RANK;
}

/* A ready peer we have heard for a detection time that still does not hear us. */
static bool deaf_to_us(const struct lv_peer *p, uint64_t now)
{
	return heard(p) && p->ready && p->sees_us == HB_VIEW_DOWN && now - p->first_ms >= p->detect_ms;
}

/* Recomputes nup, readiness and relations after any change. */
static void settle(struct liveness *l, uint64_t now)
{
	unsigned nup = 0;
	for (size_t i = 0; i < l->npeers; i++)
		nup += l->peers[i].state == LV_UP;
	if (nup != l->nup) {
		l->nup = nup;
		l->gen++;
	}

	bool ready = l->ready;
	const struct lv_peer *blocker = NULL;
	if (!l->hold_over) {
		ready = false;
		snprintf(l->why, sizeof l->why, "startup hold (%" PRIu64 " ms left)", l->start_ms + l->hold_ms - now);
	} else if (!ready) {
		/* Becoming ready: every ready peer we hear sees us up. */
		for (size_t i = 0; i < l->npeers && !blocker; i++)
			if (heard(&l->peers[i]) && l->peers[i].ready && l->peers[i].sees_us != HB_VIEW_UP)
				blocker = &l->peers[i];
		ready = !blocker;
		if (blocker)
			snprintf(l->why, sizeof l->why, "waiting for %s to see this node up (it sees it %s)",
				 blocker->name, hb_view_name(blocker->sees_us));
	} else {
		/*
		 * Staying ready, unless a ready peer that sees more speakers does
		 * not see us up, or a ready peer does not hear us at all.
		 */
		for (size_t i = 0; i < l->npeers && !blocker; i++) {
			const struct lv_peer *p = &l->peers[i];
			if (heard(p) && p->ready && p->nup > l->nup && p->sees_us != HB_VIEW_UP) {
				blocker = p;
				snprintf(l->why, sizeof l->why,
					 "%s sees %u speakers up, this node %u, and does not see this node up: stepping back",
					 p->name, p->nup, l->nup);
			} else if (deaf_to_us(p, now)) {
				blocker = p;
				snprintf(l->why, sizeof l->why,
					 "%s does not hear this node (heard it for %" PRIu64 " ms): stepping back", p->name,
					 now - p->first_ms);
			}
		}
		ready = !blocker;
	}
	if (ready != l->ready) {
		l->ready = ready;
		l->gen++;
		if (ready) {
			l->why[0] = '\0';
			log_info("l2", "this speaker is ready: %u other speakers up", l->nup);
		} else {
			log_info("l2", "this speaker is not ready: %s", l->why);
		}
	}

	for (size_t i = 0; i < l->npeers; i++) {
		enum lv_relation r = relation(l, &l->peers[i]);
		if (r != l->peers[i].rel) {
			l->peers[i].rel = r;
			l->gen++;
		}
	}
}

/* The new list is built beside the old one: lookups search the old list unchanged, a moved entry is only marked taken. */
void liveness_set_peers(struct liveness *l, const char *const *names, size_t n, uint64_t now)
{
	struct lv_peer *v = xcalloc(n + 1, sizeof(*v));
	bool *taken = xcalloc(l->npeers + 1, sizeof(*taken));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], l->self) == 0)
			continue;
		long old = liveness_find(l, names[i]);
		if (old >= 0 && !taken[old]) {
			v[k] = l->peers[old];
			taken[old] = true;
		} else {
			v[k] = (struct lv_peer){.name = xstrdup(names[i]), .state = LV_DOWN,
						.detect_ms = own_detect_ms(l)};
		}
		k++;
	}
	qsort(v, k, sizeof(*v), peer_name_cmp);
	/* Duplicate names keep the first entry. */
	size_t u = 0;
	for (size_t i = 0; i < k; i++) {
		if (u && strcmp(v[u - 1].name, v[i].name) == 0) {
			free(v[i].name);
			continue;
		}
		v[u++] = v[i];
	}
	for (size_t i = 0; i < l->npeers; i++)
		if (!taken[i])
			free(l->peers[i].name);
	free(taken);
	free(l->peers);
	l->peers = v;
	l->npeers = u;
	l->gen++;
	settle(l, now);
}

enum lv_verdict liveness_receive(struct liveness *l, const struct hb_msg *m, uint64_t key, uint64_t now,
				 uint64_t wall_ms)
{
	if (strcmp(m->to, l->self) != 0)
		return LV_NOT_FOR_US;
	if (strcmp(m->from, l->self) == 0)
		return LV_FROM_US;
	long i = liveness_find(l, m->from);
	if (i < 0)
		return LV_UNKNOWN;
	uint64_t skew = m->time_ms > wall_ms ? m->time_ms - wall_ms : wall_ms - m->time_ms;
	if (skew > l->opt.max_skew_ms)
		return LV_SKEW;

	struct lv_peer *p = &l->peers[i];
	bool fresh = false;  /* a boot not seen before */
	if (!p->heard_ever || m->boot > p->boot) {
		fresh = true;
	} else if (m->boot == p->boot) {
		if (m->seq <= p->seq)  /* never applied: it would take the state back */
			return p->seq - m->seq <= LV_LATE_WINDOW ? LV_DUPLICATE : LV_REPLAY;
		if (p->state == LV_LEFT)  /* leaving is said twice; anything else after it is odd */
			return m->state == HB_LEAVING ? LV_DUPLICATE : LV_STALE;
	} else if (heard(p)) {
		return LV_REPLAY;
	} else {
		fresh = true;  /* smaller boot id from a peer that is down: its clock went back */
	}

	if (fresh && heard(p))
		peer_down(l, p, LV_DOWN, LV_CAUSE_RESTARTED, now);
	p->heard_ever = true;
	p->boot = m->boot;
	p->seq = m->seq;
	p->key = key;
	p->detect_ms = (uint64_t)m->interval_ms * m->detect_mult;
	if (m->state == HB_LEAVING) {
		p->last_ms = now;
		if (p->state != LV_LEFT)
			peer_down(l, p, LV_LEFT, LV_CAUSE_LEFT, now);
		settle(l, now);
		return LV_ACCEPTED;
	}
	if (!heard(p)) {
		p->returned = !fresh && p->state == LV_DOWN;
		peer_rise(l, p, now);
		log_info("l2", "speaker %s heard (boot %" PRIu64 "), up in %" PRIu64 " ms", p->name, m->boot,
			 p->rise_ms);
	}
	p->last_ms = now;
	bool ready = (m->flags & HB_FLAG_READY) != 0;
	enum hb_view sees = m->to_boot == l->boot ? m->to_view : HB_VIEW_DOWN;
	if (ready != p->ready || m->nup != p->nup || sees != p->sees_us) {
		p->ready = ready;
		p->nup = m->nup;
		p->sees_us = sees;
		l->gen++;
	}
	settle(l, now);
	return LV_ACCEPTED;
}

void liveness_poll(struct liveness *l, uint64_t now)
{
	if (!l->hold_over && now >= l->start_ms + l->hold_ms) {
		l->hold_over = true;
		l->gen++;
	}
	for (size_t i = 0; i < l->npeers; i++) {
		struct lv_peer *p = &l->peers[i];
		if (heard(p) && now >= p->last_ms + p->detect_ms)
			peer_down(l, p, LV_DOWN, LV_CAUSE_TIMEOUT, now);
		if (p->state == LV_RISING && now >= p->first_ms + p->rise_ms) {
			p->state = LV_UP;
			p->up_ms = now;
			l->gen++;
			log_info("l2", "speaker %s is up (heard for %" PRIu64 " ms)", p->name, now - p->first_ms);
		}
	}
	settle(l, now);
}

static void earliest(uint64_t *d, uint64_t t)
{
	if (t < *d)
		*d = t;
}

uint64_t liveness_next_deadline(const struct liveness *l)
{
	uint64_t d = LV_NEVER;
	if (!l->hold_over)
		earliest(&d, l->start_ms + l->hold_ms);
	for (size_t i = 0; i < l->npeers; i++) {
		const struct lv_peer *p = &l->peers[i];
		if (!heard(p))
			continue;
		earliest(&d, p->last_ms + p->detect_ms);
		if (p->state == LV_RISING)
			earliest(&d, p->first_ms + p->rise_ms);
		if (l->ready && p->ready && p->sees_us == HB_VIEW_DOWN)  /* when it would count as deaf to us */
			earliest(&d, p->first_ms + p->detect_ms);
	}
	return d;
}

uint64_t liveness_generation(const struct liveness *l)
{
	return l->gen;
}

void liveness_message(struct liveness *l, size_t i, enum hb_state st, uint64_t wall_ms, struct hb_msg *out)
{
	const struct lv_peer *p = &l->peers[i];
	*out = (struct hb_msg){
		.state = st,
		.flags = l->ready && st == HB_ALIVE ? HB_FLAG_READY : 0,
		.detect_mult = (uint8_t)l->opt.detect_mult,
		.interval_ms = (uint16_t)l->opt.interval_ms,
		.nup = (uint16_t)(l->nup > UINT16_MAX ? UINT16_MAX : l->nup),
		.boot = l->boot,
		.seq = ++l->seq,
		.time_ms = wall_ms,
		.to_view = p->state == LV_UP ? HB_VIEW_UP : p->state == LV_RISING ? HB_VIEW_RISING : HB_VIEW_DOWN,
		.to_boot = p->heard_ever ? p->boot : 0,
	};
	snprintf(out->from, sizeof out->from, "%s", l->self);
	snprintf(out->to, sizeof out->to, "%s", p->name);
}

const struct owner_rank *liveness_decide(const struct liveness *l, const struct owner_rank *r, size_t n, bool *claim)
{
	*claim = false;
	for (size_t k = 0; k < n; k++) {
		const struct lv_peer *p = r[k].tag >= 0 ? liveness_peer(l, (size_t)r[k].tag) : NULL;
		if (r[k].tag == LV_TAG_SELF ? l->ready : p && p->rel == LV_RANK) {
			*claim = r[k].tag == LV_TAG_SELF;
			return &r[k];
		}
	}
	return NULL;
}

bool liveness_ready(const struct liveness *l)
{
	return l->ready;
}

const char *liveness_why(const struct liveness *l)
{
	return l->why;
}

unsigned liveness_nup(const struct liveness *l)
{
	return l->nup;
}

size_t liveness_npeers(const struct liveness *l)
{
	return l->npeers;
}

const struct lv_peer *liveness_peer(const struct liveness *l, size_t i)
{
	return i < l->npeers ? &l->peers[i] : NULL;
}
