#include "ctl_request.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static bool fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return false;
}

static bool cmd_ok(const char *s, size_t n)
{
	if (!n || n > CTL_CMD_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
			return false;
	return true;
}

/* An argument: printable ASCII, no NUL (names, addresses, selectors). */
static bool arg_ok(const char *s, size_t n)
{
	if (n > CTL_ARG_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

bool ctl_request_parse(const char *line, size_t len, struct ctl_request *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (len > CTL_REQUEST_MAX)
		return fail(err, errlen, "request longer than 4096 bytes");
	json_error_t je;
	json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		snprintf(err, errlen, "request is not JSON: %s (column %d)", je.text, je.column);
		return false;
	}
	bool ok = false;
	const char *key;
	json_t *v;
	if (!json_is_object(j)) {
		fail(err, errlen, "request is not a JSON object");
		goto out;
	}
	json_object_foreach(j, key, v) {
		if (strcmp(key, "cmd") == 0) {
			if (!json_is_string(v) || !cmd_ok(json_string_value(v), json_string_length(v))) {
				fail(err, errlen, "\"cmd\" must be a command name (a-z and '-', at most 32)");
				goto out;
			}
			memcpy(r->cmd, json_string_value(v), json_string_length(v));
		} else if (strcmp(key, "args") == 0) {
			if (!json_is_array(v) || json_array_size(v) > CTL_ARGS_MAX) {
				fail(err, errlen, "\"args\" must be an array of at most 8 strings");
				goto out;
			}
			for (size_t i = 0; i < json_array_size(v); i++) {
				json_t *a = json_array_get(v, i);
				if (!json_is_string(a) || !arg_ok(json_string_value(a), json_string_length(a))) {
					fail(err, errlen, "each of \"args\" must be printable text of at most 256 bytes");
					goto out;
				}
				memcpy(r->args[i], json_string_value(a), json_string_length(a));
			}
			r->nargs = json_array_size(v);
		} else if (strcmp(key, "output") == 0) {
			if (!json_is_string(v) || (strcmp(json_string_value(v), "json") && strcmp(json_string_value(v), "text"))) {
				fail(err, errlen, "\"output\" must be \"json\" or \"text\"");
				goto out;
			}
			r->json = strcmp(json_string_value(v), "json") == 0;
		} else {
			snprintf(err, errlen, "unknown request member \"%.40s\"", key);
			goto out;
		}
	}
	if (!r->cmd[0]) {
		fail(err, errlen, "request has no \"cmd\"");
		goto out;
	}
	ok = true;
out:
	json_decref(j);
	return ok;
}
