/*
 * sse.c - the incremental event-stream parser and the per-event usage
 * extractor (see sse.h). The assembler is in sse_asm.c, the replay in
 * sse_synth.c.
 *
 * Parser: the WHATWG "text/event-stream" interpretation rules. Lines end at
 * CRLF, LF or CR; a CR at the end of one feed followed by an LF at the start
 * of the next is one line end. A line that is complete inside the caller's
 * buffer is interpreted in place; only a line split across feeds is copied
 * into p->line. Memory: p->line and p->data grow up to max_line/max_event
 * and are freed by sse_parser_release.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "gateway/sse.h"
#include "util/err.h"

void sse_parser_init(struct sse_parser *p, size_t max_line, size_t max_event)
{
	memset(p, 0, sizeof *p);
	p->max_line = max_line ? max_line : SSE_DEFAULT_MAX_LINE;
	p->max_event = max_event ? max_event : SSE_DEFAULT_MAX_EVENT;
	p->retry_ms = -1;
}

void sse_parser_release(struct sse_parser *p)
{
	free(p->line);
	free(p->data);
	p->line = p->data = NULL;
	p->line_len = p->line_cap = p->data_len = p->data_cap = 0;
}

/* Grow *buf to hold need bytes (plus a NUL); need is already bounded. */
static void reserve(char **buf, size_t *cap, size_t need)
{
	if (need + 1 <= *cap)
		return;
	size_t c = *cap ? *cap : 256;
	while (c < need + 1)
		c *= 2;
	*buf = xrealloc(*buf, c);
	*cap = c;
}

static int dispatch(struct sse_parser *p, sse_event_fn fn, void *ud)
{
	if (p->data_len == 0) {
		p->event_len = 0;
		return 0;
	}
	p->data_len--; /* the trailing LF every data line appended */
	p->data[p->data_len] = '\0';
	struct sse_event ev = {
		.event = p->event_len ? p->event : "message",
		.event_len = p->event_len ? p->event_len : 7,
		.data = p->data,
		.data_len = p->data_len,
		.id = p->id,
		.id_len = p->id_len,
		.retry_ms = p->retry_ms,
	};
	p->events++;
	int rc = fn ? fn(ud, &ev) : 0;
	p->data_len = 0;
	p->event_len = 0;
	p->event[0] = '\0';
	return rc;
}

/* Interpret one complete line (without its terminator). */
static int process_line(struct sse_parser *p, const char *s, size_t n, sse_event_fn fn, void *ud)
{
	if (n == 0)
		return dispatch(p, fn, ud);
	if (s[0] == ':')
		return 0; /* comment (keep-alive) */
	const char *colon = memchr(s, ':', n);
	size_t flen = colon ? (size_t)(colon - s) : n;
	const char *v = colon ? colon + 1 : s + n;
	size_t vlen = colon ? n - flen - 1 : 0;
	if (vlen && v[0] == ' ') {
		v++;
		vlen--;
	}
	if (flen == 4 && memcmp(s, "data", 4) == 0) {
		if (p->data_len + vlen + 1 > p->max_event) {
			p->failed = 1;
			return -1;
		}
		reserve(&p->data, &p->data_cap, p->data_len + vlen + 1);
		memcpy(p->data + p->data_len, v, vlen);
		p->data_len += vlen;
		p->data[p->data_len++] = '\n';
	} else if (flen == 5 && memcmp(s, "event", 5) == 0) {
		size_t k = vlen < sizeof p->event - 1 ? vlen : sizeof p->event - 1;
		memcpy(p->event, v, k);
		p->event[k] = '\0';
		p->event_len = k;
	} else if (flen == 2 && memcmp(s, "id", 2) == 0) {
		if (!memchr(v, '\0', vlen)) {
			size_t k = vlen < sizeof p->id - 1 ? vlen : sizeof p->id - 1;
			memcpy(p->id, v, k);
			p->id[k] = '\0';
			p->id_len = k;
		}
	} else if (flen == 5 && memcmp(s, "retry", 5) == 0) {
		long r = 0;
		size_t i;
		for (i = 0; i < vlen && v[i] >= '0' && v[i] <= '9'; i++)
			if (r < 100000000L)
				r = r * 10 + (v[i] - '0');
		if (i == vlen && vlen > 0)
			p->retry_ms = r;
	}
	/* any other field is ignored */
	return 0;
}

static const unsigned char bom[3] = { 0xEF, 0xBB, 0xBF };

int sse_parser_feed(struct sse_parser *p, const void *buf, size_t len, sse_event_fn fn, void *ud)
{
	const char *s = buf, *end = s + len;
	int rc;
	if (p->failed)
		return -1;
	while (!p->bom_checked && s < end) {
		if ((unsigned char)*s == bom[p->bom_have]) {
			s++;
			if (++p->bom_have == 3)
				p->bom_checked = 1;
			continue;
		}
		/* not a BOM: the bytes matched so far are line content */
		p->bom_checked = 1;
		reserve(&p->line, &p->line_cap, p->bom_have);
		memcpy(p->line, bom, p->bom_have);
		p->line_len = p->bom_have;
	}
	if (p->last_cr && s < end) {
		p->last_cr = 0;
		if (*s == '\n')
			s++;
	}
	while (s < end) {
		const char *e = s;
		while (e < end && *e != '\n' && *e != '\r')
			e++;
		if (e == end) {
			size_t n = (size_t)(end - s);
			if (p->line_len + n > p->max_line) {
				p->failed = 1;
				return -1;
			}
			reserve(&p->line, &p->line_cap, p->line_len + n);
			memcpy(p->line + p->line_len, s, n);
			p->line_len += n;
			break;
		}
		size_t n = (size_t)(e - s);
		if (p->line_len) {
			if (p->line_len + n > p->max_line) {
				p->failed = 1;
				return -1;
			}
			reserve(&p->line, &p->line_cap, p->line_len + n);
			memcpy(p->line + p->line_len, s, n);
			p->line_len += n;
			n = p->line_len;
			p->line_len = 0;
			rc = process_line(p, p->line, n, fn, ud);
		} else {
			if (n > p->max_line) {
				p->failed = 1;
				return -1;
			}
			rc = process_line(p, s, n, fn, ud);
		}
		if (*e == '\r') {
			if (e + 1 < end) {
				if (e[1] == '\n')
					e++;
			} else {
				p->last_cr = 1;
			}
		}
		s = e + 1;
		if (rc)
			return rc;
	}
	return 0;
}

