/*
 * inotify on the configuration's directory (the path itself, or the
 * directory of a single file), filtered on names, and SIGHUP.
 *
 * What counts:
 *  - a directory: the entries the loader reads (config_reads_name: *.yaml,
 *    *.yml, *.json, not hidden); a single file: its own name only;
 *  - in both, "..data": a Kubernetes ConfigMap or Secret volume publishes a
 *    new version by writing a ..TIMESTAMP directory, pointing a ..data_tmp
 *    symlink at it and renaming that over ..data (the visible files are
 *    symlinks through ..data, so their names never change);
 *  - an overflowed event queue (something may have been missed).
 * Editors' swap, backup and probe files (.x.yaml.swp, x.yaml~, 4913) and
 * temporary files do not count; the rename that puts the new text in place
 * does.
 *
 * Bursts are coalesced: the reload runs once nothing has counted for
 * QUIET_MS, and while a file created in the burst is still open for
 * writing (no IN_CLOSE_WRITE yet) it waits, up to WRITER_WAIT_MS, so a slow
 * writer's half-written file is not read.
 */
#include "config_watch.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "load.h"
#include "log.h"
#include "xalloc.h"

#define QUIET_MS 100
#define WRITER_WAIT_MS 2000
#define WRITERS_MAX 16
#define KUBELET_DATA_LINK "..data"
#define WATCH_MASK                                                                                 \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_ATTRIB | IN_DELETE_SELF | \
	 IN_MOVE_SELF)

struct config_watch {
	int fd;
	struct event *ev, *quiet, *hup;
	char *dir;   /* the directory watched */
	char *file;  /* the name filtered on when the configuration is one file; NULL for a directory */
	void (*changed)(void *);
	void *arg;
	/* Files created in this burst and not closed yet. */
	char writers[WRITERS_MAX][NAME_MAX + 1];
	size_t nwriters;
	uint64_t waiting_since;  /* mono_ms() when the quiet period first ended with writers open; 0: not waiting */
};

static bool counts(const struct config_watch *w, const char *name)
{
	if (strcmp(name, KUBELET_DATA_LINK) == 0)
		return true;
	return w->file ? strcmp(name, w->file) == 0 : config_reads_name(name);
}

static void writer_add(struct config_watch *w, const char *name)
{
	for (size_t i = 0; i < w->nwriters; i++)
		if (strcmp(w->writers[i], name) == 0)
			return;
	if (w->nwriters < WRITERS_MAX)
		snprintf(w->writers[w->nwriters++], sizeof(w->writers[0]), "%s", name);
}

static void writer_done(struct config_watch *w, const char *name)
{
	for (size_t i = 0; i < w->nwriters; i++)
		if (strcmp(w->writers[i], name) == 0) {
			memmove(w->writers[i], w->writers[w->nwriters - 1], sizeof(w->writers[0]));
			w->nwriters--;
			return;
		}
}

/* A regular file (not a symlink, a directory, a hard link of an old file) was just created under that name. */
static bool created_regular(const struct config_watch *w, const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", w->dir, name);
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1;
}

static void fire(struct config_watch *w)
{
	evtimer_del(w->quiet);
	w->nwriters = 0;
	w->waiting_since = 0;
	w->changed(w->arg);
}

static void quiet_for(struct config_watch *w, unsigned ms)
{
	struct timeval tv = {0, (suseconds_t)ms * 1000};
	evtimer_add(w->quiet, &tv);  /* re-adding pushes the deadline back */
}

static void quiet_over(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct config_watch *w = arg;
	uint64_t now = mono_ms();
	if (w->nwriters) {
		if (!w->waiting_since)
			w->waiting_since = now;
		if (now - w->waiting_since < WRITER_WAIT_MS) {
			quiet_for(w, QUIET_MS);
			return;
		}
		log_info("config", "%s/%s is still open for writing after %u ms: reloading anyway", w->dir, w->writers[0],
			 WRITER_WAIT_MS);
	}
	fire(w);
}

static void on_event(struct config_watch *w, const struct inotify_event *e)
{
	if (e->mask & IN_Q_OVERFLOW) {
		log_warn("config", "inotify queue overflow on %s: reloading", w->dir);
		w->nwriters = 0;
		quiet_for(w, QUIET_MS);
		return;
	}
	if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		log_warn("config", "%s was removed or moved: changes are not seen any more; reload with SIGHUP", w->dir);
		return;
	}
	if (!e->len || !counts(w, e->name))
		return;
	if ((e->mask & IN_CREATE) && !(e->mask & IN_ISDIR) && created_regular(w, e->name))
		writer_add(w, e->name);
	if (e->mask & (IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM))
		writer_done(w, e->name);
	quiet_for(w, QUIET_MS);
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct config_watch *w = arg;
	char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;
			on_event(w, e);
			p += sizeof(*e) + e->len;
		}
	}
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig, (void)what;
	log_info("config", "SIGHUP: reloading");
	fire(arg);
}

/* A directory is watched itself; anything else (a file, or nothing yet) through its directory. */
static void split_path(struct config_watch *w, const char *path)
{
	struct stat st;
	const char *slash = strrchr(path, '/');

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		w->dir = xstrdup(path);
	} else if (!slash || slash == path) {
		w->dir = xstrdup(slash ? "/" : ".");
		w->file = xstrdup(slash ? slash + 1 : path);
	} else {
		size_t n = (size_t)(slash - path);
		w->dir = xmalloc(n + 1);
		memcpy(w->dir, path, n);
		w->dir[n] = 0;
		w->file = xstrdup(slash + 1);
	}
}

struct config_watch *config_watch_new(struct event_base *base, const char *path, void (*changed)(void *arg),
				      void *arg)
{
	struct config_watch *w = xcalloc(1, sizeof(*w));
	w->fd = -1;
	w->changed = changed;
	w->arg = arg;
	split_path(w, path);
	w->quiet = evtimer_new(base, quiet_over, w);
	w->hup = evsignal_new(base, SIGHUP, on_hup, w);
	if (!w->quiet || !w->hup || evsignal_add(w->hup, NULL) < 0) {
		log_error("config", "cannot set up the configuration watch (libevent): changes to %s are not seen",
			  path);
		config_watch_free(w);
		return NULL;
	}
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0 || inotify_add_watch(w->fd, w->dir, WATCH_MASK) < 0) {
		log_warn("config", "cannot watch %s (%s): reload with SIGHUP", w->dir, strerror(errno));
		return w;
	}
	w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, on_inotify, w);
	if (!w->ev || event_add(w->ev, NULL) < 0) {
		log_warn("config", "cannot watch %s (libevent): reload with SIGHUP", w->dir);
		if (w->ev)
			event_free(w->ev);
		w->ev = NULL;
	}
	return w;
}

void config_watch_free(struct config_watch *w)
{
	if (!w)
		return;
	if (w->ev)
		event_free(w->ev);
	if (w->fd >= 0)
		close(w->fd);
	if (w->quiet)
		event_free(w->quiet);
	if (w->hup)
		event_free(w->hup);
	free(w->dir);
	free(w->file);
	free(w);
}
