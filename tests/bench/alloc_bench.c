/*
 * alloc_bench: time and peak memory of vipcast's IP allocator beside a
 * reference allocator that works the way MetalLB's does (scan each pool from
 * its first address, skip the used ones), measured in the same run.
 *
 * Every (scenario, implementation) runs in its own forked child, so peak RSS
 * is per run. A child builds the configuration through the real path (pools
 * and Services generated as YAML text, config_load_yaml(), config_validate()),
 * trims the heap, resets its RSS high-water mark (/proc/self/clear_refs), then
 * runs the allocation phase under CLOCK_MONOTONIC and sends back the timings,
 * VmHWM/VmRSS and the address every Service got through a pipe. A third child
 * per scenario only builds the configuration: its RSS is the baseline that is
 * subtracted to show the allocator's own share.
 *
 * vipcast is timed as the controller drives it per Service: svc_request_read +
 * alloc_assign + svc_request_free, Services in creation order, after an
 * untimed alloc_set_config(). The reference keeps a C open-addressing hash set
 * of 16-byte addresses and a per-Service record (namespace, name, address) in
 * a hash map keyed by "ns/name"; MetalLB keeps Go maps keyed by IP strings, so
 * this stand-in is generous to the reference (faster and smaller).
 *
 * Both implementations must hand every Service the same address; the run
 * checks that and prints "results identical" or the first difference.
 *
 * Usage: alloc_bench [--quick] [--services N] [--max-seconds S] [--only A,B,...]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "diag.h"
#include "load.h"
#include "model.h"
#include "reconcile.h"
#include "service_request.h"

#ifndef BENCH_CFLAGS
#define BENCH_CFLAGS "unknown"
#endif

#define FULL_SERVICES 100000
#define QUICK_SERVICES 10000
#define DEFAULT_MAX_SECONDS 120.0
#define SERVICES_PER_CHUNK 20000  /* config_load_yaml() takes at most 16 MiB per call: one "file" per chunk */
#define NAMESPACES 50
#define MANY_POOLS 1000

/* ---------------------------------------------------------------- utilities */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static _Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("alloc_bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void *bmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

static void *bcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

static char *bstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = bmalloc(n);

	memcpy(p, s, n);
	return p;
}

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_printf(struct buf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			die("vsnprintf failed");
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 1 << 20;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			die("out of memory (%zu bytes)", cap);
		b->p = p;
		b->cap = cap;
	}
}

/* A field of /proc/self/status in kB ("VmHWM", "VmRSS"); -1 when unreadable. */
static long status_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t flen = strlen(field);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			v = strtol(line + flen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Resets VmHWM to the current RSS (Linux >= 4.0). */
static bool reset_hwm(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, "5", 1) == 1;
	close(fd);
	return ok;
}

static bool write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
	}
	return true;
}

static double mib(long kb)
{
	return (double)kb / 1024.0;
}

/* ---------------------------------------------------------------- scenarios */

enum shape { ONE_V4, MANY_V4, ONE_V6 };

struct scenario {
	const char *id;
	const char *title;
	enum shape shape;
	bool avoid_buggy;
	bool fragment;  /* D: hold n, then time releasing every other one and allocating n/2 new ones */
};

static const struct scenario scenarios[] = {
	{ "A", "one IPv4 pool 198.18.0.0/15 (131072 addresses)", ONE_V4, false, false },
	{ "A2", "as A with avoidBuggyIPs: true (.0 and .255 skipped)", ONE_V4, true, false },
	{ "B", "1000 IPv4 pools of 128 addresses (/25s in 198.18.0.0/15), autoAssign, tried in name order",
	  MANY_V4, false, false },
	{ "C", "one IPv6 pool 2001:db8::/64, IPv6 SingleStack Services", ONE_V6, false, false },
	{ "D", "as A, N held; timed: release every other Service, then allocate N/2 new ones (holes)", ONE_V4,
	  false, true },
};
#define NSCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

static size_t config_services(const struct scenario *s, size_t n)
{
	return n + (s->fragment ? n / 2 : 0);
}

static void pool_yaml(struct buf *b, size_t i, const char *cidr, bool avoid_buggy)
{
	buf_printf(b,
		   "---\n"
		   "apiVersion: metallb.io/v1beta1\n"
		   "kind: IPAddressPool\n"
		   "metadata:\n"
		   "  name: pool-%04zu\n"
		   "  namespace: metallb-system\n"
		   "spec:\n"
		   "  addresses:\n"
		   "  - %s\n"
		   "  autoAssign: true\n"
		   "  avoidBuggyIPs: %s\n",
		   i, cidr, avoid_buggy ? "true" : "false");
}

static void pools_yaml(struct buf *b, const struct scenario *s)
{
	char cidr[64];

	switch (s->shape) {
	case ONE_V4:
		pool_yaml(b, 0, "198.18.0.0/15", s->avoid_buggy);
		break;
	case ONE_V6:
		pool_yaml(b, 0, "2001:db8::/64", s->avoid_buggy);
		break;
	case MANY_V4:
		for (size_t i = 0; i < MANY_POOLS; i++) {
			uint32_t a = (198u << 24 | 18u << 16) + (uint32_t)i * 128u;
			snprintf(cidr, sizeof(cidr), "%u.%u.%u.%u/25", a >> 24, (a >> 16) & 255u, (a >> 8) & 255u,
				 a & 255u);
			pool_yaml(b, i, cidr, s->avoid_buggy);
		}
		break;
	}
}

