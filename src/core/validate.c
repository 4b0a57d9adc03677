/*
 * validate.c - FOCUS conformance checking; see validate.h.
 *
 * Chapters: the compiled rule model (load, patch, compile the CheckFunction
 * DSL), per-file set-up (header, version, which rules apply), the row
 * evaluator, aicost's own rules, and the result.
 *
 * How the model is read. Every ModelRule has a Requirement (a tree of
 * CheckFunctions) and an optional Condition (the rows it applies to).
 * Composite rules only group other rules through CheckModelRule; their
 * Condition narrows every rule below them ("When ListUnitPrice is not null,
 * ... adheres to the following"). So only leaf rules are evaluated, each
 * under its own Condition AND the Conditions of its ancestors, and each
 * leaf is reported under its own id and keyword. Dynamic rules (no
 * machine-readable requirement), MAY rules (they cannot fail) and rules
 * that need the whole dataset (CheckDistinctCount) are not evaluated.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/money.h"
#include "core/validate.h"
#include "formats/focus.h"
#include "formats/input.h"
#include "util/datadir.h"
#include "util/err.h"
#include "util/utf8.h"

/* ---------------------------------------------------------------- model */

enum vop {
	OP_AND, OP_OR,
	OP_VALUE, OP_NOT_VALUE,          /* CheckValue / CheckNotValue */
	OP_SAME, OP_NOT_SAME,            /* CheckSameValue / CheckNotSameValue */
	OP_DECIMAL,                      /* CheckDecimalValue, TypeDecimal */
	OP_GE,                           /* CheckGreaterOrEqualThanValue */
	OP_TYPE_DATETIME, OP_FMT_DATETIME,
	OP_TYPE_STRING, OP_FMT_STRING,
	OP_FMT_NUMERIC, OP_FMT_UNIT, OP_FMT_CURRENCY, OP_NATIONAL_CURRENCY,
	OP_FMT_KEYVALUE,
	OP_PRODUCT,                      /* ColumnByColumnEqualsColumnValue */
	OP_PRESENT,                      /* ColumnPresent: decided from the header */
	OP_DATASET,                      /* needs the whole dataset: not checked */
	OP_RULE,                         /* CheckModelRule: composites only */
	OP_TRUE,                         /* an empty Condition */
};

struct vnode {
	enum vop op;
	int col[3];            /* model column ids, -1 unused */
	int null_value;        /* Value is JSON null */
	char *value;           /* Value as text (numbers formatted) */
	size_t vlen;
	int has_num;           /* Value is a JSON number: compare as decimals */
	money_t num;
	struct vnode *kids;
	size_t nkids;
	char *rule_ref;        /* OP_RULE */
};

enum vskip {
	SKIP_NONE,
	SKIP_COMPOSITE,
	SKIP_DYNAMIC,
	SKIP_MAY,
	SKIP_DATASET,
	SKIP_UNKNOWN,          /* a CheckFunction this interpreter does not know */
};

struct vrule {
	char *id;
	char *reference;       /* Reference: a column for Column/Dataset rules */
	char *text;            /* MustSatisfy */
	enum vseverity sev;
	enum vskip skip;
	int dataset;           /* EntityType Dataset */
	int applicability;     /* has ApplicabilityCriteria */
	int parent;            /* the composite that includes it, -1 */
	int ref_col;           /* model column of Reference, -1 */
	int col_cap;           /* columns[] capacity */
	int *cols;             /* requirement columns */
	int ncols;
	struct vnode req, cond;
};

struct vmodel {
	struct vrule *rules;
	size_t nrules;
	char **cols;           /* every column name rules mention */
	size_t ncols, ccap;
	char (*cur)[4];        /* ISO 4217 codes */
	size_t ncur;
	const char *text_custom_prefix;   /* ColumnHandling-A-010-M text, if in the model */
	const char *text_pascal;          /* ColumnHandling-A-001-M */
};

static int model_col(struct vmodel *m, const char *name)
{
	for (size_t i = 0; i < m->ncols; i++)
		if (strcmp(m->cols[i], name) == 0)
			return (int)i;
	if (m->ncols == m->ccap) {
		m->ccap = m->ccap ? m->ccap * 2 : 64;
		m->cols = xrealloc(m->cols, m->ccap * sizeof *m->cols);
	}
	m->cols[m->ncols] = xstrdup(name);
	return (int)m->ncols++;
}

static void node_release(struct vnode *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		node_release(&n->kids[i]);
	free(n->kids);
	free(n->value);
	free(n->rule_ref);
	memset(n, 0, sizeof *n);
}

static const struct {
	const char *name;
	enum vop op;
	int ncols;             /* column arguments */
} check_fns[] = {
	{ "AND", OP_AND, 0 },
	{ "OR", OP_OR, 0 },
	{ "CheckValue", OP_VALUE, 1 },
	{ "CheckNotValue", OP_NOT_VALUE, 1 },
	{ "CheckSameValue", OP_SAME, 2 },
	{ "CheckNotSameValue", OP_NOT_SAME, 2 },
	{ "CheckDecimalValue", OP_DECIMAL, 1 },
	{ "TypeDecimal", OP_DECIMAL, 1 },
	{ "CheckGreaterOrEqualThanValue", OP_GE, 1 },
	{ "TypeDateTime", OP_TYPE_DATETIME, 1 },
	{ "FormatDateTime", OP_FMT_DATETIME, 1 },
	{ "TypeString", OP_TYPE_STRING, 1 },
	{ "FormatString", OP_FMT_STRING, 1 },
	{ "FormatNumeric", OP_FMT_NUMERIC, 1 },
	{ "FormatUnit", OP_FMT_UNIT, 1 },
	{ "FormatCurrency", OP_FMT_CURRENCY, 1 },
	{ "CheckNationalCurrency", OP_NATIONAL_CURRENCY, 1 },
	{ "FormatKeyValue", OP_FMT_KEYVALUE, 1 },
	{ "ColumnByColumnEqualsColumnValue", OP_PRODUCT, 3 },
	{ "ColumnPresent", OP_PRESENT, 1 },
	{ "CheckDistinctCount", OP_DATASET, 2 },
	{ "CheckModelRule", OP_RULE, 0 },
};

