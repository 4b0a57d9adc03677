/*
 * limits.h - budgets and rate limits of the gateway's accounts (a virtual
 * key, a team).
 *
 * Budgets: admission reserves the request's maximum cost (the prompt's
 * token bound at the input price plus max_tokens at the output price) in
 * every budget that applies, and refuses the request when spent + reserved
 * + this reservation would pass a hard limit. Completion settles the
 * reservation to the actual cost. With max_tokens given, the reservation is
 * an upper bound of the actual cost, so concurrent bursts cannot overspend
 * (docs/gateway.md states the bound without max_tokens). The gateway runs
 * one event loop, so check-and-reserve is one uninterrupted step: atomic
 * without locks.
 *
 * Soft limits: when the settled spend first reaches `soft` x limit in a
 * period, the on_soft hook fires once (an alert webhook). Reservations do
 * not count: one may settle far below itself, and an alert cannot be
 * taken back.
 *
 * Rate limits: rpm and tpm are token buckets (capacity = the per-minute
 * limit, refilled continuously), so Retry-After is exact: the time until
 * the bucket holds what the request needs. tpm admission takes the prompt
 * estimate plus max_tokens and is settled to the actual tokens. parallel
 * caps requests in flight.
 *
 * Shared state: with gateway.shared_state the same limits live in Redis
 * and every instance admits through it (state.h, docs/gateway-redis.md).
 * Admission is then asynchronous (state_admit); limits_settle,
 * limits_charge and limits_budget_use see a->st and go to state.c.
 *
 * Ownership: accounts and budgets belong to the gateway config
 * (gwconfig.h); struct gw_admit is the caller's, filled by limits_admit and
 * consumed by limits_settle.
 */
#ifndef AICOST_GW_LIMITS_H
#define AICOST_GW_LIMITS_H

#include <stddef.h>
#include <stdint.h>
#include "core/money.h"

enum gw_period { GPER_DAY, GPER_WEEK, GPER_MONTH, GPER_TOTAL };

struct gw_budget {
	money_t limit;               /* USD, > 0 */
	enum gw_period period;
	money_t soft;                /* fraction of limit that sends the alert; 0 = none */
	char **notify;               /* "webhook:URL" */
	size_t nnotify;
	/* state */
	int64_t period_start;        /* UTC day number of the current period's first day (GPER_TOTAL: 0) */
	money_t spent, reserved;
	int soft_sent;               /* the alert of this period went out */
	/* shared state (state.c; unused without shared_state) */
	char *sh_key;                /* its Redis hash */
	int sh_exp;                  /* Redis holds integers of 10^-sh_exp USD */
	int64_t sh_limit;            /* the limit in those units, rounded down */
	int64_t sh_used, sh_used_start;   /* spent + reserved (units) at the last admission, and its period */
	money_t sh_pending;          /* spend counted in `spent` but not yet in Redis */
	int64_t sh_seen, sh_seen_start;   /* the highest spend (units) Redis reported for the period, and that period */
};

struct gw_rate {
	uint32_t rpm, tpm, parallel; /* 0 = no limit */
	/* state */
	double rpm_level, tpm_level; /* tokens in the buckets */
	double last;                 /* monotonic seconds of the last refill */
	uint32_t inflight;
	char *sh_key;                /* shared state: its Redis hash */
};

struct gw_account {
	const char *kind;            /* "key" | "team" */
	char *name;
	struct gw_budget *budgets;
	size_t nbudgets;
	struct gw_rate rate;
	char *sh_tag;                /* shared state: "{PREFIX:t:TEAM}" or "{PREFIX:k:KEY}", the hash tag of its keys */
};

/* GR_UNAVAILABLE: the shared state is unreachable and the limit fails closed (503). */
enum gw_refuse { GR_OK, GR_BUDGET, GR_RATE, GR_UNAVAILABLE };

struct gw_refusal {
	enum gw_refuse kind;
	double retry_after;          /* seconds */
	char message[256];
	const char *type;            /* GR_UNAVAILABLE: the error type (budget_unavailable, rate_limit_unavailable) */
};

#define GW_MAX_ACCOUNTS 2

struct gw_state;
struct st_op;
struct st_res;

/* What admission took, for settling. */
struct gw_admit {
	struct gw_account *acct[GW_MAX_ACCOUNTS];
	int n;
	money_t reserved;
	uint64_t tokens_reserved;
	int admitted;
	/* shared state (state.c): set when admission went through it */
	struct gw_state *st;
	struct st_op *op;            /* the admission round trip in flight (the request waits for it) */
	struct st_res *res;          /* the reservation held in Redis, or NULL */
	int fail_open;               /* admitted without Redis (unreachable, on_failure open) */
	char *held;                  /* the caller's copy of the request while admission is in flight (freed if it is abandoned) */
	size_t held_len;
};

/* Start of the period holding UTC day `day` (days since 1970-01-01). */
int64_t gw_period_start(enum gw_period p, int64_t day);
const char *gw_period_name(enum gw_period p);

/* Seconds until a refused budget's period ends (a total budget: a day), the Retry-After of budget_exceeded. */
double limits_budget_retry(enum gw_period p, int64_t day);

/* Called once per (budget, period) when the soft threshold is crossed. */
typedef void (*gw_soft_hook)(void *arg, const struct gw_account *a, const struct gw_budget *b, money_t used);

/*
 * Admit a request for accounts acct[0..n) (NULL entries skipped) at mono
 * seconds (monotonic) and UTC day `day`: max_cost reserved in every budget,
 * `tokens` taken from tpm, one from rpm and one parallel slot. All or
 * nothing: 0 and *a filled, or -1 and *why filled (nothing taken).
 */
int limits_admit(struct gw_account *const *acct, int n, double mono, int64_t day, money_t max_cost, uint64_t tokens,
		 struct gw_admit *a, struct gw_refusal *why, gw_soft_hook hook, void *hook_arg);
/*
 * Settle an admitted request: the reservation becomes `actual` spend, the
 * tpm reservation becomes `tokens` used, the parallel slot is released.
 * Safe to call once on an admit that succeeded; a no-op otherwise.
 */
void limits_settle(struct gw_admit *a, double mono, int64_t day, money_t actual, uint64_t tokens, gw_soft_hook hook,
		   void *hook_arg);

/* Add a cost that had no reservation (a side call such as a cache embedding) to a's accounts' spend. */
void limits_charge(struct gw_admit *a, int64_t day, money_t cost, gw_soft_hook hook, void *hook_arg);

/*
 * Shared state: count `cost` in ac's budgets of this process only (rolled
 * into the period of `day`; no alert). state.c keeps this view to seed
 * Redis after it lost its data.
 */
void limits_local_spend(struct gw_account *ac, int64_t day, money_t cost);

/* The highest (spent + reserved) / limit of a's budgets, for downgrades (0 when none). */
double limits_budget_use(const struct gw_account *a, int64_t day);

#endif
