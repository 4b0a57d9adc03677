/*
 * spool.c - durable metering spool, segment sealing, exactly-once replay
 * into the ledger; see spool.h.
 *
 * Chapters: file helpers, recovery, ingesting a segment, the writer
 * thread, and the event-loop side (append, rotate, close).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "core/ingest.h"
#include "core/llm_ingest.h"
#include "gateway/spool.h"
#include "store/store.h"
#include "util/err.h"

#define SEG_PREFIX "seg-"
#define QMAX 64

struct sealed {
	int fd;
	uint64_t seq;
};

struct gw_spool {
	char *dir, *archive, *db;
	const struct price_catalog *cat;
	int detail_only;
	double fsync_interval, segment_s;
	uint32_t fsync_records, segment_records;
	int lock_fd;
	/* event-loop side */
	int fd;                      /* current segment, O_APPEND */
	uint64_t seq;
	uint64_t seg_records;
	off_t seg_size;
	double seg_started;
	double last_warn;
	/* shared */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sealed q[QMAX];
	int qn;
	int stop;
	int thread_on;
	pthread_t th;
	uint64_t appended;           /* records written (atomic) */
	uint64_t synced;             /* records known durable (writer) */
	struct gw_spool_stats st;    /* counters, updated with atomics */
};

#define ADD(field, v) __atomic_add_fetch(&s->st.field, (v), __ATOMIC_RELAXED)

/* ---- file helpers ------------------------------------------------------------------------- */

static char *seg_path(const struct gw_spool *s, uint64_t seq, const char *ext)
{
	size_t n = strlen(s->dir) + 48;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/" SEG_PREFIX "%016" PRIu64 ".%s", s->dir, seq, ext);
	return p;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int mkdir_p(const char *d)
{
	if (mkdir(d, 0700) == 0 || errno == EEXIST)
		return 0;
	return error("%s: cannot create the directory: %s", d, strerror(errno));
}

/* Segments in dir with extension ext, sorted by sequence. */
static size_t list_segments(const char *dir, const char *ext, uint64_t **out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0, cap = 0;
	*out = NULL;
	if (!d)
		return 0;
	size_t el = strlen(ext);
	while ((de = readdir(d))) {
		const char *nm = de->d_name;
		size_t l = strlen(nm);
		if (strncmp(nm, SEG_PREFIX, 4) || l != 4 + 16 + 1 + el || nm[20] != '.' || strcmp(nm + 21, ext))
			continue;
		char *e;
		uint64_t seq = strtoull(nm + 4, &e, 10);
		if (e != nm + 20)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		(*out)[n++] = seq;
	}
	closedir(d);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && (*out)[j - 1] > (*out)[j]; j--) {
			uint64_t t = (*out)[j];
			(*out)[j] = (*out)[j - 1];
			(*out)[j - 1] = t;
		}
	return n;
}

/* ---- recovery ------------------------------------------------------------------------------- */

