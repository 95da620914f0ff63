#include "alert/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "core/bug.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"

#define SEG_PREFIX     "alerts-"
#define SEG_SUFFIX     ".ndjson"
#define SEG_DIGITS     20
#define SEG_NAME_LEN   (sizeof(SEG_PREFIX) - 1 + SEG_DIGITS + sizeof(SEG_SUFFIX) - 1)
#define SEG_NAME_SIZE  (SEG_NAME_LEN + 1)
#define TAIL_BYTES     (64u * 1024)
#define READER_BUF     (64u * 1024)
#define RETAIN_EVERY   1000000000ull /* ns between retention passes */
#define SEQ_PREFIX     "{\"seq\":"
#define SEQ_PREFIX_LEN (sizeof(SEQ_PREFIX) - 1)
#define SYNC_QUEUE     8 /* files waiting for the syncer thread */

struct seg {
	uint64_t first;   /* seq of its first line (its name) */
	uint64_t size;    /* bytes */
	int64_t mtime_ns; /* CLOCK_REALTIME of its last write; only read once it is closed */
};

/*
 * fsync off the writer thread: a rotation or an interval sync hands a file
 * descriptor (its own, or a dup) to this thread, which syncs and closes it.
 * Syncing a full 64 MiB segment took up to 190 ms here; on the writer that
 * would be 190 ms of alert latency. Only journal.fsync: always syncs on the
 * writer, since that is what it asks for.
 */
struct syncer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fds[SYNC_QUEUE];
	bool data_only[SYNC_QUEUE]; /* fdatasync, else fsync (the folder) */
	unsigned int n;
	bool stop, started;
	uint64_t done, failed; /* read and reset by the writer at each tick */
};

struct journal {
	struct journal_conf conf; /* conf.dir points at dir below */
	struct syncer sync;
	char *dir;
	struct counters *c;
	int dirfd;
	int fd;             /* the newest segment, -1 before the first append or after a failure */
	bool trunc_pending; /* a failed batch could not be cut off yet */
	uint64_t last_seq;
	uint64_t cur_size;     /* bytes in the open segment */
	uint64_t unsynced;     /* bytes appended since the last fdatasync */
	uint64_t last_sync_ns; /* CLOCK_MONOTONIC_COARSE */
	uint64_t next_retain_ns;
	uint64_t total_bytes; /* sum of segs[].size */
	struct seg *segs;     /* oldest first; the last one is the open segment when fd >= 0 */
	size_t nseg, segcap;
};

static void *syncer_main(void *arg);

struct journal_reader {
	char *dir;
	char *buf; /* READER_BUF bytes: [beg, end) not yet returned */
	size_t beg, end;
	int fd;             /* -1: pick a segment at the next call */
	uint64_t seg_first; /* the first seq of the segment being read */
	uint64_t expect;    /* the seq the next line in the segment must carry */
	uint64_t next;      /* the first seq to return */
	bool next_exists;   /* the following segment exists, so this one is complete */
	bool failed;        /* sticky JOURNAL_ERR until journal_reader_seek() */
};

uint64_t
journal_line_seq(const char *line, size_t len)
{
	uint64_t v = 0;
	size_t i = SEQ_PREFIX_LEN;

	if (len <= SEQ_PREFIX_LEN || memcmp(line, SEQ_PREFIX, SEQ_PREFIX_LEN) != 0) {
		return 0;
	}
	/* JSON numbers carry no leading zero; a seq is never 0 */
	if (line[i] < '1' || line[i] > '9') {
		return 0;
	}
	for (; i < len && line[i] >= '0' && line[i] <= '9'; i++) {
		unsigned d = (unsigned)(line[i] - '0');

		if (v > (UINT64_MAX - d) / 10) {
			return 0;
		}
		v = v * 10 + d;
	}
	/* the number must be complete: a cut line could have lost digits */
	if (i == len || (line[i] != ',' && line[i] != '}')) {
		return 0;
	}
	return v;
}

