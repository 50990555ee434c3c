/* EndpointSlices by Service: added, replaced, removed, and found only under their own Service and namespace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slice_index.h"
#include "testutil.h"

/* A slice with one ready endpoint, on a node named as the slice: how names_of() tells them apart. */
static struct ready_slice *slice(const char *ns, const char *name, const char *svc)
{
	char yaml[512];
	snprintf(yaml, sizeof(yaml),
		 "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: %s, namespace: %s%s%s%s}\n"
		 "addressType: IPv4\nendpoints: [{addresses: [192.0.2.1], nodeName: %s}]\n",
		 name, ns, svc ? ", labels: {kubernetes.io/service-name: " : "", svc ? svc : "", svc ? "}" : "", name);
	struct config *c = load_valid(yaml);
	assert_non_null(c);
	struct object *o = config_find(c, KIND_ENDPOINTSLICE, ns, name);
	assert_non_null(o);
	struct ready_slice *r = ready_slice_new(o);
	config_free(c);  /* the record holds copies */
	assert_int_equal(r->n, 1);
	return r;
}

/* The names of the slices of ns/svc, sorted, joined by ",". */
static const char *names_of(struct slice_index *x, const char *ns, const char *svc, char *buf, size_t len)
{
	const struct ready_slice *const *v;
	size_t n = slice_index_of(x, ns, svc, &v);
	const char *names[16];
	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++)
		names[i] = v[i]->nodes[0];
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	buf[0] = 0;
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "," : "", names[i]);
	return buf;
}

static void test_by_service(void **state)
{
	(void)state;
	struct slice_index *x = slice_index_new();
	char buf[256];
	struct ready_slice *a1 = slice("default", "web-a", "web"), *a2 = slice("default", "web-b", "web"),
			   *b = slice("default", "webx-a", "webx"), *c = slice("other", "web-a", "web"),
			   *orphan = slice("default", "lonely", NULL);
	slice_index_add(x, a1);
	slice_index_add(x, a2);
	slice_index_add(x, b);
	slice_index_add(x, c);
	slice_index_add(x, orphan);  /* names no Service: not indexed */
	slice_index_add(x, a1);      /* twice: once */
	assert_int_equal(slice_index_count(x), 4);
	assert_string_equal(names_of(x, "default", "web", buf, sizeof(buf)), "web-a,web-b");
	assert_string_equal(names_of(x, "default", "webx", buf, sizeof(buf)), "webx-a");
	assert_string_equal(names_of(x, "other", "web", buf, sizeof(buf)), "web-a");
	assert_string_equal(names_of(x, "default", "we", buf, sizeof(buf)), "");
	assert_string_equal(names_of(x, "nowhere", "web", buf, sizeof(buf)), "");

	/* Replaced: the old object out, the new one in (moved to another Service). */
	struct ready_slice *a2b = slice("default", "web-b", "webx");
	slice_index_remove(x, a2);
	slice_index_add(x, a2b);
	assert_string_equal(names_of(x, "default", "web", buf, sizeof(buf)), "web-a");
	assert_string_equal(names_of(x, "default", "webx", buf, sizeof(buf)), "web-b,webx-a");
	slice_index_remove(x, a2);  /* not there any more: nothing happens */
	slice_index_remove(x, orphan);
	assert_int_equal(slice_index_count(x), 4);

	slice_index_free(x);
	struct ready_slice *all[] = {a1, a2, b, c, orphan, a2b};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		ready_slice_free(all[i]);
}

static bool holds(const struct config *c, const struct ready_slice *r)
{
	for (size_t i = 0; i < c->ready.n; i++)
		if (c->ready.v[i] == r)
			return true;
	return false;
}

/* A configuration's ready slices: added and removed in O(1), each removed once, the others kept. */
static void test_config_ready(void **state)
{
	(void)state;
	struct config *c = config_new(), *other = config_new();
	struct ready_slice *r[5];
	char name[16];
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		r[i] = slice("default", name, "web");
		config_ready_add(c, r[i]);
	}
	struct ready_slice *stranger = slice("default", "x", "web");
	assert_false(config_ready_remove(c, stranger));  /* never added */
	config_ready_add(other, stranger);
	assert_false(config_ready_remove(c, stranger));  /* another configuration's */
	assert_true(config_ready_remove(c, r[1]));     /* from the middle: the last takes its place */
	assert_false(config_ready_remove(c, r[1]));    /* once */
	assert_true(config_ready_remove(c, r[4]));
	assert_int_equal(c->ready.n, 3);
	assert_true(holds(c, r[0]) && holds(c, r[2]) && holds(c, r[3]) && !holds(c, r[1]) && !holds(c, r[4]));
	assert_true(config_ready_remove(c, r[0]) && config_ready_remove(c, r[3]) && config_ready_remove(c, r[2]));
	assert_int_equal(c->ready.n, 0);
	config_ready_add(c, r[1]);
	ready_slice_free(r[0]);
	ready_slice_free(r[2]);
	ready_slice_free(r[3]);
	ready_slice_free(r[4]);
	config_free(c);      /* frees r[1] */
	config_free(other);  /* and the stranger */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_service),
		cmocka_unit_test(test_config_ready),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
