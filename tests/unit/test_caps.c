/*
 * lib/caps.c: each case runs in a child process (the drop cannot be undone),
 * which reports its own /proc/self/status. Run as root, the masks are exact:
 * the kept capabilities in the permitted, effective and bounding sets and no
 * others; run as a user, or as root turned into nobody, nothing is held and
 * nothing fails. no_new_privs is set in every case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"

#define SPEAKER_SET (CAPS_BIT(CAP_NET_BIND_SERVICE) | CAPS_BIT(CAP_NET_ADMIN) | CAPS_BIT(CAP_NET_RAW))
#define NOBODY 65534

struct status {
	uint64_t inh, prm, eff, bnd, amb;
	int nnp;
};

struct seen {
	int rc, err, prep_failed;
	char why[64];
	struct caps_outcome out;
	struct status st;
};

static void read_status(struct status *s)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	memset(s, 0, sizeof(*s));
	s->nnp = -1;
	while (f && fgets(line, sizeof line, f)) {
		sscanf(line, "CapInh: %" SCNx64, &s->inh);
		sscanf(line, "CapPrm: %" SCNx64, &s->prm);
		sscanf(line, "CapEff: %" SCNx64, &s->eff);
		sscanf(line, "CapBnd: %" SCNx64, &s->bnd);
		sscanf(line, "CapAmb: %" SCNx64, &s->amb);
		sscanf(line, "NoNewPrivs: %d", &s->nnp);
	}
	if (f)
		fclose(f);
}

/* root -> nobody: every capability goes with the UID change; the bounding set stays. */
static int become_nobody(void)
{
	if (getuid() != 0)
		return 0;
	return setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0 ? -1 : 0;
}

/* caps_restrict(keep), `times` times, in a child; what the child saw after it. */
static struct seen in_child(int (*prep)(void), uint64_t keep, int times)
{
	int p[2];
	struct seen s = {0};
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		s.prep_failed = prep && prep() < 0;
		for (int i = 0; i < times && !s.prep_failed; i++) {
			const char *why = "";
			s.rc = caps_restrict(keep, &s.out, &why);
			s.err = s.rc < 0 ? errno : 0;
			snprintf(s.why, sizeof s.why, "%s", why);
			if (s.rc < 0)
				break;
		}
		read_status(&s.st);
		_exit(write(p[1], &s, sizeof s) == (ssize_t)sizeof s ? 0 : 1);
	}
	close(p[1]);
	size_t got = 0;
	while (got < sizeof s) {
		ssize_t n = read(p[0], (char *)&s + got, sizeof s - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	int wst;
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
	assert_int_equal(got, sizeof s);
	assert_false(s.prep_failed);
	if (s.rc < 0)
		fprintf(stderr, "caps_restrict failed: %s: %s\n", s.why, strerror(s.err));
	return s;
}

/* The masks after keeping `keep`, from the parent's own sets. */
static void check_kept(const struct seen *s, uint64_t keep, const struct status *before)
{
	bool setpcap = before->eff & CAPS_BIT(CAP_SETPCAP);
	assert_int_equal(s->rc, 0);
	assert_int_equal(s->out.had, before->prm);
	assert_int_equal(s->out.kept, before->prm & keep);
	assert_int_equal(s->st.prm, before->prm & keep);
	assert_int_equal(s->st.eff, before->prm & keep);
	assert_int_equal(s->st.inh, 0);
	assert_int_equal(s->st.amb, 0);
	assert_int_equal(s->st.nnp, 1);
	assert_int_equal(s->st.bnd, setpcap ? before->bnd & keep : before->bnd);
	assert_int_equal(s->out.bounding, s->st.bnd);
	assert_int_equal(s->out.bounding_cut, !(s->st.bnd & ~keep));
}

static void speaker_set(void **state)
{
	(void)state;
	struct status before;
	read_status(&before);
	struct seen s = in_child(NULL, SPEAKER_SET, 1);
	check_kept(&s, SPEAKER_SET, &before);
	if (getuid() == 0 && (before.prm & SPEAKER_SET) == SPEAKER_SET && (before.eff & CAPS_BIT(CAP_SETPCAP))) {
		/* The exact masks a root speaker ends with. */
		assert_int_equal(s.st.eff, 0x3400);
		assert_int_equal(s.st.prm, 0x3400);
		assert_int_equal(s.st.bnd, 0x3400);
	}
}

static void nothing_kept(void **state)
{
	(void)state;
	struct status before;
	read_status(&before);
	struct seen s = in_child(NULL, 0, 1);
	check_kept(&s, 0, &before);
	assert_int_equal(s.st.eff, 0);
	assert_int_equal(s.st.prm, 0);
}

static void twice_is_the_same(void **state)
{
	(void)state;
	struct status before;
	read_status(&before);
	struct seen s = in_child(NULL, SPEAKER_SET, 2);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.st.eff, before.prm & SPEAKER_SET);
	assert_int_equal(s.out.had, before.prm & SPEAKER_SET);  /* the second call's */
}

/* A daemon run as a user: nothing to drop, nothing fails; the bounding set cannot be cut. */
static void unprivileged(void **state)
{
	(void)state;
	struct status before;
	read_status(&before);
	struct seen s = in_child(become_nobody, SPEAKER_SET, 1);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.out.had, 0);
	assert_int_equal(s.out.kept, 0);
	assert_int_equal(s.st.prm, 0);
	assert_int_equal(s.st.eff, 0);
	assert_int_equal(s.st.nnp, 1);
	assert_int_equal(s.st.bnd, before.bnd);  /* no CAP_SETPCAP any more */
	assert_int_equal(s.out.bounding_cut, !(before.bnd & ~SPEAKER_SET));
}

static void format(void **state)
{
	(void)state;
	char buf[128];
	caps_format(SPEAKER_SET, buf, sizeof buf);
	assert_string_equal(buf, "cap_net_bind_service,cap_net_admin,cap_net_raw");
	caps_format(0, buf, sizeof buf);
	assert_string_equal(buf, "none");
	caps_format(CAPS_BIT(CAP_CHOWN) | CAPS_BIT(63), buf, sizeof buf);
	assert_string_equal(buf, "cap_chown,cap_63");
	char small[10];
	caps_format(SPEAKER_SET, small, sizeof small);
	assert_string_equal(small, "cap_net_b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(speaker_set),
		cmocka_unit_test(nothing_kept),
		cmocka_unit_test(twice_is_the_same),
		cmocka_unit_test(unprivileged),
		cmocka_unit_test(format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
