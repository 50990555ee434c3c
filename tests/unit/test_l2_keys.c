/*
 * Memberlist key rotation (speaker/l2_keys.h) with a fake clock: the key ring
 * alone, then a cluster simulated millisecond by millisecond as in
 * test_liveness.c, every heartbeat MACed with the keys l2_keys_sending() gives
 * and checked with the keys l2_keys_accepting() gives, as speaker/l2_hb.c
 * does. The speakers load the new key at different times (the sender first,
 * a receiver first, all at once, one nearly a grace late): no speaker ever
 * sees another go down. After the grace a speaker still on the old key is
 * refused, and so is a heartbeat under neither key. The same simulation with
 * senders that switch to the new key at once does fail over: the test can
 * tell.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "heartbeat.h"
#include "l2_keys.h"
#include "liveness.h"

#define MAXN 3
#define QMAX 4096
#define WALL0 1700000000000ULL
#define IV 100
#define MULT 3
#define DETECT (IV * MULT)
#define WARMUP 1000
#define G L2_KEYS_GRACE_MS

static const uint8_t k_old[] = "the old memberlist key, 32 bytes";
static const uint8_t k_new[] = "the new memberlist key, 32 bytes";
static const uint8_t k_forged[] = "nobody's memberlist key, 32 byte";

/* ---- the key ring alone ---- */

static struct l2_keys ring_with(const uint8_t *p, uint64_t now)
{
	struct l2_keys k = {0};
	assert_int_equal(l2_keys_set(&k, p, 32, now), L2_KEYS_FIRST);
	return k;
}

static void test_ring_first_same_rotated(void **state)
{
	(void)state;
	struct l2_keys k = ring_with(k_old, 10);
	struct hb_key out[L2_KEYS_MAX];
	uint64_t ids[L2_KEYS_MAX];
	uint64_t id_old = l2_keys_current_id(&k);
	assert_int_not_equal(id_old, L2_KEYS_NONE);
	assert_int_equal(l2_keys_set(&k, k_old, 32, 20), L2_KEYS_SAME);
	assert_int_equal(l2_keys_accepting(&k, 20, out, ids), 1);
	assert_int_equal(l2_keys_sending(&k, L2_KEYS_NONE, 20, out), 1);
	assert_int_equal(l2_keys_grace_left(&k, 20), 0);

	assert_int_equal(l2_keys_set(&k, k_new, 32, 1000), L2_KEYS_ROTATED);
	uint64_t id_new = l2_keys_current_id(&k);
	assert_true(id_new != id_old && id_new != L2_KEYS_NONE);
	assert_int_equal(l2_keys_grace_left(&k, 1000), G);
	/* Accepted: the new key first, then the old one, with their ids. */
	assert_int_equal(l2_keys_accepting(&k, 1000, out, ids), 2);
	assert_memory_equal(out[0].p, k_new, 32);
	assert_memory_equal(out[1].p, k_old, 32);
	assert_int_equal(ids[0], id_new);
	assert_int_equal(ids[1], id_old);
	/* Sent: under both to a peer last heard with the old key or never, under the new one alone else. */
	assert_int_equal(l2_keys_sending(&k, id_old, 1000, out), 2);
	assert_memory_equal(out[0].p, k_new, 32);
	assert_memory_equal(out[1].p, k_old, 32);
	assert_int_equal(l2_keys_sending(&k, L2_KEYS_NONE, 1000, out), 2);
	assert_int_equal(l2_keys_sending(&k, id_new, 1000, out), 1);
	assert_memory_equal(out[0].p, k_new, 32);

	/* The last millisecond of the grace, then the end: the old key is neither accepted nor used. */
	assert_false(l2_keys_expire(&k, 1000 + G - 1));
	assert_int_equal(l2_keys_accepting(&k, 1000 + G - 1, out, ids), 2);
	assert_int_equal(l2_keys_accepting(&k, 1000 + G, out, ids), 1);
	assert_int_equal(l2_keys_sending(&k, id_old, 1000 + G, out), 1);
	assert_memory_equal(out[0].p, k_new, 32);
	assert_true(l2_keys_expire(&k, 1000 + G));
	assert_false(l2_keys_expire(&k, 1000 + G + 1));  /* said once */
	assert_null(k.prev.p);
	assert_int_equal(l2_keys_grace_left(&k, 1000 + G), 0);
	l2_keys_clear(&k);
	assert_false(l2_keys_have(&k));
	assert_int_equal(l2_keys_accepting(&k, 0, out, ids), 0);
	assert_int_equal(l2_keys_sending(&k, id_new, 0, out), 0);
}

