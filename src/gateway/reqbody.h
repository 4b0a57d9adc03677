/*
 * reqbody.h - what the gateway reads out of a client request body, and how
 * it rewrites one for the upstream.
 *
 * reqbody_parse() validates the body (jscan, depth-bounded) and records the
 * members that admission, routing, metering and caching need: model,
 * stream, stream_options.include_usage, max_tokens (max_completion_tokens
 * for chat, max_tokens for Anthropic), n, metadata (string scalars, bounded),
 * user, and the size of the prompt-bearing members (messages, prompt, input,
 * system, tools...). Everything else is relayed untouched.
 *
 * reqbody_rewrite() writes the upstream body: the top-level "model" value
 * replaced (routing), and for OpenAI streams "stream_options":
 * {"include_usage":true} added or set when the client left it out (the
 * gateway then drops the extra usage chunk on the way back).
 *
 * Ownership: spans point into the caller's body, which must outlive the
 * struct; the metadata pairs are copied into the struct's fixed arrays.
 */
#ifndef AICOST_GW_REQBODY_H
#define AICOST_GW_REQBODY_H

#include <stddef.h>
#include <stdint.h>
#include "gateway/jscan.h"

enum gw_api { API_CHAT, API_COMPLETIONS, API_EMBEDDINGS, API_MESSAGES };

#define REQ_META_MAX 16
#define REQ_META_KEY 64
#define REQ_META_VAL 128
#define REQ_MODEL_MAX 256

struct reqbody {
	enum gw_api api;
	struct js_span root;
	char model[REQ_MODEL_MAX];   /* decoded; "" when absent */
	struct js_span model_val;    /* the value as written (for the rewrite); t == JS_NONE when absent */
	int stream;
	int has_stream_options;
	struct js_span stream_options;
	int include_usage;           /* stream_options.include_usage is true */
	uint64_t max_tokens;         /* 0 = not given */
	uint64_t n;                  /* choices; 1 when absent */
	char user[REQ_META_VAL];
	int priority;                /* service_tier "priority": reserve at priority prices */
	size_t nmeta;
	char meta_k[REQ_META_MAX][REQ_META_KEY];
	char meta_v[REQ_META_MAX][REQ_META_VAL];
	/* The prompt: every string in the prompt-bearing members. */
	struct js_text_stats prompt;
	const char *prompt_p;        /* the first prompt member's text (for prompt_sha256) */
	size_t prompt_n;
	uint64_t images;             /* image parts (image_url / image / input_image), priced by a fixed bound */
};

/*
 * Parse body (n bytes) for api. 0 ok; -1 bad body with a one-line reason in
 * why (cap bytes) that names the member. max_depth bounds nesting.
 */
int reqbody_parse(const char *body, size_t n, enum gw_api api, int max_depth, struct reqbody *r, char *why,
		  size_t cap);

/*
 * Upper bound of the prompt's tokens: a BPE token covers at least one byte
 * of text, so the decoded bytes of every string, plus framing per object
 * and message, plus image_tokens per image part.
 */
uint64_t reqbody_prompt_bound(const struct reqbody *r, uint64_t image_tokens);
/* A typical-case estimate (bytes / 4), for rate limits and routing rules. */
uint64_t reqbody_prompt_estimate(const struct reqbody *r);

/*
 * Write the upstream body into out (cap bytes): model replaced by new_model
 * (NULL = keep), include_usage forced when add_usage. Returns the length, or
 * 0 when out is too small (the caller grows it: reqbody_rewrite_size()).
 */
size_t reqbody_rewrite(const char *body, size_t n, const struct reqbody *r, const char *new_model, int add_usage,
		       char *out, size_t cap);
size_t reqbody_rewrite_size(size_t n, const char *new_model);

#endif
