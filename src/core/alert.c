/* alert.c - budget alert state, payloads and delivery; see alert.h and docs/budgets.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/alert.h"
#include "formats/focus.h"
#include "formats/input.h"
#include "net/webhook.h"
#include "store/store.h"
#include "util/err.h"

void alert_id(const char *budget, const char *period_start, const char *threshold, const char *basis, char out[33])
{
	size_t n = strlen(budget) + strlen(period_start) + strlen(threshold) + strlen(basis) + 4;
	char *k = xmalloc(n), hex[65];
	/* NUL separators: no two different keys give the same bytes. */
	size_t o = 0;
	const char *parts[] = { budget, period_start, threshold, basis };
	for (int i = 0; i < 4; i++) {
		size_t l = strlen(parts[i]) + 1;
		memcpy(k + o, parts[i], l);
		o += l;
	}
	sha256_hex(k, o, hex);
	memcpy(out, hex, 32);
	out[32] = 0;
	free(k);
}

static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void jmoney(FILE *f, money_t v)
{
	char b[MONEY_BUFSZ];
	money_str(v, b);
	fputs(b, f);
}

/* Text for Slack: 2 decimals with thousands separators. */
static void human(money_t v, char *out, size_t cap)
{
	char b[MONEY_BUFSZ];
	money_format(v, b, 2, 2);
	const char *p = b;
	size_t o = 0;
	if (*p == '-' && o + 1 < cap)
		out[o++] = *p++;
	size_t ilen = strcspn(p, ".");
	for (size_t i = 0; p[i] && o + 1 < cap; i++) {
		if (i < ilen && i > 0 && (ilen - i) % 3 == 0 && o + 2 < cap)
			out[o++] = ',';
		out[o++] = p[i];
	}
	out[o] = 0;
}

static void pct(money_t f, char *out)
{
	money_t p = 0;
	money_muldiv(f, money_from_int(100), MONEY_ONE, &p);
	money_format(p, out, 0, 2);
}

