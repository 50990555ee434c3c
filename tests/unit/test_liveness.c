/*
 * Liveness between L2 speakers with a fake clock: a small cluster simulated
 * millisecond by millisecond, every heartbeat encoded, MACed and decoded as
 * on the wire, timers run only when liveness_next_deadline() says so (as
 * speaker/l2.c runs them), triggered heartbeats after every change. The
 * tests kill, stop, restart, cut and flap nodes and check who claims which
 * VIP against the owner rule, and that no VIP is ever claimed by two speakers
 * that hear each other for longer than a message's flight.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heartbeat.h"
#include "liveness.h"
#include "log.h"
#include "owner.h"

#define MAXN 4
#define NV 60
#define QMAX 4096
#define WALL0 1700000000000ULL
#define IV 100
#define MULT 3
#define DETECT (IV * MULT)
#define HOLD (DETECT + IV)

static const uint8_t key[] = "sixteen+ bytes of shared secret!";

struct pending {
	int to;
	uint64_t at;
	size_t len;
	uint8_t buf[HB_MAX_LEN];
};

struct node {
	char name[16];
	struct liveness *lv;
	bool running;
	uint64_t next_tx, gen;
	uint64_t boot;
};

struct sim {
	uint64_t now;
	int n;
	unsigned delay;
	struct node nodes[MAXN];
	bool link[MAXN][MAXN];  /* i -> j delivers */
	struct pending q[QMAX];
	size_t nq;
	struct ipaddr vips[NV];
	struct owner_rank rank[NV][MAXN];  /* tag: node index */
	/* Observations */
	unsigned changes[NV];         /* times the set of claimers changed */
	uint64_t double_since[NV];    /* 0: not double-claimed by mutual hearers */
	uint64_t worst_double_ms;
	uint32_t claims_mask[NV];
};

static const struct lv_options opts = {.interval_ms = IV, .detect_mult = MULT};

static void node_start(struct sim *s, int i)
{
	struct node *n = &s->nodes[i];
	liveness_free(n->lv);
	n->boot = WALL0 * 1000 + s->now * 1000 + (uint64_t)i;  /* larger on every restart */
	n->lv = liveness_new(n->name, n->boot, &opts, s->now);
	const char *names[MAXN];
	for (int k = 0; k < s->n; k++)
		names[k] = s->nodes[k].name;
	liveness_set_peers(n->lv, names, (size_t)s->n, s->now);
	n->running = true;
	n->next_tx = s->now;  /* speaks at once, as l2_apply does */
	n->gen = liveness_generation(n->lv) - 1;
}

static void sim_init(struct sim *s, int n)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->delay = 1;
	for (int i = 0; i < n; i++) {
		snprintf(s->nodes[i].name, sizeof s->nodes[i].name, "node%d", i + 1);
		for (int j = 0; j < n; j++)
			s->link[i][j] = true;
	}
	for (int v = 0; v < NV; v++) {
		char t[32];
		snprintf(t, sizeof t, "192.0.2.%d", 100 + v);
		ipaddr_parse(t, strlen(t), &s->vips[v]);
		for (int k = 0; k < n; k++)
			s->rank[v][k] = (struct owner_rank){s->nodes[k].name, 0, owner_score(s->nodes[k].name, &s->vips[v]), k};
		owner_rank_sort(s->rank[v], (size_t)n);
	}
	for (int i = 0; i < n; i++)
		node_start(s, i);
}

static void sim_free(struct sim *s)
{
	for (int i = 0; i < s->n; i++)
		liveness_free(s->nodes[i].lv);
}

static int index_of(const struct sim *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->nodes[i].name, name) == 0)
			return i;
	return -1;
}

