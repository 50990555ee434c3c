/* Binary search in a sorted array: the first element not before a key. */
#ifndef VIPCAST_LIB_LOWER_BOUND_H
#define VIPCAST_LIB_LOWER_BOUND_H

#include <stddef.h>

/* cmp(elem, key) < 0: elem sorts before key. Returns n when every element does. */
static inline size_t lower_bound(const void *v, size_t n, size_t size, const void *key,
				 int (*cmp)(const void *elem, const void *key))
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp((const char *)v + mid * size, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#endif
