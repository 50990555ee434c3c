/*
 * Sockets for BGP sessions: the options RFC 4271 deployments expect, set
 * before connect() or on the listening socket.
 *
 *  - TCP MD5 signatures (RFC 2385) through Linux TCP_MD5SIG, per peer address;
 *  - the outgoing TTL / hop limit: 1 for plain eBGP, 5 with ebgpMultiHop (as
 *    the product documentation states), the system default for iBGP;
 *  - a source address (BGPPeer sourceAddress) bound before connecting.
 */
#ifndef VIPCAST_SPEAKER_BGP_SOCKET_H
#define VIPCAST_SPEAKER_BGP_SOCKET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"

#define BGP_TTL_EBGP 1
#define BGP_TTL_MULTIHOP 5

void sockaddr_from_ip(const struct ipaddr *ip, uint16_t port, struct sockaddr_storage *ss, socklen_t *len);
bool ip_from_sockaddr(const struct sockaddr *sa, struct ipaddr *ip, uint16_t *port);

/* key NULL or "": removes the key for that peer. */
int bgp_socket_md5(int fd, const struct ipaddr *peer, const char *key);
/* ttl 0: leave the system default. */
int bgp_socket_ttl(int fd, uint8_t family, int ttl);

/*
 * A non-blocking TCP socket for connecting to peer: MD5 key, TTL and source
 * address set. Returns the fd, or -1 with errno and a reason in why.
 */
int bgp_socket_client(const struct ipaddr *peer, const struct ipaddr *source, const char *md5, int ttl,
		      const char **why);
/* A non-blocking listening socket on port for one family (IPv6: v6only). */
int bgp_socket_listen(uint8_t family, uint16_t port, const char **why);

#endif
