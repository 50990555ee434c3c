#include "log_limit.h"

#include <stdio.h>
#include <string.h>

#define TOKEN 1000 /* one line, in tokens_m */
#define FULL(s) ((int64_t)((s)->exact ? LOG_LIMIT_BURST : LOG_LIMIT_TEMPLATE_BURST) * TOKEN)

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

static bool slot_is(const struct log_limit_slot *s, const struct log_limit_key *k, uint32_t h, bool exact,
		    uint32_t text)
{
	return s->used && s->hash == h && s->exact == exact && s->text == text && s->tmpl == k->tmpl && same(s->component, k->component, sizeof s->component) &&
	       same(s->kind, k->kind, sizeof s->kind) && same(s->namespace, k->namespace, sizeof s->namespace) &&
	       same(s->name, k->name, sizeof s->name);
}

static void copy(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s ? s : "");
}

static struct log_limit_slot *slot_for(struct log_limit *l, const struct log_limit_key *k, bool exact, uint32_t text,
				       int64_t now_ms)
{
	uint32_t h = key_hash(k);
	struct log_limit_slot *free_slot = NULL, *oldest = NULL;
	for (size_t i = 0; i < LOG_LIMIT_SLOTS; i++) {
		struct log_limit_slot *s = &l->slot[i];
		if (slot_is(s, k, h, exact, text)) {
			s->used_ms = now_ms;
			return s;
		}
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
	s->exact = exact;
	s->text = text;
	s->used_ms = now_ms;
	s->tmpl = k->tmpl;
	s->hash = h;
	copy(s->component, sizeof s->component, k->component);
	copy(s->kind, sizeof s->kind, k->kind);
	copy(s->namespace, sizeof s->namespace, k->namespace);
	copy(s->name, sizeof s->name, k->name);
	s->tokens_m = FULL(s);
	s->refilled_ms = now_ms;
	return s;
}

static void refill(struct log_limit_slot *s, int64_t now_ms)
{
	if (now_ms <= s->refilled_ms)
		return;
	int64_t full = FULL(s), add = (now_ms - s->refilled_ms) * full / LOG_LIMIT_WINDOW_MS;
	if (add == 0)
		return; /* keep refilled_ms, so that small steps add up */
	s->tokens_m = s->tokens_m + add > full ? full : s->tokens_m + add;
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

static void count_suppressed(struct log_limit *l, struct log_limit_slot *s, const char *message, int64_t now_ms)
{
	if (s->suppressed++ == 0) {
		l->pending++;
		s->first_suppressed_ms = now_ms;
	}
	copy(s->last, sizeof s->last, message);
}

bool log_limit_admit(struct log_limit *l, const struct log_limit_key *k, int level, const char *message,
		     int64_t now_ms, struct log_limit_report *rep)
{
	struct log_limit_slot *e = slot_for(l, k, true, hash_str(2166136261u, message), now_ms);
	struct log_limit_slot *t = slot_for(l, k, false, 0, now_ms);
	if (e == t) /* the table is all but full of this instant's keys: no limit */
		t = NULL;
	e->level = level;
	refill(e, now_ms);
	if (t) {
		t->level = level;
		refill(t, now_ms);
	}
	if (e->tokens_m < TOKEN) {
		count_suppressed(l, e, message, now_ms);
		return false;
	}
	if (t && t->tokens_m < TOKEN) {
		count_suppressed(l, t, message, now_ms);
		return false;
	}
	e->tokens_m -= TOKEN;
	if (t)
		t->tokens_m -= TOKEN;
	take_report(l, e, now_ms, rep);
	return true;
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
