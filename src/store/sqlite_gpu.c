/*
 * sqlite_gpu.c - GPU telemetry in the SQLite ledger.
 *
 *   gpu_device  (host, uuid, index) -> id, with the model name;
 *   gpu_labels  (pod, namespace, container) -> id;
 *   gpu_daily   one rollup per (day, device, label set, source): sample
 *               count, covered seconds, utilisation sum/min/max and a
 *               sparse histogram (seconds per whole percent, for p95 and
 *               idle time at any threshold), memory, power, energy.
 * A month of a 1,000-GPU fleet is ~30,000 rows whatever the sample rate.
 * Statements are prepared on first use, so a reader opening a ledger
 * written before GPU telemetry existed sees no table and no rows.
 * Strings handed to scan callbacks are valid only during the callback.
 */
#include <string.h>
#include "store/sqlite_int.h"
#include "util/err.h"

const char sq_gpu_schema[] =
	"CREATE TABLE IF NOT EXISTS gpu_device(id INTEGER PRIMARY KEY, host TEXT NOT NULL, uuid TEXT NOT NULL,"
	" idx INTEGER NOT NULL, model TEXT, UNIQUE(host, uuid, idx));"
	"CREATE TABLE IF NOT EXISTS gpu_labels(id INTEGER PRIMARY KEY, pod TEXT NOT NULL, namespace TEXT NOT NULL,"
	" container TEXT NOT NULL, UNIQUE(pod, namespace, container));"
	"CREATE TABLE IF NOT EXISTS gpu_daily(day INTEGER NOT NULL, device_id INTEGER NOT NULL,"
	" labels_id INTEGER NOT NULL, source_id INTEGER NOT NULL, n INTEGER, covered_s REAL, util_s REAL,"
	" util_min REAL, util_max REAL, hist BLOB, mem_used_s REAL, mem_free_s REAL, mem_s REAL,"
	" power_j REAL, power_s REAL, energy_mj REAL, cover BLOB,"
	" PRIMARY KEY(day, device_id, labels_id, source_id)) WITHOUT ROWID;";

enum { G_DEV_FIND, G_DEV_ADD, G_LBL_FIND, G_LBL_ADD, G_PUT, G_SCAN, G_DEV_SCAN, G_LBL_SCAN, G_COVER };

static const char *const gsql[] = {
	[G_DEV_FIND] = "SELECT id, model FROM gpu_device WHERE host = ?1 AND uuid = ?2 AND idx = ?3",
	[G_DEV_ADD] = "INSERT INTO gpu_device(host, uuid, idx, model) VALUES(?1, ?2, ?3, ?4)",
	[G_LBL_FIND] = "SELECT id FROM gpu_labels WHERE pod = ?1 AND namespace = ?2 AND container = ?3",
	[G_LBL_ADD] = "INSERT INTO gpu_labels(pod, namespace, container) VALUES(?1, ?2, ?3)",
	[G_PUT] = "INSERT OR REPLACE INTO gpu_daily VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)",
	[G_COVER] = "SELECT cover FROM gpu_daily WHERE day = ?1 AND device_id = ?2 AND source_id != ?3",
	[G_SCAN] = "SELECT day, device_id, labels_id, source_id, n, covered_s, util_s, util_min, util_max, hist,"
		   " mem_used_s, mem_free_s, mem_s, power_j, power_s, energy_mj, cover FROM gpu_daily"
		   " WHERE day BETWEEN ?1 AND ?2 AND (?3 < 0 OR source_id = ?3)",
	[G_DEV_SCAN] = "SELECT id, host, uuid, idx, model FROM gpu_device",
	[G_LBL_SCAN] = "SELECT id, pod, namespace, container FROM gpu_labels",
};

/* The statement, prepared on first use; NULL when the table is missing (reported only if not). */
static sqlite3_stmt *stmt(struct sqlite_store *ss, int i, int *missing)
{
	*missing = 0;
	if (ss->gpu_st[i])
		return ss->gpu_st[i];
	if (sqlite3_prepare_v3(ss->db, gsql[i], -1, SQLITE_PREPARE_PERSISTENT, &ss->gpu_st[i], NULL) != SQLITE_OK) {
		if (strstr(sqlite3_errmsg(ss->db), "no such table")) {
			*missing = 1;
			return NULL;
		}
		sq_dberr(ss, "prepare GPU statement");
		return NULL;
	}
	return ss->gpu_st[i];
}

void sq_gpu_close(struct sqlite_store *ss)
{
	for (size_t i = 0; i < sizeof ss->gpu_st / sizeof ss->gpu_st[0]; i++)
		sqlite3_finalize(ss->gpu_st[i]);
}

