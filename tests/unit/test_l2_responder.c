/*
 * Unit tests for the L2 responder's pure parts: which interfaces answer by
 * default (speaker/l2_links.c), and the classic BPF filters
 * (speaker/l2_socket.c), run by the kernel itself on an AF_UNIX datagram
 * socket, which needs no privilege: a frame the filter refuses never arrives.
 * The responder itself runs in tests/e2e/test_l2_responder.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <net/if_arp.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "arp.h"
#include "l2_links.h"
#include "l2_socket.h"
#include "ndp.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define UP_ETHER (IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_RUNNING)

struct link_row {
	const char *name;
	unsigned flags, arptype;
	int master;
	bool want;
	const char *why;
};

static const struct link_row link_rows[] = {
	{"eth0", UP_ETHER, ARPHRD_ETHER, 0, true, NULL},
	{"ens3", UP_ETHER, ARPHRD_ETHER, 0, true, NULL},
	{"bond0", UP_ETHER | IFF_MASTER, ARPHRD_ETHER, 0, true, NULL},
	{"br0", UP_ETHER, ARPHRD_ETHER, 0, true, NULL},
	{"eth0.100", UP_ETHER, ARPHRD_ETHER, 0, true, NULL},
	{"br-ex", UP_ETHER, ARPHRD_ETHER, 0, true, NULL},
	{"eth1", UP_ETHER & ~(unsigned)IFF_UP, ARPHRD_ETHER, 0, false, "down"},
	{"lo", IFF_UP | IFF_LOOPBACK | IFF_RUNNING, ARPHRD_LOOPBACK, 0, false, "loopback"},
	{"wg0", IFF_UP | IFF_POINTOPOINT | IFF_NOARP | IFF_RUNNING, ARPHRD_NONE, 0, false, "not broadcast-capable"},
	{"dummy0", UP_ETHER | IFF_NOARP, ARPHRD_ETHER, 0, false, "NOARP"},
	{"kube-ipvs0", UP_ETHER | IFF_NOARP, ARPHRD_ETHER, 0, false, "NOARP"},
	{"ib0", UP_ETHER, ARPHRD_INFINIBAND, 0, false, "not Ethernet"},
	{"eth2", UP_ETHER | IFF_SLAVE, ARPHRD_ETHER, 7, false, "enslaved"},
	{"enp1s0", UP_ETHER, ARPHRD_ETHER, 3, false, "enslaved"},
	{"veth1a2b3c", UP_ETHER, ARPHRD_ETHER, 0, false, "container or tunnel interface"},
	{"docker0", UP_ETHER, ARPHRD_ETHER, 0, false, "container or tunnel interface"},
	{"cali12345", UP_ETHER, ARPHRD_ETHER, 0, false, "container or tunnel interface"},
	{"kube-ipvs1", UP_ETHER, ARPHRD_ETHER, 0, false, "container or tunnel interface"},
	{"cni0", UP_ETHER, ARPHRD_ETHER, 0, false, "container or tunnel interface"},
	{"flannel.1", UP_ETHER, ARPHRD_ETHER, 0, false, "container or tunnel interface"},
	{"vxlan.calico", UP_ETHER, ARPHRD_ETHER, 0, false, "container or tunnel interface"},
	{"tunl0", UP_ETHER, ARPHRD_ETHER, 0, false, "container or tunnel interface"},
	{"cilium_host", UP_ETHER, ARPHRD_ETHER, 0, false, "container or tunnel interface"},
	{"lxc12ab", UP_ETHER, ARPHRD_ETHER, 0, false, "container or tunnel interface"},
	{"weave", UP_ETHER, ARPHRD_ETHER, 0, false, "container or tunnel interface"},
};

static void test_default_rule(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(link_rows); i++) {
		const struct link_row *row = &link_rows[i];
		const char *why = NULL;
		bool got = l2_link_default_ok(row->name, row->flags, row->arptype, row->master, &why);
		if (got != row->want)
			fail_msg("%s: got %d, want %d (%s)", row->name, got, row->want, why ? why : "");
		if (!got && strcmp(why, row->why) != 0)
			fail_msg("%s: reason \"%s\", want \"%s\"", row->name, why, row->why);
	}
	assert_true(l2_link_default_ok("eth0", UP_ETHER, ARPHRD_ETHER, 0, NULL));
	assert_false(l2_link_default_ok("veth0", UP_ETHER, ARPHRD_ETHER, 0, NULL));
}

static void test_usable(void **state)
{
	(void)state;
	struct l2_link l = {.ifindex = 2, .name = "eth0", .flags = UP_ETHER, .arptype = ARPHRD_ETHER, .has_mac = true};

	assert_true(l2_link_usable(&l));
	l.flags &= ~(unsigned)IFF_RUNNING;  /* no carrier */
	assert_false(l2_link_usable(&l));
	l.flags = UP_ETHER & ~(unsigned)IFF_UP;
	assert_false(l2_link_usable(&l));
	l.flags = UP_ETHER;
	l.has_mac = false;
	assert_false(l2_link_usable(&l));
	l.has_mac = true;
	l.arptype = ARPHRD_NONE;
	assert_false(l2_link_usable(&l));
	/* A VIP may name an interface the default rule skips: usable still. */
	struct l2_link v = {.ifindex = 9, .name = "veth0", .flags = UP_ETHER, .arptype = ARPHRD_ETHER, .has_mac = true};
	assert_true(l2_link_usable(&v));
}

