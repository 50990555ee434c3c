/*
 * Logging for the daemons: one line per event on stderr, with a UTC
 * timestamp, the level and a component ("bgp 192.0.2.1", "l2", "config"),
 * so a line can be found with grep and read without context.
 */
#ifndef VIPCAST_LIB_LOG_H
#define VIPCAST_LIB_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Lines above this level are dropped; LOG_INFO unless set. */
void log_set_level(enum log_level l);
enum log_level log_get_level(void);
void log_msg(enum log_level l, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(comp, ...) log_msg(LOG_ERROR, comp, __VA_ARGS__)
#define log_warn(comp, ...) log_msg(LOG_WARN, comp, __VA_ARGS__)
#define log_info(comp, ...) log_msg(LOG_INFO, comp, __VA_ARGS__)
#define log_debug(comp, ...)                                  \
	do {                                                  \
		if (log_get_level() >= LOG_DEBUG)             \
			log_msg(LOG_DEBUG, comp, __VA_ARGS__); \
	} while (0)

#endif
