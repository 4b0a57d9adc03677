/*
 * gen_focus.c - synthetic FOCUS 1.2 cost-and-usage CSV for benchmarks and demos.
 *
 *   gen_focus [--rows N] [--seed S] [--days D] [--profile bench|demo]
 *             [--start YYYY-MM-DD] [-o FILE]
 *
 * The estate is a bank's cloud bill with a heavy AI share: GPU fleets for
 * training and inference, managed ML endpoints/training/notebooks, LLM token
 * meters (Bedrock, Azure OpenAI, Vertex AI), plus the ordinary storage,
 * network, database and compute that surround them. Tags are as messy as in
 * real estates (several keys for the same thing, inconsistent values, a fifth
 * of the cost without a team), because the point of the data is to exercise
 * allocation, not just parsing.
 *
 * Standalone on purpose: it must not link aicost's library, so a bug there
 * can never change the benchmark's input. It is built for speed (10M rows in
 * seconds plus I/O): every line item's constant columns are rendered to CSV
 * once, and a row only formats its times, quantities and costs.
 *
 * Output is deterministic for a given (--rows, --seed, --days, --profile,
 * --start): one PRNG stream, consumed in a fixed order.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ===== Small utilities ==================================================== */

static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("gen_focus: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

/* splitmix64: the finalizer doubles as a hash, the stream as the PRNG. */
static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct rng { uint64_t s; };

static inline uint64_t rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static inline double rng_f01(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static inline int rng_pct(struct rng *r, unsigned pct)
{
	return rng_below(r, 100) < pct;
}

#define PICK(r, arr) ((arr)[rng_below((r), (uint32_t)(sizeof(arr) / sizeof((arr)[0])))])

/* Weighted pick: weights are small non-negative integers. */
static int rng_weighted(struct rng *r, const int *w, int n)
{
	int tot = 0;
	for (int i = 0; i < n; i++)
		tot += w[i];
	int x = (int)rng_below(r, (uint32_t)tot);
	for (int i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

/* Growable string used only while building line items (not per row). */
struct sb { char *p; size_t n, cap; };

static void sb_grow(struct sb *b, size_t more)
{
	if (b->n + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->n + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		die("out of memory");
	b->p = p;
	b->cap = cap;
}

static void sb_put(struct sb *b, const char *s, size_t n)
{
	sb_grow(b, n);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void sb_puts(struct sb *b, const char *s) { sb_put(b, s, strlen(s)); }

/* printf into a fresh heap string; line items own their strings forever. */
static char *xfmt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* Hex / alnum identifiers derived from a hash, so IDs are stable per seed. */
static void put_hex(char *out, uint64_t h, int n)
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < n; i++) {
		if (i % 16 == 0 && i)
			h = mix64(h + (uint64_t)i);
		out[i] = hx[h & 15];
		h >>= 4;
	}
	out[n] = 0;
}

static char *upper_alnum(uint64_t h, int n)
{
	static const char al[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	char *p = xmalloc((size_t)n + 1);
	for (int i = 0; i < n; i++) {
		if (i % 12 == 0 && i)
			h = mix64(h + (uint64_t)i);
		p[i] = al[h & 31];
		h >>= 5;
	}
	p[n] = 0;
	return p;
}

static char *guid(uint64_t h)
{
	char a[33];
	put_hex(a, h, 32);
	return xfmt("%.8s-%.4s-%.4s-%.4s-%.12s", a, a + 8, a + 12, a + 16, a + 20);
}

static uint64_t strhash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return mix64(h);
}

/* ===== Exact decimal formatting ========================================== */

/* Costs are int64 in units of 1e-10, quantities in units of 1e-9. */
#define COST_SCALE 10000000000LL
#define QTY_SCALE 1000000000LL

/* Write v / 10^scale_digits with trailing zeros trimmed; returns length. */
static inline int fmt_dec(char *out, int64_t v, int scale_digits, int64_t scale)
{
	char *p = out;
	uint64_t u;
	if (v < 0) {
		*p++ = '-';
		u = (uint64_t)(-(v + 1)) + 1;
	} else {
		u = (uint64_t)v;
	}
	uint64_t ip = u / (uint64_t)scale, fp = u % (uint64_t)scale;
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + ip % 10);
		ip /= 10;
	} while (ip);
	while (n)
		*p++ = tmp[--n];
	if (fp) {
		char f[24];
		for (int i = scale_digits - 1; i >= 0; i--) {
			f[i] = (char)('0' + fp % 10);
			fp /= 10;
		}
		int k = scale_digits;
		while (k > 0 && f[k - 1] == '0')
			k--;
		*p++ = '.';
		memcpy(p, f, (size_t)k);
		p += k;
	}
	return (int)(p - out);
}

static inline int fmt_cost(char *out, int64_t v) { return fmt_dec(out, v, 10, COST_SCALE); }
static inline int fmt_qty(char *out, int64_t v) { return fmt_dec(out, v, 9, QTY_SCALE); }

/* round(a * b / d) in 128-bit, for cost = quantity x unit price. */
static inline int64_t muldiv(int64_t a, int64_t b, int64_t d)
{
	__int128 x = (__int128)a * b;
	__int128 h = d / 2;
	return (int64_t)(x >= 0 ? (x + h) / d : (x - h) / d);
}

/* ===== Calendar =========================================================== */

static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (unsigned)(m + (m > 2 ? -3 : 9)) + 2) / 5 + (unsigned)d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

/* Epoch seconds -> "YYYY-MM-DDTHH:mm:ssZ" (20 chars, NUL-terminated). */
static void fmt_ts(char out[21], int64_t epoch)
{
	int y, m, d;
	int64_t day = epoch >= 0 ? epoch / 86400 : -((-epoch + 86399) / 86400);
	int sod = (int)(epoch - day * 86400);
	civil_from_days(day, &y, &m, &d);
	const int f[6] = { y, m, d, sod / 3600, sod / 60 % 60, sod % 60 };
	static const char sep[6] = { '-', '-', 'T', ':', ':', 'Z' };
	char *p = out;
	for (int i = 0; i < 6; i++) {
		int v = f[i], w = i ? 2 : 4;
		for (int k = w - 1; k >= 0; k--, v /= 10)
			p[k] = (char)('0' + v % 10);
		p += w;
		*p++ = sep[i];
	}
	*p = 0;
}

static int64_t month_start(int64_t epoch)
{
	int y, m, d;
	civil_from_days(epoch / 86400, &y, &m, &d);
	return days_from_civil(y, m, 1) * 86400;
}

static int64_t next_month(int64_t mstart)
{
	int y, m, d;
	civil_from_days(mstart / 86400, &y, &m, &d);
	if (++m > 12) {
		m = 1;
		y++;
	}
	return days_from_civil(y, m, 1) * 86400;
}

/* ===== FOCUS columns ====================================================== */

/*
 * The per-row ("dynamic") columns. Everything else is constant for a line
 * item and is pre-rendered. Column order follows the alphabetical layout of
 * real provider exports (see data/focus/focus_sample.csv); readers match by
 * header name, so the order only matters for realism.
 */
enum dyn {
	D_BILLED, D_BP_END, D_BP_START, D_CP_END, D_CP_START, D_CONSUMED,
	D_CONTRACTED, D_EFFECTIVE, D_LIST, D_PRICING_Q, D__N
};

enum stc {
	S_AZ, S_BA_ID, S_BA_NAME, S_BA_TYPE, S_CURRENCY, S_CR_ID, S_CR_STATUS,
	S_CHARGE_CAT, S_CHARGE_CLASS, S_CHARGE_DESC, S_CHARGE_FREQ,
	S_CD_CAT, S_CD_ID, S_CD_NAME, S_CD_QTY, S_CD_STATUS, S_CD_TYPE, S_CD_UNIT,
	S_CONSUMED_UNIT, S_CONTRACTED_UP, S_INVOICE_ID, S_INVOICE_ISSUER, S_LIST_UP,
	S_PRICING_CAT, S_PRICING_CUR, S_PC_CONTRACTED_UP, S_PC_EFFECTIVE, S_PC_LIST_UP,
	S_PRICING_UNIT, S_PROVIDER, S_PUBLISHER, S_REGION_ID, S_REGION_NAME,
	S_RESOURCE_ID, S_RESOURCE_NAME, S_RESOURCE_TYPE, S_SVC_CAT, S_SVC_NAME,
	S_SVC_SUB, S_SKU_ID, S_SKU_METER, S_SKU_PRICE_DETAILS, S_SKU_PRICE_ID,
	S_SUB_ID, S_SUB_NAME, S_SUB_TYPE, S_TAGS, S__N
};

static const struct column { const char *name; int dyn; int stc; } columns[] = {
	{ "AvailabilityZone", -1, S_AZ },
	{ "BilledCost", D_BILLED, -1 },
	{ "BillingAccountId", -1, S_BA_ID },
	{ "BillingAccountName", -1, S_BA_NAME },
	{ "BillingAccountType", -1, S_BA_TYPE },
	{ "BillingCurrency", -1, S_CURRENCY },
	{ "BillingPeriodEnd", D_BP_END, -1 },
	{ "BillingPeriodStart", D_BP_START, -1 },
	{ "CapacityReservationId", -1, S_CR_ID },
	{ "CapacityReservationStatus", -1, S_CR_STATUS },
	{ "ChargeCategory", -1, S_CHARGE_CAT },
	{ "ChargeClass", -1, S_CHARGE_CLASS },
	{ "ChargeDescription", -1, S_CHARGE_DESC },
	{ "ChargeFrequency", -1, S_CHARGE_FREQ },
	{ "ChargePeriodEnd", D_CP_END, -1 },
	{ "ChargePeriodStart", D_CP_START, -1 },
	{ "CommitmentDiscountCategory", -1, S_CD_CAT },
	{ "CommitmentDiscountId", -1, S_CD_ID },
	{ "CommitmentDiscountName", -1, S_CD_NAME },
	{ "CommitmentDiscountQuantity", -1, S_CD_QTY },
	{ "CommitmentDiscountStatus", -1, S_CD_STATUS },
	{ "CommitmentDiscountType", -1, S_CD_TYPE },
	{ "CommitmentDiscountUnit", -1, S_CD_UNIT },
	{ "ConsumedQuantity", D_CONSUMED, -1 },
	{ "ConsumedUnit", -1, S_CONSUMED_UNIT },
	{ "ContractedCost", D_CONTRACTED, -1 },
	{ "ContractedUnitPrice", -1, S_CONTRACTED_UP },
	{ "EffectiveCost", D_EFFECTIVE, -1 },
	{ "InvoiceId", -1, S_INVOICE_ID },
	{ "InvoiceIssuerName", -1, S_INVOICE_ISSUER },
	{ "ListCost", D_LIST, -1 },
	{ "ListUnitPrice", -1, S_LIST_UP },
	{ "PricingCategory", -1, S_PRICING_CAT },
	{ "PricingCurrency", -1, S_PRICING_CUR },
	{ "PricingCurrencyContractedUnitPrice", -1, S_PC_CONTRACTED_UP },
	{ "PricingCurrencyEffectiveCost", -1, S_PC_EFFECTIVE },
	{ "PricingCurrencyListUnitPrice", -1, S_PC_LIST_UP },
	{ "PricingQuantity", D_PRICING_Q, -1 },
	{ "PricingUnit", -1, S_PRICING_UNIT },
	{ "ProviderName", -1, S_PROVIDER },
	{ "PublisherName", -1, S_PUBLISHER },
	{ "RegionId", -1, S_REGION_ID },
	{ "RegionName", -1, S_REGION_NAME },
	{ "ResourceId", -1, S_RESOURCE_ID },
	{ "ResourceName", -1, S_RESOURCE_NAME },
	{ "ResourceType", -1, S_RESOURCE_TYPE },
	{ "ServiceCategory", -1, S_SVC_CAT },
	{ "ServiceName", -1, S_SVC_NAME },
	{ "ServiceSubcategory", -1, S_SVC_SUB },
	{ "SkuId", -1, S_SKU_ID },
	{ "SkuMeter", -1, S_SKU_METER },
	{ "SkuPriceDetails", -1, S_SKU_PRICE_DETAILS },
	{ "SkuPriceId", -1, S_SKU_PRICE_ID },
	{ "SubAccountId", -1, S_SUB_ID },
	{ "SubAccountName", -1, S_SUB_NAME },
	{ "SubAccountType", -1, S_SUB_TYPE },
	{ "Tags", -1, S_TAGS },
};
#define NCOLS ((int)(sizeof(columns) / sizeof(columns[0])))

/* RFC 4180: quote only when needed (comma, quote, CR/LF), doubling quotes. */
static void csv_field(struct sb *b, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		sb_puts(b, s);
		return;
	}
	sb_put(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"')
			sb_put(b, "\"", 1);
		sb_put(b, s, 1);
	}
	sb_put(b, "\"", 1);
}

