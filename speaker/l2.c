/*
 * L2 mode glue: timers and the liveness state (liveness.h) around the
 * heartbeat transport (l2_hb.h), the owner rule over the plan's VIPs
 * (owner.h), the responder (l2_responder.h), logs and status. The decisions
 * are in liveness.c and owner.c; this file turns events into calls and keeps
 * the per-VIP record (owner, since when) that the logs and the status show.
 *
 * Heartbeats go every interval (jittered down by up to 10 %, RFC 5880 6.8.7)
 * and at once after any change of the liveness state, to every other Node; a
 * clean stop sends "leaving" twice to each.
 */
#include "l2.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "heartbeat.h"
#include "l2_hb.h"
#include "liveness.h"
#include "log.h"
#include "metrics.h"
#include "owner.h"
#include "rate_limit.h"
#include "xalloc.h"

#define HANDOVER_MS 20  /* time for a live old owner to hear that we take over */
#define L2_LATE_MIN_MS 2  /* a deadline this late (or a fifth of the interval) was a late wake-up */

/* What the glue keeps per peer, by liveness peer index. */
struct l2_peer {
	uint64_t episode;      /* the heard-again episode (lv_peer.first_ms) already handled */
	bool again;            /* our VIPs it may own are to be announced once more */
};

struct l2_vip {
	struct ipaddr ip;
	struct owner_rank *rank;  /* eligible nodes, best first; tag: peer index or LV_TAG_SELF */
	size_t nrank;
	char **names;             /* the rank's node names (owned) */
	char **ifaces;            /* where this node answers; none: everywhere suitable */
	size_t nifaces;
	char *owner;              /* who answers, as this node believes; NULL: nobody */
	bool claimed;             /* this node answers */
	double since;             /* wall clock of the last owner change */
	uint64_t handover_at;     /* when this node may start answering (taking over from a live peer) */
	uint64_t lost_heard_ms;   /* taken over from a lost owner: its last heartbeat (monotonic); 0: no */
};

struct l2 {
	char *node;
	void (*claims_fn)(void *arg);
	void *claims_arg;
	struct l2_options opt;
	struct l2_responder *resp;
	struct l2_hb *hb;
	struct event *tx, *deadline, *handover, *again;
	uint64_t deadline_at;    /* when the deadline timer is due (monotonic ms) */
	uint64_t grace_until;    /* after a late wake-up: no peer counted down before (monotonic ms); 0: none */
	uint64_t late_wakeups;   /* graces given */
	struct liveness *lv;     /* NULL without a key */
	uint64_t lv_gen;
	uint64_t rng;
	struct l2_peer *peers;   /* by liveness peer index */
	struct l2_vip *vips;     /* sorted by ip */
	size_t nvips;
	struct rate_limit log_rl;
	uint64_t rx_ok, rx_dup, rx_bad;
	uint64_t rx_ok_prev_key;  /* of rx_ok: made with the previous key, during a rotation */
	uint64_t failovers;
	struct metric_hist failover_hist;
	struct metric_hist gap_hist;
};

static const double failover_buckets[] = {0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30};
static const double gap_buckets[] = {0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1,
				     0.15, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30, 60};

/* ---- time ---- */

static void add_timer_ms(struct event *ev, uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(ev, &tv);
}

/* Logs that a remote party can trigger: at most 5 at once, then one a second. */
static bool may_log(struct l2 *l)
{
	return rate_limit_take(&l->log_rl, mono_ms());
}

/* ---- sending ---- */

static void send_to_peer(struct l2 *l, size_t i, enum hb_state st)
{
	struct hb_msg m;
	liveness_message(l->lv, i, st, wall_ms(), &m);
	l2_hb_send(l->hb, &m, liveness_peer(l->lv, i)->key);
}

static void send_all(struct l2 *l, enum hb_state st)
{
	for (size_t i = 0; l->lv && i < liveness_npeers(l->lv); i++)
		send_to_peer(l, i, st);
}

