#include "kspeaker.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "doc.h"
#include "generation.h"
#include "kube_auth.h"
#include "kube_event.h"
#include "kube_health.h"
#include "kube_metrics.h"
#include "speaker_metrics.h"
#include "kube_http.h"
#include "kube_api_probe.h"
#include "kube_resource.h"
#include "kube_watch.h"
#include "load.h"
#include "kstatus.h"
#include "log.h"
#include "lower_bound.h"
#include "metrics.h"
#include "object.h"
#include "plan_ovn.h"
#include "reload_worker.h"
#include "service_request.h"
#include "slice_index.h"
#include "xalloc.h"

#define STALE_CHECK_MS 1000
/* More Services changed at once than this: plan afresh, off the loop. (A test build may lower it.) */
#ifndef PATCH_MAX
#define PATCH_MAX 4096
#endif
/*
 * A patched plan keeps the memory of the plans it was patched from: under
 * churn that is the speaker's whole growth. Holding more than half a fresh
 * plan's memory again (and this much more), it is planned afresh.
 */
#define PATCH_SLACK_BYTES (1u << 20)

static const double patch_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25};
enum { NPATCH_BUCKETS = sizeof(patch_buckets) / sizeof(patch_buckets[0]) };
static const double change_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5};
enum { NCHANGE_BUCKETS = sizeof(change_buckets) / sizeof(change_buckets[0]) };

enum ks_watch {
	KS_SERVICES, KS_SLICES, KS_NODES, KS_NAMESPACES, KS_POOLS, KS_L2ADVS, KS_BGPADVS, KS_PEERS, KS_BFDS,
	KS_COMMUNITIES, KS_SECRETS, KS_SUBNETS, KS_PODS, KS_COUNT
};

static const enum kind ks_kind[KS_COUNT] = {
	KIND_SERVICE,	      KIND_ENDPOINTSLICE,    KIND_NODE,    KIND_NAMESPACE, KIND_IPADDRESSPOOL, KIND_L2ADVERTISEMENT,
	KIND_BGPADVERTISEMENT, KIND_BGPPEER,	      KIND_BFDPROFILE, KIND_COMMUNITY, KIND_SECRET,	   KIND_SUBNET,
	KIND_POD,
};

/* Pods that run or may run again: a finished one (Succeeded, Failed) leaves the cache, and memory. */
#define POD_FIELD_SELECTOR "status.phase!=Succeeded,status.phase!=Failed"

/* Cluster-wide and many: kept decoded and shared with the reload thread (EndpointSlices too, in
 * their compact form: config.ready). The others, few and rewritten by validation, travel as JSON
 * and are decoded afresh for each build. */
static bool shared_kind(enum kind k)
{
	return k == KIND_SERVICE || k == KIND_NODE || k == KIND_NAMESPACE || k == KIND_SUBNET || k == KIND_POD;
}

struct ks_watch_slot {
	struct kspeaker *k;
	enum ks_watch id;
	struct kube_watch *w;
	bool synced;
};

struct kspeaker {
	struct event_base *base;
	struct speaker *sp;
	struct kspeaker_opts o;
	char *ns, *pod_name, *node, *lb_class;
	struct kube_auth auth;
	struct kube_http *h;
	struct kube_recorder *rec;
	struct ks_watch_slot watches[KS_COUNT];
	struct kube_api_probe *subnets_probe;
	struct event *coalesce, *stale_timer;
	bool subnets_decided, synced, stopping;
	struct config *live;  /* the shared kinds */
	json_t *objs;         /* the configuration kinds: "Kind ns/name" -> the API object */
	json_t *valid;        /* the configuration objects of the generation in force */
	struct reload_worker *worker;
	uint64_t stale_since;  /* mono_ms(); 0: every watch answers */
	char *refusal;         /* the refusal last logged */
	struct health *health;
	struct kstatus *status;
	struct event *publish_ev;  /* the status objects follow the generation and L2's claims */
	struct slice_index *slices;  /* of live, by Service */
	/* Services and Pods changed since the last snapshot (strings owned); the first patched_upto are in force by a patch */
	struct plan_svc_key *dirty;
	size_t ndirty, dirty_cap, patched_upto;
	bool dirty_all;             /* something else changed: plan afresh */
	bool keys_lost;             /* more changed than the keys hold: a fresh build under way is already stale */
	/*
	 * The generation in force misses changes no key names (keys were lost,
	 * or a fresh plan went in force unpatched): a patch of it would keep,
	 * for those Services, objects live has dropped (and graves_free frees).
	 * It is not patched again until a fresh plan goes in force.
	 */
	bool stale_in_force;
	const char *afresh_why;     /* what, for the log */
	bool building;              /* a fresh plan is being built off the loop */
	bool pods_skipped;          /* Pods changed, unplanned: the plan in force takes no Kube-OVN routes */
	size_t fresh_bytes;         /* plan_mem_bytes() of the last fresh plan */
	struct object **graves;     /* Services live dropped while a patched generation is in force */
	size_t ngraves, graves_cap;
	struct ready_slice **rgraves;  /* and EndpointSlices */
	size_t nrgraves, rgraves_cap;
	struct metric_hist patch_hist;
	struct metric_hist change_hist;  /* the oldest change of a batch: event received -> patched plan in force */
	uint64_t unpatched_since_ns;     /* CLOCK_MONOTONIC of the oldest change not in force; 0: none */
	uint64_t changes, builds, patches, skipped, events, refusals;
};

static void arm(struct kspeaker *k);
static void rearm(struct kspeaker *k);

/* ------------------------------------------------------------------ builds (any thread) */

struct kjob {
	struct config *shared;
	json_t *objs, *fallback;
	const char *node, *lb_class;
};

static void kjob_free(void *job)
{
	struct kjob *j = job;
	if (!j)
		return;
	config_free(j->shared);
	json_decref(j->objs);
	json_decref(j->fallback);
	free(j);
}

