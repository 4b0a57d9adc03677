/*
 * sse.h - server-sent events for the gateway: parse, meter, assemble, replay.
 *
 * Four pieces, all single-threaded, no locks, bounded memory:
 *
 *  1. sse_parser: an incremental WHATWG event-stream parser. Bytes go in
 *     split anywhere (inside a field name, between CR and LF, inside a UTF-8
 *     sequence); complete events come out through a callback. Lines longer
 *     than max_line and events whose data exceeds max_event are an error
 *     (the parser then stays failed), so a hostile upstream cannot grow it.
 *
 *  2. sse_usage_event(): the per-event usage extractor the gateway calls on
 *     every relayed event. It is cheap on events that carry no usage (a byte
 *     scan, no JSON parse) and replaces the running totals with the
 *     cumulative numbers OpenAI (the chunk with a non-null "usage") and
 *     Anthropic (message_start, message_delta) send.
 *
 *  3. sse_asm: the assembler that turns a stream's events into the one
 *     complete non-stream response JSON a cache stores (OpenAI
 *     chat.completion / text_completion, or an Anthropic message).
 *
 *  4. sse_synthesize(): replays such a complete response as an SSE byte
 *     stream in the provider's shape (OpenAI chunks then `data: [DONE]`,
 *     with the usage chunk when include_usage was asked; Anthropic
 *     message_start ... message_stop).
 *
 * Ownership: events handed to the callback point into the parser's own
 * buffers and live only for the duration of the call. sse_asm_finish() and
 * sse_synthesize() return malloc'd buffers the caller frees with free().
 */
#ifndef AICOST_GW_SSE_H
#define AICOST_GW_SSE_H

#include <stddef.h>
#include <stdint.h>

/* The wire format of a request/response pair. */
enum sse_wire {
	SSE_OPENAI_CHAT = 0,     /* POST /v1/chat/completions (and Azure's deployments/{d}/chat/completions) */
	SSE_OPENAI_COMPLETION,   /* POST /v1/completions (legacy text completions) */
	SSE_ANTHROPIC,           /* POST /v1/messages */
};

/* ---- 1. parser ------------------------------------------------------- */

/* One dispatched event. Pointers are valid only during the callback.
 * event is "message" when the stream gave no event: field (WHATWG default).
 * data is the data lines joined by "\n" (no trailing newline); it is
 * NUL-terminated at data[data_len] for convenience. id is the stream's
 * last event id (it persists across events, as the spec says). */
struct sse_event {
	const char *event;
	size_t event_len;
	const char *data;
	size_t data_len;
	const char *id;
	size_t id_len;
	long retry_ms;           /* reconnection time of the last valid retry: field so far, or -1 */
};

/* Return 0 to continue, nonzero to stop: sse_parser_feed returns that value. */
typedef int (*sse_event_fn)(void *ud, const struct sse_event *ev);

#define SSE_DEFAULT_MAX_LINE  (1u << 20)   /* 1 MiB per line */
#define SSE_DEFAULT_MAX_EVENT (4u << 20)   /* 4 MiB of data per event */

struct sse_parser {
	char *line;              /* the current, unfinished line */
	size_t line_len, line_cap;
	char *data;              /* data buffer of the event being built */
	size_t data_len, data_cap;
	char event[64];          /* event type; longer names are truncated */
	size_t event_len;
	char id[256];            /* last event id; longer ids are truncated */
	size_t id_len;
	long retry_ms;
	size_t max_line, max_event;
	uint64_t events;         /* dispatched so far */
	uint8_t bom_checked;     /* a leading U+FEFF is skipped once */
	uint8_t bom_have;        /* BOM bytes matched so far (0..3) */
	uint8_t last_cr;         /* previous chunk ended in CR: a leading LF is not a new line */
	uint8_t failed;          /* a bound was exceeded: every later feed returns -1 */
};

