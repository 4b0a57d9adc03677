/* test_config.c - the config loader: SPEC section 4 keys, errors with positions, limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/alloc.h"
#include "core/config.h"
#include "util/err.h"

/* Messages from error()/warning() land here instead of stderr. */
static char last_msg[4096];
static int nmsgs;

static void sink(const char *line)
{
	snprintf(last_msg, sizeof last_msg, "%s", line);
	nmsgs++;
}

static int setup(void **state)
{
	err_sink = sink;
	last_msg[0] = 0;
	nmsgs = 0;
	return 0;
}

static int load(const char *yaml, struct config *cfg)
{
	last_msg[0] = 0;
	nmsgs = 0;
	return config_load_mem(yaml, strlen(yaml), "t.yaml", cfg);
}

/* Loading must fail with exactly this message; mismatches are all listed, then fail. */
static int mismatches;

static void expect_error(const char *yaml, const char *msg)
{
	struct config cfg;
	int rc = load(yaml, &cfg);
	if (rc == 0) {
		config_release(&cfg);
		print_message("loaded, expected: %s\n", msg);
		mismatches++;
		return;
	}
	if (strcmp(last_msg, msg) != 0) {
		print_message("got:  %s\nwant: %s\n", last_msg, msg);
		mismatches++;
	}
	config_release(&cfg);   /* harmless after a failed load */
}

static const char spec_yaml[] =
	"allocation:\n"
	"  dimensions:\n"
	"    team:\n"
	"      tags: [team, Team, owner_team]     # the first tag key present wins\n"
	"      normalize: slug                    # lower case, runs of non-alphanumerics -> '-'\n"
	"      aliases: { fraud: fraud-detection }\n"
	"      rules:                             # for rows without any of those tags\n"
	"        - match: { SubAccountName: \"ml-platform*\" }\n"
	"          value: platform\n"
	"      default: unallocated\n"
	"  shared:                                # redistribute shared cost\n"
	"    - match: { team: platform }\n"
	"      over: team\n"
	"      method: proportional               # proportional | even | fixed (with weights:)\n"
	"budgets:\n"
	"  - name: chatbot-monthly\n"
	"    scope: { team: chatbot }\n"
	"    period: month                        # month | quarter | year\n"
	"    limit: 50000\n"
	"    alert_at: [0.8, 1.0]                 # fractions of limit, actual or forecast\n"
	"    notify: [ \"webhook:http://127.0.0.1:9000/hook\" ]\n"
	"hosts:                                   # telemetry host -> FOCUS ResourceId, when not derivable\n"
	"  gpu-node-7: \"arn:aws:ec2:us-east-1:123456789012:instance/i-0abc\"\n"
	"prices: { catalog: path/to/model_prices.json }\n"
	"gateway: { listen: \"127.0.0.1:8080\" }\n";