static struct config *share_all(const struct config *from)
{
	struct config *c = config_new();
	for (int k = 0; k < KIND_COUNT; k++)
		if (shared_kind((enum kind)k))
			config_share(c, from, (enum kind)k);
	config_ready_share(c, from);
	return c;
}

static bool decode_into(struct config *c, json_t *objs, struct diags *d)
{
	const char *key;
	json_t *v;
	size_t before = d->errors;

	json_object_foreach (objs, key, v) {
		struct doc *doc = doc_from_jansson(key, v);
		struct object *o = NULL;
		if (!doc) {
			struct mark m = { key, 0, 0 };
			diag_add(d, DIAG_ERROR, &m, NULL, NULL, "object nested too deeply");
			continue;
		}
		object_read(doc->root, NULL, NULL, d, &o);
		doc_free(doc);
		if (o)
			object_free(config_put(c, o));
	}
	/* kube-ovn-speaker's command line: its BGPPeers join every build, as in file mode (ovn_flags.h) */
	const char *name, *builtin = config_builtin(&name);
	if (builtin)
		config_load_json(c, name, builtin, strlen(builtin), d, NULL);
	return d->errors == before;
}

static void json_free(void *j)
{
	json_decref(j);
}

static bool kjob_build_plan(struct generation *g, struct kjob *j, struct diags *d)
{
	struct config *c = share_all(j->shared);
	bool ok = decode_into(c, j->objs, d) ? generation_plan(g, c, j->node, j->lb_class, false, d)
					     : (config_free(c), false);
	if (ok) {
		g->source = j->objs;  /* the configuration objects now in force */
		g->source_free = json_free;
		j->objs = NULL;
		return true;
	}
	if (!j->fallback)
		return false;
	struct diags again;
	diags_init(&again);
	c = share_all(j->shared);
	if (decode_into(c, j->fallback, &again))
		ok = generation_plan(g, c, j->node, j->lb_class, false, &again);
	else
		config_free(c);
	diags_free(&again);
	g->fallback = ok;
	return ok;
}

/* Decoding included, and the fallback when there is one: g->seconds is the whole build. */
static bool kjob_build(struct generation *g, void *job, struct diags *d, void *arg)
{
	(void)arg;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	memset(g, 0, sizeof(*g));
	bool ok = kjob_build_plan(g, job, d);
	g->seconds = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	return ok;
}

/* ------------------------------------------------------------------ status objects */

/* An L2 entry of publish(): a Service whose VIP this node answers for now. */
struct l2_ann {
	char *owned;  /* "ns\0name" */
	const char *ns, *name;
	const char *const *ifaces;
	size_t nifaces;
};

static int l2_ann_cmp(const void *x, const void *y)
{
	const struct l2_ann *a = x, *b = y;
	int r = strcmp(a->ns, b->ns);
	return r ? r : strcmp(a->name, b->name);
}

/* In L2, the VIPs this node answers for now (an owner change moves the ServiceL2Status without a new generation). */
static struct l2_ann *l2_anns(const struct plan *p, struct l2 *l2, size_t *n)
{
	size_t cap = 0;
	*n = 0;
	for (size_t i = 0; l2 && i < p->nl2; i++)
		cap += p->l2[i].here ? p->l2[i].nservices : 0;
	struct l2_ann *v = xcalloc(cap + 1, sizeof(*v));
	for (size_t i = 0; l2 && i < p->nl2; i++) {
		const struct plan_l2_vip *pv = &p->l2[i];
		const char *const *ifaces = NULL;
		size_t nifaces = 0;
		if (!pv->here || !l2_claims(l2, &pv->ip, &ifaces, &nifaces))
			continue;
		for (size_t s = 0; s < pv->nservices; s++) {
			const char *slash = strchr(pv->services[s], '/');
			if (!slash)
				continue;
			struct l2_ann *a = &v[(*n)++];
			a->owned = xstrdup(pv->services[s]);
			a->owned[slash - pv->services[s]] = 0;
			a->ns = a->owned;
			a->name = a->owned + (slash - pv->services[s]) + 1;
			a->ifaces = ifaces;
			a->nifaces = nifaces;
		}
	}
	qsort(v, *n, sizeof(*v), l2_ann_cmp);
	return v;
}

/*
 * What this node announces, per Service: over BGP the peers the plan gives
 * it to (bgp_svcs, sorted by Service), in L2 the VIPs it answers for now;
 * the two sorted lists merged, handed to kstatus one Service at a time.
 */
static void publish(struct kspeaker *k)
{
	const struct generation *g = speaker_generation(k->sp);
	if (!k->status || !g || k->stopping)
		return;
	const struct plan *p = g->plan;
	size_t nl2 = 0;
	struct l2_ann *l2v = l2_anns(p, speaker_l2(k->sp), &nl2);
	const char **peers = xcalloc(p->npeers + 1, sizeof(*peers));
	struct kstatus_svc cur = {0};
	size_t b = 0, l = 0;
	kstatus_set_begin(k->status);
	while (b < p->nbgp_svcs || l < nl2) {
		const struct plan_bgp_svc *bs = b < p->nbgp_svcs ? &p->bgp_svcs[b] : NULL;
		const struct l2_ann *la = l < nl2 ? &l2v[l] : NULL;
		int c = !bs ? 1 : !la ? -1 : strcmp(bs->svc->meta.namespace, la->ns);
		if (bs && la && !c)
			c = strcmp(bs->svc->meta.name, la->name);
		const char *ns = c > 0 ? la->ns : bs->svc->meta.namespace, *name = c > 0 ? la->name : bs->svc->meta.name;
		if (cur.ns && (strcmp(cur.ns, ns) || strcmp(cur.name, name))) {
			kstatus_set_add(k->status, &cur);
			cur = (struct kstatus_svc){0};
		}
		if (c <= 0) {
			cur.ns = bs->svc->meta.namespace;
			cur.name = bs->svc->meta.name;
			cur.uid = bs->svc->meta.uid;
			cur.bgp_peers = peers;
			cur.nbgp_peers = bs->npeers;
			for (size_t q = 0; q < bs->npeers; q++)
				peers[q] = p->peers[bs->peers[q]].peer->meta.name;
			b++;
		}
		if (c >= 0) {
			if (!cur.ns) {
				cur.ns = la->ns;
				cur.name = la->name;
				const struct object *svc = config_find(g->cfg, KIND_SERVICE, la->ns, la->name);
				cur.uid = svc ? svc->meta.uid : NULL;
			}
			if (!cur.l2) {
				cur.l2 = true;
				cur.l2_ifaces = la->ifaces;
				cur.nl2_ifaces = la->nifaces;
			}
			l++;
		}
	}
	if (cur.ns)
		kstatus_set_add(k->status, &cur);
	kstatus_set_end(k->status);
	for (size_t i = 0; i < nl2; i++)
		free(l2v[i].owned);
	free(l2v);
	free(peers);
}

