/*
 * test_llm_ingest.c - LLM usage in the ledger reconciles exactly with the
 * file: token totals and costs are recomputed here independently (jansson
 * walk + integer picodollar arithmetic with the catalog prices written
 * out by hand), and restatement of overlapping exports is checked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include "core/config.h"
#include "core/llm_ingest.h"
#include "core/prices.h"
#include "core/report.h"
#include "formats/focus.h"
#include "store/store.h"
#include "util/err.h"

static char dbpath[256];
static struct price_catalog *cat;

static int setup(void **st)
{
	snprintf(dbpath, sizeof dbpath, "/tmp/aicost-test-llm-%d.db", (int)getpid());
	cat = prices_open(NULL);
	return cat ? 0 : -1;
}

static int group_teardown(void **st)
{
	prices_free(cat);
	return 0;
}

static int teardown(void **st)
{
	char p[300];
	unlink(dbpath);
	snprintf(p, sizeof p, "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", dbpath);
	unlink(p);
	return 0;
}

/* USD per token in picodollars (1e-12), from the catalog text: 2.5e-06 -> 2,500,000. */
static const struct {
	const char *model;
	uint64_t in, cached, out;
} pico[] = {
	{ "gpt-4o-2024-08-06", 2500000, 1250000, 10000000 },
	{ "gpt-4o-mini-2024-07-18", 150000, 75000, 600000 },
	{ "gpt-4o", 2500000, 1250000, 10000000 },
};
/* gpt-4o batch: input_cost_per_token_batches 1.25e-06, output 5e-06, cached: 50% of 1.25e-06. */
static const uint64_t gpt4o_batch[3] = { 1250000, 625000, 5000000 };

static void expected(const char *path, uint64_t *tokens, uint64_t *cost_pico)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	json_t *b, *r;
	size_t i, k;
	assert_non_null(root);
	*tokens = *cost_pico = 0;
	json_array_foreach(json_object_get(root, "data"), i, b) {
		json_array_foreach(json_object_get(b, "results"), k, r) {
			uint64_t in = (uint64_t)json_integer_value(json_object_get(r, "input_tokens"));
			uint64_t out = (uint64_t)json_integer_value(json_object_get(r, "output_tokens"));
			uint64_t cached = (uint64_t)json_integer_value(json_object_get(r, "input_cached_tokens"));
			const char *m = json_string_value(json_object_get(r, "model"));
			int batch = json_is_true(json_object_get(r, "batch"));
			size_t p;
			for (p = 0; p < 3 && strcmp(pico[p].model, m); p++)
				;
			assert_true(p < 3);
			const uint64_t *pr = batch ? gpt4o_batch : (const uint64_t[]){ pico[p].in, pico[p].cached, pico[p].out };
			*tokens += in + out;
			*cost_pico += (in - cached) * pr[0] + cached * pr[1] + out * pr[2];
		}
	}
	json_decref(root);
}

static money_t report_total(struct store *st, int amount, const char *where)
{
	struct config cfg;
	struct report_query q = { 0 };
	struct report_result r;
	const char *w[1] = { where };
	config_init(&cfg);
	q.amount = amount;
	q.from_day = INT64_MIN;
	q.to_day = INT64_MAX;
	q.where = w;
	q.nwhere = where ? 1 : 0;
	assert_int_equal(report_run(st, &cfg, &q, &r), 0);
	money_t t = r.total;
	report_release(&r);
	config_release(&cfg);
	return t;
}

static void ingest(struct store *st, const char *path, const struct llm_ingest_opts *lo, struct llm_ingest_result *r)
{
	struct ingest_opts o = { 0 };
	struct ingest_session *s = ingest_begin(st, &o);
	assert_int_equal(ingest_llm_file(s, cat, lo, path, r), 0);
	ingest_end(s);
}

