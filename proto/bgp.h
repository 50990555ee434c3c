/*
 * BGP-4 messages (RFC 4271) and the extensions vipcast speaks: capabilities
 * (RFC 5492) for multiprotocol IPv4/IPv6 unicast (RFC 4760), route refresh
 * (RFC 2918), 4-octet AS numbers (RFC 6793) and graceful restart (RFC 4724, with
 * the notification extension and Hard Reset of RFC 8538);
 * COMMUNITIES (RFC 1997), EXTENDED COMMUNITIES (RFC 4360) with the link
 * bandwidth community (draft-ietf-idr-link-bandwidth) and LARGE_COMMUNITY
 * (RFC 8092); RFC 7606 error
 * handling.
 *
 * Pure code: decoders read a byte buffer through bounds-checked readers and
 * either fill a structure or say which NOTIFICATION the session must send;
 * encoders write whole messages, header included, into a caller's buffer.
 * Decoded structures point into the buffer they were decoded from.
 *
 * Files: bgp_msg.c (header, OPEN, capabilities, KEEPALIVE, NOTIFICATION,
 * ROUTE-REFRESH), bgp_update.c (UPDATE framing, NLRI, End-of-RIB),
 * bgp_attr.c (the path attribute table and the RFC 7606 policy),
 * bgp_encode.c (UPDATE packing), bgp_names.c (names and log formatting).
 */
#ifndef VIPCAST_PROTO_BGP_H
#define VIPCAST_PROTO_BGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BGP_HEADER_LEN 19
#define BGP_MAX_LEN 4096
#define BGP_PORT 179
#define BGP_AS_TRANS 23456

/* Smallest message of each type, header included (RFC 4271 4.2-4.5, RFC 2918 3). */
#define BGP_OPEN_MIN_LEN 29
#define BGP_UPDATE_MIN_LEN 23
#define BGP_NOTIFICATION_MIN_LEN 21
#define BGP_KEEPALIVE_LEN 19
#define BGP_ROUTE_REFRESH_LEN 23

enum bgp_type {
	BGP_OPEN = 1,
	BGP_UPDATE = 2,
	BGP_NOTIFICATION = 3,
	BGP_KEEPALIVE = 4,
	BGP_ROUTE_REFRESH = 5,
};

/* NOTIFICATION error codes (RFC 4271 4.5, RFC 9687) and the subcodes of RFC 4271, 4486, 8203, 7313. */
enum bgp_err_code {
	BGP_ERR_HEADER = 1,
	BGP_ERR_OPEN = 2,
	BGP_ERR_UPDATE = 3,
	BGP_ERR_HOLD = 4,
	BGP_ERR_FSM = 5,
	BGP_ERR_CEASE = 6,
	BGP_ERR_ROUTE_REFRESH = 7,
	BGP_ERR_SEND_HOLD = 8,         /* RFC 9687 */
};
/* Subcode 0 of any code: "Unspecific" (RFC 4271 6.2 for a malformed optional parameter). */
enum { BGP_SUBCODE_UNSPECIFIC = 0 };
enum bgp_hdr_subcode { BGP_HDR_NOT_SYNC = 1, BGP_HDR_BAD_LENGTH = 2, BGP_HDR_BAD_TYPE = 3 };
enum bgp_open_subcode {
	BGP_OPEN_BAD_VERSION = 1,
	BGP_OPEN_BAD_PEER_AS = 2,
	BGP_OPEN_BAD_BGP_ID = 3,
	BGP_OPEN_BAD_OPT_PARAM = 4,
	BGP_OPEN_BAD_HOLD_TIME = 6,
	BGP_OPEN_BAD_CAPABILITY = 7,   /* RFC 5492 "Unsupported Capability" */
	BGP_OPEN_ROLE_MISMATCH = 11,   /* RFC 9234 */
};
enum bgp_update_subcode {
	BGP_UPD_MALFORMED_ATTR_LIST = 1,
	BGP_UPD_UNRECOGNIZED_WELLKNOWN = 2,
	BGP_UPD_MISSING_WELLKNOWN = 3,
	BGP_UPD_ATTR_FLAGS = 4,
	BGP_UPD_ATTR_LENGTH = 5,
	BGP_UPD_BAD_ORIGIN = 6,
	BGP_UPD_BAD_NEXT_HOP = 8,
	BGP_UPD_OPTIONAL_ATTR = 9,
	BGP_UPD_BAD_NETWORK = 10,
	BGP_UPD_MALFORMED_AS_PATH = 11,
};
/* RFC 6608 */
enum bgp_fsm_subcode { BGP_FSM_IN_OPENSENT = 1, BGP_FSM_IN_OPENCONFIRM = 2, BGP_FSM_IN_ESTABLISHED = 3 };
enum bgp_cease_subcode {
	BGP_CEASE_MAX_PREFIXES = 1,
	BGP_CEASE_ADMIN_SHUTDOWN = 2,
	BGP_CEASE_PEER_DECONFIGURED = 3,
	BGP_CEASE_ADMIN_RESET = 4,
	BGP_CEASE_CONNECTION_REJECTED = 5,
	BGP_CEASE_CONFIG_CHANGE = 6,
	BGP_CEASE_COLLISION = 7,
	BGP_CEASE_OUT_OF_RESOURCES = 8,
	BGP_CEASE_HARD_RESET = 9,      /* RFC 8538 */
	BGP_CEASE_BFD_DOWN = 10,       /* RFC 9384 */
};
/* RFC 7313 */
enum bgp_rr_subcode { BGP_RR_BAD_LENGTH = 1 };

