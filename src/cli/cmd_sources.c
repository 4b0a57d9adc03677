/* cmd_sources.c - placeholder until the command lands. */
#include "cli/cli.h"
int cmd_sources(int argc, char **argv, struct cli_ctx *ctx) { return error("sources: not built yet"), EXIT_FAIL; }
