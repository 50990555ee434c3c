/*
 * Unit tests for kube/kube_stream.c: watch events split out of chunks cut at
 * every place, oversized events refused within bounded memory, and event
 * lines read or refused (garbage, wrong shapes, ERROR events).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_stream.h"

#define MAXLINES 16

struct got {
	char *line[MAXLINES];
	size_t n;
	size_t stop_after;  /* 0: never stop */
};

static bool collect(void *arg, const char *line, size_t len)
{
	struct got *g = arg;
	assert_true(g->n < MAXLINES);
	g->line[g->n] = malloc(len + 1);
	memcpy(g->line[g->n], line, len);
	g->line[g->n][len] = 0;
	g->n++;
	return !g->stop_after || g->n < g->stop_after;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->line[i]);
	memset(g, 0, sizeof(*g));
}

/* Feeds data in pieces of step bytes, each an exact-size heap copy so ASan sees any overread. */
static enum kube_split feed_steps(struct kube_splitter *s, const char *data, size_t step, struct got *g)
{
	size_t len = strlen(data);
	enum kube_split r = KUBE_SPLIT_OK;

	for (size_t off = 0; off < len && r == KUBE_SPLIT_OK; off += step) {
		size_t n = len - off < step ? len - off : step;
		char *p = malloc(n);
		memcpy(p, data + off, n);
		r = kube_splitter_feed(s, p, n, collect, g);
		free(p);
	}
	return r;
}

static const char STREAM[] = "{\"type\":\"ADDED\",\"object\":{\"a\":1}}\n"
			     "\n"
			     "{\"type\":\"MODIFIED\",\"object\":{\"b\":\"x\\ny\"}}\r\n"
			     "{\"type\":\"BOOKMARK\",\"object\":{}}\n"
			     "{\"partial\":";

static void test_split_every_cut(void **state)
{
	(void)state;
	for (size_t step = 1; step <= sizeof(STREAM); step++) {
		struct kube_splitter s;
		struct got g = { 0 };
		kube_splitter_init(&s, 256);
		assert_int_equal(feed_steps(&s, STREAM, step, &g), KUBE_SPLIT_OK);
		assert_int_equal(g.n, 3);
		assert_string_equal(g.line[0], "{\"type\":\"ADDED\",\"object\":{\"a\":1}}");
		assert_string_equal(g.line[1], "{\"type\":\"MODIFIED\",\"object\":{\"b\":\"x\\ny\"}}");
		assert_string_equal(g.line[2], "{\"type\":\"BOOKMARK\",\"object\":{}}");
		assert_int_equal(s.len, strlen("{\"partial\":"));  /* kept for the next chunk */
		/* The rest arrives. */
		assert_int_equal(kube_splitter_feed(&s, "1}\n", 3, collect, &g), KUBE_SPLIT_OK);
		assert_int_equal(g.n, 4);
		assert_string_equal(g.line[3], "{\"partial\":1}");
		got_free(&g);
		kube_splitter_free(&s);
	}
}

static void test_oversized(void **state)
{
	(void)state;
	char line[200];

	/* Exactly max is fine, in one chunk and cut anywhere. */
	memset(line, 'x', 64);
	line[64] = '\n';
	line[65] = 0;
	for (size_t step = 1; step <= 65; step++) {
		struct kube_splitter s;
		struct got g = { 0 };
		kube_splitter_init(&s, 64);
		assert_int_equal(feed_steps(&s, line, step, &g), KUBE_SPLIT_OK);
		assert_int_equal(g.n, 1);
		assert_true(s.cap <= 64);
		got_free(&g);
		kube_splitter_free(&s);
	}
	/* One byte more is refused, and the buffer never grew past max. */
	memset(line, 'x', 65);
	line[65] = '\n';
	line[66] = 0;
	for (size_t step = 1; step <= 66; step++) {
		struct kube_splitter s;
		struct got g = { 0 };
		kube_splitter_init(&s, 64);
		assert_int_equal(feed_steps(&s, line, step, &g), KUBE_SPLIT_TOO_LONG);
		assert_int_equal(g.n, 0);
		assert_true(s.cap <= 64);
		got_free(&g);
		kube_splitter_free(&s);
	}
	/* A line without an end that keeps coming: refused as soon as it passes max. */
	struct kube_splitter s;
	struct got g = { 0 };
	kube_splitter_init(&s, 1000);
	enum kube_split r = KUBE_SPLIT_OK;
	size_t fed = 0;
	for (int i = 0; i < 1000 && r == KUBE_SPLIT_OK; i++, fed += 60)
		r = kube_splitter_feed(&s, line, 60, collect, &g);
	assert_int_equal(r, KUBE_SPLIT_TOO_LONG);
	assert_true(fed <= 1100);
	assert_true(s.cap <= 1000);
	/* After a reset the stream starts clean. */
	kube_splitter_reset(&s);
	assert_int_equal(kube_splitter_feed(&s, "{}\n", 3, collect, &g), KUBE_SPLIT_OK);
	assert_int_equal(g.n, 1);
	got_free(&g);
	kube_splitter_free(&s);
}

static void test_stop(void **state)
{
	(void)state;
	struct kube_splitter s;
	struct got g = { .stop_after = 2 };
	kube_splitter_init(&s, 256);
	assert_int_equal(kube_splitter_feed(&s, "a\nb\nc\n", 6, collect, &g), KUBE_SPLIT_STOPPED);
	assert_int_equal(g.n, 2);
	got_free(&g);
	kube_splitter_free(&s);
}

