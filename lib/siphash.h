/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012): a 64-bit keyed hash for hash
 * tables whose keys come from the network, so that without the key nobody
 * can pick inputs that land in the same slot.
 */
#ifndef VIPCAST_LIB_SIPHASH_H
#define VIPCAST_LIB_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

#endif