static void test_spec_example(void **state)
{
	struct config cfg;
	assert_int_equal(load(spec_yaml, &cfg), 0);
	assert_int_equal(nmsgs, 0);

	assert_int_equal(alloc_ndims(&cfg), 2);
	assert_int_equal(alloc_dim_find(&cfg, "workload"), 0);
	int t = alloc_dim_find(&cfg, "team");
	assert_int_equal(t, 1);
	assert_string_equal(alloc_dim_name(&cfg, t), "team");
	const struct alloc_dim *d = &cfg.dims[t];
	assert_int_equal(d->ntags, 3);
	assert_string_equal(d->tags[0], "team");
	assert_string_equal(d->tags[1], "Team");
	assert_string_equal(d->tags[2], "owner_team");
	assert_string_equal(d->tags_canon[2], "ownerteam");
	assert_int_equal(d->normalize, NORM_SLUG);
	assert_int_equal(d->naliases, 1);
	assert_string_equal(d->alias_from[0], "fraud");
	assert_string_equal(d->alias_to[0], "fraud-detection");
	assert_int_equal(d->nrules, 1);
	assert_int_equal(d->rules[0].match.nterms, 1);
	assert_string_equal(d->rules[0].match.terms[0].key, "SubAccountName");
	assert_int_equal(d->rules[0].match.terms[0].kind, MATCH_COL);
	assert_int_equal(d->rules[0].match.terms[0].id, FC_SUB_ACCOUNT_NAME);
	assert_string_equal(d->rules[0].value, "platform");
	assert_string_equal(d->deflt, "unallocated");
	assert_true(d->configured);

	assert_int_equal(cfg.nshared, 1);
	assert_int_equal(cfg.shared[0].over_dim, t);
	assert_int_equal(cfg.shared[0].method, SHARED_PROPORTIONAL);
	assert_int_equal(cfg.shared[0].match.terms[0].kind, MATCH_DIM);
	assert_int_equal(cfg.shared[0].match.terms[0].id, t);
	assert_int_equal(cfg.shared[0].line, 12);

	assert_int_equal(cfg.nbudgets, 1);
	const struct budget *b = &cfg.budgets[0];
	assert_string_equal(b->name, "chatbot-monthly");
	assert_int_equal(b->nscope, 1);
	assert_string_equal(b->scope_keys[0], "team");
	assert_string_equal(b->scope_vals[0], "chatbot");
	assert_int_equal(b->period, BUDGET_MONTH);
	assert_true(b->limit == money_from_int(50000));
	assert_int_equal(b->nalert, 2);
	assert_true(b->alert_at[0] == MONEY_ONE / 10 * 8);
	assert_true(b->alert_at[1] == MONEY_ONE);
	assert_int_equal(b->nnotify, 1);
	assert_string_equal(b->notify[0], "webhook:http://127.0.0.1:9000/hook");

	assert_int_equal(cfg.nhosts, 1);
	assert_string_equal(config_host_resource(&cfg, "gpu-node-7"), "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc");
	assert_null(config_host_resource(&cfg, "gpu-node-8"));
	assert_string_equal(cfg.prices_catalog, "path/to/model_prices.json");

	/* the raw tree stays for modules with their own sections */
	const struct cfg_node *gw = cfg_node_get(&cfg.root, "gateway");
	assert_non_null(gw);
	assert_string_equal(cfg_node_get(gw, "listen")->str, "127.0.0.1:8080");
	config_release(&cfg);
	config_release(&cfg);   /* twice is harmless */
}

static void test_empty_and_null(void **state)
{
	struct config cfg;
	assert_int_equal(config_load(NULL, &cfg), 0);
	assert_int_equal(alloc_ndims(&cfg), 1);
	assert_string_equal(alloc_dim_name(&cfg, 0), "workload");
	assert_int_equal(alloc_dim_find(&cfg, "team"), -1);
	assert_null(alloc_dim_name(&cfg, 5));
	config_release(&cfg);

	assert_int_equal(load("", &cfg), 0);
	assert_int_equal(cfg.root.type, CN_NULL);
	config_release(&cfg);
	assert_int_equal(load("# only a comment\n", &cfg), 0);
	config_release(&cfg);
	/* empty sections are empty collections */
	assert_int_equal(load("allocation:\n  dimensions:\n    team:\n  shared:\nbudgets:\n", &cfg), 0);
	int t = alloc_dim_find(&cfg, "team");
	assert_int_equal(t, 1);
	assert_int_equal(cfg.dims[t].ntags, 1);   /* tags default to [name] */
	assert_string_equal(cfg.dims[t].tags[0], "team");
	assert_int_equal(cfg.dims[t].normalize, NORM_SLUG);
	config_release(&cfg);
}

