/*
 * csv.c - streaming RFC 4180 reader; see csv.h.
 *
 * Each record is handled in two passes over the window: find_end() locates
 * the record's terminating newline (a newline counts only when the number of
 * quotes before it in the record is even), then split() cuts the bytes into
 * fields and removes quote escaping in place. Splitting only once the whole
 * record is in memory means a refill never has to undo half-unescaped text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "formats/csv.h"
#include "util/err.h"

#define CSV_INITIAL (256 * 1024)

void csv_init(struct csv_reader *r, csv_read_fn read, void *ctx)
{
	memset(r, 0, sizeof *r);
	r->read = read;
	r->ctx = ctx;
	r->next_line = 1;
	r->max_record = 16u << 20;
	r->max_fields = 4096;
}

void csv_release(struct csv_reader *r)
{
	free(r->buf);
	free(r->fields);
	r->buf = NULL;
	r->fields = NULL;
}

static int fail(struct csv_reader *r, uint64_t line, uint32_t col, const char *msg)
{
	snprintf(r->err, sizeof r->err, "%s", msg);
	r->err_line = line;
	r->err_col = col;
	r->failed = 1;
	return -1;
}

/* Move the unread tail to the front and read more; grows the buffer if full. */
static int refill(struct csv_reader *r)
{
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->len == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : CSV_INITIAL;
		if (r->cap >= r->max_record + 1)
			return fail(r, r->next_line, 1, "record too long");
		r->buf = xrealloc(r->buf, ncap + 1);
		r->cap = ncap;
	}
	ssize_t got = r->read(r->ctx, r->buf + r->len, r->cap - r->len);
	if (got < 0)
		return fail(r, r->next_line, 1, "read error");
	if (got == 0)
		r->eof = 1;
	r->len += (size_t)got;
	return 0;
}

/*
 * Find the end of the record starting at r->pos. On success *end is the
 * offset of its '\n' (or r->len at end of input) and 1 is returned; 0 means
 * more input is needed.
 */
static int find_end(struct csv_reader *r, size_t *end, size_t *scan_from, int *inq)
{
	const char *b = r->buf;
	size_t i = *scan_from;
	int q = *inq;
	while (i < r->len) {
		const char *nl = memchr(b + i, '\n', r->len - i);
		size_t stop = nl ? (size_t)(nl - b) : r->len;
		/* Quote parity over [i, stop). */
		for (const char *p = b + i; (p = memchr(p, '"', (size_t)(b + stop - p))); p++)
			q ^= 1;
		if (!nl) {
			i = stop;
			break;
		}
		if (!q) {
			*end = stop;
			return 1;
		}
		i = stop + 1;
	}
	*scan_from = i;
	*inq = q;
	return 0;
}

static struct csv_field *push_field(struct csv_reader *r)
{
	if (r->nfields == r->fcap) {
		r->fcap = r->fcap ? r->fcap * 2 : 64;
		r->fields = xrealloc(r->fields, r->fcap * sizeof *r->fields);
	}
	return &r->fields[r->nfields++];
}

/* Split buf[start, end) into fields, unescaping quoted ones in place. */
static int split(struct csv_reader *r, size_t start, size_t end)
{
	char *b = r->buf;
	size_t i = start, line_start = start;
	uint32_t dline = 0;

	r->nfields = 0;
	if (end > start && b[end - 1] == '\r')
		end--;
	for (;;) {
		struct csv_field *f;
		if (r->nfields >= r->max_fields)
			return fail(r, r->line + dline, (uint32_t)(i - line_start + 1), "too many fields");
		f = push_field(r);
		f->col = (uint32_t)(i - line_start + 1);
		f->dline = dline;
		if (i < end && b[i] == '"') {
			/* Quoted: copy down over doubled quotes. */
			size_t w = ++i;
			f->quoted = 1;
			f->p = b + w;
			for (;;) {
				if (i >= end)
					break; /* unreachable after find_end, but safe */
				char c = b[i];
				if (c == '"') {
					if (i + 1 < end && b[i + 1] == '"') {
						b[w++] = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				if (c == '\n') {
					dline++;
					line_start = i + 1;
				}
				b[w++] = c;
				i++;
			}
			/* Text after the closing quote is kept literally ("ab"c -> abc). */
			while (i < end && b[i] != ',')
				b[w++] = b[i++];
			f->n = (uint32_t)(w - (size_t)(f->p - b));
		} else {
			const char *c = memchr(b + i, ',', end - i);
			size_t stop = c ? (size_t)(c - b) : end;
			f->quoted = 0;
			f->p = b + i;
			f->n = (uint32_t)(stop - i);
			i = stop;
		}
		if (i >= end)
			break;
		i++; /* skip ',' */
	}
	r->next_line = r->line + dline + 1;
	return 0;
}

int csv_next(struct csv_reader *r)
{
	size_t end = 0, scan_from, start;
	int inq = 0;

	if (r->failed)
		return -1;
	if (!r->started) {
		r->started = 1;
		while (r->len < 3 && !r->eof)
			if (refill(r) < 0)
				return -1;
		if (r->len >= 3 && memcmp(r->buf, "\xef\xbb\xbf", 3) == 0)
			r->pos = 3;
	}
	scan_from = r->pos;
	for (;;) {
		if (find_end(r, &end, &scan_from, &inq))
			break;
		if (r->eof) {
			if (r->pos >= r->len)
				return 0;
			if (inq)
				return fail(r, r->next_line, 1, "unterminated quoted field at end of input");
			end = r->len;
			break;
		}
		size_t off = scan_from - r->pos;
		if (refill(r) < 0)
			return -1;
		scan_from = r->pos + off;
	}
	start = r->pos;
	r->line = r->next_line;
	r->pos = end < r->len ? end + 1 : end;
	if (end - start > r->max_record)
		return fail(r, r->line, 1, "record too long");
	if (split(r, start, end) < 0)
		return -1;
	return 1;
}

ssize_t csv_mem_read(void *ctx, void *buf, size_t n)
{
	struct csv_mem *m = ctx;
	size_t left = m->n - m->off;
	if (m->chunk && n > m->chunk)
		n = m->chunk;
	if (n > left)
		n = left;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}
