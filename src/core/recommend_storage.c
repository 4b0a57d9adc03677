/*
 * recommend_storage.c - storage-cold: storage whose stored volume holds or
 * grows while nothing reads it, where the bill shows both (docs/recommend.md).
 * "Nothing reads it" needs request meters on the resource: a bucket with
 * write (PUT/POST) request lines but no read (GET/SELECT/retrieval/egress)
 * quantity in the last storage_cold.days days. Savings: the capacity cost
 * x (1 - cold tier price ratio).
 */
#include <stdio.h>
#include "core/recommend_int.h"

int rec_storage_cold(struct rec_ctx *c)
{
	int days = c->set.cold_days < c->ndays ? c->set.cold_days : c->ndays;
	if (days < 14)
		return 0;
	int lo = c->to - days + 1;
	for (size_t i = 0; i < c->nres; i++) {
		struct rec_res *x = &c->res[i];
		if (!(x->flags & RF_STORAGE) || (x->flags & RF_COLD) || !(x->flags & RF_REQ_SRC) || x->claimed)
			continue;
		money_t cost = 0, reads = 0, writes = 0, q_first = 0, q_last = 0;
		int n_first = 0, n_last = 0, first = -1, last = -1;
		for (int32_t day = lo; day <= c->to; day++) {
			const struct rec_cell *cl = rec_cell_get(c, (uint32_t)i, day);
			if (!cl)
				continue;
			cost += cl->storage_cost;
			reads += cl->reads;
			writes += cl->writes;
			if (cl->storage_qty > 0) {
				if (first < 0)
					first = day;
				last = day;
			}
			if (day < lo + 7)
				q_first += cl->storage_qty, n_first += cl->storage_qty > 0;
			if (day > c->to - 7)
				q_last += cl->storage_qty, n_last += cl->storage_qty > 0;
		}
		if (cost <= 0 || reads != 0 || !n_first || !n_last || last < c->to - 1)
			continue;
		/* Mean stored volume of the last week against the first: holding or growing. */
		money_t a = 0, b = 0;
		money_muldiv(q_first, 1, n_first, &a);
		money_muldiv(q_last, 1, n_last, &b);
		if (b < a - a / 100)
			continue;
		int span = last - first + 1;
		struct recommendation *r = rec_add(c, RK_STORAGE_COLD, x->id);
		rec_scope(r, "ProviderName", x->provider);
		rec_scope(r, "ServiceName", x->service);
		rec_scope(r, "RegionId", x->region);
		rec_scope(r, "SubAccountName", x->sub_account);
		r->monthly_cost = rec_monthly(cost, span);
		r->monthly_savings = rec_scale(r->monthly_cost, 1 - c->set.cold_price_ratio);
		r->confidence = writes > 0 ? 0.75 : 0.6;
		double growth = money_to_double(a) > 0 ? money_to_double(b) / money_to_double(a) - 1 : 0;
		rec_title(r, "Cold storage %s: no reads for %d days, volume %s%.0f%%", x->name, span, growth >= 0 ? "+" : "",
			  growth * 100);
		rec_action(r, "lifecycle_to_cold_tier", "Add a lifecycle rule moving %s to an infrequent-access or archive"
			   " tier (nothing read it for %d days)", x->name, span);
		rec_param_str(r, "resource_id", "%s", x->id);
		rec_param_num(r, "assumed_price_ratio", c->set.cold_price_ratio);
		rec_ev_period(r, first, last);
		rec_ev_money(r, "storage_cost_in_period", cost);
		rec_ev_money(r, "read_requests", reads);
		rec_ev_money(r, "write_requests", writes);
		rec_ev_money(r, "stored_first_week_avg", money_round(a, 6));
		rec_ev_money(r, "stored_last_week_avg", money_round(b, 6));
		rec_ev_num(r, "volume_growth", growth);
		rec_ev_num(r, "assumed_cold_price_ratio", c->set.cold_price_ratio);
		rec_ev_str(r, "savings_formula", "storage_cost_in_period x 30 / period_days x (1 - cold_price_ratio)");
		x->claimed = RK_STORAGE_COLD + 1;
	}
	return 0;
}
