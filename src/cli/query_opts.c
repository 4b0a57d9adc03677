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

int cli_cost_opt(const char *s, int *amount)
{
	*amount = FA_EFFECTIVE;
	if (!s)
		return 0;
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, cost_names[i])) {
			*amount = i;
			return 0;
		}
	error("--cost: '%s' is not one of billed, effective, list, contracted", s);
	return CLI_EUSAGE;
}

int cli_day_opt(const struct cli_args *a, const char *name, int64_t *day)
{
	const char *v = cli_get(a, name);
	if (v && parse_day(v, day) < 0) {
		error("--%s: '%s' is not a date (YYYY-MM-DD)", name, v);
		return CLI_EUSAGE;
	}
	return 0;
}

int cli_range_opts(const struct cli_args *a, int *amount, int64_t *from, int64_t *to)
{
	*from = INT64_MIN;
	*to = INT64_MAX;
	if (cli_cost_opt(cli_get(a, "cost"), amount) < 0 || cli_day_opt(a, "from", from) < 0 ||
	    cli_day_opt(a, "to", to) < 0)
		return CLI_EUSAGE;
	return 0;
}

int cli_query_opts(const struct cli_args *a, struct report_query *q)
{
	if (cli_range_opts(a, &q->amount, &q->from_day, &q->to_day) < 0)
		return CLI_EUSAGE;
	q->where = cli_all(a, "where", &q->nwhere);
	return 0;
}

/* The exiting forms, for commands whose bad options end the process. */
int cli_parse_cost(const char *s)
{
	int amount;
	if (cli_cost_opt(s, &amount) < 0)
		exit(EXIT_USAGE);
	return amount;
}

void cli_query_from_args(const struct cli_args *a, struct report_query *q)
{
	if (cli_query_opts(a, q) < 0)
		exit(EXIT_USAGE);
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