/* The seq in a segment file name, or 0 if <name> is not exactly a segment name. */
static uint64_t
seg_name_seq(const char *name)
{
	uint64_t v = 0;
	size_t i;

	if (strlen(name) != SEG_NAME_LEN || memcmp(name, SEG_PREFIX, sizeof(SEG_PREFIX) - 1) != 0 ||
	    strcmp(name + sizeof(SEG_PREFIX) - 1 + SEG_DIGITS, SEG_SUFFIX) != 0) {
		return 0;
	}
	for (i = sizeof(SEG_PREFIX) - 1; i < sizeof(SEG_PREFIX) - 1 + SEG_DIGITS; i++) {
		unsigned d = (unsigned)(name[i] - '0');

		if (name[i] < '0' || name[i] > '9' || v > (UINT64_MAX - d) / 10) {
			return 0;
		}
		v = v * 10 + d;
	}
	return v;
}

static void
seg_name(char out[SEG_NAME_SIZE], uint64_t first)
{
	snprintf(out, SEG_NAME_SIZE, SEG_PREFIX "%020llu" SEG_SUFFIX, (unsigned long long)first);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The first seqs of the segments in <dirfd>, sorted, in a heap array (NULL if none). */
static int
list_segments(int dirfd, uint64_t **out, size_t *n)
{
	uint64_t *v = NULL, *nv;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d = NULL;
	int fd, rc = 0;

	*out = NULL;
	*n = 0;
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		rc = -errno;
		if (fd >= 0) {
			close(fd);
		}
		goto fail;
	}
	while ((de = readdir(d)) != NULL) {
		uint64_t first = seg_name_seq(de->d_name);

		if (first == 0) {
			continue;
		}
		if (cnt == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
			v = nv;
		}
		v[cnt++] = first;
	}
	closedir(d);
	if (cnt > 1) {
		qsort(v, cnt, sizeof(*v), cmp_u64);
	}
	*out = v;
	*n = cnt;
	return 0;
fail:
	if (d != NULL) {
		closedir(d);
	}
	free(v);
	return rc;
}

static int
pread_full(int fd, char *buf, size_t len, off_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got, off + (off_t)got);

		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			return -errno;
		}
		if (r == 0) {
			return -EIO; /* the file shrank under us */
		}
		got += (size_t)r;
	}
	return 0;
}

/*
 * What the tail of a segment says: <*whole> is the size up to the end of its
 * last whole line, <*last> that line's seq (0 if the segment has no whole line).
 * Lines in the tail must carry consecutive seqs and, if the tail reaches the
 * start of the file, begin at <first>; the first line is checked in any case.
 */
static int
scan_tail(int fd, const char *name, uint64_t first, uint64_t size, uint64_t *whole, uint64_t *last,
          char **err)
{
	uint64_t start = size > TAIL_BYTES ? size - TAIL_BYTES : 0, prev = 0, seq;
	size_t len = (size_t)(size - start), i, ls;
	char head[64];
	char *buf = NULL;
	char *nl;
	int rc;

	*whole = 0;
	*last = 0;
	if (size == 0) {
		return 0;
	}
	buf = malloc(TAIL_BYTES);
	if (buf == NULL) {
		err_set(err, "%s: out of memory", name);
		goto fail;
	}
	rc = pread_full(fd, buf, len, (off_t)start);
	if (rc != 0) {
		err_set(err, "%s: cannot read: %s", name, strerror(-rc));
		goto fail;
	}
	nl = memrchr(buf, '\n', len);
	if (nl == NULL) {
		if (start != 0) {
			err_set(err, "%s: no line end in its last %u bytes", name, TAIL_BYTES);
			goto fail;
		}
		free(buf);
		return 0; /* one partial line: the whole file is torn */
	}
	*whole = start + (uint64_t)(nl - buf) + 1;
	len = (size_t)(nl - buf) + 1;
	/* a tail that starts mid-file starts mid-line: skip to the first whole one */
	i = 0;
	if (start != 0) {
		i = (size_t)((char *)memchr(buf, '\n', len) - buf) + 1;
	}
	for (ls = i; i < len; ls = i) {
		i = (size_t)((char *)memchr(buf + ls, '\n', len - ls) - buf) + 1;
		seq = journal_line_seq(buf + ls, i - ls);
		if (seq == 0) {
			err_set(err, "%s: a line at byte %llu has no seq", name,
			        (unsigned long long)(start + ls));
			goto fail;
		}
		if ((prev == 0 && start == 0 && seq != first) || (prev != 0 && seq != prev + 1)) {
			err_set(err, "%s: seq %llu at byte %llu, expected %llu", name,
			        (unsigned long long)seq, (unsigned long long)(start + ls),
			        (unsigned long long)(prev == 0 ? first : prev + 1));
			goto fail;
		}
		prev = seq;
	}
	if (start != 0) {
		/* the tail did not reach the first line: read just its seq */
		rc = pread_full(fd, head, sizeof(head), 0);
		if (rc != 0) {
			err_set(err, "%s: cannot read: %s", name, strerror(-rc));
			goto fail;
		}
		seq = journal_line_seq(head, sizeof(head));
		if (seq != first || prev < first) {
			err_set(err, "%s: its first line has seq %llu, not the %llu of its name",
			        name, (unsigned long long)seq, (unsigned long long)first);
			goto fail;
		}
	}
	*last = prev;
	free(buf);
	return 0;
fail:
	free(buf);
	return -1;
}

