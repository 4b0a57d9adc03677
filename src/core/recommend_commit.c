/*
 * recommend_commit.c - commitment: a steady on-demand compute baseline
 * becomes a Savings Plan / reservation / committed-use discount
 * (docs/recommend.md).
 *
 * The baseline of a provider on a day is the on-demand usage cost of its
 * Compute resources (not endpoints), each scaled by what the capacity
 * findings left of it: nothing of an idle, stale or spot resource, the
 * kept hours of a stop schedule, the target/current price of a rightsized
 * one. With a commitment of c (on-demand equivalent per day) at discount
 * r, a day costs c(1-r) + max(0, b - c) instead of b, so over n days the
 * net saving is  sum(min(b_d, c)) - n c (1 - r).  For each lookback (7,
 * 30, 60 days by default) the best c is one of the daily baselines; the
 * level chosen is the candidate whose worst net saving per day over all
 * lookbacks is largest, and the monthly saving is that worst case x 30.
 * Break-even utilisation = 1 - r: below it the commitment loses money.
 * Existing commitments (CommitmentDiscountStatus Used/Unused) are reported in
 * the notes with their utilisation and coverage; a provider whose existing
 * commitments are used below break-even gets no new one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/recommend_int.h"
#include "util/err.h"

struct prov {
	const char *name;
	money_t *base;            /* per scan day */
	money_t *committed;       /* existing commitments' usage, per scan day */
	money_t od_window, com_window;
	int *has;                 /* scan day has any cost data for the provider */
};

static int cmp_money(const void *a, const void *b)
{
	money_t x = *(const money_t *)a, y = *(const money_t *)b;
	return x < y ? -1 : x > y;
}

/* Net saving over days [lo, hi] (scan indexes with data) at level c. */
static money_t net(const struct prov *p, int lo, int hi, money_t c, double disc, int *n)
{
	money_t used = 0;
	*n = 0;
	for (int d = lo; d <= hi; d++) {
		if (!p->has[d])
			continue;
		used += p->base[d] < c ? p->base[d] : c;
		(*n)++;
	}
	money_t fee = rec_scale(c * *n, 1 - disc);
	return used - fee;
}