/* ---- ownership ---- */

static const struct lv_peer *peer_of(const struct l2 *l, const struct owner_rank *r)
{
	return r->tag >= 0 ? liveness_peer(l->lv, (size_t)r->tag) : NULL;
}

/* Who answers for v as this node sees it, and whether it is this node. */
static const char *decide(const struct l2 *l, const struct l2_vip *v, bool *claim)
{
	/*
	 * A VIP no other node may own is answered whenever this speaker runs:
	 * there is nobody to agree with, during the startup hold, after stepping
	 * back, or without a key. Without a key nothing else is.
	 */
	if (!l->lv || (v->nrank == 1 && v->rank[0].tag == LV_TAG_SELF)) {
		*claim = v->nrank == 1 && v->rank[0].tag == LV_TAG_SELF;
		return *claim ? l->node : NULL;
	}
	const struct owner_rank *r = liveness_decide(l->lv, v->rank, v->nrank, claim);
	return r ? r->node : NULL;
}

/* Why the owner of v moved from was to now (names, either may be NULL). */
static void change_reason(const struct l2 *l, const struct l2_vip *v, const char *was, const char *now_owner,
			  char *buf, size_t len)
{
	uint64_t now = mono_ms();
	if (!l->lv) {
		snprintf(buf, len, "no memberlist key: only VIPs no other node may own are answered");
		return;
	}
	if (was) {
		const struct owner_rank *r = NULL;
		for (size_t k = 0; k < v->nrank && !r; k++)
			if (strcmp(v->rank[k].node, was) == 0)
				r = &v->rank[k];
		if (!r) {
			snprintf(buf, len, "%s is no longer eligible", was);
			return;
		}
		if (r->tag == LV_TAG_SELF && !liveness_ready(l->lv)) {
			snprintf(buf, len, "this node is not ready: %s", liveness_why(l->lv));
			return;
		}
		const struct lv_peer *p = peer_of(l, r);
		if (p && p->state == LV_DOWN && p->cause == LV_CAUSE_TIMEOUT) {
			snprintf(buf, len, "%s stopped answering heartbeats %" PRIu64 " ms ago", was, now - p->last_ms);
			return;
		}
		if (p && p->state == LV_LEFT) {
			snprintf(buf, len, "%s stopped cleanly", was);
			return;
		}
		if (p && p->cause == LV_CAUSE_RESTARTED && p->state != LV_UP) {
			snprintf(buf, len, "%s restarted", was);
			return;
		}
		if (p && p->rel == LV_IGNORE) {
			snprintf(buf, len, "%s is %s", was, p->ready ? "stepping back" : "not ready");
			return;
		}
	}
	if (now_owner) {
		snprintf(buf, len, "%s is live and ranks first", strcmp(now_owner, l->node) ? now_owner : "this node");
		return;
	}
	snprintf(buf, len, "no eligible node is live");
}

static void vip_changed(struct l2 *l, struct l2_vip *v, const char *owner, bool claim, bool is_new)
{
	char ip[IPADDR_STRLEN], why[HB_NAME_MAX + 200];
	ipaddr_format(&v->ip, ip);
	if (is_new)
		snprintf(why, sizeof why, "new VIP");
	else
		change_reason(l, v, v->owner, owner, why, sizeof why);
	log_info("l2", "%s owner %s%s (was %s: %s)", ip, owner ? owner : "none", claim ? ", answering here" : "",
		 v->owner ? v->owner : "none", why);
	free(v->owner);
	v->owner = owner ? xstrdup(owner) : NULL;
	v->claimed = claim;
	v->since = (double)wall_ms() / 1000.0;
}

/*
 * A VIP that a live, ready peer answers for now and that the rule gives this
 * node (it just became ready, or ranks first again): that peer lets go when our
 * heartbeat, sent at once, reaches it. Announcing before then would have it
 * see our gratuitous ARP as a conflict and announce the VIP back.
 */
