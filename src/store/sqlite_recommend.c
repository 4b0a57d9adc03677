/*
 * sqlite_recommend.c - what `aicost recommend` needs beyond the bill and the
 * daily GPU rollups (the "recommend" area of the store; see store.h):
 *
 *   gpu_hourly  (day, device, labels, source) -> utilisation by UTC hour:
 *               48 little-endian float32 (covered seconds, then percent x
 *               seconds, per hour), written beside each gpu_daily rollup;
 *   llm_stat    (day, provider, model, sub account, tags, source) -> request
 *               statistics of a request log: one versioned blob of LEB128
 *               counts (see pack/unpack below).
 *
 * Statements are prepared on first use, so a reader of a ledger written
 * before these tables existed sees no rows instead of failing. Strings and
 * cells handed to scan callbacks are valid only during the callback.
 */
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "store/sqlite_int.h"
#include "util/err.h"

const char sq_recommend_schema[] =
	"CREATE TABLE IF NOT EXISTS gpu_hourly(day INTEGER NOT NULL, device_id INTEGER NOT NULL,"
	" labels_id INTEGER NOT NULL, source_id INTEGER NOT NULL, hours BLOB NOT NULL,"
	" PRIMARY KEY(day, device_id, labels_id, source_id)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS llm_stat(day INTEGER NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,"
	" sub_account TEXT NOT NULL, tags TEXT NOT NULL, source_id INTEGER NOT NULL, stats BLOB NOT NULL,"
	" PRIMARY KEY(day, provider, model, sub_account, tags, source_id)) WITHOUT ROWID;";

enum { R_HOUR_PUT, R_HOUR_SCAN, R_STAT_PUT, R_STAT_SCAN };

static const char *const rsql[4] = {
	[R_HOUR_PUT] = "INSERT OR REPLACE INTO gpu_hourly VALUES(?1,?2,?3,?4,?5)",
	[R_HOUR_SCAN] = "SELECT day, device_id, labels_id, source_id, hours FROM gpu_hourly"
			" WHERE day BETWEEN ?1 AND ?2 AND (?3 < 0 OR source_id = ?3)",
	[R_STAT_PUT] = "INSERT OR REPLACE INTO llm_stat VALUES(?1,?2,?3,?4,?5,?6,?7)",
	[R_STAT_SCAN] = "SELECT l.day, l.provider, l.model, l.sub_account, l.tags, l.source_id, l.stats FROM llm_stat l"
			" JOIN source s ON s.id = l.source_id WHERE l.day BETWEEN ?1 AND ?2 AND s.status = 'active'",
};

/* 1 prepared, 0 the table is missing (an older ledger), -1 error. */
static int prep(struct sqlite_store *ss, int i)
{
	if (ss->rec_st[i])
		return 1;
	if (sqlite3_prepare_v3(ss->db, rsql[i], -1, SQLITE_PREPARE_PERSISTENT, &ss->rec_st[i], NULL) == SQLITE_OK)
		return 1;
	if (strstr(sqlite3_errmsg(ss->db), "no such table"))
		return 0;
	return sq_dberr(ss, "prepare recommend statement");
}

void sq_recommend_close(struct sqlite_store *ss)
{
	for (size_t i = 0; i < sizeof ss->rec_st / sizeof ss->rec_st[0]; i++)
		sqlite3_finalize(ss->rec_st[i]);
}

/* ---- GPU hour profiles ------------------------------------------------------- */

static void put_f32(unsigned char *p, float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	p[0] = (unsigned char)u;
	p[1] = (unsigned char)(u >> 8);
	p[2] = (unsigned char)(u >> 16);
	p[3] = (unsigned char)(u >> 24);
}

static float get_f32(const unsigned char *p)
{
	uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	float f;
	memcpy(&f, &u, 4);
	return f;
}

