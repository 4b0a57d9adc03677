/*
 * recommend.h - savings recommendations with evidence: the engine behind
 * `aicost recommend` and the API's /api/recommend (docs/recommend.md).
 *
 * One pass reads the ledger (the cost of each resource per day, by pricing
 * class), the GPU telemetry (core/gpu_query.h, plus hour profiles) and the
 * LLM request statistics (core/llm_stats.h), then runs the kinds in a fixed
 * order so that no dollar is claimed twice:
 *
 *   stale-endpoint > idle-gpu > schedule-offpeak > rightsize-gpu > spot
 *     (each claims a resource; a later kind skips claimed resources)
 *   commitment      on the on-demand baseline left after those claims
 *   storage-cold    storage resources (disjoint from compute)
 *   llm-cache > llm-batch > llm-route > prompt-caching
 *     (duplicates first; batch takes whole non-interactive groups; route
 *      takes short requests of the rest; prompt caching the long repeated
 *      prefixes of what is left)
 *
 * Money: every saving is computed from ledger costs (or catalog prices
 * times token counts) with money_t, then scaled to a 30-day month:
 * monthly = saving over the evidence period x 30 / days of that period
 * (money_muldiv, half-even). Statistics (utilisation, shares) are doubles.
 *
 * Errors: bad options or config return -1 after error(); nothing exits.
 * Ownership: the result owns every string and array; free it with
 * recommend_result_release.
 */
#ifndef AICOST_RECOMMEND_H
#define AICOST_RECOMMEND_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/money.h"

struct store;
struct config;

/* The kinds, in the order they claim (also the order of rec_kind_names). */
enum rec_kind {
	RK_STALE_ENDPOINT, RK_IDLE_GPU, RK_SCHEDULE_OFFPEAK, RK_RIGHTSIZE_GPU, RK_SPOT, RK_COMMITMENT,
	RK_STORAGE_COLD, RK_LLM_CACHE, RK_LLM_BATCH, RK_LLM_ROUTE, RK_PROMPT_CACHING, RK__COUNT
};
extern const char *const rec_kind_names[RK__COUNT];
/* enum rec_kind of a name, or -1. */
int rec_kind_parse(const char *name);

struct recommend_opts {
	int64_t from_day, to_day;        /* inclusive; INT64_MIN / INT64_MAX = the default window */
	const char *const *where;        /* "DIM=VALUE", ANDed (ledger lines; GPU telemetry via the joined line) */
	size_t nwhere;
	int amount;                      /* FA_* cost column (effective by default) */
	unsigned kinds;                  /* bit per enum rec_kind to report; 0 = all */
	int have_min_savings;            /* min_savings given (else recommend.min_monthly_savings) */
	money_t min_savings;             /* findings saving less a month are left out */
};

/* One evidence or action-parameter value. */
enum rec_val_type { RV_NUM, RV_INT, RV_MONEY, RV_STR, RV_BOOL };
struct rec_val {
	char key[48];
	enum rec_val_type type;
	double num;                      /* RV_NUM (printed with up to 4 decimals) */
	int64_t i;                       /* RV_INT, RV_BOOL */
	money_t m;                       /* RV_MONEY (exact) */
	char *s;                         /* RV_STR (owned) */
};

struct recommendation {
	char id[48];                     /* kind + ":" + 12 hex digits of a hash of kind, resource and scope: stable */
	enum rec_kind kind;
	char *resource_id;               /* the resource (instance, endpoint, bucket) or the model; may be "" */
	char **scope_keys, **scope_vals; /* where it applies: provider, region, team, model, ... */
	size_t nscope;
	money_t monthly_savings;
	money_t monthly_cost;            /* what the finding's scope costs a month now */
	double confidence;               /* 0..1 */
	char *title;                     /* one line for a FinOps lead */
	char *action;                    /* what to do, in words */
	const char *action_type;         /* machine form: stop_instance, resize_instance, ... (static) */
	struct rec_val *ev;              /* evidence: the numbers and the period used */
	size_t nev;
	struct rec_val *params;          /* action parameters for an external executor */
	size_t nparams;
	int64_t from_day, to_day;        /* the evidence period */
};

struct recommend_result {
	struct recommendation *recs;     /* by monthly_savings, largest first */
	size_t n;
	money_t total_monthly_savings;
	money_t spend;                   /* cost of the window (the cost column, --where applied) */
	money_t monthly_spend;           /* spend x 30 / window days */
	double savings_share;            /* total_monthly_savings / monthly_spend (0 when no spend) */
	int64_t from_day, to_day;        /* the window; from > to when the ledger is empty */
	int amount;
	char currency[16];               /* the billing currency, "mixed", or "" */
	unsigned kinds_run;              /* bit per kind that had the data it needs */
	char *notes;                     /* what could not be evaluated and why (lines), or NULL */
};

/* 0, or -1 after reporting. Free with recommend_result_release (also after -1: harmless). */
int recommend_run(struct store *st, const struct config *cfg, const struct recommend_opts *o,
		  struct recommend_result *res);
void recommend_result_release(struct recommend_result *res);

/* JSON (SPEC section 3 "recommend", plus title, period, currency, ...), one line. */
void recommend_write_json(const struct recommend_result *res, FILE *f);
/*
 * The actions for an external executor (`recommend --actions`): {"actions":
 * [{"id","kind","type","resource_id","scope","params","monthly_savings",
 * "confidence","evidence_period"}]}, one line.
 */
void recommend_write_actions(const struct recommend_result *res, FILE *f);
/* Same into a malloc'd string (for a webhook body). */
char *recommend_actions_json(const struct recommend_result *res);

#endif
