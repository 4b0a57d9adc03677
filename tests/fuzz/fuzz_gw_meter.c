/*
 * fuzz_gw_meter.c - what the gateway reads from upstream responses: usage
 * in non-stream bodies, and SSE streams (split at a fuzzed point) through
 * the SSE parser into the stream meter, then the request-log record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gateway/meter.h"
#include "gateway/sse.h"

static int on_event(void *arg, const struct sse_event *ev)
{
	meter_event(arg, ev);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	int anthropic = data[0] & 1;
	const char *p = (const char *)data + 2;
	size_t n = size - 2, cut = n ? data[1] % (n + 1) : 0;
	struct gw_usage u = { 0 };
	meter_body(p, n, anthropic, &u);
	struct gw_smeter m = { .anthropic = anthropic, .hide_usage = data[0] & 2 };
	struct sse_parser sp;
	sse_parser_init(&sp, 4096, 65536);
	sse_parser_feed(&sp, p, cut, on_event, &m);
	sse_parser_feed(&sp, p + cut, n - cut, on_event, &m);
	sse_parser_finish(&sp, 1, on_event, &m);
	sse_parser_release(&sp);
	struct gw_usage s;
	meter_stream_usage(&m, 12, &s);
	struct gw_record r = { .id = "x", .provider = "openai", .model = "m", .usage = &s, .status = 200 };
	char buf[4096];
	size_t k = meter_record(&r, buf, sizeof buf);
	if (!k || buf[k - 1] != '\n')
		abort();
	return 0;
}
