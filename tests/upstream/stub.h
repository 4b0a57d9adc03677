/*
 * stub.h: the stand-in LLM upstream (llm_stub) used by the gateway's
 * integration tests and benchmarks. Shared types between the server
 * (llm_stub.c), the request reader (stub_req.c) and the wire writers
 * (stub_openai.c, stub_anthropic.c).
 *
 * Memory: a struct call is malloc'd per request by llm_stub.c and freed by
 * call_free() once the reply is finished (or the connection is gone). It
 * owns its json_t (body) reference and its timer event. Writers append to
 * an evbuffer the caller owns and never keep pointers into the call.
 */
#ifndef LLM_STUB_H
#define LLM_STUB_H

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

/* Limits: the stub is a test tool, but it must not be DoS'd by a fuzzing
 * gateway test either. */
#define STUB_MAX_BODY       (8u << 20)  /* request body bytes (413 above) */
#define STUB_MAX_TOKENS     1000000L    /* completion tokens one reply may have */
#define STUB_MAX_DIMS       8192        /* embedding dimensions */
#define STUB_MAX_INPUTS     2048        /* embedding inputs per request */
#define STUB_MODEL_MAX      256         /* model / deployment name bytes */

enum proto { PROTO_OPENAI, PROTO_AZURE, PROTO_ANTHROPIC };
enum ep { EP_CHAT, EP_COMPLETIONS, EP_EMBEDDINGS, EP_MODELS, EP_MESSAGES };

struct stub_opts {
	int latency_ms;     /* before the response headers, every request */
	int chunk_delay_ms; /* between stream chunks */
	long chunks;        /* completion tokens when the request names none */
	int quiet;          /* no per-request log line on stderr */
	const char *key;    /* required API key (NULL: any non-empty key) */
};

struct call {
	struct evhttp_request *req;
	enum proto proto;
	enum ep ep;
	unsigned long seq;          /* request number, seeds the ids */
	long created;               /* unix seconds */
	char model[STUB_MODEL_MAX]; /* as the request named it (Azure: deployment) */
	long prompt_tokens;
	long completion_tokens;
	long cached_tokens;         /* of the prompt, read from the provider's cache (x-stub-cached-tokens) */
	long cache_write_tokens;    /* Anthropic: of the prompt, written to the cache (x-stub-cache-write-tokens) */
	long reasoning_tokens;      /* OpenAI: of the completion, reasoning (x-stub-reasoning-tokens) */
	int finish_length;          /* the count was a max_tokens limit: "length" */
	int stream;
	int include_usage;          /* stream_options.include_usage */
	/* embeddings */
	json_t *body;               /* parsed request (owned reference) */
	int dims;
	int b64;                    /* encoding_format "base64" */
	/* stream state */
	int step;                   /* next chunk to write (writer-defined) */
	long sent;                  /* chunks written so far */
	long reset_after;           /* RST the connection after this many chunks; -1 none */
	long error_after;           /* write an error event after this many chunks; -1 none */
	int delay_ms;               /* between chunks */
	int status;                 /* x-stub-status (0: none) */
	char retry_after[32];       /* value of retry-after on 429/503 */
	struct event *timer;
};

/* stub_req.c: read the request body into the call. Returns 0, or an HTTP
 * status (400) with *msg set to the provider's message and *param to the
 * offending parameter (or NULL). */
int req_parse(struct call *c, const char *body, size_t len, const struct stub_opts *o,
              long hdr_tokens, const char **msg, const char **param);
/* Embedding of one text (feature hashing of lower-cased words, L2-normalized). */
void embed_text(const char *s, size_t n, float *v, int dims);

/* stub_wire.c: small writers shared by the protocol files. */
void w_str(struct evbuffer *b, const char *s);        /* JSON string, quoted */
void w_strn(struct evbuffer *b, const char *s, size_t n);
const char *word_at(long i);                           /* the i-th reply word */
void make_id(char *out, size_t cap, const char *prefix, unsigned long seq, int len);
void w_text(struct evbuffer *b, long ntok);            /* "w0 w1 ..." as a JSON string */

/* stub_openai.c: OpenAI and Azure OpenAI. */
void oa_body(struct call *c, struct evbuffer *b);       /* non-stream 200 body */
int oa_chunk(struct call *c, struct evbuffer *b);       /* next SSE chunk; 0 = done */
void oa_error_body(enum proto p, int status, const char *msg, const char *type,
                   const char *param, const char *code, struct evbuffer *b);
void oa_status_error(struct call *c, int status, struct evbuffer *b); /* x-stub-status */
void oa_stream_error(struct call *c, struct evbuffer *b);
void oa_models(struct evbuffer *b, long created);
void oa_headers(struct call *c, struct evkeyvalq *h, int stream);

/* stub_anthropic.c: Anthropic Messages. */
void an_body(struct call *c, struct evbuffer *b);
int an_chunk(struct call *c, struct evbuffer *b);
void an_error_body(int status, const char *type, const char *msg, unsigned long seq,
                   struct evbuffer *b);
void an_status_error(struct call *c, int status, struct evbuffer *b);
void an_stream_error(struct call *c, struct evbuffer *b);
void an_headers(struct call *c, struct evkeyvalq *h, int stream);
const char *an_error_type(int status);

#endif
