/*
 * stub_openai.c: the OpenAI and Azure OpenAI wire formats of llm_stub,
 * written byte for byte the way the services send them:
 *   - OpenAI non-stream bodies are pretty-printed with 2-space indents and
 *     error bodies with 4-space indents (what api.openai.com returns);
 *   - OpenAI stream chunks are compact `data: {...}\n\n` lines in the field
 *     order id, object, created, model, service_tier, system_fingerprint,
 *     choices, usage, obfuscation; `"usage":null` on every chunk and a last
 *     chunk with `"choices":[]` and the usage only when
 *     stream_options.include_usage is true; then `data: [DONE]`;
 *   - Azure bodies and chunks are compact with keys in alphabetical order,
 *     carry content-filter results, and a stream opens with a chunk that has
 *     empty choices, empty id/model and the prompt_filter_results.
 * Each function appends to a caller-owned evbuffer.
 */
#include <stdio.h>
#include <string.h>

#include "stub.h"

#define FINGERPRINT "fp_5ac9c1bd3f"

static const char *finish(const struct call *c)
{
	return c->finish_length ? "length" : "stop";
}

static void id_of(const struct call *c, char *out, size_t cap)
{
	make_id(out, cap, c->ep == EP_COMPLETIONS ? "cmpl-" : "chatcmpl-", c->seq, 29);
}

/* ---- headers ---- */

void oa_headers(struct call *c, struct evkeyvalq *h, int stream)
{
	char v[64];
	evhttp_add_header(h, "Content-Type", stream ? "text/event-stream; charset=utf-8" : "application/json");
	make_id(v, sizeof v, "req_", c->seq, 32);
	if (c->proto == PROTO_AZURE) {
		evhttp_add_header(h, "apim-request-id", v + 4);
		evhttp_add_header(h, "x-request-id", v + 4);
		evhttp_add_header(h, "x-ms-region", "East US");
		evhttp_add_header(h, "x-content-type-options", "nosniff");
		evhttp_add_header(h, "x-ratelimit-remaining-requests", "999");
		evhttp_add_header(h, "x-ratelimit-remaining-tokens", "999000");
		return;
	}
	evhttp_add_header(h, "access-control-expose-headers", "X-Request-ID");
	evhttp_add_header(h, "openai-organization", "user-stub");
	evhttp_add_header(h, "openai-processing-ms", "1");
	evhttp_add_header(h, "openai-project", "proj_stub");
	evhttp_add_header(h, "openai-version", "2020-10-01");
	evhttp_add_header(h, "x-ratelimit-limit-requests", "10000");
	evhttp_add_header(h, "x-ratelimit-limit-tokens", "30000000");
	evhttp_add_header(h, "x-ratelimit-remaining-requests", "9999");
	evhttp_add_header(h, "x-ratelimit-remaining-tokens", "29999000");
	evhttp_add_header(h, "x-ratelimit-reset-requests", "6ms");
	evhttp_add_header(h, "x-ratelimit-reset-tokens", "2ms");
	evhttp_add_header(h, "x-request-id", v);
}

/* ---- non-stream bodies ---- */

static void usage_pretty(const struct call *c, struct evbuffer *b, int details)
{
	evbuffer_add_printf(b,
	                    "  \"usage\": {\n"
	                    "    \"prompt_tokens\": %ld,\n"
	                    "    \"completion_tokens\": %ld,\n"
	                    "    \"total_tokens\": %ld%s\n",
	                    c->prompt_tokens, c->completion_tokens, c->prompt_tokens + c->completion_tokens,
	                    details ? "," : "");
	if (details)
		evbuffer_add_printf(b,
		                    "    \"prompt_tokens_details\": {\n"
		                    "      \"cached_tokens\": %ld,\n"
		                    "      \"audio_tokens\": 0\n"
		                    "    },\n"
		                    "    \"completion_tokens_details\": {\n"
		                    "      \"reasoning_tokens\": %ld,\n"
		                    "      \"audio_tokens\": 0,\n"
		                    "      \"accepted_prediction_tokens\": 0,\n"
		                    "      \"rejected_prediction_tokens\": 0\n"
		                    "    }\n",
		                    c->cached_tokens, c->reasoning_tokens);
	evbuffer_add_printf(b, "  }");
}

