/*
 * meter.c - usage from responses and streams, cost, request-log records;
 * see meter.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "gateway/jscan.h"
#include "gateway/meter.h"
#include "formats/llm_usage.h"
#include "gateway/sse.h"

#define METER_DEPTH 64

void meter_tier(const struct js_span *v, struct gw_usage *u)
{
	char t[32];
	if (v->t != JS_STR || v->n >= sizeof t)
		return;
	js_str_decode(v, t, sizeof t);
	u->tier = (int)llm_tier_parse(t);
}

static void count(const struct js_span *x, uint64_t *v, int *found)
{
	uint64_t n;
	if (x->t == JS_NUM && js_u64(x, &n) == 0) {
		*v = n;
		if (found)
			*found = 1;
	}
}

void meter_usage_obj(const struct js_span *usage, int anthropic, struct gw_usage *u)
{
	int f = 0;
	if (usage->t != JS_OBJ)
		return;
	u->anthropic = anthropic;
	if (anthropic) {
		static const char *const k[] = { "input_tokens", "output_tokens", "cache_read_input_tokens",
						 "cache_creation_input_tokens", "cache_creation", "service_tier" };
		static const char *const kc[] = { "ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens" };
		struct js_span v[6], c[2];
		js_members(usage, k, 6, v);
		meter_tier(&v[5], u);
		count(&v[0], &u->input, &f);
		count(&v[1], &u->output, &f);
		count(&v[2], &u->cache_read, &f);
		count(&v[3], &u->cache_write, &f);
		if (v[4].t == JS_OBJ) {
			uint64_t a = 0, b = 0;
			int g = 0;
			js_members(&v[4], kc, 2, c);
			count(&c[0], &a, &g);
			count(&c[1], &b, &g);
			if (g && (a || b)) {
				u->has_split_write = 1;
				u->cache_write = a;
				u->cache_write_1h = b;
			}
		}
	} else {
		/* Chat/completions/embeddings use prompt_tokens; the Responses API input_tokens. */
		static const char *const k[] = { "prompt_tokens", "completion_tokens", "input_tokens", "output_tokens",
						 "prompt_tokens_details", "input_tokens_details", "completion_tokens_details",
						 "output_tokens_details" };
		static const char *const kc[] = { "cached_tokens" }, *const kr[] = { "reasoning_tokens" };
		struct js_span v[8], d;
		js_members(usage, k, 8, v);
		count(&v[0], &u->prompt, &f);
		count(&v[1], &u->completion, &f);
		if (!f) {
			count(&v[2], &u->prompt, &f);
			count(&v[3], &u->completion, &f);
		}
		js_members(v[4].t == JS_OBJ ? &v[4] : &v[5], kc, 1, &d);
		count(&d, &u->cached, NULL);
		js_members(v[6].t == JS_OBJ ? &v[6] : &v[7], kr, 1, &d);
		count(&d, &u->reasoning, NULL);
		if (u->cached > u->prompt)
			u->cached = u->prompt;
		if (u->reasoning > u->completion)
			u->reasoning = u->completion;
	}
	if (f)
		u->found = 1;
}

/*
 * The body is relayed as it is, so only what is read from it is validated:
 * its top level is walked for structure (an object whose members end where
 * it ends), and the usage object and service_tier string are checked
 * strictly before they are read. Validating a whole completion (often
 * pretty-printed, kilobytes of content) cost more than the rest of the
 * metering together.
 */
