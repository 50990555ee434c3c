/*
 * Every refusal a user can meet, as a table: the YAML, then where the
 * diagnostic must point (line, column), which object and field it names, and
 * what it says. A case passes only if that exact diagnostic is reported and
 * the configuration is refused (or, for warnings, accepted with the warning).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

struct vcase {
	const char *name;
	const char *yaml;
	enum diag_severity sev;
	uint32_t line, col;   /* col 0: not checked */
	const char *object;   /* NULL: not checked */
	const char *path;     /* NULL: not checked */
	const char *msg;      /* substring */
};

#define POOL_HDR "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: p1\n  namespace: lb\n"
#define PEER_HDR "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata:\n  name: r1\n  namespace: lb\n"
#define POOL_OK(name, cidr)                                                                   \
	"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: " name "\n" \
	"  namespace: lb\nspec:\n  addresses: [\"" cidr "\"]\n"

static const struct vcase cases[] = {
	{ "malformed YAML", POOL_HDR "spec:\n  addresses: [192.0.2.0/24\n", DIAG_ERROR, 8, 1, NULL, NULL,
	  "invalid YAML" },
	{ "tab indentation", POOL_HDR "spec:\n\taddresses: []\n", DIAG_ERROR, 7, 1, NULL, NULL, "invalid YAML" },
	{ "duplicate key", POOL_HDR "spec:\n  autoAssign: true\n  autoAssign: false\n", DIAG_ERROR, 8, 3,
	  NULL, NULL, "map key \"autoAssign\" already defined at line 7" },
	{ "not an object", "- a\n- b\n", DIAG_ERROR, 1, 1, NULL, NULL, "expected a Kubernetes object" },
	{ "no kind", "apiVersion: v1\nmetadata:\n  name: x\n", DIAG_ERROR, 1, 1, NULL, NULL,
	  "needs a string apiVersion and kind" },
	{ "unserved version", "apiVersion: metallb.io/v1alpha1\nkind: IPAddressPool\nmetadata:\n  name: p\n",
	  DIAG_ERROR, 1, 13, NULL, "apiVersion", "not served as \"metallb.io/v1alpha1\"" },
	{ "no name", "apiVersion: v1\nkind: Service\nmetadata:\n  namespace: x\n", DIAG_ERROR, 4, 3, NULL,
	  "metadata", "name is required" },
	{ "bad name", "apiVersion: v1\nkind: Service\nmetadata:\n  name: Web_1\n", DIAG_ERROR, 4, 9, NULL,
	  "metadata.name", "invalid name \"Web_1\"" },
	{ "wrong type: list for bool", POOL_HDR "spec:\n  addresses: [192.0.2.0/24]\n  autoAssign: [x]\n",
	  DIAG_ERROR, 8, 15, "IPAddressPool lb/p1", "spec.autoAssign", "expected a boolean" },
	{ "wrong type: string for int", PEER_HDR "spec:\n  myASN: \"64500\"\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n",
	  DIAG_ERROR, 7, 10, "BGPPeer lb/r1", "spec.myASN", "expected an integer, got a string \"64500\"" },
	{ "wrong type: map for list", POOL_HDR "spec:\n  addresses:\n    a: b\n", DIAG_ERROR, 8, 5, NULL,
	  "spec.addresses", "expected a list, got a map" },
	{ "wrong type: bool for string", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  labels:\n    on: yes\n",
	  DIAG_ERROR, 6, 9, "Service default/s", "metadata.labels.on", "expected a string, got a boolean \"yes\" (quote it)" },
	{ "bad CIDR", POOL_HDR "spec:\n  addresses:\n  - 192.0.2.0/24\n  - 192.0.2.300/24\n", DIAG_ERROR, 9, 5,
	  "IPAddressPool lb/p1", "spec.addresses[1]", "192.0.2.300" },
	{ "bad prefix", POOL_HDR "spec:\n  addresses:\n  - 192.0.2.0/33\n", DIAG_ERROR, 8, 5, NULL,
	  "spec.addresses[0]", "prefix" },
	{ "range end before start", POOL_HDR "spec:\n  addresses:\n  - 192.0.2.9 - 192.0.2.1\n", DIAG_ERROR, 8, 5,
	  NULL, "spec.addresses[0]", "range end 192.0.2.1 is before its start 192.0.2.9" },
	{ "range mixing families", POOL_HDR "spec:\n  addresses:\n  - 192.0.2.1-2001:db8::1\n", DIAG_ERROR, 8,
	  5, NULL, NULL, "range mixes IPv4 and IPv6" },
	{ "no addresses", POOL_HDR "spec:\n  autoAssign: false\n", DIAG_ERROR, 1, 1, "IPAddressPool lb/p1", NULL,
	  "spec.addresses must list at least one" },
	{ "overlap within a pool", POOL_HDR "spec:\n  addresses:\n  - 192.0.2.0/24\n  - 192.0.2.128-192.0.2.130\n",
	  DIAG_ERROR, 9, 5, "IPAddressPool lb/p1", "spec.addresses",
	  "192.0.2.128-192.0.2.130 overlaps 192.0.2.0/24 of the same pool (t.yaml:8)" },
	{ "overlap across pools", POOL_OK("a", "2001:db8::/64") "---\n" POOL_OK("b", "2001:db8::ffff-2001:db8::1:0"),
	  DIAG_ERROR, 15, 15, "IPAddressPool lb/b", "spec.addresses",
	  "2001:db8::ffff-2001:db8::1:0 overlaps 2001:db8::/64 of IPAddressPool lb/a (t.yaml:7)" },
	{ "overlap with host bits", POOL_OK("a", "198.51.100.7/24") "---\n" POOL_OK("b", "198.51.100.255"),
	  DIAG_ERROR, 15, 15, "IPAddressPool lb/b", NULL, "198.51.100.255 overlaps 198.51.100.0/24" },
	{ "myASN zero", PEER_HDR "spec:\n  myASN: 0\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n", DIAG_ERROR, 7,
	  10, "BGPPeer lb/r1", "spec.myASN", "0 is out of range: must be between 1 and 4294967295" },
	{ "peerASN too big", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 4294967296\n  peerAddress: 192.0.2.1\n",
	  DIAG_ERROR, 8, 12, NULL, "spec.peerASN", "4294967296 is out of range" },
	{ "no peer ASN", PEER_HDR "spec:\n  myASN: 64500\n  peerAddress: 192.0.2.1\n", DIAG_ERROR, 1, 1, NULL, NULL,
	  "spec.peerASN or spec.dynamicASN is required" },
	{ "peerASN and dynamicASN", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 1\n  dynamicASN: external\n  peerAddress: 192.0.2.1\n",
	  DIAG_ERROR, 9, 15, NULL, NULL, "exclude each other" },
	{ "bad dynamicASN", PEER_HDR "spec:\n  myASN: 64500\n  dynamicASN: both\n  peerAddress: 192.0.2.1\n",
	  DIAG_ERROR, 8, 15, NULL, NULL, "must be \"internal\" or \"external\"" },
	{ "holdTime below 3s", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  holdTime: 2s\n",
	  DIAG_ERROR, 10, 13, "BGPPeer lb/r1", NULL, "spec.holdTime 2s is invalid: it must be 0 or at least 3s" },
	{ "holdTime above 16 bits", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  holdTime: 18h21m\n",
	  DIAG_ERROR, 10, 13, "BGPPeer lb/r1", NULL, "spec.holdTime 18h21m0s is invalid: BGP carries it in 16 bits of seconds" },
	{ "derived holdTime above 16 bits", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  keepaliveTime: 7h\n",
	  DIAG_ERROR, 10, 18, NULL, NULL, "spec.holdTime 21h0m0s (three times keepaliveTime) is invalid" },
	{ "bad duration", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  holdTime: 90\n",
	  DIAG_ERROR, 10, 13, NULL, "spec.holdTime", "expected a string" },
	{ "bad duration unit", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  holdTime: 90x\n",
	  DIAG_ERROR, 10, 13, NULL, "spec.holdTime", "90x" },
	{ "keepalive above hold", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  holdTime: 30s\n  keepaliveTime: 1m\n",
	  DIAG_ERROR, 11, 18, NULL, NULL, "spec.keepaliveTime 1m0s is greater than holdTime 30s" },
	{ "keepalive with hold 0", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  holdTime: 0s\n  keepaliveTime: 10s\n",
	  DIAG_ERROR, 11, 18, NULL, NULL, "greater than holdTime 0s" },
	{ "peerPort out of range", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  peerPort: 16385\n",
	  DIAG_ERROR, 10, 13, NULL, "spec.peerPort", "must be between 1 and 16384" },
	{ "bad peerAddress", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2\n", DIAG_ERROR,
	  9, 16, NULL, "spec.peerAddress", "invalid IP address \"192.0.2\"" },
	{ "no peerAddress", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n", DIAG_ERROR, 1, 1, NULL, NULL,
	  "spec.peerAddress or spec.interface (unnumbered BGP) is required" },
	{ "unnumbered peer with sourceAddress", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  interface: eth0\n"
	  "  sourceAddress: 192.0.2.9\n", DIAG_WARNING, 10, 18, "BGPPeer lb/r1", NULL,
	  "spec.sourceAddress has no effect with spec.interface: the session runs from this node's link-local address on eth0" },
	{ "interface name too long", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  interface: abcdefghijklmnop\n",
	  DIAG_ERROR, 9, 14, "BGPPeer lb/r1", NULL, "spec.interface \"abcdefghijklmnop\" is not an interface name" },
	{ "interface name with a slash", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  interface: eth0/1\n",
	  DIAG_ERROR, 9, 14, "BGPPeer lb/r1", NULL, "is not an interface name (1 to 15 bytes" },
	{ "empty interface", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  interface: \"\"\n",
	  DIAG_ERROR, 9, 14, "BGPPeer lb/r1", NULL, "spec.interface \"\" is not an interface name" },
	{ "interface beside peerAddress", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  interface: eth0\n",
	  DIAG_ERROR, 10, 14, "BGPPeer lb/r1", NULL, "spec.peerAddress and spec.interface exclude each other (as in MetalLB)" },
	{ "vrf", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  vrf: red\n",
	  DIAG_WARNING, 10, 8, "BGPPeer lb/r1", NULL, "spec.vrf (a host VRF) is not supported yet" },
	{ "v1beta1 BGPPeer without holdTime", "apiVersion: metallb.io/v1beta1\nkind: BGPPeer\nmetadata:\n  name: r1\n  namespace: lb\n"
	  "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n", DIAG_WARNING, 1, 1, "BGPPeer lb/r1",
	  "spec.holdTime", "MetalLB's conversion to v1beta2 makes it 0s and keepaliveTime 0s" },
	{ "v1beta2 field in v1beta1 BGPPeer", "apiVersion: metallb.io/v1beta1\nkind: BGPPeer\nmetadata:\n  name: r1\n  namespace: lb\n"
	  "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  vrf: red\n", DIAG_ERROR, 10, 8, "BGPPeer lb/r1",
	  "spec.vrf", "a field of metallb.io/v1beta2 BGPPeer only" },
	{ "unspecified peerAddress", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 0.0.0.0\n",
	  DIAG_ERROR, 9, 16, "BGPPeer lb/r1", NULL, "spec.peerAddress is the unspecified address" },
	{ "unspecified IPv6 peerAddress", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: \"::\"\n  interface: eth0\n",
	  DIAG_ERROR, 9, 16, NULL, NULL, "spec.peerAddress is the unspecified address" },
	{ "IPv6 routerID", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  routerID: 2001:db8::1\n",
	  DIAG_ERROR, 10, 13, NULL, NULL, "routerID must be an IPv4 address" },
	{ "source family", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  sourceAddress: 2001:db8::2\n",
	  DIAG_ERROR, 10, 18, NULL, NULL, "different address families" },
	{ "multihop on iBGP", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64500\n  peerAddress: 192.0.2.1\n  ebgpMultiHop: true\n",
	  DIAG_ERROR, 10, 17, NULL, NULL, "ebgpMultiHop applies to eBGP only" },
	{ "localASN equal to myASN", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  localASN: 64500\n",
	  DIAG_ERROR, 10, 13, "BGPPeer lb/r1", NULL, "spec.localASN 64500 equals spec.myASN" },
	{ "localASN 0", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  localASN: 0\n",
	  DIAG_ERROR, 10, 13, "BGPPeer lb/r1", "spec.localASN", "0 is out of range: must be between 1 and 4294967295" },
	{ "multihop on iBGP by localASN", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64510\n  localASN: 64510\n  peerAddress: 192.0.2.1\n  ebgpMultiHop: true\n",
	  DIAG_ERROR, 11, 17, NULL, NULL, "ebgpMultiHop applies to eBGP only, but this peer is iBGP (localASN equals" },
	{ "disableMP deprecated", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  disableMP: true\n",
	  DIAG_WARNING, 10, 14, "BGPPeer lb/r1", NULL, "spec.disableMP is deprecated (MetalLB 0.15) and has no effect" },
	{ "serviceSelectors with aggregationLength",
	  "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata:\n  name: a\n  namespace: lb\nspec:\n"
	  "  aggregationLength: 24\n  serviceSelectors: [{matchLabels: {a: b}}]\n",
	  DIAG_ERROR, 7, 22, "BGPAdvertisement lb/a", NULL, "spec.serviceSelectors and spec.aggregationLength exclude each other" },
	{ "serviceSelectors with aggregationLengthV6",
	  "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata:\n  name: a\n  namespace: lb\nspec:\n"
	  "  serviceSelectors: [{matchLabels: {a: b}}]\n  aggregationLengthV6: 64\n",
	  DIAG_ERROR, 8, 24, "BGPAdvertisement lb/a", NULL, "spec.serviceSelectors and spec.aggregationLengthV6 exclude" },
	{ "password and passwordSecret", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  password: a\n  passwordSecret:\n    name: s\n",
	  DIAG_ERROR, 10, 13, "BGPPeer lb/r1", NULL, "spec.password and spec.passwordSecret exclude each other" },
	{ "passwordSecret missing", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  passwordSecret:\n    name: s\n",
	  DIAG_ERROR, 11, 11, "BGPPeer lb/r1", "spec.passwordSecret", "Secret lb/s does not exist" },
	{ "passwordSecret wrong type",
	  PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  passwordSecret:\n    name: s\n"
		   "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: lb\nstringData:\n  password: x\n",
	  DIAG_ERROR, 11, 11, NULL, NULL, "Secret lb/s has type Opaque, not kubernetes.io/basic-auth" },
	{ "bfdProfile missing", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  bfdProfile: fast\n",
	  DIAG_ERROR, 10, 15, "BGPPeer lb/r1", "spec.bfdProfile", "BFDProfile \"fast\" does not exist in namespace lb" },
	{ "connectTime fraction", PEER_HDR "spec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 192.0.2.1\n  connectTime: 1500ms\n",
	  DIAG_ERROR, 10, 16, NULL, NULL, "whole number of seconds" },
	{ "BFD interval range", "apiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata:\n  name: b\nspec:\n  receiveInterval: 5\n",
	  DIAG_ERROR, 6, 20, "BFDProfile default/b", "spec.receiveInterval", "must be between 10 and 60000" },
	{ "BFD multiplier range", "apiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata:\n  name: b\nspec:\n  detectMultiplier: 1\n",
	  DIAG_ERROR, 6, 21, NULL, NULL, "must be between 2 and 255" },
	{ "unknown link bandwidth value",
	  "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata:\n  name: a\n  namespace: lb\n"
	  "  annotations:\n    vipcast.io/link-bandwidth: 1Gbps\nspec: {}\n",
	  DIAG_WARNING, 1, 1, "BGPAdvertisement lb/a", "metadata.annotations",
	  "vipcast.io/link-bandwidth: \"1Gbps\" is not a value vipcast knows (\"per-endpoint\")" },
	{ "bad community literal", POOL_OK("p1", "192.0.2.0/24") "---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata:\n  name: a\n  namespace: lb\nspec:\n  communities:\n  - 65536:1\n",
	  DIAG_ERROR, 16, 5, "BGPAdvertisement lb/a", "spec.communities", "65536" },
	{ "unknown community name", POOL_OK("p1", "192.0.2.0/24") "---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata:\n  name: a\n  namespace: lb\nspec:\n  communities: [gold]\n",
	  DIAG_ERROR, 15, 17, NULL, NULL, "\"gold\" is neither a community value nor a name a Community object defines" },
	{ "bad Community object value", "apiVersion: metallb.io/v1beta1\nkind: Community\nmetadata:\n  name: c\nspec:\n  communities:\n  - name: gold\n    value: large:1:2\n",
	  DIAG_ERROR, 8, 12, "Community default/c", "spec.communities[0]", "large" },
	{ "L2 names missing pool", POOL_OK("p1", "192.0.2.0/24") "---\napiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata:\n  name: l\n  namespace: lb\nspec:\n  ipAddressPools: [p1, p2]\n",
	  DIAG_ERROR, 15, 24, "L2Advertisement lb/l", "spec.ipAddressPools", "IPAddressPool \"p2\" does not exist in namespace lb" },
	{ "BGP names missing pool", "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata:\n  name: a\nspec:\n  ipAddressPools:\n  - nope\n",
	  DIAG_ERROR, 7, 5, "BGPAdvertisement default/a", NULL, "IPAddressPool \"nope\" does not exist in namespace default" },
	{ "aggregation shorter than CIDR", POOL_OK("p1", "192.0.2.0/26") "---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata:\n  name: a\n  namespace: lb\nspec:\n  aggregationLength: 24\n",
	  DIAG_ERROR, 15, 22, "BGPAdvertisement lb/a", "spec.aggregationLength",
	  "24 is shorter than the prefix 192.0.2.0/26 of IPAddressPool lb/p1 (t.yaml:7)" },
	{ "aggregation shorter than a range", POOL_OK("p1", "192.0.2.0-192.0.2.127") "---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata:\n  name: a\n  namespace: lb\nspec:\n  aggregationLengthV6: 64\n  aggregationLength: 24\n  ipAddressPools: [p1]\n",
	  DIAG_ERROR, 16, 22, NULL, "spec.aggregationLength", "prefix 192.0.2.0/25" },
	{ "aggregation v6", POOL_OK("p1", "2001:db8::/120") "---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata:\n  name: a\n  namespace: lb\nspec:\n  aggregationLengthV6: 112\n",
	  DIAG_ERROR, 15, 24, NULL, "spec.aggregationLengthV6", "2001:db8::/120" },
	{ "aggregation out of range", "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata:\n  name: a\nspec:\n  aggregationLength: 33\n",
	  DIAG_ERROR, 6, 22, NULL, NULL, "must be between 0 and 32" },
	{ "localPref conflict", POOL_OK("p1", "192.0.2.0/24")
	  "---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata:\n  name: a\n  namespace: lb\nspec:\n  localPref: 100\n  peers: [r1]\n"
	  "---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata:\n  name: b\n  namespace: lb\nspec:\n  localPref: 200\n",
	  DIAG_ERROR, 24, 14, "BGPAdvertisement lb/b", "spec.localPref",
	  "200 conflicts with localPref 100 of BGPAdvertisement lb/a for the same prefixes of IPAddressPool lb/p1" },
	{ "unknown field", POOL_HDR "spec:\n  addresses: [192.0.2.0/24]\n  autoassign: false\n", DIAG_WARNING, 8, 3,
	  "IPAddressPool lb/p1", "spec", "unknown field \"autoassign\"" },
	{ "unknown top-level field", POOL_HDR "spec:\n  addresses: [192.0.2.0/24]\nnodeSelectors: []\n", DIAG_WARNING, 8,
	  1, "IPAddressPool lb/p1", NULL, "unknown field \"nodeSelectors\"" },
	{ "defined twice", POOL_OK("p1", "192.0.2.0/24") "---\n" POOL_OK("p1", "198.51.100.0/24"), DIAG_ERROR, 9, 1,
	  "IPAddressPool lb/p1", NULL, "defined twice (first at t.yaml:1:1)" },
	{ "bad selector operator", "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata:\n  name: l\nspec:\n  nodeSelectors:\n  - matchExpressions:\n    - key: a\n      operator: Equals\n      values: [x]\n",
	  DIAG_ERROR, 9, 17, "L2Advertisement default/l", "spec.nodeSelectors[0].matchExpressions[0].operator",
	  "unknown operator \"Equals\"" },
	{ "preferred weight", "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata:\n  name: l\nspec:\n  preferredNodeSelectors:\n  - weight: 101\n    preference:\n      matchLabels: {a: b}\n",
	  DIAG_ERROR, 7, 13, NULL, "spec.preferredNodeSelectors[0].weight", "must be between 1 and 100" },
	{ "service port", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: LoadBalancer\n  ports:\n  - port: 70000\n",
	  DIAG_ERROR, 8, 11, "Service default/s", "spec.ports[0].port", "must be between 1 and 65535" },
	{ "service protocol", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 53\n    protocol: ICMP\n",
	  DIAG_ERROR, 8, 15, NULL, "spec.ports[0].protocol", "unknown value \"ICMP\" (want one of TCP, UDP, SCTP)" },
	{ "service type", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: Loadbalancer\n",
	  DIAG_ERROR, 6, 9, NULL, "spec.type", "unknown value \"Loadbalancer\"" },
	{ "service loadBalancerIP", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: LoadBalancer\n  loadBalancerIP: 192.0.2.256\n",
	  DIAG_ERROR, 7, 19, NULL, "spec.loadBalancerIP", "invalid IP address" },
	{ "single stack two families", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ipFamilyPolicy: SingleStack\n  ipFamilies: [IPv4, IPv6]\n",
	  DIAG_ERROR, 7, 15, NULL, NULL, "SingleStack allows one family" },
	{ "secret base64", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: \"not base64!\"\n",
	  DIAG_ERROR, 6, 3, "Secret default/s", "data.password", "not valid base64" },
	{ "subnet exclude outside", "apiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata:\n  name: u\nspec:\n  cidrBlock: 192.0.2.0/24\n  excludeIps:\n  - 192.0.2.10..198.51.100.1\n",
	  DIAG_ERROR, 8, 5, "Subnet u", NULL, "192.0.2.10-198.51.100.1 is outside the subnet's cidrBlock" },
	{ "endpointslice family", "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: e\naddressType: IPv4\nendpoints:\n- addresses: [\"2001:db8::1\"]\n",
	  DIAG_ERROR, 7, 15, "EndpointSlice default/e", "endpoints[0]", "\"2001:db8::1\" is not an IPv4 address" },
};

static void run_case(void **state)
{
	const struct vcase *c = *state;
	struct config *cfg;
	struct diags d;
	bool ok = load_text(c->yaml, &cfg, &d);
	const struct diag *g = find_diag(&d, c->sev, c->msg);

	if (!g || (c->sev == DIAG_ERROR) == ok || g->mark.line != c->line || (c->col && g->mark.col != c->col) ||
	    (c->object && (!g->object || strcmp(g->object, c->object))) ||
	    (c->path && (!g->path || strcmp(g->path, c->path)))) {
		fprintf(stderr, "case \"%s\": want %s at %u:%u object=%s path=%s msg~\"%s\"; got (ok=%d):\n", c->name,
			c->sev == DIAG_ERROR ? "error" : "warning", c->line, c->col, c->object ? c->object : "-",
			c->path ? c->path : "-", c->msg, ok);
		print_diags(&d);
		fail();
	}
	assert_string_equal(g->mark.file, "t.yaml");
	config_free(cfg);
	diags_free(&d);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0])];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tests[i] = (struct CMUnitTest){ cases[i].name, run_case, NULL, NULL, (void *)&cases[i] };
	return _cmocka_run_group_tests("validate", tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
