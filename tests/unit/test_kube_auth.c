/*
 * Unit tests for kube/kube_kubeconfig.c and kube/kube_auth.c: kubeconfig
 * files (inline and file CA, client certificate, token, tokenFile, contexts)
 * and every error with its place; in-cluster settings; token rotation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube_auth.h"

static const char CERT[] = "-----BEGIN CERTIFICATE-----\n"
			   "MIIBjTCCATOgAwIBAgIULBhlefqpDd6/Rv99yP1HrLuv8v8wCgYIKoZIzj0EAwIw\n"
			   "HDEaMBgGA1UEAwwRdmlwY2FzdC11bml0LXRlc3QwHhcNMjYxMjA0MTkxNDI1WhcN\n"
			   "MzYxMjAxMTkxNDI1WjAcMRowGAYDVQQDDBF2aXBjYXN0LXVuaXQtdGVzdDBZMBMG\n"
			   "ByqGSM49AgEGCCqGSM49AwEHA0IABJa5rfX/P9wf38CXdQllVyFTEN+tCE5ZNkc/\n"
			   "NJoOkLAneVmI9QUKW7BELQm1Z+IzEsMpCDlhfcp9cDCM23ojwpajUzBRMB0GA1Ud\n"
			   "DgQWBBS4c14HSSALMSmEf9sKjKmdtX47NDAfBgNVHSMEGDAWgBS4c14HSSALMSmE\n"
			   "f9sKjKmdtX47NDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQDo\n"
			   "VAnNi+UtIyMqJGPkhpHvm9IWFFqIbQqHYzM7rzfpugIgU1G+sPwHsn9PWofu7/y3\n"
			   "OkszFF5TZEs3mk/No3lQV3Y=\n"
			   "-----END CERTIFICATE-----\n";
static const char KEY[] = "-----BEGIN PRIVATE KEY-----\n"
			  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSO/OkkJ8slNofQzN\n"
			  "d1Ym83Dcuke8i2akPgjYK8N4be6hRANCAASWua31/z/cH9/Al3UJZVchUxDfrQhO\n"
			  "WTZHPzSaDpCwJ3lZiPUFCluwRC0JtWfiMxLDKQg5YX3KfXAwjNt6I8KW\n"
			  "-----END PRIVATE KEY-----\n";

static char dir[64];
static char cert_b64[2048], key_b64[1024];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/vipcast-kubeauth.XXXXXX");
	assert_non_null(mkdtemp(dir));
	EVP_EncodeBlock((unsigned char *)cert_b64, (const unsigned char *)CERT, (int)strlen(CERT));
	EVP_EncodeBlock((unsigned char *)key_b64, (const unsigned char *)KEY, (int)strlen(KEY));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static const char *write_file(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *write_file(const char *name, const char *fmt, ...)
{
	static char path[8][256];
	static int slot;
	char *p = path[slot++ % 8];
	va_list ap;

	snprintf(p, 256, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
	return p;
}

/* Loads path; on failure the first error, formatted, goes to err. */
static bool load(const char *path, const char *context, struct kube_auth *a, char *err, size_t errlen)
{
	struct diags d;
	diags_init(&d);
	bool ok = kube_auth_from_kubeconfig(a, path, context, &d);
	err[0] = 0;
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].sev == DIAG_ERROR) {
			diag_format(&d.v[i], err, errlen);
			break;
		}
	if (!ok && !err[0])
		diags_print(&d, stderr);
	diags_free(&d);
	return ok;
}

static void test_inline_data(void **state)
{
	(void)state;
	const char *p = write_file("inline.yaml",
				   "apiVersion: v1\n"
				   "kind: Config\n"
				   "current-context: ctx\n"
				   "clusters:\n"
				   "- name: c1\n"
				   "  cluster:\n"
				   "    server: https://192.0.2.1:6443/\n"
				   "    certificate-authority-data: %s\n"
				   "users:\n"
				   "- name: u1\n"
				   "  user:\n"
				   "    client-certificate-data: %s\n"
				   "    client-key-data: %s\n"
				   "contexts:\n"
				   "- name: other\n"
				   "  context: {cluster: nope, user: nope}\n"
				   "- name: ctx\n"
				   "  context: {cluster: c1, user: u1, namespace: metallb-system}\n",
				   cert_b64, cert_b64, key_b64);
	struct kube_auth a;
	char err[512];
	assert_true(load(p, NULL, &a, err, sizeof(err)));
	assert_string_equal(a.server, "https://192.0.2.1:6443");
	assert_int_equal(a.ca.len, strlen(CERT));
	assert_memory_equal(a.ca.data, CERT, a.ca.len);
	assert_int_equal(a.cert.len, strlen(CERT));
	assert_int_equal(a.key.len, strlen(KEY));
	assert_memory_equal(a.key.data, KEY, a.key.len);
	assert_null(a.token);
	assert_false(a.insecure);
	assert_string_equal(a.namespace, "metallb-system");
	assert_non_null(strstr(a.source, "(context ctx)"));
	kube_auth_free(&a);
}

