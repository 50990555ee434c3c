/*
 * libFuzzer target: bytes as an Ethernet frame through arp_decode. A frame
 * that decodes is written back with arp_encode and must decode to the same
 * packet; the reply the responder would send and both gratuitous forms must
 * decode as well.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const struct arp_pkt *p)
{
	uint8_t buf[ARP_FRAME_LEN];
	struct arp_pkt back;
	size_t n = arp_encode(p, buf, sizeof buf);

	if (n != ARP_FRAME_LEN || arp_decode(buf, n, &back) != ARP_OK || memcmp(&back, p, sizeof back) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[ETHER_ADDR_LEN] = {0x02, 0, 0, 0, 0, 0xaa};
	struct arp_pkt p, out;

	memset(&p, 0, sizeof p);
	if (arp_decode(data, size, &p) != ARP_OK)
		return 0;
	roundtrip(&p);
	arp_make_reply(&p, mac, p.tpa, &out);
	roundtrip(&out);
	arp_make_gratuitous(ARP_OP_REQUEST, mac, p.tpa, &out);
	roundtrip(&out);
	arp_make_gratuitous(ARP_OP_REPLY, mac, p.tpa, &out);
	roundtrip(&out);
	return 0;
}