int sq_gpu_device_get(struct store *s, const char *host, const char *uuid, int idx, const char *model, uint32_t *id)
{
	struct sqlite_store *ss = S(s);
	int miss;
	sqlite3_stmt *st = stmt(ss, G_DEV_FIND, &miss);
	if (!st)
		return miss ? sq_dberr(ss, "GPU tables missing") : -1;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uuid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, idx);
	int rc = sqlite3_step(st), fix = 0;
	if (rc == SQLITE_ROW) {
		*id = (uint32_t)sqlite3_column_int64(st, 0);
		const char *m = (const char *)sqlite3_column_text(st, 1);
		fix = model && model[0] && (!m || strcmp(m, model) != 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "find GPU device");
	if (rc == SQLITE_ROW && !fix)
		return 0;
	if (fix) {
		sqlite3_stmt *u = NULL;
		if (sqlite3_prepare_v2(ss->db, "UPDATE gpu_device SET model = ?1 WHERE id = ?2", -1, &u, NULL) != SQLITE_OK)
			return sq_dberr(ss, "update GPU device");
		sqlite3_bind_text(u, 1, model, -1, SQLITE_STATIC);
		sqlite3_bind_int64(u, 2, *id);
		rc = sqlite3_step(u);
		sqlite3_finalize(u);
		return rc == SQLITE_DONE ? 0 : sq_dberr(ss, "update GPU device");
	}
	if (!(st = stmt(ss, G_DEV_ADD, &miss)))
		return -1;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uuid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, idx);
	sqlite3_bind_text(st, 4, model, -1, SQLITE_STATIC);
	if (sq_run(ss, st, "add GPU device") < 0)
		return -1;
	*id = (uint32_t)sqlite3_last_insert_rowid(ss->db);
	return 0;
}

int sq_gpu_labels_get(struct store *s, const char *pod, const char *ns, const char *container, uint32_t *id)
{
	struct sqlite_store *ss = S(s);
	int miss;
	sqlite3_stmt *st = stmt(ss, G_LBL_FIND, &miss);
	if (!st)
		return miss ? sq_dberr(ss, "GPU tables missing") : -1;
	sqlite3_bind_text(st, 1, pod, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ns, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, container, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = (uint32_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return sq_dberr(ss, "find GPU labels");
	if (!(st = stmt(ss, G_LBL_ADD, &miss)))
		return -1;
	sqlite3_bind_text(st, 1, pod, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ns, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, container, -1, SQLITE_STATIC);
	if (sq_run(ss, st, "add GPU labels") < 0)
		return -1;
	*id = (uint32_t)sqlite3_last_insert_rowid(ss->db);
	return 0;
}

static const char *txt(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	return t ? t : "";
}

int sq_gpu_device_scan(struct store *s, int (*cb)(void *, uint32_t, const char *, const char *, int, const char *), void *arg)
{
	struct sqlite_store *ss = S(s);
	int miss, rc, out = 0;
	sqlite3_stmt *st = stmt(ss, G_DEV_SCAN, &miss);
	if (!st)
		return miss ? 0 : -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((out = cb(arg, (uint32_t)sqlite3_column_int64(st, 0), txt(st, 1), txt(st, 2), sqlite3_column_int(st, 3),
			      txt(st, 4))) != 0)
			break;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "scan GPU devices");
	return out;
}

int sq_gpu_labels_scan(struct store *s, int (*cb)(void *, uint32_t, const char *, const char *, const char *), void *arg)
{
	struct sqlite_store *ss = S(s);
	int miss, rc, out = 0;
	sqlite3_stmt *st = stmt(ss, G_LBL_SCAN, &miss);
	if (!st)
		return miss ? 0 : -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((out = cb(arg, (uint32_t)sqlite3_column_int64(st, 0), txt(st, 1), txt(st, 2), txt(st, 3))) != 0)
			break;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "scan GPU labels");
	return out;
}