/* ===== Line items ========================================================= */

enum pattern {
	P_ALWAYS,     /* production services: every hour */
	P_BUSINESS,   /* notebooks and dev boxes: weekdays 08-20 UTC */
	P_BURSTS,     /* training: on for whole 2-day blocks, off for others */
	P_NIGHTLY,    /* batch: 01-06 UTC every day */
};

enum qmodel {
	Q_FIXED,      /* instance hours: exactly q_base */
	Q_NOISE,      /* request-like: q_base +/- noise */
	Q_DIURNAL,    /* user traffic (tokens, egress): daytime peak + noise */
	Q_GROWTH,     /* storage: slowly growing, tiny noise */
};

struct line {
	char *seg;                   /* constant CSV between dynamic fields */
	uint32_t off[D__N + 2];      /* segment k = seg[off[k] .. off[k+1]) */
	uint8_t pattern, qmodel, qint, billed_zero;
	int32_t start_h, end_h;      /* active hour window [start_h, end_h) */
	uint32_t duty;               /* P_BURSTS: % of 2-day blocks that run */
	uint64_t h;                  /* per-line hash, for activity */
	int64_t q_base;              /* consumed per hour, 1e-9 */
	int32_t noise_pm;            /* +/- noise, per mille */
	int64_t pq_div;              /* consumed units per pricing unit */
	int64_t p_list, p_contr, p_eff;  /* per pricing unit, 1e-10 */
	int prov;
	double est_hourly_eff;       /* estimate, for month-level charges */
};

/* Dynamic column order in the file (filled from columns[]). */
static int dyn_order[D__N];
static int ndyn;

/* Render the constant columns of a line item once. */
static void line_compile(struct line *l, char *const sv[S__N])
{
	struct sb b = { 0 };
	int k = 0;
	l->off[0] = 0;
	for (int c = 0; c < NCOLS; c++) {
		if (columns[c].dyn >= 0) {
			l->off[++k] = (uint32_t)b.n;
		} else {
			csv_field(&b, sv[columns[c].stc]);
		}
		sb_put(&b, c + 1 < NCOLS ? "," : "\n", 1);
	}
	l->off[++k] = (uint32_t)b.n;
	l->seg = b.p;
}

static int line_active(const struct line *l, int32_t h, int64_t epoch)
{
	if (h < l->start_h || h >= l->end_h)
		return 0;
	switch (l->pattern) {
	case P_ALWAYS:
		return 1;
	case P_BUSINESS: {
		int hod = (int)(epoch / 3600 % 24);
		int dow = (int)((epoch / 86400 + 4) % 7); /* 0 = Sunday */
		return dow >= 1 && dow <= 5 && hod >= 8 && hod < 20;
	}
	case P_BURSTS:
		return mix64(l->h ^ (uint64_t)(h / 48)) % 100 < l->duty;
	case P_NIGHTLY: {
		int hod = (int)(epoch / 3600 % 24);
		return hod >= 1 && hod < 6;
	}
	}
	return 1;
}

/* ===== The estate: providers, accounts, teams ============================ */

enum { AWS, AZURE, GCP, NPROV };

struct provider {
	const char *name, *publisher, *issuer, *ba_id, *ba_name, *ba_type, *sub_type;
	const char *regions[3], *region_names[3], *zones[3];
};

static const struct provider provs[NPROV] = {
	{ "AWS", "AWS", "Amazon Web Services, Inc.", "482913760154", "acme-bank-payer",
	  "Management Account", "Member Account",
	  { "us-east-1", "us-west-2", "eu-west-1" },
	  { "US East (N. Virginia)", "US West (Oregon)", "Europe (Ireland)" },
	  { "us-east-1a", "us-west-2b", "eu-west-1c" } },
	{ "Microsoft", "Microsoft", "Microsoft", "81123456", "Acme Bank EA",
	  "Billing Account", "Subscription",
	  { "eastus", "westeurope", "swedencentral" },
	  { "East US", "West Europe", "Sweden Central" },
	  { "", "", "" } },
	{ "Google Cloud", "Google Cloud", "Google", "01A2B3-C4D5E6-F7A8B9", "Acme Bank GCP",
	  "Billing Account", "Project",
	  { "us-central1", "europe-west4", "us-east4" },
	  { "Iowa", "Netherlands", "Northern Virginia" },
	  { "us-central1-a", "europe-west4-b", "us-east4-c" } },
};

/*
 * Sub accounts. Names matter: data/demo/aicost.yaml allocates untagged rows
 * by SubAccountName glob (ml-platform* -> platform, fraud-ml* -> fraud,
 * data-lake* -> data-engineering); the rest stay unallocated.
 */
struct subacct { int prov; const char *name; char *id; unsigned untag_pct; };

static struct subacct subs[] = {
	{ AWS, "ml-platform-prod", NULL, 25 },
	{ AWS, "ml-platform-dev", NULL, 35 },
	{ AWS, "fraud-ml-prod", NULL, 15 },
	{ AWS, "genai-prod", NULL, 8 },
	{ AWS, "core-banking-prod", NULL, 12 },
	{ AWS, "data-lake-prod", NULL, 30 },
	{ AWS, "shared-services", NULL, 28 },
	{ AWS, "sandbox-research", NULL, 25 },
	{ AZURE, "ml-platform-prod-az", NULL, 25 },
	{ AZURE, "genai-openai-prod", NULL, 8 },
	{ AZURE, "risk-analytics-prod", NULL, 10 },
	{ AZURE, "corp-it-shared", NULL, 28 },
	{ AZURE, "dev-test", NULL, 25 },
	{ GCP, "ml-platform-prod", NULL, 25 },
	{ GCP, "vertex-genai-prod", NULL, 8 },
	{ GCP, "fraud-ml-dev", NULL, 20 },
	{ GCP, "data-lake-analytics", NULL, 30 },
};
#define NSUBS ((int)(sizeof(subs) / sizeof(subs[0])))

enum team { T_FRAUD, T_CHATBOT, T_RISK, T_PLATFORM, T_DATAENG, T_PAYMENTS, T_MARKETING, NTEAMS };

/*
 * Raw tag values as people type them. Each slugs (lower case, non-alnum runs
 * -> '-') either to the canonical name or to an alias listed in
 * data/demo/aicost.yaml; keep the two in step.
 */
static const char *const team_variants[NTEAMS][6] = {
	{ "fraud-detection", "Fraud Detection", "FRAUD_DETECTION", "fraud", "Fraud-Det", "fraud  detection" },
	{ "chatbot", "ChatBot", "CHATBOT", "chat-bot", "GenAI Chatbot", "chatbot" },
	{ "risk-models", "Risk Models", "risk_models", "risk", "RiskModels", "risk-models" },
	{ "platform", "Platform", "ml-platform", "MLOps", "PLATFORM", "platform" },
	{ "data-engineering", "Data Engineering", "data-eng", "DataEng", "data_engineering", "data-engineering" },
	{ "payments", "Payments", "payments-core", "PAYMENTS", "payments", "payments" },
	{ "marketing-analytics", "Marketing Analytics", "mkt-analytics", "marketing", "marketing-analytics", "marketing-analytics" },
};
static const char *const team_slug[NTEAMS] = {
	"fraud", "chatbot", "risk", "platform", "dataeng", "payments", "mkt"
};
static const char *const team_projects[NTEAMS][4] = {
	{ "fraud-scorer", "Fraud Scorer", "txn-anomaly", "fraud-gnn" },
	{ "customer-assistant", "Customer Assistant", "kyc-doc-qa", "agent-copilot" },
	{ "credit-pd", "Credit PD Model", "market-risk-var", "aml-screening" },
	{ "ml-platform", "feature-store", "model-registry", "shared-gpu-pool" },
	{ "data-lake", "Data Lake", "etl-pipelines", "cdc-ingest" },
	{ "payments-api", "card-auth", "Payments API", "ledger-core" },
	{ "churn-model", "campaign-analytics", "customer-360", "Churn Model" },
};
static const char *const team_models[NTEAMS][3] = {
	{ "xgboost-fraud-v7", "fraud-gnn-v2", "XGBoost Fraud v7" },
	{ "llama-3-70b", "Llama-3-70B-Instruct", "mistral-7b-ft" },
	{ "credit-pd-lgbm", "risk-transformer", "Credit-PD-LGBM" },
	{ "bge-large-embeddings", "shared", "bge-large-embeddings" },
	{ "entity-resolution", "entity-resolution", "dedup-bert" },
	{ "auth-risk-xgb", "auth-risk-xgb", "Auth Risk XGB" },
	{ "churn-xgb", "churn-xgb", "propensity-lgbm" },
};
static const char *const team_use_cases[NTEAMS][3] = {
	{ "fraud-detection", "Fraud Detection", "card-fraud" },
	{ "customer-support", "Customer Support", "kyc-qa" },
	{ "credit-risk", "Credit Risk", "aml" },
	{ "shared-ml", "shared-ml", "Shared ML" },
	{ "etl", "ETL", "etl" },
	{ "card-authorization", "Card Authorization", "card-authorization" },
	{ "churn-prediction", "Churn Prediction", "churn-prediction" },
};

/* Which sub accounts a team's resources live in, per provider. */
static const char *const team_home[NTEAMS][NPROV][3] = {
	[T_FRAUD] = { { "fraud-ml-prod", "fraud-ml-prod", "ml-platform-prod" },
		      { "risk-analytics-prod", "ml-platform-prod-az", "dev-test" },
		      { "fraud-ml-dev", "ml-platform-prod", "fraud-ml-dev" } },
	[T_CHATBOT] = { { "genai-prod", "genai-prod", "sandbox-research" },
			{ "genai-openai-prod", "genai-openai-prod", "dev-test" },
			{ "vertex-genai-prod", "vertex-genai-prod", "ml-platform-prod" } },
	[T_RISK] = { { "ml-platform-prod", "sandbox-research", "core-banking-prod" },
		     { "risk-analytics-prod", "risk-analytics-prod", "ml-platform-prod-az" },
		     { "ml-platform-prod", "data-lake-analytics", "ml-platform-prod" } },
	[T_PLATFORM] = { { "ml-platform-prod", "ml-platform-dev", "shared-services" },
			 { "ml-platform-prod-az", "corp-it-shared", "ml-platform-prod-az" },
			 { "ml-platform-prod", "ml-platform-prod", "data-lake-analytics" } },
	[T_DATAENG] = { { "data-lake-prod", "data-lake-prod", "shared-services" },
			{ "corp-it-shared", "dev-test", "corp-it-shared" },
			{ "data-lake-analytics", "data-lake-analytics", "ml-platform-prod" } },
	[T_PAYMENTS] = { { "core-banking-prod", "core-banking-prod", "shared-services" },
			 { "corp-it-shared", "corp-it-shared", "dev-test" },
			 { "data-lake-analytics", "fraud-ml-dev", "data-lake-analytics" } },
	[T_MARKETING] = { { "sandbox-research", "data-lake-prod", "sandbox-research" },
			  { "dev-test", "corp-it-shared", "dev-test" },
			  { "data-lake-analytics", "data-lake-analytics", "vertex-genai-prod" } },
};

static int find_sub(int prov, const char *name)
{
	for (int i = 0; i < NSUBS; i++)
		if (subs[i].prov == prov && !strcmp(subs[i].name, name))
			return i;
	die("internal: no sub account %s", name);
	return -1;
}

static void init_subs(uint64_t seed)
{
	for (int i = 0; i < NSUBS; i++) {
		uint64_t h = mix64(seed ^ strhash(subs[i].name) ^ (uint64_t)subs[i].prov);
		switch (subs[i].prov) {
		case AWS:
			subs[i].id = xfmt("%012llu", (unsigned long long)(h % 900000000000ULL + 100000000000ULL));
			break;
		case AZURE: {
			char *g = guid(h);
			subs[i].id = xfmt("/subscriptions/%s", g);
			free(g);
			break;
		}
		default:
			subs[i].id = xfmt("acme-%s-%04u", subs[i].name, (unsigned)(h % 10000));
			break;
		}
	}
}

