/*
 * ingest.h - load FOCUS files into the ledger, one transaction per file.
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

/* A session spans one `aicost ingest` invocation (one batch). */
struct ingest_session *ingest_begin(struct store *st, const struct ingest_opts *o);
/* 0 ok (maybe duplicate), -1 failed (reported; ledger unchanged). */
int ingest_focus_file(struct ingest_session *s, const char *path, struct ingest_result *res);
void ingest_end(struct ingest_session *s);

#endif
