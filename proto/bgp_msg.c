/*
 * BGP messages other than UPDATE: the header (RFC 4271 4.1, 6.1), OPEN and its
 * capabilities (RFC 4271 4.2, 6.2; RFC 5492; RFC 9072), KEEPALIVE, NOTIFICATION
 * (RFC 4271 4.5; the Hard Reset of RFC 8538 3) and ROUTE-REFRESH (RFC 2918,
 * RFC 7313).
 *
 * Every byte from the peer goes through a struct rd. The framing is checked
 * once, in bgp_header_check(), before the session buffers a body; after that
 * each decoder cuts a sub-reader for every length-prefixed part (optional
 * parameter, capability) and requires it read to its end, so a field can
 * neither run into its neighbour nor leave bytes behind.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bgp_int.h"

/* Optional parameter types (RFC 5492 4, RFC 9072 2). */
enum { OPT_PARAM_CAPABILITIES = 2, OPT_PARAM_EXT_LEN = 255 };

void bgp_err_clear(struct bgp_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

void bgp_err_set(struct bgp_error *err, uint8_t code, uint8_t subcode, const void *data, size_t len,
		 const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->code = code;
	err->subcode = subcode;
	err->len = len < sizeof(err->data) ? len : sizeof(err->data);
	if (err->len)
		memcpy(err->data, data, err->len);
	va_start(ap, fmt);
	vsnprintf(err->why, sizeof(err->why), fmt, ap);
	va_end(ap);
}

void bgp_msg_begin(struct wr *w, uint8_t type)
{
	static const uint8_t marker[16] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};

	wr_bytes(w, marker, sizeof(marker));
	wr_u16(w, 0);
	wr_u8(w, type);
}

size_t bgp_msg_end(struct wr *w)
{
	if (w->full || w->len > BGP_MAX_LEN)
		return 0;
	wr_put_u16_at(w, 16, (uint16_t)w->len);
	return w->len;
}

bool bgp_af_from_wire(uint16_t afi, uint8_t safi, enum bgp_af *af)
{
	if (safi != BGP_SAFI_UNICAST)
		return false;
	if (afi == BGP_AFI_IPV4)
		*af = BGP_AF_IPV4;
	else if (afi == BGP_AFI_IPV6)
		*af = BGP_AF_IPV6;
	else
		return false;
	return true;
}

void bgp_af_to_wire(enum bgp_af af, uint16_t *afi, uint8_t *safi)
{
	*afi = af == BGP_AF_IPV4 ? BGP_AFI_IPV4 : BGP_AFI_IPV6;
	*safi = BGP_SAFI_UNICAST;
}

/* Header */

/* Length limits per type, header included (RFC 4271 6.1; RFC 2918 3 for ROUTE-REFRESH). */
static const struct {
	uint16_t min, max;
} msg_len_limits[] = {
	[BGP_OPEN] = {BGP_OPEN_MIN_LEN, BGP_MAX_LEN},
	[BGP_UPDATE] = {BGP_UPDATE_MIN_LEN, BGP_MAX_LEN},
	[BGP_NOTIFICATION] = {BGP_NOTIFICATION_MIN_LEN, BGP_MAX_LEN},
	[BGP_KEEPALIVE] = {BGP_KEEPALIVE_LEN, BGP_KEEPALIVE_LEN},
	/* Longer ones are the ROUTE-REFRESH decoder's to refuse (RFC 7313 5). */
	[BGP_ROUTE_REFRESH] = {BGP_ROUTE_REFRESH_LEN, BGP_MAX_LEN},
};

int bgp_header_check(const uint8_t *buf, size_t avail, size_t *msg_len, uint8_t *type, struct bgp_error *err)
{
	struct rd r = rd_init(buf, avail);
	uint8_t marker[16], t = 0;
	uint16_t len = 0;

	bgp_err_clear(err);
	if (avail < BGP_HEADER_LEN)
		return 0;
	rd_bytes(&r, marker, sizeof(marker));
	rd_u16(&r, &len);
	rd_u8(&r, &t);
	for (size_t i = 0; i < sizeof(marker); i++) {
		if (marker[i] != 0xff) {
			bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_NOT_SYNC, NULL, 0, "marker byte %zu is 0x%02x", i,
				    marker[i]);
			return -1;
		}
	}
	/* The data of a length error is the length field itself (RFC 4271 6.1). */
	uint8_t lenf[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	if (len < BGP_HEADER_LEN || len > BGP_MAX_LEN) {
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_LENGTH, lenf, 2, "message length %u", len);
		return -1;
	}
	if (t < BGP_OPEN || t > BGP_ROUTE_REFRESH) {
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_TYPE, &t, 1, "message type %u", t);
		return -1;
	}
	if (len < msg_len_limits[t].min || len > msg_len_limits[t].max) {
		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_LENGTH, lenf, 2, "%s of length %u", bgp_type_name(t),
			    len);
		return -1;
	}
	*msg_len = len;
	*type = t;
	return 1;
}

