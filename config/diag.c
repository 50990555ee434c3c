#include "diag.h"

#include <stdarg.h>
#include <string.h>

void diags_init(struct diags *d)
{
	memset(d, 0, sizeof(*d));
}

void diags_free(struct diags *d)
{
	arena_free(&d->arena);
	memset(d, 0, sizeof(*d));
}

void diag_add(struct diags *d, enum diag_severity sev, const struct mark *m,
	      const char *object, const char *path, const char *fmt, ...)
{
	if (sev == DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (d->n == DIAG_KEEP)
		return;

	struct diag *g = &d->v[d->n++];
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	g->sev = sev;
	if (m) {
		g->mark = *m;
		g->mark.file = m->file ? arena_strdup(&d->arena, m->file) : NULL;
	}
	g->object = object ? arena_strdup(&d->arena, object) : NULL;
	g->path = path && *path ? arena_strdup(&d->arena, path) : NULL;
	g->msg = arena_strdup(&d->arena, msg);
}

static void appendf(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void appendf(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = (size_t)n < len - *off ? *off + (size_t)n : len - 1;
}

void diag_format(const struct diag *g, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = 0;
	if (g->mark.file && g->mark.line)
		appendf(buf, len, &off, "%s:%u:%u: ", g->mark.file, g->mark.line, g->mark.col);
	else if (g->mark.file)
		appendf(buf, len, &off, "%s: ", g->mark.file);
	appendf(buf, len, &off, "%s: ", g->sev == DIAG_ERROR ? "error" : "warning");
	if (g->object)
		appendf(buf, len, &off, "%s: ", g->object);
	if (g->path)
		appendf(buf, len, &off, "%s: ", g->path);
	appendf(buf, len, &off, "%s", g->msg);
}

void diags_print(const struct diags *d, FILE *out)
{
	char line[2048];

	for (size_t i = 0; i < d->n; i++) {
		diag_format(&d->v[i], line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
	size_t shown = d->n, total = d->errors + d->warnings;
	if (total > shown)
		fprintf(out, "(%zu more diagnostics not shown)\n", total - shown);
}
