/*
 * llm_usage.c - content detection of LLM usage files and the helpers the
 * three parsers share (records, rejections, counts, tags); see llm_usage.h.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "formats/llm_usage.h"
#include "util/err.h"

const char *const llm_format_name[3] = { "openai-usage", "anthropic-usage", "jsonl" };

struct llm_record *llm_add(struct llm_file *f)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->r = xrealloc(f->r, f->cap * sizeof *f->r);
	}
	struct llm_record *r = &f->r[f->n++];
	memset(r, 0, sizeof *r);
	r->u.long_context = -1;
	return r;
}

void llm_reject_add(struct llm_file *f, uint64_t line, uint32_t col, const char *fmt, ...)
{
	if (f->nrej == f->rejcap) {
		f->rejcap = f->rejcap ? f->rejcap * 2 : 16;
		f->rej = xrealloc(f->rej, f->rejcap * sizeof *f->rej);
	}
	struct llm_reject *j = &f->rej[f->nrej++];
	va_list ap;
	j->line = line;
	j->col = col;
	va_start(ap, fmt);
	vsnprintf(j->why, sizeof j->why, fmt, ap);
	va_end(ap);
}

void llm_file_release(struct llm_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->r[i].provider);
		free(f->r[i].model);
		free(f->r[i].sub_account);
		free(f->r[i].tags);
	}
	free(f->r);
	free(f->rej);
	memset(f, 0, sizeof *f);
}

int llm_json_count(json_t *o, const char *key, uint64_t *v)
{
	json_t *x = json_object_get(o, key);
	if (!x || json_is_null(x))
		return 0;
	if (!json_is_integer(x) || json_integer_value(x) < 0)
		return -1;
	*v = (uint64_t)json_integer_value(x);
	return 1;
}

static char *value_text(json_t *x)
{
	char num[64];
	if (json_is_string(x))
		return xstrndup(json_string_value(x), json_string_length(x));
	if (json_is_integer(x)) {
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(x));
		return xstrdup(num);
	}
	if (json_is_true(x))
		return xstrdup("true");
	if (json_is_false(x))
		return xstrdup("false");
	return NULL;
}

char *llm_json_strdup(json_t *o, const char *key)
{
	json_t *x = json_object_get(o, key);
	if (!x || json_is_null(x))
		return NULL;
	char *s = value_text(x);
	if (s && !*s) {
		free(s);
		return NULL;
	}
	return s;
}

char *llm_tags(json_t *o, const char *const *keys, const char *const *names, size_t nkeys, json_t *meta)
{
	json_t *t = json_object();
	size_t n = 0;
	for (size_t i = 0; i < nkeys; i++) {
		char *v = llm_json_strdup(o, keys[i]);
		if (v) {
			json_object_set_new(t, names[i], json_string(v));
			n++;
		}
		free(v);
	}
	if (json_is_object(meta)) {
		const char *k;
		json_t *x;
		json_object_foreach(meta, k, x) {
			char *v = value_text(x);
			/* Scalars only; nested objects are not tags. */
			json_t *js = v && *k && n < LLM_MAX_TAGS ? json_string(v) : NULL;
			if (js && json_object_set_new(t, k, js) == 0)
				n++;
			free(v);
		}
	}
	char *s = n ? json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(t);
	return s;
}

enum llm_tier llm_tier_parse(const char *s)
{
	if (!s)
		return LT_STANDARD;
	if (!strcasecmp(s, "batch"))
		return LT_BATCH;
	if (!strncasecmp(s, "priority", 8) || !strcasecmp(s, "scale"))
		return LT_PRIORITY;
	if (!strncasecmp(s, "flex", 4))
		return LT_FLEX;
	return LT_STANDARD;
}

/* Which JSON document is this: 1 OpenAI page(s), 2 Anthropic report, 0 unknown. */
static int detect_doc(json_t *root)
{
	json_t *page = json_is_array(root) ? json_array_get(root, 0) : root;
	json_t *data = json_object_get(page, "data");
	json_t *b = json_array_get(data, 0);
	if (json_object_get(page, "object") && json_is_string(json_object_get(page, "object")) &&
	    !strcmp(json_string_value(json_object_get(page, "object")), "page"))
		return 1;
	if (json_object_get(b, "start_time"))
		return 1;
	if (json_object_get(b, "starting_at"))
		return 2;
	if (json_is_array(data) && !json_array_size(data))
		return json_object_get(page, "has_more") ? 2 : 1;
	return 0;
}

/*
 * Line and column of every element of every "results" array, in document
 * order: the same order in which the page parsers number their results
 * (bucket-major), so ordinal k maps to a real position in the file.
 */
struct pos {
	uint64_t line;
	uint32_t col;
};

