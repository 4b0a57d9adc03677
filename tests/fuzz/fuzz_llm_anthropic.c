/* fuzz_llm_anthropic.c - the Anthropic usage report parser. */
#include <stdint.h>
#include <string.h>
#include <jansson.h>
#include "formats/llm_usage.h"
#include "util/err.h"

static void quiet(const char *line) { (void)line; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct llm_file f;
	json_error_t je;
	uint64_t ord = 0;
	err_sink = quiet;
	json_t *root = json_loadb((const char *)data, size, 0, &je);
	if (root) {
		memset(&f, 0, sizeof f);
		llm_parse_anthropic(root, "fuzz", &f, &ord);
		llm_file_release(&f);
		json_decref(root);
	}
	return 0;
}
