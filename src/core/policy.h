/*
 * policy.h - policy checks as code (`aicost check`, docs/check.md): the
 * `policies:` section of the config, evaluated against the ledger.
 *
 *   required_tags        cost lines in scope must carry a tag (or one of
 *                        its alternative keys); measured: the share of cost
 *                        without it.
 *   max_untagged_share   the share of cost in scope on lines with no tags.
 *   budgets              no_breach / no_forecast_breach over the budgets.
 *
 * Each check gives a result: pass or fail, severity, measured value vs
 * threshold, the cost affected, how many resources and an example (the
 * largest). Required-tag coverage is one report-engine run per rule, by
 * the tag keys and ResourceId: one pass over the ledger's distinct lines,
 * then the daily sums; never a pass over raw rows.
 *
 * Ownership: policy_run fills a policy_report that owns all its strings;
 * free it with policy_report_release.
 */
#ifndef AICOST_POLICY_H
#define AICOST_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "core/money.h"

struct store;
struct config;

enum policy_severity { SEV_WARNING, SEV_ERROR };
enum policy_measure { PM_SHARE, PM_MONEY };

struct policy_result {
	char *rule;              /* "required_tags", "max_untagged_share", "budget_no_breach", "budget_no_forecast_breach" */
	char *subject;           /* tag key, budget name, or NULL */
	enum policy_severity severity;
	int failed;
	char **scope_keys, **scope_vals;   /* the filter the check ran with */
	size_t nscope;
	enum policy_measure measure;
	money_t measured, threshold;   /* PM_SHARE: fractions (0.05 = 5%); PM_MONEY: amounts */
	money_t cost;            /* the cost affected: untagged/missing cost, or the amount over the limit */
	money_t total;           /* the cost in scope (shares), or the budget's actual */
	size_t resources;        /* distinct ResourceIds affected (0 when not applicable) */
	char *example;           /* the affected ResourceId with the most cost, or NULL */
	char *message;           /* one human sentence */
};

struct policy_report {
	struct policy_result *r;
	size_t n;
	size_t errors, warnings; /* failed results by severity */
	int64_t from_day, to_day;    /* range covered */
	char currency[16];
};

struct policy_opts {
	int amount;              /* FA_* */
	int64_t from_day, to_day;    /* INT64_MIN/INT64_MAX = the whole ledger */
	const char *const *where;    /* extra DIM=VALUE filters for every tag check */
	size_t nwhere;
	int64_t as_of;           /* "today" for the budget checks */
};

/*
 * Parse cfg->root's `policies:` and run every check. No `policies:` key
 * runs nothing (n = 0). Returns 0, or -1 after reporting (a config error
 * is "FILE:LINE:COL: policies...: why").
 */
int policy_run(struct store *st, const struct config *cfg, const struct policy_opts *o, struct policy_report *out);
void policy_report_release(struct policy_report *r);

/* Parse and validate `policies:` only (no ledger). Returns 0 or -1 after reporting. */
int policy_validate(const struct config *cfg);

#endif
