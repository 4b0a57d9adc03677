/*
 * state.h - budgets and rate limits shared by several gateway instances
 * through Redis (gateway.shared_state; docs/gateway-redis.md).
 *
 * The semantics are limits.h's (same refusals, Retry-After, soft alerts
 * once per period); the state lives in Redis hashes and every change is
 * one Lua script, so admissions of all instances are serialized by Redis:
 *   admit  - purge expired reservations, refill the rpm/tpm buckets (Redis
 *            server time), check parallel/rpm/tpm/budgets of every account,
 *            then take all of them and store the reservation with a lease;
 *   settle - release the reservation (budgets, tpm give-back, parallel
 *            slot), add the actual spend, and fire the soft alert once per
 *            period (the flag is in Redis: one instance sends it);
 *   seed   - raise a period's spend to this instance's view (after Redis
 *            lost its data);
 *   renew  - extend the leases of this instance's reservations in flight.
 * Scripts run with EVALSHA (EVAL after NOSCRIPT) on one hiredis async
 * connection driven by the gateway's libevent loop: the loop never blocks.
 *
 * Money: Redis holds integers of 10^-e USD per budget (e = 9 unless the
 * limit needs a coarser unit to stay below 2^50 units, so Lua's doubles
 * stay exact). Reservations and spend are rounded up, limits down: Redis
 * never admits more than the exact budget allows. The ledger stays exact.
 *
 * Failure: when Redis is unreachable, errs or does not answer within
 * timeout_ms, a request whose accounts have a budget is refused (503
 * budget_unavailable) unless on_failure.budgets is open, and one with rate
 * limits only is admitted unless on_failure.rate_limits is closed. The
 * connection is dropped and retried with backoff; settlements wait in a
 * bounded queue and are sent (idempotently) once it is back.
 *
 * Ownership: struct gw_state is the gateway's (state_new/state_free); it
 * sets the sh_* fields of the config's accounts and budgets and frees them.
 * An st_op belongs to the state; a pending admission's request may go away
 * first (limits_settle detaches it; the reply then releases what it took).
 */
#ifndef AICOST_GW_STATE_H
#define AICOST_GW_STATE_H

#include <stdint.h>
#include "core/money.h"
#include "gateway/limits.h"

struct event_base;
struct evbuffer;
struct gw_conf;

/* The admission of a request that waited for Redis ended: ok = 1 admitted, 0 refused (*why). */
typedef void (*state_admit_cb)(void *arg, int ok, const struct gw_refusal *why);

/*
 * Start the shared state of conf->shared on base: key names for every
 * account, then connect in the background (the gateway serves at once;
 * until Redis answers, requests follow the failure policy). NULL after
 * reporting when conf has no usable shared_state.
 */
struct gw_state *state_new(struct event_base *base, struct gw_conf *conf);
/* Run base until the connection is up, at most `seconds` (at start, so the first requests need not fail). 0 up, -1 not. */
int state_wait_ready(struct gw_state *s, double seconds);
/* Wait (running base) up to `seconds` for settlements in flight or queued, then close and free. */
void state_free(struct gw_state *s, double seconds);

/*
 * Admit a request (limits_admit's arguments) through Redis.
 *   0  admitted now (nothing to check in Redis, or Redis down and the policy is open)
 *  -1  refused now (*why: Redis down and the policy is closed)
 *   1  in flight: cb(arg, ...) is called later from the loop (never from in here)
 * In every case a->st is set, so limits_settle goes to state_settle.
 */
int state_admit(struct gw_state *s, struct gw_account *const *acct, int n, int64_t day, money_t max_cost,
		uint64_t tokens, struct gw_admit *a, struct gw_refusal *why, state_admit_cb cb, void *arg);
/* limits_settle for a shared admission (a pending one is abandoned: its reservation is released on the reply). */
void state_settle(struct gw_admit *a, int64_t day, money_t actual, uint64_t tokens, gw_soft_hook hook, void *hook_arg);
/* limits_charge for a shared admission: spend without a reservation. */
void state_charge(struct gw_admit *a, int64_t day, money_t cost, gw_soft_hook hook, void *hook_arg);

/* 1 when connected and the scripts are loaded. */
int state_up(const struct gw_state *s);
/* The aicost_gateway_shared_state_* lines of /metrics. */
void state_metrics(const struct gw_state *s, struct evbuffer *out);

/* Exposed for tests: money in 10^-e USD units, rounded up (reservations, spend) or down (limits). */
int64_t state_units_up(money_t m, int e);
int64_t state_units_down(money_t m, int e);
/* The unit exponent for a budget limit: the finest (at most 9) keeping the limit below 2^50 units; -1 if none. */
int state_unit_exp(money_t limit);

#endif
