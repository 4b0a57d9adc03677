/*
 * datadir.h - find aicost's read-only data files (FOCUS rule sets, price
 * catalogs, ...) without any path baked in at build time.
 *
 * A data file is named by its path relative to the data root, e.g.
 * "focus/rules/model-1.2.json". The roots tried, in order:
 *   1. $AICOST_DATA, when set and non-empty (only that root: an explicit
 *      setting that does not hold the file is an error, not a fallback);
 *   2. <exe dir>/data            (a binary next to its data: ./aicost in a checkout);
 *   3. <exe dir>/../share/aicost (an installed tree: /usr/bin + /usr/share/aicost);
 *   4. <ancestor>/data for the 1st..3rd ancestor of the exe dir, so that
 *      binaries inside a build tree (build/rel/aicost, build/rel/tests/x)
 *      find the checkout's data/ without an install step.
 * The exe dir comes from /proc/self/exe, so symlinks to the binary work.
 */
#ifndef AICOST_DATADIR_H
#define AICOST_DATADIR_H

#include <stddef.h>

/*
 * Write the full path of data file `rel` into out (n bytes). Returns 0 when
 * a readable file was found, -1 after reporting "aicost: data file REL: not
 * found (...)" otherwise.
 */
int datadir_path(const char *rel, char *out, size_t n);

#endif
