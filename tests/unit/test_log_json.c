/* Unit tests for lib/log_json.c: every line parses back to the same fields, whatever the message holds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "log_json.h"

static json_t *encode(const struct log_record *r)
{
	char *text = log_json_encode(r);
	assert_non_null(text);
	assert_null(strchr(text, '\n'));
	json_error_t err;
	json_t *o = json_loads(text, 0, &err);
	free(text);
	assert_non_null(o);
	assert_true(json_is_object(o));
	return o;
}

static const char *field(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void test_peer_split_from_component(void **state)
{
	(void)state;
	struct log_record r = {.time = "2026-12-04T21:36:41.063Z", .level = "warn", .component = "bgp 192.0.2.1",
			       .message = "UPDATE treated as withdraw (RFC 7606): bad ORIGIN"};
	json_t *o = encode(&r);
	assert_string_equal(field(o, "time"), "2026-12-04T21:36:41.063Z");
	assert_string_equal(field(o, "level"), "warn");
	assert_string_equal(field(o, "component"), "bgp");
	assert_string_equal(field(o, "peer"), "192.0.2.1");
	assert_string_equal(field(o, "message"), r.message);
	assert_null(json_object_get(o, "kind"));
	assert_null(json_object_get(o, "suppressed"));
	json_decref(o);
}

static void test_plain_component_has_no_peer(void **state)
{
	(void)state;
	struct log_record r = {.time = "t", .level = "info", .component = "l2", .message = ""};
	json_t *o = encode(&r);
	assert_string_equal(field(o, "component"), "l2");
	assert_null(json_object_get(o, "peer"));
	assert_string_equal(field(o, "message"), "");
	json_decref(o);
}

static void test_object_fields(void **state)
{
	(void)state;
	struct log_record r = {.time = "t", .level = "info", .component = "service", .kind = "Service",
			       .namespace = "default", .name = "web", .message = "cannot allocate: no pool",
			       .suppressed = 9999};
	json_t *o = encode(&r);
	assert_string_equal(field(o, "kind"), "Service");
	assert_string_equal(field(o, "namespace"), "default");
	assert_string_equal(field(o, "name"), "web");
	assert_int_equal(json_integer_value(json_object_get(o, "suppressed")), 9999);
	json_decref(o);
}

/* Control characters, quotes and backslashes survive the round trip. */
static void test_escapes(void **state)
{
	(void)state;
	static const char msg[] = "a\"b\\c\nd\re\tf\x01g\x1f\x7f/h\xc3\xa9";
	struct log_record r = {.time = "t", .level = "error", .component = "bgp 2001:db8::1", .message = msg};
	char *text = log_json_encode(&r);
	assert_non_null(text);
	for (const char *p = text; *p; p++)
		assert_true((unsigned char)*p >= 0x20);
	free(text);
	json_t *o = encode(&r);
	assert_string_equal(field(o, "message"), msg);
	assert_string_equal(field(o, "peer"), "2001:db8::1");
	json_decref(o);
}

/* What a peer sent may not be UTF-8: each bad byte becomes U+FFFD. */
static void test_invalid_utf8(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} rows[] = {
		{"\xff", "\xef\xbf\xbd"},
		{"a\x80z", "a\xef\xbf\xbdz"},
		{"\xc3", "\xef\xbf\xbd"},                         /* cut short */
		{"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},         /* overlong '/' */
		{"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* a surrogate */
		{"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* over U+10FFFF */
		{"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},         /* valid, 4 bytes */
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct log_record r = {.time = "t", .level = "warn", .component = rows[i].in, .message = rows[i].in};
		json_t *o = encode(&r);
		assert_string_equal(field(o, "message"), rows[i].want);
		assert_string_equal(field(o, "component"), rows[i].want);
		json_decref(o);
	}
}

static void test_utf8_cut_on_boundary(void **state)
{
	(void)state;
	char out[6];
	log_json_utf8(out, sizeof out, "ab\xc3\xa9\xc3\xa9");
	assert_string_equal(out, "ab\xc3\xa9"); /* the second é does not fit whole */
	log_json_utf8(out, sizeof out, NULL);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_split_from_component),
		cmocka_unit_test(test_plain_component_has_no_peer),
		cmocka_unit_test(test_object_fields),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_utf8_cut_on_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
