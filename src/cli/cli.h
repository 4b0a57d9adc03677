/*
 * cli.h - what every command front end shares: the command table entry,
 * global options, a tiny flag parser, and output helpers.
 *
 * A command is one file, src/cli/cmd_<name>.c, exporting
 *     int cmd_<name>(int argc, char **argv, struct cli_ctx *ctx);
 * plus one line in the table in src/main.c. argv[0] is the command name.
 * It returns an exit code (EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_ACTION).
 * Front ends hold no domain logic: parse flags, call the core, render.
 */
#ifndef AICOST_CLI_H
#define AICOST_CLI_H

#include <stdio.h>
#include "util/err.h"

struct store;
struct config;

struct cli_ctx {
	const char *db_path;      /* --db, $AICOST_DB, ./aicost.db */
	const char *config_path;  /* --config, $AICOST_CONFIG, ./aicost.yaml if present; may be NULL */
	int quiet;
	int progress;             /* stderr is a TTY and not --quiet */
};

/* Output formats for --format. */
enum out_format { FMT_TABLE, FMT_CSV, FMT_JSON };

/*
 * Minimal long-option parser: walks argv[1..], recognises "--name value",
 * "--name=value" and boolean "--name". Positional arguments are collected
 * in order. Unknown options are a usage error (exit 2).
 */
struct cli_opt {
	const char *name;   /* without leading "--" */
	int has_arg;        /* 0: flag, 1: takes a value */
	int repeat;         /* values may repeat (e.g. --where) */
	const char *help;
};

struct cli_args {
	const struct cli_opt *opts;
	size_t nopts;
	const char **vals[32];   /* per option: values (NULL-terminated) */
	size_t nvals[32];
	int set[32];
	const char **pos;        /* positionals */
	size_t npos;
};

/* Parse; on --help prints usage and exits 0; on error exits 2. */
void cli_parse(struct cli_args *a, const struct cli_opt *opts, size_t nopts,
	       int argc, char **argv, const char *usage, const char *description);
void cli_args_release(struct cli_args *a);
/* Value of option `name` (last one given), or NULL. */
const char *cli_get(const struct cli_args *a, const char *name);
int cli_has(const struct cli_args *a, const char *name);
/* All values of a repeatable option; *n receives the count. */
const char **cli_all(const struct cli_args *a, const char *name, size_t *n);

/* --format: default table on a TTY stdout, else table as well (SPEC: table by default). */
enum out_format cli_format(const struct cli_args *a);

/* Open the ledger for a command; NULL after reporting. */
struct store *cli_open_store(struct cli_ctx *ctx, int create);
/* Load the config (an empty one if none). Returns 0 or -1 after reporting. */
int cli_load_config(struct cli_ctx *ctx, struct config *cfg);

/* ---- the options analysis commands share (query_opts.c) ---- */
struct report_query;
/* --cost NAME -> FA_* (usage error if unknown); NULL -> effective. */
int cli_parse_cost(const char *s);
const char *cli_cost_name(int amount);
/* Fill amount (--cost), from_day/to_day (--from/--to) and where (--where) of q. */
void cli_query_from_args(const struct cli_args *a, struct report_query *q);
/* "a, b,c" -> {"a","b","c"}; free with cli_strv_free. */
char **cli_split_commas(const char *s, size_t *n);
/* --by, defaulting to team when the config has it, else ServiceName. */
char **cli_by_or_default(const char *by, const struct config *cfg, size_t *n);
void cli_strv_free(char **v, size_t n);

/* Commands. */
int cmd_ingest(int argc, char **argv, struct cli_ctx *ctx);
int cmd_validate(int argc, char **argv, struct cli_ctx *ctx);
int cmd_sources(int argc, char **argv, struct cli_ctx *ctx);
int cmd_report(int argc, char **argv, struct cli_ctx *ctx);
int cmd_collect(int argc, char **argv, struct cli_ctx *ctx);
int cmd_unit_cost(int argc, char **argv, struct cli_ctx *ctx);
int cmd_gpu(int argc, char **argv, struct cli_ctx *ctx);
int cmd_carbon(int argc, char **argv, struct cli_ctx *ctx);
int cmd_anomalies(int argc, char **argv, struct cli_ctx *ctx);
int cmd_forecast(int argc, char **argv, struct cli_ctx *ctx);
int cmd_budgets(int argc, char **argv, struct cli_ctx *ctx);
int cmd_check(int argc, char **argv, struct cli_ctx *ctx);
int cmd_recommend(int argc, char **argv, struct cli_ctx *ctx);
int cmd_serve(int argc, char **argv, struct cli_ctx *ctx);
int cmd_gateway(int argc, char **argv, struct cli_ctx *ctx);
/* `ingest KIND`: argv[0] is the kind ("gpu", "llm", "metrics"). */
int cmd_ingest_gpu(int argc, char **argv, struct cli_ctx *ctx);
int cmd_ingest_llm(int argc, char **argv, struct cli_ctx *ctx);
int cmd_ingest_metrics(int argc, char **argv, struct cli_ctx *ctx);

#endif
