/*
 * gen_gpu.c - synthetic fleet GPU telemetry and its bill, for bench/run-gpu.sh.
 *
 *   gen_gpu OUTDIR [--gpus N] [--days D] [--step S] [--seed X]
 *
 * Writes OUTDIR/host-NNN.json.gz: Prometheus query_range responses of
 * dcgm-exporter metrics (DCGM_FI_DEV_GPU_UTIL, DCGM_FI_DEV_POWER_USAGE,
 * DCGM_FI_DEV_FB_USED, DCGM_FI_DEV_FB_FREE) for 8 GPUs per host, one sample
 * every S seconds (default 300) for D days (default 30) from 2026-10-01;
 * each GPU runs a pod of a team namespace (labels pod/namespace/container)
 * for part of each day and sits idle, unlabelled, the rest. OUTDIR/bill.csv
 * is a FOCUS bill with one EC2 line per host and day whose ResourceId ends
 * with the instance ID the telemetry carries as Hostname, so cost joins.
 * Defaults: 1,000 GPUs x 30 days x 288 = 8.64M samples. Standalone (zlib).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static unsigned long long rng = 42;
static unsigned rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 11);
}

static const char *teams[] = { "fraud", "search", "chatbot", "vision", "ads", "risk", "speech", "recsys", "maps", "ml-platform" };
static const char *metrics[] = { "DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_POWER_USAGE", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE" };

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: gen_gpu OUTDIR [--gpus N] [--days D] [--step S] [--seed X]\n");
		return 2;
	}
	const char *dir = argv[1];
	long gpus = 1000, days = 30, step = 300;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--gpus")) gpus = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--days")) days = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--step")) step = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--seed")) rng = strtoull(argv[i + 1], NULL, 10) | 1;
		else { fprintf(stderr, "gen_gpu: unknown option %s\n", argv[i]); return 2; }
	}
	const long per_host = 8, hosts = (gpus + per_host - 1) / per_host, t0 = 1790812800; /* 2026-10-01 */
	const long per_day = 86400 / step;
	char path[4096];
	snprintf(path, sizeof path, "%s/bill.csv", dir);
	FILE *bill = fopen(path, "w");
	if (!bill) { perror(path); return 1; }
	fprintf(bill, "BilledCost,EffectiveCost,ListCost,ContractedCost,BillingCurrency,BillingAccountId,BillingPeriodStart,"
		      "BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ProviderName,ServiceName,"
		      "ServiceCategory,SubAccountName,ResourceId,ResourceType,RegionId,Tags\n");
	unsigned long long samples = 0;
	for (long h = 0; h < hosts; h++) {
		char inst[32];
		snprintf(inst, sizeof inst, "i-0%016lx", 0x5eed0000L + h * 7919);
		for (long d = 0; d < days; d++) {
			long y = 2026, m = 10, dd = 1 + d;   /* October, then November */
			if (dd > 31) { m = 11; dd -= 31; }
			if (m == 11 && dd > 30) { m = 12; dd -= 30; }
			long ny = y, nm = m, nd = dd + 1;
			if ((m == 10 && nd > 31) || (m == 11 && nd > 30)) { nm++; nd = 1; }
			fprintf(bill, "2359.68,%ld.%02ld,2359.68,2359.68,USD,123456789012,%04ld-%02ld-01T00:00:00Z,%04ld-%02ld-01T00:00:00Z,"
				      "%04ld-%02ld-%02ldT00:00:00Z,%04ld-%02ld-%02ldT00:00:00Z,Usage,AWS,Amazon Elastic Compute Cloud,"
				      "Compute,ml-prod,arn:aws:ec2:us-east-1:123456789012:instance/%s,p5.48xlarge,us-east-1,"
				      "\"{\"\"cluster\"\":\"\"gpu-%ld\"\"}\"\n",
				1500 + h % 500, (long)(h * 37 % 100), y, m, m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1,
				y, m, dd, ny, nm, nd, inst, h % 4);
		}
		snprintf(path, sizeof path, "%s/host-%03ld.json.gz", dir, h);
		gzFile z = gzopen(path, "wb1");
		if (!z) { perror(path); return 1; }
		gzprintf(z, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[");
		int first = 1;
		for (long g = 0; g < per_host && h * per_host + g < gpus; g++) {
			long gid = h * per_host + g;
			const char *team = teams[gid % 10];
			for (long d = 0; d < days; d++) {
				/* Busy part of the day: a pod of the GPU's team; the rest idle and unlabelled. */
				long busy = per_day / 4 + (long)(rnd() % (unsigned)(per_day / 2));
				unsigned base = 40 + rnd() % 55;
				for (int part = 0; part < 2; part++) {
					long from = part ? busy : 0, to = part ? per_day : busy;
					if (from >= to)
						continue;
					for (int mi = 0; mi < 4; mi++) {
						gzprintf(z, "%s{\"metric\":{\"__name__\":\"%s\",\"gpu\":\"%ld\",\"UUID\":\"GPU-%08lx-0000-4000-8000-%012lx\","
							    "\"modelName\":\"NVIDIA H100 80GB HBM3\",\"Hostname\":\"%s\"",
							 first ? "" : ",", metrics[mi], g, gid, gid, inst);
						first = 0;
						if (!part)
							gzprintf(z, ",\"pod\":\"%s-job-%ld\",\"namespace\":\"%s\",\"container\":\"main\"", team, d, team);
						gzprintf(z, "},\"values\":[");
						for (long k = from; k < to; k++) {
							unsigned u = part ? rnd() % 4 : base + rnd() % 6;
							long v = mi == 0 ? (long)u : mi == 1 ? 70 + (long)u * 6 : mi == 2 ? (part ? 1 : 40000 + (long)u * 300)
							       : (part ? 81558 : 81559 - 40000 - (long)u * 300);
							gzprintf(z, "%s[%ld,\"%ld\"]", k > from ? "," : "", t0 + d * 86400 + k * step, v);
							if (mi == 0)
								samples++;
						}
						gzprintf(z, "]}");
					}
				}
			}
		}
		gzprintf(z, "]}}\n");
		gzclose(z);
	}
	fclose(bill);
	printf("gen_gpu: %ld GPUs on %ld hosts, %ld days every %lds: %llu samples (4 metrics each)\n", gpus, hosts, days,
	       step, samples);
	return 0;
}
