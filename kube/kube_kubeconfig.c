/*
 * kubeconfig files (clientcmd's v1 Config) read with the project's YAML
 * reader, so every error carries the file, line and column of the value it is
 * about. What vipcast takes from one: the context (the current one unless
 * named), its cluster's server, CA (inline base64 or a file, or
 * insecure-skip-tls-verify) and its user's client certificate and key (inline
 * or files) or bearer token (inline or tokenFile). Relative file names are
 * relative to the kubeconfig's directory, as kubectl reads them. Credential
 * plugins (exec, auth-provider) and basic authentication are refused by name.
 */
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "kube_auth.h"
#include "text.h"
#include "xalloc.h"

struct kc {
	struct diags *d;
	const char *dir;  /* the kubeconfig's directory */
	struct doc *doc;
	unsigned errors;
};

static bool err(struct kc *k, const struct doc_node *at, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool err(struct kc *k, const struct doc_node *at, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(k->d, DIAG_ERROR, &at->mark, NULL, path, "%s", msg);
	k->errors++;
	return false;
}

static void warn(struct kc *k, const struct doc_node *at, const char *path, const char *msg)
{
	diag_add(k->d, DIAG_WARNING, &at->mark, NULL, path, "%s", msg);
}

/* A string field: NULL when absent or null; an error when it is not a scalar. */
static const char *str_at(struct kc *k, const struct doc_node *map, const char *key, const char *path,
			  const struct doc_node **node)
{
	const struct doc_node *v = doc_map_get(map, key);

	if (node)
		*node = v;
	if (!v || v->type == DOC_NULL || (v->type == DOC_SCALAR && doc_scalar_kind(v) == DSK_NULL))
		return NULL;
	if (v->type != DOC_SCALAR || strlen(v->scalar.text) != v->scalar.len) {
		err(k, v, path, "%s: expected a string, got %s", key, doc_type_name(v));
		return NULL;
	}
	return v->scalar.text;
}

/* The map of entry NAME in list KEY ([{name: NAME, FIELD: {...}}]), or NULL after an error at ref. */
static const struct doc_node *named(struct kc *k, const struct doc_node *root, const char *key, const char *field,
				    const char *name, const struct doc_node *ref)
{
	const struct doc_node *list = doc_map_get(root, key);

	if (list && list->type != DOC_SEQ && list->type != DOC_NULL) {
		err(k, list, key, "expected a list, got %s", doc_type_name(list));
		return NULL;
	}
	for (size_t i = 0; list && list->type == DOC_SEQ && i < list->seq.n; i++) {
		const struct doc_node *e = list->seq.v[i];
		char path[64];
		snprintf(path, sizeof(path), "%s[%zu]", key, i);
		if (e->type != DOC_MAP) {
			err(k, e, path, "expected a map with name and %s, got %s", field, doc_type_name(e));
			continue;
		}
		const char *n = str_at(k, e, "name", path, NULL);
		if (!n || strcmp(n, name) != 0)
			continue;
		const struct doc_node *m = doc_map_get(e, field);
		if (!m || m->type == DOC_NULL)
			return e;  /* an entry with nothing in it: every field absent */
		if (m->type != DOC_MAP) {
			err(k, m, path, "%s: expected a map, got %s", field, doc_type_name(m));
			return NULL;
		}
		return m;
	}
	err(k, ref, NULL, "no %.*s named \"%s\" in %s", (int)strlen(key) - 1, key, name, key);
	return NULL;
}

/* file relative to the kubeconfig's directory */
static char *resolve(const struct kc *k, const char *file)
{
	if (file[0] == '/')
		return xstrdup(file);
	size_t n = strlen(k->dir) + strlen(file) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", k->dir, file);
	return p;
}

/*
 * One PEM item given as KEY-data (base64) or KEY (a file name); what is
 * "certificate" or "private key". Absent: out stays empty.
 */
static void pem_item(struct kc *k, const struct doc_node *map, const char *path, const char *key, const char *what,
		     struct kube_pem *out)
{
	char datakey[64], why[256], fpath[128];
	const struct doc_node *dn, *fn;

	snprintf(datakey, sizeof(datakey), "%s-data", key);
	const char *data = str_at(k, map, datakey, path, &dn);
	const char *file = str_at(k, map, key, path, &fn);
	if (data && file) {
		err(k, dn, path, "%s and %s are both given: use one", datakey, key);
		return;
	}
	if (data) {
		snprintf(fpath, sizeof(fpath), "%s.%s", path, datakey);
		if (!kube_auth_base64(data, strlen(data), out)) {
			err(k, dn, fpath, "invalid base64");
			return;
		}
		if (!kube_auth_pem_ok(out, what, why, sizeof(why)))
			err(k, dn, fpath, "%s (after base64 decoding)", why);
		return;
	}
	if (!file)
		return;
	snprintf(fpath, sizeof(fpath), "%s.%s", path, key);
	char *p = resolve(k, file);
	size_t len;
	char *buf = kube_auth_read_file(p, KUBE_AUTH_MAX_FILE, &len, why, sizeof(why));
	if (!buf) {
		err(k, fn, fpath, "%s: %s", p, why);
	} else {
		out->data = (unsigned char *)buf;
		out->len = len;
		if (!kube_auth_pem_ok(out, what, why, sizeof(why)))
			err(k, fn, fpath, "%s: %s", p, why);
	}
	free(p);
}

static void read_cluster(struct kc *k, const struct doc_node *c, const char *name, struct kube_auth *a)
{
	char path[300];
	const struct doc_node *n;

	snprintf(path, sizeof(path), "clusters[%s].cluster", name);
	const char *server = str_at(k, c, "server", path, &n);
	if (!server) {
		if (!n)
			err(k, c, path, "server is required");
	} else if (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0) {
		err(k, n, path, "server \"%s\": expected an https:// URL", server);
	} else {
		a->server = xstrdup(server);
		size_t len = strlen(a->server);
		while (len > 8 && a->server[len - 1] == '/')
			a->server[--len] = 0;
	}
	const struct doc_node *ins = doc_map_get(c, "insecure-skip-tls-verify");
	if (ins && ins->type != DOC_NULL) {
		if (ins->type != DOC_SCALAR || doc_scalar_kind(ins) != DSK_BOOL)
			err(k, ins, path, "insecure-skip-tls-verify: expected true or false");
		else
			a->insecure = doc_scalar_bool(ins);
	}
	pem_item(k, c, path, "certificate-authority", "certificate", &a->ca);
	if (a->insecure && a->ca.data)
		err(k, ins, path, "insecure-skip-tls-verify with a certificate authority: use one");
	static const char *const unsupported[] = { "proxy-url", "tls-server-name" };
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(*unsupported); i++)
		if ((n = doc_map_get(c, unsupported[i])) && n->type != DOC_NULL)
			warn(k, n, path, unsupported[i][0] == 'p' ? "proxy-url is not supported; ignored"
								: "tls-server-name is not supported; ignored");
}

