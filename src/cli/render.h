/*
 * render.h - tables, CSV and JSON text for the command front ends.
 *
 * A `struct table` is filled cell by cell (strings are copied) and printed
 * in one of the output formats. Money cells carry their exact value so CSV
 * and JSON print every decimal while the table rounds to cents.
 */
#ifndef AICOST_RENDER_H
#define AICOST_RENDER_H

#include <stdio.h>
#include "cli/cli.h"
#include "core/money.h"

struct table {
	size_t ncols, nrows;
	char **head;
	int *is_money;       /* 1: money (exact in CSV/JSON); 2: right-aligned text */
	char **cells;        /* nrows * ncols, owned */
	money_t *money;      /* nrows * ncols */
	size_t cap;
};

void table_init(struct table *t, size_t ncols, const char *const *head, const int *is_money);
void table_add_row(struct table *t);
void table_set(struct table *t, size_t col, const char *s);
void table_set_money(struct table *t, size_t col, money_t v);
void table_release(struct table *t);
/* Human table: aligned, money with 2 decimals and thousands separators. */
void table_print(const struct table *t, FILE *f);
/* RFC 4180 CSV, exact money. */
void table_print_csv(const struct table *t, FILE *f);

/* JSON helpers. */
void json_str(FILE *f, const char *s);
void json_money(FILE *f, money_t v);
/* "1,234,567.89" (2 decimals) into buf of MONEY_BUFSZ + 16. */
void money_human(money_t v, char *buf);

#endif
