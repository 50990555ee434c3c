#include "load.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doc.h"
#include "object.h"
#include "xalloc.h"

struct load_ctx {
	struct config *c;
	struct diags *d;
	size_t ignored;
	bool ok;
};

static void add_object(struct load_ctx *l, const struct doc_node *root, const char *api, const char *kind)
{
	struct object *o;

	switch (object_read(root, api, kind, l->d, &o)) {
	case OBJECT_IGNORED:
		l->ignored++;
		return;
	case OBJECT_INVALID:
		l->ok = false;
		return;
	case OBJECT_OK:
		break;
	}
	struct object *prev = config_add(l->c, o);
	if (prev) {
		diag_add(l->d, DIAG_ERROR, &o->meta.mark, o->meta.id, NULL,
			 "defined twice (first at %s:%u:%u)", prev->meta.mark.file, prev->meta.mark.line,
			 prev->meta.mark.col);
		object_free(o);
		l->ok = false;
	}
}

/* "IPAddressPoolList" -> "IPAddressPool"; plain "List" items carry their own kind. */
static bool list_kind(const struct doc_node *root, char *item_kind, size_t len)
{
	const struct doc_node *k = doc_map_get(root, "kind");
	const struct doc_node *items = doc_map_get(root, "items");

	if (!k || k->type != DOC_SCALAR || k->scalar.len < 4 || !items || items->type != DOC_SEQ ||
	    strcmp(k->scalar.text + k->scalar.len - 4, "List") != 0)
		return false;
	snprintf(item_kind, len, "%.*s", (int)(k->scalar.len - 4), k->scalar.text);
	return true;
}

static void on_doc(struct doc *doc, void *arg)
{
	struct load_ctx *l = arg;
	const struct doc_node *root = doc->root;
	char kind[128];

	if (root->type == DOC_MAP && list_kind(root, kind, sizeof(kind))) {
		const struct doc_node *items = doc_map_get(root, "items");
		const struct doc_node *api = doc_map_get(root, "apiVersion");
		const char *api_s = api && api->type == DOC_SCALAR ? api->scalar.text : NULL;
		for (size_t i = 0; i < items->seq.n; i++)
			add_object(l, items->seq.v[i], kind[0] ? api_s : NULL, kind[0] ? kind : NULL);
	} else {
		add_object(l, root, NULL, NULL);
	}
	doc_free(doc);
}

/* The loaders leave the store unsorted; the public entry points sort once at the end. */
static bool load_yaml(struct config *c, const char *name, const char *buf, size_t len, struct diags *d,
		      size_t *ignored)
{
	struct load_ctx l = { c, d, 0, true };

	if (!doc_read_yaml(name, buf, len, d, on_doc, &l))
		l.ok = false;
	if (ignored)
		*ignored += l.ignored;
	return l.ok;
}

static bool load_json(struct config *c, const char *name, const char *buf, size_t len, struct diags *d,
		      size_t *ignored)
{
	struct load_ctx l = { c, d, 0, true };

	if (!doc_read_json(name, buf, len, d, on_doc, &l))
		l.ok = false;
	if (ignored)
		*ignored += l.ignored;
	return l.ok;
}

bool config_load_yaml(struct config *c, const char *name, const char *buf, size_t len,
		      struct diags *d, size_t *ignored)
{
	bool ok = load_yaml(c, name, buf, len, d, ignored);
	config_sort(c);
	return ok;
}

bool config_load_json(struct config *c, const char *name, const char *buf, size_t len,
		      struct diags *d, size_t *ignored)
{
	bool ok = load_json(c, name, buf, len, d, ignored);
	config_sort(c);
	return ok;
}

static void io_error(struct diags *d, const char *path, const char *what)
{
	struct mark m = { path, 0, 0 };
	diag_add(d, DIAG_ERROR, &m, NULL, NULL, "%s: %s", what, strerror(errno));
}

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);
	return n > k && strcmp(name + n - k, suffix) == 0;
}

/* kubectl get -o json output. */
static bool json_name(const char *name)
{
	return has_suffix(name, ".json");
}

static bool load_file(struct config *c, const char *path, struct diags *d, size_t *ignored)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		io_error(d, path, "cannot read");
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (st.st_size > (off_t)DOC_MAX_FILE_SIZE) {
		struct mark m = { path, 0, 0 };
		diag_add(d, DIAG_ERROR, &m, NULL, NULL, "file larger than %u bytes", DOC_MAX_FILE_SIZE);
		close(fd);
		return false;
	}
	size_t cap = (size_t)st.st_size + 1, len = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (len += (size_t)n) == cap)
			break;
	}
	bool ok = len < cap;  /* a file that grew while read is refused, not cut */
	if (!ok)
		io_error(d, path, "file changed while read");
	else if (json_name(path))
		ok = load_json(c, path, buf, len, d, ignored);
	else
		ok = load_yaml(c, path, buf, len, d, ignored);
	free(buf);
	close(fd);
	return ok;
}

bool config_reads_name(const char *name)
{
	return name[0] != '.' && (has_suffix(name, ".yaml") || has_suffix(name, ".yml") || json_name(name));
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool load_dir(struct config *c, const char *path, struct diags *d, size_t *ignored)
{
	DIR *dir = opendir(path);
	char **names = NULL;
	size_t n = 0, cap = 0;
	bool ok = true;

	if (!dir) {
		io_error(d, path, "cannot open directory");
		return false;
	}
	for (struct dirent *e; (e = readdir(dir));) {
		if (!config_reads_name(e->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = xrealloc(names, cap, sizeof(*names));
		}
		names[n++] = xstrdup(e->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		size_t plen = strlen(path);
		char *full = xmalloc(plen + strlen(names[i]) + 2);
		sprintf(full, "%s%s%s", path, plen && path[plen - 1] == '/' ? "" : "/", names[i]);
		ok &= load_file(c, full, d, ignored);
		free(full);
		free(names[i]);
	}
	free(names);
	return ok;
}

static struct {
	const char *name, *json;
} builtin;

void config_set_builtin(const char *name, const char *json)
{
	builtin.name = name;
	builtin.json = json;
}

const char *config_builtin(const char **name)
{
	*name = builtin.name;
	return builtin.json;
}

bool config_load_path(struct config *c, const char *path, struct diags *d, size_t *ignored)
{
	struct stat st;

	if (builtin.json && !config_load_json(c, builtin.name, builtin.json, strlen(builtin.json), d, ignored))
		return false;

	if (stat(path, &st) < 0) {
		io_error(d, path, "cannot read");
		return false;
	}
	bool ok = S_ISDIR(st.st_mode) ? load_dir(c, path, d, ignored) : load_file(c, path, d, ignored);
	config_sort(c);
	return ok;
}

struct config *config_read(const char *path, struct diags *d, size_t *ignored)
{
	struct config *c = config_new();
	bool ok = config_load_path(c, path, d, ignored);

	if (!ok || !config_validate(c, d)) {
		config_free(c);
		return NULL;
	}
	return c;
}