int sq_gpu_hourly_put(struct store *s, const struct gpu_hourly_rec *r)
{
	struct sqlite_store *ss = S(s);
	int p = prep(ss, R_HOUR_PUT);
	if (p <= 0)
		return p < 0 ? -1 : error("%s: the ledger has no gpu_hourly table (open it for writing)", s->path);
	unsigned char b[48 * 4];
	for (int h = 0; h < 24; h++) {
		put_f32(b + h * 4, r->covered_s[h]);
		put_f32(b + 96 + h * 4, r->util_s[h]);
	}
	sqlite3_stmt *st = ss->rec_st[R_HOUR_PUT];
	sqlite3_bind_int64(st, 1, r->day);
	sqlite3_bind_int64(st, 2, r->device_id);
	sqlite3_bind_int64(st, 3, r->labels_id);
	sqlite3_bind_int64(st, 4, r->source_id);
	sqlite3_bind_blob(st, 5, b, sizeof b, SQLITE_TRANSIENT);
	return sq_run(ss, st, "add GPU hour profile");
}

int sq_gpu_hourly_scan(struct store *s, int32_t from, int32_t to, int64_t source_id,
		       int (*cb)(void *, const struct gpu_hourly_rec *), void *arg)
{
	struct sqlite_store *ss = S(s);
	int p = prep(ss, R_HOUR_SCAN), rc, out = 0;
	if (p <= 0)
		return p;
	sqlite3_stmt *st = ss->rec_st[R_HOUR_SCAN];
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, source_id);
	struct gpu_hourly_rec r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 4) != 48 * 4)
			continue;   /* not written by this version: no profile */
		const unsigned char *b = sqlite3_column_blob(st, 4);
		r.day = (int32_t)sqlite3_column_int64(st, 0);
		r.device_id = (uint32_t)sqlite3_column_int64(st, 1);
		r.labels_id = (uint32_t)sqlite3_column_int64(st, 2);
		r.source_id = sqlite3_column_int64(st, 3);
		for (int h = 0; h < 24; h++) {
			r.covered_s[h] = get_f32(b + h * 4);
			r.util_s[h] = get_f32(b + 96 + h * 4);
		}
		if ((out = cb(arg, &r)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "scan GPU hour profiles");
	return out;
}

/* ---- LLM request statistics -------------------------------------------------- */

#define STAT_VERSION 1

struct buf {
	unsigned char *p;
	size_t n, cap;
};

