#include "ovn.h"

#include <string.h>

enum ovn_policy ovn_policy_parse(const char *value, const char **warning)
{
	const char *why = NULL;
	enum ovn_policy p = OVN_BGP_NONE;

	if (!value || !*value)
		p = OVN_BGP_NONE;
	else if (strcmp(value, "true") == 0 || strcmp(value, "cluster") == 0)
		p = OVN_BGP_CLUSTER;
	else if (strcmp(value, "local") == 0)
		p = OVN_BGP_LOCAL;
	else if (strcmp(value, "yes") == 0) {
		p = OVN_BGP_CLUSTER;
		why = "\"yes\" is taken as \"true\" (kube-ovn-speaker ignores it: write \"true\")";
	} else
		why = "announces nothing: want \"true\", \"cluster\" or \"local\"";
	if (warning)
		*warning = why;
	return p;
}

enum ovn_policy ovn_policy_of(const struct object *o)
{
	return ovn_policy_parse(labels_get(&o->meta.annotations, OVN_ANNOTATION_BGP), NULL);
}

static bool has_suffix(const char *key, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len > n && memcmp(key + len - n, suffix, n) == 0;
}

bool ovn_annotation_kept(const char *key, size_t len)
{
	size_t plen = strlen(OVN_PEER_ANNOTATION_PREFIX);
	return (len == strlen(OVN_ANNOTATION_BGP) && memcmp(key, OVN_ANNOTATION_BGP, len) == 0) ||
	       (len > plen && memcmp(key, OVN_PEER_ANNOTATION_PREFIX, plen) == 0) ||
	       has_suffix(key, len, OVN_IP_ADDRESS_SUFFIX) || has_suffix(key, len, OVN_LOGICAL_SWITCH_SUFFIX);
}