static void on_publish(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	publish(arg);
}

static void on_claims(void *arg)
{
	struct kspeaker *k = arg;
	event_active(k->publish_ev, EV_TIMEOUT, 0);
}

/* ------------------------------------------------------------------ patching */

static void dirty_clear_keys(struct kspeaker *k)
{
	for (size_t i = 0; i < k->ndirty; i++)
		free((char *)k->dirty[i].ns);  /* one block with the name */
	k->ndirty = k->patched_upto = 0;
}

/* The keys already in force by a patch go; the rest stay. */
static void dirty_drop_in_force(struct kspeaker *k)
{
	for (size_t i = 0; i < k->patched_upto; i++)
		free((char *)k->dirty[i].ns);  /* one block with the name */
	if (k->patched_upto)
		memmove(k->dirty, k->dirty + k->patched_upto, (k->ndirty - k->patched_upto) * sizeof(*k->dirty));
	k->ndirty -= k->patched_upto;
	k->patched_upto = 0;
}

static void afresh(struct kspeaker *k, const char *why)
{
	if (!k->dirty_all)
		k->afresh_why = why;
	k->dirty_all = true;
}

/*
 * Kept even when planning afresh anyway: a fresh build under way is brought
 * up to date with them, and must not go in force when some were lost.
 */
static void touched(struct kspeaker *k, const char *ns, const char *name, bool pod)
{
	if (!ns || !name || k->keys_lost)
		return;
	if (k->ndirty == PATCH_MAX) {
		afresh(k, "too many Services or Pods changed at once");
		k->keys_lost = true;
		return;
	}
	if (!k->unpatched_since_ns)
		k->unpatched_since_ns = clock_ns(CLOCK_MONOTONIC);
	if (k->ndirty == k->dirty_cap) {
		k->dirty_cap = k->dirty_cap ? 2 * k->dirty_cap : 64;
		k->dirty = xrealloc(k->dirty, k->dirty_cap, sizeof(*k->dirty));
	}
	size_t a = strlen(ns) + 1, b = strlen(name) + 1;
	char *block = xmalloc(a + b);
	memcpy(block, ns, a);
	memcpy(block + a, name, b);
	k->dirty[k->ndirty++] = (struct plan_svc_key){block, block + a, pod};
}

/* A patched generation borrows live's Services (and ready slices): what live drops waits for the next one. */
static void bury(struct kspeaker *k, struct object *o)
{
	if (!o)
		return;
	if (o->kind != KIND_SERVICE) {
		object_free(o);
		return;
	}
	if (k->ngraves == k->graves_cap) {
		k->graves_cap = k->graves_cap ? 2 * k->graves_cap : 64;
		k->graves = xrealloc(k->graves, k->graves_cap, sizeof(*k->graves));
	}
	k->graves[k->ngraves++] = o;
}

static void bury_slice(struct kspeaker *k, struct ready_slice *r)
{
	if (k->nrgraves == k->rgraves_cap) {
		k->rgraves_cap = k->rgraves_cap ? 2 * k->rgraves_cap : 64;
		k->rgraves = xrealloc(k->rgraves, k->rgraves_cap, sizeof(*k->rgraves));
	}
	k->rgraves[k->nrgraves++] = r;
}

/* A generation was just put in force: it points at none of them (a fresh one counts those it holds). */
static void graves_free(struct kspeaker *k)
{
	for (size_t i = 0; i < k->ngraves; i++)
		object_free(k->graves[i]);
	k->ngraves = 0;
	for (size_t i = 0; i < k->nrgraves; i++)
		ready_slice_free(k->rgraves[i]);
	k->nrgraves = 0;
}

static size_t slices_of(void *arg, const char *ns, const char *service, const struct ready_slice *const **out)
{
	return slice_index_of(arg, ns, service, out);
}

static int bgp_svc_key_cmp(const void *elem, const void *key)
{
	const struct object *o = ((const struct plan_bgp_svc *)elem)->svc;
	const struct plan_svc_key *k = key;
	int r = strcmp(o->meta.namespace, k->ns);
	return r ? r : strcmp(o->meta.name, k->name);
}

static const struct plan_bgp_svc *bgp_svc_of(const struct plan *p, const char *ns, const char *name)
{
	struct plan_svc_key k = {.ns = ns, .name = name};
	size_t at = lower_bound(p->bgp_svcs, p->nbgp_svcs, sizeof(*p->bgp_svcs), &k, bgp_svc_key_cmp);
	return at < p->nbgp_svcs && !bgp_svc_key_cmp(&p->bgp_svcs[at], &k) ? &p->bgp_svcs[at] : NULL;
}

