/*
 * route.h - upstreams, deployments and routing rules of the gateway.
 *
 * An upstream is one provider endpoint (openai, anthropic, azure-openai)
 * with its API key. A deployment is one model served by one upstream; the
 * model alias is the name clients ask for, and deployments of the same
 * alias on different upstreams are equivalent. Routes (first match wins)
 * match the key, the team, the requested model (glob), metadata values
 * (globs) and the prompt size; they name the equivalent target models, a
 * fallback list, a budget-driven downgrade and the cache settings.
 *
 * route_plan() turns a request into an ordered list of candidate
 * deployments: the targets' deployments (cheapest first for this request's
 * expected tokens, unless the route is `ordered`), then the fallbacks;
 * deployments in cooldown go last. route_result() feeds outcomes back:
 * `allowed_fails` failures (429, 5xx, timeouts, resets) in a row put the
 * deployment in cooldown for `cooldown` seconds.
 *
 * Ownership: everything belongs to the gateway config (gwconfig.h).
 */
#ifndef AICOST_GW_ROUTE_H
#define AICOST_GW_ROUTE_H

#include <stddef.h>
#include <stdint.h>
#include "core/money.h"
#include "gateway/reqbody.h"

struct llm_model;
struct gw_key;

enum gw_provider { GP_OPENAI, GP_ANTHROPIC, GP_AZURE };
extern const char *const gw_provider_name[3];     /* config names: openai, anthropic, azure-openai */
extern const char *const gw_provider_catalog[3];  /* catalog/ledger ids: openai, anthropic, azure */

struct gw_upstream {
	char *name;
	enum gw_provider provider;
	char *base_url;              /* without a trailing '/' */
	char *auth_header;           /* "Authorization: Bearer ..." etc.; NULL when the env var is unset */
	char *key_env;
	char *api_version;           /* azure-openai (default 2024-10-21); anthropic-version default */
	char *ca_file;
	char **headers;              /* extra "Name: value" lines sent with every request (they override the client's) */
	size_t nheaders;
	double timeout_s;            /* until the response headers */
	double idle_timeout_s;       /* between body bytes (streams) */
	double connect_timeout_s;
	int retries;                 /* more attempts on this upstream before falling back */
	double cooldown_s;
	int allowed_fails;
	int line, col;
};

struct gw_deploy {
	char *name;                  /* "upstream/alias": the x-aicost-route value */
	char *alias;                 /* what clients ask for */
	char *model;                 /* sent upstream (azure: the deployment name) */
	char *price_model;           /* catalog name used for pricing */
	struct gw_upstream *up;
	const struct llm_model *price;   /* NULL: unpriced (cost 0, warned at start) */
	money_t in_price, out_price;     /* USD per token, standard tier */
	uint64_t max_out;            /* max_output_tokens from the catalog, 0 unknown */
	/* For reservations: the dearest input-side and output-side unit price, [priority tier][long context]. */
	money_t worst_in[2][2], worst_out[2][2];
	uint64_t long_above;         /* prompt tokens beyond which long-context prices apply; 0 none */
	/* state */
	int fails;
	double cool_until;           /* monotonic seconds */
	uint64_t n_ok, n_failed;     /* attempts, for /metrics */
};

struct gw_route {
	char *name;
	/* match: all given conditions ANDed */
	char **keys, **teams, **models;   /* globs */
	size_t nkeys, nteams, nmodels;
	char **meta_k, **meta_v;     /* metadata key -> glob */
	size_t nmeta;
	uint64_t prompt_min, prompt_max;  /* estimated prompt tokens; 0 = no bound */
	/* action */
	char **targets;              /* equivalent model aliases; none = the requested model */
	size_t ntargets;
	int ordered;                 /* try targets in order instead of cheapest first */
	char **fallback;
	size_t nfallback;
	double downgrade_at;         /* budget use (0..1) from which `downgrade_to` replaces the targets; 0 = never */
	char **downgrade_to;
	size_t ndowngrade;
	int cache_exact;             /* -1 = gateway default */
	double cache_semantic;       /* similarity threshold; 0 = off, -1 = gateway default */
	int line, col;
};

#define GW_MAX_CANDIDATES 16

struct gw_plan {
	struct gw_deploy *d[GW_MAX_CANDIDATES];
	int n;
	const struct gw_route *route;    /* NULL: no rule matched */
	int downgraded;
};

struct gw_routing {
	struct gw_upstream *ups;
	size_t nups;
	struct gw_deploy *deps;
	size_t ndeps;
	struct gw_route *routes;
	size_t nroutes;
};

/* Can a deployment serve this API (no format translation: /v1/messages only on anthropic)? */
int route_serves(const struct gw_deploy *d, enum gw_api api);

/*
 * Plan a request: r the parsed body, k its key, prompt_est its estimated
 * prompt tokens, budget_use the key's/team's highest budget use (0..1),
 * now monotonic seconds. 0 and *plan (n >= 1), or -1 when no deployment
 * serves the requested model.
 */
int route_plan(const struct gw_routing *rt, const struct gw_key *k, const struct reqbody *r, uint64_t prompt_est,
	       double budget_use, double now, struct gw_plan *plan);

/* Outcome of one attempt on d: ok, or failed (retryable). */
void route_result(struct gw_deploy *d, int ok, double now);

/* Is d cooling down at now? */
int route_cooling(const struct gw_deploy *d, double now);

#endif