int meter_body(const char *p, size_t n, int anthropic, struct gw_usage *u)
{
	struct js_span root = { p, n, JS_OBJ, 0 }, k, v, us = { 0 }, tier = { 0 };
	struct js_iter it;
	while (root.n && (*root.p == ' ' || *root.p == '\t' || *root.p == '\n' || *root.p == '\r'))
		root.p++, root.n--;
	while (root.n && (root.p[root.n - 1] == ' ' || root.p[root.n - 1] == '\t' || root.p[root.n - 1] == '\n' ||
			  root.p[root.n - 1] == '\r'))
		root.n--;
	if (root.n < 2 || root.p[0] != '{' || root.p[root.n - 1] != '}')
		return -1;
	js_iter_init(&it, &root);
	while (js_obj_next(&it, &k, &v)) {
		if (js_str_eq(&k, "usage"))
			us = v;
		else if (js_str_eq(&k, "service_tier"))
			tier = v;
	}
	while (it.p < it.end && (*it.p == ' ' || *it.p == '\t' || *it.p == '\n' || *it.p == '\r'))
		it.p++;
	if (it.p != it.end)
		return -1;
	if (us.t != JS_OBJ)
		return 0;
	if (js_validate(us.p, us.n, METER_DEPTH, NULL, NULL) < 0)
		return -1;
	if (tier.t == JS_STR && js_validate(tier.p - 1, tier.n + 2, 1, NULL, NULL) == 0)
		meter_tier(&tier, u);
	meter_usage_obj(&us, anthropic, u);
	return u->found;
}

void meter_llm_usage(const struct gw_usage *u, struct llm_usage *out)
{
	memset(out, 0, sizeof *out);
	out->requests = 1;
	out->long_context = -1;
	out->tier = (enum llm_tier)u->tier;
	if (u->anthropic) {
		out->tokens[LD_INPUT] = u->input;
		out->tokens[LD_CACHE_READ] = u->cache_read;
		out->tokens[LD_CACHE_WRITE] = u->cache_write;
		out->tokens[LD_CACHE_WRITE_1H] = u->cache_write_1h;
		out->tokens[LD_OUTPUT] = u->output;
	} else {
		out->tokens[LD_INPUT] = u->prompt - u->cached;
		out->tokens[LD_CACHE_READ] = u->cached;
		out->tokens[LD_OUTPUT] = u->completion - u->reasoning;
		out->tokens[LD_REASONING] = u->reasoning;
	}
}

uint64_t meter_prompt_tokens(const struct gw_usage *u)
{
	return u->anthropic ? u->input + u->cache_read + u->cache_write + u->cache_write_1h : u->prompt;
}

uint64_t meter_output_tokens(const struct gw_usage *u)
{
	return u->anthropic ? u->output : u->completion;
}

int meter_cost(const struct llm_model *m, const struct gw_usage *u, money_t *cost)
{
	struct llm_usage lu;
	struct llm_cost c;
	*cost = 0;
	if (!m || !u || !u->found)
		return 0;
	meter_llm_usage(u, &lu);
	if (prices_cost(m, &lu, &c) < 0)
		return -1;
	*cost = c.total;
	return 0;
}

/* ---- streams ------------------------------------------------------------------------ */

static int nonempty_str(const struct js_span *o, const char *key)
{
	struct js_span v;
	return js_get(o, key, &v) && v.t == JS_STR && v.n > 0;
}

static int nonempty_arr(const struct js_span *o, const char *key)
{
	struct js_span v;
	return js_get(o, key, &v) && v.t == JS_ARR && v.n > 2;
}

static enum meter_action openai_event(struct gw_smeter *m, const struct sse_event *ev)
{
	if (ev->data_len == 6 && !memcmp(ev->data, "[DONE]", 6)) {
		m->done = 1;
		return MA_RELAY;
	}
	static const char *const keys[] = { "usage", "error", "choices", "service_tier" };
	struct js_span v[4];
	if (js_top_members(ev->data, ev->data_len, METER_DEPTH, keys, 4, v) < 0)
		return MA_RELAY;
	meter_tier(&v[3], &m->usage);
	int has_usage = v[0].t == JS_OBJ;
	if (has_usage) {
		meter_usage_obj(&v[0], 0, &m->usage);
		m->final_usage = 1;
	}
	if (v[1].t != JS_NONE && v[1].t != JS_NULL)
		m->error = 1;
	struct js_span ch = v[2];
	if (ch.t != JS_ARR)
		return MA_RELAY;
	struct js_iter it;
	struct js_span c, d;
	int nchoices = 0;
	js_iter_init(&it, &ch);
	while (js_arr_next(&it, &c)) {
		nchoices++;
		if (c.t != JS_OBJ)
			continue;
		if (js_get(&c, "delta", &d) && d.t == JS_OBJ) {
			if (nonempty_str(&d, "content") || nonempty_arr(&d, "tool_calls") || nonempty_str(&d, "refusal") ||
			    nonempty_str(&d, "reasoning_content") || nonempty_str(&d, "reasoning"))
				m->delivered++;
		} else if (nonempty_str(&c, "text")) {
			m->delivered++;
		}
	}
	if (!nchoices && has_usage && m->hide_usage)
		return MA_DROP;
	return MA_RELAY;
}

