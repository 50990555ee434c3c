/*
 * The configuration watch over a real libevent loop and a temporary
 * directory: each case does what a real writer does to the files, then
 * counts the reloads exactly.
 *
 * Must reload, once per burst: a plain write; an update of a Kubernetes
 * ConfigMap volume, exactly as kubelet's atomic writer does it (a new
 * ..TIMESTAMP directory, a ..data_tmp symlink to it renamed over ..data,
 * the old directory removed; the visible files are symlinks into ..data);
 * an editor's write-and-rename (swap file, `4913` probe, backup, temporary
 * file, then the rename); a single-file configuration replaced by rename;
 * SIGHUP.
 * Must not reload: swap, backup and probe files alone, a temporary file not
 * yet renamed, files the loader does not read (notes.txt, a directory), a
 * ConfigMap's next version before ..data points to it, and, in single-file
 * mode, any other file of the directory. A new file still being written
 * reloads once it is closed, not before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config_watch.h"

#define SETTLE_MS 300      /* three quiet periods: a reload that comes at all has come by then */
#define WAIT_MAX_MS 3000   /* for an expected reload on a slow machine */

struct fixture {
	char dir[64];
	struct event_base *base;
	struct config_watch *w;
	unsigned reloads;
};

static void changed(void *arg)
{
	((struct fixture *)arg)->reloads++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vipcast-watch-XXXXXX");
	if (!mkdtemp(f->dir) || !(f->base = event_base_new()))
		return -1;
	*state = f;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	config_watch_free(f->w);
	event_base_free(f->base);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static const char *at(const struct fixture *f, const char *name)
{
	static char buf[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", f->dir, name);
	return buf[k];
}

static void put(const struct fixture *f, const char *name, const char *text)
{
	FILE *fp = fopen(at(f, name), "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void run_ms(struct fixture *f, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs the loop until `want` reloads came (at most WAIT_MAX_MS), then SETTLE_MS more; the reloads seen. */
static unsigned reloads_after(struct fixture *f, unsigned want)
{
	unsigned before = f->reloads;
	uint64_t end = now_ms() + WAIT_MAX_MS;
	while (want && f->reloads - before < want && now_ms() < end)
		run_ms(f, 50);
	run_ms(f, SETTLE_MS);
	return f->reloads - before;
}

static void watch(struct fixture *f, const char *path)
{
	f->w = config_watch_new(f->base, path, changed, f);
	assert_non_null(f->w);
	assert_int_equal(reloads_after(f, 0), 0);
}

static void test_plain_write(void **state)
{
	struct fixture *f = *state;
	watch(f, f->dir);
	put(f, "pools.yaml", "a: 1\n");
	assert_int_equal(reloads_after(f, 1), 1);
	put(f, "pools.yaml", "a: 2\n");  /* rewritten in place */
	assert_int_equal(reloads_after(f, 1), 1);
	assert_int_equal(unlink(at(f, "pools.yaml")), 0);
	assert_int_equal(reloads_after(f, 1), 1);
}

/* kubelet's first layout: ..TS/, ..data -> ..TS, and one visible symlink per key. */
static void configmap_init(struct fixture *f, const char *ts, const char *const *keys, size_t n)
{
	char link[256];
	assert_int_equal(mkdir(at(f, ts), 0755), 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(link, sizeof(link), "%s/%s", ts, keys[i]);
		put(f, link, "a: 1\n");
		snprintf(link, sizeof(link), "..data/%s", keys[i]);
		assert_int_equal(symlink(link, at(f, keys[i])), 0);
	}
	assert_int_equal(symlink(ts, at(f, "..data")), 0);
}

/* kubelet's update, up to the swap: the new version is written but not published. */
static void configmap_stage(struct fixture *f, const char *ts, const char *const *keys, size_t n)
{
	char name[256];
	assert_int_equal(mkdir(at(f, ts), 0755), 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s/%s", ts, keys[i]);
		put(f, name, "a: 2\n");
	}
	assert_int_equal(symlink(ts, at(f, "..data_tmp")), 0);
}

/* The swap, then the old version removed. */
static void configmap_publish(struct fixture *f, const char *old_ts, const char *const *old_keys, size_t n)
{
	char name[256];
	assert_int_equal(rename(at(f, "..data_tmp"), at(f, "..data")), 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s/%s", old_ts, old_keys[i]);
		assert_int_equal(unlink(at(f, name)), 0);
	}
	assert_int_equal(rmdir(at(f, old_ts)), 0);
}

static void test_configmap_update(void **state)
{
	struct fixture *f = *state;
	static const char *const keys[] = {"pools.yaml", "peers.yaml"};
	static const char *const more[] = {"pools.yaml", "peers.yaml", "adverts.yaml"};
	configmap_init(f, "..2026_12_04_10_00_00.000000001", keys, 2);
	watch(f, f->dir);

	configmap_stage(f, "..2026_12_04_10_05_00.000000002", keys, 2);
	assert_int_equal(reloads_after(f, 0), 0);
	configmap_publish(f, "..2026_12_04_10_00_00.000000001", keys, 2);
	assert_int_equal(reloads_after(f, 1), 1);

	/* A key added: the new version, then its visible symlink; one reload for the burst. */
	configmap_stage(f, "..2026_12_04_10_10_00.000000003", more, 3);
	configmap_publish(f, "..2026_12_04_10_05_00.000000002", keys, 2);
	assert_int_equal(symlink("..data/adverts.yaml", at(f, "adverts.yaml")), 0);
	assert_int_equal(reloads_after(f, 1), 1);
}

/* The configuration path is one key of a ConfigMap volume: the symlink's name never changes. */
static void test_configmap_single_file(void **state)
{
	struct fixture *f = *state;
	static const char *const keys[] = {"vipcast.yaml"};
	configmap_init(f, "..2026_12_04_10_00_00.000000001", keys, 1);
	watch(f, at(f, "vipcast.yaml"));
	configmap_stage(f, "..2026_12_04_10_05_00.000000002", keys, 1);
	assert_int_equal(reloads_after(f, 0), 0);
	configmap_publish(f, "..2026_12_04_10_00_00.000000001", keys, 1);
	assert_int_equal(reloads_after(f, 1), 1);
}

/* vim with backupcopy=no and other editors: the new text in a temporary file, renamed over the old one. */
static void test_editor_write_rename(void **state)
{
	struct fixture *f = *state;
	put(f, "pools.yaml", "a: 1\n");
	watch(f, f->dir);

	put(f, ".pools.yaml.swp", "swap");  /* while editing */
	put(f, "4913", "");                 /* vim's probe: can a file be created here */
	assert_int_equal(unlink(at(f, "4913")), 0);
	put(f, "pools.yaml~", "a: 1\n");    /* the backup */
	put(f, ".pools.yaml.tmp", "a: 2\n");
	put(f, "pools.yaml.new", "a: 2\n");
	assert_int_equal(reloads_after(f, 0), 0);

	assert_int_equal(rename(at(f, ".pools.yaml.tmp"), at(f, "pools.yaml")), 0);
	assert_int_equal(reloads_after(f, 1), 1);
	assert_int_equal(unlink(at(f, "pools.yaml~")), 0);
	assert_int_equal(unlink(at(f, ".pools.yaml.swp")), 0);
	assert_int_equal(unlink(at(f, "pools.yaml.new")), 0);
	assert_int_equal(reloads_after(f, 0), 0);

	/* vim's default for a plain file: the old one renamed to the backup, the new one written, the backup removed. */
	assert_int_equal(rename(at(f, "pools.yaml"), at(f, "pools.yaml~")), 0);
	put(f, "pools.yaml", "a: 3\n");
	assert_int_equal(unlink(at(f, "pools.yaml~")), 0);
	assert_int_equal(reloads_after(f, 1), 1);
}

static void test_single_file_replaced(void **state)
{
	struct fixture *f = *state;
	put(f, "vipcast.yaml", "a: 1\n");
	watch(f, at(f, "vipcast.yaml"));

	put(f, "other.yaml", "b: 1\n");  /* not the configuration */
	put(f, ".vipcast.yaml.tmp", "a: 2\n");
	assert_int_equal(reloads_after(f, 0), 0);
	assert_int_equal(rename(at(f, ".vipcast.yaml.tmp"), at(f, "vipcast.yaml")), 0);
	assert_int_equal(reloads_after(f, 1), 1);
	put(f, "vipcast.yaml", "a: 3\n");
	assert_int_equal(reloads_after(f, 1), 1);
}

static void test_ignored(void **state)
{
	struct fixture *f = *state;
	watch(f, f->dir);
	put(f, ".pools.yaml.swp", "swap");
	assert_int_equal(reloads_after(f, 0), 0);
	put(f, "pools.yaml~", "a: 1\n");
	put(f, "4913", "");
	put(f, "notes.txt", "x");
	assert_int_equal(mkdir(at(f, "sub"), 0755), 0);
	put(f, "sub/x.yaml", "a: 1\n");  /* the loader does not descend */
	assert_int_equal(reloads_after(f, 0), 0);
}

/* A new file written slowly: the quiet period passes while it is open, the reload waits for the close. */
static void test_new_file_written_slowly(void **state)
{
	struct fixture *f = *state;
	watch(f, f->dir);
	int fd = open(at(f, "big.yaml"), O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "a:\n", 3), 3);
	assert_int_equal(reloads_after(f, 0), 0);
	assert_int_equal(write(fd, "  b: 1\n", 7), 7);
	assert_int_equal(close(fd), 0);
	assert_int_equal(reloads_after(f, 1), 1);
}

static void test_sighup(void **state)
{
	struct fixture *f = *state;
	watch(f, f->dir);
	raise(SIGHUP);
	assert_int_equal(reloads_after(f, 1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_configmap_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_configmap_single_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_editor_write_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_single_file_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_file_written_slowly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sighup, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
