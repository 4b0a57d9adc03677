/*
 * limits.c - budgets (reservations) and rate limits (token buckets); see
 * limits.h.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "formats/focus.h"
#include "gateway/limits.h"
#include "gateway/state.h"

int64_t gw_period_start(enum gw_period p, int64_t day)
{
	int y, m, d;
	switch (p) {
	case GPER_DAY:
		return day;
	case GPER_WEEK:
		/* ISO weeks start on Monday; 1970-01-01 was a Thursday (day 0 -> weekday 3). */
		return day - ((day % 7 + 7 + 3) % 7);
	case GPER_MONTH:
		day_to_ymd(day, &y, &m, &d);
		return ymd_to_day(y, m, 1);
	case GPER_TOTAL:
		return 0;
	}
	return 0;
}

const char *gw_period_name(enum gw_period p)
{
	static const char *const n[] = { "day", "week", "month", "total" };
	return n[p];
}

/* Roll the budget into the period of `day`: a new period starts with nothing spent. */
static void roll(struct gw_budget *b, int64_t day)
{
	int64_t s = gw_period_start(b->period, day);
	if (s != b->period_start) {
		b->period_start = s;
		b->spent = 0;
		b->soft_sent = 0;
	}
}

double limits_budget_retry(enum gw_period p, int64_t day)
{
	/* Until the period ends (a total budget never resets: retry in a day). */
	int64_t next = p == GPER_TOTAL || p == GPER_DAY ? day + 1 : p == GPER_WEEK ? gw_period_start(p, day) + 7 : 0;
	if (p == GPER_MONTH) {
		int y, m, d;
		day_to_ymd(day, &y, &m, &d);
		next = ymd_to_day(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1);
	}
	return (double)(next - day) * 86400.0;
}

static void refill(struct gw_rate *r, double now)
{
	if (r->last == 0) {
		/* First use: full buckets. */
		r->rpm_level = r->rpm;
		r->tpm_level = r->tpm;
	} else if (now > r->last) {
		double dt = now - r->last;
		r->rpm_level = fmin((double)r->rpm, r->rpm_level + dt * r->rpm / 60.0);
		r->tpm_level = fmin((double)r->tpm, r->tpm_level + dt * r->tpm / 60.0);
	} else {
		return;
	}
	r->last = now > 0 ? now : 1e-9;
}

static void soft_check(struct gw_account *a, struct gw_budget *b, gw_soft_hook hook, void *arg)
{
	/* Actual spend only: a reservation may settle far below itself, and an alert cannot be taken back. */
	money_t used = b->spent, th;
	if (!b->soft || b->soft_sent || !hook)
		return;
	if (money_muldiv(b->limit, b->soft, MONEY_ONE, &th) < 0)
		return;
	if (used >= th) {
		b->soft_sent = 1;
		hook(arg, a, b, used);
	}
}

int limits_admit(struct gw_account *const *acct, int n, double mono, int64_t day, money_t max_cost, uint64_t tokens,
		 struct gw_admit *a, struct gw_refusal *why, gw_soft_hook hook, void *hook_arg)
{
	memset(a, 0, sizeof *a);
	why->kind = GR_OK;
	why->retry_after = 0;
	why->message[0] = 0;
	why->type = NULL;
	/* Check everything first: all or nothing. */
	for (int i = 0; i < n; i++) {
		struct gw_account *ac = acct[i];
		if (!ac)
			continue;
		struct gw_rate *r = &ac->rate;
		refill(r, mono);
		if (r->parallel && r->inflight >= r->parallel) {
			why->kind = GR_RATE;
			why->retry_after = 1;
			snprintf(why->message, sizeof why->message, "%s '%s': %u requests in flight (parallel limit %u)",
				 ac->kind, ac->name, r->inflight, r->parallel);
			return -1;
		}
		if (r->rpm && r->rpm_level < 1.0) {
			why->kind = GR_RATE;
			why->retry_after = (1.0 - r->rpm_level) * 60.0 / r->rpm;
			snprintf(why->message, sizeof why->message, "%s '%s': rate limit of %u requests per minute reached",
				 ac->kind, ac->name, r->rpm);
			return -1;
		}
		if (r->tpm) {
			/* A request larger than the whole bucket waits for a full one, or it would never pass. */
			double need = tokens > r->tpm ? (double)r->tpm : (double)tokens;
			if (r->tpm_level < need) {
				why->kind = GR_RATE;
				why->retry_after = (need - r->tpm_level) * 60.0 / r->tpm;
				snprintf(why->message, sizeof why->message,
					 "%s '%s': rate limit of %u tokens per minute reached (this request needs about %llu)",
					 ac->kind, ac->name, r->tpm, (unsigned long long)tokens);
				return -1;
			}
		}
		for (size_t k = 0; k < ac->nbudgets; k++) {
			struct gw_budget *b = &ac->budgets[k];
			roll(b, day);
			money_t after = b->spent + b->reserved + max_cost;
			if (after > b->limit) {
				char lim[MONEY_BUFSZ], used[MONEY_BUFSZ];
				money_format(b->limit, lim, 2, 6);
				money_format(b->spent + b->reserved, used, 2, 6);
				why->kind = GR_BUDGET;
				why->retry_after = limits_budget_retry(b->period, day);
				snprintf(why->message, sizeof why->message,
					 "%s '%s': %s budget of $%s would be exceeded ($%s spent or reserved)", ac->kind,
					 ac->name, gw_period_name(b->period), lim, used);
				return -1;
			}
		}
	}
	for (int i = 0; i < n; i++) {
		struct gw_account *ac = acct[i];
		if (!ac)
			continue;
		struct gw_rate *r = &ac->rate;
		if (r->rpm)
			r->rpm_level -= 1.0;
		if (r->tpm)
			r->tpm_level -= (double)tokens;
		r->inflight++;
		for (size_t k = 0; k < ac->nbudgets; k++)
			ac->budgets[k].reserved += max_cost;
		a->acct[a->n++] = ac;
	}
	a->reserved = max_cost;
	a->tokens_reserved = tokens;
	a->admitted = 1;
	return 0;
}