static bool handover_from_live_peer(const struct l2 *l, const struct l2_vip *v)
{
	if (!l->lv || !v->owner || strcmp(v->owner, l->node) == 0)
		return false;
	long i = liveness_find(l->lv, v->owner);
	return i >= 0 && liveness_peer(l->lv, (size_t)i)->rel == LV_RANK;
}

/*
 * When this node is to answer for v in place of an owner that was lost (it
 * stopped answering heartbeats, or said it was leaving): that owner's last
 * heartbeat (monotonic ms). 0 for a first claim, a VIP nobody answered, or a
 * live owner handing over. A restart seen by a new boot id is not counted: the
 * old instance's last heartbeat is not kept.
 */
static uint64_t lost_owner_heard(const struct l2 *l, const struct l2_vip *v)
{
	if (!l->lv || !v->owner || strcmp(v->owner, l->node) == 0)
		return 0;
	long i = liveness_find(l->lv, v->owner);
	const struct lv_peer *p = i >= 0 ? liveness_peer(l->lv, (size_t)i) : NULL;
	if (!p || !p->heard_ever || !((p->state == LV_DOWN && p->cause == LV_CAUSE_TIMEOUT) || p->state == LV_LEFT))
		return 0;
	return p->last_ms ? p->last_ms : 1;
}

/* Takeovers from a lost owner, timed once the responder has sent the first announcement. */
static void count_failovers(struct l2 *l)
{
	uint64_t now = mono_ms();
	for (size_t i = 0; i < l->nvips; i++) {
		struct l2_vip *v = &l->vips[i];
		if (!v->lost_heard_ms)
			continue;
		l->failovers++;
		metric_hist_observe(&l->failover_hist,
				    (double)(now > v->lost_heard_ms ? now - v->lost_heard_ms : 0) / 1000.0);
		v->lost_heard_ms = 0;
	}
}

/* Recomputes every owner; tells the responder when what this node answers changed. */
static void recompute(struct l2 *l, bool force_set)
{
	bool changed = force_set;
	uint64_t now = mono_ms(), next_handover = UINT64_MAX;
	for (size_t i = 0; i < l->nvips; i++) {
		struct l2_vip *v = &l->vips[i];
		bool claim;
		const char *owner = decide(l, v, &claim);
		if (!claim || v->claimed) {
			v->handover_at = 0;
		} else if (v->handover_at || handover_from_live_peer(l, v)) {
			if (!v->handover_at)
				v->handover_at = now + HANDOVER_MS;
			if (now < v->handover_at) {
				next_handover = v->handover_at < next_handover ? v->handover_at : next_handover;
				continue;  /* not yet: the old owner is letting go */
			}
			v->handover_at = 0;
		}
		bool same = (owner == NULL) == (v->owner == NULL) && (!owner || strcmp(owner, v->owner) == 0);
		if (!same || claim != v->claimed) {
			changed |= claim != v->claimed;
			v->lost_heard_ms = claim && !v->claimed && v->since != 0 ? lost_owner_heard(l, v) : 0;
			vip_changed(l, v, owner, claim, v->since == 0);
		} else if (v->since == 0) {
			v->since = (double)wall_ms() / 1000.0;
		}
	}
	if (next_handover != UINT64_MAX)
		add_timer_ms(l->handover, next_handover - now);
	if (!changed)
		return;
	struct l2_owned *own = xcalloc(l->nvips + 1, sizeof(*own));
	size_t n = 0;
	for (size_t i = 0; i < l->nvips; i++)
		if (l->vips[i].claimed)
			own[n++] = (struct l2_owned){l->vips[i].ip, (const char *const *)l->vips[i].ifaces,
						     l->vips[i].nifaces};
	l2_responder_set(l->resp, own, n);  /* sends the first announcements of the VIPs newly answered */
	free(own);
	count_failovers(l);
	if (l->claims_fn)
		l->claims_fn(l->claims_arg);
}

