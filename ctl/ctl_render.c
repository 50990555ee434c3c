#include "ctl_render.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

static const char *str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : "-";
}

static long long num(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* "3d04h", "2h05m", "4m10s", "12s" */
static const char *duration(long long s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(buf, len, "%llds", s);
	return buf;
}

static const char *ago(const json_t *o, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_number(v) || json_number_value(v) <= 0)
		return "-";
	return duration((long long)(time(NULL) - (time_t)json_number_value(v)), buf, len);
}

/* "a, b, c" of an array of strings, "-" when empty. */
static const char *joined(const json_t *a, char *buf, size_t len)
{
	size_t i;
	const json_t *v;
	buf[0] = 0;
	json_array_foreach(a, i, v)
		if (json_is_string(v))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "," : "", json_string_value(v));
	return buf[0] ? buf : "-";
}

static void notif_line(FILE *out, const char *peer, const char *dir, const json_t *n)
{
	char t[32];
	if (!json_is_object(n))
		return;
	fprintf(out, "  %s: last NOTIFICATION %s: %s / %s (%lld/%lld), %s ago\n", peer, dir, str(n, "code_name"),
		str(n, "subcode_name"), num(n, "code"), num(n, "subcode"), ago(n, "at", t, sizeof(t)));
}

static void speaker_status(const json_t *d, FILE *out)
{
	size_t i;
	const json_t *v;
	char t[32], t2[32], b[512];
	fprintf(out, "speaker on node %s (%s mode)%s%s%s\n", str(d, "node"), str(d, "mode"),
		json_is_true(json_object_get(d, "loaded")) ? "" : ", no configuration loaded",
		json_is_true(json_object_get(d, "drained")) ? ", drained"
		: json_is_true(json_object_get(d, "stopped")) ? ", stopping" : "",
		json_is_string(json_object_get(d, "silent")) ? ", announcing nothing: " : "");
	if (json_is_string(json_object_get(d, "silent")))
		fprintf(out, "  %s\n", str(d, "silent"));
	fprintf(out, "\nBGP sessions\n%-32s %-20s %-12s %-8s %7s %7s  %s\n", "Peer", "Address", "State", "Since", "Sent",
		"Rcvd", "Last error");
	const json_t *ses = json_object_get(d, "sessions");
	json_array_foreach(ses, i, v)
		fprintf(out, "%-32s %-20s %-12s %-8s %7lld %7lld  %s\n", str(v, "peer"), str(v, "address"),
			str(v, "state"), ago(v, "since", t, sizeof(t)), num(v, "routes_sent"), num(v, "prefixes_received"),
			str(v, "last_error"));
	json_array_foreach(ses, i, v) {
		notif_line(out, str(v, "peer"), "sent", json_object_get(v, "last_notification_sent"));
		notif_line(out, str(v, "peer"), "received", json_object_get(v, "last_notification_received"));
	}
	const json_t *un = json_object_get(d, "bgp_unnumbered");
	if (json_array_size(un)) {
		fprintf(out, "\nUnnumbered BGP interfaces\n%-16s %-5s %-40s %9s %9s\n", "Interface", "Up", "Peer found",
			"RAs sent", "RAs rcvd");
		json_array_foreach(un, i, v)
			fprintf(out, "%-16s %-5s %-40s %9lld %9lld\n", str(v, "interface"),
				json_is_true(json_object_get(v, "up")) ? "yes" : "no",
				json_is_string(json_object_get(v, "peer")) ? str(v, "peer") : "none yet",
				num(v, "router_advertisements_sent"), num(v, "router_advertisements_received"));
	}
	const json_t *bfd = json_object_get(d, "bfd");
	if (json_array_size(bfd)) {
		fprintf(out, "\nBFD sessions\n%-32s %-20s %-10s %-9s %-8s %8s %8s %5s %5s  %s\n", "Peer", "Address",
			"Type", "State", "Since", "Rcvd", "Sent", "Ups", "Downs", "Diagnostic (local / remote)");
		json_array_foreach(bfd, i, v)
			fprintf(out, "%-32s %-20s %-10s %-9s %-8s %8lld %8lld %5lld %5lld  %s / %s\n", str(v, "peer"),
				str(v, "address"), str(v, "type"), str(v, "state"), ago(v, "since", t, sizeof(t)),
				num(v, "control_packets_received"), num(v, "control_packets_sent"), num(v, "up_events"),
				num(v, "down_events"), str(v, "local_diagnostic"), str(v, "remote_diagnostic"));
		json_array_foreach(bfd, i, v)
			if (json_is_string(json_object_get(v, "echo")))
				fprintf(out, "  %s: echoMode %s\n", str(v, "peer"), str(v, "echo"));
	}
	const json_t *l2 = json_object_get(d, "l2");
	if (!json_is_object(l2)) {
		fprintf(out, "\nL2: not running\n");
		return;
	}
	fprintf(out, "\nL2 VIPs (memberlist key %s)\n%-40s %-20s %-5s %-20s %s\n",
		json_is_true(json_object_get(l2, "key")) ? "set" : "absent", "VIP", "Owner", "Here", "Interfaces",
		"Since");
	json_array_foreach(json_object_get(l2, "vips"), i, v)
		fprintf(out, "%-40s %-20s %-5s %-20s %s\n", str(v, "ip"), str(v, "owner"),
			json_is_true(json_object_get(v, "here")) ? "yes" : "no",
			joined(json_object_get(v, "interfaces"), b, sizeof(b)), ago(v, "since", t2, sizeof(t2)));
	fprintf(out, "\nLiveness peers\n%-32s %-8s %-6s %s\n", "Node", "State", "Ready", "Last heard");
	json_array_foreach(json_object_get(l2, "speakers"), i, v) {
		const json_t *h = json_object_get(v, "last_heard_ms");
		if (json_is_integer(h))
			snprintf(t, sizeof(t), "%lld ms ago", (long long)json_integer_value(h));
		else
			snprintf(t, sizeof(t), "never");
		fprintf(out, "%-32s %-8s %-6s %s\n", str(v, "node"), str(v, "state"),
			json_is_true(json_object_get(v, "ready")) ? "yes" : "no", t);
	}
}

