/*
 * vipcastctl: asks a vipcast daemon over its control socket (the speaker's
 * by default) and prints the answer as tables, like birdc's "show
 * protocols" and gobgp's "neighbor", or as the daemon's JSON with -o json.
 * Exit: 0 answered, 1 the daemon answered an error, 2 usage or connection.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_request.h"
#include "ctl_render.h"

#define EXIT_ANSWER_ERROR 1
#define EXIT_USAGE 2
#define REPLY_MAX (64u << 20)
#define TIMEOUT_S 10

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vipcastctl [--socket PATH] [-o text|json] COMMAND [ARG]\n"
		"\n"
		"  status          sessions, L2 VIPs and liveness peers (speaker); leadership and pools (controller)\n"
		"  routes [PEER]   what is announced to which BGPPeer (name, namespace/name or address), with attributes\n"
		"  services        Service -> IPs -> pool -> announcing nodes (BGP) or owner (L2), allocation errors\n"
		"  why VIP         why this node does or does not announce or answer for VIP\n"
		"  drain           withdraw everything this speaker announces (a node leaving for good)\n"
		"\n"
		"  -s, --socket PATH   the daemon's control socket (default %s;\n"
		"                      the controller's is %s)\n"
		"  -o, --output F      text (default) or json (the daemon's reply as it came)\n"
		"  -h, --help          this text\n",
		VIPCASTCTL_SPEAKER_SOCKET, VIPCASTCTL_CONTROLLER_SOCKET);
}

/* Sends the request, reads the whole reply (the daemon closes after it); NULL with a message printed. */
static char *ask(const char *path, const char *request)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vipcastctl: socket path too long: %s\n", path);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {TIMEOUT_S, 0};
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "vipcastctl: cannot connect to %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	size_t len = strlen(request);
	for (size_t off = 0; off < len;) {
		ssize_t n = send(fd, request + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			break;  /* answered before it read (busy): the answer is still there to read */
		if (n <= 0) {
			fprintf(stderr, "vipcastctl: cannot send to %s: %s\n", path, strerror(errno));
			close(fd);
			return NULL;
		}
		off += (size_t)n;
	}
	size_t cap = 65536, at = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (buf && at + 1 == cap) {
			char *bigger = cap < REPLY_MAX ? realloc(buf, cap * 2) : NULL;
			if (!bigger)
				free(buf);
			buf = bigger;
			cap *= 2;
		}
		if (!buf) {
			fprintf(stderr, "vipcastctl: reply from %s too large or out of memory\n", path);
			close(fd);
			return NULL;
		}
		ssize_t n = recv(fd, buf + at, cap - at - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNRESET && at > 0)
			break;  /* closed with our request unread, after its answer */
		if (n < 0) {
			fprintf(stderr, "vipcastctl: no reply from %s: %s\n", path, strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		at += (size_t)n;
	}
	close(fd);
	buf[at] = 0;
	return buf;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = VIPCASTCTL_SPEAKER_SOCKET;
	bool json = false;
	for (int ch; (ch = getopt_long(argc, argv, "s:o:h", opts, NULL)) != -1;) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "json") && strcmp(optarg, "text"))
				goto bad;
			json = strcmp(optarg, "json") == 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind >= argc || argc - optind - 1 > CTL_ARGS_MAX)
		goto bad;
	const char *cmd = argv[optind];
	json_t *args = json_array();
	for (int i = optind + 1; i < argc; i++)
		json_array_append_new(args, json_string(argv[i]));
	json_t *req = json_pack("{s:s, s:o, s:s}", "cmd", cmd, "args", args, "output", json ? "json" : "text");
	char *line = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!line) {
		fprintf(stderr, "vipcastctl: arguments are not valid text\n");
		return EXIT_USAGE;
	}
	size_t n = strlen(line);
	line = realloc(line, n + 2);
	memcpy(line + n, "\n", 2);
	char *text = ask(path, line);
	free(line);
	if (!text)
		return EXIT_USAGE;
	json_error_t je;
	json_t *reply = json_loads(text, 0, &je);
	if (!reply || !json_is_boolean(json_object_get(reply, "ok"))) {
		fprintf(stderr, "vipcastctl: the reply from %s is not a control reply: %s\n", path,
			reply ? "no \"ok\"" : je.text);
		json_decref(reply);
		free(text);
		return EXIT_USAGE;
	}
	bool ok = json_is_true(json_object_get(reply, "ok"));
	if (json)
		fputs(text, stdout);
	else if (ok)
		ctl_render(cmd, json_object_get(reply, "data"), stdout);
	if (!ok)
		fprintf(stderr, "vipcastctl: %s\n", 
			json_is_string(json_object_get(reply, "error")) ? json_string_value(json_object_get(reply, "error"))
									 : "error");
	json_decref(reply);
	free(text);
	return ok ? 0 : EXIT_ANSWER_ERROR;
bad:
	usage(stderr);
	return EXIT_USAGE;
}
