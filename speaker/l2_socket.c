/* AF_PACKET sockets and classic BPF filters for the L2 responder: see l2_socket.h. */
#include "l2_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "arp.h"
#include "ndp.h"

/* Frame offsets the filters read (the socket hands over the Ethernet header). */
enum {
	OFF_ETHERTYPE = 12,
	OFF_ARP_PRO = ETHER_HDR_LEN + 2,    /* protocol type, hardware and protocol lengths: one word */
	OFF_ARP_SPA = ETHER_HDR_LEN + 14,
	OFF_ARP_TPA = ETHER_HDR_LEN + 24,
	OFF_IP6_NEXT = ETHER_HDR_LEN + 6,   /* next header and hop limit: one half-word */
	OFF_ICMP6_TYPE = ETHER_HDR_LEN + IPV6_HDR_LEN,
	OFF_ND_TARGET = OFF_ICMP6_TYPE + 8,
};

#define ACCEPT 0xffff  /* bytes of the frame to keep: all of an ARP or NDP frame */

struct prog {
	struct sock_filter *v;
	size_t n, cap;
	bool full;
};

static void emit(struct prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (p->n == p->cap) {
		p->full = true;
		return;
	}
	p->v[p->n++] = (struct sock_filter){code, jt, jf, k};
}

/* Drops the frame unless A == k. */
static void require(struct prog *p, uint32_t k)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, k);
	emit(p, BPF_RET | BPF_K, 0, 0, 0);
}

/* Untagged (no VLAN tag in the metadata either) and of this EtherType. */
static void prologue(struct prog *p, uint16_t ethertype)
{
	emit(p, BPF_LD | BPF_B | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT));
	require(p, 0);
	emit(p, BPF_LD | BPF_H | BPF_ABS, 0, 0, OFF_ETHERTYPE);
	require(p, ethertype);
}

static uint32_t word(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static size_t finish(struct prog *p)
{
	emit(p, BPF_RET | BPF_K, 0, 0, 0);
	return p->full ? 0 : p->n;
}

size_t l2_bpf_arp(const uint8_t (*ips)[4], size_t n, struct sock_filter *out, size_t cap)
{
	struct prog p = {.v = out, .cap = cap};

	prologue(&p, ETHER_TYPE_ARP);
	emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, OFF_ARP_PRO);
	require(&p, (uint32_t)ETHER_TYPE_IPV4 << 16 | ETHER_ADDR_LEN << 8 | 4);
	if (!ips || n > L2_BPF_MAX_ARP) {
		emit(&p, BPF_RET | BPF_K, 0, 0, ACCEPT);
		return p.full ? 0 : p.n;
	}
	static const uint32_t offs[2] = {OFF_ARP_TPA, OFF_ARP_SPA};
	for (size_t o = 0; o < 2; o++) {
		emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offs[o]);
		for (size_t i = 0; i < n; i++) {
			emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, word(ips[i]));
			emit(&p, BPF_RET | BPF_K, 0, 0, ACCEPT);
		}
	}
	return finish(&p);
}

size_t l2_bpf_nd(const uint8_t (*ips)[16], size_t n, struct sock_filter *out, size_t cap)
{
	struct prog p = {.v = out, .cap = cap};

	prologue(&p, ETHER_TYPE_IPV6);
	emit(&p, BPF_LD | BPF_H | BPF_ABS, 0, 0, OFF_IP6_NEXT);
	require(&p, IPV6_NEXT_ICMPV6 << 8 | NDP_HOP_LIMIT);
	emit(&p, BPF_LD | BPF_B | BPF_ABS, 0, 0, OFF_ICMP6_TYPE);
	emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 2, 0, NDP_NS);  /* past the NA test and its drop */
	require(&p, NDP_NA);
	if (!ips || n > L2_BPF_MAX_ND) {
		emit(&p, BPF_RET | BPF_K, 0, 0, ACCEPT);
		return p.full ? 0 : p.n;
	}
	/*
	 * The target's four words into scratch memory once: a packet load costs
	 * the kernel about ten instructions once converted, a scratch load one.
	 */
	for (uint32_t w = 0; w < 4; w++) {
		emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, OFF_ND_TARGET + 4 * w);
		emit(&p, BPF_ST, 0, 0, w);
	}
	for (size_t i = 0; i < n; i++) {
		/* The last word first: VIPs of one pool share the others. */
		static const uint8_t order[4] = {3, 0, 1, 2};
		for (size_t w = 0; w < 4; w++) {
			emit(&p, BPF_LD | BPF_MEM, 0, 0, order[w]);
			emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(7 - 2 * w), word(ips[i] + 4 * order[w]));
		}
		emit(&p, BPF_RET | BPF_K, 0, 0, ACCEPT);
	}
	return finish(&p);
}

int l2_socket_set_filter(int fd, const struct sock_filter *prog, size_t n)
{
	struct sock_fprog fp = {.len = (unsigned short)n, .filter = (struct sock_filter *)prog};

	if (n == 0 || n > L2_BPF_MAX_INSNS) {
		errno = EINVAL;
		return -1;
	}
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp);
}

int l2_socket_open(int ifindex, uint16_t proto, const struct sock_filter *prog, size_t n)
{
	/* Protocol 0 until bound: the socket receives nothing before its filter is in place. */
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(proto),
		.sll_ifindex = ifindex,
	};
	if (l2_socket_set_filter(fd, prog, n) < 0 || bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int l2_socket_membership(int fd, int ifindex, const uint8_t mac[6], bool join)
{
	struct packet_mreq mr = {.mr_ifindex = ifindex, .mr_type = PACKET_MR_MULTICAST, .mr_alen = ETHER_ADDR_LEN};

	memcpy(mr.mr_address, mac, ETHER_ADDR_LEN);
	return setsockopt(fd, SOL_PACKET, join ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP, &mr, sizeof mr);
}

int l2_socket_open_tx(void)
{
	return socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

int l2_socket_send(int fd, int ifindex, const uint8_t *frame, size_t len)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = ifindex,
		.sll_halen = ETHER_ADDR_LEN,
	};

	if (len < ETHER_HDR_LEN) {
		errno = EINVAL;
		return -1;
	}
	sll.sll_protocol = htons((uint16_t)(frame[12] << 8 | frame[13]));
	memcpy(sll.sll_addr, frame, ETHER_ADDR_LEN);
	ssize_t n = sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof sll);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}
