/* BFD control packets (RFC 5880): see bfd.h. */
#include "bfd.h"

#include "wire.h"

static const char *const err_names[BFD_ERR_MAX] = {
	[BFD_OK] = "ok",
	[BFD_ERR_TRUNCATED] = "packet shorter than 4 bytes",
	[BFD_ERR_VERSION] = "version is not 1",
	[BFD_ERR_LEN_SHORT] = "Length below 24 (26 with authentication)",
	[BFD_ERR_LEN_PAYLOAD] = "Length beyond the payload",
	[BFD_ERR_DETECT_MULT] = "Detect Mult is zero",
	[BFD_ERR_MULTIPOINT] = "Multipoint bit set",
	[BFD_ERR_MY_DISC] = "My Discriminator is zero",
	[BFD_ERR_YOUR_DISC] = "Your Discriminator is zero outside Down and AdminDown",
	[BFD_ERR_TRAILING] = "Length above 24 without authentication",
	[BFD_ERR_AUTH_LEN] = "Auth Len does not match Length",
	[BFD_ERR_AUTH_TYPE] = "unknown Auth Type",
	[BFD_ERR_AUTH_TYPE_LEN] = "Auth Len wrong for its Auth Type",
};

const char *bfd_err_str(enum bfd_err e)
{
	return (unsigned)e < BFD_ERR_MAX ? err_names[e] : "unknown error";
}

const char *bfd_state_name(uint8_t state)
{
	static const char *const names[] = {"AdminDown", "Down", "Init", "Up"};

	return state < 4 ? names[state] : "invalid";
}

const char *bfd_diag_name(uint8_t diag)
{
	static const char *const names[] = {
		[BFD_DIAG_NONE] = "No Diagnostic",
		[BFD_DIAG_CTRL_EXPIRED] = "Control Detection Time Expired",
		[BFD_DIAG_ECHO_FAILED] = "Echo Function Failed",
		[BFD_DIAG_NEIGHBOR_DOWN] = "Neighbor Signaled Session Down",
		[BFD_DIAG_FWD_RESET] = "Forwarding Plane Reset",
		[BFD_DIAG_PATH_DOWN] = "Path Down",
		[BFD_DIAG_CONCAT_PATH_DOWN] = "Concatenated Path Down",
		[BFD_DIAG_ADMIN_DOWN] = "Administratively Down",
		[BFD_DIAG_REV_CONCAT_PATH_DOWN] = "Reverse Concatenated Path Down",
		[BFD_DIAG_MISCONNECTIVITY] = "Mis-Connectivity Defect",
	};

	if (diag < sizeof(names) / sizeof(names[0]))
		return names[diag];
	return diag <= BFD_DIAG_MAX ? "reserved" : "invalid";
}

