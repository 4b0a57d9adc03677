/*
 * fuzz_recommend_config.c - the `recommend:` settings reader
 * (core/recommend.c rec_settings_read) on arbitrary bytes: a document that
 * loads as a config is read for thresholds, per-provider discounts,
 * lookbacks and route targets.
 */
#include <stdint.h>
#include "core/config.h"
#include "core/recommend_int.h"
#include "util/err.h"

static void quiet(const char *line)
{
	(void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	struct rec_settings s;
	err_sink = quiet;
	err_quiet = 1;
	if (config_load_mem((const char *)data, size, "fuzz.yaml", &cfg) < 0)
		return 0;
	if (rec_settings_read(&cfg, &s) == 0)
		rec_settings_release(&s);
	config_release(&cfg);
	return 0;
}
