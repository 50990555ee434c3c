/*
 * The control socket's request: one line of JSON,
 *   {"cmd": "status", "args": ["peer1"]}
 * from a client of the daemon's UNIX socket (mode 0600, so root's, but still
 * bytes from outside the daemon): parsed with bounds on every part, never
 * trusted further than this parser lets through.
 */
#ifndef VIPCAST_LIB_CTL_REQUEST_H
#define VIPCAST_LIB_CTL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#define CTL_REQUEST_MAX 4096  /* bytes of one request line, newline excluded */
#define CTL_CMD_MAX 32
#define CTL_ARGS_MAX 8
#define CTL_ARG_MAX 256

struct ctl_request {
	char cmd[CTL_CMD_MAX + 1];  /* lower-case letters and '-' only */
	char args[CTL_ARGS_MAX][CTL_ARG_MAX + 1];
	size_t nargs;
	bool json;  /* "output": "json" was asked (informational: the daemon always answers JSON) */
};

/* False with a precise reason in err when the line is not a valid request. */
bool ctl_request_parse(const char *line, size_t len, struct ctl_request *r, char *err, size_t errlen);

#endif
