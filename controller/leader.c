#include "leader.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kube_lease.h"
#include "log.h"
#include "xalloc.h"

struct leader {
	struct kube_http *h;
	struct leader_opts o;
	leader_fn fn;
	void *arg;
	struct event *tick, *deadline;
	struct kube_call *call;
	uint64_t sent_ms;        /* when the call in flight was sent */
	uint64_t renewed_ms;     /* when the last successful renewal (or acquisition) was sent */
	json_t *lease;           /* the Lease as last read or written; NULL when none is known */
	bool leading;
	/* Another holder's record: its resourceVersion and when this host first saw it. */
	char *seen_rv;
	uint64_t seen_ms;
	char *logged_holder;     /* the holder last named in a log line */
	void (*released)(void *arg);
	void *released_arg;
};

static const char *lease_holder(const json_t *lease)
{
	const char *h = json_string_value(json_object_get(json_object_get(lease, "spec"), "holderIdentity"));
	return h ? h : "";
}

static void set_lease(struct leader *l, const json_t *body)
{
	json_decref(l->lease);
	l->lease = body ? json_deep_copy(body) : NULL;
}

static void schedule(struct leader *l, uint32_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	evtimer_add(l->tick, &tv);
}

/* The retry period; followers add up to 20 % so that replicas spread out. */
static void schedule_next(struct leader *l)
{
	uint32_t ms = l->o.retry_ms;
	if (!l->leading)
		ms += (uint32_t)(random() % (ms / 5 + 1));
	schedule(l, ms);
}

static void step_down(struct leader *l, const char *why)
{
	if (!l->leading)
		return;
	l->leading = false;
	evtimer_del(l->deadline);
	log_warn("leader", "Lease %s/%s: no longer the leader (%s); writes stop", l->o.ns, l->o.name, why);
	l->fn(l->arg, false);
}

static void arm_deadline(struct leader *l)
{
	uint64_t end = l->renewed_ms + l->o.renew_ms, now = mono_ms();
	uint64_t ms = end > now ? end - now : 0;
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	evtimer_add(l->deadline, &tv);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct leader *l = arg;
	(void)fd, (void)what;

	if (l->leading && mono_ms() - l->renewed_ms >= l->o.renew_ms) {
		kube_call_cancel(l->call);  /* a renewal this late must not make it the leader again */
		l->call = NULL;
		step_down(l, "not renewed within the renew deadline");
	} else if (l->leading)
		arm_deadline(l);
}

static void became_leader(struct leader *l, const json_t *body)
{
	set_lease(l, body);
	l->renewed_ms = l->sent_ms;
	arm_deadline(l);
	if (l->leading)
		return;
	l->leading = true;
	free(l->logged_holder);
	l->logged_holder = xstrdup(l->o.identity);
	log_info("leader", "Lease %s/%s: acquired by %s; this replica writes now", l->o.ns, l->o.name, l->o.identity);
	l->fn(l->arg, true);
}

static void got(void *arg, const struct kube_resp *r, json_t *body);

static void read_again(struct leader *l)
{
	l->sent_ms = mono_ms();
	l->call = kube_lease_get(l->h, l->o.ns, l->o.name, got, l);
}

/* After a create or update meant to make (or keep) this process the holder. */
static void written(void *arg, const struct kube_resp *r, json_t *body)
{
	struct leader *l = arg;
	char msg[256];

	l->call = NULL;
	if ((r->status == 200 || r->status == 201) && json_is_object(body)) {
		if (mono_ms() - l->sent_ms < l->o.renew_ms) {
			became_leader(l, body);
			return;
		}
		/* Written, but too late to count on it: the next round reads it and renews. */
		log_warn("leader", "Lease %s/%s: the write took longer than the renew deadline", l->o.ns, l->o.name);
		set_lease(l, NULL);
		return;
	}
	set_lease(l, NULL);
	if (r->status == 409) {
		/* Someone else wrote in between: look again at once. */
		log_debug("leader", "Lease %s/%s: conflict; reading it again", l->o.ns, l->o.name);
		read_again(l);
		return;
	}
	log_warn("leader", "Lease %s/%s: %s", l->o.ns, l->o.name, kube_resp_message(r, body, msg, sizeof(msg)));
}

static void claim(struct leader *l, const json_t *from)
{
	json_t *lease = kube_lease_build(l->o.ns, l->o.name, l->o.identity, (l->o.lease_ms + 999) / 1000, from);

	l->sent_ms = mono_ms();
	l->call = from ? kube_lease_update(l->h, lease, written, l) : kube_lease_create(l->h, lease, written, l);
	json_decref(lease);
}

