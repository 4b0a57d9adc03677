/* cmd_validate.c - placeholder until the command lands. */
#include "cli/cli.h"
int cmd_validate(int argc, char **argv, struct cli_ctx *ctx) { return error("validate: not built yet"), EXIT_FAIL; }
