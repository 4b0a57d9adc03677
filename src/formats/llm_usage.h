/*
 * llm_usage.h - LLM token usage files -> normalized usage records.
 *
 * Three formats, detected from the content (docs/llm.md):
 *   OpenAI Usage API pages (/v1/organization/usage/completions): one page,
 *     a JSON array of pages, or pages concatenated;
 *   Anthropic usage report (/v1/organizations/usage_report/messages);
 *   request-log JSONL (the gateway's log; one object per request).
 * Each record carries DISJOINT token counts (struct llm_usage): parsers
 * subtract cached tokens from prompt tokens and reasoning tokens from
 * completion tokens where the provider nests them.
 *
 * Positions: every record and rejection carries the line:column where it
 * starts. JSONL: its line. JSON pages: the parsers number results in
 * document order, and llm_parse maps each ordinal to the position of the
 * k-th element of a "results" array found by a small scan of the text (the
 * JSON library keeps no positions).
 *
 * Ownership: llm_file owns every record and string; llm_file_release frees.
 */
#ifndef AICOST_LLM_USAGE_H
#define AICOST_LLM_USAGE_H

#include <stddef.h>
#include <stdint.h>
#include "core/prices.h"

#define LLM_MAX_FILE_BYTES (1024ull << 20)   /* one usage file, decompressed */
#define LLM_MAX_TAGS 32

enum llm_format { LF_OPENAI_USAGE, LF_ANTHROPIC_USAGE, LF_JSONL };
extern const char *const llm_format_name[3];

struct llm_record {
	uint64_t line;
	uint32_t col;
	int64_t start, end;        /* epoch seconds (UTC) */
	char *provider;            /* lower case: "openai", "anthropic", "azure", ... */
	char *model;               /* NULL when the export was not grouped by model */
	char *sub_account;         /* project_id (OpenAI) / workspace_id (Anthropic) / metadata.project_id */
	char *tags;                /* JSON object text of the metadata, or NULL */
	struct llm_usage u;
	/* Request logs only: what recommend's request statistics need (core/llm_stats.h). */
	uint64_t prompt_h;         /* first 64 bits of prompt_sha256; 0 = none */
	uint64_t prefix_h;         /* first 64 bits of prefix_sha256 (the stable prompt prefix); 0 = none */
	uint64_t prompt_chars, prefix_chars;   /* 0 = not given */
	int8_t stream;             /* "stream": 1 true, 0 false, -1 absent */
	uint8_t has_user;          /* metadata (or "user") names an end user */
	uint8_t cache_hit;         /* "cache": "hit" / "semantic-hit": a gateway cache answered, no provider call */
};

struct llm_reject {
	uint64_t line;
	uint32_t col;
	char why[200];
};

struct llm_file {
	enum llm_format format;
	struct llm_record *r;
	size_t n, cap;
	struct llm_reject *rej;    /* in file order */
	size_t nrej, rejcap;
	uint64_t skipped;          /* records with no tokens and no requests (e.g. failed calls) */
};

/*
 * Parse buf (n bytes) into *f (which it initializes). name is used in
 * messages. Bad records are collected in f->rej with their position; a
 * file that is not one of the formats at all is an error: -1 after
 * reporting "aicost: NAME:LINE:COL: why". f is released on error.
 */
int llm_parse(const char *buf, size_t n, const char *name, struct llm_file *f);
void llm_file_release(struct llm_file *f);

/* ---- shared by the three parsers (llm_usage.c) ---- */
struct json_t;
struct llm_record *llm_add(struct llm_file *f);
void llm_reject_add(struct llm_file *f, uint64_t line, uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Non-negative integer member `key` of object o: 1 found (*v), 0 absent/null, -1 not a count. */
int llm_json_count(struct json_t *o, const char *key, uint64_t *v);
/* String member or NULL (numbers are kept as their text). malloc'd. */
char *llm_json_strdup(struct json_t *o, const char *key);
/* Tags object text out of selected members (keys[i] -> tag names[i]) and/or all members of `meta`. */
char *llm_tags(struct json_t *o, const char *const *keys, const char *const *names, size_t nkeys, struct json_t *meta);
enum llm_tier llm_tier_parse(const char *s);
/* "openai", "anthropic", "gemini" or "unknown" from a model name (NULL: "unknown"); llm_jsonl.c. */
const char *llm_infer_provider(const char *model);

int llm_parse_openai(struct json_t *root, const char *name, struct llm_file *f, uint64_t *ordinal);
int llm_parse_anthropic(struct json_t *root, const char *name, struct llm_file *f, uint64_t *ordinal);
int llm_parse_jsonl(const char *buf, size_t n, const char *name, struct llm_file *f);
/* One request-log line (no newline; blank lines are the caller's): adds a record, a rejection or a skip to f. */
void llm_parse_jsonl_line(const char *p, size_t n, uint64_t line, struct llm_file *f);
/*
 * Its two halves (tests compare them): the scan without a jansson tree
 * (llm_jsonl_fast.c; 1 handled, 0 declined: nothing added), and the jansson
 * path, which handles any line and words every rejection.
 */
int llm_jsonl_line_fast(const char *p, size_t n, uint64_t line, struct llm_file *f);
void llm_jsonl_line_jansson(const char *p, size_t n, uint64_t line, struct llm_file *f);
/* Does this JSON value look like one request-log record? (jansson json_t) */
int llm_is_request_record(struct json_t *o);

#endif
