/* The control socket's request parser: one row per accepted or refused line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ctl_request.h"

struct row {
	const char *line;
	const char *cmd;    /* NULL: refused */
	size_t nargs;
	const char *arg0;
	const char *err;    /* a part of the reason when refused */
};

static const struct row rows[] = {
	{"{\"cmd\":\"status\"}", "status", 0, NULL, NULL},
	{"{\"cmd\":\"why\",\"args\":[\"192.0.2.1\"],\"output\":\"json\"}", "why", 1, "192.0.2.1", NULL},
	{"{\"args\":[],\"cmd\":\"routes\"}", "routes", 0, NULL, NULL},
	{"", NULL, 0, NULL, "not JSON"},
	{"status", NULL, 0, NULL, "not JSON"},
	{"[\"status\"]", NULL, 0, NULL, "not a JSON object"},
	{"{}", NULL, 0, NULL, "no \"cmd\""},
	{"{\"cmd\":\"Status\"}", NULL, 0, NULL, "command name"},
	{"{\"cmd\":\"\"}", NULL, 0, NULL, "command name"},
	{"{\"cmd\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", NULL, 0, NULL, "command name"},  /* 33 */
	{"{\"cmd\":7}", NULL, 0, NULL, "command name"},
	{"{\"cmd\":\"why\",\"cmd\":\"drain\"}", NULL, 0, NULL, "not JSON"},  /* duplicate member */
	{"{\"cmd\":\"why\",\"args\":\"x\"}", NULL, 0, NULL, "array"},
	{"{\"cmd\":\"why\",\"args\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}", NULL, 0, NULL, "at most 8"},
	{"{\"cmd\":\"why\",\"args\":[1]}", NULL, 0, NULL, "printable"},
	{"{\"cmd\":\"why\",\"args\":[\"a\\u0000b\"]}", NULL, 0, NULL, "not JSON"},  /* jansson refuses NUL */
	{"{\"cmd\":\"why\",\"args\":[\"a\\nb\"]}", NULL, 0, NULL, "printable"},
	{"{\"cmd\":\"why\",\"output\":\"yaml\"}", NULL, 0, NULL, "\"output\""},
	{"{\"cmd\":\"why\",\"verbose\":true}", NULL, 0, NULL, "unknown request member \"verbose\""},
	{"{\"cmd\":\"status\"} trailing", NULL, 0, NULL, "not JSON"},
};

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		const struct row *r = &rows[i];
		struct ctl_request q;
		char err[256] = "";
		bool ok = ctl_request_parse(r->line, strlen(r->line), &q, err, sizeof(err));
		print_message("%s -> %s\n", r->line, ok ? q.cmd : err);
		assert_int_equal(ok, r->cmd != NULL);
		if (!ok) {
			assert_non_null(strstr(err, r->err));
			continue;
		}
		assert_string_equal(q.cmd, r->cmd);
		assert_int_equal(q.nargs, r->nargs);
		if (r->arg0)
			assert_string_equal(q.args[0], r->arg0);
	}
}

static void test_bounds(void **state)
{
	(void)state;
	char line[CTL_REQUEST_MAX + 64], arg[CTL_ARG_MAX + 2];
	struct ctl_request q;
	char err[256];
	memset(arg, 'x', sizeof(arg));
	arg[CTL_ARG_MAX] = 0;  /* exactly the limit: accepted */
	snprintf(line, sizeof(line), "{\"cmd\":\"why\",\"args\":[\"%s\"]}", arg);
	assert_true(ctl_request_parse(line, strlen(line), &q, err, sizeof(err)));
	assert_int_equal(strlen(q.args[0]), CTL_ARG_MAX);
	arg[CTL_ARG_MAX] = 'x';
	arg[CTL_ARG_MAX + 1] = 0;  /* one more: refused */
	snprintf(line, sizeof(line), "{\"cmd\":\"why\",\"args\":[\"%s\"]}", arg);
	assert_false(ctl_request_parse(line, strlen(line), &q, err, sizeof(err)));
	memset(line, ' ', sizeof(line));
	memcpy(line, "{\"cmd\":\"status\"}", 16);
	assert_true(ctl_request_parse(line, CTL_REQUEST_MAX, &q, err, sizeof(err)));
	assert_false(ctl_request_parse(line, CTL_REQUEST_MAX + 1, &q, err, sizeof(err)));
	assert_non_null(strstr(err, "4096"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
