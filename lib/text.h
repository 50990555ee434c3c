/* Messages about untrusted text: quoting it safely, and failing with a reason. */
#ifndef VIPCAST_LIB_TEXT_H
#define VIPCAST_LIB_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#define TEXT_QUOTE_IN_MAX 64
#define TEXT_QUOTE_MAX (TEXT_QUOTE_IN_MAX * 4 + 8)

/*
 * s as a double-quoted string: '"' and '\' escaped, control and non-ASCII
 * bytes as \xNN, cut after TEXT_QUOTE_IN_MAX bytes with "...". Returns dst.
 */
const char *text_quote(char dst[TEXT_QUOTE_MAX], const char *s, size_t len);

/* Writes the reason to why (if not NULL) and returns false. */
bool text_fail(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
