/*
 * A Kubernetes uid kept in 16 bytes: the API server makes them as RFC 4122
 * UUIDs in lower-case hex (36 characters). Any other text is not packed and
 * stays text with whoever keeps it (pure; no I/O).
 */
#ifndef VIPCAST_KUBE_UID_H
#define VIPCAST_KUBE_UID_H

#include <stdbool.h>
#include <stdint.h>

#define KUBE_UID_BYTES 16
#define KUBE_UID_TEXT 37  /* 36 characters and the NUL */

/* False (out untouched) unless s is exactly "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in lower-case hex. */
bool kube_uid_pack(const char *s, uint8_t out[KUBE_UID_BYTES]);
/* The text kube_uid_pack() read. */
void kube_uid_unpack(const uint8_t in[KUBE_UID_BYTES], char out[KUBE_UID_TEXT]);

#endif
