/* Allocation that never returns NULL: a daemon out of memory stops with a message. */
#ifndef VIPCAST_LIB_XALLOC_H
#define VIPCAST_LIB_XALLOC_H

#include <stddef.h>

_Noreturn void xalloc_die(const char *what);
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n, size_t size);
char *xstrdup(const char *s);

#endif
