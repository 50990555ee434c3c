#include "log_json.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (RFC 3629 section 4), 0 if none. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void log_json_utf8(char *dst, size_t cap, const char *s)
{
	static const char replacement[] = "\xef\xbf\xbd";
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		size_t n = utf8_len(p);
		const char *from = n ? (const char *)p : replacement;
		size_t len = n ? n : 3;
		if (o + len >= cap)
			break;
		memcpy(dst + o, from, len);
		o += len;
		p += n ? n : 1;
	}
	dst[o] = '\0';
}

static bool put(json_t *o, const char *key, const char *s, size_t n)
{
	if (!s || !*s || n == 0)
		return true;
	char buf[4096];
	char *tmp = strndup(s, n);
	if (!tmp)
		return false;
	log_json_utf8(buf, sizeof buf, tmp);
	free(tmp);
	return json_object_set_new(o, key, json_string(buf)) == 0;
}

char *log_json_encode(const struct log_record *r)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	const char *comp = r->component ? r->component : "";
	size_t word = strcspn(comp, " ");
	const char *peer = comp + word + strspn(comp + word, " ");
	bool ok = put(o, "time", r->time, SIZE_MAX) && put(o, "level", r->level, SIZE_MAX) &&
		  put(o, "component", comp, word) && put(o, "peer", peer, SIZE_MAX) &&
		  put(o, "kind", r->kind, SIZE_MAX) && put(o, "namespace", r->namespace, SIZE_MAX) &&
		  put(o, "name", r->name, SIZE_MAX);
	/* The message is always there, even empty. */
	char msg[4096];
	log_json_utf8(msg, sizeof msg, r->message);
	ok = ok && json_object_set_new(o, "message", json_string(msg)) == 0;
	if (ok && r->suppressed)
		ok = json_object_set_new(o, "suppressed", json_integer((json_int_t)r->suppressed)) == 0;
	char *text = ok ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	return text;
}
