/*
 * BFD coupled to a BGP session (speaker/bfd_peers.h), with the test playing
 * the router's BFD over loopback: a plain UDP socket on 127.0.0.1:3784 (more
 * specific than the speaker's wildcard socket, so it gets what the speaker
 * sends to its peer 127.0.0.1) that answers with hand-made packets to
 * 127.0.0.2:3784, with TTL 255. The BGP session dials through a test dialer
 * that only counts: dialling means "not held".
 *   - not Up: no dial; Up: dials; the router's Down: held again
 *   - the router's AdminDown (RFC 5882 3.2): not a failure, BGP goes on
 *   - a reload with other intervals keeps the session (same discriminator)
 *   - a single-hop packet with a TTL below 255 is dropped
 * Skipped when port 3784 is taken on this host.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bfd.h"
#include "bgp.h"
#include "bfd_peers.h"
#include "bgp_session.h"
#include "clock.h"
#include "log.h"
#include "testutil.h"

#define CONFIG(rx)                                                                                         \
	"apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: rtr, namespace: lb}\n"              \
	"spec: {myASN: 64512, peerASN: 64500, peerAddress: 127.0.0.1, sourceAddress: 127.0.0.2, "         \
	"bfdProfile: fast}\n---\napiVersion: metallb.io/v1beta1\nkind: BFDProfile\n"                          \
	"metadata: {name: fast, namespace: lb}\nspec: {receiveInterval: " rx ", transmitInterval: 100}\n"

struct fixture {
	struct event_base *base;
	struct bfd_peers *peers;
	struct bgp_session *s;
	struct config *c;
	int router;  /* the router's BFD socket */
	unsigned dials;
	uint32_t ours;  /* the speaker's discriminator, from its packets */
	uint32_t last_rx_us;
};

static int dialer(void *arg)
{
	struct fixture *f = arg;
	f->dials++;
	errno = ECONNREFUSED;
	return -1;
}

static void loop_ms(struct event_base *b, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_base_loopexit(b, &tv);
	event_base_dispatch(b);
}

