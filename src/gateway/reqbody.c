/*
 * reqbody.c - client request bodies: the members the gateway needs, and the
 * upstream rewrite; see reqbody.h.
 */
#include <stdio.h>
#include <string.h>
#include "gateway/reqbody.h"

static int bad(char *why, size_t cap, const char *fmt, const char *a)
{
	snprintf(why, cap, fmt, a);
	return -1;
}

/* Is this member one that carries prompt text for api? */
static int prompt_member(enum gw_api api, const struct js_span *k)
{
	switch (api) {
	case API_CHAT:
		return js_str_eq(k, "messages") || js_str_eq(k, "tools") || js_str_eq(k, "functions") ||
		       js_str_eq(k, "response_format") || js_str_eq(k, "prediction");
	case API_COMPLETIONS:
		return js_str_eq(k, "prompt") || js_str_eq(k, "suffix");
	case API_EMBEDDINGS:
		return js_str_eq(k, "input");
	case API_MESSAGES:
		return js_str_eq(k, "messages") || js_str_eq(k, "system") || js_str_eq(k, "tools");
	}
	return 0;
}

/* Count image parts: objects whose "type" is image_url, image or input_image. */
static uint64_t count_images(const struct js_span *v, int depth)
{
	struct js_iter it;
	struct js_span k, x;
	uint64_t n = 0;
	if (depth <= 0)
		return 0;
	if (v->t == JS_OBJ) {
		js_iter_init(&it, v);
		while (js_obj_next(&it, &k, &x)) {
			if (js_str_eq(&k, "type") && (js_str_eq(&x, "image_url") || js_str_eq(&x, "image") ||
						      js_str_eq(&x, "input_image")))
				n++;
			else if (x.t == JS_OBJ || x.t == JS_ARR)
				n += count_images(&x, depth - 1);
		}
	} else if (v->t == JS_ARR) {
		js_iter_init(&it, v);
		while (js_arr_next(&it, &x))
			if (x.t == JS_OBJ || x.t == JS_ARR)
				n += count_images(&x, depth - 1);
	}
	return n;
}

static void read_metadata(const struct js_span *m, struct reqbody *r)
{
	struct js_iter it;
	struct js_span k, v;
	js_iter_init(&it, m);
	while (r->nmeta < REQ_META_MAX && js_obj_next(&it, &k, &v)) {
		if (v.t != JS_STR)
			continue;
		size_t kl = js_str_decode(&k, r->meta_k[r->nmeta], REQ_META_KEY);
		if (!kl || kl >= REQ_META_KEY)
			continue;
		js_str_decode(&v, r->meta_v[r->nmeta], REQ_META_VAL);
		r->nmeta++;
	}
}

int reqbody_parse(const char *body, size_t n, enum gw_api api, int max_depth, struct reqbody *r, char *why,
		  size_t cap)
{
	size_t off;
	const char *what;
	memset(r, 0, sizeof *r);
	r->api = api;
	r->n = 1;
	if (js_validate(body, n, max_depth, &off, &what) < 0) {
		snprintf(why, cap, "the body is not valid JSON: %s at byte %zu", what, off);
		return -1;
	}
	r->root = js_root(body, n);
	if (r->root.t != JS_OBJ)
		return bad(why, cap, "%s", "the body must be a JSON object");
	struct js_iter it;
	struct js_span k, v;
	js_iter_init(&it, &r->root);
	while (js_obj_next(&it, &k, &v)) {
		if (js_str_eq(&k, "model")) {
			if (v.t != JS_STR)
				return bad(why, cap, "%s", "'model' must be a string");
			if (js_str_decode(&v, r->model, sizeof r->model) >= sizeof r->model)
				return bad(why, cap, "%s", "'model' is too long");
			r->model_val = v;
		} else if (js_str_eq(&k, "stream")) {
			if (v.t != JS_TRUE && v.t != JS_FALSE && v.t != JS_NULL)
				return bad(why, cap, "%s", "'stream' must be a boolean");
			r->stream = v.t == JS_TRUE;
		} else if (js_str_eq(&k, "stream_options")) {
			struct js_span iu;
			r->has_stream_options = 1;
			r->stream_options = v;
			if (v.t != JS_OBJ && v.t != JS_NULL)
				return bad(why, cap, "%s", "'stream_options' must be an object");
			r->include_usage = js_get(&v, "include_usage", &iu) && iu.t == JS_TRUE;
		} else if ((api == API_CHAT && js_str_eq(&k, "max_completion_tokens")) || js_str_eq(&k, "max_tokens")) {
			uint64_t x;
			if (v.t == JS_NULL)
				continue;
			if (js_u64(&v, &x) < 0)
				return bad(why, cap, "'%s' must be a non-negative integer",
					   js_str_eq(&k, "max_tokens") ? "max_tokens" : "max_completion_tokens");
			/* Both given: the smaller one binds. */
			if (!r->max_tokens || x < r->max_tokens)
				r->max_tokens = x ? x : 1;
		} else if (js_str_eq(&k, "n")) {
			uint64_t x;
			if (v.t == JS_NULL)
				continue;
			if (js_u64(&v, &x) < 0 || x == 0 || x > 128)
				return bad(why, cap, "%s", "'n' must be an integer from 1 to 128");
			r->n = x;
		} else if (js_str_eq(&k, "metadata")) {
			if (v.t == JS_OBJ)
				read_metadata(&v, r);
		} else if (js_str_eq(&k, "service_tier")) {
			r->priority = js_str_eq(&v, "priority");
		} else if (js_str_eq(&k, "user")) {
			if (v.t == JS_STR)
				js_str_decode(&v, r->user, sizeof r->user);
		} else if (prompt_member(api, &k)) {
			js_text_stats(&v, &r->prompt);
			r->images += count_images(&v, 32);
			if (!r->prompt_p) {
				r->prompt_p = v.t == JS_STR ? v.p - 1 : v.p;
				r->prompt_n = v.t == JS_STR ? v.n + 2 : v.n;
			}
		}
	}
	if (!r->model[0])
		return bad(why, cap, "%s", "'model' is required");
	if (api == API_EMBEDDINGS && r->stream)
		return bad(why, cap, "%s", "embeddings cannot be streamed");
	return 0;
}

