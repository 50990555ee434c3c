/*
 * Which node owns a VIP in L2 mode: a rule every speaker computes alike from
 * the same inputs, so they agree without talking about it.
 *
 * Among the VIP's eligible nodes that are live, the owner is the one with
 * the greatest preferredNodeSelectors weight; among equal weights, the one
 * with the greatest score, where score(node, VIP) is the first 8 bytes, read
 * big-endian, of SHA-256(node name, one 0 byte, the VIP in canonical text
 * form: "192.0.2.10", "2001:db8::10"); equal scores go to the smaller name.
 *
 * That is rendezvous (highest-random-weight) hashing (Thaler and Ravishankar,
 * 1998): each VIP ranks every node independently, so
 *  - the VIPs spread over the nodes like independent uniform draws (1000 VIPs
 *    on 5 nodes: 200 each, give or take a binomial standard deviation of 13);
 *  - a node that comes takes from each other node only the VIPs it now ranks
 *    first for (1/(n+1) of them), and a node that goes releases exactly its
 *    own VIPs, each to its second choice; no other VIP moves.
 * Services sharing an IP share its owner: the rule sees only the IP.
 */
#ifndef VIPCAST_SPEAKER_OWNER_H
#define VIPCAST_SPEAKER_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct owner_rank {
	const char *node;
	int64_t weight;
	uint64_t score;
	int tag;  /* the caller's, carried along by the sort */
};

uint64_t owner_score(const char *node, const struct ipaddr *vip);

/* < 0 when a ranks before b (a would own the VIP over b). */
int owner_rank_cmp(const struct owner_rank *a, const struct owner_rank *b);

/* Sorts r (the eligible nodes of one VIP, scores filled in) best first. */
void owner_rank_sort(struct owner_rank *r, size_t n);

#endif
