#include "config_watch.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

#define QUIET_MS 100

struct config_watch {
	int fd;
	struct event *ev, *quiet, *hup;
	void (*changed)(void *);
	void *arg;
};

static void quiet_over(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct config_watch *w = arg;
	w->changed(w->arg);
}

static void poke(struct config_watch *w)
{
	struct timeval tv = {0, QUIET_MS * 1000};
	evtimer_add(w->quiet, &tv);  /* re-adding pushes the deadline back */
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct config_watch *w = arg;
	char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;
			/* Editors' swap and backup files do not count. */
			if (!e->len || (e->name[0] != '.' && e->name[strlen(e->name) - 1] != '~'))
				poke(w);
			p += sizeof(*e) + e->len;
		}
	}
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig, (void)what;
	log_info("config", "SIGHUP: reloading");
	quiet_over(-1, 0, arg);
}

struct config_watch *config_watch_new(struct event_base *base, const char *path, void (*changed)(void *arg),
				      void *arg)
{
	struct config_watch *w = xcalloc(1, sizeof(*w));
	w->changed = changed;
	w->arg = arg;
	w->quiet = evtimer_new(base, quiet_over, w);
	w->hup = evsignal_new(base, SIGHUP, on_hup, w);
	evsignal_add(w->hup, NULL);

	char dir[PATH_MAX];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s", path);
	if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		else
			snprintf(dir, sizeof(dir), ".");
	}
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0 || inotify_add_watch(w->fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
							       IN_CREATE | IN_ATTRIB) < 0) {
		log_warn("config", "cannot watch %s (%s): reload with SIGHUP", dir, strerror(errno));
		return w;
	}
	w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, on_inotify, w);
	event_add(w->ev, NULL);
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
	event_free(w->quiet);
	event_free(w->hup);
	free(w);
}
