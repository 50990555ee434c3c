/*
 * Every route the BGPAdvertisements can produce must fit in one BGP UPDATE:
 * a message holds at most 4096 bytes (RFC 4271 4), path attributes and at
 * least one prefix. An advertisement with about a thousand communities, or
 * several whose communities merge on one route, leaves no room; the speaker
 * would then have a route it cannot send. Refused here, with the limit.
 *
 * The speaker merges, per prefix and peer, the communities of every
 * advertisement that applies (speaker/plan.c). Advertisements apply together
 * to one prefix and peer exactly when
 *  - they cover one pool and give its family the same aggregation length
 *    (an aggregate never reaches past its pool's CIDRs, and pools do not
 *    overlap, so two pools never yield the same prefix);
 *  - both reach the peer: they name it, or name no peer;
 *  - one node can match all their nodeSelectors and the peer's.
 * For each (pool, family, length, peer) the largest union of communities
 * that can apply together is measured by the encoder itself
 * (bgp_update_size), with what a session adds at its largest: AS_PATH and
 * AS4_PATH toward an eBGP peer without 4-octet ASNs, LOCAL_PREF toward an
 * iBGP one, a link-local IPv6 next hop. Peers are the BGPPeers defined, the
 * names advertisements give that no BGPPeer has yet, and any BGPPeer still
 * to come (for advertisements that name none), the last two at their largest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp.h"
#include "link_bw.h"
#include "validate.h"
#include "xalloc.h"

#define OBJS(c, k) ((c)->kinds[k])
#define BASES_MAX 3
#define SEARCH_BUDGET 4096   /* subsets of advertisements measured before assuming all apply together */
#define AS4_ONLY 4200000000u /* a local AS that needs 4 octets, for a peer not defined yet */

/* Where routes go: a BGPPeer, a name no BGPPeer has yet, or any BGPPeer (name NULL). */
struct target {
	const struct object *peer;
	const char *name;
};

/* The ways a session toward the target can shape the UPDATE besides the communities. */
struct bases {
	struct bgp_route_attrs v[BASES_MAX];
	size_t n;
};

/* Distinct communities of a set of advertisements, sorted. */
struct comms {
	uint32_t *std;
	size_t nstd;
	uint32_t (*large)[3];
	size_t nlarge;
	bool link_bw;  /* one of the advertisements adds a link bandwidth community */
};

/* One (pool, family, length, target): what is measured. */
struct context {
	const struct object *pool;
	uint8_t family;
	unsigned len;
	struct target t;
	struct bases b;
};

/* A set of advertisements whose routes cannot be sent, with the context that shows it at its worst. */
struct failure {
	bool *in;    /* per BGPAdvertisement (config order) */
	size_t size; /* of an UPDATE announcing one prefix */
	struct context ctx;
	struct failure *next;
};

struct sendable {
	const struct config *c;
	struct diags *d;
	const struct objects *advs;
	struct failure *failures;
};

static void target_bases(const struct target *t, struct bases *out)
{
	struct bgp_route_attrs a = {.has_next_hop6_ll = true};
	bool ibgp = true, ebgp = true;

	out->n = 0;
	a.local_as = AS4_ONLY;
	if (t->peer) {
		const struct bgp_peer *p = &t->peer->peer;
		a.local_as = (uint32_t)(p->local_asn.set ? p->local_asn.v : p->my_asn.v);
		ibgp = p->dynamic_asn == DYNAMIC_ASN_INTERNAL || (p->peer_asn.set && p->peer_asn.v == a.local_as);
		ebgp = p->dynamic_asn == DYNAMIC_ASN_EXTERNAL || (p->peer_asn.set && p->peer_asn.v != a.local_as);
	}
	if (ibgp)
		out->v[out->n++] = a;
	a.ebgp = true;
	for (int as4 = 0; ebgp && as4 < 2; as4++) {
		a.peer_as4 = as4;
		out->v[out->n++] = a;
	}
}

/* The largest UPDATE announcing one prefix of the context with the first nstd / nlarge communities. */
static size_t update_size(const struct context *x, const struct comms *cm, size_t nstd, size_t nlarge)
{
	struct bgp_prefix p = {.family = x->family, .len = (uint8_t)x->len};
	size_t worst = 0;

	for (size_t i = 0; i < x->b.n; i++) {
		struct bgp_route_attrs a = x->b.v[i];
		a.communities = cm->std, a.ncommunities = nstd;
		a.large_communities = (const uint32_t(*)[3])cm->large, a.nlarge_communities = nlarge;
		static const uint64_t link_bw[1];
		a.ext_communities = link_bw, a.next_communities = cm->link_bw;
		size_t s = bgp_update_size(&a, &p);
		s = s ? s : SIZE_MAX;  /* an attribute past 65535 bytes */
		worst = s > worst ? s : worst;
	}
	return worst;
}

