/* test_alloc.c - allocation: tags, normalization, aliases, rules, defaults, match, workload. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/alloc.h"
#include "core/config.h"
#include "util/err.h"

/* A line built from "Col=value" and "tag:key=value" strings. */
struct tline {
	struct alloc_line l;
	char *keys[32], *vals[32];
	char *cols[FC__COUNT];
};

static int cmp_idx(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	return strcmp(x[0], y[0]);
}

static void tline_init(struct tline *t, const char *const *kv)
{
	memset(t, 0, sizeof *t);
	char *pairs[32][2];
	size_t nt = 0;
	for (; *kv; kv++) {
		const char *eq = strchr(*kv, '=');
		assert_non_null(eq);
		char *k = strndup(*kv, (size_t)(eq - *kv)), *v = strdup(eq + 1);
		if (!strncmp(k, "tag:", 4)) {
			pairs[nt][0] = strdup(k + 4);
			pairs[nt][1] = v;
			nt++;
			free(k);
		} else {
			int c = focus_col_lookup(k, strlen(k), NULL);
			assert_true(c >= 0);
			t->cols[c] = v;
			t->l.vals[c] = v;
			free(k);
		}
	}
	qsort(pairs, nt, sizeof pairs[0], cmp_idx);
	for (size_t i = 0; i < nt; i++) {
		t->keys[i] = pairs[i][0];
		t->vals[i] = pairs[i][1];
	}
	t->l.tag_keys = (const char *const *)t->keys;
	t->l.tag_vals = (const char *const *)t->vals;
	t->l.ntags = nt;
}

static void tline_release(struct tline *t)
{
	for (size_t i = 0; i < t->l.ntags; i++) {
		free(t->keys[i]);
		free(t->vals[i]);
	}
	for (int c = 0; c < FC__COUNT; c++)
		free(t->cols[c]);
}

static char errbuf[2048];
static void sink(const char *line)
{
	snprintf(errbuf, sizeof errbuf, "%s", line);
}

static void load(const char *yaml, struct config *cfg)
{
	err_sink = sink;
	if (config_load_mem(yaml, strlen(yaml), "t.yaml", cfg) < 0)
		fail_msg("config: %s", errbuf);
}

/* Evaluate dimension `dim` on a line given as a NULL-terminated list. */
#define EVAL(cfg, dim, isdef, ...) eval_(cfg, dim, isdef, (const char *const[]){ __VA_ARGS__, NULL })
static const char *eval_(const struct config *cfg, const char *dim, int *isdef, const char *const *kv)
{
	struct tline t;
	tline_init(&t, kv);
	int d = alloc_dim_find(cfg, dim);
	assert_true(d >= 0);
	int def = -1;
	const char *v = alloc_eval(cfg, d, &t.l, &def);
	assert_non_null(v);
	assert_true(def == 0 || def == 1);
	if (isdef)
		*isdef = def;
	tline_release(&t);
	return v;
}

static const char team_yaml[] =
	"allocation:\n"
	"  dimensions:\n"
	"    team:\n"
	"      tags: [team, Team, owner_team]\n"
	"      normalize: slug\n"
	"      aliases: { fraud: fraud-detection, \"ML Platform\": platform }\n"
	"      rules:\n"
	"        - match: { SubAccountName: \"ml-platform*\" }\n"
	"          value: platform\n"
	"        - match: { ServiceName: [\"Amazon Bedrock\", \"*OpenAI*\"], tag:app: chat* }\n"
	"          value: Chat Bot\n"
	"      default: unallocated\n"
	"    env:\n"
	"      tags: [env, environment]\n"
	"      normalize: lower\n"
	"      default: none-set\n"
	"    raw:\n"
	"      normalize: none\n"
	"    project:\n"
	"      tags: []\n"
	"      rules:\n"
	"        - match: { team: platform, env: prod }\n"
	"          value: core\n"
	"        - match: { team: \"\" }\n"
	"          value: orphan\n";

