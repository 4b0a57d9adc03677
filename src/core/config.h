/*
 * config.h - the parsed aicost.yaml (SPEC section 4).
 *
 * config_load() reads the YAML file into a generic node tree (struct
 * cfg_node, kept in cfg->root so other modules can read their own sections,
 * e.g. `gateway:`), then walks it with one table of known keys
 * (config_keys(), name + type + validator, the redis static_configs[] way)
 * that fills the typed parts below and reports errors as one line:
 *     aicost: FILE:LINE:COL: allocation.dimensions.team.normalize: 'foo' is not one of slug, lower, none
 * Unknown keys are warnings, not errors (the SPEC lets users add keys).
 *
 * Ownership: everything reachable from a struct config belongs to it and is
 * freed by config_release(); callers never free anything they get from it.
 * Strings handed out by alloc_eval() are interned in the config and live
 * until config_release() as well.
 */
#ifndef AICOST_CONFIG_H
#define AICOST_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include "core/money.h"

/* ---- generic YAML tree ------------------------------------------------ */

enum cfg_node_type { CN_NULL, CN_SCALAR, CN_SEQ, CN_MAP };

struct cfg_node {
	enum cfg_node_type type;
	char *str;               /* CN_SCALAR: the text, NUL-terminated; else NULL */
	size_t len;              /* CN_SCALAR: strlen(str) (YAML may hold NULs: len counts to the first) */
	int quoted;              /* CN_SCALAR: was quoted (so "null" stays a string) */
	int line, col;           /* 1-based position of the node in its file */
	size_t n;                /* CN_SEQ: items; CN_MAP: pairs */
	struct cfg_node *items;  /* CN_SEQ: n items; CN_MAP: 2n nodes, key, value, key, value... */
};

/* Value of `key` in a CN_MAP node, or NULL (also when map is NULL or not a map). */
const struct cfg_node *cfg_node_get(const struct cfg_node *map, const char *key);
void cfg_node_release(struct cfg_node *n);

/*
 * Parse YAML text (one document) into *root. name is used in messages.
 * Returns 0, or -1 after reporting "aicost: NAME:LINE:COL: why". An empty
 * document gives a CN_NULL root. Aliases are expanded (capped, so an alias
 * bomb is an error, not an OOM); duplicate map keys are errors.
 */
int cfg_yaml_parse(const char *buf, size_t n, const char *name, struct cfg_node *root);

/* ---- allocation ------------------------------------------------------- */

enum alloc_norm { NORM_SLUG, NORM_LOWER, NORM_NONE };

/* A glob compiled at load time: the common shapes avoid fnmatch. */
enum glob_kind { GLOB_EXACT, GLOB_PREFIX, GLOB_SUFFIX, GLOB_CONTAINS, GLOB_ANY, GLOB_EMPTY, GLOB_STARS, GLOB_FNMATCH };
struct alloc_glob {
	enum glob_kind kind;
	char *pat;               /* EXACT/PREFIX/SUFFIX/CONTAINS/STARS: the pattern lower-cased (STARS: with its
				    '*'s, runs collapsed); FNMATCH: the pattern as written */
	size_t len;
};

enum match_kind { MATCH_COL, MATCH_TAG, MATCH_DIM };

/* One `key: glob | [globs]` entry of a match map; the globs are ORed. */
struct alloc_term {
	char *key;               /* as written: "SubAccountName", "tag:team", "team" */
	enum match_kind kind;    /* resolved by alloc_compile */
	int id;                  /* MATCH_COL: enum focus_col_id; MATCH_DIM: dimension index */
	const char *tag;         /* MATCH_TAG: the tag key (points into key) */
	struct alloc_glob *globs;
	size_t nglobs;
	int line, col;
};

/* A compiled `match:` map; all terms ANDed. An empty map matches every line. */
struct alloc_match {
	struct alloc_term *terms;
	size_t nterms;
};

struct alloc_rule {
	struct alloc_match match;
	char *raw_value;         /* as written */
	const char *value;       /* normalized, aliased, interned in the dimension */
	int line, col;
};

struct alloc_intern;         /* private to alloc.c */

struct alloc_dim {
	char *name;
	char **tags;             /* tag keys, priority order (default: [name]) */
	char **tags_canon;       /* same, lower-cased without '-', '_', ' ' (fuzzy key match) */
	size_t ntags;
	enum alloc_norm normalize;   /* default slug */
	char **alias_from, **alias_to;   /* as written */
	size_t naliases;
	struct alloc_rule *rules;
	size_t nrules;
	char *raw_default;       /* as written, NULL = "unallocated" (workload: "other") */
	const char *deflt;       /* normalized, interned */
	int builtin_workload;    /* the workload heuristic is the fallback before the default */
	int configured;          /* appeared under allocation.dimensions */
	int line, col;
	struct alloc_intern *intern; /* normalized value -> interned string (+ alias target) */
	const char *wl_values[8];    /* workload: interned heuristic results, by enum workload */
};

