/*
 * main.c - global options and the command table (git style: one line per
 * command, one file per command in src/cli/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv, struct cli_ctx *ctx);
	const char *summary;
};

static const struct command commands[] = {
	{ "ingest", cmd_ingest, "load FOCUS bills, GPU telemetry, LLM usage or business metrics into the ledger" },
	{ "collect", cmd_collect, "live GPU telemetry: scrape a dcgm-exporter or sample local GPUs (NVML)" },
	{ "validate", cmd_validate, "FOCUS conformance report; writes nothing" },
	{ "sources", cmd_sources, "what was ingested: files, rows accepted/rejected, cost totals" },
	{ "report", cmd_report, "cost allocation, showback and chargeback by any dimension" },
	{ "unit-cost", cmd_unit_cost, "cost per business unit (per prediction, per 1K tokens, per transaction)" },
	{ "gpu", cmd_gpu, "GPU hours, utilization, idle hours and idle cost" },
	{ "carbon", cmd_carbon, "energy (kWh) and emissions (kg CO2e)" },
	{ "anomalies", cmd_anomalies, "cost anomalies with root-cause drivers" },
	{ "forecast", cmd_forecast, "spend forecast with prediction intervals and scenarios" },
	{ "budgets", cmd_budgets, "budget status, forecast breaches and alerts" },
	{ "check", cmd_check, "policy checks (tags, untagged share, budgets) with an exit code for CI" },
	{ "recommend", cmd_recommend, "savings recommendations with evidence; --actions for an executor" },
	{ "serve", cmd_serve, "JSON API, web dashboard and Prometheus /metrics" },
	{ "gateway", cmd_gateway, "OpenAI-compatible LLM gateway: metering, budgets, routing, caching" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: aicost [--db PATH] [--config PATH] [--quiet] COMMAND [ARGS]\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nglobal options:\n"
		   "  --db PATH       the ledger: a SQLite file or clickhouse://HOST:PORT/DATABASE\n"
		   "                  (default $AICOST_DB, else the config's db:, else ./aicost.db)\n"
		   "  --config PATH   config file (default $AICOST_CONFIG, else ./aicost.yaml if present)\n"
		   "  --quiet         no progress line, no warnings\n"
		   "  --version       print the version\n"
		   "\nRun 'aicost COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { 0 };
	int i = 1;

	ctx.db_path = getenv("AICOST_DB");
	ctx.config_path = getenv("AICOST_CONFIG");
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			ctx.quiet = 1;
		} else if (strcmp(a, "--db") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc)
				usage_error("%s needs a value", a);
			if (a[2] == 'd')
				ctx.db_path = argv[++i];
			else
				ctx.config_path = argv[++i];
		} else if (strncmp(a, "--db=", 5) == 0) {
			ctx.db_path = a + 5;
		} else if (strncmp(a, "--config=", 9) == 0) {
			ctx.config_path = a + 9;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else if (strcmp(a, "--version") == 0) {
			printf("aicost 0.1.0\n");
			return EXIT_OK;
		} else {
			usage_error("unknown option '%s' (see aicost --help)", a);
		}
	}
	if ((!ctx.config_path || !*ctx.config_path) && access("aicost.yaml", R_OK) == 0)
		ctx.config_path = "aicost.yaml";
	/* The ledger: --db, then $AICOST_DB, then the config's db:, then ./aicost.db. */
	static char *config_db;   /* static: lives as long as ctx.db_path */
	if ((!ctx.db_path || !*ctx.db_path) && ctx.config_path && *ctx.config_path &&
	    cli_config_db(ctx.config_path, &config_db) < 0)
		return EXIT_FAIL;
	if (!ctx.db_path || !*ctx.db_path)
		ctx.db_path = config_db ? config_db : "aicost.db";
	err_quiet = ctx.quiet;
	ctx.progress = !ctx.quiet && isatty(2);
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			return commands[k].fn(argc - i, argv + i, &ctx);
	if (strcmp(argv[i], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	error("'%s' is not a command (see aicost --help)", argv[i]);
	return EXIT_USAGE;
}
