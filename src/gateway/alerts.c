/*
 * alerts.c - soft budget limits of the gateway: one webhook per (budget,
 * period) crossing, sent from a side thread so a slow receiver never
 * stalls the event loop.
 *
 * The loop calls alerts_soft() (through the limits hook) and only queues
 * the payload; the thread POSTs it with net/webhook.c, three attempts with
 * backoff. The payload's id is stable per (account, budget, period), so a
 * receiver can drop repeats. URLs are never printed unredacted.
 *
 * Ownership: the queue owns its copies of URLs and payloads.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "formats/focus.h"
#include "gateway/gw.h"
#include "net/webhook.h"
#include "util/err.h"

struct job {
	char *url, *payload, *id;
	struct job *next;
};

struct gw_alerts {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	int stop;
	pthread_t th;
};

static void *run(void *arg)
{
	struct gw_alerts *a = arg;
	for (;;) {
		pthread_mutex_lock(&a->mu);
		while (!a->head && !a->stop)
			pthread_cond_wait(&a->cv, &a->mu);
		struct job *j = a->head;
		if (j) {
			a->head = j->next;
			if (!a->head)
				a->tail = NULL;
		}
		int stop = a->stop;
		pthread_mutex_unlock(&a->mu);
		if (!j) {
			if (stop)
				break;
			continue;
		}
		struct webhook_result wr;
		char shown[256];
		webhook_redact(j->url, shown, sizeof shown);
		for (int t = 0; t < 3; t++) {
			if (webhook_post(j->url, j->payload, strlen(j->payload), j->id, 5.0, &wr) == 0 && wr.ok)
				break;
			if (t == 2 || !wr.retry || stop) {
				warning("gateway: budget alert to %s not delivered: %s", shown, wr.why);
				break;
			}
			usleep((useconds_t)(200000u << t));
		}
		free(j->url);
		free(j->payload);
		free(j->id);
		free(j);
	}
	return NULL;
}

struct gw_alerts *alerts_start(void)
{
	struct gw_alerts *a = xcalloc(1, sizeof *a);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	if (pthread_create(&a->th, NULL, run, a) != 0) {
		free(a);
		return NULL;
	}
	return a;
}

void alerts_stop(struct gw_alerts *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->th, NULL);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a);
}

void alerts_soft(void *arg, const struct gw_account *ac, const struct gw_budget *b, money_t used)
{
	struct gw_alerts *a = arg;
	char lim[MONEY_BUFSZ], u[MONEY_BUFSZ], th[MONEY_BUFSZ], day[11], id[256], payload[1024];
	money_str(b->limit, lim);
	money_str(used, u);
	money_str(b->soft, th);
	format_day(b->period_start, day);
	warning("gateway: %s '%s' reached %s of its %s budget ($%s of $%s)", ac->kind, ac->name, th,
		gw_period_name(b->period), u, lim);
	if (!a || !b->nnotify)
		return;
	snprintf(id, sizeof id, "gateway:%s:%s:%s:%s:%s", ac->kind, ac->name, gw_period_name(b->period), day, th);
	char nm[300];
	size_t k = 0;
	for (const char *s = ac->name; *s && k + 7 < sizeof nm; s++) {
		if (*s == '"' || *s == '\\')
			nm[k++] = '\\';
		if ((unsigned char)*s >= 0x20)
			nm[k++] = *s;
	}
	nm[k] = 0;
	snprintf(payload, sizeof payload,
		 "{\"id\":\"%s\",\"source\":\"aicost gateway\",\"kind\":\"budget_soft_limit\",\"account\":{\"kind\":\"%s\","
		 "\"name\":\"%s\"},\"period\":\"%s\",\"period_start\":\"%s\",\"limit\":%s,\"used\":%s,\"threshold\":%s}",
		 id, ac->kind, nm, gw_period_name(b->period), day, lim, u, th);
	for (size_t i = 0; i < b->nnotify; i++) {
		const char *t = b->notify[i];
		if (strncmp(t, "webhook:", 8))
			continue;
		struct job *j = xcalloc(1, sizeof *j);
		j->url = xstrdup(t + 8);
		j->payload = xstrdup(payload);
		j->id = xstrdup(id);
		pthread_mutex_lock(&a->mu);
		if (a->tail)
			a->tail->next = j;
		else
			a->head = j;
		a->tail = j;
		pthread_cond_signal(&a->cv);
		pthread_mutex_unlock(&a->mu);
	}
}