static void rule_add_col(struct vrule *r, int c)
{
	for (int i = 0; i < r->ncols; i++)
		if (r->cols[i] == c)
			return;
	if (r->ncols == r->col_cap) {
		r->col_cap = r->col_cap ? r->col_cap * 2 : 4;
		r->cols = xrealloc(r->cols, (size_t)r->col_cap * sizeof *r->cols);
	}
	r->cols[r->ncols++] = c;
}

/*
 * Compile one CheckFunction object. `r` collects requirement columns (NULL
 * for conditions). Returns 0, or -1 for a function this interpreter does
 * not know (the rule is then skipped, not failed).
 */
static int compile(struct vmodel *m, json_t *j, struct vnode *n, struct vrule *r)
{
	memset(n, 0, sizeof *n);
	n->col[0] = n->col[1] = n->col[2] = -1;
	if (!json_is_object(j) || json_object_size(j) == 0) {
		n->op = OP_TRUE;
		return 0;
	}
	const char *fn = json_string_value(json_object_get(j, "CheckFunction"));
	if (!fn)
		return -1;
	size_t k;
	for (k = 0; k < sizeof check_fns / sizeof check_fns[0]; k++)
		if (strcmp(check_fns[k].name, fn) == 0)
			break;
	if (k == sizeof check_fns / sizeof check_fns[0])
		return -1;
	n->op = check_fns[k].op;
	if (n->op == OP_AND || n->op == OP_OR) {
		json_t *items = json_object_get(j, "Items");
		if (!json_is_array(items) || json_array_size(items) == 0)
			return -1;
		n->nkids = json_array_size(items);
		n->kids = xcalloc(n->nkids, sizeof *n->kids);
		for (size_t i = 0; i < n->nkids; i++)
			if (compile(m, json_array_get(items, i), &n->kids[i], r) < 0)
				return -1;
		return 0;
	}
	if (n->op == OP_RULE) {
		const char *id = json_string_value(json_object_get(j, "ModelRuleId"));
		if (!id)
			return -1;
		n->rule_ref = xstrdup(id);
		return 0;
	}
	static const char *const keys[3][2] = {
		{ "ColumnName", "ColumnAName" }, { "ColumnBName", NULL }, { "ResultColumnName", NULL },
	};
	for (int c = 0; c < check_fns[k].ncols; c++) {
		const char *name = json_string_value(json_object_get(j, keys[c][0]));
		if (!name && keys[c][1])
			name = json_string_value(json_object_get(j, keys[c][1]));
		if (!name)
			return -1;
		n->col[c] = model_col(m, name);
		if (r)
			rule_add_col(r, n->col[c]);
	}
	if (n->op == OP_VALUE || n->op == OP_NOT_VALUE || n->op == OP_GE) {
		json_t *v = json_object_get(j, "Value");
		char buf[64];
		if (!v || json_is_null(v)) {
			if (n->op == OP_GE)
				return -1;
			n->null_value = 1;
		} else if (json_is_string(v)) {
			n->value = xstrdup(json_string_value(v));
		} else if (json_is_integer(v)) {
			snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
			n->value = xstrdup(buf);
			n->has_num = 1;
		} else {
			return -1;
		}
		if (n->value) {
			n->vlen = strlen(n->value);
			if (n->op == OP_GE)
				n->has_num = 1;
			if (n->has_num && money_parse(n->value, n->vlen, &n->num, NULL) != 0)
				return -1;
		}
	}
	return 0;
}

static enum vseverity keyword_severity(const char *kw)
{
	return strncmp(kw, "MUST", 4) == 0 ? VSEV_ERROR : VSEV_WARNING;
}

/* Apply aicost's corrections (model-1.2-patches.json) to the raw model JSON. */
static int apply_patches(json_t *rules, const char *path, json_t **sev_over)
{
	json_error_t je;
	json_t *p = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!p)
		return error("%s:%d:%d: %s", path, je.line, je.column, je.text);
	json_t *patches = json_object_get(p, "Patches");
	const char *id;
	json_t *fix;
	*sev_over = json_object();
	json_object_foreach(patches, id, fix) {
		json_t *rule = json_object_get(rules, id);
		if (!rule) {
			json_decref(p);
			return error("%s: patch for unknown rule %s", path, id);
		}
		json_t *vc = json_object_get(rule, "ValidationCriteria");
		json_t *v;
		if ((v = json_object_get(fix, "Requirement")))
			json_object_set(vc, "Requirement", v);
		if ((v = json_object_get(fix, "Condition")))
			json_object_set(vc, "Condition", v);
		if ((v = json_object_get(fix, "Type")))
			json_object_set(rule, "Type", v);
		if ((v = json_object_get(fix, "Severity")))
			json_object_set(*sev_over, id, v);
	}
	json_decref(p);
	return 0;
}

static int load_currencies(struct vmodel *m, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	if (!f)
		return error("%s: cannot open", path);
	size_t cap = 0;
	while (fgets(line, sizeof line, f)) {
		/* Rows look like "12,USD"; the header ",currency_codes" has no code. */
		char *c = strchr(line, ',');
		if (!c)
			continue;
		c++;
		size_t n = strcspn(c, "\r\n");
		if (n != 3 || !isupper((unsigned char)c[0]) || !isupper((unsigned char)c[1]) ||
		    !isupper((unsigned char)c[2]))
			continue;
		if (m->ncur == cap) {
			cap = cap ? cap * 2 : 256;
			m->cur = xrealloc(m->cur, cap * sizeof *m->cur);
		}
		memcpy(m->cur[m->ncur], c, 3);
		m->cur[m->ncur++][3] = '\0';
	}
	fclose(f);
	return 0;
}

