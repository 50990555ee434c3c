/*
 * libFuzzer target: bytes through a configuration loader and validation,
 * built twice: FUZZ_LOAD is config_load_yaml (a YAML stream, as files give
 * it) or config_load_json (an object as the API server sends it).
 *
 * Every input gets a fresh configuration and everything is freed before
 * returning, so LeakSanitizer catches any object, document or diagnostic a
 * failure path forgets. Each diagnostic is formatted, into a roomy buffer and
 * into one that cuts it short, to exercise the message paths.
 */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"
#include "load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = config_new();
	struct diags diags;
	char line[2048], small[24];

	diags_init(&diags);
	if (FUZZ_LOAD(c, "fuzz-input", (const char *)data, size, &diags, NULL))
		config_validate(c, &diags);
	for (size_t i = 0; i < diags.n; i++) {
		diag_format(&diags.v[i], line, sizeof(line));
		diag_format(&diags.v[i], small, sizeof(small));
	}
	config_free(c);
	diags_free(&diags);
	return 0;
}
