/*
 * UDP sockets for BFD (RFC 5881 single hop, RFC 5883 multihop).
 *
 * Receiving: one socket per address family and port (3784 single hop, 4784
 * multihop), bound to the wildcard address, that reports each datagram's
 * TTL / hop limit (IP_RECVTTL, IPV6_RECVHOPLIMIT) so the session can apply
 * the RFC 5881 5 rule (255 exactly for single hop; for multihop at least the
 * profile's minimumTtl, RFC 5883 2).
 *
 * Sending: one socket per session, connected to the peer's port, bound to a
 * source port in 49152-65535 (RFC 5881 4: the same port for the whole
 * session) and sending with TTL / hop limit 255.
 */
#ifndef VIPCAST_SPEAKER_BFD_SOCKET_H
#define VIPCAST_SPEAKER_BFD_SOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"

#define BFD_TTL 255
#define BFD_SRC_PORT_MIN 49152

/* A non-blocking receiving socket; -1 with errno and what failed in why. */
int bfd_socket_listen(uint8_t family, uint16_t port, const char **why);

/*
 * A non-blocking sending socket to peer:port from source (family 0: the
 * kernel's choice); ifindex: the scope of a link-local peer, else 0.
 */
int bfd_socket_client(const struct ipaddr *peer, uint16_t port, const struct ipaddr *source, int ifindex,
		      const char **why);

/* One datagram: its sender and TTL / hop limit (-1 when the kernel did not say). */
ssize_t bfd_socket_recv(int fd, uint8_t *buf, size_t cap, struct ipaddr *from, int *ttl);

#endif