static int
mkdir_p(const char *path)
{
	char *p = strdup(path), *s, c;
	int rc = 0;

	if (p == NULL) {
		return -ENOMEM;
	}
	for (s = p + 1; rc == 0; s++) {
		if (*s != '/' && *s != '\0') {
			continue;
		}
		c = *s;
		*s = '\0';
		if (mkdir(p, 0750) != 0 && errno != EEXIST) {
			rc = -errno;
		}
		*s = c;
		if (c == '\0') {
			break;
		}
	}
	free(p);
	return rc;
}

static int
seg_push(struct journal *j, uint64_t first, uint64_t size, int64_t mtime_ns)
{
	if (j->nseg == j->segcap) {
		size_t cap = j->segcap == 0 ? 16 : j->segcap * 2;
		struct seg *ns = realloc(j->segs, cap * sizeof(*ns));

		if (ns == NULL) {
			return -ENOMEM;
		}
		j->segs = ns;
		j->segcap = cap;
	}
	j->segs[j->nseg++] = (struct seg){ .first = first, .size = size, .mtime_ns = mtime_ns };
	j->total_bytes += size;
	return 0;
}

static uint64_t
mono_coarse_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC_COARSE);
}

static int64_t
stat_mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* Checks the newest segment (and the one before it) and opens it for appending. */
static int
recover(struct journal *j, const uint64_t *firsts, size_t n, char **err)
{
	char name[SEG_NAME_SIZE], shown[PATH_MAX];
	uint64_t first = firsts[n - 1], whole, last, prev_last;
	struct stat st;
	int rfd = -1;

	seg_name(name, first);
	snprintf(shown, sizeof(shown), "%s/%s", j->dir, name);
	j->fd = openat(j->dirfd, name, O_WRONLY | O_APPEND | O_CLOEXEC);
	rfd = openat(j->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (j->fd < 0 || rfd < 0 || fstat(rfd, &st) != 0) {
		err_set(err, "%s/%s: %s", j->dir, name, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(err, "%s/%s: not a regular file", j->dir, name);
		goto fail;
	}
	if (scan_tail(rfd, shown, first, (uint64_t)st.st_size, &whole, &last, err) != 0) {
		goto fail;
	}
	if (whole < (uint64_t)st.st_size) {
		/* a crash mid-write: no reader was given these bytes (they had no '\n') */
		if (ftruncate(j->fd, (off_t)whole) != 0) {
			err_set(err, "%s/%s: cannot cut the partial last line: %s", j->dir, name,
			        strerror(errno));
			goto fail;
		}
		counters_add(j->c, CNT_journal_torn_bytes, (uint64_t)st.st_size - whole);
		log_warn("journal %s/%s: cut %llu bytes of a partial last line", j->dir, name,
		         (unsigned long long)((uint64_t)st.st_size - whole));
	}
	j->last_seq = last == 0 ? first - 1 : last;
	j->cur_size = whole;
	close(rfd);
	rfd = -1;

	if (n >= 2) {
		/* the segment before must end exactly where this one starts */
		seg_name(name, firsts[n - 2]);
		snprintf(shown, sizeof(shown), "%s/%s", j->dir, name);
		rfd = openat(j->dirfd, name, O_RDONLY | O_CLOEXEC);
		if (rfd < 0 || fstat(rfd, &st) != 0) {
			err_set(err, "%s/%s: %s", j->dir, name, strerror(errno));
			goto fail;
		}
		if (scan_tail(rfd, shown, firsts[n - 2], (uint64_t)st.st_size, &whole, &prev_last,
		              err) != 0) {
			goto fail;
		}
		if (whole != (uint64_t)st.st_size || prev_last == 0) {
			err_set(err, "%s/%s: a closed segment ends without a whole line", j->dir,
			        name);
			goto fail;
		}
		if (first != prev_last + 1) {
			seg_name(name, first);
			err_set(err,
			        "%s/%s: starts at seq %llu but the segment before ends at %llu",
			        j->dir, name, (unsigned long long)first,
			        (unsigned long long)prev_last);
			goto fail;
		}
		close(rfd);
		rfd = -1;
	}
	return 0;
fail:
	if (rfd >= 0) {
		close(rfd);
	}
	return -1;
}

struct journal *
journal_open(const struct journal_conf *conf, struct counters *c, char **err)
{
	struct journal *j = NULL;
	uint64_t *firsts = NULL;
	size_t n = 0, i;
	struct stat st;
	int rc;

	if (conf == NULL || conf->dir == NULL || conf->dir[0] == '\0') {
		err_set(err, "journal: no folder given");
		goto fail;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL || (j->dir = strdup(conf->dir)) == NULL) {
		err_set(err, "journal: out of memory");
		goto fail;
	}
	j->conf = *conf;
	j->conf.dir = j->dir;
	j->c = c;
	j->fd = -1;
	j->dirfd = -1;
	rc = mkdir_p(conf->dir);
	if (rc != 0) {
		err_set(err, "%s: cannot create: %s", conf->dir, strerror(-rc));
		goto fail;
	}
	j->dirfd = open(conf->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd < 0) {
		err_set(err, "%s: %s", conf->dir, strerror(errno));
		goto fail;
	}
	if (faccessat(j->dirfd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
		err_set(err, "%s: not writable: %s", conf->dir, strerror(errno));
		goto fail;
	}
	rc = list_segments(j->dirfd, &firsts, &n);
	if (rc != 0) {
		err_set(err, "%s: cannot list: %s", conf->dir, strerror(-rc));
		goto fail;
	}
	for (i = 0; i < n; i++) {
		char name[SEG_NAME_SIZE];

		seg_name(name, firsts[i]);
		if (fstatat(j->dirfd, name, &st, 0) != 0) {
			err_set(err, "%s/%s: %s", conf->dir, name, strerror(errno));
			goto fail;
		}
		if (!S_ISREG(st.st_mode)) {
			err_set(err, "%s/%s: not a regular file", conf->dir, name);
			goto fail;
		}
		if (seg_push(j, firsts[i], (uint64_t)st.st_size, stat_mtime_ns(&st)) != 0) {
			err_set(err, "journal: out of memory");
			goto fail;
		}
	}
	if (n > 0) {
		if (recover(j, firsts, n, err) != 0) {
			goto fail;
		}
		/* the tail may have been cut */
		j->total_bytes -= j->segs[n - 1].size - j->cur_size;
		j->segs[n - 1].size = j->cur_size;
	}
	j->last_sync_ns = mono_coarse_ns();
	if (conf->fsync_ms != JOURNAL_FSYNC_ALWAYS) {
		pthread_mutex_init(&j->sync.mu, NULL);
		pthread_cond_init(&j->sync.cv, NULL);
		j->sync.started = pthread_create(&j->sync.thread, NULL, syncer_main, j) == 0;
		if (!j->sync.started) {
			pthread_mutex_destroy(&j->sync.mu);
			pthread_cond_destroy(&j->sync.cv);
			log_warn("journal %s: no syncer thread: fsync runs on the writer", j->dir);
		}
	}
	free(firsts);
	return j;
fail:
	free(firsts);
	journal_close(j);
	return NULL;
}

uint64_t
journal_last_seq(const struct journal *j)
{
	return j->last_seq;
}

uint64_t
journal_first_seq(const struct journal *j)
{
	return j->nseg > 0 ? j->segs[0].first : j->last_seq + 1;
}

static void *
syncer_main(void *arg)
{
	struct journal *j = arg;
	struct syncer *y = &j->sync;

	pthread_mutex_lock(&y->mu);
	for (;;) {
		int fd;
		bool data_only, ok;

		while (y->n == 0 && !y->stop) {
			pthread_cond_wait(&y->cv, &y->mu);
		}
		if (y->n == 0) {
			break;
		}
		fd = y->fds[0];
		data_only = y->data_only[0];
		memmove(&y->fds[0], &y->fds[1], (y->n - 1) * sizeof(y->fds[0]));
		memmove(&y->data_only[0], &y->data_only[1], (y->n - 1) * sizeof(y->data_only[0]));
		y->n--;
		pthread_mutex_unlock(&y->mu);
		ok = (data_only ? fdatasync(fd) : fsync(fd)) == 0;
		if (!ok) {
			log_warn("journal %s: %s: %s", j->dir, data_only ? "fdatasync" : "fsync",
			         strerror(errno));
		}
		close(fd);
		pthread_mutex_lock(&y->mu);
		y->done++;
		y->failed += !ok;
	}
	pthread_mutex_unlock(&y->mu);
	return NULL;
}

/*
 * Hand <fd> (owned from now on) to the syncer. Returns false, leaving <fd>
 * to the caller, when the queue is full or there is no syncer.
 */
static bool
sync_later(struct journal *j, int fd, bool data_only)
{
	struct syncer *y = &j->sync;
	bool queued = false;

	if (!y->started) {
		return false;
	}
	pthread_mutex_lock(&y->mu);
	if (y->n < SYNC_QUEUE) {
		y->fds[y->n] = fd;
		y->data_only[y->n++] = data_only;
		queued = true;
		pthread_cond_signal(&y->cv);
	}
	pthread_mutex_unlock(&y->mu);
	return queued;
}

/* The syncer's results into the writer's counters. */
static void
sync_collect(struct journal *j)
{
	struct syncer *y = &j->sync;
	uint64_t done, failed;

	if (!y->started || pthread_mutex_trylock(&y->mu) != 0) {
		return;
	}
	done = y->done;
	failed = y->failed;
	y->done = y->failed = 0;
	pthread_mutex_unlock(&y->mu);
	counters_add(j->c, CNT_journal_fsyncs, done);
	counters_add(j->c, CNT_alert_journal_errors, failed);
}

static void
syncer_stop(struct journal *j)
{
	struct syncer *y = &j->sync;

	if (!y->started) {
		return;
	}
	pthread_mutex_lock(&y->mu);
	y->stop = true;
	pthread_cond_signal(&y->cv);
	pthread_mutex_unlock(&y->mu);
	pthread_join(y->thread, NULL);
	y->started = false;
	counters_add(j->c, CNT_journal_fsyncs, y->done);
	counters_add(j->c, CNT_alert_journal_errors, y->failed);
	pthread_mutex_destroy(&y->mu);
	pthread_cond_destroy(&y->cv);
}

static void
do_sync(struct journal *j, uint64_t now_ns)
{
	if (fdatasync(j->fd) != 0) {
		counters_inc(j->c, CNT_alert_journal_errors);
		log_warn("journal %s: fdatasync: %s", j->dir, strerror(errno));
	}
	counters_inc(j->c, CNT_journal_fsyncs);
	j->unsynced = 0;
	j->last_sync_ns = now_ns;
}

/* Close the open segment (durably) and start alerts-<last_seq + 1>. */
static int
rotate(struct journal *j)
{
	char name[SEG_NAME_SIZE];
	struct stat st;
	int fd, e;

	if (j->fd >= 0) {
		if (fstat(j->fd, &st) == 0 && j->nseg > 0) {
			j->segs[j->nseg - 1].mtime_ns = stat_mtime_ns(&st);
		}
		/* the old segment is synced (unless fsync: never) and closed by the syncer */
		if (j->unsynced == 0 || j->conf.fsync_ms == JOURNAL_FSYNC_NEVER) {
			close(j->fd);
		} else if (!sync_later(j, j->fd, true)) {
			do_sync(j, j->last_sync_ns);
			close(j->fd);
		}
		j->unsynced = 0;
		j->fd = -1;
	}
	if (seg_push(j, j->last_seq + 1, 0, 0) != 0) {
		return -ENOMEM;
	}
	seg_name(name, j->last_seq + 1);
	fd = openat(j->dirfd, name, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0) {
		e = errno;
		j->nseg--;
		log_warn("journal %s/%s: cannot create: %s", j->dir, name, strerror(e));
		return -e;
	}
	/* the new name must survive a crash, or the next start would not find these lines */
	if (j->conf.fsync_ms != JOURNAL_FSYNC_NEVER) {
		int dfd = dup(j->dirfd);

		if (dfd >= 0 && !sync_later(j, dfd, false)) {
			if (fsync(dfd) != 0) {
				log_warn("journal %s: fsync of the folder: %s", j->dir,
				         strerror(errno));
			}
			counters_inc(j->c, CNT_journal_fsyncs);
			close(dfd);
		}
	}
	counters_inc(j->c, CNT_journal_rotated);
	j->fd = fd;
	j->cur_size = 0;
	return 0;
}

int
journal_append(struct journal *j, const char *buf, size_t len, uint32_t n)
{
	size_t done = 0;
	int e;

	if (len == 0) {
		return 0;
	}
	if (unlikely(j->trunc_pending)) {
		if (ftruncate(j->fd, (off_t)j->cur_size) != 0) {
			e = errno;
			goto fail;
		}
		j->trunc_pending = false;
	}
	if (unlikely(j->fd < 0 || (j->cur_size > 0 && j->conf.segment_bytes != 0 &&
	                           j->cur_size + len > j->conf.segment_bytes))) {
		e = -rotate(j);
		if (e != 0) {
			goto fail;
		}
	}
	while (done < len) {
		ssize_t w = write(j->fd, buf + done, len - done);

		if (likely(w > 0)) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR) {
			continue;
		}
		e = w < 0 ? errno : EIO;
		/* leave no part of the batch behind: its seqs will be written again */
		if (ftruncate(j->fd, (off_t)j->cur_size) != 0) {
			j->trunc_pending = true;
		}
		goto fail;
	}
	j->cur_size += len;
	j->segs[j->nseg - 1].size = j->cur_size;
	j->total_bytes += len;
	j->last_seq += n;
	j->unsynced += len;
	if (j->conf.fsync_ms == JOURNAL_FSYNC_ALWAYS) {
		do_sync(j, j->last_sync_ns);
	}
	return 0;
fail:
	counters_inc(j->c, CNT_alert_journal_errors);
	return -e;
}

/* Delete the oldest segments past retain_bytes or retain_age_s; never the newest. */
static void
retain(struct journal *j)
{
	int64_t now = (int64_t)clock_ns(CLOCK_REALTIME);
	int64_t max_age = (int64_t)j->conf.retain_age_s * 1000000000;
	char name[SEG_NAME_SIZE];

	while (j->nseg > 1) {
		const struct seg *s = &j->segs[0];
		bool too_big = j->conf.retain_bytes != 0 && j->total_bytes > j->conf.retain_bytes;
		bool too_old = max_age > 0 && now - s->mtime_ns > max_age;

		if (!too_big && !too_old) {
			break;
		}
		seg_name(name, s->first);
		if (unlinkat(j->dirfd, name, 0) != 0 && errno != ENOENT) {
			counters_inc(j->c, CNT_alert_journal_errors);
			log_warn("journal %s/%s: cannot delete: %s", j->dir, name, strerror(errno));
			break;
		}
		j->total_bytes -= s->size;
		memmove(&j->segs[0], &j->segs[1], (j->nseg - 1) * sizeof(j->segs[0]));
		j->nseg--;
		counters_inc(j->c, CNT_journal_deleted);
	}
}

void
journal_tick_at(struct journal *j, uint64_t now_ns)
{
	uint32_t ms = j->conf.fsync_ms;

	if (j->unsynced != 0 && ms != JOURNAL_FSYNC_ALWAYS && ms != JOURNAL_FSYNC_NEVER &&
	    j->fd >= 0 && now_ns - j->last_sync_ns >= (uint64_t)ms * 1000000u) {
		int dfd = dup(j->fd);

		/* a full queue (a slow disk) syncs at the next tick instead */
		if (dfd >= 0 && sync_later(j, dfd, true)) {
			j->unsynced = 0;
			j->last_sync_ns = now_ns;
		} else if (dfd >= 0) {
			close(dfd);
		}
	}
	sync_collect(j);
	if (now_ns >= j->next_retain_ns) {
		j->next_retain_ns = now_ns + RETAIN_EVERY;
		retain(j);
	}
}

void
journal_tick(struct journal *j)
{
	journal_tick_at(j, mono_coarse_ns());
}

void
journal_close(struct journal *j)
{
	if (j == NULL) {
		return;
	}
	syncer_stop(j);
	if (j->fd >= 0) {
		if (j->unsynced != 0 && j->conf.fsync_ms != JOURNAL_FSYNC_ALWAYS) {
			do_sync(j, j->last_sync_ns);
		}
		close(j->fd);
	}
	if (j->dirfd >= 0) {
		close(j->dirfd);
	}
	free(j->segs);
	free(j->dir);
	free(j);
}

struct journal_reader *
journal_reader_open(const char *dir, uint64_t after, char **err)
{
	struct journal_reader *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->dir = strdup(dir)) == NULL || (r->buf = malloc(READER_BUF)) == NULL) {
		err_set(err, "journal reader: out of memory");
		journal_reader_close(r);
		return NULL;
	}
	r->fd = -1;
	r->next = after + 1;
	return r;
}

