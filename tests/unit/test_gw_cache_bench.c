/* test_gw_cache_bench.c - micro benchmark and paraphrase report of the
 * gateway caches. It is a test binary, not a bench/ tool, because it needs
 * libaicost, which bench tools do not link.
 *
 *   build/rel/tests/test_gw_cache_bench                 small smoke run (make test)
 *   build/rel/tests/test_gw_cache_bench bench [N...]    get/put/lookup timings (default 10000 100000)
 *   build/rel/tests/test_gw_cache_bench paraphrase      hit/false-hit sweep on tests/data/paraphrase/
 *
 * Numbers go to bench/RESULTS.md, section "semantic cache quality". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <jansson.h>
#include "gateway/cache.h"
#include "gateway/embed.h"

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, res = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * 4;
}

static void rand_key(uint8_t k[32])
{
	for (int i = 0; i < 4; i++) {
		uint64_t x = rnd();
		memcpy(k + 8 * i, &x, 8);
	}
}

static void rand_unit(float *v, size_t dim)
{
	for (size_t i = 0; i < dim; i++)
		v[i] = (float)((double)(rnd() >> 11) / 9007199254740992.0 * 2 - 1);
	embed_normalize(v, dim);
}

/* ---- timings ----------------------------------------------------------- */

struct exact_res {
	double put_ns, get_hit_ns, get_miss_ns;
	size_t bytes;
	int all_found;
};

static struct exact_res bench_exact(size_t n, size_t body_len)
{
	struct exact_res r = { 0 };
	struct gw_cache_limits lim = { .max_entries = n, .max_bytes = (size_t)4 << 30, .ttl_ms = 3600000, .max_body = 1 << 20 };
	struct gw_cache *c = gw_cache_new(&lim);
	uint8_t(*keys)[32] = malloc(n * 32);
	char *body = malloc(body_len);
	memset(body, 'x', body_len);
	for (size_t i = 0; i < n; i++)
		rand_key(keys[i]);
	double t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		gw_cache_put(c, keys[i], SSE_OPENAI_CHAT, body, body_len, 1, 0);
	r.put_ns = (now_ns() - t0) / (double)n;
	size_t lookups = n < 200000 ? 1000000 : n * 5, found = 0;
	size_t *order = malloc(lookups * sizeof *order);
	for (size_t i = 0; i < lookups; i++)
		order[i] = rnd() % n;
	t0 = now_ns();
	for (size_t i = 0; i < lookups; i++)
		found += gw_cache_get(c, keys[order[i]], 2) != NULL;
	r.get_hit_ns = (now_ns() - t0) / (double)lookups;
	r.all_found = found == lookups;
	uint8_t miss[32];
	t0 = now_ns();
	for (size_t i = 0; i < lookups; i++) {
		memcpy(miss, keys[order[i]], 32);
		miss[31] ^= 0x5a;
		found += gw_cache_get(c, miss, 2) != NULL;
	}
	r.get_miss_ns = (now_ns() - t0) / (double)lookups;
	struct gw_cache_stats st;
	gw_cache_get_stats(c, &st);
	r.bytes = st.bytes;
	gw_cache_free(c);
	free(order);
	free(keys);
	free(body);
	return r;
}

struct sem_res {
	double put_ns, lookup_ns;
	size_t bytes;
	int self_found;
};

/* n entries of dimension dim spread over parts partitions; lookups of
 * stored vectors (so every lookup scans its whole partition and hits). */
static struct sem_res bench_sem(size_t n, size_t dim, size_t parts, const char *kernel, size_t lookups)
{
	struct sem_res r = { 0 };
	struct gw_cache_limits lim = { .max_entries = n, .max_bytes = (size_t)4 << 30, .ttl_ms = 3600000, .max_body = 1 << 20,
				       .max_partition = n };
	if (kernel)
		setenv("AICOST_SEM_SCAN", kernel, 1);
	struct gw_sem *s = gw_sem_new(dim, &lim);
	unsetenv("AICOST_SEM_SCAN");
	float *vecs = malloc(n * dim * sizeof *vecs);
	for (size_t i = 0; i < n; i++)
		rand_unit(vecs + i * dim, dim);
	char body[512];
	memset(body, 'y', sizeof body);
	double t0 = now_ns();
	for (size_t i = 0; i < n; i++) {
		uint8_t ctx[32] = { 0 };
		size_t p = i % parts;
		memcpy(ctx, &p, sizeof p);
		gw_sem_put(s, "tenant", "model", ctx, vecs + i * dim, NULL, SSE_OPENAI_CHAT, body, sizeof body, 1, 0);
	}
	r.put_ns = (now_ns() - t0) / (double)n;
	size_t ok = 0;
	t0 = now_ns();
	for (size_t k = 0; k < lookups; k++) {
		size_t i = (size_t)(rnd() % n);
		uint8_t ctx[32] = { 0 };
		size_t p = i % parts;
		memcpy(ctx, &p, sizeof p);
		struct gw_sem_hit h;
		ok += gw_sem_lookup(s, "tenant", "model", ctx, vecs + i * dim, NULL, 0.99f, 2, &h);
	}
	r.lookup_ns = (now_ns() - t0) / (double)lookups;
	r.self_found = ok == lookups;
	struct gw_cache_stats st;
	gw_sem_get_stats(s, &st);
	r.bytes = st.bytes;
	gw_sem_free(s);
	free(vecs);
	return r;
}