static int find_rule(const struct vmodel *m, const char *id)
{
	for (size_t i = 0; i < m->nrules; i++)
		if (strcmp(m->rules[i].id, id) == 0)
			return (int)i;
	return -1;
}

static int node_has(const struct vnode *n, enum vop op)
{
	if (n->op == op)
		return 1;
	for (size_t i = 0; i < n->nkids; i++)
		if (node_has(&n->kids[i], op))
			return 1;
	return 0;
}

/* Link composites to the rules they include, preferring the innermost. */
static void link_parents(struct vmodel *m, const struct vnode *n, int self)
{
	if (n->op == OP_RULE) {
		int c = find_rule(m, n->rule_ref);
		if (c < 0 || c == self)
			return;
		struct vrule *child = &m->rules[c];
		/* Two parents happen: X-C-000 (the column) and a nested group; the
		 * nested one carries the Condition that matters. */
		if (child->parent < 0 || strstr(m->rules[child->parent].id, "-000-"))
			child->parent = self;
		return;
	}
	for (size_t i = 0; i < n->nkids; i++)
		link_parents(m, &n->kids[i], self);
}

int vmodel_load(const char *path, const char *patches_path, struct vmodel **out)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je), *sev_over = NULL;
	struct vmodel *m = NULL;
	int rc = -1;

	*out = NULL;
	if (!root)
		return error("%s:%d:%d: %s", path, je.line, je.column, je.text);
	json_t *rules = json_object_get(root, "ModelRules");
	if (!json_is_object(rules)) {
		error("%s: no ModelRules object", path);
		goto out;
	}
	if (patches_path && apply_patches(rules, patches_path, &sev_over) < 0)
		goto out;

	m = xcalloc(1, sizeof *m);
	m->rules = xcalloc(json_object_size(rules), sizeof *m->rules);
	const char *id;
	json_t *jr;
	json_object_foreach(rules, id, jr) {
		struct vrule *r = &m->rules[m->nrules++];
		json_t *vc = json_object_get(jr, "ValidationCriteria");
		const char *s;
		r->id = xstrdup(id);
		r->parent = -1;
		r->ref_col = -1;
		s = json_string_value(json_object_get(jr, "Reference"));
		r->reference = xstrdup(s ? s : "");
		s = json_string_value(json_object_get(vc, "MustSatisfy"));
		r->text = xstrdup(s ? s : "");
		s = json_string_value(json_object_get(vc, "Keyword"));
		s = s ? s : "MUST";
		r->sev = keyword_severity(s);
		json_t *so = sev_over ? json_object_get(sev_over, id) : NULL;
		if (so && json_string_value(so))
			r->sev = strcmp(json_string_value(so), "error") == 0 ? VSEV_ERROR : VSEV_WARNING;
		const char *ent = json_string_value(json_object_get(jr, "EntityType"));
		r->dataset = ent && strcmp(ent, "Dataset") == 0;
		r->applicability = json_array_size(json_object_get(jr, "ApplicabilityCriteria")) > 0;
		const char *fn = json_string_value(json_object_get(jr, "Function"));
		const char *type = json_string_value(json_object_get(jr, "Type"));
		if (compile(m, json_object_get(vc, "Requirement"), &r->req, r) < 0 ||
		    compile(m, json_object_get(vc, "Condition"), &r->cond, NULL) < 0) {
			node_release(&r->req);
			node_release(&r->cond);
			r->req.op = r->cond.op = OP_TRUE;
			r->skip = SKIP_UNKNOWN;
		}
		if (fn && strcmp(fn, "Composite") == 0)
			r->skip = SKIP_COMPOSITE;
		else if (type && strcmp(type, "Dynamic") == 0)
			r->skip = SKIP_DYNAMIC;
		else if (strcmp(s, "MAY") == 0)
			r->skip = SKIP_MAY;
		else if (!r->skip && node_has(&r->req, OP_DATASET))
			r->skip = SKIP_DATASET;
		else if (!r->skip && r->req.op == OP_TRUE)
			r->skip = SKIP_DYNAMIC;
		if (*r->reference && strcmp(r->reference, "CostAndUsage") != 0)
			r->ref_col = model_col(m, r->reference);
		if (strcmp(id, "ColumnHandling-A-010-M") == 0)
			m->text_custom_prefix = r->text;
		else if (strcmp(id, "ColumnHandling-A-001-M") == 0)
			m->text_pascal = r->text;
	}
	for (size_t i = 0; i < m->nrules; i++)
		if (m->rules[i].skip == SKIP_COMPOSITE)
			link_parents(m, &m->rules[i].req, (int)i);
	rc = 0;
out:
	json_decref(sev_over);
	json_decref(root);
	if (rc < 0) {
		vmodel_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

int vmodel_load_default(struct vmodel **out)
{
	char model[4096], patches[4096], cur[4096];
	*out = NULL;
	if (datadir_path("focus/rules/model-1.2.json", model, sizeof model) < 0 ||
	    datadir_path("focus/rules/model-1.2-patches.json", patches, sizeof patches) < 0 ||
	    datadir_path("focus/rules/currency_codes.csv", cur, sizeof cur) < 0)
		return -1;
	if (vmodel_load(model, patches, out) < 0)
		return -1;
	if (load_currencies(*out, cur) < 0) {
		vmodel_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

void vmodel_free(struct vmodel *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nrules; i++) {
		struct vrule *r = &m->rules[i];
		free(r->id);
		free(r->reference);
		free(r->text);
		free(r->cols);
		node_release(&r->req);
		node_release(&r->cond);
	}
	free(m->rules);
	for (size_t i = 0; i < m->ncols; i++)
		free(m->cols[i]);
	free(m->cols);
	free(m->cur);
	free(m);
}

size_t vmodel_rule_count(const struct vmodel *m, size_t *checkable)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nrules; i++)
		n += m->rules[i].skip == SKIP_NONE;
	if (checkable)
		*checkable = n;
	return m->nrules;
}

