/*
 * recommend_int.h - what the recommend files share: the settings, the
 * ledger view (resources and their cost per day by pricing class), the GPU
 * view (hosts, GPUs, host-days, hour-of-week profiles), the instance
 * catalog, and the helpers that build findings. Only src/core/recommend*.c
 * include it.
 *
 * Ownership: everything hangs off struct rec_ctx and is freed by
 * rec_ctx_release; findings move into the result.
 */
#ifndef AICOST_RECOMMEND_INT_H
#define AICOST_RECOMMEND_INT_H

#include <stdint.h>
#include "core/alloc.h"
#include "core/money.h"
#include "core/recommend.h"
#include "util/dict.h"

struct store;
struct config;
struct cfg_node;

/* ---- settings (the `recommend:` config section; docs/recommend.md) ---- */

#define REC_MAX_LOOKBACKS 4

struct rec_settings {
	int lookback_days;             /* window when --from is not given: 30 */
	money_t min_monthly_savings;   /* 1 */
	double idle_threshold;         /* percent; gpu.idle_threshold, else 5 */
	/* idle-gpu */
	int idle_min_days;             /* 3 */
	double idle_busy_share;        /* a day is idle when busy time <= this share: 0.05 */
	double min_coverage;           /* telemetry must cover this share of a day: 0.5 */
	/* schedule-offpeak */
	double offpeak_idle_share;     /* a weekly hour is off when idle in >= this share of weeks: 0.9 */
	int offpeak_min_run;           /* hours: 4 */
	int offpeak_min_hours;         /* per week: 24 */
	int offpeak_min_weeks;         /* observations per weekly hour: 2 */
	/* rightsize-gpu */
	int rightsize_min_days;        /* 7 */
	double rightsize_target_util;  /* percent a GPU of the target may reach at the current p95: 70 */
	double rightsize_mem_margin;   /* 0.2 */
	double rightsize_min_saving;   /* share of the price: 0.1 */
	/* spot */
	double spot_discount[4];       /* AWS, Azure, GCP, other: 0.6 */
	/* commitment */
	double commit_discount[4];     /* AWS 0.28, Azure 0.33, GCP 0.37, other 0.25 */
	int lookbacks[REC_MAX_LOOKBACKS];  /* 7, 30, 60 */
	int nlookbacks;
	int commit_min_days;           /* days of history needed: 7 */
	/* stale-endpoint */
	int stale_days;                /* 7 */
	/* storage-cold */
	int cold_days;                 /* 30 (the window when shorter, at least 14) */
	double cold_price_ratio;       /* cold tier price / current: 0.5 */
	/* llm */
	uint64_t route_max_prompt;     /* 1000 */
	uint64_t route_max_output;     /* 300 */
	double route_min_share;        /* of a group's requests: 0.1 */
	char **route_from, **route_to; /* configured targets (model -> cheaper model) */
	size_t nroutes;
	double cache_min_share;        /* duplicate requests share: 0.05 */
	uint64_t llm_min_requests;     /* per group in the window: 100 */
	double batch_max_stream_share; /* 0.01 */
	double batch_max_user_share;   /* 0.01 */
	double prompt_cache_min_share; /* repeated-prefix requests share: 0.2 */
};

int rec_settings_read(const struct config *cfg, struct rec_settings *s);
void rec_settings_release(struct rec_settings *s);

/* Provider family for per-provider defaults. */
enum rec_prov { RP_AWS, RP_AZURE, RP_GCP, RP_OTHER };
enum rec_prov rec_provider(const char *provider);

/* ---- the GPU instance catalog (data/instances/gpu_instances.csv) ---- */

struct rec_inst {
	char provider[16];
	char type[48];                 /* as written */
	char key[48];                  /* lower-case alphanumerics, without "standard" (matching) */
	char gpu_model[16];            /* catalog spelling: A100-80GB, H100, A10G, ... */
	int gpus;
	double gpu_mem_gib, vcpus, mem_gib;
	money_t price;                 /* on-demand USD per hour (exact as written) */
	char price_region[24], source[32];
};

int rec_catalog_load(struct rec_inst **out, size_t *n);
/* Catalog spelling of a telemetry GPU name ("NVIDIA A100-SXM4-80GB" -> "A100-80GB"), or NULL. */
const char *rec_gpu_family(const char *telemetry_model);
/* Relative dense FP16 tensor throughput (NVIDIA datasheets), 0 when unknown. */
double rec_gpu_perf(const char *family);
/* The catalog entry whose type appears in text (longest match), or -1. */
int rec_catalog_find_in(const struct rec_inst *c, size_t n, const char *text);

/* ---- the ledger view ---- */

enum rec_pclass { PC_OD, PC_COMMIT, PC_SPOT, PC_OTHER, PC__COUNT };

enum {
	RF_COMPUTE = 1,                /* ServiceCategory Compute, or GPU capacity */
	RF_GPU = 2,
	RF_ENDPOINT = 4,               /* a hosted inference endpoint / provisioned model throughput */
	RF_STORAGE = 8,                /* storage capacity lines */
	RF_COLD = 16,                  /* already a cold/archive tier */
	RF_TRAFFIC_SRC = 32,           /* has a line metering requests/tokens/invocations */
	RF_REQ_SRC = 64,               /* storage: has request lines (reads or writes) */
	RF_TOKENS = 128,               /* LLM token lines (ResourceId is the model) */
};

struct rec_res {
	char *id;                      /* ResourceId */
	char *name;                    /* ResourceName, or the ResourceId's last segment */
	char *provider, *region, *service, *sub_account;
	unsigned flags;
	int inst;                      /* catalog index of the instance type found in its lines, or -1 */
	enum workload wl;              /* the workload heuristic on its costliest line */
	money_t wl_cost;
	int claimed;                   /* enum rec_kind + 1 of the capacity finding that claimed it; 0 none */
	/* Share of the on-demand cost still there after the claim (commitment baseline): keep_num / keep_den. */
	money_t keep_num, keep_den;
	money_t cost[PC__COUNT];       /* over the window */
};

