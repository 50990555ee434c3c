#include "reload_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "failpoint.h"
#include "log.h"
#include "rt_priority.h"
#include "xalloc.h"

struct file_source {
	char *path, *node, *lb_class;
};

struct reload_worker {
	reload_build_fn build;
	void (*job_free)(void *job);
	void *build_arg;
	struct file_source file;
	reload_done_fn done;
	void *arg;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool started, requested, quit;
	void *job;             /* requested, not yet started */
	/* The latest result, until the loop takes it. */
	bool have_result, ok;
	struct generation result;
	struct diags diags;

	int wake[2];           /* the thread writes a byte when a result is ready */
	struct event *on_wake;
};

static void *worker_main(void *arg)
{
	struct reload_worker *w = arg;
	rt_priority_leave();  /* parsing a large configuration must not hold a CPU from everything else */
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->requested && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->quit)
			break;
		w->requested = false;
		void *job = w->job;
		w->job = NULL;
		pthread_mutex_unlock(&w->mu);

		struct generation g;
		struct diags d;
		diags_init(&d);
		failpoint_sleep("VIPCAST_FAILPOINT_BUILD_DELAY_MS");  /* off the loop: the loop goes on meanwhile */
		bool ok = w->build(&g, job, &d, w->build_arg);
		if (job && w->job_free)
			w->job_free(job);

		pthread_mutex_lock(&w->mu);
		if (w->have_result) {
			/* Superseded before the loop took it: only the newest configuration matters. */
			generation_free(&w->result);
			diags_free(&w->diags);
		}
		w->result = g;
		w->diags = d;
		w->ok = ok;
		w->have_result = true;
		ssize_t n = write(w->wake[1], "", 1);
		(void)n;  /* a full pipe already holds a wake-up */
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void on_result(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct reload_worker *w = arg;
	char buf[64];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&w->mu);
	bool have = w->have_result, ok = w->ok;
	struct generation g = w->result;
	struct diags d = w->diags;
	w->have_result = false;
	memset(&w->result, 0, sizeof(w->result));
	diags_init(&w->diags);
	pthread_mutex_unlock(&w->mu);
	if (!have)
		return;
	w->done(&g, ok, &d, w->arg);
	diags_free(&d);
}

static bool build_file(struct generation *g, void *job, struct diags *d, void *arg)
{
	(void)job;
	const struct file_source *f = arg;
	return generation_build(g, f->path, f->node, f->lb_class, d);
}

struct reload_worker *reload_worker_new(struct event_base *base, const char *path, const char *node,
					const char *lb_class, reload_done_fn done, void *arg)
{
	struct reload_worker *w = reload_worker_new_jobs(base, build_file, NULL, NULL, done, arg);
	if (!w)
		return NULL;
	w->file.path = xstrdup(path);
	w->file.node = xstrdup(node);
	w->file.lb_class = lb_class ? xstrdup(lb_class) : NULL;
	w->build_arg = &w->file;
	return w;
}

struct reload_worker *reload_worker_new_jobs(struct event_base *base, reload_build_fn build, void (*job_free)(void *job),
					     void *build_arg, reload_done_fn done, void *arg)
{
	struct reload_worker *w = xcalloc(1, sizeof(*w));
	w->build = build;
	w->job_free = job_free;
	w->build_arg = build_arg;
	w->done = done;
	w->arg = arg;
	diags_init(&w->diags);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->wake[0] = w->wake[1] = -1;
	if (pipe2(w->wake, O_NONBLOCK | O_CLOEXEC) < 0 ||
	    !(w->on_wake = event_new(base, w->wake[0], EV_READ | EV_PERSIST, on_result, w)) ||
	    event_add(w->on_wake, NULL) < 0) {
		log_error("config", "cannot set up background reloads (%s): reloads run in the event loop",
			  strerror(errno));
		reload_worker_free(w);
		return NULL;
	}
	return w;
}

bool reload_worker_request(struct reload_worker *w)
{
	return reload_worker_submit(w, NULL);
}

bool reload_worker_submit(struct reload_worker *w, void *job)
{
	pthread_mutex_lock(&w->mu);
	if (!w->started) {
		int e = pthread_create(&w->thread, NULL, worker_main, w);
		if (e) {
			pthread_mutex_unlock(&w->mu);
			log_error("config", "cannot start the reload thread: %s", strerror(e));
			if (job && w->job_free)
				w->job_free(job);
			return false;
		}
		w->started = true;
	}
	if (w->job && w->job_free)
		w->job_free(w->job);
	w->job = job;
	w->requested = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return true;
}

void reload_worker_free(struct reload_worker *w)
{
	if (!w)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->quit = true;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
	}
	if (w->have_result)
		generation_free(&w->result);
	if (w->job && w->job_free)
		w->job_free(w->job);
	diags_free(&w->diags);
	if (w->on_wake)
		event_free(w->on_wake);
	for (int i = 0; i < 2; i++)
		if (w->wake[i] >= 0)
			close(w->wake[i]);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->file.path);
	free(w->file.node);
	free(w->file.lb_class);
	free(w);
}