uint64_t reqbody_prompt_bound(const struct reqbody *r, uint64_t image_tokens)
{
	/* Messages frame each object with a few tokens (role markers); 3 more prime the reply. */
	return r->prompt.bytes + 4 * r->prompt.objects + r->prompt.strings + 3 + r->images * image_tokens;
}

uint64_t reqbody_prompt_estimate(const struct reqbody *r)
{
	return (r->prompt.bytes + 3) / 4 + 3 * r->prompt.objects + 3;
}

size_t reqbody_rewrite_size(size_t n, const char *new_model)
{
	/* Model text escaped at most 6x, plus the stream_options member. */
	return n + (new_model ? 6 * strlen(new_model) + 16 : 0) + 64;
}

/* Append JSON string text (quoted, escaped) of s. */
static size_t put_jstr(char *o, const char *s)
{
	size_t k = 0;
	o[k++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			o[k++] = '\\';
			o[k++] = (char)c;
		} else if (c < 0x20) {
			k += (size_t)sprintf(o + k, "\\u%04x", c);
		} else {
			o[k++] = (char)c;
		}
	}
	o[k++] = '"';
	return k;
}

size_t reqbody_rewrite(const char *body, size_t n, const struct reqbody *r, const char *new_model, int add_usage,
		       char *out, size_t cap)
{
	if (cap < reqbody_rewrite_size(n, new_model))
		return 0;
	/* Edits in body order: the model value, the stream_options value (or a new member before the final '}'). */
	struct edit {
		const char *at;
		size_t del;
		const char *model;   /* write the model string */
		const char *lit;     /* write this text */
	} ed[3];
	int ne = 0;
	const char *so_lit = "{\"include_usage\":true}";
	if (new_model && r->model_val.t == JS_STR)
		ed[ne++] = (struct edit){ r->model_val.p - 1, r->model_val.n + 2, new_model, NULL };
	if (add_usage && r->has_stream_options) {
		/* Replace the whole value: the client's other stream options are kept only if include_usage is the lone one. */
		struct js_iter it;
		struct js_span k, v;
		int others = 0;
		if (r->stream_options.t == JS_OBJ) {
			js_iter_init(&it, &r->stream_options);
			while (js_obj_next(&it, &k, &v))
				others += !js_str_eq(&k, "include_usage");
		}
		if (!others) {
			ed[ne++] = (struct edit){ r->stream_options.p, r->stream_options.n, NULL, so_lit };
		} else {
			/* Keep the client's members: prepend ours; a duplicate include_usage later would win, so
			   only prepend when it is absent, else replace its value in place. */
			struct js_span iu;
			if (js_get(&r->stream_options, "include_usage", &iu))
				ed[ne++] = (struct edit){ iu.t == JS_STR ? iu.p - 1 : iu.p, iu.t == JS_STR ? iu.n + 2 : iu.n,
							  NULL, "true" };
			else
				ed[ne++] = (struct edit){ r->stream_options.p + 1, 0, NULL, "\"include_usage\":true," };
		}
	} else if (add_usage) {
		const char *close = r->root.p + r->root.n - 1;
		ed[ne++] = (struct edit){ close, 0, NULL, ",\"stream_options\":{\"include_usage\":true}" };
	}
	/* Sort (at most 2 edits) by position. */
	if (ne == 2 && ed[1].at < ed[0].at) {
		struct edit t = ed[0];
		ed[0] = ed[1];
		ed[1] = t;
	}
	size_t k = 0;
	const char *p = body;
	for (int i = 0; i < ne; i++) {
		memcpy(out + k, p, (size_t)(ed[i].at - p));
		k += (size_t)(ed[i].at - p);
		if (ed[i].model)
			k += put_jstr(out + k, ed[i].model);
		else {
			size_t l = strlen(ed[i].lit);
			memcpy(out + k, ed[i].lit, l);
			k += l;
		}
		p = ed[i].at + ed[i].del;
	}
	memcpy(out + k, p, (size_t)(body + n - p));
	k += (size_t)(body + n - p);
	return k;
}