static void send_all(struct sim *s, int from, enum hb_state st)
{
	struct node *n = &s->nodes[from];
	for (size_t p = 0; p < liveness_npeers(n->lv); p++) {
		struct hb_msg m;
		liveness_message(n->lv, p, st, WALL0 + s->now, &m);
		int to = index_of(s, m.to);
		assert_true(to >= 0 && s->nq < QMAX);
		struct pending *q = &s->q[s->nq];
		q->len = hb_encode(&m, (struct hb_key){key, sizeof key - 1}, q->buf, sizeof q->buf);
		assert_true(q->len > 0);
		if (!s->link[from][to])
			continue;
		q->to = to;
		q->at = s->now + s->delay;
		s->nq++;
	}
}

/* What speaker/l2.c does after anything that may change the state. */
static void settle(struct sim *s, int i)
{
	struct node *n = &s->nodes[i];
	if (liveness_generation(n->lv) != n->gen) {
		n->gen = liveness_generation(n->lv);
		send_all(s, i, HB_ALIVE);
	}
}

/* Does node i claim VIP v? The eligible nodes are all the nodes. */
static bool claims(const struct sim *s, int i, int v)
{
	const struct node *n = &s->nodes[i];
	if (!n->running)
		return false;
	struct owner_rank r[MAXN];
	for (int k = 0; k < s->n; k++) {
		r[k] = s->rank[v][k];
		r[k].tag = r[k].tag == i ? LV_TAG_SELF : (int)liveness_find(n->lv, r[k].node);
	}
	bool claim;
	liveness_decide(n->lv, r, (size_t)s->n, &claim);
	return claim;
}

/* The owner by the rule over the given set of nodes. */
static int rule_owner(const struct sim *s, int v, uint32_t set)
{
	for (int k = 0; k < s->n; k++)
		if (set & (1u << s->rank[v][k].tag))
			return s->rank[v][k].tag;
	return -1;
}

static bool mutual(const struct sim *s, int a, int b)
{
	return s->link[a][b] && s->link[b][a];
}

static void observe(struct sim *s)
{
	for (int v = 0; v < NV; v++) {
		uint32_t mask = 0;
		for (int i = 0; i < s->n; i++)
			if (claims(s, i, v))
				mask |= 1u << i;
		if (mask != s->claims_mask[v]) {
			s->changes[v]++;
			s->claims_mask[v] = mask;
		}
		bool dbl = false;
		for (int a = 0; a < s->n; a++)
			for (int b = a + 1; b < s->n; b++)
				dbl |= (mask & (1u << a)) && (mask & (1u << b)) && mutual(s, a, b);
		if (dbl && !s->double_since[v])
			s->double_since[v] = s->now ? s->now : 1;
		if (dbl && s->now - s->double_since[v] > s->worst_double_ms)
			s->worst_double_ms = s->now - s->double_since[v];
		if (!dbl)
			s->double_since[v] = 0;
	}
}

static void step(struct sim *s)
{
	s->now++;
	/* Deliver what is due. */
	size_t k = 0;
	for (size_t i = 0; i < s->nq; i++) {
		struct pending *q = &s->q[i];
		if (q->at > s->now) {
			s->q[k++] = *q;
			continue;
		}
		struct node *n = &s->nodes[q->to];
		if (!n->running)
			continue;
		struct hb_msg m;
		struct hb_key kk = {key, sizeof key - 1};
		assert_int_equal(hb_decode(q->buf, q->len, &kk, 1, &m, NULL), HB_OK);
		enum lv_verdict vd = liveness_receive(n->lv, &m, 0, s->now, WALL0 + s->now);
		assert_true(vd == LV_ACCEPTED || vd == LV_STALE);
		settle(s, q->to);
	}
	s->nq = k;
	for (int i = 0; i < s->n; i++) {
		struct node *n = &s->nodes[i];
		if (!n->running)
			continue;
		if (liveness_next_deadline(n->lv) <= s->now) {
			liveness_poll(n->lv, s->now);
			/* The deadline must have moved on. */
			assert_true(liveness_next_deadline(n->lv) > s->now);
		}
		settle(s, i);
		if (s->now >= n->next_tx) {
			send_all(s, i, HB_ALIVE);
			n->next_tx = s->now + IV;
		}
	}
	observe(s);
}