/* ===== SKU catalog ======================================================== */

enum kind {
	K_GPU_VM, K_ML_ENDPOINT, K_ML_TRAINING, K_ML_NOTEBOOK, K_LLM, K_CPU_VM,
	K_K8S, K_OBJ_STORAGE, K_BLOCK_STORAGE, K_EGRESS, K_NAT, K_DB, K_DWH,
	K_SERVERLESS, K_MONITORING, NKINDS
};

static const int kind_is_ai[NKINDS] = {
	[K_GPU_VM] = 1, [K_ML_ENDPOINT] = 1, [K_ML_TRAINING] = 1, [K_ML_NOTEBOOK] = 1, [K_LLM] = 1,
};

/* Units (one resource, 1-3 line items) per 100, by profile. */
static const int kind_weight_bench[NKINDS] = {
	[K_GPU_VM] = 5, [K_ML_ENDPOINT] = 5, [K_ML_TRAINING] = 3, [K_ML_NOTEBOOK] = 4, [K_LLM] = 2,
	[K_CPU_VM] = 22, [K_K8S] = 2, [K_OBJ_STORAGE] = 16, [K_BLOCK_STORAGE] = 12, [K_EGRESS] = 8,
	[K_NAT] = 3, [K_DB] = 8, [K_DWH] = 2, [K_SERVERLESS] = 5, [K_MONITORING] = 3,
};
static const int kind_weight_demo[NKINDS] = {
	[K_GPU_VM] = 10, [K_ML_ENDPOINT] = 10, [K_ML_TRAINING] = 6, [K_ML_NOTEBOOK] = 8, [K_LLM] = 5,
	[K_CPU_VM] = 15, [K_K8S] = 2, [K_OBJ_STORAGE] = 11, [K_BLOCK_STORAGE] = 8, [K_EGRESS] = 7,
	[K_NAT] = 2, [K_DB] = 6, [K_DWH] = 2, [K_SERVERLESS] = 4, [K_MONITORING] = 4,
};

struct sku {
	int kind, prov;
	const char *type;            /* instance type / tier / meter family */
	const char *svc, *cat, *sub, *rtype;
	const char *meter, *cunit, *punit;
	int64_t pq_div;
	double price;                /* list USD per pricing unit */
	double q_lo, q_hi;           /* consumed units per hour */
	int qmodel, pattern;
	int cores, mem_gib, gpus;
	const char *gpu;
};

#define EC2 "Amazon Elastic Compute Cloud", "Compute", "Virtual Machines", "Virtual Machine"
#define AZVM "Virtual Machines", "Compute", "Virtual Machines", "Virtual Machine"
#define GCE "Compute Engine", "Compute", "Virtual Machines", "Virtual Machine"
#define SM "Amazon SageMaker", "AI and Machine Learning", "Machine Learning"
#define AML "Azure Machine Learning", "AI and Machine Learning", "Machine Learning"
#define VTX "Vertex AI", "AI and Machine Learning", "Machine Learning"

