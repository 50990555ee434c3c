/*
 * A connection on its way out: its last bytes (a NOTIFICATION) are flushed,
 * then it is closed, within a bounded time. The bufferevent is the linger's
 * from the call on, so whoever gave it up can reuse its slot at once; it is
 * never freed inside the call, so a read callback may give up its own
 * connection.
 */
#ifndef VIPCAST_SPEAKER_BGP_LINGER_H
#define VIPCAST_SPEAKER_BGP_LINGER_H

#include <event2/bufferevent.h>
#include <stddef.h>
#include <stdint.h>

/* Writes msg (may be NULL) and closes bev once it is flushed or flush_ms passed. */
void bgp_linger(struct bufferevent *bev, const uint8_t *msg, size_t len, unsigned flush_ms);

/* Connections still lingering (a stopping daemon waits for them, briefly). */
unsigned bgp_linger_count(void);

#endif
