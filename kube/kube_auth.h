/*
 * How to reach and authenticate to the API server: one resolved set of
 * connection settings, from a kubeconfig file (kube_kubeconfig.c) or from
 * inside a Pod (the service account's token, CA and namespace, and
 * KUBERNETES_SERVICE_HOST/PORT).
 *
 * Certificates and keys are kept in memory as PEM and handed to libcurl as
 * blobs, so nothing is written to disk and a kubeconfig's inline *-data works
 * the same as a file. A token read from a file (in-cluster, or a kubeconfig's
 * tokenFile) is re-read when the file changes: the kubelet rotates projected
 * service-account tokens by swapping a symlink, which a stat() before each
 * request sees; after a 401 the file is re-read whatever stat() says.
 */
#ifndef VIPCAST_KUBE_AUTH_H
#define VIPCAST_KUBE_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "diag.h"

struct kube_pem {
	unsigned char *data;  /* NULL: not set */
	size_t len;
};

struct kube_auth {
	char *server;  /* "https://host:port", without a trailing '/' */
	struct kube_pem ca, cert, key;
	bool insecure;  /* insecure-skip-tls-verify */
	char *token;    /* the bearer token, or NULL */
	char *token_file;
	struct {
		dev_t dev;
		ino_t ino;
		off_t size;
		struct timespec mtime;
	} token_stat;       /* of token_file when token was read */
	char *namespace;    /* the context's or the service account's namespace, or NULL */
	char *source;       /* for messages: "kubeconfig FILE (context NAME)" or "in-cluster" */
	unsigned token_reads;
};

#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
/* Files larger than this (a token, a certificate) are refused. */
#define KUBE_AUTH_MAX_FILE (1u << 20)

/*
 * In-cluster settings: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT,
 * and the files token, ca.crt and namespace in sa_dir (NULL: KUBE_SA_DIR).
 * The namespace file may be missing. Errors go to d with the file they name.
 */
bool kube_auth_in_cluster(struct kube_auth *a, const char *sa_dir, struct diags *d);

/*
 * A kubeconfig file (kube_kubeconfig.c). context NULL: its current-context.
 * Errors name the file, line and column of the offending value.
 */
bool kube_auth_from_kubeconfig(struct kube_auth *a, const char *path, const char *context, struct diags *d);

void kube_auth_free(struct kube_auth *a);

/* The token for the next request, re-read first if its file changed; NULL: none. */
const char *kube_auth_token(struct kube_auth *a);
/* After a 401: re-reads the token file now. True if the token changed. */
bool kube_auth_token_reload(struct kube_auth *a);

/* Helpers shared with kube_kubeconfig.c. */
/* Reads a whole file of at most max bytes, NUL-terminated; NULL with why set. */
char *kube_auth_read_file(const char *path, size_t max, size_t *len, char *why, size_t whylen);
/* Decodes base64 (line breaks allowed); false on bad input. */
bool kube_auth_base64(const char *in, size_t len, struct kube_pem *out);
/* PEM that OpenSSL can read as what: "certificate" (one or more) or "private key". */
bool kube_auth_pem_ok(const struct kube_pem *p, const char *what, char *why, size_t whylen);
/* Reads the token file into a->token; false with why set. */
bool kube_auth_read_token(struct kube_auth *a, char *why, size_t whylen);

#endif