/* ------------------------------------------------------- version, columns */

/* Version a column name belongs to: "0" for unknown names (never gated). */
static const char *col_since(const char *name, size_t n)
{
	int how, id = focus_col_lookup(name, n, &how);
	if (id < 0)
		return "0";
	/* Deprecated names (ProviderName) predate the column that replaced them. */
	if (how == 1)
		return "1.0";
	return focus_columns[id].since;
}

const char *validate_detect_version(const char *const *names, const size_t *lens, size_t n)
{
	const char *v = "1.0";
	for (size_t i = 0; i < n; i++) {
		int how, id = focus_col_lookup(names[i], lens[i], &how);
		if (id < 0 || how == 1)
			continue;
		if (strcmp(focus_columns[id].since, v) > 0)
			v = focus_columns[id].since;
	}
	return v;
}

/* ---------------------------------------------------------- per-file state */

/* aicost's own checks, reported beside the model's. */
enum own_rule {
	OWN_CSV_EMPTY, OWN_CSV_SYNTAX, OWN_CSV_FIELDS, OWN_DUP_COLUMN,
	OWN_CUSTOM_PREFIX, OWN_PASCAL, OWN_DEPRECATED, OWN_NULL_TOKEN,
	OWN__COUNT
};

static const struct {
	const char *id;
	enum vseverity sev;
	const char *text;
} own_rules[OWN__COUNT] = {
	[OWN_CSV_EMPTY] = { "AICOST-CSV-EMPTY", VSEV_ERROR,
		"A FOCUS CSV file MUST start with a header row naming its columns." },
	[OWN_CSV_SYNTAX] = { "AICOST-CSV-SYNTAX", VSEV_ERROR,
		"The file MUST be RFC 4180 CSV; reading stopped at this point." },
	[OWN_CSV_FIELDS] = { "AICOST-CSV-FIELDS", VSEV_ERROR,
		"Every record MUST have as many fields as the header has columns." },
	[OWN_DUP_COLUMN] = { "AICOST-DUPLICATE-COLUMN", VSEV_ERROR,
		"Each column MUST appear once; only the first of duplicate columns is checked." },
	[OWN_CUSTOM_PREFIX] = { "ColumnHandling-A-010-M", VSEV_ERROR,
		"Custom columns MUST be prefixed with a consistent x_ prefix to identify them as external, custom columns and distinguish them from FOCUS columns to avoid conflicts in future releases." },
	[OWN_PASCAL] = { "ColumnHandling-A-001-M", VSEV_ERROR,
		"Column IDs MUST use Pascal case." },
	[OWN_DEPRECATED] = { "AICOST-DEPRECATED-COLUMN", VSEV_WARNING,
		"FOCUS 1.3 deprecates ProviderName (use ServiceProviderName) and PublisherName (use ServiceProviderName and HostProviderName); 1.3 datasets SHOULD NOT rely on them." },
	[OWN_NULL_TOKEN] = { "AICOST-NULL-TOKEN", VSEV_WARNING,
		"Null SHOULD be an empty cell. aicost reads the text NULL as null, but other FOCUS tools read it as the string \"NULL\"." },
};

struct slot {
	int header;             /* counts header columns, not rows */
	uint64_t count, cells;
	uint64_t last_row;      /* row that last counted, to count rows not cells */
	size_t nex;
	struct vexample *ex;
};

struct vfile {
	const struct vmodel *m;
	const struct validate_opts *o;
	struct validate_result *res;
	const char *name;
	struct csv_reader *r;
	char **hdr;             /* header names */
	size_t nhdr;
	int *map;               /* model column -> field index, -1 absent */
	int *active;            /* rule indices evaluated per row */
	size_t nactive;
	struct slot *slots;     /* per model rule */
	struct slot own[OWN__COUNT];
	uint64_t row;           /* 1-based data row number */
};

static void slot_add(struct vfile *f, struct slot *s, uint64_t line, uint32_t col,
		     const char *column, const char *val, size_t vn, const char *hint)
{
	s->cells++;
	if (f->row == 0)
		s->header = 1;
	if (s->last_row != f->row || f->row == 0) {
		s->count++;
		s->last_row = f->row;
	}
	if (s->nex >= f->o->max_examples)
		return;
	if (!s->ex)
		s->ex = xcalloc(f->o->max_examples, sizeof *s->ex);
	struct vexample *e = &s->ex[s->nex++];
	e->line = line;
	e->col = col;
	e->column = xstrdup(column ? column : "");
	e->value = xstrndup(val ? val : "", vn > VALIDATE_MAX_VALUE ? VALIDATE_MAX_VALUE : vn);
	e->hint = hint ? xstrdup(hint) : NULL;
}

static void slot_release(struct slot *s)
{
	for (size_t i = 0; i < s->nex; i++) {
		free(s->ex[i].column);
		free(s->ex[i].value);
		free(s->ex[i].hint);
	}
	free(s->ex);
}

