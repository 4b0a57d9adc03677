/*
 * err.h - the one error convention of aicost.
 *
 * Functions return an int: 0 on success, a negative code on failure
 * (usually -1). The failing function reports what went wrong once, through
 * error(), which prints "aicost: <message>" on stderr and returns -1, so a
 * call site can write `return error("open %s: %s", path, strerror(errno));`.
 * Callers up the stack just propagate the negative code; they do not print
 * again. Warnings go through warning() and are suppressed by --quiet.
 */
#ifndef AICOST_ERR_H
#define AICOST_ERR_H

#include <stdarg.h>

#define AICOST_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Exit codes (SPEC.md section 1). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,      /* the command failed */
	EXIT_USAGE = 2,     /* bad flags or arguments */
	EXIT_ACTION = 3,    /* success, but something needs the user's action */
};

/* Print "aicost: <fmt>" and return -1. */
int error(const char *fmt, ...) AICOST_PRINTF(1, 2);
/* Print "aicost: warning: <fmt>" unless warnings are muted. */
void warning(const char *fmt, ...) AICOST_PRINTF(1, 2);
/* Print "aicost: <fmt>" and exit(EXIT_USAGE). */
void usage_error(const char *fmt, ...) AICOST_PRINTF(1, 2) __attribute__((noreturn));
/* Abort on allocation failure: there is no sane recovery from ENOMEM here. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Global knobs set by main from --quiet. */
extern int err_quiet;
/* Tests capture messages instead of printing them when this is non-NULL. */
extern void (*err_sink)(const char *line);

#endif