static void run(struct sim *s, uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t++)
		step(s);
}

static uint32_t running_set(const struct sim *s)
{
	uint32_t m = 0;
	for (int i = 0; i < s->n; i++)
		if (s->nodes[i].running)
			m |= 1u << i;
	return m;
}

/* Every VIP claimed by exactly the rule's owner over the set. */
static void assert_rule_holds(const struct sim *s, uint32_t set)
{
	for (int v = 0; v < NV; v++) {
		int want = rule_owner(s, v, set);
		if (s->claims_mask[v] != (1u << want))
			fail_msg("t=%llu VIP %d: claimed by mask %#x, rule says node%d", (unsigned long long)s->now, v,
				 s->claims_mask[v], want + 1);
	}
}

static void reset_counts(struct sim *s)
{
	memset(s->changes, 0, sizeof s->changes);
	s->worst_double_ms = 0;
}

/* ---- tests ---- */

static void test_cold_start_hold_then_rule(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, 3);
	/* Nobody claims anything during the startup hold. */
	for (int t = 0; t < HOLD - 1; t++) {
		step(&s);
		for (int v = 0; v < NV; v++)
			assert_int_equal(s.claims_mask[v], 0);
	}
	run(&s, 200);
	for (int i = 0; i < 3; i++)
		assert_true(liveness_ready(s.nodes[i].lv));
	assert_rule_holds(&s, 7);
	/* And it stays so: nothing moves over 5 s of steady heartbeats. */
	reset_counts(&s);
	run(&s, 5000);
	for (int v = 0; v < NV; v++)
		assert_int_equal(s.changes[v], 0);
	assert_rule_holds(&s, 7);
	sim_free(&s);
}

/* Time from the kill until the owner's VIPs are claimed again. */
static void test_kill_detected_within_detection_time(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, 3);
	run(&s, 1000);
	int victim = rule_owner(&s, 0, 7);
	run(&s, (uint64_t)(37 + victim * 11));  /* somewhere inside an interval */
	uint64_t t0 = s.now;
	s.nodes[victim].running = false;
	uint64_t back = 0;
	for (int t = 0; t < 1000 && !back; t++) {
		step(&s);
		if (s.claims_mask[0])
			back = s.now;
	}
	uint64_t took = back - t0;
	printf("owner node%d killed: VIP claimed again after %llu ms (detection time %d ms)\n", victim + 1,
	       (unsigned long long)took, DETECT);
	assert_true(back && took <= DETECT + 2 && took > DETECT - IV);
	run(&s, 50);
	assert_rule_holds(&s, running_set(&s));
	const struct lv_peer *p = liveness_peer(s.nodes[(victim + 1) % 3].lv,
						 (size_t)liveness_find(s.nodes[(victim + 1) % 3].lv, s.nodes[victim].name));
	assert_int_equal(p->state, LV_DOWN);
	assert_int_equal(p->cause, LV_CAUSE_TIMEOUT);
	assert_int_equal(s.worst_double_ms, 0);
	sim_free(&s);
}

static void test_clean_stop_moves_at_once(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, 3);
	run(&s, 1000);
	int victim = rule_owner(&s, 0, 7);
	send_all(&s, victim, HB_LEAVING);
	s.nodes[victim].running = false;
	uint64_t t0 = s.now;
	do
		step(&s);
	while (s.claims_mask[0] != 1u << rule_owner(&s, 0, running_set(&s)) && s.now < t0 + 1000);
	printf("owner node%d stopped cleanly: VIP claimed again after %llu ms\n", victim + 1,
	       (unsigned long long)(s.now - t0));
	assert_true(s.now - t0 <= s.delay + 1);
	assert_rule_holds(&s, running_set(&s));
	sim_free(&s);
}

