/*
 * query_opts.c - the options every analysis command shares (SPEC section 1):
 * --from/--to/--where/--cost into a report_query, and --by lists.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/config.h"
#include "core/report.h"
#include "formats/focus.h"

static const char *const cost_names[4] = { "billed", "effective", "list", "contracted" };

const char *cli_cost_name(int amount)
{
	return amount >= 0 && amount < 4 ? cost_names[amount] : "effective";
}

int cli_parse_cost(const char *s)
{
	if (!s)
		return FA_EFFECTIVE;
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, cost_names[i]))
			return i;
	usage_error("--cost: '%s' is not one of billed, effective, list, contracted", s);
}

void cli_query_from_args(const struct cli_args *a, struct report_query *q)
{
	q->amount = cli_parse_cost(cli_get(a, "cost"));
	q->from_day = INT64_MIN;
	q->to_day = INT64_MAX;
	if (cli_get(a, "from") && parse_day(cli_get(a, "from"), &q->from_day) < 0)
		usage_error("--from: '%s' is not a date (YYYY-MM-DD)", cli_get(a, "from"));
	if (cli_get(a, "to") && parse_day(cli_get(a, "to"), &q->to_day) < 0)
		usage_error("--to: '%s' is not a date (YYYY-MM-DD)", cli_get(a, "to"));
	q->where = cli_all(a, "where", &q->nwhere);
}

char **cli_split_commas(const char *s, size_t *n)
{
	char **out = NULL;
	*n = 0;
	while (s && *s) {
		const char *c = strchr(s, ',');
		size_t len = c ? (size_t)(c - s) : strlen(s);
		while (len && *s == ' ')
			s++, len--;
		while (len && s[len - 1] == ' ')
			len--;
		if (len) {
			out = xrealloc(out, (*n + 1) * sizeof *out);
			out[(*n)++] = xstrndup(s, len);
		}
		s = c ? c + 1 : NULL;
	}
	return out;
}

char **cli_by_or_default(const char *by, const struct config *cfg, size_t *n)
{
	char **v = cli_split_commas(by, n);
	if (!*n) {
		int t = alloc_dim_find(cfg, "team");
		v = xrealloc(v, sizeof *v);
		v[0] = xstrdup(t >= 0 && cfg->dims[t].configured ? "team" : "ServiceName");
		*n = 1;
	}
	return v;
}

void cli_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
