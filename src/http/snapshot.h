/*
 * snapshot.h - the server's in-memory copy of what report queries read: the
 * daily sums (per amount column, loaded on first use), the lines and the tag
 * sets of one ledger version, shared read-only by all worker threads.
 *
 * Why: a report over a 10M-row ledger spends most of its ~150 ms reading
 * ~440k daily rows out of SQLite; from memory the same scan is a few ms. The
 * snapshot answers the store ops daily_scan, day_range, line_scan and
 * tagset_scan in exactly the order SQLite does (the daily table's primary
 * key order, day first), so every result is byte-identical to the CLI's.
 *
 * How: a worker's ledger connection gets a copy of its ops table with those
 * four ops replaced (snap_hook); every other op, present or future, is the
 * real one. Before a query the worker names the snapshot of the query's
 * ledger version (snap_use); the hooked ops read it, loading missing pieces
 * through the real ops under the snapshot's lock. A column with more than
 * SNAP_MAX_ROWS rows is not copied (the real scan is used).
 *
 * Ownership: snapshots are reference counted (snap_new gives one reference,
 * snap_unref drops one; the last frees everything).
 */
#ifndef AICOST_HTTP_SNAPSHOT_H
#define AICOST_HTTP_SNAPSHOT_H

#include <stddef.h>

struct store;
struct store_ops;
struct snap;

#define SNAP_MAX_ROWS ((size_t)20000000)

struct snap *snap_new(const char *version);
void snap_ref(struct snap *s);
void snap_unref(struct snap *s);
const char *snap_version(const struct snap *s);
/* Bytes held (for the log and tests). */
size_t snap_bytes(struct snap *s);

/*
 * Hook st: *ops receives a copy of st->ops with the four read ops replaced,
 * and st->ops points to it. *real keeps the original (st->ops before).
 * ops must live as long as st.
 */
void snap_hook(struct store *st, struct store_ops *ops, const struct store_ops **real);
/* The snapshot this thread's hooked store reads (NULL: the real ops) and the real ops table. */
void snap_use(struct snap *s, const struct store_ops *real);

#endif
