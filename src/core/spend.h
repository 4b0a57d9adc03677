/*
 * spend.h - the built-in `spend` dimension: what kind of AI-era spend a
 * FOCUS line is, so GPU, token and other cloud spend stand side by side in
 * one report (`aicost report --by team,spend`).
 *
 *   tokens  LLM token charges: ConsumedUnit mentions tokens (the FOCUS AI
 *           examples and `aicost ingest llm` rows), or ServiceSubcategory
 *           "Generative AI" with a token unit;
 *   gpu     GPU capacity: an instance type of a GPU family (p3/p4d/p5, g4dn/
 *           g5/g6, SageMaker ml.p and ml.g types, Azure NC/ND/NV, GCP a2/a3/g2, a
 *           GPU attached with '+'), or GPU wording (GPU, A100, H100, ...) in
 *           the description, SKU meter or resource type;
 *   cloud   everything else.
 * A configured allocation dimension named `spend` takes precedence.
 */
#ifndef AICOST_SPEND_H
#define AICOST_SPEND_H

struct alloc_line;

/* "tokens", "gpu" or "cloud" (static strings). */
const char *spend_kind(const struct alloc_line *l);

#endif