/* Service i: namespace team-(i % 50), name svc-i, created i seconds after 2024-01-01. */
static void service_yaml(struct buf *b, size_t i, bool v6)
{
	time_t t = (time_t)1704067200 + (time_t)i;
	struct tm tm;
	char ts[32];

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(b,
		   "---\n"
		   "apiVersion: v1\n"
		   "kind: Service\n"
		   "metadata:\n"
		   "  name: svc-%06zu\n"
		   "  namespace: team-%02zu\n"
		   "  creationTimestamp: \"%s\"\n"
		   "  labels:\n"
		   "    app: svc-%06zu\n"
		   "spec:\n"
		   "  type: LoadBalancer\n"
		   "%s"
		   "  selector:\n"
		   "    app: svc-%06zu\n"
		   "  ports:\n"
		   "  - name: http\n"
		   "    port: 80\n"
		   "    protocol: TCP\n"
		   "    targetPort: 8080\n",
		   i, i % NAMESPACES, ts, i, v6 ? "  ipFamilies:\n  - IPv6\n  ipFamilyPolicy: SingleStack\n" : "", i);
}

static int by_age(const void *x, const void *y)
{
	return service_age_cmp(*(const struct object *const *)x, *(const struct object *const *)y);
}

struct built {
	struct config *c;
	const struct object **svcs;  /* in creation order */
	size_t nsvcs;
	size_t yaml_bytes, chunks;
	double secs;
};

static bool load_chunk(struct config *c, const char *name, struct buf *b, struct diags *d, struct built *out)
{
	bool ok = config_load_yaml(c, name, b->p, b->len, d, NULL);

	out->yaml_bytes += b->len;
	out->chunks++;
	b->len = 0;
	return ok;
}

/* The configuration through the real path: YAML text, config_load_yaml(), config_validate(). */
static bool build_config(const struct scenario *s, size_t nsvc, struct built *out, char *err, size_t errlen)
{
	double t0 = now_s();
	struct buf b = { 0 };
	struct diags d;
	char name[64];
	bool ok;

	memset(out, 0, sizeof(*out));
	diags_init(&d);
	out->c = config_new();
	pools_yaml(&b, s);
	ok = load_chunk(out->c, "pools.yaml", &b, &d, out);
	for (size_t i = 0; ok && i < nsvc; i += SERVICES_PER_CHUNK) {
		for (size_t k = i; k < nsvc && k < i + SERVICES_PER_CHUNK; k++)
			service_yaml(&b, k, s->shape == ONE_V6);
		snprintf(name, sizeof(name), "services-%03zu.yaml", i / SERVICES_PER_CHUNK);
		ok = load_chunk(out->c, name, &b, &d, out);
	}
	free(b.p);
	ok = ok && config_validate(out->c, &d);
	if (!ok || d.errors) {
		char line[400] = "";
		if (d.n)
			diag_format(&d.v[0], line, sizeof(line));
		snprintf(err, errlen, "configuration refused (%zu errors): %s", d.errors, line);
		diags_free(&d);
		return false;
	}
	diags_free(&d);
	const struct objects *svcs = &out->c->kinds[KIND_SERVICE];
	if (svcs->n != nsvc) {
		snprintf(err, errlen, "expected %zu Services in the configuration, found %zu", nsvc, svcs->n);
		return false;
	}
	out->nsvcs = svcs->n;
	out->svcs = bcalloc(svcs->n, sizeof(*out->svcs));
	memcpy(out->svcs, svcs->v, svcs->n * sizeof(*out->svcs));
	qsort(out->svcs, out->nsvcs, sizeof(*out->svcs), by_age);
	out->secs = now_s() - t0;
	return true;
}

/* ------------------------------------------------------- reference allocator */

/* An address as a 128-bit integer; IPv4 as ::ffff:a.b.c.d so the families never collide. */
struct key {
	uint64_t hi, lo;
};

static struct key key_of(const struct ipaddr *a)
{
	struct key k = { 0, 0 };

	if (a->family == IPF_V4) {
		k.lo = 0xffff00000000ull | (uint64_t)a->b[0] << 24 | (uint64_t)a->b[1] << 16 | (uint64_t)a->b[2] << 8 |
		       a->b[3];
		return k;
	}
	for (int i = 0; i < 8; i++)
		k.hi = k.hi << 8 | a->b[i];
	for (int i = 8; i < 16; i++)
		k.lo = k.lo << 8 | a->b[i];
	return k;
}

static struct ipaddr ip_of(struct key k, uint8_t family)
{
	struct ipaddr a;

	memset(&a, 0, sizeof(a));
	a.family = family;
	if (family == IPF_V4) {
		for (int i = 0; i < 4; i++)
			a.b[i] = (uint8_t)(k.lo >> (24 - 8 * i));
		return a;
	}
	for (int i = 0; i < 8; i++) {
		a.b[i] = (uint8_t)(k.hi >> (56 - 8 * i));
		a.b[8 + i] = (uint8_t)(k.lo >> (56 - 8 * i));
	}
	return a;
}

static bool key_eq(struct key a, struct key b)
{
	return a.hi == b.hi && a.lo == b.lo;
}

static void key_inc(struct key *k)
{
	if (++k->lo == 0)
		k->hi++;
}

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h;
}

static uint64_t key_hash(struct key k)
{
	return mix64(k.lo ^ (k.hi * 0x9e3779b97f4a7c15ull));
}