static void read_user(struct kc *k, const struct doc_node *u, const char *name, struct kube_auth *a)
{
	char path[300], why[256];
	const struct doc_node *n, *tn;

	snprintf(path, sizeof(path), "users[%s].user", name);
	static const struct {
		const char *key, *msg;
	} refused[] = {
		{ "exec", "exec credential plugins are not supported: give a token, tokenFile or client certificate" },
		{ "auth-provider", "auth-provider plugins are not supported: give a token, tokenFile or client certificate" },
		{ "username", "basic authentication is not supported" },
		{ "password", "basic authentication is not supported" },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++)
		if ((n = doc_map_get(u, refused[i].key)) && n->type != DOC_NULL)
			err(k, n, path, "%s", refused[i].msg);

	pem_item(k, u, path, "client-certificate", "certificate", &a->cert);
	pem_item(k, u, path, "client-key", "private key", &a->key);
	if (!a->cert.data != !a->key.data && k->errors == 0)
		err(k, u, path, "a client certificate needs its key and a key its certificate");

	const char *token = str_at(k, u, "token", path, &tn);
	const char *file = str_at(k, u, "tokenFile", path, &n);
	if (token) {
		a->token = xstrdup(token);  /* kubectl: token wins over tokenFile */
	} else if (file) {
		a->token_file = resolve(k, file);
		if (!kube_auth_read_token(a, why, sizeof(why)))
			err(k, n, path, "tokenFile %s: %s", a->token_file, why);
	}
}

