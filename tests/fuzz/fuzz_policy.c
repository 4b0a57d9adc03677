/*
 * fuzz_policy.c - the `policies:` parser of `aicost check` (core/policy.c)
 * on arbitrary bytes: a document that loads as a config is validated as
 * policies (scopes, severities, fractions, budget names).
 */
#include <stdint.h>
#include "core/config.h"
#include "core/policy.h"
#include "util/err.h"

static void quiet(const char *line)
{
	(void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	err_sink = quiet;
	if (config_load_mem((const char *)data, size, "fuzz.yaml", &cfg) < 0)
		return 0;
	(void)policy_validate(&cfg);
	config_release(&cfg);
	return 0;
}
