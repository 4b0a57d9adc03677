/*
 * nab_score.c - runs aicost's anomaly core (src/core/anomaly.c, compiled in
 * directly: bench tools do not link libaicost) on the Numenta Anomaly
 * Benchmark series and scores it the way NAB does (nab/sweeper.py):
 *
 *   - per file, the first min(floor(0.15 n), 750) points are probationary
 *     and not scored;
 *   - a detection inside a labelled window scores
 *     A_TP * scaledSigmoid(-(right - i + 1) / width) / scaledSigmoid(-1)
 *     (only the best, i.e. earliest, detection of a window counts); a window
 *     without detection scores A_FN; a detection outside every window
 *     scores A_FP * scaledSigmoid(distance past the previous window right
 *     edge / (its width - 1)), or A_FP * -1 when no window precedes it;
 *   - scaledSigmoid(x) = 2 / (1 + e^(5x)) - 1, -1 for x >= 3;
 *   - the threshold is optimized over the whole corpus (NAB's optimizer
 *     does the same per profile), and the raw score is normalized
 *     100 * (S - S_null) / (S_perfect - S_null), where the null detector
 *     scores A_FN per window and the perfect one A_TP per window.
 * Profile: standard (A_TP = 1, A_FP = -0.11, A_FN = -1).
 *
 * The anomaly score of a point is the detector's |robust z|. Detections
 * follow an alerting policy: after an alert the series stays quiet for
 * `hold` points (a flagged run is one alert at its start, as aicost merges
 * consecutive flagged days into one anomaly).
 *
 * usage: nab_score NAB_DIR [CATEGORY...]   (NAB_DIR holds data/ and labels/)
 * env:   NAB_PERIOD=auto|0 (season = points per day, or none),
 *        NAB_HOLD=auto|points (alert cooldown; auto = half a day of points)
 */
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/anomaly.c"

#define A_TP 1.0
#define A_FP 0.11
#define A_FN 1.0

struct pt {
	double score;        /* anomaly score (>= 0) */
	double sweep;        /* weighted NAB score if detected */
	int window;          /* window index in the file, -1 outside, -2 probationary */
};

struct file {
	char name[512];
	struct pt *p;
	size_t n;
	int nwin;
	size_t hold;         /* alert cooldown in points */
};

static double scaled_sigmoid(double x)
{
	return x >= 3.0 ? -1.0 : 2.0 / (1.0 + exp(5.0 * x)) - 1.0;
}