/* Open addressing, linear probing, load <= 1/2, backward-shift deletion. */
struct ipset {
	struct key *k;
	uint8_t *full;
	size_t mask, count;
};

static void ipset_init(struct ipset *s, size_t cap)
{
	s->k = bcalloc(cap, sizeof(*s->k));
	s->full = bcalloc(cap, 1);
	s->mask = cap - 1;
	s->count = 0;
}

static bool ipset_has(const struct ipset *s, struct key k)
{
	for (size_t i = key_hash(k) & s->mask; s->full[i]; i = (i + 1) & s->mask)
		if (key_eq(s->k[i], k))
			return true;
	return false;
}

static void ipset_put_nogrow(struct ipset *s, struct key k)
{
	size_t i = key_hash(k) & s->mask;

	for (; s->full[i]; i = (i + 1) & s->mask)
		if (key_eq(s->k[i], k))
			return;
	s->k[i] = k;
	s->full[i] = 1;
	s->count++;
}

static void ipset_add(struct ipset *s, struct key k)
{
	if ((s->count + 1) * 2 > s->mask + 1) {
		struct ipset old = *s;
		ipset_init(s, (old.mask + 1) * 2);
		for (size_t i = 0; i <= old.mask; i++)
			if (old.full[i])
				ipset_put_nogrow(s, old.k[i]);
		free(old.k);
		free(old.full);
	}
	ipset_put_nogrow(s, k);
}

/* Whether home slot h lies cyclically in (i, j]: then the entry at j must not move to i. */
static bool in_cyclic(size_t h, size_t i, size_t j)
{
	return i <= j ? (h > i && h <= j) : (h > i || h <= j);
}

static void ipset_del(struct ipset *s, struct key k)
{
	size_t i = key_hash(k) & s->mask;

	for (; s->full[i]; i = (i + 1) & s->mask)
		if (key_eq(s->k[i], k))
			break;
	if (!s->full[i])
		return;
	for (size_t j = (i + 1) & s->mask; s->full[j]; j = (j + 1) & s->mask)
		if (!in_cyclic(key_hash(s->k[j]) & s->mask, i, j)) {
			s->k[i] = s->k[j];
			i = j;
		}
	s->full[i] = 0;
	s->count--;
}

/* The per-Service record, as MetalLB's allocated["ns/name"]. */
struct ref_svc {
	char *ns, *name;
	struct key ip;
	uint8_t family;
	size_t pool;
};

struct svcmap {
	struct ref_svc **v;
	uint64_t *h;
	size_t mask, count;
};