/* The status objects of the Services just patched (BGP only: an L2 plan is published whole). */
static void publish_changed(struct kspeaker *k, const struct plan_svc_key *keys, size_t nkeys)
{
	const struct generation *g = speaker_generation(k->sp);
	if (!k->status || !g || k->stopping)
		return;
	const struct plan *p = g->plan;
	if (p->nl2) {
		event_active(k->publish_ev, EV_TIMEOUT, 0);
		return;
	}
	size_t npeer_names = 0, n = 0;
	for (size_t i = 0; i < nkeys; i++) {
		const struct plan_bgp_svc *b = keys[i].pod ? NULL : bgp_svc_of(p, keys[i].ns, keys[i].name);
		npeer_names += b ? b->npeers : 0;
	}
	struct kstatus_svc *v = xcalloc(nkeys + 1, sizeof(*v));
	const char **names = xcalloc(npeer_names + 1, sizeof(*names));
	size_t used = 0;
	for (size_t i = 0; i < nkeys; i++) {
		const struct plan_svc_key *key = &keys[i];
		if (key->pod)
			continue;  /* a Pod's routes have no status object */
		const struct plan_bgp_svc *b = bgp_svc_of(p, key->ns, key->name);
		const struct object *svc = b ? b->svc : config_find(g->cfg, KIND_SERVICE, key->ns, key->name);
		struct kstatus_svc *e = &v[n++];
		*e = (struct kstatus_svc){key->ns, key->name, svc ? svc->meta.uid : NULL, false, NULL, 0, &names[used], 0};
		for (size_t q = 0; b && q < b->npeers; q++)
			names[used + e->nbgp_peers++] = p->peers[b->peers[q]].peer->meta.name;
		used += e->nbgp_peers;
	}
	if (n)
		kstatus_update(k->status, v, n);
	free(v);
	free(names);
}

/* g, patched with the Services changed (from the first key on), put in force. False: g untouched. */
static bool patch_apply(struct kspeaker *k, struct generation *g, size_t first)
{
	struct generation pg;
	const struct plan_svc_key *keys = k->dirty + first;
	size_t n = k->ndirty - first;
	if (k->stopping ||
	    !generation_patch(&pg, g, k->live, k->node, k->lb_class, keys, n, slices_of, k->slices))
		return false;
	k->patches++;
	metric_hist_observe(&k->patch_hist, pg.seconds);
	if (g != speaker_generation(k->sp))
		generation_free(g);  /* a fresh one never put in force: pg took what it needs of it */
	speaker_apply(k->sp, &pg);
	graves_free(k);
	publish_changed(k, keys, n);
	if (k->unpatched_since_ns)
		metric_hist_observe(&k->change_hist, (double)(clock_ns(CLOCK_MONOTONIC) - k->unpatched_since_ns) / 1e9);
	k->unpatched_since_ns = 0;
	return true;
}

/*
 * Only Services and EndpointSlices changed: patch the generation in force,
 * on the loop. While a fresh one is built, the keys stay: it will need them.
 */
static bool patch(struct kspeaker *k)
{
	struct generation *in_force = speaker_generation_in_force(k->sp);
	if (!in_force || !patch_apply(k, in_force, k->patched_upto))
		return false;
	if (k->building)
		k->patched_upto = k->ndirty;
	else
		dirty_clear_keys(k);
	const struct generation *now = speaker_generation(k->sp);
	if (now && plan_mem_bytes(now->plan) > k->fresh_bytes + k->fresh_bytes / 2 + PATCH_SLACK_BYTES) {
		log_debug("speaker", "patched plan holds %zu bytes (a fresh one %zu): planning afresh",
			  plan_mem_bytes(now->plan), k->fresh_bytes);
		afresh(k, "the patched plan's memory");
		arm(k);
	}
	return true;
}

/* ------------------------------------------------------------------ on the loop */

static void report_refusal(struct kspeaker *k, const struct diags *d, bool kept)
{
	char buf[4096];
	size_t off = 0;
	for (size_t i = 0; i < d->n && off + 2 < sizeof(buf); i++) {
		if (d->v[i].sev != DIAG_ERROR)
			continue;
		char line[1024];
		diag_format(&d->v[i], line, sizeof(line));
		int n = snprintf(buf + off, sizeof(buf) - off, "%s%s", off ? "; " : "", line);
		if (n < 0)
			break;
		off += (size_t)n < sizeof(buf) - off ? (size_t)n : sizeof(buf) - off - 1;
	}
	if (k->refusal && strcmp(k->refusal, buf) == 0)
		return;
	free(k->refusal);
	k->refusal = xstrdup(buf);
	k->refusals++;
	speaker_refused(k->sp, d);
	log_error("config", "metallb.io objects in %s refused (%zu errors): %s; %s", k->ns, d->errors, buf,
		  kept ? "the last valid ones stay in force, Services and endpoints are still followed"
		       : "nothing is announced until they are fixed");
}

static void on_built(struct generation *g, bool ok, const struct diags *d, void *arg)
{
	struct kspeaker *k = arg;

	k->builds++;
	k->building = false;
	speaker_build_timed(k->sp, g->seconds);
	if (d->errors)
		report_refusal(k, d, ok);
	else if (k->refusal) {
		log_info("config", "metallb.io objects in %s valid again", k->ns);
		free(k->refusal);
		k->refusal = NULL;
	}
	if (!ok) {
		/*
		 * What was patched meanwhile stays in force and needs no snapshot now.
		 * With no plan to patch the rest into, they wait in live for the next
		 * snapshot: kept, they would plan afresh again and again.
		 */
		if (k->stale_in_force || !speaker_generation_in_force(k->sp))
			dirty_clear_keys(k);
		else
			dirty_drop_in_force(k);
		rearm(k);
		return;
	}
	if (k->stopping) {
		generation_free(g);
		return;
	}
	if (k->keys_lost) {
		/*
		 * Services changed meanwhile that no key names: patched, it would keep
		 * objects of its snapshot that live has dropped (and frees with the next
		 * generation). It is old already: the next build replaces it.
		 */
		log_debug("speaker", "a fresh plan is out of date on arrival (more than %d changes meanwhile): planning again",
			  PATCH_MAX);
		generation_free(g);
		rearm(k);
		return;
	}
	k->fresh_bytes = plan_mem_bytes(g->plan);
	if (k->pods_skipped && plan_ovn_wanted(g->cfg))
		afresh(k, "Pods changed while planning");
	if (!g->fallback) {
		json_decref(k->valid);
		k->valid = g->source;
		g->source = NULL;
	}
	/* The Services changed since the snapshot go in with it, or what was patched meanwhile would flap. */
	k->stale_in_force = false;
	if (!k->ndirty || !patch_apply(k, g, 0)) {
		if (k->ndirty) {
			afresh(k, "cannot patch a fresh plan");
			k->stale_in_force = true;  /* it holds its snapshot's objects, not the changes since */
		}
		speaker_apply(k->sp, g);
		graves_free(k);
	}
	dirty_clear_keys(k);
	event_active(k->publish_ev, EV_TIMEOUT, 0);
	rearm(k);
}

