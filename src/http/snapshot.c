/* snapshot.c - the server's in-memory copy of the report engine's reads; see snapshot.h. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "formats/focus.h"
#include "http/snapshot.h"
#include "store/store.h"
#include "util/err.h"

struct snap_row {
	int32_t day;
	uint32_t line;
	money_t v;
};

enum { ST_NONE, ST_READY, ST_TOO_BIG };

struct snap_col {
	struct snap_row *r;
	size_t n, cap;
	int state;
};

struct snap_line {
	uint32_t id, tagset;
	char *vals;
	size_t n;
};

struct snap_tags {
	uint32_t id;
	char *json;
	size_t n;
};

struct snap {
	char ver[192];
	int refs;
	pthread_mutex_t lock;           /* guards loading; loaded parts are read without it */
	int range_state, any;
	int32_t dmin, dmax;
	struct snap_col col[FA__COUNT];
	struct snap_line *lines;
	size_t nlines, lcap;
	int lines_state;
	struct snap_tags *tags;
	size_t ntags, tcap;
	int tags_state;
	size_t bytes;
};

static __thread struct snap *tl_snap;
static __thread const struct store_ops *tl_real;

struct snap *snap_new(const char *version)
{
	struct snap *s = xcalloc(1, sizeof *s);
	snprintf(s->ver, sizeof s->ver, "%s", version);
	s->refs = 1;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void snap_ref(struct snap *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
}

void snap_unref(struct snap *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (int a = 0; a < FA__COUNT; a++)
		free(s->col[a].r);
	for (size_t i = 0; i < s->nlines; i++)
		free(s->lines[i].vals);
	for (size_t i = 0; i < s->ntags; i++)
		free(s->tags[i].json);
	free(s->lines);
	free(s->tags);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const char *snap_version(const struct snap *s)
{
	return s->ver;
}

size_t snap_bytes(struct snap *s)
{
	pthread_mutex_lock(&s->lock);
	size_t b = s->bytes;
	pthread_mutex_unlock(&s->lock);
	return b;
}

void snap_use(struct snap *s, const struct store_ops *real)
{
	tl_snap = s;
	tl_real = real;
}

/* ---- loading (under s->lock, through the real ops of the calling worker's connection) ---- */

static int add_row(void *arg, int32_t day, uint32_t line, money_t v)
{
	struct snap_col *c = arg;
	if (c->n == SNAP_MAX_ROWS)
		return 1;   /* stop: too big to copy */
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 65536;
		c->r = xrealloc(c->r, c->cap * sizeof *c->r);
	}
	c->r[c->n++] = (struct snap_row){ day, line, v };
	return 0;
}

static int load_col(struct snap *s, struct store *st, int amt)
{
	struct snap_col *c = &s->col[amt];
	if (c->state != ST_NONE)
		return 0;
	int rc = tl_real->daily_scan(st, INT32_MIN, INT32_MAX, amt, add_row, c);
	if (rc < 0) {
		free(c->r);
		memset(c, 0, sizeof *c);
		return -1;
	}
	if (rc > 0) {
		free(c->r);
		memset(c, 0, sizeof *c);
		c->state = ST_TOO_BIG;
		return 0;
	}
	c->state = ST_READY;
	s->bytes += c->cap * sizeof *c->r;
	return 0;
}

static int add_line(void *arg, uint32_t id, uint32_t tagset, const char *vals, size_t n)
{
	struct snap *s = arg;
	if (s->nlines == s->lcap) {
		s->lcap = s->lcap ? s->lcap * 2 : 1024;
		s->lines = xrealloc(s->lines, s->lcap * sizeof *s->lines);
	}
	s->lines[s->nlines++] = (struct snap_line){ id, tagset, xstrndup(vals, n), n };
	s->bytes += n + 1 + sizeof *s->lines;
	return 0;
}

static int add_tags(void *arg, uint32_t id, const char *json, size_t n)
{
	struct snap *s = arg;
	if (s->ntags == s->tcap) {
		s->tcap = s->tcap ? s->tcap * 2 : 1024;
		s->tags = xrealloc(s->tags, s->tcap * sizeof *s->tags);
	}
	s->tags[s->ntags++] = (struct snap_tags){ id, xstrndup(json, n), n };
	s->bytes += n + 1 + sizeof *s->tags;
	return 0;
}

/* ---- the hooked ops ---------------------------------------------------------- */

static int h_daily_scan(struct store *st, int32_t from, int32_t to, int amt,
			int (*cb)(void *, int32_t, uint32_t, money_t), void *arg)
{
	struct snap *s = tl_snap;
	if (!s || amt < 0 || amt >= FA__COUNT)
		return tl_real->daily_scan(st, from, to, amt, cb, arg);
	pthread_mutex_lock(&s->lock);
	int rc = load_col(s, st, amt);
	pthread_mutex_unlock(&s->lock);
	if (rc < 0)
		return -1;
	const struct snap_col *c = &s->col[amt];
	if (c->state != ST_READY)
		return tl_real->daily_scan(st, from, to, amt, cb, arg);
	/* rows are in (day, line, source) order: find the first day >= from */
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->r[mid].day < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < c->n && c->r[i].day <= to; i++) {
		int out = cb(arg, c->r[i].day, c->r[i].line, c->r[i].v);
		if (out)
			return out;
	}
	return 0;
}

static int h_day_range(struct store *st, int32_t *min, int32_t *max)
{
	struct snap *s = tl_snap;
	if (!s)
		return tl_real->day_range(st, min, max);
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	if (!s->range_state) {
		rc = tl_real->day_range(st, &s->dmin, &s->dmax);
		if (rc >= 0) {
			s->any = rc;
			s->range_state = 1;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (rc < 0)
		return -1;
	*min = s->dmin;
	*max = s->dmax;
	return s->any;
}

static int h_line_scan(struct store *st, int (*cb)(void *, uint32_t, uint32_t, const char *, size_t), void *arg)
{
	struct snap *s = tl_snap;
	if (!s)
		return tl_real->line_scan(st, cb, arg);
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	if (!s->lines_state) {
		rc = tl_real->line_scan(st, add_line, s);
		if (rc < 0) {
			for (size_t i = 0; i < s->nlines; i++)
				free(s->lines[i].vals);
			s->nlines = 0;
		} else {
			s->lines_state = 1;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < s->nlines; i++) {
		int out = cb(arg, s->lines[i].id, s->lines[i].tagset, s->lines[i].vals, s->lines[i].n);
		if (out)
			return out;
	}
	return 0;
}

static int h_tagset_scan(struct store *st, int (*cb)(void *, uint32_t, const char *, size_t), void *arg)
{
	struct snap *s = tl_snap;
	if (!s)
		return tl_real->tagset_scan(st, cb, arg);
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	if (!s->tags_state) {
		rc = tl_real->tagset_scan(st, add_tags, s);
		if (rc < 0) {
			for (size_t i = 0; i < s->ntags; i++)
				free(s->tags[i].json);
			s->ntags = 0;
		} else {
			s->tags_state = 1;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < s->ntags; i++) {
		int out = cb(arg, s->tags[i].id, s->tags[i].json, s->tags[i].n);
		if (out)
			return out;
	}
	return 0;
}

void snap_hook(struct store *st, struct store_ops *ops, const struct store_ops **real)
{
	*real = st->ops;
	*ops = *st->ops;
	ops->daily_scan = h_daily_scan;
	ops->day_range = h_day_range;
	ops->line_scan = h_line_scan;
	ops->tagset_scan = h_tagset_scan;
	st->ops = ops;
}
