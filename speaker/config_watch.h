/*
 * Watches the configuration for changes: inotify on the directory (or the
 * file's directory) and SIGHUP. Bursts of events (an editor's save, a
 * `cp -r`) are coalesced: the callback runs once the directory has been
 * quiet for a short while.
 */
#ifndef VIPCAST_SPEAKER_CONFIG_WATCH_H
#define VIPCAST_SPEAKER_CONFIG_WATCH_H

#include <event2/event.h>

struct config_watch;

struct config_watch *config_watch_new(struct event_base *base, const char *path, void (*changed)(void *arg),
				      void *arg);
void config_watch_free(struct config_watch *w);

#endif