static int u32_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

/* Any total order will do: the sort is only there to find duplicates. */
static int large_cmp(const void *x, const void *y)
{
	int r = memcmp(x, y, 12);
	return (r > 0) - (r < 0);
}

/* The distinct communities of the advertisements in[i] (in NULL: all n). */
static void comms_of(const struct object *const *advs, const bool *in, size_t n, struct comms *out)
{
	size_t total = 0, k, m;

	for (size_t i = 0; i < n; i++)
		total += !in || in[i] ? advs[i]->bgpadv.ncommunity_values : 0;
	out->std = xcalloc(total + 1, sizeof(*out->std));
	out->large = xcalloc(total + 1, sizeof(*out->large));
	out->nstd = out->nlarge = 0;
	out->link_bw = false;
	for (size_t i = 0; i < n; i++) {
		const struct bgp_adv *b = &advs[i]->bgpadv;
		out->link_bw |= (!in || in[i]) && bgpadv_link_bw(advs[i]);
		for (size_t j = 0; (!in || in[i]) && j < b->ncommunity_values; j++) {
			const struct community *cm = &b->community_values[j];
			if (cm->kind == COMMUNITY_STANDARD)
				out->std[out->nstd++] = cm->v[0];
			else
				memcpy(out->large[out->nlarge++], cm->v, 12);
		}
	}
	qsort(out->std, out->nstd, sizeof(*out->std), u32_cmp);
	qsort(out->large, out->nlarge, sizeof(*out->large), large_cmp);
	for (k = m = 0; k < out->nstd; k++)
		if (!m || out->std[k] != out->std[m - 1])
			out->std[m++] = out->std[k];
	out->nstd = m;
	for (k = m = 0; k < out->nlarge; k++)
		if (!m || large_cmp(out->large[k], out->large[m - 1]))
			memcpy(out->large[m++], out->large[k], 12);
	out->nlarge = m;
}

static void comms_free(struct comms *cm)
{
	free(cm->std);
	free(cm->large);
}

static size_t set_size(const struct context *x, const struct object *const *advs, const bool *in, size_t n)
{
	struct comms cm;
	comms_of(advs, in, n, &cm);
	size_t s = update_size(x, &cm, cm.nstd, cm.nlarge);
	comms_free(&cm);
	return s;
}

/* ---- the largest set that can apply on one node ---- */

struct search {
	const struct context *x;
	const struct object *const *s;    /* the candidates */
	size_t n;
	const struct selectors **lists;   /* nodeSelectors of the chosen ones (and the peer's) */
	size_t nlists;
	bool *in, *best;
	size_t best_size;
	unsigned budget;
};

static void search_from(struct search *q, size_t i)
{
	if (q->budget == 0)
		return;
	if (i == q->n) {
		q->budget--;
		size_t size = set_size(q->x, q->s, q->in, q->n);
		if (size > q->best_size) {
			q->best_size = size;
			memcpy(q->best, q->in, q->n * sizeof(*q->in));
		}
		return;
	}
	q->lists[q->nlists++] = &q->s[i]->bgpadv.node_selectors;
	if (selectors_can_all_match(q->lists, q->nlists)) {
		q->in[i] = true;
		search_from(q, i + 1);
		q->in[i] = false;
	}
	q->nlists--;
	search_from(q, i + 1);
}

/*
 * Among s[0..n), the advertisements that can apply together on one node
 * (with the peer's nodeSelectors) whose merged communities make the largest
 * UPDATE: in[] marks them, the size is returned. All of them when they can
 * all apply together, or when the search runs out of budget.
 */
static size_t largest_set(const struct context *x, const struct object *const *s, size_t n, bool *in)
{
	struct search q = {x, s, n, xcalloc(n + 2, sizeof(*q.lists)), 0, xcalloc(n + 1, sizeof(bool)), in, 0,
			   SEARCH_BUDGET};

	if (x->t.peer)
		q.lists[q.nlists++] = &x->t.peer->peer.node_selectors;
	for (size_t i = 0; i < n; i++)
		q.lists[q.nlists + i] = &s[i]->bgpadv.node_selectors;
	if (selectors_can_all_match(q.lists, q.nlists + n)) {
		for (size_t i = 0; i < n; i++)
			in[i] = true;
		q.best_size = set_size(x, s, NULL, n);
	} else {
		search_from(&q, 0);
		if (q.budget == 0) {
			for (size_t i = 0; i < n; i++)
				in[i] = true;
			q.best_size = set_size(x, s, NULL, n);
		}
	}
	free(q.lists);
	free(q.in);
	return q.best_size;
}

