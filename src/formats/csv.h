/*
 * csv.h - a streaming RFC 4180 reader.
 *
 * Reads records from a byte source through a fixed-size window that grows
 * only to hold the longest record, so memory stays flat however long the
 * file is. Fields point into the reader's buffer and are valid until the
 * next csv_next() call; the reader owns all memory.
 *
 * Tolerated: UTF-8 BOM, LF or CRLF, quoted fields spanning lines, a last
 * record without a newline, and text after a closing quote (kept literally).
 * Errors: an unterminated quote at end of input, a record over max_record
 * bytes, more than max_fields fields, or a read error from the source.
 */
#ifndef AICOST_CSV_H
#define AICOST_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Returns bytes read, 0 at end of input, -1 on error (already reported). */
typedef ssize_t (*csv_read_fn)(void *ctx, void *buf, size_t n);

struct csv_field {
	const char *p;
	uint32_t n;
	uint32_t col;     /* 1-based byte column of the field in its line */
	uint32_t dline;   /* lines between the record start and this field */
	uint32_t quoted;
};

struct csv_reader {
	csv_read_fn read;
	void *ctx;
	char *buf;
	size_t cap, len, pos;
	struct csv_field *fields;
	size_t nfields, fcap;
	uint64_t line;        /* first physical line of the current record, 1-based */
	uint64_t next_line;
	size_t max_record;
	size_t max_fields;
	int eof, failed, started;
	/* Set when csv_next returns -1. */
	char err[256];
	uint64_t err_line;
	uint32_t err_col;
};

/* Defaults: 16 MiB records, 4096 fields. */
void csv_init(struct csv_reader *r, csv_read_fn read, void *ctx);
void csv_release(struct csv_reader *r);

/*
 * Read the next record into r->fields/r->nfields. Returns 1 for a record,
 * 0 at end of input, -1 on error (r->err, r->err_line, r->err_col say why).
 * Blank lines are records with one empty field; callers skip them.
 */
int csv_next(struct csv_reader *r);

/* Physical line of field i of the current record. */
static inline uint64_t csv_field_line(const struct csv_reader *r, size_t i)
{
	return r->line + r->fields[i].dline;
}

/* Convenience for in-memory data (tests, fuzzing): a source over a buffer. */
struct csv_mem {
	const char *p;
	size_t n, off;
	size_t chunk;  /* max bytes per read, to exercise refills; 0 = all */
};
ssize_t csv_mem_read(void *ctx, void *buf, size_t n);

#endif
