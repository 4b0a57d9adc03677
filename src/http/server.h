/*
 * server.h - `aicost serve`: the HTTP server behind the JSON API, the
 * dashboard and /metrics (docs/server.md).
 *
 * Threads: one libevent loop accepts connections, parses and authenticates
 * requests, answers static files, health and cache hits itself, and hands
 * everything else to a small pool of worker threads. Each worker has its own
 * ledger connection (SQLite WAL: readers never block an ingest) and shares
 * the read-only config. Finished work comes back to the loop, which answers
 * every request waiting for it and keeps the body in the response cache
 * (cache.h) under the ledger's version.
 *
 * Limits: request headers 16 KiB, query strings 8 KiB and 64 parameters,
 * no request bodies, 30 s read/write timeouts, a bounded work queue (503 when
 * full), a bounded cache. Per-request memory is freed when the request is
 * answered.
 */
#ifndef AICOST_HTTP_SERVER_H
#define AICOST_HTTP_SERVER_H

#include <stddef.h>

struct srv_opts {
	const char *db_path;
	const char *config_path;     /* may be NULL: the empty config */
	const char *listen;          /* "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:8080"; port 0 = any free port */
	int workers;                 /* 0: one per CPU, 2 to 8 */
	size_t cache_bytes;          /* response cache; 0: no caching (single flight still applies) */
	int max_queue;               /* queued queries before 503; 0: 256 */
	int access_log;              /* one line per request on stderr */
	int snapshot;                /* keep an in-memory copy of the report engine's reads (snapshot.h) */
	const char *ready_file;      /* write "http://HOST:PORT/\n" here once listening (tests), may be NULL */
};

/* Serve until SIGINT or SIGTERM. 0 after a clean stop, -1 after reporting. */
int srv_run(const struct srv_opts *o);

/* Parse "HOST:PORT" into host (IP literal, brackets removed) and port; loopback gets 1 when it is. 0 or -1. */
int srv_parse_listen(const char *s, char *host, size_t hostn, unsigned *port, int *loopback);

#endif