/* ---- failures ---- */

static size_t adv_index(const struct sendable *sv, const struct object *adv)
{
	for (size_t i = 0; i < sv->advs->n; i++)
		if (sv->advs->v[i] == adv)
			return i;
	return 0;
}

/* Keeps the failure of that set of advertisements, at the worst context seen for it. */
static void record(struct sendable *sv, const struct context *x, const struct object *const *s, const bool *in,
		   size_t n, size_t size)
{
	bool *set = xcalloc(sv->advs->n + 1, sizeof(*set));
	for (size_t i = 0; i < n; i++)
		if (in[i])
			set[adv_index(sv, s[i])] = true;
	for (struct failure *f = sv->failures; f; f = f->next)
		if (!memcmp(f->in, set, sv->advs->n * sizeof(*set))) {
			if (size > f->size)
				f->size = size, f->ctx = *x;
			free(set);
			return;
		}
	struct failure *f = xcalloc(1, sizeof(*f));
	*f = (struct failure){set, size, *x, sv->failures};
	sv->failures = f;
}

/*
 * One context: the advertisements s[0..n) reach the same prefixes and peer.
 * One that cannot be sent alone is reported alone; of the others, the
 * largest set that applies together, if it cannot be sent.
 */
static void check_context(struct sendable *sv, const struct context *x, const struct object *const *s, size_t n)
{
	if (set_size(x, s, NULL, n) <= BGP_MAX_LEN)  /* the union of all: no subset is larger */
		return;
	bool *in = xcalloc(n + 1, sizeof(*in));
	const struct object **rest = xcalloc(n + 1, sizeof(*rest));
	size_t nrest = 0;
	for (size_t i = 0; i < n; i++) {
		const struct selectors *own[2] = {&s[i]->bgpadv.node_selectors,
						  x->t.peer ? &x->t.peer->peer.node_selectors : NULL};
		if (!selectors_can_all_match(own, x->t.peer ? 2 : 1))
			continue;  /* applies on no node this peer is on */
		memset(in, 0, n * sizeof(*in));
		in[i] = true;
		size_t size = set_size(x, s, in, n);
		if (size > BGP_MAX_LEN)
			record(sv, x, s, in, n, size);
		else
			rest[nrest++] = s[i];
	}
	memset(in, 0, n * sizeof(*in));
	size_t size = nrest > 1 ? largest_set(x, rest, nrest, in) : 0;
	if (size > BGP_MAX_LEN)
		record(sv, x, rest, in, nrest, size);
	free(rest);
	free(in);
}

static bool adv_names(const struct object *adv, const char *peer)
{
	const struct vstrs *names = &adv->bgpadv.peers;
	for (size_t i = 0; i < names->n; i++)
		if (strcmp(names->v[i].s, peer) == 0)
			return true;
	return false;
}

static bool target_named(const struct target *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].name && strcmp(v[i].name, name) == 0)
			return true;
	return false;
}

/* g[0..n): the advertisements of one (pool, family, length); each target they reach. */
static void check_targets(struct sendable *sv, struct context *x, const struct object *const *g, size_t n)
{
	const struct objects *peers = &OBJS(sv->c, KIND_BGPPEER);
	const struct object **s = xcalloc(n + 1, sizeof(*s));
	size_t cap = peers->n + 1, nt = 0;

	for (size_t i = 0; i < n; i++)
		cap += g[i]->bgpadv.peers.n;
	struct target *targets = xcalloc(cap, sizeof(*targets));
	for (size_t i = 0; i < peers->n; i++)
		targets[nt++] = (struct target){peers->v[i], peers->v[i]->meta.name};
	for (size_t i = 0; i < n; i++)  /* names no BGPPeer has (yet) */
		for (size_t k = 0; k < g[i]->bgpadv.peers.n; k++)
			if (!target_named(targets, nt, g[i]->bgpadv.peers.v[k].s))
				targets[nt++] = (struct target){NULL, g[i]->bgpadv.peers.v[k].s};
	targets[nt++] = (struct target){NULL, NULL};
	for (size_t t = 0; t < nt; t++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (!g[i]->bgpadv.peers.n || (targets[t].name && adv_names(g[i], targets[t].name)))
				s[m++] = g[i];
		if (!m)
			continue;
		x->t = targets[t];
		target_bases(&x->t, &x->b);
		check_context(sv, x, s, m);
	}
	free(targets);
	free(s);
}

