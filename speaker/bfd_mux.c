#include "bfd_mux.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bfd.h"
#include "bfd_session.h"
#include "bfd_socket.h"
#include "log.h"
#include "xalloc.h"

#define RECV_PER_WAKEUP 64   /* STYLE 9: bound the work per wakeup */

enum { KIND_SINGLE, KIND_MULTI, KINDS };
enum { FAM_V4, FAM_V6, FAMS };

struct bfd_listener {
	struct bfd_mux *m;
	int fd;
	bool multihop;
	struct event *ev;
};

struct bfd_mux {
	struct event_base *base;
	struct bfd_listener l[FAMS][KINDS];
	struct bfd_session **s;
	size_t n, cap;
	struct bfd_mux_counters c;
};

static struct bfd_session *by_discr(const struct bfd_mux *m, uint32_t d)
{
	for (size_t i = 0; i < m->n; i++)
		if (bfd_session_discr(m->s[i]) == d)
			return m->s[i];
	return NULL;
}

static struct bfd_session *by_peer(const struct bfd_mux *m, const struct ipaddr *from, bool multihop)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct bfd_session_config *c = bfd_session_cfg(m->s[i]);
		if (c->multihop == multihop && ipaddr_eq(&c->peer, from))
			return m->s[i];
	}
	return NULL;
}

static void unknown(struct bfd_mux *m, const struct ipaddr *from, const char *why)
{
	if (++m->c.unknown_session <= 5 || m->c.unknown_session % 1000 == 0) {
		char a[IPADDR_STRLEN];
		ipaddr_format(from, a);
		log_info("bfd", "dropped a packet from %s: %s (%llu so far)", a, why,
			 (unsigned long long)m->c.unknown_session);
	}
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct bfd_listener *l = arg;
	struct bfd_mux *m = l->m;
	for (int i = 0; i < RECV_PER_WAKEUP; i++) {
		uint8_t buf[256];
		struct ipaddr from;
		int ttl;
		ssize_t len = bfd_socket_recv(fd, buf, sizeof(buf), &from, &ttl);
		if (len < 0)
			return;  /* EAGAIN, or an error the next datagram may not have */
		struct bfd_ctrl pkt;
		enum bfd_err e = bfd_decode(buf, (size_t)len, &pkt);
		if (e != BFD_OK) {
			if (++m->c.malformed <= 5 || m->c.malformed % 1000 == 0) {
				char a[IPADDR_STRLEN];
				ipaddr_format(&from, a);
				log_info("bfd", "dropped a malformed packet from %s: %s (%llu so far)", a, bfd_err_str(e),
					 (unsigned long long)m->c.malformed);
			}
			continue;
		}
		struct bfd_session *b = pkt.your_disc ? by_discr(m, pkt.your_disc) : by_peer(m, &from, l->multihop);
		if (!b) {
			unknown(m, &from, pkt.your_disc ? "Your Discriminator names no session" : "no session for this address");
			continue;
		}
		const struct bfd_session_config *c = bfd_session_cfg(b);
		if (c->multihop != l->multihop || !ipaddr_eq(&c->peer, &from)) {
			unknown(m, &from, "Your Discriminator names the session of another peer");
			continue;
		}
		bfd_session_input(b, &pkt, ttl);
	}
}

static bool listener_open(struct bfd_mux *m, uint8_t family, bool multihop)
{
	struct bfd_listener *l = &m->l[family == IPF_V6 ? FAM_V6 : FAM_V4][multihop ? KIND_MULTI : KIND_SINGLE];
	if (l->ev)
		return true;
	uint16_t port = multihop ? BFD_PORT_MULTIHOP : BFD_PORT_SINGLE_HOP;
	const char *why = "";
	int fd = bfd_socket_listen(family, port, &why);
	if (fd < 0) {
		log_error("bfd", "cannot receive BFD on %s port %u: %s: %s", family == IPF_V6 ? "IPv6" : "IPv4", port, why,
			  strerror(errno));
		return false;
	}
	l->m = m;
	l->fd = fd;
	l->multihop = multihop;
	l->ev = event_new(m->base, fd, EV_READ | EV_PERSIST, on_readable, l);
	if (!l->ev || event_add(l->ev, NULL) < 0) {
		if (l->ev)
			event_free(l->ev);
		l->ev = NULL;
		close(fd);
		log_error("bfd", "cannot watch the BFD socket on port %u", port);
		return false;
	}
	return true;
}

struct bfd_mux *bfd_mux_new(struct event_base *base)
{
	struct bfd_mux *m = xcalloc(1, sizeof(*m));
	m->base = base;
	return m;
}

void bfd_mux_free(struct bfd_mux *m)
{
	if (!m)
		return;
	for (int f = 0; f < FAMS; f++)
		for (int k = 0; k < KINDS; k++)
			if (m->l[f][k].ev) {
				event_free(m->l[f][k].ev);
				close(m->l[f][k].fd);
			}
	free(m->s);
	free(m);
}

bool bfd_mux_add(struct bfd_mux *m, struct bfd_session *b)
{
	const struct bfd_session_config *c = bfd_session_cfg(b);
	if (!listener_open(m, c->peer.family, c->multihop))
		return false;
	uint32_t d;
	do
		d = (uint32_t)random() << 1 ^ (uint32_t)random();
	while (d == 0 || by_discr(m, d));
	bfd_session_set_discr(b, d);
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 8;
		m->s = xrealloc(m->s, m->cap, sizeof(*m->s));
	}
	m->s[m->n++] = b;
	return true;
}

void bfd_mux_remove(struct bfd_mux *m, struct bfd_session *b)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->s[i] == b) {
			m->s[i] = m->s[--m->n];
			return;
		}
}

void bfd_mux_counters(const struct bfd_mux *m, struct bfd_mux_counters *c)
{
	*c = m->c;
}