static void
reader_drop_segment(struct journal_reader *r)
{
	if (r->fd >= 0) {
		close(r->fd);
	}
	r->fd = -1;
	r->beg = 0;
	r->end = 0;
	r->next_exists = false;
}

static enum journal_read
reader_fail(struct journal_reader *r, const char *what, int e)
{
	if (!r->failed) {
		log_warn("journal reader %s: %s%s%s (at seq %llu)", r->dir, what,
		         e != 0 ? ": " : "", e != 0 ? strerror(e) : "",
		         (unsigned long long)r->expect);
	}
	r->failed = true;
	reader_drop_segment(r);
	return JOURNAL_ERR;
}

static int
reader_path(const struct journal_reader *r, uint64_t first, char *path, size_t size)
{
	char name[SEG_NAME_SIZE];

	seg_name(name, first);
	if ((size_t)snprintf(path, size, "%s/%s", r->dir, name) >= size) {
		return -ENAMETOOLONG;
	}
	return 0;
}

static int
reader_open_seg(struct journal_reader *r, uint64_t first)
{
	char path[PATH_MAX];
	int rc = reader_path(r, first, path, sizeof(path));

	if (rc != 0) {
		return rc;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		return -errno;
	}
	r->beg = 0;
	r->end = 0;
	r->expect = first;
	r->seg_first = first;
	r->next_exists = false;
	return 0;
}

