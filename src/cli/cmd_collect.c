/*
 * cmd_collect.c - `aicost collect gpu [--scrape URL] [--interval S] [--count N]`:
 * live GPU telemetry into the ledger. Each interval's samples are committed
 * at once (a crash loses at most the last interval); SIGINT/SIGTERM flush
 * and exit 0. The collector's source is identified by what it collects
 * (the URL, or NVML on this host), so a restarted collector continues the
 * same daily rollups instead of adding a second copy.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli/cli.h"
#include "collect/collect.h"
#include "core/config.h"
#include "core/gpu_ingest.h"
#include "core/gpu_query.h"
#include "formats/input.h"
#include "store/store.h"

static const struct cli_opt opts[] = {
	{ "scrape", 1, 0, "dcgm-exporter /metrics URL (default: local GPUs through NVML)" },
	{ "interval", 1, 0, "seconds between samples (default 60)" },
	{ "count", 1, 0, "stop after N samples (default: run until SIGINT/SIGTERM)" },
	{ "host", 1, 0, "host name to record (default: this machine's, or the exporter's Hostname label)" },
};

static const char usage[] = "collect gpu [--scrape URL] [--interval S] [--count N] [--host ID]";
static const char desc[] =
	"Sample GPU telemetry every S seconds and append it to the ledger: scrape a\n"
	"dcgm-exporter, or read local GPUs through NVML (libnvidia-ml.so.1, loaded at\n"
	"run time; AICOST_NVML_LIB overrides the path). Every sample is committed\n"
	"before the next one; SIGINT/SIGTERM flush and exit 0. Restarting continues\n"
	"the same source.";

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep ms, returning early on a signal. */
static void nap(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	while (!stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int flush(struct store *st, struct gpu_acc *a, struct source_rec *src)
{
	struct gpu_acc_stats s;
	if (st->ops->begin(st) < 0)
		return -1;
	gpu_acc_stats(a, &s);
	src->rows_total = src->rows_accepted = s.values - s.duplicates - s.overlaps;
	if (s.min_day <= s.max_day) {
		src->min_day = s.min_day;
		src->max_day = s.max_day;
	}
	if (gpu_acc_write(a, src->id) < 0 || st->ops->source_update(st, src) < 0 || st->ops->commit(st) < 0) {
		st->ops->rollback(st);
		return -1;
	}
	return 0;
}

int cmd_collect(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	struct config cfg;
	struct gpu_settings gs;
	int rc = EXIT_FAIL;
	struct store *st = NULL;
	struct nvml *nv = NULL;
	struct gpu_acc *acc = NULL;

	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, usage, desc);
	if (a.npos != 1 || strcmp(a.pos[0], "gpu") != 0)
		usage_error("collect: the only kind is gpu (aicost collect gpu --help)");
	const char *url = cli_get(&a, "scrape");
	double interval = 60;
	long long count = 0;
	if (cli_get(&a, "interval")) {
		char *e;
		interval = strtod(cli_get(&a, "interval"), &e);
		if (*e || interval < 0.1 || interval > 86400)
			usage_error("--interval: '%s' is not a number of seconds from 0.1 to 86400", cli_get(&a, "interval"));
	}
	if (cli_get(&a, "count")) {
		char *e;
		count = strtoll(cli_get(&a, "count"), &e, 10);
		if (*e || count < 1)
			usage_error("--count: '%s' is not a positive integer", cli_get(&a, "count"));
	}
	char host[256] = "";
	if (cli_get(&a, "host"))
		snprintf(host, sizeof host, "%s", cli_get(&a, "host"));
	else if (!url && gethostname(host, sizeof host - 1) < 0)
		snprintf(host, sizeof host, "localhost");
	if (cli_load_config(ctx, &cfg) < 0)
		goto out_args;
	if (gpu_settings_read(&cfg, &gs) < 0)
		goto out;
	if (!url && !(nv = nvml_open()))
		goto out;
	st = cli_open_store(ctx, 1);
	if (!st)
		goto out;

	/* The source: one per collector identity, found again after a restart. */
	char ident[2048], sha[65], now[32];
	snprintf(ident, sizeof ident, "collect gpu %s%s", url ? url : "nvml:", url ? "" : host);
	sha256_hex(ident, strlen(ident), sha);
	struct source_rec src = { 0 };
	time_t tn = time(NULL);
	struct tm tm;
	gmtime_r(&tn, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	src.kind = "gpu-collect";
	src.path = ident + strlen("collect gpu ");
	snprintf(src.sha256, sizeof src.sha256, "%s", sha);
	src.batch = (int64_t)tn;
	src.ingested_at = now;
	src.extras_json = "[]";
	src.warnings_json = "{}";
	int f = st->ops->source_find(st, sha, &src.id);
	if (f < 0)
		goto out;
	if (st->ops->begin(st) < 0)
		goto out;
	if (!f && st->ops->source_add(st, &src) < 0) {
		st->ops->rollback(st);
		goto out;
	}
	if (st->ops->commit(st) < 0)
		goto out;
	/* Samples are interval apart: gaps beyond max(max_gap, 2 intervals) are no data. */
	int64_t iv_ms = (int64_t)(interval * 1000);
	struct gpu_acc_opts ao = { gs.max_gap_ms > 2 * iv_ms ? gs.max_gap_ms : 2 * iv_ms, iv_ms };
	acc = gpu_acc_new(st, &ao);
	gpu_acc_set_source(acc, src.id);
	if (gpu_acc_load(acc, src.id) < 0)
		goto out;

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!ctx->quiet)
		fprintf(stderr, "aicost: collecting %s every %gs into %s (source %" PRId64 ")\n",
			url ? url : "local GPUs (NVML)", interval, ctx->db_path, src.id);
	long long n = 0;
	int failed = 0;
	while (!stop) {
		int64_t t = now_ms();
		if (url) {
			char *body = NULL;
			size_t len = 0;
			if (scrape_fetch(url, (long)interval + 5, &body, &len) == 0) {
				if (gpu_parse_expo(body, len, url, host[0] ? host : NULL, t, gpu_acc_sample, acc) != 0)
					failed = 1;
				free(body);
			}
			/* An unreachable exporter is a gap, not a reason to stop collecting. */
		} else if (nvml_sample(nv, host, t, gpu_acc_sample, acc) < 0) {
			failed = 1;
		}
		if (failed || flush(st, acc, &src) < 0) {
			failed = 1;
			break;
		}
		n++;
		if (!ctx->quiet)
			printf("sample %lld at %" PRId64 ": committed\n", n, t / 1000), fflush(stdout);
		if (count && n >= count)
			break;
		int64_t left = iv_ms - (now_ms() - t);
		if (left > 0)
			nap(left);
	}
	/* The last samples stand for one interval each. */
	gpu_acc_finish(acc);
	if (flush(st, acc, &src) < 0)
		failed = 1;
	struct gpu_acc_stats s;
	gpu_acc_stats(acc, &s);
	if (!ctx->quiet)
		fprintf(stderr, "aicost: %lld sample%s, %" PRIu64 " values, %" PRIu64 " GPU%s%s\n", n, n == 1 ? "" : "s",
			s.values, s.devices, s.devices == 1 ? "" : "s", stop ? " (stopped by signal)" : "");
	rc = failed ? EXIT_FAIL : EXIT_OK;
out:
	gpu_acc_free(acc);
	nvml_close(nv);
	if (st)
		st->ops->close(st);
	config_release(&cfg);
out_args:
	cli_args_release(&a);
	return rc;
}
