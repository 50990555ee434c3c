/* The L2 owner rule: see owner.h. */
#include "owner.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

uint64_t owner_score(const char *node, const struct ipaddr *vip)
{
	char text[IPADDR_STRLEN];
	ipaddr_format(vip, text);
	size_t nn = strlen(node), nt = strlen(text);
	unsigned char in[256 + IPADDR_STRLEN], *buf = in, md[SHA256_DIGEST_LENGTH];
	if (nn + 1 + nt > sizeof in)
		buf = xmalloc(nn + 1 + nt);
	memcpy(buf, node, nn);
	buf[nn] = 0;
	memcpy(buf + nn + 1, text, nt);
	SHA256(buf, nn + 1 + nt, md);
	if (buf != in)
		free(buf);
	uint64_t s = 0;
	for (int i = 0; i < 8; i++)
		s = s << 8 | md[i];
	return s;
}

int owner_rank_cmp(const struct owner_rank *a, const struct owner_rank *b)
{
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return strcmp(a->node, b->node);
}

static int rank_qsort_cmp(const void *x, const void *y)
{
	return owner_rank_cmp(x, y);
}

void owner_rank_sort(struct owner_rank *r, size_t n)
{
	if (n > 1)
		qsort(r, n, sizeof(*r), rank_qsort_cmp);
}
