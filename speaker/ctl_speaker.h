/*
 * The speaker's control socket commands (vipcastctl): status, routes
 * [PEER], services, why VIP, drain. Every answer is JSON; the same in file
 * and Kubernetes mode, read from the speaker object in force.
 */
#ifndef VIPCAST_SPEAKER_CTL_SPEAKER_H
#define VIPCAST_SPEAKER_CTL_SPEAKER_H

#include <event2/event.h>

#include "speaker.h"

#define CTL_SPEAKER_SOCKET "/run/vipcast/speaker.sock"

struct ctl_server;
/* NULL (logged) when the socket cannot be set up. */
struct ctl_server *ctl_speaker_new(struct event_base *base, struct speaker *s, const char *path);

struct ctl_request;
/* One request's answer, or NULL with the reason in err (for tests; the socket calls it). */
json_t *ctl_speaker_handle(const struct ctl_request *r, void *speaker, char *err, size_t errlen);

#endif