const char *bfd_auth_type_name(uint8_t type)
{
	static const char *const names[] = {
		[BFD_AUTH_NONE] = "none",
		[BFD_AUTH_SIMPLE] = "Simple Password",
		[BFD_AUTH_KEYED_MD5] = "Keyed MD5",
		[BFD_AUTH_METICULOUS_MD5] = "Meticulous Keyed MD5",
		[BFD_AUTH_KEYED_SHA1] = "Keyed SHA1",
		[BFD_AUTH_METICULOUS_SHA1] = "Meticulous Keyed SHA1",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "reserved";
}

/* Sections 4.2-4.4: type, len, key ID, then a password, or reserved, sequence and digest/hash. */
size_t bfd_auth_len(uint8_t type, size_t password_len)
{
	switch (type) {
	case BFD_AUTH_SIMPLE:
		return password_len >= 1 && password_len <= BFD_AUTH_PASSWORD_MAX ? 3 + password_len : 0;
	case BFD_AUTH_KEYED_MD5:
	case BFD_AUTH_METICULOUS_MD5:
		return 8 + BFD_MD5_LEN;
	case BFD_AUTH_KEYED_SHA1:
	case BFD_AUTH_METICULOUS_SHA1:
		return 8 + BFD_SHA1_LEN;
	default:
		return 0;
	}
}

/* The section after the 24 bytes, exactly Auth Len long (A set). */
static enum bfd_err auth_decode(struct rd *r, struct bfd_auth *a)
{
	uint8_t len;

	rd_u8(r, &a->type);
	rd_u8(r, &len);
	if (r->bad || len != r->n + 2)
		return BFD_ERR_AUTH_LEN;
	if (a->type == BFD_AUTH_NONE || a->type > BFD_AUTH_METICULOUS_SHA1)
		return BFD_ERR_AUTH_TYPE;
	if (len != bfd_auth_len(a->type, len >= 3 ? len - 3u : 0))
		return BFD_ERR_AUTH_TYPE_LEN;
	rd_u8(r, &a->key_id);
	if (a->type != BFD_AUTH_SIMPLE) {
		rd_skip(r, 1);  /* Reserved: "ignored on receipt" */
		rd_u32(r, &a->seq);
	}
	a->data = r->p;
	a->data_len = (uint8_t)r->n;
	rd_skip(r, r->n);
	return r->bad ? BFD_ERR_AUTH_LEN : BFD_OK;
}

enum bfd_err bfd_decode(const uint8_t *p, size_t len, struct bfd_ctrl *out)
{
	struct rd r = rd_init(p, len), body;
	struct bfd_ctrl c = {0};
	uint8_t b0, b1;

	rd_u8(&r, &b0);
	rd_u8(&r, &b1);
	rd_u8(&r, &c.detect_mult);
	rd_u8(&r, &c.length);
	if (r.bad)
		return BFD_ERR_TRUNCATED;
	c.diag = b0 & 0x1f;
	c.state = b1 >> 6;
	c.poll = b1 & BFD_FLAG_P;
	c.final = b1 & BFD_FLAG_F;
	c.cpi = b1 & BFD_FLAG_C;
	c.demand = b1 & BFD_FLAG_D;
	c.multipoint = b1 & BFD_FLAG_M;
	bool a = b1 & BFD_FLAG_A;

	/* Section 6.8.6, in its order. */
	if (b0 >> 5 != BFD_VERSION)
		return BFD_ERR_VERSION;
	if (c.length < BFD_CTRL_LEN || (a && c.length < BFD_CTRL_LEN + 2))
		return BFD_ERR_LEN_SHORT;
	if (!rd_sub(&r, c.length - 4u, &body))
		return BFD_ERR_LEN_PAYLOAD;
	if (c.detect_mult == 0)
		return BFD_ERR_DETECT_MULT;
	if (c.multipoint)
		return BFD_ERR_MULTIPOINT;
	rd_u32(&body, &c.my_disc);
	rd_u32(&body, &c.your_disc);
	rd_u32(&body, &c.desired_min_tx_us);
	rd_u32(&body, &c.required_min_rx_us);
	rd_u32(&body, &c.required_min_echo_rx_us);
	if (body.bad)
		return BFD_ERR_LEN_SHORT;  /* unreachable: Length >= 24 */
	if (c.my_disc == 0)
		return BFD_ERR_MY_DISC;
	if (c.your_disc == 0 && c.state != BFD_DOWN && c.state != BFD_ADMIN_DOWN)
		return BFD_ERR_YOUR_DISC;
	if (!a) {
		if (body.n != 0)
			return BFD_ERR_TRAILING;
	} else {
		enum bfd_err e = auth_decode(&body, &c.auth);
		if (e != BFD_OK)
			return e;
	}
	*out = c;
	return BFD_OK;
}

size_t bfd_encode(const struct bfd_ctrl *c, uint8_t *buf, size_t cap)
{
	const struct bfd_auth *a = &c->auth;
	size_t alen = 0;

	if (c->diag > BFD_DIAG_MAX || c->state > BFD_UP)
		return 0;
	if (a->type != BFD_AUTH_NONE) {
		alen = bfd_auth_len(a->type, a->data_len);
		size_t fixed = a->type == BFD_AUTH_SIMPLE ? 3 : 8;
		if (alen == 0 || alen != fixed + a->data_len || !a->data)
			return 0;
	}

	struct wr w = wr_init(buf, cap);
	uint8_t flags = (uint8_t)(c->state << 6);
	flags |= c->poll ? BFD_FLAG_P : 0;
	flags |= c->final ? BFD_FLAG_F : 0;
	flags |= c->cpi ? BFD_FLAG_C : 0;
	flags |= alen ? BFD_FLAG_A : 0;
	flags |= c->demand ? BFD_FLAG_D : 0;
	flags |= c->multipoint ? BFD_FLAG_M : 0;
	wr_u8(&w, (uint8_t)(BFD_VERSION << 5 | c->diag));
	wr_u8(&w, flags);
	wr_u8(&w, c->detect_mult);
	wr_u8(&w, (uint8_t)(BFD_CTRL_LEN + alen));
	wr_u32(&w, c->my_disc);
	wr_u32(&w, c->your_disc);
	wr_u32(&w, c->desired_min_tx_us);
	wr_u32(&w, c->required_min_rx_us);
	wr_u32(&w, c->required_min_echo_rx_us);
	if (alen) {
		wr_u8(&w, a->type);
		wr_u8(&w, (uint8_t)alen);
		wr_u8(&w, a->key_id);
		if (a->type != BFD_AUTH_SIMPLE) {
			wr_u8(&w, 0);
			wr_u32(&w, a->seq);
		}
		wr_bytes(&w, a->data, a->data_len);
	}
	return w.full ? 0 : w.len;
}
