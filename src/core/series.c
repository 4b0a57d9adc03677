/*
 * series.c - daily series by scope from one report run; see series.h.
 *
 * One report query with by = [ChargeCategory, DIMS..., day] gives exact
 * (category, scope, day) cells; scopes are keyed by their values joined
 * with 0x1f in a dict, so driver series built from another run can be
 * matched by string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/report.h"
#include "core/series.h"
#include "formats/focus.h"
#include "util/dict.h"
#include "util/err.h"

struct series_priv {
	struct report_result rep;
	struct dict scopes;
};

int series_is_onetime(const char *c)
{
	return c && (!strcmp(c, "Purchase") || !strcmp(c, "Tax") || !strcmp(c, "Credit") ||
		     !strcmp(c, "Adjustment"));
}

/* vals joined with 0x1f into a malloc'ed buffer; *len receives its length. */
static char *join(const char *const *vals, size_t n, size_t *len)
{
	size_t l = 0;
	for (size_t i = 0; i < n; i++)
		l += strlen(vals[i]) + 1;
	char *b = xmalloc(l + 1), *p = b;
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(vals[i]);
		memcpy(p, vals[i], k);
		p += k;
		*p++ = '\x1f';
	}
	*len = l;
	return b;
}

long series_find(const struct series_set *s, const char *const *vals)
{
	struct series_priv *pv = s->priv;
	if (!pv)
		return -1;
	size_t len;
	char *k = join(vals, s->ndims, &len);
	uint32_t id;
	int found = dict_get(&pv->scopes, k, len, hash_bytes(k, len), &id);
	free(k);
	return found ? (long)id : -1;
}

static int ot_cmp(const void *a, const void *b)
{
	const struct series_onetime *x = a, *y = b;
	if (x->scope != y->scope)
		return x->scope < y->scope ? -1 : 1;
	int c = strcmp(x->category, y->category);
	if (c)
		return c;
	return (x->day > y->day) - (x->day < y->day);
}

int series_build(struct store *st, const struct config *cfg, const struct report_query *q0,
		 const char *const *dims, size_t ndims, struct series_set *out)
{
	memset(out, 0, sizeof *out);
	struct series_priv *pv = xcalloc(1, sizeof *pv);
	dict_init(&pv->scopes);
	out->priv = pv;
	out->dims = dims;
	out->ndims = ndims;

	for (size_t d = 0; d < ndims; d++)
		if (!strcmp(dims[d], "day") || !strcmp(dims[d], "week") || !strcmp(dims[d], "month") ||
		    !strcmp(dims[d], "ChargeCategory"))
			return error("'%s' cannot be a scope of daily series", dims[d]);
	const char **by = xcalloc(ndims + 2, sizeof *by);
	by[0] = "ChargeCategory";
	for (size_t d = 0; d < ndims; d++)
		by[d + 1] = dims[d];
	by[ndims + 1] = "day";
	struct report_query q = *q0;
	q.by = by;
	q.nby = ndims + 2;
	int rc = report_run(st, cfg, &q, &pv->rep);
	free(by);
	if (rc < 0) {
		memset(&pv->rep, 0, sizeof pv->rep);
		return -1;
	}
	struct report_result *r = &pv->rep;
	memcpy(out->currency, r->currency, sizeof out->currency);
	if (r->from_day > r->to_day)
		return 0;
	out->from_day = r->from_day;
	out->ndays = (size_t)(r->to_day - r->from_day + 1);

	/* Pass 1: scopes. */
	size_t cap = 0;
	uint32_t *row_scope = xmalloc((r->nrows ? r->nrows : 1) * sizeof *row_scope);
	for (size_t i = 0; i < r->nrows; i++) {
		size_t len;
		char *k = join(r->rows[i].vals + 1, ndims, &len);
		uint64_t h = hash_bytes(k, len);
		uint32_t id;
		if (!dict_get(&pv->scopes, k, len, h, &id)) {
			id = (uint32_t)out->nscopes++;
			dict_put(&pv->scopes, k, len, h, id);
			if (out->nscopes > cap) {
				cap = cap ? 2 * cap : 64;
				out->vals = xrealloc(out->vals, cap * (ndims ? ndims : 1) * sizeof *out->vals);
			}
			for (size_t d = 0; d < ndims; d++)
				out->vals[(size_t)id * ndims + d] = r->rows[i].vals[d + 1];
		}
		free(k);
		row_scope[i] = id;
	}
	if (out->nscopes && (size_t)-1 / sizeof(money_t) / out->nscopes < out->ndays) {
		free(row_scope);
		return error("series: %zu scopes x %zu days is too large", out->nscopes, out->ndays);
	}
	out->amt = xcalloc(out->nscopes * out->ndays + 1, sizeof *out->amt);
	out->total = xcalloc(out->nscopes + 1, sizeof *out->total);
	size_t otcap = 0;
	for (size_t i = 0; i < r->nrows; i++) {
		const struct report_row *row = &r->rows[i];
		int64_t day;
		if (parse_day(row->vals[ndims + 1], &day) < 0 || day < out->from_day ||
		    day >= out->from_day + (int64_t)out->ndays)
			continue;
		size_t sc = row_scope[i];
		out->total[sc] += row->cost;
		if (series_is_onetime(row->vals[0])) {
			if (out->not == otcap) {
				otcap = otcap ? 2 * otcap : 16;
				out->ot = xrealloc(out->ot, otcap * sizeof *out->ot);
			}
			out->ot[out->not++] = (struct series_onetime){ sc, row->vals[0], day, row->cost };
		} else {
			out->amt[sc * out->ndays + (size_t)(day - out->from_day)] += row->cost;
		}
	}
	free(row_scope);
	if (out->not)
		qsort(out->ot, out->not, sizeof *out->ot, ot_cmp);
	return 0;
}

void series_release(struct series_set *s)
{
	struct series_priv *pv = s->priv;
	if (pv) {
		report_release(&pv->rep);
		dict_release(&pv->scopes);
		free(pv);
	}
	free(s->vals);
	free(s->amt);
	free(s->total);
	free(s->ot);
	memset(s, 0, sizeof *s);
}
