/*
 * clickhouse_http.c - the ClickHouse ledger's wire: one libcurl handle
 * (keep-alive) POSTing statements to the HTTP interface, and the RowBinary
 * encoding both directions use. See clickhouse_int.h.
 *
 * Statements are built only from integers this program formats and from
 * identifiers it validated (ClickHouse 18.16 has no server-side query
 * parameters); every string that comes from data travels in a RowBinary
 * body, never inside SQL text.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include "store/clickhouse_int.h"
#include "util/err.h"

/* ---- RowBinary ------------------------------------------------------------ */

void chbuf_free(struct chbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

void chbuf_put(struct chbuf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		size_t c = b->cap ? b->cap : 4096;
		while (c < b->n + n)
			c *= 2;
		b->p = xrealloc(b->p, c);
		b->cap = c;
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

void rb_u8(struct chbuf *b, uint8_t v) { chbuf_put(b, &v, 1); }

void rb_u32(struct chbuf *b, uint32_t v)
{
	unsigned char x[4];
	for (int i = 0; i < 4; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	chbuf_put(b, x, 4);
}

void rb_u64(struct chbuf *b, uint64_t v)
{
	unsigned char x[8];
	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	chbuf_put(b, x, 8);
}

void rb_money(struct chbuf *b, money_t v)
{
	unsigned __int128 u = (unsigned __int128)v;
	unsigned char x[16];
	for (int i = 0; i < 16; i++)
		x[i] = (unsigned char)(u >> (8 * i));
	chbuf_put(b, x, 16);
}

void rb_str(struct chbuf *b, const char *s, size_t n)
{
	rb_len(b, n);
	chbuf_put(b, s, n);
}

void rb_len(struct chbuf *b, uint64_t v)
{
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		rb_u8(b, (uint8_t)(c | (v ? 0x80 : 0)));
	} while (v);
}

void rb_f32(struct chbuf *b, float v)
{
	uint32_t u;
	memcpy(&u, &v, 4);
	rb_u32(b, u);
}

void rb_f64(struct chbuf *b, double v)
{
	uint64_t u;
	memcpy(&u, &v, 8);
	rb_u64(b, u);
}

void rb_nstr(struct chbuf *b, const char *s)
{
	rb_u8(b, s ? 0 : 1);
	if (s)
		rb_str(b, s, strlen(s));
}

static const unsigned char *take(struct rbin *r, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	const unsigned char *p = r->p;
	r->p += n;
	return p;
}

uint8_t rd_u8(struct rbin *r)
{
	const unsigned char *p = take(r, 1);
	return p ? p[0] : 0;
}

uint32_t rd_u32(struct rbin *r)
{
	const unsigned char *p = take(r, 4);
	uint32_t v = 0;
	for (int i = 0; p && i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

uint64_t rd_u64(struct rbin *r)
{
	const unsigned char *p = take(r, 8);
	uint64_t v = 0;
	for (int i = 0; p && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

money_t rd_money(struct rbin *r)
{
	const unsigned char *p = take(r, 16);
	unsigned __int128 v = 0;
	for (int i = 0; p && i < 16; i++)
		v |= (unsigned __int128)p[i] << (8 * i);
	return (money_t)v;
}

float rd_f32(struct rbin *r)
{
	uint32_t u = rd_u32(r);
	float f;
	memcpy(&f, &u, 4);
	return f;
}

double rd_f64(struct rbin *r)
{
	uint64_t u = rd_u64(r);
	double d;
	memcpy(&d, &u, 8);
	return d;
}

static uint64_t rd_varint(struct rbin *r)
{
	uint64_t len = 0;
	for (int shift = 0;; shift += 7) {
		const unsigned char *c = take(r, 1);
		if (!c || shift > 56) {
			r->bad = 1;
			return 0;
		}
		len |= (uint64_t)(c[0] & 0x7f) << shift;
		if (!(c[0] & 0x80))
			return len;
	}
}

uint64_t rd_len(struct rbin *r, uint64_t max)
{
	uint64_t n = rd_varint(r);
	if (n > max || n > (uint64_t)(r->end - r->p))
		r->bad = 1;
	return r->bad ? 0 : n;
}

const char *rd_str(struct rbin *r, size_t *n)
{
	uint64_t len = rd_varint(r);
	if (r->bad) {
		*n = 0;
		return "";
	}
	const unsigned char *p = take(r, (size_t)len);
	*n = p ? (size_t)len : 0;
	return p ? (const char *)p : "";
}

/* ---- HTTP ------------------------------------------------------------------- */

struct chhttp {
	CURL *c;
	char *base, *db, *shown;
	char *extra;               /* more URL settings, "&k=v..." or NULL */
};

static size_t on_body(char *p, size_t sz, size_t nm, void *arg)
{
	chbuf_put(arg, p, sz * nm);
	return sz * nm;
}

static int global_ok;
static void global_init(void)
{
	global_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

struct chhttp *chhttp_new(const char *base, const char *database, const char *shown)
{
	/* Once per process, also when the server's workers open their ledgers at the same time. */
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, global_init);
	CURL *c = global_ok ? curl_easy_init() : NULL;
	if (!c) {
		error("%s: cannot start an HTTP client (libcurl)", shown);
		return NULL;
	}
	struct chhttp *h = xcalloc(1, sizeof *h);
	h->c = c;
	h->base = xstrdup(base);
	h->db = xstrdup(database);
	h->shown = xstrdup(shown);
	return h;
}

void chhttp_set_settings(struct chhttp *h, const char *extra)
{
	free(h->extra);
	h->extra = extra ? xstrdup(extra) : NULL;
}

void chhttp_free(struct chhttp *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->c);
	free(h->base);
	free(h->db);
	free(h->shown);
	free(h->extra);
	free(h);
}

static int request(struct chhttp *h, const char *what, const char *sql, const struct chbuf *data, const char *ext_name,
		   const char *ext_structure, struct chbuf *out, int use_db)
{
	struct chbuf url = { 0 }, reply = { 0 };
	chbuf_put(&url, h->base, strlen(h->base));
	/* Each insert is one block: it lands whole or not at all. */
	static const char settings[] = "?max_insert_block_size=1000000000&decimal_check_overflow=1";
	chbuf_put(&url, settings, sizeof settings - 1);
	if (h->extra)
		chbuf_put(&url, h->extra, strlen(h->extra));
	if (use_db) {
		chbuf_put(&url, "&database=", 10);
		chbuf_put(&url, h->db, strlen(h->db));
	}
	if (data) {
		char *q = curl_easy_escape(h->c, sql, 0);
		chbuf_put(&url, "&query=", 7);
		chbuf_put(&url, q, strlen(q));
		curl_free(q);
	}
	if (ext_name) {   /* external data: its name and structure as URL parameters, the rows as a form part */
		char *q = curl_easy_escape(h->c, ext_structure, 0);
		chbuf_put(&url, "&", 1);
		chbuf_put(&url, ext_name, strlen(ext_name));
		chbuf_put(&url, "_format=RowBinary&", 18);
		chbuf_put(&url, ext_name, strlen(ext_name));
		chbuf_put(&url, "_structure=", 11);
		chbuf_put(&url, q, strlen(q));
		curl_free(q);
	}
	chbuf_put(&url, "", 1);
	CURL *c = h->c;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, (char *)url.p);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_mime *mime = NULL;
	if (ext_name) {
		mime = curl_mime_init(c);
		curl_mimepart *part = curl_mime_addpart(mime);
		curl_mime_name(part, ext_name);
		curl_mime_filename(part, ext_name);
		curl_mime_data(part, data->n ? (const char *)data->p : "", data->n);
		curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	} else if (data) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, data->n ? (char *)data->p : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)data->n);
	} else {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, sql);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(sql));
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out ? out : &reply);
	struct curl_slist *hdr = ext_name ? NULL : curl_slist_append(NULL, "Content-Type: application/octet-stream");
	if (hdr)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CURLcode rc = curl_easy_perform(c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* AICOST_CH_TRACE=1: each statement's time and sizes on stderr (what a slow command spends its time on). */
	static int trace = -1;
	if (trace < 0)
		trace = getenv("AICOST_CH_TRACE") && *getenv("AICOST_CH_TRACE") == '1';
	if (trace)
		fprintf(stderr, "aicost: clickhouse: %8.1f ms  sent %zu  got %zu  %s: %.100s\n",
			(double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
			data ? data->n : strlen(sql), (out ? out : &reply)->n, what, sql);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	curl_mime_free(mime);
	chbuf_free(&url);
	int ret = 0;
	if (rc != CURLE_OK) {
		ret = error("%s: %s: %s", h->shown, what, curl_easy_strerror(rc));
	} else if (status != 200) {
		/* The server's message is the body: show its first line, bounded. */
		struct chbuf *b = out ? out : &reply;
		size_t n = 0;
		while (n < b->n && n < 300 && b->p[n] != '\n')
			n++;
		ret = error("%s: %s: HTTP %ld: %.*s", h->shown, what, status, (int)n, b->n ? (char *)b->p : "");
	}
	chbuf_free(&reply);
	return ret;
}

int chhttp_run(struct chhttp *h, const char *what, const char *sql, const struct chbuf *data, struct chbuf *out,
	       int use_db)
{
	return request(h, what, sql, data, NULL, NULL, out, use_db);
}

int chhttp_run_ext(struct chhttp *h, const char *what, const char *sql, const char *name, const char *structure,
		   const struct chbuf *rows, struct chbuf *out)
{
	return request(h, what, sql, rows, name, structure, out, 1);
}