/* A cell of the current record for a model column; NULL when absent. */
static const char *cell(const struct vfile *f, int mcol, size_t *n, int *field)
{
	int i = mcol >= 0 ? f->map[mcol] : -1;
	if (field)
		*field = i;
	if (i < 0 || (size_t)i >= f->r->nfields) {
		*n = 0;
		return NULL;
	}
	*n = f->r->fields[i].n;
	return f->r->fields[i].p;
}

/* ------------------------------------------------------------ value checks */

/*
 * NumericFormat (FOCUS attribute): an integer, decimal or E-notation number,
 * no thousands separators, no '+' on the value or on the exponent, no blanks.
 */
static int numeric_format(const char *p, size_t n)
{
	money_t v;
	unsigned flags = 0;
	if (money_parse(p, n, &v, &flags) == -1 || (flags & MONEY_SPACES))
		return 0;
	if (n && p[0] == '+')
		return 0;
	for (size_t i = 0; i + 1 < n; i++)
		if ((p[i] == 'e' || p[i] == 'E') && p[i + 1] == '+')
			return 0;
	return 1;
}

/*
 * UnitFormat is a SHOULD with a long list of forms ("GB-Hours", "1000
 * Requests", "Requests/Second"); this is a loose shape check: printable
 * words of letters, digits and . - / ( ) separated by single spaces.
 */
static int unit_format(const char *p, size_t n)
{
	if (!n || p[0] == ' ' || p[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == ' ' && i + 1 < n && p[i + 1] == ' ')
			return 0;
		if (!(isalnum(c) || c >= 0x80 || strchr(" .-/()", c)))
			return 0;
	}
	return 1;
}

static int is_currency(const struct vmodel *m, const char *p, size_t n)
{
	if (n != 3)
		return 0;
	for (size_t i = 0; i < m->ncur; i++)
		if (memcmp(m->cur[i], p, 3) == 0)
			return 1;
	return 0;
}

/* CurrencyFormat: ISO 4217 for national currencies; virtual ones are free text. */
static int currency_format(const struct vmodel *m, const char *p, size_t n)
{
	if (n == 3 && isalpha((unsigned char)p[0]) && isalpha((unsigned char)p[1]) &&
	    isalpha((unsigned char)p[2]))
		return is_currency(m, p, n);
	return n > 0 && p[0] != ' ' && p[n - 1] != ' ';
}

/* KeyValueFormat: a JSON object, unique keys, scalar values. */
static int keyvalue_format(const char *p, size_t n)
{
	json_error_t je;
	json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
	int ok = json_is_object(j);
	const char *k;
	json_t *v;
	if (ok)
		json_object_foreach(j, k, v)
			if (json_is_object(v) || json_is_array(v))
				ok = 0;
	json_decref(j);
	return ok;
}

/* One unit in the last written digit of a plain decimal (1e-18 with an exponent). */
static money_t last_digit(const char *p, size_t n)
{
	int d = 0;
	const char *dot = memchr(p, '.', n);
	if (memchr(p, 'e', n) || memchr(p, 'E', n))
		d = MONEY_DIGITS;
	else if (dot)
		for (const char *q = dot + 1; q < p + n && isdigit((unsigned char)*q); q++)
			d++;
	money_t u = 1;
	for (int i = d; i < MONEY_DIGITS; i++)
		u *= 10;
	return u;
}

static money_t mabs(money_t v)
{
	return v < 0 ? -v : v;
}

/*
 * A x B = R, where R may be rounded to the precision it is written with
 * (half a unit in its last digit) plus 1e-10: providers pad costs with
 * zeros beyond the precision they computed with (AWS writes 11 decimals of
 * a cost rounded to 10). Returns 1 (holds, or a value is null or not a
 * number), 0 (fails; *prod is the exact product).
 */
static int product_check(const struct vfile *f, const struct vnode *n, money_t *prod)
{
	size_t la, lb, lr;
	const char *a = cell(f, n->col[0], &la, NULL), *b = cell(f, n->col[1], &lb, NULL);
	const char *r = cell(f, n->col[2], &lr, NULL);
	money_t va, vb, vr, p;
	if (!a || !b || !r || focus_is_null(a, la) || focus_is_null(b, lb) || focus_is_null(r, lr))
		return 1;
	if (money_parse(a, la, &va, NULL) || money_parse(b, lb, &vb, NULL) ||
	    money_parse(r, lr, &vr, NULL))
		return 1;
	if (money_muldiv(va, vb, MONEY_ONE, &p) < 0)
		return 1;
	*prod = p;
	return mabs(p - vr) <= last_digit(r, lr) / 2 + MONEY_ONE / 10000000000;
}

/*
 * Three-valued, like the reference validator's SQL: comparing a null cell
 * with a value is UNKNOWN, not false. A requirement fails only when it is
 * FALSE (so "MUST be one of the allowed values" holds on null, nullability
 * is the null rules' business); a condition selects a row only when TRUE.
 * CheckNotValue on a null cell is TRUE (null is not "Correction"), which is
 * what the rule texts mean, e.g. "when ChargeClass is not Correction".
 */
enum { V_FALSE = 0, V_TRUE = 1, V_UNKNOWN = 2 };