static uint64_t name_hash(const char *ns, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull;  /* FNV-1a over "ns/name" */

	for (const char *p = ns; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	h = (h ^ '/') * 0x100000001b3ull;
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	return mix64(h);
}

static void svcmap_init(struct svcmap *m, size_t cap)
{
	m->v = bcalloc(cap, sizeof(*m->v));
	m->h = bcalloc(cap, sizeof(*m->h));
	m->mask = cap - 1;
	m->count = 0;
}

static size_t svcmap_slot(const struct svcmap *m, const char *ns, const char *name, uint64_t h)
{
	size_t i = h & m->mask;

	for (; m->v[i]; i = (i + 1) & m->mask)
		if (m->h[i] == h && strcmp(m->v[i]->name, name) == 0 && strcmp(m->v[i]->ns, ns) == 0)
			break;
	return i;
}

static struct ref_svc *svcmap_get(const struct svcmap *m, const char *ns, const char *name)
{
	return m->v[svcmap_slot(m, ns, name, name_hash(ns, name))];
}

static void svcmap_put(struct svcmap *m, struct ref_svc *r)
{
	if ((m->count + 1) * 2 > m->mask + 1) {
		struct svcmap old = *m;
		svcmap_init(m, (old.mask + 1) * 2);
		for (size_t i = 0; i <= old.mask; i++)
			if (old.v[i]) {
				size_t k = old.h[i] & m->mask;
				while (m->v[k])
					k = (k + 1) & m->mask;
				m->v[k] = old.v[i];
				m->h[k] = old.h[i];
				m->count++;
			}
		free(old.v);
		free(old.h);
	}
	uint64_t h = name_hash(r->ns, r->name);
	size_t i = svcmap_slot(m, r->ns, r->name, h);
	if (!m->v[i])
		m->count++;
	m->v[i] = r;
	m->h[i] = h;
}

static struct ref_svc *svcmap_del(struct svcmap *m, const char *ns, const char *name)
{
	size_t i = svcmap_slot(m, ns, name, name_hash(ns, name));
	struct ref_svc *r = m->v[i];

	if (!r)
		return NULL;
	for (size_t j = (i + 1) & m->mask; m->v[j]; j = (j + 1) & m->mask)
		if (!in_cyclic(m->h[j] & m->mask, i, j)) {
			m->v[i] = m->v[j];
			m->h[i] = m->h[j];
			i = j;
		}
	m->v[i] = NULL;
	m->count--;
	return r;
}

struct ref_range {
	struct key first, last;
	uint8_t family;
};

struct ref_pool {
	const char *name, *ns;
	bool avoid_buggy;
	struct ref_range *r;
	size_t nr;
};

struct ref {
	struct ref_pool *pools;  /* autoAssign pools, in name order */
	size_t npools;
	struct ipset used;
	struct svcmap svcs;
};

/* Where the previous scan stopped: only for the untimed fill of scenario D. */
struct ref_cursor {
	bool set;
	size_t pool, range;
	struct key ip;
};

static int ref_pool_cmp(const void *x, const void *y)
{
	const struct ref_pool *a = x, *b = y;
	int r = strcmp(a->name, b->name);
	return r ? r : strcmp(a->ns, b->ns);
}

static void ref_init(struct ref *R, const struct config *c)
{
	const struct objects *pools = &c->kinds[KIND_IPADDRESSPOOL];

	memset(R, 0, sizeof(*R));
	R->pools = bcalloc(pools->n, sizeof(*R->pools));
	for (size_t i = 0; i < pools->n; i++) {
		const struct object *o = pools->v[i];
		if (!o->pool.auto_assign.v)
			continue;
		struct ref_pool *p = &R->pools[R->npools++];
		p->name = o->meta.name;
		p->ns = o->meta.namespace;
		p->avoid_buggy = o->pool.avoid_buggy_ips.v;
		p->nr = o->pool.naddrs;
		p->r = bcalloc(p->nr, sizeof(*p->r));
		for (size_t e = 0; e < p->nr; e++)
			p->r[e] = (struct ref_range){ key_of(&o->pool.addrs[e].r.first), key_of(&o->pool.addrs[e].r.last),
						      o->pool.addrs[e].r.first.family };
	}
	qsort(R->pools, R->npools, sizeof(*R->pools), ref_pool_cmp);
	ipset_init(&R->used, 1024);
	svcmap_init(&R->svcs, 1024);
}

static bool buggy(struct key k)
{
	return (k.lo & 0xff) == 0 || (k.lo & 0xff) == 0xff;
}

/* The lowest unused address of the first pool with one, walking every pool from its first address. */
static bool ref_scan(const struct ref *R, uint8_t family, struct ref_cursor *cur, size_t *pool, struct key *out)
{
	bool resume = cur && cur->set;

	for (size_t p = resume ? cur->pool : 0; p < R->npools; p++) {
		const struct ref_pool *pl = &R->pools[p];
		for (size_t e = resume ? cur->range : 0; e < pl->nr; e++) {
			const struct ref_range *rg = &pl->r[e];
			if (rg->family != family) {
				resume = false;
				continue;
			}
			bool skip_buggy = pl->avoid_buggy && family == IPF_V4;
			struct key ip = resume ? cur->ip : rg->first;
			resume = false;
			for (;;) {
				if (!(skip_buggy && buggy(ip)) && !ipset_has(&R->used, ip)) {
					*pool = p;
					*out = ip;
					if (cur)
						*cur = (struct ref_cursor){ true, p, e, ip };
					return true;
				}
				if (key_eq(ip, rg->last))
					break;
				key_inc(&ip);
			}
		}
	}
	return false;
}

/* MetalLB's Allocate for a Service with no request: keep what it holds, else scan. */
static bool ref_assign(struct ref *R, const struct object *svc, struct ref_cursor *cur, struct ipaddr *out)
{
	const char *ns = svc->meta.namespace, *name = svc->meta.name;
	struct ref_svc *r = svcmap_get(&R->svcs, ns, name);
	const struct service_spec *sp = svc_spec(&svc->svc);
	uint8_t family = sp->nfamilies ? sp->families[0] : IPF_V4;
	struct key ip;
	size_t pool;

	if (r) {
		*out = ip_of(r->ip, r->family);
		return true;
	}
	if (!ref_scan(R, family, cur, &pool, &ip)) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	ipset_add(&R->used, ip);
	r = bmalloc(sizeof(*r));
	r->ns = bstrdup(ns);
	r->name = bstrdup(name);
	r->ip = ip;
	r->family = family;
	r->pool = pool;
	svcmap_put(&R->svcs, r);
	*out = ip_of(ip, family);
	return true;
}

static void ref_release(struct ref *R, const char *ns, const char *name)
{
	struct ref_svc *r = svcmap_del(&R->svcs, ns, name);

	if (!r)
		return;
	ipset_del(&R->used, r->ip);
	free(r->ns);
	free(r->name);
	free(r);
}

/* ------------------------------------------------------------ child process */

enum impl { IMPL_BASELINE, IMPL_VIPCAST, IMPL_REFERENCE };
static const char *const impl_names[] = { "config only", "vipcast", "reference" };

struct report {
	int failed;
	char error[512];
	size_t planned;      /* allocations the timed phase should make */
	size_t done;         /* allocations it made (fewer when capped) */
	size_t unserved;     /* allocations that found no address */
	size_t released;     /* D: releases in the timed phase */
	bool capped;
	double secs;         /* the timed phase */
	double build_secs;   /* YAML generation + load + validate + sort */
	size_t yaml_bytes, chunks;
	long hwm_build_kb;   /* VmHWM before the reset: the build's peak */
	long rss_start_kb;   /* VmRSS when the allocator phase began */
	long hwm_phase_kb;   /* VmHWM at the end: the peak from the reset on */
	bool hwm_reset;
	size_t ncompare;     /* the first ncompare results are comparable */
	size_t nresults;     /* struct ipaddr values that follow the report */
};

struct opts {
	size_t n;
	double max_seconds;
	bool only[NSCENARIOS];
};

static void vipcast_one(struct alloc *a, const struct object *svc, struct ipaddr *out, struct report *rep)
{
	struct svc_request r;
	struct alloc_result res;

	svc_request_read(svc, NULL, &r);
	alloc_assign(a, svc, &r, &res);
	svc_request_free(&r);
	if (res.ok && res.nips == 1) {
		*out = res.ips[0];
		return;
	}
	memset(out, 0, sizeof(*out));
	if (!rep->unserved++ && !rep->error[0])
		snprintf(rep->error, sizeof(rep->error), "%s/%s: %s", svc->meta.namespace, svc->meta.name,
			 res.message);
}

static void run_vipcast(const struct built *b, const struct scenario *s, const struct opts *o, struct report *rep,
			struct ipaddr *results)
{
	struct alloc *a = alloc_new();
	size_t n = o->n;

	alloc_set_config(a, b->c, NULL, NULL);
	if (!s->fragment) {
		rep->planned = n;
		double t0 = now_s();
		for (size_t i = 0; i < n; i++)
			vipcast_one(a, b->svcs[i], &results[i], rep);
		rep->secs = now_s() - t0;
		rep->done = n;
		rep->ncompare = n;
		return;  /* the child exits: no need to free */
	}
	for (size_t i = 0; i < n; i++)  /* untimed: the held state */
		vipcast_one(a, b->svcs[i], &results[i], rep);
	rep->planned = n / 2;
	double t0 = now_s();
	for (size_t i = 0; i < n; i += 2) {
		alloc_release(a, b->svcs[i]->meta.namespace, b->svcs[i]->meta.name);
		rep->released++;
	}
	for (size_t i = n; i < n + n / 2; i++)
		vipcast_one(a, b->svcs[i], &results[i], rep);
	rep->secs = now_s() - t0;
	rep->done = n / 2;
	for (size_t i = 0; i < n + n / 2; i++) {  /* what each Service holds at the end */
		struct ipaddr ips[2];
		if (alloc_service_ips(a, b->svcs[i]->meta.namespace, b->svcs[i]->meta.name, ips, NULL) == 1)
			results[i] = ips[0];
		else
			memset(&results[i], 0, sizeof(results[i]));
	}
	rep->ncompare = n + n / 2;
}

static void ref_one(struct ref *R, const struct object *svc, struct ref_cursor *cur, struct ipaddr *out,
		    struct report *rep)
{
	if (!ref_assign(R, svc, cur, out) && !rep->unserved++ && !rep->error[0])
		snprintf(rep->error, sizeof(rep->error), "%s/%s: no pool has a free address", svc->meta.namespace,
			 svc->meta.name);
}

static void run_reference(const struct built *b, const struct scenario *s, const struct opts *o,
			  struct report *rep, struct ipaddr *results)
{
	struct ref R;
	size_t n = o->n, first = 0, count = n;

	ref_init(&R, b->c);
	if (s->fragment) {
		/* Untimed fill: the same scan, resumed where the last one stopped (the pool fills from
		 * the bottom, so this gives what scanning from the start would, without n^2/2 probes). */
		struct ref_cursor cur = { 0 };
		for (size_t i = 0; i < n; i++)
			ref_one(&R, b->svcs[i], &cur, &results[i], rep);
		first = n;
		count = n / 2;
	}
	rep->planned = count;
	double t0 = now_s();
	if (s->fragment) {
		for (size_t i = 0; i < n; i += 2) {
			ref_release(&R, b->svcs[i]->meta.namespace, b->svcs[i]->meta.name);
			rep->released++;
		}
	}
	for (size_t i = first; i < first + count; i++) {
		if (now_s() - t0 > o->max_seconds) {
			rep->capped = true;
			break;
		}
		ref_one(&R, b->svcs[i], NULL, &results[i], rep);
		rep->done++;
	}
	rep->secs = now_s() - t0;
	if (!s->fragment) {
		rep->ncompare = rep->done;
		return;
	}
	for (size_t i = 0; i < first + rep->done; i++) {
		const struct ref_svc *r = svcmap_get(&R.svcs, b->svcs[i]->meta.namespace, b->svcs[i]->meta.name);
		if (r)
			results[i] = ip_of(r->ip, r->family);
		else
			memset(&results[i], 0, sizeof(results[i]));
	}
	rep->ncompare = first + rep->done;
}

static _Noreturn void child_main(int fd, const struct scenario *s, enum impl impl, const struct opts *o)
{
	struct report rep;
	struct built b;
	struct ipaddr *results = NULL;
	size_t nsvc = config_services(s, o->n);

	memset(&rep, 0, sizeof(rep));
	if (!build_config(s, nsvc, &b, rep.error, sizeof(rep.error))) {
		rep.failed = 1;
		write_all(fd, &rep, sizeof(rep));
		_exit(1);
	}
	rep.build_secs = b.secs;
	rep.yaml_bytes = b.yaml_bytes;
	rep.chunks = b.chunks;
	/* The bench's own output buffer, touched before the reset in every child, the baseline's too. */
	results = bcalloc(nsvc, sizeof(*results));
	memset(results, 0xff, nsvc * sizeof(*results));  /* every entry sent back is written later */
	malloc_trim(0);  /* the YAML text and document trees are gone: give their pages back */
	rep.hwm_build_kb = status_kb("VmHWM");
	rep.hwm_reset = reset_hwm();
	rep.rss_start_kb = status_kb("VmRSS");
	if (impl == IMPL_VIPCAST)
		run_vipcast(&b, s, o, &rep, results);
	else if (impl == IMPL_REFERENCE)
		run_reference(&b, s, o, &rep, results);
	rep.hwm_phase_kb = status_kb("VmHWM");
	if (!rep.hwm_reset && rep.hwm_phase_kb < 0)
		rep.hwm_phase_kb = rep.hwm_build_kb;
	rep.nresults = impl == IMPL_BASELINE ? 0 : rep.ncompare;
	if (!write_all(fd, &rep, sizeof(rep)) ||
	    (rep.nresults && !write_all(fd, results, rep.nresults * sizeof(*results))))
		_exit(2);
	_exit(0);
}

struct outcome {
	bool ran;
	struct report rep;
	struct ipaddr *results;
	char failure[600];
};

static void run_child(const struct scenario *s, enum impl impl, const struct opts *o, struct outcome *out)
{
	int p[2];
	pid_t pid;

	memset(out, 0, sizeof(*out));
	fprintf(stderr, "  %-3s %-12s ...", s->id, impl_names[impl]);
	fflush(NULL);
	if (pipe(p) < 0)
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		child_main(p[1], s, impl, o);
	}
	close(p[1]);

	size_t cap = sizeof(struct report), len = 0;
	char *data = bmalloc(cap);
	for (;;) {
		if (len == cap) {
			cap *= 2;
			char *d = realloc(data, cap);
			if (!d)
				die("out of memory");
			data = d;
		}
		ssize_t r = read(p[0], data + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(p[0]);

	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	out->ran = true;
	if (len < sizeof(struct report)) {
		snprintf(out->failure, sizeof(out->failure), "child sent no report (%s %d)",
			 WIFSIGNALED(status) ? "signal" : "exit status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		free(data);
		fprintf(stderr, " failed: %s\n", out->failure);
		return;
	}
	memcpy(&out->rep, data, sizeof(out->rep));
	if (out->rep.failed) {
		snprintf(out->failure, sizeof(out->failure), "%s", out->rep.error);
	} else if (len != sizeof(struct report) + out->rep.nresults * sizeof(struct ipaddr)) {
		snprintf(out->failure, sizeof(out->failure), "child sent %zu bytes, expected %zu", len,
			 sizeof(struct report) + out->rep.nresults * sizeof(struct ipaddr));
	} else if (out->rep.nresults) {
		out->results = bmalloc(out->rep.nresults * sizeof(struct ipaddr));
		memcpy(out->results, data + sizeof(struct report), out->rep.nresults * sizeof(struct ipaddr));
	}
	free(data);
	if (out->failure[0])
		fprintf(stderr, " failed: %s\n", out->failure);
	else if (impl == IMPL_BASELINE)
		fprintf(stderr, " built in %.2f s, RSS %.1f MiB\n", out->rep.build_secs, mib(out->rep.rss_start_kb));
	else
		fprintf(stderr, " %zu/%zu in %.3f s%s, peak %.1f MiB\n", out->rep.done, out->rep.planned,
			out->rep.secs, out->rep.capped ? " (capped)" : "", mib(out->rep.hwm_phase_kb));
}

/* ------------------------------------------------------------------ output */

static void fmt_ip(const struct ipaddr *a, char buf[IPADDR_STRLEN])
{
	if (a->family == IPF_NONE)
		snprintf(buf, IPADDR_STRLEN, "(none)");
	else
		ipaddr_format(a, buf);
}

/* Service i's name as the generator wrote it. */
static void svc_name(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "team-%02zu/svc-%06zu", i % NAMESPACES, i);
}

static void compare(const struct scenario *s, const struct outcome *v, const struct outcome *r, char *line,
		    size_t len)
{
	size_t n = v->rep.ncompare < r->rep.ncompare ? v->rep.ncompare : r->rep.ncompare;
	char a[IPADDR_STRLEN], b[IPADDR_STRLEN], name[64];

	if (v->failure[0] || r->failure[0] || !v->results || !r->results) {
		snprintf(line, len, "%s: not compared (a run failed)", s->id);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (v->results[i].family != r->results[i].family ||
		    (v->results[i].family != IPF_NONE && !ipaddr_eq(&v->results[i], &r->results[i]))) {
			fmt_ip(&v->results[i], a);
			fmt_ip(&r->results[i], b);
			svc_name(i, name, sizeof(name));
			snprintf(line, len, "%s: DIFFERENT: first at Service #%zu %s: vipcast %s, reference %s", s->id, i,
				 name, a, b);
			return;
		}
	fmt_ip(&v->results[n ? n - 1 : 0], a);
	snprintf(line, len, "%s: results identical (%zu Services%s%s; last compared got %s)", s->id, n,
		 s->fragment ? " incl. the survivors" : "",
		 r->rep.capped ? ", as far as the capped reference got" : "", a);
}

struct row {
	char cells[10][32];
};

enum col { C_SCEN, C_IMPL, C_SERVICES, C_SECS, C_US, C_PEAK, C_SHARE, C_TRATIO, C_PRATIO, C_SRATIO, NCOLS };
static const char *const headers[NCOLS] = { "scenario", "implementation", "allocations", "seconds", "us/alloc",
					    "peak MiB", "-base MiB", "time v/r", "peak v/r", "-base v/r" };
static const bool right[NCOLS] = { false, false, true, true, true, true, true, true, true, true };

static void ratio(char *cell, double v, double r, bool upper_bound)
{
	if (r <= 0 || v < 0)
		snprintf(cell, 32, "-");
	else if (v / r < 0.001)
		snprintf(cell, 32, "%s%.1e", upper_bound ? "<" : "", v / r);
	else
		snprintf(cell, 32, "%s%.3f", upper_bound ? "<" : "", v / r);
}

static void fill_row(struct row *row, const struct scenario *s, enum impl impl, const struct outcome *o,
		     long base_kb)
{
	char (*c)[32] = row->cells;

	memset(row, 0, sizeof(*row));
	snprintf(c[C_SCEN], 32, "%s", s->id);
	snprintf(c[C_IMPL], 32, "%s%s", impl_names[impl], o->rep.capped ? " (capped)" : "");
	if (o->failure[0]) {
		snprintf(c[C_SERVICES], 32, "FAILED");
		for (int k = C_SECS; k < NCOLS; k++)
			snprintf(c[k], 32, "-");
		return;
	}
	if (o->rep.capped)
		snprintf(c[C_SERVICES], 32, "%zu/%zu", o->rep.done, o->rep.planned);
	else
		snprintf(c[C_SERVICES], 32, "%zu", o->rep.done);
	snprintf(c[C_SECS], 32, "%.3f", o->rep.secs);
	snprintf(c[C_US], 32, "%.2f", o->rep.done ? o->rep.secs * 1e6 / (double)o->rep.done : 0.0);
	snprintf(c[C_PEAK], 32, "%.1f", mib(o->rep.hwm_phase_kb));
	if (base_kb >= 0)
		snprintf(c[C_SHARE], 32, "%.1f", mib(o->rep.hwm_phase_kb - base_kb));
	else
		snprintf(c[C_SHARE], 32, "-");
	for (int k = C_TRATIO; k < NCOLS; k++)
		snprintf(c[k], 32, "%s", "");
}

static void print_table(struct row *rows, size_t n)
{
	size_t w[NCOLS];

	for (int k = 0; k < NCOLS; k++) {
		w[k] = strlen(headers[k]);
		for (size_t i = 0; i < n; i++)
			if (strlen(rows[i].cells[k]) > w[k])
				w[k] = strlen(rows[i].cells[k]);
	}
	for (int k = 0; k < NCOLS; k++)
		printf("%s%*s", k ? "  " : "", right[k] ? (int)w[k] : -(int)w[k], headers[k]);
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < NCOLS; k++)
			printf("%s%*s", k ? "  " : "", right[k] ? (int)w[k] : -(int)w[k], rows[i].cells[k]);
		printf("\n");
	}
}

static int nproc(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/* "0.52 0.61 0.70"; returns the 1-minute figure (-1 when unknown). */
static double loadavg(char *buf, size_t len)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l1 = -1, l5, l15;

	if (f && fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3)
		snprintf(buf, len, "%.2f %.2f %.2f", l1, l5, l15);
	else
		snprintf(buf, len, "unknown");
	if (f)
		fclose(f);
	return l1;
}

static void print_machine(const struct opts *o)
{
	int ncpu = nproc();
	char model[128] = "unknown", date[64];
	struct utsname u;
	time_t t = time(NULL);
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (f) {
		char line[256];
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "model name", 10) == 0) {
				char *p = strchr(line, ':');
				if (p) {
					p += 1 + (p[1] == ' ');
					p[strcspn(p, "\n")] = 0;
					snprintf(model, sizeof(model), "%s", p);
				}
				break;
			}
		fclose(f);
	}
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
	uname(&u);
	printf("vipcast allocator benchmark, %s\n", date);
	printf("machine: nproc %d, %s, %s %s %s\n", ncpu, model, u.sysname, u.release, u.machine);
