/* Unit tests for lib/log.c: the lines it writes to stderr, as text and as JSON, and its rate limiting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char path[] = "/tmp/vipcast-test-log.XXXXXX";

static int setup(void **state)
{
	(void)state;
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return freopen(path, "w+", stderr) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

/* The lines written since the last call, in buf, one per element of lines. */
static size_t take_lines(char *buf, size_t cap, char **lines, size_t max)
{
	fflush(stderr);
	rewind(stderr);
	size_t n = fread(buf, 1, cap - 1, stderr);
	buf[n] = '\0';
	assert_int_equal(ftruncate(fileno(stderr), 0), 0);
	rewind(stderr);
	size_t count = 0;
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l && count < max; l = strtok_r(NULL, "\n", &save))
		lines[count++] = l;
	return count;
}

static void test_text_unchanged(void **state)
{
	(void)state;
	static char buf[8192];
	char *lines[8];
	log_set_format(LOG_FORMAT_TEXT);
	log_warn("bgp 192.0.2.1", "cannot dial: %s", "refused");
	log_obj(LOG_INFO, "service", &(struct log_object){"Service", "default", "web"}, "deleted");
	log_info("l2", "a\nb");
	assert_int_equal(take_lines(buf, sizeof buf, lines, 8), 3);
	assert_non_null(strstr(lines[0], "Z warn bgp 192.0.2.1: cannot dial: refused"));
	assert_non_null(strstr(lines[1], "Z info service: default/web: deleted"));
	assert_non_null(strstr(lines[2], "Z info l2: a\\x0ab")); /* one event, one line */
}

static void test_json_fields(void **state)
{
	(void)state;
	static char buf[8192];
	char *lines[8];
	log_set_format(LOG_FORMAT_JSON);
	log_warn("bgp 192.0.2.1", "UPDATE: %s", "\xff\"\x01");
	log_obj(LOG_WARN, "service", &(struct log_object){"Service", "default", "web"}, "cannot allocate: %s", "full");
	assert_int_equal(take_lines(buf, sizeof buf, lines, 8), 2);
	json_t *a = json_loads(lines[0], 0, NULL), *b = json_loads(lines[1], 0, NULL);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(json_string_value(json_object_get(a, "level")), "warn");
	assert_string_equal(json_string_value(json_object_get(a, "component")), "bgp");
	assert_string_equal(json_string_value(json_object_get(a, "peer")), "192.0.2.1");
	assert_string_equal(json_string_value(json_object_get(a, "message")), "UPDATE: \xef\xbf\xbd\"\x01");
	assert_int_equal(strlen(json_string_value(json_object_get(a, "time"))), 24);
	assert_string_equal(json_string_value(json_object_get(b, "kind")), "Service");
	assert_string_equal(json_string_value(json_object_get(b, "namespace")), "default");
	assert_string_equal(json_string_value(json_object_get(b, "name")), "web");
	assert_string_equal(json_string_value(json_object_get(b, "message")), "cannot allocate: full");
	json_decref(a);
	json_decref(b);
	log_set_format(LOG_FORMAT_TEXT);
}

/* 1000 identical lines: 5 written, the rest counted in one line at the flush. */
static void test_storm(void **state)
{
	(void)state;
	static char buf[65536];
	char *lines[64];
	log_set_format(LOG_FORMAT_TEXT);
	for (int i = 0; i < 1000; i++)
		log_warn("bgp 192.0.2.9", "UPDATE treated as withdraw (RFC 7606): %s", "ORIGIN 5");
	/* other Services' lines of the same template are not held back by it */
	log_obj(LOG_INFO, "service", &(struct log_object){"Service", "a", "b"}, "deleted");
	log_flush_suppressed();
	size_t n = take_lines(buf, sizeof buf, lines, 64);
	assert_int_equal(n, 7);
	assert_non_null(strstr(lines[5], "service: a/b: deleted"));
	assert_non_null(strstr(lines[6], "ORIGIN 5 (repeated 995 times in the last "));
}

/* A configuration loaded 200 times is 200 lines: the reload walk and operators count them. */
static void test_events_not_limited(void **state)
{
	(void)state;
	static char buf[65536];
	char *lines[256];
	log_set_format(LOG_FORMAT_TEXT);
	for (int i = 0; i < 200; i++)
		log_event(LOG_INFO, "config", "loaded %s in %.3f s", "/etc/vipcast", 0.001 * i);
	log_flush_suppressed();
	assert_int_equal(take_lines(buf, sizeof buf, lines, 256), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_unchanged),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_storm),
		cmocka_unit_test(test_events_not_limited),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