/* OPEN: capabilities (RFC 5492), one table row per capability vipcast reads. */

struct cap_desc {
	uint8_t code;
	const char *name;
	uint8_t min_len;
	uint8_t step;  /* the length is min_len + k * step (0: exactly min_len) */
	void (*decode)(struct rd *v, struct bgp_caps *c);
};

/* RFC 4760 8: AFI, reserved, SAFI. Families vipcast does not speak are left out. */
static void cap_mp(struct rd *v, struct bgp_caps *c)
{
	uint16_t afi = 0;
	uint8_t res = 0, safi = 0;
	enum bgp_af af;

	rd_u16(v, &afi);
	rd_u8(v, &res);
	rd_u8(v, &safi);
	if (bgp_af_from_wire(afi, safi, &af))
		c->mp[af] = true;
}

static void cap_route_refresh(struct rd *v, struct bgp_caps *c)
{
	(void)v;
	c->route_refresh = true;
}

/*
 * RFC 8950 3: tuples of NLRI AFI (2 octets), NLRI SAFI (2), next hop AFI (2).
 * Only IPv4 unicast over an IPv6 next hop is kept.
 */
static void cap_ext_next_hop(struct rd *v, struct bgp_caps *c)
{
	while (v->n >= 6) {
		uint16_t afi = 0, safi = 0, nh_afi = 0;

		rd_u16(v, &afi);
		rd_u16(v, &safi);
		rd_u16(v, &nh_afi);
		if (afi == BGP_AFI_IPV4 && safi == BGP_SAFI_UNICAST && nh_afi == BGP_AFI_IPV6)
			c->ext_nh_ipv4 = true;
	}
}

/* RFC 4724 3: restart flags and time, then AFI, SAFI, flags per family. */
static void cap_graceful_restart(struct rd *v, struct bgp_caps *c)
{
	uint16_t ft = 0;

	rd_u16(v, &ft);
	c->graceful_restart = true;
	c->gr_restarting = (ft & 0x8000) != 0;
	c->gr_notification = (ft & 0x4000) != 0;
	c->gr_time = ft & 0x0fff;
	while (v->n >= 4) {
		uint16_t afi = 0;
		uint8_t safi = 0, flags = 0;
		enum bgp_af af;

		rd_u16(v, &afi);
		rd_u8(v, &safi);
		rd_u8(v, &flags);
		if (bgp_af_from_wire(afi, safi, &af)) {
			c->gr_af[af] = true;
			c->gr_af_forwarding[af] = (flags & 0x80) != 0;
		}
	}
}

/* RFC 6793 3. */
static void cap_as4(struct rd *v, struct bgp_caps *c)
{
	c->as4 = true;
	rd_u32(v, &c->as4_number);
}

static const struct cap_desc cap_table[] = {
	{BGP_CAP_MP, "multiprotocol", 4, 0, cap_mp},
	{BGP_CAP_ROUTE_REFRESH, "route refresh", 0, 0, cap_route_refresh},
	{BGP_CAP_EXT_NEXT_HOP, "extended next hop", 6, 6, cap_ext_next_hop},
	{BGP_CAP_GRACEFUL_RESTART, "graceful restart", 2, 4, cap_graceful_restart},
	{BGP_CAP_AS4, "4-octet AS", 4, 0, cap_as4},
	{BGP_CAP_ROUTE_REFRESH_OLD, "route refresh (pre-standard)", 0, 0, cap_route_refresh},
};

static const struct cap_desc *cap_find(uint8_t code)
{
	for (size_t i = 0; i < sizeof(cap_table) / sizeof(cap_table[0]); i++)
		if (cap_table[i].code == code)
			return &cap_table[i];
	return NULL;
}