static int ev_is(const struct sse_event *ev, const char *name)
{
	size_t n = strlen(name);
	return ev->event_len == n && !memcmp(ev->event, name, n);
}

static enum meter_action anthropic_event(struct gw_smeter *m, const struct sse_event *ev)
{
	struct js_span root, v, msg;
	if (ev_is(ev, "content_block_delta")) {
		m->delivered++;
		return MA_RELAY;
	}
	if (ev_is(ev, "message_stop")) {
		m->done = 1;
		return MA_RELAY;
	}
	if (ev_is(ev, "error")) {
		m->error = 1;
		return MA_RELAY;
	}
	if (!ev_is(ev, "message_start") && !ev_is(ev, "message_delta"))
		return MA_RELAY;
	if (js_validate(ev->data, ev->data_len, METER_DEPTH, NULL, NULL) < 0)
		return MA_RELAY;
	root = js_root(ev->data, ev->data_len);
	if (ev_is(ev, "message_start")) {
		if (js_get(&root, "message", &msg) && js_get(&msg, "usage", &v))
			meter_usage_obj(&v, 1, &m->usage);
	} else if (js_get(&root, "usage", &v)) {
		meter_usage_obj(&v, 1, &m->usage);
		m->final_usage = 1;
	}
	return MA_RELAY;
}

enum meter_action meter_event(struct gw_smeter *m, const struct sse_event *ev)
{
	return m->anthropic ? anthropic_event(m, ev) : openai_event(m, ev);
}

void meter_stream_usage(const struct gw_smeter *m, uint64_t prompt_est, struct gw_usage *out)
{
	*out = m->usage;
	out->anthropic = m->anthropic;
	if (m->final_usage && m->done)
		return;
	out->found = 1;
	if (m->anthropic) {
		/* message_start gave the exact input; output is cumulative in message_delta, else what was relayed. */
		if (!m->usage.found)
			out->input = prompt_est;
		if (out->output < m->delivered)
			out->output = m->delivered;
	} else if (!m->final_usage) {
		out->prompt = prompt_est;
		out->cached = 0;
		out->completion = m->delivered;
		out->reasoning = 0;
	}
}

/* ---- records ------------------------------------------------------------------------ */

struct wbuf {
	char *p;
	size_t n, cap;
	int over;
};

static void put(struct wbuf *w, const char *s, size_t n)
{
	if (w->over || w->n + n >= w->cap) {
		w->over = 1;
		return;
	}
	memcpy(w->p + w->n, s, n);
	w->n += n;
}

static void puts_(struct wbuf *w, const char *s)
{
	put(w, s, strlen(s));
}

/* A string literal: its length is known at compile time. */
#define PUTL(w, lit) put((w), (lit), sizeof(lit) - 1)


/* prefix then the decimal digits of v (snprintf is the slow part of a record otherwise). */
static void putu_n(struct wbuf *w, const char *prefix, size_t pn, unsigned long long v)
{
	char b[24];
	int k = 24;
	do {
		b[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(w, prefix, pn);
	put(w, b + k, (size_t)(24 - k));
}
#define putu(w, lit, v) putu_n((w), (lit), sizeof(lit) - 1, (v))

static void putstr(struct wbuf *w, const char *s)
{
	put(w, "\"", 1);
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, run, (size_t)(s - run));
		char e[8];
		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			put(w, e, 2);
		} else {
			snprintf(e, sizeof e, "\\u%04x", c);
			put(w, e, 6);
		}
		run = s + 1;
	}
	put(w, run, (size_t)(s - run));
	put(w, "\"", 1);
}

