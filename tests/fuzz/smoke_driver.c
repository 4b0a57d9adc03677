/*
 * smoke_driver.c - run a libFuzzer target without libFuzzer (make test).
 *
 * Replays every file of the corpus directory given as argv[1], then feeds
 * FUZZ_SMOKE_ITERS (default 2000) deterministic mutations of them: byte
 * flips, truncations, duplications and splices. Under SANITIZE builds this
 * catches memory errors on every `make test`; `make fuzz` runs the real
 * coverage-guided fuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	unsigned char *seeds[256];
	size_t lens[256], n = 0;
	const char *iters_env = getenv("FUZZ_SMOKE_ITERS");
	long iters = iters_env ? atol(iters_env) : 2000;
	if (argc > 1) {
		DIR *d = opendir(argv[1]);
		struct dirent *de;
		while (d && (de = readdir(d)) && n < 256) {
			char path[4096];
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", argv[1], de->d_name);
			FILE *f = fopen(path, "rb");
			if (!f)
				continue;
			fseek(f, 0, SEEK_END);
			long sz = ftell(f);
			fseek(f, 0, SEEK_SET);
			seeds[n] = malloc(sz > 0 ? (size_t)sz : 1);
			lens[n] = fread(seeds[n], 1, sz > 0 ? (size_t)sz : 0, f);
			fclose(f);
			LLVMFuzzerTestOneInput(seeds[n], lens[n]);
			n++;
		}
		if (d)
			closedir(d);
	}
	if (!n) {
		seeds[0] = (unsigned char *)strdup("a,b\n1,2\n");
		lens[0] = 8;
		n = 1;
	}
	unsigned char *buf = malloc(1 << 20);
	for (long i = 0; i < iters; i++) {
		size_t k = next() % n, len = lens[k] > (1 << 19) ? (1 << 19) : lens[k];
		memcpy(buf, seeds[k], len);
		int muts = 1 + (int)(next() % 8);
		for (int m = 0; m < muts; m++) {
			uint64_t r = next();
			switch (r % 5) {
			case 0: if (len) buf[next() % len] ^= (unsigned char)(1u << (next() % 8)); break;
			case 1: if (len) len = next() % len; break;
			case 2: if (len) buf[next() % len] = "\",\n\r\"{}[]:\\0xeE.-+ "[next() % 19]; break;
			case 3: { /* duplicate a slice */
				if (!len) break;
				size_t a = next() % len, b = a + next() % (len - a + 1);
				if (len + (b - a) < (1 << 20)) { memmove(buf + b + (b - a), buf + b, len - b); memcpy(buf + b, buf + a, b - a); len += b - a; }
				break; }
			case 4: { /* splice another seed */
				size_t o = next() % n, cut = len ? next() % len : 0, take = lens[o] / 2;
				if (cut + take < (1 << 20)) { memcpy(buf + cut, seeds[o], take); len = cut + take; }
				break; }
			}
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz smoke: %zu seeds, %ld mutations, 0 crashes\n", n, iters);
	for (size_t i = 0; i < n; i++)
		free(seeds[i]);
	free(buf);
	return 0;
}
