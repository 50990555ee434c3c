/* Hex test vectors to bytes, for the wire-format tests (include after cmocka.h). */
#ifndef VIPCAST_TESTS_UNHEX_H
#define VIPCAST_TESTS_UNHEX_H

#include <stddef.h>
#include <stdint.h>

/* Lower-case hex digits; spaces, newlines and '#' comments to the end of a line skipped. Returns the byte count. */
static inline size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v = 0;
		if (*s == '#') {
			while (s[1] && s[1] != '\n')
				s++;
			continue;
		}
		if (*s == ' ' || *s == '\n')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			fail_msg("bad hex digit '%c'", *s);
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			fail_msg("hex vector longer than %zu bytes", cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		fail_msg("odd number of hex digits");
	return n;
}

#endif