static void test_openai_reconciles(void **st)
{
	const char *path = "tests/data/llm/openai_usage.json";
	uint64_t tokens, pico_cost;
	struct llm_ingest_result r;
	struct llm_ingest_opts lo = { 0 };
	expected(path, &tokens, &pico_cost);
	struct store *s = store_sqlite_open(dbpath, 1);
	assert_non_null(s);
	ingest(s, path, &lo, &r);
	assert_int_equal(r.base.rejected, 0);
	assert_int_equal(r.unpriced_records, 0);
	assert_int_equal(r.tokens, tokens);
	money_t want = (money_t)pico_cost * 1000000;   /* 1e-12 -> 1e-18 units */
	assert_true(r.base.total[FA_EFFECTIVE] == want);
	assert_true(r.base.total[FA_BILLED] == want);
	assert_true(report_total(s, FA_EFFECTIVE, NULL) == want);
	assert_true(report_total(s, FA_CONSUMED_QTY, "ConsumedUnit=Tokens") == money_from_int((int64_t)tokens));
	/* Same bytes again: a no-op. */
	ingest(s, path, &lo, &r);
	assert_int_equal(r.base.duplicate, 1);
	assert_true(report_total(s, FA_EFFECTIVE, NULL) == want);
	s->ops->close(s);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_overlapping_exports(void **st)
{
	char a[300], b[300], c[300];
	struct llm_ingest_result r;
	struct llm_ingest_opts lo = { 0 };
	snprintf(a, sizeof a, "%s.a.json", dbpath);
	snprintf(b, sizeof b, "%s.b.json", dbpath);
	snprintf(c, sizeof c, "%s.c.jsonl", dbpath);
	/* Day 1 and day 2 (1,000 gpt-4o input tokens each = 0.0025), then day 2 fetched again later (2,000 tokens). */
	write_file(a, "{\"object\":\"page\",\"data\":["
		      "{\"start_time\":1727740800,\"end_time\":1727827200,\"results\":[{\"input_tokens\":1000,\"output_tokens\":0,"
		      "\"num_model_requests\":1,\"model\":\"gpt-4o\"}]},"
		      "{\"start_time\":1727827200,\"end_time\":1727913600,\"results\":[{\"input_tokens\":1000,\"output_tokens\":0,"
		      "\"num_model_requests\":1,\"model\":\"gpt-4o\"}]}]}");
	write_file(b, "{\"object\":\"page\",\"data\":["
		      "{\"start_time\":1727827200,\"end_time\":1727913600,\"results\":[{\"input_tokens\":2000,\"output_tokens\":0,"
		      "\"num_model_requests\":2,\"model\":\"gpt-4o\"}]}]}");
	write_file(c, "{\"ts\":\"2024-10-02T10:00:00Z\",\"model\":\"gpt-4o\",\"usage\":{\"prompt_tokens\":400,\"completion_tokens\":0}}\n");
	struct store *s = store_sqlite_open(dbpath, 1);
	assert_non_null(s);
	ingest(s, a, &lo, &r);
	ingest(s, b, &lo, &r);
	assert_true(r.base.restated > 0);
	/* 1,000 (day 1, kept) + 2,000 (day 2, restated): 3,000 x 0.0000025 = 0.0075. */
	char t[MONEY_BUFSZ];
	money_str(report_total(s, FA_EFFECTIVE, NULL), t);
	assert_string_equal(t, "0.0075");
	/* A request log adds: + 400 x 0.0000025 = 0.001. */
	ingest(s, c, &lo, &r);
	assert_int_equal(r.base.restated, 0);
	money_str(report_total(s, FA_EFFECTIVE, NULL), t);
	assert_string_equal(t, "0.0085");
	s->ops->close(s);
	unlink(a);
	unlink(b);
	unlink(c);
}

/*
 * A request log longer than one streaming batch (1,024 lines), with blank
 * lines, a bad line and CRLF endings spread over the batch boundaries: every
 * token is counted once. Line i: gpt-4o-mini, prompt 1000 + i (i cached
 * when i is even), completion 10. Expected cost in picodollars:
 * uncached x 150,000 + cached x 75,000 + 10 x 600,000 per request.
 */
static void test_streamed_log(void **st)
{
	char path[300];
	snprintf(path, sizeof path, "%s.log.jsonl", dbpath);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	uint64_t tokens = 0, pico_cost = 0, n = 3000;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t prompt = 1000 + i, cached = i % 2 ? 0 : i;
		fprintf(f, "{\"ts\":\"2024-10-%02dT00:00:00Z\",\"model\":\"gpt-4o-mini\",\"usage\":{\"prompt_tokens\":%llu,"
			   "\"completion_tokens\":10,\"prompt_tokens_details\":{\"cached_tokens\":%llu}}}%s",
			(int)(1 + i % 28), (unsigned long long)prompt, (unsigned long long)cached, i % 3 ? "\n" : "\r\n");
		if (i % 500 == 7)
			fprintf(f, "\n   \n{\"ts\":\"2024-10-01T00:00:00Z\",\"usage\":{}\n");   /* blank lines and a bad line */
		tokens += prompt + 10;
		pico_cost += (prompt - cached) * 150000 + cached * 75000 + 10 * 600000;
	}
	fclose(f);
	struct llm_ingest_result r;
	struct llm_ingest_opts lo = { 0 };
	struct store *s = store_sqlite_open(dbpath, 1);
	assert_non_null(s);
	ingest(s, path, &lo, &r);
	assert_int_equal(r.records, n);
	assert_int_equal(r.base.rejected, 6);
	assert_int_equal(r.tokens, tokens);
	assert_true(r.base.total[FA_EFFECTIVE] == (money_t)pico_cost * 1000000);
	assert_true(report_total(s, FA_CONSUMED_QTY, "ConsumedUnit=Tokens") == money_from_int((int64_t)tokens));
	assert_true(report_total(s, FA_CONSUMED_QTY, "ConsumedUnit=Requests") == money_from_int((int64_t)n));
	s->ops->close(s);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_openai_reconciles, teardown),
		cmocka_unit_test_teardown(test_overlapping_exports, teardown),
		cmocka_unit_test_teardown(test_streamed_log, teardown),
	};
	return cmocka_run_group_tests(tests, setup, group_teardown);
}