/* max_line / max_event of 0 take the defaults above. Never fails. */
void sse_parser_init(struct sse_parser *p, size_t max_line, size_t max_event);
/* Feed bytes. Returns 0, -1 when a bound is exceeded (no error() printed:
 * the gateway decides what a broken upstream means), or the callback's
 * nonzero return value. */
int sse_parser_feed(struct sse_parser *p, const void *buf, size_t len, sse_event_fn fn, void *ud);
/* End of stream. Per the spec an unterminated last event is discarded, but
 * a final line without its newline is processed first (a non-conforming
 * upstream that ends with "data: [DONE]" and no blank line is common
 * enough), and a pending event is then dispatched only when
 * dispatch_partial is nonzero. Returns like sse_parser_feed. */
int sse_parser_finish(struct sse_parser *p, int dispatch_partial, sse_event_fn fn, void *ud);
void sse_parser_release(struct sse_parser *p);

/* ---- 2. usage -------------------------------------------------------- */

/* Token usage as the provider reports it, normalized to disjoint-ish
 * fields. -1 means "not reported yet". OpenAI: input = prompt_tokens
 * (cache_read = prompt_tokens_details.cached_tokens is INCLUDED in input),
 * output = completion_tokens (reasoning INCLUDED in output). Anthropic:
 * input = input_tokens, cache_read/cache_write = cache_read_input_tokens /
 * cache_creation_input_tokens (NOT included in input, as Anthropic
 * reports them), output = output_tokens. */
struct sse_usage {
	int64_t input, output, cache_read, cache_write, reasoning;
	int seen;                /* number of events that carried usage */
};

void sse_usage_init(struct sse_usage *u);
/* Look at one event; when it carries usage, overwrite the fields it has
 * (both providers send cumulative numbers) and return 1; 0 when the event
 * has no usage; -1 when it claims usage but its JSON is malformed. */
int sse_usage_event(enum sse_wire wire, const struct sse_event *ev, struct sse_usage *u);
/* The same for a complete non-stream response body. */
int sse_usage_body(enum sse_wire wire, const char *json, size_t len, struct sse_usage *u);

/* ---- 3. assembler ---------------------------------------------------- */

struct sse_asm;

/* max_bytes bounds the assembled content (0 = 8 MiB); past it the assembly
 * is abandoned (sse_asm_finish returns NULL) but usage is still tracked. */
struct sse_asm *sse_asm_new(enum sse_wire wire, size_t max_bytes);
/* Feed one event (from sse_parser). Returns 0, or -1 once the assembly is
 * abandoned (bad JSON, bound exceeded, an error event); feeding more is
 * harmless. Also updates the usage returned by sse_asm_usage. */
int sse_asm_event(struct sse_asm *a, const struct sse_event *ev);
/* 1 when the stream ended properly: `data: [DONE]` (OpenAI) or
 * message_stop (Anthropic). A cache must store only complete streams. */
int sse_asm_complete(const struct sse_asm *a);
const struct sse_usage *sse_asm_usage(const struct sse_asm *a);
/* The complete non-stream response JSON (compact), malloc'd, or NULL when
 * the stream was incomplete or abandoned. The assembler stays valid. */
char *sse_asm_finish(struct sse_asm *a, size_t *len);
void sse_asm_free(struct sse_asm *a);

/* ---- 4. synthesizer -------------------------------------------------- */

struct sse_synth_opts {
	int include_usage;       /* OpenAI: stream_options.include_usage was true */
	size_t chunk_chars;      /* split text into deltas of about this many bytes
	                            (cut at UTF-8 boundaries); 0 = 64 */
};

/* Turn a complete non-stream response (as a cache stores it) into the SSE
 * bytes a streamed request would have received. Returns 0 and a malloc'd
 * *out, or -1 when the body is not a response of that wire format. */
int sse_synthesize(enum sse_wire wire, const char *json, size_t len, const struct sse_synth_opts *o,
                   char **out, size_t *out_len);

#endif
