/*
 * test_http.c - the server's parsers and tables: query strings, bearer
 * headers, token config and constant-time lookup, the response cache (LRU,
 * byte bound, pending entries), --listen addresses, API option tables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "core/config.h"
#include "http/api.h"
#include "http/auth.h"
#include "http/cache.h"
#include "http/query.h"
#include "http/server.h"
#include "util/err.h"

static char last_msg[2048];

static void sink(const char *line)
{
	snprintf(last_msg, sizeof last_msg, "%s", line);
}

static void test_query_ok(void **state)
{
	struct http_params p;
	char err[256];
	assert_int_equal(http_query_parse("by=team,month&where=env%3Dprod&where=tag%3Ateam%3Dchat+bot&no-shared&&x_y=",
					  &p, err, sizeof err), 0);
	assert_int_equal(p.n, 5);
	assert_string_equal(p.names[0], "by");
	assert_string_equal(p.values[0], "team,month");
	assert_string_equal(p.values[1], "env=prod");
	assert_string_equal(p.values[2], "tag:team=chat bot");
	assert_string_equal(p.names[3], "no-shared");
	assert_string_equal(p.values[3], "");
	assert_string_equal(p.names[4], "x_y");
	assert_string_equal(p.values[4], "");
	http_params_release(&p);
	/* UTF-8 values decode; an empty query is no parameters */
	assert_int_equal(http_query_parse("where=team%3Dcaf%C3%A9", &p, err, sizeof err), 0);
	assert_string_equal(p.values[0], "team=caf\xc3\xa9");
	http_params_release(&p);
	assert_int_equal(http_query_parse(NULL, &p, err, sizeof err), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(http_query_parse("", &p, err, sizeof err), 0);
	assert_int_equal(p.n, 0);
}

static void expect_bad(const char *q, const char *msg)
{
	struct http_params p;
	char err[256] = "";
	if (http_query_parse(q, &p, err, sizeof err) == 0) {
		http_params_release(&p);
		fail_msg("parsed: %s", q);
	}
	if (!strstr(err, msg))
		fail_msg("%s: got '%s', want '%s'", q, err, msg);
}

static void test_query_bad(void **state)
{
	expect_bad("by=%zz", "'%' must start a %XX escape");
	expect_bad("by=%4", "'%' must start a %XX escape");
	expect_bad("by=%", "'%' must start a %XX escape");
	expect_bad("by=a%00b", "control characters");
	expect_bad("by=%0a", "control characters");
	expect_bad("by=%7f", "control characters");
	expect_bad("by=%ff", "not valid UTF-8");
	expect_bad("by=%c0%af", "not valid UTF-8");        /* overlong '/' */
	expect_bad("by=%ed%a0%80", "not valid UTF-8");     /* a surrogate */
	expect_bad("by=%f4%90%80%80", "not valid UTF-8");  /* past U+10FFFF */
	expect_bad("=x", "without a name");
	expect_bad("By=x", "only a-z, 0-9");
	expect_bad("a%20b=x", "only a-z, 0-9");
	char big[HTTP_QUERY_MAX_BYTES + 16];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	expect_bad(big, "longer than");
	char many[2048] = "";
	for (int i = 0; i <= HTTP_QUERY_MAX_PARAMS; i++)
		strcat(many, "a=1&");
	expect_bad(many, "more than 64");
}