static void test_files_relative(void **state)
{
	(void)state;
	write_file("ca.crt", "%s", CERT);
	write_file("admin.crt", "%s", CERT);
	char abs_key[256];
	snprintf(abs_key, sizeof(abs_key), "%s", write_file("admin.key", "%s", KEY));
	const char *p = write_file("files.yaml",
				   "clusters:\n"
				   "- name: c\n"
				   "  cluster: {server: 'https://[2001:db8::1]:6443', certificate-authority: ca.crt}\n"
				   "users:\n"
				   "- name: u\n"
				   "  user: {client-certificate: ./admin.crt, client-key: %s}\n"
				   "contexts:\n"
				   "- {name: a, context: {cluster: c, user: u}}\n"
				   "current-context: a\n",
				   abs_key);
	struct kube_auth a;
	char err[512];
	assert_true(load(p, NULL, &a, err, sizeof(err)));
	assert_string_equal(a.server, "https://[2001:db8::1]:6443");
	assert_int_equal(a.ca.len, strlen(CERT));
	assert_int_equal(a.cert.len, strlen(CERT));
	assert_int_equal(a.key.len, strlen(KEY));
	assert_null(a.namespace);
	kube_auth_free(&a);
}

static void test_token_and_context_override(void **state)
{
	(void)state;
	const char *p = write_file("token.yaml",
				   "clusters:\n"
				   "- {name: c, cluster: {server: 'https://192.0.2.1', insecure-skip-tls-verify: true}}\n"
				   "users:\n"
				   "- {name: t, user: {token: abc.def-ghi}}\n"
				   "- {name: none}\n"
				   "contexts:\n"
				   "- {name: a, context: {cluster: c, user: t}}\n"
				   "- {name: b, context: {cluster: c, user: none}}\n"
				   "current-context: a\n");
	struct kube_auth a;
	char err[512];
	assert_true(load(p, NULL, &a, err, sizeof(err)));
	assert_string_equal(a.token, "abc.def-ghi");
	assert_true(a.insecure);
	assert_null(a.ca.data);
	kube_auth_free(&a);
	assert_true(load(p, "b", &a, err, sizeof(err)));
	assert_null(a.token);
	kube_auth_free(&a);
}

static void replace_token(const char *name, const char *content)
{
	char tmp[300], path[300];
	snprintf(tmp, sizeof(tmp), "%s/.%s.new", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);  /* as the kubelet swaps a projected token */
}

static void test_token_file_rotation(void **state)
{
	(void)state;
	replace_token("tok", "first-token\n");
	const char *p = write_file("tokfile.yaml",
				   "clusters: [{name: c, cluster: {server: 'https://192.0.2.1', certificate-authority-data: %s}}]\n"
				   "users: [{name: u, user: {tokenFile: tok}}]\n"
				   "contexts: [{name: a, context: {cluster: c, user: u}}]\n"
				   "current-context: a\n",
				   cert_b64);
	struct kube_auth a;
	char err[512];
	assert_true(load(p, NULL, &a, err, sizeof(err)));
	assert_string_equal(kube_auth_token(&a), "first-token");
	assert_string_equal(kube_auth_token(&a), "first-token");
	assert_int_equal(a.token_reads, 1);  /* unchanged file: not read again */
	replace_token("tok", "second-token\n");
	assert_string_equal(kube_auth_token(&a), "second-token");
	assert_int_equal(a.token_reads, 2);
	/* A file going away in the middle of a swap keeps the token we have. */
	char path[300];
	snprintf(path, sizeof(path), "%s/tok", dir);
	unlink(path);
	assert_string_equal(kube_auth_token(&a), "second-token");
	/* After a 401: read whatever stat says; true only when the token changed. */
	replace_token("tok", "second-token\n");
	assert_false(kube_auth_token_reload(&a));
	replace_token("tok", "third-token");
	assert_true(kube_auth_token_reload(&a));
	assert_string_equal(a.token, "third-token");
	/* An unusable new file keeps the old token. */
	replace_token("tok", "two words\n");
	assert_false(kube_auth_token_reload(&a));
	assert_string_equal(kube_auth_token(&a), "third-token");
	kube_auth_free(&a);
}

