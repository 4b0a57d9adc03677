/* cmd_serve.c - `aicost serve`: placeholder until its issue lands. */
#include "cli/cli.h"

int cmd_serve(int argc, char **argv, struct cli_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	error("serve: not built yet");
	return EXIT_FAIL;
}