/* A malformed known capability or parameter: OPEN error, subcode Unspecific (RFC 4271 6.2). */
#define open_malformed(err, ...) bgp_err_set(err, BGP_ERR_OPEN, BGP_SUBCODE_UNSPECIFIC, NULL, 0, __VA_ARGS__)

static bool parse_capabilities(struct rd *p, struct bgp_caps *c, struct bgp_error *err)
{
	while (p->n > 0) {
		uint8_t code = 0, len = 0;
		struct rd v;

		if (!rd_u8(p, &code) || !rd_u8(p, &len) || !rd_sub(p, len, &v)) {
			open_malformed(err, "capability %u runs past its optional parameter", code);
			return false;
		}
		const struct cap_desc *d = cap_find(code);
		if (!d) {
			c->unknown++;
			continue;
		}
		if (len < d->min_len || (d->step ? (len - d->min_len) % d->step : len != d->min_len)) {
			open_malformed(err, "%s capability of length %u", d->name, len);
			return false;
		}
		d->decode(&v, c);
		if (v.bad || v.n) {
			open_malformed(err, "%s capability: %zu bytes left over", d->name, v.n);
			return false;
		}
	}
	return true;
}

/*
 * Optional parameters (RFC 4271 4.2), in the RFC 9072 extended form when the
 * length octet and the first type are both 255.
 */
static bool parse_opt_params(struct rd *r, uint8_t optlen, struct bgp_caps *c, struct bgp_error *err)
{
	bool ext = false;
	uint16_t total = optlen;
	struct rd params, peek = *r;
	uint8_t first = 0;

	if (optlen == OPT_PARAM_EXT_LEN && rd_u8(&peek, &first) && first == OPT_PARAM_EXT_LEN) {
		uint8_t marker = 0;

		ext = true;
		if (!rd_u8(r, &marker) || !rd_u16(r, &total)) {
			open_malformed(err, "extended optional parameters length cut short");
			return false;
		}
	}
	if (!rd_sub(r, total, &params)) {
		open_malformed(err, "optional parameters length %u, %zu bytes there", total, r->n);
		return false;
	}
	if (r->n) {
		open_malformed(err, "%zu bytes after the optional parameters", r->n);
		return false;
	}
	while (params.n > 0) {
		uint8_t type = 0, len8 = 0;
		uint16_t len = 0;
		struct rd v;

		rd_u8(&params, &type);
		if (ext)
			rd_u16(&params, &len);
		else if (rd_u8(&params, &len8))
			len = len8;
		if (!rd_sub(&params, len, &v)) {
			open_malformed(err, "optional parameter %u runs past the parameters", type);
			return false;
		}
		if (type != OPT_PARAM_CAPABILITIES) {
			bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_OPT_PARAM, NULL, 0,
				    "optional parameter type %u", type);
			return false;
		}
		if (!parse_capabilities(&v, c, err))
			return false;
	}
	return true;
}

bool bgp_open_decode(const uint8_t *body, size_t len, struct bgp_open *o, struct bgp_error *err)
{
	struct rd r = rd_init(body, len);
	uint8_t optlen = 0;

	memset(o, 0, sizeof(*o));
	bgp_err_clear(err);
	if (!rd_u8(&r, &o->version) || !rd_u16(&r, &o->my_as) || !rd_u16(&r, &o->hold_time) ||
	    !rd_u32(&r, &o->bgp_id) || !rd_u8(&r, &optlen)) {
		uint8_t lenf[2] = {(uint8_t)((len + BGP_HEADER_LEN) >> 8), (uint8_t)(len + BGP_HEADER_LEN)};

		bgp_err_set(err, BGP_ERR_HEADER, BGP_HDR_BAD_LENGTH, lenf, 2, "OPEN body of %zu bytes", len);
		return false;
	}
	/* RFC 4271 6.2: the data is the largest version we speak, in two octets. */
	if (o->version != 4) {
		static const uint8_t ours[2] = {0, 4};

		bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_VERSION, ours, 2, "version %u", o->version);
		return false;
	}
	if (o->my_as == 0) {  /* RFC 7607 3 */
		bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_PEER_AS, NULL, 0, "AS 0");
		return false;
	}
	if (o->hold_time == 1 || o->hold_time == 2) {
		bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_HOLD_TIME, NULL, 0, "hold time %u s", o->hold_time);
		return false;
	}
	if (o->bgp_id == 0) {  /* RFC 6286 2.2: any nonzero value */
		bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_BGP_ID, NULL, 0, "BGP Identifier 0");
		return false;
	}
	if (!parse_opt_params(&r, optlen, &o->caps, err))
		return false;
	if (o->caps.as4 && o->caps.as4_number == 0) {  /* RFC 7607 3 */
		bgp_err_set(err, BGP_ERR_OPEN, BGP_OPEN_BAD_PEER_AS, NULL, 0, "4-octet AS capability with AS 0");
		return false;
	}
	return true;
}