/*
 * Before a snapshot: the keys already in force by a patch go; those not yet
 * stay (the plan in force still needs them patched in while the fresh one is
 * built); with keys lost, the plan in force is stale until the fresh one.
 */
static void dirty_clear_for_snapshot(struct kspeaker *k)
{
	dirty_drop_in_force(k);
	if (k->keys_lost)
		k->stale_in_force = true;
	k->keys_lost = false;
	k->dirty_all = false;
	k->afresh_why = NULL;
}

static void submit(struct kspeaker *k)
{
	dirty_clear_for_snapshot(k);  /* the snapshot below has every change so far */
	k->pods_skipped = false;
	k->unpatched_since_ns = 0;
	k->building = true;
	struct kjob *j = xcalloc(1, sizeof(*j));
	j->shared = share_all(k->live);
	j->objs = json_deep_copy(k->objs);
	j->fallback = k->valid && !json_equal(k->valid, k->objs) ? json_deep_copy(k->valid) : NULL;
	j->node = k->node;
	j->lb_class = k->lb_class;
	if (!j->objs || (k->valid && !json_equal(k->valid, k->objs) && !j->fallback))
		xalloc_die("json_deep_copy");
	if (k->worker && reload_worker_submit(k->worker, j))
		return;
	struct generation g;
	struct diags d;
	diags_init(&d);
	bool ok = kjob_build(&g, j, &d, NULL);
	kjob_free(j);
	on_built(&g, ok, &d, k);
	diags_free(&d);
}

static void on_coalesce(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct kspeaker *k = arg;
	if (!k->dirty_all && !k->stale_in_force && k->ndirty > k->patched_upto && patch(k))
		return;
	if (k->building || (!k->dirty_all && k->ndirty == k->patched_upto && speaker_loaded(k->sp)))
		return;  /* on_built comes back */
	log_debug("speaker", "planning afresh: %s", k->afresh_why ? k->afresh_why : k->ndirty ? "cannot patch" : "nothing in force yet");
	submit(k);
}

static void arm(struct kspeaker *k)
{
	if (!k->synced || k->stopping || evtimer_pending(k->coalesce, NULL))
		return;
	uint32_t ms = k->o.coalesce_ms;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	evtimer_add(k->coalesce, &tv);
}

static void changed(struct kspeaker *k)
{
	k->changes++;
	arm(k);
}

/* After a fresh plan: what changed while it was built. */
static void rearm(struct kspeaker *k)
{
	if (k->ndirty || k->dirty_all)
		arm(k);
}

/* What the plan reads of a Node: its labels, addresses and NetworkUnavailable. Kubelets rewrite the rest often. */
static bool labels_eq(const struct labels *a, const struct labels *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].key, b->v[i].key) || strcmp(a->v[i].value, b->v[i].value))
			return false;
	return true;
}

static bool node_same(const struct object *a, const struct object *b)
{
	if (a->node.network_unavailable != b->node.network_unavailable || a->node.naddrs != b->node.naddrs ||
	    !labels_eq(&a->meta.labels, &b->meta.labels))
		return false;
	for (size_t i = 0; i < a->node.naddrs; i++) {
		const struct node_address *x = &a->node.addrs[i], *y = &b->node.addrs[i];
		if (strcmp(x->type ? x->type : "", y->type ? y->type : "") ||
		    strcmp(x->address ? x->address : "", y->address ? y->address : ""))
			return false;
	}
	return true;
}

/* What a change of o means for the next plan: the Service it is or belongs to changed, the Pod, or (other kinds) anything. */
static void forget_touch(struct kspeaker *k, const struct object *o)
{
	switch (o->kind) {
	case KIND_SERVICE: touched(k, o->meta.namespace, o->meta.name, false); break;
	case KIND_POD: touched(k, o->meta.namespace, o->meta.name, true); break;
	default: afresh(k, kind_name(o->kind)); break;
	}
}

/* o leaves live (replaced or deleted). */
static void forget(struct kspeaker *k, const struct object *o)
{
	forget_touch(k, o);
}

/*
 * A Pod matters only to a plan where some BGPPeer takes Kube-OVN's routes:
 * otherwise it is kept for a later plan that does (on_built checks) and costs
 * no planning. Before anything is in force, a plan is coming anyway.
 */
static bool pod_skipped(struct kspeaker *k)
{
	const struct generation *g = speaker_generation(k->sp);
	if (!g || plan_ovn_wanted(g->cfg))
		return false;
	k->pods_skipped = true;
	return true;
}

/* What the speaker keeps of Services: LoadBalancers of its class, and ClusterIPs Kube-OVN's routes may take. */
static bool svc_kept(const struct kspeaker *k, const struct object *svc)
{
	return svc_is_ours(svc, k->lb_class) || plan_ovn_cluster_ip(svc);
}

static void user_object_free(void *user)
{
	object_free(user);
}

/*
 * A shared kind's object in live is found again through its watch entry,
 * which holds a reference to it: a delete a relist finds comes with no name,
 * and a relist that finds an object deleted and made again under its name
 * (a new uid) must not take the new one out of live with the old.
 */
