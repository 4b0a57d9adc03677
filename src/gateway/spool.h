/*
 * spool.h - the gateway's durable metering spool and its ledger writer.
 *
 * Every request's record (a request-log JSONL line, SPEC section 2) is
 * appended with one write() to the current spool segment BEFORE the
 * response's last byte goes to the client. write() puts it in the page
 * cache, so a kill -9 of the gateway loses nothing that a client saw
 * complete. A writer thread fdatasync()s the segment every fsync_interval
 * seconds or fsync_records records (whichever first); only a power loss or
 * kernel crash inside that window can lose records (docs/gateway.md).
 *
 * Segments: DIR/seg-<seq>.open while written; sealed (after fdatasync) by
 * renaming to DIR/seg-<seq>.jsonl after segment_s seconds or
 * segment_records records. The writer thread ingests each sealed segment
 * into the ledger with `ingest llm` (one transaction; the ledger identifies
 * a source by the SHA-256 of its bytes, and a sealed segment never changes,
 * so replaying a segment twice is a no-op: exactly once), then moves it to
 * the request-log directory or deletes it.
 *
 * Crash recovery (spool_open): a leftover .open segment is cut after its
 * last complete line (a torn write) and sealed; spool_replay() then ingests
 * every sealed segment before the gateway serves.
 *
 * Threads: spool_append/spool_tick/spool_close run on the event loop; the
 * writer thread owns its own ledger connection. A lock file keeps two
 * gateways off one spool.
 *
 * Ownership: the spool copies the option strings it keeps.
 */
#ifndef AICOST_GW_SPOOL_H
#define AICOST_GW_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct price_catalog;

struct gw_spool_opts {
	const char *dir;
	double fsync_interval_s;
	uint32_t fsync_records;
	double segment_s;
	uint32_t segment_records;
	const char *archive_dir;     /* ingested segments go here; NULL = deleted */
	const char *db_path;         /* the ledger; NULL = no ledger (segments stay or go to the archive) */
	const struct price_catalog *cat;
	int detail_only;
};

struct gw_spool_stats {
	uint64_t records, bytes, write_errors, fsyncs;
	uint64_t sealed, ingested, ingest_errors;
	uint64_t ledger_records;     /* records the ledger took */
};

struct gw_spool;

/* Lock the directory, seal leftovers of a crash. NULL after reporting. */
struct gw_spool *spool_open(const struct gw_spool_opts *o);
/* Ingest every sealed segment now (startup). 0 or -1 (reported; the segments stay). */
int spool_replay(struct gw_spool *s);
/* Open a fresh segment and start the writer thread. 0 or -1. */
int spool_start(struct gw_spool *s, double now);
/* Append one record (a full line). 0 or -1 (counted, warned once a minute). */
int spool_append(struct gw_spool *s, const char *rec, size_t n, double now);
/* Seal the segment when it is old enough (call from a timer). */
void spool_tick(struct gw_spool *s, double now);
/* Seal, ingest what is left, stop the thread, unlock. */
void spool_close(struct gw_spool *s);
void spool_stats(struct gw_spool *s, struct gw_spool_stats *st);

#endif
