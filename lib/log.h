/*
 * Logging for the daemons: one line per event on stderr, with a UTC
 * timestamp, the level and a component ("bgp 192.0.2.1", "l2", "config"),
 * so a line can be found with grep and read without context. As text
 * (default) or as one JSON object per line (log_json.h).
 *
 * Lines are rate-limited per (message template, component, object)
 * (log_limit.h), so nothing repeated by a peer or a failing Service floods
 * the log; what was left out is counted on a later line. Thread-safe.
 */
#ifndef VIPCAST_LIB_LOG_H
#define VIPCAST_LIB_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* Lines above this level are dropped; LOG_INFO unless set. */
void log_set_level(enum log_level l);
enum log_level log_get_level(void);
void log_set_format(enum log_format f);
/* "text" or "json"; false for anything else. */
_Bool log_parse_format(const char *s, enum log_format *out);

void log_msg(enum log_level l, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Never rate-limited: a line that records a change someone asked for and
 * must see each time (a configuration put in force or refused), bounded by
 * how often that happens, not by what a peer sends.
 */
void log_event(enum log_level l, const char *component, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The object a line is about: a Kubernetes kind, namespace and name (each
 * may be NULL). As text "component: namespace/name: message", in JSON as
 * fields of their own. */
struct log_object {
	const char *kind, *namespace, *name;
};
void log_obj(enum log_level l, const char *component, const struct log_object *obj, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Writes the counts of lines still held back (at exit). */
void log_flush_suppressed(void);

#define log_error(comp, ...) log_msg(LOG_ERROR, comp, __VA_ARGS__)
#define log_warn(comp, ...) log_msg(LOG_WARN, comp, __VA_ARGS__)
#define log_info(comp, ...) log_msg(LOG_INFO, comp, __VA_ARGS__)
#define log_debug(comp, ...)                                  \
	do {                                                  \
		if (log_get_level() >= LOG_DEBUG)             \
			log_msg(LOG_DEBUG, comp, __VA_ARGS__); \
	} while (0)

#endif
