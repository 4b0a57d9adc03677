/* money.c - exact 128-bit fixed-point decimals; see money.h. */
#include <string.h>
#include "core/money.h"

typedef unsigned __int128 u128;

static const u128 U128_MAX = ~(u128)0;

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int money_parse(const char *s, size_t n, money_t *out, unsigned *flags)
{
	size_t i = 0, j = n;
	unsigned fl = 0;
	int neg = 0;
	u128 mant = 0;       /* all digits read, as an integer */
	int scale = 0;       /* number of those digits after the point */
	int ndig = 0, overflowed_digits = 0;
	int seen_point = 0;
	long exp = 0;
	int sticky = 0;      /* a nonzero digit was dropped beyond 38 digits */

	while (i < j && is_blank(s[i]))
		i++;
	while (j > i && is_blank(s[j - 1]))
		j--;
	if (i != 0 || j != n)
		fl |= MONEY_SPACES;
	if (i < j && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	for (; i < j; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9') {
			ndig++;
			/* Keep at most 38 significant digits; the rest only matter for rounding. */
			if (mant > (U128_MAX - 9) / 10) {
				if (c != '0')
					sticky = 1;
				if (!seen_point)
					overflowed_digits++;
				continue;
			}
			mant = mant * 10 + (unsigned)(c - '0');
			if (seen_point)
				scale++;
		} else if (c == '.' && !seen_point) {
			seen_point = 1;
		} else {
			break;
		}
	}
	if (ndig == 0)
		return -1;
	if (i < j && (s[i] == 'e' || s[i] == 'E')) {
		int eneg = 0, edig = 0;
		fl |= MONEY_EXPONENT;
		i++;
		if (i < j && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		for (; i < j && s[i] >= '0' && s[i] <= '9'; i++) {
			edig++;
			if (exp < 100000)
				exp = exp * 10 + (s[i] - '0');
		}
		if (!edig)
			return -1;
		if (eneg)
			exp = -exp;
	}
	if (i != j)
		return -1;

	/* value = mant * 10^(overflowed_digits + exp - scale); want units of 10^-18. */
	long shift = (long)overflowed_digits + exp - scale + MONEY_DIGITS;
	if (mant == 0) {
		*out = 0;
		if (flags)
			*flags = fl;
		return 0;
	}
	if (shift >= 0) {
		for (long k = 0; k < shift; k++) {
			if (mant > U128_MAX / 10)
				return -2;
			mant *= 10;
		}
		if (sticky)
			fl |= MONEY_ROUNDED;
	} else if (shift < -38) {
		/* Below half a unit of 10^-18 whatever the digits: rounds to 0. */
		mant = 0;
		fl |= MONEY_ROUNDED;
	} else {
		/* Divide by 10^-shift, rounding half to even. */
		u128 div = 1;
		for (long k = 0; k < -shift; k++)
			div *= 10;
		u128 q = mant / div, r = mant % div, half = div / 2;
		if (r || sticky)
			fl |= MONEY_ROUNDED;
		if (r > half || (r == half && (sticky || (q & 1))))
			q++;
		mant = q;
	}
	if (mant > (u128)(((u128)1 << 127) - 1) + (neg ? 1 : 0))
		return -2;
	*out = neg ? (money_t)(0 - mant) : (money_t)mant;
	if (flags)
		*flags = fl;
	return 0;
}

money_t money_round(money_t v, int frac)
{
	if (frac >= MONEY_DIGITS)
		return v;
	if (frac < 0)
		frac = 0;
	u128 div = 1;
	for (int k = frac; k < MONEY_DIGITS; k++)
		div *= 10;
	int neg = v < 0;
	u128 m = neg ? (u128)0 - (u128)v : (u128)v;
	u128 q = m / div, r = m % div;
	u128 half = div / 2;
	if (r > half || (r == half && (q & 1)))
		q++;
	m = q * div;
	return neg ? (money_t)(0 - m) : (money_t)m;
}

size_t money_format(money_t v, char *buf, int min_frac, int max_frac)
{
	char tmp[MONEY_BUFSZ];
	size_t len = 0, o = 0;
	if (max_frac > MONEY_DIGITS)
		max_frac = MONEY_DIGITS;
	if (min_frac > max_frac)
		min_frac = max_frac;
	v = money_round(v, max_frac);
	int neg = v < 0;
	u128 m = neg ? (u128)0 - (u128)v : (u128)v;
	/*
	 * Digits, least significant first, at least 19 of them (18 frac + 1 int).
	 * One 128-bit division splits off the 18 fractional digits; the rest is
	 * 64-bit arithmetic (a 128-bit division per digit was most of the cost).
	 */
	uint64_t lo = (uint64_t)(m % 1000000000000000000ull);
	u128 hi = m / 1000000000000000000ull;
	for (int k = 0; k < MONEY_DIGITS; k++) {
		tmp[len++] = (char)('0' + (int)(lo % 10));
		lo /= 10;
	}
	while (hi > UINT64_MAX) {
		tmp[len++] = (char)('0' + (int)(hi % 10));
		hi /= 10;
	}
	uint64_t h = (uint64_t)hi;
	do {
		tmp[len++] = (char)('0' + (int)(h % 10));
		h /= 10;
	} while (h);
	/* Trim fractional zeros beyond min_frac. */
	int frac = MONEY_DIGITS, skip = 0;
	while (frac > min_frac && tmp[skip] == '0') {
		skip++;
		frac--;
	}
	int all_zero = 1;
	for (size_t k = skip; k < len; k++)
		if (tmp[k] != '0')
			all_zero = 0;
	if (neg && !all_zero)
		buf[o++] = '-';
	for (size_t k = len; k-- > (size_t)MONEY_DIGITS;)
		buf[o++] = tmp[k];
	if (frac > 0) {
		buf[o++] = '.';
		for (int k = MONEY_DIGITS - 1; k >= skip; k--)
			buf[o++] = tmp[k];
	}
	buf[o] = 0;
	return o;
}

money_t money_from_int(int64_t units)
{
	return (money_t)units * MONEY_ONE;
}

/* 256-bit helpers for money_muldiv: hi:lo pairs of u128. */
static void mul128(u128 a, u128 b, u128 *hi, u128 *lo)
{
	u128 a0 = (uint64_t)a, a1 = a >> 64, b0 = (uint64_t)b, b1 = b >> 64;
	u128 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
	u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
	*lo = (mid << 64) | (uint64_t)p00;
	*hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
}

int money_muldiv(money_t a, money_t num, money_t den, money_t *out)
{
	if (den == 0)
		return -1;
	int neg = (a < 0) ^ (num < 0) ^ (den < 0);
	u128 ua = a < 0 ? (u128)0 - (u128)a : (u128)a;
	u128 un = num < 0 ? (u128)0 - (u128)num : (u128)num;
	u128 ud = den < 0 ? (u128)0 - (u128)den : (u128)den;
	u128 hi, lo;
	mul128(ua, un, &hi, &lo);
	if (hi >= ud)
		return -1; /* quotient would not fit in 128 bits */
	/* Long division of hi:lo by ud, one bit at a time. */
	u128 rem = hi, q = 0;
	for (int bit = 127; bit >= 0; bit--) {
		int carry = (int)(rem >> 127);
		rem = (rem << 1) | ((lo >> bit) & 1);
		q <<= 1;
		if (carry || rem >= ud) {
			rem -= ud;
			q |= 1;
		}
	}
	/* Round half to even: compare 2*rem with ud without overflow. */
	if (rem > ud - rem || (rem == ud - rem && (q & 1)))
		q++;
	if (q > (u128)(((u128)1 << 127) - 1) + (neg ? 1 : 0))
		return -1;
	*out = neg ? (money_t)(0 - q) : (money_t)q;
	return 0;
}

size_t money_pack(money_t v, unsigned char out[16])
{
	u128 u = (u128)v;
	size_t n = 16;
	for (int k = 0; k < 16; k++)
		out[k] = (unsigned char)(u >> (8 * k));
	/* Drop top bytes that only repeat the sign of the byte below them. */
	while (n > 1) {
		unsigned char top = out[n - 1], below = out[n - 2];
		if ((top == 0x00 && !(below & 0x80)) || (top == 0xff && (below & 0x80)))
			n--;
		else
			break;
	}
	if (v == 0)
		return 0;
	return n;
}

money_t money_unpack(const void *p, size_t n)
{
	const unsigned char *b = p;
	u128 u = 0;
	if (n == 0 || n > 16)
		return 0;
	for (size_t k = 0; k < n; k++)
		u |= (u128)b[k] << (8 * k);
	if (n < 16 && (b[n - 1] & 0x80))
		u |= U128_MAX << (8 * n);
	return (money_t)u;
}

double money_to_double(money_t v)
{
	return (double)v / 1e18;
}