#ifdef __VERSION__
	printf("compiler: %s\n", __VERSION__);
#endif
	printf("flags: %s\n", BENCH_CFLAGS);
	loadavg(date, sizeof(date));
	printf("load average at start: %s\n", date);
	printf("services per scenario: %zu; reference capped at %.0f s per scenario\n", o->n, o->max_seconds);
	printf("vipcast timed: svc_request_read + alloc_assign + svc_request_free per Service, in creation order\n"
	       "  (config building and alloc_set_config() untimed)\n");
	printf("reference: MetalLB-style scan (each pool in name order, each address from the pool's first, skip\n"
	       "  used ones) over a C open-addressing hash set of 16-byte addresses, plus a per-Service record\n"
	       "  (namespace, name, address) in a hash map keyed by \"ns/name\". MetalLB uses Go maps keyed by\n"
	       "  IP strings, so this stand-in is generous to the reference.\n\n");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: alloc_bench [--quick] [--services N] [--max-seconds S] [--only A,A2,B,C,D]\n"
		   "  --quick          %d Services per scenario instead of %d\n"
		   "  --services N     N Services per scenario\n"
		   "  --max-seconds S  stop the reference's timed phase after S seconds (default %.0f)\n"
		   "  --only LIST      run only these scenarios (comma-separated)\n",
		QUICK_SERVICES, FULL_SERVICES, DEFAULT_MAX_SECONDS);
}

