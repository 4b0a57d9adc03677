/* common.c - helpers every command front end shares; see cli.h. */
#include <stdlib.h>
#include "cli/cli.h"
#include "store/store.h"

struct store *cli_open_store(struct cli_ctx *ctx, int create)
{
	if (store_is_clickhouse_url(ctx->db_path))
		return store_clickhouse_open(ctx->db_path, create);
	return store_sqlite_open(ctx->db_path, create);
}

#include "core/config.h"

int cli_load_config(struct cli_ctx *ctx, struct config *cfg)
{
	return config_load(ctx->config_path, cfg);
}
