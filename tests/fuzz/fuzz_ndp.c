/*
 * libFuzzer target: bytes as an Ethernet frame through ndp_decode, and as an
 * IPv6 packet through ndp_decode_ip6. A message that decodes is written back
 * with ndp_encode and must decode to the same message (unknown options and
 * reserved bits are not kept, and the structure holds neither); the
 * advertisement the responder would answer an NS with, and an unsolicited
 * one for the same target, must decode too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ndp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const struct ndp_msg *m)
{
	uint8_t buf[NDP_FRAME_MAX];
	struct ndp_msg back;
	size_t n = ndp_encode(m, buf, sizeof buf);

	if (n == 0 || ndp_decode(buf, n, &back) != NDP_OK || memcmp(&back, m, sizeof back) != 0)
		abort();
	/* The same bytes from the IPv6 header on. */
	if (ndp_decode_ip6(buf + ETHER_HDR_LEN, n - ETHER_HDR_LEN, &back) != NDP_OK ||
	    memcmp(back.target, m->target, 16) != 0)
		abort();
}

static void check(const struct ndp_msg *m)
{
	static const uint8_t mac[ETHER_ADDR_LEN] = {0x02, 0, 0, 0, 0, 0xaa};
	static const uint8_t ll[16] = {0xfe, 0x80, [11] = 0xff, [12] = 0xfe, [15] = 0xaa};
	struct ndp_msg out;

	roundtrip(m);
	if (m->type == NDP_NS) {
		ndp_make_na_reply(m, mac, ll, &out);
		roundtrip(&out);
	}
	ndp_make_unsolicited_na(mac, ll, m->target, &out);
	roundtrip(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ndp_msg m;

	memset(&m, 0, sizeof m);
	if (ndp_decode(data, size, &m) == NDP_OK) {
		/* The reply goes to the frame's source; the decoder guaranteed it is unicast. */
		check(&m);
	}
	memset(&m, 0, sizeof m);
	if (ndp_decode_ip6(data, size, &m) == NDP_OK) {
		/* No Ethernet header here: give the message one, as the responder's socket would. */
		static const uint8_t src[ETHER_ADDR_LEN] = {0x02, 0, 0, 0, 0, 0x01};
		memcpy(m.eth_src, src, ETHER_ADDR_LEN);
		check(&m);
	}
	return 0;
}
