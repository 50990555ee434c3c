/*
 * speaker_drain(): a node leaving for good. A file-mode speaker announces a
 * Service to a peer played by the test over loopback TCP (the peer offers
 * graceful restart with the RFC 8538 N bit); drained, it withdraws the route,
 * closes with Cease / Hard Reset, makes no session again on a reload and says
 * it is drained. Without the N bit the close is Cease / Administrative
 * Shutdown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bgp.h"
#include "bgp_session.h"
#include "clock.h"
#include "speaker.h"

static const char config_fmt[] =
	"apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
	"status: {addresses: [{type: InternalIP, address: 192.0.2.11}]}\n"
	"---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: vips, namespace: lb}\n"
	"spec: {addresses: [198.51.100.0/24]}\n"
	"---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: adv, namespace: lb}\n"
	"spec: {ipAddressPools: [vips]}\n"
	"---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: rtr, namespace: lb}\n"
	"spec: {myASN: 64500, peerASN: 64500, peerAddress: 127.0.0.1, peerPort: %u, enableGracefulRestart: true,\n"
	"       connectTime: 1s}\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\n"
	"spec: {type: LoadBalancer, externalTrafficPolicy: Cluster, ports: [{port: 80, protocol: TCP}]}\n"
	"status: {loadBalancer: {ingress: [{ip: 198.51.100.10}]}}\n"
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata: {name: web-a, namespace: default, labels: {kubernetes.io/service-name: web}}\n"
	"addressType: IPv4\nports: [{port: 8080, protocol: TCP}]\n"
	"endpoints: [{addresses: [198.18.255.1], conditions: {ready: true}, nodeName: n1}]\n";

static char dir[] = "/tmp/vipcast-drain-XXXXXX", path[64];

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

/* Holds UDP port *port on IPv4 and IPv6 so the speaker's L2 heartbeats cannot start. */
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

struct peer {
	struct event_base *base;
	int lfd, fd;
	uint8_t buf[1 << 16];
	size_t len, consumed;
	bool eof;
};

static void loop_ms(struct event_base *b, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_base_loopexit(b, &tv);
	event_base_dispatch(b);
}

/* A connection from the speaker within ms (the loop runs meanwhile), or -1. */
static int peer_accept(struct peer *p, unsigned ms)
{
	uint64_t end = mono_ms() + ms;
	while (mono_ms() < end) {
		int fd = accept(p->lfd, NULL, NULL);
		if (fd >= 0) {
			fcntl(fd, F_SETFL, O_NONBLOCK);
			return fd;
		}
		loop_ms(p->base, 10);
	}
	return -1;
}

/* The next message (type, body) within ms; false on timeout or EOF. */
static bool peer_next(struct peer *p, unsigned ms, uint8_t *type, const uint8_t **body, size_t *blen)
{
	memmove(p->buf, p->buf + p->consumed, p->len - p->consumed);
	p->len -= p->consumed;
	p->consumed = 0;
	uint64_t end = mono_ms() + ms;
	for (int i = 0; i < 10000; i++) {
		size_t mlen = 0;
		struct bgp_error err;
		if (p->len >= BGP_HEADER_LEN) {
			assert_true(bgp_header_check(p->buf, p->len, &mlen, type, &err) >= 0);
			if (p->len >= mlen) {
				*body = p->buf + BGP_HEADER_LEN;
				*blen = mlen - BGP_HEADER_LEN;
				p->consumed = mlen;
				return true;
			}
		}
		ssize_t n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len);
		if (n > 0) {
			p->len += (size_t)n;
			continue;
		}
		if (n == 0) {
			p->eof = true;
			return false;
		}
		if (mono_ms() >= end)
			return false;
		loop_ms(p->base, 10);
	}
	return false;
}

/* The next message that is not a KEEPALIVE. */
static bool peer_next_real(struct peer *p, uint8_t *type, const uint8_t **body, size_t *blen)
{
	for (int i = 0; i < 50; i++)
		if (!peer_next(p, 3000, type, body, blen))
			return false;
		else if (*type != BGP_KEEPALIVE)
			return true;
	return false;
}

static void peer_send(struct peer *p, const uint8_t *msg, size_t len)
{
	assert_int_equal(write(p->fd, msg, len), (ssize_t)len);
}

