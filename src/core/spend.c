/* spend.c - classify a FOCUS line as token, GPU or other cloud spend; see spend.h. */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include "core/alloc.h"
#include "core/spend.h"
#include "formats/focus.h"

/* Instance-type prefixes of GPU families (compared on a token's lower-cased start). */
static const char *const gpu_types[] = {
	"p2.", "p3.", "p3dn.", "p4d.", "p4de.", "p5.", "p5e.", "p5en.", "p6-", "g3.", "g4dn.", "g4ad.", "g5.", "g5g.",
	"g6.", "g6e.", "gr6.", "inf1.", "inf2.", "trn1.", "trn1n.", "trn2.",
	"ml.p2.", "ml.p3.", "ml.p4d.", "ml.p4de.", "ml.p5.", "ml.g4dn.", "ml.g5.", "ml.g6.", "ml.g6e.", "ml.inf1.",
	"ml.inf2.", "ml.trn1.",
	"standard_nc", "standard_nd", "standard_nv", "a2-", "a3-", "g2-standard", NULL,
};

/* GPU wording, as whole words (lower case). */
static const char *const gpu_words[] = {
	"gpu", "gpus", "a100", "h100", "h200", "b200", "v100", "l40s", "l4", "a10g", "a10", "t4", "k80", "m60",
	"tesla", "nvidia", NULL,
};

static int has_gpu(const char *s)
{
	while (s && *s) {
		while (*s && !isalnum((unsigned char)*s))
			s++;
		const char *b = s;
		while (*s && !isspace((unsigned char)*s) && !strchr(",;:()[]{}\"'/=|", *s))
			s++;
		size_t n = (size_t)(s - b);
		if (!n)
			continue;
		for (const char *const *p = gpu_types; *p; p++)
			if (n > strlen(*p) && !strncasecmp(b, *p, strlen(*p)))
				return 1;
		/* words: split the token further on '-', '_', '+', '.' ("A100-80GB", "n1-standard-4+T4") */
		for (const char *w = b; w < s;) {
			while (w < s && !isalnum((unsigned char)*w))
				w++;
			const char *we = w;
			while (we < s && isalnum((unsigned char)*we))
				we++;
			for (const char *const *p = gpu_words; *p && we > w; p++)
				if ((size_t)(we - w) == strlen(*p) && !strncasecmp(w, *p, (size_t)(we - w)))
					return 1;
			w = we;
		}
	}
	return 0;
}

const char *spend_kind(const struct alloc_line *l)
{
	const char *u = l->vals[FC_CONSUMED_UNIT];
	if (u && strcasestr(u, "token"))
		return "tokens";
	static const int cols[] = { FC_CHARGE_DESCRIPTION, FC_SKU_METER, FC_RESOURCE_TYPE, FC_SKU_PRICE_DETAILS };
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		if (has_gpu(l->vals[cols[i]]))
			return "gpu";
	return "cloud";
}
