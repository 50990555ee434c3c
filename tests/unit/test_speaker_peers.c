/*
 * The speaker makes no session for a BGPPeer without an address it can
 * dial: an unnumbered peer (spec.interface, no peerAddress) used to get a
 * session to [::]:179, this host; now it gets none until its peer is found on
 * the interface (never here: the interface does not exist, so no packet is
 * sent on any real one). connect() is interposed: every attempt is
 * recorded and refused, so no packet leaves; a numbered peer beside it shows
 * that dialling is seen at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "speaker.h"

static unsigned dials_unspecified, dials_numbered;

int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		dials_unspecified += in->sin_addr.s_addr == htonl(INADDR_ANY);
		dials_numbered += in->sin_addr.s_addr == htonl(INADDR_LOOPBACK) && ntohs(in->sin_port) == 1790;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		dials_unspecified += IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
	} else {
		int (*real)(int, const struct sockaddr *, socklen_t) =
			(int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
		return real ? real(fd, sa, len) : -1;
	}
	errno = ECONNREFUSED;
	return -1;
}

static const char config[] =
	"apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
	"status: {addresses: [{type: InternalIP, address: 192.0.2.11}]}\n"
	"---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: unnumbered, namespace: lb}\n"
	"spec: {myASN: 64500, peerASN: 64501, interface: vipcast-none0}\n"
	"---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: numbered, namespace: lb}\n"
	"spec: {myASN: 64500, peerASN: 64501, peerAddress: 127.0.0.1, peerPort: 1790}\n";

/* Holds UDP port *port on IPv4 and IPv6 so the speaker's L2 heartbeats cannot start (no L2 traffic here). */
static void hold_udp_port(int fds[2], uint16_t *port)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	socklen_t len = sizeof(in);
	fds[0] = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fds[0] >= 0);
	assert_int_equal(bind(fds[0], (struct sockaddr *)&in, sizeof(in)), 0);
	assert_int_equal(getsockname(fds[0], (struct sockaddr *)&in, &len), 0);
	*port = ntohs(in.sin_port);
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = in.sin_port};
	int one = 1;
	fds[1] = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fds[1] >= 0) {
		setsockopt(fds[1], IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		bind(fds[1], (struct sockaddr *)&in6, sizeof(in6));
	}
}

/* The configuration directory, removed by the teardown also when the test fails. */
static char dir[] = "/tmp/vipcast-peers-XXXXXX", path[64];

static int make_dir(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	return 0;
}

static int remove_dir(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

static void test_no_session_without_address(void **state)
{
	(void)state;
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(config, f);
	fclose(f);

	int held[2];
	struct speaker_options o = {.config_path = dir, .node = "n1"};
	hold_udp_port(held, &o.l2.port);
	struct event_base *base = event_base_new();
	assert_non_null(base);
	struct speaker *s = speaker_new(base, &o);
	assert_true(speaker_reload(s));

	struct timeval run = {0, 300 * 1000};
	event_base_loopexit(base, &run);
	event_base_dispatch(base);

	assert_int_equal(dials_unspecified, 0);
	assert_true(dials_numbered >= 1);
	char *status = speaker_status(s);
	json_t *j = json_loads(status, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "bgp")), 1);
	json_decref(j);
	free(status);

	speaker_free(s);
	event_base_free(base);
	close(held[0]);
	if (held[1] >= 0)
		close(held[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_session_without_address, make_dir, remove_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
