/*
 * tags.h - FOCUS Tags objects in canonical form.
 *
 * Canonical form: a compact JSON object, keys sorted, every value a string
 * (non-string values are kept as their JSON text). Equal tag sets have equal
 * canonical text, so the ledger stores each distinct set once.
 */
#ifndef AICOST_TAGS_H
#define AICOST_TAGS_H

#include <stddef.h>

/*
 * Canonicalize raw Tags text. Returns a malloc'd string the caller frees
 * ("" for an empty object), or NULL if the text is not a JSON object.
 */
char *tags_canonical(const char *raw, size_t n);

/* A parsed tag set: parallel arrays sorted by key. The struct owns its strings. */
struct tagset {
	size_t n;
	char **keys;
	char **vals;
};

/* Parse canonical (or any object) JSON. Returns 0, -1 if not an object. */
int tagset_parse(const char *json, size_t n, struct tagset *out);
void tagset_release(struct tagset *t);
/* Value of key, or NULL. */
const char *tagset_get(const struct tagset *t, const char *key);
/* Binary search of parallel key/value arrays sorted by key (strcmp). */
const char *tags_find(const char *const *keys, const char *const *vals, size_t n, const char *key);

#endif
