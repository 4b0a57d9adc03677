/* cmd_ingest.c - placeholder until the command lands. */
#include "cli/cli.h"
int cmd_ingest(int argc, char **argv, struct cli_ctx *ctx) { return error("ingest: not built yet"), EXIT_FAIL; }
