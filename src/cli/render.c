/* render.c - output formats shared by the commands; see render.h. */
#include <stdlib.h>
#include <string.h>
#include "cli/render.h"

void table_init(struct table *t, size_t ncols, const char *const *head, const int *is_money)
{
	memset(t, 0, sizeof *t);
	t->ncols = ncols;
	t->head = xcalloc(ncols, sizeof *t->head);
	t->is_money = xcalloc(ncols, sizeof *t->is_money);
	for (size_t c = 0; c < ncols; c++) {
		t->head[c] = xstrdup(head[c]);
		t->is_money[c] = is_money ? is_money[c] : 0;
	}
}

void table_add_row(struct table *t)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = xrealloc(t->cells, t->cap * t->ncols * sizeof *t->cells);
		t->money = xrealloc(t->money, t->cap * t->ncols * sizeof *t->money);
	}
	memset(t->cells + t->nrows * t->ncols, 0, t->ncols * sizeof *t->cells);
	memset(t->money + t->nrows * t->ncols, 0, t->ncols * sizeof *t->money);
	t->nrows++;
}

void table_set(struct table *t, size_t col, const char *s)
{
	char **c = &t->cells[(t->nrows - 1) * t->ncols + col];
	free(*c);
	*c = xstrdup(s ? s : "");
}

void table_set_money(struct table *t, size_t col, money_t v)
{
	char buf[MONEY_BUFSZ + 16];
	t->money[(t->nrows - 1) * t->ncols + col] = v;
	money_human(v, buf);
	table_set(t, col, buf);
}

void table_release(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	for (size_t c = 0; c < t->ncols; c++)
		free(t->head[c]);
	free(t->head);
	free(t->is_money);
	free(t->cells);
	free(t->money);
	memset(t, 0, sizeof *t);
}

/* Display width of UTF-8 text (code points; good enough for tag values). */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void table_print(const struct table *t, FILE *f)
{
	size_t *wd = xcalloc(t->ncols, sizeof *wd);
	for (size_t c = 0; c < t->ncols; c++)
		wd[c] = width(t->head[c]);
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t w = width(t->cells[r * t->ncols + c] ? t->cells[r * t->ncols + c] : "");
			if (w > wd[c])
				wd[c] = w;
		}
	for (size_t r = 0; r <= t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = r == 0 ? t->head[c] : t->cells[(r - 1) * t->ncols + c];
			if (!s)
				s = "";
			size_t pad = wd[c] - width(s);
			if (t->is_money[c])
				fprintf(f, "%s%*s%s", c ? "  " : "", (int)pad, "", s);
			else
				fprintf(f, "%s%s%*s", c ? "  " : "", s, c + 1 < t->ncols ? (int)pad : 0, "");
		}
		fputc('\n', f);
	}
	free(wd);
}

static void csv_cell(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void table_print_csv(const struct table *t, FILE *f)
{
	for (size_t c = 0; c < t->ncols; c++) {
		if (c)
			fputc(',', f);
		csv_cell(f, t->head[c]);
	}
	fputc('\n', f);
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			if (c)
				fputc(',', f);
			if (t->is_money[c] == 1) {
				char b[MONEY_BUFSZ];
				money_str(t->money[r * t->ncols + c], b);
				fputs(b, f);
			} else {
				csv_cell(f, t->cells[r * t->ncols + c] ? t->cells[r * t->ncols + c] : "");
			}
		}
		fputc('\n', f);
	}
}

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void json_money(FILE *f, money_t v)
{
	char b[MONEY_BUFSZ];
	money_str(v, b);
	fputs(b, f);
}

void money_human(money_t v, char *buf)
{
	char raw[MONEY_BUFSZ];
	size_t n = money_format(v, raw, 2, 2), o = 0;
	const char *p = raw;
	if (*p == '-')
		buf[o++] = *p++, n--;
	const char *dot = strchr(p, '.');
	size_t intlen = dot ? (size_t)(dot - p) : strlen(p);
	for (size_t i = 0; i < intlen; i++) {
		if (i && (intlen - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = p[i];
	}
	strcpy(buf + o, p + intlen);
}
