/* cmd_recommend.c - `aicost recommend`: placeholder until its issue lands. */
#include "cli/cli.h"

int cmd_recommend(int argc, char **argv, struct cli_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	error("recommend: not built yet");
	return EXIT_FAIL;
}