static int eval(const struct vfile *f, const struct vnode *n)
{
	size_t len, len2;
	const char *p, *q;
	money_t v;
	int64_t ep;
	int nonstrict, unknown = 0;

	switch (n->op) {
	case OP_TRUE:
	case OP_PRESENT:
	case OP_DATASET:
	case OP_RULE:
	case OP_TYPE_STRING:
		return V_TRUE;
	case OP_AND:
		for (size_t i = 0; i < n->nkids; i++) {
			int k = eval(f, &n->kids[i]);
			if (k == V_FALSE)
				return V_FALSE;
			unknown |= k == V_UNKNOWN;
		}
		return unknown ? V_UNKNOWN : V_TRUE;
	case OP_OR:
		for (size_t i = 0; i < n->nkids; i++) {
			int k = eval(f, &n->kids[i]);
			if (k == V_TRUE)
				return V_TRUE;
			unknown |= k == V_UNKNOWN;
		}
		return unknown ? V_UNKNOWN : V_FALSE;
	case OP_VALUE:
	case OP_NOT_VALUE: {
		p = cell(f, n->col[0], &len, NULL);
		int isnull = !p || focus_is_null(p, len), eq;
		if (n->null_value)
			eq = isnull;
		else if (isnull)
			return n->op == OP_VALUE ? V_UNKNOWN : V_TRUE;
		else if (n->has_num)
			eq = money_parse(p, len, &v, NULL) == 0 && v == n->num;
		else
			eq = len == n->vlen && memcmp(p, n->value, len) == 0;
		return n->op == OP_VALUE ? eq : !eq;
	}
	case OP_SAME:
	case OP_NOT_SAME: {
		p = cell(f, n->col[0], &len, NULL);
		q = cell(f, n->col[1], &len2, NULL);
		if (!p || !q || focus_is_null(p, len) || focus_is_null(q, len2))
			return V_UNKNOWN;
		int eq = len == len2 && memcmp(p, q, len) == 0;
		return n->op == OP_SAME ? eq : !eq;
	}
	default:
		break;
	}

	/* The rest check one column's format and hold on null. */
	p = cell(f, n->col[0], &len, NULL);
	if (!p || focus_is_null(p, len))
		return V_TRUE;
	switch (n->op) {
	case OP_DECIMAL:
		return money_parse(p, len, &v, NULL) != -1;
	case OP_GE:
		if (money_parse(p, len, &v, NULL) != 0)
			return V_TRUE;  /* not a number: the type rule reports it */
		return v >= n->num;
	case OP_TYPE_DATETIME:
		return focus_parse_datetime(p, len, &ep, &nonstrict) == 0;
	case OP_FMT_DATETIME:
		/* Unreadable values fail the TypeDateTime rule; this one reports
		 * readable values that are not exactly YYYY-MM-DDTHH:mm:ssZ. */
		if (focus_parse_datetime(p, len, &ep, &nonstrict) != 0)
			return V_TRUE;
		return !nonstrict;
	case OP_FMT_STRING:
		return utf8_valid((const unsigned char *)p, len);
	case OP_FMT_NUMERIC:
		return numeric_format(p, len);
	case OP_FMT_UNIT:
		return unit_format(p, len);
	case OP_FMT_CURRENCY:
		return currency_format(f->m, p, len);
	case OP_NATIONAL_CURRENCY:
		return is_currency(f->m, p, len);
	case OP_FMT_KEYVALUE:
		return keyvalue_format(p, len);
	case OP_PRODUCT: {
		money_t prod;
		return product_check(f, n, &prod);
	}
	default:
		return V_TRUE;
	}
}

/* Conditions of a rule and of every composite above it. */
static int applies(const struct vfile *f, const struct vrule *r)
{
	for (;;) {
		if (eval(f, &r->cond) != V_TRUE)
			return 0;
		if (r->parent < 0)
			return 1;
		r = &f->m->rules[r->parent];
	}
}

/*
 * A hint for a failed allowed-values rule (an OR of CheckValue on one
 * column) when the value matches an allowed one but for case or blanks.
 */
static int allowed_hint(const struct vnode *req, const char *p, size_t n, char *out, size_t on)
{
	if (req->op != OP_OR)
		return 0;
	while (n && p[0] == ' ')
		p++, n--;
	while (n && p[n - 1] == ' ')
		n--;
	for (size_t i = 0; i < req->nkids; i++) {
		const struct vnode *k = &req->kids[i];
		if (k->op != OP_VALUE || !k->value || k->vlen != n)
			continue;
		if (strncasecmp(k->value, p, n) == 0) {
			snprintf(out, on, "did you mean \"%s\"?", k->value);
			return 1;
		}
	}
	return 0;
}

static void fail_rule(struct vfile *f, int ri)
{
	const struct vrule *r = &f->m->rules[ri];
	int mcol = r->ref_col >= 0 && f->map[r->ref_col] >= 0 ? r->ref_col
		 : r->ncols ? r->cols[0] : -1;
	int field;
	size_t len;
	const char *p = cell(f, mcol, &len, &field);
	char hint[192];
	const char *h = NULL;

	if (p && allowed_hint(&r->req, p, len, hint, sizeof hint))
		h = hint;
	if (r->req.op == OP_PRODUCT) {
		money_t prod = 0;
		char buf[MONEY_BUFSZ];
		product_check(f, &r->req, &prod);
		money_str(prod, buf);
		snprintf(hint, sizeof hint, "%s x %s = %s", f->m->cols[r->req.col[0]],
			 f->m->cols[r->req.col[1]], buf);
		h = hint;
		mcol = r->req.col[2];
		p = cell(f, mcol, &len, &field);
	}
	if (field >= 0 && (size_t)field < f->r->nfields)
		slot_add(f, &f->slots[ri], csv_field_line(f->r, (size_t)field),
			 f->r->fields[field].col, f->hdr[field], p, len, h);
	else
		slot_add(f, &f->slots[ri], f->r->line, 0, mcol >= 0 ? f->m->cols[mcol] : "", "", 0, h);
}

/* ------------------------------------------------------------- the header */

/* Model column -> file field, matching through the FOCUS catalog so that
 * deprecated names and their replacements are the same column. */
