#include "metrics.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avl.h"
#include "xalloc.h"

struct sample {
	struct avl_node node;
	char *labels;  /* the rendered label pairs, `a="x",b="y"`: unique within a family */
	double value;  /* counter, gauge; a histogram's sum */
	unsigned long long count, bucket[METRICS_MAX_BUCKETS];  /* histogram: per bucket, not cumulative */
};

struct metric_family {
	char *name, *help;
	enum metric_type type;
	const char *labels[METRICS_MAX_LABELS];
	size_t nlabels;
	double buckets[METRICS_MAX_BUCKETS];
	size_t nbuckets;
	struct avl_tree samples;
};

struct metrics {
	struct metric_family **f;
	size_t n;
};

static int sample_cmp(const struct avl_node *a, const struct avl_node *b)
{
	return strcmp(avl_entry(a, struct sample, node)->labels, avl_entry(b, struct sample, node)->labels);
}

static int sample_key(const void *key, const struct avl_node *n)
{
	return strcmp(key, avl_entry(n, struct sample, node)->labels);
}

struct metrics *metrics_new(void)
{
	return xcalloc(1, sizeof(struct metrics));
}

static void sample_free(struct avl_node *n, void *arg)
{
	(void)arg;
	struct sample *s = avl_entry(n, struct sample, node);
	free(s->labels);
	free(s);
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		avl_clear(&m->f[i]->samples, sample_free, NULL);
		free(m->f[i]->name);
		free(m->f[i]->help);
		free(m->f[i]);
	}
	free(m->f);
	free(m);
}

struct metric_family *metrics_family(struct metrics *m, const char *name, const char *help, enum metric_type type,
				     const char *const *labels, const double *buckets, size_t nbuckets)
{
	struct metric_family *f = xcalloc(1, sizeof(*f));
	f->name = xstrdup(name);
	f->help = xstrdup(help);
	f->type = type;
	for (; labels && labels[f->nlabels] && f->nlabels < METRICS_MAX_LABELS; f->nlabels++)
		f->labels[f->nlabels] = labels[f->nlabels];
	if (type == METRIC_HISTOGRAM) {
		f->nbuckets = nbuckets < METRICS_MAX_BUCKETS ? nbuckets : METRICS_MAX_BUCKETS;
		memcpy(f->buckets, buckets, f->nbuckets * sizeof(*buckets));
	}
	avl_init(&f->samples, sample_cmp);
	m->f = xrealloc(m->f, m->n + 1, sizeof(*m->f));
	m->f[m->n++] = f;
	return f;
}

/* Writes s with '\\', and '\n' escaped, and '"' too when quote (label values; HELP escapes no quote). */
static void put_escaped(FILE *out, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '"' && quote)
			fputs("\\\"", out);
		else
			fputc(*s, out);
	}
}

static char *label_key(const struct metric_family *f, const char *const *values)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		xalloc_die("open_memstream");
	for (size_t i = 0; i < f->nlabels; i++) {
		fprintf(out, "%s%s=\"", i ? "," : "", f->labels[i]);
		put_escaped(out, values[i] ? values[i] : "", true);
		fputc('"', out);
	}
	if (fclose(out) != 0 || !text)
		xalloc_die("open_memstream");
	return text;
}

static struct sample *sample_for(struct metric_family *f, const char *const *values)
{
	char *key = label_key(f, values);
	struct avl_node *n = avl_find(&f->samples, key, sample_key);
	if (n) {
		free(key);
		return avl_entry(n, struct sample, node);
	}
	struct sample *s = xcalloc(1, sizeof(*s));
	s->labels = key;
	avl_insert(&f->samples, &s->node);
	return s;
}

void metric_set(struct metric_family *f, const char *const *values, double v)
{
	sample_for(f, values)->value = v;
}

void metric_add(struct metric_family *f, const char *const *values, double v)
{
	sample_for(f, values)->value += v;
}