static void test_bearer(void **state)
{
	const char *t;
	size_t n;
	assert_int_equal(http_bearer("Bearer aic_abc-._~+/==", &t, &n), 0);
	assert_int_equal(n, strlen("aic_abc-._~+/=="));
	assert_memory_equal(t, "aic_abc-._~+/==", n);
	assert_int_equal(http_bearer("bearer   tok  ", &t, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(http_bearer("Bearer", &t, &n), -1);
	assert_int_equal(http_bearer("Bearer ", &t, &n), -1);
	assert_int_equal(http_bearer("Basic abc", &t, &n), -1);
	assert_int_equal(http_bearer("Bearerabc", &t, &n), -1);
	assert_int_equal(http_bearer("Bearer a b", &t, &n), -1);
	assert_int_equal(http_bearer("Bearer a=b", &t, &n), -1);   /* '=' only at the end */
	assert_int_equal(http_bearer("Bearer a\"b", &t, &n), -1);
	assert_int_equal(http_bearer(NULL, &t, &n), -1);
	char big[HTTP_TOKEN_MAX + 16] = "Bearer ";
	memset(big + 7, 'x', HTTP_TOKEN_MAX + 1);
	big[7 + HTTP_TOKEN_MAX + 1] = 0;
	assert_int_equal(http_bearer(big, &t, &n), -1);
	big[7 + HTTP_TOKEN_MAX] = 0;
	assert_int_equal(http_bearer(big, &t, &n), 0);
}

static const char tokens_yaml[] =
	"allocation:\n  dimensions:\n    team: { tags: [team] }\n"
	"server:\n  tokens:\n"
	"    - { name: ops, role: admin, sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 }\n"
	"    - { name: chat, role: team, team: chatbot, sha256: 2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824 }\n";

static void test_auth(void **state)
{
	struct config cfg;
	struct http_auth a;
	assert_int_equal(config_load_mem(tokens_yaml, strlen(tokens_yaml), "t.yaml", &cfg), 0);
	assert_int_equal(http_auth_load(&cfg, &a), 0);
	assert_int_equal(a.n, 2);
	const struct http_token *t = http_auth_check(&a, "password", 8);
	assert_non_null(t);
	assert_string_equal(t->name, "ops");
	assert_int_equal(t->role, ROLE_ADMIN);
	t = http_auth_check(&a, "hello", 5);
	assert_non_null(t);
	assert_int_equal(t->role, ROLE_TEAM);
	assert_string_equal(t->team, "chatbot");
	assert_null(http_auth_check(&a, "hell", 4));
	assert_null(http_auth_check(&a, "hello ", 6));
	assert_null(http_auth_check(&a, "", 0));
	char hex[65];
	http_sha256_hex("hello", 5, hex);
	assert_string_equal(hex, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
	http_auth_release(&a);
	config_release(&cfg);
	/* no server: section: no tokens */
	assert_int_equal(config_load_mem("", 0, "e.yaml", &cfg), 0);
	assert_int_equal(http_auth_load(&cfg, &a), 0);
	assert_int_equal(a.n, 0);
	http_auth_release(&a);
	config_release(&cfg);
}

static void expect_auth_error(const char *yaml, const char *msg)
{
	struct config cfg;
	struct http_auth a;
	last_msg[0] = 0;
	assert_int_equal(config_load_mem(yaml, strlen(yaml), "t.yaml", &cfg), 0);
	assert_int_equal(http_auth_load(&cfg, &a), -1);
	if (strcmp(last_msg, msg))
		fail_msg("got  %s\nwant %s", last_msg, msg);
	config_release(&cfg);
}

static void test_auth_errors(void **state)
{
	static const char h[] = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
	char y[512];
	expect_auth_error("server: [1]\n", "aicost: t.yaml:1:9: server: expected a mapping");
	expect_auth_error("server:\n  tokens: x\n", "aicost: t.yaml:2:11: server.tokens: expected a list");
	expect_auth_error("server:\n  tokens: [x]\n",
			  "aicost: t.yaml:2:12: server.tokens[0]: expected a mapping with name, sha256, role");
	snprintf(y, sizeof y, "server:\n  tokens:\n    - { role: admin, sha256: %s }\n", h);
	expect_auth_error(y, "aicost: t.yaml:3:7: server.tokens[0]: name is required");
	expect_auth_error("server:\n  tokens:\n    - { name: a, role: admin, sha256: 5e88 }\n",
			  "aicost: t.yaml:3:7: server.tokens[0] (a): sha256 must be 64 hex digits (aicost serve --hash-token)");
	snprintf(y, sizeof y, "server:\n  tokens:\n    - { name: a, role: root, sha256: %s }\n", h);
	expect_auth_error(y, "aicost: t.yaml:3:7: server.tokens[0] (a): role must be admin or team");
	snprintf(y, sizeof y, "server:\n  tokens:\n    - { name: a, role: team, sha256: %s }\n", h);
	expect_auth_error(y, "aicost: t.yaml:3:7: server.tokens[0] (a): a team token needs team: VALUE");
	snprintf(y, sizeof y, "server:\n  tokens:\n    - { name: a, role: admin, sha256: %s }\n"
		 "    - { name: b, role: admin, sha256: %s }\n", h, h);
	expect_auth_error(y, "aicost: t.yaml:4:7: server.tokens[1] (b): the same name or hash as token 'a'");
}

static void test_cache(void **state)
{
	struct http_cache c;
	cache_init(&c, 1000);
	struct centry *a = cache_add(&c, "a", 1);
	assert_ptr_equal(cache_find(&c, "a", 1), a);
	assert_true(a->pending);
	cache_fill(&c, a, 200, xstrdup("0123456789"), 10, "application/json");
	assert_false(a->pending);
	struct centry *b = cache_add(&c, "b", 1);
	cache_fill(&c, b, 200, xmalloc(400), 400, "application/json");
	/* touch a, so b is the oldest; then a big entry evicts b, not a */
	assert_ptr_equal(cache_find(&c, "a", 1), a);
	struct centry *p = cache_add(&c, "p", 1);   /* pending: never evicted */
	struct centry *d = cache_add(&c, "d", 1);
	cache_fill(&c, d, 200, xmalloc(500), 500, "application/json");
	assert_null(cache_find(&c, "b", 1));
	assert_ptr_equal(cache_find(&c, "a", 1), a);
	assert_ptr_equal(cache_find(&c, "p", 1), p);
	assert_true(c.bytes <= c.max_bytes);
	assert_int_equal(c.evictions, 1);
	/* an entry bigger than the whole cache stays until the next fill */
	struct centry *e = cache_add(&c, "e", 1);
	cache_fill(&c, e, 200, xmalloc(5000), 5000, "application/json");
	assert_ptr_equal(cache_find(&c, "e", 1), e);
	assert_null(cache_find(&c, "a", 1));
	cache_remove(&c, p);
	assert_null(cache_find(&c, "p", 1));
	/* many keys in few buckets */
	char k[32];
	for (int i = 0; i < 10000; i++) {
		snprintf(k, sizeof k, "key-%d", i);
		struct centry *x = cache_add(&c, k, strlen(k));
		cache_fill(&c, x, 200, xmalloc(1), 1, "text/plain");
	}
	assert_true(c.bytes <= c.max_bytes);
	assert_non_null(cache_find(&c, "key-9999", 8));
	cache_release(&c);
}

static void test_listen(void **state)
{
	char h[64];
	unsigned port;
	int lo;
	assert_int_equal(srv_parse_listen("127.0.0.1:8080", h, sizeof h, &port, &lo), 0);
	assert_string_equal(h, "127.0.0.1");
	assert_int_equal(port, 8080);
	assert_int_equal(lo, 1);
	assert_int_equal(srv_parse_listen("[::1]:0", h, sizeof h, &port, &lo), 0);
	assert_string_equal(h, "::1");
	assert_int_equal(lo, 1);
	assert_int_equal(srv_parse_listen("0.0.0.0:80", h, sizeof h, &port, &lo), 0);
	assert_int_equal(lo, 0);
	assert_int_equal(srv_parse_listen("[::]:80", h, sizeof h, &port, &lo), 0);
	assert_int_equal(lo, 0);
	assert_int_equal(srv_parse_listen("localhost:9", h, sizeof h, &port, &lo), 0);
	assert_string_equal(h, "127.0.0.1");
	assert_int_equal(srv_parse_listen("127.1.2.3:9", h, sizeof h, &port, &lo), 0);
	assert_int_equal(lo, 1);
	assert_int_equal(srv_parse_listen("example.com:80", h, sizeof h, &port, &lo), -1);
	assert_int_equal(srv_parse_listen("127.0.0.1", h, sizeof h, &port, &lo), -1);
	assert_int_equal(srv_parse_listen("127.0.0.1:", h, sizeof h, &port, &lo), -1);
	assert_int_equal(srv_parse_listen("127.0.0.1:65536", h, sizeof h, &port, &lo), -1);
	assert_int_equal(srv_parse_listen("127.0.0.1:80x", h, sizeof h, &port, &lo), -1);
	assert_int_equal(srv_parse_listen("::1:80", h, sizeof h, &port, &lo), -1);
	assert_int_equal(srv_parse_listen("[::1]80", h, sizeof h, &port, &lo), -1);
}

/* Query parameters into an option table: unknown names, flags, repeats. */
static void test_args_from_pairs(void **state)
{
	static const struct cli_opt opts[] = { { "by", 1, 0, "" }, { "where", 1, 1, "" }, { "no-shared", 0, 0, "" } };
	struct cli_args a;
	const char *n1[] = { "by", "where", "where", "no-shared" }, *v1[] = { "team", "a=1", "b=2", "" };
	assert_int_equal(cli_args_from_pairs(&a, opts, 3, n1, v1, 4), 0);
	assert_string_equal(cli_get(&a, "by"), "team");
	size_t n;
	const char **w = cli_all(&a, "where", &n);
	assert_int_equal(n, 2);
	assert_string_equal(w[1], "b=2");
	assert_true(cli_has(&a, "no-shared"));
	cli_args_release(&a);
	const char *n2[] = { "no-shared" }, *v2[] = { "false" };
	assert_int_equal(cli_args_from_pairs(&a, opts, 3, n2, v2, 1), 0);
	assert_false(cli_has(&a, "no-shared"));
	cli_args_release(&a);
	const char *n3[] = { "by", "by" }, *v3[] = { "a", "b" };
	assert_int_equal(cli_args_from_pairs(&a, opts, 3, n3, v3, 2), CLI_EUSAGE);
	assert_string_equal(last_msg, "aicost: parameter 'by' given more than once");
	cli_args_release(&a);
	const char *n4[] = { "bye" }, *v4[] = { "a" };
	assert_int_equal(cli_args_from_pairs(&a, opts, 3, n4, v4, 1), CLI_EUSAGE);
	assert_string_equal(last_msg, "aicost: unknown parameter 'bye'");
	cli_args_release(&a);
	const char *n5[] = { "no-shared" }, *v5[] = { "yes" };
	assert_int_equal(cli_args_from_pairs(&a, opts, 3, n5, v5, 1), CLI_EUSAGE);
	cli_args_release(&a);
}

/* Every route has a summary and schema; deny lists name real options; paths are unique. */
static void test_routes(void **state)
{
	for (size_t i = 0; i < api_nroutes; i++) {
		const struct api_route *r = &api_routes[i];
		assert_non_null(r->summary);
		assert_non_null(r->schema);
		assert_true(r->cmd || r->run);
		assert_ptr_equal(api_route_find(r->path), r);
		size_t n;
		const struct cli_opt *o = api_route_opts(r, &n);
		for (const char *d = r->deny; d && *d;) {
			const char *c = strchr(d, ',');
			size_t len = c ? (size_t)(c - d) : strlen(d), k;
			for (k = 0; k < n; k++)
				if (strlen(o[k].name) == len && !memcmp(o[k].name, d, len))
					break;
			if (k == n)
				fail_msg("%s denies '%.*s', which is not one of its options", r->path, (int)len, d);
			d = c ? c + 1 : NULL;
		}
		if (r->scope == SCOPE_WHERE) {
			size_t k;
			for (k = 0; k < n && strcmp(o[k].name, "where"); k++)
				;
			if (k == n)
				fail_msg("%s is team-scoped by where but has no where option", r->path);
		}
	}
	assert_null(api_route_find("/api/nope"));
	assert_true(api_route_denies(api_route_find("/api/report"), "chargeback"));
	assert_false(api_route_denies(api_route_find("/api/report"), "by"));
}

int main(void)
{
	err_sink = sink;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_ok),  cmocka_unit_test(test_query_bad),   cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_auth),      cmocka_unit_test(test_auth_errors), cmocka_unit_test(test_cache),
		cmocka_unit_test(test_listen),    cmocka_unit_test(test_args_from_pairs), cmocka_unit_test(test_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
