#include "kube_uid.h"

#include <stddef.h>

static const char hex[] = "0123456789abcdef";

/* Where the dashes are in the text form. */
static bool dash_at(size_t i)
{
	return i == 8 || i == 13 || i == 18 || i == 23;
}

static int nibble(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool kube_uid_pack(const char *s, uint8_t out[KUBE_UID_BYTES])
{
	uint8_t b[KUBE_UID_BYTES];
	size_t n = 0;
	for (size_t i = 0; i < KUBE_UID_TEXT - 1; i++) {
		if (dash_at(i)) {
			if (s[i] != '-')
				return false;
			continue;
		}
		int hi = nibble(s[i]), lo = hi < 0 ? -1 : nibble(s[i + 1]);
		if (lo < 0)
			return false;
		b[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	if (s[KUBE_UID_TEXT - 1] != '\0')
		return false;
	for (size_t i = 0; i < KUBE_UID_BYTES; i++)
		out[i] = b[i];
	return true;
}

void kube_uid_unpack(const uint8_t in[KUBE_UID_BYTES], char out[KUBE_UID_TEXT])
{
	size_t n = 0;
	for (size_t i = 0; i < KUBE_UID_TEXT - 1; i++) {
		if (dash_at(i)) {
			out[i] = '-';
			continue;
		}
		out[i] = hex[in[n] >> 4];
		out[i + 1] = hex[in[n] & 15];
		n++;
		i++;
	}
	out[KUBE_UID_TEXT - 1] = '\0';
}