uint32_t bgp_open_asn(const struct bgp_open *o)
{
	return o->caps.as4 ? o->caps.as4_number : o->my_as;
}

uint16_t bgp_as2(uint32_t asn)
{
	return asn > 0xffff ? BGP_AS_TRANS : (uint16_t)asn;
}

static void put_cap_begin(struct wr *w, uint8_t code, uint8_t len)
{
	wr_u8(w, code);
	wr_u8(w, len);
}

size_t bgp_open_encode(const struct bgp_open *o, uint8_t *buf, size_t cap)
{
	struct wr w = wr_init(buf, cap);
	const struct bgp_caps *c = &o->caps;
	size_t optlen_at, caps_at;

	bgp_msg_begin(&w, BGP_OPEN);
	wr_u8(&w, 4);
	wr_u16(&w, o->my_as);
	wr_u16(&w, o->hold_time);
	wr_u32(&w, o->bgp_id);
	optlen_at = w.len;
	wr_u8(&w, 0);
	/* All capabilities in one optional parameter (RFC 5492 4 allows either). */
	wr_u8(&w, OPT_PARAM_CAPABILITIES);
	caps_at = w.len;
	wr_u8(&w, 0);
	for (int f = 0; f < BGP_AF_COUNT; f++) {
		uint16_t afi;
		uint8_t safi;

		if (!c->mp[f])
			continue;
		bgp_af_to_wire((enum bgp_af)f, &afi, &safi);
		put_cap_begin(&w, BGP_CAP_MP, 4);
		wr_u16(&w, afi);
		wr_u8(&w, 0);
		wr_u8(&w, safi);
	}
	if (c->route_refresh)
		put_cap_begin(&w, BGP_CAP_ROUTE_REFRESH, 0);
	if (c->ext_nh_ipv4) {
		put_cap_begin(&w, BGP_CAP_EXT_NEXT_HOP, 6);
		wr_u16(&w, BGP_AFI_IPV4);
		wr_u16(&w, BGP_SAFI_UNICAST);
		wr_u16(&w, BGP_AFI_IPV6);
	}
	if (c->graceful_restart) {
		uint8_t n = 0;

		for (int f = 0; f < BGP_AF_COUNT; f++)
			n += c->gr_af[f];
		put_cap_begin(&w, BGP_CAP_GRACEFUL_RESTART, (uint8_t)(2 + 4 * n));
		wr_u16(&w, (uint16_t)((c->gr_restarting ? 0x8000 : 0) | (c->gr_notification ? 0x4000 : 0) |
				      (c->gr_time & 0x0fff)));
		for (int f = 0; f < BGP_AF_COUNT; f++) {
			uint16_t afi;
			uint8_t safi;

			if (!c->gr_af[f])
				continue;
			bgp_af_to_wire((enum bgp_af)f, &afi, &safi);
			wr_u16(&w, afi);
			wr_u8(&w, safi);
			wr_u8(&w, c->gr_af_forwarding[f] ? 0x80 : 0);
		}
	}
	if (c->as4) {
		put_cap_begin(&w, BGP_CAP_AS4, 4);
		wr_u32(&w, c->as4_number);
	}
	if (w.full)
		return 0;
	if (w.len == caps_at + 1) {
		w.len -= 2;  /* no capability: no parameter */
	} else {
		w.p[caps_at] = (uint8_t)(w.len - caps_at - 1);
	}
	w.p[optlen_at] = (uint8_t)(w.len - optlen_at - 1);
	return bgp_msg_end(&w);
}

/* KEEPALIVE, NOTIFICATION */

size_t bgp_keepalive_encode(uint8_t *buf, size_t cap)
{
	struct wr w = wr_init(buf, cap);

	bgp_msg_begin(&w, BGP_KEEPALIVE);
	return bgp_msg_end(&w);
}

