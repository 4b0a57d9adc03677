/*
 * config_yaml.c - YAML text -> struct cfg_node tree, and config_load().
 *
 * The tree is built from libyaml *events* rather than yaml_parser_load(), so
 * this file owns the limits that make untrusted input safe: nesting depth,
 * total node count (alias expansion included: a "billion laughs" document
 * is an error, not an OOM) and duplicate keys. Everything typed (what the
 * keys mean) lives in core/config.c, which walks the tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "core/config.h"
#include "util/err.h"

#define YAML_MAX_DEPTH 64
#define YAML_MAX_NODES 200000
#define CONFIG_MAX_BYTES (16u << 20)

int config_from_tree(struct config *cfg);   /* core/config.c */

/* ---- tree helpers ------------------------------------------------------ */

void cfg_node_release(struct cfg_node *n)
{
	if (!n)
		return;
	free(n->str);
	size_t cnt = n->type == CN_MAP ? 2 * n->n : n->type == CN_SEQ ? n->n : 0;
	for (size_t i = 0; i < cnt; i++)
		cfg_node_release(&n->items[i]);
	free(n->items);
	memset(n, 0, sizeof *n);
}

const struct cfg_node *cfg_node_get(const struct cfg_node *map, const char *key)
{
	if (!map || map->type != CN_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++) {
		const struct cfg_node *k = &map->items[2 * i];
		if (k->type == CN_SCALAR && strcmp(k->str, key) == 0)
			return &map->items[2 * i + 1];
	}
	return NULL;
}

/* ---- the event builder ------------------------------------------------- */

struct frame {
	struct cfg_node node;
	size_t cnt, cap;             /* stored and allocated items */
	char *anchor;                /* anchor of this container, saved when it ends */
};

struct anchor {
	char *name;
	struct cfg_node node;        /* a private copy; aliases copy it again */
};

struct builder {
	const char *name;
	struct frame stack[YAML_MAX_DEPTH];
	int depth;
	struct anchor *anchors;
	size_t nanchors;
	size_t nodes;                /* created so far, copies included */
	struct cfg_node root;
	int have_root;
};

static int fail_at(const struct builder *b, int line, int col, const char *why)
{
	return error("%s:%d:%d: %s", b->name, line, col, why);
}

/* Deep copy with the node budget; depth is bounded by YAML_MAX_DEPTH. */
static int node_copy(struct builder *b, struct cfg_node *dst, const struct cfg_node *src)
{
	*dst = *src;
	dst->str = NULL;
	dst->items = NULL;
	if (++b->nodes > YAML_MAX_NODES) {
		dst->n = 0;
		return fail_at(b, src->line, src->col,
			       "document too large (more than 200000 nodes after expanding aliases)");
	}
	if (src->str)
		dst->str = xstrndup(src->str, src->len);
	size_t cnt = src->type == CN_MAP ? 2 * src->n : src->type == CN_SEQ ? src->n : 0;
	if (cnt) {
		/* zeroed, so a partial copy releases cleanly */
		dst->items = xcalloc(cnt, sizeof *dst->items);
		for (size_t i = 0; i < cnt; i++)
			if (node_copy(b, &dst->items[i], &src->items[i]) < 0) {
				cfg_node_release(dst);
				return -1;
			}
	}
	return 0;
}

static int save_anchor(struct builder *b, const char *name, const struct cfg_node *n)
{
	struct cfg_node copy;
	if (node_copy(b, &copy, n) < 0)
		return -1;
	/* a redefined anchor shadows the old one (YAML 1.1): replace it */
	for (size_t i = 0; i < b->nanchors; i++)
		if (strcmp(b->anchors[i].name, name) == 0) {
			cfg_node_release(&b->anchors[i].node);
			b->anchors[i].node = copy;
			return 0;
		}
	b->anchors = xrealloc(b->anchors, (b->nanchors + 1) * sizeof *b->anchors);
	b->anchors[b->nanchors].name = xstrdup(name);
	b->anchors[b->nanchors].node = copy;
	b->nanchors++;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct cfg_node *x = *(const struct cfg_node *const *)a, *y = *(const struct cfg_node *const *)b;
	int c = strcmp(x->str, y->str);
	if (c)
		return c;
	/* later position last, so the reported duplicate is the second one */
	return x->line != y->line ? (x->line > y->line) - (x->line < y->line) : (x->col > y->col) - (x->col < y->col);
}