static void test_ring_second_rotation_retires_oldest(void **state)
{
	(void)state;
	struct l2_keys k = ring_with(k_old, 0);
	struct hb_key out[L2_KEYS_MAX];
	uint64_t ids[L2_KEYS_MAX];
	assert_int_equal(l2_keys_set(&k, k_new, 32, 1000), L2_KEYS_ROTATED);
	assert_int_equal(l2_keys_set(&k, k_forged, 32, 2000), L2_KEYS_ROTATED);
	assert_int_equal(l2_keys_accepting(&k, 2000, out, ids), 2);
	assert_memory_equal(out[0].p, k_forged, 32);
	assert_memory_equal(out[1].p, k_new, 32);
	/* The grace counts from the second rotation; ids are never reused, even for a key taken back. */
	assert_int_equal(l2_keys_grace_left(&k, 2000), G);
	uint64_t before = l2_keys_current_id(&k);
	assert_int_equal(l2_keys_set(&k, k_new, 32, 3000), L2_KEYS_ROTATED);
	assert_true(l2_keys_current_id(&k) > before);
	l2_keys_clear(&k);
}

/* ---- a cluster ---- */

enum policy {
	POLICY_L2_KEYS,       /* what speaker/l2_hb.c does */
	POLICY_CURRENT_ONLY,  /* a sender switches to the new key at once (receivers accept both) */
};

struct pending {
	int from, to;
	uint64_t at;
	bool old_key;
	size_t len;
	uint8_t buf[HB_MAX_LEN];
};

struct node {
	char name[16];
	struct liveness *lv;
	struct l2_keys keys;
	uint64_t next_tx, gen;
	uint64_t rotate_at;  /* when it loads the new key; UINT64_MAX: never */
};

struct sim {
	uint64_t now;
	int n;
	enum policy policy;
	struct node nodes[MAXN];
	struct pending q[QMAX];
	size_t nq;
	/* Observations after WARMUP */
	unsigned downs;               /* a peer seen leaving "up" */
	uint64_t first_down_at;
	int first_down_by, first_down_of;
	uint64_t down_at[MAXN][MAXN]; /* when i first saw j leave "up"; 0: never */
	unsigned refused[MAXN];       /* datagrams that failed authentication at i */
	uint64_t last_old_sent;       /* the last datagram under the old key */
};

static const struct lv_options opts = {.interval_ms = IV, .detect_mult = MULT};

static int index_of(const struct sim *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->nodes[i].name, name) == 0)
			return i;
	return -1;
}

static void sim_init(struct sim *s, int n, enum policy policy, const uint64_t *rotate_at)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->policy = policy;
	const char *names[MAXN];
	for (int i = 0; i < n; i++)
		snprintf(s->nodes[i].name, sizeof s->nodes[i].name, "node%d", i + 1);
	for (int i = 0; i < n; i++)
		names[i] = s->nodes[i].name;
	for (int i = 0; i < n; i++) {
		struct node *d = &s->nodes[i];
		d->lv = liveness_new(d->name, WALL0 * 1000 + (uint64_t)i, &opts, 0);
		liveness_set_peers(d->lv, names, (size_t)n, 0);
		d->gen = liveness_generation(d->lv) - 1;
		d->next_tx = (uint64_t)i * 7;
		d->rotate_at = rotate_at[i];
		assert_int_equal(l2_keys_set(&d->keys, k_old, 32, 0), L2_KEYS_FIRST);
	}
}