/* What a decoder found wrong: the NOTIFICATION to send, with its data (RFC 4271 6.x). */
struct bgp_error {
	uint8_t code, subcode;
	uint8_t data[64];  /* truncated copy of the offending bytes, as the RFC asks */
	size_t len;
	char why[128];     /* for the log */
};

/* "Hold Timer Expired", "OPEN Message Error / Bad Peer AS", ... */
const char *bgp_err_code_name(uint8_t code);
const char *bgp_err_subcode_name(uint8_t code, uint8_t subcode);
/* "OPEN", "UPDATE", ...; "unknown" for other values. */
const char *bgp_type_name(uint8_t type);
/* "ORIGIN", "AS_PATH", ... "LARGE_COMMUNITY"; "unknown" for other values. */
const char *bgp_attr_name(uint8_t type);

/*
 * One line for the log about a NOTIFICATION, sent or received: names, and the
 * data where the RFCs give it a meaning (the bad length, the supported
 * version, the missing attribute, an RFC 8203/9003 shutdown communication
 * quoted with its control characters escaped), else the data in hex.
 * Always NUL-terminates when cap > 0; returns what snprintf would.
 */
int bgp_notification_format(uint8_t code, uint8_t subcode, const uint8_t *data, size_t len, char *buf,
			    size_t cap);

/*
 * Checks the 19-byte header at buf: marker, length within the type's limits
 * (RFC 4271 6.1), known type. Returns 1 and the whole message's length when
 * the header is good, 0 when fewer than 19 bytes are there, -1 with err.
 * With 1 the message may still be incomplete: wait until avail >= *msg_len.
 */
int bgp_header_check(const uint8_t *buf, size_t avail, size_t *msg_len, uint8_t *type, struct bgp_error *err);

/* Address families: AFI 1/2, SAFI 1 (unicast). */
enum { BGP_AFI_IPV4 = 1, BGP_AFI_IPV6 = 2, BGP_SAFI_UNICAST = 1 };
enum bgp_af { BGP_AF_IPV4 = 0, BGP_AF_IPV6 = 1, BGP_AF_COUNT = 2 };

/* Capability codes (RFC 5492, IANA). */
enum bgp_cap_code {
	BGP_CAP_MP = 1,
	BGP_CAP_ROUTE_REFRESH = 2,
	BGP_CAP_EXT_NEXT_HOP = 5,      /* RFC 8950 */
	BGP_CAP_GRACEFUL_RESTART = 64,
	BGP_CAP_AS4 = 65,
	BGP_CAP_ROUTE_REFRESH_OLD = 128,
};