void limits_settle(struct gw_admit *a, double mono, int64_t day, money_t actual, uint64_t tokens, gw_soft_hook hook,
		   void *hook_arg)
{
	if (a->st) {
		state_settle(a, day, actual, tokens, hook, hook_arg);
		return;
	}
	if (!a->admitted)
		return;
	for (int i = 0; i < a->n; i++) {
		struct gw_account *ac = a->acct[i];
		struct gw_rate *r = &ac->rate;
		refill(r, mono);
		if (r->tpm) {
			/* Give back what was reserved but not used (or take the excess). */
			r->tpm_level += (double)a->tokens_reserved - (double)tokens;
			if (r->tpm_level > r->tpm)
				r->tpm_level = r->tpm;
		}
		if (r->inflight)
			r->inflight--;
		for (size_t k = 0; k < ac->nbudgets; k++) {
			struct gw_budget *b = &ac->budgets[k];
			b->reserved -= a->reserved;
			if (b->reserved < 0)
				b->reserved = 0;
			/* A request admitted in the last period and finished in this one counts in this one. */
			roll(b, day);
			b->spent += actual;
			soft_check(ac, b, hook, hook_arg);
		}
	}
	a->admitted = 0;
}

void limits_charge(struct gw_admit *a, int64_t day, money_t cost, gw_soft_hook hook, void *hook_arg)
{
	if (a->st) {
		state_charge(a, day, cost, hook, hook_arg);
		return;
	}
	for (int i = 0; a->admitted && i < a->n; i++)
		for (size_t k = 0; k < a->acct[i]->nbudgets; k++) {
			struct gw_budget *b = &a->acct[i]->budgets[k];
			roll(b, day);
			b->spent += cost;
			soft_check(a->acct[i], b, hook, hook_arg);
		}
}

double limits_budget_use(const struct gw_account *a, int64_t day)
{
	double worst = 0;
	if (!a)
		return 0;
	for (size_t k = 0; k < a->nbudgets; k++) {
		const struct gw_budget *b = &a->budgets[k];
		money_t spent = gw_period_start(b->period, day) == b->period_start ? b->spent : 0;
		double u = money_to_double(spent + b->reserved) / money_to_double(b->limit);
		/* Shared state: what Redis said at this account's last admission (all instances' spend and reservations). */
		if (b->sh_key && b->sh_limit > 0 && b->sh_used_start == gw_period_start(b->period, day)) {
			double su = (double)b->sh_used / (double)b->sh_limit;
			if (su > u)
				u = su;
		}
		if (u > worst)
			worst = u;
	}
	return worst;
}

void limits_local_spend(struct gw_account *ac, int64_t day, money_t cost)
{
	for (size_t k = 0; ac && k < ac->nbudgets; k++) {
		roll(&ac->budgets[k], day);
		ac->budgets[k].spent += cost;
	}
}
