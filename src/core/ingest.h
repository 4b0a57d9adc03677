/*
 * ingest.h - load FOCUS files (and any producer of FOCUS-shaped rows) into
 * the ledger, one transaction per file.
 *
 * A file is parsed in one streaming pass: rows become (line, tag set,
 * period) ids plus exact amounts; the ledger gets compressed per-row
 * segments (the audit trail) and daily sums (what reports read). The file's
 * SHA-256 is computed on the way; a file already in the ledger is a no-op.
 * When a file restates a (provider, billing account, billing period) that
 * an earlier invocation loaded, the older rows of that period are deleted
 * in the same transaction. A crash at any point leaves the ledger as it was.
 */
#ifndef AICOST_INGEST_H
#define AICOST_INGEST_H

#include <stdint.h>
#include "core/money.h"
#include "formats/focus.h"

struct store;
struct ingest_session;

struct ingest_opts {
	int progress;           /* draw a progress line on stderr */
	int strict;             /* any rejected row fails (rolls back) the file */
	unsigned max_print;     /* rejections printed per file (default 20) */
};

struct ingest_result {
	int64_t source_id;
	int duplicate;          /* same sha256 already ingested: nothing written */
	char sha256[65];
	uint64_t rows, accepted, rejected;
	money_t total[FA__COUNT];
	uint64_t restated;      /* daily rows of earlier sources replaced */
	uint64_t lines_new;
};

/*
 * A producer of FOCUS-shaped rows: the FOCUS CSV reader is one, the LLM
 * usage parsers (core/llm_ingest.c) are others. ingest_rows() gives every
 * producer the same guarantees: one transaction per file, a same-sha256
 * re-ingest is a no-op, source accounting, segments (the audit trail back
 * to file:line) and daily sums.
 */
struct focus_row;
struct focus_reject;
struct focus_quirk_info;
struct input;

struct ingest_producer {
	const char *kind;          /* source kind shown by `aicost sources`: "focus", "llm" */
	/*
	 * 1: *row filled (its texts valid until the next call); 2: rejected,
	 * *rej filled; 0: end; -1: fatal (reported). *period may be set to a
	 * restatement key that replaces BillingPeriodStart in the period
	 * (provider, account, start) triple; it is left NULL by default.
	 */
	int (*next)(void *ctx, struct focus_row *row, struct focus_reject *rej, const char **period);
	void *ctx;
	size_t nextra;             /* per-row extra values in row->extra, named: */
	const char *const *extra_name;
	int restate;               /* 1: periods loaded by earlier invocations are replaced */
	char *(*warnings_json)(void *ctx);   /* malloc'd JSON object for `sources`, or NULL */
	struct focus_quirk_info *tags_quirk; /* where Tags that are not an object are counted; may be NULL */
	const char *sha256;        /* hex digest when the producer already took it (in at EOF), else NULL */
	/*
	 * Optional: called once the rows are in and the source is known not to
	 * be a duplicate, inside the transaction, to write what else the
	 * producer keeps about the source (request statistics). 0 or -1 (reported).
	 */
	int (*finish)(void *ctx, struct store *st, int64_t source_id);
};

/* A session spans one `aicost ingest` invocation (one batch). */
struct ingest_session *ingest_begin(struct store *st, const struct ingest_opts *o);
/* 0 ok (maybe duplicate), -1 failed (reported; ledger unchanged). */
int ingest_focus_file(struct ingest_session *s, const char *path, struct ingest_result *res);
void ingest_end(struct ingest_session *s);

/*
 * Before opening path: clears *res, and when the ledger already holds a file
 * of this size, hashes it and sets res->duplicate (and res->sha256) if it is
 * known. 0 or -1 (reported).
 */
int ingest_precheck(struct ingest_session *s, const char *path, struct ingest_result *res);
/*
 * Load the rows of `p` as one source read from `in` (already open; its
 * SHA-256 is taken after the producer ends, so the producer must have read
 * it to EOF by then). 0 ok (maybe duplicate), -1 failed (reported; ledger
 * unchanged). Does not close `in`.
 */
int ingest_rows(struct ingest_session *s, const char *path, struct input *in, const struct ingest_producer *p,
		struct ingest_result *res);
struct store *ingest_store(struct ingest_session *s);
int64_t ingest_batch(const struct ingest_session *s);

#endif
