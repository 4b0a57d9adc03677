/*
 * llm_jsonl_diff.h - the check the unit test (tests/unit/test_llm_jsonl_fast.c)
 * and the fuzz target (tests/fuzz/fuzz_llm_jsonl.c) share: one request-log
 * line through the fast path and through the jansson path must give the same
 * result, or the fast path must have declined it without adding anything.
 * Header-only; nothing here is part of the product.
 */
#ifndef AICOST_TEST_LLM_JSONL_DIFF_H
#define AICOST_TEST_LLM_JSONL_DIFF_H

#include <stdio.h>
#include <string.h>
#include "formats/llm_usage.h"

static inline int lj_str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* NULL when both paths agree on line p[0..n), else what differs (static text). */
static inline const char *lj_diff(const char *p, size_t n, int *fast_took)
{
	struct llm_file a, b;
	const char *why = NULL;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	int took = llm_jsonl_line_fast(p, n, 7, &a);
	if (fast_took)
		*fast_took = took;
	if (!took) {
		if (a.n || a.nrej || a.skipped)
			why = "declined but added something";
		goto out;
	}
	llm_jsonl_line_jansson(p, n, 7, &b);
	if (a.nrej || a.n + a.skipped != 1)
		why = "fast path: not exactly one record or skip";
	else if (b.nrej)
		why = "the jansson path rejects what the fast path took";
	else if (a.n != b.n || a.skipped != b.skipped)
		why = "record versus skip";
	for (size_t i = 0; !why && i < a.n; i++) {
		const struct llm_record *x = &a.r[i], *y = &b.r[i];
		if (x->line != y->line || x->col != y->col || x->start != y->start || x->end != y->end)
			why = "line, column or time";
		else if (!lj_str_eq(x->provider, y->provider))
			why = "provider";
		else if (!lj_str_eq(x->model, y->model))
			why = "model";
		else if (!lj_str_eq(x->sub_account, y->sub_account))
			why = "sub_account";
		else if (!lj_str_eq(x->tags, y->tags))
			why = "tags";
		else if (memcmp(x->u.tokens, y->u.tokens, sizeof x->u.tokens) || x->u.requests != y->u.requests ||
			 x->u.tier != y->u.tier || x->u.long_context != y->u.long_context)
			why = "usage";
		else if (x->prompt_h != y->prompt_h || x->prefix_h != y->prefix_h || x->prompt_chars != y->prompt_chars ||
			 x->prefix_chars != y->prefix_chars)
			why = "prompt facts";
		else if (x->stream != y->stream || x->has_user != y->has_user || x->cache_hit != y->cache_hit)
			why = "stream, user or cache";
	}
out:
	llm_file_release(&a);
	llm_file_release(&b);
	return why;
}

#endif
