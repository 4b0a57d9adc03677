/*
 * embed.c - the built-in lexical embedder and the salient-token guard
 * (see embed.h).
 *
 * Words: runs of ASCII letters/digits and non-ASCII bytes (so accented
 * and non-Latin words stay whole), lower-cased; "n't" becomes "not" and
 * other English clitics ('s 're 'll 've 'd 'm) are dropped. A word is then
 * mapped through a small thesaurus of enterprise-prompt synonyms
 * (summarise/summary/recap -> summarize, bug/issue -> error, ...) and a
 * crude suffix stemmer, so paraphrases share features.
 *
 * Features (signed feature hashing into EMBED_DIM buckets):
 *   - unigrams of non-stopwords, weight 1.0
 *   - bigrams of consecutive non-stopwords, unordered ("pancake recipe" =
 *     "recipe for pancakes"), weight 0.7
 *   - character 3-grams of " word " (with boundary marks), weight 0.25 in
 *     total per word, spread over its grams (robust to typos and
 *     inflections the stemmer misses)
 * Bucket values are summed, then made sublinear (sign(x) * log(1 + |x|),
 * the hashed analogue of 1 + log tf) and L2-normalized.
 *
 * The guard's signature is computed from the raw text (case kept); see
 * embed_salient below for the token classes.
 */
#include <ctype.h>
#include <pthread.h>
#include <math.h>
#include <string.h>
#include "gateway/embed.h"

/* The word lexicon (all word lists of this file in one hash table; built
 * once, see lex_build below). */
enum { L_STOP = 1, L_NEG = 2, L_START = 4 };

struct lex_ent {
	const char *w;
	uint8_t n, flags;
	int16_t syn, cls, num;   /* thesaurus row, class row, number word; -1 = none */
};

static const struct lex_ent *lex_get(const char *w, size_t n);
static int lex_flag(const char *w, size_t n, int flag);

/* ---- words ----------------------------------------------------------- */

