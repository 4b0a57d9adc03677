/*
 * upstream.h - libcurl's multi interface on the gateway's libevent loop.
 *
 * One CURLM drives every upstream transfer: curl tells us which sockets to
 * watch (CURLMOPT_SOCKETFUNCTION) and when to wake it
 * (CURLMOPT_TIMERFUNCTION); libevent calls curl_multi_socket_action() back.
 * The multi handle keeps the connection cache, so connections to an
 * upstream are reused (keep-alive), HTTP/2 is negotiated over TLS
 * (CURL_HTTP_VERSION_2TLS, streams multiplexed with PIPEWAIT), and TLS peers
 * are verified (libcurl's default, never turned off here).
 *
 * Easy handles are pooled: up_easy() hands out a reset handle with the
 * gateway's fixed options set, up_release() takes it back. A transfer ends
 * with its up_xfer's done() callback, called from the loop (never from
 * inside another curl callback); up_cancel() removes a transfer without it.
 *
 * Ownership: the pool owns idle handles; a caller owns a handle between
 * up_easy() and up_release().
 */
#ifndef AICOST_GW_UPSTREAM_H
#define AICOST_GW_UPSTREAM_H

#include <curl/curl.h>

struct event_base;

struct up_xfer {
	void (*done)(struct up_xfer *x, CURLcode rc);
	CURL *easy;
	int active;                  /* added to the multi */
};

struct gw_upstreams;

struct gw_upstreams *up_new(struct event_base *base, long max_idle_conns);
void up_free(struct gw_upstreams *u);
/*
 * A pooled easy handle with the fixed options (no signals, TCP keep-alive,
 * HTTP/2 over TLS). owner names what the caller configures per upstream: a
 * handle last used for the same owner is handed back without
 * curl_easy_reset() (options persist across transfers), so the per-request
 * setup is only what changes.
 */
CURL *up_easy(struct gw_upstreams *u, const void *owner);
void up_release(struct gw_upstreams *u, CURL *e, const void *owner);
/* Start x (x->easy configured by the caller; CURLOPT_PRIVATE is set to x here). 0 or -1. */
int up_start(struct gw_upstreams *u, struct up_xfer *x);
/* Stop x without calling done(). */
void up_cancel(struct gw_upstreams *u, struct up_xfer *x);
/* Transfers in flight. */
int up_running(const struct gw_upstreams *u);
/* Monotonic time (gw_mono) of the last upstream socket event or request started, 0 before the first. */
double up_last_io(const struct gw_upstreams *u);

#endif
