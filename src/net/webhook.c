/* webhook.c - one JSON POST through libcurl; see webhook.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include "net/webhook.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int global_ok;

static void global_init(void)
{
	global_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

void webhook_redact(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://");
	if (!cap)
		return;
	if (!p) {
		snprintf(out, cap, "(webhook)");
		return;
	}
	size_t scheme = (size_t)(p - url);
	const char *host = p + 3;
	size_t hn = strcspn(host, "/?#");
	/* Drop user:password@ in the authority. */
	const char *at = memchr(host, '@', hn);
	if (at) {
		hn -= (size_t)(at + 1 - host);
		host = at + 1;
	}
	snprintf(out, cap, "%.*s://%.*s%s", (int)(scheme > 16 ? 16 : scheme), url, (int)(hn > 200 ? 200 : hn), host,
		 host[hn] ? "/..." : "");
}

/* Discard the receiver's answer: it is never printed or kept. */
static size_t sink(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct webhook_result *r = arg;
	size_t len = sz * n;
	if (len > 12 && !strncasecmp(p, "Retry-After:", 12)) {
		char buf[32];
		size_t k = len - 12 < sizeof buf - 1 ? len - 12 : sizeof buf - 1;
		memcpy(buf, p + 12, k);
		buf[k] = 0;
		double v = strtod(buf, NULL);
		if (v > 0 && v < 86400)
			r->retry_after = v;
	}
	return len;
}

int webhook_post(const char *url, const char *body, size_t n, const char *idem_key, double timeout_s,
		 struct webhook_result *r)
{
	memset(r, 0, sizeof *r);
	pthread_once(&once, global_init);
	if (!global_ok) {
		snprintf(r->why, sizeof r->why, "libcurl did not initialize");
		return -1;
	}
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
		snprintf(r->why, sizeof r->why, "only http:// and https:// webhooks are supported");
		return -1;
	}
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(r->why, sizeof r->why, "libcurl: cannot create a handle");
		return -1;
	}
	struct curl_slist *h = NULL;
	char idem[160], errbuf[CURL_ERROR_SIZE] = "";
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	if (idem_key) {
		snprintf(idem, sizeof idem, "Idempotency-Key: %s", idem_key);
		h = curl_slist_append(h, idem);
	}
	long ms = timeout_s > 0 ? (long)(timeout_s * 1000) : 10000;
	if (ms < 100)
		ms = 100;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "aicost-webhook/1");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms < 5000 ? ms : 5000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		/* libcurl's messages name host and port at most; keep them only if the URL's path is absent. */
		const char *path = strchr(strstr(url, "://") + 3, '/');
		int leaks = path && path[1] && errbuf[0] && strstr(errbuf, path);
		snprintf(r->why, sizeof r->why, "%s", errbuf[0] && !leaks ? errbuf : curl_easy_strerror(cc));
		r->retry = 1;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->http_status);
		r->ok = r->http_status >= 200 && r->http_status < 300;
		if (!r->ok) {
			snprintf(r->why, sizeof r->why, "HTTP %ld", r->http_status);
			r->retry = r->http_status == 408 || r->http_status == 429 || r->http_status >= 500;
		}
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return 0;
}
