/* The Internet checksum (RFC 1071), as ICMPv6 (RFC 4443) and the IPv4 header use it. */
#ifndef VIPCAST_PROTO_INET_CSUM_H
#define VIPCAST_PROTO_INET_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Adds len bytes to a running one's-complement sum; an odd length pads with a zero byte. */
uint32_t inet_csum_add(uint32_t sum, const void *p, size_t len);
/* Folds the sum into 16 bits and complements it: the value to write in the checksum field. */
uint16_t inet_csum_finish(uint32_t sum);

#endif
