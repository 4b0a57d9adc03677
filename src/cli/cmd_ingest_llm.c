/* cmd_ingest_llm.c - placeholder until the command lands (see the open issues). */
#include "cli/cli.h"

int cmd_ingest_llm(int argc, char **argv, struct cli_ctx *ctx)
{
	(void)argc; (void)ctx;
	error("%s: not built yet", argv[0]);
	return EXIT_FAIL;
}