static int wordch(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static uint64_t fnv(const char *s, size_t n, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (seed * 0x9e3779b97f4a7c15ULL);
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	/* final avalanche: FNV's low bits are weak for short keys */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static const char *const stopwords[] = {
	"a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "with", "by", "from", "as", "is", "are",
	"was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "i", "me", "my", "we",
	"our", "us", "you", "your", "he", "she", "they", "them", "their", "his", "her", "do", "does", "did", "can",
	"could", "would", "should", "will", "shall", "may", "might", "must", "please", "kindly", "some", "any", "into",
	"about", "what", "which", "who", "whom", "there", "here", "so", "if", "then", "than", "also", "just", "me",
	"let", "lets", "hey", "hi", "hello", "thanks", "thank", "ok", "okay", "up", "out", "get", "got", "give", "tell",
	"how", "way", "s", "t", "d", "ll", "re", "ve", "m", "am", "have", "has", "had", "want", "need", "like", "im",
	"pls", "plz", "following", "below", "above", "provided", "given", "help", "something", "one", "when",
	"where", "whether", "possible", "able", "very", "really", "quick", "question", "thing", "things", NULL,
};

/* Thesaurus: each row maps the words after the first to the first. */
static const char *const thesaurus[][10] = {
	{ "summarize", "summarise", "summary", "summaries", "summarization", "tldr", "recap", "condense", NULL },
	{ "explain", "describe", "clarify", "explanation", "description", "elaborate", NULL },
	{ "write", "draft", "compose", "create", "generate", "produce", "craft", NULL },
	{ "fix", "repair", "resolve", "debug", "solve", "troubleshoot", NULL },
	{ "error", "bug", "issue", "problem", "exception", "failure", "errors", "bugs", "issues", NULL },
	{ "customer", "client", "customers", "clients", "buyer", NULL },
	{ "refund", "reimburse", "reimbursement", "refunds", "moneyback", NULL },
	{ "cancel", "terminate", "cancellation", "stop", NULL },
	{ "email", "mail", "emails", "e", NULL },
	{ "order", "purchase", "orders", "purchases", NULL },
	{ "ship", "shipping", "delivery", "deliver", "shipment", "shipped", "delivered", NULL },
	{ "list", "enumerate", "itemize", NULL },
	{ "find", "identify", "locate", "detect", "spot", "flag", NULL },
	{ "short", "brief", "briefly", "concise", "concisely", "quick", "quickly", "succinct", NULL },
	{ "large", "big", "huge", NULL },
	{ "function", "method", "func", "routine", NULL },
	{ "code", "script", "snippet", "program", NULL },
	{ "document", "doc", "docs", "documentation", NULL },
	{ "improve", "optimize", "optimise", "enhance", "speed", NULL },
	{ "rewrite", "rephrase", "reword", "paraphrase", "polish", NULL },
	{ "analyze", "analyse", "analysis", "assess", "evaluate", "examine", "review", NULL },
	{ "suspicious", "fraudulent", "fraud", "suspect", "anomalous", NULL },
	{ "transaction", "transactions", "payment", "payments", "transfer", "charge", NULL },
	{ "account", "accounts", "profile", NULL },
	{ "reason", "reasons", "why", "cause", "causes", NULL },
	{ "classify", "categorize", "categorise", "classification", "category", "label", NULL },
	{ "extract", "pull", "retrieve", NULL },
	{ "show", "display", "print", "output", NULL },
	{ "steps", "step", "instructions", "procedure", "process", "guide", NULL },
	{ "meaning", "mean", "means", "definition", "define", NULL },
	{ "difference", "differences", "compare", "comparison", "versus", "vs", "differ", NULL },
	{ "question", "questions", "query", "ask", NULL },
	{ "answer", "reply", "respond", "response", NULL },
	{ "password", "passcode", "credentials", NULL },
	{ "reset", "recover", NULL },
	{ "login", "signin", "logon", NULL },
	{ "policy", "policies", "rules", "rule", NULL },
	{ "test", "tests", "testing", NULL },
};

/* Crude English stemmer, applied in steps so that inflections of one word
 * meet: arrive/arrives/arrived/arriving -> "arriv", policy/policies ->
 * "polici", quickly -> "quick", detection -> "detect". Returns the stem
 * length (the stem is a prefix of w, except for the y -> i rewrite, which
 * is done in place). */
static size_t stem(char *w, size_t n)
{
	if (n <= 3)
		return n;
	if (n > 4 && memcmp(w + n - 3, "ies", 3) == 0)
		n -= 2; /* -> "i" */
	else if (n > 4 && memcmp(w + n - 3, "ied", 3) == 0)
		n -= 2;
	else if (n > 5 && memcmp(w + n - 3, "ing", 3) == 0)
		n -= 3;
	else if (n > 4 && memcmp(w + n - 2, "ed", 2) == 0)
		n -= 2;
	else if (n > 5 && memcmp(w + n - 2, "ly", 2) == 0)
		n -= 2;
	else if (w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u' && w[n - 2] != 'i')
		n -= 1;
	if (n > 5 && memcmp(w + n - 3, "ion", 3) == 0 && (w[n - 4] == 't' || w[n - 4] == 's'))
		n -= 3;
	if (n > 3 && w[n - 1] == 'e')
		n -= 1;
	if (n > 3 && w[n - 1] == 'y')
		w[n - 1] = 'i';
	if (n > 3 && w[n - 1] == w[n - 2] && w[n - 1] != 'l' && w[n - 1] != 's' && w[n - 1] != 'z' &&
	    !strchr("aeiou", w[n - 1]))
		n -= 1; /* stopped -> stop */
	return n;
}


struct tok {
	char s[48];
	size_t n;
	int stop;
};

/* The next normalized word of text[*pos..len); 0 at the end. */
static int next_word(const char *t, size_t len, size_t *pos, struct tok *w)
{
	size_t i = *pos;
	for (;;) {
		while (i < len && !wordch((unsigned char)t[i]))
			i++;
		if (i >= len) {
			*pos = i;
			return 0;
		}
		size_t b = i;
		while (i < len && wordch((unsigned char)t[i]))
			i++;
		size_t n = i - b;
		int neg = 0;
		/* clitics: n't -> not; 's 're 'll 've 'd 'm dropped */
		if (i + 1 < len && (t[i] == '\'' || (unsigned char)t[i] == 0xE2)) {
			size_t q = t[i] == '\'' ? i + 1 : (i + 2 < len && (unsigned char)t[i + 1] == 0x80 &&
							  (unsigned char)t[i + 2] == 0x99) ? i + 3 : 0;
			if (q && q < len && (t[q] == 't' || t[q] == 'T') && n > 1 && (t[i - 1] == 'n' || t[i - 1] == 'N') &&
			    (q + 1 >= len || !wordch((unsigned char)t[q + 1]))) {
				neg = 1;
				n--;
				i = q + 1;
			} else if (q && q < len) {
				size_t e = q;
				while (e < len && wordch((unsigned char)t[e]))
					e++;
				if (e - q <= 2)
					i = e;
			}
		}
		if (n > sizeof w->s - 1)
			n = sizeof w->s - 1;
		for (size_t k = 0; k < n; k++)
			w->s[k] = (char)tolower((unsigned char)t[b + k]);
		w->n = n;
		if (neg) {
			/* emit the verb now and "not" at the next call: rewind to the quote */
			if (n == 2 && memcmp(w->s, "ca", 2) == 0)
				memcpy(w->s, "can", 3), w->n = 3;
			else if (n == 2 && memcmp(w->s, "wo", 2) == 0)
				memcpy(w->s, "will", 4), w->n = 4;
			*pos = i; /* "not" is added by the caller through the flag below */
			w->stop = -1;
			return 1;
		}
		*pos = i;
		w->stop = 0;
		return 1;
	}
}

static void normalize_word(struct tok *w)
{
	size_t sn;
	const struct lex_ent *e = lex_get(w->s, w->n);
	const char *syn = e && e->syn >= 0 ? thesaurus[e->syn][0] : NULL;
	if (syn)
		sn = strlen(syn);
	if (!syn)
		w->n = stem(w->s, w->n);
	if (syn) {
		memcpy(w->s, syn, sn);
		w->n = sn;
	}
	w->s[w->n] = '\0';
}

static void add(float *acc, uint64_t h, float w)
{
	acc[h % EMBED_DIM] += (h >> 63) ? -w : w;
}

size_t embed_lexical(const char *text, size_t len, float out[EMBED_DIM])
{
	float acc[EMBED_DIM];
	size_t pos = 0, nfeat = 0;
	struct tok w, prev = { .n = 0 };
	int have_prev = 0;
	memset(acc, 0, sizeof acc);
	if (len > EMBED_MAX_TEXT)
		len = EMBED_MAX_TEXT;
	for (;;) {
		struct tok cur[2];
		int ncur = 0;
		if (!next_word(text, len, &pos, &w))
			break;
		int neg = w.stop == -1;
		cur[ncur++] = w;
		if (neg) {
			memcpy(cur[ncur].s, "not", 4);
			cur[ncur].n = 3;
			ncur++;
		}
		for (int c = 0; c < ncur; c++) {
			struct tok *t = &cur[c];
			t->stop = lex_flag(t->s, t->n, L_STOP);
			if (t->stop)
				continue;
			/* character trigrams of the surface form, before stemming */
			if (t->n > sizeof t->s - 1)
				t->n = sizeof t->s - 1;
			char g[52];
			g[0] = ' ';
			memcpy(g + 1, t->s, t->n);
			g[t->n + 1] = ' ';
			size_t ng = t->n + 2 >= 3 ? t->n : 0;
			for (size_t k = 0; k < ng; k++)
				add(acc, fnv(g + k, 3, 3), 0.25f / (float)ng);
			normalize_word(t);
			add(acc, fnv(t->s, t->n, 1), 1.0f);
			nfeat++;
			if (have_prev) {
				/* unordered: "pancake recipe" and "recipe for pancakes" share it */
				const struct tok *x = &prev, *y = t;
				if (strcmp(x->s, y->s) > 0)
					x = t, y = &prev;
				char bg[100];
				memcpy(bg, x->s, x->n);
				bg[x->n] = ' ';
				memcpy(bg + x->n + 1, y->s, y->n);
				add(acc, fnv(bg, x->n + 1 + y->n, 2), 0.7f);
			}
			prev = *t;
			have_prev = 1;
		}
	}
	double norm2 = 0;
	for (int i = 0; i < EMBED_DIM; i++) {
		float a = acc[i];
		if (a == 0) { /* most buckets: skip the log */
			out[i] = 0;
			continue;
		}
		float v = a > 0 ? log1pf(a) : -log1pf(-a);
		out[i] = v;
		norm2 += (double)v * v;
	}
	if (norm2 <= 0) {
		memset(out, 0, EMBED_DIM * sizeof *out);
		return 0;
	}
	float inv = (float)(1.0 / sqrt(norm2));
	for (int i = 0; i < EMBED_DIM; i++)
		out[i] *= inv;
	return nfeat;
}

int embed_normalize(float *v, size_t dim)
{
	double n2 = 0;
	for (size_t i = 0; i < dim; i++) {
		if (!isfinite(v[i]))
			return -1;
		n2 += (double)v[i] * v[i];
	}
	if (n2 <= 0)
		return -1;
	float inv = (float)(1.0 / sqrt(n2));
	for (size_t i = 0; i < dim; i++)
		v[i] *= inv;
	return 0;
}

/* ---- the salient-token guard ----------------------------------------- */

enum { S_NUM = 1, S_ENT, S_CODE, S_QUOTE, S_CLASS, S_TARGET };

static const char *const negations[] = {
	"not", "no", "never", "none", "nothing", "neither", "nor", "without", "cannot", "nobody", "nowhere",
	"excluding", "except", "exclude", "avoid", NULL,
};

/* Words whose change flips the request although the rest is equal: each
 * row is one class (the signature holds the class, so synonyms inside a
 * row stay equal); words in different rows of one group are opposites. */
static const char *const classes[][9] = {
	/* direction */
	{ "increase", "raise", "rise", "higher", "grow", "growth", NULL },
	{ "decrease", "reduce", "lower", "decline", "shrink", "fall", "cut", NULL },
	{ "maximum", "max", "largest", "biggest", "highest", "top", NULL },
	{ "minimum", "min", "smallest", "lowest", "least", "fewest", "bottom", NULL },
	{ "best", "strongest", NULL },
	{ "worst", "weakest", NULL },
	{ "before", "earlier", "earliest", "oldest", "prior", NULL },
	{ "after", "later", "latest", "newest", NULL },
	{ "add", "insert", "append", "enable", "activate", "allow", "accept", "approve", "include" },
	{ "remove", "delete", "disable", "deactivate", "block", "deny", "reject", "rejection", "drop" },
	{ "buy", "purchase", "buying", NULL },
	{ "sell", "selling", "sale", NULL },
	{ "credit", "credits", NULL },
	{ "debit", "debits", NULL },
	{ "inbound", "incoming", "import", "upload", NULL },
	{ "outbound", "outgoing", "export", "download", NULL },
	{ "encrypt", "encryption", "encode", NULL },
	{ "decrypt", "decryption", "decode", NULL },
	{ "ascending", "asc", NULL },
	{ "descending", "desc", NULL },
	{ "positive", "pros", "advantages", "benefits", NULL },
	{ "negative", "cons", "disadvantages", "drawbacks", "risks", NULL },
	{ "true", NULL },
	{ "false", NULL },
	{ "yes", NULL },
	{ "daily", "day", "days", NULL },
	{ "today", "tonight", NULL },
	{ "yesterday", NULL },
	{ "tomorrow", NULL },
	{ "weekly", "week", "weeks", NULL },
	{ "monthly", "month", "months", NULL },
	{ "yearly", "annual", "annually", "year", "years", NULL },
	{ "hourly", "hour", "hours", NULL },
	/* task */
	{ "summarize", "summarise", "summary", "summarizing", "tldr", "recap", "condense", NULL },
	{ "translate", "translation", "translating", NULL },
	{ "classify", "categorize", "categorise", "classification", "categorization", NULL },
	{ "extract", "extraction", NULL },
	{ "rewrite", "rephrase", "reword", "paraphrase", NULL },
	{ "test", "tests", "unittest", NULL },
	{ "fix", "debug", "repair", NULL },
	{ "refactor", "refactoring", NULL },
	{ "sentiment", NULL },
	{ "write", "draft", "compose", "create", "generate", "produce", "craft", NULL },
	{ "optimize", "optimise", "optimization", "speed", NULL },
	{ "proofread", "grammar", "spellcheck", "typos", NULL },
	{ "reply", "respond", "response", NULL },
	{ "review", "audit", "critique", NULL },
	{ "count", NULL },
	{ "sum", "total", NULL },
	{ "average", "avg", NULL },
	{ "title", "headline", NULL },
	{ "outline", NULL },
	{ "quiz", NULL },
	{ "tweet", NULL },
	{ "haiku", NULL },
	{ "limerick", NULL },
	{ "sonnet", NULL },
	{ "agenda", NULL },
	{ "sql", NULL },
	/* languages and formats (lower case counts too) */
	{ "english", NULL },
	{ "french", NULL },
	{ "german", NULL },
	{ "spanish", NULL },
	{ "italian", NULL },
	{ "portuguese", NULL },
	{ "dutch", NULL },
	{ "japanese", NULL },
	{ "chinese", "mandarin", NULL },
	{ "korean", NULL },
	{ "russian", NULL },
	{ "arabic", NULL },
	{ "hindi", NULL },
		{ "python", NULL },
	{ "javascript", "js", NULL },
	{ "typescript", "ts", NULL },
	{ "java", NULL },
	{ "rust", NULL },
	{ "golang", NULL },
	{ "ruby", NULL },
	{ "php", NULL },
	{ "kotlin", NULL },
	{ "swift", NULL },
	{ "bash", "shell", NULL },
	{ "json", NULL },
	{ "yaml", "yml", NULL },
	{ "csv", NULL },
	{ "xml", NULL },
	{ "markdown", NULL },
	{ "html", NULL },
	{ "table", NULL },
	{ "bullet", "bullets", "bulleted", NULL },
	{ "paragraph", "paragraphs", NULL },
	{ "formal", NULL },
	{ "informal", "casual", NULL },
};

/* Sentence-initial words that are not names when capitalized. */
static const char *const starters[] = {
	"the", "a", "an", "this", "that", "these", "those", "what", "how", "why", "when", "where", "which", "who",
	"whose", "can", "could", "would", "should", "will", "is", "are", "was", "were", "do", "does", "did", "please",
	"i", "we", "you", "it", "my", "our", "your", "their", "in", "on", "for", "given", "here", "there", "if", "and",
	"but", "so", "also", "now", "then", "using", "based", "list", "give", "make", "create", "write", "draft",
	"summarize", "summarise", "explain", "describe", "translate", "tell", "show", "find", "generate", "provide",
	"help", "check", "review", "convert", "classify", "extract", "analyze", "analyse", "compare", "rewrite", "fix",
	"answer", "return", "suggest", "identify", "determine", "calculate", "compute", "estimate", "let", "hey", "hi",
	"hello", "thanks", "as", "act", "imagine", "consider", "assume", "take", "read", "look", "use", "add",
	"remove", "update", "send", "respond", "reply", "evaluate", "rate", "score", "be", "all", "any", "each", "every",
	"some", "no", "not", "only", "just", "briefly", "quickly", "kindly", "customer", "user", "client", "note",
	"also", "after", "before", "with", "without", "to", "of", "from", "by", "at", "about", "is", "has", "have",
	"had", "may", "might", "must", "shall", "need", "want", "keep", "avoid", "include", "ensure", "make", "produce",
	"output", "format", "return", "yes", "ok", "okay", "sure", "thank", "dear", "regards", "best", "subject",
	"hey", "question", "task", "context", "input", "instructions", "example", "draft", "email", "message",
	"ticket", "order", "issue", "problem", "error", "bug", "code", "function", "sql", "query", "data",
	"report", "summary", "reason", "detect", "flag", "mark", "label", "tag", "categorize", "sort", "group",
	"filter", "count", "outline", "propose", "recommend", "predict", "assess", "investigate", "verify",
	"validate", "debug", "refactor", "implement", "design", "build", "improve", "optimize", "shorten",
	"expand", "simplify", "clarify", "paraphrase", "rephrase", "polish", "proofread", "correct", "edit",
	"complete", "fill", "continue", "start", "begin", "stop", "why", "pretend", "you're", "i'm", "we're",
	"it's", "what's", "how's", "there's", "let's", "don't", "does", "doesn't", "isn't", "aren't", "can't",
	"won't", "summarizing", "explaining", "writing", "our", "their", "his", "her", "hers", "them", "they", "he",
	"she", "its", "me", "us", "him", "then", "next", "first", "second", "third", "finally", "lastly", "however",
	"otherwise", "additionally", "furthermore", "moreover", "thus", "therefore", "hence", "because", "since",
	"while", "although", "though", "yet", "or", "nor", "either", "neither", "both", "such", "many", "much", "more",
	"most", "few", "several", "other", "another", "same", "different", "new", "old", "good", "bad", "great",
	"important", "urgent", "quick", "short", "long", "simple", "brief", "detailed", "formal", "friendly", NULL,
};

static const char *const number_words[][2] = {
	{ "zero", "0" }, { "one", "1" }, { "two", "2" }, { "three", "3" }, { "four", "4" }, { "five", "5" }, { "six", "6" },
	{ "seven", "7" }, { "eight", "8" }, { "nine", "9" }, { "ten", "10" }, { "eleven", "11" }, { "twelve", "12" },
	{ "fifteen", "15" }, { "twenty", "20" }, { "thirty", "30" }, { "forty", "40" }, { "fifty", "50" },
	{ "hundred", "100" }, { "thousand", "1000" }, { "million", "1000000" }, { "billion", "1000000000" },
	{ "single", "1" }, { "once", "1" }, { "twice", "2" }, { "dozen", "12" }, { "half", "0.5" },
};

struct sigb {
	uint32_t h[64];
	size_t n;
	int neg;
};

static void sig_add(struct sigb *b, int cls, const char *s, size_t n)
{
	uint32_t h = (uint32_t)fnv(s, n, 100 + (uint64_t)cls);
	for (size_t i = 0; i < b->n; i++)
		if (b->h[i] == h)
			return;
	if (b->n < sizeof b->h / sizeof *b->h)
		b->h[b->n++] = h;
}

/* ---- one lookup per word --------------------------------------------- */

/* All the word lists above in one open-addressing table, built once: the
 * embedder and the guard look each word up once instead of scanning the
 * lists (that made them 20-40 us per prompt). */

#define LEX_SIZE 4096
static struct lex_ent lex[LEX_SIZE];
static pthread_once_t lex_once = PTHREAD_ONCE_INIT;

static struct lex_ent *lex_slot(const char *w, size_t n)
{
	size_t i = (size_t)fnv(w, n, 7) & (LEX_SIZE - 1);
	while (lex[i].w && !(lex[i].n == n && memcmp(lex[i].w, w, n) == 0))
		i = (i + 1) & (LEX_SIZE - 1);
	return &lex[i];
}

static struct lex_ent *lex_add(const char *w)
{
	size_t n = strlen(w);
	struct lex_ent *e = lex_slot(w, n);
	if (!e->w) {
		e->w = w;
		e->n = (uint8_t)n;
		e->syn = e->cls = e->num = -1;
	}
	return e;
}

static void lex_build(void)
{
	for (const char *const *p = stopwords; *p; p++)
		lex_add(*p)->flags |= L_STOP;
	for (const char *const *p = negations; *p; p++)
		lex_add(*p)->flags |= L_NEG;
	for (const char *const *p = starters; *p; p++)
		lex_add(*p)->flags |= L_START;
	/* a thesaurus word maps to its row's first word; the first row wins */
	for (int pass = 0; pass < 2; pass++)
		for (size_t r = 0; r < sizeof thesaurus / sizeof *thesaurus; r++)
			for (int k = pass ? 0 : 1; k < (pass ? 1 : 10) && thesaurus[r][k]; k++) {
				struct lex_ent *e = lex_add(thesaurus[r][k]);
				if (e->syn < 0)
					e->syn = (int16_t)r;
			}
	for (size_t r = 0; r < sizeof classes / sizeof *classes; r++)
		for (int k = 0; k < 9 && classes[r][k]; k++) {
			struct lex_ent *e = lex_add(classes[r][k]);
			if (e->cls < 0)
				e->cls = (int16_t)r;
		}
	for (size_t k = 0; k < sizeof number_words / sizeof *number_words; k++)
		lex_add(number_words[k][0])->num = (int16_t)k;
}

static const struct lex_ent *lex_get(const char *w, size_t n)
{
	pthread_once(&lex_once, lex_build);
	if (n == 0 || n > 255)
		return NULL;
	struct lex_ent *e = lex_slot(w, n);
	return e->w ? e : NULL;
}

static int lex_flag(const char *w, size_t n, int flag)
{
	const struct lex_ent *e = lex_get(w, n);
	return e && (e->flags & flag);
}

static int find_class1(const char *w, size_t n)
{
	const struct lex_ent *e = lex_get(w, n);
	return e ? e->cls : -1;
}

/* The class of a lower-case word, trying it as is, then without an
 * inflection (encrypted -> encrypt, accepted -> accept, drafts -> draft). */
static int find_class(const char *w, size_t n)
{
	int c = find_class1(w, n);
	if (c >= 0)
		return c;
	if (n > 4 && memcmp(w + n - 2, "ed", 2) == 0 && (c = find_class1(w, n - 2)) >= 0)
		return c;
	if (n > 4 && memcmp(w + n - 1, "d", 1) == 0 && (c = find_class1(w, n - 1)) >= 0)
		return c; /* "raised" -> "raise" */
	if (n > 5 && memcmp(w + n - 3, "ing", 3) == 0 && (c = find_class1(w, n - 3)) >= 0)
		return c;
	if (n > 3 && w[n - 1] == 's' && (c = find_class1(w, n - 1)) >= 0)
		return c;
	return -1;
}

/* Normalize a number token: drop thousands separators, a leading '+',
 * and trailing zeros of a fraction ("1,000.50" -> "1000.5"). */
static size_t norm_number(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;
	int frac = 0;
	for (size_t i = 0; i < n && k < cap - 1; i++) {
		char c = s[i];
		if (c == ',' )
			continue;
		if (c == '.') {
			frac = 1;
		}
		out[k++] = c;
	}
	if (frac) {
		while (k > 0 && out[k - 1] == '0')
			k--;
		if (k > 0 && out[k - 1] == '.')
			k--;
	}
	if (k == 0)
		out[k++] = '0';
	return k;
}

static int all_upper(const char *w, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!(w[k] >= 'A' && w[k] <= 'Z'))
			return 0;
	return 1;
}

static int is_sentence_start(const char *t, size_t b)
{
	size_t i = b;
	while (i > 0) {
		unsigned char c = (unsigned char)t[i - 1];
		if (c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '(' || c == '*' || c == '-' || c == '#' ||
		    c == '>' || c == '`' || c == '[')
			i--;
		else
			break;
	}
	if (i == 0)
		return 1;
	char c = t[i - 1];
	return c == '.' || c == '!' || c == '?' || c == ':' || c == '\n' || c == '\r' || c == ';';
}

void embed_salient(const char *t, size_t len, struct embed_sig *sig)
{
	struct sigb b;
	b.n = 0;
	b.neg = 0;
	if (len > EMBED_MAX_TEXT)
		len = EMBED_MAX_TEXT;
	size_t i = 0;
	int after_to = 0; /* the previous word was "to"/"into": "X to Y" is not "Y to X" */
	int lang_first = find_class1("english", 7), lang_last = find_class1("informal", 8);
	int before = find_class1("before", 6), after = find_class1("after", 5);
	while (i < len) {
		unsigned char c = (unsigned char)t[i];
		/* quoted spans: "...", `...`, and curly quotes */
		if (c == '"' || c == '`') {
			size_t e = i + 1;
			while (e < len && t[e] != (char)c && t[e] != '\n' && e - i <= 80)
				e++;
			if (e < len && t[e] == (char)c && e - i <= 80 && e > i + 1) {
				char tmp[96];
				size_t k = 0;
				for (size_t j = i + 1; j < e && k < sizeof tmp; j++)
					tmp[k++] = (char)tolower((unsigned char)t[j]);
				sig_add(&b, S_QUOTE, tmp, k);
			}
			i++;
			continue;
		}
		if (!wordch(c)) {
			i++;
			continue;
		}
		/* a token: word chars plus the joiners of code and numbers */
		size_t s = i;
		while (i < len) {
			unsigned char d = (unsigned char)t[i];
			if (wordch(d) || d == '_')
				i++;
			else if ((d == '.' || d == ',' || d == '-' || d == '/' || d == ':') && i + 1 < len &&
				 wordch((unsigned char)t[i + 1]) && i > s && wordch((unsigned char)t[i - 1]))
				i++;
			else
				break;
		}
		size_t n = i - s;
		const char *w = t + s;
		int digits = 0, under = 0, dots = 0, inner_upper = 0, alpha = 0;
		for (size_t k = 0; k < n; k++) {
			unsigned char d = (unsigned char)w[k];
			digits += d >= '0' && d <= '9';
			alpha += (d >= 'A' && d <= 'Z') || (d >= 'a' && d <= 'z');
			under += d == '_';
			dots += d == '.' || d == '/';
			if (k > 0 && d >= 'A' && d <= 'Z' && w[k - 1] >= 'a' && w[k - 1] <= 'z')
				inner_upper = 1;
		}
		int call = i + 1 < len && t[i] == '(';
		if (digits && !alpha) {
			/* a number (1,000 / 3.5 / 2024-01-31 / 10:30) */
			char tmp[64];
			size_t k = norm_number(w, n < 63 ? n : 63, tmp, sizeof tmp);
			sig_add(&b, S_NUM, tmp, k);
			after_to = 0;
			continue;
		}
		if (under || inner_upper || call || (dots && alpha && !digits) || (digits && alpha)) {
			/* code identifiers, paths, versions, ids like INV-2291 or gpt-4o: exact */
			sig_add(&b, S_CODE, w, n < 64 ? n : 64);
			after_to = 0;
			continue;
		}
		/* plain word(s); split on joiners we allowed above */
		for (size_t a = 0; a < n;) {
			size_t e = a;
			while (e < n && wordch((unsigned char)w[e]))
				e++;
			size_t wn = e - a;
			const char *ww = w + a;
			char low[48];
			size_t ln = wn < sizeof low ? wn : sizeof low;
			for (size_t k = 0; k < ln; k++)
				low[k] = (char)tolower((unsigned char)ww[k]);
			if (i < len && e == n && (t[i] == '\'' || (unsigned char)t[i] == 0xE2) && ln >= 2 &&
			    low[ln - 1] == 'n') {
				size_t q = t[i] == '\'' ? i + 1 : (i + 2 < len && (unsigned char)t[i + 1] == 0x80 &&
								  (unsigned char)t[i + 2] == 0x99) ? i + 3 : 0;
				if (q && q < len && (t[q] == 't' || t[q] == 'T'))
					b.neg++;
			}
			if (ln == 2 && memcmp(low, "tl", 2) == 0 && i + 2 < len && t[i] == ';' &&
			    (t[i + 1] == 'd' || t[i + 1] == 'D') && (t[i + 2] == 'r' || t[i + 2] == 'R')) {
				/* TL;DR */
				int cls = find_class("summarize", 9);
				char cb[2] = { (char)(cls & 0xff), (char)(cls >> 8) };
				sig_add(&b, S_CLASS, cb, 2);
				i += 3;
			} else if (lex_flag(low, ln, L_NEG)) {
				b.neg++;
			} else {
				int cls = find_class(low, ln);
				const struct lex_ent *le = lex_get(low, ln);
				int numw = le ? le->num : -1;
				if (numw >= 0) {
					sig_add(&b, S_NUM, number_words[numw][1], strlen(number_words[numw][1]));
				} else if (cls >= 0) {
					char cb[2] = { (char)(cls & 0xff), (char)(cls >> 8) };
					sig_add(&b, S_CLASS, cb, 2);
					if (after_to && ((cls >= lang_first && cls <= lang_last) || cls == before || cls == after))
						sig_add(&b, S_TARGET, cb, 2);
				} else if (wn >= 2 && wn <= 8 && all_upper(ww, wn)) {
					sig_add(&b, S_ENT, low, ln); /* acronym: GDPR, AWS */
					if (after_to)
						sig_add(&b, S_TARGET, low, ln);
				} else if (ww[0] >= 'A' && ww[0] <= 'Z' && (wn >= 2 || ww[0] != 'I')) {
					int start = a == 0 && is_sentence_start(t, s);
					if (!start || !lex_flag(low, ln, L_START)) {
						sig_add(&b, S_ENT, low, ln);
						if (after_to)
							sig_add(&b, S_TARGET, low, ln);
					}
				}
			}
			after_to = (ln == 2 && memcmp(low, "to", 2) == 0) || (ln == 4 && memcmp(low, "into", 4) == 0);
			a = e;
			while (a < n && !wordch((unsigned char)w[a]))
				a++;
		}
	}
	/* sort the hashes: the signature is a set */
	for (size_t x = 1; x < b.n; x++) {
		uint32_t v = b.h[x];
		size_t y = x;
		while (y > 0 && b.h[y - 1] > v) {
			b.h[y] = b.h[y - 1];
			y--;
		}
		b.h[y] = v;
	}
	memset(sig, 0, sizeof *sig);
	sig->overflow = b.n > EMBED_SIG_MAX;
	sig->n = (uint16_t)(b.n < EMBED_SIG_MAX ? b.n : EMBED_SIG_MAX);
	memcpy(sig->h, b.h, sig->n * sizeof *sig->h);
	sig->negations = (uint8_t)(b.neg > 7 ? 7 : b.neg);
}

int embed_sig_equal(const struct embed_sig *a, const struct embed_sig *b)
{
	if ((a->negations > 0) != (b->negations > 0))
		return 0;
	if (a->n != b->n || a->overflow != b->overflow)
		return 0;
	return memcmp(a->h, b->h, a->n * sizeof *a->h) == 0;
}
