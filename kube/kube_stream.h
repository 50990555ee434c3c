/*
 * A watch response as a stream of events, with bounded memory; pure, no I/O.
 *
 * The API server writes each watch event as one JSON object followed by a
 * newline (JSON text never holds a raw newline), in HTTP chunks that cut
 * events anywhere. The splitter hands out whole lines: those entirely inside
 * a chunk straight from the chunk, and only a line cut by a chunk boundary is
 * copied, into a buffer that never grows past max. A longer line is refused
 * (the caller drops the stream and relists: an event it could not read may
 * have changed anything). kube_stream_parse() then reads one line as an event
 * {"type": ..., "object": {...}}.
 */
#ifndef VIPCAST_KUBE_STREAM_H
#define VIPCAST_KUBE_STREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct kube_splitter {
	char *buf;  /* the start of a line the last chunk cut */
	size_t len, cap, max;
};

enum kube_split {
	KUBE_SPLIT_OK,
	KUBE_SPLIT_STOPPED,   /* the line callback returned false */
	KUBE_SPLIT_TOO_LONG,  /* a line longer than max: the stream cannot be trusted further */
};

typedef bool (*kube_line_fn)(void *arg, const char *line, size_t len);

void kube_splitter_init(struct kube_splitter *s, size_t max);
/* Forgets a partial line (a new stream starts). */
void kube_splitter_reset(struct kube_splitter *s);
void kube_splitter_free(struct kube_splitter *s);
/*
 * Calls fn for each complete line in data (without its "\n" or "\r\n"; empty
 * lines skipped). After TOO_LONG or STOPPED, reset before feeding again.
 */
enum kube_split kube_splitter_feed(struct kube_splitter *s, const char *data, size_t len, kube_line_fn fn,
				   void *arg);

enum kube_stream_type { KUBE_EV_ADDED, KUBE_EV_MODIFIED, KUBE_EV_DELETED, KUBE_EV_BOOKMARK, KUBE_EV_ERROR };

struct kube_stream_event {
	enum kube_stream_type type;
	json_t *root;    /* owned: the whole event */
	json_t *object;  /* in root */
	const char *uid, *rv, *ns, *name;  /* object's metadata; NULL when absent */
	long code;            /* ERROR: the Status object's code (410: Gone) */
	const char *message;  /* ERROR: its message, or "" */
};

/* Reads one event line. False with why on anything but a well-formed event. */
bool kube_stream_parse(const char *line, size_t len, struct kube_stream_event *ev, char *why, size_t whylen);
void kube_stream_event_clear(struct kube_stream_event *ev);

/* metadata.uid, resourceVersion, namespace and name of an API object (NULL when absent or not strings). */
void kube_object_meta(const json_t *obj, const char **uid, const char **rv, const char **ns, const char **name);

#endif
