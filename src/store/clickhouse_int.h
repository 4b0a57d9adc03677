/*
 * clickhouse_int.h - what the ClickHouse ledger's files share: the HTTP
 * client (clickhouse_http.c) and the RowBinary encoder/decoder it speaks.
 * Only src/store/clickhouse*.c include it.
 *
 * Ownership: a struct chbuf owns its bytes (free with chbuf_free); a
 * struct rbin reads a buffer it does not own.
 */
#ifndef AICOST_CLICKHOUSE_INT_H
#define AICOST_CLICKHOUSE_INT_H

#include <stddef.h>
#include <stdint.h>
#include "core/money.h"

struct chbuf {
	unsigned char *p;
	size_t n, cap;
};

void chbuf_free(struct chbuf *b);
void chbuf_put(struct chbuf *b, const void *p, size_t n);
void rb_u8(struct chbuf *b, uint8_t v);
void rb_u32(struct chbuf *b, uint32_t v);
void rb_u64(struct chbuf *b, uint64_t v);
static inline void rb_i32(struct chbuf *b, int32_t v) { rb_u32(b, (uint32_t)v); }
static inline void rb_i64(struct chbuf *b, int64_t v) { rb_u64(b, (uint64_t)v); }
/* Decimal(38,18) is a little-endian Int128 scaled by 1e18: money_t exactly. */
void rb_money(struct chbuf *b, money_t v);
void rb_str(struct chbuf *b, const char *s, size_t n);
/* Nullable(String): NULL as a 1 byte, else 0 and the string. */
void rb_nstr(struct chbuf *b, const char *s);

/* A RowBinary reader: any read past the end sets bad and returns zeros. */
struct rbin {
	const unsigned char *p, *end;
	int bad;
};
uint8_t rd_u8(struct rbin *r);
uint32_t rd_u32(struct rbin *r);
uint64_t rd_u64(struct rbin *r);
static inline int32_t rd_i32(struct rbin *r) { return (int32_t)rd_u32(r); }
static inline int64_t rd_i64(struct rbin *r) { return (int64_t)rd_u64(r); }
money_t rd_money(struct rbin *r);
/* A String: pointer into the buffer (not NUL-terminated) and its length. */
const char *rd_str(struct rbin *r, size_t *n);

struct chhttp;
/* base: "http://HOST:PORT/"; shown: the ledger's name in messages. */
struct chhttp *chhttp_new(const char *base, const char *database, const char *shown);
void chhttp_free(struct chhttp *h);
/*
 * Run one statement. With data == NULL, `sql` is the POST body (SELECT,
 * DDL); otherwise `sql` goes in the URL and data (RowBinary rows) is the
 * body. The reply body goes to *out when out != NULL. The database is
 * omitted from the URL when use_db is 0 (CREATE DATABASE). -1 after
 * reporting "LEDGER: what: the server's first message line".
 */
int chhttp_run(struct chhttp *h, const char *what, const char *sql, const struct chbuf *data, struct chbuf *out,
	       int use_db);

#endif
