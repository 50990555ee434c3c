/*
 * libFuzzer target for Router Solicitation / Advertisement checks
 * (proto/ndp_router.c), the input of unnumbered BGP's neighbour discovery.
 * Byte 0 is the hop limit, bytes 1-16 the IPv6 source, the rest the ICMPv6
 * message, copied to a heap block of its exact size. What passes is encoded
 * again from the decoded fields, from a link-local source, and must pass with
 * the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ndp_router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t ll[16] = {0xfe, 0x80, [15] = 1};
	struct ndp_router_msg m, back;
	const char *why = NULL;

	if (size < 17)
		return 0;
	size_t n = size - 17;
	uint8_t *msg = malloc(n ? n : 1);
	if (!msg)
		return 0;
	memcpy(msg, data + 17, n);
	bool ok = ndp_router_check(msg, n, data[0], data + 1, &m, &why);
	free(msg);
	if (!ok) {
		if (!why || !*why)
			abort();
		return 0;
	}
	if (data[0] != 255 || (m.type != NDP_RS && m.type != NDP_RA))
		abort();
	uint8_t buf[NDP_ROUTER_MAX];
	size_t len = ndp_router_encode((enum ndp_router_type)m.type, m.lifetime, m.has_slla ? m.slla : NULL, buf,
				       sizeof(buf));
	if (!len || !ndp_router_check(buf, len, 255, ll, &back, &why) || back.type != m.type ||
	    back.has_slla != m.has_slla || (m.has_slla && memcmp(back.slla, m.slla, 6) != 0) ||
	    (m.type == NDP_RA && back.lifetime != m.lifetime))
		abort();
	return 0;
}
