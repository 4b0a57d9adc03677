/*
 * money.h - exact decimal money.
 *
 * Every amount in aicost (costs, unit prices, quantities) is a money_t: a
 * signed 128-bit integer counting units of 10^-18. That holds +/-1.7e20 with
 * 18 decimals, enough for any bill total and for the per-token prices of LLM
 * catalogs (2.5e-07) multiplied exactly by token counts. No double ever
 * carries money: values are parsed from text into money_t and printed from
 * money_t back to text.
 *
 * All functions are pure; none allocates.
 */
#ifndef AICOST_MONEY_H
#define AICOST_MONEY_H

#include <stddef.h>
#include <stdint.h>

typedef __int128 money_t;

#define MONEY_DIGITS 18
#define MONEY_ONE ((money_t)1000000000000000000LL)
/* Bytes needed by money_format for any value, including sign and NUL. */
#define MONEY_BUFSZ 48

/* Flags reported by money_parse. */
enum {
	MONEY_ROUNDED = 1 << 0,   /* digits beyond 10^-18 were rounded half-even */
	MONEY_EXPONENT = 1 << 1,  /* E-notation was used */
	MONEY_SPACES = 1 << 2,    /* leading/trailing blanks were trimmed */
};

/*
 * Parse a decimal: [blanks][+-]digits[.digits][(e|E)[+-]digits][blanks].
 * Returns 0, or -1 if the text is not a decimal number, or -2 if it does not
 * fit. *flags (may be NULL) receives MONEY_* flags.
 */
int money_parse(const char *s, size_t n, money_t *out, unsigned *flags);

/*
 * Format v as a plain decimal (no exponent) into buf (MONEY_BUFSZ bytes),
 * rounding half-even to max_frac decimals and trimming trailing zeros down to
 * min_frac decimals. Returns the length written.
 */
size_t money_format(money_t v, char *buf, int min_frac, int max_frac);

/* Exact string of v: all significant decimals, at least one ("1.5", "0", "-3.25"). */
static inline size_t money_str(money_t v, char *buf)
{
	return money_format(v, buf, 0, MONEY_DIGITS);
}

money_t money_from_int(int64_t units);

/* Round v half-even to `frac` decimals (0..18). */
money_t money_round(money_t v, int frac);

/*
 * *out = a * num / den rounded half-even, with a 256-bit intermediate so it
 * never overflows unless the result itself does. Returns 0, or -1 when den
 * is 0 or the result does not fit.
 */
int money_muldiv(money_t a, money_t num, money_t den, money_t *out);

/* Add with overflow check: returns -1 (and leaves *acc) on overflow. */
static inline int money_add(money_t *acc, money_t v)
{
	money_t r;
	if (__builtin_add_overflow(*acc, v, &r))
		return -1;
	*acc = r;
	return 0;
}

/*
 * Compact binary form for the store: little-endian two's complement with the
 * redundant sign bytes dropped (1..16 bytes). Returns the length written.
 */
size_t money_pack(money_t v, unsigned char out[16]);
money_t money_unpack(const void *p, size_t n);

/* Lossy conversion for statistics and display only (never for sums). */
double money_to_double(money_t v);

#endif