static void test_first_tag_wins(void **state)
{
	struct config cfg;
	int def;
	load(team_yaml, &cfg);
	/* listed order wins, not the tag order on the line */
	assert_string_equal(EVAL(&cfg, "team", &def, "tag:owner_team=b", "tag:team=a"), "a");
	assert_int_equal(def, 0);
	assert_string_equal(EVAL(&cfg, "team", &def, "tag:owner_team=b", "tag:Team=c"), "c");
	assert_string_equal(EVAL(&cfg, "team", &def, "tag:owner_team=b"), "b");
	/* an empty (or empty once normalized) value does not count */
	assert_string_equal(EVAL(&cfg, "team", &def, "tag:team=", "tag:owner_team=b"), "b");
	assert_string_equal(EVAL(&cfg, "team", &def, "tag:team= -- ", "tag:owner_team=b"), "b");
	/* loose key matching: case, '-', '_' and ' ' ignored, but exact keys come first */
	assert_string_equal(EVAL(&cfg, "team", &def, "tag:TEAM=x"), "x");
	assert_string_equal(EVAL(&cfg, "team", &def, "tag: team=y"), "y");
	assert_string_equal(EVAL(&cfg, "team", &def, "tag:Owner-Team=z"), "z");
	assert_string_equal(EVAL(&cfg, "team", &def, "tag:TEAM=x", "tag:owner_team=b"), "b");
	/* unlisted keys never count */
	assert_string_equal(EVAL(&cfg, "team", &def, "tag:team_name=q"), "unallocated");
	assert_int_equal(def, 1);
	/* `raw: {}` reads the tag `raw` */
	assert_string_equal(EVAL(&cfg, "raw", &def, "tag:raw=  Keep Me_As-Is "), "Keep Me_As-Is");
	config_release(&cfg);
}

