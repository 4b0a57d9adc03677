/*
 * openapi.c - GET /api/openapi.json: the OpenAPI 3.0 document, generated
 * from the route table (api.c) and each command's option table, so it
 * lists every endpoint and parameter the server actually takes.
 */
#include <string.h>
#include "cli/render.h"
#include "http/api.h"

static void error_response(FILE *f, const char *code, const char *what)
{
	fprintf(f, "\"%s\":{\"description\":", code);
	json_str(f, what);
	fprintf(f, ",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}}");
}

static void param(FILE *f, const char *name, const char *help, int has_arg, int repeat)
{
	fprintf(f, "{\"name\":");
	json_str(f, name);
	fprintf(f, ",\"in\":\"query\",\"required\":false,\"description\":");
	json_str(f, help ? help : "");
	if (!has_arg)
		fprintf(f, ",\"allowEmptyValue\":true,\"schema\":{\"type\":\"boolean\"}}");
	else if (repeat)
		fprintf(f, ",\"explode\":true,\"schema\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}");
	else
		fprintf(f, ",\"schema\":{\"type\":\"string\"}}");
}

static void simple(FILE *f, const char *path, const char *summary, const char *schema, int secured, int first)
{
	fprintf(f, "%s", first ? "" : ",");
	json_str(f, path);
	fprintf(f, ":{\"get\":{\"summary\":");
	json_str(f, summary);
	fprintf(f, ",%s\"responses\":{\"200\":{\"description\":\"OK\",\"content\":{\"application/json\":{\"schema\":%s}}}",
		secured ? "" : "\"security\":[],", schema);
	if (secured) {
		fputc(',', f);
		error_response(f, "401", "missing or unknown token");
		fputc(',', f);
		error_response(f, "403", "the token's role may not read this");
	}
	fprintf(f, "}}}");
}

void api_openapi(FILE *f, const char *version)
{
	fprintf(f, "{\"openapi\":\"3.0.3\",\"info\":{\"title\":\"aicost API\",\"version\":");
	json_str(f, version);
	fprintf(f, ",\"description\":\"The JSON API of aicost serve. Each analysis endpoint takes the options of the "
		   "aicost command of the same name as query parameters (repeat where=DIM=VALUE to AND filters) and "
		   "answers exactly the JSON that command prints with --format json. Team tokens see only their team's "
		   "rows: the server adds where=team=TEAM to every query.\"},"
		   "\"servers\":[{\"url\":\"/\"}],\"security\":[{\"bearerAuth\":[]}],\"paths\":{");
	simple(f, "/healthz", "Liveness: 200 when the server runs",
	       "{\"type\":\"object\",\"required\":[\"status\"],\"properties\":{\"status\":{\"type\":\"string\"}}}", 0, 1);
	simple(f, "/api/health", "Same as /healthz",
	       "{\"type\":\"object\",\"required\":[\"status\"],\"properties\":{\"status\":{\"type\":\"string\"}}}", 0, 0);
	simple(f, "/api/openapi.json", "This document", "{\"type\":\"object\"}", 0, 0);
	simple(f, "/api/session", "Who the token is: role (admin or team), team, token name",
	       "{\"type\":\"object\",\"required\":[\"auth\",\"role\",\"team\",\"name\"]}", 1, 0);
	for (size_t i = 0; i < api_nroutes; i++) {
		const struct api_route *rt = &api_routes[i];
		size_t nopts;
		const struct cli_opt *opts = api_route_opts(rt, &nopts);
		fputc(',', f);
		json_str(f, rt->path);
		fprintf(f, ":{\"get\":{\"summary\":");
		json_str(f, rt->summary);
		if (rt->scope == SCOPE_ADMIN)
			fprintf(f, ",\"description\":\"Admin tokens only.\"");
		fprintf(f, ",\"parameters\":[");
		size_t k = 0;
		for (size_t o = 0; o < nopts; o++) {
			if (api_route_denies(rt, opts[o].name))
				continue;
			fprintf(f, k++ ? "," : "");
			param(f, opts[o].name, opts[o].help, opts[o].has_arg, opts[o].repeat);
		}
		const char *ct = rt->ctype ? rt->ctype : "application/json";
		size_t ctn = strcspn(ct, ";");
		fprintf(f, "],\"responses\":{\"200\":{\"description\":\"OK\",\"content\":{\"%.*s\":{\"schema\":%s}}},",
			(int)ctn, ct, rt->schema);
		error_response(f, "400", "a bad parameter; the message says which and why");
		fputc(',', f);
		error_response(f, "401", "missing or unknown token");
		fputc(',', f);
		error_response(f, "403", "the token's role or team may not read this");
		fprintf(f, "}}}");
	}
	fprintf(f, "},\"components\":{\"securitySchemes\":{\"bearerAuth\":{\"type\":\"http\",\"scheme\":\"bearer\"}},"
		   "\"schemas\":{\"Error\":{\"type\":\"object\",\"required\":[\"error\"],\"properties\":{\"error\":{"
		   "\"type\":\"object\",\"required\":[\"code\",\"message\"],\"properties\":{\"code\":{\"type\":"
		   "\"string\"},\"message\":{\"type\":\"string\"}}}}}}}}\n");
}
