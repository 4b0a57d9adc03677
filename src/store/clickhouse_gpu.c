/*
 * clickhouse_gpu.c - GPU telemetry in the ClickHouse ledger (the "GPU
 * telemetry" area of store.h; the SQLite one is sqlite_gpu.c):
 *
 *   gpu_device  ReplacingMergeTree(ver) ORDER BY id: (host, uuid, index) ->
 *               id and the model name; a changed model is a new version.
 *   gpu_labels  MergeTree ORDER BY id: (pod, namespace, container) -> id.
 *   gpu_daily   ReplacingMergeTree(ver) ORDER BY (day, device, labels,
 *               source): one rollup per key. `collect gpu` rewrites its
 *               rollups every interval, each time as a newer version;
 *               readers take the newest with FINAL.
 *
 * Rollups count only once their source is committed (clickhouse.c's commit
 * point). FINAL is combined only with filters on sorting-key columns: 18.16
 * may evaluate a filter before FINAL's merge (PREWHERE), which is harmless
 * only for columns every version of a row shares.
 *
 * Devices and label sets are few (one row per GPU / pod): they are read
 * once per store into arrays in id order and dictionaries, found there,
 * added with max(id) + 1 ids (one writer per database, as for lines), and
 * dropped on rollback so ids come back as the server has them.
 *
 * Ownership: the store owns the arrays and their strings (ch_gpu_reset
 * frees them); strings handed to scan callbacks live until it returns.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "store/clickhouse_int.h"
#include "util/err.h"

const char *const ch_gpu_schema[] = {
	"gpu_device(id UInt32, host String, uuid String, idx Int32, model String, ver UInt64)"
	" ENGINE = ReplacingMergeTree(ver) ORDER BY id",
	"gpu_labels(id UInt32, pod String, namespace String, container String) ENGINE = MergeTree ORDER BY id",
	"gpu_daily(day Int32, device_id UInt32, labels_id UInt32, source_id Int64, n UInt32, covered_s Float64,"
	" util_s Float64, util_min Float64, util_max Float64, hist Array(UInt32), mem_used_s Float64,"
	" mem_free_s Float64, mem_s Float64, power_j Float64, power_s Float64, energy_mj Float64,"
	" cover FixedString(36), ver UInt64)"
	" ENGINE = ReplacingMergeTree(ver) PARTITION BY intDiv(day, 100) ORDER BY (day, device_id, labels_id, source_id)",
	NULL,
};

static struct ch_store *C(struct store *s) { return (struct ch_store *)s; }

void ch_gpu_reset(struct ch_store *cs)
{
	for (size_t i = 0; i < cs->ndevs; i++) {
		free(cs->devs[i].host);
		free(cs->devs[i].uuid);
		free(cs->devs[i].model);
	}
	for (size_t i = 0; i < cs->nlbls; i++) {
		free(cs->lbls[i].pod);
		free(cs->lbls[i].ns);
		free(cs->lbls[i].container);
	}
	free(cs->devs);
	free(cs->lbls);
	cs->devs = NULL;
	cs->lbls = NULL;
	cs->ndevs = cs->nlbls = 0;
	dict_release(&cs->gdev);
	dict_release(&cs->glbl);
	dict_release(&cs->cov_days);
	dict_release(&cs->cov_ids);
	free(cs->covs);
	cs->covs = NULL;
	cs->ncov = 0;
	cs->gpu_loaded = 0;
}

/* Identity keys: the RowBinary encoding of the strings, so no separator can collide. */
static void dev_key(struct chbuf *k, const char *host, const char *uuid, int idx)
{
	k->n = 0;
	rb_str(k, host, strlen(host));
	rb_str(k, uuid, strlen(uuid));
	rb_i32(k, idx);
}

static void lbl_key(struct chbuf *k, const char *pod, const char *ns, const char *container)
{
	k->n = 0;
	rb_str(k, pod, strlen(pod));
	rb_str(k, ns, strlen(ns));
	rb_str(k, container, strlen(container));
}

static void add_dev(struct ch_store *cs, uint32_t id, const char *host, size_t hn, const char *uuid, size_t un, int idx,
		    const char *model, size_t mn)
{
	if ((cs->ndevs & (cs->ndevs - 1)) == 0)
		cs->devs = xrealloc(cs->devs, (cs->ndevs ? cs->ndevs * 2 : 16) * sizeof *cs->devs);
	struct ch_dev *d = &cs->devs[cs->ndevs];
	d->id = id;
	d->idx = idx;
	d->host = xstrndup(host, hn);
	d->uuid = xstrndup(uuid, un);
	d->model = xstrndup(model, mn);
	struct chbuf k = { 0 };
	dev_key(&k, d->host, d->uuid, idx);
	uint64_t h = hash_bytes(k.p, k.n);
	uint32_t old;
	if (!dict_get(&cs->gdev, k.p, k.n, h, &old))
		dict_put(&cs->gdev, k.p, k.n, h, (uint32_t)cs->ndevs);
	chbuf_free(&k);
	cs->ndevs++;
	if (id >= cs->next_dev)
		cs->next_dev = id + 1;
}