/* BPF filters, run by the kernel on an AF_UNIX datagram socket. */

static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0x0a}, mac_b[6] = {0x02, 0, 0, 0, 0, 0x0b};
static const uint8_t vip4[4] = {192, 0, 2, 100}, other4[4] = {192, 0, 2, 101}, host4[4] = {192, 0, 2, 20};
static const uint8_t vip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01, [14] = 0x01};
static const uint8_t vip6_near[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01, [14] = 0x02};  /* same last word but one byte */
static const uint8_t other6[16] = {0x20, 0x01, 0x0d, 0xb9, [15] = 0x01, [14] = 0x01};       /* same last word */
static const uint8_t ll6[16] = {0xfe, 0x80, [15] = 0x20};

/* True when the frame gets through a socket filtered by prog. */
static bool passes(const struct sock_filter *prog, size_t n, const uint8_t *frame, size_t len)
{
	int sv[2];
	uint8_t buf[256];

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	if (l2_socket_set_filter(sv[1], prog, n) != 0)
		fail_msg("SO_ATTACH_FILTER: %s", strerror(errno));
	assert_int_equal(send(sv[0], frame, len, 0), (ssize_t)len);
	ssize_t got = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
	close(sv[0]);
	close(sv[1]);
	if (got >= 0)
		assert_int_equal(got, len);
	return got >= 0;
}

static size_t arp_frame(enum arp_op op, const uint8_t spa[4], const uint8_t tpa[4], uint8_t *buf)
{
	struct arp_pkt p;

	memcpy(p.eth_dst, ether_broadcast, 6);
	memcpy(p.eth_src, mac_b, 6);
	p.op = (uint16_t)op;
	memcpy(p.sha, mac_b, 6);
	memcpy(p.spa, spa, 4);
	memset(p.tha, 0, 6);
	memcpy(p.tpa, tpa, 4);
	return arp_encode(&p, buf, ARP_FRAME_LEN);
}

static size_t nd_frame(enum ndp_type type, const uint8_t target[16], uint8_t hop, uint8_t *buf)
{
	struct ndp_msg m;

	memset(&m, 0, sizeof m);
	memcpy(m.eth_dst, mac_a, 6);
	memcpy(m.eth_src, mac_b, 6);
	memcpy(m.src, ll6, 16);
	ndp_solicited_node(target, m.dst);
	m.hop_limit = hop;
	m.type = (uint8_t)type;
	memcpy(m.target, target, 16);
	m.has_lla = true;
	memcpy(m.lla, mac_b, 6);
	return ndp_encode(&m, buf, NDP_FRAME_MAX);
}

static void test_bpf_arp(void **state)
{
	(void)state;
	struct sock_filter prog[L2_BPF_MAX_INSNS];
	const uint8_t ips[2][4] = {{10, 0, 0, 1}, {192, 0, 2, 100}};
	size_t n = l2_bpf_arp(ips, 2, prog, N(prog));
	uint8_t f[ARP_FRAME_LEN];

	assert_true(n > 0);
	assert_true(passes(prog, n, f, arp_frame(ARP_OP_REQUEST, host4, vip4, f)));      /* a question */
	assert_true(passes(prog, n, f, arp_frame(ARP_OP_REPLY, vip4, host4, f)));        /* someone answering as the VIP */
	assert_true(passes(prog, n, f, arp_frame(ARP_OP_REQUEST, vip4, vip4, f)));       /* a gratuitous one */
	assert_false(passes(prog, n, f, arp_frame(ARP_OP_REQUEST, host4, other4, f)));   /* the rest of the LAN */
	assert_false(passes(prog, n, f, arp_frame(ARP_OP_REPLY, other4, host4, f)));
	size_t len = arp_frame(ARP_OP_REQUEST, host4, vip4, f);
	assert_false(passes(prog, n, f, 41));  /* cut before the target address */
	f[12] = 0x08, f[13] = 0x00;            /* IPv4 EtherType */
	assert_false(passes(prog, n, f, len));
	arp_frame(ARP_OP_REQUEST, host4, vip4, f);
	f[16] = 0x86, f[17] = 0xdd;            /* protocol type IPv6 */
	assert_false(passes(prog, n, f, len));

	/* No address: drops all (the responder closes the socket instead). */
	n = l2_bpf_arp(ips, 0, prog, N(prog));
	assert_false(passes(prog, n, f, arp_frame(ARP_OP_REQUEST, host4, vip4, f)));
	/* NULL: the protocol-only filter. */
	n = l2_bpf_arp(NULL, 0, prog, N(prog));
	assert_true(passes(prog, n, f, arp_frame(ARP_OP_REQUEST, host4, other4, f)));
	f[12] = 0x86, f[13] = 0xdd;
	assert_false(passes(prog, n, f, ARP_FRAME_LEN));
}