/* Cut a leftover segment after its last complete line, then seal it (or drop it when empty). */
static int recover_open(struct gw_spool *s, uint64_t seq)
{
	char *p = seg_path(s, seq, "open"), *q = seg_path(s, seq, "jsonl");
	int rc = -1, fd = open(p, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		error("%s: %s", p, strerror(errno));
		goto out;
	}
	struct stat sb;
	if (fstat(fd, &sb) < 0)
		goto out_err;
	off_t end = sb.st_size;
	char buf[4096];
	/* Walk back to the last '\n'. */
	while (end > 0) {
		off_t from = end > (off_t)sizeof buf ? end - (off_t)sizeof buf : 0;
		ssize_t r = pread(fd, buf, (size_t)(end - from), from);
		if (r <= 0)
			goto out_err;
		ssize_t i;
		for (i = r - 1; i >= 0 && buf[i] != '\n'; i--)
			;
		if (i >= 0) {
			end = from + i + 1;
			break;
		}
		end = from;
	}
	if (end != sb.st_size) {
		warning("%s: cut a torn last record (%lld bytes) left by a crash", p, (long long)(sb.st_size - end));
		if (ftruncate(fd, end) < 0)
			goto out_err;
	}
	if (end == 0) {
		close(fd);
		fd = -1;
		unlink(p);
		rc = 0;
		goto out;
	}
	if (fdatasync(fd) < 0 || rename(p, q) < 0)
		goto out_err;
	fsync_dir(s->dir);
	rc = 0;
	goto out;
out_err:
	error("%s: recovering the spool segment: %s", p, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	free(p);
	free(q);
	return rc;
}

struct gw_spool *spool_open(const struct gw_spool_opts *o)
{
	struct gw_spool *s = xcalloc(1, sizeof *s);
	s->dir = xstrdup(o->dir);
	s->archive = o->archive_dir ? xstrdup(o->archive_dir) : NULL;
	s->db = o->db_path ? xstrdup(o->db_path) : NULL;
	s->cat = o->cat;
	s->detail_only = o->detail_only;
	s->fsync_interval = o->fsync_interval_s;
	s->fsync_records = o->fsync_records ? o->fsync_records : 1;
	s->segment_s = o->segment_s;
	s->segment_records = o->segment_records ? o->segment_records : 1;
	s->fd = -1;
	s->lock_fd = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (mkdir_p(s->dir) < 0 || (s->archive && mkdir_p(s->archive) < 0))
		goto fail;
	size_t ln = strlen(s->dir) + 8;
	char *lp = xmalloc(ln);
	snprintf(lp, ln, "%s/lock", s->dir);
	s->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		error("%s: %s", lp, s->lock_fd < 0 ? strerror(errno) : "another gateway is using this spool directory");
		free(lp);
		goto fail;
	}
	free(lp);
	uint64_t *seqs;
	size_t n = list_segments(s->dir, "open", &seqs);
	for (size_t i = 0; i < n; i++) {
		if (recover_open(s, seqs[i]) < 0) {
			free(seqs);
			goto fail;
		}
		if (seqs[i] > s->seq)
			s->seq = seqs[i];
	}
	free(seqs);
	n = list_segments(s->dir, "jsonl", &seqs);
	if (n && seqs[n - 1] > s->seq)
		s->seq = seqs[n - 1];
	free(seqs);
	return s;
fail:
	spool_close(s);
	return NULL;
}

/* ---- ingesting a segment ---------------------------------------------------------------------- */

/* Make the ledger's committed transactions durable (its WAL file) before the segment goes. */
static void ledger_sync(const char *db)
{
	size_t n = strlen(db) + 8;
	char *w = xmalloc(n);
	snprintf(w, n, "%s-wal", db);
	int fd = open(w, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		fdatasync(fd);
		close(fd);
	}
	free(w);
}

/* Move an ingested (or, without a ledger, sealed) segment out of the spool. */
static void retire(struct gw_spool *s, uint64_t seq)
{
	char *p = seg_path(s, seq, "jsonl");
	if (s->archive) {
		size_t n = strlen(s->archive) + 48;
		char *q = xmalloc(n);
		snprintf(q, n, "%s/" SEG_PREFIX "%016" PRIu64 ".jsonl", s->archive, seq);
		if (rename(p, q) < 0)
			warning("%s: cannot move it to %s: %s (left in the spool; the ledger will not count it twice)", p,
				s->archive, strerror(errno));
		free(q);
	} else if (s->db) {
		unlink(p);
	}
	free(p);
}

static int ingest_segment(struct gw_spool *s, struct store *st, uint64_t seq)
{
	char *p = seg_path(s, seq, "jsonl");
	struct ingest_opts io = { 0 };
	struct ingest_session *ss = ingest_begin(st, &io);
	struct llm_ingest_opts lo = { .detail_only = s->detail_only, .allow_overlap = 1 };
	struct llm_ingest_result res;
	int rc = ingest_llm_file(ss, s->cat, &lo, p, &res);
	ingest_end(ss);
	free(p);
	if (rc < 0) {
		ADD(ingest_errors, 1);
		return -1;
	}
	ledger_sync(s->db);
	ADD(ingested, 1);
	if (!res.base.duplicate)
		ADD(ledger_records, res.records);
	retire(s, seq);
	return 0;
}

