/*
 * Reply rate limits per requester, in bounded memory, so one host that
 * floods ARP or NDP is limited and every other host is still answered.
 *
 * A requester is a key of up to REQUESTER_KEY_MAX bytes (the L2 responder
 * uses the sender MAC and sender IP). Keys are hashed with SipHash under a
 * random key drawn at creation, so a sender cannot choose keys that share a
 * slot. The table is a fixed array of sets of REQUESTER_WAYS entries, each
 * a 64-bit hash and a small token bucket (rate per second, burst): no
 * allocation per packet. A requester not in its set takes the entry used
 * least recently and starts with a full bucket: a host that floods keeps
 * its entry warm and stays limited; a host that asks now and then, or a
 * flood of ever-new requesters, only ever meets full buckets (the global
 * limit of the caller is the guard against that).
 */
#ifndef VIPCAST_SPEAKER_REQUESTER_LIMIT_H
#define VIPCAST_SPEAKER_REQUESTER_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REQUESTER_WAYS 4
#define REQUESTER_KEY_MAX 32

struct requester_limit;

/* A table of at most max_bytes (rounded down to a power of two of sets; at least one set). NULL if out of memory. */
struct requester_limit *requester_limit_new(size_t max_bytes, uint32_t rate, uint32_t burst);
/* Takes one token from key's bucket; false when it is empty. */
bool requester_limit_take(struct requester_limit *t, const void *key, size_t len, uint64_t now_ms);
/* The number of entries (the table's size, for tests). */
size_t requester_limit_entries(const struct requester_limit *t);
void requester_limit_free(struct requester_limit *t);

#endif
