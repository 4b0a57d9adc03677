/*
 * alert.h - budget alerts: once per budget, period, threshold and basis,
 * persisted in the ledger, delivered to webhooks from an outbox.
 *
 *   alert_record()   in ONE transaction: every threshold crossing not yet
 *                    recorded is recorded and its payload queued per
 *                    webhook target. A crash leaves both or neither.
 *   alert_deliver()  afterwards, outside any transaction: each undelivered
 *                    outbox entry (from this run or an earlier one) is
 *                    leased, POSTed with retries and exponential backoff
 *                    within a bounded time, and marked delivered only
 *                    after a 2xx. What fails stays queued for the next run.
 *
 * The receiver sees each alert once unless the process dies between the
 * 2xx and the mark (then it is sent again on a later run: at-least-once);
 * the payload's aicost.id and the Idempotency-Key header are the same
 * stable id, so a receiver can drop the duplicate.
 *
 * Ownership: nothing returned needs freeing except alert_payload's string.
 */
#ifndef AICOST_ALERT_H
#define AICOST_ALERT_H

#include <stddef.h>
#include "core/budget.h"

struct store;

struct alert_stats {
	size_t fired;          /* crossings recorded by this run */
	size_t queued;         /* outbox entries they added */
	size_t delivered;      /* entries delivered by this run (any age) */
	size_t undelivered;    /* entries still queued after this run */
	size_t skipped_targets;   /* notify targets that are not webhook:URL */
};

struct alert_opts {
	double time_budget_s;  /* all deliveries of a run together (default 30) */
	int max_attempts;      /* per entry per run (default 4) */
	double backoff_s;      /* first retry delay, doubled each time (default 0.5) */
};

/* The stable id of a crossing: 32 hex digits of SHA-256 over its key. */
void alert_id(const char *budget, const char *period_start, const char *threshold, const char *basis, char out[33]);

/* The Slack-compatible JSON payload of crossing c of status s (malloc'd). */
char *alert_payload(const struct budget_status *s, const struct budget_crossing *c, const char *id);

/* Record the new crossings of n statuses and queue their payloads. 0 or -1 after reporting. */
int alert_record(struct store *st, const struct budget_status *s, size_t n, struct alert_stats *stats);

/*
 * Deliver the outbox. The ledger stores a key per target, not its URL
 * (hook URLs carry secrets): URLs are looked up among cfg's webhook
 * targets, and an entry whose target left the config stays queued with a
 * warning. Failures are warnings (with the URL redacted) and
 * stay queued; returns 0, or -1 only when the ledger itself failed.
 */
int alert_deliver(struct store *st, const struct config *cfg, const struct alert_opts *o, struct alert_stats *stats);

#endif