static const struct sku skus[] = {
	/* GPU fleets: training boxes run in bursts, inference boxes always. */
	{ K_GPU_VM, AWS, "p4d.24xlarge", EC2, "Instance Hours", "Hours", "Hours", 1, 32.7726, 1, 1, Q_FIXED, P_BURSTS, 96, 1152, 8, "A100" },
	{ K_GPU_VM, AWS, "p5.48xlarge", EC2, "Instance Hours", "Hours", "Hours", 1, 98.32, 1, 1, Q_FIXED, P_BURSTS, 192, 2048, 8, "H100" },
	{ K_GPU_VM, AWS, "g5.xlarge", EC2, "Instance Hours", "Hours", "Hours", 1, 1.006, 1, 1, Q_FIXED, P_ALWAYS, 4, 16, 1, "A10G" },
	{ K_GPU_VM, AWS, "g5.12xlarge", EC2, "Instance Hours", "Hours", "Hours", 1, 5.672, 1, 1, Q_FIXED, P_ALWAYS, 48, 192, 4, "A10G" },
	{ K_GPU_VM, AWS, "g6.xlarge", EC2, "Instance Hours", "Hours", "Hours", 1, 0.8048, 1, 1, Q_FIXED, P_ALWAYS, 4, 16, 1, "L4" },
	{ K_GPU_VM, AWS, "g6.12xlarge", EC2, "Instance Hours", "Hours", "Hours", 1, 4.6016, 1, 1, Q_FIXED, P_ALWAYS, 48, 192, 4, "L4" },
	{ K_GPU_VM, AZURE, "Standard_ND96asr_v4", AZVM, "ND96asr v4", "Hours", "1 Hour", 1, 27.197, 1, 1, Q_FIXED, P_BURSTS, 96, 900, 8, "A100" },
	{ K_GPU_VM, AZURE, "Standard_NC24ads_A100_v4", AZVM, "NC24ads A100 v4", "Hours", "1 Hour", 1, 3.673, 1, 1, Q_FIXED, P_ALWAYS, 24, 220, 1, "A100" },
	{ K_GPU_VM, AZURE, "Standard_NC96ads_A100_v4", AZVM, "NC96ads A100 v4", "Hours", "1 Hour", 1, 14.692, 1, 1, Q_FIXED, P_BURSTS, 96, 880, 4, "A100" },
	{ K_GPU_VM, AZURE, "Standard_NC4as_T4_v3", AZVM, "NC4as T4 v3", "Hours", "1 Hour", 1, 0.526, 1, 1, Q_FIXED, P_ALWAYS, 4, 28, 1, "T4" },
	{ K_GPU_VM, GCP, "a2-highgpu-8g", GCE, "A2 Instance Core and Nvidia A100 GPU", "Hours", "Hours", 1, 29.3879, 1, 1, Q_FIXED, P_BURSTS, 96, 680, 8, "A100" },
	{ K_GPU_VM, GCP, "a3-highgpu-8g", GCE, "A3 Instance Core and Nvidia H100 GPU", "Hours", "Hours", 1, 88.49, 1, 1, Q_FIXED, P_BURSTS, 208, 1872, 8, "H100" },
	{ K_GPU_VM, GCP, "a2-highgpu-1g", GCE, "A2 Instance Core and Nvidia A100 GPU", "Hours", "Hours", 1, 3.6733, 1, 1, Q_FIXED, P_ALWAYS, 12, 85, 1, "A100" },
	{ K_GPU_VM, GCP, "g2-standard-8", GCE, "G2 Instance Core and Nvidia L4 GPU", "Hours", "Hours", 1, 0.8536, 1, 1, Q_FIXED, P_ALWAYS, 8, 32, 1, "L4" },
	/* Managed ML. */
	{ K_ML_ENDPOINT, AWS, "ml.g5.2xlarge", SM, "Endpoint", "Hosting Instance Hours", "Hours", "Hours", 1, 1.515, 1, 1, Q_FIXED, P_ALWAYS, 8, 32, 1, "A10G" },
	{ K_ML_ENDPOINT, AWS, "ml.g5.12xlarge", SM, "Endpoint", "Hosting Instance Hours", "Hours", "Hours", 1, 7.09, 1, 1, Q_FIXED, P_ALWAYS, 48, 192, 4, "A10G" },
	{ K_ML_ENDPOINT, AWS, "ml.m5.xlarge", SM, "Endpoint", "Hosting Instance Hours", "Hours", "Hours", 1, 0.23, 1, 1, Q_FIXED, P_ALWAYS, 4, 16, 0, NULL },
	{ K_ML_ENDPOINT, AZURE, "Standard_NC6s_v3", AML, "Online Endpoint", "NC6s v3 Inference", "Hours", "1 Hour", 1, 3.06, 1, 1, Q_FIXED, P_ALWAYS, 6, 112, 1, "V100" },
	{ K_ML_ENDPOINT, AZURE, "Standard_DS3_v2", AML, "Online Endpoint", "DS3 v2 Inference", "Hours", "1 Hour", 1, 0.293, 1, 1, Q_FIXED, P_ALWAYS, 4, 14, 0, NULL },
	{ K_ML_ENDPOINT, GCP, "n1-standard-8+T4", VTX, "Endpoint", "Online Prediction T4 GPU", "Hours", "Hours", 1, 0.8164, 1, 1, Q_FIXED, P_ALWAYS, 8, 30, 1, "T4" },
	{ K_ML_ENDPOINT, GCP, "g2-standard-12", VTX, "Endpoint", "Online Prediction L4 GPU", "Hours", "Hours", 1, 1.2604, 1, 1, Q_FIXED, P_ALWAYS, 12, 48, 1, "L4" },
	{ K_ML_TRAINING, AWS, "ml.p4d.24xlarge", SM, "Training Job", "Training Instance Hours", "Hours", "Hours", 1, 37.688, 1, 1, Q_FIXED, P_BURSTS, 96, 1152, 8, "A100" },
	{ K_ML_TRAINING, AWS, "ml.g5.12xlarge", SM, "Training Job", "Training Instance Hours", "Hours", "Hours", 1, 7.09, 1, 1, Q_FIXED, P_BURSTS, 48, 192, 4, "A10G" },
	{ K_ML_TRAINING, AZURE, "Standard_ND96amsr_A100_v4", AML, "Compute Cluster", "ND96amsr A100 v4 Training", "Hours", "1 Hour", 1, 32.77, 1, 1, Q_FIXED, P_BURSTS, 96, 1900, 8, "A100" },
	{ K_ML_TRAINING, GCP, "a2-highgpu-8g", VTX, "Training Job", "Custom Training A100 GPU", "Hours", "Hours", 1, 31.0, 1, 1, Q_FIXED, P_BURSTS, 96, 680, 8, "A100" },
	{ K_ML_NOTEBOOK, AWS, "ml.t3.medium", SM, "Notebook Instance", "Notebook Instance Hours", "Hours", "Hours", 1, 0.05, 1, 1, Q_FIXED, P_BUSINESS, 2, 4, 0, NULL },
	{ K_ML_NOTEBOOK, AWS, "ml.g4dn.xlarge", SM, "Notebook Instance", "Notebook Instance Hours", "Hours", "Hours", 1, 0.7364, 1, 1, Q_FIXED, P_BUSINESS, 4, 16, 1, "T4" },
	{ K_ML_NOTEBOOK, AZURE, "Standard_DS11_v2", AML, "Compute Instance", "DS11 v2 Compute Instance", "Hours", "1 Hour", 1, 0.185, 1, 1, Q_FIXED, P_BUSINESS, 2, 14, 0, NULL },
	{ K_ML_NOTEBOOK, GCP, "n1-standard-4+T4", VTX, "Workbench Instance", "Workbench T4 GPU", "Hours", "Hours", 1, 0.54, 1, 1, Q_FIXED, P_BUSINESS, 4, 15, 1, "T4" },
	/* Ordinary compute. */
	{ K_CPU_VM, AWS, "m6i.2xlarge", EC2, "Instance Hours", "Hours", "Hours", 1, 0.384, 1, 1, Q_FIXED, P_ALWAYS, 8, 32, 0, NULL },
	{ K_CPU_VM, AWS, "c6i.4xlarge", EC2, "Instance Hours", "Hours", "Hours", 1, 0.68, 1, 1, Q_FIXED, P_ALWAYS, 16, 32, 0, NULL },
	{ K_CPU_VM, AWS, "r6i.xlarge", EC2, "Instance Hours", "Hours", "Hours", 1, 0.252, 1, 1, Q_FIXED, P_ALWAYS, 4, 32, 0, NULL },
	{ K_CPU_VM, AWS, "t3.medium", EC2, "Instance Hours", "Hours", "Hours", 1, 0.0416, 1, 1, Q_FIXED, P_BUSINESS, 2, 4, 0, NULL },
	{ K_CPU_VM, AWS, "m7g.xlarge", EC2, "Instance Hours", "Hours", "Hours", 1, 0.1632, 1, 1, Q_FIXED, P_ALWAYS, 4, 16, 0, NULL },
	{ K_CPU_VM, AZURE, "Standard_D4s_v5", AZVM, "D4s v5", "Hours", "1 Hour", 1, 0.192, 1, 1, Q_FIXED, P_ALWAYS, 4, 16, 0, NULL },
	{ K_CPU_VM, AZURE, "Standard_E8s_v5", AZVM, "E8s v5", "Hours", "1 Hour", 1, 0.504, 1, 1, Q_FIXED, P_ALWAYS, 8, 64, 0, NULL },
	{ K_CPU_VM, AZURE, "Standard_B2ms", AZVM, "B2ms", "Hours", "1 Hour", 1, 0.0832, 1, 1, Q_FIXED, P_BUSINESS, 2, 8, 0, NULL },
	{ K_CPU_VM, GCP, "n2-standard-8", GCE, "N2 Instance Core", "Hours", "Hours", 1, 0.3885, 1, 1, Q_FIXED, P_ALWAYS, 8, 32, 0, NULL },
	{ K_CPU_VM, GCP, "e2-standard-4", GCE, "E2 Instance Core", "Hours", "Hours", 1, 0.134, 1, 1, Q_FIXED, P_ALWAYS, 4, 16, 0, NULL },
	{ K_CPU_VM, GCP, "c3-standard-8", GCE, "C3 Instance Core", "Hours", "Hours", 1, 0.4019, 1, 1, Q_NOISE, P_NIGHTLY, 8, 32, 0, NULL },
	{ K_K8S, AWS, "EKS cluster", "Amazon Elastic Kubernetes Service", "Compute", "Containers", "Cluster", "Cluster Hours", "Hours", "Hours", 1, 0.10, 1, 1, Q_FIXED, P_ALWAYS, 0, 0, 0, NULL },
	{ K_K8S, AZURE, "AKS Standard", "Azure Kubernetes Service", "Compute", "Containers", "Cluster", "Standard Uptime SLA", "Hours", "1 Hour", 1, 0.10, 1, 1, Q_FIXED, P_ALWAYS, 0, 0, 0, NULL },
	{ K_K8S, GCP, "GKE cluster", "Kubernetes Engine", "Compute", "Containers", "Cluster", "Cluster Management Fee", "Hours", "Hours", 1, 0.10, 1, 1, Q_FIXED, P_ALWAYS, 0, 0, 0, NULL },
	/* Storage: GB-months accrued hourly. */
	{ K_OBJ_STORAGE, AWS, "S3 Standard", "Amazon Simple Storage Service", "Storage", "Object Storage", "Bucket", "Storage", "GB-Mo", "GB-Mo", 1, 0.023, 0.5, 400, Q_GROWTH, P_ALWAYS, 0, 0, 0, NULL },
	{ K_OBJ_STORAGE, AWS, "S3 Standard-IA", "Amazon Simple Storage Service", "Storage", "Object Storage", "Bucket", "Storage", "GB-Mo", "GB-Mo", 1, 0.0125, 1, 800, Q_GROWTH, P_ALWAYS, 0, 0, 0, NULL },
	{ K_OBJ_STORAGE, AWS, "S3 Requests Tier1", "Amazon Simple Storage Service", "Storage", "Object Storage", "Bucket", "Requests-Tier1", "Requests", "1000 Requests", 1000, 0.005, 1000, 2000000, Q_DIURNAL, P_ALWAYS, 0, 0, 0, NULL },
	{ K_OBJ_STORAGE, AZURE, "Hot LRS", "Storage", "Storage", "Object Storage", "Storage Account", "Hot LRS Data Stored", "GB/Month", "1 GB/Month", 1, 0.0184, 0.5, 300, Q_GROWTH, P_ALWAYS, 0, 0, 0, NULL },
	{ K_OBJ_STORAGE, AZURE, "Cool LRS", "Storage", "Storage", "Object Storage", "Storage Account", "Cool LRS Data Stored", "GB/Month", "1 GB/Month", 1, 0.01, 1, 600, Q_GROWTH, P_ALWAYS, 0, 0, 0, NULL },
	{ K_OBJ_STORAGE, GCP, "Standard Storage", "Cloud Storage", "Storage", "Object Storage", "Bucket", "Standard Storage US Multi-region", "GiBy.mo", "GiBy.mo", 1, 0.026, 0.5, 400, Q_GROWTH, P_ALWAYS, 0, 0, 0, NULL },
	{ K_OBJ_STORAGE, GCP, "Nearline Storage", "Cloud Storage", "Storage", "Object Storage", "Bucket", "Nearline Storage Iowa", "GiBy.mo", "GiBy.mo", 1, 0.01, 1, 800, Q_GROWTH, P_ALWAYS, 0, 0, 0, NULL },
	{ K_BLOCK_STORAGE, AWS, "gp3", "Amazon Elastic Compute Cloud", "Storage", "Block Storage", "Volume", "EBS:VolumeUsage.gp3", "GB-Mo", "GB-Mo", 1, 0.08, 0.1, 5, Q_FIXED, P_ALWAYS, 0, 0, 0, NULL },
	{ K_BLOCK_STORAGE, AWS, "io2", "Amazon Elastic Compute Cloud", "Storage", "Block Storage", "Volume", "EBS:VolumeUsage.piops", "GB-Mo", "GB-Mo", 1, 0.125, 0.5, 10, Q_FIXED, P_ALWAYS, 0, 0, 0, NULL },
	{ K_BLOCK_STORAGE, AZURE, "Premium SSD P30", "Storage", "Storage", "Block Storage", "Disk", "P30 LRS Disk", "Months", "1/Month", 1, 135.17, 0.00137, 0.00137, Q_FIXED, P_ALWAYS, 0, 0, 0, NULL },
	{ K_BLOCK_STORAGE, GCP, "pd-ssd", "Compute Engine", "Storage", "Block Storage", "Disk", "SSD backed PD Capacity", "GiBy.mo", "GiBy.mo", 1, 0.17, 0.1, 3, Q_FIXED, P_ALWAYS, 0, 0, 0, NULL },
	/* Network. */
	{ K_EGRESS, AWS, "DataTransfer-Out", "AWS Data Transfer", "Networking", "Network Connectivity", "Data Transfer", "Data Transfer Out", "GB", "GB", 1, 0.09, 0.5, 80, Q_DIURNAL, P_ALWAYS, 0, 0, 0, NULL },
	{ K_EGRESS, AWS, "DataTransfer-Regional", "AWS Data Transfer", "Networking", "Network Connectivity", "Data Transfer", "Inter-AZ Data Transfer", "GB", "GB", 1, 0.01, 5, 500, Q_DIURNAL, P_ALWAYS, 0, 0, 0, NULL },
	{ K_EGRESS, AZURE, "Bandwidth Out", "Bandwidth", "Networking", "Network Connectivity", "Data Transfer", "Standard Data Transfer Out", "GB", "1 GB", 1, 0.087, 0.5, 60, Q_DIURNAL, P_ALWAYS, 0, 0, 0, NULL },
	{ K_EGRESS, GCP, "Network Egress", "Networking", "Networking", "Network Connectivity", "Data Transfer", "Network Internet Egress", "GiBy", "GiBy", 1, 0.12, 0.5, 50, Q_DIURNAL, P_ALWAYS, 0, 0, 0, NULL },
	{ K_NAT, AWS, "NAT Gateway", "Amazon Virtual Private Cloud", "Networking", "Network Connectivity", "NAT Gateway", "NatGateway-Hours", "Hours", "Hours", 1, 0.045, 1, 1, Q_FIXED, P_ALWAYS, 0, 0, 0, NULL },
	{ K_NAT, AWS, "Application Load Balancer", "Elastic Load Balancing", "Networking", "Load Balancing", "Load Balancer", "LCU-Hours", "LCU-Hours", "LCU-Hours", 1, 0.008, 0.5, 40, Q_DIURNAL, P_ALWAYS, 0, 0, 0, NULL },
	{ K_NAT, AZURE, "NAT Gateway", "Virtual Network", "Networking", "Network Connectivity", "NAT Gateway", "Standard Gateway", "Hours", "1 Hour", 1, 0.045, 1, 1, Q_FIXED, P_ALWAYS, 0, 0, 0, NULL },
	{ K_NAT, GCP, "Cloud NAT", "Networking", "Networking", "Network Connectivity", "NAT Gateway", "Cloud NAT Gateway Uptime", "Hours", "Hours", 1, 0.044, 1, 1, Q_FIXED, P_ALWAYS, 0, 0, 0, NULL },
	/* Databases and warehouses. */
	{ K_DB, AWS, "db.r6g.2xlarge", "Amazon Relational Database Service", "Databases", "Relational Databases", "DB Instance", "InstanceUsage:db.r6g.2xl PostgreSQL", "Hours", "Hours", 1, 0.899, 1, 1, Q_FIXED, P_ALWAYS, 8, 64, 0, NULL },
	{ K_DB, AWS, "db.r6g.large", "Amazon Relational Database Service", "Databases", "Relational Databases", "DB Instance", "InstanceUsage:db.r6g.large PostgreSQL", "Hours", "Hours", 1, 0.225, 1, 1, Q_FIXED, P_ALWAYS, 2, 16, 0, NULL },
	{ K_DB, AWS, "DynamoDB On-Demand", "Amazon DynamoDB", "Databases", "NoSQL Databases", "Table", "ReadRequestUnits", "ReadRequestUnits", "1000000 ReadRequestUnits", 1000000, 0.25, 100000, 20000000, Q_DIURNAL, P_ALWAYS, 0, 0, 0, NULL },
	{ K_DB, AZURE, "SQL Database GP Gen5 8 vCore", "SQL Database", "Databases", "Relational Databases", "Database", "vCore", "Hours", "1 Hour", 1, 1.008, 1, 1, Q_FIXED, P_ALWAYS, 8, 41, 0, NULL },
	{ K_DB, AZURE, "Cosmos DB RU", "Azure Cosmos DB", "Databases", "NoSQL Databases", "Database Account", "100 RU/s", "100 RU/s-Hours", "100 RU/s-Hours", 1, 0.008, 4, 200, Q_NOISE, P_ALWAYS, 0, 0, 0, NULL },
	{ K_DB, GCP, "Cloud SQL db-custom-8-32768", "Cloud SQL", "Databases", "Relational Databases", "DB Instance", "Cloud SQL for PostgreSQL: vCPU + RAM", "Hours", "Hours", 1, 0.6288, 1, 1, Q_FIXED, P_ALWAYS, 8, 32, 0, NULL },
	{ K_DWH, AWS, "Redshift ra3.4xlarge", "Amazon Redshift", "Databases", "Data Warehouses", "Cluster", "Node:ra3.4xlarge", "Hours", "Hours", 1, 3.26, 2, 4, Q_FIXED, P_ALWAYS, 12, 96, 0, NULL },
	{ K_DWH, AZURE, "Synapse DW100c", "Azure Synapse Analytics", "Analytics", "Data Warehouses", "SQL Pool", "DW100c", "Hours", "1 Hour", 1, 1.2, 1, 3, Q_FIXED, P_BUSINESS, 0, 0, 0, NULL },
	{ K_DWH, GCP, "BigQuery Analysis", "BigQuery", "Analytics", "Data Warehouses", "Dataset", "Analysis", "TiBy", "TiBy", 1, 6.25, 0.01, 2, Q_DIURNAL, P_ALWAYS, 0, 0, 0, NULL },
	/* Serverless and observability. */
	{ K_SERVERLESS, AWS, "Lambda GB-Second", "AWS Lambda", "Compute", "Serverless Compute", "Function", "Lambda-GB-Second", "GB-Seconds", "GB-Seconds", 1, 0.0000166667, 1000, 400000, Q_DIURNAL, P_ALWAYS, 0, 0, 0, NULL },
	{ K_SERVERLESS, AWS, "Lambda Requests", "AWS Lambda", "Compute", "Serverless Compute", "Function", "Request", "Requests", "1000000 Requests", 1000000, 0.20, 1000, 900000, Q_DIURNAL, P_ALWAYS, 0, 0, 0, NULL },
	{ K_SERVERLESS, AZURE, "Functions Execution Time", "Functions", "Compute", "Serverless Compute", "Function App", "Execution Time", "GB Seconds", "1 GB Second", 1, 0.000016, 1000, 300000, Q_DIURNAL, P_ALWAYS, 0, 0, 0, NULL },
	{ K_SERVERLESS, GCP, "Cloud Run CPU", "Cloud Run", "Compute", "Serverless Compute", "Service", "CPU Allocation Time", "vCPU-Seconds", "vCPU-Seconds", 1, 0.000024, 1000, 200000, Q_DIURNAL, P_ALWAYS, 0, 0, 0, NULL },
	{ K_MONITORING, AWS, "CloudWatch Logs", "AmazonCloudWatch", "Management and Governance", "Observability", "Log Group", "DataProcessing-Bytes", "GB", "GB", 1, 0.50, 0.1, 20, Q_NOISE, P_ALWAYS, 0, 0, 0, NULL },
	{ K_MONITORING, AZURE, "Log Analytics", "Log Analytics", "Management and Governance", "Observability", "Workspace", "Pay-as-you-go Data Ingestion", "GB", "1 GB", 1, 2.30, 0.05, 1.5, Q_NOISE, P_ALWAYS, 0, 0, 0, NULL },
	{ K_MONITORING, GCP, "Cloud Logging", "Cloud Logging", "Management and Governance", "Observability", "Log Bucket", "Log Storage cost", "GiBy", "GiBy", 1, 0.50, 0.05, 10, Q_NOISE, P_ALWAYS, 0, 0, 0, NULL },
};
#define NSKUS ((int)(sizeof(skus) / sizeof(skus[0])))

