/* cmd_gateway.c - `aicost gateway`: placeholder until its issue lands. */
#include "cli/cli.h"

int cmd_gateway(int argc, char **argv, struct cli_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	error("gateway: not built yet");
	return EXIT_FAIL;
}