/*
 * Open the segment that holds r->next. JOURNAL_LINE here means "opened";
 * JOURNAL_GAP moves r->next to the oldest seq still there.
 */
static enum journal_read
reader_pick(struct journal_reader *r, uint64_t *seq)
{
	int tries, rc;

	for (tries = 0; tries < 8; tries++) {
		uint64_t *firsts = NULL, pick;
		size_t n = 0, i;
		int dfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0) {
			return errno == ENOENT ? JOURNAL_END : reader_fail(r, "open", errno);
		}
		rc = list_segments(dfd, &firsts, &n);
		close(dfd);
		if (rc != 0) {
			return reader_fail(r, "list", -rc);
		}
		if (n == 0) {
			return JOURNAL_END;
		}
		pick = firsts[0];
		for (i = 0; i < n && firsts[i] <= r->next; i++) {
			pick = firsts[i];
		}
		free(firsts);
		rc = reader_open_seg(r, pick);
		if (rc == -ENOENT) {
			continue; /* deleted since the listing */
		}
		if (rc != 0) {
			return reader_fail(r, "open segment", -rc);
		}
		if (pick > r->next) {
			r->next = pick;
			*seq = pick;
			return JOURNAL_GAP;
		}
		return JOURNAL_LINE;
	}
	return reader_fail(r, "segments keep vanishing", 0);
}