/* Someone else holds it: remember when its record last changed, as seen from here. */
static bool expired(struct leader *l, const json_t *lease)
{
	const char *rv = json_string_value(json_object_get(json_object_get(lease, "metadata"), "resourceVersion"));
	json_int_t dur = json_integer_value(json_object_get(json_object_get(lease, "spec"), "leaseDurationSeconds"));
	uint64_t now = mono_ms();

	if (!rv || !l->seen_rv || strcmp(rv, l->seen_rv) != 0) {
		free(l->seen_rv);
		l->seen_rv = xstrdup(rv ? rv : "");
		l->seen_ms = now;
	}
	if (dur <= 0)
		dur = (l->o.lease_ms + 999) / 1000;
	return now - l->seen_ms >= (uint64_t)dur * 1000;
}

static void got(void *arg, const struct kube_resp *r, json_t *body)
{
	struct leader *l = arg;
	char msg[256];

	l->call = NULL;
	if (r->status == 404) {
		set_lease(l, NULL);
		step_down(l, "the Lease is gone");
		claim(l, NULL);
		return;
	}
	if (r->status != 200 || !json_is_object(body)) {
		log_warn("leader", "Lease %s/%s: %s", l->o.ns, l->o.name, kube_resp_message(r, body, msg, sizeof(msg)));
		return;
	}
	set_lease(l, body);
	const char *holder = lease_holder(body);
	if (strcmp(holder, l->o.identity) == 0 || !*holder) {
		claim(l, body);
		return;
	}
	step_down(l, "another replica holds the Lease");
	if (expired(l, body)) {
		log_info("leader", "Lease %s/%s: %s has not renewed it for its lease duration; taking over", l->o.ns,
			 l->o.name, holder);
		claim(l, body);
		return;
	}
	if (!l->logged_holder || strcmp(l->logged_holder, holder) != 0) {
		free(l->logged_holder);
		l->logged_holder = xstrdup(holder);
		log_info("leader", "Lease %s/%s is held by %s; waiting (this replica does not write)", l->o.ns, l->o.name,
			 holder);
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct leader *l = arg;
	(void)fd, (void)what;

	if (!l->released && !l->call) {
		if (l->leading && l->lease)
			claim(l, l->lease);  /* renew from the version last written */
		else
			read_again(l);
	}
	if (!l->released)
		schedule_next(l);
}

struct leader *leader_new(struct kube_http *h, const struct leader_opts *o, leader_fn fn, void *arg)
{
	struct leader *l = xcalloc(1, sizeof(*l));
	struct event_base *base = kube_http_base(h);

	l->h = h;
	l->o.ns = xstrdup(o->ns);
	l->o.name = xstrdup(o->name);
	l->o.identity = xstrdup(o->identity);
	l->o.lease_ms = o->lease_ms ? o->lease_ms : 15000;
	l->o.renew_ms = o->renew_ms ? o->renew_ms : 10000;
	l->o.retry_ms = o->retry_ms ? o->retry_ms : 2000;
	l->fn = fn;
	l->arg = arg;
	l->tick = evtimer_new(base, on_tick, l);
	l->deadline = evtimer_new(base, on_deadline, l);
	if (!l->tick || !l->deadline)
		xalloc_die("evtimer_new");
	schedule(l, 0);
	return l;
}

bool leader_leading(const struct leader *l)
{
	return l->leading;
}

static void release_done(void *arg, const struct kube_resp *r, json_t *body)
{
	struct leader *l = arg;
	char msg[256];

	l->call = NULL;
	if (r->status == 200)
		log_info("leader", "Lease %s/%s released", l->o.ns, l->o.name);
	else
		log_warn("leader", "Lease %s/%s: release: %s", l->o.ns, l->o.name,
			 kube_resp_message(r, body, msg, sizeof(msg)));
	l->released(l->released_arg);
}

void leader_release(struct leader *l, void (*done)(void *arg), void *arg)
{
	bool held = l->leading && l->lease;

	evtimer_del(l->tick);
	kube_call_cancel(l->call);
	l->call = NULL;
	l->released = done;
	l->released_arg = arg;
	step_down(l, "shutting down");
	if (!held) {
		done(arg);
		return;
	}
	/* As client-go releases: no holder, a one-second lease, the transitions count kept. */
	json_t *lease = kube_lease_build(l->o.ns, l->o.name, "", 1, l->lease);
	json_t *spec = json_object_get(lease, "spec");
	json_object_set(spec, "leaseTransitions", json_object_get(json_object_get(l->lease, "spec"), "leaseTransitions"));
	l->call = kube_lease_update(l->h, lease, release_done, l);
	json_decref(lease);
}

void leader_free(struct leader *l)
{
	if (!l)
		return;
	kube_call_cancel(l->call);
	event_free(l->tick);
	event_free(l->deadline);
	json_decref(l->lease);
	free(l->seen_rv);
	free(l->logged_holder);
	free((char *)l->o.ns);
	free((char *)l->o.name);
	free((char *)l->o.identity);
	free(l);
}