struct bgp_caps {
	bool mp[BGP_AF_COUNT];        /* multiprotocol capability for IPv4/IPv6 unicast */
	bool route_refresh;           /* code 2 (or the pre-standard 128) */
	/*
	 * Extended next hop (RFC 8950), only the tuple vipcast speaks: IPv4
	 * unicast NLRI with an IPv6 next hop (AFI 1, SAFI 1, next hop AFI 2).
	 * Other tuples are skipped.
	 */
	bool ext_nh_ipv4;
	bool as4;                     /* code 65 */
	uint32_t as4_number;
	bool graceful_restart;        /* code 64 */
	bool gr_restarting;           /* R bit */
	bool gr_notification;         /* N bit (RFC 8538 2): NOTIFICATIONs other than Hard Reset keep the routes */
	uint16_t gr_time;             /* seconds, 12 bits */
	bool gr_af[BGP_AF_COUNT];     /* families listed */
	bool gr_af_forwarding[BGP_AF_COUNT];
	unsigned unknown;             /* capabilities skipped */
};

struct bgp_open {
	uint8_t version;      /* 4 */
	uint16_t my_as;       /* AS_TRANS when the real ASN needs 4 octets */
	uint16_t hold_time;   /* 0 or >= 3 */
	uint32_t bgp_id;      /* host order */
	struct bgp_caps caps;
};

/* The peer's ASN: the 4-octet capability's when present, else my_as. */
uint32_t bgp_open_asn(const struct bgp_open *o);
/* What goes in a 2-octet AS field: asn itself, or AS_TRANS when it needs 4 octets (RFC 6793 4.2.1). */
uint16_t bgp_as2(uint32_t asn);

/*
 * Decodes an OPEN body (after the header). Checks version, hold time (0 or
 * >= 3), BGP Identifier (nonzero), a nonzero AS (RFC 7607); the peer AS and
 * collision checks belong to the session. Unknown optional parameters are an
 * error; unknown capabilities are skipped and counted. Accepts the RFC 9072
 * extended optional parameters length.
 */
bool bgp_open_decode(const uint8_t *body, size_t len, struct bgp_open *o, struct bgp_error *err);
/* Writes a whole OPEN message with the capabilities set in o->caps; returns its length, 0 if cap is short. */
size_t bgp_open_encode(const struct bgp_open *o, uint8_t *buf, size_t cap);

size_t bgp_keepalive_encode(uint8_t *buf, size_t cap);
/* data longer than a NOTIFICATION can carry is cut at BGP_MAX_LEN. */
size_t bgp_notification_encode(uint8_t code, uint8_t subcode, const void *data, size_t len, uint8_t *buf,
			       size_t cap);
/* A received NOTIFICATION body: code, subcode and data (pointing into body). */
bool bgp_notification_decode(const uint8_t *body, size_t len, uint8_t *code, uint8_t *subcode,
			     const uint8_t **data, size_t *data_len);
/*
 * RFC 8538 3: a Cease / Hard Reset NOTIFICATION carrying the code, subcode
 * and data of the reason. Returns the message length, 0 if cap is short;
 * data longer than the message can carry is cut.
 */
size_t bgp_hard_reset_encode(uint8_t code, uint8_t subcode, const void *data, size_t len, uint8_t *buf, size_t cap);
/*
 * The reason inside a Hard Reset's data (the data of a Cease / Hard Reset
 * NOTIFICATION): false when it is shorter than its two octets.
 */
bool bgp_hard_reset_decode(const uint8_t *data, size_t len, uint8_t *code, uint8_t *subcode,
			   const uint8_t **inner, size_t *inner_len);
size_t bgp_route_refresh_encode(enum bgp_af af, uint8_t *buf, size_t cap);
/*
 * ROUTE-REFRESH body. False with err->code 0 for a request to ignore: a
 * family other than IPv4/IPv6 unicast (RFC 2918 4) or an RFC 7313 subtype
 * other than 0 (vipcast does not announce enhanced route refresh). False
 * with err->code set for a body that is not 4 bytes (RFC 7313 5).
 */
