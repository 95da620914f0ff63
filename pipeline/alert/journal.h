/*
 * The alert journal: the durable, replayable record of every alert line.
 *
 * A folder of NDJSON segments named alerts-<first seq, 20 digits>.ndjson.
 * Lines are whole alert lines in the native layout (alert.schema.json), each
 * beginning with {"seq":N, and seqs run 1, 2, 3 ... with no gap across
 * segments and across restarts. The writer appends a batch of lines with one
 * write(2) before any reader, socket client or sink sees them (write-ahead):
 * a process killed with SIGKILL keeps every line a consumer was sent, since
 * the page cache outlives the process; fsync (journal.fsync) bounds what a
 * machine crash can take.
 *
 * Segments are rotated when the next batch would take the current one past
 * journal.segment_bytes, and whole segments are deleted, oldest first, while
 * the folder holds more than journal.retain_bytes or a segment's newest line
 * is older than journal.retain_age (the newest segment is never deleted).
 *
 * The writer side is used by one thread. Readers (replay to socket clients,
 * the NATS sink's catch-up) open their own files and may run in any thread
 * while the writer appends; a reader never returns a line the writer has not
 * finished writing.
 */
#ifndef FW_JOURNAL_H
#define FW_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"

#define JOURNAL_FSYNC_ALWAYS 0u         /* fsync after every batch */
#define JOURNAL_FSYNC_NEVER  UINT32_MAX /* leave it to the kernel */

struct journal_conf {
	const char *dir;        /* created (mode 0750) if missing */
	uint64_t segment_bytes; /* rotate past this size (a batch never splits); 0: never */
	uint64_t retain_bytes;  /* keep at most this much (whole segments); 0: no size limit */
	uint32_t retain_age_s;  /* delete segments whose newest line is older; 0: no age limit */
	uint32_t fsync_ms;      /* JOURNAL_FSYNC_ALWAYS, _NEVER, or at most this long unsynced */
};

struct journal;

/*
 * Open the journal in <conf->dir>, recovering from an unclean stop: a partial
 * last line (a crash mid-write) is cut off and counted (journal_torn_bytes),
 * and the last seq is read from the last whole line. Returns NULL and sets
 * <*err> (heap) if the folder cannot be created, listed or written, or a
 * segment's name and content disagree. <c> receives the journal_* counters;
 * it must outlive the journal. Control plane (start-up).
 */
struct journal *journal_open(const struct journal_conf *conf, struct counters *c, char **err);

/* The seq of the last line in the journal (0 if it is empty). */
uint64_t journal_last_seq(const struct journal *j);

/* The seq of the oldest line still retained (journal_last_seq() + 1 if empty). */
uint64_t journal_first_seq(const struct journal *j);

/*
 * Append <n> whole lines (<buf>, <len> bytes, each ending in '\n') holding
 * seqs journal_last_seq() + 1 ... + n, with one write(2) (looping over short
 * writes). Rotates first if the segment would pass segment_bytes; fsyncs per
 * the policy. Returns 0, or -errno after counting alert_journal_errors: the lines
 * are then not in the journal and the caller must not hand them out. Writer
 * thread.
 */
int journal_append(struct journal *j, const char *buf, size_t len, uint32_t n);

/*
 * Housekeeping, called about every millisecond by the writer thread: the
 * interval fsync and, about once a second, retention. Cheap when there is
 * nothing to do.
 */
void journal_tick(struct journal *j);

/*
 * journal_tick() at a given time: <now_ns> is CLOCK_MONOTONIC_COARSE
 * nanoseconds (what journal_tick() reads), or any later value; tests pass
 * chosen times to drive the fsync interval and retention. The first call runs
 * retention; later ones at most once per second of <now_ns>. Segment ages are
 * still judged against CLOCK_REALTIME (they are file modification times).
 * Writer thread.
 */
void journal_tick_at(struct journal *j, uint64_t now_ns);

/* fsync and close. Accepts NULL. */
void journal_close(struct journal *j);

/* A reader's result. */
enum journal_read {
	JOURNAL_LINE, /* *line, *len (with its '\n') and *seq set */
	JOURNAL_END,  /* nothing more yet: try again after the writer appends */
	JOURNAL_GAP,  /* lines up to *seq - 1 are gone (retention); next call continues at *seq */
	JOURNAL_ERR,  /* an I/O error or a malformed segment (logged once; sticky until _seek) */
};

struct journal_reader;

/*
 * A reader that returns the lines after seq <after> in order (the whole
 * journal if <after> is 0). Opens no file until the first read. NULL and
 * <*err> if out of memory. Any thread.
 */
struct journal_reader *journal_reader_open(const char *dir, uint64_t after, char **err);

/*
 * The next line. <*line> points into the reader's buffer and stays valid
 * until the next call. A line longer than the buffer (64 KiB: more than any
 * alert line) is JOURNAL_ERR.
 */
enum journal_read journal_reader_next(struct journal_reader *r, const char **line, size_t *len,
                                      uint64_t *seq);

/* Start over after seq <after> (e.g. to resend what a sink lost). */
void journal_reader_seek(struct journal_reader *r, uint64_t after);

/* Accepts NULL. */
void journal_reader_close(struct journal_reader *r);

/* The seq at the start of a journal line ({"seq":N,...), or 0 if it has none. */
uint64_t journal_line_seq(const char *line, size_t len);

#endif