static void shared_event(struct ks_watch_slot *wd, enum kind kind, enum kube_event_type t, const struct kube_item *it)
{
	struct kspeaker *k = wd->k;
	struct object *o = t == KUBE_DELETED ? NULL : kube_item_take(it);
	const struct object *had = it->user;  /* what this object put in live (the entry's reference), or NULL */
	bool quiet = kind == KIND_POD && wd->synced && pod_skipped(k);

	if (t != KUBE_DELETED && !o && it->diags && it->diags->errors) {
		char line[1024];
		diag_format(&it->diags->v[0], line, sizeof(line));
		log_warn("kube", "%s %s%s%s does not decode, left out: %s", kind_name(kind), it->ns ? it->ns : "",
			 it->ns ? "/" : "", it->name, line);
	}
	if (o && kind == KIND_SERVICE && !svc_kept(k, o)) {
		object_free(o);  /* not a LoadBalancer of the class served, nor for Kube-OVN: nothing to keep */
		o = NULL;
	}
	if (!o) {
		struct object *old = NULL;
		if (had && config_find(k->live, kind, had->meta.namespace, had->meta.name) == had)
			old = config_take(k->live, kind, had->meta.namespace, had->meta.name);
		kube_item_set_user(it, NULL);  /* live's reference, now old's, stays */
		if (!old)
			return;
		if (!quiet)
			forget(k, old);
		bury(k, old);
		if (!quiet)
			changed(k);
		return;
	}
	kube_item_set_user(it, object_ref(o));
	struct object *old = config_find(k->live, kind, o->meta.namespace, o->meta.name);
	if (!old && !wd->synced) {
		config_add(k->live, o);  /* the first list: sorted once at its end */
		return;
	}
	bool same = old && kind == KIND_NODE && node_same(old, o);
	if (old && !same && !quiet)
		forget(k, old);
	bury(k, config_put(k->live, o));
	if (same || quiet) {
		k->skipped++;
		return;
	}
	forget_touch(k, o);
	changed(k);
}

/*
 * An EndpointSlice is kept in its compact form (ready_slice.h), found again
 * through the watch's entry; the decoded object goes at once.
 */
static void slice_event(struct ks_watch_slot *wd, enum kube_event_type t, const struct kube_item *it)
{
	struct kspeaker *k = wd->k;
	struct object *o = t == KUBE_DELETED ? NULL : kube_item_take(it);
	struct ready_slice *old = it->user, *r = o ? ready_slice_new(o) : NULL;

	if (t != KUBE_DELETED && !o && it->diags && it->diags->errors) {
		char line[1024];
		diag_format(&it->diags->v[0], line, sizeof(line));
		log_warn("kube", "EndpointSlice %s/%s does not decode, left out: %s", it->ns ? it->ns : "", it->name, line);
	}
	object_free(o);
	kube_item_set_user(it, r);
	if (old) {
		config_ready_remove(k->live, old);
		slice_index_remove(k->slices, old);
		if (wd->synced)
			touched(k, old->ns, old->service, false);
	}
	if (r) {
		config_ready_add(k->live, r);
		slice_index_add(k->slices, r);
		if (wd->synced)
			touched(k, r->ns, r->service, false);
	}
	if (old)
		bury_slice(k, old);
	if ((old || r) && wd->synced)
		changed(k);  /* the first list is planned whole, once every watch has synced */
}

static void config_event(struct kspeaker *k, enum kind kind, enum kube_event_type t, const struct kube_item *it)
{
	char key[600];
	snprintf(key, sizeof(key), "%s %s/%s", kind_name(kind), it->ns ? it->ns : "", it->name);
	if (t == KUBE_DELETED) {
		const json_t *had = json_object_get(k->objs, key);
		const char *uid = json_string_value(json_object_get(json_object_get(had, "metadata"), "uid"));
		if (uid && it->uid && strcmp(uid, it->uid) != 0)
			return;  /* a relist found it gone after its successor under the same name */
		if (json_object_del(k->objs, key) != 0)
			return;
	} else {
		json_t *copy = json_deep_copy(it->raw);
		if (!copy)
			xalloc_die("json_deep_copy");
		json_object_del(json_object_get(copy, "metadata"), "managedFields");
		json_object_del(copy, "status");
		const char *type = json_string_value(json_object_get(copy, "type"));
		if (kind == KIND_SECRET && strcmp(it->name, "memberlist") != 0 &&
		    (!type || strcmp(type, "kubernetes.io/basic-auth") != 0))
			json_object_del(copy, "data");  /* not a key nor a BGP password (a Helm release's, ...): its type is enough */
		const struct kube_resource *r = kube_resource_of(kind);  /* a list's items have neither */
		if (!json_is_string(json_object_get(copy, "apiVersion")))
			json_object_set_new(copy, "apiVersion", json_string(r->api_version));
		if (!json_is_string(json_object_get(copy, "kind")))
			json_object_set_new(copy, "kind", json_string(r->kind_name));
		json_t *had = json_object_get(k->objs, key);
		if (had && json_equal(had, copy)) {
			json_decref(copy);
			return;
		}
		json_object_set_new(k->objs, key, copy);
	}
	afresh(k, kind_name(kind));
	changed(k);
}

static void on_event(void *arg, enum kube_event_type t, const struct kube_item *it)
{
	struct ks_watch_slot *wd = arg;
	enum kind kind = ks_kind[wd->id];

	wd->k->events++;
	if (kind == KIND_ENDPOINTSLICE)
		slice_event(wd, t, it);
	else if (shared_kind(kind))
		shared_event(wd, kind, t, it);
	else
		config_event(wd->k, kind, t, it);
}

static bool all_synced(const struct kspeaker *k)
{
	for (int i = 0; i < KS_COUNT; i++)
		if (i != KS_SUBNETS && i != KS_PODS && !k->watches[i].synced)
			return false;
	return k->subnets_decided && (!k->watches[KS_SUBNETS].w || k->watches[KS_SUBNETS].synced) &&
	       (!k->watches[KS_PODS].w || k->watches[KS_PODS].synced);
}

