/*
 * BGP messages captured from real BIRD 2, FRR bgpd and GoBGP sessions
 * (tests/vectors/bgp/, made by capture.sh there; see MANIFEST.tsv), decoded
 * and checked against what the daemons were configured to send: ASNs, hold
 * times, capabilities, prefixes, next hops, communities, large communities,
 * MED, LOCAL_PREF, End-of-RIB, NOTIFICATIONs.
 *
 * Each message is turned into one line naming every field decoded (describe())
 * and compared with the row's line. Then it is encoded again with vipcast's
 * own encoders from what was decoded: the result must decode to the same
 * line, and for the rows marked so it must be the daemon's very bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_bgp_util.h"

struct vec {
	const char *file;
	bool as4, ibgp;      /* the session the message belongs to */
	const char *want;    /* describe() of it */
	bool same_bytes;     /* vipcast's encoder writes exactly these bytes */
};

#define BG "bird-gobgp/"
#define FB "frr-bird/"
#define AS2 "bird-gobgp-as2/"

static const struct vec vecs[] = {
	/* BIRD (AS 4200000001) and GoBGP (AS 65002), eBGP over IPv4 and IPv6 */
	{BG "v4-bird-01-open.hex", true, false,
	 "OPEN as=4200000001 my_as=23456 hold=240 id=192.0.2.1 caps=[mp4 rr as4 gr(120s v4)] unknown=2", false},
	{BG "v4-bird-02-keepalive.hex", true, false, "KEEPALIVE", true},
	{BG "v4-bird-03-update.hex", true, false,
	 "UPDATE origin=igp as_path=[4200000001] nh=192.0.2.1 med=50 comm=[64512:100 64512:200] "
	 "large=[4200000001:1:2] nlri=[198.51.100.0/24]", true},
	{BG "v4-bird-04-update.hex", true, false, "UPDATE origin=igp as_path=[4200000001] nh=192.0.2.1 nlri=[203.0.113.0/25]",
	 true},
	{BG "v4-bird-05-update.hex", true, false, "UPDATE eor=ipv4", true},
	{BG "v4-bird-06-notification.hex", true, false, "Cease / Administrative Shutdown: \"maintenance window\"", true},
	{BG "v4-gobgp-01-open.hex", true, false,
	 "OPEN as=65002 my_as=65002 hold=90 id=192.0.2.2 caps=[mp4 rr enh as4 gr(120s v4)] unknown=1", false},
	{BG "v4-gobgp-02-keepalive.hex", true, false, "KEEPALIVE", true},
	{BG "v4-gobgp-03-update.hex", true, false,
	 "UPDATE origin=igp as_path=[65002] nh=192.0.2.2 med=20 comm=[65002:300] large=[65002:3:4] nlri=[198.18.0.0/24]",
	 true},
	{BG "v4-gobgp-04-update.hex", true, false, "UPDATE eor=ipv4", true},
	{BG "v6-bird-01-open.hex", true, false,
	 "OPEN as=4200000001 my_as=23456 hold=240 id=192.0.2.1 caps=[mp6 rr as4 gr(120s v6)] unknown=2", false},
	{BG "v6-bird-02-keepalive.hex", true, false, "KEEPALIVE", true},
	{BG "v6-bird-03-update.hex", true, false,
	 "UPDATE origin=igp as_path=[4200000001] comm=[64512:600] large=[4200000001:6:6] "
	 "mp_nh=[2001:db8:a::1 fe80::ff:fe00:1] mp_nlri=[2001:db8:100::/48]", true},
	{BG "v6-bird-04-update.hex", true, false, "UPDATE eor=ipv6", true},
	{BG "v6-bird-05-route-refresh.hex", true, false, "ROUTE-REFRESH ipv6", true},
	{BG "v6-gobgp-01-open.hex", true, false,
	 "OPEN as=65002 my_as=65002 hold=90 id=192.0.2.2 caps=[mp6 rr as4 gr(120s v6)] unknown=1", false},
	{BG "v6-gobgp-02-keepalive.hex", true, false, "KEEPALIVE", true},
	/* GoBGP puts MP_REACH_NLRI in type order, after COMMUNITIES */
	{BG "v6-gobgp-03-update.hex", true, false,
	 "UPDATE origin=igp as_path=[65002] comm=[65002:600] large=[65002:6:6] mp_nh=[2001:db8:a::2] "
	 "mp_nlri=[2001:db8:200::/48]", false},
	{BG "v6-gobgp-04-update.hex", true, false, "UPDATE eor=ipv6", true},

	/* FRR and BIRD, iBGP in AS 65003 */
	{FB "v4-bird-01-open.hex", true, true,
	 "OPEN as=65003 my_as=65003 hold=240 id=192.0.2.2 caps=[mp4 rr as4 gr(120s v4)] unknown=2", false},
	{FB "v4-bird-02-keepalive.hex", true, true, "KEEPALIVE", true},
	{FB "v4-bird-03-update.hex", true, true,
	 "UPDATE origin=igp as_path=[] nh=192.0.2.2 med=40 lp=300 comm=[65003:10] large=[65003:10:20] "
	 "nlri=[198.18.10.0/24]", true},
	{FB "v4-bird-04-update.hex", true, true, "UPDATE eor=ipv4", true},
	/* FRR: one capability per optional parameter, restarting and notification bits set */
	{FB "v4-frr-01-open.hex", true, true,
	 "OPEN as=65003 my_as=65003 hold=180 id=192.0.2.1 caps=[mp4 rr as4 gr(R N 120s v4)] unknown=5", false},
	{FB "v4-frr-02-keepalive.hex", true, true, "KEEPALIVE", true},
	/* FRR writes the empty AS_PATH with an extended length */
	{FB "v4-frr-03-update.hex", true, true,
	 "UPDATE origin=igp as_path=[] nh=192.0.2.1 med=30 lp=250 comm=[65003:1 65003:2] large=[65003:5:6] "
	 "nlri=[198.51.100.128/25]", false},
	{FB "v4-frr-04-update.hex", true, true, "UPDATE origin=igp as_path=[] nh=192.0.2.1 med=0 lp=100 nlri=[203.0.113.64/26]",
	 false},
	{FB "v4-frr-05-update.hex", true, true, "UPDATE eor=ipv4", true},
	{FB "v4-frr-06-route-refresh.hex", true, true, "ROUTE-REFRESH ipv4", true},
	{FB "v4-frr-07-notification.hex", true, true,
	 "Cease / Administrative Shutdown: \"\\x22planned maintenance\\x22\"", true},
	{FB "v6-bird-01-open.hex", true, true,
	 "OPEN as=65003 my_as=65003 hold=240 id=192.0.2.2 caps=[mp6 rr as4 gr(120s v6)] unknown=2", false},
	{FB "v6-bird-02-keepalive.hex", true, true, "KEEPALIVE", true},
	{FB "v6-bird-03-update.hex", true, true,
	 "UPDATE origin=igp as_path=[] lp=310 mp_nh=[2001:db8:b::2 fe80::ff:fe00:2] mp_nlri=[2001:db8:400::/48]", true},
	{FB "v6-bird-04-update.hex", true, true, "UPDATE eor=ipv6", true},
	{FB "v6-bird-05-notification.hex", true, true, "Cease / Administrative Shutdown", true},
	{FB "v6-frr-01-open.hex", true, true,
	 "OPEN as=65003 my_as=65003 hold=180 id=192.0.2.1 caps=[mp6 rr as4 gr(R N 120s v6)] unknown=5", false},
	{FB "v6-frr-02-keepalive.hex", true, true, "KEEPALIVE", true},
	/* FRR without zebra knows no link-local address: a 16-byte next hop */
	{FB "v6-frr-03-update.hex", true, true,
	 "UPDATE origin=igp as_path=[] med=0 lp=260 comm=[65003:6] large=[65003:6:6] mp_nh=[2001:db8:b::1] "
	 "mp_nlri=[2001:db8:300::/48]", false},
	{FB "v6-frr-04-update.hex", true, true, "UPDATE eor=ipv6", true},

	/* BIRD 4200000001 with the 4-octet capability off, GoBGP 65002: a 2-octet session */
	{AS2 "v4-bird-01-open.hex", false, false, "OPEN as=23456 my_as=23456 hold=240 id=192.0.2.1 caps=[mp4 rr gr(120s)] unknown=2",
	 false},
	{AS2 "v4-bird-02-keepalive.hex", false, false, "KEEPALIVE", true},
	{AS2 "v4-bird-03-update.hex", false, false,
	 "UPDATE origin=igp as_path=[23456] as4_path=[4200000001] nh=192.0.2.1 comm=[64512:23] "
	 "large=[4200000001:23:456] nlri=[198.51.100.0/25]", true},
	{AS2 "v4-bird-04-update.hex", false, false, "UPDATE eor=ipv4", true},
	{AS2 "v4-gobgp-01-open.hex", false, false, "OPEN as=65002 my_as=65002 hold=90 id=192.0.2.2 caps=[mp4 rr enh as4] unknown=1",
	 false},
	{AS2 "v4-gobgp-02-keepalive.hex", false, false, "KEEPALIVE", true},
	{AS2 "v4-gobgp-03-update.hex", false, false,
	 "UPDATE origin=igp as_path=[65002] nh=192.0.2.2 comm=[65002:78] large=[65002:7:8] nlri=[198.18.20.0/24]", true},

	/* FRR expecting AS 65099 answers BIRD's OPEN (AS 65001) */
	{"frr-bird-bad-as/v4-frr-01-notification.hex", true, false, "OPEN Message Error / Bad Peer AS (data fd e9)", true},
};

