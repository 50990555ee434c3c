/*
 * Rate limiting of log lines, so that a peer repeating the same mistake (or
 * a Service failing the same way) cannot flood the log.
 *
 * A key is (message template, component, object): the format string pointer
 * stands for the template, so "cannot allocate: %s" for default/a and for
 * default/b are two keys, and 10,000 malformed UPDATEs from one peer are one.
 * Each key has two token buckets, both refilled over LOG_LIMIT_WINDOW_MS:
 * LOG_LIMIT_BURST lines of the same text (the storm: one peer repeating one
 * mistake), and LOG_LIMIT_TEMPLATE_BURST lines of any text (a peer varying
 * it; nine VIPs changing owner at once are nine lines, all written). Lines
 * over either are counted, not written; the count is reported on the
 * bucket's next admitted line, or by log_limit_sweep() once it has refilled,
 * with the text of the last suppressed line. The table has LOG_LIMIT_SLOTS
 * buckets; when full, the least recently used one is reused.
 * The caller owns time (a monotonic clock in ms) and locking.
 */
#ifndef VIPCAST_LIB_LOG_LIMIT_H
#define VIPCAST_LIB_LOG_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define LOG_LIMIT_SLOTS 512
#define LOG_LIMIT_BURST 5
#define LOG_LIMIT_TEMPLATE_BURST 100
#define LOG_LIMIT_WINDOW_MS 10000

struct log_limit_key {
	const void *tmpl;      /* the format string */
	const char *component; /* "bgp 192.0.2.1", "service" */
	const char *kind, *namespace, *name; /* each may be NULL */
};

struct log_limit_slot {
	bool used;
	bool exact;     /* the same-text bucket; else the template's */
	uint32_t text;  /* hash of the text, for exact */
	const void *tmpl;
	uint32_t hash;
	int level;
	char component[64], kind[32], namespace[64], name[128];
	int64_t tokens_m;    /* thousandths of a line */
	int64_t refilled_ms; /* when tokens_m was last brought up to date */
	int64_t used_ms;     /* last call, for eviction */
	uint64_t suppressed;
	int64_t first_suppressed_ms;
	char last[256]; /* the last suppressed line's message */
};

struct log_limit {
	struct log_limit_slot slot[LOG_LIMIT_SLOTS];
	unsigned pending;         /* slots with suppressed > 0 */
	uint64_t evicted_pending; /* suppressed counts lost to eviction */
};

/* What was suppressed before an admitted line, or what a sweep reports. */
struct log_limit_report {
	uint64_t suppressed;
	int64_t over_ms; /* from the first suppressed line to now */
	const struct log_limit_slot *slot;
};

void log_limit_init(struct log_limit *l);

/* True: write the line (rep says how many before it were suppressed).
 * False: it was counted; message is kept as the key's last suppressed text. */
bool log_limit_admit(struct log_limit *l, const struct log_limit_key *k, int level, const char *message,
		     int64_t now_ms, struct log_limit_report *rep);

/* Finds one key whose suppressed lines can be reported now (its bucket has a
 * line again, or force), takes a token and resets its count. False: none. */
bool log_limit_sweep(struct log_limit *l, int64_t now_ms, bool force, struct log_limit_report *rep);

#endif