static int64_t ts_key(const char *s)
{
	/* "YYYY-MM-DD HH:MM:SS" -> seconds; enough to match windows and measure steps. */
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

static int load_file(const char *dir, const char *rel, json_t *wins, struct file *f, int auto_period, size_t hold)
{
	char path[1024], line[512];
	snprintf(path, sizeof path, "%s/data/%s", dir, rel);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return -1;
	size_t cap = 1024, n = 0;
	double *y = malloc(cap * sizeof *y);
	int64_t *ts = malloc(cap * sizeof *ts);
	if (!fgets(line, sizeof line, fp)) {
		fclose(fp);
		return -1;
	}
	while (fgets(line, sizeof line, fp)) {
		char *c = strchr(line, ',');
		if (!c)
			continue;
		*c = 0;
		if (n == cap) {
			cap *= 2;
			y = realloc(y, cap * sizeof *y);
			ts = realloc(ts, cap * sizeof *ts);
		}
		ts[n] = ts_key(line);
		y[n] = strtod(c + 1, NULL);
		n++;
	}
	fclose(fp);

	/* Season: one day of points when the step is regular and a day fits the model. */
	size_t period = 0;
	if (auto_period && n > 2 && ts[1] > ts[0]) {
		int64_t step = ts[1] - ts[0];
		size_t ppd = (size_t)(86400 / step);
		if (ppd >= 2 && ppd <= 1024 && n >= 3 * ppd)
			period = ppd;
	}
	double *z = malloc(n * sizeof *z);
	struct ad_opts o = { .period = period, .threshold = 4.5 };
	ad_score(y, n, &o, NULL, z);

	f->p = calloc(n, sizeof *f->p);
	f->n = n;
	snprintf(f->name, sizeof f->name, "%s", rel);
	f->hold = hold;
	if (hold == (size_t)-1) {
		/* auto: half a day of points (one alert per series per 12 hours) */
		int64_t step = n > 1 && ts[1] > ts[0] ? ts[1] - ts[0] : 300;
		f->hold = (size_t)(43200 / step);
	}
	for (size_t i = 0; i < n; i++) {
		f->p[i].score = fabs(z[i]);
		f->p[i].window = -1;
	}

	/* Windows -> per point sweep scores (nab/sweeper.py calcSweepScore). */
	size_t nw = json_array_size(wins);
	f->nwin = 0;
	size_t *wl = calloc(nw + 1, sizeof *wl), *wr = calloc(nw + 1, sizeof *wr);
	for (size_t w = 0; w < nw; w++) {
		json_t *pair = json_array_get(wins, w);
		int64_t a = ts_key(json_string_value(json_array_get(pair, 0)));
		int64_t b = ts_key(json_string_value(json_array_get(pair, 1)));
		size_t l = n, r = n;
		for (size_t i = 0; i < n; i++) {
			if (ts[i] == a)
				l = i;
			if (ts[i] == b)
				r = i;
		}
		if (l < n && r < n) {
			wl[f->nwin] = l;
			wr[f->nwin] = r;
			f->nwin++;
		}
	}
	double prob = floor(0.15 * (double)n);
	if (prob > 0.15 * 5000)
		prob = 0.15 * 5000;
	int cur = -1, prev = -1, wi = 0;
	double max_tp = scaled_sigmoid(-1.0);
	for (size_t i = 0; i < n; i++) {
		if (wi < f->nwin && i == wl[wi]) {
			cur = wi;
			wi++;
		}
		if (cur >= 0) {
			double width = (double)(wr[cur] - wl[cur] + 1);
			double pos = -((double)wr[cur] - (double)i + 1) / width;
			f->p[i].sweep = scaled_sigmoid(pos) * A_TP / max_tp;
			f->p[i].window = cur;
		} else {
			double pos = 3.0;
			if (prev >= 0) {
				double pw = (double)(wr[prev] - wl[prev] + 1);
				pos = fabs((double)wr[prev] - (double)i) / (pw - 1);
			}
			f->p[i].sweep = scaled_sigmoid(pos) * A_FP;
		}
		if ((double)i < prob)
			f->p[i].window = -2;
		if (cur >= 0 && i == wr[cur]) {
			prev = cur;
			cur = -1;
		}
	}
	/* Windows that lie entirely in the probationary part are not scored (NAB drops them too). */
	free(wl);
	free(wr);
	free(y);
	free(ts);
	free(z);
	return 0;
}

/* Score of one file at threshold th; *nw receives the scored windows. */
static double file_score(const struct file *f, double th, size_t hold, int *nw, int *tp, int *fp)
{
	size_t last = (size_t)-1;
	double *best = malloc((size_t)(f->nwin + 1) * sizeof *best);
	char *scored = calloc((size_t)f->nwin + 1, 1);
	for (int w = 0; w < f->nwin; w++)
		best[w] = -A_FN;
	double fps = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct pt *p = &f->p[i];
		if (p->window == -2)
			continue;
		if (p->window >= 0)
			scored[p->window] = 1;
		if (p->score < th || p->score <= 0)
			continue;
		/* Alert cooldown: one alert, then `hold` quiet points. */
		if (last != (size_t)-1 && i - last <= hold)
			continue;
		last = i;
		if (p->window >= 0) {
			if (p->sweep > best[p->window])
				best[p->window] = p->sweep;
		} else {
			fps += p->sweep;
			(*fp)++;
		}
	}
	double s = fps;
	for (int w = 0; w < f->nwin; w++)
		if (scored[w]) {
			s += best[w];
			(*nw)++;
			*tp += best[w] > -A_FN;
		}
	free(best);
	free(scored);
	return s;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: nab_score NAB_DIR [CATEGORY...]\n");
		return 2;
	}
	const char *dir = argv[1];
	const char *pe = getenv("NAB_PERIOD"), *he = getenv("NAB_HOLD");
	int auto_period = !(pe && !strcmp(pe, "0"));
	size_t hold = he && strcmp(he, "auto") ? (size_t)atoi(he) : (size_t)-1;
	char lp[1024];
	snprintf(lp, sizeof lp, "%s/labels/combined_windows.json", dir);
	json_error_t je;
	json_t *labels = json_load_file(lp, 0, &je);
	if (!labels) {
		fprintf(stderr, "nab_score: %s: %s\n", lp, je.text);
		return 1;
	}
	struct file *files = NULL;
	size_t nf = 0;
	const char *key;
	json_t *wins;
	clock_t c0 = clock();
	size_t points = 0;
	json_object_foreach(labels, key, wins) {
		int want = argc == 2;
		for (int i = 2; i < argc; i++)
			want |= !strncmp(key, argv[i], strlen(argv[i])) && key[strlen(argv[i])] == '/';
		if (!want)
			continue;
		files = realloc(files, (nf + 1) * sizeof *files);
		if (load_file(dir, key, wins, &files[nf], auto_period, hold) == 0) {
			points += files[nf].n;
			nf++;
		}
	}
	double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
	/* Threshold sweep over the corpus. */
	double best = -1e300, best_th = 0;
	int bw = 0, btp = 0, bfp = 0;
	for (double th = 1.0; th <= 40.0; th += 0.25) {
		double s = 0;
		int nw = 0, tp = 0, fp = 0;
		for (size_t i = 0; i < nf; i++)
			s += file_score(&files[i], th, files[i].hold, &nw, &tp, &fp);
		if (s > best) {
			best = s;
			best_th = th;
			bw = nw;
			btp = tp;
			bfp = fp;
		}
	}
	double null = -A_FN * bw, perfect = A_TP * bw;
	double norm = 100.0 * (best - null) / (perfect - null);
	printf("NAB standard profile: %.1f  (%zu files, %zu points, %d windows, %d detected, %d false positives; "
	       "threshold |z| >= %.2f; season %s, hold %s; detector %.0f ms)\n",
	       norm, nf, points, bw, btp, bfp, best_th, auto_period ? "1 day" : "none", he && strcmp(he, "auto") ? he : "12 h", secs * 1000);
	for (size_t i = 0; i < nf; i++)
		free(files[i].p);
	free(files);
	json_decref(labels);
	return 0;
}
