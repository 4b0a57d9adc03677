/*
 * test_gw_parse.c - the gateway's parsers of client input: the JSON
 * scanner (jscan), request bodies and their upstream rewrite (reqbody),
 * HTTP/1.1 request heads and chunked bodies (http).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "gateway/http.h"
#include "gateway/jscan.h"
#include "gateway/reqbody.h"

static int valid(const char *s, int depth)
{
	return js_validate(s, strlen(s), depth, NULL, NULL) == 0;
}

static void test_js_validate(void **st)
{
	static const char *good[] = {
		"{}", "[]", " {\"a\" : [1, -2.5e+3, true, false, null, \"x\"]} ", "\"\\u00e9\\ud83d\\ude00\"", "0", "-0.0e0",
		"{\"a\":{\"b\":[{},[]]}}", "\"caf\xc3\xa9\"",
	};
	static const char *bad[] = {
		"", " ", "{", "{\"a\":}", "{\"a\":1,}", "[1,]", "01", "1.", ".5", "-", "+1", "tru", "nul", "\"a", "\"\\x\"",
		"\"\\u12\"", "\"a\x01\"", "{\"a\" 1}", "{a:1}", "[1 2]", "{} {}", "\"\xc3\"", "\"\xed\xa0\x80\"", "\"\xf5\x80\x80\x80\"",
		"\"\xc0\xaf\"", "[\"\x80\"]", "1e", "{\"a\":1", "[[]",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (!valid(good[i], 16))
			fail_msg("rejected valid JSON %s", good[i]);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (valid(bad[i], 16))
			fail_msg("accepted bad JSON %s", bad[i]);
	}
	/* Depth: 3 levels pass at 3, fail at 2. */
	assert_true(valid("[[[1]]]", 3));
	assert_false(valid("[[[1]]]", 2));
	size_t off;
	const char *why;
	assert_int_equal(js_validate("[[[1]]]", 7, 2, &off, &why), -1);
	assert_int_equal(off, 2);
	assert_string_equal(why, "nested too deep");
	/* A deep document never recurses past the limit. */
	char *deep = malloc(200001);
	memset(deep, '[', 100000);
	memset(deep + 100000, ']', 100000);
	deep[200000] = 0;
	assert_false(valid(deep, 64));
	free(deep);
}

static void test_js_iterate(void **st)
{
	const char *s = "{\"a\":[],\"b\":{},\"c\":\"x\\\"y\",\"d\":[1,{\"e\":2}],\"f\":12345678901234567890,\"g\":7}";
	assert_true(valid(s, 8));
	struct js_span root = js_root(s, strlen(s)), v, k;
	assert_int_equal(root.t, JS_OBJ);
	assert_true(js_get(&root, "a", &v));
	assert_int_equal(v.t, JS_ARR);
	assert_int_equal(v.n, 2);
	assert_true(js_get(&root, "b", &v));
	assert_int_equal(v.t, JS_OBJ);
	assert_int_equal(v.n, 2);
	assert_true(js_get(&root, "c", &v));
	assert_int_equal(v.t, JS_STR);
	char buf[16];
	assert_int_equal(js_str_decode(&v, buf, sizeof buf), 3);
	assert_string_equal(buf, "x\"y");
	assert_true(js_get(&root, "d", &v));
	struct js_iter it;
	js_iter_init(&it, &v);
	int n = 0;
	while (js_arr_next(&it, &k))
		n++;
	assert_int_equal(n, 2);
	uint64_t u;
	assert_true(js_get(&root, "f", &v));
	assert_int_equal(js_u64(&v, &u), -1);   /* does not fit */
	assert_true(js_get(&root, "g", &v));
	assert_int_equal(js_u64(&v, &u), 0);
	assert_int_equal(u, 7);
	assert_false(js_get(&root, "zz", &v));
	/* An escaped key is compared decoded. */
	const char *e = "{\"m\\u006fdel\":\"x\"}";
	struct js_span r2 = js_root(e, strlen(e));
	assert_true(js_get(&r2, "model", &v));
}

static void test_js_strings(void **st)
{
	/* Surrogate pair -> one 4-byte character; a lone surrogate -> U+FFFD. */
	const char *s = "\"a\\ud83d\\ude00b\\ud800c\\u00e9\"";
	struct js_span v = js_root(s, strlen(s));
	char out[64];
	size_t n = js_str_decode(&v, out, sizeof out);
	assert_int_equal(n, 1 + 4 + 1 + 3 + 1 + 2);
	assert_memory_equal(out, "a\xf0\x9f\x98\x80" "b\xef\xbf\xbd" "c\xc3\xa9", n);
	size_t b, c;
	js_str_len(&v, &b, &c);
	assert_int_equal(b, n);
	assert_int_equal(c, 6);
	/* Truncation never splits a character. */
	n = js_str_decode(&v, out, 4);
	assert_string_equal(out, "a");
	/* Text statistics: every string value, not keys. */
	const char *m = "[{\"role\":\"user\",\"content\":\"h\xc3\xa9llo\"},{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}]";
	struct js_span ms = js_root(m, strlen(m));
	struct js_text_stats ts = { 0 };
	js_text_stats(&ms, &ts);
	assert_int_equal(ts.bytes, 4 + 6 + 9 + 4 + 2);
	assert_int_equal(ts.chars, 4 + 5 + 9 + 4 + 2);
	assert_int_equal(ts.objects, 3);
	assert_int_equal(ts.strings, 5);
}