static const char *req_body =
	"{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"temperature\":0,"
	"\"messages\":[{\"role\":\"system\",\"content\":\"You are the support assistant of Acme Cloud. Answer in at most "
	"three sentences, cite the help center article when one applies, and never promise refunds.\"},"
	"{\"role\":\"user\",\"content\":\"I was charged twice for my March invoice (INV-2291). Can you refund the "
	"duplicate charge and tell me when it will show up on my card?\"}],\"max_tokens\":256,\"user\":\"u-1842\"}";

static void per_request_costs(void)
{
	json_error_t je;
	json_t *j = json_loads(req_body, 0, &je);
	struct gw_cache_req r;
	int iters = 100000;
	double t0 = now_ns();
	for (int i = 0; i < iters; i++) {
		gw_cache_req_build(&r, "team-support", "gpt-4o-mini", SSE_OPENAI_CHAT, j, NULL);
		gw_cache_req_release(&r);
	}
	double build = (now_ns() - t0) / iters;
	gw_cache_req_build(&r, "team-support", "gpt-4o-mini", SSE_OPENAI_CHAT, j, NULL);
	float v[EMBED_DIM];
	struct embed_sig sig;
	t0 = now_ns();
	for (int i = 0; i < iters; i++)
		embed_lexical(r.text, r.text_len, v);
	double emb = (now_ns() - t0) / iters;
	t0 = now_ns();
	for (int i = 0; i < iters; i++)
		embed_salient(r.text, r.text_len, &sig);
	double sal = (now_ns() - t0) / iters;
	printf("per request (%zu-byte chat body, %zu-byte user text):\n", strlen(req_body), r.text_len);
	printf("  gw_cache_req_build (canonical JSON x2 + SHA-256 x2): %8.0f ns\n", build);
	printf("  embed_lexical:                                      %8.0f ns\n", emb);
	printf("  embed_salient:                                      %8.0f ns\n", sal);
	gw_cache_req_release(&r);
	json_decref(j);
}

static void run_bench(int argc, char **argv)
{
	size_t sizes[8] = { 10000, 100000 };
	int nsizes = 2;
	if (argc > 2) {
		nsizes = 0;
		for (int i = 2; i < argc && nsizes < 8; i++)
			sizes[nsizes++] = (size_t)strtoul(argv[i], NULL, 10);
	}
	per_request_costs();
	printf("\nexact cache (1 KiB bodies; uniform random keys):\n");
	printf("  %8s  %10s  %12s  %13s  %10s\n", "entries", "put ns/op", "get-hit ns", "get-miss ns", "MiB");
	for (int i = 0; i < nsizes; i++) {
		struct exact_res e = bench_exact(sizes[i], 1024);
		printf("  %8zu  %10.0f  %12.0f  %13.0f  %10.1f%s\n", sizes[i], e.put_ns, e.get_hit_ns, e.get_miss_ns,
		       (double)e.bytes / 1048576.0, e.all_found ? "" : "  (LOOKUPS FAILED)");
	}
	static const char *const kernels[] = { "generic", "sse2", "avx2" };
	printf("\nsemantic index (dim %d, int8 rows, 512-byte bodies; lookups of stored vectors):\n", EMBED_DIM);
	printf("  %8s  %10s  %8s  %10s  %12s  %10s\n", "entries", "partitions", "kernel", "put ns/op", "lookup us/op",
	       "MiB");
	for (int i = 0; i < nsizes; i++) {
		size_t n = sizes[i];
		const size_t parts[] = { 1, 100 };
		for (int p = 0; p < 2; p++)
			for (int k = 0; k < 3; k++) {
				if (p == 1 && k != 2)
					continue;
				size_t lookups = n >= 100000 && parts[p] == 1 ? 200 : 2000;
				struct sem_res s = bench_sem(n, EMBED_DIM, parts[p], kernels[k], lookups);
				printf("  %8zu  %10zu  %8s  %10.0f  %12.2f  %10.1f%s\n", n, parts[p], kernels[k], s.put_ns,
				       s.lookup_ns / 1000.0, (double)s.bytes / 1048576.0, s.self_found ? "" : "  (LOOKUPS FAILED)");
			}
	}
	printf("\nRSS at exit: %ld MiB\n", rss_kb() / 1024);
}

/* ---- paraphrase report ------------------------------------------------- */

#define NT 13
static const float thresholds[NT] = { 0.50f, 0.55f, 0.60f, 0.65f, 0.70f, 0.72f, 0.75f, 0.78f, 0.80f, 0.85f, 0.90f, 0.95f, 0.0f };

struct pair {
	int match;
	char cat[64];
	float cos;
	int guard;
};

