/*
 * Names of BGP message types and NOTIFICATION codes and subcodes, for logs
 * (RFC 4271 4.5 and 6, RFC 4486, RFC 5492, RFC 6608, RFC 7313, RFC 8538,
 * RFC 9234, RFC 9384, RFC 9687), and one formatter for a whole NOTIFICATION that shows
 * its data the way each RFC defines it, an RFC 8203/9003 shutdown
 * communication included.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bgp_int.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const type_names[] = {
	[BGP_OPEN] = "OPEN",
	[BGP_UPDATE] = "UPDATE",
	[BGP_NOTIFICATION] = "NOTIFICATION",
	[BGP_KEEPALIVE] = "KEEPALIVE",
	[BGP_ROUTE_REFRESH] = "ROUTE-REFRESH",
};

static const char *const code_names[] = {
	[BGP_ERR_HEADER] = "Message Header Error",
	[BGP_ERR_OPEN] = "OPEN Message Error",
	[BGP_ERR_UPDATE] = "UPDATE Message Error",
	[BGP_ERR_HOLD] = "Hold Timer Expired",
	[BGP_ERR_FSM] = "Finite State Machine Error",
	[BGP_ERR_CEASE] = "Cease",
	[BGP_ERR_ROUTE_REFRESH] = "ROUTE-REFRESH Message Error",
	[BGP_ERR_SEND_HOLD] = "Send Hold Timer Expired",
};

static const char *const header_names[] = {
	[BGP_HDR_NOT_SYNC] = "Connection Not Synchronized",
	[BGP_HDR_BAD_LENGTH] = "Bad Message Length",
	[BGP_HDR_BAD_TYPE] = "Bad Message Type",
};

static const char *const open_names[] = {
	[BGP_OPEN_BAD_VERSION] = "Unsupported Version Number",
	[BGP_OPEN_BAD_PEER_AS] = "Bad Peer AS",
	[BGP_OPEN_BAD_BGP_ID] = "Bad BGP Identifier",
	[BGP_OPEN_BAD_OPT_PARAM] = "Unsupported Optional Parameter",
	[5] = "Authentication Failure (deprecated)",
	[BGP_OPEN_BAD_HOLD_TIME] = "Unacceptable Hold Time",
	[BGP_OPEN_BAD_CAPABILITY] = "Unsupported Capability",
	[BGP_OPEN_ROLE_MISMATCH] = "Role Mismatch",
};

static const char *const update_names[] = {
	[BGP_UPD_MALFORMED_ATTR_LIST] = "Malformed Attribute List",
	[BGP_UPD_UNRECOGNIZED_WELLKNOWN] = "Unrecognized Well-known Attribute",
	[BGP_UPD_MISSING_WELLKNOWN] = "Missing Well-known Attribute",
	[BGP_UPD_ATTR_FLAGS] = "Attribute Flags Error",
	[BGP_UPD_ATTR_LENGTH] = "Attribute Length Error",
	[BGP_UPD_BAD_ORIGIN] = "Invalid ORIGIN Attribute",
	[7] = "AS Routing Loop (deprecated)",
	[BGP_UPD_BAD_NEXT_HOP] = "Invalid NEXT_HOP Attribute",
	[BGP_UPD_OPTIONAL_ATTR] = "Optional Attribute Error",
	[BGP_UPD_BAD_NETWORK] = "Invalid Network Field",
	[BGP_UPD_MALFORMED_AS_PATH] = "Malformed AS_PATH",
};

static const char *const fsm_names[] = {
	[BGP_FSM_IN_OPENSENT] = "Receive Unexpected Message in OpenSent State",
	[BGP_FSM_IN_OPENCONFIRM] = "Receive Unexpected Message in OpenConfirm State",
	[BGP_FSM_IN_ESTABLISHED] = "Receive Unexpected Message in Established State",
};

static const char *const cease_names[] = {
	[BGP_CEASE_MAX_PREFIXES] = "Maximum Number of Prefixes Reached",
	[BGP_CEASE_ADMIN_SHUTDOWN] = "Administrative Shutdown",
	[BGP_CEASE_PEER_DECONFIGURED] = "Peer De-configured",
	[BGP_CEASE_ADMIN_RESET] = "Administrative Reset",
	[BGP_CEASE_CONNECTION_REJECTED] = "Connection Rejected",
	[BGP_CEASE_CONFIG_CHANGE] = "Other Configuration Change",
	[BGP_CEASE_COLLISION] = "Connection Collision Resolution",
	[BGP_CEASE_OUT_OF_RESOURCES] = "Out of Resources",
	[BGP_CEASE_HARD_RESET] = "Hard Reset",
	[BGP_CEASE_BFD_DOWN] = "BFD Down",
};

static const char *const rr_names[] = {
	[BGP_RR_BAD_LENGTH] = "Invalid Message Length",
};

static const struct {
	const char *const *names;
	size_t n;
} subcode_tables[] = {
	[BGP_ERR_HEADER] = {header_names, N(header_names)},
	[BGP_ERR_OPEN] = {open_names, N(open_names)},
	[BGP_ERR_UPDATE] = {update_names, N(update_names)},
	[BGP_ERR_FSM] = {fsm_names, N(fsm_names)},
	[BGP_ERR_CEASE] = {cease_names, N(cease_names)},
	[BGP_ERR_ROUTE_REFRESH] = {rr_names, N(rr_names)},
};

static const char *lookup(const char *const *names, size_t n, uint8_t v)
{
	return v < n && names[v] ? names[v] : NULL;
}

const char *bgp_type_name(uint8_t type)
{
	const char *s = lookup(type_names, N(type_names), type);

	return s ? s : "unknown";
}

const char *bgp_err_code_name(uint8_t code)
{
	const char *s = lookup(code_names, N(code_names), code);

	return s ? s : "Unknown Error Code";
}

const char *bgp_err_subcode_name(uint8_t code, uint8_t subcode)
{
	const char *s = NULL;

	if (subcode == BGP_SUBCODE_UNSPECIFIC)
		return "Unspecific";
	if (code < N(subcode_tables) && subcode_tables[code].names)
		s = lookup(subcode_tables[code].names, subcode_tables[code].n, subcode);
	return s ? s : "Unknown Subcode";
}

/* A bounded appender: keeps the snprintf count, never writes past cap. */
struct out {
	char *buf;
	size_t cap;
	int len;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t at = (size_t)o->len < o->cap ? (size_t)o->len : o->cap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf ? o->buf + at : NULL, o->cap - at, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += n;
}

