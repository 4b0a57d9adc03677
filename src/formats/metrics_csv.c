/*
 * metrics_csv.c - business KPI CSV rows; see metrics_csv.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "formats/focus.h"
#include "formats/metrics_csv.h"
#include "util/err.h"

void metrics_reader_init(struct metrics_reader *r, csv_read_fn read, void *ctx, const char *name)
{
	memset(r, 0, sizeof *r);
	csv_init(&r->csv, read, ctx);
	r->csv.max_fields = 3 + METRICS_MAX_DIMS;
	r->csv.max_record = 1 << 16;
	r->name = xstrdup(name);
}

void metrics_reader_release(struct metrics_reader *r)
{
	csv_release(&r->csv);
	for (size_t i = 0; i < r->nhead; i++)
		free(r->head[i]);
	free(r->head);
	free(r->name);
	free(r->metric);
	free(r->dims);
	memset(r, 0, sizeof *r);
}

/* Trimmed copy of a field. */
static char *field(const struct csv_field *f)
{
	const char *p = f->p;
	size_t n = f->n;
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	return xstrndup(p, n);
}

static int reject(struct metrics_reader *r, struct metrics_reject *rej, size_t fi, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int reject(struct metrics_reader *r, struct metrics_reject *rej, size_t fi, const char *fmt, ...)
{
	va_list ap;
	rej->line = csv_field_line(&r->csv, fi < r->csv.nfields ? fi : 0);
	rej->col = fi < r->csv.nfields ? r->csv.fields[fi].col : 1;
	va_start(ap, fmt);
	vsnprintf(rej->why, sizeof rej->why, fmt, ap);
	va_end(ap);
	r->rejected++;
	return 2;
}

static int parse_date(const char *s, int64_t *day)
{
	int64_t t;
	int ns;
	if (strlen(s) == 10 && parse_day(s, day) == 0)
		return 0;
	if (focus_parse_datetime(s, strlen(s), &t, &ns) < 0)
		return -1;
	*day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	return 0;
}

int metrics_reader_next(struct metrics_reader *r, struct metrics_row *row, struct metrics_reject *rej)
{
	int rc;
	const struct csv_field *F;
	for (;;) {
		rc = csv_next(&r->csv);
		if (rc < 0)
			return error("%s:%llu:%u: %s", r->name, (unsigned long long)r->csv.err_line, r->csv.err_col,
				     r->csv.err);
		if (rc == 0)
			return 0;
		F = r->csv.fields;
		if (r->csv.nfields == 1 && F[0].n == 0)
			continue;
		if (!r->started) {
			r->started = 1;
			char *f0 = field(&F[0]);
			int is_head = !strcasecmp(f0, "date") || !strcasecmp(f0, "day");
			free(f0);
			if (is_head) {
				r->nhead = r->csv.nfields > 3 ? r->csv.nfields - 3 : 0;
				r->head = xcalloc(r->nhead ? r->nhead : 1, sizeof *r->head);
				for (size_t i = 0; i < r->nhead; i++)
					r->head[i] = field(&F[3 + i]);
				continue;
			}
		}
		break;
	}
	r->rows++;
	if (r->csv.nfields < 3)
		return reject(r, rej, 0, "%zu field%s: a metrics row is date,metric,value[,DIM=VALUE...]",
			      r->csv.nfields, r->csv.nfields == 1 ? "" : "s");
	row->line = r->csv.line;
	char *d = field(&F[0]);
	int bad = parse_date(d, &row->day) < 0;
	if (bad) {
		rc = reject(r, rej, 0, "'%.40s' is not a date (YYYY-MM-DD)", d);
		free(d);
		return rc;
	}
	free(d);
	free(r->metric);
	r->metric = field(&F[1]);
	if (!r->metric[0])
		return reject(r, rej, 1, "the metric name is empty");
	char *v = field(&F[2]);
	unsigned fl = 0;
	int mrc = money_parse(v, strlen(v), &row->value, &fl);
	if (mrc < 0) {
		rc = reject(r, rej, 2, mrc == -2 ? "'%.40s' is out of range" : "'%.40s' is not a decimal number", v);
		free(v);
		return rc;
	}
	free(v);
	json_t *o = json_object();
	for (size_t i = 3; i < r->csv.nfields; i++) {
		char *c = field(&F[i]), *eq = strchr(c, '=');
		const char *key, *val;
		if (!c[0]) {
			free(c);
			continue;
		}
		if (eq) {
			*eq = 0;
			key = c;
			val = eq + 1;
		} else if (i - 3 < r->nhead && r->head[i - 3][0]) {
			key = r->head[i - 3];
			val = c;
		} else {
			json_decref(o);
			rc = reject(r, rej, i, "'%.40s' is not DIM=VALUE", c);
			free(c);
			return rc;
		}
		if (!key[0] || json_object_get(o, key)) {
			json_decref(o);
			rc = reject(r, rej, i, key[0] ? "dimension '%.40s' given twice" : "empty dimension name%.0s", key);
			free(c);
			return rc;
		}
		json_t *js = json_string(val);
		/* json_object_set_new takes js even when it fails (a key that is not UTF-8). */
		if (!js || json_object_set_new(o, key, js) < 0) {
			json_decref(o);
			free(c);
			return reject(r, rej, i, "not UTF-8 text");
		}
		free(c);
	}
	free(r->dims);
	r->dims = json_object_size(o) ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : xstrdup("");
	json_decref(o);
	row->metric = r->metric;
	row->dims = r->dims;
	return 1;
}