static void check_synced(struct kspeaker *k)
{
	if (k->synced || !all_synced(k))
		return;
	k->synced = true;
	log_info("speaker", "every cache synced: %zu Services of this class, %zu EndpointSlices, %zu Nodes, %zu "
			    "configuration objects in %s",
		 k->live->kinds[KIND_SERVICE].n, k->live->ready.n, k->live->kinds[KIND_NODE].n,
		 json_object_size(k->objs), k->ns);
	submit(k);
}

static void on_synced(void *arg)
{
	struct ks_watch_slot *wd = arg;

	wd->synced = true;
	config_sort(wd->k->live);
	log_debug("speaker", "%s synced: %zu", kind_name(ks_kind[wd->id]), kube_watch_count(wd->w));
	/* A watch started late (kubeovn.io installed after the speaker): its first list is a change. */
	if (wd->k->synced && kube_watch_count(wd->w) && (ks_kind[wd->id] != KIND_POD || !pod_skipped(wd->k))) {
		afresh(wd->k, kind_name(ks_kind[wd->id]));
		changed(wd->k);
	}
	check_synced(wd->k);
}

static void start_watch(struct kspeaker *k, enum ks_watch id, const char *ns)
{
	struct ks_watch_slot *wd = &k->watches[id];
	struct kube_watch_cbs cbs = { on_event, on_synced, wd, NULL };
	struct kube_watch_opts wo = { .lean = true };  /* memory grows with Services, not with their annotations */
	if (id == KS_PODS)
		wo.field_selector = POD_FIELD_SELECTOR;
	/* Services, EndpointSlices and the other shared kinds: known by what they put in live, not by name again. */
	if (id == KS_SLICES || shared_kind(ks_kind[id])) {
		wo.forget_names = true;
		cbs.user_free = id == KS_SLICES ? NULL : user_object_free;
	}

	wd->k = k;
	wd->id = id;
	wd->w = kube_watch_new(k->h, kube_resource_of(ks_kind[id]), ns, &wo, &cbs);
}

static void on_subnets_api(void *arg, bool served)
{
	struct kspeaker *k = arg;

	if (served) {
		log_info("speaker", "kubeovn.io/v1 is served: watching Subnets and Pods (%s)", POD_FIELD_SELECTOR);
		start_watch(k, KS_SUBNETS, NULL);
		start_watch(k, KS_PODS, NULL);
	}
	k->subnets_decided = true;
	check_synced(k);
}

/* ------------------------------------------------------------------ staleness and readiness */

static uint64_t stale_since(const struct kspeaker *k, const char **which)
{
	uint64_t since = 0;
	for (int i = 0; i < KS_COUNT; i++) {
		uint64_t s = k->watches[i].w ? kube_watch_stale_since(k->watches[i].w) : 0;
		if (s && (!since || s < since)) {
			since = s;
			*which = kind_name(ks_kind[i]);
		}
	}
	return since;
}

static void on_stale_check(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct kspeaker *k = arg;
	const char *which = "";
	uint64_t since = stale_since(k, &which), now = mono_ms();

	if (since && !k->stale_since)
		log_warn("speaker", "the API server does not answer (%s watch failing for %.1f s): everything announced "
				    "stays announced until it answers again",
			 which, (double)(now - since) / 1000);
	else if (!since && k->stale_since)
		log_info("speaker", "the API server answers again after %.1f s; caches are current",
			 (double)(now - k->stale_since) / 1000);
	k->stale_since = since;
}

static bool ready(void *arg, char *why, size_t len)
{
	const struct kspeaker *k = arg;
	const char *which = "";
	uint64_t since = stale_since(k, &which);

	if (k->stopping)
		snprintf(why, len, "stopping");
	else if (speaker_drained(k->sp))
		snprintf(why, len, "drained");
	else if (!k->synced)
		snprintf(why, len, "caches not synced yet");
	else if (!speaker_loaded(k->sp))
		snprintf(why, len, "no valid configuration yet%s%s", k->refusal ? ": " : "", k->refusal ? k->refusal : "");
	else if (since)
		snprintf(why, len, "caches stale for %.1f s (the %s watch fails); announcements kept",
			 (double)(mono_ms() - since) / 1000, which);
	else
		return true;
	return false;
}

/* ------------------------------------------------------------------ setup */

static char *first_of(const char *a, const char *b)
{
	return a && *a ? xstrdup(a) : b && *b ? xstrdup(b) : NULL;
}

static bool setup(struct kspeaker *k, const struct speaker_options *so, const struct kspeaker_opts *o)
{
	struct diags d;

	k->o = *o;
	if (!k->o.coalesce_ms)
		k->o.coalesce_ms = KSPEAKER_DEFAULT_COALESCE_MS;
	diags_init(&d);
	bool ok = o->kubeconfig ? kube_auth_from_kubeconfig(&k->auth, o->kubeconfig, o->context, &d)
				: kube_auth_in_cluster(&k->auth, NULL, &d);
	diags_print(&d, stderr);
	diags_free(&d);
	if (!ok)
		return false;
	k->ns = first_of(o->ns, getenv("POD_NAMESPACE"));
	if (!k->ns)
		k->ns = first_of(!o->kubeconfig ? k->auth.namespace : NULL, KSPEAKER_DEFAULT_NAMESPACE);
	k->pod_name = first_of(o->pod_name, getenv("POD_NAME"));
	k->node = xstrdup(so->node);
	k->lb_class = so->lb_class ? xstrdup(so->lb_class) : NULL;
	log_info("speaker", "Kubernetes mode: API server %s (%s), namespace %s, node %s%s%s", k->auth.server,
		 k->auth.source, k->ns, k->node, k->lb_class ? ", loadBalancerClass " : "", k->lb_class ? k->lb_class : "");
	return true;
}