/* Length of the UTF-8 sequence starting at p (at most n bytes), 0 when it is not one. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	size_t k;
	uint32_t cp, min;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		k = 2, cp = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		k = 3, cp = p[0] & 0x0f, min = 0x800;
	else if ((p[0] & 0xf8) == 0xf0)
		k = 4, cp = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

/* Peer-supplied text, quoted: valid UTF-8 as is, control and invalid bytes as \xNN. */
static void put_text(struct out *o, const uint8_t *p, size_t n)
{
	put(o, "\"");
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(p + i, n - i);

		if (k == 1 && p[i] >= 0x20 && p[i] != 0x7f && p[i] != '"' && p[i] != '\\')
			put(o, "%c", p[i]);
		else if (k > 1)
			put(o, "%.*s", (int)k, (const char *)p + i);
		else
			put(o, "\\x%02x", p[i]), k = 1;
		i += k;
	}
	put(o, "\"");
}

static void put_hex(struct out *o, const uint8_t *p, size_t n)
{
	size_t shown = n < 48 ? n : 48;

	put(o, " (data");
	for (size_t i = 0; i < shown; i++)
		put(o, " %02x", p[i]);
	if (shown < n)
		put(o, " ... %zu bytes", n);
	put(o, ")");
}

int bgp_notification_format(uint8_t code, uint8_t subcode, const uint8_t *data, size_t len, char *buf,
			    size_t cap)
{
	struct out o = {.buf = cap ? buf : NULL, .cap = cap};

	if (cap)
		buf[0] = '\0';
	put(&o, "%s / %s", bgp_err_code_name(code), bgp_err_subcode_name(code, subcode));
	if (code == BGP_ERR_HEADER && subcode == BGP_HDR_BAD_LENGTH && len == 2) {
		put(&o, " (length %u)", (unsigned)(data[0] << 8 | data[1]));
	} else if (code == BGP_ERR_HEADER && subcode == BGP_HDR_BAD_TYPE && len == 1) {
		put(&o, " (type %u)", data[0]);
	} else if (code == BGP_ERR_OPEN && subcode == BGP_OPEN_BAD_VERSION && len == 2) {
		put(&o, " (peer speaks version %u)", (unsigned)(data[0] << 8 | data[1]));
	} else if (code == BGP_ERR_UPDATE && subcode == BGP_UPD_MISSING_WELLKNOWN && len == 1) {
		put(&o, " (%s)", bgp_attr_name(data[0]));
	} else if (code == BGP_ERR_CEASE &&
		   (subcode == BGP_CEASE_ADMIN_SHUTDOWN || subcode == BGP_CEASE_ADMIN_RESET) && len > 0 &&
		   data[0] == len - 1) {
		/* RFC 9003 2: a length octet, then that many bytes of UTF-8. */
		put(&o, ": ");
		put_text(&o, data + 1, len - 1);
	} else if (code == BGP_ERR_CEASE && subcode == BGP_CEASE_HARD_RESET && len >= 2) {
		/* RFC 8538 3: the reason's code, subcode and data inside. */
		put(&o, " for %s / %s", bgp_err_code_name(data[0]), bgp_err_subcode_name(data[0], data[1]));
		if (len > 2)
			put_hex(&o, data + 2, len - 2);
	} else if (len > 0) {
		put_hex(&o, data, len);
	}
	return o.len;
}