static struct pos *result_positions(const char *p, size_t n, size_t *count)
{
	struct pos *out = NULL;
	size_t no = 0, cap = 0;
	unsigned char stack[64];     /* per open container: 1 = a "results" array */
	int depth = 0, in_str = 0, key_results = 0, expect_value = 1;
	uint64_t line = 1;
	size_t line_start = 0, str_start = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '\n') {
			line++;
			line_start = i + 1;
		}
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"') {
				in_str = 0;
				/* A string followed by ':' is a key. */
				size_t j = i + 1;
				while (j < n && (p[j] == ' ' || p[j] == '\t' || p[j] == '\r' || p[j] == '\n'))
					j++;
				if (j < n && p[j] == ':')
					key_results = i - str_start == 7 && !memcmp(p + str_start, "results", 7);
			}
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ':')
			continue;
		if (c == ',') {
			expect_value = 1;
			continue;
		}
		if (c == ']' || c == '}') {
			if (depth > 0)
				depth--;
			expect_value = 0;
			continue;
		}
		/* The start of a value (or of a key). */
		if (expect_value && depth > 0 && depth <= (int)sizeof stack && stack[depth - 1] == 1) {
			if (no == cap) {
				cap = cap ? cap * 2 : 64;
				out = xrealloc(out, cap * sizeof *out);
			}
			out[no].line = line;
			out[no++].col = (uint32_t)(i - line_start + 1);
		}
		expect_value = 0;
		int kr = key_results;   /* this token is the value of a "results" key */
		key_results = 0;
		if (c == '"') {
			in_str = 1;
			str_start = i + 1;
		} else if (c == '{' || c == '[') {
			if (depth < (int)sizeof stack)
				stack[depth] = c == '[' && kr;
			depth++;
			expect_value = c == '[';
		}
	}
	*count = no;
	return out;
}

static void map_positions(struct llm_file *f, const char *buf, size_t n)
{
	size_t np;
	struct pos *ps = result_positions(buf, n, &np);
	for (size_t i = 0; i < f->n; i++)
		if (f->r[i].line >= 1 && f->r[i].line <= np) {
			f->r[i].col = ps[f->r[i].line - 1].col;
			f->r[i].line = ps[f->r[i].line - 1].line;
		}
	for (size_t i = 0; i < f->nrej; i++)
		if (f->rej[i].line >= 1 && f->rej[i].line <= np) {
			f->rej[i].col = ps[f->rej[i].line - 1].col;
			f->rej[i].line = ps[f->rej[i].line - 1].line;
		}
	free(ps);
}

static uint64_t count_lines(const char *p, size_t n)
{
	uint64_t l = 0;
	for (const char *q = p; (q = memchr(q, '\n', (size_t)(p + n - q))); q++)
		l++;
	return l;
}

int llm_is_request_record(json_t *o)
{
	return json_is_object(o) && !json_object_get(o, "data") &&
	       (json_object_get(o, "usage") || json_object_get(o, "ts") || json_object_get(o, "model"));
}

static size_t skip_blank(const char *buf, size_t n, size_t i)
{
	while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	return i;
}

int llm_parse(const char *buf, size_t n, const char *name, struct llm_file *f)
{
	json_error_t je;
	uint64_t ord = 0;
	size_t i;
	const size_t flags = JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES;
	memset(f, 0, sizeof *f);
	i = n >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3) ? 3 : 0;
	i = skip_blank(buf, n, i);
	if (i == n)
		return error("%s: empty file: not an LLM usage file", name);
	if (buf[i] != '{' && buf[i] != '[')
		return error("%s:%" PRIu64 ":1: not an LLM usage file: expected JSON (OpenAI or Anthropic usage pages) "
			     "or JSONL request logs", name, count_lines(buf, i) + 1);
	json_t *root = json_loadb(buf + i, n - i, flags, &je);
	if (!root) {
		uint64_t l0 = count_lines(buf, i);
		/* A broken first line may just be one bad request of a log: the JSONL parser rejects it alone. */
		if (je.line > 1)
			return error("%s:%" PRIu64 ":%d: not valid JSON: %s", name, l0 + (uint64_t)je.line, je.column,
				     je.text);
	}
	if (!root || llm_is_request_record(root)) {
		json_decref(root);
		f->format = LF_JSONL;
		if (llm_parse_jsonl(buf, n, name, f) < 0) {
			llm_file_release(f);
			return -1;
		}
		return 0;
	}
	int kind = detect_doc(root);
	if (!kind) {
		json_decref(root);
		return error("%s:%" PRIu64 ":1: not an LLM usage file: neither OpenAI usage pages ({\"object\":\"page\","
			     "\"data\":[{\"start_time\",...}]}) nor an Anthropic usage report ({\"data\":[{\"starting_at\","
			     "...}]})", name, count_lines(buf, i) + 1);
	}
	f->format = kind == 1 ? LF_OPENAI_USAGE : LF_ANTHROPIC_USAGE;
	/* One page, an array of pages, or pages written one after another. */
	for (;;) {
		int rc = 0;
		if (json_is_array(root)) {
			for (size_t p = 0; rc == 0 && p < json_array_size(root); p++)
				rc = kind == 1 ? llm_parse_openai(json_array_get(root, p), name, f, &ord)
					       : llm_parse_anthropic(json_array_get(root, p), name, f, &ord);
		} else {
			rc = kind == 1 ? llm_parse_openai(root, name, f, &ord) : llm_parse_anthropic(root, name, f, &ord);
		}
		json_decref(root);
		if (rc < 0)
			goto fail;
		i = skip_blank(buf, n, i + je.position);
		if (i >= n) {
			map_positions(f, buf, n);
			return 0;
		}
		root = json_loadb(buf + i, n - i, flags, &je);
		if (!root) {
			error("%s:%" PRIu64 ":%d: not valid JSON: %s", name, count_lines(buf, i) + (uint64_t)je.line,
			      je.column, je.text);
			goto fail;
		}
		if (detect_doc(root) != kind) {
			json_decref(root);
			error("%s:%" PRIu64 ":1: another kind of document follows the %s pages", name,
			      count_lines(buf, i) + 1, llm_format_name[f->format]);
			goto fail;
		}
	}
fail:
	llm_file_release(f);
	return -1;
}
