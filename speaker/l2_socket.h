/*
 * The L2 responder's AF_PACKET sockets and their classic BPF filters.
 *
 * Per interface that answers for at least one VIP of a family, one SOCK_RAW
 * socket bound to that interface and to the family's EtherType (ETH_P_ARP,
 * ETH_P_IPV6): the kernel then runs its filter only on that interface's
 * frames of that protocol, and never shows it the frames the node sends. The
 * filter passes only what concerns the VIPs answered there, so the daemon is
 * not woken by the rest of the LAN's ARP and NDP traffic:
 *  - ARP: Ethernet/IPv4 ARP, untagged, whose sender or target protocol
 *    address is one of the VIPs (target: a question to answer; sender: some
 *    other host claiming the VIP);
 *  - IPv6: untagged, next header ICMPv6 with hop limit 255, type NS or NA,
 *    whose target is one of the VIPs.
 * Frames that slip past (a filter replaced late, the fallback filter) are
 * checked again in full by the decoders and the responder.
 *
 * Frames go out through one unbound socket (protocol 0: it receives
 * nothing) with sendto() naming the interface: the kernel's ARP and
 * neighbour code is not involved.
 */
#ifndef VIPCAST_SPEAKER_L2_SOCKET_H
#define VIPCAST_SPEAKER_L2_SOCKET_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Above this many VIPs on one interface the filter passes the whole protocol.
 * The kernel charges a filter, once converted to eBPF, to the socket's
 * option memory (net.core.optmem_max, 20 KiB before Linux 6.9): these sizes
 * stay well below that. A filter the kernel refuses all the same is replaced
 * by the protocol-only one.
 */
#define L2_BPF_MAX_ARP 256
#define L2_BPF_MAX_ND 128
#define L2_BPF_MAX_INSNS 4096  /* BPF_MAXINSNS */

/*
 * Writes the ARP filter for n IPv4 addresses (4 bytes each, network order)
 * into out; ips NULL or n above L2_BPF_MAX_ARP gives the protocol-only
 * filter. Returns the instruction count, at most cap, or 0 when cap is too
 * small.
 */
size_t l2_bpf_arp(const uint8_t (*ips)[4], size_t n, struct sock_filter *out, size_t cap);
/* The same for NS/NA and n IPv6 targets (16 bytes each); the limit is L2_BPF_MAX_ND. */
size_t l2_bpf_nd(const uint8_t (*ips)[16], size_t n, struct sock_filter *out, size_t cap);

/*
 * A nonblocking socket receiving frames of EtherType proto on ifindex only,
 * with the filter attached before it is bound (so nothing unfiltered is ever
 * queued). Returns the descriptor or -1 with errno set.
 */
int l2_socket_open(int ifindex, uint16_t proto, const struct sock_filter *prog, size_t n);
/* Replaces the filter; 0 or -1 with errno set. */
int l2_socket_set_filter(int fd, const struct sock_filter *prog, size_t n);
/* Joins or leaves a link-layer multicast group on the socket's interface. */
int l2_socket_membership(int fd, int ifindex, const uint8_t mac[6], bool join);
/* The send-only socket. */
int l2_socket_open_tx(void);
/* Sends one whole Ethernet frame out of ifindex; 0 or -1 with errno set. */
int l2_socket_send(int fd, int ifindex, const uint8_t *frame, size_t len);

#endif
