/* Interface tracking for the L2 responder with libnl's cache manager: see l2_links.h. */
#include "l2_links.h"

#include <errno.h>
#include <event2/event.h>
#include <net/if_arp.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "xalloc.h"

#define COMP "l2"
#define NL_RCVBUF (1 << 20)

/* Container and tunnel plumbing: never answered on unless a VIP names it. */
static const char *const excluded_prefixes[] = {
	"veth", "docker", "cali", "kube-ipvs", "cni", "flannel", "vxlan", "tunl", "cilium_", "lxc", "weave",
};

bool l2_link_default_ok(const char *name, unsigned flags, unsigned arptype, int master, const char **why)
{
	const char *r = NULL;

	if (!(flags & IFF_UP))
		r = "down";
	else if (flags & IFF_LOOPBACK || strcmp(name, "lo") == 0)
		r = "loopback";
	else if (!(flags & IFF_BROADCAST))
		r = "not broadcast-capable";
	else if (flags & IFF_NOARP)
		r = "NOARP";
	else if (arptype != ARPHRD_ETHER)
		r = "not Ethernet";
	else if (master > 0)
		r = "enslaved";
	for (size_t i = 0; !r && i < sizeof excluded_prefixes / sizeof excluded_prefixes[0]; i++)
		if (strncmp(name, excluded_prefixes[i], strlen(excluded_prefixes[i])) == 0)
			r = "container or tunnel interface";
	if (r && why)
		*why = r;
	return r == NULL;
}

bool l2_link_usable(const struct l2_link *l)
{
	return (l->flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING) && !(l->flags & IFF_LOOPBACK) &&
	       l->arptype == ARPHRD_ETHER && l->has_mac;
}

struct l2_links {
	struct nl_cache_mngr *mngr;
	struct nl_cache *links;
	struct nl_sock *sync;  /* reads the cache again after an overflow */
	struct event *ev;
	void (*changed)(void *arg, int ifindex);
	void *arg;
	bool ready;            /* l2_links_new has returned: report changes */
	struct l2_link *v;     /* sorted by ifindex */
	size_t n, cap;
};

static size_t find(const struct l2_links *ls, int ifindex, bool *found)
{
	size_t lo = 0, hi = ls->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ls->v[mid].ifindex < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < ls->n && ls->v[lo].ifindex == ifindex;
	return lo;
}

const struct l2_link *l2_links_get(const struct l2_links *ls, int ifindex)
{
	bool found;
	size_t i = find(ls, ifindex, &found);
	return found ? &ls->v[i] : NULL;
}

size_t l2_links_count(const struct l2_links *ls)
{
	return ls->n;
}

const struct l2_link *l2_links_at(const struct l2_links *ls, size_t i)
{
	return i < ls->n ? &ls->v[i] : NULL;
}

bool l2_links_mac_is_ours(const struct l2_links *ls, const uint8_t mac[6])
{
	for (size_t i = 0; i < ls->n; i++)
		if (ls->v[i].has_mac && memcmp(ls->v[i].mac, mac, 6) == 0)
			return true;
	return false;
}

/*
 * The interface's own entry: family AF_UNSPEC, except for a Linux bridge, whose
 * own entry libnl files under AF_BRIDGE (a bridge port's AF_BRIDGE entry comes
 * second to its AF_UNSPEC one). The cache keeps one entry per (ifindex,
 * family), and the kernel's IPv6 notifications (RTM_NEWLINK, family AF_INET6)
 * add another that later link changes, a new MAC among them, never update:
 * rtnl_link_get(), which returns the first entry of any family, can return
 * that stale one.
 */
static struct rtnl_link *link_entry(struct l2_links *ls, int ifindex)
{
	static const int families[] = { AF_UNSPEC, AF_BRIDGE };
	struct nl_object *o = NULL;
	struct rtnl_link *needle = rtnl_link_alloc();

	if (!needle)
		return NULL;
	rtnl_link_set_ifindex(needle, ifindex);
	for (size_t i = 0; !o && i < sizeof families / sizeof families[0]; i++) {
		rtnl_link_set_family(needle, families[i]);
		o = nl_cache_search(ls->links, (struct nl_object *)needle);
	}
	rtnl_link_put(needle);
	return (struct rtnl_link *)o;
}

/* Reads one interface's state from the caches: false when it is gone. */
static bool read_link(struct l2_links *ls, int ifindex, struct l2_link *out)
{
	struct rtnl_link *l = link_entry(ls, ifindex);
	if (!l)
		return false;
	memset(out, 0, sizeof *out);
	out->ifindex = ifindex;
	const char *name = rtnl_link_get_name(l);
	if (name)
		snprintf(out->name, sizeof out->name, "%s", name);
	out->flags = rtnl_link_get_flags(l);
	out->arptype = rtnl_link_get_arptype(l);
	out->master = rtnl_link_get_master(l);
	struct nl_addr *hw = rtnl_link_get_addr(l);
	if (hw && nl_addr_get_len(hw) == 6) {
		out->has_mac = true;
		memcpy(out->mac, nl_addr_get_binary_addr(hw), 6);
	}
	rtnl_link_put(l);
	return true;
}

