/* args.c - the shared flag parser of the command front ends; see cli.h. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"

static void print_usage(FILE *f, const struct cli_opt *opts, size_t nopts,
			const char *usage, const char *description)
{
	fprintf(f, "usage: aicost %s\n", usage);
	if (description)
		fprintf(f, "\n%s\n", description);
	fprintf(f, "\noptions:\n");
	for (size_t i = 0; i < nopts; i++) {
		char left[64];
		snprintf(left, sizeof left, "--%s%s", opts[i].name, opts[i].has_arg ? " VALUE" : "");
		fprintf(f, "  %-24s %s\n", left, opts[i].help ? opts[i].help : "");
	}
	fprintf(f, "  %-24s %s\n", "--help", "show this help");
}

void cli_parse(struct cli_args *a, const struct cli_opt *opts, size_t nopts,
	       int argc, char **argv, const char *usage, const char *description)
{
	memset(a, 0, sizeof *a);
	a->opts = opts;
	a->nopts = nopts;
	a->pos = xcalloc((size_t)argc + 1, sizeof *a->pos);
	if (nopts > 32)
		abort();
	int only_pos = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (only_pos || arg[0] != '-' || strcmp(arg, "-") == 0) {
			a->pos[a->npos++] = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			print_usage(stdout, opts, nopts, usage, description);
			exit(EXIT_OK);
		}
		if (arg[1] != '-')
			usage_error("%s: unknown option '%s' (see aicost %s --help)", argv[0], arg, argv[0]);
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		size_t k;
		for (k = 0; k < nopts; k++)
			if (strlen(opts[k].name) == nlen && memcmp(opts[k].name, name, nlen) == 0)
				break;
		if (k == nopts)
			usage_error("%s: unknown option '--%.*s' (see aicost %s --help)", argv[0], (int)nlen, name, argv[0]);
		const char *val = NULL;
		if (opts[k].has_arg) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				usage_error("%s: option '--%s' needs a value", argv[0], opts[k].name);
			if (!opts[k].repeat && a->nvals[k])
				a->nvals[k] = 0;
			a->vals[k] = xrealloc(a->vals[k], (a->nvals[k] + 2) * sizeof *a->vals[k]);
			a->vals[k][a->nvals[k]++] = val;
			a->vals[k][a->nvals[k]] = NULL;
		} else if (eq) {
			usage_error("%s: option '--%s' takes no value", argv[0], opts[k].name);
		}
		a->set[k] = 1;
	}
}

void cli_args_release(struct cli_args *a)
{
	for (size_t k = 0; k < a->nopts; k++)
		free(a->vals[k]);
	free(a->pos);
}

static int find(const struct cli_args *a, const char *name)
{
	for (size_t k = 0; k < a->nopts; k++)
		if (strcmp(a->opts[k].name, name) == 0)
			return (int)k;
	return -1;
}

const char *cli_get(const struct cli_args *a, const char *name)
{
	int k = find(a, name);
	if (k < 0 || !a->nvals[k])
		return NULL;
	return a->vals[k][a->nvals[k] - 1];
}

int cli_has(const struct cli_args *a, const char *name)
{
	int k = find(a, name);
	return k >= 0 && a->set[k];
}

const char **cli_all(const struct cli_args *a, const char *name, size_t *n)
{
	int k = find(a, name);
	*n = k >= 0 ? a->nvals[k] : 0;
	return k >= 0 ? a->vals[k] : NULL;
}

enum out_format cli_format(const struct cli_args *a)
{
	const char *f = cli_get(a, "format");
	if (!f || strcmp(f, "table") == 0)
		return FMT_TABLE;
	if (strcmp(f, "csv") == 0)
		return FMT_CSV;
	if (strcmp(f, "json") == 0)
		return FMT_JSON;
	usage_error("--format: '%s' is not one of table, csv, json", f);
}

int cli_args_from_pairs(struct cli_args *a, const struct cli_opt *opts, size_t nopts, const char *const *names,
			const char *const *values, size_t n)
{
	memset(a, 0, sizeof *a);
	a->opts = opts;
	a->nopts = nopts;
	a->pos = xcalloc(1, sizeof *a->pos);
	if (nopts > 32)
		abort();
	for (size_t i = 0; i < n; i++) {
		size_t k;
		for (k = 0; k < nopts; k++)
			if (strcmp(opts[k].name, names[i]) == 0)
				break;
		if (k == nopts)
			return error("unknown parameter '%s'", names[i]) < 0 ? CLI_EUSAGE : 0;
		const char *v = values[i] ? values[i] : "";
		if (!opts[k].has_arg) {
			/* A flag: present, or ?flag=1 / true; ?flag=0 / false leaves it off. */
			if (!strcmp(v, "0") || !strcmp(v, "false"))
				continue;
			if (*v && strcmp(v, "1") && strcmp(v, "true"))
				return error("parameter '%s' is a flag: give no value, 1 or true", names[i]) < 0 ? CLI_EUSAGE : 0;
			a->set[k] = 1;
			continue;
		}
		if (!opts[k].repeat && a->nvals[k])
			return error("parameter '%s' given more than once", names[i]) < 0 ? CLI_EUSAGE : 0;
		a->vals[k] = xrealloc(a->vals[k], (a->nvals[k] + 2) * sizeof *a->vals[k]);
		a->vals[k][a->nvals[k]++] = v;
		a->vals[k][a->nvals[k]] = NULL;
		a->set[k] = 1;
	}
	return 0;
}
