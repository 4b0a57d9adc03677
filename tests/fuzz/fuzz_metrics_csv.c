/* fuzz_metrics_csv.c - the business KPI CSV reader. */
#include <stdint.h>
#include "formats/metrics_csv.h"
#include "util/err.h"

static void quiet(const char *line) { (void)line; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_mem m = { (const char *)data, size, 0, 4096 };
	struct metrics_reader r;
	struct metrics_row row;
	struct metrics_reject rej;
	err_sink = quiet;
	metrics_reader_init(&r, csv_mem_read, &m, "fuzz");
	while (metrics_reader_next(&r, &row, &rej) > 0)
		;
	metrics_reader_release(&r);
	return 0;
}
