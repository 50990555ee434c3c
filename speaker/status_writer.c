/* The status file, written off the event loop: see status_writer.h. */
#include "status_writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rt_priority.h"
#include "xalloc.h"

struct status_writer {
	char *path, *tmp;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *pending;  /* the newest text not yet taken by the thread */
	bool started, quit;
};

static void write_now(const struct status_writer *w, const char *text)
{
	FILE *f = fopen(w->tmp, "w");
	if (f) {
		fputs(text, f);
		fputc('\n', f);
		if (fclose(f) == 0 && rename(w->tmp, w->path) == 0)
			return;
	}
	log_warn("speaker", "cannot write the status to %s: %s", w->path, strerror(errno));
}

static void *writer_main(void *arg)
{
	struct status_writer *w = arg;
	rt_priority_leave();  /* a file system that waits must not hold a real-time thread */
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->pending && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		char *text = w->pending;
		w->pending = NULL;
		if (!text)
			break;  /* quit, nothing left */
		pthread_mutex_unlock(&w->mu);
		write_now(w, text);
		free(text);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct status_writer *status_writer_new(const char *path)
{
	struct status_writer *w = xcalloc(1, sizeof(*w));
	w->path = xstrdup(path);
	size_t n = strlen(path) + sizeof ".tmp";
	w->tmp = xmalloc(n);
	snprintf(w->tmp, n, "%s.tmp", path);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	return w;
}

void status_writer_put(struct status_writer *w, char *text)
{
	pthread_mutex_lock(&w->mu);
	if (!w->started) {
		int e = pthread_create(&w->thread, NULL, writer_main, w);
		if (e) {
			pthread_mutex_unlock(&w->mu);
			log_warn("speaker", "cannot start the status thread (%s): writing %s in the event loop", strerror(e),
				 w->path);
			write_now(w, text);
			free(text);
			return;
		}
		w->started = true;
	}
	free(w->pending);
	w->pending = text;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void status_writer_free(struct status_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_signal(&w->cv);
	bool started = w->started;
	pthread_mutex_unlock(&w->mu);
	if (started)
		pthread_join(w->thread, NULL);
	free(w->pending);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w->tmp);
	free(w->path);
	free(w);
}