static void sim_free(struct sim *s)
{
	for (int i = 0; i < s->n; i++) {
		liveness_free(s->nodes[i].lv);
		l2_keys_clear(&s->nodes[i].keys);
	}
}

static void enqueue(struct sim *s, int from, int to, const struct hb_msg *m, struct hb_key k)
{
	assert_true(s->nq < QMAX);
	struct pending *q = &s->q[s->nq++];
	q->from = from;
	q->to = to;
	q->at = s->now + 1;
	q->old_key = memcmp(k.p, k_old, 32) == 0;
	q->len = hb_encode(m, k, q->buf, sizeof q->buf);
	assert_true(q->len > 0);
	if (q->old_key)
		s->last_old_sent = s->now;
}

static void send_all(struct sim *s, int from, enum hb_state st)
{
	struct node *d = &s->nodes[from];
	for (size_t p = 0; p < liveness_npeers(d->lv); p++) {
		struct hb_msg m;
		liveness_message(d->lv, p, st, WALL0 + s->now, &m);
		int to = index_of(s, m.to);
		struct hb_key keys[L2_KEYS_MAX];
		size_t nk = l2_keys_sending(&d->keys, liveness_peer(d->lv, p)->key, s->now, keys);
		if (s->policy == POLICY_CURRENT_ONLY)
			nk = 1;
		for (size_t k = 0; k < nk; k++)
			enqueue(s, from, to, &m, keys[k]);
	}
}

static void settle(struct sim *s, int i)
{
	struct node *d = &s->nodes[i];
	if (liveness_generation(d->lv) != d->gen) {
		d->gen = liveness_generation(d->lv);
		send_all(s, i, HB_ALIVE);
	}
}

/* What speaker/l2_hb.c's on_rx and speaker/l2.c's on_heartbeat do with one datagram. */
static enum lv_verdict deliver(struct sim *s, const struct pending *q)
{
	struct node *d = &s->nodes[q->to];
	struct hb_key keys[L2_KEYS_MAX];
	uint64_t ids[L2_KEYS_MAX];
	size_t nk = l2_keys_accepting(&d->keys, s->now, keys, ids), which = 99;
	struct hb_msg m;
	enum hb_error e = hb_decode(q->buf, q->len, keys, nk, &m, &which);
	if (e == HB_E_MAC) {
		s->refused[q->to]++;
		return LV_REPLAY;  /* not a verdict liveness gave: refused before it */
	}
	assert_int_equal(e, HB_OK);
	assert_true(which < nk);
	enum lv_verdict vd = liveness_receive(d->lv, &m, ids[which], s->now, WALL0 + s->now);
	assert_true(vd == LV_ACCEPTED || vd == LV_DUPLICATE);
	settle(s, q->to);
	return vd;
}

static void observe(struct sim *s)
{
	if (s->now < WARMUP)
		return;
	for (int i = 0; i < s->n; i++)
		for (size_t p = 0; p < liveness_npeers(s->nodes[i].lv); p++) {
			const struct lv_peer *lp = liveness_peer(s->nodes[i].lv, p);
			int j = index_of(s, lp->name);
			if (lp->state == LV_UP || s->down_at[i][j])
				continue;
			s->down_at[i][j] = s->now;
			if (!s->downs++) {
				s->first_down_at = s->now;
				s->first_down_by = i;
				s->first_down_of = j;
			}
		}
}

