/* cmd_serve.c - `aicost serve`: JSON API, web dashboard and Prometheus /metrics (src/http, docs/server.md). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "http/auth.h"
#include "http/query.h"
#include "http/server.h"

static const struct cli_opt opts[] = {
	{ "listen", 1, 0, "HOST:PORT to listen on (default 127.0.0.1:8080; [::1]:8080; 0.0.0.0:8080 needs tokens)" },
	{ "workers", 1, 0, "query threads (default: one per CPU, 2 to 8)" },
	{ "cache-mb", 1, 0, "response cache size in MiB (default 64; 0 turns caching off)" },
	{ "max-queue", 1, 0, "queries waiting for a worker before 503 (default 256)" },
	{ "no-snapshot", 0, 0, "read the ledger for every query instead of an in-memory copy per ledger version" },
	{ "ready-file", 1, 0, "write the server's URL to this file once it listens (scripts, tests)" },
	{ "hash-token", 0, 0, "read a token on stdin, print its SHA-256 for server.tokens, and exit" },
	{ "new-token", 0, 0, "print a new random token and its SHA-256, and exit" },
};

static const char usage[] = "serve [--listen HOST:PORT] [--workers N] [--cache-mb N] | --hash-token | --new-token";
static const char desc[] =
	"Serve the JSON API (/api/*, the same JSON as the commands' --format json; the\n"
	"document is /api/openapi.json), the web dashboard (/) and Prometheus metrics\n"
	"(/metrics) from the ledger. Listens on loopback unless told otherwise. With\n"
	"server.tokens in the config every API request needs Authorization: Bearer TOKEN;\n"
	"team tokens see only their team's rows. The config is reloaded when it changes.\n"
	"Access log on stderr (--quiet turns it off). See docs/server.md.";

static int int_opt(const char *name, const char *v, long lo, long hi, long *out)
{
	char *end;
	*out = strtol(v, &end, 10);
	if (!*v || *end || *out < lo || *out > hi) {
		error("--%s: '%s' is not a number from %ld to %ld", name, v, lo, hi);
		return -1;
	}
	return 0;
}

static int hash_token(void)
{
	char buf[HTTP_TOKEN_MAX + 4];
	size_t n = fread(buf, 1, sizeof buf - 1, stdin);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = 0;
	const char *t;
	size_t tl;
	char hdr[HTTP_TOKEN_MAX + 16];
	snprintf(hdr, sizeof hdr, "Bearer %s", buf);
	if (!n || strlen(buf) != n || http_bearer(hdr, &t, &tl) < 0) {
		error("serve --hash-token: the token on stdin must be 1 to %d characters of A-Z a-z 0-9 - . _ ~ + / =",
		      HTTP_TOKEN_MAX);
		return EXIT_USAGE;
	}
	char hex[65];
	http_sha256_hex(buf, n, hex);
	printf("%s\n", hex);
	return EXIT_OK;
}

static int new_token(void)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char r[32];
	char tok[64], hex[65];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, r, sizeof r) != (ssize_t)sizeof r) {
		if (fd >= 0)
			close(fd);
		return error("serve --new-token: cannot read /dev/urandom") < 0 ? EXIT_FAIL : EXIT_FAIL;
	}
	close(fd);
	size_t o = (size_t)snprintf(tok, sizeof tok, "aic_");
	for (size_t i = 0; i < sizeof r; i++)
		tok[o++] = b64[r[i] & 63];
	tok[o] = 0;
	http_sha256_hex(tok, o, hex);
	printf("token:  %s\nsha256: %s\n\nin the config (the token itself stays with its user):\n"
	       "server:\n  tokens:\n    - { name: NAME, role: admin, sha256: %s }\n", tok, hex, hex);
	return EXIT_OK;
}

int cmd_serve(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	long v;
	int rc = EXIT_USAGE;
	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, usage, desc);
	if (a.npos) {
		error("serve: unexpected argument '%s'", a.pos[0]);
		goto out;
	}
	if (cli_has(&a, "hash-token")) {
		rc = hash_token();
		goto out;
	}
	if (cli_has(&a, "new-token")) {
		rc = new_token();
		goto out;
	}
	struct srv_opts o = { .db_path = ctx->db_path, .config_path = ctx->config_path,
			      .listen = cli_get(&a, "listen") ? cli_get(&a, "listen") : "127.0.0.1:8080",
			      .cache_bytes = (size_t)64 << 20, .access_log = !ctx->quiet,
			      .snapshot = !cli_has(&a, "no-snapshot"),
			      .ready_file = cli_get(&a, "ready-file") };
	char host[256];
	unsigned port;
	int loopback;
	if (srv_parse_listen(o.listen, host, sizeof host, &port, &loopback) < 0) {
		error("--listen: '%s' is not HOST:PORT with an IP address (127.0.0.1:8080, [::1]:8080, 0.0.0.0:8080)",
		      o.listen);
		goto out;
	}
	if (cli_get(&a, "workers")) {
		if (int_opt("workers", cli_get(&a, "workers"), 1, 64, &v) < 0)
			goto out;
		o.workers = (int)v;
	}
	if (cli_get(&a, "cache-mb")) {
		if (int_opt("cache-mb", cli_get(&a, "cache-mb"), 0, 65536, &v) < 0)
			goto out;
		o.cache_bytes = (size_t)v << 20;
	}
	if (cli_get(&a, "max-queue")) {
		if (int_opt("max-queue", cli_get(&a, "max-queue"), 1, 1000000, &v) < 0)
			goto out;
		o.max_queue = (int)v;
	}
	rc = srv_run(&o) < 0 ? EXIT_FAIL : EXIT_OK;
out:
	cli_args_release(&a);
	return rc;
}
