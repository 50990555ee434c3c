/*
 * speaker/rt_priority.h: priorities out of range are refused and change
 * nothing; as root, the calling thread goes under SCHED_RR at the priority
 * asked, a thread it starts inherits that (why the reload thread leaves it
 * itself), and rt_priority_leave() puts either back under SCHED_OTHER.
 * Without the privilege the refusal is EPERM (the rest is skipped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "rt_priority.h"

static int policy_of_self(int *prio)
{
	int policy;
	struct sched_param sp;
	assert_int_equal(pthread_getschedparam(pthread_self(), &policy, &sp), 0);
	if (prio)
		*prio = sp.sched_priority;
	return policy;
}

static void out_of_range(void **state)
{
	(void)state;
	errno = 0;
	assert_int_equal(rt_priority_enter(0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(rt_priority_enter(RT_PRIORITY_MAX + 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(policy_of_self(NULL), SCHED_OTHER);
	assert_int_equal(rt_priority_leave(), 0);  /* already SCHED_OTHER: nothing to do */
	assert_int_equal(policy_of_self(NULL), SCHED_OTHER);
}

struct seen {
	int inherited, after_leave;
};

static void *child(void *arg)
{
	struct seen *s = arg;
	s->inherited = policy_of_self(NULL);
	rt_priority_leave();
	s->after_leave = policy_of_self(NULL);
	return NULL;
}

static void enter_inherit_leave(void **state)
{
	(void)state;
	if (rt_priority_enter(3) < 0) {
		assert_int_equal(errno, EPERM);
		skip();
	}
	int prio;
	assert_int_equal(policy_of_self(&prio), SCHED_RR);
	assert_int_equal(prio, 3);
	struct seen s = {-1, -1};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, child, &s), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(s.inherited, SCHED_RR);
	assert_int_equal(s.after_leave, SCHED_OTHER);
	assert_int_equal(rt_priority_leave(), 0);
	assert_int_equal(policy_of_self(&prio), SCHED_OTHER);
	assert_int_equal(prio, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(out_of_range),
		cmocka_unit_test(enter_inherit_leave),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
