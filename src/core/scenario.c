/*
 * scenario.c - the forecast scenario file; see scenario.h. Parsed with the
 * config's YAML reader (cfg_yaml_parse), validated here with positions.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/config.h"
#include "core/scenario.h"
#include "formats/focus.h"
#include "util/err.h"

#define SC_MAX_BYTES (1u << 20)
#define SC_MAX_RULES 1000
#define SC_MAX_KEYS 16

static int bad(const char *name, const struct cfg_node *n, const char *what)
{
	return error("%s:%d:%d: %s", name, n->line, n->col, what);
}

static int parse_rule(const char *name, const struct cfg_node *m, struct scenario_rule *r)
{
	r->from = INT64_MIN;
	r->to = INT64_MAX;
	r->mult = -1;
	r->line = m->line;
	r->col = m->col;
	if (m->type != CN_MAP)
		return bad(name, m, "scenarios[]: expected a mapping (match, from, to, multiplier)");
	for (size_t i = 0; i < m->n; i++) {
		const struct cfg_node *k = &m->items[2 * i], *v = &m->items[2 * i + 1];
		const char *key = k->type == CN_SCALAR ? k->str : "";
		if (!strcmp(key, "name")) {
			if (v->type != CN_SCALAR)
				return bad(name, v, "name: expected a string");
			free(r->name);
			r->name = xstrdup(v->str);
		} else if (!strcmp(key, "match")) {
			if (v->type == CN_NULL)
				continue;
			if (v->type != CN_MAP)
				return bad(name, v, "match: expected a mapping of dimension: value");
			if (v->n > SC_MAX_KEYS)
				return bad(name, v, "match: more than 16 keys");
			r->keys = xcalloc(v->n + 1, sizeof *r->keys);
			r->vals = xcalloc(v->n + 1, sizeof *r->vals);
			for (size_t j = 0; j < v->n; j++) {
				const struct cfg_node *mk = &v->items[2 * j], *mv = &v->items[2 * j + 1];
				if (mk->type != CN_SCALAR || !mk->str[0] || mv->type != CN_SCALAR)
					return bad(name, mv, "match: expected dimension: value (strings)");
				r->keys[r->n] = xstrdup(mk->str);
				r->vals[r->n] = xstrdup(mv->str);
				r->n++;
			}
		} else if (!strcmp(key, "from") || !strcmp(key, "to")) {
			int64_t d;
			if (v->type != CN_SCALAR || parse_day(v->str, &d) < 0)
				return error("%s:%d:%d: %s: '%s' is not a date (YYYY-MM-DD)", name, v->line, v->col, key,
					     v->type == CN_SCALAR ? v->str : "");
			*(key[0] == 'f' ? &r->from : &r->to) = d;
		} else if (!strcmp(key, "multiplier")) {
			char *end;
			errno = 0;
			double x = v->type == CN_SCALAR ? strtod(v->str, &end) : -1;
			if (v->type != CN_SCALAR || end == v->str || *end || errno || !isfinite(x) || x < 0 || x > 1e6)
				return bad(name, v, "multiplier: expected a number from 0 to 1000000");
			r->mult = x;
		} else {
			return error("%s:%d:%d: scenarios[]: unknown key '%s' (name, match, from, to, multiplier)", name,
				     k->line, k->col, key);
		}
	}
	if (r->mult < 0)
		return bad(name, m, "scenarios[]: multiplier is required");
	if (r->from > r->to)
		return bad(name, m, "scenarios[]: from is after to");
	return 0;
}

int scenario_parse(const char *buf, size_t len, const char *name, struct scenario *sc)
{
	struct cfg_node root;
	memset(sc, 0, sizeof *sc);
	sc->path = xstrdup(name);
	if (len > SC_MAX_BYTES)
		return error("%s: larger than 1 MiB", name);
	if (cfg_yaml_parse(buf, len, name, &root) < 0)
		return -1;
	int rc = -1;
	const struct cfg_node *list = &root;
	if (root.type == CN_MAP) {
		list = cfg_node_get(&root, "scenarios");
		if (!list) {
			bad(name, &root, "expected a top-level 'scenarios:' list");
			goto out;
		}
		for (size_t i = 0; i < root.n; i++)
			if (root.items[2 * i].type != CN_SCALAR || strcmp(root.items[2 * i].str, "scenarios")) {
				bad(name, &root.items[2 * i], "unknown top-level key (only 'scenarios')");
				goto out;
			}
	}
	if (list->type == CN_NULL) {
		rc = 0;
		goto out;
	}
	if (list->type != CN_SEQ) {
		bad(name, list, "scenarios: expected a list of rules");
		goto out;
	}
	if (list->n > SC_MAX_RULES) {
		bad(name, list, "scenarios: more than 1000 rules");
		goto out;
	}
	sc->rules = xcalloc(list->n + 1, sizeof *sc->rules);
	for (size_t i = 0; i < list->n; i++) {
		sc->n++;
		if (parse_rule(name, &list->items[i], &sc->rules[i]) < 0)
			goto out;
	}
	rc = 0;
out:
	cfg_node_release(&root);
	if (rc < 0) {
		char *p = sc->path;
		sc->path = NULL;
		scenario_release(sc);
		sc->path = p;
	}
	return rc;
}

int scenario_load(const char *path, struct scenario *sc)
{
	memset(sc, 0, sizeof *sc);
	FILE *f = fopen(path, "rb");
	if (!f)
		return error("%s: %s", path, strerror(errno));
	char *buf = xmalloc(SC_MAX_BYTES + 1);
	size_t n = fread(buf, 1, SC_MAX_BYTES + 1, f);
	int err = ferror(f);
	fclose(f);
	int rc;
	if (err)
		rc = error("%s: read error", path);
	else if (n > SC_MAX_BYTES)
		rc = error("%s: larger than 1 MiB", path);
	else
		rc = scenario_parse(buf, n, path, sc);
	free(buf);
	return rc;
}

void scenario_release(struct scenario *sc)
{
	for (size_t i = 0; i < sc->n; i++) {
		struct scenario_rule *r = &sc->rules[i];
		for (size_t j = 0; j < r->n; j++) {
			free(r->keys[j]);
			free(r->vals[j]);
		}
		free(r->keys);
		free(r->vals);
		free(r->name);
	}
	free(sc->rules);
	free(sc->path);
	memset(sc, 0, sizeof *sc);
}

int scenario_check(const struct scenario *sc, const char *const *dims, size_t nd)
{
	for (size_t i = 0; i < sc->n; i++)
		for (size_t j = 0; j < sc->rules[i].n; j++) {
			size_t d = 0;
			while (d < nd && strcmp(dims[d], sc->rules[i].keys[j]))
				d++;
			if (d == nd)
				return error("%s:%d:%d: match key '%s' is not one of the --by dimensions", sc->path,
					     sc->rules[i].line, sc->rules[i].col, sc->rules[i].keys[j]);
		}
	return 0;
}

double scenario_factor(const struct scenario *sc, const char *const *dims, const char *const *vals, size_t nd,
		       int64_t day)
{
	double f = 1;
	for (size_t i = 0; i < sc->n; i++) {
		const struct scenario_rule *r = &sc->rules[i];
		if (day < r->from || day > r->to)
			continue;
		int ok = 1;
		for (size_t j = 0; j < r->n && ok; j++) {
			ok = 0;
			for (size_t d = 0; d < nd; d++)
				if (!strcmp(dims[d], r->keys[j]))
					ok = !strcmp(vals[d], r->vals[j]);
		}
		if (ok)
			f *= r->mult;
	}
	return f;
}
