/* tags.c - canonical tag sets; see tags.h. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "core/tags.h"
#include "util/err.h"

static char *value_text(json_t *v)
{
	if (json_is_string(v))
		return xstrndup(json_string_value(v), json_string_length(v));
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char *out = xstrdup(s ? s : "");
	free(s);
	return out;
}

char *tags_canonical(const char *raw, size_t n)
{
	json_error_t jerr;
	json_t *obj = json_loadb(raw, n, JSON_DECODE_ANY, &jerr);
	if (!obj || !json_is_object(obj)) {
		json_decref(obj);
		return NULL;
	}
	if (json_object_size(obj) == 0) {
		json_decref(obj);
		return xstrdup("");
	}
	json_t *canon = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		char *t = value_text(v);
		json_object_set_new(canon, k, json_string(t));
		free(t);
	}
	char *s = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(canon);
	json_decref(obj);
	char *out = xstrdup(s ? s : "");
	free(s);
	return out;
}

static int cmp_idx(const void *a, const void *b, void *keys)
{
	char **k = keys;
	return strcmp(k[*(const size_t *)a], k[*(const size_t *)b]);
}

int tagset_parse(const char *json, size_t n, struct tagset *out)
{
	memset(out, 0, sizeof *out);
	if (n == 0)
		return 0;
	json_error_t jerr;
	json_t *obj = json_loadb(json, n, 0, &jerr);
	if (!obj || !json_is_object(obj)) {
		json_decref(obj);
		return -1;
	}
	size_t cnt = json_object_size(obj), i = 0;
	char **keys = xcalloc(cnt, sizeof *keys), **vals = xcalloc(cnt, sizeof *vals);
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		keys[i] = xstrdup(k);
		vals[i] = value_text(v);
		i++;
	}
	json_decref(obj);
	/* Sort by key (jansson iteration order is insertion order). */
	size_t *idx = xcalloc(cnt, sizeof *idx);
	for (i = 0; i < cnt; i++)
		idx[i] = i;
	qsort_r(idx, cnt, sizeof *idx, cmp_idx, keys);
	out->n = cnt;
	out->keys = xcalloc(cnt, sizeof *out->keys);
	out->vals = xcalloc(cnt, sizeof *out->vals);
	for (i = 0; i < cnt; i++) {
		out->keys[i] = keys[idx[i]];
		out->vals[i] = vals[idx[i]];
	}
	free(idx);
	free(keys);
	free(vals);
	return 0;
}

void tagset_release(struct tagset *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->keys[i]);
		free(t->vals[i]);
	}
	free(t->keys);
	free(t->vals);
	memset(t, 0, sizeof *t);
}

const char *tags_find(const char *const *keys, const char *const *vals, size_t n, const char *key)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(keys[mid], key);
		if (c == 0)
			return vals[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *tagset_get(const struct tagset *t, const char *key)
{
	return tags_find((const char *const *)t->keys, (const char *const *)t->vals, t->n, key);
}