static void test_normalize(void **state)
{
	char out[64];
	struct { enum alloc_norm m; const char *in, *want; } cases[] = {
		{ NORM_SLUG, "Fraud Detection ", "fraud-detection" },
		{ NORM_SLUG, "ML__Platform", "ml-platform" },
		{ NORM_SLUG, "--Data & AI--", "data-ai" },
		{ NORM_SLUG, "team/search.v2", "team-search-v2" },
		{ NORM_SLUG, "Équipe Données", "Équipe-données" },
		{ NORM_SLUG, "  ", "" },
		{ NORM_LOWER, "  Fraud Detection ", "fraud detection" },
		{ NORM_NONE, "\tFraud  Detection\n", "Fraud  Detection" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = alloc_normalize(cases[i].m, cases[i].in, strlen(cases[i].in), out, sizeof out);
		assert_string_equal(out, cases[i].want);
		assert_int_equal(n, strlen(cases[i].want));
	}
	/* truncation keeps the output a C string */
	assert_int_equal(alloc_normalize(NORM_SLUG, "abcdefgh", 8, out, 4), 3);
	assert_string_equal(out, "abc");

	struct config cfg;
	load(team_yaml, &cfg);
	assert_string_equal(EVAL(&cfg, "team", NULL, "tag:team=Fraud Detection "), "fraud-detection");
	assert_string_equal(EVAL(&cfg, "team", NULL, "tag:team=ML__Platform"), "platform");   /* then aliased */
	assert_string_equal(EVAL(&cfg, "env", NULL, "tag:environment= PROD"), "prod");
	config_release(&cfg);
}

static void test_aliases_and_interning(void **state)
{
	struct config cfg;
	load(team_yaml, &cfg);
	const char *a = EVAL(&cfg, "team", NULL, "tag:team=fraud");
	const char *b = EVAL(&cfg, "team", NULL, "tag:team=Fraud");
	const char *c = EVAL(&cfg, "team", NULL, "tag:Team=fraud-detection");
	assert_string_equal(a, "fraud-detection");
	/* one string per value: pointer-equal */
	assert_ptr_equal(a, b);
	assert_ptr_equal(a, c);
	/* "ML Platform" normalizes to ml-platform, aliased to the rule's value */
	const char *p1 = EVAL(&cfg, "team", NULL, "tag:team=ml platform");
	const char *p2 = EVAL(&cfg, "team", NULL, "SubAccountName=ml-platform-prod");
	assert_string_equal(p1, "platform");
	assert_ptr_equal(p1, p2);
	config_release(&cfg);
}

static void test_rules_and_default(void **state)
{
	struct config cfg;
	int def;
	load(team_yaml, &cfg);
	assert_string_equal(EVAL(&cfg, "team", &def, "SubAccountName=ml-platform-prod"), "platform");
	assert_int_equal(def, 0);
	assert_string_equal(EVAL(&cfg, "team", &def, "SubAccountName=ML-Platform-dev"), "platform");   /* globs ignore case */
	assert_string_equal(EVAL(&cfg, "team", &def, "SubAccountName=data-ml-platform"), "unallocated");
	assert_int_equal(def, 1);
	/* tags beat rules */
	assert_string_equal(EVAL(&cfg, "team", &def, "SubAccountName=ml-platform-prod", "tag:team=search"), "search");
	/* list values are ORed, keys ANDed; rule values are normalized */
	assert_string_equal(EVAL(&cfg, "team", &def, "ServiceName=Azure OpenAI", "tag:app=chatbot"), "chat-bot");
	assert_string_equal(EVAL(&cfg, "team", &def, "ServiceName=Amazon Bedrock", "tag:app=chat"), "chat-bot");
	assert_string_equal(EVAL(&cfg, "team", &def, "ServiceName=Amazon Bedrock", "tag:app=search"), "unallocated");
	assert_string_equal(EVAL(&cfg, "team", &def, "ServiceName=Amazon Bedrock"), "unallocated");
	/* configured default */
	assert_string_equal(EVAL(&cfg, "env", &def, "ServiceName=x"), "none-set");
	assert_int_equal(def, 1);
	/* rules on other dimensions; "" matches a dimension that fell to its default */
	assert_string_equal(EVAL(&cfg, "project", &def, "SubAccountName=ml-platform-a", "tag:env=Prod"), "core");
	assert_string_equal(EVAL(&cfg, "project", &def, "SubAccountName=ml-platform-a", "tag:env=dev"), "unallocated");
	assert_string_equal(EVAL(&cfg, "project", &def, "SubAccountName=other"), "orphan");
	assert_int_equal(def, 0);
	/* tags: [] means rules only */
	assert_string_equal(EVAL(&cfg, "project", &def, "tag:project=x", "tag:team=a"), "unallocated");
	config_release(&cfg);
}

static void test_match(void **state)
{
	struct config cfg;
	load("allocation:\n"
	     "  dimensions: {team: {}}\n"
	     "  shared:\n"
	     "    - match: { tag:kind: [network, \"shared-*\"], ServiceName: \"*Load Balanc?ng*\" }\n"
	     "      over: team\n"
	     "    - match: { tag:owner: \"\" , team: unallocated}\n"
	     "      over: team\n"
	     "    - match: { tag:owner: \"*\" }\n"
	     "      over: team\n"
	     "    - match: { chargecategory: Tax }\n"
	     "      over: team\n",
	     &cfg);
	struct { const char *const kv[4]; int want[4]; } cases[] = {
		{ { "tag:kind=network", "ServiceName=Elastic Load Balancing", NULL }, { 1, 1, 0, 0 } },
		{ { "tag:kind=Shared-VPC", "ServiceName=elastic load balancing", NULL }, { 1, 1, 0, 0 } },
		{ { "tag:kind=compute", "ServiceName=Elastic Load Balancing", NULL }, { 0, 1, 0, 0 } },
		{ { "tag:kind=network", "ServiceName=Amazon EC2", "tag:owner=x" }, { 0, 0, 1, 0 } },
		{ { "tag:Kind=network", "ServiceName=Elastic Load Balancing", NULL }, { 0, 1, 0, 0 } },   /* tag: is exact */
		{ { "tag:owner=", "ChargeCategory=tax", NULL }, { 0, 1, 0, 1 } },
		{ { "tag:team=a", NULL }, { 0, 0, 0, 0 } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tline t;
		tline_init(&t, cases[i].kv);
		for (size_t r = 0; r < 4; r++)
			if (alloc_match(&cfg, &cfg.shared[r].match, &t.l) != cases[i].want[r])
				fail_msg("case %zu rule %zu: want %d", i, r, cases[i].want[r]);
		tline_release(&t);
	}
	/* the empty match matches everything */
	struct alloc_match empty = { 0 };
	struct tline t;
	tline_init(&t, (const char *const[]){ NULL });
	assert_int_equal(alloc_match(&cfg, &empty, &t.l), 1);
	tline_release(&t);
	config_release(&cfg);
}

static void test_globs(void **state)
{
	struct { const char *pat, *s; int want; } cases[] = {
		{ "abc", "ABC", 1 }, { "abc", "abcd", 0 }, { "ab*", "AbX", 1 }, { "ab*", "a", 0 },
		{ "*bc", "xxBC", 1 }, { "*bc", "c", 0 }, { "*b*", "abc", 1 }, { "*b*", "ac", 0 },
		{ "*", "x", 1 }, { "*", "", 0 }, { "*", NULL, 0 }, { "", NULL, 1 }, { "", "", 1 }, { "", "x", 0 },
		{ "a?c", "AbC", 1 }, { "a[bc]d", "acd", 1 }, { "a*b*c", "a-x-b-y-c", 1 }, { "a*b*c", "a-c", 0 },
		{ "**", "x", 1 }, { "ab*ba", "aba", 0 }, { "ab*ba", "abba", 1 }, { "*a*b", "XAXB", 1 }, { "*a*b", "xbxa", 0 },
		{ "a**b*", "ab", 1 }, { "*:sagemaker:*:app/*", "arn:aws:sagemaker:us-east-1:1:app/d/u/JupyterServer/default", 1 }, { "*ml-platform*", "prod-ML-Platform-1", 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct alloc_glob g;
		alloc_glob_compile(&g, cases[i].pat);
		if (alloc_glob_match(&g, cases[i].s) != cases[i].want)
			fail_msg("glob '%s' on '%s': want %d", cases[i].pat, cases[i].s ? cases[i].s : "(null)", cases[i].want);
		alloc_glob_release(&g);
	}
}

static void test_workload(void **state)
{
	struct config cfg;
	int def;
	load("", &cfg);
	struct { const char *const kv[5]; const char *want; } cases[] = {
		/* tags */
		{ { "tag:workload=Training", NULL }, "training" },
		{ { "tag:job-type=fine-tune", NULL }, "training" },
		{ { "tag:Purpose=model serving", NULL }, "inference" },
		{ { "tag:workload=jupyter", NULL }, "notebook" },
		{ { "tag:workload=ETL", NULL }, "data" },
		{ { "tag:training.kubeflow.org/job-name=bert", NULL }, "training" },
		/* resources */
		{ { "ServiceName=Amazon SageMaker", "ResourceId=arn:aws:sagemaker:us-east-1:1:training-job/bert-ft", NULL }, "training" },
		{ { "ResourceId=arn:aws:sagemaker:us-east-1:1:endpoint/fraud-v3", NULL }, "inference" },
		{ { "ResourceId=arn:aws:sagemaker:us-east-1:1:notebook-instance/alice", NULL }, "notebook" },
		{ { "ServiceName=Vertex AI", "ResourceId=projects/p/locations/us-central1/endpoints/123", NULL }, "inference" },
		{ { "ServiceName=Azure Machine Learning", "ResourceId=/subscriptions/s/resourceGroups/r/providers/"
		    "Microsoft.MachineLearningServices/workspaces/w/jobs/j1", NULL }, "training" },
		{ { "ServiceName=Google Cloud Dataflow", "ResourceId=projects/p/locations/l/jobs/2026-10", NULL }, "data" },
		/* SKUs */
		{ { "ServiceName=Amazon SageMaker", "SkuMeter=ml.p4d.24xlarge-Training", NULL }, "training" },
		{ { "ServiceName=Amazon SageMaker", "SkuId=USE1-Train:ml.p3.2xlarge", NULL }, "training" },
		{ { "ServiceName=Amazon SageMaker", "SkuMeter=Hosting", NULL }, "inference" },
		{ { "ServiceName=Amazon SageMaker", "ChargeDescription=USE1-Notebk:ml.t3.medium", NULL }, "notebook" },
		{ { "ServiceName=Amazon SageMaker", "SkuMeter=Processing:ml.m5.xlarge", NULL }, "data" },
		{ { "ServiceName=Azure OpenAI", "SkuMeter=gpt-4o Input Tokens", NULL }, "inference" },
		{ { "ServiceName=OpenAI", "SkuMeter=Training Tokens", "ConsumedUnit=Tokens", NULL }, "training" },
		{ { "ServiceName=Whatever", "ConsumedUnit=Tokens", NULL }, "inference" },
		{ { "ServiceName=Databricks", "SkuMeter=ALL_PURPOSE_COMPUTE", NULL }, "notebook" },
		{ { "ServiceName=Databricks", "SkuMeter=SERVERLESS_REAL_TIME_INFERENCE", NULL }, "inference" },
		{ { "ServiceName=Databricks", "SkuMeter=JOBS_COMPUTE", NULL }, "data" },
		/* services */
		{ { "ServiceName=Amazon Bedrock", NULL }, "inference" },
		{ { "ServiceName=Anthropic", NULL }, "inference" },
		{ { "ServiceSubcategory=Generative AI", "ServiceName=Foo", NULL }, "inference" },
		{ { "ServiceName=BigQuery", NULL }, "data" },
		{ { "ServiceName=AWS Glue", NULL }, "data" },
		{ { "ServiceName=Amazon EMR", NULL }, "data" },
		/* no signal: don't guess */
		{ { "ServiceName=Amazon Elastic Compute Cloud", "ResourceType=instance", "SkuMeter=p4d.24xlarge", NULL }, "other" },
		{ { "ServiceName=Azure CDN", "ResourceId=/subscriptions/s/providers/Microsoft.Cdn/profiles/p/endpoints/e", NULL }, "other" },
		{ { "ServiceName=Amazon Virtual Private Cloud", "ResourceId=arn:aws:ec2:us-east-1:1:vpc-endpoint/vpce-1", NULL }, "other" },
		{ { "ServiceName=Amazon SageMaker", NULL }, "other" },
		{ { "tag:workload=web", NULL }, "other" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tline t;
		tline_init(&t, cases[i].kv);
		const char *v = alloc_eval(&cfg, 0, &t.l, &def);
		if (strcmp(v, cases[i].want) != 0)
			fail_msg("case %zu (%s, %s): got %s, want %s", i, cases[i].kv[0], cases[i].kv[1] ? cases[i].kv[1] : "",
				 v, cases[i].want);
		assert_int_equal(def, !strcmp(cases[i].want, "other"));
		tline_release(&t);
	}
	config_release(&cfg);

	/* a configured workload: its tags and rules win, the heuristic is the fallback */
	load("allocation:\n  dimensions:\n    workload:\n      tags: [stage]\n"
	     "      rules: [{match: {SubAccountName: research-*}, value: Research}]\n"
	     "      aliases: {data: etl}\n      default: unknown\n", &cfg);
	assert_string_equal(EVAL(&cfg, "workload", &def, "tag:stage=eval", "ServiceName=Amazon Bedrock"), "eval");
	assert_string_equal(EVAL(&cfg, "workload", &def, "SubAccountName=research-1", "ServiceName=Amazon Bedrock"), "research");
	assert_string_equal(EVAL(&cfg, "workload", &def, "ServiceName=Amazon Bedrock"), "inference");
	assert_int_equal(def, 0);
	assert_string_equal(EVAL(&cfg, "workload", &def, "ServiceName=AWS Glue"), "etl");
	assert_string_equal(EVAL(&cfg, "workload", &def, "ServiceName=Amazon EC2"), "unknown");
	assert_int_equal(def, 1);
	config_release(&cfg);
}

static void test_shared_weights_pointer_equal(void **state)
{
	struct config cfg;
	load("allocation:\n  dimensions: {team: {aliases: {ds: data-science}}}\n  shared:\n"
	     "    - {match: {tag:kind: shared}, over: team, method: fixed, weights: {DS: 2, Search: 1}}\n", &cfg);
	const char *v = EVAL(&cfg, "team", NULL, "tag:team=data science");
	assert_ptr_equal(cfg.shared[0].weight_values[0], v);
	assert_ptr_equal(cfg.shared[0].weight_values[1], EVAL(&cfg, "team", NULL, "tag:team=search"));
	config_release(&cfg);
}

/* Not a pass/fail gate (sanitizer builds are slow): prints the rate the brief asks for (>= 1M/s). */
static void test_speed(void **state)
{
	struct config cfg;
	load(team_yaml, &cfg);
	const char *const kvs[4][6] = {
		{ "tag:Team=Fraud", "tag:env=prod", "tag:app=scorer", "ServiceName=Amazon SageMaker", "SkuMeter=Hosting", NULL },
		{ "SubAccountName=ml-platform-prod", "ServiceName=Amazon Elastic Compute Cloud", "ResourceType=instance", NULL },
		{ "ServiceName=Azure OpenAI", "tag:app=chatbot", "SkuMeter=gpt-4o Output Tokens", "ConsumedUnit=Tokens", NULL },
		{ "ServiceName=Amazon Simple Storage Service", "ResourceId=arn:aws:s3:::bucket-1", "tag:Owner_Team=search", NULL },
	};
	struct tline t[4];
	for (int i = 0; i < 4; i++)
		tline_init(&t[i], kvs[i]);
	int team = alloc_dim_find(&cfg, "team");
	struct timespec a, b;
	size_t n = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int rep = 0; rep < 50000; rep++)
		for (int i = 0; i < 4; i++) {
			int def;
			n += alloc_eval(&cfg, team, &t[i].l, &def)[0] != 0;
			n += alloc_eval(&cfg, 0, &t[i].l, &def)[0] != 0;
		}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	print_message("alloc_eval: %.2f M evaluations/s (team + workload)\n", (double)n / s / 1e6);
	for (int i = 0; i < 4; i++)
		tline_release(&t[i]);
	config_release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_tag_wins),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_aliases_and_interning),
		cmocka_unit_test(test_rules_and_default),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_globs),
		cmocka_unit_test(test_workload),
		cmocka_unit_test(test_shared_weights_pointer_equal),
		cmocka_unit_test(test_speed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
