#include "bgp_listener.h"

#include <errno.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bgp_socket.h"
#include "log.h"
#include "xalloc.h"

struct bgp_listener {
	struct evconnlistener *l[2];  /* IPv4, IPv6 */
	int fd[2];
	void *(*find)(const struct ipaddr *, void *);
	void (*accept)(void *, int, void *);
	void *arg;
	struct ipaddr *keyed;  /* peers whose keys are set */
	size_t nkeyed;
	uint64_t refused;
};

static void on_accept(struct evconnlistener *el, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
	(void)el, (void)len;
	struct bgp_listener *l = arg;
	struct ipaddr peer;
	char buf[IPADDR_STRLEN];
	if (!ip_from_sockaddr(sa, &peer, NULL)) {
		close(fd);
		return;
	}
	void *s = l->find(&peer, l->arg);
	if (!s) {
		/* Anyone can knock: log the first few, then one in a thousand. */
		if (l->refused++ < 10 || l->refused % 1000 == 0) {
			ipaddr_format(&peer, buf);
			log_info("bgp", "refused a connection from %s: no BGPPeer of this node has that address "
					"(%llu refused so far)", buf, (unsigned long long)l->refused);
		}
		close(fd);
		return;
	}
	evutil_make_socket_nonblocking(fd);
	l->accept(s, fd, l->arg);
}

struct bgp_listener *bgp_listener_new(struct event_base *base, uint16_t port,
				      void *(*find)(const struct ipaddr *peer, void *arg),
				      void (*accept)(void *session, int fd, void *arg), void *arg)
{
	struct bgp_listener *l = xcalloc(1, sizeof(*l));
	static const uint8_t fams[2] = {IPF_V4, IPF_V6};
	l->find = find, l->accept = accept, l->arg = arg;
	for (int i = 0; i < 2; i++) {
		const char *why = "";
		l->fd[i] = bgp_socket_listen(fams[i], port, &why);
		if (l->fd[i] < 0) {
			log_warn("bgp", "not listening on IPv%u port %u (%s: %s): only outgoing sessions", fams[i], port,
				 why, strerror(errno));
			continue;
		}
		l->l[i] = evconnlistener_new(base, on_accept, l, LEV_OPT_CLOSE_ON_FREE, -1, l->fd[i]);
		if (!l->l[i]) {
			close(l->fd[i]);
			l->fd[i] = -1;
		}
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
				if (l->fd[f] >= 0 && (l->keyed[k].family == IPF_V4) == (f == 0))
					bgp_socket_md5(l->fd[f], &l->keyed[k], NULL);
	}
	free(l->keyed);
	l->keyed = xcalloc(n + 1, sizeof(*l->keyed));
	l->nkeyed = 0;
	for (size_t i = 0; i < n; i++) {
		int f = peers[i].family == IPF_V4 ? 0 : 1;
		if (l->fd[f] < 0)
			continue;
		if (bgp_socket_md5(l->fd[f], &peers[i], keys[i]) < 0) {
			char buf[IPADDR_STRLEN];
			ipaddr_format(&peers[i], buf);
			log_error("bgp", "cannot set the TCP MD5 key for %s on the listening socket: %s", buf,
				  strerror(errno));
			continue;
		}
		l->keyed[l->nkeyed++] = peers[i];
	}
}

void bgp_listener_free(struct bgp_listener *l)
{
	if (!l)
		return;
	for (int i = 0; i < 2; i++)
		if (l->l[i])
			evconnlistener_free(l->l[i]);
	free(l->keyed);
	free(l);
}