char *alert_payload(const struct budget_status *s, const struct budget_crossing *c, const char *id)
{
	const struct budget *b = s->b;
	char *buf = NULL, ps[11], pe[11], asof[11], bd[11] = "", thr[MONEY_BUFSZ], p100[MONEY_BUFSZ];
	char amt[MONEY_BUFSZ + 16], lim[MONEY_BUFSZ + 16], text[1024], scope[512] = "";
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (!f)
		return NULL;
	format_day(s->period_start, ps);
	format_day(s->period_end, pe);
	format_day(s->as_of, asof);
	if (s->breach_day != BUDGET_NO_DAY)
		format_day(s->breach_day, bd);
	money_str(c->threshold, thr);
	pct(c->threshold, p100);
	human(c->amount, amt, sizeof amt);
	human(b->limit, lim, sizeof lim);
	for (size_t i = 0; i < b->nscope; i++) {
		size_t o = strlen(scope);
		snprintf(scope + o, sizeof scope - o, "%s%s=%s", i ? ", " : "", b->scope_keys[i], b->scope_vals[i]);
	}
	if (c->forecast)
		snprintf(text, sizeof text, "Budget %s is forecast to reach %s%% of its limit: %s of %s %s by %s (%s %s to %s)",
			 b->name, p100, amt, lim, s->currency, pe, budget_period_names[b->period], ps, pe);
	else
		snprintf(text, sizeof text, "Budget %s has reached %s%% of its limit: %s of %s %s spent (%s %s to %s, as of %s)",
			 b->name, p100, amt, lim, s->currency, budget_period_names[b->period], ps, pe, asof);
	fputs("{\"text\":", f);
	jstr(f, text);
	fputs(",\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":", f);
	{
		char md[1400];
		snprintf(md, sizeof md, "*%s budget alert: %s*\n%s%s%s", c->forecast ? ":crystal_ball:" : ":warning:",
			 b->name, text, scope[0] ? "\nScope: " : "", scope);
		jstr(f, md);
	}
	fputs("}},{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\",\"text\":", f);
	{
		char ctx[256];
		snprintf(ctx, sizeof ctx, "status %s | breach date %s | alert id %s", budget_state_names[s->status],
			 bd[0] ? bd : "none", id);
		jstr(f, ctx);
	}
	fputs("}]}],\"aicost\":{\"id\":", f);
	jstr(f, id);
	fputs(",\"event\":\"budget.threshold\",\"budget\":", f);
	jstr(f, b->name);
	fputs(",\"scope\":{", f);
	for (size_t i = 0; i < b->nscope; i++) {
		if (i)
			fputc(',', f);
		jstr(f, b->scope_keys[i]);
		fputc(':', f);
		jstr(f, b->scope_vals[i]);
	}
	fprintf(f, "},\"period\":\"%s\",\"period_start\":\"%s\",\"period_end\":\"%s\",\"as_of\":\"%s\",\"threshold\":%s,"
		   "\"basis\":\"%s\",\"amount\":", budget_period_names[b->period], ps, pe, asof, thr,
		c->forecast ? "forecast" : "actual");
	jmoney(f, c->amount);
	fputs(",\"limit\":", f);
	jmoney(f, b->limit);
	fputs(",\"actual\":", f);
	jmoney(f, s->actual);
	fputs(",\"forecast\":", f);
	jmoney(f, s->forecast);
	fprintf(f, ",\"currency\":");
	jstr(f, s->currency);
	fprintf(f, ",\"status\":\"%s\",\"breach_date\":", budget_state_names[s->status]);
	if (bd[0])
		fprintf(f, "\"%s\"", bd);
	else
		fputs("null", f);
	fputs("}}", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The webhook URLs among a budget's notify targets; warns once per other target. */
static size_t webhook_targets(const struct budget *b, const char **out, struct alert_stats *stats)
{
	size_t n = 0;
	for (size_t i = 0; i < b->nnotify; i++) {
		const char *t = b->notify[i];
		if (!strncmp(t, "webhook:", 8) && (!strncmp(t + 8, "http://", 7) || !strncmp(t + 8, "https://", 8))) {
			out[n++] = t + 8;
			continue;
		}
		/* Print the kind only: the rest of a target may be a secret (a token, a hook path). */
		size_t kind = strcspn(t, ":");
		warning("budget '%s': notify target '%.*s:...' is not supported (use webhook:http(s)://URL); skipped",
			b->name, (int)(kind > 32 ? 32 : kind), t);
		stats->skipped_targets++;
	}
	return n;
}

/* The key that stands for a target URL in the ledger: "sha256:" + 32 hex digits. */
static void target_key(const char *url, char out[40])
{
	char hex[65];
	sha256_hex(url, strlen(url), hex);
	snprintf(out, 40, "sha256:%.32s", hex);
}

int alert_record(struct store *st, const struct budget_status *s, size_t n, struct alert_stats *stats)
{
	int rc = -1, began = 0;
	if (st->ops->alert_init(st) < 0)
		return -1;
	if (st->ops->begin(st) < 0)
		return -1;
	began = 1;
	for (size_t i = 0; i < n; i++) {
		const struct budget *b = s[i].b;
		const char **targets = xcalloc(b->nnotify ? b->nnotify : 1, sizeof *targets);
		size_t nt = webhook_targets(b, targets, stats);
		char (*keys)[40] = xcalloc(nt ? nt : 1, sizeof *keys);
		char (*shown)[256] = xcalloc(nt ? nt : 1, sizeof *shown);
		const char **kp = xcalloc(nt ? nt : 1, sizeof *kp), **sp = xcalloc(nt ? nt : 1, sizeof *sp);
		for (size_t t = 0; t < nt; t++) {
			target_key(targets[t], keys[t]);
			webhook_redact(targets[t], shown[t], sizeof shown[t]);
			kp[t] = keys[t];
			sp[t] = shown[t];
		}
		struct budget_crossing *cx = xcalloc(b->nalert ? b->nalert : 1, sizeof *cx);
		size_t nc = nt ? budget_crossings(&s[i], cx) : 0;
		int bad = 0;
		for (size_t k = 0; k < nc && !bad; k++) {
			char ps[11], asof[11], thr[MONEY_BUFSZ], id[33];
			format_day(s[i].period_start, ps);
			format_day(s[i].as_of, asof);
			money_str(cx[k].threshold, thr);
			const char *basis = cx[k].forecast ? "forecast" : "actual";
			alert_id(b->name, ps, thr, basis, id);
			char *payload = alert_payload(&s[i], &cx[k], id);
			if (!payload) {
				bad = error("budget '%s': cannot build the alert payload", b->name);
				break;
			}
			struct alert_rec a = { id, b->name, ps, thr, basis, asof, cx[k].amount, b->limit };
			int r = st->ops->alert_add(st, &a, kp, sp, nt, payload);
			free(payload);
			if (r < 0)
				bad = -1;
			else if (r == 1) {
				stats->fired++;
				stats->queued += nt;
			}
		}
		free(cx);
		free(targets);
		free(keys);
		free(shown);
		free(kp);
		free(sp);
		if (bad)
			goto out;
	}
	if (st->ops->commit(st) < 0)
		goto out;
	began = 0;
	rc = 0;
out:
	if (began)
		st->ops->rollback(st);
	return rc;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	if (s <= 0)
		return;
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) < 0)
		;
}

struct pending {
	int64_t id;
	char *alert_id, *target, *shown, *payload;
};

struct pending_list {
	struct pending *v;
	size_t n;
};

static int collect(void *arg, const struct outbox_rec *r)
{
	struct pending_list *l = arg;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = (struct pending){ r->id, xstrdup(r->alert_id), xstrdup(r->target),
					 xstrdup(r->target_shown ? r->target_shown : "(webhook)"), xstrdup(r->payload) };
	return 0;
}

/* The URL of a target key among the config's webhook targets, or NULL. */
static const char *resolve(const struct config *cfg, const char *key)
{
	for (size_t i = 0; i < cfg->nbudgets; i++)
		for (size_t k = 0; k < cfg->budgets[i].nnotify; k++) {
			const char *t = cfg->budgets[i].notify[k];
			char kk[40];
			if (strncmp(t, "webhook:", 8) != 0)
				continue;
			target_key(t + 8, kk);
			if (!strcmp(kk, key))
				return t + 8;
		}
	return NULL;
}

int alert_deliver(struct store *st, const struct config *cfg, const struct alert_opts *o, struct alert_stats *stats)
{
	struct pending_list l = { 0 };
	double budget = o && o->time_budget_s > 0 ? o->time_budget_s : 30;
	int max_attempts = o && o->max_attempts > 0 ? o->max_attempts : 4;
	double backoff0 = o && o->backoff_s > 0 ? o->backoff_s : 0.5;
	double t0 = mono(), deadline = t0 + budget;
	int rc = -1;
	int64_t now = (int64_t)time(NULL);

	if (st->ops->outbox_pending(st, now, collect, &l) < 0)
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		struct pending *p = &l.v[i];
		const char *red = p->shown, *url = resolve(cfg, p->target);
		if (!url) {
			/* The ledger keeps no URLs: a target removed from the config cannot be reached. */
			warning("alert %s: its target %s is no longer in the config; kept queued", p->alert_id, red);
			stats->undelivered++;
			continue;
		}
		double left = deadline - mono();
		if (left <= 0.05) {
			stats->undelivered++;
			continue;
		}
		/* The lease outlives this run's budget, so a concurrent run cannot send the same entry. */
		int got = st->ops->outbox_claim(st, p->id, now, (int64_t)time(NULL) + (int64_t)budget + 60);
		if (got < 0)
			goto out;
		if (!got)
			continue;
		struct webhook_result r = { 0 };
		int attempts = 0;
		double backoff = backoff0;
		for (;;) {
			left = deadline - mono();
			attempts++;
			if (webhook_post(url, p->payload, strlen(p->payload), p->alert_id, left < 10 ? left : 10, &r) < 0)
				break;
			if (r.ok || !r.retry || attempts >= max_attempts)
				break;
			double wait = r.retry_after > backoff ? r.retry_after : backoff;
			if (mono() + wait >= deadline)
				break;
			sleep_s(wait);
			backoff *= 2;
		}
		if (st->ops->outbox_result(st, p->id, (int64_t)time(NULL), r.ok, attempts, r.http_status,
					   r.ok ? NULL : r.why) < 0)
			goto out;
		if (r.ok) {
			stats->delivered++;
		} else {
			stats->undelivered++;
			warning("alert %s to %s not delivered after %d attempt%s: %s (queued; retried on the next run)",
				p->alert_id, red, attempts, attempts == 1 ? "" : "s", r.why);
		}
	}
	rc = 0;
out:
	for (size_t i = 0; i < l.n; i++) {
		free(l.v[i].alert_id);
		free(l.v[i].target);
		free(l.v[i].shown);
		free(l.v[i].payload);
	}
	free(l.v);
	return rc;
}
