/*
 * libFuzzer target for the control socket's request parser
 * (lib/ctl_request.h): whatever a client of the socket writes. A request that
 * parses must hold what the parser promises: a command of a-z and '-', at most
 * CTL_ARGS_MAX printable arguments, each NUL-terminated within its bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request r;
	char err[256];
	if (!ctl_request_parse((const char *)data, size, &r, err, sizeof(err))) {
		if (!memchr(err, 0, sizeof(err)) || !err[0])
			abort();
		return 0;
	}
	size_t n = strnlen(r.cmd, sizeof(r.cmd));
	if (!n || n > CTL_CMD_MAX || strspn(r.cmd, "abcdefghijklmnopqrstuvwxyz-") != n || r.nargs > CTL_ARGS_MAX)
		abort();
	for (size_t i = 0; i < r.nargs; i++) {
		size_t k = strnlen(r.args[i], sizeof(r.args[i]));
		if (k > CTL_ARG_MAX)
			abort();
		for (size_t j = 0; j < k; j++)
			if ((unsigned char)r.args[i][j] < 0x20 || (unsigned char)r.args[i][j] > 0x7e)
				abort();
	}
	return 0;
}
