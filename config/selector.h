/*
 * Kubernetes label selectors: matchLabels and matchExpressions, ANDed inside
 * one selector; MetalLB's lists of selectors (nodeSelectors, serviceSelectors,
 * ipAddressPoolSelectors) are ORed, and an empty list matches everything.
 */
#ifndef VIPCAST_CONFIG_SELECTOR_H
#define VIPCAST_CONFIG_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

struct label {
	const char *key, *value;
};

/* A map of labels or annotations, in the order written. */
struct labels {
	struct label *v;
	size_t n;
};

enum sel_op { SEL_IN, SEL_NOT_IN, SEL_EXISTS, SEL_DOES_NOT_EXIST, SEL_GT, SEL_LT };

struct sel_req {
	const char *key;
	enum sel_op op;
	const char **values;
	size_t nvalues;
};

/* matchLabels entries become SEL_IN requirements with one value. */
struct selector {
	struct sel_req *req;
	size_t n;
	struct mark mark;
};

struct selectors {
	struct selector *v;
	size_t n;
	struct mark mark;
};

const char *labels_get(const struct labels *l, const char *key);
bool selector_matches(const struct selector *s, const struct labels *l);
/* True for an empty list. */
bool selectors_match_any(const struct selectors *s, const struct labels *l);
const char *sel_op_name(enum sel_op op);

/*
 * Whether one set of labels can match every list of lists[0..n) at once
 * (each ORed as selectors_match_any reads it): one selector of each
 * non-empty list, all their requirements true together. Exact for every
 * operator; past a bound on the selectors combined it answers true, the
 * cautious answer to "could these ever apply together".
 */
bool selectors_can_all_match(const struct selectors *const *lists, size_t n);

#endif