static void test_bpf_nd(void **state)
{
	(void)state;
	struct sock_filter prog[L2_BPF_MAX_INSNS];
	const uint8_t ips[2][16] = {{0xfd, [15] = 1}, {0x20, 0x01, 0x0d, 0xb8, [14] = 0x01, [15] = 0x01}};
	size_t n = l2_bpf_nd(ips, 2, prog, N(prog));
	uint8_t f[NDP_FRAME_MAX];

	assert_true(n > 0);
	assert_true(passes(prog, n, f, nd_frame(NDP_NS, vip6, 255, f)));
	assert_true(passes(prog, n, f, nd_frame(NDP_NA, vip6, 255, f)));
	assert_false(passes(prog, n, f, nd_frame(NDP_NS, vip6, 64, f)));        /* crossed a router */
	assert_false(passes(prog, n, f, nd_frame(NDP_NS, vip6_near, 255, f)));  /* differs in word 3 */
	assert_false(passes(prog, n, f, nd_frame(NDP_NS, other6, 255, f)));     /* differs in word 0 only */
	size_t len = nd_frame(NDP_NS, vip6, 255, f);
	f[ETHER_HDR_LEN + IPV6_HDR_LEN] = 133;  /* a router solicitation */
	assert_false(passes(prog, n, f, len));
	nd_frame(NDP_NS, vip6, 255, f);
	f[ETHER_HDR_LEN + 6] = 0;  /* hop-by-hop header first */
	assert_false(passes(prog, n, f, len));
	nd_frame(NDP_NS, vip6, 255, f);
	assert_false(passes(prog, n, f, len - 16));  /* target cut */
	f[12] = 0x08, f[13] = 0x06;
	assert_false(passes(prog, n, f, len));
	/* NULL: every NS and NA with hop limit 255. */
	n = l2_bpf_nd(NULL, 0, prog, N(prog));
	assert_true(passes(prog, n, f, nd_frame(NDP_NS, other6, 255, f)));
	assert_true(passes(prog, n, f, nd_frame(NDP_NA, other6, 255, f)));
	assert_false(passes(prog, n, f, nd_frame(NDP_NA, other6, 254, f)));
}

static void test_bpf_limits(void **state)
{
	(void)state;
	static struct sock_filter prog[L2_BPF_MAX_INSNS];
	static uint8_t v4[L2_BPF_MAX_ARP + 1][4];
	static uint8_t v6[L2_BPF_MAX_ND + 1][16];
	uint8_t f[NDP_FRAME_MAX];

	for (size_t i = 0; i <= L2_BPF_MAX_ARP; i++)
		v4[i][0] = 10, v4[i][2] = (uint8_t)(i >> 8), v4[i][3] = (uint8_t)i;
	for (size_t i = 0; i <= L2_BPF_MAX_ND; i++)
		v6[i][0] = 0xfd, v6[i][14] = (uint8_t)(i >> 8), v6[i][15] = (uint8_t)i;
	memcpy(v4[L2_BPF_MAX_ARP - 1], vip4, 4);
	memcpy(v6[L2_BPF_MAX_ND - 1], vip6, 16);

	/* The largest exact filters fit, and the kernel takes them (even with the 20 KiB optmem_max of Linux < 6.9). */
	size_t n = l2_bpf_arp(v4, L2_BPF_MAX_ARP, prog, N(prog));
	assert_true(n > 0 && n <= L2_BPF_MAX_INSNS);
	assert_true(passes(prog, n, f, arp_frame(ARP_OP_REQUEST, host4, vip4, f)));
	assert_false(passes(prog, n, f, arp_frame(ARP_OP_REQUEST, host4, other4, f)));
	n = l2_bpf_nd(v6, L2_BPF_MAX_ND, prog, N(prog));
	assert_true(n > 0 && n <= L2_BPF_MAX_INSNS);
	assert_true(passes(prog, n, f, nd_frame(NDP_NS, vip6, 255, f)));
	assert_false(passes(prog, n, f, nd_frame(NDP_NS, other6, 255, f)));

	/* One more: the protocol-only filter, which still drops other protocols. */
	n = l2_bpf_arp(v4, L2_BPF_MAX_ARP + 1, prog, N(prog));
	assert_true(n > 0 && n < 32);
	assert_true(passes(prog, n, f, arp_frame(ARP_OP_REQUEST, host4, other4, f)));
	n = l2_bpf_nd(v6, L2_BPF_MAX_ND + 1, prog, N(prog));
	assert_true(n > 0 && n < 32);
	assert_true(passes(prog, n, f, nd_frame(NDP_NS, other6, 255, f)));
	assert_false(passes(prog, n, f, nd_frame(NDP_NS, other6, 1, f)));

	/* Too small a buffer: 0, never a cut program. */
	assert_int_equal(l2_bpf_arp(v4, 10, prog, 20), 0);
	assert_int_equal(l2_bpf_nd(v6, 10, prog, 20), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_rule),
		cmocka_unit_test(test_usable),
		cmocka_unit_test(test_bpf_arp),
		cmocka_unit_test(test_bpf_nd),
		cmocka_unit_test(test_bpf_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