void l2_on_claims(struct l2 *l, void (*fn)(void *arg), void *arg)
{
	l->claims_fn = fn;
	l->claims_arg = arg;
}

static void on_handover(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	recompute(arg, false);
}

/* ---- timers ---- */

static void arm_deadline(struct l2 *l)
{
	if (!l->lv)
		return;
	uint64_t d = liveness_next_deadline(l->lv), now = mono_ms();
	if (d == LV_NEVER) {
		evtimer_del(l->deadline);
		return;
	}
	if (d < l->grace_until)
		d = l->grace_until;
	l->deadline_at = d;
	add_timer_ms(l->deadline, d > now ? d - now : 0);
}

/*
 * Announces again the VIPs this node answers for that peer i may own. Used
 * when a peer is heard again with the boot id it had when it went unheard: it
 * kept running, cut off from us, counted itself alone and answered for every
 * VIP it may own; when its link came back it announced them all before it
 * heard anyone and stepped back. Our announcement puts the LAN's neighbour
 * entries right; a second one an interval later covers announcements of its
 * that cross ours. (A restarted peer has a new boot id and claimed nothing.)
 */
static void announce_again(struct l2 *l, size_t i)
{
	unsigned n = 0;
	for (size_t k = 0; k < l->nvips; k++) {
		const struct l2_vip *v = &l->vips[k];
		bool eligible = false;
		for (size_t r = 0; r < v->nrank && !eligible; r++)
			eligible = v->rank[r].tag == (int)i;
		if (v->claimed && eligible) {
			l2_responder_announce(l->resp, &v->ip);
			n++;
		}
	}
	if (n)
		log_info("l2", "%s is back and was answering on its own: announcing our %u VIPs it may own again",
			 liveness_peer(l->lv, i)->name, n);
}

static void on_again(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct l2 *l = arg;
	for (size_t i = 0; l->lv && i < liveness_npeers(l->lv); i++)
		if (l->peers[i].again) {
			l->peers[i].again = false;
			announce_again(l, i);
		}
}

/* After anything that may have changed the liveness state. */
static void settle(struct l2 *l)
{
	if (l->lv && liveness_generation(l->lv) != l->lv_gen) {
		l->lv_gen = liveness_generation(l->lv);
		send_all(l, HB_ALIVE);  /* tell the others at once, before announcing anything */
		recompute(l, false);
		for (size_t i = 0; i < liveness_npeers(l->lv); i++) {
			const struct lv_peer *p = liveness_peer(l->lv, i);
			if (p->state != LV_RISING || p->first_ms == l->peers[i].episode)
				continue;
			l->peers[i].episode = p->first_ms;
			if (p->returned) {
				announce_again(l, i);
				l->peers[i].again = true;
				add_timer_ms(l->again, l->opt.interval_ms);
			}
		}
	}
	arm_deadline(l);
}

/*
 * A deadline timer that fires late means this loop did not run when due: it
 * was held up itself (a paused virtual machine, a CPU the kernel did not give
 * back, a stopped process), and so may its peers have been, whose heartbeats
 * are then due now, not lost. Counting that time against them turns every
 * pause of the whole machine into a false failover (the node that wakes first
 * counts the other down before it could send). So: one interval more, once per
 * detection time at most, so that a loop that is always late still counts a
 * silent peer down, one interval later.
 */
