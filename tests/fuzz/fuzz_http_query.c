/*
 * fuzz_http_query.c - the API's query-string parser (http/query.c) on
 * arbitrary bytes, and the parsed pairs through an analysis command's
 * option table (cli_args_from_pairs), the way the server uses them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "http/query.h"
#include "util/err.h"

static void quiet(const char *line)
{
	(void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *q = malloc(size + 1), err[256];
	struct http_params p;
	err_sink = quiet;
	memcpy(q, data, size);
	q[size] = 0;
	if (http_query_parse(q, &p, err, sizeof err) == 0) {
		for (size_t i = 0; i < p.n; i++)
			if (strlen(p.names[i]) == 0 || strchr(p.names[i], '&') || strchr(p.values[i], '\x01'))
				abort();
		struct cli_args a;
		(void)cli_args_from_pairs(&a, cli_report_cmd.opts, cli_report_cmd.nopts, p.names, p.values, p.n);
		cli_args_release(&a);
		http_params_release(&p);
	}
	free(q);
	return 0;
}