int spool_replay(struct gw_spool *s)
{
	uint64_t *seqs;
	size_t n = list_segments(s->dir, "jsonl", &seqs);
	int rc = 0;
	if (!n) {
		free(seqs);
		return 0;
	}
	if (!s->db) {
		for (size_t i = 0; i < n; i++)
			retire(s, seqs[i]);
		free(seqs);
		return 0;
	}
	struct store *st = store_open(s->db, 1);
	if (!st) {
		free(seqs);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = ingest_segment(s, st, seqs[i]);
	st->ops->close(st);
	free(seqs);
	return rc;
}

/* ---- the writer thread ---------------------------------------------------------------------------- */

static void seal(struct gw_spool *s, struct store *st, const struct sealed *x)
{
	char *p = seg_path(s, x->seq, "open"), *q = seg_path(s, x->seq, "jsonl");
	if (fdatasync(x->fd) < 0)
		warning("%s: fdatasync: %s", p, strerror(errno));
	close(x->fd);
	if (rename(p, q) < 0) {
		warning("%s: cannot seal: %s (it is recovered at the next start)", p, strerror(errno));
		free(p);
		free(q);
		return;
	}
	free(p);
	free(q);
	fsync_dir(s->dir);
	ADD(sealed, 1);
	if (st)
		ingest_segment(s, st, x->seq);
	else if (!s->db)
		retire(s, x->seq);
}

static void *writer(void *arg)
{
	struct gw_spool *s = arg;
	struct store *st = NULL;
	uint64_t retried_errors = 0;
	/*
	 * Ledger ingest is background work (parsing and pricing each record
	 * again costs far more CPU than serving it did): on a busy machine the
	 * event loop comes first. Durability does not depend on this thread's
	 * speed: records are in the spool before their responses end.
	 */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
	time_t last_retry = 0;
	if (s->db && !(st = store_open(s->db, 1)))
		warning("the gateway's ledger writer could not open %s: sealed spool segments wait for the next start",
			s->db);
	for (;;) {
		struct sealed q[QMAX];
		int qn, stopping, fd = -1;
		uint64_t app;
		pthread_mutex_lock(&s->mu);
		while (!s->stop && !s->qn) {
			uint64_t pending = __atomic_load_n(&s->appended, __ATOMIC_ACQUIRE) -
					   __atomic_load_n(&s->synced, __ATOMIC_RELAXED);
			if (pending >= s->fsync_records)
				break;
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			double w = s->fsync_interval > 0 ? s->fsync_interval : 0.001;
			long ns = ts.tv_nsec + (long)((w - (long)w) * 1e9);
			ts.tv_sec += (time_t)w + ns / 1000000000L;
			ts.tv_nsec = ns % 1000000000L;
			if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT)
				break;
		}
		qn = s->qn;
		memcpy(q, s->q, (size_t)qn * sizeof q[0]);
		s->qn = 0;
		stopping = s->stop;
		app = __atomic_load_n(&s->appended, __ATOMIC_ACQUIRE);
		if (app != s->synced && s->fd >= 0)
			fd = dup(s->fd);
		pthread_mutex_unlock(&s->mu);
		if (fd >= 0) {
			fdatasync(fd);
			close(fd);
			ADD(fsyncs, 1);
		}
		/* Sealed segments were fully written before they were queued: their records count as synced here. */
		for (int i = 0; i < qn; i++)
			seal(s, st, &q[i]);
		if (fd >= 0 || qn)
			__atomic_store_n(&s->synced, app, __ATOMIC_RELEASE);
		/* Segments a failed ingest left behind (a locked or full ledger): try again now and then. */
		if (st && __atomic_load_n(&s->st.ingest_errors, __ATOMIC_RELAXED) != retried_errors) {
			time_t now = time(NULL);
			if (now - last_retry >= 5 || stopping) {
				uint64_t *seqs;
				size_t n = list_segments(s->dir, "jsonl", &seqs);
				retried_errors = __atomic_load_n(&s->st.ingest_errors, __ATOMIC_RELAXED);
				for (size_t i = 0; i < n; i++)
					ingest_segment(s, st, seqs[i]);
				free(seqs);
				last_retry = now;
			}
		}
		if (stopping) {
			pthread_mutex_lock(&s->mu);
			int more = s->qn;
			pthread_mutex_unlock(&s->mu);
			if (!more)
				break;
		}
	}
	if (st)
		st->ops->close(st);
	return NULL;
}