/* describe(): one line per message */

struct line {
	char s[2048];
	size_t n;
};

__attribute__((format(printf, 2, 3)))
static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int k = vsnprintf(l->s + l->n, sizeof(l->s) - l->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof(l->s) - l->n)
		fail_msg("description too long");
	l->n += (size_t)k;
}

static void add_addr(struct line *l, int af, const uint8_t *a)
{
	char s[64];

	inet_ntop(af, a, s, sizeof(s));
	add(l, "%s", s);
}

static void add_prefixes(struct line *l, const char *name, const uint8_t *p, size_t len, uint8_t family)
{
	struct bgp_prefix x;
	bool first = true;

	add(l, " %s=[", name);
	while (bgp_nlri_next(&p, &len, family, &x)) {
		char s[PREFIX_STRLEN];

		prefix_format(&x, s);
		add(l, "%s%s", first ? "" : " ", s);
		first = false;
	}
	add(l, "]");
	assert_int_equal(len, 0);
}

static void add_path(struct line *l, const char *name, const uint8_t *p, size_t len, bool as4)
{
	struct bgp_as_path_iter it;
	uint8_t seg;
	uint32_t asn;
	bool first = true;

	add(l, " %s=[", name);
	bgp_as_path_iter_init(&it, p, len, as4);
	while (bgp_as_path_iter_next(&it, &seg, &asn)) {
		add(l, "%s%s%u", first ? "" : " ", seg == BGP_AS_SEQUENCE ? "" : "set:", asn);
		first = false;
	}
	add(l, "]");
}

