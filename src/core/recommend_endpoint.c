/*
 * recommend_endpoint.c - stale-endpoint: hosted inference endpoints and
 * provisioned model throughput that keep costing money while carrying no
 * traffic (docs/recommend.md). Traffic is whatever the data shows for the
 * endpoint: request/invocation/token meters on the same ResourceId, token
 * charges of a model named like the endpoint (ingest llm), or busy GPU
 * time of a telemetry host joined to it. An endpoint with none of those
 * sources is not judged (the data cannot say it is unused).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "core/recommend_int.h"
#include "formats/focus.h"
#include "util/err.h"

static int model_of(const struct rec_ctx *c, const char *name)
{
	char k[256];
	size_t n = 0;
	uint32_t id;
	for (; name && *name && n + 1 < sizeof k; name++)
		k[n++] = (char)tolower((unsigned char)*name);
	k[n] = 0;
	return n && dict_get(&c->model_traffic, k, n, hash_bytes(k, n), &id) ? (int)id : -1;
}

static const char *tail(const char *id)
{
	const char *t = id;
	for (const char *p = id; *p; p++)
		if ((*p == '/' || *p == ':') && p[1])
			t = p + 1;
	return t;
}

int rec_stale_endpoints(struct rec_ctx *c)
{
	int blind = 0;
	for (size_t i = 0; i < c->nres; i++) {
		struct rec_res *x = &c->res[i];
		if (!(x->flags & RF_ENDPOINT) || (x->flags & RF_TOKENS) || x->claimed)
			continue;
		int m1 = model_of(c, x->name), m2 = model_of(c, tail(x->id));
		int host = -1;
		for (size_t h = 0; h < c->nhosts && host < 0; h++)
			if (c->hosts[h].res == (int)i)
				host = (int)h;
		const char *src = x->flags & RF_TRAFFIC_SRC ? "request meters on the endpoint"
				  : m1 >= 0 || m2 >= 0 ? "token charges of its model"
				  : host >= 0 ? "GPU telemetry of its host" : NULL;
		if (!src) {
			blind++;
			continue;
		}
		/* Walk back from the window's end: days with cost and without traffic. */
		int last_cost = -1, end = -1, start = -1, last_traffic = -1;
		money_t cost = 0;
		for (int d = c->ndays - 1; d >= 0; d--) {
			int32_t day = c->from + d;
			const struct rec_cell *cl = rec_cell_get(c, (uint32_t)i, day);
			money_t dc = 0;
			for (int k = 0; cl && k < PC__COUNT; k++)
				dc += cl->cost[k];
			int sd = day - c->scan_from;
			int traffic = (cl && cl->traffic > 0) || (m1 >= 0 && c->model_days[m1][sd]) ||
				      (m2 >= 0 && c->model_days[m2][sd]);
			if (host >= 0) {
				const struct rec_host *ho = &c->hosts[host];
				traffic |= ho->ngpu[d] && ho->gh[d] - ho->idle_h[d] > c->set.idle_busy_share * ho->gh[d];
			}
			if (traffic) {
				last_traffic = d;
				break;
			}
			if (dc != 0 && last_cost < 0)
				last_cost = d;
			if (last_cost >= 0) {
				if (end < 0)
					end = d;
				start = d;
				if (money_add(&cost, dc) < 0)
					return error("recommend: endpoint cost overflows");
			}
		}
		if (last_cost < c->ndays - 2 || start < 0)
			continue;   /* no cost at the end of the window: already gone */
		int span = end - start + 1;
		if (span < c->set.stale_days || cost <= 0)
			continue;
		/* Traffic before the window (the history read for commitments) says when it stopped. */
		int32_t last_seen = last_traffic >= 0 ? c->from + last_traffic : INT32_MIN;
		if (last_traffic < 0)
			for (int32_t day = c->from - 1; day >= c->scan_from && last_seen == INT32_MIN; day--) {
				const struct rec_cell *cl = rec_cell_get(c, (uint32_t)i, day);
				int sd = day - c->scan_from;
				if ((cl && cl->traffic > 0) || (m1 >= 0 && c->model_days[m1][sd]) ||
				    (m2 >= 0 && c->model_days[m2][sd]))
					last_seen = day;
			}
		struct recommendation *r = rec_add(c, RK_STALE_ENDPOINT, x->id);
		rec_scope(r, "ProviderName", x->provider);
		rec_scope(r, "ServiceName", x->service);
		rec_scope(r, "RegionId", x->region);
		rec_scope(r, "SubAccountName", x->sub_account);
		r->monthly_cost = rec_monthly(cost, span);
		r->monthly_savings = r->monthly_cost;
		r->confidence = span >= 14 ? 0.9 : 0.8;
		rec_title(r, "Stale endpoint %s: no traffic for %d days, still billed", x->name, span);
		rec_action(r, "delete_endpoint", "Delete or scale to zero the endpoint %s (%s): it carried no traffic for %d"
			   " days", x->name, x->service, span);
		rec_param_str(r, "resource_id", "%s", x->id);
		rec_param_str(r, "service", "%s", x->service);
		rec_ev_period(r, c->from + start, c->from + end);
		rec_ev_int(r, "days_without_traffic", span);
		if (last_seen != INT32_MIN) {
			char b[11];
			format_day(last_seen, b);
			rec_ev_str(r, "last_traffic_day", "%s", b);
		} else {
			rec_ev_str(r, "last_traffic_day", "none since %s", "the start of the data read");
		}
		rec_ev_str(r, "traffic_source", "%s", src);
		rec_ev_money(r, "cost_in_period", cost);
		rec_ev_str(r, "savings_formula", "cost_in_period x 30 / period_days");
		x->claimed = RK_STALE_ENDPOINT + 1;
		x->keep_num = 0;
		x->keep_den = 1;
	}
	if (blind)
		rec_note(c, "%d endpoint%s without any traffic signal (request meters, model token charges or GPU"
			    " telemetry) were not judged for stale-endpoint", blind, blind == 1 ? "" : "s");
	return 0;
}
