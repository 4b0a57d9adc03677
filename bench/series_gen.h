/*
 * series_gen.h - synthetic daily cost series for the anomaly and forecast
 * tests and benchmarks (header only, deterministic: the same seed gives the
 * same series on every platform that has IEEE doubles).
 *
 * A series has a base level, steady growth, a weekend dip, multiplicative
 * noise, and optionally injected spikes (one day) and level shifts
 * (persistent), whose positions are reported so callers can score recall.
 * Ownership: the caller owns every array passed in.
 */
#ifndef AICOST_SERIES_GEN_H
#define AICOST_SERIES_GEN_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

struct sg_rng {
	uint64_t s;
};

static inline uint64_t sg_next(struct sg_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double sg_unif(struct sg_rng *r)
{
	return (double)(sg_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static inline double sg_norm(struct sg_rng *r)
{
	double u = sg_unif(r), v = sg_unif(r);
	if (u < 1e-300)
		u = 1e-300;
	return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

struct sg_spec {
	double base;          /* level on day 0 */
	double growth;        /* per day, e.g. 0.003 = +0.3%/day */
	double weekend;       /* factor on Saturdays and Sundays, e.g. 0.6 */
	double noise;         /* multiplicative sd, e.g. 0.05 */
	int first_wday;       /* weekday of day 0, 0 = Monday */
};

enum sg_kind { SG_SPIKE, SG_SHIFT };

struct sg_inject {
	size_t day;
	enum sg_kind kind;
	double factor;        /* spike: the day is multiplied; shift: every day from `day` on */
};

/* The clean value (no noise, no injections) of day t. */
static inline double sg_clean(const struct sg_spec *s, size_t t)
{
	int wd = (int)((t + (size_t)s->first_wday) % 7);
	return s->base * pow(1 + s->growth, (double)t) * (wd >= 5 ? s->weekend : 1.0);
}

/* Fill y[0..n) with the series and the injections applied. */
static inline void sg_fill(const struct sg_spec *s, struct sg_rng *r, const struct sg_inject *inj, size_t ninj,
			   double *y, size_t n)
{
	for (size_t t = 0; t < n; t++) {
		double v = sg_clean(s, t) * (1 + s->noise * sg_norm(r));
		for (size_t i = 0; i < ninj; i++) {
			if (inj[i].kind == SG_SPIKE && inj[i].day == t)
				v *= inj[i].factor;
			if (inj[i].kind == SG_SHIFT && t >= inj[i].day)
				v *= inj[i].factor;
		}
		y[t] = v > 0 ? v : 0;
	}
}

#endif