/* The bucket v falls in (nbounds: only +Inf). */
static size_t bucket_of(const double *bounds, size_t nbounds, double v)
{
	size_t i = 0;
	while (i < nbounds && v > bounds[i])
		i++;
	return i;
}

void metric_observe(struct metric_family *f, const char *const *values, double v)
{
	struct sample *s = sample_for(f, values);
	size_t i = bucket_of(f->buckets, f->nbuckets, v);
	if (i < f->nbuckets)
		s->bucket[i]++;
	s->count++;
	s->value += v;
}

void metric_hist_init(struct metric_hist *h, const double *bounds, size_t nbounds)
{
	memset(h, 0, sizeof(*h));
	h->bounds = bounds;
	h->nbounds = nbounds < METRICS_MAX_BUCKETS ? nbounds : METRICS_MAX_BUCKETS;
}

void metric_hist_observe(struct metric_hist *h, double v)
{
	size_t i = bucket_of(h->bounds, h->nbounds, v);
	if (i < h->nbounds)
		h->bucket[i]++;
	h->count++;
	h->sum += v;
}

void metric_set_hist(struct metric_family *f, const char *const *values, const struct metric_hist *h)
{
	struct sample *s = sample_for(f, values);
	memset(s->bucket, 0, sizeof(s->bucket));
	for (size_t i = 0; i < h->nbounds && i < f->nbuckets; i++)  /* bounds the family lacks: in +Inf only */
		s->bucket[i] = h->bucket[i];
	s->count = h->count;
	s->value = h->sum;
}

/* As Prometheus writes numbers: integers plainly, +Inf, -Inf, NaN. */
static void format_number(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "NaN");
	else if (isinf(v))
		snprintf(buf, len, "%s", v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v);
	else
		for (int digits = 15; digits <= 17; digits++)  /* the shortest text that reads back as v */
			if (snprintf(buf, len, "%.*g", digits, v) > 0 && strtod(buf, NULL) == v)
				break;
}

static void put_sample(FILE *out, const char *name, const char *suffix, const char *labels, const char *extra,
		       double v)
{
	bool any = *labels || extra;
	char num[64];
	format_number(num, sizeof(num), v);
	fprintf(out, "%s%s%s%s%s%s%s %s\n", name, suffix, any ? "{" : "", labels, *labels && extra ? "," : "",
		extra ? extra : "", any ? "}" : "", num);
}

static void put_histogram(FILE *out, const struct metric_family *f, const struct sample *s)
{
	unsigned long long cum = 0;
	char le[64];
	for (size_t i = 0; i < f->nbuckets; i++) {
		cum += s->bucket[i];
		char num[48];
		format_number(num, sizeof(num), f->buckets[i]);
		snprintf(le, sizeof(le), "le=\"%s\"", num);
		put_sample(out, f->name, "_bucket", s->labels, le, (double)cum);
	}
	put_sample(out, f->name, "_bucket", s->labels, "le=\"+Inf\"", (double)s->count);
	put_sample(out, f->name, "_sum", s->labels, NULL, s->value);
	put_sample(out, f->name, "_count", s->labels, NULL, (double)s->count);
}

static const char *const type_names[] = {"counter", "gauge", "histogram"};

char *metrics_render(const struct metrics *m, size_t *len)
{
	char *text = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&text, &n);
	if (!out)
		xalloc_die("open_memstream");
	for (size_t i = 0; i < m->n; i++) {
		const struct metric_family *f = m->f[i];
		fprintf(out, "# HELP %s ", f->name);
		put_escaped(out, f->help, false);
		fprintf(out, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
		for (struct avl_node *a = avl_first(&f->samples); a; a = avl_next(a)) {
			const struct sample *s = avl_entry(a, struct sample, node);
			if (f->type == METRIC_HISTOGRAM)
				put_histogram(out, f, s);
			else
				put_sample(out, f->name, "", s->labels, NULL, s->value);
		}
	}
	if (fclose(out) != 0 || !text)
		xalloc_die("open_memstream");
	if (len)
		*len = n;
	return text;
}
