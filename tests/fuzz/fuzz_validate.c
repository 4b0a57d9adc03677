/*
 * fuzz_validate.c - libFuzzer target: validate an in-memory CSV with the
 * FOCUS rule model (core/validate.h). The model is loaded once from the
 * data directory ($AICOST_DATA or next to the binary); the input is fed in
 * small chunks so the CSV reader's refill paths are exercised too.
 */
#include <stdint.h>
#include <stdlib.h>
#include "core/validate.h"
#include "formats/csv.h"
#include "util/err.h"

static struct vmodel *model;

static void quiet(const char *line)
{
	(void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct validate_result res;
	struct validate_opts o = { .max_examples = 3 };

	if (!model) {
		err_sink = quiet;
		if (vmodel_load_default(&model) < 0)
			abort();  /* no model: the target cannot test anything */
	}
	struct csv_mem src = { .p = (const char *)data, .n = size, .chunk = size % 61 + 1 };
	validate_stream(model, "fuzz.csv", csv_mem_read, &src, &o, &res);
	/* Invariants a renderer relies on. */
	for (size_t i = 0; i < res.nfindings; i++) {
		const struct vfinding *f = &res.findings[i];
		if (!f->rule || !f->requirement || !f->count || f->nexamples > o.max_examples ||
		    f->cells < f->count)
			abort();
		if (i && f->severity < res.findings[i - 1].severity)
			abort();
	}
	validate_result_release(&res);
	return 0;
}
