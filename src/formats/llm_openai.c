/*
 * llm_openai.c - OpenAI Usage API pages (/v1/organization/usage/completions)
 * into usage records; see llm_usage.h.
 *
 * A page: {"object":"page","data":[{"object":"bucket","start_time":T0,
 * "end_time":T1,"results":[{"input_tokens","output_tokens",
 * "input_cached_tokens","num_model_requests","project_id","user_id",
 * "api_key_id","model","batch","service_tier"}]}]}. input_tokens includes
 * the cached tokens, output_tokens includes reasoning (the Usage API does
 * not split it out), so uncached input = input_tokens - input_cached_tokens
 * and all output is priced as output. Audio/image token counts are part
 * of input_tokens/output_tokens and are priced at the text price.
 */
#include <inttypes.h>
#include <string.h>
#include <jansson.h>
#include "formats/llm_usage.h"
#include "util/err.h"

static const char *const tag_keys[] = { "project_id", "api_key_id", "user_id" };

static void parse_result(json_t *res, int64_t t0, int64_t t1, uint64_t ord, struct llm_file *f)
{
	uint64_t in = 0, out = 0, cached = 0, req = 0;
	static const char *const need[] = { "input_tokens", "output_tokens", "input_cached_tokens", "num_model_requests" };
	uint64_t *dst[] = { &in, &out, &cached, &req };
	if (!json_is_object(res)) {
		llm_reject_add(f, ord, 0, "result #%" PRIu64 " is not an object", ord);
		return;
	}
	for (int k = 0; k < 4; k++)
		if (llm_json_count(res, need[k], dst[k]) < 0) {
			llm_reject_add(f, ord, 0, "result #%" PRIu64 ": %s is not a token count", ord, need[k]);
			return;
		}
	if (cached > in) {
		llm_reject_add(f, ord, 0, "result #%" PRIu64 ": input_cached_tokens (%" PRIu64 ") exceeds input_tokens (%" PRIu64 ")",
			       ord, cached, in);
		return;
	}
	if (!in && !out && !req) {
		f->skipped++;
		return;
	}
	struct llm_record *r = llm_add(f);
	r->line = ord;
	r->start = t0;
	r->end = t1;
	r->provider = xstrdup("openai");
	r->model = llm_json_strdup(res, "model");
	r->sub_account = llm_json_strdup(res, "project_id");
	r->tags = llm_tags(res, tag_keys, tag_keys, 3, NULL);
	r->u.tokens[LD_INPUT] = in - cached;
	r->u.tokens[LD_CACHE_READ] = cached;
	r->u.tokens[LD_OUTPUT] = out;
	r->u.requests = req;
	json_t *b = json_object_get(res, "batch");
	char *tier = llm_json_strdup(res, "service_tier");
	r->u.tier = json_is_true(b) ? LT_BATCH : llm_tier_parse(tier);
	free(tier);
}

int llm_parse_openai(json_t *page, const char *name, struct llm_file *f, uint64_t *ord)
{
	json_t *data = json_object_get(page, "data");
	if (!json_is_array(data))
		return error("%s: OpenAI usage page #%" PRIu64 ": no \"data\" array of buckets", name, *ord + 1);
	for (size_t i = 0; i < json_array_size(data); i++) {
		json_t *b = json_array_get(data, i);
		json_t *ts = json_object_get(b, "start_time"), *te = json_object_get(b, "end_time");
		json_t *results = json_object_get(b, "results");
		if (!json_is_array(results)) {
			llm_reject_add(f, 0, 0, "bucket %zu: no \"results\" array", i);
			continue;
		}
		int bad_time = !json_is_integer(ts) || json_integer_value(ts) < 0 ||
			       json_integer_value(ts) > 253402300799LL;
		int64_t t0 = bad_time ? 0 : json_integer_value(ts);
		int64_t t1 = json_is_integer(te) && json_integer_value(te) >= t0 ? json_integer_value(te) : t0;
		for (size_t k = 0; k < json_array_size(results); k++) {
			++*ord;
			if (bad_time) {
				llm_reject_add(f, *ord, 0, "bucket %zu: start_time is not a Unix time in seconds", i);
				continue;
			}
			parse_result(json_array_get(results, k), t0, t1, *ord, f);
		}
	}
	return 0;
}
