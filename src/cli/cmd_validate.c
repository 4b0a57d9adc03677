/*
 * cmd_validate.c - `aicost validate`: FOCUS conformance report.
 *
 * Parses flags, runs the engine (core/validate.h) on each FILE and renders
 * the findings as a table for people or JSON for scripts. Writes nothing to
 * the ledger. Exit: 0 no errors (warnings allowed), 1 a MUST-level finding
 * or an unreadable file, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "core/validate.h"

static const struct cli_opt opts[] = {
	{ "format", 1, 0, "table (default) or json" },
	{ "examples", 1, 0, "examples shown per rule (default 3)" },
	{ "max-rows", 1, 0, "stop each file after N data rows (default: all)" },
};

static const char description[] =
	"Check FOCUS cost-and-usage CSV files (plain, .gz, .zst, - for stdin) against\n"
	"the FOCUS rules and report errors (MUST, MUST NOT) and warnings (SHOULD,\n"
	"RECOMMENDED) by rule, with file:line:column examples. The FOCUS version\n"
	"(1.0-1.3) is detected from the columns. Nothing is written to the ledger.\n"
	"Exit status: 0 no errors, 1 errors found or a file unreadable, 2 usage.";

static uint64_t parse_count(const char *opt, const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-')
		usage_error("validate: --%s: '%s' is not a non-negative integer", opt, s);
	return v;
}

/*
 * Cell text made safe to show: invalid UTF-8 bytes (or a sequence cut by
 * the example length limit) become U+FFFD, so JSON stays valid.
 */
static char *utf8_clean(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = xmalloc(n * 3 + 1);
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
			   : (c & 0xf8) == 0xf0 ? 4 : 0;
		int ok = len > 0 && i + len <= n;
		for (size_t k = 1; ok && k < len; k++)
			ok = (p[i + k] & 0xc0) == 0x80;
		if (ok && len == 2 && c < 0xc2)
			ok = 0;
		if (ok && len == 3 && ((c == 0xe0 && p[i + 1] < 0xa0) || (c == 0xed && p[i + 1] >= 0xa0)))
			ok = 0;
		if (ok && len == 4 && (c > 0xf4 || (c == 0xf0 && p[i + 1] < 0x90) ||
				       (c == 0xf4 && p[i + 1] >= 0x90)))
			ok = 0;
		if (!ok) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, s + i, len);
		o += len;
		i += len;
	}
	out[o] = '\0';
	return out;
}

/* ------------------------------------------------------------------ table */

/* A value in double quotes, control characters escaped. */
static void print_quoted(const char *s)
{
	char *c = utf8_clean(s);
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)c; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	putchar('"');
	free(c);
}

static void print_table(const struct validate_result *res, int first)
{
	if (!first)
		printf("\n");
	printf("file:     %s\n", res->file);
	printf("version:  FOCUS %s (detected from the columns)\n", res->version);
	printf("rows:     %" PRIu64 "%s\n", res->rows, res->truncated ? " (stopped at --max-rows)" : "");
	printf("rules:    %zu checked\n", res->rules_checked);
	printf("errors:   %zu rule%s, %" PRIu64 " finding%s\n", res->error_rules,
	       res->error_rules == 1 ? "" : "s", res->errors, res->errors == 1 ? "" : "s");
	printf("warnings: %zu rule%s, %" PRIu64 " finding%s\n", res->warning_rules,
	       res->warning_rules == 1 ? "" : "s", res->warnings, res->warnings == 1 ? "" : "s");
	for (size_t i = 0; i < res->nfindings; i++) {
		const struct vfinding *fd = &res->findings[i];
		printf("\n%-7s %s", fd->severity == VSEV_ERROR ? "ERROR" : "WARNING", fd->rule);
		if (fd->column)
			printf(" [%s]", fd->column);
		printf(": %" PRIu64 " %s%s", fd->count, fd->unit, fd->count == 1 ? "" : "s");
		if (fd->cells != fd->count)
			printf(" (%" PRIu64 " cells)", fd->cells);
		printf("\n        %s\n", fd->requirement);
		for (size_t k = 0; k < fd->nexamples; k++) {
			const struct vexample *e = &fd->examples[k];
			printf("        %s:%" PRIu64 ":%u", res->file, e->line, e->col);
			if (*e->column)
				printf(" %s", e->column);
			printf(" ");
			print_quoted(e->value);
			if (e->hint)
				printf(" (%s)", e->hint);
			printf("\n");
		}
		if (fd->count > fd->nexamples && fd->nexamples)
			printf("        ...\n");
	}
}

/* ------------------------------------------------------------------- json */

