/*
 * validate.h - FOCUS conformance checking over streamed rows.
 *
 * The rules come from the FOCUS validator's machine-readable model
 * (data/focus/rules/model-1.2.json, with aicost's corrections in
 * model-1.2-patches.json). vmodel_load() compiles each checkable rule's
 * CheckFunction tree once; validate_stream() then reads a CSV record by
 * record and evaluates every applicable rule on each row, keeping only
 * per-rule counters and the first few examples, so memory stays flat for
 * any file size. aicost adds a few rules of its own (ids AICOST-*, and
 * FOCUS attribute rules the model marks Dynamic but that can be checked,
 * like the x_ prefix of custom columns); docs/validate.md lists them.
 *
 * Nothing here prints except error() for unreadable input: results come
 * back in a struct validate_result for a front end to render.
 */
#ifndef AICOST_VALIDATE_H
#define AICOST_VALIDATE_H

#include <stddef.h>
#include <stdint.h>
#include "formats/csv.h"

struct vmodel;

enum vseverity { VSEV_ERROR, VSEV_WARNING };

/* One offending cell (or header field). Strings are owned by the result. */
struct vexample {
	uint64_t line;       /* physical line, 1-based */
	uint32_t col;        /* byte column in that line, 1-based; 0 = the whole record */
	char *column;        /* column name as written in the header */
	char *value;         /* the cell, cut at VALIDATE_MAX_VALUE bytes */
	char *hint;          /* NULL, or e.g. "did you mean \"Usage-Based\"?" */
};

/* All failures of one rule in one file. Strings are owned by the result. */
struct vfinding {
	const char *rule;         /* rule id; points into the model (or a static) */
	enum vseverity severity;
	const char *column;       /* the rule's FOCUS column, or NULL for rules over many */
	const char *requirement;  /* the MustSatisfy text */
	uint64_t count;           /* failing rows, or columns for header rules (see unit) */
	const char *unit;         /* "row" or "column"; static */
	uint64_t cells;           /* failing cells, >= count for rules over many columns */
	size_t nexamples;
	struct vexample *examples;
};

struct validate_result {
	char *file;               /* the name given to validate_stream */
	char version[8];          /* detected FOCUS version: "1.0" ... "1.3" */
	uint64_t rows;            /* data rows read (blank lines not counted) */
	uint64_t errors, warnings;/* failing rows summed over error / warning rules */
	size_t error_rules, warning_rules;
	int truncated;            /* stopped at max_rows */
	size_t rules_checked;     /* rules evaluated on this file */
	size_t nfindings;         /* sorted: errors first, then by count, then id */
	struct vfinding *findings;
};

struct validate_opts {
	size_t max_examples;      /* per rule; default 3 */
	uint64_t max_rows;        /* 0 = all */
};

#define VALIDATE_MAX_VALUE 160

/*
 * Load and compile the model at `path` and, when patches_path is not NULL,
 * apply the corrections in it. *out is owned by the caller (vmodel_free).
 * Returns 0 or -1 after reporting.
 */
int vmodel_load(const char *path, const char *patches_path, struct vmodel **out);
/* The same from the data directory (see util/datadir.h). */
int vmodel_load_default(struct vmodel **out);
void vmodel_free(struct vmodel *m);
/* Model rules after patching, and how many of them can be evaluated per row. */
size_t vmodel_rule_count(const struct vmodel *m, size_t *checkable);

/* Detect the FOCUS version from a header's column names ("1.0".."1.3"). */
const char *validate_detect_version(const char *const *names, const size_t *lens, size_t n);

/*
 * Validate one CSV source. `name` labels examples and errors. The result is
 * initialised here and must be released with validate_result_release()
 * whatever the return value. Returns 0 when the input was read to the end
 * (findings or not; a malformed CSV is a finding), -1 when it could not be
 * read (already reported).
 */
int validate_stream(const struct vmodel *m, const char *name, csv_read_fn read, void *ctx,
		    const struct validate_opts *opts, struct validate_result *res);
/* Open FILE (plain, .gz, .zst, "-") with input_open() and validate it. */
int validate_file(const struct vmodel *m, const char *path,
		  const struct validate_opts *opts, struct validate_result *res);
void validate_result_release(struct validate_result *res);

/* Find a finding by rule id in a result, or NULL. */
const struct vfinding *validate_find(const struct validate_result *res, const char *rule);

#endif
