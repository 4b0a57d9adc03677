/*
 * fuzz_config.c - the config loader (YAML tree, key table, allocation
 * compile) on arbitrary bytes; a config that loads is then evaluated on a
 * few lines for every dimension and shared rule, so the compiled globs,
 * intern tables and dimension-on-dimension rules are exercised too.
 */
#include <stdint.h>
#include <string.h>
#include "core/alloc.h"
#include "core/config.h"
#include "util/err.h"

static void quiet(const char *line)
{
	(void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "Team", "env", "owner_team", "team", "workload" };
	static const char *const vals[] = { "Fraud Detection ", "prod", "ML__Platform", "fraud", "training" };
	struct alloc_line lines[3];
	struct config cfg;

	err_sink = quiet;
	if (config_load_mem((const char *)data, size, "fuzz.yaml", &cfg) < 0)
		return 0;
	memset(lines, 0, sizeof lines);
	lines[0].tag_keys = keys;
	lines[0].tag_vals = vals;
	lines[0].ntags = 5;
	lines[1].vals[FC_SUB_ACCOUNT_NAME] = "ml-platform-prod";
	lines[1].vals[FC_SERVICE_NAME] = "Amazon SageMaker";
	lines[1].vals[FC_SKU_METER] = "ml.p4d.24xlarge-Training";
	lines[2].vals[FC_RESOURCE_ID] = "arn:aws:sagemaker:us-east-1:1:endpoint/x";
	lines[2].vals[FC_CONSUMED_UNIT] = "Tokens";
	for (int i = 0; i < 3; i++) {
		for (size_t d = 0; d < alloc_ndims(&cfg); d++) {
			int def;
			const char *v = alloc_eval(&cfg, (int)d, &lines[i], &def);
			if (!v)
				__builtin_trap();
		}
		for (size_t r = 0; r < cfg.nshared; r++)
			(void)alloc_match(&cfg, &cfg.shared[r].match, &lines[i]);
	}
	config_release(&cfg);
	return 0;
}
