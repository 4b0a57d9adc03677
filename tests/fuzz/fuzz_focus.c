/* fuzz_focus.c - the FOCUS row parser (header binding, amounts, datetimes, tags). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/tags.h"
#include "formats/focus_reader.h"
#include "util/err.h"

static void quiet(const char *line) { (void)line; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_mem m = { (const char *)data, size, 0, 4096 };
	struct focus_reader r;
	struct focus_row row;
	struct focus_reject rej;
	err_sink = quiet;
	if (focus_reader_open(&r, csv_mem_read, &m, "fuzz") == 0) {
		int rc;
		while ((rc = focus_reader_next(&r, &row, &rej)) > 0) {
			if (rc == 1 && row.key[FC_TAGS].p) {
				char *c = tags_canonical(row.key[FC_TAGS].p, row.key[FC_TAGS].n);
				free(c);
			}
		}
	}
	focus_reader_release(&r);
	return 0;
}
