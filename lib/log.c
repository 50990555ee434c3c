#include "log.h"

#include "log_json.h"
#include "log_limit.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SWEEP_EVERY_MS 1000

static enum log_level level = LOG_INFO;
static enum log_format format = LOG_FORMAT_TEXT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_limit limit; /* zeroed: empty */
static int64_t next_sweep_ms;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level l)
{
	level = l;
}

enum log_level log_get_level(void)
{
	return level;
}

void log_set_format(enum log_format f)
{
	format = f;
}

bool log_parse_format(const char *s, enum log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = LOG_FORMAT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return false;
	return true;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Control bytes as \xNN, so that a line stays one line. */
static void text_escape(char *dst, size_t cap, const char *s)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && o + 5 < cap; p++) {
		if (*p < 0x20 || *p == 0x7f)
			o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", *p);
		else
			dst[o++] = (char)*p;
	}
	dst[o] = '\0';
}

static void write_line(int l, const char *component, const char *kind, const char *ns, const char *name,
		       const char *message, const char *suffix, uint64_t suppressed)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char stamp[64];
	snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	char full[1200];
	snprintf(full, sizeof full, "%s%s", message, suffix);
	if (format == LOG_FORMAT_JSON) {
		struct log_record r = {stamp, level_names[l], component, kind, ns, name, full, suppressed};
		char *json = log_json_encode(&r);
		if (json) {
			fprintf(stderr, "%s\n", json);
			free(json);
			return;
		}
		/* out of memory: the text line below is better than nothing */
	}
	char clean[1200 * 4 + 1];
	text_escape(clean, sizeof clean, full);
	if (name && *name)
		fprintf(stderr, "%s %s %s: %s%s%s: %s\n", stamp, level_names[l], component, ns ? ns : "",
			ns && *ns ? "/" : "", name, clean);
	else
		fprintf(stderr, "%s %s %s: %s\n", stamp, level_names[l], component, clean);
}

static void write_repeated(const struct log_limit_report *rep)
{
	const struct log_limit_slot *s = rep->slot;
	char suffix[96];
	snprintf(suffix, sizeof suffix, s->exact ? " (repeated %llu times in the last %lld s)"
						: " (%llu such lines suppressed in the last %lld s)",
		 (unsigned long long)rep->suppressed, (long long)((rep->over_ms + 999) / 1000));
	write_line(s->level, s->component, s->kind, s->namespace, s->name, s->last, suffix, rep->suppressed);
}

static void sweep(int64_t now, bool force)
{
	if (!force && now < next_sweep_ms)
		return;
	next_sweep_ms = now + SWEEP_EVERY_MS;
	struct log_limit_report rep;
	while (log_limit_sweep(&limit, now, force, &rep))
		write_repeated(&rep);
}

static void vlog(enum log_level l, bool limited, const char *component, const struct log_object *obj,
		 const char *fmt, va_list ap)
{
	if (l > level)
		return;
	char message[1024];
	vsnprintf(message, sizeof message, fmt, ap);
	struct log_object none = {0};
	if (!obj)
		obj = &none;
	struct log_limit_key key = {fmt, component, obj->kind, obj->namespace, obj->name};
	pthread_mutex_lock(&lock);
	int64_t now = monotonic_ms();
	sweep(now, false);
	struct log_limit_report rep;
	if (!limited) {
		write_line((int)l, component, obj->kind, obj->namespace, obj->name, message, "", 0);
	} else if (log_limit_admit(&limit, &key, (int)l, message, now, &rep)) {
		char suffix[96] = "";
		if (rep.suppressed)
			snprintf(suffix, sizeof suffix, " (%llu more like it suppressed in the last %lld s)",
				 (unsigned long long)rep.suppressed, (long long)((rep.over_ms + 999) / 1000));
		write_line((int)l, component, obj->kind, obj->namespace, obj->name, message, suffix, rep.suppressed);
	}
	pthread_mutex_unlock(&lock);
}

void log_msg(enum log_level l, const char *component, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(l, true, component, NULL, fmt, ap);
	va_end(ap);
}

void log_event(enum log_level l, const char *component, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(l, false, component, NULL, fmt, ap);
	va_end(ap);
}

void log_obj(enum log_level l, const char *component, const struct log_object *obj, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(l, true, component, obj, fmt, ap);
	va_end(ap);
}

void log_flush_suppressed(void)
{
	pthread_mutex_lock(&lock);
	sweep(monotonic_ms(), true);
	pthread_mutex_unlock(&lock);
}