/* LLM token meters: one unit of K_LLM yields one line per direction. */
struct llm_model {
	int prov;
	const char *svc, *id, *display;
	double p_in, p_out, p_cache;   /* USD per 1M tokens; p_cache 0 = none */
	double in_lo, in_hi;           /* input tokens per hour */
	double out_ratio;
};

static const struct llm_model llms[] = {
	{ AWS, "Amazon Bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet", 3.0, 15.0, 0.30, 2e6, 40e6, 0.12 },
	{ AWS, "Amazon Bedrock", "anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", 0.25, 1.25, 0.03, 5e6, 120e6, 0.10 },
	{ AWS, "Amazon Bedrock", "meta.llama3-70b-instruct-v1:0", "Llama 3 70B Instruct", 2.65, 3.50, 0, 1e6, 20e6, 0.15 },
	{ AWS, "Amazon Bedrock", "amazon.titan-embed-text-v2:0", "Titan Text Embeddings V2", 0.02, 0, 0, 10e6, 200e6, 0 },
	{ AZURE, "Azure OpenAI", "gpt-4o", "GPT-4o", 2.50, 10.0, 1.25, 2e6, 50e6, 0.12 },
	{ AZURE, "Azure OpenAI", "gpt-4o-mini", "GPT-4o mini", 0.15, 0.60, 0.075, 5e6, 150e6, 0.10 },
	{ AZURE, "Azure OpenAI", "text-embedding-3-large", "text-embedding-3-large", 0.13, 0, 0, 10e6, 200e6, 0 },
	{ GCP, "Vertex AI", "gemini-1.5-pro-002", "Gemini 1.5 Pro", 1.25, 5.0, 0.3125, 1e6, 30e6, 0.12 },
	{ GCP, "Vertex AI", "gemini-1.5-flash-002", "Gemini 1.5 Flash", 0.075, 0.30, 0.01875, 5e6, 150e6, 0.10 },
};
#define NLLMS ((int)(sizeof(llms) / sizeof(llms[0])))

static const char *const llm_apps[NTEAMS][2] = {
	{ "fraud-explainer", "dispute-summaries" },
	{ "customer-assistant", "kyc-doc-qa" },
	{ "credit-memo-writer", "aml-narratives" },
	{ "rag-embeddings", "eval-harness" },
	{ "schema-mapper", "doc-extraction" },
	{ "payments-support-bot", "chargeback-triage" },
	{ "campaign-copy", "review-insights" },
};

/* Commitments that cover some always-on compute; purchased monthly. */
struct commitment {
	int prov;
	const char *name, *type, *category;
	char *id;
	double hourly;   /* amortized cost of the lines it covers, per hour */
};

static struct commitment commits[] = {
	{ AWS, "Compute Savings Plan 3yr", "Compute Savings Plans", "Spend", NULL, 0 },
	{ AWS, "EC2 Instance Savings Plan 1yr", "EC2 Instance Savings Plans", "Spend", NULL, 0 },
	{ AZURE, "VM reserved instances 1yr", "Reservation", "Usage", NULL, 0 },
	{ GCP, "Compute resource CUD 3yr", "Committed Use Discount", "Usage", NULL, 0 },
};
#define NCOMMITS ((int)(sizeof(commits) / sizeof(commits[0])))

static void init_commits(uint64_t seed)
{
	for (int i = 0; i < NCOMMITS; i++) {
		uint64_t h = mix64(seed ^ strhash(commits[i].name));
		char *g = guid(h), *g2 = guid(mix64(h));
		switch (commits[i].prov) {
		case AWS:
			commits[i].id = xfmt("arn:aws:savingsplans::%s:savingsplan/%s", provs[AWS].ba_id, g);
			break;
		case AZURE:
			commits[i].id = xfmt("/providers/Microsoft.Capacity/reservationOrders/%s/reservations/%s", g, g2);
			break;
		default:
			commits[i].id = xfmt("projects/acme-ml-platform-prod/regions/us-central1/commitments/cud-compute-%.8s", g);
			break;
		}
		free(g);
		free(g2);
	}
}

/* ===== Building line items =============================================== */

struct estate {
	struct line *lines;
	size_t n, cap;
	int profile_demo;
	int32_t hours;       /* planned hours (days * 24) */
};

static struct line *estate_add(struct estate *e)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 1024;
		e->lines = realloc(e->lines, e->cap * sizeof(*e->lines));
		if (!e->lines)
			die("out of memory");
	}
	struct line *l = &e->lines[e->n++];
	memset(l, 0, sizeof(*l));
	return l;
}

static int64_t to_fixed(double v, double scale)
{
	return (int64_t)(v * scale + (v >= 0 ? 0.5 : -0.5));
}

/* Unit price text as written in ListUnitPrice etc. */
static char *price_str(int64_t p)
{
	char buf[40];
	int n = fmt_cost(buf, p);
	buf[n] = 0;
	return xfmt("%s", buf);
}

/* Tags JSON for a resource, or NULL for a null Tags cell. */
static char *make_tags(struct rng *r, int team, int kind, int sub, int *has_team)
{
	struct sb b = { 0 };
	/* AI spend is newer and watched more closely, so it is tagged a bit
	 * more often than the long tail of storage and network. */
	unsigned up = subs[sub].untag_pct;
	up = kind_is_ai[kind] ? (up > 4 ? up - 4 : 0) : up + 6;
	int untagged = rng_pct(r, up);
	int n = 0;
#define TAG(k, v) do { sb_puts(&b, n++ ? ",\"" : "{\""); sb_puts(&b, (k)); \
	sb_puts(&b, "\":\""); sb_puts(&b, (v)); sb_puts(&b, "\""); } while (0)
	*has_team = 0;
	if (untagged) {
		/* Half carry no tags at all; the rest have tags but no team. */
		unsigned m = rng_below(r, 4);
		if (m == 0)
			return NULL;
		if (m == 1)
			return xfmt("{}");
		if (rng_pct(r, 60)) {
			char cc[16];
			snprintf(cc, sizeof cc, "CC-%u", 4100 + rng_below(r, 40) * 10);
			TAG("cost-center", cc);
		}
		if (rng_pct(r, 70))
			TAG(rng_pct(r, 70) ? "env" : "environment", strstr(subs[sub].name, "dev") ? "dev" : "prod");
		if (rng_pct(r, 30))
			TAG("project", PICK(r, team_projects[team]));
	} else {
		static const char *const keys[] = { "team", "team", "team", "team", "team",
						    "team", "Team", "Team", "owner_team", "owner_team" };
		int v = rng_pct(r, 45) ? 0 : (int)rng_below(r, 6);
		TAG(PICK(r, keys), team_variants[team][v]);
		*has_team = 1;
		if (rng_pct(r, 30)) {
			char cc[16];
			snprintf(cc, sizeof cc, "CC-%u", 4100 + (unsigned)team * 70 + rng_below(r, 3) * 10);
			TAG("cost-center", cc);
		}
		if (rng_pct(r, 75))
			TAG("project", PICK(r, team_projects[team]));
		if (rng_pct(r, 90)) {
			const char *envs_prod[] = { "prod", "prod", "production", "Prod", "PRD" };
			const char *envs_dev[] = { "dev", "dev", "development", "Dev", "staging", "stg" };
			int dev = strstr(subs[sub].name, "dev") || strstr(subs[sub].name, "sandbox") ||
				  rng_pct(r, 10);
			TAG(rng_pct(r, 65) ? "env" : "environment", dev ? PICK(r, envs_dev) : PICK(r, envs_prod));
		}
		if (kind_is_ai[kind]) {
			if (kind != K_LLM && rng_pct(r, 75))
				TAG("model", PICK(r, team_models[team]));
			if (rng_pct(r, 80))
				TAG(rng_pct(r, 60) ? "use_case" : "use-case", PICK(r, team_use_cases[team]));
		}
		if (rng_pct(r, kind_is_ai[kind] ? 80 : 30)) {
			const char *w;
			switch (kind) {
			case K_ML_TRAINING: w = "training"; break;
			case K_ML_NOTEBOOK: w = rng_pct(r, 50) ? "notebook" : "Notebooks"; break;
			case K_ML_ENDPOINT: w = rng_pct(r, 60) ? "inference" : "real-time-inference"; break;
			case K_LLM: w = rng_pct(r, 50) ? "genai" : "llm-inference"; break;
			case K_GPU_VM: w = rng_pct(r, 50) ? "training" : "inference"; break;
			case K_DB: case K_DWH: w = "database"; break;
			case K_OBJ_STORAGE: case K_BLOCK_STORAGE: w = "storage"; break;
			default: w = rng_pct(r, 50) ? "api" : "batch"; break;
			}
			TAG("workload", w);
		}
	}
#undef TAG
	if (!n)
		return xfmt("{}");
	sb_puts(&b, "}");
	return b.p;
}

static int pick_team(struct rng *r, int kind)
{
	static const int ai_w[NTEAMS] = { 30, 28, 18, 16, 3, 2, 3 };
	static const int other_w[NTEAMS] = { 10, 6, 8, 22, 22, 22, 10 };
	return rng_weighted(r, kind_is_ai[kind] ? ai_w : other_w, NTEAMS);
}

static const char *slugify_name(const char *s, char *buf, size_t cap)
{
	size_t n = 0;
	for (; *s && n + 1 < cap; s++)
		buf[n++] = isalnum((unsigned char)*s) ? (char)tolower((unsigned char)*s) : '-';
	buf[n] = 0;
	return buf;
}

