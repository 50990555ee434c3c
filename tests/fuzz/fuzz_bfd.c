/*
 * libFuzzer target: bytes as a UDP payload through bfd_decode. A packet that
 * decodes is written back with bfd_encode: without authentication the bytes
 * must be the input's first Length bytes exactly; with it (the MD5/SHA1
 * Reserved byte is ignored on receipt, written as zero) the result must
 * decode to the same packet.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bfd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Field by field: the structures' padding is unspecified. */
static bool same(const struct bfd_ctrl *a, const struct bfd_ctrl *b)
{
	const struct bfd_auth *x = &a->auth, *y = &b->auth;

	return a->diag == b->diag && a->state == b->state && a->poll == b->poll && a->final == b->final &&
	       a->cpi == b->cpi && a->demand == b->demand && a->multipoint == b->multipoint &&
	       a->detect_mult == b->detect_mult && a->length == b->length && a->my_disc == b->my_disc &&
	       a->your_disc == b->your_disc && a->desired_min_tx_us == b->desired_min_tx_us &&
	       a->required_min_rx_us == b->required_min_rx_us &&
	       a->required_min_echo_rx_us == b->required_min_echo_rx_us && x->type == y->type &&
	       x->key_id == y->key_id && x->seq == y->seq && x->data_len == y->data_len &&
	       (x->data_len == 0 || memcmp(x->data, y->data, x->data_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bfd_ctrl c, back;
	uint8_t buf[BFD_CTRL_MAX_LEN];

	memset(&c, 0, sizeof c);
	memset(&back, 0, sizeof back);
	if (bfd_decode(data, size, &c) != BFD_OK)
		return 0;
	if (c.length > size)
		abort();
	size_t n = bfd_encode(&c, buf, sizeof buf);
	if (n != c.length)
		abort();
	if (c.auth.type == BFD_AUTH_NONE && memcmp(buf, data, n) != 0)
		abort();
	if (bfd_decode(buf, n, &back) != BFD_OK || !same(&c, &back))
		abort();
	return 0;
}
