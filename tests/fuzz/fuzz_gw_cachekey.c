/* fuzz_gw_cachekey.c - the cache's view of client request bodies: the
 * canonical JSON (must be valid JSON and a fixed point: canonicalizing it
 * again gives the same bytes), the exact/semantic keys for every wire
 * format, and the lexical embedder and salient-token guard on raw text. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "gateway/cache.h"
#include "gateway/embed.h"
#include "util/err.h"

static void quiet(const char *line) { (void)line; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	err_sink = quiet;
	json_error_t je;
	json_t *root = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
	if (root) {
		size_t n;
		char *c = gw_cache_canonical(root, &n);
		if (c) {
			json_t *again = json_loadb(c, n, JSON_DECODE_ANY, &je);
			if (!again)
				abort(); /* the canonical form must be JSON */
			size_t n2;
			char *c2 = gw_cache_canonical(again, &n2);
			if (!c2 || n2 != n || memcmp(c, c2, n) != 0)
				abort(); /* and a fixed point */
			free(c2);
			json_decref(again);
			free(c);
		}
		for (int w = 0; w < 3; w++) {
			struct gw_cache_req r;
			gw_cache_req_build(&r, "tenant", NULL, (enum sse_wire)w, root, NULL);
			if (r.text) {
				float v[EMBED_DIM];
				struct embed_sig sig;
				embed_lexical(r.text, r.text_len, v);
				embed_salient(r.text, r.text_len, &sig);
			}
			gw_cache_req_release(&r);
		}
		json_decref(root);
	}
	float v[EMBED_DIM];
	struct embed_sig s1, s2;
	size_t nf = embed_lexical((const char *)data, size, v);
	double n2 = 0;
	for (int i = 0; i < EMBED_DIM; i++) {
		if (!isfinite(v[i]))
			abort();
		n2 += (double)v[i] * v[i];
	}
	if (nf && fabs(n2 - 1.0) > 1e-3)
		abort(); /* L2-normalized whenever there were features */
	embed_salient((const char *)data, size, &s1);
	embed_salient((const char *)data, size, &s2);
	if (!embed_sig_equal(&s1, &s2))
		abort();
	return 0;
}
