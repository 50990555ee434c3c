/*
 * One log line as a JSON object: {"time", "level", "component", "message"}
 * plus "peer" (from a component "bgp 192.0.2.1"), "kind", "namespace",
 * "name" and "suppressed" when known. Bytes that are not valid UTF-8 become
 * U+FFFD, so a message holding whatever a peer sent still encodes.
 */
#ifndef VIPCAST_LIB_LOG_JSON_H
#define VIPCAST_LIB_LOG_JSON_H

#include <stddef.h>
#include <stdint.h>

struct log_record {
	const char *time;      /* RFC 3339, UTC, ms */
	const char *level;
	const char *component; /* its first word is the component, the rest the peer */
	const char *kind, *namespace, *name; /* each may be NULL */
	const char *message;
	uint64_t suppressed;   /* 0: not written */
};

/* The JSON text, without newline, malloc'd; NULL when out of memory. */
char *log_json_encode(const struct log_record *r);

/* s with every byte that is not part of valid UTF-8 replaced by U+FFFD, in
 * dst (cap >= 4); cut at a character boundary when it does not fit. */
void log_json_utf8(char *dst, size_t cap, const char *s);

#endif