static void add_lbl(struct ch_store *cs, uint32_t id, const char *pod, size_t pn, const char *ns, size_t nn,
		    const char *ct, size_t cn)
{
	if ((cs->nlbls & (cs->nlbls - 1)) == 0)
		cs->lbls = xrealloc(cs->lbls, (cs->nlbls ? cs->nlbls * 2 : 16) * sizeof *cs->lbls);
	struct ch_lbl *l = &cs->lbls[cs->nlbls];
	l->id = id;
	l->pod = xstrndup(pod, pn);
	l->ns = xstrndup(ns, nn);
	l->container = xstrndup(ct, cn);
	struct chbuf k = { 0 };
	lbl_key(&k, l->pod, l->ns, l->container);
	uint64_t h = hash_bytes(k.p, k.n);
	uint32_t old;
	if (!dict_get(&cs->glbl, k.p, k.n, h, &old))
		dict_put(&cs->glbl, k.p, k.n, h, (uint32_t)cs->nlbls);
	chbuf_free(&k);
	cs->nlbls++;
	if (id >= cs->next_lbl)
		cs->next_lbl = id + 1;
}

/* Devices and label sets as the server has them, once. */
static int gpu_load(struct ch_store *cs)
{
	if (cs->gpu_loaded)
		return 0;
	ch_gpu_reset(cs);
	cs->next_dev = cs->next_lbl = 1;
	if (cs->tables & (1u << A_GPU)) {
		if (ch_run(cs, "read GPU devices",
			   "SELECT id, host, uuid, idx, model FROM gpu_device FINAL ORDER BY id FORMAT RowBinary") < 0)
			return -1;
		struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
		while (r.p < r.end && !r.bad) {
			size_t hn, un, mn;
			uint32_t id = rd_u32(&r);
			const char *host = rd_str(&r, &hn), *uuid = rd_str(&r, &un);
			int idx = rd_i32(&r);
			const char *model = rd_str(&r, &mn);
			if (!r.bad)
				add_dev(cs, id, host, hn, uuid, un, idx, model, mn);
		}
		if (r.bad)
			return ch_bad_reply(cs, "read GPU devices");
		if (ch_run(cs, "read GPU labels",
			   "SELECT id, pod, namespace, container FROM gpu_labels ORDER BY id FORMAT RowBinary") < 0)
			return -1;
		r = (struct rbin){ cs->q.p, cs->q.p + cs->q.n, 0 };
		while (r.p < r.end && !r.bad) {
			size_t pn, nn, cn;
			uint32_t id = rd_u32(&r);
			const char *pod = rd_str(&r, &pn), *ns = rd_str(&r, &nn), *ct = rd_str(&r, &cn);
			if (!r.bad)
				add_lbl(cs, id, pod, pn, ns, nn, ct, cn);
		}
		if (r.bad)
			return ch_bad_reply(cs, "read GPU labels");
	}
	cs->gpu_loaded = 1;
	return 0;
}

static int put_dev(struct ch_store *cs, const struct ch_dev *d)
{
	int err = 0;
	struct chbuf *b = ch_wbuf(cs, T_GPU_DEVICE, &err);
	rb_u32(b, d->id);
	rb_str(b, d->host, strlen(d->host));
	rb_str(b, d->uuid, strlen(d->uuid));
	rb_i32(b, d->idx);
	rb_str(b, d->model, strlen(d->model));
	rb_u64(b, ch_version(cs));
	return err ? -1 : 0;
}

int ch_gpu_device_get(struct store *s, const char *host, const char *uuid, int idx, const char *model, uint32_t *id)
{
	struct ch_store *cs = C(s);
	if (gpu_load(cs) < 0)
		return -1;
	struct chbuf k = { 0 };
	dev_key(&k, host, uuid, idx);
	uint32_t i;
	int found = dict_get(&cs->gdev, k.p, k.n, hash_bytes(k.p, k.n), &i);
	chbuf_free(&k);
	if (found) {
		struct ch_dev *d = &cs->devs[i];
		*id = d->id;
		/* The model name is kept up to date, as SQLite's UPDATE does. */
		if (model && model[0] && strcmp(d->model, model) != 0) {
			free(d->model);
			d->model = xstrdup(model);
			return put_dev(cs, d);
		}
		return 0;
	}
	*id = cs->next_dev;
	add_dev(cs, *id, host, strlen(host), uuid, strlen(uuid), idx, model ? model : "", model ? strlen(model) : 0);
	return put_dev(cs, &cs->devs[cs->ndevs - 1]);
}

