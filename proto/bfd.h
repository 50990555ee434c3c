/*
 * BFD control packets (RFC 5880 section 4), as carried in UDP (RFC 5881
 * single hop, port 3784; RFC 5883 multihop, port 4784).
 *
 * The mandatory section (4.1) is 24 bytes: version and diagnostic, state
 * and the flags P F C A D M, detect multiplier, length, my and your
 * discriminators, desired min TX, required min RX and required min echo RX
 * intervals (microseconds). With the A bit an authentication section
 * follows (4.2 simple password, 4.3 keyed and meticulous keyed MD5, 4.4
 * keyed and meticulous keyed SHA1).
 *
 * Decoding applies every rule of section 6.8.6 that says a packet "MUST be
 * discarded" and depends on the packet alone, in the RFC's order, each with
 * its own error: version not 1; Length below 24 (26 with A); Length beyond
 * the payload; detect multiplier 0; M set; my discriminator 0; your
 * discriminator 0 outside Down and AdminDown. The authentication section is
 * checked for structure: its Auth Len must cover exactly the rest of Length
 * and fit its type (password 1-16 bytes, MD5 24, SHA1 28), and an unknown
 * type is refused; without A, Length must be 24 (there is no other section).
 * Bytes past Length are padding of the lower layer and ignored.
 *
 * Not here: the rules that need the session (your discriminator naming no
 * session, A against bfd.AuthType: speaker/bfd_fsm.h), and verifying the
 * password, digest or hash and the sequence number (section 6.7), which
 * needs the session's keys and counters and comes with the sessions.
 *
 * Decoded structures point into the caller's buffer (the authentication
 * data). Encoding writes the 24 bytes, plus the authentication section when
 * auth.type is set, its data copied as given (digests are computed by the
 * caller over the packet; the MD5/SHA1 Reserved byte is written as zero).
 */
#ifndef VIPCAST_PROTO_BFD_H
#define VIPCAST_PROTO_BFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BFD_VERSION 1
#define BFD_CTRL_LEN 24         /* the mandatory section */
#define BFD_CTRL_MAX_LEN 52     /* 24 + the largest authentication section (SHA1, 28) */
#define BFD_PORT_SINGLE_HOP 3784
#define BFD_PORT_MULTIHOP 4784
#define BFD_AUTH_PASSWORD_MAX 16
#define BFD_MD5_LEN 16
#define BFD_SHA1_LEN 20

/* Section 4.1 "Sta"; the order matters (section 6.2 numbers them so). */
enum bfd_state { BFD_ADMIN_DOWN = 0, BFD_DOWN = 1, BFD_INIT = 2, BFD_UP = 3 };

/* Section 4.1 "Diag" (5 bits; 9 is RFC 6428's, 10-31 reserved). */
enum bfd_diag {
	BFD_DIAG_NONE = 0,
	BFD_DIAG_CTRL_EXPIRED = 1,        /* Control Detection Time Expired */
	BFD_DIAG_ECHO_FAILED = 2,         /* Echo Function Failed */
	BFD_DIAG_NEIGHBOR_DOWN = 3,       /* Neighbor Signaled Session Down */
	BFD_DIAG_FWD_RESET = 4,           /* Forwarding Plane Reset */
	BFD_DIAG_PATH_DOWN = 5,           /* Path Down */
	BFD_DIAG_CONCAT_PATH_DOWN = 6,    /* Concatenated Path Down */
	BFD_DIAG_ADMIN_DOWN = 7,          /* Administratively Down */
	BFD_DIAG_REV_CONCAT_PATH_DOWN = 8,/* Reverse Concatenated Path Down */
	BFD_DIAG_MISCONNECTIVITY = 9,     /* Mis-Connectivity Defect (RFC 6428) */
	BFD_DIAG_MAX = 31
};