enum shared_method { SHARED_PROPORTIONAL, SHARED_EVEN, SHARED_FIXED };

/*
 * allocation.shared[]: cost of the lines matching `match` is taken away from
 * whatever they were allocated to and redistributed over the values of the
 * dimension `over` (the report engine does it; see docs/allocation.md).
 */
struct shared_rule {
	struct alloc_match match;
	char *over;              /* dimension name as written */
	int over_dim;            /* its index (alloc_dim_find) */
	enum shared_method method;   /* default proportional */
	/*
	 * method fixed: the recipients and their weights, parallel arrays.
	 * weight_values are normalized with over's normalization and aliases and
	 * interned in that dimension, so they are pointer-equal to the strings
	 * alloc_eval(cfg, over_dim, ...) returns.
	 */
	const char **weight_values;
	char **weight_raw;       /* as written */
	money_t *weights;
	size_t nweights;
	int line, col;
};

/* ---- budgets ---------------------------------------------------------- */

enum budget_period { BUDGET_MONTH, BUDGET_QUARTER, BUDGET_YEAR };

struct budget {
	char *name;
	char **scope_keys, **scope_vals;   /* { dim: value }, as written; empty = everything */
	size_t nscope;
	enum budget_period period;   /* default month */
	money_t limit;               /* > 0 */
	money_t *alert_at;           /* fractions of limit, ascending; default [0.8, 1.0] */
	size_t nalert;
	char **notify;               /* e.g. "webhook:http://..." */
	size_t nnotify;
	int line, col;
};

/* ---- the config ------------------------------------------------------- */

struct config {
	char *path;                  /* file name used in messages ("(none)" for the empty config) */
	struct cfg_node root;        /* the whole parsed document (CN_NULL when none) */

	struct alloc_dim *dims;      /* dims[0] is always the built-in "workload" */
	size_t ndims;
	struct shared_rule *shared;
	size_t nshared;
	struct budget *budgets;
	size_t nbudgets;
	char **host_names, **host_resources;   /* hosts: telemetry host -> FOCUS ResourceId */
	size_t nhosts;
	char *prices_catalog;        /* prices.catalog, resolved against the config's directory; NULL if unset */

	/* private */
	pthread_mutex_t lock;        /* guards the intern tables, which alloc_eval grows */
	int compiled;
	void *wl;                    /* compiled workload heuristics (alloc.c) */
};

/*
 * Load path into *cfg (which the function initializes). path NULL => the
 * empty config (built-in defaults). Returns 0, or -1 after reporting one
 * error line; *cfg is then released already (calling config_release on it
 * again is harmless).
 */
int config_load(const char *path, struct config *cfg);
/* Same, from memory; name is used in messages (fuzzing, tests). */
int config_load_mem(const char *buf, size_t n, const char *name, struct config *cfg);
/* Free everything the config owns. Safe on a zeroed or already released config. */
void config_release(struct config *cfg);

/* The empty config (what config_load(NULL) gives). */
void config_init(struct config *cfg);

/* Host -> ResourceId from `hosts:`, or NULL. */
const char *config_host_resource(const struct config *cfg, const char *host);

/* ---- the key table ---------------------------------------------------- */

enum cfg_type {
	CT_MAP,      /* a mapping with keys of its own */
	CT_SEQ,      /* a list of items */
	CT_STR,      /* a scalar */
	CT_STRS,     /* a scalar or a list of scalars */
	CT_ENUM,     /* a scalar out of `values` */
	CT_MONEY,    /* an exact decimal */
	CT_MONEYS,   /* a list of exact decimals */
	CT_STRMAP,   /* a mapping of scalar -> scalar */
	CT_MONEYMAP, /* a mapping of scalar -> exact decimal */
	CT_MATCH,    /* a mapping of key -> glob | [globs] */
	CT_RAW,      /* anything; kept in root for another module */
};

struct config_loader;

/*
 * One known key. path is a pattern: '*' stands for any map key (a dimension
 * name), '[]' for any list item. The walker checks `type` and calls `set`
 * with the node (before the children of a CT_MAP/CT_SEQ); `done` runs after
 * the children of a CT_MAP, to check required keys.
 */
struct config_key {
	const char *path;
	enum cfg_type type;
	const char *values;          /* CT_ENUM: "slug, lower, none" */
	const char *def;             /* default, for docs and config_keys() users */
	int (*set)(struct config_loader *ld, const struct cfg_node *n);
	int (*done)(struct config_loader *ld, const struct cfg_node *n);
	const char *doc;
};

/* The table (for docs and tests); *n receives its length. */
const struct config_key *config_keys(size_t *n);

#endif