int rec_commitment(struct rec_ctx *c)
{
	int nd = c->to - c->scan_from + 1;
	struct prov *pv = NULL;
	size_t np = 0;
	if (nd <= 0)
		return 0;
	for (size_t i = 0; i < c->ncells; i++) {
		const struct rec_cell *cl = &c->cells[i];
		const struct rec_res *x = &c->res[cl->res];
		if (!(x->flags & RF_COMPUTE) || (x->flags & RF_ENDPOINT) || cl->day < c->scan_from || cl->day > c->to)
			continue;
		size_t k;
		for (k = 0; k < np && strcmp(pv[k].name, x->provider); k++)
			;
		if (k == np) {
			pv = xrealloc(pv, (np + 1) * sizeof *pv);
			memset(&pv[np], 0, sizeof pv[np]);
			pv[np].name = x->provider;
			pv[np].base = xcalloc((size_t)nd, sizeof(money_t));
			pv[np].committed = xcalloc((size_t)nd, sizeof(money_t));
			pv[np].has = xcalloc((size_t)nd, sizeof(int));
			np++;
		}
		struct prov *p = &pv[k];
		int d = cl->day - c->scan_from;
		money_t keep = cl->cost[PC_OD];
		if (x->claimed && money_muldiv(cl->cost[PC_OD], x->keep_num, x->keep_den, &keep) < 0)
			keep = 0;
		p->base[d] += keep;
		p->committed[d] += cl->cost[PC_COMMIT];
		p->has[d] = 1;
		if (cl->day >= c->from) {
			p->od_window += cl->cost[PC_OD];
			p->com_window += cl->cost[PC_COMMIT];
		}
	}
	for (size_t k = 0; k < np; k++) {
		struct prov *p = &pv[k];
		enum rec_prov fam = rec_provider(p->name);
		double disc = c->set.commit_discount[fam];
		int lo[REC_MAX_LOOKBACKS], ok[REC_MAX_LOOKBACKS], any = 0;
		money_t cand[REC_MAX_LOOKBACKS];
		for (int l = 0; l < c->set.nlookbacks; l++) {
			lo[l] = nd - c->set.lookbacks[l];
			if (lo[l] < 0)
				lo[l] = 0;
			/* Candidates: every distinct daily baseline of the lookback; keep the best. */
			money_t *v = xmalloc((size_t)(nd - lo[l]) * sizeof *v);
			int n = 0;
			for (int d = lo[l]; d < nd; d++)
				if (p->has[d])
					v[n++] = p->base[d];
			ok[l] = n >= c->set.commit_min_days;
			cand[l] = 0;
			if (ok[l]) {
				qsort(v, (size_t)n, sizeof *v, cmp_money);
				money_t best = 0;
				for (int i = 0; i < n; i++) {
					if (v[i] <= 0 || (i && v[i] == v[i - 1]))
						continue;
					int m;
					money_t s = net(p, lo[l], nd - 1, v[i], disc, &m);
					if (s > best)
						best = s, cand[l] = v[i];
				}
				any |= cand[l] > 0;
			}
			free(v);
		}
		if (!any)
			continue;
		/* The level whose worst net saving per day over the lookbacks is largest. */
		money_t level = 0, worst_best = 0;
		for (int a = 0; a < c->set.nlookbacks; a++) {
			if (!ok[a] || cand[a] <= 0)
				continue;
			money_t worst = 0;
			int first = 1;
			for (int l = 0; l < c->set.nlookbacks; l++) {
				if (!ok[l])
					continue;
				int m;
				money_t s = net(p, lo[l], nd - 1, cand[a], disc, &m), per = 0;
				if (m)
					money_muldiv(s, 1, m, &per);
				if (first || per < worst)
					worst = per, first = 0;
			}
			if (worst > worst_best)
				worst_best = worst, level = cand[a];
		}
		if (level <= 0 || worst_best <= 0)
			continue;
		/* Existing commitments of the provider used below break-even: more would only add waste. */
		int underused = 0;
		for (size_t i = 0; i < c->ncuse; i++) {
			money_t all = c->cuse[i].used + c->cuse[i].unused;
			if (!strcmp(c->cuse[i].provider, p->name) && all > 0 &&
			    money_to_double(c->cuse[i].used) / money_to_double(all) < 1 - disc)
				underused = 1;
		}
		if (underused)
			continue;
		struct recommendation *r = rec_add(c, RK_COMMITMENT, "");
		rec_scope(r, "ProviderName", p->name);
		rec_scope(r, "ServiceCategory", "Compute");
		r->monthly_savings = worst_best * 30;
		/* The on-demand cost the commitment would cover, per month. */
		r->monthly_cost = level * 30;
		money_t per_hour = 0, fee_hour = 0;
		money_muldiv(level, 1, 24, &per_hour);
		fee_hour = rec_scale(per_hour, 1 - disc);
		int lmax = 0;
		for (int l = 0; l < c->set.nlookbacks; l++)
			if (ok[l] && c->set.lookbacks[l] > lmax)
				lmax = c->set.lookbacks[l];
		r->confidence = lmax >= 30 ? 0.8 : 0.65;
		char ph[MONEY_BUFSZ];
		money_format(per_hour, ph, 2, 2);
		rec_title(r, "Commit %s/h of %s on-demand compute (Savings Plan, reservation or CUD)", ph, p->name);
		rec_action(r, "purchase_commitment", "Buy a 1-year %s commitment covering %s/h of on-demand compute"
			   " (assumed discount %.0f%%; break-even at %.0f%% utilisation)", p->name, ph, disc * 100,
			   (1 - disc) * 100);
		rec_param_str(r, "provider", "%s", p->name);
		rec_param_money(r, "hourly_commitment_on_demand_equivalent", money_round(per_hour, 6));
		rec_param_money(r, "hourly_commitment_cost", money_round(fee_hour, 6));
		rec_param_str(r, "term", "1 year");
		rec_param_num(r, "assumed_discount", disc);
		int first_day = nd;
		for (int l = 0; l < c->set.nlookbacks; l++)
			if (ok[l] && lo[l] < first_day)
				first_day = lo[l];
		while (first_day < nd && !p->has[first_day])
			first_day++;
		rec_ev_period(r, c->scan_from + first_day, c->to);
		rec_ev_money(r, "commit_per_hour", money_round(per_hour, 6));
		rec_ev_money(r, "commitment_cost_per_hour", money_round(fee_hour, 6));
		rec_ev_num(r, "assumed_discount", disc);
		rec_ev_num(r, "break_even_utilization", 1 - disc);
		for (int l = 0; l < c->set.nlookbacks; l++) {
			if (!ok[l])
				continue;
			char key[48];
			int m;
			money_t tot = 0, used = 0, s = net(p, lo[l], nd - 1, level, disc, &m), x = 0;
			for (int d = lo[l]; d < nd; d++)
				if (p->has[d]) {
					tot += p->base[d];
					used += p->base[d] < level ? p->base[d] : level;
				}
			int L = c->set.lookbacks[l];
			snprintf(key, sizeof key, "days_with_data_%dd", L);
			rec_ev_int(r, key, m);
			money_muldiv(tot, 1, (money_t)m * 24, &x);
			snprintf(key, sizeof key, "baseline_per_hour_%dd", L);
			rec_ev_money(r, key, money_round(x, 6));
			money_muldiv(cand[l], 1, 24, &x);
			snprintf(key, sizeof key, "best_level_per_hour_%dd", L);
			rec_ev_money(r, key, money_round(x, 6));
			money_muldiv(s, 30, m, &x);
			snprintf(key, sizeof key, "monthly_net_savings_%dd", L);
			rec_ev_money(r, key, money_round(x, 6));
			snprintf(key, sizeof key, "utilization_%dd", L);
			rec_ev_num(r, key, level > 0 && m ? money_to_double(used) / (money_to_double(level) * m) : 0);
		}
		rec_ev_money(r, "on_demand_cost_in_window", p->od_window);
		rec_ev_money(r, "committed_cost_in_window", p->com_window);
		money_t cov_den = p->od_window + p->com_window;
		rec_ev_num(r, "existing_coverage", cov_den > 0 ? money_to_double(p->com_window) / money_to_double(cov_den) : 0);
		rec_ev_str(r, "baseline", "on-demand Compute usage after the capacity findings above");
		rec_ev_str(r, "savings_formula", "min over lookbacks of (sum(min(baseline_d, level)) - days x level x"
						 " (1 - discount)) / days x 30");
	}
	/* Existing commitments: utilisation (used / (used + unused)) and coverage of on-demand compute. */
	for (size_t i = 0; i < c->ncuse; i++) {
		const struct rec_commit_use *u = &c->cuse[i];
		money_t all = u->used + u->unused, od = 0;
		if (all <= 0)
			continue;
		for (size_t k = 0; k < np; k++)
			if (!strcmp(pv[k].name, u->provider))
				od = pv[k].od_window;
		char a[MONEY_BUFSZ], b[MONEY_BUFSZ];
		money_format(u->used, a, 2, 2);
		money_format(u->unused, b, 2, 2);
		double util = money_to_double(u->used) / money_to_double(all);
		double cov = money_to_double(u->used) / (money_to_double(u->used) + money_to_double(od));
		rec_note(c, "existing commitments of %s in the window: %s used, %s unused: utilisation %.1f%%, coverage"
			    " of on-demand compute %.1f%%%s", u->provider[0] ? u->provider : "(no provider)", a, b, util * 100,
			 cov * 100, util < 1 - c->set.commit_discount[rec_provider(u->provider)]
			 ? " (below break-even: do not add more)" : "");
		for (size_t r = 0; r < c->nrecs; r++) {
			struct recommendation *x = &c->recs[r];
			if (x->kind == RK_COMMITMENT && x->nscope && !strcmp(x->scope_vals[0], u->provider)) {
				rec_ev_num(x, "existing_commitment_utilization", util);
				rec_ev_money(x, "existing_commitment_unused_in_window", u->unused);
			}
		}
	}
	for (size_t k = 0; k < np; k++) {
		free(pv[k].base);
		free(pv[k].committed);
		free(pv[k].has);
	}
	free(pv);
	return 0;
}