static void parse_only(struct opts *o, const char *list)
{
	char *copy = bstrdup(list), *save = NULL;

	memset(o->only, 0, sizeof(o->only));
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t i = 0;
		while (i < NSCENARIOS && strcasecmp(scenarios[i].id, t) != 0)
			i++;
		if (i == NSCENARIOS)
			die("unknown scenario \"%s\"", t);
		o->only[i] = true;
	}
	free(copy);
}

int main(int argc, char **argv)
{
	struct opts o = { FULL_SERVICES, DEFAULT_MAX_SECONDS, { 0 } };

	for (size_t i = 0; i < NSCENARIOS; i++)
		o.only[i] = true;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;
		if (strcmp(a, "--quick") == 0) {
			o.n = QUICK_SERVICES;
		} else if (strcmp(a, "--services") == 0 && i + 1 < argc) {
			unsigned long long v = strtoull(argv[++i], &end, 10);
			if (*end || v < 2 || v > 10000000)
				die("--services wants a number from 2 to 10000000");
			o.n = (size_t)v;
		} else if (strcmp(a, "--max-seconds") == 0 && i + 1 < argc) {
			o.max_seconds = strtod(argv[++i], &end);
			if (*end || !(o.max_seconds > 0))
				die("--max-seconds wants a positive number");
		} else if (strcmp(a, "--only") == 0 && i + 1 < argc) {
			parse_only(&o, argv[++i]);
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 64;
		}
	}

	print_machine(&o);
	printf("scenarios:\n");
	for (size_t i = 0; i < NSCENARIOS; i++)
		if (o.only[i])
			printf("  %-3s %s\n", scenarios[i].id, scenarios[i].title);
	printf("\n");
	fflush(stdout);

	struct row rows[3 * NSCENARIOS];
	char base_lines[NSCENARIOS][400], checks[NSCENARIOS][400];
	size_t nrows = 0, nlines = 0;
	bool all_same = true;

	fprintf(stderr, "running (each line one forked child):\n");
	for (size_t si = 0; si < NSCENARIOS; si++) {
		const struct scenario *s = &scenarios[si];
		struct outcome base, vip, ref;
		if (!o.only[si])
			continue;
		run_child(s, IMPL_BASELINE, &o, &base);
		run_child(s, IMPL_VIPCAST, &o, &vip);
		run_child(s, IMPL_REFERENCE, &o, &ref);

		long base_kb = base.failure[0] ? -1 : base.rep.rss_start_kb;
		if (base.failure[0])
			snprintf(base_lines[nlines], sizeof(base_lines[0]), "%-3s baseline FAILED: %.300s", s->id,
				 base.failure);
		else
			snprintf(base_lines[nlines], sizeof(base_lines[0]),
				 "%-3s %zu Services, %s: YAML %.1f MB in %zu chunks built in %.2f s; RSS after build "
				 "%.1f MiB (peak while loading %.1f MiB)",
				 s->id, config_services(s, o.n), s->shape == MANY_V4 ? "1000 pools" : "1 pool",
				 (double)base.rep.yaml_bytes / 1e6, base.rep.chunks, base.rep.build_secs,
				 mib(base.rep.rss_start_kb), mib(base.rep.hwm_build_kb));
		compare(s, &vip, &ref, checks[nlines], sizeof(checks[0]));
		all_same &= strstr(checks[nlines], "identical") != NULL;
		nlines++;

		struct row *rv = &rows[nrows++], *rr = &rows[nrows++];
		fill_row(rv, s, IMPL_VIPCAST, &vip, base_kb);
		fill_row(rr, s, IMPL_REFERENCE, &ref, base_kb);
		if (!vip.failure[0] && !ref.failure[0]) {
			bool capped = ref.rep.capped;
			/* A capped reference made fewer allocations in more time than vipcast's whole run would
			 * compare with: the true ratios are below these. */
			ratio(rv->cells[C_TRATIO], vip.rep.secs, ref.rep.secs, capped);
			ratio(rv->cells[C_PRATIO], (double)vip.rep.hwm_phase_kb, (double)ref.rep.hwm_phase_kb, capped);
			if (base_kb >= 0)
				ratio(rv->cells[C_SRATIO], (double)(vip.rep.hwm_phase_kb - base_kb),
				      (double)(ref.rep.hwm_phase_kb - base_kb), capped);
		}
		if (s->fragment && !vip.failure[0])
			snprintf(rv->cells[C_SERVICES], 32, "%zu+%zu rel", vip.rep.done, vip.rep.released);
		if (s->fragment && !ref.failure[0] && !ref.rep.capped)
			snprintf(rr->cells[C_SERVICES], 32, "%zu+%zu rel", ref.rep.done, ref.rep.released);
		if (vip.rep.unserved || ref.rep.unserved)
			fprintf(stderr, "  %s: unserved: vipcast %zu (%s), reference %zu (%s)\n", s->id, vip.rep.unserved,
				vip.rep.error, ref.rep.unserved, ref.rep.error);
		if (!vip.rep.hwm_reset || !ref.rep.hwm_reset)
			fprintf(stderr, "  %s: could not reset VmHWM: peaks include the config build's\n", s->id);
		free(vip.results);
		free(ref.results);
	}

	printf("\n");
	print_table(rows, nrows);
	printf("\n  allocations: timed allocations (D: new allocations + releases; capped: done/planned).\n"
	       "  peak MiB: the child's VmHWM from the end of config building (the config's RSS included);\n"
	       "  -base MiB: peak minus the baseline below, the allocator's own share. v/r: vipcast / reference;\n"
	       "  \"<\": the reference was capped, so the true ratio is lower.\n");
	printf("\nbaseline (a child that only builds the configuration: generate YAML, config_load_yaml, "
	       "config_validate):\n");
	for (size_t i = 0; i < nlines; i++)
		printf("  %s\n", base_lines[i]);
	char load[64];
	double l1 = loadavg(load, sizeof(load));
	printf("\nload average at end: %s%s\n", load,
	       l1 > nproc() ? " (above nproc: other work shared the CPUs, timings are noisy)" : "");
	printf("\ncheck (same address for every Service from both implementations):\n");
	for (size_t i = 0; i < nlines; i++)
		printf("  %s\n", checks[i]);
	return all_same ? 0 : 1;
}
