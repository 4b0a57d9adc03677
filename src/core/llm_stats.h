/*
 * llm_stats.h - request statistics of an LLM request log, for recommend's
 * LLM kinds (llm-cache, llm-route, llm-batch, prompt-caching; see
 * docs/recommend.md). The ledger keeps token charges per model and tag set;
 * these statistics keep what a charge cannot say: how many requests repeat
 * an earlier prompt exactly, how large requests are, whether they stream or
 * name an end user, and how much of their prompts is a repeated prefix.
 *
 * Records a gateway cache answered ("cache": "hit" or "semantic-hit") are
 * left out: they made no provider call.
 *
 * Grouping: per UTC day and (provider, model, sub account, metadata tags
 * without per-user keys: user, user_id, end_user, end_user_id, session_id,
 * request_id, trace_id, conversation_id).
 *
 * Duplicates: a request whose prompt_sha256 equals an earlier request's of
 * the same group and day IN THE SAME LOG FILE (one ingest). Prefixes: the
 * same with prefix_sha256, counted only when the prefix is at least
 * LLM_CACHE_MIN_TOKENS long (the providers' smallest cacheable prompt).
 *
 * Size classes: a request's prompt (input + cache read + cache writes) and
 * output (output + reasoning) token counts each fall into a class 19% wide
 * (4 per doubling): class 0 is 0 tokens, class b >= 1 holds
 * [2^((b-1)/4), 2^(b/4)). A guard such as "prompt <= 1000 tokens" is applied
 * to whole classes (llm_size_class_max(b) <= 1000): rounded down, never up.
 *
 * Memory: the hashes of one file are kept to find repeats, at most 2M of
 * them (about 100 MB); past that, repeats of new hashes are not counted and a
 * warning says so.
 *
 * Ownership: the accumulator owns all it allocates; llm_stats_free frees.
 */
#ifndef AICOST_LLM_STATS_H
#define AICOST_LLM_STATS_H

#include <stdint.h>

struct store;
struct llm_record;
struct llm_stats;

#define LLM_SIZE_CLASSES 161          /* classes 0..160 (2^40 tokens) */
#define LLM_CACHE_MIN_TOKENS 1024

int llm_size_class(uint64_t tokens);
/* Largest token count in classes <= b (classes 2-4 hold no whole count). */
uint64_t llm_size_class_max(int b);

struct llm_stats *llm_stats_new(void);
/* Count one request-log record. */
void llm_stats_add(struct llm_stats *s, const struct llm_record *r);
/* Write every group-day under source_id (inside the caller's transaction). 0 or -1 (reported). */
int llm_stats_write(struct llm_stats *s, struct store *st, int64_t source_id);
void llm_stats_free(struct llm_stats *s);

#endif
