/*
 * gwconfig.h - the `gateway:` section of aicost.yaml, parsed and checked
 * (docs/gateway.md lists every key).
 *
 * gwconf_load() reads cfg->root["gateway"] (a CT_RAW key of the config
 * table) into typed structs: settings, upstreams (API keys read from the
 * environment variables the config names), deployments priced with the
 * catalog, virtual keys, team accounts and routes. Errors are one line,
 * "aicost: FILE:LINE:COL: gateway.PATH: why"; unpriced models are warnings.
 *
 * Ownership: struct gw_conf owns everything reachable from it (strings,
 * arrays, the key index); gwconf_release() frees it. The price catalog is
 * the caller's and must outlive the conf (deployments point into it).
 */
#ifndef AICOST_GW_CONFIG_H
#define AICOST_GW_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "gateway/keys.h"
#include "gateway/limits.h"
#include "gateway/route.h"

struct config;
struct price_catalog;

/*
 * gateway.shared_state: budgets and rate limits shared by several gateway
 * instances through Redis (state.c, docs/gateway-redis.md). NULL in
 * struct gw_conf when absent: the in-process limits of limits.c.
 */
struct gw_shared {
	char *host;                  /* IP literal or host name (from the redis:// URL) */
	int port;                    /* default 6379 */
	int db;                      /* default 0 */
	char *user;                  /* ACL user (redis://USER@HOST), or NULL */
	char *password_env;          /* environment variable holding the password, or NULL */
	char *password;              /* its value, read at load (wiped on release), or NULL */
	char *prefix;                /* key namespace (default "aicost") */
	double timeout_s;            /* one script round trip (timeout_ms, default 250 ms) */
	double lease_s;              /* a reservation not renewed for this long is released (default 60 s) */
	int budgets_open;            /* on_failure.budgets: open (default closed) */
	int rates_closed;            /* on_failure.rate_limits: closed (default open) */
};

/*
 * Parse "redis://[USER@]HOST[:PORT][/DB]" (HOST may be [IPv6]) into u's
 * host, port, db and user (malloc'd). A password in the URL is refused:
 * it belongs in password_env. 0 ok, -1 with why filled (nothing kept).
 */
int gw_redis_url(const char *s, struct gw_shared *u, char *why, size_t whycap);

struct gw_conf {
	const char *file;            /* config file name, for messages (borrowed from struct config) */
	char *listen;                /* default 127.0.0.1:4000 */
	size_t max_body;             /* request body bytes (default 8 MiB) */
	size_t max_response;         /* non-stream upstream response bytes held (default 64 MiB) */
	int max_depth;               /* JSON nesting (default 64) */
	uint32_t max_conns;          /* client connections (default 16384) */
	double idle_timeout_s;       /* keep-alive idle client connections (default 60) */
	double busy_poll_s;          /* poll without sleeping this long after the last I/O (default 0: off) */
	uint64_t image_tokens;       /* prompt bound per image part (default 2000) */
	uint64_t reserve_tokens;     /* output tokens reserved without max_tokens; 0 = the model's max_output_tokens */
	char **tag_metadata;         /* request metadata keys kept as ledger tags (default use_case, feature, env) */
	size_t ntag_metadata;

	/* spool and ledger */
	char *spool_dir;             /* default ./aicost-spool */
	double fsync_interval_s;     /* default 0.2 */
	uint32_t fsync_records;      /* default 1000 */
	double segment_s;            /* seal a spool segment after this long (default 60) */
	uint32_t segment_records;    /* ... or this many records (default 100000) */
	char *request_log_dir;       /* ingested segments are moved here (NULL: deleted) */
	int ledger;                  /* replay segments into the ledger (default 1) */
	int detail_only;             /* record at zero cost (billed through a FOCUS bill) */

	/* cache defaults (routes override) */
	int cache_exact;             /* default 0 */
	double cache_semantic;       /* threshold; 0 = off (default) */
	double cache_ttl_s;          /* default 3600 */
	size_t cache_max_bytes;      /* default 256 MiB */
	size_t cache_max_entries;    /* default 10000 */
	int cache_sampled;           /* default 1 */
	char *cache_embeddings;      /* model alias whose /v1/embeddings vectors drive the semantic cache (NULL: lexical) */
	struct gw_deploy *embed_dep; /* its deployment */

	struct gw_routing rt;
	struct gw_key *keys;
	size_t nkeys;
	struct gw_keys index;
	struct gw_account *teams;    /* team accounts (budgets/limits under gateway.teams) */
	size_t nteams;
	struct gw_shared *shared;    /* shared_state (Redis), or NULL */
};

/* 0 ok, -1 after reporting. c is initialized here; release it either way. */
int gwconf_load(const struct config *cfg, const struct price_catalog *cat, struct gw_conf *c);
void gwconf_release(struct gw_conf *c);

/* Team account by name, or NULL. */
struct gw_account *gwconf_team(const struct gw_conf *c, const char *name);

#endif