/*
 * At the end of the segment being read: JOURNAL_LINE if there may be more to
 * read (the next segment was just seen, or was opened), JOURNAL_END to wait
 * for the writer, JOURNAL_GAP or JOURNAL_ERR.
 */
static enum journal_read
reader_at_eof(struct journal_reader *r, uint64_t *seq)
{
	char path[PATH_MAX];
	struct stat st;
	int rc;

	if (!r->next_exists) {
		/*
		 * The next segment is named after the seq that follows our last
		 * line; with no line read yet that would name this one, and the
		 * writer never starts another after an empty segment anyway.
		 */
		rc = reader_path(r, r->expect, path, sizeof(path));
		if (rc == 0 && r->expect != r->seg_first && access(path, F_OK) == 0) {
			r->next_exists = true;
			return JOURNAL_LINE;
		}
		if (rc != 0 || (r->expect != r->seg_first && errno != ENOENT)) {
			return reader_fail(r, "probe the next segment", rc != 0 ? -rc : errno);
		}
		/* retention removed the one being read, and the next: start over */
		if (fstat(r->fd, &st) == 0 && st.st_nlink == 0) {
			reader_drop_segment(r);
			return reader_pick(r, seq);
		}
		return JOURNAL_END;
	}
	if (r->end != r->beg) {
		return reader_fail(r, "a closed segment ends in a partial line", 0);
	}
	reader_drop_segment(r);
	rc = reader_open_seg(r, r->expect);
	if (rc == -ENOENT) {
		return reader_pick(r, seq);
	}
	if (rc != 0) {
		return reader_fail(r, "open segment", -rc);
	}
	return JOURNAL_LINE;
}