bool bgp_route_refresh_decode(const uint8_t *body, size_t len, enum bgp_af *af, struct bgp_error *err);

/* A prefix: family IPv4 (4) or IPv6 (6), length, address bytes in network order. */
struct bgp_prefix {
	uint8_t family;
	uint8_t len;
	uint8_t addr[16];
};

/* Path attribute type codes. */
enum {
	BGP_ATTR_ORIGIN = 1,
	BGP_ATTR_AS_PATH = 2,
	BGP_ATTR_NEXT_HOP = 3,
	BGP_ATTR_MED = 4,
	BGP_ATTR_LOCAL_PREF = 5,
	BGP_ATTR_ATOMIC_AGGREGATE = 6,
	BGP_ATTR_AGGREGATOR = 7,
	BGP_ATTR_COMMUNITIES = 8,
	BGP_ATTR_ORIGINATOR_ID = 9,
	BGP_ATTR_CLUSTER_LIST = 10,
	BGP_ATTR_MP_REACH = 14,
	BGP_ATTR_MP_UNREACH = 15,
	BGP_ATTR_EXT_COMMUNITIES = 16,
	BGP_ATTR_AS4_PATH = 17,
	BGP_ATTR_AS4_AGGREGATOR = 18,
	BGP_ATTR_LARGE_COMMUNITY = 32,
};
/* Attribute flags (RFC 4271 4.3). */
enum { BGP_ATTRF_OPTIONAL = 0x80, BGP_ATTRF_TRANSITIVE = 0x40, BGP_ATTRF_PARTIAL = 0x20, BGP_ATTRF_EXT_LEN = 0x10 };
/* ORIGIN values and AS_PATH segment types (RFC 4271 4.3, RFC 5065 3). */
enum { BGP_ORIGIN_IGP = 0, BGP_ORIGIN_EGP = 1, BGP_ORIGIN_INCOMPLETE = 2 };
enum { BGP_AS_SET = 1, BGP_AS_SEQUENCE = 2, BGP_AS_CONFED_SEQUENCE = 3, BGP_AS_CONFED_SET = 4 };

/* A decoded UPDATE. Pointers refer into the decoded body. */
struct bgp_update {
	/* IPv4 withdrawn routes and NLRI: validated, iterate with bgp_nlri_next(). */
	const uint8_t *withdrawn, *nlri;
	size_t withdrawn_len, nlri_len;

	uint64_t attrs_seen;  /* bit n: attribute type n (< 64) present and kept (not discarded) */
	uint8_t origin;
	const uint8_t *as_path;  /* segments as received; 4-octet ASNs when as4 */
	size_t as_path_len;
	unsigned as_path_count;  /* ASNs in AS_SEQUENCE segments (+1 per AS_SET), for the decision process */
	const uint8_t *as4_path;  /* AS4_PATH (RFC 6793), 4-octet ASNs; only from a peer without as4 */
	size_t as4_path_len;
	uint8_t next_hop[4];
	uint32_t med, local_pref;
	const uint8_t *communities;  /* 4 bytes each */
	size_t ncommunities;
	const uint8_t *large_communities;  /* 12 bytes each */
	size_t nlarge_communities;
	const uint8_t *ext_communities;  /* 8 bytes each */
	size_t next_communities;

	/* MP_REACH_NLRI / MP_UNREACH_NLRI for IPv6 (or IPv4) unicast. */
	bool mp_reach, mp_unreach;
	enum bgp_af mp_reach_af, mp_unreach_af;
	uint8_t mp_next_hop[16], mp_next_hop_ll[16];  /* global, link-local (RFC 2545) */
	bool mp_next_hop_has_ll;
	uint8_t mp_next_hop_v4[4];  /* IPv4 unicast over MP_REACH */
	bool mp_next_hop_v6;        /* the next hop is IPv6 (IPv4 NLRI too: RFC 8950) */
	const uint8_t *mp_nlri, *mp_withdrawn;
	size_t mp_nlri_len, mp_withdrawn_len;

