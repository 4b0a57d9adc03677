/*
 * jscan.h - a small validating JSON scanner over a byte span: no tree, no
 * allocation, bounded depth.
 *
 * The gateway reads a handful of members out of request and response
 * bodies (model, stream, max_tokens, usage...) and relays everything else
 * byte for byte, so building a jansson tree per request would be wasted
 * work. js_validate() checks a whole text against RFC 8259 (strict: UTF-8,
 * no trailing commas, no leading zeros, no control characters in strings)
 * with a nesting limit; the iterators then walk the members of one object or
 * array, handing out spans that point into the caller's buffer.
 *
 * Ownership: nothing is allocated; every span points into the text passed
 * in and lives as long as it does.
 */
#ifndef AICOST_GW_JSCAN_H
#define AICOST_GW_JSCAN_H

#include <stddef.h>
#include <stdint.h>

enum js_type { JS_NONE, JS_OBJ, JS_ARR, JS_STR, JS_NUM, JS_TRUE, JS_FALSE, JS_NULL };

/* A value: p/n cover the value's text (a string's span excludes its quotes, escapes left as written). */
struct js_span {
	const char *p;
	size_t n;
	enum js_type t;
	int esc;                 /* JS_STR: the text holds backslash escapes */
};

/*
 * Check that [p, p+n) is one JSON value (blanks around allowed) nested at
 * most max_depth deep. 0 ok; -1 bad, *off (may be NULL) the byte offset of
 * the problem and *why a static reason.
 */
int js_validate(const char *p, size_t n, int max_depth, size_t *off, const char **why);

/*
 * One pass over a text that should be an object: validates it (depth
 * bounded) and fills vals[i] with the member named keys[i] (the last one
 * when repeated; t == JS_NONE when absent). 0 ok, -1 not a valid object.
 * What the gateway uses on every upstream body and stream chunk.
 */
int js_top_members(const char *p, size_t n, int max_depth, const char *const *keys, size_t nkeys, struct js_span *vals);

/* The same over an object span (from a validated text): members keys[i] into vals[i]. */
void js_members(const struct js_span *obj, const char *const *keys, size_t nkeys, struct js_span *vals);

/* The value of a validated text (blanks trimmed). */
struct js_span js_root(const char *p, size_t n);

/* Iterating an object or array span (which must come from a validated text). */
struct js_iter {
	const char *p, *end;
};
void js_iter_init(struct js_iter *it, const struct js_span *container);
/* Next member: 1 and *key (a JS_STR span) and *val; 0 at the end. */
int js_obj_next(struct js_iter *it, struct js_span *key, struct js_span *val);
/* Next element: 1 and *val; 0 at the end. */
int js_arr_next(struct js_iter *it, struct js_span *val);

/* Does string span s (a key) equal the literal? Escapes are decoded first. */
int js_str_eq(const struct js_span *s, const char *lit);
/* Member `key` of object span o: 1 and *val, 0 if absent (or o is not an object). */
int js_get(const struct js_span *o, const char *key, struct js_span *val);

/*
 * Decode string span s into out (cap bytes, NUL-terminated when cap > 0;
 * truncated at a character boundary if it does not fit). Returns the full
 * decoded length in bytes.
 */
size_t js_str_decode(const struct js_span *s, char *out, size_t cap);
/* Decoded length in bytes and in characters (code points) of a string span. */
void js_str_len(const struct js_span *s, size_t *bytes, size_t *chars);

/* A non-negative integer (no fraction, no exponent, <= 2^63): 0 and *v, or -1. */
int js_u64(const struct js_span *v, uint64_t *out);

/*
 * Text statistics of any value (recursively): decoded bytes and characters
 * of every string value (not keys), and the number of objects and strings.
 * Used for the prompt-size bound (a BPE token covers at least one byte).
 */
struct js_text_stats {
	uint64_t bytes, chars, objects, strings;
};
void js_text_stats(const struct js_span *v, struct js_text_stats *st);

#endif