static bool pool_has_family(const struct object *pool, uint8_t family)
{
	for (size_t i = 0; i < pool->pool.naddrs; i++)
		if (pool->pool.addrs[i].r.first.family == family)
			return true;
	return false;
}

static unsigned adv_length(const struct object *adv, uint8_t family)
{
	return (unsigned)(family == IPF_V4 ? adv->bgpadv.aggregation_length.v : adv->bgpadv.aggregation_length_v6.v);
}

static void check_pool(struct sendable *sv, const struct object *pool)
{
	const struct object **g = xcalloc(sv->advs->n + 1, sizeof(*g));
	static const uint8_t families[] = {IPF_V4, IPF_V6};

	for (size_t f = 0; f < 2; f++) {
		if (!pool_has_family(pool, families[f]))
			continue;
		for (size_t i = 0; i < sv->advs->n; i++) {  /* each length once, at its first advertisement */
			const struct object *first = sv->advs->v[i];
			unsigned len = adv_length(first, families[f]);
			bool seen = false;
			size_t n = 0;
			if (!config_adv_covers_pool(first, pool))
				continue;
			for (size_t k = 0; k < sv->advs->n; k++) {
				const struct object *a = sv->advs->v[k];
				if (!config_adv_covers_pool(a, pool) || adv_length(a, families[f]) != len)
					continue;
				seen |= k < i;
				g[n++] = a;
			}
			if (seen)
				continue;
			struct context x = {.pool = pool, .family = families[f], .len = len};
			check_targets(sv, &x, g, n);
		}
	}
	free(g);
}

/* ---- messages ---- */

/* The longest num() writes: SIZE_MAX's 20 digits, 6 commas and the NUL. */
#define NUM_LEN 27

/* 4096 -> "4,096". */
static const char *num(size_t v, char buf[NUM_LEN])
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%zu", v), k = 0;

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = digits[i];
	}
	buf[k] = 0;
	return buf;
}

/* The most of one kind that fits beside `other` of the other kind; -1: none. */
static long most_that_fit(const struct context *x, const struct comms *cm, bool large, size_t other)
{
	size_t have = large ? cm->nlarge : cm->nstd, lo = 0, hi = have;

	if ((large ? update_size(x, cm, other, 0) : update_size(x, cm, 0, other)) > BGP_MAX_LEN)
		return -1;
	while (lo < hi) {  /* the largest count that fits lies in [lo, hi] */
		size_t mid = lo + (hi - lo + 1) / 2;
		size_t s = large ? update_size(x, cm, other, mid) : update_size(x, cm, mid, other);
		if (s <= BGP_MAX_LEN)
			lo = mid;
		else
			hi = mid - 1;
	}
	return (long)lo;
}

static void describe_comms(const struct comms *cm, char *buf, size_t cap)
{
	char a[NUM_LEN], b[NUM_LEN];

	if (!cm->nlarge)
		snprintf(buf, cap, "%s communities", num(cm->nstd, a));
	else if (!cm->nstd)
		snprintf(buf, cap, "%s large communities", num(cm->nlarge, a));
	else
		snprintf(buf, cap, "%s communities and %s large communities", num(cm->nstd, a), num(cm->nlarge, b));
}

static void describe_limit(const struct context *x, const struct comms *cm, char *buf, size_t cap)
{
	char a[NUM_LEN], b[NUM_LEN];
	long n;

	if (!cm->nlarge) {
		n = most_that_fit(x, cm, false, 0);
		snprintf(buf, cap, "at most %s standard communities fit beside one prefix", num((size_t)(n < 0 ? 0 : n), a));
	} else if (!cm->nstd) {
		n = most_that_fit(x, cm, true, 0);
		snprintf(buf, cap, "at most %s large communities fit beside one prefix", num((size_t)(n < 0 ? 0 : n), a));
	} else if ((n = most_that_fit(x, cm, false, cm->nlarge)) >= 0) {
		snprintf(buf, cap, "beside these %s large communities at most %s standard ones fit with one prefix",
			 num(cm->nlarge, b), num((size_t)n, a));
	} else {
		n = most_that_fit(x, cm, true, 0);
		snprintf(buf, cap, "the %s large communities alone leave no room: at most %s fit beside one prefix",
			 num(cm->nlarge, b), num((size_t)(n < 0 ? 0 : n), a));
	}
}