static void controller_status(const json_t *d, FILE *out)
{
	size_t i;
	const json_t *v, *leader = json_object_get(d, "leader");
	fprintf(out, "controller %s (%s mode): %s, %s, %s%s\n\n", str(d, "identity"), str(d, "mode"),
		json_is_true(leader) ? "leader" : "not the leader",
		json_is_true(json_object_get(d, "synced")) ? "caches synced" : "caches not synced",
		json_is_true(json_object_get(d, "serving")) ? "serving" : "not serving",
		json_is_true(json_object_get(d, "config_stale")) ? ", newest configuration refused" : "");
	fprintf(out, "%-32s %14s %14s %14s %14s\n", "Pool", "IPv4 assigned", "IPv4 free", "IPv6 assigned", "IPv6 free");
	json_array_foreach(json_object_get(d, "pools"), i, v)
		fprintf(out, "%-32s %14lld %14lld %14lld %14lld\n", str(v, "name"), num(v, "assigned_ipv4"),
			num(v, "available_ipv4"), num(v, "assigned_ipv6"), num(v, "available_ipv6"));
}

static void routes(const json_t *d, FILE *out)
{
	size_t i, k;
	const json_t *p, *r;
	char b[512], c[512];
	json_array_foreach(json_object_get(d, "peers"), i, p) {
		fprintf(out, "%s%s (%s) %s%s\n", i ? "\n" : "", str(p, "peer"), str(p, "address"), str(p, "state"),
			json_is_true(json_object_get(p, "announced")) ? "" : ", not announced now");
		fprintf(out, "  %-44s %-10s %-30s %s\n", "Prefix", "LocalPref", "Communities", "Large communities");
		json_array_foreach(json_object_get(p, "routes"), k, r) {
			const json_t *lp = json_object_get(r, "local_pref");
			char l[24] = "-";
			if (json_is_integer(lp))
				snprintf(l, sizeof(l), "%lld", (long long)json_integer_value(lp));
			fprintf(out, "  %-44s %-10s %-30s %s\n", str(r, "prefix"), l,
				joined(json_object_get(r, "communities"), b, sizeof(b)),
				joined(json_object_get(r, "large_communities"), c, sizeof(c)));
		}
	}
}

static void services(const json_t *d, FILE *out)
{
	size_t i, k;
	const json_t *s, *ip;
	char b[512], name[300];
	bool spk = !json_is_string(json_object_get(d, "daemon")) || strcmp(str(d, "daemon"), "controller");
	if (spk)
		fprintf(out, "%-36s %-40s %-20s %-24s %s\n", "Service", "IP", "Pool", "BGP nodes", "L2 owner");
	else
		fprintf(out, "%-36s %-40s %s\n", "Service", "IP", "Pool");
	json_array_foreach(json_object_get(d, "services"), i, s) {
		snprintf(name, sizeof(name), "%s/%s", str(s, "namespace"), str(s, "name"));
		json_array_foreach(json_object_get(s, "ips"), k, ip) {
			if (spk)
				fprintf(out, "%-36s %-40s %-20s %-24s %s\n", k ? "" : name, str(ip, "ip"), str(ip, "pool"),
					joined(json_object_get(ip, "bgp_nodes"), b, sizeof(b)), str(ip, "l2_owner"));
			else
				fprintf(out, "%-36s %-40s %s\n", k ? "" : name, str(ip, "ip"), str(ip, "pool"));
		}
		if (!json_array_size(json_object_get(s, "ips")))
			fprintf(out, "%-36s %-40s\n", name, "-");
		if (json_is_string(json_object_get(s, "error")))
			fprintf(out, "  error: %s\n", str(s, "error"));
	}
	if (json_is_string(json_object_get(d, "bgp_nodes_skipped")))
		fprintf(out, "BGP nodes not shown: %s\n", str(d, "bgp_nodes_skipped"));
}

static void why(const json_t *d, FILE *out)
{
	size_t i;
	const json_t *r;
	fprintf(out, "%s on node %s: BGP %s, L2 %s\n", str(d, "vip"), str(d, "node"),
		json_is_true(json_object_get(d, "bgp")) ? "announced" : "not announced",
		json_is_true(json_object_get(d, "l2")) ? "answered here" : "not answered here");
	json_array_foreach(json_object_get(d, "reasons"), i, r)
		fprintf(out, "  %-5s %s  [%s]\n", json_is_string(json_object_get(r, "mode")) ? str(r, "mode") : "",
			str(r, "text"), str(r, "code"));
}

void ctl_render(const char *cmd, const json_t *data, FILE *out)
{
	if (!strcmp(cmd, "status") && !strcmp(str(data, "daemon"), "controller"))
		controller_status(data, out);
	else if (!strcmp(cmd, "status"))
		speaker_status(data, out);
	else if (!strcmp(cmd, "routes"))
		routes(data, out);
	else if (!strcmp(cmd, "services"))
		services(data, out);
	else if (!strcmp(cmd, "why"))
		why(data, out);
	else if (!strcmp(cmd, "drain"))
		fprintf(out, "drained: every session closed, L2 VIPs handed over\n");
	else
		json_dumpf(data, out, JSON_INDENT(2) | JSON_SORT_KEYS), fputc('\n', out);
}
