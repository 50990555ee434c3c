#include "bgp_linger.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdlib.h>

#include "log.h"

struct closing {
	struct bufferevent *bev;
	struct event *deadline;
};

static unsigned lingering;

static void linger_end(struct closing *l)
{
	lingering--;
	event_free(l->deadline);
	bufferevent_free(l->bev);
	free(l);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	linger_end(arg);
}

static void on_flushed(struct bufferevent *bev, void *arg)
{
	(void)bev;
	linger_end(arg);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev, (void)what;
	linger_end(arg);
}

void bgp_linger(struct bufferevent *bev, const uint8_t *msg, size_t len, unsigned flush_ms)
{
	struct closing *l = calloc(1, sizeof(*l));
	struct event *deadline = l ? evtimer_new(bufferevent_get_base(bev), on_deadline, l) : NULL;
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	if (!deadline) {
		/* Out of memory: close at once; the bytes are lost, never the memory. */
		log_error("bgp", "out of memory: closing a connection without flushing it");
		free(l);
		bufferevent_free(bev);
		return;
	}
	l->bev = bev;
	l->deadline = deadline;
	lingering++;
	if (msg && len && bufferevent_write(bev, msg, len) == 0) {
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		bufferevent_setcb(bev, NULL, on_flushed, on_event, l);
		bufferevent_enable(bev, EV_WRITE);
		struct timeval tv = {flush_ms / 1000, (flush_ms % 1000) * 1000};
		evtimer_add(deadline, &tv);
	} else {
		/* Nothing to flush: closed from the loop, never inside the caller's callback. */
		bufferevent_disable(bev, EV_WRITE);
		event_active(deadline, EV_TIMEOUT, 0);
	}
}

unsigned bgp_linger_count(void)
{
	return lingering;
}