static void describe_open(const struct bgp_open *o, struct line *l)
{
	const struct bgp_caps *c = &o->caps;
	uint8_t id[4] = {(uint8_t)(o->bgp_id >> 24), (uint8_t)(o->bgp_id >> 16), (uint8_t)(o->bgp_id >> 8),
			 (uint8_t)o->bgp_id};

	add(l, "OPEN as=%u my_as=%u hold=%u id=", bgp_open_asn(o), o->my_as, o->hold_time);
	add_addr(l, AF_INET, id);
	add(l, " caps=[");
	const char *sep = "";
	if (c->mp[BGP_AF_IPV4])
		add(l, "%smp4", sep), sep = " ";
	if (c->mp[BGP_AF_IPV6])
		add(l, "%smp6", sep), sep = " ";
	if (c->route_refresh)
		add(l, "%srr", sep), sep = " ";
	if (c->ext_nh_ipv4)
		add(l, "%senh", sep), sep = " ";
	if (c->as4)
		add(l, "%sas4", sep), sep = " ";
	if (c->graceful_restart) {
		add(l, "%sgr(%s%s%us", sep, c->gr_restarting ? "R " : "", c->gr_notification ? "N " : "", c->gr_time);
		for (int f = 0; f < BGP_AF_COUNT; f++)
			if (c->gr_af[f])
				add(l, " v%d%s", f == BGP_AF_IPV4 ? 4 : 6, c->gr_af_forwarding[f] ? "F" : "");
		add(l, ")");
	}
	add(l, "] unknown=%u", c->unknown);
}