static void put_u(struct buf *b, uint64_t v)
{
	if (b->n + 10 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 512;
		b->p = xrealloc(b->p, b->cap);
	}
	do {
		b->p[b->n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
}

/* Next LEB128 value; 0 past the end (a truncated blob reads as zeros). */
static uint64_t get_u(const unsigned char *p, size_t n, size_t *i)
{
	uint64_t v = 0;
	for (int sh = 0; *i < n && sh < 64; sh += 7) {
		unsigned char c = p[(*i)++];
		v |= (uint64_t)(c & 0x7f) << sh;
		if (!(c & 0x80))
			break;
	}
	return v;
}

/* The counters in blob order (cells follow). */
#define STAT_FIELDS(X)                                                                                           \
	X(requests) X(streamed) X(stream_known) X(with_user) X(batch_tier) X(hashed) X(dup_requests) X(prefixed) \
	X(prefix_repeat) X(prefix_repeat_tokens) X(prefix_first_tokens)

static void pack(const struct llm_stat_rec *r, struct buf *b)
{
	put_u(b, STAT_VERSION);
#define PUT(f) put_u(b, r->f);
	STAT_FIELDS(PUT)
#undef PUT
	for (int d = 0; d < LLM_STAT_DIRS; d++)
		put_u(b, r->dup_tok[d]);
	for (int h = 0; h < 24; h++)
		put_u(b, r->hour[h]);
	put_u(b, r->ncells);
	for (size_t i = 0; i < r->ncells; i++) {
		const struct llm_stat_cell *c = &r->cells[i];
		put_u(b, c->in_b);
		put_u(b, c->out_b);
		put_u(b, c->n);
		for (int d = 0; d < LLM_STAT_DIRS; d++)
			put_u(b, c->tok[d]);
	}
}

/* 0 ok, -1 not a blob of this version (the row is skipped). */
static int unpack(const unsigned char *p, size_t n, struct llm_stat_rec *r, struct llm_stat_cell **cells, size_t *cap)
{
	size_t i = 0;
	if (get_u(p, n, &i) != STAT_VERSION)
		return -1;
#define GET(f) r->f = get_u(p, n, &i);
	STAT_FIELDS(GET)
#undef GET
	for (int d = 0; d < LLM_STAT_DIRS; d++)
		r->dup_tok[d] = get_u(p, n, &i);
	for (int h = 0; h < 24; h++)
		r->hour[h] = get_u(p, n, &i);
	uint64_t nc = get_u(p, n, &i);
	/* Each cell takes at least 9 bytes: a count beyond what the blob can hold is corrupt. */
	if (nc > n / 9 + 1)
		return -1;
	if (nc > *cap) {
		*cap = (size_t)nc;
		*cells = xrealloc(*cells, *cap * sizeof **cells);
	}
	for (size_t k = 0; k < nc; k++) {
		struct llm_stat_cell *c = &(*cells)[k];
		c->in_b = (uint8_t)get_u(p, n, &i);
		c->out_b = (uint8_t)get_u(p, n, &i);
		c->n = get_u(p, n, &i);
		for (int d = 0; d < LLM_STAT_DIRS; d++)
			c->tok[d] = get_u(p, n, &i);
	}
	r->cells = *cells;
	r->ncells = (size_t)nc;
	return 0;
}

int sq_llm_stat_put(struct store *s, const struct llm_stat_rec *r)
{
	struct sqlite_store *ss = S(s);
	int p = prep(ss, R_STAT_PUT);
	if (p <= 0)
		return p < 0 ? -1 : error("%s: the ledger has no llm_stat table (open it for writing)", s->path);
	struct buf b = { 0 };
	pack(r, &b);
	sqlite3_stmt *st = ss->rec_st[R_STAT_PUT];
	sqlite3_bind_int64(st, 1, r->day);
	sqlite3_bind_text(st, 2, r->provider ? r->provider : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->model ? r->model : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->sub_account ? r->sub_account : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->tags ? r->tags : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, r->source_id);
	sqlite3_bind_blob(st, 7, b.p, (int)b.n, SQLITE_TRANSIENT);
	int rc = sq_run(ss, st, "add LLM request statistics");
	free(b.p);
	return rc;
}

static const char *txt(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	return t ? t : "";
}

int sq_llm_stat_scan(struct store *s, int32_t from, int32_t to, int (*cb)(void *, const struct llm_stat_rec *), void *arg)
{
	struct sqlite_store *ss = S(s);
	int p = prep(ss, R_STAT_SCAN), rc, out = 0;
	if (p <= 0)
		return p;
	sqlite3_stmt *st = ss->rec_st[R_STAT_SCAN];
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	struct llm_stat_cell *cells = NULL;
	size_t cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct llm_stat_rec r;
		memset(&r, 0, sizeof r);
		r.day = (int32_t)sqlite3_column_int64(st, 0);
		r.provider = txt(st, 1);
		r.model = txt(st, 2);
		r.sub_account = txt(st, 3);
		r.tags = txt(st, 4);
		r.source_id = sqlite3_column_int64(st, 5);
		if (unpack(sqlite3_column_blob(st, 6), (size_t)sqlite3_column_bytes(st, 6), &r, &cells, &cap) < 0)
			continue;
		if ((out = cb(arg, &r)) != 0)
			break;
	}
	sqlite3_reset(st);
	free(cells);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "scan LLM request statistics");
	return out;
}