static const struct {
	const char *name;
	const char *yaml;  /* %s: base64 of the test certificate */
	const char *want;  /* a part of the first error: place and reason */
} errors[] = {
	{ "syntax", "clusters: [\n  - a: b\n  c\n", "syntax.yaml:2:3: error: invalid YAML" },
	{ "not-a-map", "- a\n- b\n", "not-a-map.yaml:1:1: error: expected a kubeconfig" },
	{ "no-current", "clusters: []\n", "no current-context" },
	{ "no-context",
	  "current-context: missing\ncontexts: [{name: a, context: {cluster: c}}]\n",
	  "no-context.yaml:1:18: error: no context named \"missing\" in contexts" },
	{ "no-cluster",
	  "current-context: a\ncontexts:\n- name: a\n  context: {cluster: gone, user: u}\nclusters: []\n",
	  "no-cluster.yaml:4:22: error: no cluster named \"gone\" in clusters" },
	{ "no-user",
	  "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: who}}]\n"
	  "clusters: [{name: c, cluster: {server: 'https://192.0.2.1'}}]\n",
	  "no user named \"who\" in users" },
	{ "no-server",
	  "current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\nclusters:\n- name: c\n  cluster: {}\n",
	  "no-server.yaml:5:12: error: clusters[c].cluster: server is required" },
	{ "bad-server",
	  "current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
	  "clusters: [{name: c, cluster: {server: 'ftp://x'}}]\n",
	  "bad-server.yaml:3:40: error: clusters[c].cluster: server \"ftp://x\": expected an https:// URL" },
	{ "bad-base64",
	  "current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\nclusters:\n- name: c\n  cluster:\n"
	  "    server: https://192.0.2.1\n    certificate-authority-data: '!!!notbase64'\n",
	  "bad-base64.yaml:7:33: error: clusters[c].cluster.certificate-authority-data: invalid base64" },
	{ "not-pem",
	  "current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\nclusters:\n- name: c\n  cluster:\n"
	  "    server: https://192.0.2.1\n    certificate-authority-data: aGVsbG8gd29ybGQ=\n",
	  "not-pem.yaml:7:33: error: clusters[c].cluster.certificate-authority-data: not a PEM certificate" },
	{ "both-ca",
	  "current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\nclusters:\n- name: c\n  cluster:\n"
	  "    server: https://192.0.2.1\n    certificate-authority-data: %s\n    certificate-authority: ca.crt\n",
	  "certificate-authority-data and certificate-authority are both given" },
	{ "ca-missing",
	  "current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\nclusters:\n- name: c\n  cluster:\n"
	  "    server: https://192.0.2.1\n    certificate-authority: nothing-here.crt\n",
	  "ca-missing.yaml:7:28: error: clusters[c].cluster.certificate-authority:" },
	{ "insecure-and-ca",
	  "current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\nclusters:\n- name: c\n  cluster:\n"
	  "    server: https://192.0.2.1\n    certificate-authority-data: %s\n    insecure-skip-tls-verify: true\n",
	  "insecure-and-ca.yaml:8:31: error: clusters[c].cluster: insecure-skip-tls-verify with a certificate authority" },
	{ "cert-no-key",
	  "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
	  "clusters: [{name: c, cluster: {server: 'https://192.0.2.1'}}]\n"
	  "users:\n- name: u\n  user:\n    client-certificate-data: %s\n",
	  "a client certificate needs its key" },
	{ "key-is-cert",
	  "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
	  "clusters: [{name: c, cluster: {server: 'https://192.0.2.1'}}]\n"
	  "users:\n- name: u\n  user:\n    client-certificate-data: %s\n    client-key-data: %s\n",
	  "key-is-cert.yaml:8:22: error: users[u].user.client-key-data: not a PEM private key" },
	{ "exec",
	  "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
	  "clusters: [{name: c, cluster: {server: 'https://192.0.2.1'}}]\n"
	  "users:\n- name: u\n  user:\n    exec: {command: aws}\n",
	  "exec.yaml:7:11: error: users[u].user: exec credential plugins are not supported" },
	{ "token-file-missing",
	  "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
	  "clusters: [{name: c, cluster: {server: 'https://192.0.2.1'}}]\n"
	  "users:\n- name: u\n  user:\n    tokenFile: /nonexistent/token\n",
	  "token-file-missing.yaml:7:16: error: users[u].user: tokenFile /nonexistent/token: cannot stat" },
	{ "server-not-string",
	  "current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
	  "clusters: [{name: c, cluster: {server: [a]}}]\n",
	  "server-not-string.yaml:3:40: error: clusters[c].cluster: server: expected a string, got a list" },
	{ "contexts-not-list",
	  "current-context: a\ncontexts: {a: b}\n",
	  "contexts-not-list.yaml:2:11: error: contexts: expected a list" },
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(errors) / sizeof(*errors); i++) {
		char name[64], err[1024], want[256];
		snprintf(name, sizeof(name), "%s.yaml", errors[i].name);
		const char *p = write_file(name, errors[i].yaml, cert_b64, cert_b64);
		struct kube_auth a;
		bool ok = load(p, NULL, &a, err, sizeof(err));
		snprintf(want, sizeof(want), "%s/%s", dir, errors[i].want);
		const char *w = strstr(errors[i].want, ".yaml") ? want : errors[i].want;
		if (ok || !strstr(err, w))
			fail_msg("case %s: got \"%s\", want \"%s\"", errors[i].name, ok ? "(ok)" : err, w);
		assert_null(a.server);
	}
}