static void test_reqbody_parse(void **st)
{
	struct reqbody r;
	char why[200];
	const char *b = "{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
			"\"max_tokens\":100,\"max_completion_tokens\":50,\"n\":2,\"user\":\"u1\",\"metadata\":{\"use_case\":\"chat\",\"n\":3},"
			"\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hello\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}";
	assert_int_equal(reqbody_parse(b, strlen(b), API_CHAT, 64, &r, why, sizeof why), 0);
	assert_string_equal(r.model, "gpt-4o");
	assert_true(r.stream);
	assert_true(r.include_usage);
	assert_int_equal(r.max_tokens, 50);          /* the smaller of the two */
	assert_int_equal(r.n, 2);
	assert_string_equal(r.user, "u1");
	assert_int_equal(r.nmeta, 1);                 /* only string values */
	assert_string_equal(r.meta_k[0], "use_case");
	assert_int_equal(r.images, 1);
	/* strings: user, text, hello, image_url, x = 4+4+5+9+1 = 23 bytes; objects: 4 */
	assert_int_equal(r.prompt.bytes, 23);
	assert_int_equal(reqbody_prompt_bound(&r, 1000), 23 + 4 * 4 + 5 + 3 + 1000);

	static const struct {
		const char *body, *why;
	} bad[] = {
		{ "[]", "must be a JSON object" },
		{ "{\"messages\":[]}", "'model' is required" },
		{ "{\"model\":5}", "'model' must be a string" },
		{ "{\"model\":\"m\",\"stream\":\"yes\"}", "'stream' must be a boolean" },
		{ "{\"model\":\"m\",\"max_tokens\":-1}", "'max_tokens' must be a non-negative integer" },
		{ "{\"model\":\"m\",\"max_tokens\":1.5}", "'max_tokens' must be a non-negative integer" },
		{ "{\"model\":\"m\",\"n\":0}", "'n' must be an integer from 1 to 128" },
		{ "{\"model\":\"m\",\"stream_options\":3}", "'stream_options' must be an object" },
		{ "{\"model\":\"m\"", "not valid JSON" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(reqbody_parse(bad[i].body, strlen(bad[i].body), API_CHAT, 64, &r, why, sizeof why), -1);
		if (!strstr(why, bad[i].why))
			fail_msg("%s: got '%s', want '%s'", bad[i].body, why, bad[i].why);
	}
	const char *e = "{\"model\":\"m\",\"input\":\"x\",\"stream\":true}";
	assert_int_equal(reqbody_parse(e, strlen(e), API_EMBEDDINGS, 64, &r, why, sizeof why), -1);
}

/* Rewrite and check the result with jansson. */
static json_t *rewrite(const char *b, const char *model, int usage)
{
	struct reqbody r;
	char why[200];
	assert_int_equal(reqbody_parse(b, strlen(b), API_CHAT, 64, &r, why, sizeof why), 0);
	size_t cap = reqbody_rewrite_size(strlen(b), model);
	char *out = malloc(cap);
	size_t n = reqbody_rewrite(b, strlen(b), &r, model, usage, out, cap);
	assert_true(n > 0);
	json_error_t je;
	json_t *j = json_loadb(out, n, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		fail_msg("rewrite gave bad JSON: %.*s (%s)", (int)n, out, je.text);
	free(out);
	return j;
}

static void test_reqbody_rewrite(void **st)
{
	json_t *j = rewrite("{\"model\":\"a\",\"stream\":true,\"messages\":[]}", "dep-\"1\"", 1);
	assert_string_equal(json_string_value(json_object_get(j, "model")), "dep-\"1\"");
	assert_true(json_is_true(json_object_get(json_object_get(j, "stream_options"), "include_usage")));
	json_decref(j);
	/* include_usage false is flipped, other options kept. */
	j = rewrite("{\"stream_options\":{\"include_obfuscation\":false,\"include_usage\":false},\"model\":\"a\",\"stream\":true}",
		    NULL, 1);
	json_t *so = json_object_get(j, "stream_options");
	assert_true(json_is_true(json_object_get(so, "include_usage")));
	assert_true(json_is_false(json_object_get(so, "include_obfuscation")));
	assert_string_equal(json_string_value(json_object_get(j, "model")), "a");
	json_decref(j);
	/* Options without include_usage get it prepended. */
	j = rewrite("{\"model\":\"a\",\"stream_options\":{\"x\":1}}", "b", 1);
	so = json_object_get(j, "stream_options");
	assert_true(json_is_true(json_object_get(so, "include_usage")));
	assert_int_equal(json_integer_value(json_object_get(so, "x")), 1);
	json_decref(j);
	/* null options are replaced; no edit at all keeps the bytes. */
	j = rewrite("{\"model\":\"a\",\"stream_options\":null}", NULL, 1);
	assert_true(json_is_true(json_object_get(json_object_get(j, "stream_options"), "include_usage")));
	json_decref(j);
	const char *same = "{ \"model\" : \"a\" , \"x\" : [1,2] }";
	struct reqbody r;
	char why[100], out[200];
	assert_int_equal(reqbody_parse(same, strlen(same), API_CHAT, 64, &r, why, sizeof why), 0);
	size_t n = reqbody_rewrite(same, strlen(same), &r, NULL, 0, out, sizeof out);
	assert_int_equal(n, strlen(same));
	assert_memory_equal(out, same, n);
}

static void test_http_head(void **st)
{
	struct http_req r;
	const char *why;
	const char *req = "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n"
			  "Authorization:  Bearer k  \r\nConnection: keep-alive, Upgrade\r\n\r\n{\"model\":1}x";
	assert_int_equal(http_parse_head(req, strlen(req), &r, &why), 1);
	assert_int_equal(r.method, HM_POST);
	assert_true(http_str_ieq(&r.path, "/v1/chat/completions"));
	assert_true(http_str_ieq(&r.query, "x=1"));
	assert_int_equal(r.content_length, 12);
	assert_true(r.keep_alive);
	const struct http_str *a = http_header_get(&r, "AUTHORIZATION");
	assert_non_null(a);
	assert_int_equal(a->n, 8);
	assert_memory_equal(a->p, "Bearer k", 8);
	assert_int_equal(r.head_len, strlen(req) - 12);
	/* Incomplete. */
	assert_int_equal(http_parse_head(req, 20, &r, &why), 0);
	/* HTTP/1.0 closes by default. */
	const char *h10 = "GET /metrics HTTP/1.0\r\n\r\n";
	assert_int_equal(http_parse_head(h10, strlen(h10), &r, &why), 1);
	assert_false(r.keep_alive);
	static const struct {
		const char *req;
		int status;
	} bad[] = {
		{ "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501 },
		{ "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nContent-Length: 1a\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\n folded: x\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nX: a\x01\r\n\r\n", 400 },
		{ "POST / HTTP/2.0\r\n\r\n", 400 },
		{ "POST / HTTP/1.2\r\n\r\n", 505 },
		{ "POST http://x/ HTTP/1.1\r\n\r\n", 400 },
		{ "POST  / HTTP/1.1\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\nHost: a\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", 417 },
		{ "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = http_parse_head(bad[i].req, strlen(bad[i].req), &r, &why);
		if (rc != -bad[i].status)
			fail_msg("%zu: got %d, want -%d", i, rc, bad[i].status);
	}
	/* Too many headers, too large a head. */
	char big[20000];
	size_t k = (size_t)sprintf(big, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < 70; i++)
		k += (size_t)sprintf(big + k, "X-%d: y\r\n", i);
	k += (size_t)sprintf(big + k, "\r\n");
	assert_int_equal(http_parse_head(big, k, &r, &why), -431);
	memset(big, 'a', sizeof big);
	memcpy(big, "GET /", 5);
	assert_int_equal(http_parse_head(big, sizeof big, &r, &why), -431);
}

static void test_http_chunked(void **st)
{
	char b[128];
	size_t n;
	strcpy(b, "4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-T: 1\r\n\r\nNEXT");
	int64_t used = http_chunked(b, strlen(b), 100, &n);
	assert_int_equal(used, (int64_t)strlen(b) - 4);
	assert_int_equal(n, 9);
	assert_memory_equal(b, "Wikipedia", 9);
	strcpy(b, "4\r\nWiki\r\n5\r\npedia\r\n0\r\n");
	assert_int_equal(http_chunked(b, strlen(b), 100, &n), 0);   /* the final CRLF is missing */
	assert_memory_equal(b, "4\r\nWiki", 7);                      /* and nothing moved */
	strcpy(b, "4\r\nWikiX\r\n0\r\n\r\n");
	assert_int_equal(http_chunked(b, strlen(b), 100, &n), -1);
	strcpy(b, "zz\r\n");
	assert_int_equal(http_chunked(b, strlen(b), 100, &n), -1);
	strcpy(b, "ff\r\n");
	assert_int_equal(http_chunked(b, strlen(b), 100, &n), -2);
	strcpy(b, "ffffffffffffffff\r\n");
	assert_int_equal(http_chunked(b, strlen(b), 100, &n), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_js_validate),
		cmocka_unit_test(test_js_iterate),
		cmocka_unit_test(test_js_strings),
		cmocka_unit_test(test_reqbody_parse),
		cmocka_unit_test(test_reqbody_rewrite),
		cmocka_unit_test(test_http_head),
		cmocka_unit_test(test_http_chunked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