/* One unit = one resource; appends 1..3 line items. */
static void add_unit(struct estate *e, uint64_t seed, uint64_t u)
{
	struct rng r = { mix64(seed * 0x9e3779b97f4a7c15ULL + u + 1) };
	const int *kw = e->profile_demo ? kind_weight_demo : kind_weight_bench;
	int kind = rng_weighted(&r, kw, NKINDS);
	static const int prov_w[NPROV] = { 50, 25, 25 };
	int prov = rng_weighted(&r, prov_w, NPROV);
	int team = pick_team(&r, kind);
	int sub = find_sub(prov, PICK(&r, team_home[team][prov]));
	int reg = rng_pct(&r, 70) ? 0 : (int)rng_below(&r, 3);
	const struct provider *pv = &provs[prov];
	char *sv[S__N] = { 0 };
	char nm[128], slug[64];
	uint64_t h = mix64(seed ^ (u * 0xd6e8feb86659fd93ULL));
	int has_team;

	/* Activity window: most resources live the whole period; some are
	 * created or deleted part-way, as in any estate. */
	int32_t start_h = 0, end_h = INT32_MAX;
	if (rng_pct(&r, 12))
		start_h = (int32_t)rng_below(&r, (uint32_t)(e->hours * 2 / 3 + 1));
	if (rng_pct(&r, 8))
		end_h = start_h + 24 + (int32_t)rng_below(&r, (uint32_t)e->hours);

	char *tags = make_tags(&r, team, kind, sub, &has_team);

	sv[S_BA_ID] = (char *)pv->ba_id;
	sv[S_BA_NAME] = (char *)pv->ba_name;
	sv[S_BA_TYPE] = (char *)pv->ba_type;
	sv[S_CURRENCY] = "USD";
	sv[S_PRICING_CUR] = "USD";
	sv[S_CHARGE_CAT] = "Usage";
	sv[S_CHARGE_FREQ] = "Usage-Based";
	sv[S_INVOICE_ISSUER] = (char *)pv->issuer;
	sv[S_PROVIDER] = (char *)pv->name;
	sv[S_PUBLISHER] = (char *)pv->publisher;
	sv[S_REGION_ID] = (char *)pv->regions[reg];
	sv[S_REGION_NAME] = (char *)pv->region_names[reg];
	sv[S_SUB_ID] = subs[sub].id;
	sv[S_SUB_NAME] = (char *)subs[sub].name;
	sv[S_SUB_TYPE] = (char *)pv->sub_type;
	sv[S_TAGS] = tags;

	if (kind == K_LLM) {
		/* Pick a model of this provider. */
		int cand[NLLMS], nc = 0;
		for (int i = 0; i < NLLMS; i++)
			if (llms[i].prov == prov)
				cand[nc++] = i;
		const struct llm_model *m = &llms[cand[rng_below(&r, (uint32_t)nc)]];
		const char *app = PICK(&r, llm_apps[team]);
		char *rid, *rname = xfmt("%s-%s", app, strstr(subs[sub].name, "dev") ? "dev" : "prod");
		switch (prov) {
		case AWS:
			rid = xfmt("arn:aws:bedrock:%s:%s:inference-profile/%s/%s", pv->regions[reg],
				   subs[sub].id, rname, m->id);
			break;
		case AZURE:
			rid = xfmt("%s/resourceGroups/rg-%s/providers/Microsoft.CognitiveServices/accounts/aoai-%s/deployments/%s",
				   subs[sub].id, team_slug[team], rname, m->id);
			break;
		default:
			rid = xfmt("//aiplatform.googleapis.com/projects/%s/locations/%s/publishers/google/models/%s",
				   subs[sub].id, pv->regions[reg], m->id);
			break;
		}
		/* Tag the model on token lines: the model is the point of them. */
		if (tags && has_team && rng_pct(&r, 85)) {
			size_t tl = strlen(tags);
			char *t2 = xfmt("%.*s,\"model\":\"%s\"}", (int)(tl - 1), tags, m->id);
			free(tags);
			tags = t2;
			sv[S_TAGS] = tags;
		}
		double in_tok = m->in_lo + (m->in_hi - m->in_lo) * rng_f01(&r) * rng_f01(&r);
		if (e->profile_demo)
			in_tok *= 0.4;
		struct { const char *meter; double price, ratio; } dirs[3] = {
			{ "Input Tokens", m->p_in, 1.0 },
			{ "Output Tokens", m->p_out, m->out_ratio },
			{ "Cache Read Input Tokens", m->p_cache, 0.35 },
		};
		for (int d = 0; d < 3; d++) {
			if (dirs[d].price <= 0 || dirs[d].ratio <= 0)
				continue;
			struct line *l = estate_add(e);
			uint64_t sh = strhash(m->id) ^ (uint64_t)d * 131 ^ (uint64_t)reg;
			l->h = mix64(h + (uint64_t)d);
			l->prov = prov;
			l->pattern = P_ALWAYS;
			l->qmodel = Q_DIURNAL;
			l->qint = 1;
			l->start_h = start_h;
			l->end_h = end_h;
			l->noise_pm = 250;
			l->q_base = to_fixed(in_tok * dirs[d].ratio, 1) * QTY_SCALE;
			l->pq_div = 1000000;
			l->p_list = to_fixed(dirs[d].price, COST_SCALE);
			l->p_contr = l->p_list * 95 / 100;
			l->p_eff = l->p_contr;
			l->est_hourly_eff = in_tok * dirs[d].ratio / 1e6 * dirs[d].price * 0.95;
			sv[S_SVC_NAME] = (char *)m->svc;
			sv[S_SVC_CAT] = "AI and Machine Learning";
			sv[S_SVC_SUB] = "Generative AI";
			sv[S_RESOURCE_TYPE] = prov == AZURE ? "Deployment" : "Foundation Model";
			sv[S_RESOURCE_ID] = rid;
			sv[S_RESOURCE_NAME] = rname;
			sv[S_SKU_METER] = (char *)dirs[d].meter;
			sv[S_CONSUMED_UNIT] = "Tokens";
			sv[S_PRICING_UNIT] = "1000000 Tokens";
			sv[S_PRICING_CAT] = "Standard";
			sv[S_AZ] = NULL;
			char *skuid = prov == AZURE ? guid(sh) : prov == GCP ?
				xfmt("%04llX-%04llX-%04llX", (unsigned long long)(sh & 0xffff),
				     (unsigned long long)(sh >> 16 & 0xffff), (unsigned long long)(sh >> 32 & 0xffff)) :
				upper_alnum(sh, 16);
			sv[S_SKU_ID] = skuid;
			sv[S_SKU_PRICE_ID] = xfmt("%s.%s", skuid, prov == AWS ? "JRTCKXETXF" : "PAYG");
			sv[S_SKU_PRICE_DETAILS] = xfmt("{\"x_Model\":\"%s\",\"x_TokenType\":\"%s\"}", m->id, dirs[d].meter);
			sv[S_CHARGE_DESC] = xfmt("%s %s (%s)", m->display, dirs[d].meter, pv->region_names[reg]);
			sv[S_LIST_UP] = price_str(l->p_list);
			sv[S_CONTRACTED_UP] = price_str(l->p_contr);
			line_compile(l, sv);
			free(sv[S_SKU_PRICE_ID]);
			free(sv[S_SKU_PRICE_DETAILS]);
			free(sv[S_CHARGE_DESC]);
			free(sv[S_LIST_UP]);
			free(sv[S_CONTRACTED_UP]);
			free(skuid);
		}
		free(rid);
		free(rname);
		free(tags);
		return;
	}

	/* Any other kind: one SKU of this kind and provider. */
	int cand[NSKUS], nc = 0;
	for (int i = 0; i < NSKUS; i++)
		if (skus[i].kind == kind && skus[i].prov == prov)
			cand[nc++] = i;
	if (!nc)
		die("internal: no sku for kind %d prov %d", kind, prov);
	const struct sku *s = &skus[cand[rng_below(&r, (uint32_t)nc)]];
	struct line *l = estate_add(e);
	l->h = h;
	l->prov = prov;
	l->pattern = (uint8_t)s->pattern;
	l->qmodel = (uint8_t)s->qmodel;
	l->start_h = start_h;
	l->end_h = end_h;
	l->duty = 25 + rng_below(&r, 50);
	l->noise_pm = s->qmodel == Q_GROWTH ? 5 : 300;
	double q = s->q_lo + (s->q_hi - s->q_lo) * rng_f01(&r) * rng_f01(&r);
	if (s->qmodel == Q_GROWTH)
		q = q * 600.0 / 730.0;  /* TB-ish buckets, GB-Mo per hour */
	else if (s->qmodel == Q_FIXED && s->q_lo >= 1)
		q = (double)(int64_t)(q + 0.5);  /* whole nodes */
	/* Requests are counted, not measured. */
	l->qint = strstr(s->cunit, "Request") != NULL;
	l->q_base = to_fixed(q, QTY_SCALE);
	l->pq_div = s->pq_div;
	l->p_list = to_fixed(s->price, COST_SCALE);
	/* Enterprise discount on everything; some compute covered by a
	 * commitment (billed through the monthly purchase), some on spot. */
	int64_t disc = 90 + (prov == GCP ? 2 : 0);
	l->p_contr = l->p_list * disc / 100;
	l->p_eff = l->p_contr;
	sv[S_PRICING_CAT] = "Standard";
	int committed = -1;
	if ((kind == K_GPU_VM || kind == K_CPU_VM) && s->pattern == P_ALWAYS && rng_pct(&r, 35)) {
		int cand_c[NCOMMITS], ncc = 0;
		for (int i = 0; i < NCOMMITS; i++)
			if (commits[i].prov == prov)
				cand_c[ncc++] = i;
		committed = cand_c[rng_below(&r, (uint32_t)ncc)];
		l->p_eff = l->p_list * (55 + (int64_t)rng_below(&r, 15)) / 100;
		l->billed_zero = 1;
		sv[S_PRICING_CAT] = "Committed";
		sv[S_CD_ID] = commits[committed].id;
		sv[S_CD_NAME] = (char *)commits[committed].name;
		sv[S_CD_TYPE] = (char *)commits[committed].type;
		sv[S_CD_CAT] = (char *)commits[committed].category;
		sv[S_CD_STATUS] = "Used";
		sv[S_CD_UNIT] = !strcmp(commits[committed].category, "Spend") ? "USD" : "Hours";
	} else if (kind == K_GPU_VM && s->pattern == P_BURSTS && rng_pct(&r, 20)) {
		l->p_eff = l->p_list * (30 + (int64_t)rng_below(&r, 20)) / 100;
		l->p_contr = l->p_eff;
		sv[S_PRICING_CAT] = "Dynamic";
	}
	double act = s->pattern == P_ALWAYS ? 1.0 : s->pattern == P_BUSINESS ? 0.36 :
		     s->pattern == P_NIGHTLY ? 0.21 : l->duty / 100.0;
	l->est_hourly_eff = q / (double)s->pq_div * (double)l->p_eff / COST_SCALE * act;
	if (committed >= 0)
		commits[committed].hourly += q / (double)s->pq_div * (double)l->p_eff / COST_SCALE;

	/* Names and IDs in each provider's own shape. */
	const char *role;
	switch (kind) {
	case K_GPU_VM: role = s->pattern == P_BURSTS ? "gpu-train" : "gpu-infer"; break;
	case K_ML_ENDPOINT: role = "endpoint"; break;
	case K_ML_TRAINING: role = "train"; break;
	case K_ML_NOTEBOOK: role = "nb"; break;
	case K_CPU_VM: role = team == T_PAYMENTS ? "api" : "app"; break;
	case K_DB: case K_DWH: role = "db"; break;
	case K_OBJ_STORAGE: role = "bucket"; break;
	case K_BLOCK_STORAGE: role = "vol"; break;
	default: role = "svc"; break;
	}
	const char *proj = team_projects[team][(h >> 8) % 4];
	slugify_name(proj, slug, sizeof slug);
	snprintf(nm, sizeof nm, "%s-%s-%02u", slug, role, (unsigned)(u % 97));
	char hexs[24];
	put_hex(hexs, h, 17);
	char *rid;
	const char *region = pv->regions[reg];
	const char *acct = subs[sub].id;
	switch (prov) {
	case AWS:
		switch (kind) {
		case K_GPU_VM: case K_CPU_VM:
			rid = xfmt("arn:aws:ec2:%s:%s:instance/i-0%s", region, acct, hexs);
			break;
		case K_BLOCK_STORAGE:
			rid = xfmt("arn:aws:ec2:%s:%s:volume/vol-0%s", region, acct, hexs);
			break;
		case K_ML_ENDPOINT:
			rid = xfmt("arn:aws:sagemaker:%s:%s:endpoint/%s-%s", region, acct, slug,
				   strstr(subs[sub].name, "dev") ? "dev" : "prod");
			break;
		case K_ML_TRAINING:
			rid = xfmt("arn:aws:sagemaker:%s:%s:training-job/%s-train-%04u", region, acct, slug,
				   (unsigned)(h % 10000));
			break;
		case K_ML_NOTEBOOK:
			rid = xfmt("arn:aws:sagemaker:%s:%s:notebook-instance/%s", region, acct, nm);
			break;
		case K_OBJ_STORAGE:
			rid = xfmt("arn:aws:s3:::acme-%s-%.6s", nm, hexs);
			break;
		case K_DB:
			rid = s->svc[7] == 'D' ? xfmt("arn:aws:dynamodb:%s:%s:table/%s", region, acct, nm)
					       : xfmt("arn:aws:rds:%s:%s:db:%s", region, acct, nm);
			break;
		case K_DWH:
			rid = xfmt("arn:aws:redshift:%s:%s:namespace:%s", region, acct, hexs);
			break;
		case K_K8S:
			rid = xfmt("arn:aws:eks:%s:%s:cluster/%s-eks", region, acct, slug);
			break;
		case K_NAT:
			rid = xfmt("arn:aws:ec2:%s:%s:natgateway/nat-0%s", region, acct, hexs);
			break;
		case K_SERVERLESS:
			rid = xfmt("arn:aws:lambda:%s:%s:function:%s", region, acct, nm);
			break;
		case K_MONITORING:
			rid = xfmt("arn:aws:logs:%s:%s:log-group:/aws/%s", region, acct, nm);
			break;
		default:
			rid = rng_pct(&r, 50) ? xfmt("%s-%s", region, hexs) : NULL;
			break;
		}
		break;
	case AZURE: {
		const char *provns;
		switch (kind) {
		case K_GPU_VM: case K_CPU_VM: provns = "Microsoft.Compute/virtualMachines"; break;
		case K_BLOCK_STORAGE: provns = "Microsoft.Compute/disks"; break;
		case K_ML_ENDPOINT: provns = "Microsoft.MachineLearningServices/workspaces/mlw-shared/onlineEndpoints"; break;
		case K_ML_TRAINING: provns = "Microsoft.MachineLearningServices/workspaces/mlw-shared/computes"; break;
		case K_ML_NOTEBOOK: provns = "Microsoft.MachineLearningServices/workspaces/mlw-shared/computes"; break;
		case K_OBJ_STORAGE: provns = "Microsoft.Storage/storageAccounts"; break;
		case K_DB: provns = "Microsoft.Sql/servers"; break;
		case K_DWH: provns = "Microsoft.Synapse/workspaces"; break;
		case K_K8S: provns = "Microsoft.ContainerService/managedClusters"; break;
		case K_NAT: provns = "Microsoft.Network/natGateways"; break;
		case K_SERVERLESS: provns = "Microsoft.Web/sites"; break;
		case K_MONITORING: provns = "Microsoft.OperationalInsights/workspaces"; break;
		default: provns = "Microsoft.Network/publicIPAddresses"; break;
		}
		if (kind == K_OBJ_STORAGE) {
			/* Storage account names: 3-24 lower-case alphanumerics. */
			char sa[25];
			snprintf(sa, sizeof sa, "st%.10s%.12s", team_slug[team], hexs);
			rid = xfmt("%s/resourceGroups/rg-%s-%s/providers/%s/%s", acct, team_slug[team],
				   region, provns, sa);
		} else {
			rid = xfmt("%s/resourceGroups/rg-%s-%s/providers/%s/%s", acct, team_slug[team],
				   region, provns, nm);
		}
		break;
	}
	default:
		switch (kind) {
		case K_GPU_VM: case K_CPU_VM:
			rid = xfmt("//compute.googleapis.com/projects/%s/zones/%s/instances/%s", acct, pv->zones[reg], nm);
			break;
		case K_BLOCK_STORAGE:
			rid = xfmt("//compute.googleapis.com/projects/%s/zones/%s/disks/%s", acct, pv->zones[reg], nm);
			break;
		case K_ML_ENDPOINT:
			rid = xfmt("//aiplatform.googleapis.com/projects/%s/locations/%s/endpoints/%llu", acct, region,
				   (unsigned long long)(h % 9000000000000000000ULL + 1000000000000000000ULL));
			break;
		case K_ML_TRAINING:
			rid = xfmt("//aiplatform.googleapis.com/projects/%s/locations/%s/customJobs/%llu", acct, region,
				   (unsigned long long)(h % 9000000000000000000ULL + 1000000000000000000ULL));
			break;
		case K_ML_NOTEBOOK:
			rid = xfmt("//notebooks.googleapis.com/projects/%s/locations/%s/instances/%s", acct, pv->zones[reg], nm);
			break;
		case K_OBJ_STORAGE:
			rid = xfmt("//storage.googleapis.com/projects/_/buckets/acme-%s-%.6s", nm, hexs);
			break;
		case K_DB:
			rid = xfmt("//cloudsql.googleapis.com/projects/%s/instances/%s", acct, nm);
			break;
		case K_DWH:
			rid = xfmt("//bigquery.googleapis.com/projects/%s/datasets/%s", acct, slug);
			break;
		case K_K8S:
			rid = xfmt("//container.googleapis.com/projects/%s/locations/%s/clusters/%s-gke", acct, region, slug);
			break;
		case K_SERVERLESS:
			rid = xfmt("//run.googleapis.com/projects/%s/locations/%s/services/%s", acct, region, nm);
			break;
		default:
			rid = rng_pct(&r, 50) ? xfmt("//logging.googleapis.com/projects/%s/%s", acct, nm) : NULL;
			break;
		}
		break;
	}

	uint64_t sh = strhash(s->type) ^ strhash(s->meter) ^ (uint64_t)reg * 7919 ^ (uint64_t)prov;
	char *skuid = prov == AZURE ? guid(sh) : prov == GCP ?
		xfmt("%04llX-%04llX-%04llX", (unsigned long long)(sh & 0xffff),
		     (unsigned long long)(sh >> 16 & 0xffff), (unsigned long long)(sh >> 32 & 0xffff)) :
		upper_alnum(sh, 16);
	char *rate = upper_alnum(mix64(sh ^ (uint64_t)(committed + 2)), 10);
	sv[S_SKU_ID] = skuid;
	sv[S_SKU_PRICE_ID] = xfmt("%s.JRTCKXETXF.%s", skuid, rate);
	if (s->cores)
		sv[S_SKU_PRICE_DETAILS] = s->gpus ?
			xfmt("{\"InstanceType\":\"%s\",\"CoreCount\":%d,\"MemorySize\":%d,\"GpuCount\":%d,\"x_GpuModel\":\"%s\"}",
			     s->type, s->cores, s->mem_gib, s->gpus, s->gpu) :
			xfmt("{\"InstanceType\":\"%s\",\"CoreCount\":%d,\"MemorySize\":%d}", s->type, s->cores, s->mem_gib);
	else if (kind == K_OBJ_STORAGE || kind == K_BLOCK_STORAGE)
		sv[S_SKU_PRICE_DETAILS] = xfmt("{\"StorageClass\":\"%s\"}", s->type);
	sv[S_SVC_NAME] = (char *)s->svc;
	sv[S_SVC_CAT] = (char *)s->cat;
	sv[S_SVC_SUB] = (char *)s->sub;
	sv[S_RESOURCE_TYPE] = (char *)s->rtype;
	sv[S_RESOURCE_ID] = rid;
	sv[S_RESOURCE_NAME] = rid ? nm : NULL;
	sv[S_SKU_METER] = (char *)s->meter;
	sv[S_CONSUMED_UNIT] = (char *)s->cunit;
	sv[S_PRICING_UNIT] = (char *)s->punit;
	sv[S_AZ] = (kind == K_GPU_VM || kind == K_CPU_VM || kind == K_BLOCK_STORAGE) && *pv->zones[reg] ?
		   (char *)pv->zones[reg] : NULL;
	if (s->pq_div > 1)
		sv[S_CHARGE_DESC] = xfmt("$%g per %lld %s - %s (%s)", s->price, (long long)s->pq_div, s->cunit,
					 s->type, pv->region_names[reg]);
	else
		sv[S_CHARGE_DESC] = xfmt("$%g per %s %s (%s)", s->price, s->type,
					 !strcmp(s->punit, "Hours") || !strcmp(s->punit, "1 Hour") ? "hour" : s->punit,
					 pv->region_names[reg]);
	sv[S_LIST_UP] = price_str(l->p_list);
	sv[S_CONTRACTED_UP] = price_str(l->p_contr);
	line_compile(l, sv);
	free(sv[S_SKU_PRICE_ID]);
	free(sv[S_SKU_PRICE_DETAILS]);
	free(sv[S_CHARGE_DESC]);
	free(sv[S_LIST_UP]);
	free(sv[S_CONTRACTED_UP]);
	free(skuid);
	free(rate);
	free(rid);
	free(tags);
}