static void test_in_cluster(void **state)
{
	(void)state;
	char sa[300];
	snprintf(sa, sizeof(sa), "%s/sa", dir);
	mkdir(sa, 0700);
	write_file("sa/ca.crt", "%s", CERT);
	write_file("sa/token", "sa-token-1\n");
	write_file("sa/namespace", "metallb-system\n");
	setenv("KUBERNETES_SERVICE_HOST", "2001:db8::10", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	struct kube_auth a;
	struct diags d;
	diags_init(&d);
	assert_true(kube_auth_in_cluster(&a, sa, &d));
	assert_string_equal(a.server, "https://[2001:db8::10]:443");
	assert_string_equal(a.namespace, "metallb-system");
	assert_string_equal(kube_auth_token(&a), "sa-token-1");
	assert_int_equal(a.ca.len, strlen(CERT));
	write_file("sa/token", "sa-token-2-longer\n");  /* rewritten in place: size and mtime change */
	assert_string_equal(kube_auth_token(&a), "sa-token-2-longer");
	kube_auth_free(&a);

	/* Errors name the file or the variables. */
	setenv("KUBERNETES_SERVICE_PORT", "https", 1);
	assert_false(kube_auth_in_cluster(&a, sa, &d));
	assert_non_null(strstr(d.v[d.n - 1].msg, "invalid KUBERNETES_SERVICE_HOST/PORT"));
	unsetenv("KUBERNETES_SERVICE_PORT");
	assert_false(kube_auth_in_cluster(&a, sa, &d));
	assert_non_null(strstr(d.v[d.n - 1].msg, "must be set"));
	setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
	char tok[320];
	snprintf(tok, sizeof(tok), "%s/token", sa);
	unlink(tok);
	assert_false(kube_auth_in_cluster(&a, sa, &d));
	assert_string_equal(d.v[d.n - 1].mark.file, tok);
	write_file("sa/token", "\n");
	assert_false(kube_auth_in_cluster(&a, sa, &d));
	assert_non_null(strstr(d.v[d.n - 1].msg, "empty"));
	assert_null(a.server);
	diags_free(&d);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inline_data),
		cmocka_unit_test(test_files_relative),
		cmocka_unit_test(test_token_and_context_override),
		cmocka_unit_test(test_token_file_rotation),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_in_cluster),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