static void usage_compact(const struct call *c, struct evbuffer *b, int sorted)
{
	long p = c->prompt_tokens, k = c->completion_tokens;
	if (sorted) /* Azure */
		evbuffer_add_printf(b,
		                    "{\"completion_tokens\":%ld,\"completion_tokens_details\":{\"accepted_prediction_tokens\":0,"
		                    "\"audio_tokens\":0,\"reasoning_tokens\":%ld,\"rejected_prediction_tokens\":0},"
		                    "\"prompt_tokens\":%ld,\"prompt_tokens_details\":{\"audio_tokens\":0,\"cached_tokens\":%ld},"
		                    "\"total_tokens\":%ld}",
		                    k, c->reasoning_tokens, p, c->cached_tokens, p + k);
	else
		evbuffer_add_printf(b,
		                    "{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,\"total_tokens\":%ld,"
		                    "\"prompt_tokens_details\":{\"cached_tokens\":%ld,\"audio_tokens\":0},"
		                    "\"completion_tokens_details\":{\"reasoning_tokens\":%ld,\"audio_tokens\":0,"
		                    "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}",
		                    p, k, p + k, c->cached_tokens, c->reasoning_tokens);
}

#define AZ_SAFE "{\"filtered\":false,\"severity\":\"safe\"}"
#define AZ_CFR                                                                                     \
	"{\"hate\":" AZ_SAFE ",\"self_harm\":" AZ_SAFE ",\"sexual\":" AZ_SAFE ",\"violence\":" AZ_SAFE "}"
#define AZ_PFR                                                                                     \
	"[{\"prompt_index\":0,\"content_filter_results\":{\"hate\":" AZ_SAFE                           \
	",\"jailbreak\":{\"filtered\":false,\"detected\":false},\"self_harm\":" AZ_SAFE                 \
	",\"sexual\":" AZ_SAFE ",\"violence\":" AZ_SAFE "}}]"

static void azure_chat_body(struct call *c, struct evbuffer *b)
{
	char id[64];
	id_of(c, id, sizeof id);
	evbuffer_add_printf(b, "{\"choices\":[{\"content_filter_results\":" AZ_CFR
	                       ",\"finish_reason\":\"%s\",\"index\":0,\"logprobs\":null,\"message\":{\"annotations\":[],"
	                       "\"content\":",
	                    finish(c));
	w_text(b, c->completion_tokens);
	evbuffer_add_printf(b, ",\"refusal\":null,\"role\":\"assistant\"}}],\"created\":%ld,\"id\":\"%s\",\"model\":",
	                    c->created, id);
	w_str(b, c->model);
	evbuffer_add_printf(b, ",\"object\":\"chat.completion\",\"prompt_filter_results\":" AZ_PFR
	                       ",\"system_fingerprint\":\"" FINGERPRINT "\",\"usage\":");
	usage_compact(c, b, 1);
	evbuffer_add(b, "}\n", 2);
}

static void chat_body(struct call *c, struct evbuffer *b)
{
	char id[64];
	id_of(c, id, sizeof id);
	evbuffer_add_printf(b, "{\n  \"id\": \"%s\",\n  \"object\": \"chat.completion\",\n  \"created\": %ld,\n  \"model\": ",
	                    id, c->created);
	w_str(b, c->model);
	evbuffer_add_printf(b, ",\n  \"choices\": [\n    {\n      \"index\": 0,\n      \"message\": {\n"
	                       "        \"role\": \"assistant\",\n        \"content\": ");
	w_text(b, c->completion_tokens);
	evbuffer_add_printf(b,
	                    ",\n        \"refusal\": null,\n        \"annotations\": []\n      },\n"
	                    "      \"logprobs\": null,\n      \"finish_reason\": \"%s\"\n    }\n  ],\n",
	                    finish(c));
	usage_pretty(c, b, 1);
	evbuffer_add_printf(b, ",\n  \"service_tier\": \"default\",\n  \"system_fingerprint\": \"" FINGERPRINT "\"\n}\n");
}

