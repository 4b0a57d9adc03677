/* common.c - helpers every command front end shares; see cli.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "store/store.h"

struct store *cli_open_store(struct cli_ctx *ctx, int create)
{
	return store_open(ctx->db_path, create);
}

#include "core/config.h"

int cli_load_config(struct cli_ctx *ctx, struct config *cfg)
{
	return config_load(ctx->config_path, cfg);
}

/* ---- the ledger named by the config (owner: ch; docs/clickhouse.md) ---- */

#define CONFIG_DB_MAX_BYTES (16u << 20)   /* config_load's limit */

int cli_config_db(const char *config_path, char **out)
{
	*out = NULL;
	FILE *f = fopen(config_path, "rb");
	if (!f)
		return error("%s: %s", config_path, strerror(errno));
	size_t cap = 8192, len = 0, got;
	char *buf = xmalloc(cap);
	while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len > CONFIG_DB_MAX_BYTES) {
			fclose(f);
			free(buf);
			return error("%s: config file larger than 16 MiB", config_path);
		}
		if (len == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	int rerr = ferror(f);
	fclose(f);
	struct cfg_node root;
	if (rerr) {
		free(buf);
		return error("%s: read error", config_path);
	}
	/* Only the YAML here: the command loads (and checks, and warns about) the whole config itself. */
	int rc = cfg_yaml_parse(buf, len, config_path, &root);
	free(buf);
	if (rc < 0)
		return -1;
	const struct cfg_node *n = cfg_node_get(&root, "db");
	if (n && (n->type != CN_SCALAR || n->len == 0 || n->len > 4096 || strlen(n->str) != n->len)) {
		rc = error("%s:%d:%d: db: expected a ledger file or clickhouse://HOST:PORT/DATABASE", config_path, n->line,
			   n->col);
	} else if (n) {
		/* A file path is relative to the config file (as prices.catalog), so the config works from any cwd. */
		const char *slash = strrchr(config_path, '/');
		if (store_is_clickhouse_url(n->str) || n->str[0] == '/' || !slash) {
			*out = xstrdup(n->str);
		} else {
			size_t dl = (size_t)(slash - config_path) + 1;
			*out = xmalloc(dl + n->len + 1);
			memcpy(*out, config_path, dl);
			memcpy(*out + dl, n->str, n->len + 1);
		}
	}
	cfg_node_release(&root);
	return rc;
}
