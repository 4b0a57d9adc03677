/*
 * line.c - the one decoder of a stored line's joined key values (the text
 * line_scan hands out: FR_KEY columns in catalog order, STORE_SEP between
 * them, STORE_NULL + STORE_SEP for a null, 0x1d escaping the next byte).
 * The report engine, the GPU views and recommend all read lines this way.
 */
#include <string.h>
#include "store/store.h"
#include "util/err.h"

void store_line_split(const char *v, size_t n, char **buf, size_t *cap, const char *vals[FC__COUNT])
{
	if (*cap < n + FC__COUNT + 1) {
		*cap = (n + FC__COUNT + 1) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	char *w = *buf;
	size_t i = 0;
	memset(vals, 0, FC__COUNT * sizeof *vals);
	for (int c = 0; c < FC__COUNT; c++) {
		if (focus_columns[c].role != FR_KEY)
			continue;
		if (i >= n)
			break;
		if ((unsigned char)v[i] == (unsigned char)STORE_NULL && i + 1 < n && v[i + 1] == STORE_SEP) {
			i += 2;
			continue;
		}
		vals[c] = w;
		while (i < n && v[i] != STORE_SEP) {
			if ((unsigned char)v[i] == 0x1d && i + 1 < n)
				i++;
			*w++ = v[i++];
		}
		*w++ = 0;
		i++;
	}
}