size_t bgp_notification_encode(uint8_t code, uint8_t subcode, const void *data, size_t len, uint8_t *buf,
			       size_t cap)
{
	struct wr w = wr_init(buf, cap);

	if (len > BGP_MAX_LEN - BGP_NOTIFICATION_MIN_LEN)
		len = BGP_MAX_LEN - BGP_NOTIFICATION_MIN_LEN;
	bgp_msg_begin(&w, BGP_NOTIFICATION);
	wr_u8(&w, code);
	wr_u8(&w, subcode);
	if (len)
		wr_bytes(&w, data, len);
	return bgp_msg_end(&w);
}

bool bgp_notification_decode(const uint8_t *body, size_t len, uint8_t *code, uint8_t *subcode,
			     const uint8_t **data, size_t *data_len)
{
	struct rd r = rd_init(body, len);

	if (!rd_u8(&r, code) || !rd_u8(&r, subcode))
		return false;
	*data = r.p;
	*data_len = r.n;
	return true;
}

size_t bgp_hard_reset_encode(uint8_t code, uint8_t subcode, const void *data, size_t len, uint8_t *buf, size_t cap)
{
	uint8_t inner[BGP_MAX_LEN - BGP_NOTIFICATION_MIN_LEN];

	if (len > sizeof(inner) - 2)
		len = sizeof(inner) - 2;
	inner[0] = code;
	inner[1] = subcode;
	if (len)
		memcpy(inner + 2, data, len);
	return bgp_notification_encode(BGP_ERR_CEASE, BGP_CEASE_HARD_RESET, inner, len + 2, buf, cap);
}

bool bgp_hard_reset_decode(const uint8_t *data, size_t len, uint8_t *code, uint8_t *subcode,
			   const uint8_t **inner, size_t *inner_len)
{
	struct rd r = rd_init(data, len);

	if (!rd_u8(&r, code) || !rd_u8(&r, subcode))
		return false;
	*inner = r.p;
	*inner_len = r.n;
	return true;
}

/* ROUTE-REFRESH */

size_t bgp_route_refresh_encode(enum bgp_af af, uint8_t *buf, size_t cap)
{
	struct wr w = wr_init(buf, cap);
	uint16_t afi;
	uint8_t safi;

	bgp_af_to_wire(af, &afi, &safi);
	bgp_msg_begin(&w, BGP_ROUTE_REFRESH);
	wr_u16(&w, afi);
	wr_u8(&w, 0);
	wr_u8(&w, safi);
	return bgp_msg_end(&w);
}

bool bgp_route_refresh_decode(const uint8_t *body, size_t len, enum bgp_af *af, struct bgp_error *err)
{
	struct rd r = rd_init(body, len);
	uint16_t afi = 0;
	uint8_t subtype = 0, safi = 0;

	bgp_err_clear(err);
	if (len != 4) {
		/* RFC 7313 5: the data is the whole message; the header is rebuilt from what it must have been. */
		uint8_t msg[sizeof(((struct bgp_error *)0)->data)];
		struct wr w = wr_init(msg, sizeof(msg));
		size_t n;

		bgp_msg_begin(&w, BGP_ROUTE_REFRESH);
		wr_put_u16_at(&w, 16, (uint16_t)(BGP_HEADER_LEN + len));
		n = len < sizeof(msg) - BGP_HEADER_LEN ? len : sizeof(msg) - BGP_HEADER_LEN;
		wr_bytes(&w, body, n);
		bgp_err_set(err, BGP_ERR_ROUTE_REFRESH, BGP_RR_BAD_LENGTH, msg, w.len, "ROUTE-REFRESH body of %zu bytes",
			    len);
		return false;
	}
	rd_u16(&r, &afi);
	rd_u8(&r, &subtype);
	rd_u8(&r, &safi);
	if (subtype != 0) {
		bgp_err_set(err, 0, 0, NULL, 0, "ROUTE-REFRESH subtype %u ignored", subtype);
		return false;
	}
	if (!bgp_af_from_wire(afi, safi, af)) {
		bgp_err_set(err, 0, 0, NULL, 0, "ROUTE-REFRESH for AFI %u SAFI %u ignored", afi, safi);
		return false;
	}
	return true;
}