static void test_file(void **state)
{
	char path[] = "/tmp/aicost-test-config-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *y = "allocation:\n  dimensions:\n    team: { normalize: bogus }\n";
	assert_int_equal(write(fd, y, strlen(y)), (ssize_t)strlen(y));
	close(fd);
	struct config cfg;
	assert_int_equal(config_load(path, &cfg), -1);
	char want[512];
	snprintf(want, sizeof want,
		 "aicost: %s:3:24: allocation.dimensions.team.normalize: 'bogus' is not one of slug, lower, none", path);
	assert_string_equal(last_msg, want);
	config_release(&cfg);
	unlink(path);

	assert_int_equal(config_load("/nonexistent/aicost.yaml", &cfg), -1);
	assert_string_equal(last_msg, "aicost: /nonexistent/aicost.yaml: No such file or directory");
	config_release(&cfg);

	/* prices.catalog is relative to the config's directory */
	assert_int_equal(config_load_mem("prices: {catalog: p.json}\n", 26, "/etc/aicost/aicost.yaml", &cfg), 0);
	assert_string_equal(cfg.prices_catalog, "/etc/aicost/p.json");
	config_release(&cfg);
}

static void test_errors(void **state)
{
	expect_error("allocation:\n"
		     "  dimensions:\n"
		     "    team:\n"
		     "      normalize: foo\n",
		     "aicost: t.yaml:4:18: allocation.dimensions.team.normalize: 'foo' is not one of slug, lower, none");
	expect_error("budgets:\n  - name: x\n    limit: lots\n",
		     "aicost: t.yaml:3:12: budgets[0].limit: 'lots' is not a number");
	expect_error("budgets:\n  - name: x\n    limit: 0\n",
		     "aicost: t.yaml:3:12: budgets[0].limit: the limit must be more than 0");
	expect_error("budgets:\n  - name: x\n",
		     "aicost: t.yaml:2:5: budgets[0]: a budget needs 'limit:'");
	expect_error("budgets:\n  - {name: x, limit: 1, period: week}\n",
		     "aicost: t.yaml:2:33: budgets[0].period: 'week' is not one of month, quarter, year");
	expect_error("budgets:\n  - {name: x, limit: 1}\n  - {name: x, limit: 2}\n",
		     "aicost: t.yaml:3:5: budgets[1]: budget name 'x' is used twice");
	expect_error("budgets:\n  - {name: x, limit: 1, scope: {teem: a}}\n",
		     "aicost: t.yaml:2:33: budgets[0].scope: 'teem' is not an allocation dimension, FOCUS column or tag:KEY");
	expect_error("budgets:\n  - {name: x, limit: 1, alert_at: [0.5, abc]}\n",
		     "aicost: t.yaml:2:41: budgets[0].alert_at: 'abc' is not a number");
	expect_error("allocation:\n  dimensions:\n    team:\n      tags: {a: b}\n",
		     "aicost: t.yaml:4:13: allocation.dimensions.team.tags: expected a string or a list of strings");
	expect_error("allocation:\n  dimensions:\n    team:\n      rules:\n        - value: x\n",
		     "aicost: t.yaml:5:11: allocation.dimensions.team.rules[0]: a rule needs 'match:'");
	expect_error("allocation:\n  dimensions:\n    team:\n      rules:\n        - match: {Nope: x}\n          value: y\n",
		     "aicost: t.yaml:5:19: allocation.dimensions.team.rules[0].match.Nope: "
		     "'Nope' is not a FOCUS column, tag:KEY or allocation dimension");
	expect_error("allocation:\n  dimensions:\n    ServiceName: {}\n",
		     "aicost: t.yaml:3:5: allocation.dimensions.ServiceName: 'ServiceName' is a FOCUS column; choose another name");
	expect_error("allocation:\n  dimensions:\n    month: {}\n",
		     "aicost: t.yaml:3:5: allocation.dimensions.month: 'month' is a built-in time dimension; choose another name");
	expect_error("allocation:\n  dimensions:\n    team:\n      default: '---'\n",
		     "aicost: t.yaml:3:5: allocation.dimensions.team.default: '---' is empty once normalized");
	expect_error("allocation:\n  shared:\n    - {match: {team: x}, over: team}\n",
		     "aicost: t.yaml:3:16: allocation.shared[0].match.team: "
		     "'team' is not a FOCUS column, tag:KEY or allocation dimension");
	expect_error("allocation:\n  dimensions: {team: {}}\n  shared:\n    - {match: {team: x}, over: project}\n",
		     "aicost: t.yaml:4:7: allocation.shared[0].over: 'project' is not an allocation dimension");
	expect_error("allocation:\n  dimensions: {team: {}}\n  shared:\n    - {match: {team: x}, over: team, method: fixed}\n",
		     "aicost: t.yaml:4:7: allocation.shared[0]: method fixed needs 'weights:'");
	expect_error("allocation:\n  dimensions: {team: {}}\n  shared:\n"
		     "    - {match: {team: x}, over: team, method: fixed, weights: {a: -1}}\n",
		     "aicost: t.yaml:4:66: allocation.shared[0].weights: weights cannot be negative");
	/* dimensions that depend on each other through rules */
	expect_error("allocation:\n  dimensions:\n"
		     "    team: {rules: [{match: {project: a}, value: b}]}\n"
		     "    project: {rules: [{match: {team: a}, value: b}]}\n",
		     "aicost: t.yaml:4:32: allocation.dimensions.project.rules[0].match.team: "
		     "dimension 'team' depends on itself through 'project' (a cycle)");
	expect_error("- just\n- a list\n", "aicost: t.yaml:1:1: (top level): expected a mapping");
}