static void completion_body(struct call *c, struct evbuffer *b)
{
	char id[64];
	id_of(c, id, sizeof id);
	evbuffer_add_printf(b, "{\n  \"id\": \"%s\",\n  \"object\": \"text_completion\",\n  \"created\": %ld,\n  \"model\": ",
	                    id, c->created);
	w_str(b, c->model);
	evbuffer_add_printf(b, ",\n  \"choices\": [\n    {\n      \"text\": ");
	w_text(b, c->completion_tokens);
	evbuffer_add_printf(b,
	                    ",\n      \"index\": 0,\n      \"logprobs\": null,\n      \"finish_reason\": \"%s\"\n    }\n  ],\n",
	                    finish(c));
	usage_pretty(c, b, 0);
	evbuffer_add(b, "\n}\n", 3);
}

static void base64(struct evbuffer *b, const unsigned char *p, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = t[v >> 18 & 63];
		q[1] = t[v >> 12 & 63];
		q[2] = i + 1 < n ? t[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? t[v & 63] : '=';
		evbuffer_add(b, q, 4);
	}
}

static void embedding_one(struct call *c, struct evbuffer *b, size_t index, const char *s, size_t n,
                          float *v, int last)
{
	embed_text(s, n, v, c->dims);
	evbuffer_add_printf(b, "    {\n      \"object\": \"embedding\",\n      \"index\": %zu,\n      \"embedding\": ",
	                    index);
	if (c->b64) {
		/* little-endian float32, as the service encodes them */
		evbuffer_add(b, "\"", 1);
		base64(b, (const unsigned char *)v, sizeof *v * (size_t)c->dims);
		evbuffer_add(b, "\"\n", 2);
	} else {
		evbuffer_add(b, "[\n", 2);
		for (int i = 0; i < c->dims; i++)
			evbuffer_add_printf(b, "        %.9g%s\n", (double)v[i], i + 1 < c->dims ? "," : "");
		evbuffer_add(b, "      ]\n", 8);
	}
	evbuffer_add_printf(b, "    }%s\n", last ? "" : ",");
}

static void embeddings_body(struct call *c, struct evbuffer *b)
{
	float *v = malloc(sizeof *v * (size_t)c->dims);
	if (!v)
		return;
	json_t *in = json_object_get(c->body, "input");
	evbuffer_add_printf(b, "{\n  \"object\": \"list\",\n  \"data\": [\n");
	if (json_is_string(in)) {
		embedding_one(c, b, 0, json_string_value(in), json_string_length(in), v, 1);
	} else if (json_is_array(in) && json_is_integer(json_array_get(in, 0))) {
		/* one input given as token ids: embed their decimal text */
		struct evbuffer *t = evbuffer_new();
		size_t i;
		json_t *it;
		json_array_foreach(in, i, it) evbuffer_add_printf(t, "t%lld ", (long long)json_integer_value(it));
		size_t n = evbuffer_get_length(t);
		embedding_one(c, b, 0, (const char *)evbuffer_pullup(t, -1), n, v, 1);
		evbuffer_free(t);
	} else {
		size_t i, n = json_array_size(in);
		json_t *it;
		json_array_foreach(in, i, it) {
			const char *s = json_is_string(it) ? json_string_value(it) : "";
			size_t len = json_is_string(it) ? json_string_length(it) : 0;
			embedding_one(c, b, i, s, len, v, i + 1 == n);
		}
	}
	free(v);
	evbuffer_add_printf(b, "  ],\n  \"model\": ");
	w_str(b, c->model);
	evbuffer_add_printf(b, ",\n  \"usage\": {\n    \"prompt_tokens\": %ld,\n    \"total_tokens\": %ld\n  }\n}\n",
	                    c->prompt_tokens, c->prompt_tokens);
}

void oa_body(struct call *c, struct evbuffer *b)
{
	switch (c->ep) {
	case EP_CHAT:
		if (c->proto == PROTO_AZURE)
			azure_chat_body(c, b);
		else
			chat_body(c, b);
		break;
	case EP_COMPLETIONS: completion_body(c, b); break;
	case EP_EMBEDDINGS: embeddings_body(c, b); break;
	default: break;
	}
}

