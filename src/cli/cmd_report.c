/* cmd_report.c - placeholder until the command lands. */
#include "cli/cli.h"
int cmd_report(int argc, char **argv, struct cli_ctx *ctx) { return error("report: not built yet"), EXIT_FAIL; }
