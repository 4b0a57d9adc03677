/*
 * scenario.h - what-if multipliers for forecasts (`aicost forecast
 * --scenario FILE`). The file is YAML (docs/forecast.md):
 *
 *   scenarios:
 *     - name: chatbot launch        # optional, for messages
 *       match: { team: chatbot }    # scope values, ANDed; omitted = every series
 *       from: 2026-12-01            # optional, inclusive
 *       to: 2026-12-31              # optional, inclusive
 *       multiplier: 1.5             # > = 0
 *
 * Every rule that matches a series and a day multiplies that day's
 * forecast (yhat, lo, hi). Limits: 1 MiB of text, 1,000 rules, 16 match
 * keys per rule.
 *
 * Ownership: a struct scenario owns all its strings; scenario_release()
 * frees them.
 */
#ifndef AICOST_SCENARIO_H
#define AICOST_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

struct scenario_rule {
	char *name;
	char **keys, **vals;
	size_t n;
	int64_t from, to;        /* days; INT64_MIN / INT64_MAX when open */
	double mult;
	int line, col;
};

struct scenario {
	char *path;
	struct scenario_rule *rules;
	size_t n;
};

/* Parse text; name is used in messages. 0, or -1 after reporting "aicost: NAME:LINE:COL: why". */
int scenario_parse(const char *buf, size_t len, const char *name, struct scenario *sc);
/* Read and parse a file. */
int scenario_load(const char *path, struct scenario *sc);
void scenario_release(struct scenario *sc);

/* Every match key must be one of the scope dimensions (else the rule could never apply): 0 or -1 after reporting. */
int scenario_check(const struct scenario *sc, const char *const *dims, size_t nd);

/* Product of the multipliers of the rules matching this scope and day (1 when none). */
double scenario_factor(const struct scenario *sc, const char *const *dims, const char *const *vals, size_t nd,
		       int64_t day);

#endif
