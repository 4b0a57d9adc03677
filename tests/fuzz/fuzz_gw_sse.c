/* fuzz_gw_sse.c - the gateway's SSE parser, usage extractor, assembler and
 * replay on hostile upstream bytes.
 *
 * The first byte picks the feed split and the wire format; the rest is fed
 * to the parser in pieces, every event goes to the usage extractor and an
 * assembler; a finished assembly is replayed with sse_synthesize and the
 * replay must assemble again (an invariant, not just "no crash"). The raw
 * input is also offered to the synthesizer as a cached body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gateway/sse.h"
#include "util/err.h"

struct st {
	enum sse_wire wire;
	struct sse_usage u;
	struct sse_asm *a;
};

static int on_event(void *ud, const struct sse_event *ev)
{
	struct st *s = ud;
	if (ev->data[ev->data_len] != '\0')
		abort();
	sse_usage_event(s->wire, ev, &s->u);
	sse_asm_event(s->a, ev);
	return 0;
}

static char *run(enum sse_wire wire, const uint8_t *d, size_t n, size_t split, size_t *len)
{
	struct sse_parser p;
	struct st s = { .wire = wire };
	sse_usage_init(&s.u);
	s.a = sse_asm_new(wire, 1 << 16);
	sse_parser_init(&p, 4096, 1 << 16);
	for (size_t i = 0; i < n; i += split) {
		size_t k = n - i < split ? n - i : split;
		if (sse_parser_feed(&p, d + i, k, on_event, &s) < 0)
			break;
	}
	sse_parser_finish(&p, split & 1, on_event, &s);
	sse_parser_release(&p);
	char *body = sse_asm_finish(s.a, len);
	sse_asm_free(s.a);
	return body;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*quiet)(const char *) = NULL;
	err_sink = quiet;
	if (size < 1)
		return 0;
	enum sse_wire wire = (enum sse_wire)(data[0] % 3);
	size_t split = (size_t)(data[0] >> 2) + 1;
	size_t len = 0;
	char *body = run(wire, data + 1, size - 1, split, &len);
	if (body) {
		struct sse_synth_opts o = { data[0] & 2, split };
		char *out;
		size_t n;
		if (sse_synthesize(wire, body, len, &o, &out, &n) == 0) {
			size_t len2 = 0;
			char *again = run(wire, (const uint8_t *)out, n, 7, &len2);
			if (!again) /* a replay of an assembled response must assemble */
				abort();
			free(again);
			free(out);
		}
		free(body);
	}
	struct sse_synth_opts o = { 1, 3 };
	char *out;
	size_t n;
	if (sse_synthesize(wire, (const char *)data + 1, size - 1, &o, &out, &n) == 0)
		free(out);
	return 0;
}
