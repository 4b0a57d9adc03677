/*
 * alloc.h - the allocation engine: what team/project/model/workload/... a
 * ledger line belongs to, evaluated at query time from the config, so a
 * config change re-allocates without re-ingesting (docs/allocation.md).
 *
 * The report engine calls alloc_eval() once per distinct line and
 * dimension. Everything that can be is precompiled at config load (globs,
 * tag keys, rule values, aliases); an evaluation does a few string compares
 * and one hash lookup to intern the result.
 *
 * Thread safety: alloc_eval() and alloc_match() may be called from several
 * threads on the same config; the intern tables are guarded by cfg->lock.
 */
#ifndef AICOST_ALLOC_H
#define AICOST_ALLOC_H

#include <stddef.h>
#include "core/config.h"
#include "formats/focus.h"

struct alloc_line {                 /* a line as the allocator sees it; the caller owns everything */
	const char *vals[FC__COUNT];    /* FOCUS column values by enum focus_col_id; NULL = null */
	const char *const *tag_keys;    /* tags, sorted by key (strcmp), ntags entries */
	const char *const *tag_vals;
	size_t ntags;
};

/* The built-in workload classes, in the order of cfg->dims[0].wl_values. */
enum workload { WL_TRAINING, WL_INFERENCE, WL_NOTEBOOK, WL_DATA, WL_OTHER, WL__COUNT };
extern const char *const workload_names[WL__COUNT];

/* Index of an allocation dimension, or -1; "workload" always exists (index 0). */
int alloc_dim_find(const struct config *cfg, const char *name);
size_t alloc_ndims(const struct config *cfg);
const char *alloc_dim_name(const struct config *cfg, int dim);

/*
 * Value of dimension `dim` for line l. Never NULL. The string is interned
 * in the config (valid until config_release), so equal values of one
 * dimension are pointer-equal. *is_default (may be NULL) = 1 when no tag,
 * no rule and (for workload) no heuristic gave the value: it is the
 * dimension's default, "unallocated" unless configured ("other" for workload).
 */
const char *alloc_eval(const struct config *cfg, int dim, const struct alloc_line *l, int *is_default);

/*
 * Does line l satisfy the compiled match map m? Keys may be a FOCUS column
 * (ServiceName, SubAccountName, ...), `tag:KEY`, or an allocation dimension
 * (team: platform). Values are case-insensitive shell globs, or a list of
 * them (any). All keys ANDed. A null column / absent tag matches only the
 * empty pattern "". Returns 1 or 0.
 */
int alloc_match(const struct config *cfg, const struct alloc_match *m, const struct alloc_line *l);

/* The heuristic alone (no tags/rules of a configured workload dimension). */
enum workload alloc_workload_classify(const struct config *cfg, const struct alloc_line *l);

/*
 * Normalize s (n bytes) per mode into out (cap bytes, NUL-terminated,
 * truncated to fit). Returns the length (0 = nothing left, e.g. "--").
 * slug: ASCII lower case, runs of other than [a-z0-9] and non-ASCII bytes
 * -> '-', trimmed of '-'. lower: ASCII lower case, blanks trimmed.
 * none: blanks trimmed.
 */
size_t alloc_normalize(enum alloc_norm mode, const char *s, size_t n, char *out, size_t cap);

/* Compile a glob (case-insensitive). g->pat is malloc'd; free with alloc_glob_release. */
void alloc_glob_compile(struct alloc_glob *g, const char *pat);
void alloc_glob_release(struct alloc_glob *g);
/* Match s (NULL = absent) against g. */
int alloc_glob_match(const struct alloc_glob *g, const char *s);

/*
 * Called by the config loader once the tree is walked: resolves match keys,
 * checks `over`, rejects dimension cycles, normalizes and interns rule
 * values, aliases, defaults and weights. Returns 0 or -1 after reporting.
 */
int alloc_compile(struct config *cfg);
/* Free what alloc_compile and alloc_eval allocated. */
void alloc_release(struct config *cfg);
/* Free a match map (terms, globs). */
void alloc_match_release(struct alloc_match *m);

#endif