int sse_parser_finish(struct sse_parser *p, int dispatch_partial, sse_event_fn fn, void *ud)
{
	int rc = 0;
	if (p->failed)
		return -1;
	if (p->line_len) {
		size_t n = p->line_len;
		p->line_len = 0;
		rc = process_line(p, p->line, n, fn, ud);
		if (rc)
			return rc;
	}
	if (dispatch_partial)
		rc = dispatch(p, fn, ud);
	p->data_len = 0;
	p->event_len = 0;
	return rc;
}

/* ---- usage ----------------------------------------------------------- */

void sse_usage_init(struct sse_usage *u)
{
	u->input = u->output = u->cache_read = u->cache_write = u->reasoning = -1;
	u->seen = 0;
}

static void take(json_t *o, const char *key, int64_t *dst)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		*dst = json_integer_value(v);
	else if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 9e15)
		*dst = (int64_t)json_real_value(v);
}

/* Merge a usage object of either provider into u; 1 when it was one. */
static int merge_usage(enum sse_wire wire, json_t *usage, struct sse_usage *u)
{
	if (!json_is_object(usage))
		return 0;
	if (wire == SSE_ANTHROPIC) {
		take(usage, "input_tokens", &u->input);
		take(usage, "output_tokens", &u->output);
		take(usage, "cache_read_input_tokens", &u->cache_read);
		take(usage, "cache_creation_input_tokens", &u->cache_write);
	} else {
		take(usage, "prompt_tokens", &u->input);
		take(usage, "completion_tokens", &u->output);
		json_t *pd = json_object_get(usage, "prompt_tokens_details");
		if (json_is_object(pd))
			take(pd, "cached_tokens", &u->cache_read);
		json_t *cd = json_object_get(usage, "completion_tokens_details");
		if (json_is_object(cd))
			take(cd, "reasoning_tokens", &u->reasoning);
	}
	u->seen++;
	return 1;
}

/* Does data hold a "usage" key whose value is an object? A byte scan, so
 * that the chunks of a stream (every one says "usage":null when
 * include_usage is on) cost no JSON parse. A "usage" inside a JSON string
 * is escaped (\"usage\") and cannot match. */
static int has_usage_object(const char *d, size_t n)
{
	const char *s = d, *end = d + n;
	while (s < end) {
		const char *m = memmem(s, (size_t)(end - s), "\"usage\"", 7);
		if (!m)
			return 0;
		const char *q = m + 7;
		while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
			q++;
		if (q < end && *q == ':') {
			q++;
			while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
				q++;
			if (q < end && *q == '{')
				return 1;
		}
		s = m + 7;
	}
	return 0;
}

static int event_is(const struct sse_event *ev, const char *name)
{
	size_t n = strlen(name);
	return ev->event_len == n && memcmp(ev->event, name, n) == 0;
}

int sse_usage_event(enum sse_wire wire, const struct sse_event *ev, struct sse_usage *u)
{
	if (wire == SSE_ANTHROPIC) {
		int start = event_is(ev, "message_start"), delta = event_is(ev, "message_delta");
		if (!start && !delta) {
			/* an upstream that names no events: look at the type */
			if (!event_is(ev, "message"))
				return 0;
			start = memmem(ev->data, ev->data_len, "\"message_start\"", 15) != NULL;
			delta = memmem(ev->data, ev->data_len, "\"message_delta\"", 15) != NULL;
			if (!start && !delta)
				return 0;
		}
		if (!has_usage_object(ev->data, ev->data_len))
			return 0;
		json_error_t je;
		json_t *root = json_loadb(ev->data, ev->data_len, 0, &je);
		if (!root)
			return -1;
		json_t *usage = json_object_get(root, "usage");
		if (!usage) /* message_start: the usage is inside "message" */
			usage = json_object_get(json_object_get(root, "message"), "usage");
		int rc = merge_usage(wire, usage, u);
		json_decref(root);
		return rc;
	}
	if (!has_usage_object(ev->data, ev->data_len))
		return 0;
	json_error_t je;
	json_t *root = json_loadb(ev->data, ev->data_len, 0, &je);
	if (!root)
		return -1;
	int rc = merge_usage(wire, json_object_get(root, "usage"), u);
	json_decref(root);
	return rc;
}

int sse_usage_body(enum sse_wire wire, const char *json, size_t len, struct sse_usage *u)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, 0, &je);
	if (!root)
		return -1;
	int rc = merge_usage(wire, json_object_get(root, "usage"), u);
	json_decref(root);
	return rc;
}