/* Histogram blob: (bin byte, LEB128 seconds) for each non-empty bin. */
static size_t hist_pack(const uint32_t *h, unsigned char *out)
{
	size_t n = 0;
	for (int b = 0; b < GPU_HIST_BINS; b++) {
		if (!h[b])
			continue;
		out[n++] = (unsigned char)b;
		uint32_t v = h[b];
		do {
			out[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
			v >>= 7;
		} while (v);
	}
	return n;
}

static void hist_unpack(const unsigned char *p, size_t n, uint32_t *h)
{
	memset(h, 0, GPU_HIST_BINS * sizeof *h);
	for (size_t i = 0; i < n;) {
		unsigned b = p[i++];
		uint32_t v = 0;
		for (int sh = 0; i < n && sh < 35; sh += 7) {
			unsigned char c = p[i++];
			v |= (uint32_t)(c & 0x7f) << sh;
			if (!(c & 0x80))
				break;
		}
		if (b < GPU_HIST_BINS)
			h[b] += v;
	}
}

int sq_gpu_daily_put(struct store *s, const struct gpu_daily_rec *r)
{
	struct sqlite_store *ss = S(s);
	int miss;
	sqlite3_stmt *st = stmt(ss, G_PUT, &miss);
	if (!st)
		return miss ? sq_dberr(ss, "GPU tables missing") : -1;
	unsigned char hb[GPU_HIST_BINS * 6];
	size_t hn = hist_pack(r->hist, hb);
	sqlite3_bind_int64(st, 1, r->day);
	sqlite3_bind_int64(st, 2, r->device_id);
	sqlite3_bind_int64(st, 3, r->labels_id);
	sqlite3_bind_int64(st, 4, r->source_id);
	sqlite3_bind_int64(st, 5, r->n);
	sqlite3_bind_double(st, 6, r->covered_s);
	sqlite3_bind_double(st, 7, r->util_s);
	sqlite3_bind_double(st, 8, r->util_min);
	sqlite3_bind_double(st, 9, r->util_max);
	sqlite3_bind_blob(st, 10, hb, (int)hn, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 11, r->mem_used_s);
	sqlite3_bind_double(st, 12, r->mem_free_s);
	sqlite3_bind_double(st, 13, r->mem_s);
	sqlite3_bind_double(st, 14, r->power_j);
	sqlite3_bind_double(st, 15, r->power_s);
	sqlite3_bind_double(st, 16, r->energy_mj);
	sqlite3_bind_blob(st, 17, r->cover, GPU_COVER_BYTES, SQLITE_STATIC);
	return sq_run(ss, st, "add GPU rollup");
}

int sq_gpu_daily_scan(struct store *s, int32_t from, int32_t to, int64_t source_id,
		      int (*cb)(void *, const struct gpu_daily_rec *), void *arg)
{
	struct sqlite_store *ss = S(s);
	int miss, rc, out = 0;
	sqlite3_stmt *st = stmt(ss, G_SCAN, &miss);
	if (!st)
		return miss ? 0 : -1;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, source_id);
	struct gpu_daily_rec r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.day = (int32_t)sqlite3_column_int64(st, 0);
		r.device_id = (uint32_t)sqlite3_column_int64(st, 1);
		r.labels_id = (uint32_t)sqlite3_column_int64(st, 2);
		r.source_id = sqlite3_column_int64(st, 3);
		r.n = (uint32_t)sqlite3_column_int64(st, 4);
		r.covered_s = sqlite3_column_double(st, 5);
		r.util_s = sqlite3_column_double(st, 6);
		r.util_min = sqlite3_column_double(st, 7);
		r.util_max = sqlite3_column_double(st, 8);
		hist_unpack(sqlite3_column_blob(st, 9), (size_t)sqlite3_column_bytes(st, 9), r.hist);
		r.mem_used_s = sqlite3_column_double(st, 10);
		r.mem_free_s = sqlite3_column_double(st, 11);
		r.mem_s = sqlite3_column_double(st, 12);
		r.power_j = sqlite3_column_double(st, 13);
		r.power_s = sqlite3_column_double(st, 14);
		r.energy_mj = sqlite3_column_double(st, 15);
		memset(r.cover, 0, sizeof r.cover);
		if (sqlite3_column_bytes(st, 16) == GPU_COVER_BYTES)
			memcpy(r.cover, sqlite3_column_blob(st, 16), GPU_COVER_BYTES);
		if ((out = cb(arg, &r)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "scan GPU rollups");
	return out;
}

int sq_gpu_cover_get(struct store *s, int32_t day, uint32_t device_id, int64_t source_id, uint8_t *out)
{
	struct sqlite_store *ss = S(s);
	int miss, rc;
	memset(out, 0, GPU_COVER_BYTES);
	sqlite3_stmt *st = stmt(ss, G_COVER, &miss);
	if (!st)
		return miss ? 0 : -1;
	sqlite3_bind_int64(st, 1, day);
	sqlite3_bind_int64(st, 2, device_id);
	sqlite3_bind_int64(st, 3, source_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *b = sqlite3_column_blob(st, 0);
		if (b && sqlite3_column_bytes(st, 0) == GPU_COVER_BYTES)
			for (int i = 0; i < GPU_COVER_BYTES; i++)
				out[i] |= b[i];
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_dberr(ss, "read GPU coverage");
	return 0;
}