static void test_yaml_errors(void **state)
{
	expect_error("allocation:\n  dimensions: [\n", "aicost: t.yaml:3:1: did not find expected node content (while parsing a flow node)");
	expect_error("a: 1\na: 2\n", "aicost: t.yaml:2:1: duplicate key 'a'");
	expect_error("a: *nope\n", "aicost: t.yaml:1:4: undefined alias '*nope'");
	expect_error("a: 1\n---\nb: 2\n", "aicost: t.yaml:2:1: only one YAML document is allowed in a config file");
	expect_error("? [a]\n: b\n", "aicost: t.yaml:1:3: mapping keys must be non-empty scalars");
	assert_int_equal(mismatches, 0);

	/* an alias bomb is refused, not expanded */
	char bomb[2048] = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
	for (char c = 'b'; c <= 'i'; c++) {
		char line[128];
		snprintf(line, sizeof line, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n",
			 c, c, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
		strcat(bomb, line);
	}
	struct config cfg;
	assert_int_equal(load(bomb, &cfg), -1);
	assert_non_null(strstr(last_msg, "document too large"));

	/* so is absurd nesting */
	char deep[400];
	memset(deep, '[', 200);
	deep[200] = 0;
	assert_int_equal(load(deep, &cfg), -1);
	assert_non_null(strstr(last_msg, "nesting too deep"));

	/* anchors and aliases that stay small are fine */
	assert_int_equal(load("x: &t [team, owner]\nallocation:\n  dimensions:\n    team: {tags: *t}\n", &cfg), 0);
	assert_int_equal(cfg.dims[1].ntags, 2);
	assert_string_equal(cfg.dims[1].tags[1], "owner");
	config_release(&cfg);
}

static void test_warnings(void **state)
{
	struct config cfg;
	assert_int_equal(load("allocaton: {}\nmine: 1\n", &cfg), 0);
	assert_int_equal(nmsgs, 2);
	assert_string_equal(last_msg, "aicost: warning: t.yaml:2:1: unknown key 'mine' (ignored)");
	config_release(&cfg);
	assert_int_equal(load("allocation:\n  dimensions:\n    team: {normalise: lower}\n", &cfg), 0);
	assert_string_equal(last_msg, "aicost: warning: t.yaml:3:12: unknown key 'allocation.dimensions.team.normalise' (ignored)");
	config_release(&cfg);
	/* weights without method fixed are ignored, with a warning */
	assert_int_equal(load("allocation:\n  dimensions: {team: {}}\n  shared:\n"
			      "    - {match: {team: x}, over: team, weights: {a: 1}}\n", &cfg), 0);
	assert_non_null(strstr(last_msg, "only used with method: fixed"));
	config_release(&cfg);
}

static void test_shared_fixed(void **state)
{
	struct config cfg;
	const char *y =
		"allocation:\n"
		"  dimensions:\n"
		"    team: {aliases: {fraud: Fraud Detection}}\n"
		"  shared:\n"
		"    - match: { SubAccountName: shared-*, tag:kind: [network, support] }\n"
		"      over: team\n"
		"      method: fixed\n"
		"      weights: { \"Fraud\": 0.25, search: 3, \"ML Platform\": 1.0000000000000000001 }\n"
		"    - match: {}\n"
		"      over: workload\n"
		"      method: even\n";
	assert_int_equal(load(y, &cfg), 0);
	assert_int_equal(cfg.nshared, 2);
	const struct shared_rule *s = &cfg.shared[0];
	assert_int_equal(s->method, SHARED_FIXED);
	assert_int_equal(s->nweights, 3);
	/* normalized and aliased like the values alloc_eval returns */
	assert_string_equal(s->weight_values[0], "fraud-detection");
	assert_string_equal(s->weight_values[1], "search");
	assert_string_equal(s->weight_values[2], "ml-platform");
	assert_true(s->weights[0] == MONEY_ONE / 4);
	assert_true(s->weights[1] == money_from_int(3));
	assert_true(s->weights[2] == MONEY_ONE);   /* 19 decimals round half-even to 18 */
	assert_int_equal(s->match.nterms, 2);
	assert_int_equal(s->match.terms[1].kind, MATCH_TAG);
	assert_string_equal(s->match.terms[1].tag, "kind");
	assert_int_equal(s->match.terms[1].nglobs, 2);
	assert_int_equal(cfg.shared[1].over_dim, 0);
	assert_int_equal(cfg.shared[1].method, SHARED_EVEN);
	config_release(&cfg);
}

static void test_budget_defaults(void **state)
{
	struct config cfg;
	assert_int_equal(load("budgets:\n  - name: all\n    limit: 1e3\n    period: quarter\n    notify: webhook:x\n"
			      "  - name: q\n    limit: '12.345678901234567890'\n    alert_at: 0.5\n"
			      "    scope: {ServiceName: Amazon Bedrock, tag:env: prod, workload: inference}\n", &cfg), 0);
	assert_int_equal(cfg.nbudgets, 2);
	assert_true(cfg.budgets[0].limit == money_from_int(1000));
	assert_int_equal(cfg.budgets[0].period, BUDGET_QUARTER);
	assert_int_equal(cfg.budgets[0].nalert, 2);   /* default 0.8, 1.0 */
	assert_int_equal(cfg.budgets[0].nscope, 0);
	assert_int_equal(cfg.budgets[0].nnotify, 1);
	char buf[MONEY_BUFSZ];
	money_str(cfg.budgets[1].limit, buf);
	assert_string_equal(buf, "12.34567890123456789");   /* exact: no double on the way */
	assert_int_equal(cfg.budgets[1].nalert, 1);
	assert_int_equal(cfg.budgets[1].nscope, 3);
	config_release(&cfg);
}

/* Every key in the table is documented in docs/config.md. */
static void test_keys_documented(void **state)
{
	FILE *f = fopen("docs/config.md", "r");
	if (!f)
		f = fopen("../../../docs/config.md", "r");
	if (!f)
		skip();
	static char doc[1 << 18];
	size_t n = fread(doc, 1, sizeof doc - 1, f);
	fclose(f);
	doc[n] = 0;
	size_t nk;
	const struct config_key *k = config_keys(&nk);
	assert_true(nk > 20);
	for (size_t i = 1; i < nk; i++) {
		char want[160];
		snprintf(want, sizeof want, "`%s`", k[i].path);
		if (!strstr(doc, want))
			fail_msg("docs/config.md does not document %s", want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_spec_example, setup),
		cmocka_unit_test_setup(test_empty_and_null, setup),
		cmocka_unit_test_setup(test_file, setup),
		cmocka_unit_test_setup(test_errors, setup),
		cmocka_unit_test_setup(test_yaml_errors, setup),
		cmocka_unit_test_setup(test_warnings, setup),
		cmocka_unit_test_setup(test_shared_fixed, setup),
		cmocka_unit_test_setup(test_budget_defaults, setup),
		cmocka_unit_test_setup(test_keys_documented, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
