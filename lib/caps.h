/*
 * Least privilege for the daemons (capabilities(7)): keep only the
 * capabilities a daemon still needs, in its permitted and effective sets;
 * empty the inheritable and ambient sets; cut the bounding set down to the
 * same (which needs CAP_SETPCAP: without it the bounding set stays as it
 * is); and set no_new_privs, so that no execve() can give any back.
 *
 * A capability the process does not have is not an error: a daemon started
 * without privileges keeps what it has, which is nothing.
 */
#ifndef VIPCAST_LIB_CAPS_H
#define VIPCAST_LIB_CAPS_H

#include <linux/capability.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPS_BIT(cap) (UINT64_C(1) << (cap))

struct caps_outcome {
	uint64_t had;        /* permitted before */
	uint64_t kept;       /* permitted and effective after */
	uint64_t bounding;   /* the bounding set after */
	bool bounding_cut;   /* the bounding set holds nothing outside keep */
};

/* 0, or -1 with errno set and the step that failed in *why. */
int caps_restrict(uint64_t keep, struct caps_outcome *out, const char **why);
/* "cap_net_admin,cap_net_raw", or "none". */
void caps_format(uint64_t mask, char *buf, size_t len);

#endif
