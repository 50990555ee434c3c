/*
 * Builds generations on a thread of its own, so that reading and planning a
 * large configuration never pauses the event loop (BGP keepalives, L2
 * heartbeats). One build at a time; requests made while one runs coalesce
 * into one more, and a result not yet taken is replaced by a newer one.
 * Results are handed back on the loop.
 *
 * The thread starts at the first request, not before: capabilities are per
 * thread, and it must inherit the ones the daemon kept, not the ones it
 * started with.
 */
#ifndef VIPCAST_SPEAKER_RELOAD_WORKER_H
#define VIPCAST_SPEAKER_RELOAD_WORKER_H

#include <event2/event.h>
#include <stdbool.h>

#include "diag.h"
#include "generation.h"

/* ok: g holds the new generation (the callee owns it); else d says why it was refused. */
typedef void (*reload_done_fn)(struct generation *g, bool ok, const struct diags *d, void *arg);

struct reload_worker;

struct reload_worker *reload_worker_new(struct event_base *base, const char *path, const char *node,
					const char *lb_class, reload_done_fn done, void *arg);
/* Asks for a build; false when no thread could be started (the caller may build in place). */
bool reload_worker_request(struct reload_worker *w);

/*
 * The general form: each request carries a job (a snapshot of the objects
 * to plan) that build turns into a generation on the thread. A job not yet
 * started when a newer one comes is freed unbuilt.
 */
typedef bool (*reload_build_fn)(struct generation *g, void *job, struct diags *d, void *arg);
struct reload_worker *reload_worker_new_jobs(struct event_base *base, reload_build_fn build, void (*job_free)(void *job),
					     void *build_arg, reload_done_fn done, void *arg);
/* Takes job (also when it returns false: then it was freed). */
bool reload_worker_submit(struct reload_worker *w, void *job);
/* Stops the thread (waits for a build under way) and drops a result not yet taken. */
void reload_worker_free(struct reload_worker *w);

#endif