	/* End-of-RIB (RFC 4724): an empty UPDATE (IPv4) or an empty MP_UNREACH (IPv6). */
	bool end_of_rib;
	enum bgp_af end_of_rib_af;

	/*
	 * RFC 7606: an error that only spoils this UPDATE's routes. The
	 * session stays up; every NLRI of the message counts as withdrawn.
	 */
	bool treat_as_withdraw;
	char why[128];
	/* RFC 7606 attribute discard: attributes dropped (malformed, duplicate, or not for this peer). */
	unsigned discarded;
	/* MP_REACH/MP_UNREACH of a family other than IPv4/IPv6 unicast: ignored. */
	unsigned mp_ignored;
};

/*
 * Decodes an UPDATE body. as4: both sides announced the 4-octet AS
 * capability. ibgp: LOCAL_PREF is expected. False with err when the
 * session must be reset with that NOTIFICATION (RFC 7606 keeps this for
 * the few errors that leave the rest of the message unreadable).
 *
 * True with u->treat_as_withdraw set when RFC 7606 says treat-as-withdraw
 * (u->why says why), with u->discarded counting attributes dropped by
 * attribute discard; err then holds, for the log only, the NOTIFICATION
 * RFC 4271 would have sent for the worst of them. err may be NULL.
 */
bool bgp_update_decode(const uint8_t *body, size_t len, bool as4, bool ibgp, struct bgp_update *u,
		       struct bgp_error *err);

/*
 * Next prefix of a validated NLRI block of family 4 or 6; false at its end
 * (or at bytes that are not a prefix). Bits past the prefix length are zero
 * in out->addr.
 */
bool bgp_nlri_next(const uint8_t **p, size_t *len, uint8_t family, struct bgp_prefix *out);

/* Orders prefixes by family, address, then length. */
int bgp_prefix_cmp(const struct bgp_prefix *a, const struct bgp_prefix *b);

/* Community i of a decoded UPDATE (RFC 1997: high 16 bits the ASN). */
uint32_t bgp_community_at(const struct bgp_update *u, size_t i);
/* Large community i (RFC 8092): global administrator, local data 1, local data 2. */
void bgp_large_community_at(const struct bgp_update *u, size_t i, uint32_t out[3]);
/* Extended community i (RFC 4360), its 8 octets as one big-endian number (type in the top octet). */
uint64_t bgp_ext_community_at(const struct bgp_update *u, size_t i);

/*
 * The link bandwidth extended community (draft-ietf-idr-link-bandwidth 2):
 * type 0x40 (two-octet AS specific, non-transitive), subtype 0x04, a 2-octet
 * AS and the bandwidth in bytes per second as an IEEE 754 single-precision
 * float. bgp_link_bw_decode is false for any other community or a value that
 * is negative, infinite or not a number.
 */
enum { BGP_EXT_TYPE_AS2_NON_TRANSITIVE = 0x40, BGP_EXT_SUBTYPE_LINK_BW = 0x04 };
uint64_t bgp_link_bw_community(uint16_t as, float bytes_per_s);
bool bgp_link_bw_decode(uint64_t ext, uint16_t *as, float *bytes_per_s);

/*
 * Walks the ASNs of a validated AS_PATH (as4: 4-octet ASNs) or AS4_PATH
 * (as4 true). Each call gives the next ASN and the type of its segment.
 */
struct bgp_as_path_iter {
	const uint8_t *p;
	size_t len;
	bool as4;
	uint8_t seg_type;
	unsigned left;  /* ASNs left in the current segment */
};
void bgp_as_path_iter_init(struct bgp_as_path_iter *it, const uint8_t *path, size_t len, bool as4);
bool bgp_as_path_iter_next(struct bgp_as_path_iter *it, uint8_t *seg_type, uint32_t *asn);

