/*
 * llm_anthropic.c - the Anthropic usage report (/v1/organizations/
 * usage_report/messages) into usage records; see llm_usage.h.
 *
 * {"data":[{"starting_at":"2025-08-01T00:00:00Z","ending_at":...,
 * "results":[{"uncached_input_tokens","cache_read_input_tokens",
 * "cache_creation":{"ephemeral_5m_input_tokens","ephemeral_1h_input_tokens"},
 * "output_tokens","server_tool_use":{...},"model","api_key_id",
 * "workspace_id","service_tier","context_window"}]}],"has_more","next_page"}.
 * The counts are already disjoint. A flat cache_creation_input_tokens (or
 * cache_creation_5m_/1h_input_tokens) is accepted too. context_window
 * "200k-1M" selects the long-context prices. The report has no request
 * count; server tool use (web search) is not a token charge and is ignored.
 */
#include <inttypes.h>
#include <string.h>
#include <jansson.h>
#include "formats/focus.h"
#include "formats/llm_usage.h"
#include "util/err.h"

static const char *const tag_keys[] = { "workspace_id", "api_key_id", "account_id", "service_account_id" };

static int get_time(json_t *b, const char *key, int64_t *t)
{
	json_t *x = json_object_get(b, key);
	int ns;
	if (!json_is_string(x))
		return -1;
	return focus_parse_datetime(json_string_value(x), json_string_length(x), t, &ns);
}

static void parse_result(json_t *res, int64_t t0, int64_t t1, uint64_t ord, struct llm_file *f)
{
	uint64_t v[5] = { 0 };
	static const char *const keys[] = { "uncached_input_tokens", "cache_read_input_tokens", "output_tokens",
					    "cache_creation_input_tokens", "cache_creation_5m_input_tokens" };
	uint64_t w1h = 0, w5m = 0;
	if (!json_is_object(res)) {
		llm_reject_add(f, ord, 0, "result #%" PRIu64 " is not an object", ord);
		return;
	}
	for (int k = 0; k < 5; k++)
		if (llm_json_count(res, keys[k], &v[k]) < 0) {
			llm_reject_add(f, ord, 0, "result #%" PRIu64 ": %s is not a token count", ord, keys[k]);
			return;
		}
	if (llm_json_count(res, "cache_creation_1h_input_tokens", &w1h) < 0) {
		llm_reject_add(f, ord, 0, "result #%" PRIu64 ": cache_creation_1h_input_tokens is not a token count", ord);
		return;
	}
	json_t *cc = json_object_get(res, "cache_creation");
	if (json_is_object(cc)) {
		if (llm_json_count(cc, "ephemeral_5m_input_tokens", &w5m) < 0 ||
		    llm_json_count(cc, "ephemeral_1h_input_tokens", &w1h) < 0) {
			llm_reject_add(f, ord, 0, "result #%" PRIu64 ": cache_creation holds something that is not a token count", ord);
			return;
		}
	} else {
		w5m = v[4] ? v[4] : v[3];
	}
	if (!v[0] && !v[1] && !v[2] && !w5m && !w1h) {
		f->skipped++;
		return;
	}
	struct llm_record *r = llm_add(f);
	r->line = ord;
	r->start = t0;
	r->end = t1;
	r->provider = xstrdup("anthropic");
	r->model = llm_json_strdup(res, "model");
	r->sub_account = llm_json_strdup(res, "workspace_id");
	r->tags = llm_tags(res, tag_keys, tag_keys, 4, NULL);
	r->u.tokens[LD_INPUT] = v[0];
	r->u.tokens[LD_CACHE_READ] = v[1];
	r->u.tokens[LD_OUTPUT] = v[2];
	r->u.tokens[LD_CACHE_WRITE] = w5m;
	r->u.tokens[LD_CACHE_WRITE_1H] = w1h;
	char *tier = llm_json_strdup(res, "service_tier"), *cw = llm_json_strdup(res, "context_window");
	r->u.tier = llm_tier_parse(tier);
	if (cw)
		r->u.long_context = strcmp(cw, "0-200k") != 0;
	free(tier);
	free(cw);
}

int llm_parse_anthropic(json_t *page, const char *name, struct llm_file *f, uint64_t *ord)
{
	json_t *data = json_object_get(page, "data");
	if (!json_is_array(data))
		return error("%s: Anthropic usage report page: no \"data\" array of buckets", name);
	for (size_t i = 0; i < json_array_size(data); i++) {
		json_t *b = json_array_get(data, i);
		json_t *results = json_object_get(b, "results");
		int64_t t0 = 0, t1 = 0;
		if (!json_is_array(results)) {
			llm_reject_add(f, 0, 0, "bucket %zu: no \"results\" array", i);
			continue;
		}
		int bad = get_time(b, "starting_at", &t0) < 0;
		if (get_time(b, "ending_at", &t1) < 0 || t1 < t0)
			t1 = t0;
		for (size_t k = 0; k < json_array_size(results); k++) {
			++*ord;
			if (bad) {
				llm_reject_add(f, *ord, 0, "bucket %zu: starting_at is not an RFC 3339 time", i);
				continue;
			}
			parse_result(json_array_get(results, k), t0, t1, *ord, f);
		}
	}
	return 0;
}