/* Accepts the speaker's connection and brings it to Established; returns the routes it announced. */
static size_t peer_establish(struct peer *p, bool notification)
{
	uint8_t type, buf[BGP_MAX_LEN];
	const uint8_t *body;
	size_t blen, routes = 0;
	p->fd = peer_accept(p, 5000);
	assert_true(p->fd >= 0);
	p->len = p->consumed = 0;
	p->eof = false;
	assert_true(peer_next_real(p, &type, &body, &blen));
	assert_int_equal(type, BGP_OPEN);
	struct bgp_open o = {.version = 4, .my_as = 64500, .hold_time = 90, .bgp_id = 0xC0000201};
	o.caps.as4 = true;
	o.caps.as4_number = 64500;
	o.caps.mp[BGP_AF_IPV4] = true;
	o.caps.graceful_restart = true;
	o.caps.gr_notification = notification;
	o.caps.gr_time = 120;
	o.caps.gr_af[BGP_AF_IPV4] = true;
	peer_send(p, buf, bgp_open_encode(&o, buf, sizeof(buf)));
	peer_send(p, buf, bgp_keepalive_encode(buf, sizeof(buf)));
	for (int i = 0; i < 10; i++) {
		struct bgp_update u;
		struct bgp_error err;
		assert_true(peer_next_real(p, &type, &body, &blen));
		assert_int_equal(type, BGP_UPDATE);
		assert_true(bgp_update_decode(body, blen, true, true, &u, &err));
		if (u.end_of_rib)
			return routes;
		routes += u.nlri_len / 5;  /* /32s: a length octet and four */
	}
	fail_msg("no End-of-RIB");
	return 0;
}

static void drain_with(bool notification, uint8_t subcode)
{
	struct peer *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->base = event_base_new();
	p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	/* peerPort goes up to 16384: a free port from a range there. */
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int bound = -1;
	for (unsigned k = 0; k < 200 && bound < 0; k++) {
		in.sin_port = htons((uint16_t)(11000 + (getpid() + k * 37) % 5000));
		bound = bind(p->lfd, (struct sockaddr *)&in, sizeof(in));
	}
	assert_int_equal(bound, 0);
	assert_int_equal(listen(p->lfd, 4), 0);

	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, config_fmt, ntohs(in.sin_port));
	fclose(f);
	/* No L2 heartbeats out of a unit test: their port is taken. */
	struct speaker_options o = {.config_path = dir, .node = "n1"};
	int held[2];
	hold_udp_port(held, &o.l2.port);
	struct speaker *s = speaker_new(p->base, &o);
	assert_true(speaker_reload(s));
	assert_int_equal(peer_establish(p, notification), 1);
	assert_false(speaker_drained(s));

	speaker_drain(s);
	assert_true(speaker_drained(s));
	uint8_t type, code, sub, icode, isub;
	const uint8_t *body, *data, *inner;
	size_t blen, dlen, ilen;
	/* The withdrawal, then the NOTIFICATION, then the close. */
	assert_true(peer_next_real(p, &type, &body, &blen));
	assert_int_equal(type, BGP_UPDATE);
	struct bgp_update u;
	struct bgp_error err;
	assert_true(bgp_update_decode(body, blen, true, true, &u, &err));
	assert_int_equal(u.withdrawn_len, 5);
	assert_int_equal(u.nlri_len, 0);
	assert_true(peer_next_real(p, &type, &body, &blen));
	assert_int_equal(type, BGP_NOTIFICATION);
	assert_true(bgp_notification_decode(body, blen, &code, &sub, &data, &dlen));
	assert_int_equal(code, BGP_ERR_CEASE);
	assert_int_equal(sub, subcode);
	if (subcode == BGP_CEASE_HARD_RESET) {
		assert_true(bgp_hard_reset_decode(data, dlen, &icode, &isub, &inner, &ilen));
		assert_int_equal(icode, BGP_ERR_CEASE);
		assert_int_equal(isub, BGP_CEASE_ADMIN_SHUTDOWN);
	}
	assert_false(peer_next(p, 3000, &type, &body, &blen));
	assert_true(p->eof);

	/* Drained: a reload puts nothing in force, no session dials again. */
	assert_true(speaker_reload(s));
	size_t n = 1;
	speaker_sessions(s, &n);
	assert_int_equal(n, 0);
	assert_int_equal(peer_accept(p, 1500), -1);

	speaker_stop(s);
	speaker_free(s);
	for (int i = 0; i < 100 && bgp_closing_count(); i++)
		loop_ms(p->base, 10);
	close(p->fd);
	close(p->lfd);
	close(held[0]);
	if (held[1] >= 0)
		close(held[1]);
	event_base_free(p->base);
	free(p);
}

static void test_drain_hard_reset(void **state)
{
	(void)state;
	drain_with(true, BGP_CEASE_HARD_RESET);
}

static void test_drain_without_notification_bit(void **state)
{
	(void)state;
	drain_with(false, BGP_CEASE_ADMIN_SHUTDOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drain_hard_reset),
		cmocka_unit_test(test_drain_without_notification_bit),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