static json_t *jstr(const char *s)
{
	char *c = utf8_clean(s);
	json_t *j = json_string(c);
	free(c);
	return j;
}

static json_t *result_json(const struct validate_result *res)
{
	json_t *f = json_object(), *rules = json_array();
	json_object_set_new(f, "file", jstr(res->file));
	json_object_set_new(f, "version", json_string(res->version));
	json_object_set_new(f, "rows", json_integer((json_int_t)res->rows));
	json_object_set_new(f, "truncated", json_boolean(res->truncated));
	json_object_set_new(f, "rules_checked", json_integer((json_int_t)res->rules_checked));
	json_object_set_new(f, "errors", json_integer((json_int_t)res->errors));
	json_object_set_new(f, "warnings", json_integer((json_int_t)res->warnings));
	json_object_set_new(f, "error_rules", json_integer((json_int_t)res->error_rules));
	json_object_set_new(f, "warning_rules", json_integer((json_int_t)res->warning_rules));
	for (size_t i = 0; i < res->nfindings; i++) {
		const struct vfinding *fd = &res->findings[i];
		json_t *r = json_object(), *ex = json_array();
		json_object_set_new(r, "rule", json_string(fd->rule));
		json_object_set_new(r, "severity",
				    json_string(fd->severity == VSEV_ERROR ? "error" : "warning"));
		json_object_set_new(r, "column", fd->column ? jstr(fd->column) : json_null());
		json_object_set_new(r, "requirement", jstr(fd->requirement));
		json_object_set_new(r, "count", json_integer((json_int_t)fd->count));
		json_object_set_new(r, "unit", json_string(fd->unit));
		json_object_set_new(r, "cells", json_integer((json_int_t)fd->cells));
		for (size_t k = 0; k < fd->nexamples; k++) {
			const struct vexample *e = &fd->examples[k];
			json_t *x = json_object();
			char at[64];
			json_object_set_new(x, "line", json_integer((json_int_t)e->line));
			json_object_set_new(x, "column", jstr(e->column));
			json_object_set_new(x, "value", jstr(e->value));
			json_object_set_new(x, "col", json_integer((json_int_t)e->col));
			snprintf(at, sizeof at, ":%" PRIu64 ":%u", e->line, e->col);
			char *loc = xmalloc(strlen(res->file) + sizeof at);
			strcpy(loc, res->file);
			strcat(loc, at);
			json_object_set_new(x, "at", jstr(loc));
			free(loc);
			if (e->hint)
				json_object_set_new(x, "hint", jstr(e->hint));
			json_array_append_new(ex, x);
		}
		json_object_set_new(r, "examples", ex);
		json_array_append_new(rules, r);
	}
	json_object_set_new(f, "rules", rules);
	return f;
}

/* ------------------------------------------------------------------ main */

int cmd_validate(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	struct validate_opts vo = { .max_examples = 3 };
	struct vmodel *m = NULL;
	json_t *files = NULL;
	int json = 0, status = EXIT_OK;

	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv,
		  "validate [--format table|json] [--examples N] [--max-rows N] FILE...", description);
	const char *fmt = cli_get(&a, "format");
	if (fmt && strcmp(fmt, "json") == 0)
		json = 1;
	else if (fmt && strcmp(fmt, "table") != 0)
		usage_error("validate: --format: '%s' is not one of table, json", fmt);
	if (cli_get(&a, "examples"))
		vo.max_examples = (size_t)parse_count("examples", cli_get(&a, "examples"));
	if (cli_get(&a, "max-rows"))
		vo.max_rows = parse_count("max-rows", cli_get(&a, "max-rows"));
	if (a.npos == 0)
		usage_error("validate: no FILE given (see aicost validate --help)");

	if (vmodel_load_default(&m) < 0) {
		status = EXIT_FAIL;
		goto out;
	}
	if (json)
		files = json_array();
	for (size_t i = 0; i < a.npos; i++) {
		struct validate_result res;
		if (validate_file(m, a.pos[i], &vo, &res) < 0) {
			status = EXIT_FAIL;
			validate_result_release(&res);
			continue;
		}
		if (res.error_rules)
			status = EXIT_FAIL;
		if (json)
			json_array_append_new(files, result_json(&res));
		else
			print_table(&res, i == 0);
		validate_result_release(&res);
	}
	if (json) {
		json_t *root = json_object();
		json_object_set_new(root, "files", files);
		files = NULL;
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("\n");
		json_decref(root);
	}
	fflush(stdout);
out:
	json_decref(files);
	vmodel_free(m);
	cli_args_release(&a);
	return status;
}