enum journal_read
journal_reader_next(struct journal_reader *r, const char **line, size_t *len, uint64_t *seq)
{
	enum journal_read rc;

	if (r->failed) {
		return JOURNAL_ERR;
	}
	if (r->fd < 0) {
		rc = reader_pick(r, seq);
		if (rc != JOURNAL_LINE) {
			return rc;
		}
	}
	for (;;) {
		char *nl = memchr(r->buf + r->beg, '\n', r->end - r->beg);
		ssize_t got;

		if (nl != NULL) {
			const char *l = r->buf + r->beg;
			size_t ll = (size_t)(nl - l) + 1;
			uint64_t s = journal_line_seq(l, ll);

			r->beg += ll;
			if (s != r->expect) {
				return reader_fail(
				        r, s == 0 ? "a line without seq" : "seq out of order", 0);
			}
			r->expect++;
			if (s < r->next) {
				continue;
			}
			r->next = s + 1;
			*line = l;
			*len = ll;
			*seq = s;
			return JOURNAL_LINE;
		}
		if (r->beg == 0 && r->end == READER_BUF) {
			return reader_fail(r, "a line longer than 64 KiB", 0);
		}
		if (r->beg != 0) {
			memmove(r->buf, r->buf + r->beg, r->end - r->beg);
			r->end -= r->beg;
			r->beg = 0;
		}
		got = read(r->fd, r->buf + r->end, READER_BUF - r->end);
		if (got > 0) {
			r->end += (size_t)got;
			continue;
		}
		if (got < 0 && errno == EINTR) {
			continue;
		}
		if (got < 0) {
			return reader_fail(r, "read", errno);
		}
		/*
		 * End of file. Once the next segment exists the writer is done
		 * with this one, but it may have appended its last batch after our
		 * read and before it created the next: so read once more first.
		 */
		rc = reader_at_eof(r, seq);
		if (rc != JOURNAL_LINE) {
			return rc;
		}
	}
}

void
journal_reader_seek(struct journal_reader *r, uint64_t after)
{
	reader_drop_segment(r);
	r->failed = false;
	r->next = after + 1;
}

void
journal_reader_close(struct journal_reader *r)
{
	if (r == NULL) {
		return;
	}
	if (r->fd >= 0) {
		close(r->fd);
	}
	free(r->buf);
	free(r->dir);
	free(r);
}