static void describe_target(const struct target *t, char *buf, size_t cap)
{
	if (t->peer)
		snprintf(buf, cap, "toward %s", t->peer->meta.id);
	else if (t->name)
		snprintf(buf, cap, "toward BGPPeer \"%s\" (not defined yet)", t->name);
	else
		snprintf(buf, cap, "toward any BGPPeer");
}

/* "BGPAdvertisement lb/a and BGPAdvertisement lb/b": the set but `last`. */
static void describe_others(const struct sendable *sv, const struct failure *f, size_t last, char *buf, size_t cap)
{
	size_t n = 0, total = 0, len = 0;

	for (size_t i = 0; i < last; i++)
		total += f->in[i];
	buf[0] = 0;
	for (size_t i = 0; i < last && len < cap; i++) {
		if (!f->in[i])
			continue;
		n++;
		if (n > 3) {
			snprintf(buf + len, cap - len, " and %zu more", total - 3);
			break;
		}
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", n == 1 ? "" : n == total ? " and " : ", ",
					sv->advs->v[i]->meta.id);
	}
}

static void report(const struct sendable *sv, const struct failure *f)
{
	const struct objects *advs = sv->advs;
	const struct context *x = &f->ctx;
	size_t last = 0, members = 0;
	char what[96], limit[160], target[200], others[400], a[NUM_LEN], b[NUM_LEN], c[NUM_LEN];

	for (size_t i = 0; i < advs->n; i++)
		if (f->in[i])
			last = i, members++;
	struct comms cm, none = {0};
	comms_of((const struct object *const *)advs->v, f->in, advs->n, &cm);
	size_t without = update_size(x, &none, 0, 0);
	describe_comms(&cm, what, sizeof(what));
	describe_limit(x, &cm, limit, sizeof(limit));
	describe_target(&x->t, target, sizeof(target));
	const struct object *o = advs->v[last];
	const struct mark *m = o->bgpadv.communities.mark.file ? &o->bgpadv.communities.mark : &o->meta.mark;
	char body[700];
	snprintf(body, sizeof(body),
		 "take %s bytes of path attributes: an UPDATE announcing one IPv%u /%u of %s %s would be %s bytes; "
		 "a BGP UPDATE holds %s bytes, so %s",
		 num(f->size == SIZE_MAX ? 0 : f->size - without, a), x->family, x->len, x->pool->meta.id, target,
		 f->size == SIZE_MAX ? "over 65,535" : num(f->size, b), num(BGP_MAX_LEN, c), limit);
	if (members == 1) {
		diag_add(sv->d, DIAG_ERROR, m, o->meta.id, "spec.communities", "%s %s", what, body);
	} else {
		describe_others(sv, f, last, others, sizeof(others));
		diag_add(sv->d, DIAG_ERROR, m, o->meta.id, "spec.communities",
			 "with %s, which apply to the same prefixes and peer on one node, the merged %s %s", others,
			 what, body);
	}
	comms_free(&cm);
}

/* Another failure's set lies inside f's: reporting that one says enough. */
static bool covered(const struct sendable *sv, const struct failure *f)
{
	for (const struct failure *g = sv->failures; g; g = g->next) {
		bool inside = g != f;
		for (size_t i = 0; i < sv->advs->n && inside; i++)
			inside = !g->in[i] || f->in[i];
		if (inside)
			return true;
	}
	return false;
}

void validate_sendable(const struct config *c, struct diags *d)
{
	struct sendable sv = {c, d, &OBJS(c, KIND_BGPADVERTISEMENT), NULL};
	const struct objects *pools = &OBJS(c, KIND_IPADDRESSPOOL);

	if (!sv.advs->n)
		return;
	for (size_t i = 0; i < pools->n; i++)
		check_pool(&sv, pools->v[i]);
	/* In the order of the advertisements the messages are attached to: the last of each set. */
	for (size_t i = 0; i < sv.advs->n; i++)
		for (struct failure *f = sv.failures; f; f = f->next) {
			size_t last = 0;
			for (size_t k = 0; k < sv.advs->n; k++)
				if (f->in[k])
					last = k;
			if (last == i && !covered(&sv, f))
				report(&sv, f);
		}
	while (sv.failures) {
		struct failure *f = sv.failures;
		sv.failures = f->next;
		free(f->in);
		free(f);
	}
}
