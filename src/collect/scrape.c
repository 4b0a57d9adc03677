/*
 * scrape.c - fetch a dcgm-exporter /metrics page with libcurl. The body is
 * capped (8 MiB) so a wrong URL cannot fill memory; it is malloc'd and
 * owned by the caller.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include "collect/collect.h"
#include "util/err.h"

#define BODY_MAX ((size_t)8 << 20)

struct buf { char *p; size_t n, cap; int over; };

static size_t on_data(char *p, size_t sz, size_t nm, void *arg)
{
	struct buf *b = arg;
	size_t n = sz * nm;
	if (b->n + n > BODY_MAX) {
		b->over = 1;
		return 0;
	}
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = 0;
	return n;
}

int scrape_fetch(const char *url, long timeout_s, char **body, size_t *n)
{
	static int inited;
	if (!inited) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = 1;
	}
	CURL *c = curl_easy_init();
	if (!c)
		return error("collect gpu: curl_easy_init failed");
	struct buf b = { xcalloc(1, 1), 0, 1, 0 };
	char err[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s > 0 ? timeout_s : 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (b.over) {
		free(b.p);
		return error("collect gpu: %s: the page is larger than %zu MiB", url, BODY_MAX >> 20);
	}
	if (rc != CURLE_OK) {
		free(b.p);
		return error("collect gpu: %s: %s", url, err[0] ? err : curl_easy_strerror(rc));
	}
	if (status != 200) {
		free(b.p);
		return error("collect gpu: %s: HTTP status %ld", url, status);
	}
	*body = b.p;
	*n = b.n;
	return 0;
}
