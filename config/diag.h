/*
 * Diagnostics a user can act on: where (file:line:col), which object
 * (kind namespace/name), which field (spec.addresses[1]) and why.
 */
#ifndef VIPCAST_CONFIG_DIAG_H
#define VIPCAST_CONFIG_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"

/* A place in a source. line 0: the source has no lines (an API object). */
struct mark {
	const char *file;
	uint32_t line, col;  /* 1-based */
};

enum diag_severity { DIAG_ERROR, DIAG_WARNING };

struct diag {
	enum diag_severity sev;
	struct mark mark;       /* file points into the list's arena */
	const char *object;     /* "IPAddressPool metallb-system/pool1", or NULL */
	const char *path;       /* "spec.addresses[1]", or NULL */
	const char *msg;
};

/* Stores at most DIAG_KEEP entries; the counts keep counting past that. */
#define DIAG_KEEP 200

struct diags {
	struct diag v[DIAG_KEEP];
	size_t n;
	size_t errors, warnings;
	struct arena arena;
};

void diags_init(struct diags *d);
void diags_free(struct diags *d);
void diag_add(struct diags *d, enum diag_severity sev, const struct mark *m,
	      const char *object, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* "file:line:col: error: Kind ns/name: path: message" */
void diag_format(const struct diag *g, char *buf, size_t len);
void diags_print(const struct diags *d, FILE *out);

#endif
