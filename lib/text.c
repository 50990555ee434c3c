#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool text_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return false;
}

const char *text_quote(char dst[TEXT_QUOTE_MAX], const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = len > TEXT_QUOTE_IN_MAX ? TEXT_QUOTE_IN_MAX : len;
	char *p = dst;

	*p++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f) {
			*p++ = '\\';
			*p++ = 'x';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 0xf];
			continue;
		}
		if (c == '"' || c == '\\')
			*p++ = '\\';
		*p++ = (char)c;
	}
	if (n < len) {
		memcpy(p, "...", 3);
		p += 3;
	}
	*p++ = '"';
	*p = '\0';
	return dst;
}