static bool grace_after_late_wakeup(struct l2 *l, uint64_t now)
{
	uint64_t late = now > l->deadline_at ? now - l->deadline_at : 0, iv = l->opt.interval_ms;
	uint64_t limit = iv / 5 > L2_LATE_MIN_MS ? iv / 5 : L2_LATE_MIN_MS;
	if (now < l->grace_until)
		return true;  /* still in it: an early wake-up */
	if (late < limit || (l->grace_until && now < l->grace_until + iv * l->opt.detect_mult))
		return false;
	l->grace_until = now + iv;
	l->late_wakeups++;
	if (may_log(l))
		log_info("l2", "this speaker ran %" PRIu64 " ms late: the other speakers get %" PRIu64
			       " ms more before they count as down", late, iv);
	return true;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct l2 *l = arg;
	uint64_t now = mono_ms();
	if (l->lv && grace_after_late_wakeup(l, now)) {
		arm_deadline(l);
		return;
	}
	if (l->lv)
		liveness_poll(l->lv, now);
	settle(l);
}

static void arm_tx(struct l2 *l)
{
	/* xorshift64: jitter needs no cryptographic randomness */
	l->rng ^= l->rng << 13, l->rng ^= l->rng >> 7, l->rng ^= l->rng << 17;
	uint64_t iv = l->opt.interval_ms, jitter = iv / 10 ? l->rng % (iv / 10 + 1) : 0;
	add_timer_ms(l->tx, iv - jitter);
}

static void on_tx(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct l2 *l = arg;
	send_all(l, HB_ALIVE);
	arm_tx(l);
}

/* ---- receiving ---- */

static void on_heartbeat(void *arg, const struct hb_msg *m, uint64_t key, const char *from)
{
	struct l2 *l = arg;
	if (!l->lv)
		return;
	uint64_t now = mono_ms();
	long i = liveness_find(l->lv, m->from);
	const struct lv_peer *p = i >= 0 ? liveness_peer(l->lv, (size_t)i) : NULL;
	bool heard = p && p->heard_ever && p->boot == m->boot;
	uint64_t last = heard ? p->last_ms : 0;
	enum lv_verdict vd = liveness_receive(l->lv, m, key, now, wall_ms());
	if (vd == LV_ACCEPTED) {
		/* The gap as this loop lived it: the sender's timer, the network and our own scheduling. */
		if (heard)
			metric_hist_observe(&l->gap_hist, (double)(now > last ? now - last : 0) / 1000.0);
		l->rx_ok++;
		l->rx_ok_prev_key += key != l2_hb_current_key(l->hb);
	} else if (vd == LV_DUPLICATE) {
		l->rx_dup++;
	} else {
		l->rx_bad++;
		if (may_log(l))
			log_warn("l2", "heartbeat from %s (%s) dropped: %s", from, m->from, lv_verdict_name(vd));
	}
}

static void on_heartbeats_done(void *arg)
{
	settle(arg);
}

/* ---- configuration ---- */

/* Every Node but this one: where heartbeats go, and the peers in liveness. */
static void apply_nodes(struct l2 *l, const struct config *c)
{
	const struct objects *nodes = &c->kinds[KIND_NODE];
	l2_hb_set_nodes(l->hb, c, l->node);
	if (!l->lv)
		return;
	const char **names = xcalloc(nodes->n + 1, sizeof(*names));
	for (size_t i = 0; i < nodes->n; i++)
		names[i] = nodes->v[i]->meta.name;  /* liveness skips this node's own */
	liveness_set_peers(l->lv, names, nodes->n, mono_ms());
	free(names);
	free(l->peers);
	l->peers = xcalloc(liveness_npeers(l->lv) + 1, sizeof(*l->peers));
	for (size_t i = 0; i < liveness_npeers(l->lv); i++)
		l->peers[i].episode = liveness_peer(l->lv, i)->first_ms;
}

static void vip_free(struct l2_vip *v)
{
	for (size_t k = 0; k < v->nrank; k++)
		free(v->names[k]);
	for (size_t k = 0; k < v->nifaces; k++)
		free(v->ifaces[k]);
	free(v->names);
	free(v->ifaces);
	free(v->rank);
	free(v->owner);
}

