/*
 * A control socket in a daemon's own libevent loop: a UNIX stream socket,
 * mode 0600 in a directory made 0700 when missing. A client writes one
 * request line (lib/ctl_request.h) and reads one JSON reply, then the
 * connection closes:
 *   {"ok": true, "data": ...}   or   {"ok": false, "error": "..."}
 * Bounded: CTL_REQUEST_MAX bytes a request, CTL_SERVER_CLIENTS clients at
 * once (one more is answered "busy"), CTL_SERVER_TIMEOUT_S to send the
 * request and to read the reply. Nothing here blocks the loop.
 */
#ifndef VIPCAST_LIB_CTL_SERVER_H
#define VIPCAST_LIB_CTL_SERVER_H

#include <event2/event.h>
#include <jansson.h>
#include <stddef.h>

#include "ctl_request.h"

#define CTL_SERVER_CLIENTS 8
#define CTL_SERVER_TIMEOUT_S 5

/*
 * Answers one request: the reply's "data" (taken), or NULL with the reason in
 * err (an unknown command, a bad argument, a refusal).
 */
typedef json_t *(*ctl_handler)(const struct ctl_request *r, void *arg, char *err, size_t errlen);

struct ctl_server;

/*
 * Listens on path (a stale socket file there is replaced; a live one, answered
 * by another daemon, is an error). NULL with the reason in err.
 */
struct ctl_server *ctl_server_new(struct event_base *base, const char *path, ctl_handler fn, void *arg, char *err,
				  size_t errlen);
const char *ctl_server_path(const struct ctl_server *s);
/* Closes every client, the socket, and removes the socket file. */
void ctl_server_free(struct ctl_server *s);

#endif
