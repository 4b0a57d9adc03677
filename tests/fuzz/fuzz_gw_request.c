/*
 * fuzz_gw_request.c - client request bodies of the gateway: the first byte
 * picks the API, the rest is the body. Valid bodies are rewritten (model
 * replaced, include_usage forced) and the result must still be valid JSON
 * with the new model; the prompt bound never overflows silently.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gateway/jscan.h"
#include "gateway/reqbody.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum gw_api api = (enum gw_api)(data[0] % 4);
	const char *body = (const char *)data + 1;
	size_t n = size - 1;
	struct reqbody r;
	char why[256];
	if (reqbody_parse(body, n, api, 32, &r, why, sizeof why) < 0)
		return 0;
	(void)reqbody_prompt_bound(&r, 2000);
	(void)reqbody_prompt_estimate(&r);
	const char *m = (data[0] & 4) ? "dep\"\\\x01x" : "gpt-4o-mini";
	size_t cap = reqbody_rewrite_size(n, m);
	char *out = malloc(cap);
	size_t k = reqbody_rewrite(body, n, &r, m, (data[0] & 8) != 0, out, cap);
	if (!k || js_validate(out, k, 40, NULL, NULL) < 0)
		abort();
	struct reqbody r2;
	if (reqbody_parse(out, k, api, 40, &r2, why, sizeof why) < 0 || strcmp(r2.model, m))
		abort();
	if ((data[0] & 8) && api != API_MESSAGES && !r2.include_usage)
		abort();
	free(out);
	return 0;
}
