/* Router Solicitation / Advertisement: see ndp_router.h (RFC 4861 4.1, 4.2, 6.1). */
#include <string.h>

#include "ndp_router.h"
#include "wire.h"

#define OPT_SLLA 1
#define HOP_LIMIT 255

size_t ndp_router_encode(enum ndp_router_type type, uint16_t lifetime, const uint8_t *mac, uint8_t *buf, size_t cap)
{
	struct wr w = wr_init(buf, cap);

	if (type != NDP_RS && type != NDP_RA)
		return 0;
	wr_u8(&w, (uint8_t)type);
	wr_u8(&w, 0);      /* code */
	wr_u16(&w, 0);     /* checksum: the kernel's */
	if (type == NDP_RS) {
		wr_u32(&w, 0); /* reserved */
	} else {
		wr_u8(&w, 0);  /* cur hop limit: unspecified */
		wr_u8(&w, 0);  /* M, O flags */
		wr_u16(&w, lifetime);
		wr_u32(&w, 0); /* reachable time: unspecified */
		wr_u32(&w, 0); /* retrans timer: unspecified */
	}
	if (mac) {
		wr_u8(&w, OPT_SLLA);
		wr_u8(&w, 1);  /* in units of 8 bytes */
		wr_bytes(&w, mac, 6);
	}
	return w.full ? 0 : w.len;
}

static bool link_local(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static bool unspecified(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

#define DROP(text)           \
	do {                 \
		*why = text; \
		return false; \
	} while (0)

bool ndp_router_check(const uint8_t *msg, size_t len, int hop_limit, const uint8_t src[16],
		      struct ndp_router_msg *out, const char **why)
{
	struct rd r = rd_init(msg, len);
	uint8_t type = 0, code = 0;
	uint16_t csum = 0;

	memset(out, 0, sizeof(*out));
	if (!rd_u8(&r, &type) || !rd_u8(&r, &code) || !rd_u16(&r, &csum))
		DROP("shorter than an ICMPv6 header");
	if (type != NDP_RS && type != NDP_RA)
		DROP("neither a Router Solicitation nor a Router Advertisement");
	out->type = type;
	if (hop_limit != HOP_LIMIT)
		DROP("hop limit is not 255 (it did not come from the link)");
	if (code != 0)
		DROP("ICMP code is not 0");
	if (type == NDP_RA) {
		uint8_t hops = 0, flags = 0;
		uint32_t reachable = 0, retrans = 0;

		if (!link_local(src))
			DROP("a Router Advertisement from an address that is not link-local");
		if (!rd_u8(&r, &hops) || !rd_u8(&r, &flags) || !rd_u16(&r, &out->lifetime) || !rd_u32(&r, &reachable) ||
		    !rd_u32(&r, &retrans))
			DROP("a Router Advertisement shorter than 16 bytes");
	} else {
		uint32_t reserved = 0;

		if (!rd_u32(&r, &reserved))
			DROP("a Router Solicitation shorter than 8 bytes");
	}
	while (r.n > 0) {
		uint8_t opt = 0, units = 0;
		struct rd v;

		if (!rd_u8(&r, &opt) || !rd_u8(&r, &units))
			DROP("an option header cut short");
		if (units == 0)
			DROP("an option of length 0");
		if (!rd_sub(&r, (size_t)units * 8 - 2, &v))
			DROP("an option runs past the message");
		if (opt == OPT_SLLA && units == 1 && !out->has_slla) {
			rd_bytes(&v, out->slla, 6);
			out->has_slla = true;
		}
	}
	if (type == NDP_RS && out->has_slla && unspecified(src))
		DROP("a Router Solicitation from the unspecified address with a link-layer address option");
	return true;
}
