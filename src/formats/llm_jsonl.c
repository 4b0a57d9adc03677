/*
 * llm_jsonl.c - request-log JSONL (the gateway's log; apps can write it
 * too) into usage records; see llm_usage.h and docs/llm.md.
 *
 * One object per line: {"ts","provider","model","usage":{...},"metadata":
 * {...},"status",...}. usage is either OpenAI-shaped (prompt_tokens incl.
 * prompt_tokens_details.cached_tokens, completion_tokens incl.
 * completion_tokens_details.reasoning_tokens; or the Responses API's
 * input_tokens/output_tokens with *_details) or Anthropic-shaped
 * (input_tokens without cache, cache_read_input_tokens,
 * cache_creation_input_tokens or cache_creation{ephemeral_5m,1h}). The
 * counts are made disjoint here. metadata scalars become tags.
 *
 * Each line goes to llm_jsonl_fast.c first (a scan without a jansson tree,
 * for the gateway's ledger writer); what it declines comes here. Both must
 * build the same record: change them together.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "formats/focus.h"
#include "formats/llm_usage.h"
#include "util/err.h"

/* Nested count o.a.b (b may be NULL): 1 found, 0 absent, -1 bad. */
static int count2(json_t *o, const char *a, const char *b, uint64_t *v)
{
	if (!b)
		return llm_json_count(o, a, v);
	json_t *x = json_object_get(o, a);
	if (!x || json_is_null(x))
		return 0;
	if (!json_is_object(x))
		return -1;
	return llm_json_count(x, b, v);
}

