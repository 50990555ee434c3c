#include "report.h"

#include <jansson.h>
#include <string.h>

static void format_ips(const struct alloc_result *r, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < r->nips && off < len; i++) {
		char ip[IPADDR_STRLEN];
		ipaddr_format(&r->ips[i], ip);
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "", ip);
	}
}

void report_json(FILE *out, const struct svc_outcome *v, size_t n)
{
	json_t *list = json_array();

	for (size_t i = 0; i < n; i++) {
		const struct alloc_result *r = &v[i].res;
		json_t *ips = json_array();
		for (size_t k = 0; k < r->nips; k++) {
			char ip[IPADDR_STRLEN];
			ipaddr_format(&r->ips[k], ip);
			json_array_append_new(ips, json_string(ip));
		}
		json_array_append_new(list, json_pack("{s:s, s:s, s:o, s:o, s:o}",
			"namespace", v[i].svc->meta.namespace, "name", v[i].svc->meta.name, "ips", ips,
			"pool", r->pool ? json_string(r->pool) : json_null(),
			"error", r->ok ? json_null() : json_string(r->message)));
	}
	json_t *root = json_pack("{s:o}", "services", list);
	json_dumpf(root, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(root);
}

void report_table(FILE *out, const struct svc_outcome *v, size_t n)
{
	int wns = 9, wname = 4, wips = 3, wpool = 4;
	char ips[128];

	for (size_t i = 0; i < n; i++) {
		format_ips(&v[i].res, ips, sizeof(ips));
		wns = (int)strlen(v[i].svc->meta.namespace) > wns ? (int)strlen(v[i].svc->meta.namespace) : wns;
		wname = (int)strlen(v[i].svc->meta.name) > wname ? (int)strlen(v[i].svc->meta.name) : wname;
		wips = (int)strlen(ips) > wips ? (int)strlen(ips) : wips;
		if (v[i].res.pool && (int)strlen(v[i].res.pool) > wpool)
			wpool = (int)strlen(v[i].res.pool);
	}
	fprintf(out, "%-*s  %-*s  %-*s  %-*s  %s\n", wns, "NAMESPACE", wname, "NAME", wips, "IPS", wpool, "POOL",
		"STATUS");
	for (size_t i = 0; i < n; i++) {
		const struct alloc_result *r = &v[i].res;
		format_ips(r, ips, sizeof(ips));
		fprintf(out, "%-*s  %-*s  %-*s  %-*s  %s%s\n", wns, v[i].svc->meta.namespace, wname,
			v[i].svc->meta.name, wips, r->nips ? ips : "-", wpool, r->pool ? r->pool : "-",
			r->ok ? "" : "error: ", r->message);
	}
}