static size_t load(const char *path, struct pair *ps, size_t cap)
{
	FILE *f = fopen(path, "r");
	static char line[16384];
	char cat[64] = "";
	size_t n = 0;
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	while (fgets(line, sizeof line, f) && n < cap) {
		if (line[0] == '#') {
			char *c = strstr(line, "category: ");
			if (c) {
				snprintf(cat, sizeof cat, "%s", c + 10);
				cat[strcspn(cat, "\r\n")] = '\0';
			}
			continue;
		}
		line[strcspn(line, "\r\n")] = '\0';
		char *a = strchr(line, '\t'), *b = a ? strchr(a + 1, '\t') : NULL;
		if (!b)
			continue;
		*a++ = '\0';
		*b++ = '\0';
		struct pair *p = &ps[n++];
		p->match = strcmp(line, "match") == 0;
		snprintf(p->cat, sizeof p->cat, "%s", cat);
		/* through the index: int8 rows, the same arithmetic as the gateway */
		struct gw_sem *s = gw_sem_new(EMBED_DIM, NULL);
		float va[EMBED_DIM], vb[EMBED_DIM];
		struct embed_sig sa, sb;
		uint8_t ctx[32] = { 0 };
		embed_lexical(a, strlen(a), va);
		embed_lexical(b, strlen(b), vb);
		embed_salient(a, strlen(a), &sa);
		embed_salient(b, strlen(b), &sb);
		gw_sem_put(s, "t", "m", ctx, va, NULL, SSE_OPENAI_CHAT, "x", 1, 0, 0);
		struct gw_sem_hit h;
		p->cos = gw_sem_lookup(s, "t", "m", ctx, vb, NULL, -2.0f, 1, &h) ? h.score : -1;
		p->guard = embed_sig_equal(&sa, &sb);
		gw_sem_free(s);
	}
	fclose(f);
	return n;
}

static void sweep(const char *path)
{
	static struct pair ps[4096];
	size_t n = load(path, ps, 4096);
	int nm = 0, nn = 0;
	for (size_t i = 0; i < n; i++)
		ps[i].match ? nm++ : nn++;
	printf("\n%s: %d should-match pairs, %d must-not-match pairs\n\n", path, nm, nn);
	printf("| threshold | hit rate (guard on) | false hits (guard on) | hit rate (no guard) | false hits (no guard) |\n");
	printf("|---:|---:|---:|---:|---:|\n");
	for (int t = 0; t < NT - 1; t++) {
		int h1 = 0, f1 = 0, h0 = 0, f0 = 0;
		for (size_t i = 0; i < n; i++) {
			int hit0 = ps[i].cos >= thresholds[t], hit1 = hit0 && ps[i].guard;
			if (ps[i].match)
				h1 += hit1, h0 += hit0;
			else
				f1 += hit1, f0 += hit0;
		}
		printf("| %.2f%s | %.1f%% (%d) | %.2f%% (%d) | %.1f%% (%d) | %.2f%% (%d) |\n", (double)thresholds[t],
		       fabsf(thresholds[t] - GW_SEM_DEFAULT_THRESHOLD) < 1e-6f ? " (default)" : "", 100.0 * h1 / nm, h1,
		       100.0 * f1 / nn, f1, 100.0 * h0 / nm, h0, 100.0 * f0 / nn, f0);
	}
	printf("\nby category at the default threshold %.2f (guard on):\n\n", (double)GW_SEM_DEFAULT_THRESHOLD);
	printf("| category | pairs | hits | rate |\n|---|---:|---:|---:|\n");
	for (size_t i = 0; i < n; i++) {
		int seen = 0;
		for (size_t j = 0; j < i; j++)
			if (strcmp(ps[j].cat, ps[i].cat) == 0)
				seen = 1;
		if (seen)
			continue;
		int k = 0, h = 0;
		for (size_t j = i; j < n; j++)
			if (strcmp(ps[j].cat, ps[i].cat) == 0) {
				k++;
				h += ps[j].cos >= GW_SEM_DEFAULT_THRESHOLD && ps[j].guard;
			}
		printf("| %s | %d | %d | %.1f%% |\n", ps[i].cat, k, h, 100.0 * h / k);
	}
	int gm = 0, gn = 0;
	for (size_t i = 0; i < n; i++)
		if (ps[i].match)
			gm += ps[i].guard;
		else
			gn += !ps[i].guard;
	printf("\nguard alone: passes %d/%d should-match pairs, rejects %d/%d must-not-match pairs\n", gm, nm, gn, nn);
}

/* ---- make test: a small run that checks the tool itself ----------------- */

static void test_smoke(void **st)
{
	struct exact_res e = bench_exact(2000, 256);
	assert_true(e.all_found);
	assert_true(e.bytes > 2000 * 256);
	struct sem_res s = bench_sem(500, 64, 3, NULL, 100);
	assert_true(s.self_found);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "bench") == 0) {
		run_bench(argc, argv);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "paraphrase") == 0) {
		sweep("tests/data/paraphrase/pairs.tsv");
		sweep("tests/data/paraphrase/holdout.tsv");
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smoke),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