static void map_columns(struct vfile *f)
{
	const struct vmodel *m = f->m;
	f->map = xcalloc(m->ncols ? m->ncols : 1, sizeof *f->map);
	for (size_t c = 0; c < m->ncols; c++) {
		int how, id = focus_col_lookup(m->cols[c], strlen(m->cols[c]), &how);
		f->map[c] = -1;
		for (size_t i = 0; i < f->nhdr; i++) {
			size_t hn = strlen(f->hdr[i]);
			int hhow, hid = focus_col_lookup(f->hdr[i], hn, &hhow);
			if ((id >= 0 && hid == id && !(hhow == 1 && hid != FC_SERVICE_PROVIDER_NAME)) ||
			    strcmp(m->cols[c], f->hdr[i]) == 0) {
				f->map[c] = (int)i;
				break;
			}
		}
	}
}

static int rule_applies_to_file(const struct vfile *f, const struct vrule *r)
{
	const char *ver = f->res->version;
	if (r->skip != SKIP_NONE)
		return 0;
	/* "MUST NOT be null when the provider supports naming accounts": the
	 * provider's capabilities are not in the data. */
	if (r->applicability)
		return 0;
	/* 1.3 deprecated PublisherName: a 1.3 dataset need not have it. */
	if (r->req.op == OP_PRESENT && strcmp(ver, "1.3") >= 0 &&
	    strcmp(f->m->cols[r->req.col[0]], "PublisherName") == 0)
		return 0;
	if (r->ref_col >= 0) {
		const char *nm = f->m->cols[r->ref_col];
		if (strcmp(col_since(nm, strlen(nm)), ver) > 0)
			return 0;
	}
	for (int i = 0; i < r->ncols; i++) {
		const char *nm = f->m->cols[r->cols[i]];
		if (strcmp(col_since(nm, strlen(nm)), ver) > 0)
			return 0;
		/* Absent columns are the presence rules' business. */
		if (r->req.op != OP_PRESENT && f->map[r->cols[i]] < 0)
			return 0;
	}
	return 1;
}

static void own_add(struct vfile *f, enum own_rule o, uint64_t line, uint32_t col,
		    const char *column, const char *val, size_t vn, const char *hint)
{
	slot_add(f, &f->own[o], line, col, column, val, vn, hint);
}

static void check_header(struct vfile *f)
{
	const struct csv_reader *r = f->r;
	for (size_t i = 0; i < f->nhdr; i++) {
		const char *h = f->hdr[i];
		size_t hn = strlen(h);
		uint64_t line = csv_field_line(r, i);
		uint32_t col = r->fields[i].col;
		int how, id = focus_col_lookup(h, hn, &how);
		char hint[160];

		for (size_t k = 0; k < i; k++)
			if (strcmp(f->hdr[k], h) == 0) {
				own_add(f, OWN_DUP_COLUMN, line, col, h, h, hn, NULL);
				break;
			}
		if (id >= 0 && how == 2) {
			snprintf(hint, sizeof hint, "the FOCUS column is \"%s\"", focus_columns[id].name);
			own_add(f, OWN_PASCAL, line, col, h, h, hn, hint);
		} else if ((id >= 0 && how == 1 && id == FC_SERVICE_PROVIDER_NAME) ||
			   (id == FC_PUBLISHER_NAME && how == 0)) {
			if (strcmp(f->res->version, "1.3") >= 0)
				own_add(f, OWN_DEPRECATED, line, col, h, h, hn, NULL);
		} else if ((id < 0 || how == 1) && strncmp(h, "x_", 2) != 0) {
			snprintf(hint, sizeof hint, "rename to x_%s", h);
			own_add(f, OWN_CUSTOM_PREFIX, line, col, h, h, hn, hint);
		}
	}
	/* Presence rules are decided once, from the header. */
	for (size_t ri = 0; ri < f->m->nrules; ri++) {
		const struct vrule *rl = &f->m->rules[ri];
		/* Includes "present when the provider supports X": skipped. */
		if (rl->req.op != OP_PRESENT || !rule_applies_to_file(f, rl))
			continue;
		f->res->rules_checked++;
		if (f->map[rl->req.col[0]] < 0)
			slot_add(f, &f->slots[ri], r->line, 0, f->m->cols[rl->req.col[0]], "", 0,
				 "column missing");
	}
}

/* ------------------------------------------------------------- the result */

static int finding_cmp(const void *a, const void *b)
{
	const struct vfinding *x = a, *y = b;
	if (x->severity != y->severity)
		return x->severity < y->severity ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->rule, y->rule);
}

static void emit_finding(struct validate_result *res, struct slot *s, const char *id,
			 enum vseverity sev, const char *column, const char *text)
{
	if (!s->count)
		return;
	struct vfinding *fd = &res->findings[res->nfindings++];
	fd->rule = xstrdup(id);
	fd->severity = sev;
	fd->column = column && *column ? xstrdup(column) : NULL;
	fd->requirement = xstrdup(text);
	fd->count = s->count;
	fd->unit = s->header ? "column" : "row";
	fd->cells = s->cells;
	fd->nexamples = s->nex;
	fd->examples = s->ex;
	s->ex = NULL;
	s->nex = 0;
	if (sev == VSEV_ERROR) {
		res->errors += s->count;
		res->error_rules++;
	} else {
		res->warnings += s->count;
		res->warning_rules++;
	}
}

static void build_result(struct vfile *f)
{
	struct validate_result *res = f->res;
	const struct vmodel *m = f->m;
	res->findings = xcalloc(m->nrules + OWN__COUNT, sizeof *res->findings);
	for (size_t i = 0; i < OWN__COUNT; i++) {
		const char *text = own_rules[i].text;
		if (i == OWN_CUSTOM_PREFIX && m->text_custom_prefix)
			text = m->text_custom_prefix;
		if (i == OWN_PASCAL && m->text_pascal)
			text = m->text_pascal;
		emit_finding(res, &f->own[i], own_rules[i].id, own_rules[i].sev, NULL, text);
	}
	for (size_t i = 0; i < m->nrules; i++) {
		const struct vrule *r = &m->rules[i];
		emit_finding(res, &f->slots[i], r->id, r->sev, r->reference, r->text);
	}
	qsort(res->findings, res->nfindings, sizeof *res->findings, finding_cmp);
}

