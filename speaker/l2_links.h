/*
 * The node's network interfaces as the L2 responder needs them: name, MAC,
 * flags, type and master.
 *
 * Kept live from the kernel's notifications: libnl's cache manager holds the
 * route/link cache and its netlink socket sits in the libevent loop, so a
 * change (link up or down, carrier, new or deleted link, rename, MAC change,
 * enslaving) reaches the responder as it happens, with no polling. If the
 * notification socket overflows (ENOBUFS), the cache is read again in full
 * and every interface is reported. Addresses are not tracked: the responder
 * needs none (its NDP answers come from the VIP itself, see l2_responder.h).
 *
 * Which interfaces answer when a VIP names none (l2_link_default_ok): up,
 * broadcast-capable, Ethernet, not NOARP, not loopback, not enslaved to a
 * bridge or bond (IFLA_MASTER: the master answers), and not container
 * plumbing by name (veth*, docker*, cali*, kube-ipvs*, cni*, flannel*,
 * vxlan*, tunl*, cilium_*, lxc*, weave*, lo). Any interface, named or not,
 * answers only while it is usable: up, with carrier (IFF_RUNNING), Ethernet.
 */
#ifndef VIPCAST_SPEAKER_L2_LINKS_H
#define VIPCAST_SPEAKER_L2_LINKS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

struct l2_link {
	int ifindex;
	char name[IF_NAMESIZE];
	unsigned flags;     /* IFF_* */
	unsigned arptype;   /* ARPHRD_* */
	int master;         /* ifindex of the bridge or bond it is enslaved to, or 0 */
	bool has_mac;       /* a 6-byte hardware address */
	uint8_t mac[6];
};

/* The interface may answer at all: up, with carrier, Ethernet with a MAC. */
bool l2_link_usable(const struct l2_link *l);
/*
 * The rule for VIPs that name no interface (see above). When it says no and
 * why is not NULL, *why gets a short reason ("enslaved", "name veth*", ...).
 */
bool l2_link_default_ok(const char *name, unsigned flags, unsigned arptype, int master, const char **why);

struct l2_links;

/*
 * Starts tracking; changed(arg, ifindex) is called after every change of an
 * interface (l2_links_get then gives its new state, or NULL once it is gone),
 * never during l2_links_new. NULL on failure (logged).
 */
struct l2_links *l2_links_new(struct event_base *base, void (*changed)(void *arg, int ifindex), void *arg);
void l2_links_free(struct l2_links *ls);

/* The interface's current state, or NULL; valid until the next change. */
const struct l2_link *l2_links_get(const struct l2_links *ls, int ifindex);
size_t l2_links_count(const struct l2_links *ls);
const struct l2_link *l2_links_at(const struct l2_links *ls, size_t i);
/* mac is the hardware address of one of this node's interfaces. */
bool l2_links_mac_is_ours(const struct l2_links *ls, const uint8_t mac[6]);

#endif
