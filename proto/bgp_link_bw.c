/* The link bandwidth extended community (draft-ietf-idr-link-bandwidth 2). */
#include <math.h>
#include <string.h>

#include "bgp.h"

_Static_assert(sizeof(float) == 4, "IEEE 754 single precision");

uint64_t bgp_link_bw_community(uint16_t as, float bytes_per_s)
{
	uint32_t bits;

	if (!(bytes_per_s >= 0) || isinf(bytes_per_s))
		bytes_per_s = 0;
	memcpy(&bits, &bytes_per_s, 4);
	return (uint64_t)BGP_EXT_TYPE_AS2_NON_TRANSITIVE << 56 | (uint64_t)BGP_EXT_SUBTYPE_LINK_BW << 48 |
	       (uint64_t)as << 32 | bits;
}

bool bgp_link_bw_decode(uint64_t ext, uint16_t *as, float *bytes_per_s)
{
	uint32_t bits = (uint32_t)ext;
	float f;

	if ((ext >> 56) != BGP_EXT_TYPE_AS2_NON_TRANSITIVE || ((ext >> 48) & 0xff) != BGP_EXT_SUBTYPE_LINK_BW)
		return false;
	memcpy(&f, &bits, 4);
	if (!(f >= 0) || isinf(f))
		return false;
	*as = (uint16_t)(ext >> 32);
	*bytes_per_s = f;
	return true;
}
