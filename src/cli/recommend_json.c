/*
 * recommend_json.c - the JSON forms of a recommend result (SPEC section 3
 * "recommend" and the --actions document), shared by the CLI and the HTTP
 * API. Writers only: nothing here exits or allocates beyond the string
 * recommend_actions_json returns (the caller frees it).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/render.h"
#include "core/recommend.h"
#include "formats/focus.h"

static const char *const cost_names[4] = { "billed", "effective", "list", "contracted" };

/* A statistic with at most `dec` decimals, trailing zeros trimmed. */
static void num(FILE *f, double v, int dec)
{
	char b[64];
	if (!isfinite(v))
		v = 0;
	snprintf(b, sizeof b, "%.*f", dec, v);
	char *dot = strchr(b, '.');
	if (dot) {
		char *e = b + strlen(b) - 1;
		while (e > dot && *e == '0')
			*e-- = 0;
		if (e == dot)
			*e = 0;
	}
	fputs(strcmp(b, "-0") ? b : "0", f);
}

static void day(FILE *f, int64_t d)
{
	char b[11];
	format_day(d, b);
	fprintf(f, "\"%s\"", b);
}

static void vals(FILE *f, const struct rec_val *v, size_t n)
{
	fputc('{', f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		json_str(f, v[i].key);
		fputc(':', f);
		switch (v[i].type) {
		case RV_NUM: num(f, v[i].num, 4); break;
		case RV_INT: fprintf(f, "%" PRId64, v[i].i); break;
		case RV_BOOL: fputs(v[i].i ? "true" : "false", f); break;
		case RV_MONEY: json_money(f, v[i].m); break;
		case RV_STR: json_str(f, v[i].s ? v[i].s : ""); break;
		}
	}
	fputc('}', f);
}

static void scope(FILE *f, const struct recommendation *r)
{
	fputc('{', f);
	for (size_t i = 0; i < r->nscope; i++) {
		if (i)
			fputc(',', f);
		json_str(f, r->scope_keys[i]);
		fputc(':', f);
		json_str(f, r->scope_vals[i]);
	}
	fputc('}', f);
}

void recommend_write_json(const struct recommend_result *res, FILE *f)
{
	int empty = res->from_day > res->to_day;
	fputs("{\"currency\":", f);
	json_str(f, res->currency);
	fprintf(f, ",\"cost_metric\":\"%s\",\"from\":", cost_names[res->amount >= 0 && res->amount < 4 ? res->amount : 1]);
	if (empty)
		fputs("null,\"to\":null,\"period_days\":0", f);
	else {
		day(f, res->from_day);
		fputs(",\"to\":", f);
		day(f, res->to_day);
		fprintf(f, ",\"period_days\":%" PRId64, res->to_day - res->from_day + 1);
	}
	fputs(",\"recommendations\":[", f);
	for (size_t i = 0; i < res->n; i++) {
		const struct recommendation *r = &res->recs[i];
		if (i)
			fputc(',', f);
		fputs("{\"id\":", f);
		json_str(f, r->id);
		fputs(",\"kind\":", f);
		json_str(f, rec_kind_names[r->kind]);
		fputs(",\"title\":", f);
		json_str(f, r->title ? r->title : "");
		fputs(",\"resource_id\":", f);
		json_str(f, r->resource_id);
		fputs(",\"scope\":", f);
		scope(f, r);
		fputs(",\"monthly_savings\":", f);
		json_money(f, r->monthly_savings);
		fputs(",\"monthly_cost\":", f);
		json_money(f, r->monthly_cost);
		fputs(",\"confidence\":", f);
		num(f, r->confidence, 2);
		fputs(",\"evidence\":", f);
		vals(f, r->ev, r->nev);
		fputs(",\"action\":", f);
		json_str(f, r->action ? r->action : "");
		fputs(",\"action_type\":", f);
		json_str(f, r->action_type ? r->action_type : "");
		fputs(",\"period\":{\"from\":", f);
		day(f, r->from_day);
		fputs(",\"to\":", f);
		day(f, r->to_day);
		fputs("}}", f);
	}
	fputs("],\"total_monthly_savings\":", f);
	json_money(f, res->total_monthly_savings);
	fputs(",\"spend_in_period\":", f);
	json_money(f, res->spend);
	fputs(",\"monthly_spend\":", f);
	json_money(f, res->monthly_spend);
	fputs(",\"savings_pct_of_spend\":", f);
	num(f, res->savings_share * 100, 2);
	fputs(",\"notes\":[", f);
	int first = 1;
	for (const char *p = res->notes; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, n);
		if (line) {
			if (!first)
				fputc(',', f);
			json_str(f, line);
			first = 0;
			free(line);
		}
		p += n + (nl != NULL);
	}
	fputs("]}\n", f);
}

void recommend_write_actions(const struct recommend_result *res, FILE *f)
{
	fputs("{\"source\":\"aicost recommend\",\"actions\":[", f);
	for (size_t i = 0; i < res->n; i++) {
		const struct recommendation *r = &res->recs[i];
		if (i)
			fputc(',', f);
		fputs("{\"id\":", f);
		json_str(f, r->id);
		fputs(",\"kind\":", f);
		json_str(f, rec_kind_names[r->kind]);
		fputs(",\"type\":", f);
		json_str(f, r->action_type ? r->action_type : "");
		fputs(",\"resource_id\":", f);
		json_str(f, r->resource_id);
		fputs(",\"scope\":", f);
		scope(f, r);
		fputs(",\"params\":", f);
		vals(f, r->params, r->nparams);
		fputs(",\"description\":", f);
		json_str(f, r->action ? r->action : "");
		fputs(",\"monthly_savings\":", f);
		json_money(f, r->monthly_savings);
		fputs(",\"confidence\":", f);
		num(f, r->confidence, 2);
		fputs(",\"evidence_period\":{\"from\":", f);
		day(f, r->from_day);
		fputs(",\"to\":", f);
		day(f, r->to_day);
		fputs("}}", f);
	}
	fputs("],\"total_monthly_savings\":", f);
	json_money(f, res->total_monthly_savings);
	fputs(",\"currency\":", f);
	json_str(f, res->currency);
	fputs("}\n", f);
}

char *recommend_actions_json(const struct recommend_result *res)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (!f)
		return NULL;
	recommend_write_actions(res, f);
	fclose(f);
	return buf;
}
