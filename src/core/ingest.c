/*
 * ingest.c - FOCUS files into the ledger; see ingest.h.
 *
 * Chapters: the session's dictionaries (lines, tag sets), segment encoding,
 * daily sums, and the per-file transaction.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <jansson.h>
#include <zstd.h>
#include "core/ingest.h"
#include "core/tags.h"
#include "formats/focus_reader.h"
#include "formats/input.h"
#include "store/store.h"
#include "util/dict.h"
#include "util/err.h"

#define SEG_ROWS 32768
#define SEG_MAX_BYTES (8u << 20)  /* all open segment blocks together */
#define DAILY_FLUSH (1u << 17)   /* bound the in-memory sums (~20 MiB): memory stays flat */
#define MAX_STORED_REJECTS 1000

/* ---- growable byte buffer ---------------------------------------------- */

struct buf {
	unsigned char *p;
	size_t n, cap;
};

static void buf_need(struct buf *b, size_t more)
{
	if (b->n + more <= b->cap)
		return;
	b->cap = (b->n + more) * 2 + 256;
	b->p = xrealloc(b->p, b->cap);
}

static inline void buf_put(struct buf *b, const void *p, size_t n)
{
	buf_need(b, n);
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static inline void put_varint(struct buf *b, unsigned __int128 v)
{
	buf_need(b, 19);
	while (v >= 0x80) {
		b->p[b->n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	b->p[b->n++] = (unsigned char)v;
}

static inline unsigned __int128 zigzag(__int128 v)
{
	return ((unsigned __int128)v << 1) ^ (unsigned __int128)(v >> 127);
}

/* ---- session state ------------------------------------------------------ */

struct seg_builder {
	uint32_t period_id;
	uint64_t first_line, prev_line;
	int64_t prev_start;
	uint32_t nrows;
	struct buf data;
};

struct daily_slot {
	uint64_t key;       /* day << 32 | line id, +1 so 0 marks empty */
	uint32_t period_id;
	uint32_t idx;
};

struct ingest_session {
	struct store *st;
	struct ingest_opts o;
	int64_t batch;
	int loaded;
	struct dict lines;        /* joined key values + tag set id -> line id */
	struct dict tag_canon;    /* canonical tags -> tag set id */
	struct dict tag_raw;      /* raw Tags text -> tag set id (per session cache) */
	struct buf key;
	/* per file */
	struct seg_builder *segs;
	size_t nsegs;
	uint64_t nrows_buffered;
	struct daily_slot *dslots;
	size_t dcap;
	struct daily_rec *drecs;
	size_t ndrecs, drcap;
	ZSTD_CCtx *zc;
	struct buf zbuf;
	struct { char prov[256], acct[256], start[64]; uint32_t id; int valid; } last_period;
	uint32_t *periods;
	size_t nperiods;
};

static int load_tagset(void *arg, uint32_t id, const char *json, size_t n)
{
	struct ingest_session *s = arg;
	dict_put(&s->tag_canon, json, n, hash_bytes(json, n), id);
	return 0;
}

static int load_line(void *arg, uint32_t id, uint32_t tagset, const char *vals, size_t n)
{
	struct ingest_session *s = arg;
	s->key.n = 0;
	buf_put(&s->key, vals, n);
	buf_put(&s->key, &tagset, sizeof tagset);
	dict_put(&s->lines, s->key.p, s->key.n, hash_bytes(s->key.p, s->key.n), id);
	return 0;
}

static void drop_dicts(struct ingest_session *s)
{
	dict_release(&s->lines);
	dict_release(&s->tag_canon);
	dict_release(&s->tag_raw);
	s->loaded = 0;
}

/* The dictionaries mirror the ledger; after a rollback they are reloaded. */
static int load_dicts(struct ingest_session *s)
{
	if (s->loaded)
		return 0;
	dict_init(&s->lines);
	dict_init(&s->tag_canon);
	dict_init(&s->tag_raw);
	if (s->st->ops->tagset_scan(s->st, load_tagset, s) < 0 || s->st->ops->line_scan(s->st, load_line, s) < 0) {
		drop_dicts(s);
		return -1;
	}
	s->loaded = 1;
	return 0;
}

struct ingest_session *ingest_begin(struct store *st, const struct ingest_opts *o)
{
	struct ingest_session *s = xcalloc(1, sizeof *s);
	struct timespec ts;
	s->st = st;
	s->o = *o;
	if (!s->o.max_print)
		s->o.max_print = 20;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* A batch id only has to differ between invocations. */
	s->batch = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	s->zc = ZSTD_createCCtx();
	return s;
}

void ingest_end(struct ingest_session *s)
{
	if (!s)
		return;
	drop_dicts(s);
	free(s->key.p);
	free(s->zbuf.p);
	free(s->segs);
	free(s->dslots);
	free(s->drecs);
	free(s->periods);
	ZSTD_freeCCtx(s->zc);
	free(s);
}

/* ---- tag sets and lines -------------------------------------------------- */

static int tagset_id(struct ingest_session *s, struct focus_quirk_info *q, const struct focus_text *t,
		     uint64_t line, uint32_t *id)
{
	if (!t->p) {
		*id = 0;
		return 0;
	}
	uint64_t h = hash_bytes(t->p, t->n);
	if (dict_get(&s->tag_raw, t->p, t->n, h, id))
		return 0;
	char *canon = tags_canonical(t->p, t->n);
	if (!canon) {
		if (q && q->count++ == 0) {
			q->line = line;
			snprintf(q->column, sizeof q->column, "Tags");
			snprintf(q->example, sizeof q->example, "%.*s", t->n > 60 ? 60 : (int)t->n, t->p);
		}
		*id = 0;
	} else if (!*canon) {
		*id = 0;
	} else {
		size_t cn = strlen(canon);
		uint64_t ch = hash_bytes(canon, cn);
		if (!dict_get(&s->tag_canon, canon, cn, ch, id)) {
			if (s->st->ops->tagset_add(s->st, canon, cn, id) < 0) {
				free(canon);
				return -1;
			}
			dict_put(&s->tag_canon, canon, cn, ch, *id);
		}
	}
	free(canon);
	dict_put(&s->tag_raw, t->p, t->n, h, *id);
	return 0;
}

/* Might p[0..n) hold a byte below 0x20 (so maybe a separator)? Eight bytes at a time. */
static int maybe_control(const unsigned char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x;
		memcpy(&x, p + i, 8);
		if ((x - 0x20 * ones) & ~x & highs)
			return 1;
	}
	for (; i < n; i++)
		if (p[i] < 0x20)
			return 1;
	return 0;
}

/* Append one key value to the joined form, escaping the separators. */
static void put_val(struct buf *b, const struct focus_text *t)
{
	if (!t->p) {
		buf_put(b, "\x1e\x1f", 2);
		return;
	}
	buf_need(b, (size_t)t->n * 2 + 1);
	const unsigned char *p = (const unsigned char *)t->p;
	if (!maybe_control(p, t->n)) {
		memcpy(b->p + b->n, p, t->n);
		b->n += t->n;
	} else {
		for (uint32_t i = 0; i < t->n; i++) {
			if (p[i] == 0x1d || p[i] == 0x1e || p[i] == 0x1f)
				b->p[b->n++] = 0x1d;
			b->p[b->n++] = p[i];
		}
	}
	b->p[b->n++] = 0x1f;
}

static int line_id(struct ingest_session *s, const struct focus_row *row, uint32_t tagset, uint32_t *id,
		   uint64_t *nnew)
{
	struct buf *k = &s->key;
	k->n = 0;
	for (int c = 0; c < FC__COUNT; c++)
		if (focus_columns[c].role == FR_KEY)
			put_val(k, &row->key[c]);
	size_t vals_len = k->n;
	buf_put(k, &tagset, sizeof tagset);
	uint64_t h = hash_bytes(k->p, k->n);
	if (dict_get(&s->lines, k->p, k->n, h, id))
		return 0;
	if (s->st->ops->line_add(s->st, tagset, (const char *)k->p, vals_len, id) < 0)
		return -1;
	dict_put(&s->lines, k->p, k->n, h, *id);
	(*nnew)++;
	return 0;
}

/* snprintf(out, cap, "%.*s", n, p) without the formatter (a row's period is looked up for every row). */
static void copy_text(char *out, size_t cap, const char *p, size_t n)
{
	size_t l = p ? strnlen(p, n) : 0;
	if (l > cap - 1)
		l = cap - 1;
	if (l)
		memcpy(out, p, l);
	out[l] = 0;
}

static int period_id(struct ingest_session *s, const struct focus_row *row, const char *pstart, uint32_t *id)
{
	char prov[256], acct[256], start[64];
	const struct focus_text *p = &row->key[FC_SERVICE_PROVIDER_NAME], *a = &row->key[FC_BILLING_ACCOUNT_ID],
				*b = &row->key[FC_BILLING_PERIOD_START];
	copy_text(prov, sizeof prov, p->p, p->n);
	copy_text(acct, sizeof acct, a->p, a->n);
	if (pstart)
		copy_text(start, sizeof start, pstart, strlen(pstart));
	else
		copy_text(start, sizeof start, b->p, b->n);
	if (s->last_period.valid && !strcmp(prov, s->last_period.prov) && !strcmp(acct, s->last_period.acct) &&
	    !strcmp(start, s->last_period.start)) {
		*id = s->last_period.id;
		return 0;
	}
	if (s->st->ops->period_get(s->st, prov, acct, start, id) < 0)
		return -1;
	strcpy(s->last_period.prov, prov);
	strcpy(s->last_period.acct, acct);
	strcpy(s->last_period.start, start);
	s->last_period.id = *id;
	s->last_period.valid = 1;
	for (size_t i = 0; i < s->nperiods; i++)
		if (s->periods[i] == *id)
			return 0;
	s->periods = xrealloc(s->periods, (s->nperiods + 1) * sizeof *s->periods);
	s->periods[s->nperiods++] = *id;
	return 0;
}

/* ---- segments: the per-row audit trail ----------------------------------- */

static int seg_flush(struct ingest_session *s, int64_t source_id, struct seg_builder *b)
{
	if (!b->nrows)
		return 0;
	size_t bound = ZSTD_compressBound(b->data.n);
	s->zbuf.n = 0;
	buf_need(&s->zbuf, bound);
	size_t z = ZSTD_compressCCtx(s->zc, s->zbuf.p, bound, b->data.p, b->data.n, 1);
	if (ZSTD_isError(z))
		return error("compress segment: %s", ZSTD_getErrorName(z));
	if (s->st->ops->seg_add(s->st, source_id, b->period_id, b->first_line, b->nrows, s->zbuf.p, z) < 0)
		return -1;
	b->nrows = 0;
	b->data.n = 0;
	return 0;
}

static struct seg_builder *seg_for(struct ingest_session *s, uint32_t period)
{
	for (size_t i = 0; i < s->nsegs; i++)
		if (s->segs[i].period_id == period)
			return &s->segs[i];
	s->segs = xrealloc(s->segs, (s->nsegs + 1) * sizeof *s->segs);
	struct seg_builder *b = &s->segs[s->nsegs++];
	memset(b, 0, sizeof *b);
	b->period_id = period;
	return b;
}

/*
 * Row encoding (then zstd): zigzag(line delta), line id, zigzag(start delta),
 * zigzag(end - start), the six amounts as zigzag varints, and for each extra
 * column varint(len + 1) and the bytes (0 = null).
 */
static int seg_add_row(struct ingest_session *s, int64_t source_id, uint32_t period, const struct focus_row *row,
		       uint32_t lid, size_t nextra)
{
	struct seg_builder *b = seg_for(s, period);
	struct buf *d = &b->data;
	if (!b->nrows) {
		b->first_line = b->prev_line = row->line;
		b->prev_start = 0;
	}
	put_varint(d, zigzag((__int128)row->line - (__int128)b->prev_line));
	put_varint(d, lid);
	put_varint(d, zigzag((__int128)row->start - b->prev_start));
	put_varint(d, zigzag((__int128)row->end - row->start));
	for (int a = 0; a < FA__COUNT; a++)
		put_varint(d, zigzag(row->amt[a]));
	for (size_t e = 0; e < nextra; e++) {
		const struct focus_text *t = &row->extra[e];
		put_varint(d, t->p ? (unsigned __int128)t->n + 1 : 0);
		if (t->p)
			buf_put(d, t->p, t->n);
	}
	b->prev_line = row->line;
	b->prev_start = row->start;
	if (++b->nrows >= SEG_ROWS)
		return seg_flush(s, source_id, b);
	/* A file spanning many billing periods must not hold a full block for each. */
	if (d->n > SEG_MAX_BYTES / 8 || (s->nrows_buffered++ & 1023) == 0) {
		size_t total = 0;
		for (size_t i = 0; i < s->nsegs; i++)
			total += s->segs[i].data.n;
		if (total > SEG_MAX_BYTES)
			for (size_t i = 0; i < s->nsegs; i++)
				if (seg_flush(s, source_id, &s->segs[i]) < 0)
					return -1;
	}
	return 0;
}

/* ---- daily sums ----------------------------------------------------------- */

static void daily_reset(struct ingest_session *s)
{
	if (!s->dcap) {
		s->dcap = 1u << 16;
		s->dslots = xcalloc(s->dcap, sizeof *s->dslots);
	} else {
		memset(s->dslots, 0, s->dcap * sizeof *s->dslots);
	}
	s->ndrecs = 0;
}

static void daily_grow(struct ingest_session *s)
{
	size_t ncap = s->dcap * 2;
	struct daily_slot *ns = xcalloc(ncap, sizeof *ns);
	for (size_t i = 0; i < s->dcap; i++) {
		if (!s->dslots[i].key)
			continue;
		size_t j = (size_t)(s->dslots[i].key * 0x9E3779B97F4A7C15ULL >> 20) & (ncap - 1);
		while (ns[j].key)
			j = (j + 1) & (ncap - 1);
		ns[j] = s->dslots[i];
	}
	free(s->dslots);
	s->dslots = ns;
	s->dcap = ncap;
}

static int daily_flush(struct ingest_session *s, int64_t source_id)
{
	if (s->ndrecs && s->st->ops->daily_add(s->st, source_id, s->drecs, s->ndrecs) < 0)
		return -1;
	daily_reset(s);
	return 0;
}

static int daily_add(struct ingest_session *s, int64_t source_id, int32_t day, uint32_t lid, uint32_t period,
		     const struct focus_row *row)
{
	uint64_t key = ((uint64_t)(uint32_t)day << 32 | lid) + 1;
	size_t j = (size_t)(key * 0x9E3779B97F4A7C15ULL >> 20) & (s->dcap - 1);
	struct daily_rec *d;
	for (;; j = (j + 1) & (s->dcap - 1)) {
		struct daily_slot *sl = &s->dslots[j];
		if (!sl->key) {
			if (s->ndrecs >= DAILY_FLUSH) {
				if (daily_flush(s, source_id) < 0)
					return -1;
				return daily_add(s, source_id, day, lid, period, row);
			}
			sl->key = key;
			sl->period_id = period;
			sl->idx = (uint32_t)s->ndrecs;
			if (s->ndrecs == s->drcap) {
				s->drcap = s->drcap ? s->drcap * 2 : 4096;
				s->drecs = xrealloc(s->drecs, s->drcap * sizeof *s->drecs);
			}
			d = &s->drecs[s->ndrecs++];
			memset(d, 0, sizeof *d);
			d->day = day;
			d->line_id = lid;
			d->period_id = period;
			if ((s->ndrecs + 1) * 2 > s->dcap)
				daily_grow(s);
			break;
		}
		if (sl->key == key && sl->period_id == period) {
			d = &s->drecs[sl->idx];
			break;
		}
	}
	d->n++;
	for (int a = 0; a < FA__COUNT; a++)
		if (money_add(&d->amt[a], row->amt[a]) < 0)
			return error("amount overflow in daily sum");
	return 0;
}

/* ---- progress ------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(struct input *in, uint64_t rows, double t0, int final)
{
	double el = now_s() - t0;
	int64_t size = input_raw_size(in);
	char pct[16] = "";
	if (size > 0)
		snprintf(pct, sizeof pct, " %3d%%", (int)(100.0 * (double)input_raw_pos(in) / (double)size));
	fprintf(stderr, "\r\033[Kingest %s:%s %" PRIu64 " rows, %.1f MB, %.0f rows/s%s", input_name(in), pct, rows,
		input_raw_pos(in) / 1e6, el > 0 ? rows / el : 0.0, final ? "\n" : "");
}

/* ---- the per-file transaction --------------------------------------------- */

static char *json_names(char **names, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(names[i]));
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static char *json_quirks(const struct focus_reader *r)
{
	json_t *o = json_object();
	for (int q = 0; q < FQ__COUNT; q++) {
		const struct focus_quirk_info *qi = &r->quirk[q];
		if (!qi->count)
			continue;
		json_t *e = json_pack("{s:s,s:I,s:I,s:I,s:s,s:s}", "what", focus_quirk_text[q], "count",
				      (json_int_t)qi->count, "line", (json_int_t)qi->line, "column", (json_int_t)qi->col,
				      "field", qi->column, "example", qi->example);
		json_object_set_new(o, focus_quirk_key[q], e);
	}
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static void warn_quirks(const struct focus_reader *r, const char *name)
{
	for (int q = 0; q < FQ__COUNT; q++) {
		const struct focus_quirk_info *qi = &r->quirk[q];
		if (!qi->count)
			continue;
		char pos[32] = "";
		if (qi->col)
			snprintf(pos, sizeof pos, ":%u", qi->col);
		warning("%s:%" PRIu64 "%s: %s%s%s ('%s'; %" PRIu64 " time%s)", name, qi->line, pos, qi->column,
			qi->column[0] ? ": " : "", focus_quirk_text[q], qi->example, qi->count, qi->count == 1 ? "" : "s");
	}
}

static void iso_now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int64_t floor_day(int64_t epoch)
{
	return epoch >= 0 ? epoch / 86400 : -((-epoch + 86399) / 86400);
}

static int precheck_duplicate(struct ingest_session *s, const char *path, struct ingest_result *res)
{
	struct input *in = input_open(path);
	if (!in)
		return -1;
	input_sha256(in, res->sha256);
	input_close(in);
	int64_t id;
	int f = s->st->ops->source_find(s->st, res->sha256, &id);
	if (f > 0) {
		res->duplicate = 1;
		res->source_id = id;
	}
	return f < 0 ? -1 : 0;
}

int ingest_precheck(struct ingest_session *s, const char *path, struct ingest_result *res)
{
	struct stat sb;
	memset(res, 0, sizeof *res);
	if (load_dicts(s) < 0)
		return -1;
	/*
	 * A re-ingest should not cost a full parse: when the ledger holds a
	 * source of exactly this file's size, hash the file first.
	 */
	if (strcmp(path, "-") != 0 && stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
		int has = s->st->ops->source_has_size(s->st, (uint64_t)sb.st_size);
		if (has < 0 || (has > 0 && precheck_duplicate(s, path, res) < 0))
			return -1;
	}
	return 0;
}

struct store *ingest_store(struct ingest_session *s)
{
	return s->st;
}

int64_t ingest_batch(const struct ingest_session *s)
{
	return s->batch;
}

int ingest_rows(struct ingest_session *s, const char *path, struct input *in, const struct ingest_producer *p,
		struct ingest_result *res)
{
	struct store *st = s->st;
	struct focus_row row;
	struct focus_reject rej;
	struct source_rec src = { 0 };
	char now[32], *extras = NULL, *warns = NULL;
	int rc = -1, in_tx = 0;
	uint64_t printed = 0, stored = 0, rows = 0, rejected = 0;
	double t0 = now_s(), last = t0;

	memset(res, 0, sizeof *res);
	if (load_dicts(s) < 0)
		return -1;
	if (st->ops->begin(st) < 0)
		return -1;
	in_tx = 1;
	iso_now(now);
	src.kind = p->kind;
	src.path = strcmp(path, "-") == 0 ? "<stdin>" : path;
	snprintf(src.sha256, sizeof src.sha256, "pending-%" PRId64, s->batch);
	src.batch = s->batch;
	src.ingested_at = now;
	if (st->ops->source_add(st, &src) < 0)
		goto out;
	s->nsegs = 0;
	s->nperiods = 0;
	s->last_period.valid = 0;
	daily_reset(s);
	src.min_day = INT64_MAX;
	src.max_day = INT64_MIN;

	for (;;) {
		const char *pstart = NULL;
		int r = p->next(p->ctx, &row, &rej, &pstart);
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		rows++;
		if ((rows & 0xffff) == 0 && s->o.progress && now_s() - last > 0.25) {
			last = now_s();
			progress(in, rows, t0, 0);
		}
		if (r == 2) {
			rejected++;
			if (s->o.strict) {
				error("%s:%" PRIu64 ":%u: %s%s%s (--strict: nothing ingested)", input_name(in), rej.line,
				      rej.col, rej.column, rej.column[0] ? ": " : "", rej.why);
				goto out;
			}
			/* Rejections are data not loaded: shown even under --quiet. */
			if (printed++ < s->o.max_print)
				fprintf(stderr, "aicost: %s:%" PRIu64 ":%u: rejected: %s%s%s\n", input_name(in), rej.line,
					rej.col, rej.column, rej.column[0] ? ": " : "", rej.why);
			if (stored++ < MAX_STORED_REJECTS &&
			    st->ops->reject_add(st, src.id, rej.line, rej.col, rej.column, rej.why) < 0)
				goto out;
			continue;
		}
		uint32_t tid, lid, pid;
		if (tagset_id(s, p->tags_quirk, &row.key[FC_TAGS], row.line, &tid) < 0 ||
		    line_id(s, &row, tid, &lid, &res->lines_new) < 0 || period_id(s, &row, pstart, &pid) < 0)
			goto out;
		int64_t day = floor_day(row.start);
		if (day < src.min_day)
			src.min_day = day;
		if (day > src.max_day)
			src.max_day = day;
		for (int a = 0; a < FA__COUNT; a++)
			if (money_add(&res->total[a], row.amt[a]) < 0) {
				error("%s:%" PRIu64 ": %s total overflows", input_name(in), row.line, focus_amount_names[a]);
				goto out;
			}
		if (seg_add_row(s, src.id, pid, &row, lid, p->nextra) < 0 ||
		    daily_add(s, src.id, (int32_t)day, lid, pid, &row) < 0)
			goto out;
		res->accepted++;
	}
	if (printed > s->o.max_print)
		fprintf(stderr, "aicost: %s: %" PRIu64 " more rejected rows not shown (see 'aicost sources')\n",
			input_name(in), printed - s->o.max_print);
	for (size_t i = 0; i < s->nsegs; i++)
		if (seg_flush(s, src.id, &s->segs[i]) < 0)
			goto out;
	for (size_t i = 0; i < s->nsegs; i++)
		free(s->segs[i].data.p);
	s->nsegs = 0;
	if (daily_flush(s, src.id) < 0)
		goto out;
	if (p->sha256)
		snprintf(res->sha256, sizeof res->sha256, "%s", p->sha256);
	else
		input_sha256(in, res->sha256);
	{
		int64_t other;
		int f = st->ops->source_find(st, res->sha256, &other);
		if (f < 0)
			goto out;
		if (f > 0) {
			/* Same content already loaded: undo everything, report a no-op. */
			st->ops->rollback(st);
			in_tx = 0;
			drop_dicts(s);
			res->duplicate = 1;
			res->source_id = other;
			res->accepted = 0;
			memset(res->total, 0, sizeof res->total);
			rc = 0;
			goto out;
		}
	}
	if (p->finish && p->finish(p->ctx, st, src.id) < 0)
		goto out;
	for (size_t i = 0; p->restate && i < s->nperiods; i++) {
		uint64_t del = 0;
		if (st->ops->restate(st, s->periods[i], src.id, s->batch, &del) < 0)
			goto out;
		res->restated += del;
	}
	res->rows = rows;
	res->rejected = rejected;
	memcpy(src.sha256, res->sha256, sizeof src.sha256);
	src.bytes = input_raw_pos(in);
	src.rows_total = rows;
	src.rows_accepted = res->accepted;
	src.rows_rejected = rejected;
	memcpy(src.total, res->total, sizeof src.total);
	extras = json_names((char **)p->extra_name, p->nextra);
	warns = p->warnings_json ? p->warnings_json(p->ctx) : NULL;
	src.extras_json = extras;
	src.warnings_json = warns ? warns : "{}";
	src.status = "active";
	if (src.min_day == INT64_MAX)
		src.min_day = src.max_day = 0;
	if (st->ops->source_update(st, &src) < 0)
		goto out;
	if (st->ops->commit(st) < 0)
		goto out;
	in_tx = 0;
	res->source_id = src.id;
	if (s->o.progress)
		progress(in, rows, t0, 1);
	rc = 0;
out:
	if (in_tx) {
		st->ops->rollback(st);
		drop_dicts(s);
	}
	for (size_t i = 0; i < s->nsegs; i++)
		free(s->segs[i].data.p);
	s->nsegs = 0;
	free(extras);
	free(warns);
	return rc;
}

/* ---- the FOCUS CSV producer ------------------------------------------------ */

static int focus_next(void *ctx, struct focus_row *row, struct focus_reject *rej, const char **period)
{
	(void)period;
	return focus_reader_next(ctx, row, rej);
}

static char *focus_warnings(void *ctx)
{
	return json_quirks(ctx);
}

int ingest_focus_file(struct ingest_session *s, const char *path, struct ingest_result *res)
{
	struct focus_reader fr;
	struct input *in = NULL;
	int rc = -1;

	memset(&fr, 0, sizeof fr);
	if (ingest_precheck(s, path, res) < 0)
		return -1;
	if (res->duplicate)
		return 0;
	in = input_open(path);
	if (!in)
		return -1;
	if (focus_reader_open(&fr, input_read, in, input_name(in)) < 0) {
		input_close(in);
		return -1;
	}
	struct ingest_producer p = {
		.kind = "focus", .next = focus_next, .ctx = &fr, .nextra = fr.nextra,
		.extra_name = (const char *const *)fr.extra_name, .restate = 1,
		.warnings_json = focus_warnings, .tags_quirk = &fr.quirk[FQ_TAGS_INVALID],
	};
	rc = ingest_rows(s, path, in, &p, res);
	if (rc == 0 && !res->duplicate)
		warn_quirks(&fr, input_name(in));
	focus_reader_release(&fr);
	input_close(in);
	return rc;
}
