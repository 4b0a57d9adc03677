/*
 * embed.h - the built-in lexical embedder and the precision guard of the
 * semantic cache.
 *
 * embed_lexical() maps text to a fixed-dimension, L2-normalized float
 * vector by signed feature hashing: word unigrams and unordered bigrams of
 * the non-stopwords (lower-cased, through a small synonym thesaurus or a
 * crude suffix stemmer) and character trigrams of each word, with
 * sublinear term frequency (log(1 + x) per bucket). It is deterministic,
 * needs no model file, and costs a few microseconds per prompt; its
 * weakness is that it cannot tell "capital of France" from "capital of
 * Spain", which is what the guard is for.
 *
 * embed_salient() extracts the tokens whose change flips the meaning of a
 * prompt even when most words are equal: numbers (digits and number
 * words), negations, entity-like words (capitalized words that are not
 * sentence-initial stock words, acronyms), code identifiers and IDs
 * (snake_case, camelCase, dotted names, call syntax, INV-2291), quoted
 * strings, and word classes (direction, time scope, task, language and
 * format), with the target of "to"/"into" marked. The semantic index
 * rejects a match whose signature differs (embed_sig_equal).
 *
 * No allocation. The word lists live in one read-only table built on
 * first use (pthread_once); everything else is pure.
 */
#ifndef AICOST_GW_EMBED_H
#define AICOST_GW_EMBED_H

#include <stddef.h>
#include <stdint.h>

#define EMBED_DIM 512            /* dimension of embed_lexical vectors */
#define EMBED_MAX_TEXT (64u << 10) /* only the first 64 KiB of a text is embedded */

/* Fill out[EMBED_DIM] with the L2-normalized embedding of text[0..len).
 * Returns the number of features hashed; 0 means the text had no words and
 * out is all zeros (such a vector never matches anything). */
size_t embed_lexical(const char *text, size_t len, float out[EMBED_DIM]);

/* L2-normalize v[0..dim) in place (for vectors from an upstream
 * /v1/embeddings call, which OpenAI already normalizes, but others may
 * not). Returns 0, or -1 when v is all zeros or not finite. */
int embed_normalize(float *v, size_t dim);

/* The salient-token signature: the sorted set of 32-bit hashes of the
 * salient tokens, each hashed with its class (a number, an entity, a code
 * identifier, a quoted span, or one of the word classes of embed.c where
 * synonyms share a class). At most EMBED_SIG_MAX are kept (the smallest
 * hashes); overflow says more were seen. Negations are counted apart. */
#define EMBED_SIG_MAX 24
struct embed_sig {
	uint16_t n;
	uint8_t overflow;
	uint8_t negations;       /* count of negation words, capped at 7 */
	uint32_t h[EMBED_SIG_MAX];
};

void embed_salient(const char *text, size_t len, struct embed_sig *sig);
/* 1 when a and b hold the same salient tokens, overflow flag, and both
 * or neither have a negation. */
int embed_sig_equal(const struct embed_sig *a, const struct embed_sig *b);

#endif
