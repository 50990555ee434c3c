/*
 * The free addresses of one IPAddressPool entry (a CIDR or a range), kept as
 * disjoint intervals in an AVL tree keyed by their first address.
 *
 * Memory grows with the number of holes, never with the size of the range: a
 * fresh /64 is one interval. With avoidBuggyIPs the IPv4 addresses ending in
 * .0 and .255 are not usable; intervals begin and end on usable addresses and
 * two intervals separated only by unusable addresses are one, so the lowest
 * free address is always the first interval's first address: O(1) to find
 * (the tree keeps its minimum at the leftmost node, O(log n)), O(log n) to
 * take or give back.
 */
#ifndef VIPCAST_CONTROLLER_FREE_SET_H
#define VIPCAST_CONTROLLER_FREE_SET_H

#include <stdbool.h>

#include "addr.h"
#include "avl.h"

struct free_set {
	struct iprange range;
	bool avoid_buggy;
	struct avl_tree free;
};

void free_set_init(struct free_set *s, const struct iprange *r, bool avoid_buggy);
void free_set_destroy(struct free_set *s);
/* In the range, and not an IPv4 .0/.255 when avoiding buggy IPs. */
bool free_set_usable(const struct free_set *s, const struct ipaddr *a);
bool free_set_is_free(const struct free_set *s, const struct ipaddr *a);
/* The lowest free address; false when none is left. */
bool free_set_first(const struct free_set *s, struct ipaddr *out);
/* Marks a free address used; false if it was not free. */
bool free_set_take(struct free_set *s, const struct ipaddr *a);
/* Marks a used, usable address free again; false if it was free or unusable. */
bool free_set_put(struct free_set *s, const struct ipaddr *a);
/* Number of free intervals (the structure's size). */
size_t free_set_fragments(const struct free_set *s);

#endif