/* A killed node restarts: it waits out its hold, then takes back exactly its VIPs, each once. */
static void test_restart_takes_back_only_its_own(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, 3);
	run(&s, 1000);
	int victim = 1;
	s.nodes[victim].running = false;
	s.nq = 0;
	run(&s, 1000);
	assert_rule_holds(&s, 5);
	reset_counts(&s);
	uint64_t t0 = s.now;
	node_start(&s, victim);
	uint64_t first_claim = 0;
	for (int t = 0; t < 3000; t++) {
		step(&s);
		for (int v = 0; v < NV && !first_claim; v++)
			if (s.claims_mask[v] & (1u << victim))
				first_claim = s.now;
	}
	const struct lv_peer *seen = liveness_peer(s.nodes[0].lv, (size_t)liveness_find(s.nodes[0].lv, "node2"));
	assert_false(seen->returned);  /* a new boot: it claimed nothing while unheard */
	printf("restarted node2 claims its first VIP %llu ms after starting (hold %d ms)\n",
	       (unsigned long long)(first_claim - t0), HOLD);
	assert_true(first_claim - t0 >= HOLD);
	assert_rule_holds(&s, 7);
	for (int v = 0; v < NV; v++)
		if (rule_owner(&s, v, 7) == victim)
			assert_true(s.changes[v] >= 1 && s.changes[v] <= 2);  /* handed over, maybe via a double of flight time */
		else
			assert_int_equal(s.changes[v], 0);
	printf("  longest double claim: %llu ms\n", (unsigned long long)s.worst_double_ms);
	assert_true(s.worst_double_ms <= 2 * s.delay);
	sim_free(&s);
}

/* The owner's link goes down for 2 s and comes back: its VIPs move away once and come back once. */
static void test_link_down_and_back_no_flap(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, 3);
	run(&s, 1000);
	int victim = rule_owner(&s, 0, 7);
	for (int k = 0; k < 3; k++)
		s.link[victim][k] = s.link[k][victim] = k == victim;
	run(&s, 2000);
	/* Cut off, it claims everything on its side; the others share everything on theirs. */
	uint32_t others = 7 & ~(1u << victim);
	for (int v = 0; v < NV; v++)
		assert_int_equal(s.claims_mask[v] & others, 1u << rule_owner(&s, v, others));
	reset_counts(&s);
	for (int k = 0; k < 3; k++)
		s.link[victim][k] = s.link[k][victim] = true;
	uint64_t t0 = s.now, back = 0;
	for (int t = 0; t < 3000; t++) {
		step(&s);
		if (!back && s.claims_mask[0] == 1u << victim && liveness_ready(s.nodes[victim].lv))
			back = s.now;
	}
	/* The others know it kept running unheard (same boot): they announce their VIPs again. */
	const struct lv_peer *seen = liveness_peer(s.nodes[(victim + 1) % 3].lv,
						    (size_t)liveness_find(s.nodes[(victim + 1) % 3].lv, s.nodes[victim].name));
	assert_true(seen->returned);
	printf("link of node%d back: its VIPs back after %llu ms; longest double claim %llu ms\n", victim + 1,
	       (unsigned long long)(back - t0), (unsigned long long)s.worst_double_ms);
	assert_rule_holds(&s, 7);
	assert_true(back - t0 >= DETECT);  /* counted live only after being heard for a while */
	for (int v = 0; v < NV; v++) {
		/* The others' VIPs: the cut-off node lets go of them at once, nothing else moves. */
		if (rule_owner(&s, v, 7) != victim)
			assert_int_equal(s.changes[v], 1);
		else
			assert_true(s.changes[v] <= 3);  /* let go by the victim, then back to it */
	}
	assert_true(s.worst_double_ms <= 2 * s.delay);
	sim_free(&s);
}

/*
 * A node whose link flaps (600 ms down, 900 ms up) gets its rise time doubled
 * each time: from the third cycle on its VIPs stay with the others, who serve
 * them without a gap, and it gets them back only once it stays.
 */
