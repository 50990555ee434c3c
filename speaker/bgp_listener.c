/*
 * The passive side of BGP (see bgp_listener.h), and what it does when
 * accept() fails. libevent retries EAGAIN, EINTR and ECONNABORTED itself and
 * hands any other failure to the error callback here. Out of descriptors or
 * memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) the connection stays in the
 * backlog and the socket stays readable, so accepting again at once would
 * spin: the socket is left alone for a second at a time until the shortage
 * clears, with one log line when it starts and one when it ends. A network
 * error of the one connection being accepted (accept(2), "Error handling")
 * already took that connection off the queue: logged, and accepting goes on.
 * Anything else pauses the socket briefly, so that no error can spin either.
 */
#include "bgp_listener.h"

#include <errno.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bgp_socket.h"
#include "clock.h"
#include "log.h"
#include "rate_limit.h"
#include "xalloc.h"

#define PAUSE_SHORTAGE_MS 1000  /* out of descriptors or memory */
#define PAUSE_OTHER_MS 100      /* an error accept(2) does not document */
#define EPISODE_GAP_MS 10000    /* shortages further apart than this are logged apart */

struct bgp_listener;

/* One listening socket (one per family) and its pauses. */
struct listen_sock {
	struct bgp_listener *owner;
	uint8_t family;
	int fd;
	uint16_t port;          /* as bound (an ephemeral one when asked for 0) */
	struct evconnlistener *el;
	struct event *resume;
	uint64_t shortage_ms;   /* when the current shortage began; 0: none */
	uint64_t last_error_ms;
	uint64_t shortage_errors;
};

struct bgp_listener {
	struct listen_sock s[2];  /* IPv4, IPv6 */
	uint16_t port;
	void *(*find)(const struct ipaddr *, void *);
	void (*accept)(void *, int, void *);
	void *arg;
	struct ipaddr *keyed;  /* peers whose keys are set */
	size_t nkeyed;
	struct rate_limit log_rl;
	struct bgp_listener_stats st;
};

static void on_accept(struct evconnlistener *el, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
	(void)el, (void)len;
	struct listen_sock *s = arg;
	struct bgp_listener *l = s->owner;
	struct ipaddr peer;
	char buf[IPADDR_STRLEN];
	if (s->shortage_ms) {
		log_info("bgp", "accepting connections on IPv%u port %u again after %llu ms (%llu failed attempts)",
			 s->family, s->port, (unsigned long long)(mono_ms() - s->shortage_ms),
			 (unsigned long long)s->shortage_errors);
		s->shortage_ms = 0;
	}
	if (!ip_from_sockaddr(sa, &peer, NULL)) {
		close(fd);
		return;
	}
	void *session = l->find(&peer, l->arg);
	if (!session) {
		/* Anyone can knock: log the first few, then one in a thousand. */
		if (l->st.refused++ < 10 || l->st.refused % 1000 == 0) {
			ipaddr_format(&peer, buf);
			log_info("bgp", "refused a connection from %s: no BGPPeer of this node has that address "
					"(%llu refused so far)", buf, (unsigned long long)l->st.refused);
		}
		close(fd);
		return;
	}
	evutil_make_socket_nonblocking(fd);
	l->st.accepted++;
	l->accept(session, fd, l->arg);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct listen_sock *s = arg;
	if (evconnlistener_enable(s->el) < 0)
		log_error("bgp", "cannot watch the IPv%u listening socket again", s->family);
}

static void pause_accepting(struct listen_sock *s, unsigned ms)
{
	struct timeval tv = {ms / 1000, (suseconds_t)(ms % 1000) * 1000};
	s->owner->st.pauses++;
	evconnlistener_disable(s->el);
	if (evtimer_add(s->resume, &tv) < 0) {
		log_error("bgp", "cannot pause the IPv%u listening socket: accepting again at once", s->family);
		evconnlistener_enable(s->el);
	}
}

