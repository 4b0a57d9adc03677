/* fuzz_csv.c - the streaming CSV reader on arbitrary bytes, with small refills. */
#include <stdint.h>
#include <string.h>
#include "formats/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_mem m = { (const char *)data, size, 0, size ? 1 + data[0] % 64 : 1 };
	struct csv_reader r;
	csv_init(&r, csv_mem_read, &m);
	r.max_record = 1 << 16;
	r.max_fields = 512;
	size_t total = 0;
	while (csv_next(&r) == 1)
		for (size_t i = 0; i < r.nfields; i++)
			total += r.fields[i].n + (r.fields[i].p[0] == 0) * 0;
	(void)total;
	csv_release(&r);
	return 0;
}