/* Brings one interface's entry up to date and reports it when it changed. */
static void refresh(struct l2_links *ls, int ifindex)
{
	struct l2_link now;
	bool exists = read_link(ls, ifindex, &now), found;
	size_t i = find(ls, ifindex, &found);

	if (!exists && !found)
		return;
	if (exists && found && memcmp(&ls->v[i], &now, sizeof now) == 0)
		return;
	if (!exists) {
		memmove(&ls->v[i], &ls->v[i + 1], (ls->n - i - 1) * sizeof ls->v[0]);
		ls->n--;
	} else if (found) {
		memcpy(&ls->v[i], &now, sizeof now);  /* padding too: entries are compared with memcmp */
	} else {
		if (ls->n == ls->cap) {
			ls->cap = ls->cap ? 2 * ls->cap : 16;
			ls->v = xrealloc(ls->v, ls->cap, sizeof ls->v[0]);
		}
		memmove(&ls->v[i + 1], &ls->v[i], (ls->n - i) * sizeof ls->v[0]);
		memcpy(&ls->v[i], &now, sizeof now);
		ls->n++;
	}
	if (ls->ready)
		ls->changed(ls->arg, ifindex);
}

static void link_cb(struct nl_cache *cache, struct nl_object *obj, int action, void *arg)
{
	(void)cache, (void)action;
	refresh(arg, rtnl_link_get_ifindex((struct rtnl_link *)obj));
}

/* Every interface known before or now. */
static void refresh_all(struct l2_links *ls)
{
	size_t n = ls->n + (size_t)nl_cache_nitems(ls->links);
	int *idx = xmalloc((n ? n : 1) * sizeof *idx), k = 0;
	for (size_t i = 0; i < ls->n; i++)
		idx[k++] = ls->v[i].ifindex;
	for (struct nl_object *o = nl_cache_get_first(ls->links); o && (size_t)k < n; o = nl_cache_get_next(o))
		idx[k++] = rtnl_link_get_ifindex((struct rtnl_link *)o);
	for (int i = 0; i < k; i++)
		refresh(ls, idx[i]);
	free(idx);
}

static void resync(struct l2_links *ls)
{
	int err = nl_cache_refill(ls->sync, ls->links);
	if (err < 0)
		log_error(COMP, "reading the interfaces again: %s", nl_geterror(err));
	refresh_all(ls);
}

static void on_netlink(evutil_socket_t fd, short what, void *arg)
{
	struct l2_links *ls = arg;
	(void)fd, (void)what;
	int err = nl_cache_mngr_data_ready(ls->mngr);
	if (err < 0 && err != -NLE_AGAIN) {
		/* Typically ENOBUFS: notifications were lost; read everything again. */
		log_warn(COMP, "interface notifications: %s; reading all interfaces again", nl_geterror(err));
		resync(ls);
	}
}

struct l2_links *l2_links_new(struct event_base *base, void (*changed)(void *arg, int ifindex), void *arg)
{
	struct l2_links *ls = xcalloc(1, sizeof *ls);
	int err = 0;

	ls->changed = changed;
	ls->arg = arg;
	ls->sync = nl_socket_alloc();
	if (!ls->sync || (err = nl_connect(ls->sync, NETLINK_ROUTE)) < 0) {
		log_error(COMP, "netlink socket: %s", ls->sync ? nl_geterror(err) : "out of memory");
		goto fail;
	}
	if ((err = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, 0, &ls->mngr)) < 0 ||
	    (err = nl_cache_mngr_add(ls->mngr, "route/link", link_cb, ls, &ls->links)) < 0) {
		log_error(COMP, "interface tracking: %s", nl_geterror(err));
		goto fail;
	}
	int fd = nl_cache_mngr_get_fd(ls->mngr);
	int rcvbuf = NL_RCVBUF;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	ls->ev = event_new(base, fd, EV_READ | EV_PERSIST, on_netlink, ls);
	if (!ls->ev || event_add(ls->ev, NULL) < 0) {
		log_error(COMP, "interface tracking: cannot watch the netlink socket");
		goto fail;
	}
	refresh_all(ls);
	ls->ready = true;
	return ls;
fail:
	l2_links_free(ls);
	return NULL;
}

void l2_links_free(struct l2_links *ls)
{
	if (!ls)
		return;
	if (ls->ev)
		event_free(ls->ev);
	if (ls->mngr)
		nl_cache_mngr_free(ls->mngr);  /* frees the cache it made */
	if (ls->sync)
		nl_socket_free(ls->sync);
	free(ls->v);
	free(ls);
}
