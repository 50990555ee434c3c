#include "kube_auth.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "text.h"
#include "xalloc.h"

char *kube_auth_read_file(const char *path, size_t max, size_t *len, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		text_fail(why, whylen, "cannot open: %s", strerror(errno));
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n + 1 == cap) {
			if (cap > max) {
				text_fail(why, whylen, "larger than %zu bytes", max);
				goto fail;
			}
			cap *= 2;
			buf = xrealloc(buf, cap, 1);
		}
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			text_fail(why, whylen, "cannot read: %s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

bool kube_auth_base64(const char *in, size_t len, struct kube_pem *out)
{
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	unsigned char *buf = xmalloc(len / 4 * 3 + 4);
	int n = 0, tail = 0;
	bool ok = ctx != NULL && len <= INT32_MAX;

	if (ok) {
		EVP_DecodeInit(ctx);
		ok = EVP_DecodeUpdate(ctx, buf, &n, (const unsigned char *)in, (int)len) >= 0 &&
		     EVP_DecodeFinal(ctx, buf + n, &tail) == 1;
	}
	EVP_ENCODE_CTX_free(ctx);
	if (!ok || n + tail == 0) {
		free(buf);
		return false;
	}
	out->data = buf;
	out->len = (size_t)(n + tail);
	return true;
}

bool kube_auth_pem_ok(const struct kube_pem *p, const char *what, char *why, size_t whylen)
{
	if (p->len > INT32_MAX)
		return text_fail(why, whylen, "too large");
	BIO *bio = BIO_new_mem_buf(p->data, (int)p->len);
	bool ok = false;

	if (!bio)
		return text_fail(why, whylen, "out of memory");
	if (strcmp(what, "certificate") == 0) {
		X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		ok = x != NULL;
		X509_free(x);
	} else {
		EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		ok = k != NULL;
		EVP_PKEY_free(k);
	}
	BIO_free(bio);
	if (!ok)
		return text_fail(why, whylen, "not a PEM %s", what);
	return true;
}

/* Trailing white space and line breaks are not part of a token or a namespace. */
static void trim_end(char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
}

bool kube_auth_read_token(struct kube_auth *a, char *why, size_t whylen)
{
	struct stat st;
	size_t len;

	if (stat(a->token_file, &st) < 0)
		return text_fail(why, whylen, "cannot stat: %s", strerror(errno));
	/* Even a bad file is not read again until it changes: one message, not one per request. */
	a->token_stat.dev = st.st_dev;
	a->token_stat.ino = st.st_ino;
	a->token_stat.size = st.st_size;
	a->token_stat.mtime = st.st_mtim;
	char *t = kube_auth_read_file(a->token_file, KUBE_AUTH_MAX_FILE, &len, why, whylen);
	if (!t)
		return false;
	bool nul = memchr(t, 0, len) != NULL;
	trim_end(t);
	if (nul || !*t || strpbrk(t, "\r\n")) {
		free(t);
		return text_fail(why, whylen, "empty or not one line");
	}
	for (const char *p = t; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) {
			free(t);
			return text_fail(why, whylen, "a token is printable ASCII without spaces");
		}
	free(a->token);
	a->token = t;
	a->token_reads++;
	return true;
}

static bool token_file_changed(const struct kube_auth *a)
{
	struct stat st;

	if (stat(a->token_file, &st) < 0)
		return false;  /* in the middle of a swap: keep the token we have */
	return st.st_dev != a->token_stat.dev || st.st_ino != a->token_stat.ino ||
	       st.st_size != a->token_stat.size || st.st_mtim.tv_sec != a->token_stat.mtime.tv_sec ||
	       st.st_mtim.tv_nsec != a->token_stat.mtime.tv_nsec;
}

static bool reread(struct kube_auth *a)
{
	char why[256];
	char *old = a->token ? xstrdup(a->token) : NULL;

	if (!kube_auth_read_token(a, why, sizeof(why))) {
		log_warn("kube", "token file %s: %s; keeping the token read before", a->token_file, why);
		free(old);
		return false;
	}
	bool changed = !old || strcmp(old, a->token) != 0;
	free(old);
	if (changed)
		log_info("kube", "token file %s: read a new token", a->token_file);
	return changed;
}

const char *kube_auth_token(struct kube_auth *a)
{
	if (a->token_file && token_file_changed(a))
		reread(a);
	return a->token;
}

bool kube_auth_token_reload(struct kube_auth *a)
{
	return a->token_file && reread(a);
}

static bool fail_file(struct diags *d, const char *file, const char *fmt, const char *why)
{
	struct mark m = { file, 0, 0 };
	diag_add(d, DIAG_ERROR, &m, NULL, NULL, fmt, why);
	return false;
}

static bool valid_port(const char *p)
{
	char *end;
	errno = 0;
	long v = strtol(p, &end, 10);
	return *p && !*end && errno == 0 && v > 0 && v < 65536;
}

bool kube_auth_in_cluster(struct kube_auth *a, const char *sa_dir, struct diags *d)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
	struct mark env = { "in-cluster", 0, 0 };
	char path[4096], why[256];
	size_t len;

	memset(a, 0, sizeof(*a));
	if (!sa_dir)
		sa_dir = KUBE_SA_DIR;
	if (!host || !*host || !port || !*port) {
		diag_add(d, DIAG_ERROR, &env, NULL, NULL,
			 "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (not running in a Pod?)");
		return false;
	}
	if (!valid_port(port) || strpbrk(host, "/[]@ ")) {
		diag_add(d, DIAG_ERROR, &env, NULL, NULL, "invalid KUBERNETES_SERVICE_HOST/PORT \"%s\" \"%s\"",
			 host, port);
		return false;
	}
	size_t n = strlen(host) + strlen(port) + 16;
	a->server = xmalloc(n);
	snprintf(a->server, n, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
	a->source = xstrdup("in-cluster");

	snprintf(path, sizeof(path), "%s/ca.crt", sa_dir);
	char *ca = kube_auth_read_file(path, KUBE_AUTH_MAX_FILE, &len, why, sizeof(why));
	if (!ca)
		goto fail_why;
	a->ca.data = (unsigned char *)ca;
	a->ca.len = len;
	if (!kube_auth_pem_ok(&a->ca, "certificate", why, sizeof(why)))
		goto fail_why;

	snprintf(path, sizeof(path), "%s/token", sa_dir);
	a->token_file = xstrdup(path);
	if (!kube_auth_read_token(a, why, sizeof(why)))
		goto fail_why;

	snprintf(path, sizeof(path), "%s/namespace", sa_dir);
	char *ns = kube_auth_read_file(path, KUBE_AUTH_MAX_FILE, NULL, why, sizeof(why));
	if (ns) {
		trim_end(ns);
		if (*ns)
			a->namespace = ns;
		else
			free(ns);
	}
	return true;
fail_why:
	fail_file(d, path, "%s", why);
	kube_auth_free(a);
	return false;
}

void kube_auth_free(struct kube_auth *a)
{
	free(a->server);
	free(a->ca.data);
	free(a->cert.data);
	if (a->key.data)
		OPENSSL_cleanse(a->key.data, a->key.len);
	free(a->key.data);
	if (a->token)
		OPENSSL_cleanse(a->token, strlen(a->token));
	free(a->token);
	free(a->token_file);
	free(a->namespace);
	free(a->source);
	memset(a, 0, sizeof(*a));
}