const struct vfinding *validate_find(const struct validate_result *res, const char *rule)
{
	for (size_t i = 0; i < res->nfindings; i++)
		if (strcmp(res->findings[i].rule, rule) == 0)
			return &res->findings[i];
	return NULL;
}

void validate_result_release(struct validate_result *res)
{
	for (size_t i = 0; i < res->nfindings; i++) {
		struct vfinding *fd = &res->findings[i];
		struct slot s = { .nex = fd->nexamples, .ex = fd->examples };
		slot_release(&s);
		free((char *)fd->rule);
		free((char *)fd->column);
		free((char *)fd->requirement);
	}
	free(res->findings);
	free(res->file);
	memset(res, 0, sizeof *res);
}

/* --------------------------------------------------------------- the rows */

static void check_row(struct vfile *f)
{
	const struct csv_reader *r = f->r;
	if (r->nfields != f->nhdr) {
		char what[64];
		snprintf(what, sizeof what, "%zu fields, header has %zu", r->nfields, f->nhdr);
		own_add(f, OWN_CSV_FIELDS, r->line, 0, "", what, strlen(what), NULL);
	}
	for (size_t i = 0; i < r->nfields && i < f->nhdr; i++) {
		const struct csv_field *c = &r->fields[i];
		if (c->n && focus_is_null(c->p, c->n))
			own_add(f, OWN_NULL_TOKEN, csv_field_line(r, i), c->col, f->hdr[i], c->p, c->n,
				NULL);
	}
	for (size_t k = 0; k < f->nactive; k++) {
		int ri = f->active[k];
		const struct vrule *rl = &f->m->rules[ri];
		if (applies(f, rl) && eval(f, &rl->req) == V_FALSE)
			fail_rule(f, ri);
	}
}

int validate_stream(const struct vmodel *m, const char *name, csv_read_fn read, void *ctx,
		    const struct validate_opts *opts, struct validate_result *res)
{
	struct validate_opts defo = { .max_examples = 3 };
	struct csv_reader r;
	struct vfile f = { .m = m, .o = opts ? opts : &defo, .res = res, .name = name, .r = &r };
	int rc = 0, got;

	memset(res, 0, sizeof *res);
	res->file = xstrdup(name);
	snprintf(res->version, sizeof res->version, "1.0");
	f.slots = xcalloc(m->nrules ? m->nrules : 1, sizeof *f.slots);
	csv_init(&r, read, ctx);

	/* The header: the first record that is not a blank line. */
	while ((got = csv_next(&r)) == 1 && r.nfields == 1 && r.fields[0].n == 0)
		;
	if (got == 0) {
		f.row = 1;
		own_add(&f, OWN_CSV_EMPTY, 1, 0, "", "", 0, NULL);
		goto done;
	}
	if (got < 0)
		goto csv_error;
	f.nhdr = r.nfields;
	f.hdr = xcalloc(f.nhdr, sizeof *f.hdr);
	{
		size_t *lens = xcalloc(f.nhdr, sizeof *lens);
		for (size_t i = 0; i < f.nhdr; i++) {
			f.hdr[i] = xstrndup(r.fields[i].p, r.fields[i].n);
			lens[i] = strlen(f.hdr[i]);
		}
		snprintf(res->version, sizeof res->version, "%s",
			 validate_detect_version((const char *const *)f.hdr, lens, f.nhdr));
		free(lens);
	}
	map_columns(&f);
	check_header(&f);
	f.active = xcalloc(m->nrules ? m->nrules : 1, sizeof *f.active);
	for (size_t i = 0; i < m->nrules; i++)
		if (m->rules[i].req.op != OP_PRESENT && rule_applies_to_file(&f, &m->rules[i]))
			f.active[f.nactive++] = (int)i;
	res->rules_checked += f.nactive;

	while ((got = csv_next(&r)) == 1) {
		if (r.nfields == 1 && r.fields[0].n == 0)
			continue;
		if (f.o->max_rows && res->rows >= f.o->max_rows) {
			res->truncated = 1;
			break;
		}
		res->rows++;
		f.row = res->rows;
		check_row(&f);
	}
	if (got < 0)
		goto csv_error;
	goto done;

csv_error:
	/* A read error was reported by the source; bad CSV is a finding. */
	if (strcmp(r.err, "read error") == 0) {
		rc = -1;
	} else {
		f.row = res->rows + 1;
		own_add(&f, OWN_CSV_SYNTAX, r.err_line, r.err_col, "", r.err, strlen(r.err), NULL);
	}
done:
	build_result(&f);
	for (size_t i = 0; i < m->nrules; i++)
		slot_release(&f.slots[i]);
	for (size_t i = 0; i < OWN__COUNT; i++)
		slot_release(&f.own[i]);
	for (size_t i = 0; i < f.nhdr; i++)
		free(f.hdr[i]);
	free(f.hdr);
	free(f.slots);
	free(f.map);
	free(f.active);
	csv_release(&r);
	return rc;
}

int validate_file(const struct vmodel *m, const char *path, const struct validate_opts *opts,
		  struct validate_result *res)
{
	struct input *in = input_open(path);
	if (!in) {
		memset(res, 0, sizeof *res);
		return -1;
	}
	int rc = validate_stream(m, strcmp(path, "-") == 0 ? "<stdin>" : path, input_read, in,
				 opts, res);
	input_close(in);
	return rc;
}