static void test_flapping_node_is_damped(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, 3);
	run(&s, 1000);
	int victim = rule_owner(&s, 0, 7);
	uint32_t others = 7 & ~(1u << victim);
	unsigned victim_claims = 0, gaps = 0;
	for (int cycle = 0; cycle < 6; cycle++) {
		for (int k = 0; k < 3; k++)
			s.link[victim][k] = s.link[k][victim] = k == victim;
		run(&s, 600);
		for (int k = 0; k < 3; k++)
			s.link[victim][k] = s.link[k][victim] = true;
		for (int t = 0; t < 900; t++) {
			step(&s);
			if (cycle < 2)
				continue;
			/* Cut off it claimed everything; an interval after the link is back it has let go. */
			if (t > IV + 2 * (int)s.delay && (s.claims_mask[0] & (1u << victim)))
				victim_claims++;
			if (!(s.claims_mask[0] & others))
				gaps++;
		}
	}
	const struct lv_peer *p = liveness_peer(s.nodes[(victim + 1) % 3].lv,
						 (size_t)liveness_find(s.nodes[(victim + 1) % 3].lv, s.nodes[victim].name));
	printf("flapping node%d: flaps %u, rise now %llu ms\n", victim + 1, p->flaps, (unsigned long long)p->rise_ms);
	assert_true(p->flaps >= 2);
	assert_int_equal(victim_claims, 0);
	assert_int_equal(gaps, 0);
	/* Once it stays, it gets them back. */
	run(&s, 12000);
	assert_rule_holds(&s, 7);
	sim_free(&s);
}

/* Two nodes cut apart and joined again settle on the rule at once. */
static void test_two_nodes_partition_heals(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, 2);
	run(&s, 1000);
	assert_rule_holds(&s, 3);
	s.link[0][1] = s.link[1][0] = false;
	run(&s, 1000);
	for (int v = 0; v < NV; v++)
		assert_int_equal(s.claims_mask[v], 3);  /* each alone claims all: they cannot know better */
	s.link[0][1] = s.link[1][0] = true;
	reset_counts(&s);
	run(&s, 10);
	assert_true(s.worst_double_ms <= 2 * s.delay);
	run(&s, 2000);
	assert_rule_holds(&s, 3);
	sim_free(&s);
}

/* node1 -> node2 broken (node2 does not hear node1): node1 steps back, no VIP has two claimers. */
static void test_one_way_break(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, 3);
	run(&s, 1000);
	s.link[0][1] = false;
	reset_counts(&s);
	run(&s, 2000);
	assert_false(liveness_ready(s.nodes[0].lv));
	printf("one-way break: node1 says \"%s\"\n", liveness_why(s.nodes[0].lv));
	for (int v = 0; v < NV; v++)
		assert_int_equal(s.claims_mask[v], 1u << rule_owner(&s, v, 6));
	/* A double claim can only last until node2's detection time ends. */
	printf("  longest double claim between node1 and node3 (who hear each other): %llu ms\n",
	       (unsigned long long)s.worst_double_ms);
	s.link[0][1] = true;
	run(&s, 2000);
	assert_rule_holds(&s, 7);
	sim_free(&s);
}

/*
 * Random kills, restarts, clean stops, cuts, one-way breaks and heals among
 * four nodes with 1-3 ms flight times: two speakers that hear each other
 * never both claim a VIP for longer than one interval plus flight times (the
 * time to hear each other after a partition heals), and once everything is
 * healed and has stayed so, every VIP is claimed by exactly the rule's owner.
 */
