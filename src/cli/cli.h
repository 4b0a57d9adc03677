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

#include <stdint.h>
#include <stdio.h>
#include "util/err.h"

struct store;
struct config;

struct cli_ctx {
	const char *db_path;      /* --db, $AICOST_DB, the config's db:, ./aicost.db */
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
/*
 * The config file's top-level `db:` (the ledger: a file, relative to the
 * config file, or clickhouse://...): *out is a new string the caller frees,
 * NULL when the key is absent. 0, or -1 after reporting.
 */
int cli_config_db(const char *config_path, char **out);

/* ---- the options analysis commands share (query_opts.c) ---- */
struct report_query;
/* Returned by the non-exiting option parsers after reporting a bad option. */
#define CLI_EUSAGE (-2)
/* --cost NAME -> FA_* (usage error if unknown); NULL -> effective. */
int cli_parse_cost(const char *s);
const char *cli_cost_name(int amount);
/* Fill amount (--cost), from_day/to_day (--from/--to) and where (--where) of q. */
void cli_query_from_args(const struct cli_args *a, struct report_query *q);
/*
 * The same without exiting (the API server answers 400 instead): each
 * returns 0, or CLI_EUSAGE after reporting the bad option with error().
 * cli_range_opts fills --cost, --from, --to (INT64_MIN/INT64_MAX when absent).
 */
int cli_cost_opt(const char *s, int *amount);
int cli_range_opts(const struct cli_args *a, int *amount, int64_t *from, int64_t *to);
int cli_query_opts(const struct cli_args *a, struct report_query *q);
/* --NAME as a date into *day (left alone when absent); 0 or CLI_EUSAGE. */
int cli_day_opt(const struct cli_args *a, const char *name, int64_t *day);
/* "a, b,c" -> {"a","b","c"}; free with cli_strv_free. */
char **cli_split_commas(const char *s, size_t *n);
/* --by, defaulting to team when the config has it, else ServiceName. */
char **cli_by_or_default(const char *by, const struct config *cfg, size_t *n);
void cli_strv_free(char **v, size_t n);

/*
 * ---- commands as functions (the JSON API in src/http calls these) ----
 * An analysis command's JSON output, from its own option table: the CLI
 * prints the same bytes for --format json. `a` holds the options (from argv,
 * or from an HTTP query string through the same table). Writes the JSON
 * document (one line and '\n') to out. Returns 0; CLI_EUSAGE after
 * reporting a bad option; -1 after reporting a failure of the query.
 * Nothing in these exits the process or writes outside `out` (errors and
 * warnings go through error()/warning()).
 */
typedef int (*cli_json_fn)(const struct cli_args *a, struct store *st, const struct config *cfg, FILE *out);
struct cli_json_cmd {
	const char *name;            /* the command name ("unit-cost") */
	const struct cli_opt *opts;  /* the command's option table */
	size_t nopts;
	cli_json_fn json;
	const char *summary;         /* one line, for the API document */
};
extern const struct cli_json_cmd cli_report_cmd, cli_gpu_cmd, cli_unit_cost_cmd, cli_carbon_cmd,
	cli_anomalies_cmd, cli_forecast_cmd, cli_budgets_cmd, cli_sources_cmd, cli_check_cmd;
/* `report --format csv` for the same options (the API's CSV export). */
int cli_report_csv(const struct cli_args *a, struct store *st, const struct config *cfg, FILE *out);
/* cli_budgets_cmd's JSON over the budgets keep() accepts (a team's own, for the API's team tokens). */
struct budget;
int cli_budgets_json_only(const struct cli_args *a, struct store *st, const struct config *cfg, FILE *out,
			  int (*keep)(const struct budget *b, void *arg), void *keep_arg);
/* Fill a cli_args from (name, value) pairs against opts without exiting: an unknown name, a value for a
   flag or a repeated single option is reported and gives CLI_EUSAGE. Values are borrowed, not copied. */
int cli_args_from_pairs(struct cli_args *a, const struct cli_opt *opts, size_t nopts, const char *const *names,
			const char *const *values, size_t n);

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