static bool shortage(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* Errors of the connection being accepted, which accept(2) has already dropped. */
static bool connection_error(int err)
{
	switch (err) {
	case ENETDOWN: case EPROTO: case ENOPROTOOPT: case EHOSTDOWN: case ENONET:
	case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH: case EPERM:
		return true;
	default:
		return false;
	}
}

static void on_accept_error(struct evconnlistener *el, void *arg)
{
	(void)el;
	int err = EVUTIL_SOCKET_ERROR();
	struct listen_sock *s = arg;
	struct bgp_listener *l = s->owner;
	uint64_t now = mono_ms();
	l->st.accept_errors++;
	if (shortage(err)) {
		if (!s->shortage_ms || now - s->last_error_ms > EPISODE_GAP_MS) {
			s->shortage_ms = now;
			s->shortage_errors = 0;
			log_error("bgp", "cannot accept connections on IPv%u port %u: %s; trying again every %u ms "
					 "(peers wait in the backlog)", s->family, s->port, strerror(err), PAUSE_SHORTAGE_MS);
		}
		s->shortage_errors++;
		s->last_error_ms = now;
		pause_accepting(s, PAUSE_SHORTAGE_MS);
		return;
	}
	bool dropped = connection_error(err);
	if (rate_limit_take(&l->log_rl, now))
		log_warn("bgp", "accepting a connection on IPv%u port %u: %s%s", s->family, s->port, strerror(err),
			 dropped ? " (that connection is lost; the peer dials again)" : "");
	if (!dropped)
		pause_accepting(s, PAUSE_OTHER_MS);
}

static void sock_open(struct listen_sock *s, struct event_base *base)
{
	const char *why = "";
	s->fd = bgp_socket_listen(s->family, s->port, &why);
	if (s->fd < 0) {
		log_warn("bgp", "not listening on IPv%u port %u (%s: %s): only outgoing sessions", s->family, s->port,
			 why, strerror(errno));
		return;
	}
	s->el = evconnlistener_new(base, on_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, s->fd);
	s->resume = s->el ? evtimer_new(base, on_resume, s) : NULL;
	if (!s->el || !s->resume) {
		log_error("bgp", "not listening on IPv%u port %u: cannot watch the socket: only outgoing sessions",
			  s->family, s->port);
		if (s->el)
			evconnlistener_free(s->el);  /* closes the socket */
		else
			close(s->fd);
		s->el = NULL;
		s->fd = -1;
		return;
	}
	evconnlistener_set_error_cb(s->el, on_accept_error);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct ipaddr ip;
	if (getsockname(s->fd, (struct sockaddr *)&ss, &len) == 0)
		ip_from_sockaddr((struct sockaddr *)&ss, &ip, &s->port);
}

struct bgp_listener *bgp_listener_new(struct event_base *base, uint16_t port,
				      void *(*find)(const struct ipaddr *peer, void *arg),
				      void (*accept)(void *session, int fd, void *arg), void *arg)
{
	struct bgp_listener *l = xcalloc(1, sizeof(*l));
	static const uint8_t fams[2] = {IPF_V4, IPF_V6};
	l->port = port;
	l->find = find, l->accept = accept, l->arg = arg;
	rate_limit_init(&l->log_rl, 1, 5, mono_ms());
	for (int i = 0; i < 2; i++) {
		l->s[i] = (struct listen_sock){.owner = l, .family = fams[i], .fd = -1, .port = port};
		sock_open(&l->s[i], base);
	}
	return l;
}

void bgp_listener_set_keys(struct bgp_listener *l, const struct ipaddr *peers, const char *const *keys, size_t n)
{
	for (size_t k = 0; k < l->nkeyed; k++) {
		bool still = false;
		for (size_t i = 0; i < n; i++)
			still |= ipaddr_eq(&l->keyed[k], &peers[i]);
		if (!still)
			for (int f = 0; f < 2; f++)
				if (l->s[f].fd >= 0 && (l->keyed[k].family == IPF_V4) == (f == 0))
					bgp_socket_md5(l->s[f].fd, &l->keyed[k], NULL);
	}
	free(l->keyed);
	l->keyed = xcalloc(n + 1, sizeof(*l->keyed));
	l->nkeyed = 0;
	for (size_t i = 0; i < n; i++) {
		int f = peers[i].family == IPF_V4 ? 0 : 1;
		if (l->s[f].fd < 0)
			continue;
		if (bgp_socket_md5(l->s[f].fd, &peers[i], keys[i]) < 0) {
			char buf[IPADDR_STRLEN];
			ipaddr_format(&peers[i], buf);
			log_error("bgp", "cannot set the TCP MD5 key for %s on the listening socket: %s", buf,
				  strerror(errno));
			continue;
		}
		l->keyed[l->nkeyed++] = peers[i];
	}
}

void bgp_listener_stats(const struct bgp_listener *l, struct bgp_listener_stats *out)
{
	*out = l->st;
}

uint16_t bgp_listener_port(const struct bgp_listener *l, uint8_t family)
{
	const struct listen_sock *s = &l->s[family == IPF_V4 ? 0 : 1];
	return s->fd >= 0 ? s->port : 0;
}

void bgp_listener_free(struct bgp_listener *l)
{
	if (!l)
		return;
	for (int i = 0; i < 2; i++) {
		if (l->s[i].resume)
			event_free(l->s[i].resume);
		if (l->s[i].el)
			evconnlistener_free(l->s[i].el);
	}
	free(l->keyed);
	free(l);
}