/* ===== Row emission ======================================================= */

static FILE *out;
static char *obuf;
static size_t olen;
#define OBUF_SIZE (4u << 20)
#define ROW_MAX 8192

static void oflush(void)
{
	if (olen && fwrite(obuf, 1, olen, out) != olen)
		die("write: %s", strerror(errno));
	olen = 0;
}

struct rowvals {
	const char *cp_start, *cp_end, *bp_start, *bp_end;  /* 20-char timestamps */
	int64_t billed, effective, list, contracted;         /* 1e-10 */
	int64_t consumed, pricing;                           /* 1e-9 */
	int has_consumed, has_pricing;                       /* else null */
};

static inline void emit(const struct line *l, const struct rowvals *v)
{
	if (olen + ROW_MAX > OBUF_SIZE)
		oflush();
	char *p = obuf + olen;
	for (int k = 0; k < ndyn; k++) {
		uint32_t a = l->off[k], b = l->off[k + 1];
		memcpy(p, l->seg + a, b - a);
		p += b - a;
		switch (dyn_order[k]) {
		case D_BILLED: p += fmt_cost(p, v->billed); break;
		case D_EFFECTIVE: p += fmt_cost(p, v->effective); break;
		case D_LIST: p += fmt_cost(p, v->list); break;
		case D_CONTRACTED: p += fmt_cost(p, v->contracted); break;
		case D_CONSUMED: if (v->has_consumed) p += fmt_qty(p, v->consumed); break;
		case D_PRICING_Q: if (v->has_pricing) p += fmt_qty(p, v->pricing); break;
		case D_CP_START: memcpy(p, v->cp_start, 20); p += 20; break;
		case D_CP_END: memcpy(p, v->cp_end, 20); p += 20; break;
		case D_BP_START: memcpy(p, v->bp_start, 20); p += 20; break;
		case D_BP_END: memcpy(p, v->bp_end, 20); p += 20; break;
		}
	}
	uint32_t a = l->off[ndyn], b = l->off[ndyn + 1];
	memcpy(p, l->seg + a, b - a);
	p += b - a;
	olen = (size_t)(p - obuf);
}

/* Hour-of-day traffic shape (UTC, a European/US bank): low at night. */
static const uint16_t diurnal_pm[24] = {
	450, 380, 340, 320, 330, 380, 500, 700, 900, 1100, 1250, 1320,
	1350, 1380, 1400, 1420, 1380, 1300, 1200, 1080, 950, 800, 650, 520,
};

static inline void usage_row(const struct line *l, struct rng *r, int32_t h, int hod,
			     int32_t hours, struct rowvals *v)
{
	int64_t q = l->q_base;
	switch (l->qmodel) {
	case Q_FIXED:
		break;
	case Q_NOISE: {
		int64_t n = (int64_t)rng_below(r, (uint32_t)(2 * l->noise_pm + 1)) - l->noise_pm;
		q += muldiv(q, n, 1000);
		break;
	}
	case Q_DIURNAL: {
		int64_t n = (int64_t)rng_below(r, (uint32_t)(2 * l->noise_pm + 1)) - l->noise_pm;
		q = muldiv(q, (int64_t)diurnal_pm[hod] * (1000 + n), 1000000);
		break;
	}
	case Q_GROWTH: {
		/* +30% over the planned period, plus a little jitter. */
		int64_t g = 1000 + (int64_t)h * 300 / (hours > 0 ? hours : 1);
		int64_t n = (int64_t)rng_below(r, 11) - 5;
		q = muldiv(q, g + n, 1000);
		break;
	}
	}
	if (l->qint)
		q = q / QTY_SCALE * QTY_SCALE;
	if (q <= 0)
		q = l->qint ? QTY_SCALE : 1;
	int64_t pq = l->pq_div == 1 ? q : muldiv(q, 1, l->pq_div);
	v->consumed = q;
	v->pricing = pq;
	v->list = muldiv(pq, l->p_list, QTY_SCALE);
	v->contracted = muldiv(pq, l->p_contr, QTY_SCALE);
	v->effective = muldiv(pq, l->p_eff, QTY_SCALE);
	v->billed = l->billed_zero ? 0 : v->effective;
}

/* ===== Month-level charges: purchases, tax, credits ====================== */

struct special {
	struct line line;
	int64_t billed, effective, list, contracted, pricing;
	int has_qty;
};

