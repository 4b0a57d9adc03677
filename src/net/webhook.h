/*
 * webhook.h - POST a JSON payload to a webhook URL (libcurl), and print
 * webhook URLs without their secrets.
 *
 * One call is one attempt; retries and backoff belong to the caller
 * (core/alert.c), which knows the run's time budget. Only http and https
 * are allowed, redirects are not followed (a moved hook is an error to
 * fix, not a place to send alert contents), and nothing the receiver
 * sends back is printed.
 *
 * Secrets: Slack, Teams and most hook URLs carry their token in the path
 * or query. webhook_redact() keeps scheme://host[:port] only, and the
 * error text of a failed attempt never contains the URL.
 *
 * Ownership: the caller owns every buffer; nothing is kept between calls
 * except libcurl's global state (initialized once).
 */
#ifndef AICOST_WEBHOOK_H
#define AICOST_WEBHOOK_H

#include <stddef.h>

struct webhook_result {
	long http_status;     /* 0 when no HTTP answer came */
	int ok;               /* a 2xx */
	int retry;            /* worth retrying: network errors, timeouts, 408, 429, 5xx */
	double retry_after;   /* seconds from a Retry-After header, 0 if none */
	char why[200];        /* on failure: what happened, without the URL */
};

/*
 * POST body (n bytes, JSON) to url with an Idempotency-Key header (may be
 * NULL), giving up after timeout_s seconds. Returns 0 when the request was
 * made (see r->ok), -1 when it could not even be set up (r->why says why).
 * Prints nothing.
 */
int webhook_post(const char *url, const char *body, size_t n, const char *idem_key, double timeout_s,
		 struct webhook_result *r);

/* "scheme://host[:port]/..." into out (cap bytes): no user info, path or query. */
void webhook_redact(const char *url, char *out, size_t cap);

#endif