/* Section 4.1 flag bits of the second byte, below the two state bits. */
enum {
	BFD_FLAG_P = 0x20,  /* Poll */
	BFD_FLAG_F = 0x10,  /* Final */
	BFD_FLAG_C = 0x08,  /* Control Plane Independent */
	BFD_FLAG_A = 0x04,  /* Authentication Present */
	BFD_FLAG_D = 0x02,  /* Demand */
	BFD_FLAG_M = 0x01,  /* Multipoint, reserved: must be zero */
};

/* Section 4.1 "Auth Type" (0 is reserved: here it means "no section"). */
enum bfd_auth_type {
	BFD_AUTH_NONE = 0,
	BFD_AUTH_SIMPLE = 1,
	BFD_AUTH_KEYED_MD5 = 2,
	BFD_AUTH_METICULOUS_MD5 = 3,
	BFD_AUTH_KEYED_SHA1 = 4,
	BFD_AUTH_METICULOUS_SHA1 = 5,
};

enum bfd_err {
	BFD_OK = 0,
	BFD_ERR_TRUNCATED,      /* fewer than 4 bytes: not even the Length field */
	BFD_ERR_VERSION,        /* version is not 1 */
	BFD_ERR_LEN_SHORT,      /* Length below 24, or below 26 with A */
	BFD_ERR_LEN_PAYLOAD,    /* Length beyond the payload */
	BFD_ERR_DETECT_MULT,    /* Detect Mult is 0 */
	BFD_ERR_MULTIPOINT,     /* M is set */
	BFD_ERR_MY_DISC,        /* My Discriminator is 0 */
	BFD_ERR_YOUR_DISC,      /* Your Discriminator is 0 and State is neither Down nor AdminDown */
	BFD_ERR_TRAILING,       /* A clear and Length above 24: bytes of no section */
	BFD_ERR_AUTH_LEN,       /* Auth Len is not the rest of Length */
	BFD_ERR_AUTH_TYPE,      /* Auth Type unknown (or 0) */
	BFD_ERR_AUTH_TYPE_LEN,  /* Auth Len wrong for the type */
	BFD_ERR_MAX
};

struct bfd_auth {
	uint8_t type;          /* enum bfd_auth_type; BFD_AUTH_NONE: no section, A clear */
	uint8_t key_id;
	uint32_t seq;          /* MD5 and SHA1 types only */
	const uint8_t *data;   /* the password, digest or hash (into the packet when decoded) */
	uint8_t data_len;      /* 1-16, 16 or 20 */
};

struct bfd_ctrl {
	uint8_t diag;          /* enum bfd_diag, any 5-bit value */
	uint8_t state;         /* enum bfd_state */
	bool poll, final, cpi, demand, multipoint;
	uint8_t detect_mult;
	uint8_t length;        /* decode: the Length field; encode: ignored (computed) */
	uint32_t my_disc, your_disc;
	uint32_t desired_min_tx_us, required_min_rx_us, required_min_echo_rx_us;
	struct bfd_auth auth;
};

/* Decodes one UDP payload. */
enum bfd_err bfd_decode(const uint8_t *p, size_t len, struct bfd_ctrl *out);

/*
 * Writes c (version 1, A set exactly when auth.type is set) into buf; returns
 * the length (24, or 24 + Auth Len) or 0 when cap is too small or c cannot be
 * written (diag above 31, state above 3, unknown auth type, data length wrong
 * for the type).
 */
size_t bfd_encode(const struct bfd_ctrl *c, uint8_t *buf, size_t cap);

/* The Auth Len a type's section has (simple: for its password length); 0: unknown type. */
size_t bfd_auth_len(uint8_t type, size_t password_len);

const char *bfd_err_str(enum bfd_err e);
const char *bfd_state_name(uint8_t state);     /* "AdminDown", "Down", "Init", "Up" */
const char *bfd_diag_name(uint8_t diag);       /* RFC 5880's words; "reserved" for 10-31 */
const char *bfd_auth_type_name(uint8_t type);

#endif