static void test_random_soak(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, 4);
	unsigned seed = getenv("SOAK_SEED") ? (unsigned)strtoul(getenv("SOAK_SEED"), NULL, 10) : 20240611;
	run(&s, 1000);
	for (int ev = 0; ev < 120; ev++) {
		int a = (int)(rand_r(&seed) % 4), b = (int)(rand_r(&seed) % 4);
		s.delay = 1 + rand_r(&seed) % 3;
		switch (rand_r(&seed) % 7) {
		case 0:
			s.nodes[a].running = false;
			break;
		case 1:
			if (!s.nodes[a].running)
				node_start(&s, a);
			break;
		case 2:
			if (s.nodes[a].running) {
				send_all(&s, a, HB_LEAVING);
				s.nodes[a].running = false;
			}
			break;
		case 3:
			for (int k = 0; k < 4; k++)
				s.link[a][k] = s.link[k][a] = k == a;
			break;
		case 4:
			if (a != b)
				s.link[a][b] = false;
			break;
		default:
			for (int k = 0; k < 4; k++)
				s.link[a][k] = s.link[k][a] = true;
			break;
		}
		run(&s, 200 + rand_r(&seed) % 1300);
	}
	printf("soak: longest double claim between speakers that hear each other: %llu ms\n",
	       (unsigned long long)s.worst_double_ms);
	assert_true(s.worst_double_ms <= IV + 3 * 3);
	for (int i = 0; i < 4; i++) {
		for (int k = 0; k < 4; k++)
			s.link[i][k] = true;
		if (!s.nodes[i].running)
			node_start(&s, i);
	}
	run(&s, 20000);
	assert_rule_holds(&s, 15);
	sim_free(&s);
}

/* ---- the receive checks, one message at a time ---- */

static void test_replay_skew_and_strangers_refused(void **state)
{
	(void)state;
	struct liveness *a = liveness_new("a", 1000, &opts, 0), *b = liveness_new("b", 2000, &opts, 0);
	const char *names[] = {"a", "b"};
	liveness_set_peers(a, names, 2, 0);
	liveness_set_peers(b, names, 2, 0);
	struct hb_msg m, first;
	liveness_message(b, 0, HB_ALIVE, WALL0, &first);
	assert_int_equal(liveness_receive(a, &first, 0, 1, WALL0), LV_ACCEPTED);
	/* The same message again (a copy to another address of ours), then an older one: a replay. */
	assert_int_equal(liveness_receive(a, &first, 0, 2, WALL0), LV_DUPLICATE);
	liveness_message(b, 0, HB_ALIVE, WALL0, &m);
	struct hb_msg second = m;
	assert_int_equal(liveness_receive(a, &m, 0, 3, WALL0), LV_ACCEPTED);
	assert_int_equal(liveness_receive(a, &first, 0, 4, WALL0), LV_DUPLICATE);  /* late, never applied */
	for (int k = 0; k < LV_LATE_WINDOW; k++)
		liveness_message(b, 0, HB_ALIVE, WALL0, &m);
	assert_int_equal(liveness_receive(a, &m, 0, 4, WALL0), LV_ACCEPTED);
	assert_int_equal(liveness_receive(a, &first, 0, 4, WALL0), LV_REPLAY);     /* too far behind */
	/* A recording from an earlier boot while the peer is heard: refused. */
	struct hb_msg old = second;
	old.boot = 1999, old.seq = 1000;
	assert_int_equal(liveness_receive(a, &old, 0, 5, WALL0), LV_REPLAY);
	/* Too far from our clock, either way. */
	liveness_message(b, 0, HB_ALIVE, WALL0 - LV_DEFAULT_MAX_SKEW_MS - 1, &m);
	assert_int_equal(liveness_receive(a, &m, 0, 6, WALL0), LV_SKEW);
	liveness_message(b, 0, HB_ALIVE, WALL0 + LV_DEFAULT_MAX_SKEW_MS + 1, &m);
	assert_int_equal(liveness_receive(a, &m, 0, 6, WALL0), LV_SKEW);
	/* Not for us, from us, from a stranger. */
	liveness_message(b, 0, HB_ALIVE, WALL0, &m);
	strcpy(m.to, "c");
	assert_int_equal(liveness_receive(a, &m, 0, 7, WALL0), LV_NOT_FOR_US);
	strcpy(m.to, "a"), strcpy(m.from, "a");
	assert_int_equal(liveness_receive(a, &m, 0, 7, WALL0), LV_FROM_US);
	strcpy(m.from, "mallory");
	assert_int_equal(liveness_receive(a, &m, 0, 7, WALL0), LV_UNKNOWN);
	/* Leaving: down at once; the same boot's later messages are stale; a new boot rises again. */
	liveness_message(b, 0, HB_LEAVING, WALL0, &m);
	assert_int_equal(liveness_receive(a, &m, 0, 8, WALL0), LV_ACCEPTED);
	assert_int_equal(liveness_peer(a, 0)->state, LV_LEFT);
	liveness_message(b, 0, HB_ALIVE, WALL0, &m);
	assert_int_equal(liveness_receive(a, &m, 0, 9, WALL0), LV_STALE);
	struct liveness *b2 = liveness_new("b", 3000, &opts, 10);
	liveness_set_peers(b2, names, 2, 10);
	liveness_message(b2, 0, HB_ALIVE, WALL0, &m);
	assert_int_equal(liveness_receive(a, &m, 0, 10, WALL0), LV_ACCEPTED);
	assert_int_equal(liveness_peer(a, 0)->state, LV_RISING);
	/* Once it is down, a smaller boot id is taken (its clock went back). */
	liveness_poll(a, 10 + DETECT);
	assert_int_equal(liveness_peer(a, 0)->state, LV_DOWN);
	old.seq = 1;
	assert_int_equal(liveness_receive(a, &old, 0, 11 + DETECT, WALL0), LV_ACCEPTED);
	liveness_free(a);
	liveness_free(b);
	liveness_free(b2);
}