int ch_gpu_labels_get(struct store *s, const char *pod, const char *ns, const char *container, uint32_t *id)
{
	struct ch_store *cs = C(s);
	if (gpu_load(cs) < 0)
		return -1;
	struct chbuf k = { 0 };
	lbl_key(&k, pod, ns, container);
	uint32_t i;
	int found = dict_get(&cs->glbl, k.p, k.n, hash_bytes(k.p, k.n), &i);
	chbuf_free(&k);
	if (found) {
		*id = cs->lbls[i].id;
		return 0;
	}
	*id = cs->next_lbl;
	add_lbl(cs, *id, pod, strlen(pod), ns, strlen(ns), container, strlen(container));
	int err = 0;
	struct chbuf *b = ch_wbuf(cs, T_GPU_LABELS, &err);
	rb_u32(b, *id);
	rb_str(b, pod, strlen(pod));
	rb_str(b, ns, strlen(ns));
	rb_str(b, container, strlen(container));
	return err ? -1 : 0;
}

int ch_gpu_device_scan(struct store *s, int (*cb)(void *, uint32_t, const char *, const char *, int, const char *),
		       void *arg)
{
	struct ch_store *cs = C(s);
	if (gpu_load(cs) < 0)
		return -1;
	int out = 0;
	for (size_t i = 0; i < cs->ndevs && !out; i++)
		out = cb(arg, cs->devs[i].id, cs->devs[i].host, cs->devs[i].uuid, cs->devs[i].idx, cs->devs[i].model);
	return out;
}

int ch_gpu_labels_scan(struct store *s, int (*cb)(void *, uint32_t, const char *, const char *, const char *),
		       void *arg)
{
	struct ch_store *cs = C(s);
	if (gpu_load(cs) < 0)
		return -1;
	int out = 0;
	for (size_t i = 0; i < cs->nlbls && !out; i++)
		out = cb(arg, cs->lbls[i].id, cs->lbls[i].pod, cs->lbls[i].ns, cs->lbls[i].container);
	return out;
}

/* ---- daily rollups ------------------------------------------------------------- */

int ch_gpu_daily_put(struct store *s, const struct gpu_daily_rec *r)
{
	struct ch_store *cs = C(s);
	int err = 0;
	struct chbuf *b = ch_wbuf(cs, T_GPU_DAILY, &err);
	rb_i32(b, r->day);
	rb_u32(b, r->device_id);
	rb_u32(b, r->labels_id);
	rb_i64(b, r->source_id);
	rb_u32(b, r->n);
	rb_f64(b, r->covered_s);
	rb_f64(b, r->util_s);
	rb_f64(b, r->util_min);
	rb_f64(b, r->util_max);
	rb_len(b, GPU_HIST_BINS);
	for (int i = 0; i < GPU_HIST_BINS; i++)
		rb_u32(b, r->hist[i]);
	rb_f64(b, r->mem_used_s);
	rb_f64(b, r->mem_free_s);
	rb_f64(b, r->mem_s);
	rb_f64(b, r->power_j);
	rb_f64(b, r->power_s);
	rb_f64(b, r->energy_mj);
	chbuf_put(b, r->cover, GPU_COVER_BYTES);
	rb_u64(b, ch_version(cs));
	return err ? -1 : 0;
}

#define DAILY_COLS                                                                                            \
	"day, device_id, labels_id, source_id, n, covered_s, util_s, util_min, util_max, hist, mem_used_s,"   \
	" mem_free_s, mem_s, power_j, power_s, energy_mj, cover"

int ch_rd_gpu_daily(struct rbin *r, struct gpu_daily_rec *o)
{
	o->day = rd_i32(r);
	o->device_id = rd_u32(r);
	o->labels_id = rd_u32(r);
	o->source_id = rd_i64(r);
	o->n = rd_u32(r);
	o->covered_s = rd_f64(r);
	o->util_s = rd_f64(r);
	o->util_min = rd_f64(r);
	o->util_max = rd_f64(r);
	/* Written by this code with exactly GPU_HIST_BINS bins; anything else is not ours. */
	if (rd_len(r, GPU_HIST_BINS) != GPU_HIST_BINS)
		r->bad = 1;
	for (int i = 0; i < GPU_HIST_BINS && !r->bad; i++)
		o->hist[i] = rd_u32(r);
	o->mem_used_s = rd_f64(r);
	o->mem_free_s = rd_f64(r);
	o->mem_s = rd_f64(r);
	o->power_j = rd_f64(r);
	o->power_s = rd_f64(r);
	o->energy_mj = rd_f64(r);
	for (int i = 0; i < GPU_COVER_BYTES; i++)
		o->cover[i] = rd_u8(r);
	return r->bad ? -1 : 0;
}