static void put_usage(struct wbuf *w, const struct gw_usage *u)
{
	if (u->anthropic) {
		putu(w, "{\"input_tokens\":", u->input);
		putu(w, ",\"output_tokens\":", u->output);
		putu(w, ",\"cache_read_input_tokens\":", u->cache_read);
		putu(w, ",\"cache_creation_input_tokens\":", u->cache_write + u->cache_write_1h);
		if (u->has_split_write) {
			putu(w, ",\"cache_creation\":{\"ephemeral_5m_input_tokens\":", u->cache_write);
			putu(w, ",\"ephemeral_1h_input_tokens\":", u->cache_write_1h);
			PUTL(w, "}");
		}
		PUTL(w, "}");
	} else {
		putu(w, "{\"prompt_tokens\":", u->prompt);
		putu(w, ",\"completion_tokens\":", u->completion);
		putu(w, ",\"total_tokens\":", u->prompt + u->completion);
		putu(w, ",\"prompt_tokens_details\":{\"cached_tokens\":", u->cached);
		PUTL(w, "}");
		putu(w, ",\"completion_tokens_details\":{\"reasoning_tokens\":", u->reasoning);
		PUTL(w, "}}");
	}
}

size_t meter_record(const struct gw_record *r, char *out, size_t cap)
{
	struct wbuf w = { out, 0, cap, 0 };
	/* The time down to the second is the same for most consecutive records: formatted once per second. */
	static __thread time_t ts_sec = -1;
	static __thread char ts[64];
	time_t sec = (time_t)(r->ts_ms / 1000);
	if (sec != ts_sec) {
		struct tm tm;
		gmtime_r(&sec, &tm);
		snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
		ts_sec = sec;
	}
	int ms = (int)(r->ts_ms % 1000);
	char frac[4] = { (char)('0' + ms / 100), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10), 'Z' };
	PUTL(&w, "{\"id\":");
	putstr(&w, r->id);
	PUTL(&w, ",\"ts\":\"");
	puts_(&w, ts);
	put(&w, frac, 4);
	PUTL(&w, "\",\"provider\":");
	putstr(&w, r->provider ? r->provider : "unknown");
	PUTL(&w, ",\"model\":");
	putstr(&w, r->model ? r->model : "unknown");
	PUTL(&w, ",\"usage\":");
	if (r->usage && r->usage->found)
		put_usage(&w, r->usage);
	else
		PUTL(&w, "null");
	PUTL(&w, ",\"metadata\":{");
	for (size_t i = 0; i < r->nmeta; i++) {
		if (i)
			PUTL(&w, ",");
		putstr(&w, r->mk[i]);
		PUTL(&w, ":");
		putstr(&w, r->mv[i]);
	}
	PUTL(&w, "}");
	putu(&w, ",\"latency_ms\":", r->latency_ms);
	putu(&w, ",\"status\":", (unsigned long long)r->status);
	if (r->prompt_sha256) {
		PUTL(&w, ",\"prompt_sha256\":");
		putstr(&w, r->prompt_sha256);
	}
	putu(&w, ",\"prompt_chars\":", r->prompt_chars);
	if (r->usage && r->usage->found && r->usage->tier != LT_STANDARD) {
		static const char *const tn[] = { "default", "batch", "priority", "flex" };
		PUTL(&w, ",\"service_tier\":\"");
		puts_(&w, tn[r->usage->tier & 3]);
		PUTL(&w, "\"");
	}
	puts_(&w, r->stream ? ",\"stream\":true" : ",\"stream\":false");
	char cost[MONEY_BUFSZ];
	money_str(r->cost, cost);
	PUTL(&w, ",\"cost\":");
	puts_(&w, cost);
	if (r->cache) {
		PUTL(&w, ",\"cache\":");
		putstr(&w, r->cache);
	}
	if (r->route) {
		PUTL(&w, ",\"route\":");
		putstr(&w, r->route);
	}
	if (r->endpoint) {
		PUTL(&w, ",\"endpoint\":");
		putstr(&w, r->endpoint);
	}
	if (r->outcome) {
		PUTL(&w, ",\"outcome\":");
		putstr(&w, r->outcome);
	}
	PUTL(&w, "}\n");
	return w.over ? 0 : w.n;
}