static void step(struct sim *s)
{
	s->now++;
	size_t k = 0;
	for (size_t i = 0; i < s->nq; i++) {
		if (s->q[i].at > s->now)
			s->q[k++] = s->q[i];
		else
			deliver(s, &s->q[i]);
	}
	s->nq = k;
	for (int i = 0; i < s->n; i++) {
		struct node *d = &s->nodes[i];
		if (s->now == d->rotate_at)
			assert_int_equal(l2_keys_set(&d->keys, k_new, 32, s->now), L2_KEYS_ROTATED);
		l2_keys_expire(&d->keys, s->now);
		if (liveness_next_deadline(d->lv) <= s->now)
			liveness_poll(d->lv, s->now);
		settle(s, i);
		if (s->now >= d->next_tx) {
			send_all(s, i, HB_ALIVE);
			d->next_tx = s->now + IV;
		}
	}
	observe(s);
}

static void run_until(struct sim *s, uint64_t t)
{
	while (s->now < t)
		step(s);
}

static void assert_all_up(const struct sim *s)
{
	for (int i = 0; i < s->n; i++) {
		assert_true(liveness_ready(s->nodes[i].lv));
		for (size_t p = 0; p < liveness_npeers(s->nodes[i].lv); p++)
			assert_int_equal(liveness_peer(s->nodes[i].lv, p)->state, LV_UP);
	}
}

#define NEVER UINT64_MAX

/* When each node loads the new key (ms): sender first, receivers first, together, one nearly a grace late. */
static const uint64_t rotations[][MAXN] = {
	{2000, 5000, 3500},
	{5000, 2000, 2000},
	{2000, 2000, 2000},
	{2000, 2000 + G - 2 * IV, 30000},
	{2000, 2001, 2003},
};

static void test_rotation_nobody_goes_down(void **state)
{
	(void)state;
	static struct sim s;
	for (size_t r = 0; r < sizeof rotations / sizeof rotations[0]; r++) {
		sim_init(&s, MAXN, POLICY_L2_KEYS, rotations[r]);
		run_until(&s, WARMUP);
		assert_all_up(&s);
		uint64_t first = NEVER, last = 0;
		for (int i = 0; i < MAXN; i++) {
			first = rotations[r][i] < first ? rotations[r][i] : first;
			last = rotations[r][i] > last ? rotations[r][i] : last;
		}
		run_until(&s, first + G + 10 * IV);
		if (s.downs)
			fail_msg("rotation %zu: node%d saw node%d down at t=%llu", r, s.first_down_by + 1,
				 s.first_down_of + 1, (unsigned long long)s.first_down_at);
		assert_all_up(&s);
		/* The old key is out of use a few intervals after the last speaker loaded the new one. */
		printf("rotation %zu: the last heartbeat under the old key went %llu ms after the last node rotated\n", r,
		       (unsigned long long)(s.last_old_sent - last));
		assert_true(s.last_old_sent <= last + 2 * IV);
		/* And every speaker knows every other has the new key. */
		for (int i = 0; i < MAXN; i++)
			for (size_t p = 0; p < liveness_npeers(s.nodes[i].lv); p++)
				assert_int_equal(liveness_peer(s.nodes[i].lv, p)->key, l2_keys_current_id(&s.nodes[i].keys));
		sim_free(&s);
	}
}

/* node3 never loads the new key: trusted through the grace, refused after it, as with any wrong key. */
static void test_after_grace_old_key_refused(void **state)
{
	(void)state;
	static struct sim s;
	const uint64_t rot[MAXN] = {2000, 5000, NEVER};
	sim_init(&s, MAXN, POLICY_L2_KEYS, rot);
	run_until(&s, 2000 + G - 1);
	assert_int_equal(s.downs, 0);
	assert_all_up(&s);
	run_until(&s, 5000 + G + 2 * DETECT);
	/* node1 and node2 refuse node3 from the end of their own grace, and node3 hears neither any more. */
	for (int i = 0; i < 2; i++) {
		uint64_t end = rot[i] + G;
		printf("node%d saw node3 down %llu ms after its grace ended\n", i + 1,
		       (unsigned long long)(s.down_at[i][2] - end));
		assert_true(s.down_at[i][2] > end && s.down_at[i][2] <= end + DETECT + IV);
		assert_true(s.down_at[2][i] > end && s.down_at[2][i] <= end + DETECT + IV);
		assert_true(s.refused[i] > 0);
	}
	/* node1 and node2 keep hearing each other. */
	assert_int_equal(s.down_at[0][1], 0);
	assert_int_equal(s.down_at[1][0], 0);
	assert_int_equal(liveness_peer(s.nodes[0].lv, (size_t)liveness_find(s.nodes[0].lv, "node2"))->state, LV_UP);
	assert_int_equal(liveness_peer(s.nodes[0].lv, (size_t)liveness_find(s.nodes[0].lv, "node3"))->state, LV_DOWN);
	sim_free(&s);
}

