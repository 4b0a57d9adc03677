/*
 * fuzz_http_bearer.c - the Authorization header parser (http_bearer) and
 * the token lookup (http_auth_check) on arbitrary bytes; also the
 * server.tokens config section (http_auth_load) on the same bytes as YAML.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/config.h"
#include "http/auth.h"
#include "http/query.h"
#include "util/err.h"

static void quiet(const char *line)
{
	(void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char yaml[] =
		"allocation:\n  dimensions:\n    team: {}\nserver:\n  tokens:\n"
		"    - { name: ops, role: admin, sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 }\n";
	struct config cfg;
	struct http_auth a;
	err_sink = quiet;
	char *h = malloc(size + 1);
	memcpy(h, data, size);
	h[size] = 0;
	if (config_load_mem(yaml, sizeof yaml - 1, "f.yaml", &cfg) == 0) {
		if (http_auth_load(&cfg, &a) == 0) {
			const char *t;
			size_t n;
			if (http_bearer(h, &t, &n) == 0) {
				if (n == 0 || n > HTTP_TOKEN_MAX || t < h || t + n > h + size)
					abort();
				(void)http_auth_check(&a, t, n);
			}
			http_auth_release(&a);
		}
		config_release(&cfg);
	}
	/* the same bytes as a config with a server: section */
	if (config_load_mem((const char *)data, size, "f.yaml", &cfg) == 0) {
		if (http_auth_load(&cfg, &a) == 0)
			http_auth_release(&a);
		config_release(&cfg);
	}
	free(h);
	return 0;
}