/* Duplicate keys silently dropping a value would be a config bug nobody sees. */
static int check_dup_keys(struct builder *b, const struct cfg_node *map)
{
	if (map->n < 2)
		return 0;
	const struct cfg_node **keys = xmalloc(map->n * sizeof *keys);
	for (size_t i = 0; i < map->n; i++)
		keys[i] = &map->items[2 * i];
	qsort(keys, map->n, sizeof *keys, key_cmp);
	int rc = 0;
	for (size_t i = 1; i < map->n; i++)
		if (strcmp(keys[i - 1]->str, keys[i]->str) == 0) {
			char why[160];
			snprintf(why, sizeof why, "duplicate key '%.100s'", keys[i]->str);
			rc = fail_at(b, keys[i]->line, keys[i]->col, why);
			break;
		}
	free(keys);
	return rc;
}

/* Attach a finished node to its parent (or make it the root). Consumes n. */
static int attach(struct builder *b, struct cfg_node *n, const char *anchor)
{
	if (anchor && save_anchor(b, anchor, n) < 0)
		goto fail;
	if (b->depth == 0) {
		b->root = *n;
		b->have_root = 1;
		return 0;
	}
	struct frame *f = &b->stack[b->depth - 1];
	if (f->node.type == CN_MAP && f->cnt % 2 == 0 && n->type != CN_SCALAR) {
		/* keys index the schema; `? [a, b]: x` or a null key has no meaning here */
		fail_at(b, n->line, n->col, "mapping keys must be non-empty scalars");
		goto fail;
	}
	if (f->cnt == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 8;
		f->node.items = xrealloc(f->node.items, f->cap * sizeof *f->node.items);
	}
	f->node.items[f->cnt++] = *n;
	/* a map counts pairs: only a value completes one */
	f->node.n = f->node.type == CN_MAP ? f->cnt / 2 : f->cnt;
	return 0;
fail:
	cfg_node_release(n);
	return -1;
}

static int is_null_scalar(const yaml_event_t *ev)
{
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	const char *v = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	return n == 0 || (n == 1 && v[0] == '~') ||
	       (n == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)));
}

static void builder_release(struct builder *b)
{
	for (int i = 0; i < b->depth; i++) {
		struct frame *f = &b->stack[i];
		/* a map with a dangling key holds 2n+1 items: cnt counts them all */
		for (size_t j = 0; j < f->cnt; j++)
			cfg_node_release(&f->node.items[j]);
		free(f->node.items);
		free(f->anchor);
	}
	b->depth = 0;
	for (size_t i = 0; i < b->nanchors; i++) {
		free(b->anchors[i].name);
		cfg_node_release(&b->anchors[i].node);
	}
	free(b->anchors);
	b->anchors = NULL;
	b->nanchors = 0;
}