/* ---- the event-loop side ------------------------------------------------------------------------- */

static int open_segment(struct gw_spool *s, double now)
{
	char *p = seg_path(s, s->seq + 1, "open");
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		error("%s: %s", p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	s->seq++;
	pthread_mutex_lock(&s->mu);
	s->fd = fd;
	pthread_mutex_unlock(&s->mu);
	s->seg_records = 0;
	s->seg_size = 0;
	s->seg_started = now;
	return 0;
}

/* Hand the current segment to the writer to seal, and start a new one. */
static void rotate(struct gw_spool *s, double now)
{
	if (s->fd < 0 || !s->seg_records)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->qn == QMAX) {
		/* The writer is far behind (a slow ledger): keep writing this segment. */
		pthread_mutex_unlock(&s->mu);
		return;
	}
	s->q[s->qn++] = (struct sealed){ s->fd, s->seq };
	s->fd = -1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (open_segment(s, now) < 0)
		s->fd = -1;
}

int spool_start(struct gw_spool *s, double now)
{
	if (open_segment(s, now) < 0)
		return -1;
	if (pthread_create(&s->th, NULL, writer, s) != 0)
		return error("cannot start the spool writer thread");
	s->thread_on = 1;
	return 0;
}

int spool_append(struct gw_spool *s, const char *rec, size_t n, double now)
{
	size_t done = 0;
	if (s->fd < 0 && open_segment(s, now) < 0)
		goto fail;
	while (done < n) {
		ssize_t w = write(s->fd, rec + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			/* Never leave half a record: the next one would be glued to it. */
			if (done && ftruncate(s->fd, s->seg_size) < 0)
				s->seg_size += (off_t)done;
			goto fail;
		}
		done += (size_t)w;
	}
	s->seg_size += (off_t)n;
	s->seg_records++;
	ADD(records, 1);
	ADD(bytes, n);
	uint64_t app = __atomic_add_fetch(&s->appended, 1, __ATOMIC_RELEASE);
	if (s->seg_records >= s->segment_records)
		rotate(s, now);
	else if (app - __atomic_load_n(&s->synced, __ATOMIC_ACQUIRE) >= s->fsync_records)
		pthread_cond_signal(&s->cv);
	return 0;
fail:
	ADD(write_errors, 1);
	if (now - s->last_warn > 60 || s->last_warn == 0) {
		s->last_warn = now;
		warning("spool %s: cannot write a metering record: %s", s->dir, strerror(errno));
	}
	return -1;
}

void spool_tick(struct gw_spool *s, double now)
{
	if (s->seg_records && now - s->seg_started >= s->segment_s)
		rotate(s, now);
}

void spool_close(struct gw_spool *s)
{
	if (!s)
		return;
	if (s->thread_on) {
		rotate(s, 0);
		pthread_mutex_lock(&s->mu);
		s->stop = 1;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->th, NULL);
	}
	if (s->fd >= 0) {
		/* An empty last segment (nothing was served since the last seal). */
		char *p = seg_path(s, s->seq, "open");
		close(s->fd);
		if (!s->seg_records)
			unlink(p);
		free(p);
	}
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->dir);
	free(s->archive);
	free(s->db);
	free(s);
}

void spool_stats(struct gw_spool *s, struct gw_spool_stats *st)
{
	st->records = __atomic_load_n(&s->st.records, __ATOMIC_RELAXED);
	st->bytes = __atomic_load_n(&s->st.bytes, __ATOMIC_RELAXED);
	st->write_errors = __atomic_load_n(&s->st.write_errors, __ATOMIC_RELAXED);
	st->fsyncs = __atomic_load_n(&s->st.fsyncs, __ATOMIC_RELAXED);
	st->sealed = __atomic_load_n(&s->st.sealed, __ATOMIC_RELAXED);
	st->ingested = __atomic_load_n(&s->st.ingested, __ATOMIC_RELAXED);
	st->ingest_errors = __atomic_load_n(&s->st.ingest_errors, __ATOMIC_RELAXED);
	st->ledger_records = __atomic_load_n(&s->st.ledger_records, __ATOMIC_RELAXED);
}
