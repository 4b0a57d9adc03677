/*
 * fuzz_scenario.c - the forecast scenario parser (YAML -> rules) on
 * arbitrary bytes; a file that parses is checked and evaluated, so every
 * rule field is read.
 */
#include <stdint.h>
#include <string.h>
#include "core/scenario.h"
#include "util/err.h"

static void quiet(const char *line)
{
	(void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dims[] = { "team", "ServiceName" };
	static const char *const vals[] = { "chatbot", "Compute" };
	struct scenario sc;

	err_sink = quiet;
	if (scenario_parse((const char *)data, size, "fuzz.yaml", &sc) == 0) {
		(void)scenario_check(&sc, dims, 2);
		volatile double f = scenario_factor(&sc, dims, vals, 2, 20788);
		(void)f;
	}
	scenario_release(&sc);
	return 0;
}