void oa_models(struct evbuffer *b, long created)
{
	static const char *const ids[] = {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano",
	                                  "o3-mini", "gpt-3.5-turbo-instruct", "text-embedding-3-small",
	                                  "text-embedding-3-large"};
	size_t n = sizeof ids / sizeof ids[0];
	evbuffer_add_printf(b, "{\n  \"object\": \"list\",\n  \"data\": [\n");
	for (size_t i = 0; i < n; i++)
		evbuffer_add_printf(b,
		                    "    {\n      \"id\": \"%s\",\n      \"object\": \"model\",\n      \"created\": %ld,\n"
		                    "      \"owned_by\": \"system\"\n    }%s\n",
		                    ids[i], created - 86400 * (long)(i + 1), i + 1 < n ? "," : "");
	evbuffer_add_printf(b, "  ]\n}\n");
}

/* ---- stream chunks ---- */

/* OpenAI pads every chunk with an "obfuscation" string of varying length
 * (stream_options.include_obfuscation, on by default). Deterministic here. */
static void obfuscation(struct call *c, struct evbuffer *b)
{
	char o[24];
	make_id(o, sizeof o, "", c->seq * 131 + (unsigned long)c->step, 1 + (int)((c->seq + (unsigned long)c->step * 7) % 15));
	evbuffer_add_printf(b, ",\"obfuscation\":\"%s\"", o);
}

static void chat_head(struct call *c, struct evbuffer *b)
{
	char id[64];
	id_of(c, id, sizeof id);
	evbuffer_add_printf(b, "data: {\"id\":\"%s\",\"object\":\"chat.completion.chunk\",\"created\":%ld,\"model\":", id,
	                    c->created);
	w_str(b, c->model);
	evbuffer_add_printf(b, ",\"service_tier\":\"default\",\"system_fingerprint\":\"" FINGERPRINT "\",\"choices\":");
}

static void chat_tail(struct call *c, struct evbuffer *b)
{
	if (c->include_usage)
		evbuffer_add_printf(b, ",\"usage\":null");
	obfuscation(c, b);
	evbuffer_add(b, "}\n\n", 3);
}

/* One token's text in a stream: the words are joined by single spaces. */
static void token_piece(struct evbuffer *b, long i)
{
	evbuffer_add_printf(b, "\"%s%s\"", i ? " " : "", word_at(i));
}

/* steps: 0 role, 1..N tokens, N+1 finish, N+2 usage (include_usage), then [DONE] */
static int chat_chunk(struct call *c, struct evbuffer *b)
{
	long n = c->completion_tokens, s = c->step;
	int more = 1;
	if (s == 0) {
		chat_head(c, b);
		evbuffer_add_printf(b, "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
		                       "\"logprobs\":null,\"finish_reason\":null}]");
		chat_tail(c, b);
	} else if (s <= n) {
		chat_head(c, b);
		evbuffer_add_printf(b, "[{\"index\":0,\"delta\":{\"content\":");
		token_piece(b, s - 1);
		evbuffer_add_printf(b, "},\"logprobs\":null,\"finish_reason\":null}]");
		chat_tail(c, b);
	} else if (s == n + 1) {
		chat_head(c, b);
		evbuffer_add_printf(b, "[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"%s\"}]", finish(c));
		chat_tail(c, b);
	} else if (s == n + 2 && c->include_usage) {
		chat_head(c, b);
		evbuffer_add_printf(b, "[],\"usage\":");
		usage_compact(c, b, 0);
		obfuscation(c, b);
		evbuffer_add(b, "}\n\n", 3);
	} else if (s <= n + 3) {
		evbuffer_add_printf(b, "data: [DONE]\n\n");
		c->step = (int)(n + 3);
	} else {
		more = 0;
	}
	c->step++;
	return more;
}

static void azure_head(struct call *c, struct evbuffer *b)
{
	evbuffer_add_printf(b, "data: {\"choices\":");
}

static void azure_tail(struct call *c, struct evbuffer *b, int usage)
{
	char id[64];
	id_of(c, id, sizeof id);
	evbuffer_add_printf(b, ",\"created\":%ld,\"id\":\"%s\",\"model\":", c->created, id);
	w_str(b, c->model);
	evbuffer_add_printf(b, ",\"object\":\"chat.completion.chunk\",\"system_fingerprint\":\"" FINGERPRINT "\"");
	if (usage) {
		evbuffer_add_printf(b, ",\"usage\":");
		usage_compact(c, b, 1);
	}
	evbuffer_add(b, "}\n\n", 3);
}

