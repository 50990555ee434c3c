#include "kube_api_probe.h"

#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kube_backoff.h"
#include "kube_resource.h"
#include "kube_watch.h"
#include "log.h"
#include "xalloc.h"

struct kube_api_probe {
	struct kube_http *h;
	char *group, *version, *crd;
	void (*cb)(void *arg, bool served);
	void *arg;
	struct kube_discovery *d;  /* in flight */
	struct kube_watch *w;      /* the CRD, from the first time the API is found absent */
	struct event *timer;       /* the next discovery */
	struct kube_backoff soon;  /* while the CRD exists and the API is not served yet */
	bool said_absent;
};

static void probed(void *arg, enum kube_api_state s);

static void discover(struct kube_api_probe *p)
{
	evtimer_del(p->timer);
	kube_discover_cancel(p->d);
	p->d = kube_discover(p->h, p->group, p->version, probed, p);
}

/* Requests are never answered from inside a call: probed() cannot run in this callback. */
static void on_crd(void *arg, enum kube_event_type t, const struct kube_item *it)
{
	struct kube_api_probe *p = arg;

	if (t == KUBE_DELETED)
		return;
	log_debug("kube", "CustomResourceDefinition %s %s: is %s/%s served?", it->name,
		  t == KUBE_ADDED ? "added" : "modified", p->group, p->version);
	kube_backoff_reset(&p->soon);
	discover(p);
}

static void watch_crd(struct kube_api_probe *p)
{
	char sel[300];
	struct kube_watch_opts o = { .field_selector = sel, .backoff_max_ms = KUBE_PROBE_AGAIN_S * 1000 };
	struct kube_watch_cbs cbs = { on_crd, NULL, p, NULL };

	snprintf(sel, sizeof(sel), "metadata.name=%s", p->crd);
	log_debug("kube", "%s/%s is not served: watching the CustomResourceDefinition %s", p->group, p->version,
		  p->crd);
	p->w = kube_watch_new(p->h, &kube_res_crd, NULL, &o, &cbs);
}

/* No discovery while the CRD watch works and shows no CRD: its next event asks. */
static bool worth_asking(const struct kube_api_probe *p)
{
	return !p->w || !kube_watch_synced(p->w) || kube_watch_count(p->w) > 0;
}

static void probed(void *arg, enum kube_api_state s)
{
	struct kube_api_probe *p = arg;
	uint32_t ms = KUBE_PROBE_RETRY_S * 1000;

	p->d = NULL;
	if (s == KUBE_API_PRESENT) {
		kube_watch_free(p->w);  /* a discovery's callback, not the watch's */
		p->w = NULL;
		p->cb(p->arg, true);  /* may free p */
		return;
	}
	if (s == KUBE_API_ABSENT) {
		if (!p->w)
			watch_crd(p);
		ms = kube_watch_count(p->w) ? kube_backoff_next(&p->soon, 0, arc4random()) : KUBE_PROBE_AGAIN_S * 1000;
	}
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	evtimer_add(p->timer, &tv);
	if (s == KUBE_API_ABSENT && !p->said_absent) {
		p->said_absent = true;
		p->cb(p->arg, false);  /* may free p */
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct kube_api_probe *p = arg;

	(void)fd, (void)what;
	if (worth_asking(p))
		discover(p);
}

struct kube_api_probe *kube_api_probe_new(struct kube_http *h, const char *group, const char *version,
					  const char *crd, void (*cb)(void *arg, bool served), void *arg)
{
	struct kube_api_probe *p = xcalloc(1, sizeof(*p));

	p->h = h;
	p->group = xstrdup(group);
	p->version = xstrdup(version);
	p->crd = xstrdup(crd);
	p->cb = cb;
	p->arg = arg;
	kube_backoff_init(&p->soon, KUBE_PROBE_SOON_MS, KUBE_PROBE_AGAIN_S * 1000);
	p->timer = evtimer_new(kube_http_base(h), on_timer, p);
	if (!p->timer)
		xalloc_die("evtimer_new");
	discover(p);
	return p;
}

void kube_api_probe_free(struct kube_api_probe *p)
{
	if (!p)
		return;
	kube_discover_cancel(p->d);
	kube_watch_free(p->w);
	event_free(p->timer);
	free(p->group);
	free(p->version);
	free(p->crd);
	free(p);
}
