/* metrics_ingest.c - business KPI CSV files into the ledger; see metrics_ingest.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/metrics_ingest.h"
#include "formats/input.h"
#include "formats/metrics_csv.h"
#include "store/store.h"
#include "util/dict.h"
#include "util/err.h"

int ingest_metrics_file(struct store *st, int64_t batch, const char *path, int strict, unsigned max_print,
			struct metrics_ingest_result *res)
{
	struct metrics_reader r;
	struct metrics_row row;
	struct metrics_reject rej;
	struct source_rec src = { 0 };
	struct dict names;
	char now[32];
	int rc = -1, in_tx = 0;
	uint64_t printed = 0, stored = 0;
	time_t t = time(NULL);
	struct tm tm;

	memset(res, 0, sizeof *res);
	struct input *in = input_open(path);
	if (!in)
		return -1;
	dict_init(&names);
	metrics_reader_init(&r, input_read, in, input_name(in));
	if (st->ops->begin(st) < 0)
		goto out;
	in_tx = 1;
	gmtime_r(&t, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	src.kind = "metrics";
	src.path = strcmp(path, "-") == 0 ? "<stdin>" : path;
	snprintf(src.sha256, sizeof src.sha256, "pending-%" PRId64, batch);
	src.batch = batch;
	src.ingested_at = now;
	if (st->ops->source_add(st, &src) < 0)
		goto out;
	src.min_day = INT64_MAX;
	src.max_day = INT64_MIN;
	for (;;) {
		int k = metrics_reader_next(&r, &row, &rej);
		if (k < 0)
			goto out;
		if (k == 0)
			break;
		if (k == 2) {
			if (strict) {
				error("%s:%" PRIu64 ":%u: %s (--strict: nothing ingested)", input_name(in), rej.line, rej.col,
				      rej.why);
				goto out;
			}
			if (printed++ < max_print)
				fprintf(stderr, "aicost: %s:%" PRIu64 ":%u: rejected: %s\n", input_name(in), rej.line, rej.col,
					rej.why);
			if (stored++ < 1000 && st->ops->reject_add(st, src.id, rej.line, rej.col, "", rej.why) < 0)
				goto out;
			continue;
		}
		if (row.day < -200000 || row.day > 2000000) {
			error("%s:%" PRIu64 ":1: date out of range", input_name(in), row.line);
			goto out;
		}
		if (st->ops->metric_add(st, src.id, (int32_t)row.day, row.metric, row.dims, row.value) < 0)
			goto out;
		size_t mn = strlen(row.metric);
		uint32_t dummy;
		if (res->nmetrics < 1000 && !dict_get(&names, row.metric, mn, hash_bytes(row.metric, mn), &dummy)) {
			dict_put(&names, row.metric, mn, hash_bytes(row.metric, mn), 0);
			if (!res->nmetrics++)
				snprintf(res->first_metric, sizeof res->first_metric, "%s", row.metric);
		}
		if (row.day < src.min_day)
			src.min_day = row.day;
		if (row.day > src.max_day)
			src.max_day = row.day;
		res->accepted++;
	}
	if (printed > max_print)
		fprintf(stderr, "aicost: %s: %" PRIu64 " more rejected rows not shown (see 'aicost sources')\n",
			input_name(in), printed - max_print);
	input_sha256(in, res->sha256);
	{
		int64_t other;
		int f = st->ops->source_find(st, res->sha256, &other);
		if (f < 0)
			goto out;
		if (f > 0) {
			st->ops->rollback(st);
			in_tx = 0;
			res->duplicate = 1;
			res->source_id = other;
			res->accepted = 0;
			rc = 0;
			goto out;
		}
	}
	res->rows = r.rows;
	res->rejected = r.rejected;
	memcpy(src.sha256, res->sha256, sizeof src.sha256);
	src.bytes = input_raw_pos(in);
	src.rows_total = r.rows;
	src.rows_accepted = res->accepted;
	src.rows_rejected = r.rejected;
	src.extras_json = "[]";
	src.warnings_json = "{}";
	src.status = "active";
	if (src.min_day == INT64_MAX)
		src.min_day = src.max_day = 0;
	if (st->ops->source_update(st, &src) < 0 || st->ops->commit(st) < 0)
		goto out;
	in_tx = 0;
	res->source_id = src.id;
	rc = 0;
out:
	if (in_tx)
		st->ops->rollback(st);
	metrics_reader_release(&r);
	dict_release(&names);
	input_close(in);
	return rc;
}
