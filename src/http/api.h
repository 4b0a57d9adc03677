/*
 * api.h - the JSON API's routes: one table line per endpoint
 * (src/http/api.c), each either an analysis command's JSON writer
 * (cli_<name>_cmd: the same options, as query parameters, and the same
 * bytes as `aicost <name> --format json`) or a handler of its own.
 *
 * The server (server.c) authenticates, parses the query string into the
 * route's option table, applies the team scope, and runs the route on a
 * worker thread with that worker's ledger connection and the shared config.
 * Handlers run on worker threads: they may block, must not touch libevent,
 * and report errors with error() (captured per thread into the 400/500
 * body). Return 0, CLI_EUSAGE (400), or -1 (400; 500 when the ledger failed).
 */
#ifndef AICOST_HTTP_API_H
#define AICOST_HTTP_API_H

#include <stdio.h>
#include "cli/cli.h"

struct store;
struct config;
struct api_route;

/* What a handler gets. */
struct api_call {
	struct store *st;
	const struct config *cfg;
	const struct cli_args *args;     /* the query parameters in the route's option table */
	const char *team;                /* a team token's team (where team=TEAM already added), NULL for admin */
	const struct api_route *rt;
};

enum api_scope {
	SCOPE_WHERE,     /* team tokens: `where team=TEAM` is forced; a where on another team is 403 */
	SCOPE_BUDGETS,   /* team tokens: only budgets whose scope is team: TEAM */
	SCOPE_ANY,       /* no team data beyond what the handler filters itself */
	SCOPE_ADMIN,     /* admin tokens only (org-wide data: sources, policies, /metrics) */
};

struct api_route {
	const char *path;
	const struct cli_json_cmd *cmd;  /* a command's JSON (options: cmd->opts), or NULL */
	int (*run)(const struct api_call *c, FILE *out);   /* NULL: cmd->json */
	const struct cli_opt *opts;      /* run routes: their parameters */
	size_t nopts;
	const char *deny;                /* command options the API does not take, comma separated */
	const char *force;               /* a command flag the API always sets, or NULL */
	enum api_scope scope;
	const char *ctype;               /* NULL: application/json */
	const char *summary;
	const char *schema;              /* the 200 response's JSON Schema, for the OpenAPI document */
};

extern const struct api_route api_routes[];
extern const size_t api_nroutes;

/* The route of an exact path, or NULL. */
const struct api_route *api_route_find(const char *path);
/* The option table of a route (the command's, or the route's own). */
const struct cli_opt *api_route_opts(const struct api_route *rt, size_t *n);
/* 1 if the route does not take option `name` (deny list). */
int api_route_denies(const struct api_route *rt, const char *name);

/* The OpenAPI 3 document of every route (openapi.c). */
void api_openapi(FILE *out, const char *version);

/* /metrics in the Prometheus text format 0.0.4 (metrics.c). */
int api_metrics(const struct api_call *c, FILE *out);

#endif
