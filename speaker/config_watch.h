/*
 * Watches the configuration for changes: inotify on the directory (or the
 * file's directory, filtered on its name) and SIGHUP. Kubernetes ConfigMap
 * volumes (the ..data symlink swap) and editors that write a temporary file
 * and rename it are seen; their swap, backup and temporary files are not.
 * Bursts are coalesced: the callback runs once the directory has been quiet
 * for a short while and no file created in the burst is still being written.
 */
#ifndef VIPCAST_SPEAKER_CONFIG_WATCH_H
#define VIPCAST_SPEAKER_CONFIG_WATCH_H

#include <event2/event.h>

struct config_watch;

/* NULL (logged) when its libevent events cannot be made; without inotify it still answers SIGHUP. */
struct config_watch *config_watch_new(struct event_base *base, const char *path, void (*changed)(void *arg),
				      void *arg);
void config_watch_free(struct config_watch *w);

#endif