static void describe_update(const struct bgp_update *u, bool as4, struct line *l)
{
	static const char *const origins[] = {"igp", "egp", "incomplete"};

	add(l, "UPDATE");
	if (u->withdrawn_len)
		add_prefixes(l, "withdrawn", u->withdrawn, u->withdrawn_len, 4);
	if (u->attrs_seen & (1u << BGP_ATTR_ORIGIN))
		add(l, " origin=%s", origins[u->origin]);
	if (u->attrs_seen & (1u << BGP_ATTR_AS_PATH))
		add_path(l, "as_path", u->as_path, u->as_path_len, as4);
	if (u->as4_path)
		add_path(l, "as4_path", u->as4_path, u->as4_path_len, true);
	if (u->attrs_seen & (1u << BGP_ATTR_NEXT_HOP))
		add(l, " nh="), add_addr(l, AF_INET, u->next_hop);
	if (u->attrs_seen & (1u << BGP_ATTR_MED))
		add(l, " med=%u", u->med);
	if (u->attrs_seen & (1u << BGP_ATTR_LOCAL_PREF))
		add(l, " lp=%u", u->local_pref);
	if (u->ncommunities) {
		add(l, " comm=[");
		for (size_t i = 0; i < u->ncommunities; i++) {
			uint32_t c = bgp_community_at(u, i);
			add(l, "%s%u:%u", i ? " " : "", c >> 16, c & 0xffff);
		}
		add(l, "]");
	}
	if (u->nlarge_communities) {
		add(l, " large=[");
		for (size_t i = 0; i < u->nlarge_communities; i++) {
			uint32_t c[3];
			bgp_large_community_at(u, i, c);
			add(l, "%s%u:%u:%u", i ? " " : "", c[0], c[1], c[2]);
		}
		add(l, "]");
	}
	if (u->nlri_len)
		add_prefixes(l, "nlri", u->nlri, u->nlri_len, 4);
	if (u->mp_reach) {
		add(l, " mp_nh=[");
		if (!u->mp_next_hop_v6) {
			add_addr(l, AF_INET, u->mp_next_hop_v4);
		} else {
			add_addr(l, AF_INET6, u->mp_next_hop);
			if (u->mp_next_hop_has_ll)
				add(l, " "), add_addr(l, AF_INET6, u->mp_next_hop_ll);
		}
		add(l, "]");
		add_prefixes(l, "mp_nlri", u->mp_nlri, u->mp_nlri_len, u->mp_reach_af == BGP_AF_IPV4 ? 4 : 6);
	}
	if (u->mp_unreach && u->mp_withdrawn_len)
		add_prefixes(l, "mp_withdrawn", u->mp_withdrawn, u->mp_withdrawn_len,
			     u->mp_unreach_af == BGP_AF_IPV4 ? 4 : 6);
	if (u->end_of_rib)
		add(l, " eor=%s", u->end_of_rib_af == BGP_AF_IPV4 ? "ipv4" : "ipv6");
	if (u->treat_as_withdraw)
		add(l, " treat-as-withdraw(%s)", u->why);
	if (u->discarded)
		add(l, " discarded=%u", u->discarded);
}