/* How far the ServiceL2Status / ServiceBGPStatus writer is behind, and what it wrote. */
static void status_metrics(struct metrics *m, const struct kstatus_stats *st)
{
	const char *const op[] = {"op", NULL};
	struct metric_family *w = metrics_family(m, "vipcast_status_writes_total",
						 "ServiceL2Status and ServiceBGPStatus writes done, by operation",
						 METRIC_COUNTER, op, NULL, 0);
	const char *const create[] = {"create"}, *const update[] = {"update"}, *const del[] = {"delete"};
	metric_set(w, create, (double)st->created);
	metric_set(w, update, (double)st->updated);
	metric_set(w, del, (double)st->deleted);
	metric_set(metrics_family(m, "vipcast_status_writes_pending",
				  "ServiceL2Status and ServiceBGPStatus objects with a write waiting or in flight",
				  METRIC_GAUGE, NULL, NULL, 0),
		   NULL, (double)st->pending);
}

/* The speaker's metrics and MetalLB's Kubernetes client ones. */
static void kspeaker_metrics(void *arg, struct metrics *m)
{
	struct kspeaker *k = arg;
	struct kstatus_stats st = {0};
	if (k->status)
		kstatus_get_stats(k->status, &st);
	speaker_metrics(k->sp, m);
	metric_set_hist(metrics_family(m, "vipcast_plan_patch_duration_seconds",
				       "Time taken to plan again the Services that changed, nothing else having changed",
				       METRIC_HISTOGRAM, NULL, patch_buckets, NPATCH_BUCKETS),
			NULL, &k->patch_hist);
	metric_set_hist(metrics_family(m, "vipcast_kube_change_apply_seconds",
				       "Time from a Service, EndpointSlice or Pod watch event to the patched plan in force, for the "
				       "oldest change of each batch (the UPDATEs are written then)",
				       METRIC_HISTOGRAM, NULL, change_buckets, NCHANGE_BUCKETS),
			NULL, &k->change_hist);
	metric_set(metrics_family(m, "vipcast_plan_builds_total", "Plans built afresh from every object, off the loop",
				  METRIC_COUNTER, NULL, NULL, 0),
		   NULL, (double)k->builds);
	status_metrics(m, &st);
	kube_client_metrics(m, k->events, k->refusals + st.failed, speaker_loaded(k->sp), k->refusal != NULL);
}

struct kspeaker *kspeaker_new(struct event_base *base, struct speaker *sp, const struct speaker_options *so,
			      const struct kspeaker_opts *o)
{
	struct kspeaker *k = xcalloc(1, sizeof(*k));
	k->base = base;
	k->sp = sp;
	if (!setup(k, so, o)) {
		kspeaker_free(k);
		return NULL;
	}
	if (o->health_listen && *o->health_listen) {
		char err[256];
		if (!(k->health = health_new(base, o->health_listen, ready, k, err, sizeof(err)))) {
			log_error("speaker", "health endpoints: %s", err);
			kspeaker_free(k);
			return NULL;
		}
		health_set_metrics(k->health, kspeaker_metrics, k);
		log_info("speaker", "health endpoints /metrics, /healthz and /readyz on %s", health_address(k->health));
	}
	k->h = kube_http_new(base, &k->auth, NULL);
	k->rec = kube_recorder_new(k->h, "vipcast-speaker", k->node);
	k->live = config_new();
	k->slices = slice_index_new();
	metric_hist_init(&k->patch_hist, patch_buckets, NPATCH_BUCKETS);
	metric_hist_init(&k->change_hist, change_buckets, NCHANGE_BUCKETS);
	k->objs = json_object();
	k->worker = reload_worker_new_jobs(base, kjob_build, kjob_free, NULL, on_built, k);
	k->coalesce = evtimer_new(base, on_coalesce, k);
	k->publish_ev = evtimer_new(base, on_publish, k);
	struct kstatus_opts so2 = { k->ns, k->node, k->pod_name };
	k->status = kstatus_new(base, k->h, k->rec, &so2);
	if (speaker_l2(sp))
		l2_on_claims(speaker_l2(sp), on_claims, k);
	k->stale_timer = event_new(base, -1, EV_PERSIST, on_stale_check, k);
	struct timeval tv = { STALE_CHECK_MS / 1000, (STALE_CHECK_MS % 1000) * 1000 };
	if (!k->objs || !k->coalesce || !k->publish_ev || !k->stale_timer || event_add(k->stale_timer, &tv) < 0)
		xalloc_die("kspeaker_new");
	for (enum ks_watch id = 0; id < KS_SUBNETS; id++)
		start_watch(k, id, ks_kind[id] == KIND_SERVICE || ks_kind[id] == KIND_ENDPOINTSLICE ||
					   ks_kind[id] == KIND_NODE || ks_kind[id] == KIND_NAMESPACE
				   ? NULL
				   : k->ns);
	k->subnets_probe = kube_api_probe_new(k->h, "kubeovn.io", "v1", "subnets.kubeovn.io", on_subnets_api, k);
	return k;
}

void kspeaker_stop(struct kspeaker *k)
{
	if (!k)
		return;
	k->stopping = true;
	evtimer_del(k->coalesce);
	if (k->sp && speaker_l2(k->sp))
		l2_on_claims(speaker_l2(k->sp), NULL, NULL);
}

void kspeaker_free(struct kspeaker *k)
{
	if (!k)
		return;
	reload_worker_free(k->worker);  /* first: the thread may hold a snapshot */
	kube_api_probe_free(k->subnets_probe);
	for (int i = 0; i < KS_COUNT; i++)
		kube_watch_free(k->watches[i].w);
	if (k->coalesce)
		event_free(k->coalesce);
	if (k->publish_ev)
		event_free(k->publish_ev);
	kstatus_free(k->status);
	if (k->stale_timer)
		event_free(k->stale_timer);
	health_free(k->health);
	kube_recorder_free(k->rec);
	kube_http_free(k->h);
	kube_auth_free(&k->auth);
	dirty_clear_keys(k);
	free(k->dirty);
	graves_free(k);
	free(k->graves);
	free(k->rgraves);
	slice_index_free(k->slices);
	config_free(k->live);
	json_decref(k->objs);
	json_decref(k->valid);
	free(k->refusal);
	free(k->ns);
	free(k->pod_name);
	free(k->node);
	free(k->lb_class);
	free(k);
}