/* Build the fixed set of month-level rows for one month. */
static int build_specials(struct special **outp, const struct estate *e, uint64_t seed,
			  int64_t mstart, int64_t mend)
{
	double hours = (double)(mend - mstart) / 3600.0;
	double est[NPROV] = { 0 };
	for (size_t i = 0; i < e->n; i++)
		est[e->lines[i].prov] += e->lines[i].est_hourly_eff * hours;
	struct special *sp = xmalloc(32 * sizeof(*sp));
	int n = 0;
	char *sv[S__N];

	for (int c = 0; c < NCOMMITS; c++) {
		if (commits[c].hourly <= 0)
			continue;
		const struct provider *pv = &provs[commits[c].prov];
		struct special *s = &sp[n++];
		memset(s, 0, sizeof(*s));
		memset(sv, 0, sizeof(sv));
		int sub = find_sub(commits[c].prov, commits[c].prov == AZURE ? "ml-platform-prod-az" : "ml-platform-prod");
		int64_t fee = to_fixed(commits[c].hourly * hours, 100) * (COST_SCALE / 100);
		s->billed = fee;
		s->effective = 0;  /* amortized into the covered usage rows */
		s->list = 0;
		s->contracted = 0;
		s->pricing = to_fixed(hours, 1) * QTY_SCALE;
		s->has_qty = 1;
		sv[S_BA_ID] = (char *)pv->ba_id; sv[S_BA_NAME] = (char *)pv->ba_name; sv[S_BA_TYPE] = (char *)pv->ba_type;
		sv[S_CURRENCY] = "USD"; sv[S_PRICING_CUR] = "USD";
		sv[S_CHARGE_CAT] = "Purchase"; sv[S_CHARGE_FREQ] = "Recurring";
		sv[S_CHARGE_DESC] = xfmt("%s monthly commitment fee", commits[c].name);
		sv[S_CD_ID] = commits[c].id; sv[S_CD_NAME] = (char *)commits[c].name;
		sv[S_CD_TYPE] = (char *)commits[c].type; sv[S_CD_CAT] = (char *)commits[c].category;
		sv[S_PRICING_CAT] = "Committed"; sv[S_PRICING_UNIT] = "Hours";
		sv[S_INVOICE_ISSUER] = (char *)pv->issuer; sv[S_PROVIDER] = (char *)pv->name; sv[S_PUBLISHER] = (char *)pv->publisher;
		sv[S_RESOURCE_ID] = commits[c].id; sv[S_RESOURCE_TYPE] = (char *)commits[c].type;
		sv[S_SVC_NAME] = commits[c].prov == AWS ? "Savings Plans for AWS Compute usage" :
				 commits[c].prov == AZURE ? "Virtual Machines" : "Compute Engine";
		sv[S_SVC_CAT] = "Compute";
		sv[S_SUB_ID] = subs[sub].id; sv[S_SUB_NAME] = (char *)subs[sub].name; sv[S_SUB_TYPE] = (char *)pv->sub_type;
		sv[S_TAGS] = "{\"team\":\"platform\",\"cost-center\":\"CC-4310\"}";
		line_compile(&s->line, sv);
		free(sv[S_CHARGE_DESC]);
	}

	/* Marketplace, tax and credits, each a share of the provider's month. */
	static const struct {
		int prov; const char *cat, *sub, *svc, *svccat, *publisher, *desc, *tags;
		double share;
	} extra[] = {
		{ AWS, "Purchase", "data-lake-prod", "Databricks Data Intelligence Platform", "Analytics", "Databricks",
		  "Databricks DBU commitment (AWS Marketplace)", NULL, 0.015 },
		{ AZURE, "Purchase", "corp-it-shared", "Datadog", "Management and Governance", "Datadog",
		  "Datadog Pro (Azure Marketplace)", NULL, 0.010 },
		{ GCP, "Purchase", "vertex-genai-prod", "Anthropic Claude on Vertex", "AI and Machine Learning", "Anthropic",
		  "Claude provisioned throughput (Google Cloud Marketplace)", "{\"team\":\"chatbot\"}", 0.010 },
		{ AWS, "Tax", "core-banking-prod", NULL, NULL, NULL, "Tax for billing period", NULL, 0.006 },
		{ AWS, "Tax", "ml-platform-prod", NULL, NULL, NULL, "Tax for billing period", NULL, 0.006 },
		{ AZURE, "Tax", "corp-it-shared", NULL, NULL, NULL, "VAT", NULL, 0.008 },
		{ AWS, "Credit", "genai-prod", "Amazon Bedrock", "AI and Machine Learning", NULL,
		  "AWS Generative AI Accelerator credit", NULL, -0.010 },
		{ GCP, "Credit", "vertex-genai-prod", "Vertex AI", "AI and Machine Learning", NULL,
		  "Vertex AI promotional credit", NULL, -0.015 },
	};
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		const struct provider *pv = &provs[extra[i].prov];
		struct special *s = &sp[n++];
		memset(s, 0, sizeof(*s));
		memset(sv, 0, sizeof(sv));
		int sub = find_sub(extra[i].prov, extra[i].sub);
		struct rng r = { mix64(seed ^ (uint64_t)mstart ^ (i * 7777)) };
		double amt = est[extra[i].prov] * extra[i].share * (0.9 + 0.2 * rng_f01(&r));
		int64_t a = to_fixed(amt, 100) * (COST_SCALE / 100);
		s->billed = a;
		s->effective = a;
		s->list = !strcmp(extra[i].cat, "Purchase") ? a : 0;
		s->contracted = s->list;
		if (!strcmp(extra[i].cat, "Purchase")) {
			s->pricing = QTY_SCALE;
			s->has_qty = 1;
			sv[S_PRICING_UNIT] = "Units";
			sv[S_PRICING_CAT] = "Standard";
			sv[S_CHARGE_FREQ] = "One-Time";
			sv[S_RESOURCE_ID] = xfmt("marketplace/%s/%s", extra[i].publisher, subs[sub].id);
		} else {
			sv[S_CHARGE_FREQ] = "Recurring";
		}
		sv[S_BA_ID] = (char *)pv->ba_id; sv[S_BA_NAME] = (char *)pv->ba_name; sv[S_BA_TYPE] = (char *)pv->ba_type;
		sv[S_CURRENCY] = "USD"; sv[S_PRICING_CUR] = "USD";
		sv[S_CHARGE_CAT] = (char *)extra[i].cat;
		sv[S_CHARGE_DESC] = (char *)extra[i].desc;
		sv[S_INVOICE_ISSUER] = (char *)pv->issuer; sv[S_PROVIDER] = (char *)pv->name;
		sv[S_PUBLISHER] = (char *)(extra[i].publisher ? extra[i].publisher : pv->publisher);
		sv[S_SVC_NAME] = (char *)extra[i].svc; sv[S_SVC_CAT] = (char *)extra[i].svccat;
		sv[S_SUB_ID] = subs[sub].id; sv[S_SUB_NAME] = (char *)subs[sub].name; sv[S_SUB_TYPE] = (char *)pv->sub_type;
		sv[S_TAGS] = (char *)extra[i].tags;
		line_compile(&s->line, sv);
		free(sv[S_RESOURCE_ID]);
	}
	*outp = sp;
	return n;
}

/* ===== Main =============================================================== */

static void usage(void)
{
	fputs("usage: gen_focus [--rows N] [--seed S] [--days D] [--profile bench|demo]\n"
	      "                 [--start YYYY-MM-DD] [-o FILE]\n"
	      "Writes a synthetic FOCUS 1.2 cost-and-usage CSV (hourly line items of an\n"
	      "AI-heavy multi-cloud estate) to stdout or FILE. Deterministic per seed.\n"
	      "  bench (default): 1000000 rows, 92 days from 2026-07-01\n"
	      "  demo:            80000 rows, 30 days from 2026-09-01\n", stderr);
	exit(2);
}

static long long parse_num(const char *opt, const char *s)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < 0)
		die("%s: not a non-negative integer: %s", opt, s);
	return v;
}

int main(int argc, char **argv)
{
	long long rows = -1, days = -1;
	uint64_t seed = 42;
	const char *start = NULL, *ofile = NULL;
	int demo = 0;

	/* Every option takes a value, so options come in pairs. */
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			usage();
		if (!v)
			usage();
		if (!strcmp(a, "--rows"))
			rows = parse_num(a, v);
		else if (!strcmp(a, "--seed"))
			seed = (uint64_t)parse_num(a, v);
		else if (!strcmp(a, "--days"))
			days = parse_num(a, v);
		else if (!strcmp(a, "--start"))
			start = v;
		else if (!strcmp(a, "-o") || !strcmp(a, "--output"))
			ofile = v;
		else if (!strcmp(a, "--profile")) {
			if (!strcmp(v, "demo"))
				demo = 1;
			else if (strcmp(v, "bench"))
				die("--profile: bench or demo, not %s", v);
		} else
			usage();
	}
	if (rows < 0)
		rows = demo ? 80000 : 1000000;
	if (days <= 0)
		days = demo ? 30 : 92;
	if (!start)
		start = demo ? "2026-09-01" : "2026-07-01";
	int y, m, d;
	if (sscanf(start, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
		die("--start: want YYYY-MM-DD, got %s", start);
	int64_t t0 = days_from_civil(y, m, d) * 86400;

	out = stdout;
	if (ofile && strcmp(ofile, "-")) {
		out = fopen(ofile, "wb");
		if (!out)
			die("%s: %s", ofile, strerror(errno));
	}
	obuf = xmalloc(OBUF_SIZE);

	for (int c = 0; c < NCOLS; c++)
		if (columns[c].dyn >= 0)
			dyn_order[ndyn++] = columns[c].dyn;

	init_subs(seed);
	init_commits(seed);

	/*
	 * Size the estate: add resources until the planned period holds at
	 * least `rows` rows, so distinct resources ~ rows / (24 * days) and the
	 * file ends inside the last day rather than spilling past it.
	 */
	struct estate e = { 0 };
	e.profile_demo = demo;
	e.hours = (int32_t)(days * 24);
	int64_t nmonths = 0;
	for (int64_t ms = month_start(t0); ms < t0 + (int64_t)e.hours * 3600; ms = next_month(ms))
		nmonths++;
	long long special_rows = nmonths * 12;  /* upper bound, refined below */
	long long planned = 0;
	for (uint64_t u = 0; rows > 0 && (u == 0 || planned + special_rows < rows); u++) {
		size_t before = e.n;
		add_unit(&e, seed, u);
		for (size_t i = before; i < e.n; i++)
			for (int32_t h = 0; h < e.hours; h++)
				planned += line_active(&e.lines[i], h, t0 + (int64_t)h * 3600);
	}

	/* Header. */
	for (int c = 0; c < NCOLS; c++) {
		size_t n = strlen(columns[c].name);
		memcpy(obuf + olen, columns[c].name, n);
		olen += n;
		obuf[olen++] = c + 1 < NCOLS ? ',' : '\n';
	}

	struct rng r = { seed ^ 0x5eed5eed5eedULL };
	long long written = 0;
	char cps[21], cpe[21], bps[21], bpe[21];
	int64_t cur_month = INT64_MIN;
	struct rowvals v = { .has_consumed = 1, .has_pricing = 1 };
	for (int32_t h = 0; written < rows; h++) {
		int64_t ts = t0 + (int64_t)h * 3600;
		int64_t ms = month_start(ts);
		if (h > e.hours * 4 + 24 * 400)
			die("internal: estate too small for %lld rows", rows);
		if (ms != cur_month) {
			/* New billing period: its month-level charges first. */
			cur_month = ms;
			int64_t me = next_month(ms);
			fmt_ts(bps, ms);
			fmt_ts(bpe, me);
			struct special *sp;
			int ns = build_specials(&sp, &e, seed, ms, me);
			for (int i = 0; i < ns && written < rows; i++) {
				struct rowvals sv = {
					.cp_start = bps, .cp_end = bpe, .bp_start = bps, .bp_end = bpe,
					.billed = sp[i].billed, .effective = sp[i].effective,
					.list = sp[i].list, .contracted = sp[i].contracted,
					/* Purchases are priced, not consumed; tax and
					 * credits have neither. */
					.pricing = sp[i].pricing, .has_pricing = sp[i].has_qty,
				};
				emit(&sp[i].line, &sv);
				written++;
			}
			for (int i = 0; i < ns; i++)
				free(sp[i].line.seg);
			free(sp);
		}
		fmt_ts(cps, ts);
		fmt_ts(cpe, ts + 3600);
		v.cp_start = cps;
		v.cp_end = cpe;
		v.bp_start = bps;
		v.bp_end = bpe;
		int hod = (int)(ts / 3600 % 24);
		for (size_t i = 0; i < e.n && written < rows; i++) {
			const struct line *l = &e.lines[i];
			if (!line_active(l, h, ts))
				continue;
			usage_row(l, &r, h, hod, e.hours, &v);
			emit(l, &v);
			written++;
		}
	}
	oflush();
	if (out != stdout ? fclose(out) != 0 : fflush(out) != 0)
		die("write: %s", strerror(errno));
	fprintf(stderr, "gen_focus: %lld rows, %zu line items, %d columns, seed %llu\n", written, e.n, NCOLS,
		(unsigned long long)seed);
	for (size_t i = 0; i < e.n; i++)
		free(e.lines[i].seg);
	free(e.lines);
	free(obuf);
	return 0;
}