/* ---- the set of peers follows the Nodes ---- */

/* The peer list as "name:state" words, in order. */
static void peers_are(const struct liveness *l, const char *want)
{
	char got[256] = "";
	for (size_t i = 0; i < liveness_npeers(l); i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s:%s", i ? " " : "",
			 liveness_peer(l, i)->name, lv_state_name(liveness_peer(l, i)->state));
	assert_string_equal(got, want);
}

static void test_peers_come_and_go(void **state)
{
	(void)state;
	struct liveness *a = liveness_new("a", 1000, &opts, 0), *b = liveness_new("b", 2000, &opts, 0);
	const char *ab[] = {"a", "b"}, *abc[] = {"a", "b", "c"}, *ac[] = {"a", "c"}, *bcd[] = {"a", "b", "c", "d"};
	liveness_set_peers(a, ab, 2, 0);
	liveness_set_peers(b, ab, 2, 0);
	struct hb_msg m;
	liveness_message(b, 0, HB_ALIVE, WALL0, &m);
	assert_int_equal(liveness_receive(a, &m, 0, 1, WALL0), LV_ACCEPTED);
	peers_are(a, "b:rising");
	/* A Node added after a known one (issue 17's walk, seed 2: the search met a moved entry). */
	liveness_set_peers(a, abc, 3, 2);
	peers_are(a, "b:rising c:down");
	liveness_set_peers(a, ac, 2, 3);
	peers_are(a, "c:down");
	liveness_set_peers(a, bcd, 4, 4);
	peers_are(a, "b:down c:down d:down");
	liveness_set_peers(a, abc, 3, 5);
	peers_are(a, "b:down c:down");
	liveness_free(a);
	liveness_free(b);
}

int main(void)
{
	log_set_level(LOG_WARN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cold_start_hold_then_rule),
		cmocka_unit_test(test_kill_detected_within_detection_time),
		cmocka_unit_test(test_clean_stop_moves_at_once),
		cmocka_unit_test(test_restart_takes_back_only_its_own),
		cmocka_unit_test(test_link_down_and_back_no_flap),
		cmocka_unit_test(test_flapping_node_is_damped),
		cmocka_unit_test(test_two_nodes_partition_heals),
		cmocka_unit_test(test_one_way_break),
		cmocka_unit_test(test_random_soak),
		cmocka_unit_test(test_replay_skew_and_strangers_refused),
		cmocka_unit_test(test_peers_come_and_go),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