static void take_doc(struct doc *d, void *arg)
{
	struct kc *k = arg;

	if (k->doc) {
		if (d->root && d->root->type != DOC_NULL)
			err(k, d->root, NULL, "a kubeconfig is one YAML document");
		doc_free(d);
		return;
	}
	k->doc = d;
}

bool kube_auth_from_kubeconfig(struct kube_auth *a, const char *path, const char *context, struct diags *d)
{
	char why[256];
	size_t len;
	struct mark fm = { path, 0, 0 };

	memset(a, 0, sizeof(*a));
	char *buf = kube_auth_read_file(path, DOC_MAX_FILE_SIZE, &len, why, sizeof(why));
	if (!buf) {
		diag_add(d, DIAG_ERROR, &fm, NULL, NULL, "%s", why);
		return false;
	}
	char *dcopy = xstrdup(path);
	struct kc k = { .d = d, .dir = dirname(dcopy) };
	bool parsed = doc_read_yaml(path, buf, len, d, take_doc, &k);
	free(buf);
	const struct doc_node *root = k.doc ? k.doc->root : NULL;
	if (!parsed || !root || root->type != DOC_MAP) {
		if (parsed)
			diag_add(d, DIAG_ERROR, root ? &root->mark : &fm, NULL, NULL,
				 "expected a kubeconfig (a map with clusters, users and contexts)");
		goto out;
	}

	const struct doc_node *cn = NULL;
	if (!context)
		context = str_at(&k, root, "current-context", NULL, &cn);
	if (!context || !*context) {
		if (!k.errors)
			err(&k, cn ? cn : root, NULL, "no current-context: name a context");
		goto out;
	}
	const struct doc_node *ctx = named(&k, root, "contexts", "context", context, cn ? cn : root);
	if (!ctx)
		goto out;
	char cpath[300];
	snprintf(cpath, sizeof(cpath), "contexts[%s].context", context);
	const struct doc_node *cl_n, *us_n;
	const char *cluster = str_at(&k, ctx, "cluster", cpath, &cl_n);
	const char *user = str_at(&k, ctx, "user", cpath, &us_n);
	const char *ns = str_at(&k, ctx, "namespace", cpath, NULL);
	if (!cluster) {
		if (!k.errors)
			err(&k, ctx, cpath, "cluster is required");
		goto out;
	}
	const struct doc_node *c = named(&k, root, "clusters", "cluster", cluster, cl_n);
	if (c)
		read_cluster(&k, c, cluster, a);
	if (user && *user) {
		const struct doc_node *u = named(&k, root, "users", "user", user, us_n);
		if (u)
			read_user(&k, u, user, a);
	}
	if (ns && *ns)
		a->namespace = xstrdup(ns);
	size_t n = strlen(path) + strlen(context) + 32;
	a->source = xmalloc(n);
	snprintf(a->source, n, "kubeconfig %s (context %s)", path, context);
out:;
	bool ok = parsed && root && root->type == DOC_MAP && k.errors == 0 && a->server;
	if (k.doc)
		doc_free(k.doc);
	free(dcopy);
	if (!ok)
		kube_auth_free(a);
	return ok;
}
