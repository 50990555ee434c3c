#include "ctl_server.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

struct ctl_client {
	struct ctl_server *srv;
	struct bufferevent *bev;
	struct ctl_client *next;
	bool answered;
	bool discard;  /* answered an oversized request: read the rest away until the client's EOF */
};

struct ctl_server {
	struct event_base *base;
	struct evconnlistener *lis;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_handler fn;
	void *arg;
	struct ctl_client *clients;
	size_t nclients;
};

static void client_free(struct ctl_client *c)
{
	struct ctl_server *s = c->srv;
	for (struct ctl_client **p = &s->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	s->nclients--;
	bufferevent_free(c->bev);
	free(c);
}

/* Queues the reply; the connection closes once it is written. */
static void client_reply(struct ctl_client *c, json_t *reply)
{
	char *text = reply ? json_dumps(reply, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(reply);
	if (!text)
		text = strdup("{\"error\":\"out of memory\",\"ok\":false}");
	c->answered = true;
	if (!c->discard)
		bufferevent_disable(c->bev, EV_READ);
	if (text) {
		bufferevent_write(c->bev, text, strlen(text));
		bufferevent_write(c->bev, "\n", 1);
	}
	free(text);
}

static json_t *error_reply(const char *why)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", why);
}

static void client_answer(struct ctl_client *c, const char *line, size_t len)
{
	struct ctl_request r;
	char err[256] = "";
	if (!ctl_request_parse(line, len, &r, err, sizeof(err))) {
		log_warn("ctl", "bad request on %s: %s", c->srv->path, err);
		client_reply(c, error_reply(err));
		return;
	}
	json_t *data = c->srv->fn(&r, c->srv->arg, err, sizeof(err));
	if (!data) {
		client_reply(c, error_reply(err[0] ? err : "failed"));
		return;
	}
	client_reply(c, json_pack("{s:b, s:o}", "ok", 1, "data", data));
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	if (c->answered) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	size_t len;
	char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
	if (line) {
		client_answer(c, line, len);
		free(line);
	} else if (evbuffer_get_length(in) > CTL_REQUEST_MAX) {
		/* Closing with unread input would reset the connection before the client reads the answer. */
		c->discard = true;
		evbuffer_drain(in, evbuffer_get_length(in));
		client_reply(c, error_reply("request longer than 4096 bytes"));
	}
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;
	if (c->answered && !c->discard && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		client_free(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	/* A request without its newline, ended by the client's shutdown(SHUT_WR). */
	if ((what & BEV_EVENT_EOF) && !c->answered && evbuffer_get_length(in) > 0 &&
	    evbuffer_get_length(in) <= CTL_REQUEST_MAX) {
		size_t len = evbuffer_get_length(in);
		char *line = xmalloc(len + 1);
		evbuffer_remove(in, line, len);
		line[len] = 0;
		client_answer(c, line, len);
		free(line);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_warn("ctl", "client on %s timed out", c->srv->path);
	client_free(c);
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	(void)lis, (void)sa, (void)salen;
	struct ctl_server *s = arg;
	struct bufferevent *bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		close(fd);
		return;
	}
	struct ctl_client *c = xcalloc(1, sizeof(*c));
	c->srv = s;
	c->bev = bev;
	c->next = s->clients;
	s->clients = c;
	s->nclients++;
	struct timeval tv = {CTL_SERVER_TIMEOUT_S, 0};
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_setcb(bev, on_read, on_write, on_event, c);
	/* The request is read whole or refused: never more than the limit buffered. */
	bufferevent_setwatermark(bev, EV_READ, 0, CTL_REQUEST_MAX + 1);
	if (s->nclients > CTL_SERVER_CLIENTS) {
		client_reply(c, error_reply("busy: too many control clients"));
		bufferevent_enable(bev, EV_WRITE);
		return;
	}
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* A socket file left by a daemon that died is replaced; one that answers is another daemon's. */
static bool clear_stale(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT || (snprintf(err, errlen, "%s: %s", path, strerror(errno)), false);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return false;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	bool live = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	if (live) {
		snprintf(err, errlen, "%s is in use by another running daemon", path);
		return false;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove the stale %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

static bool make_dir(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return true;
	*slash = 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return false;
	}
	return true;
}

struct ctl_server *ctl_server_new(struct event_base *base, const char *path, ctl_handler fn, void *arg, char *err,
				  size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (!*path || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path \"%s\" is empty or longer than %zu bytes", path,
			 sizeof(sa.sun_path) - 1);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path));
	if (!make_dir(path, err, errlen) || !clear_stale(path, err, errlen))
		return NULL;
	struct ctl_server *s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->fn = fn;
	s->arg = arg;
	snprintf(s->path, sizeof(s->path), "%s", path);
	/* The socket is born 0600: no window in which another user could connect. */
	mode_t old = umask(0177);
	s->lis = evconnlistener_new_bind(base, on_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
					 (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	umask(old);
	if (!s->lis) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(e));
		free(s);
		return NULL;
	}
	if (chmod(path, 0600) < 0) {
		snprintf(err, errlen, "cannot set the mode of %s: %s", path, strerror(errno));
		ctl_server_free(s);
		return NULL;
	}
	return s;
}

const char *ctl_server_path(const struct ctl_server *s)
{
	return s->path;
}

void ctl_server_free(struct ctl_server *s)
{
	if (!s)
		return;
	while (s->clients)
		client_free(s->clients);
	if (s->lis)
		evconnlistener_free(s->lis);
	unlink(s->path);
	free(s);
}