/* Reads what the speaker sent the router (keeps its discriminator); true when something came. */
static bool router_read(struct fixture *f)
{
	uint8_t buf[128];
	bool any = false;
	for (int i = 0; i < 100; i++) {
		ssize_t n = recv(f->router, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			break;
		struct bfd_ctrl c;
		if (bfd_decode(buf, (size_t)n, &c) == BFD_OK) {
			f->ours = c.my_disc;
			f->last_rx_us = c.required_min_rx_us;
			any = true;
		}
	}
	return any;
}

static void router_send(struct fixture *f, uint8_t state)
{
	struct bfd_ctrl c = {
		.state = state,
		.detect_mult = 3,
		.my_disc = 0x0A0B0C0D,
		.your_disc = state == BFD_ADMIN_DOWN || state == BFD_DOWN ? 0 : f->ours,
		.desired_min_tx_us = 100000,
		.required_min_rx_us = 100000,
		.diag = state == BFD_ADMIN_DOWN ? BFD_DIAG_ADMIN_DOWN : 0,
	};
	uint8_t buf[BFD_CTRL_MAX_LEN];
	size_t len = bfd_encode(&c, buf, sizeof(buf));
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(BFD_PORT_SINGLE_HOP)};
	memcpy(&to.sin_addr, (uint8_t[]){127, 0, 0, 2}, 4);
	assert_int_equal(sendto(f->router, buf, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len);
}

/* Runs the loop for ms, the router keeping the session alive (Up) every 50 ms. */
static void router_keep_up(struct fixture *f, unsigned ms)
{
	for (unsigned t = 0; t < ms; t += 50) {
		router_send(f, BFD_UP);
		loop_ms(f->base, 50);
		router_read(f);
	}
}

/* Runs the loop until the dialer was called n times, for at most ms: a loaded machine is late, never wrong. */
static void loop_until_dials(struct fixture *f, unsigned n, unsigned ms)
{
	for (unsigned t = 0; t < ms && f->dials < n; t += 10)
		loop_ms(f->base, 10);
}

/* The BFD session's state, from the status the speaker reports. */
static bool state_is(struct fixture *f, const char *want)
{
	json_t *st = bfd_peers_status(f->peers);
	const char *s = json_string_value(json_object_get(json_array_get(st, 0), "state"));
	bool is = s && strcmp(s, want) == 0;
	json_decref(st);
	return is;
}

static void loop_until_state(struct fixture *f, const char *want, unsigned ms)
{
	for (unsigned t = 0; t < ms && !state_is(f, want); t += 10)
		loop_ms(f->base, 10);
}

static void apply(struct fixture *f, const char *yaml)
{
	if (f->router < 0)
		skip();
	struct config *c = load_valid(yaml);
	assert_non_null(c);
	const struct object *peer = config_find(c, KIND_BGPPEER, "lb", "rtr");
	assert_non_null(peer);
	bfd_peers_begin(f->peers);
	bfd_peers_want(f->peers, f->s, peer, c);
	bfd_peers_end(f->peers);
	config_free(f->c);
	f->c = c;  /* as the speaker keeps its generation */
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->base = event_base_new();
	f->router = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int one = 1, ttl = 255;
	setsockopt(f->router, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(f->router, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(BFD_PORT_SINGLE_HOP)};
	memcpy(&a.sin_addr, (uint8_t[]){127, 0, 0, 1}, 4);
	if (bind(f->router, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(f->router);
		f->router = -1;  /* port 3784 taken: the tests skip */
	}
	f->peers = bfd_peers_new(f->base);
	struct bgp_session_config c = {0};
	snprintf(c.name, sizeof(c.name), "lb/rtr");
	c.local_as = 64512;
	c.peer_as = 64500;
	c.peer.family = c.source.family = IPF_V4;
	memcpy(c.peer.b, (uint8_t[]){127, 0, 0, 1}, 4);
	memcpy(c.source.b, (uint8_t[]){127, 0, 0, 2}, 4);
	c.port = BGP_PORT;
	c.router_id = 0x7F000002;
	c.hold_time = 90;
	c.keepalive_time = 30;
	c.connect_retry_ms = 100;
	f->s = bgp_session_new(f->base, &c, false);
	assert_non_null(f->s);
	bgp_session_set_dialer(f->s, dialer, f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	bfd_peers_free(f->peers);
	bgp_session_close(f->s, BGP_CEASE_ADMIN_SHUTDOWN);
	for (int i = 0; i < 100 && bgp_closing_count(); i++)
		loop_ms(f->base, 10);
	config_free(f->c);
	if (f->router >= 0)
		close(f->router);
	event_base_free(f->base);
	free(f);
	return 0;
}

static void test_coupling(void **state)
{
	struct fixture *f = *state;
	apply(f, CONFIG("100"));
	loop_ms(f->base, 300);
	assert_int_equal(f->dials, 0);  /* BFD not Up: held */
	assert_true(router_read(f));    /* the speaker's Down, at the slow rate */
	router_send(f, BFD_INIT);
	loop_until_dials(f, 1, 1000);
	assert_true(f->dials >= 1);     /* Up: dials at once */
	router_keep_up(f, 300);
	unsigned dials = f->dials;
	assert_true(dials >= 2);        /* refused dials are retried every connectTime */

	router_send(f, BFD_DOWN);       /* the router's session went down */
	loop_until_state(f, "Down", 1000);
	assert_true(state_is(f, "Down"));
	loop_ms(f->base, 20);           /* a dial already under way ends */
	dials = f->dials;
	loop_ms(f->base, 400);
	assert_int_equal(f->dials, dials);  /* held again */
}

static void test_remote_admin_down(void **state)
{
	struct fixture *f = *state;
	apply(f, CONFIG("100"));
	loop_ms(f->base, 100);
	assert_true(router_read(f));
	router_send(f, BFD_INIT);
	router_keep_up(f, 200);
	unsigned dials = f->dials;
	assert_true(dials >= 1);
	router_send(f, BFD_ADMIN_DOWN);
	loop_until_dials(f, dials + 1, 2000);
	assert_true(f->dials > dials);  /* not held: the router turned BFD off, nothing failed */
}

static void test_reload_keeps_session(void **state)
{
	struct fixture *f = *state;
	apply(f, CONFIG("100"));
	loop_ms(f->base, 100);
	assert_true(router_read(f));
	router_send(f, BFD_INIT);
	router_keep_up(f, 200);
	uint32_t disc = f->ours;
	unsigned dials = f->dials;
	apply(f, CONFIG("200"));        /* a new receiveInterval: a poll sequence, the same session */
	router_keep_up(f, 300);
	assert_int_equal(f->ours, disc);
	assert_int_equal(f->last_rx_us, 200000);
	assert_true(f->dials > dials);  /* never held meanwhile */
}

/* RFC 5881 5: a single-hop packet that crossed a router (TTL below 255) is dropped and counted. */
static void test_ttl_checked(void **state)
{
	struct fixture *f = *state;
	apply(f, CONFIG("100"));
	int ttl = 254;
	setsockopt(f->router, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	loop_ms(f->base, 100);
	assert_true(router_read(f));
	for (int i = 0; i < 3; i++) {
		router_send(f, BFD_INIT);
		loop_ms(f->base, 50);
	}
	assert_int_equal(f->dials, 0);  /* never Up */
	json_t *st = bfd_peers_status(f->peers);
	json_t *b = json_array_get(st, 0);
	assert_string_equal(json_string_value(json_object_get(b, "state")), "Down");
	assert_int_equal(json_integer_value(json_object_get(b, "packets_dropped")), 3);
	assert_non_null(strstr(json_string_value(json_object_get(b, "last_drop")), "TTL 254"));
	json_decref(st);
}

int main(void)
{
	log_set_level(getenv("TEST_LOG") ? LOG_DEBUG : LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_coupling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_admin_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_keeps_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl_checked, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
