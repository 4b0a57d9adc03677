/*
 * cmd_gateway.c - `aicost gateway`: run the LLM gateway, or hash a virtual
 * key for the config (docs/gateway.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/rand.h>
#include "cli/cli.h"
#include "core/config.h"
#include "gateway/gateway.h"
#include "gateway/keys.h"

static const struct cli_opt opts[] = {
	{ "listen", 1, 0, "HOST:PORT to serve on (default gateway.listen, else 127.0.0.1:4000)" },
	{ "hash-key", 1, 0, "print the sha256:... hash of KEY for gateway.keys[].hash and exit ('-' reads it from stdin)" },
	{ "new-key", 0, 0, "print a new random key and its hash, and exit" },
	{ "ready-file", 1, 0, "write HOST:PORT to this file once listening" },
};

int cmd_gateway(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, "gateway [--listen HOST:PORT] | --hash-key KEY | --new-key",
		  "Run the OpenAI-compatible LLM gateway configured under `gateway:` (upstreams, virtual keys with\n"
		  "budgets and rate limits, routes, caches). Endpoints: POST /v1/chat/completions, /v1/completions,\n"
		  "/v1/embeddings, /v1/messages (Anthropic), GET /v1/models, /metrics, /health. Every request is\n"
		  "metered into the ledger (--db) through a crash-safe spool. See docs/gateway.md.");
	int rc = EXIT_OK;
	const char *hk = cli_get(&a, "hash-key");
	if (hk) {
		char line[4096];
		if (!strcmp(hk, "-")) {
			if (!fgets(line, sizeof line, stdin)) {
				cli_args_release(&a);
				usage_error("gateway --hash-key -: no key on stdin");
			}
			line[strcspn(line, "\r\n")] = 0;
			hk = line;
		}
		if (!*hk) {
			cli_args_release(&a);
			usage_error("gateway --hash-key: the key is empty");
		}
		char out[72];
		keys_hash_text(hk, strlen(hk), out);
		printf("%s\n", out);
		cli_args_release(&a);
		return EXIT_OK;
	}
	if (cli_has(&a, "new-key")) {
		unsigned char r[24];
		static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
		char key[64] = "sk-aicost-", out[72];
		if (RAND_bytes(r, sizeof r) != 1) {
			cli_args_release(&a);
			error("gateway --new-key: no randomness available");
			return EXIT_FAIL;
		}
		size_t k = strlen(key);
		for (size_t i = 0; i < sizeof r; i++)
			key[k++] = al[r[i] % 62];
		key[k] = 0;
		keys_hash_text(key, k, out);
		printf("key:  %s\nhash: %s\n", key, out);
		cli_args_release(&a);
		return EXIT_OK;
	}
	if (a.npos)
		usage_error("gateway: unexpected argument '%s'", a.pos[0]);
	struct config cfg;
	if (cli_load_config(ctx, &cfg) < 0) {
		cli_args_release(&a);
		return EXIT_FAIL;
	}
	struct gateway_opts o = {
		.listen = cli_get(&a, "listen"),
		.db_path = ctx->db_path,
		.ready_file = cli_get(&a, "ready-file"),
	};
	if (gateway_run(&cfg, &o) < 0)
		rc = EXIT_FAIL;
	config_release(&cfg);
	cli_args_release(&a);
	return rc;
}