/* Decodes a whole message into l; returns its type. */
static uint8_t describe(const uint8_t *m, size_t n, bool as4, bool ibgp, struct line *l)
{
	size_t mlen;
	uint8_t type;
	struct bgp_error err;
	const uint8_t *body = m + BGP_HEADER_LEN;
	size_t blen = n - BGP_HEADER_LEN;

	l->n = 0;
	l->s[0] = '\0';
	if (bgp_header_check(m, n, &mlen, &type, &err) != 1)
		fail_msg("header: %s", err.why);
	assert_int_equal(mlen, n);
	switch (type) {
	case BGP_OPEN: {
		struct bgp_open o;
		if (!bgp_open_decode(body, blen, &o, &err))
			fail_msg("OPEN: %s", err.why);
		describe_open(&o, l);
		break;
	}
	case BGP_UPDATE: {
		struct bgp_update u;
		if (!bgp_update_decode(body, blen, as4, ibgp, &u, &err))
			fail_msg("UPDATE: %s", err.why);
		describe_update(&u, as4, l);
		break;
	}
	case BGP_NOTIFICATION: {
		uint8_t code, sub;
		const uint8_t *data;
		size_t dlen;
		assert_true(bgp_notification_decode(body, blen, &code, &sub, &data, &dlen));
		bgp_notification_format(code, sub, data, dlen, l->s, sizeof(l->s));
		break;
	}
	case BGP_KEEPALIVE:
		add(l, "KEEPALIVE");
		break;
	case BGP_ROUTE_REFRESH: {
		enum bgp_af af;
		if (!bgp_route_refresh_decode(body, blen, &af, &err))
			fail_msg("ROUTE-REFRESH: %s", err.why);
		add(l, "ROUTE-REFRESH %s", af == BGP_AF_IPV4 ? "ipv4" : "ipv6");
		break;
	}
	}
	return type;
}

/* Encoding again, with vipcast's encoders, from what was decoded */

static size_t reencode_update(const uint8_t *body, size_t blen, bool as4, bool ibgp, uint8_t *buf, size_t cap)
{
	struct bgp_update u;
	struct bgp_route_attrs a = {.ebgp = !ibgp, .peer_as4 = as4};
	static uint32_t comms[1024], large[1024][3];
	struct bgp_prefix pfx[1024];
	size_t n = 0, used = 0;
	const uint8_t *p;
	size_t plen;
	uint8_t family;

	assert_true(bgp_update_decode(body, blen, as4, ibgp, &u, NULL));
	if (u.end_of_rib)
		return bgp_end_of_rib_encode(u.end_of_rib_af, buf, cap);
	a.origin = u.origin;
	/* vipcast sends one AS_SEQUENCE of its own AS: the first ASN, the real one from AS4_PATH. */
	struct bgp_as_path_iter it;
	uint8_t seg;
	uint32_t asn = 0;
	bgp_as_path_iter_init(&it, u.as4_path ? u.as4_path : u.as_path, u.as4_path ? u.as4_path_len : u.as_path_len,
			      u.as4_path ? true : as4);
	if (bgp_as_path_iter_next(&it, &seg, &asn))
		a.local_as = asn;
	memcpy(a.next_hop4, u.next_hop, 4);
	memcpy(a.next_hop6, u.mp_next_hop, 16);
	memcpy(a.next_hop6_ll, u.mp_next_hop_ll, 16);
	a.has_next_hop6_ll = u.mp_next_hop_has_ll;
	a.has_med = u.attrs_seen & (1u << BGP_ATTR_MED);
	a.med = u.med;
	a.has_local_pref = u.attrs_seen & (1u << BGP_ATTR_LOCAL_PREF);
	a.local_pref = u.local_pref;
	for (size_t i = 0; i < u.ncommunities; i++)
		comms[i] = bgp_community_at(&u, i);
	a.communities = comms;
	a.ncommunities = u.ncommunities;
	for (size_t i = 0; i < u.nlarge_communities; i++)
		bgp_large_community_at(&u, i, large[i]);
	a.large_communities = (const uint32_t(*)[3])large;
	a.nlarge_communities = u.nlarge_communities;
	p = u.mp_reach ? u.mp_nlri : u.nlri;
	plen = u.mp_reach ? u.mp_nlri_len : u.nlri_len;
	family = u.mp_reach ? 6 : 4;
	while (n < N(pfx) && bgp_nlri_next(&p, &plen, family, &pfx[n]))
		n++;
	size_t len = bgp_update_encode(&a, pfx, n, &used, buf, cap);
	assert_int_equal(used, n);
	return len;
}