/* A heartbeat under neither key is refused, during the grace and after; a replayed old-key one too. */
static void test_forged_and_replayed_refused(void **state)
{
	(void)state;
	static struct sim s;
	const uint64_t rot[MAXN] = {2000, NEVER, NEVER};
	sim_init(&s, MAXN, POLICY_L2_KEYS, rot);
	run_until(&s, 2000 + 10 * IV);
	/* A heartbeat node2 sent node1 under the old key, kept by an attacker. */
	struct pending rec = {0};
	struct hb_msg m;
	liveness_message(s.nodes[1].lv, (size_t)liveness_find(s.nodes[1].lv, "node1"), HB_ALIVE, WALL0 + s.now, &m);
	rec = (struct pending){.from = 1, .to = 0};
	rec.len = hb_encode(&m, (struct hb_key){k_old, 32}, rec.buf, sizeof rec.buf);
	assert_true(rec.len > 0);
	assert_int_equal(deliver(&s, &rec), LV_ACCEPTED);
	run_until(&s, s.now + 3 * IV);
	/* Played again within the grace: its key is still good, its sequence number is not. */
	assert_int_equal(deliver(&s, &rec), LV_DUPLICATE);
	unsigned refused = s.refused[0];
	/* The same message made with a key nobody has. */
	struct pending forged = {.from = 1, .to = 0};
	m.seq += 1000;
	forged.len = hb_encode(&m, (struct hb_key){k_forged, 32}, forged.buf, sizeof forged.buf);
	deliver(&s, &forged);
	assert_int_equal(s.refused[0], refused + 1);
	/* After the grace, the old key is as good as a forged one. */
	run_until(&s, 2000 + G);
	struct pending late = {.from = 1, .to = 0};
	liveness_message(s.nodes[1].lv, (size_t)liveness_find(s.nodes[1].lv, "node1"), HB_ALIVE, WALL0 + s.now, &m);
	late.len = hb_encode(&m, (struct hb_key){k_old, 32}, late.buf, sizeof late.buf);
	refused = s.refused[0];
	deliver(&s, &late);
	assert_int_equal(s.refused[0], refused + 1);
	sim_free(&s);
}

/* The simulation can tell: a sender that switches at once makes a lagging receiver count it down. */
static void test_switching_at_once_fails_over(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, MAXN, POLICY_CURRENT_ONLY, rotations[0]);
	run_until(&s, 6000);
	printf("switching at once: node%d saw node%d down at t=%llu\n", s.first_down_by + 1, s.first_down_of + 1,
	       (unsigned long long)s.first_down_at);
	assert_true(s.downs > 0);
	assert_true(s.first_down_at > 2000 && s.first_down_at <= 2000 + DETECT + IV);
	sim_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_first_same_rotated),
		cmocka_unit_test(test_ring_second_rotation_retires_oldest),
		cmocka_unit_test(test_rotation_nobody_goes_down),
		cmocka_unit_test(test_after_grace_old_key_refused),
		cmocka_unit_test(test_forged_and_replayed_refused),
		cmocka_unit_test(test_switching_at_once_fails_over),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