/* Cost and quantities of one resource on one day. */
struct rec_cell {
	uint32_t res;
	int32_t day;
	money_t cost[PC__COUNT];
	money_t traffic;               /* requests, invocations, tokens metered on the resource */
	money_t storage_qty;           /* GB-months (or the unit as billed) */
	money_t storage_cost;
	money_t reads, writes;         /* storage request quantities */
};

/* ---- the GPU view ---- */

struct rec_gpu {
	char *uuid;
	double hours, idle_hours, avg_util, p95_util, max_util;
	double mem_peak_gib;           /* largest daily mean framebuffer use; -1 = no memory data */
	double mem_total_gib;          /* used + free; -1 unknown */
};

struct rec_host {
	char *name;
	char *resource_id;             /* of the joined bill line ("" none) */
	int res;                       /* ledger view index or -1 */
	char *model;                   /* telemetry GPU name */
	const char *family;            /* catalog GPU model, or NULL */
	struct rec_gpu *g;
	size_t ng;
	/* per window day (index day - from) */
	double *gh, *idle_h;
	uint32_t *ngpu;
	money_t *cost;
	money_t total_cost;
	double total_h, total_idle_h;
	/* hour of week (0 = Monday 00:00 UTC): observed and idle hours */
	uint16_t obs[168], idle[168];
	uint8_t *hour_idle;            /* per window day: 24 bits of idle hours + 24 of observed (3+3 bytes) */
	int has_hourly;
	char *labels;                  /* pod/namespace/container names seen, space separated */
	int workload;                  /* enum workload, WL_OTHER when unknown */
	int claimed;                   /* enum rec_kind + 1 of the finding that claimed it; 0 none */
};

/* ---- the whole pass ---- */

struct rec_ctx {
	struct store *st;
	const struct config *cfg;
	const struct recommend_opts *o;
	struct rec_settings set;
	int32_t from, to;              /* the window */
	int32_t scan_from;             /* first day read (commitment lookbacks) */
	int ndays;                     /* to - from + 1 */
	/* ledger */
	struct rec_res *res;
	size_t nres;
	struct dict res_ids;           /* ResourceId -> index */
	struct rec_cell *cells;
	size_t ncells;
	struct dict cell_ids;          /* (res, day) -> cell */
	struct dict model_traffic;     /* lower-case model/deployment name -> index into model_days */
	uint8_t **model_days;          /* per scan day: tokens metered that day */
	size_t nmodels;
	money_t spend;
	char currency[16];
	int has_ledger;
	struct report_where *where;    /* --where, parsed (rec_ledger_load) */
	size_t nwhere;
	/* Existing commitments per provider over the window (FOCUS CommitmentDiscountStatus). */
	struct rec_commit_use { char *provider; money_t used, unused; } *cuse;
	size_t ncuse;
	/* catalog */
	struct rec_inst *inst;
	size_t ninst;
	/* GPU */
	struct rec_host *hosts;
	size_t nhosts;
	int has_gpu, has_hourly;
	/* findings */
	struct recommendation *recs;
	size_t nrecs, caprecs;
	char *notes;
	size_t notes_len;
};

int rec_ledger_load(struct rec_ctx *c);
int rec_gpu_load(struct rec_ctx *c);
void rec_ledger_release(struct rec_ctx *c);
void rec_gpu_release(struct rec_ctx *c);
/* Does a line (or a line-shaped description of other data) pass --where? */
int rec_where_match(const struct rec_ctx *c, const struct alloc_line *l);
/* The cell of (res, day), or NULL. */
const struct rec_cell *rec_cell_get(const struct rec_ctx *c, uint32_t res, int32_t day);
/* Ledger index of a ResourceId, or -1. */
int rec_res_find(const struct rec_ctx *c, const char *id);

/* The kinds (each adds findings and claims; 0 or -1 after reporting). */
int rec_stale_endpoints(struct rec_ctx *c);
int rec_gpu_kinds(struct rec_ctx *c);          /* idle-gpu, schedule-offpeak, rightsize-gpu, spot */
int rec_commitment(struct rec_ctx *c);
int rec_storage_cold(struct rec_ctx *c);
int rec_llm_kinds(struct rec_ctx *c);          /* llm-cache, llm-batch, llm-route, prompt-caching */

/* ---- building findings ---- */

struct recommendation *rec_add(struct rec_ctx *c, enum rec_kind k, const char *resource_id);
void rec_scope(struct recommendation *r, const char *key, const char *val);
void rec_title(struct recommendation *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rec_action(struct recommendation *r, const char *type, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void rec_ev_num(struct recommendation *r, const char *key, double v);
void rec_ev_int(struct recommendation *r, const char *key, int64_t v);
void rec_ev_money(struct recommendation *r, const char *key, money_t v);
void rec_ev_str(struct recommendation *r, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void rec_ev_period(struct recommendation *r, int32_t from, int32_t to);
void rec_param_str(struct recommendation *r, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void rec_param_num(struct recommendation *r, const char *key, double v);
void rec_param_money(struct recommendation *r, const char *key, money_t v);
void rec_param_int(struct recommendation *r, const char *key, int64_t v);
/* Add a line to the result's notes. */
void rec_note(struct rec_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* amount over `days` days -> per 30 days (exact, half-even). */
money_t rec_monthly(money_t amount, int days);
/* a x f for a statistic factor f in [0, 1e6], rounded to 1e-6 of the factor (exact arithmetic after that). */
money_t rec_scale(money_t a, double f);

#endif
