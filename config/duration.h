/* Durations in Go's time.ParseDuration form, as metav1.Duration fields carry them. */
#ifndef VIPCAST_CONFIG_DURATION_H
#define VIPCAST_CONFIG_DURATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DURATION_NS_PER_MS INT64_C(1000000)
#define DURATION_NS_PER_S INT64_C(1000000000)

/*
 * "90s", "1m30s", "1.5h", "300ms", "-2s", "0": a sequence of decimal numbers,
 * each with an optional fraction and a unit (ns, us, µs, μs, ms, s, m, h).
 * A bare "0" needs no unit. Result in nanoseconds; false on syntax error or
 * overflow of int64, with a reason in why.
 */
bool duration_parse(const char *s, size_t len, int64_t *ns, char *why, size_t whylen);
/* Go's String(): "1m30s", "300ms", "0s". buf of 32 bytes is always enough. */
void duration_format(int64_t ns, char *buf, size_t buflen);

#endif
