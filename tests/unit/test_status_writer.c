/*
 * speaker/status_writer.h: the newest text is what the file holds once the
 * writer is freed (texts put faster than written are replaced, never mixed),
 * no temporary file is left behind, and a path that cannot be written is
 * logged, not fatal. Also run under ASan (leaks of replaced texts).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "status_writer.h"
#include "xalloc.h"

static char dir[] = "/tmp/vipcast-status-writer.XXXXXX";

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

static void newest_wins(void **state)
{
	(void)state;
	char path[128], tmp[140];
	snprintf(path, sizeof path, "%s/status", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	struct status_writer *w = status_writer_new(path);
	char text[32];
	for (int i = 0; i < 200; i++) {
		snprintf(text, sizeof text, "{\"n\": %d}", i);
		status_writer_put(w, xstrdup(text));
	}
	status_writer_free(w);
	assert_string_equal(slurp(path), "{\"n\": 199}\n");
	assert_int_equal(access(tmp, F_OK), -1);
	unlink(path);
}

static void unwritable(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/missing/status", dir);
	struct status_writer *w = status_writer_new(path);
	status_writer_put(w, xstrdup("{}"));
	status_writer_free(w);
	assert_null(slurp(path));
}

static void freed_unused(void **state)
{
	(void)state;
	status_writer_free(status_writer_new("/nonexistent/never-written"));
	status_writer_free(NULL);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(newest_wins),
		cmocka_unit_test(unwritable),
		cmocka_unit_test(freed_unused),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return r;
}