/* What vipcast puts on the routes it announces. */
struct bgp_route_attrs {
	uint8_t origin;           /* 0 IGP */
	bool ebgp;                /* AS_PATH is [local_as] for eBGP, empty for iBGP */
	uint32_t local_as;
	bool peer_as4;            /* the peer speaks 4-octet ASNs; else AS_TRANS and AS4_PATH */
	uint8_t next_hop4[4];
	uint8_t next_hop6[16];
	uint8_t next_hop6_ll[16];
	bool has_next_hop6_ll;
	/*
	 * RFC 8950: IPv4 prefixes go in MP_REACH_NLRI (AFI 1, SAFI 1) with the
	 * IPv6 next hop of next_hop6 (+ next_hop6_ll) instead of NEXT_HOP.
	 * next_hop6 alone may then be a link-local address (16 bytes), as FRR
	 * sends it on an unnumbered session.
	 */
	bool ipv4_nh6;
	bool has_local_pref;      /* iBGP only: never sent to an eBGP peer; iBGP gets 100 without it */
	uint32_t local_pref;
	bool has_med;
	uint32_t med;
	const uint32_t *communities;        /* sorted, unique */
	size_t ncommunities;
	const uint32_t (*large_communities)[3];
	size_t nlarge_communities;
	const uint64_t *ext_communities;    /* RFC 4360, as bgp_ext_community_at gives them */
	size_t next_communities;
};

/*
 * Writes one UPDATE announcing as many of pfx[0..n) (one family) with
 * attributes a as fit in BGP_MAX_LEN. Returns the message length (0 when cap
 * is short or n is 0) and the number of prefixes it holds in *used.
 * Calling it until all are used packs them into the fewest messages.
 *
 * In order: the message holds pfx[0..*used). It stops early at a prefix of
 * another family than pfx[0]'s; a first prefix that is not valid (family,
 * length > 32/128) or attributes too big to leave room for one prefix give 0.
 * IPv4 goes in the classic NLRI field with NEXT_HOP, IPv6 in MP_REACH_NLRI
 * (placed first, RFC 7606 5.1) with a 16- or 32-byte next hop (RFC 2545);
 * with a->ipv4_nh6, IPv4 too goes in MP_REACH_NLRI with that IPv6 next hop
 * (RFC 8950 3). Withdrawals stay in the classic field (RFC 4760 allows both).
 */
size_t bgp_update_encode(const struct bgp_route_attrs *a, const struct bgp_prefix *pfx, size_t n, size_t *used,
			 uint8_t *buf, size_t cap);
/* The same for withdrawals (IPv4 withdrawn routes, or MP_UNREACH for IPv6). */
size_t bgp_withdraw_encode(const struct bgp_prefix *pfx, size_t n, size_t *used, uint8_t *buf, size_t cap);
size_t bgp_end_of_rib_encode(enum bgp_af af, uint8_t *buf, size_t cap);

/*
 * The length of the UPDATE bgp_update_encode would write to announce pfx
 * alone with attributes a, even when it is over BGP_MAX_LEN (then the route
 * cannot be sent at all); 0 for a prefix that is not valid or an attribute
 * too long for its 16-bit length. For checks before encoding: configuration
 * validation, the Adj-RIB-Out's reasons.
 */
size_t bgp_update_size(const struct bgp_route_attrs *a, const struct bgp_prefix *pfx);

/*
 * Like bgp_update_encode / bgp_withdraw_encode, but free to reorder pfx: it
 * picks from all of pfx[0..n) of pfx[0]'s family the prefixes that fill the
 * message to the last byte when they can, and moves them to pfx[0..*used).
 * Prefix lengths then mixed as they come still give the fewest messages
 * (the total encoded size over the room of one message, rounded up).
 */
size_t bgp_update_pack(const struct bgp_route_attrs *a, struct bgp_prefix *pfx, size_t n, size_t *used,
		       uint8_t *buf, size_t cap);
size_t bgp_withdraw_pack(struct bgp_prefix *pfx, size_t n, size_t *used, uint8_t *buf, size_t cap);

#endif
