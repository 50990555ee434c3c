#include "log_limit.h"

#include <stdio.h>
#include <string.h>

#define TOKEN 1000 /* one line, in tokens_m */
#define FULL ((int64_t)LOG_LIMIT_BURST * TOKEN)

static uint32_t hash_str(uint32_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h ^ 0xff) * 16777619u; /* separator: ("ab","c") != ("a","bc") */
}

static uint32_t key_hash(const struct log_limit_key *k)
{
	uint32_t h = 2166136261u;
	uintptr_t p = (uintptr_t)k->tmpl;
	for (unsigned i = 0; i < sizeof p; i++, p >>= 8)
		h = (h ^ (p & 0xff)) * 16777619u;
	h = hash_str(h, k->component);
	h = hash_str(h, k->kind);
	h = hash_str(h, k->namespace);
	return hash_str(h, k->name);
}

static bool same(const char *held, const char *s, size_t cap)
{
	return strncmp(held, s ? s : "", cap - 1) == 0;
}

static bool slot_is(const struct log_limit_slot *s, const struct log_limit_key *k, uint32_t h)
{
	return s->used && s->hash == h && s->tmpl == k->tmpl && same(s->component, k->component, sizeof s->component) &&
	       same(s->kind, k->kind, sizeof s->kind) && same(s->namespace, k->namespace, sizeof s->namespace) &&
	       same(s->name, k->name, sizeof s->name);
}

static void copy(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s ? s : "");
}

static struct log_limit_slot *slot_for(struct log_limit *l, const struct log_limit_key *k, int64_t now_ms)
{
	uint32_t h = key_hash(k);
	struct log_limit_slot *free_slot = NULL, *oldest = NULL;
	for (size_t i = 0; i < LOG_LIMIT_SLOTS; i++) {
		struct log_limit_slot *s = &l->slot[i];
		if (slot_is(s, k, h))
			return s;
		if (!s->used) {
			if (!free_slot)
				free_slot = s;
		} else if (!oldest || s->used_ms < oldest->used_ms) {
			oldest = s;
		}
	}
	struct log_limit_slot *s = free_slot ? free_slot : oldest;
	if (s->used && s->suppressed) {
		l->pending--;
		l->evicted_pending += s->suppressed;
	}
	memset(s, 0, sizeof *s);
	s->used = true;
	s->tmpl = k->tmpl;
	s->hash = h;
	copy(s->component, sizeof s->component, k->component);
	copy(s->kind, sizeof s->kind, k->kind);
	copy(s->namespace, sizeof s->namespace, k->namespace);
	copy(s->name, sizeof s->name, k->name);
	s->tokens_m = FULL;
	s->refilled_ms = now_ms;
	return s;
}

static void refill(struct log_limit_slot *s, int64_t now_ms)
{
	if (now_ms <= s->refilled_ms)
		return;
	int64_t add = (now_ms - s->refilled_ms) * FULL / LOG_LIMIT_WINDOW_MS;
	if (add == 0)
		return; /* keep refilled_ms, so that small steps add up */
	s->tokens_m = s->tokens_m + add > FULL ? FULL : s->tokens_m + add;
	s->refilled_ms = now_ms;
}

static void take_report(struct log_limit *l, struct log_limit_slot *s, int64_t now_ms, struct log_limit_report *rep)
{
	rep->suppressed = s->suppressed;
	rep->over_ms = s->suppressed ? now_ms - s->first_suppressed_ms : 0;
	rep->slot = s;
	if (s->suppressed)
		l->pending--;
	s->suppressed = 0;
}

void log_limit_init(struct log_limit *l)
{
	memset(l, 0, sizeof *l);
}

bool log_limit_admit(struct log_limit *l, const struct log_limit_key *k, int level, const char *message,
		     int64_t now_ms, struct log_limit_report *rep)
{
	struct log_limit_slot *s = slot_for(l, k, now_ms);
	s->used_ms = now_ms;
	s->level = level;
	refill(s, now_ms);
	if (s->tokens_m >= TOKEN) {
		s->tokens_m -= TOKEN;
		take_report(l, s, now_ms, rep);
		return true;
	}
	if (s->suppressed++ == 0) {
		l->pending++;
		s->first_suppressed_ms = now_ms;
	}
	copy(s->last, sizeof s->last, message);
	return false;
}

bool log_limit_sweep(struct log_limit *l, int64_t now_ms, bool force, struct log_limit_report *rep)
{
	if (l->pending == 0)
		return false;
	for (size_t i = 0; i < LOG_LIMIT_SLOTS; i++) {
		struct log_limit_slot *s = &l->slot[i];
		if (!s->used || !s->suppressed)
			continue;
		refill(s, now_ms);
		if (s->tokens_m < TOKEN && !force)
			continue;
		if (s->tokens_m >= TOKEN)
			s->tokens_m -= TOKEN;
		take_report(l, s, now_ms, rep);
		return true;
	}
	return false;
}
