/*
 * anomaly.h - the anomaly detector on one numeric series, and driver
 * attribution. Pure functions on doubles: no ledger, no config, no I/O, so
 * the same core runs on daily cost (cmd_anomalies via core/series.c), on
 * hourly data, and on the NAB benchmark series (bench/nab_score.c).
 *
 * Model (see docs/anomalies.md): a robust Holt-Winters filter. Each point is
 * compared with its one-step forecast (level + trend + season); the residual
 * divided by a robust running scale is the score. The state is updated with
 * the residual clipped at +-2 scales (Huber), so spikes do not pollute the
 * baseline; after `shift_run` consecutive same-sign outliers the level is
 * re-anchored (a level shift is reported once, then becomes the new normal).
 * Nothing looks ahead: the score of y[t] uses y[0..t-1] only, which is what
 * makes incremental runs give the same answers as full runs.
 *
 * Ownership: callers own every array; nothing is kept between calls except
 * what ad_events returns (free with free()).
 */
#ifndef AICOST_ANOMALY_H
#define AICOST_ANOMALY_H

#include <stddef.h>

struct ad_opts {
	size_t period;       /* seasonal period in points: 7 (daily, weekly season), 24 (hourly), 0/1 none */
	double threshold;    /* score (robust z) at which a point is anomalous; default 4 */
	size_t warmup;       /* points after the first non-zero one before anything is flagged; default 3*period, >= 7 */
	size_t shift_run;    /* consecutive same-sign outliers that re-anchor the level; default 3, at most 64 */
	double rel_floor;    /* scale floor as a fraction of |level| (noise-free series); default 0.02 */
	double abs_floor;    /* scale floor in series units; default 0 (tiny epsilon) */
	double alpha, beta, gamma;   /* smoothing; 0 = defaults 0.2, 0.03, 0.1 */
	/* Event gates (ad_events only). */
	double min_impact;   /* |sum(actual - expected)| over the event */
	double min_pct;      /* |impact| / sum(expected), e.g. 0.2 for 20% */
	int direction;       /* +1 increases only, -1 decreases only, 0 both */
};

/* Fill defaults for zero fields. */
void ad_opts_defaults(struct ad_opts *o);

/*
 * Score every point: expected[t] (the one-step forecast) and score[t]
 * (signed residual / scale; 0 during warm-up and before the first non-zero
 * value). Either output may be NULL. Runs in O(n).
 */
void ad_score(const double *y, size_t n, const struct ad_opts *o, double *expected, double *score);

struct ad_event {
	size_t start, end;   /* inclusive point indices */
	double expected;     /* sum of expected over the event */
	double actual;       /* sum of actual */
	double impact;       /* actual - expected */
	double score;        /* the largest |score| in the event */
};

/*
 * Group flagged points (|score| >= threshold in the wanted direction) into
 * events (runs of consecutive points), keep those passing the min_impact and
 * min_pct gates, starting at index >= from. Returns the count; *out is
 * malloc'ed (NULL when 0).
 */
size_t ad_events(const double *y, size_t n, const double *expected, const double *score,
		 const struct ad_opts *o, size_t from, struct ad_event **out);

/*
 * Driver attribution: the change of one child series (a sub-dimension value:
 * a resource, SKU, team) over [start, end] against its own baseline, the mean
 * of the same phase over the `weeks` previous periods (0 before its start).
 * Returns actual - baseline, summed over the event.
 */
double ad_child_delta(const double *y, size_t n, size_t start, size_t end, size_t period, size_t weeks);

#endif
