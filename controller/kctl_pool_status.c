/*
 * The status of each IPAddressPool, as MetalLB v0.15 writes it:
 * assignedIPv4, assignedIPv6, availableIPv4, availableIPv6 (counted by
 * alloc_pool_usage). Allocation changes only mark the counters dirty; a
 * short timer then writes the pools whose counters differ from what their
 * status says, so a burst of a thousand allocations costs a few writes, not
 * a thousand. One write per pool is in flight at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "kctl_int.h"
#include "kube_status.h"
#include "log.h"
#include "xalloc.h"

#define FLUSH_MS 250
#define RETRY_MS 5000

struct pool_write {
	struct pool_write *next;
	struct kctl *k;
	char *name;
	struct alloc_pool_usage want;
	struct kube_status_write *w;
	bool again;  /* the counters changed while a write was in flight */
	bool seen;   /* still a pool of the configuration at the last flush */
};

struct kctl_pools {
	struct event *timer;
	struct pool_write *list;
	uint32_t delay_ms;
};

static const char *const field[2][2] = {
	{ "assignedIPv4", "assignedIPv6" },
	{ "availableIPv4", "availableIPv6" },
};

static bool pool_mutate(void *arg, json_t *obj)
{
	struct pool_write *p = arg;
	json_t *status = json_object_get(obj, "status");
	bool same = json_is_object(status);

	for (int f = 0; f < 2 && same; f++)
		same = json_integer_value(json_object_get(status, field[0][f])) == p->want.assigned[f] &&
		       json_integer_value(json_object_get(status, field[1][f])) == p->want.available[f] &&
		       json_is_integer(json_object_get(status, field[0][f])) &&
		       json_is_integer(json_object_get(status, field[1][f]));
	if (same)
		return false;
	status = json_object();
	for (int f = 0; f < 2; f++) {
		json_object_set_new(status, field[0][f], json_integer(p->want.assigned[f]));
		json_object_set_new(status, field[1][f], json_integer(p->want.available[f]));
	}
	json_object_set_new(obj, "status", status);
	return true;
}

static void schedule(struct kctl *k, uint32_t ms)
{
	struct kctl_pools *ps = k->pools;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (!evtimer_pending(ps->timer, NULL))
		evtimer_add(ps->timer, &tv);
}

static void start_write(struct pool_write *p);

static void pool_written(void *arg, long status, const json_t *obj, unsigned writes, const char *message)
{
	struct pool_write *p = arg;
	(void)obj, (void)writes;

	p->w = NULL;
	if (status != 200 && status != 204 && status != 404) {
		log_warn("config", "IPAddressPool %s/%s: cannot write its status: %s", p->k->ns, p->name, message);
		p->again = true;
		schedule(p->k, RETRY_MS);
		return;
	}
	if (p->again) {
		p->again = false;
		start_write(p);
	}
}

static void start_write(struct pool_write *p)
{
	struct kctl *k = p->k;

	if (p->w) {
		p->again = true;
		return;
	}
	p->w = kube_status_update(k->h, kube_resource_of(KIND_IPADDRESSPOOL), k->ns, p->name,
				  kctl_config_raw(k, KIND_IPADDRESSPOOL, k->ns, p->name), pool_mutate, pool_written, p);
}

static void take_usage(const struct object *pool, const struct alloc_pool_usage *u, void *arg)
{
	struct kctl *k = arg;
	struct pool_write *p;

	for (p = k->pools->list; p && strcmp(p->name, pool->meta.name) != 0; p = p->next)
		;
	if (!p) {
		p = xcalloc(1, sizeof(*p));
		p->k = k;
		p->name = xstrdup(pool->meta.name);
		p->next = k->pools->list;
		k->pools->list = p;
	}
	p->seen = true;
	if (memcmp(&p->want, u, sizeof(*u)) != 0 || !p->w) {
		p->want = *u;
		start_write(p);
	}
}

static void pool_free(struct pool_write *p)
{
	kube_status_cancel(p->w);
	free(p->name);
	free(p);
}

static void flush(evutil_socket_t fd, short what, void *arg)
{
	struct kctl *k = arg;
	(void)fd, (void)what;

	if (!k->serving)
		return;
	for (struct pool_write *p = k->pools->list; p; p = p->next)
		p->seen = false;
	alloc_pool_usage(k->alloc, take_usage, k);
	for (struct pool_write **pp = &k->pools->list; *pp;) {
		struct pool_write *p = *pp;
		if (p->seen) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;  /* no longer a pool in force */
		pool_free(p);
	}
}

void kctl_pools_dirty(struct kctl *k)
{
	if (k->serving)
		schedule(k, FLUSH_MS);
}

void kctl_pools_stop(struct kctl *k)
{
	struct kctl_pools *ps = k->pools;

	evtimer_del(ps->timer);
	while (ps->list) {
		struct pool_write *p = ps->list;
		ps->list = p->next;
		pool_free(p);
	}
}

void kctl_pools_init(struct kctl *k)
{
	k->pools = xcalloc(1, sizeof(*k->pools));
	k->pools->timer = evtimer_new(k->base, flush, k);
	if (!k->pools->timer)
		xalloc_die("evtimer_new");
}

void kctl_pools_free(struct kctl *k)
{
	if (!k->pools)
		return;
	kctl_pools_stop(k);
	event_free(k->pools->timer);
	free(k->pools);
	k->pools = NULL;
}
