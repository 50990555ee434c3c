#include "bfd_peers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfd_mux.h"
#include "bgp_session.h"
#include "log.h"
#include "xalloc.h"

struct bfd_peer {
	struct bfd_peers *owner;
	struct bgp_session *bgp;
	struct bfd_session *bfd;
	bool wanted;
};

struct bfd_peers {
	struct event_base *base;
	struct bfd_mux *mux;
	struct bfd_peer **v;
	size_t n, cap;
};

static void on_bfd_state(struct bfd_session *b, uint8_t from, uint8_t to, void *arg)
{
	struct bfd_peer *e = arg;
	if (to == BFD_UP || bfd_session_remote_state(b) == BFD_ADMIN_DOWN)
		/* RFC 5882 3.2: the remote turning BFD off administratively is no failure: BGP goes on without it. */
		bgp_session_bfd_hold(e->bgp, false);
	else if (from == BFD_UP)
		bgp_session_bfd_down(e->bgp);  /* also holds it until BFD is Up again */
}

struct bfd_peers *bfd_peers_new(struct event_base *base)
{
	struct bfd_peers *p = xcalloc(1, sizeof(*p));
	p->base = base;
	p->mux = bfd_mux_new(base);
	return p;
}

void bfd_peers_free(struct bfd_peers *p)
{
	if (!p)
		return;
	bfd_peers_begin(p);
	bfd_peers_end(p);
	free(p->v);
	bfd_mux_free(p->mux);
	free(p);
}

void bfd_peers_begin(struct bfd_peers *p)
{
	for (size_t i = 0; i < p->n; i++)
		p->v[i]->wanted = false;
}

bool bfd_peers_config(const struct object *peer, const struct config *c, const struct bgp_session_config *bc,
		      struct bfd_session_config *out)
{
	const char *name = peer->peer.bfd_profile.s;
	if (!name || !*name)
		return false;
	const struct object *o = config_find(c, KIND_BFDPROFILE, peer->meta.namespace, name);
	if (!o)
		return false;  /* validation refuses this */
	const struct bfd_profile *f = &o->bfd;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", bc->name);
	snprintf(out->profile, sizeof(out->profile), "%s", name);
	out->peer = bc->peer;
	out->source = bc->source;
	out->multihop = bc->multihop;
	out->ifindex = bc->ifindex;
	out->passive = f->passive_mode.v;
	out->echo = f->echo_mode.v;
	out->tx_us = (uint32_t)f->transmit_interval.v * 1000;
	out->rx_us = (uint32_t)f->receive_interval.v * 1000;
	out->mult = (uint8_t)f->detect_multiplier.v;
	out->min_ttl = (uint8_t)f->minimum_ttl.v;
	return true;
}

json_t *bfd_peers_config_json(const struct bfd_session_config *b)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:i, s:b, s:b, s:i}", "profile", b->profile, "type",
			 b->multihop ? "multihop" : "single-hop", "transmit_interval_ms", (json_int_t)(b->tx_us / 1000),
			 "receive_interval_ms", (json_int_t)(b->rx_us / 1000), "detect_multiplier", (int)b->mult,
			 "passive", b->passive, "echo", b->echo, "minimum_ttl", (int)b->min_ttl);
}

static struct bfd_peer *find(struct bfd_peers *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(bfd_session_cfg(p->v[i]->bfd)->name, name) == 0)
			return p->v[i];
	return NULL;
}

void bfd_peers_want(struct bfd_peers *p, struct bgp_session *ses, const struct object *peer, const struct config *c)
{
	struct bfd_session_config cfg;
	if (!bfd_peers_config(peer, c, bgp_session_cfg(ses), &cfg)) {
		bgp_session_bfd_hold(ses, false);
		return;
	}
	struct bfd_peer *e = find(p, cfg.name);
	if (e && !e->wanted && bfd_session_reconfigure(e->bfd, &cfg)) {
		e->wanted = true;
		e->bgp = ses;
		bgp_session_bfd_hold(ses, bfd_session_state(e->bfd) != BFD_UP);
		return;
	}
	struct bfd_peer *n = xcalloc(1, sizeof(*n));
	n->owner = p;
	n->bgp = ses;
	n->wanted = true;
	/* Held before the session exists: a BGP session made in this reload has not dialled yet. */
	bgp_session_bfd_hold(ses, true);
	n->bfd = bfd_session_new(p->base, p->mux, &cfg, on_bfd_state, n);
	if (!n->bfd) {
		log_error("bfd", "BGPPeer %s: no BFD session: its BGP session runs without BFD", cfg.name);
		bgp_session_bfd_hold(ses, false);
		free(n);
		return;
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->v = xrealloc(p->v, p->cap, sizeof(*p->v));
	}
	p->v[p->n++] = n;
}

void bfd_peers_end(struct bfd_peers *p)
{
	size_t k = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i]->wanted) {
			p->v[k++] = p->v[i];
			continue;
		}
		bfd_session_free(p->v[i]->bfd);
		free(p->v[i]);
	}
	p->n = k;
}

json_t *bfd_peers_status(const struct bfd_peers *p)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < p->n; i++)
		json_array_append_new(a, bfd_session_status(p->v[i]->bfd));
	return a;
}

void bfd_peers_each(const struct bfd_peers *p, void (*fn)(const struct bfd_session *b, void *arg), void *arg)
{
	for (size_t i = 0; i < p->n; i++)
		fn(p->v[i]->bfd, arg);
}