static void test_garbage_bytes(void **state)
{
	(void)state;
	/* NULs and binary bytes are the parser's business: the splitter passes them on, bounded. */
	static const char bin[] = { 0, 1, (char)0xff, '\n', 'z', 0, '\n', (char)0x80 };
	struct kube_splitter s;
	struct got g = { 0 };
	kube_splitter_init(&s, 16);
	assert_int_equal(kube_splitter_feed(&s, bin, sizeof(bin), collect, &g), KUBE_SPLIT_OK);
	assert_int_equal(g.n, 2);
	assert_int_equal(s.len, 1);
	got_free(&g);
	kube_splitter_free(&s);
}

static bool parse(const char *text, struct kube_stream_event *ev, char *why)
{
	size_t len = strlen(text);
	char *p = malloc(len ? len : 1);
	memcpy(p, text, len);
	bool ok = kube_stream_parse(p, len, ev, why, 256);
	free(p);
	return ok;
}

static void test_parse_events(void **state)
{
	(void)state;
	struct kube_stream_event ev;
	char why[256];

	assert_true(parse("{\"type\":\"ADDED\",\"object\":{\"kind\":\"Service\",\"metadata\":{\"name\":\"a\","
			  "\"namespace\":\"default\",\"uid\":\"u1\",\"resourceVersion\":\"42\"}}}",
			  &ev, why));
	assert_int_equal(ev.type, KUBE_EV_ADDED);
	assert_string_equal(ev.uid, "u1");
	assert_string_equal(ev.rv, "42");
	assert_string_equal(ev.ns, "default");
	assert_string_equal(ev.name, "a");
	assert_true(json_is_object(ev.object));
	kube_stream_event_clear(&ev);

	assert_true(parse("{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"n\",\"uid\":\"u\","
			  "\"resourceVersion\":\"7\"}}}",
			  &ev, why));
	assert_int_equal(ev.type, KUBE_EV_DELETED);
	assert_null(ev.ns);
	kube_stream_event_clear(&ev);

	/* A bookmark has only a resourceVersion. */
	assert_true(parse("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Service\",\"metadata\":{\"resourceVersion\":\"99\"}}}",
			  &ev, why));
	assert_int_equal(ev.type, KUBE_EV_BOOKMARK);
	assert_string_equal(ev.rv, "99");
	kube_stream_event_clear(&ev);

	/* The API server's "too old resource version". */
	assert_true(parse("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
			  "\"status\":\"Failure\",\"message\":\"too old resource version: 5 (200)\","
			  "\"reason\":\"Expired\",\"code\":410}}",
			  &ev, why));
	assert_int_equal(ev.type, KUBE_EV_ERROR);
	assert_int_equal(ev.code, 410);
	assert_string_equal(ev.message, "too old resource version: 5 (200)");
	kube_stream_event_clear(&ev);
	assert_true(parse("{\"type\":\"ERROR\",\"object\":{}}", &ev, why));
	assert_int_equal(ev.code, 0);
	assert_string_equal(ev.message, "");
	kube_stream_event_clear(&ev);
}

static const struct {
	const char *in, *why;
} bad[] = {
	{ "", "not JSON" },
	{ "garbage", "not JSON" },
	{ "{\"type\":\"ADDED\",\"object\":{}", "not JSON" },
	{ "{\"type\":\"ADDED\",\"type\":\"ADDED\",\"object\":{}}", "not JSON" },  /* duplicate key */
	{ "[1,2,3]", "not a watch event" },
	{ "{}", "not a watch event" },
	{ "{\"type\":1,\"object\":{}}", "not a watch event" },
	{ "{\"type\":\"ADDED\",\"object\":[]}", "not a watch event" },
	{ "{\"type\":\"ADDED\"}", "not a watch event" },
	{ "{\"type\":\"EXPLODED\",\"object\":{}}", "unknown watch event type \"EXPLODED\"" },
	{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"uid\":\"u\"}}}",
	  "ADDED event without metadata.resourceVersion" },
	{ "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\"}}}",
	  "MODIFIED event without metadata.uid and name" },
	{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"uid\":7,\"resourceVersion\":\"1\"}}}",
	  "without metadata.uid" },
	{ "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":5}}}",
	  "without metadata.resourceVersion" },
	{ "{\"type\":\"ADD\0ED\",\"object\":{}}", "not JSON" },
};

static void test_parse_garbage(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct kube_stream_event ev;
		char why[256];
		if (parse(bad[i].in, &ev, why))
			fail_msg("case %zu accepted: %s", i, bad[i].in);
		if (!strstr(why, bad[i].why))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, why, bad[i].why);
		assert_null(ev.root);
	}
	/* Embedded NUL (jansson refuses it without JSON_ALLOW_NUL) and very deep nesting. */
	struct kube_stream_event ev;
	char why[256];
	static const char nul[] = "{\"type\":\"ADDED\",\"object\":{\"a\":\"x\\u0000y\"}}";
	assert_false(parse(nul, &ev, why));
	char deep[4200];
	size_t n = 0;
	n += (size_t)snprintf(deep, sizeof(deep), "{\"type\":\"ADDED\",\"object\":");
	for (int i = 0; i < 2100; i++)
		deep[n++] = '[';
	deep[n] = 0;
	assert_false(parse(deep, &ev, why));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_every_cut), cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_stop),            cmocka_unit_test(test_garbage_bytes),
		cmocka_unit_test(test_parse_events),    cmocka_unit_test(test_parse_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