static const struct l2_vip *find_vip(const struct l2_vip *v, size_t n, const struct ipaddr *ip)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = ipaddr_cmp(&v[mid].ip, ip);
		if (!r)
			return &v[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The plan's VIPs with their ranked nodes; owners and times carried over from before. */
static void apply_vips(struct l2 *l, const struct plan *p)
{
	struct l2_vip *nv = xcalloc(p->nl2 + 1, sizeof(*nv));
	for (size_t i = 0; i < p->nl2; i++) {
		const struct plan_l2_vip *pv = &p->l2[i];
		struct l2_vip *v = &nv[i];
		v->ip = pv->ip;
		v->rank = xcalloc(pv->nnodes + 1, sizeof(*v->rank));
		v->names = xcalloc(pv->nnodes + 1, sizeof(*v->names));
		for (size_t k = 0; k < pv->nnodes; k++) {
			v->names[k] = xstrdup(pv->nodes[k].node);
			long peer = l->lv ? liveness_find(l->lv, pv->nodes[k].node) : -1;
			v->rank[k] = (struct owner_rank){v->names[k], pv->nodes[k].weight,
							 owner_score(pv->nodes[k].node, &pv->ip),
							 strcmp(pv->nodes[k].node, l->node) == 0 ? LV_TAG_SELF
								: (int)(peer >= 0 ? peer : LV_TAG_UNKNOWN)};
		}
		v->nrank = pv->nnodes;
		owner_rank_sort(v->rank, v->nrank);
		if (pv->here) {
			v->ifaces = xcalloc(pv->ninterfaces + 1, sizeof(*v->ifaces));
			for (size_t k = 0; k < pv->ninterfaces; k++)
				v->ifaces[k] = xstrdup(pv->interfaces[k]);
			v->nifaces = pv->ninterfaces;
		}
		const struct l2_vip *old = find_vip(l->vips, l->nvips, &v->ip);
		if (old) {
			v->owner = old->owner ? xstrdup(old->owner) : NULL;
			v->claimed = old->claimed;
			v->since = old->since;
		}
	}
	/* A VIP gone from the plan that this node answered: say so. */
	for (size_t i = 0; i < l->nvips; i++)
		if (l->vips[i].claimed && !find_vip(nv, p->nl2, &l->vips[i].ip)) {
			char ip[IPADDR_STRLEN];
			ipaddr_format(&l->vips[i].ip, ip);
			log_info("l2", "%s owner none (was %s: no longer in the plan)", ip, l->node);
		}
	struct l2_vip *old = l->vips;
	size_t nold = l->nvips;
	l->vips = nv;
	l->nvips = p->nl2;
	recompute(l, true);  /* the responder sees the new interface lists before the old ones are freed */
	for (size_t i = 0; i < nold; i++)
		vip_free(&old[i]);
	free(old);
}

bool l2_claims(const struct l2 *l, const struct ipaddr *ip, const char *const **ifaces, size_t *nifaces)
{
	const struct l2_vip *v = find_vip(l->vips, l->nvips, ip);
	if (!v || !v->claimed)
		return false;
	if (ifaces)
		*ifaces = (const char *const *)v->ifaces;
	if (nifaces)
		*nifaces = v->nifaces;
	return true;
}

void l2_apply(struct l2 *l, const struct plan *p, const struct config *c)
{
	bool had_key = l->lv != NULL;
	bool key = l2_hb_set_key(l->hb, c, c->kinds[KIND_L2ADVERTISEMENT].n > 0);
	if (key && !had_key) {
		/* A fresh start: a boot id larger than any before, and the startup hold again. */
		liveness_free(l->lv);
		struct lv_options lo = {.interval_ms = l->opt.interval_ms, .detect_mult = l->opt.detect_mult};
		l->lv = liveness_new(l->node, wall_us(), &lo, mono_ms());
		l->lv_gen = liveness_generation(l->lv);
		arm_tx(l);
	} else if (!key && l->lv) {
		send_all(l, HB_LEAVING);  /* with the old key, so the others move our VIPs now */
		send_all(l, HB_LEAVING);
		l2_hb_drop_key(l->hb);
		liveness_free(l->lv);
		l->lv = NULL;
		free(l->peers);
		l->peers = NULL;
		evtimer_del(l->tx);
		evtimer_del(l->deadline);
	}
	apply_nodes(l, c);
	apply_vips(l, p);
	if (key && !had_key)
		send_all(l, HB_ALIVE);  /* the others hear of this speaker now, not an interval later */
	if (l->lv)
		l->lv_gen = liveness_generation(l->lv);
	arm_deadline(l);
}

/* ---- life cycle ---- */

struct l2 *l2_new(struct event_base *base, const char *node, const struct l2_options *opt)
{
	struct l2 *l = xcalloc(1, sizeof(*l));
	l->node = xstrdup(node);
	l->opt = *opt;
	if (!l->opt.interval_ms)
		l->opt.interval_ms = L2_DEFAULT_INTERVAL_MS;
	if (l->opt.interval_ms < L2_MIN_INTERVAL_MS)
		l->opt.interval_ms = L2_MIN_INTERVAL_MS;
	if (l->opt.interval_ms > L2_MAX_INTERVAL_MS)
		l->opt.interval_ms = L2_MAX_INTERVAL_MS;
	if (!l->opt.detect_mult)
		l->opt.detect_mult = L2_DEFAULT_DETECT_MULT;
	if (l->opt.detect_mult < 2)
		l->opt.detect_mult = 2;
	if (l->opt.detect_mult > HB_MAX_DETECT_MULT)
		l->opt.detect_mult = HB_MAX_DETECT_MULT;
	if (!l->opt.port)
		l->opt.port = L2_DEFAULT_PORT;
	l->rng = wall_us() | 1;
	rate_limit_init(&l->log_rl, 1, 5, mono_ms());
	metric_hist_init(&l->failover_hist, failover_buckets, sizeof(failover_buckets) / sizeof(failover_buckets[0]));
	metric_hist_init(&l->gap_hist, gap_buckets, sizeof(gap_buckets) / sizeof(gap_buckets[0]));
	l->hb = l2_hb_new(base, l->opt.port, on_heartbeat, on_heartbeats_done, l);
	if (!l->hb)
		goto fail;
	l2_hb_set_key_grace(l->hb, l->opt.key_grace_ms);
	l->resp = l2_responder_new(base, &l->opt.responder);
	if (!l->resp)
		goto fail;
	l->tx = evtimer_new(base, on_tx, l);
	l->deadline = evtimer_new(base, on_deadline, l);
	l->handover = evtimer_new(base, on_handover, l);
	l->again = evtimer_new(base, on_again, l);
	if (!l->tx || !l->deadline || !l->handover || !l->again) {
		log_error("l2", "cannot create the L2 timers");
		goto fail;
	}
	log_info("l2", "heartbeats every %u ms on UDP port %u, a speaker is down after %u missed", l->opt.interval_ms,
		 l->opt.port, l->opt.detect_mult);
	return l;
fail:
	log_error("l2", "L2 mode is off on this node");
	l2_free(l);
	return NULL;
}

void l2_free(struct l2 *l)
{
	if (!l)
		return;
	/* Leaving, twice (a datagram may be lost): the others take over now, not after detection. */
	if (l->hb) {
		send_all(l, HB_LEAVING);
		send_all(l, HB_LEAVING);
	}
	if (l->resp) {
		l2_responder_set(l->resp, NULL, 0);
		l2_responder_free(l->resp);
	}
	if (l->tx)
		event_free(l->tx);
	if (l->deadline)
		event_free(l->deadline);
	if (l->handover)
		event_free(l->handover);
	if (l->again)
		event_free(l->again);
	l2_hb_free(l->hb);
	liveness_free(l->lv);
	for (size_t i = 0; i < l->nvips; i++)
		vip_free(&l->vips[i]);
	free(l->vips);
	free(l->peers);
	free(l->node);
	free(l);
}

/* ---- status ---- */

struct walk_ctx {
	const struct ipaddr *ip;
	json_t *ifaces;
};

static void walk_one(const struct ipaddr *ip, const char *ifname, double since, void *arg)
{
	(void)since;
	struct walk_ctx *w = arg;
	if (ipaddr_eq(ip, w->ip))
		json_array_append_new(w->ifaces, json_string(ifname));
}

void l2_responder_totals(const struct l2 *l, struct l2_responder_stats *out)
{
	memset(out, 0, sizeof *out);
	if (l->resp)
		l2_responder_stats(l->resp, out);
}

void l2_vip_counters(const struct l2 *l,
		     void (*fn)(const struct ipaddr *ip, const struct l2_vip_counters *n, void *arg), void *arg)
{
	if (l->resp)
		l2_responder_vip_counters(l->resp, fn, arg);
}

void l2_takeover_stats(const struct l2 *l, struct l2_takeover_stats *out)
{
	out->failovers = l->failovers;
	out->late_wakeups = l->late_wakeups;
	out->failover_seconds = &l->failover_hist;
	out->heartbeat_gap_seconds = &l->gap_hist;
	out->peers_up = 0;
	for (size_t i = 0; l->lv && i < liveness_npeers(l->lv); i++)
		out->peers_up += liveness_peer(l->lv, i)->state == LV_UP;
}

json_t *l2_status(const struct l2 *l)
{
	json_t *vips = json_array(), *speakers = json_array();
	uint64_t now = mono_ms();
	for (size_t i = 0; i < l->nvips; i++) {
		const struct l2_vip *v = &l->vips[i];
		char ip[IPADDR_STRLEN];
		ipaddr_format(&v->ip, ip);
		struct walk_ctx w = {&v->ip, json_array()};
		if (v->claimed)
			l2_responder_walk(l->resp, walk_one, &w);
		json_array_append_new(vips, json_pack("{s:s, s:o, s:b, s:o, s:f}", "ip", ip, "owner",
						      v->owner ? json_string(v->owner) : json_null(), "here",
						      v->claimed, "interfaces", w.ifaces, "since", v->since));
	}
	for (size_t i = 0; l->lv && i < liveness_npeers(l->lv); i++) {
		const struct lv_peer *p = liveness_peer(l->lv, i);
		static const char *const rel[] = {"ignore", "rank"};
		json_array_append_new(
			speakers,
			json_pack("{s:s, s:s, s:b, s:s, s:s, s:i, s:o}", "node", p->name, "state", lv_state_name(p->state),
				  "ready", p->ready, "relation", rel[p->rel], "sees_this_node", hb_view_name(p->sees_us),
				  "speakers_up", (int)p->nup, "last_heard_ms",
				  p->heard_ever ? json_integer((json_int_t)(now - p->last_ms)) : json_null()));
	}
	struct l2_hb_stats hs;
	l2_hb_stats(l->hb, &hs);
	return json_pack("{s:s, s:b, s:I, s:b, s:s, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}}", "node", l->node,
			 "key", l->lv != NULL, "previous_key_ms", (json_int_t)l2_hb_key_grace_left(l->hb), "ready",
			 l->lv ? liveness_ready(l->lv) : false, "waiting_for", l->lv ? liveness_why(l->lv) : "memberlist key",
			 "vips", vips, "speakers", speakers, "heartbeats", "sent", (json_int_t)hs.sent, "send_errors",
			 (json_int_t)hs.send_errors, "accepted", (json_int_t)l->rx_ok, "accepted_previous_key",
			 (json_int_t)l->rx_ok_prev_key, "duplicates", (json_int_t)l->rx_dup, "dropped",
			 (json_int_t)(hs.dropped + l->rx_bad), "late_wakeups", (json_int_t)l->late_wakeups);
}