/* The provider a record names by its model alone (the request log may omit `provider`). */
const char *llm_infer_provider(const char *model)
{
	if (!model)
		return "unknown";
	if (!strncasecmp(model, "claude", 6) || !strncasecmp(model, "anthropic/", 10))
		return "anthropic";
	if (!strncasecmp(model, "gemini", 6))
		return "gemini";
	if (!strncasecmp(model, "gpt", 3) || !strncasecmp(model, "o1", 2) || !strncasecmp(model, "o3", 2) ||
	    !strncasecmp(model, "o4", 2) || !strncasecmp(model, "text-embedding", 14) || !strncasecmp(model, "openai/", 7))
		return "openai";
	return "unknown";
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* 0 ok, else a reason (static text) for rejecting the line. */
static const char *usage_counts(json_t *u, int anthropic, struct llm_usage *out)
{
	uint64_t a = 0, b = 0, c = 0, d = 0, e = 0, g = 0;
	if (!json_is_object(u))
		return "usage is not an object";
	if (anthropic) {
		if (count2(u, "input_tokens", NULL, &a) < 0 || count2(u, "cache_read_input_tokens", NULL, &b) < 0 ||
		    count2(u, "output_tokens", NULL, &c) < 0 || count2(u, "cache_creation_input_tokens", NULL, &d) < 0 ||
		    count2(u, "cache_creation", "ephemeral_5m_input_tokens", &e) < 0 ||
		    count2(u, "cache_creation", "ephemeral_1h_input_tokens", &g) < 0)
			return "a usage field is not a token count";
		out->tokens[LD_INPUT] = a;
		out->tokens[LD_CACHE_READ] = b;
		out->tokens[LD_OUTPUT] = c;
		/* cache_creation_input_tokens is the sum of the 5m and 1h writes when both are given. */
		if (e || g) {
			out->tokens[LD_CACHE_WRITE] = e;
			out->tokens[LD_CACHE_WRITE_1H] = g;
		} else {
			out->tokens[LD_CACHE_WRITE] = d;
		}
		return NULL;
	}
	int chat = json_object_get(u, "prompt_tokens") != NULL;
	const char *pk = chat ? "prompt_tokens" : "input_tokens", *ck = chat ? "completion_tokens" : "output_tokens";
	const char *pd = chat ? "prompt_tokens_details" : "input_tokens_details";
	const char *cd = chat ? "completion_tokens_details" : "output_tokens_details";
	if (count2(u, pk, NULL, &a) < 0 || count2(u, ck, NULL, &c) < 0 || count2(u, pd, "cached_tokens", &b) < 0 ||
	    count2(u, cd, "reasoning_tokens", &e) < 0)
		return "a usage field is not a token count";
	if (b > a)
		return "cached_tokens exceed the prompt tokens";
	if (e > c)
		return "reasoning_tokens exceed the completion tokens";
	/* OpenAI nests cached in prompt and reasoning in completion tokens: make them disjoint. */
	out->tokens[LD_INPUT] = a - b;
	out->tokens[LD_CACHE_READ] = b;
	out->tokens[LD_OUTPUT] = c - e;
	out->tokens[LD_REASONING] = e;
	return NULL;
}

/* First 64 bits of a hex SHA-256 ("sha256:" prefix allowed); 0 when absent or not hex. */
static uint64_t hash64(json_t *v)
{
	const char *s = json_string_value(v);
	uint64_t h = 0;
	if (!s)
		return 0;
	if (!strncasecmp(s, "sha256:", 7))
		s += 7;
	for (int i = 0; i < 16; i++) {
		int c = s[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return 0;
		h = h << 4 | (uint64_t)d;
	}
	return h ? h : 1;   /* 0 means "none" */
}

static uint64_t count_of(json_t *o, const char *key)
{
	uint64_t v = 0;
	return llm_json_count(o, key, &v) > 0 ? v : 0;
}

/*
 * The optional per-request facts behind recommend's LLM statistics:
 * prompt_sha256/prompt_chars (exact duplicates), prefix_sha256/prefix_chars
 * (a stable prompt prefix, for prompt caching), stream, and whether an end
 * user is named. Bad values are ignored, never a rejection: the usage is
 * what the ledger needs.
 */
static void request_facts(json_t *o, json_t *meta, struct llm_record *r)
{
	static const char *const user_keys[] = { "user", "user_id", "end_user", "end_user_id" };
	r->prompt_h = hash64(json_object_get(o, "prompt_sha256"));
	r->prefix_h = hash64(json_object_get(o, "prefix_sha256"));
	r->prompt_chars = count_of(o, "prompt_chars");
	r->prefix_chars = count_of(o, "prefix_chars");
	json_t *st = json_object_get(o, "stream");
	r->stream = json_is_boolean(st) ? (int8_t)json_is_true(st) : -1;
	const char *ch = json_string_value(json_object_get(o, "cache"));
	r->cache_hit = ch && (!strcasecmp(ch, "hit") || !strcasecmp(ch, "semantic-hit"));
	for (size_t i = 0; i < sizeof user_keys / sizeof user_keys[0]; i++) {
		json_t *u = json_object_get(meta, user_keys[i]);
		if (!u)
			u = json_object_get(o, user_keys[i]);
		if (u && !json_is_null(u) && !(json_is_string(u) && !json_string_length(u)))
			r->has_user = 1;
	}
}

void llm_parse_jsonl_line(const char *p, size_t n, uint64_t line, struct llm_file *f)
{
	if (!llm_jsonl_line_fast(p, n, line, f))
		llm_jsonl_line_jansson(p, n, line, f);
}

void llm_jsonl_line_jansson(const char *p, size_t n, uint64_t line, struct llm_file *f)
{
	json_error_t je;
	json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
	const char *why = NULL;
	int64_t ts = 0;
	if (!o) {
		llm_reject_add(f, line, (uint32_t)(je.column > 0 ? je.column : 1), "not valid JSON: %s", je.text);
		return;
	}
	if (!json_is_object(o)) {
		llm_reject_add(f, line, 1, "not a JSON object");
		goto out;
	}
	json_t *t = json_object_get(o, "ts");
	if (!t)
		t = json_object_get(o, "timestamp");
	int ns;
	if (json_is_string(t)) {
		if (focus_parse_datetime(json_string_value(t), json_string_length(t), &ts, &ns) < 0) {
			llm_reject_add(f, line, 1, "ts: '%.40s' is not an ISO 8601 time", json_string_value(t));
			goto out;
		}
	} else if (json_is_integer(t) && json_integer_value(t) >= 0 && json_integer_value(t) < 253402300800LL) {
		ts = json_integer_value(t);
	} else {
		llm_reject_add(f, line, 1, "ts: missing or not an ISO 8601 time");
		goto out;
	}
	json_t *u = json_object_get(o, "usage");
	json_t *st = json_object_get(o, "status");
	if (!u || json_is_null(u)) {
		/* A failed call with no usage cost nothing; anything else must say what it used. */
		if (json_is_integer(st) && json_integer_value(st) >= 400) {
			f->skipped++;
			goto out;
		}
		llm_reject_add(f, line, 1, "usage: missing (a request record needs its token usage)");
		goto out;
	}
	char *model = llm_json_strdup(o, "model");
	char *prov = llm_json_strdup(o, "provider");
	if (!prov)
		prov = xstrdup(llm_infer_provider(model));
	lower(prov);
	struct llm_usage us = { .long_context = -1, .requests = 1 };
	int anthropic = !strcmp(prov, "anthropic") ||
			(!json_object_get(u, "prompt_tokens") && (json_object_get(u, "cache_read_input_tokens") ||
								  json_object_get(u, "cache_creation_input_tokens")));
	if ((why = usage_counts(u, anthropic, &us))) {
		llm_reject_add(f, line, 1, "usage: %s", why);
		free(model);
		free(prov);
		goto out;
	}
	char *tier = llm_json_strdup(o, "service_tier");
	us.tier = json_is_true(json_object_get(o, "batch")) ? LT_BATCH : llm_tier_parse(tier);
	free(tier);
	struct llm_record *r = llm_add(f);
	r->line = line;
	r->col = 1;
	r->start = r->end = ts;
	r->provider = prov;
	r->model = model;
	r->u = us;
	json_t *meta = json_object_get(o, "metadata");
	r->sub_account = llm_json_strdup(meta, "project_id");
	r->tags = llm_tags(o, NULL, NULL, 0, meta);
	request_facts(o, meta, r);
out:
	json_decref(o);
}

int llm_parse_jsonl(const char *buf, size_t n, const char *name, struct llm_file *f)
{
	(void)name;
	uint64_t line = 0;
	size_t i = 0;
	while (i < n) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - buf) : n;
		size_t s = i, len;
		line++;
		if (line == 1 && e - s >= 3 && !memcmp(buf + s, "\xEF\xBB\xBF", 3))
			s += 3;
		len = e - s;
		while (len && (buf[s + len - 1] == '\r' || buf[s + len - 1] == ' ' || buf[s + len - 1] == '\t'))
			len--;
		size_t k = 0;
		while (k < len && (buf[s + k] == ' ' || buf[s + k] == '\t'))
			k++;
		if (k < len)
			llm_parse_jsonl_line(buf + s, len, line, f);
		i = e + 1;
	}
	return 0;
}