int cfg_yaml_parse(const char *buf, size_t n, const char *name, struct cfg_node *root)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct builder b;
	int rc = -1, ndocs = 0;

	memset(root, 0, sizeof *root);
	memset(&b, 0, sizeof b);
	b.name = name;
	if (!yaml_parser_initialize(&parser))
		return error("%s: cannot initialize the YAML parser", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, n);

	for (;;) {
		if (!yaml_parser_parse(&parser, &ev)) {
			const char *ctx = parser.context;
			if (ctx)
				error("%s:%zu:%zu: %s (%s)", name, parser.problem_mark.line + 1,
				      parser.problem_mark.column + 1,
				      parser.problem ? parser.problem : "invalid YAML", ctx);
			else
				error("%s:%zu:%zu: %s", name, parser.problem_mark.line + 1,
				      parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid YAML");
			goto out;
		}
		int line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;
		struct cfg_node nd;
		memset(&nd, 0, sizeof nd);
		nd.line = line;
		nd.col = col;
		int bad = 0;

		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			goto done;
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1)
				bad = fail_at(&b, line, col, "only one YAML document is allowed in a config file");
			break;
		case YAML_SCALAR_EVENT:
			if (++b.nodes > YAML_MAX_NODES) {
				bad = fail_at(&b, line, col, "document too large (more than 200000 nodes)");
				break;
			}
			if (is_null_scalar(&ev)) {
				nd.type = CN_NULL;
			} else {
				nd.type = CN_SCALAR;
				nd.str = xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
				nd.len = strlen(nd.str);
				nd.quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
			}
			bad = attach(&b, &nd, (const char *)ev.data.scalar.anchor);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (b.depth == YAML_MAX_DEPTH) {
				bad = fail_at(&b, line, col, "nesting too deep (more than 64 levels)");
				break;
			}
			if (++b.nodes > YAML_MAX_NODES) {
				bad = fail_at(&b, line, col, "document too large (more than 200000 nodes)");
				break;
			}
			{
				struct frame *f = &b.stack[b.depth++];
				memset(f, 0, sizeof *f);
				f->node = nd;
				f->node.type = ev.type == YAML_MAPPING_START_EVENT ? CN_MAP : CN_SEQ;
				const yaml_char_t *a = ev.type == YAML_MAPPING_START_EVENT ?
					ev.data.mapping_start.anchor : ev.data.sequence_start.anchor;
				if (a)
					f->anchor = xstrdup((const char *)a);
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: {
			struct frame *f = &b.stack[--b.depth];
			struct cfg_node done = f->node;
			char *anchor = f->anchor;
			memset(f, 0, sizeof *f);
			if (done.type == CN_MAP && check_dup_keys(&b, &done) < 0) {
				cfg_node_release(&done);
				free(anchor);
				bad = -1;
				break;
			}
			bad = attach(&b, &done, anchor);
			free(anchor);
			break;
		}
		case YAML_ALIAS_EVENT: {
			const char *an = (const char *)ev.data.alias.anchor;
			const struct cfg_node *src = NULL;
			for (size_t i = 0; i < b.nanchors; i++)
				if (strcmp(b.anchors[i].name, an) == 0)
					src = &b.anchors[i].node;
			if (!src) {
				/* libyaml's event API leaves undefined aliases to us */
				char why[160];
				snprintf(why, sizeof why, "undefined alias '*%.100s'", an);
				bad = fail_at(&b, line, col, why);
				break;
			}
			if (node_copy(&b, &nd, src) < 0) {
				bad = -1;
				break;
			}
			nd.line = line;
			nd.col = col;
			bad = attach(&b, &nd, NULL);
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (bad < 0)
			goto out;
	}
done:
	if (b.have_root)
		*root = b.root;
	rc = 0;
out:
	if (rc < 0 && b.have_root)
		cfg_node_release(&b.root);
	builder_release(&b);
	yaml_parser_delete(&parser);
	return rc;
}

/* ---- loading ------------------------------------------------------------ */

int config_load_mem(const char *buf, size_t n, const char *name, struct config *cfg)
{
	config_init(cfg);
	free(cfg->path);
	cfg->path = xstrdup(name ? name : "(config)");
	if (cfg_yaml_parse(buf, n, cfg->path, &cfg->root) < 0)
		goto fail;
	if (config_from_tree(cfg) < 0)
		goto fail;
	return 0;
fail:
	config_release(cfg);
	return -1;
}

int config_load(const char *path, struct config *cfg)
{
	if (!path) {
		config_init(cfg);
		return 0;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		config_init(cfg);   /* so a config_release() on it is harmless */
		return error("%s: %s", path, strerror(errno));
	}
	size_t cap = 8192, len = 0;
	char *buf = xmalloc(cap);
	size_t got;
	while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len > CONFIG_MAX_BYTES) {
			fclose(f);
			free(buf);
			config_init(cfg);
			return error("%s: config file larger than 16 MiB", path);
		}
		if (len == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	int rerr = ferror(f);
	fclose(f);
	if (rerr) {
		free(buf);
		config_init(cfg);
		return error("%s: read error", path);
	}
	int rc = config_load_mem(buf, len, path, cfg);
	free(buf);
	return rc;
}