/* steps: 0 prompt filter results, 1 role, 2..N+1 tokens, N+2 finish,
 * N+3 usage (include_usage), then [DONE] */
static int azure_chunk(struct call *c, struct evbuffer *b)
{
	long n = c->completion_tokens, s = c->step;
	int more = 1;
	if (s == 0) {
		evbuffer_add_printf(b, "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\","
		                       "\"prompt_filter_results\":" AZ_PFR "}\n\n");
	} else if (s == 1) {
		azure_head(c, b);
		evbuffer_add_printf(b, "[{\"content_filter_results\":{},\"delta\":{\"content\":\"\",\"refusal\":null,"
		                       "\"role\":\"assistant\"},\"finish_reason\":null,\"index\":0,\"logprobs\":null}]");
		azure_tail(c, b, 0);
	} else if (s <= n + 1) {
		azure_head(c, b);
		evbuffer_add_printf(b, "[{\"content_filter_results\":" AZ_CFR ",\"delta\":{\"content\":");
		token_piece(b, s - 2);
		evbuffer_add_printf(b, "},\"finish_reason\":null,\"index\":0,\"logprobs\":null}]");
		azure_tail(c, b, 0);
	} else if (s == n + 2) {
		azure_head(c, b);
		evbuffer_add_printf(b, "[{\"content_filter_results\":{},\"delta\":{},\"finish_reason\":\"%s\",\"index\":0,"
		                       "\"logprobs\":null}]",
		                    finish(c));
		azure_tail(c, b, 0);
	} else if (s == n + 3 && c->include_usage) {
		azure_head(c, b);
		evbuffer_add_printf(b, "[]");
		azure_tail(c, b, 1);
	} else if (s <= n + 4) {
		evbuffer_add_printf(b, "data: [DONE]\n\n");
		c->step = (int)(n + 4);
	} else {
		more = 0;
	}
	c->step++;
	return more;
}

static void compl_head(struct call *c, struct evbuffer *b)
{
	char id[64];
	id_of(c, id, sizeof id);
	evbuffer_add_printf(b, "data: {\"id\":\"%s\",\"object\":\"text_completion\",\"created\":%ld,\"choices\":", id,
	                    c->created);
}

static void compl_tail(struct call *c, struct evbuffer *b, int usage)
{
	evbuffer_add_printf(b, ",\"model\":");
	w_str(b, c->model);
	evbuffer_add_printf(b, ",\"system_fingerprint\":null");
	if (usage) {
		evbuffer_add_printf(b, ",\"usage\":");
		usage_compact(c, b, 0);
	} else if (c->include_usage) {
		evbuffer_add_printf(b, ",\"usage\":null");
	}
	evbuffer_add(b, "}\n\n", 3);
}

/* steps: 0..N-1 tokens, N finish, N+1 usage (include_usage), then [DONE] */
static int compl_chunk(struct call *c, struct evbuffer *b)
{
	long n = c->completion_tokens, s = c->step;
	int more = 1;
	if (s < n) {
		compl_head(c, b);
		evbuffer_add_printf(b, "[{\"text\":");
		token_piece(b, s);
		evbuffer_add_printf(b, ",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]");
		compl_tail(c, b, 0);
	} else if (s == n) {
		compl_head(c, b);
		evbuffer_add_printf(b, "[{\"text\":\"\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"%s\"}]", finish(c));
		compl_tail(c, b, 0);
	} else if (s == n + 1 && c->include_usage) {
		compl_head(c, b);
		evbuffer_add_printf(b, "[]");
		compl_tail(c, b, 1);
	} else if (s <= n + 2) {
		evbuffer_add_printf(b, "data: [DONE]\n\n");
		c->step = (int)(n + 2);
	} else {
		more = 0;
	}
	c->step++;
	return more;
}

int oa_chunk(struct call *c, struct evbuffer *b)
{
	if (c->ep == EP_COMPLETIONS)
		return compl_chunk(c, b);
	if (c->proto == PROTO_AZURE)
		return azure_chunk(c, b);
	return chat_chunk(c, b);
}

/* ---- errors ---- */