int ch_gpu_daily_scan(struct store *s, int32_t from, int32_t to, int64_t source_id,
		      int (*cb)(void *, const struct gpu_daily_rec *), void *arg)
{
	struct ch_store *cs = C(s);
	if (!(cs->tables & (1u << A_GPU)))
		return 0;
	struct chbuf sql = { 0 };
	ch_sqlf(&sql, "SELECT " DAILY_COLS " FROM gpu_daily FINAL WHERE day BETWEEN %" PRId32 " AND %" PRId32, from, to);
	if (source_id >= 0)
		ch_sqlf(&sql, " AND source_id = %" PRId64, source_id);
	ch_sqlf(&sql, " AND source_id IN %s ORDER BY day, device_id, labels_id, source_id FORMAT RowBinary",
		cs->committed);
	int rc = ch_run_buf(cs, "scan GPU rollups", &sql);
	chbuf_free(&sql);
	if (rc < 0)
		return -1;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	int out = 0;
	struct gpu_daily_rec rec;
	while (r.p < r.end && !out) {
		if (ch_rd_gpu_daily(&r, &rec) < 0)
			return ch_bad_reply(cs, "scan GPU rollups");
		out = cb(arg, &rec);
	}
	return out;
}

/*
 * What other committed sources cover of (day, device). Ingest asks once per
 * (day, device) it sees; the answer for a whole day is read at once and
 * kept for the source being written.
 */
int ch_gpu_cover_get(struct store *s, int32_t day, uint32_t device_id, int64_t source_id, uint8_t out[GPU_COVER_BYTES])
{
	struct ch_store *cs = C(s);
	memset(out, 0, GPU_COVER_BYTES);
	if (!(cs->tables & (1u << A_GPU)))
		return 0;
	if (cs->cov_source != source_id) {
		dict_release(&cs->cov_days);
		dict_release(&cs->cov_ids);
		free(cs->covs);
		cs->covs = NULL;
		cs->ncov = 0;
		cs->cov_source = source_id;
	}
	uint32_t v, key[2] = { (uint32_t)day, device_id };
	if (!dict_get(&cs->cov_days, &day, sizeof day, hash_bytes(&day, sizeof day), &v)) {
		struct chbuf sql = { 0 };
		ch_sqlf(&sql,
			"SELECT device_id, cover FROM gpu_daily FINAL WHERE day = %" PRId32 " AND source_id != %" PRId64
			" AND source_id IN %s FORMAT RowBinary",
			day, source_id, cs->committed);
		int rc = ch_run_buf(cs, "read GPU coverage", &sql);
		chbuf_free(&sql);
		if (rc < 0)
			return -1;
		struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
		while (r.p < r.end && !r.bad) {
			uint32_t dev = rd_u32(&r);
			uint8_t c[GPU_COVER_BYTES];
			for (int i = 0; i < GPU_COVER_BYTES; i++)
				c[i] = rd_u8(&r);
			if (r.bad)
				break;
			uint32_t k[2] = { (uint32_t)day, dev }, ci;
			uint64_t h = hash_bytes(k, sizeof k);
			if (!dict_get(&cs->cov_ids, k, sizeof k, h, &ci)) {
				if ((cs->ncov & (cs->ncov - 1)) == 0)
					cs->covs = xrealloc(cs->covs, (cs->ncov ? cs->ncov * 2 : 16) * sizeof *cs->covs);
				ci = (uint32_t)cs->ncov++;
				memset(cs->covs[ci], 0, GPU_COVER_BYTES);
				dict_put(&cs->cov_ids, k, sizeof k, h, ci);
			}
			for (int i = 0; i < GPU_COVER_BYTES; i++)
				cs->covs[ci][i] |= c[i];
		}
		if (r.bad)
			return ch_bad_reply(cs, "read GPU coverage");
		dict_put(&cs->cov_days, &day, sizeof day, hash_bytes(&day, sizeof day), 1);
	}
	if (dict_get(&cs->cov_ids, key, sizeof key, hash_bytes(key, sizeof key), &v))
		memcpy(out, cs->covs[v], GPU_COVER_BYTES);
	return 0;
}