static size_t reencode(const uint8_t *m, size_t n, bool as4, bool ibgp, uint8_t *buf, size_t cap)
{
	const uint8_t *body = m + BGP_HEADER_LEN;
	size_t blen = n - BGP_HEADER_LEN;

	switch (m[18]) {
	case BGP_OPEN: {
		struct bgp_open o;
		assert_true(bgp_open_decode(body, blen, &o, NULL));
		return bgp_open_encode(&o, buf, cap);
	}
	case BGP_UPDATE:
		return reencode_update(body, blen, as4, ibgp, buf, cap);
	case BGP_NOTIFICATION: {
		uint8_t code, sub;
		const uint8_t *data;
		size_t dlen;
		assert_true(bgp_notification_decode(body, blen, &code, &sub, &data, &dlen));
		return bgp_notification_encode(code, sub, data, dlen, buf, cap);
	}
	case BGP_KEEPALIVE:
		return bgp_keepalive_encode(buf, cap);
	case BGP_ROUTE_REFRESH: {
		enum bgp_af af;
		assert_true(bgp_route_refresh_decode(body, blen, &af, NULL));
		return bgp_route_refresh_encode(af, buf, cap);
	}
	}
	return 0;
}

static uint8_t *read_vector(const char *name, size_t *len)
{
	char path[512], text[BGP_MAX_LEN * 4];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/vectors/bgp/%s", TEST_DATA_DIR, name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return hex_exact(text, len);
}

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(vecs); i++) {
		const struct vec *v = &vecs[i];
		size_t n, rn;
		uint8_t *m = read_vector(v->file, &n), re[BGP_MAX_LEN];
		struct line got, again;
		uint8_t type = describe(m, n, v->as4, v->ibgp, &got);

		if (strcmp(got.s, v->want) != 0)
			fail_msg("%s:\n got  %s\n want %s", v->file, got.s, v->want);
		rn = reencode(m, n, v->as4, v->ibgp, re, sizeof(re));
		assert_true(rn > 0);
		describe(re, rn, v->as4, v->ibgp, &again);
		if (type == BGP_OPEN) {
			/* Unknown capabilities are not sent again. */
			char *u = strstr(got.s, " unknown=");
			assert_non_null(u);
			strcpy(u, " unknown=0");
		}
		if (strcmp(again.s, got.s) != 0)
			fail_msg("%s encoded again:\n got  %s\n want %s", v->file, again.s, got.s);
		if (v->same_bytes)
			expect_bytes(v->file, re, rn, m, n);
		free(m);
	}
}

/* Every file of the manifest has a row here, and every row a line in the manifest. */
static void test_manifest_complete(void **state)
{
	char path[512], line[1024];
	size_t rows = 0;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/vectors/bgp/MANIFEST.tsv", TEST_DATA_DIR);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		char *tab = strchr(line, '\t');
		assert_non_null(tab);
		*tab = '\0';
		bool found = false;
		for (size_t i = 0; i < N(vecs); i++)
			found |= strcmp(vecs[i].file, line) == 0;
		if (!found)
			fail_msg("%s is in MANIFEST.tsv but not tested", line);
		rows++;
	}
	fclose(f);
	assert_int_equal(rows, N(vecs));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_manifest_complete),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