void oa_error_body(enum proto p, int status, const char *msg, const char *type, const char *param,
                   const char *code, struct evbuffer *b)
{
	if (p == PROTO_AZURE) {
		char sc[16];
		snprintf(sc, sizeof sc, "%d", status);
		evbuffer_add_printf(b, "{\"error\":{\"code\":");
		w_str(b, code ? code : sc);
		evbuffer_add_printf(b, ",\"message\":");
		w_str(b, msg);
		evbuffer_add_printf(b, "}}\n");
		return;
	}
	evbuffer_add_printf(b, "{\n    \"error\": {\n        \"message\": ");
	w_str(b, msg);
	evbuffer_add_printf(b, ",\n        \"type\": ");
	w_str(b, type);
	evbuffer_add_printf(b, ",\n        \"param\": ");
	if (param)
		w_str(b, param);
	else
		evbuffer_add_printf(b, "null");
	evbuffer_add_printf(b, ",\n        \"code\": ");
	if (code)
		w_str(b, code);
	else
		evbuffer_add_printf(b, "null");
	evbuffer_add_printf(b, "\n    }\n}\n");
}

void oa_status_error(struct call *c, int status, struct evbuffer *b)
{
	char m[512];
	if (c->proto == PROTO_AZURE) {
		const char *code = NULL, *msg = "The server had an error while processing your request. Sorry about that!";
		if (status == 429) {
			snprintf(m, sizeof m,
			         "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 "
			         "have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after %s "
			         "second. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase "
			         "the default rate limit.",
			         c->retry_after);
			msg = m;
		} else if (status == 400) {
			code = "BadRequest";
			msg = "The request is invalid.";
		} else if (status == 404) {
			code = "DeploymentNotFound";
			msg = "The API deployment for this resource does not exist. If you created the deployment within "
			      "the last 5 minutes, please wait a moment and try again.";
		} else if (status == 503) {
			code = "ServiceUnavailable";
			msg = "The service is temporarily unable to process your request. Please try again later.";
		} else if (status >= 500) {
			code = "InternalServerError";
		}
		oa_error_body(c->proto, status, msg, NULL, NULL, code, b);
		return;
	}
	switch (status) {
	case 400:
		oa_error_body(c->proto, status, "Invalid request.", "invalid_request_error", NULL, NULL, b);
		break;
	case 403:
		oa_error_body(c->proto, status, "Country, region, or territory not supported", "request_forbidden", NULL,
		              "unsupported_country_region_territory", b);
		break;
	case 404:
		snprintf(m, sizeof m, "The model `%s` does not exist or you do not have access to it.", c->model);
		oa_error_body(c->proto, status, m, "invalid_request_error", NULL, "model_not_found", b);
		break;
	case 429:
		snprintf(m, sizeof m,
		         "Rate limit reached for %s in organization org-stub on requests per min (RPM): Limit 500, Used "
		         "500, Requested 1. Please try again in %ss. Visit https://platform.openai.com/account/rate-limits "
		         "to learn more.",
		         c->model, c->retry_after);
		oa_error_body(c->proto, status, m, "requests", NULL, "rate_limit_exceeded", b);
		break;
	case 502: /* the edge proxy's JSON, with a numeric code */
		evbuffer_add_printf(b, "{\"error\":{\"code\":502,\"message\":\"Bad gateway.\",\"param\":null,"
		                       "\"type\":\"cf_bad_gateway\"}}\n");
		break;
	case 503:
		oa_error_body(c->proto, status, "The engine is currently overloaded, please try again later.",
		              "server_error", NULL, NULL, b);
		break;
	case 504:
		evbuffer_add_printf(b, "{\"error\":{\"code\":504,\"message\":\"Gateway timeout.\",\"param\":null,"
		                       "\"type\":\"cf_gateway_timeout\"}}\n");
		break;
	default:
		oa_error_body(c->proto, status,
		              "The server had an error while processing your request. Sorry about that!",
		              status >= 500 ? "server_error" : "invalid_request_error", NULL, NULL, b);
	}
}

/* An error after the stream started: one data line with the error object;
 * the caller then ends the stream. */
void oa_stream_error(struct call *c, struct evbuffer *b)
{
	evbuffer_add_printf(b, "data: {\"error\":{\"message\":\"The server had an error while processing your "
	                       "request. Sorry about that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n");
}
