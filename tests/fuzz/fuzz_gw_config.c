/*
 * fuzz_gw_config.c - the `gateway:` config section: YAML through the config
 * loader, then the gateway's own checks (upstreams, models, keys, budgets,
 * routes, cache). Errors are reported, never crash; a loaded config is
 * released cleanly.
 */
#include <stdint.h>
#include <string.h>
#include "core/config.h"
#include "core/prices.h"
#include "gateway/gwconfig.h"
#include "util/err.h"

static void quiet(const char *line) { (void)line; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct price_catalog *cat;
	static const char js[] = "{\"gpt-4o\":{\"input_cost_per_token\":2.5e-06,\"output_cost_per_token\":1e-05,"
				 "\"max_output_tokens\":16384,\"litellm_provider\":\"openai\"},"
				 "\"claude-x\":{\"input_cost_per_token\":3e-06,\"output_cost_per_token\":1.5e-05,"
				 "\"cache_creation_input_token_cost\":3.75e-06,\"litellm_provider\":\"anthropic\"}}";
	err_sink = quiet;
	err_quiet = 1;
	if (!cat)
		cat = prices_load_mem(js, sizeof js - 1, "fuzz");
	struct config cfg;
	if (config_load_mem((const char *)data, size, "fuzz.yaml", &cfg) < 0)
		return 0;
	struct gw_conf c;
	gwconf_load(&cfg, cat, &c);
	gwconf_release(&c);
	config_release(&cfg);
	return 0;
}
