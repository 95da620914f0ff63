#include "alert/journal.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "guard.h"

#define LINE_W 100 /* bytes per test line, with its '\n' */

static char root[64];
static char dir[128];
static struct counters cnt;

/* A fresh folder for one test: <root>/j (missing: journal_open creates it). */
static void
fresh(void)
{
	strcpy(root, "/tmp/test-journal-XXXXXX");
	CU_ASSERT_FATAL(guard_mkdtemp(root) == 0);
	snprintf(dir, sizeof(dir), "%s/j/a", root);
	memset(&cnt, 0, sizeof(cnt));
}

static void
cleanup(void)
{
	CU_ASSERT(guard_rmtree(root) == 0);
}

static struct journal_conf
conf(uint64_t seg, uint64_t retain, uint32_t age, uint32_t fsync_ms)
{
	return (struct journal_conf){ .dir = dir,
		                      .segment_bytes = seg,
		                      .retain_bytes = retain,
		                      .retain_age_s = age,
		                      .fsync_ms = fsync_ms };
}

static struct journal *
open_ok(const struct journal_conf *jc)
{
	char *err = NULL;
	struct journal *j = journal_open(jc, &cnt, &err);

	if (j == NULL) {
		fprintf(stderr, "journal_open: %s\n", err);
	}
	CU_ASSERT_PTR_NULL(err);
	free(err);
	return j;
}

/* Expect journal_open to fail with a message containing <needle>. */
static void
open_fails(const struct journal_conf *jc, const char *needle)
{
	char *err = NULL;
	struct journal *j = journal_open(jc, &cnt, &err);

	CU_ASSERT_PTR_NULL(j);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
	free(err);
	journal_close(j);
}

/* <n> lines of exactly <w> bytes holding seqs <from>...: {"seq":N,"v":N,"p":"xx.."}\n */
static size_t
make_lines(char *buf, uint64_t from, uint32_t n, size_t w)
{
	size_t off = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		int k = snprintf(buf + off, w, "{\"seq\":%" PRIu64 ",\"v\":%" PRIu64 ",\"p\":\"",
		                 from + i, from + i);

		memset(buf + off + k, 'x', w - (size_t)k - 3);
		memcpy(buf + off + w - 3, "\"}\n", 3);
		off += w;
	}
	return off;
}

static void
append_ok(struct journal *j, uint32_t n)
{
	char *buf = malloc((size_t)n * LINE_W);
	size_t len = make_lines(buf, journal_last_seq(j) + 1, n, LINE_W);

	CU_ASSERT_EQUAL(journal_append(j, buf, len, n), 0);
	free(buf);
}

static void
seg_path(char *out, size_t size, uint64_t first)
{
	int n = snprintf(out, size, "%s/alerts-%020" PRIu64 ".ndjson", dir, first);

	CU_ASSERT_FATAL(n > 0 && (size_t)n < size);
}

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void
write_file(const char *path, const char *data, size_t len, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0640);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* A segment file holding lines with the given seqs. */
static void
write_segment(uint64_t name, const uint64_t *seqs, size_t n)
{
	char path[256], line[LINE_W];
	size_t i;

	seg_path(path, sizeof(path), name);
	write_file(path, "", 0, O_TRUNC);
	for (i = 0; i < n; i++) {
		make_lines(line, seqs[i], 1, LINE_W);
		write_file(path, line, LINE_W, O_APPEND);
	}
}

/*
 * Read everything a reader returns until JOURNAL_END; check each line is
 * whole and carries the expected next seq. Returns the number of lines.
 */
static uint64_t
drain(struct journal_reader *r, uint64_t *next)
{
	const char *line;
	uint64_t seq, got = 0;
	size_t len;
	enum journal_read rc;

	while ((rc = journal_reader_next(r, &line, &len, &seq)) == JOURNAL_LINE) {
		CU_ASSERT_EQUAL(seq, *next);
		CU_ASSERT_EQUAL(len, LINE_W);
		CU_ASSERT_EQUAL(line[len - 1], '\n');
		CU_ASSERT_EQUAL(journal_line_seq(line, len), seq);
		*next = seq + 1;
		got++;
	}
	CU_ASSERT_EQUAL(rc, JOURNAL_END);
	return got;
}

static void
test_journal_line_seq_parses_only_the_exact_prefix(void)
{
	static const struct {
		const char *s;
		uint64_t seq;
	} cases[] = {
		{ "{\"seq\":1,\"a\":2}\n", 1 },
		{ "{\"seq\":18446744073709551615,", UINT64_MAX },
		{ "{\"seq\":42}", 42 },
		{ "{\"seq\":18446744073709551616,", 0 }, /* overflow */
		{ "{\"seq\":0,", 0 },
		{ "{\"seq\":07,", 0 },
		{ "{\"seq\":-1,", 0 },
		{ "{\"seq\": 1,", 0 },
		{ "{ \"seq\":1,", 0 },
		{ "{\"seq\":12", 0 }, /* cut: digits may be missing */
		{ "{\"seq\":12x", 0 },
		{ "{\"Seq\":1,", 0 },
		{ "{\"seq\":", 0 },
		{ "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].s);
		uint8_t *g = guard_dup(cases[i].s, len);

		CU_ASSERT_EQUAL(journal_line_seq((const char *)g, len), cases[i].seq);
		guard_free(g);
	}
}

static void
test_journal_append_then_read_back(void)
{
	struct journal_conf jc;
	struct journal_reader *r;
	struct journal *j;
	uint64_t next = 1;
	char *err = NULL;

	fresh();
	jc = conf(1 << 20, 0, 0, JOURNAL_FSYNC_NEVER);
	j = open_ok(&jc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(journal_last_seq(j), 0);
	CU_ASSERT_EQUAL(journal_first_seq(j), 1);
	append_ok(j, 3);
	append_ok(j, 1);
	CU_ASSERT_EQUAL(journal_last_seq(j), 4);
	CU_ASSERT_EQUAL(journal_first_seq(j), 1);
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_rotated], 1);
	r = journal_reader_open(dir, 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(drain(r, &next), 4);
	journal_reader_close(r);
	journal_close(j);
	cleanup();
}

static void
test_journal_seq_continues_after_reopen(void)
{
	struct journal_conf jc;
	struct journal *j;
	char path[256];

	fresh();
	jc = conf(1 << 20, 0, 0, JOURNAL_FSYNC_NEVER);
	j = open_ok(&jc);
	append_ok(j, 5);
	journal_close(j);
	j = open_ok(&jc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(journal_last_seq(j), 5);
	append_ok(j, 2);
	journal_close(j);
	j = open_ok(&jc);
	CU_ASSERT_EQUAL(journal_last_seq(j), 7);
	journal_close(j);
	seg_path(path, sizeof(path), 1);
	CU_ASSERT_EQUAL(file_size(path), 7 * LINE_W);
	cleanup();
}

static void
test_journal_open_cuts_torn_last_line(void)
{
	struct journal_conf jc;
	struct journal_reader *r;
	struct journal *j;
	char path[256];
	uint64_t next = 1;
	static const char torn[] = "{\"seq\":11,\"v\":11,\"p\":\"xx";

	fresh();
	jc = conf(1 << 20, 0, 0, JOURNAL_FSYNC_NEVER);
	j = open_ok(&jc);
	append_ok(j, 10);
	journal_close(j);
	seg_path(path, sizeof(path), 1);
	write_file(path, torn, strlen(torn), O_APPEND);
	j = open_ok(&jc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_torn_bytes], strlen(torn));
	CU_ASSERT_EQUAL(journal_last_seq(j), 10);
	CU_ASSERT_EQUAL(file_size(path), 10 * LINE_W);
	append_ok(j, 1);
	r = journal_reader_open(dir, 0, NULL);
	CU_ASSERT_EQUAL(drain(r, &next), 11);
	journal_reader_close(r);
	journal_close(j);

	/* a segment holding nothing but a partial line becomes empty: last = name - 1 */
	memset(&cnt, 0, sizeof(cnt));
	seg_path(path, sizeof(path), 12);
	write_file(path, torn, 5, O_TRUNC);
	j = open_ok(&jc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_torn_bytes], 5);
	CU_ASSERT_EQUAL(journal_last_seq(j), 11);
	CU_ASSERT_EQUAL(file_size(path), 0);
	append_ok(j, 2);
	CU_ASSERT_EQUAL(file_size(path), 2 * LINE_W);
	journal_close(j);
	cleanup();
}

static void
test_journal_survives_sigkill_of_writer(void)
{
	struct journal_conf jc;
	struct journal_reader *r;
	struct journal *j;
	uint64_t reported = 0, v, next = 1;
	int p[2], status;
	pid_t pid;

	fresh();
	jc = conf(256 * 1024, 0, 0, JOURNAL_FSYNC_NEVER);
	CU_ASSERT_FATAL(pipe(p) == 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct journal *cj;
		char *buf = malloc(32 * LINE_W);

		close(p[0]);
		cj = journal_open(&jc, &cnt, NULL);
		if (cj == NULL || buf == NULL) {
			_exit(1);
		}
		for (;;) {
			uint32_t n = 1 + (uint32_t)(journal_last_seq(cj) % 32);
			size_t len = make_lines(buf, journal_last_seq(cj) + 1, n, LINE_W);

			if (journal_append(cj, buf, len, n) != 0) {
				_exit(2);
			}
			v = journal_last_seq(cj);
			if (write(p[1], &v, sizeof(v)) != sizeof(v)) {
				_exit(3);
			}
		}
	}
	close(p[1]);
	while (reported < 20000 && read(p[0], &v, sizeof(v)) == sizeof(v)) {
		reported = v;
	}
	kill(pid, SIGKILL);
	CU_ASSERT(waitpid(pid, &status, 0) == pid);
	CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	while (read(p[0], &v, sizeof(v)) == sizeof(v)) {
		reported = v;
	}
	close(p[0]);
	CU_ASSERT(reported >= 20000);

	j = open_ok(&jc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	/* every completed append is there; at most one more batch finished unreported */
	CU_ASSERT(journal_last_seq(j) >= reported);
	CU_ASSERT(journal_last_seq(j) <= reported + 32);
	r = journal_reader_open(dir, 0, NULL);
	CU_ASSERT_EQUAL(drain(r, &next), journal_last_seq(j));
	journal_reader_close(r);
	journal_close(j);
	cleanup();
}

static void
test_journal_rotates_by_size_without_splitting_batches(void)
{
	struct journal_conf jc;
	struct journal_reader *r;
	struct journal *j;
	char path[256], *data;
	uint64_t next = 1;
	int i;

	fresh();
	/* 3 batches of 3 lines (900 bytes) fit in 1000; the 4th starts a new segment */
	jc = conf(1000, 0, 0, JOURNAL_FSYNC_NEVER);
	j = open_ok(&jc);
	for (i = 0; i < 10; i++) {
		append_ok(j, 3);
	}
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_rotated], 4);
	data = malloc(1000);
	for (i = 0; i < 4; i++) {
		uint64_t first = 1 + 9 * (uint64_t)i;
		off_t want = i < 3 ? 900 : 300;
		int fd;

		seg_path(path, sizeof(path), first);
		CU_ASSERT_EQUAL(file_size(path), want);
		fd = open(path, O_RDONLY);
		CU_ASSERT_FATAL(fd >= 0);
		CU_ASSERT_EQUAL(read(fd, data, 1000), want);
		close(fd);
		CU_ASSERT_EQUAL(journal_line_seq(data, LINE_W), first);
		CU_ASSERT_EQUAL(journal_line_seq(data + want - LINE_W, LINE_W),
		                first + (uint64_t)want / LINE_W - 1);
	}
	free(data);
	/* a batch larger than a segment goes whole into a fresh one */
	append_ok(j, 15);
	seg_path(path, sizeof(path), 31);
	CU_ASSERT_EQUAL(file_size(path), 15 * LINE_W);
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_rotated], 5);
	append_ok(j, 1);
	seg_path(path, sizeof(path), 46);
	CU_ASSERT_EQUAL(file_size(path), LINE_W);
	r = journal_reader_open(dir, 0, NULL);
	CU_ASSERT_EQUAL(drain(r, &next), 46);
	journal_reader_close(r);
	journal_close(j);
	/* a reopened journal checks the segment before the newest and goes on */
	j = open_ok(&jc);
	CU_ASSERT_EQUAL(journal_last_seq(j), 46);
	CU_ASSERT_EQUAL(journal_first_seq(j), 1);
	journal_close(j);
	cleanup();
}

static void
test_journal_retention_by_bytes(void)
{
	struct journal_conf jc;
	struct journal *j;
	char path[256];
	uint64_t t;
	int i;

	fresh();
	jc = conf(1000, 2500, 0, JOURNAL_FSYNC_NEVER);
	j = open_ok(&jc);
	for (i = 0; i < 10; i++) {
		append_ok(j, 3); /* 900 + 900 + 900 + 300 */
	}
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_deleted], 0);
	t = clock_ns(CLOCK_MONOTONIC_COARSE);
	journal_tick_at(j, t);
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_deleted], 1);
	CU_ASSERT_EQUAL(journal_first_seq(j), 10);
	seg_path(path, sizeof(path), 1);
	CU_ASSERT_EQUAL(file_size(path), -1);
	seg_path(path, sizeof(path), 10);
	CU_ASSERT_EQUAL(file_size(path), 900);
	/* retention runs about once a second, not every tick */
	append_ok(j, 3);
	append_ok(j, 3); /* 900 + 900 + 900 + ... = 3000 again */
	journal_tick_at(j, t + 500000000ull);
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_deleted], 1);
	journal_tick_at(j, t + 1000000000ull);
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_deleted], 2);
	CU_ASSERT_EQUAL(journal_first_seq(j), 19);
	/* the newest segment stays even when it alone is over the limit */
	append_ok(j, 30);
	journal_tick_at(j, t + 3000000000ull);
	CU_ASSERT_EQUAL(journal_first_seq(j), 37);
	CU_ASSERT_EQUAL(journal_last_seq(j), 66);
	journal_close(j);
	/* a reopened journal knows what is left */
	j = open_ok(&jc);
	CU_ASSERT_EQUAL(journal_first_seq(j), 37);
	journal_close(j);
	cleanup();
}

static void
set_mtime(uint64_t first, time_t when)
{
	struct timespec ts[2] = { { .tv_sec = when }, { .tv_sec = when } };
	char path[256];

	seg_path(path, sizeof(path), first);
	CU_ASSERT(utimensat(AT_FDCWD, path, ts, 0) == 0);
}

static void
test_journal_retention_by_age_keeps_newest(void)
{
	struct journal_conf jc;
	struct journal *j;
	char path[256];
	time_t now = time(NULL);
	int i;

	fresh();
	jc = conf(1000, 0, 3600, JOURNAL_FSYNC_NEVER);
	j = open_ok(&jc);
	for (i = 0; i < 10; i++) {
		append_ok(j, 3); /* segments 1, 10, 19, 28 */
	}
	journal_tick_at(j, clock_ns(CLOCK_MONOTONIC_COARSE));
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_deleted], 0); /* all are young */
	journal_close(j);
	set_mtime(1, now - 7200);
	set_mtime(10, now - 3700);
	set_mtime(19, now - 60);
	set_mtime(28, now - 7200); /* the newest: never deleted */
	j = open_ok(&jc);
	journal_tick_at(j, clock_ns(CLOCK_MONOTONIC_COARSE));
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_deleted], 2);
	CU_ASSERT_EQUAL(journal_first_seq(j), 19);
	seg_path(path, sizeof(path), 10);
	CU_ASSERT_EQUAL(file_size(path), -1);
	journal_close(j);

	set_mtime(19, now - 7200);
	j = open_ok(&jc);
	journal_tick_at(j, clock_ns(CLOCK_MONOTONIC_COARSE));
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_deleted], 3);
	CU_ASSERT_EQUAL(journal_first_seq(j), 28);
	seg_path(path, sizeof(path), 28);
	CU_ASSERT_EQUAL(file_size(path), 300);
	journal_close(j);
	cleanup();
}

static void
test_journal_reader_crosses_segments_and_starts_after_given_seq(void)
{
	struct journal_conf jc;
	struct journal_reader *r;
	struct journal *j;
	uint64_t next, after;

	fresh();
	jc = conf(1000, 0, 0, JOURNAL_FSYNC_NEVER);
	j = open_ok(&jc);
	append_ok(j, 4);
	append_ok(j, 4); /* 1..8 */
	append_ok(j, 4); /* 9..12 */
	append_ok(j, 4); /* 13..16 */
	append_ok(j, 4); /* 17..20 */
	for (after = 0; after <= 21; after++) {
		next = after + 1;
		r = journal_reader_open(dir, after, NULL);
		CU_ASSERT_EQUAL(drain(r, &next), after >= 20 ? 0 : 20 - after);
		CU_ASSERT_EQUAL(next, after >= 20 ? after + 1 : 21);
		journal_reader_close(r);
	}
	/* seek starts over */
	r = journal_reader_open(dir, 0, NULL);
	next = 1;
	CU_ASSERT_EQUAL(drain(r, &next), 20);
	journal_reader_seek(r, 14);
	next = 15;
	CU_ASSERT_EQUAL(drain(r, &next), 6);
	journal_reader_close(r);
	journal_close(j);
	cleanup();
}

static void
test_journal_reader_returns_end_then_later_lines(void)
{
	struct journal_conf jc;
	struct journal_reader *r;
	struct journal *j;
	uint64_t next = 1;
	const char *line;
	size_t len;
	uint64_t seq;

	fresh();
	jc = conf(1000, 0, 0, JOURNAL_FSYNC_NEVER);
	/* no journal yet at all */
	r = journal_reader_open(dir, 0, NULL);
	CU_ASSERT_EQUAL(journal_reader_next(r, &line, &len, &seq), JOURNAL_END);
	j = open_ok(&jc);
	CU_ASSERT_EQUAL(journal_reader_next(r, &line, &len, &seq), JOURNAL_END);
	append_ok(j, 5);
	CU_ASSERT_EQUAL(drain(r, &next), 5);
	CU_ASSERT_EQUAL(journal_reader_next(r, &line, &len, &seq), JOURNAL_END);
	append_ok(j, 4); /* fills the first segment */
	append_ok(j, 5); /* in the next */
	CU_ASSERT_EQUAL(drain(r, &next), 9);
	append_ok(j, 1);
	CU_ASSERT_EQUAL(drain(r, &next), 1);
	CU_ASSERT_EQUAL(next, 16);
	journal_reader_close(r);
	journal_close(j);
	cleanup();
}

static void
test_journal_reader_never_returns_a_partial_line(void)
{
	struct journal_conf jc;
	struct journal_reader *r;
	struct journal *j;
	char path[256], line[LINE_W];
	uint64_t next = 1, seq;
	const char *l;
	size_t len;

	fresh();
	jc = conf(1 << 20, 0, 0, JOURNAL_FSYNC_NEVER);
	j = open_ok(&jc);
	append_ok(j, 2);
	journal_close(j);
	/* what a reader sees while the writer is inside write(2) */
	seg_path(path, sizeof(path), 1);
	make_lines(line, 3, 1, LINE_W);
	write_file(path, line, 40, O_APPEND);
	r = journal_reader_open(dir, 0, NULL);
	CU_ASSERT_EQUAL(drain(r, &next), 2);
	CU_ASSERT_EQUAL(journal_reader_next(r, &l, &len, &seq), JOURNAL_END);
	write_file(path, line + 40, LINE_W - 40, O_APPEND);
	CU_ASSERT_EQUAL(drain(r, &next), 1);
	CU_ASSERT_EQUAL(next, 4);
	journal_reader_close(r);
	cleanup();
}

struct writer_arg {
	struct journal *j;
	uint64_t total;
	int rc;
};

static void *
writer_main(void *arg)
{
	struct writer_arg *w = arg;
	char *buf = malloc(32 * LINE_W);

	while (journal_last_seq(w->j) < w->total) {
		uint64_t left = w->total - journal_last_seq(w->j);
		uint32_t n =
		        left < 32 ? (uint32_t)left : 1 + (uint32_t)(journal_last_seq(w->j) % 32);
		size_t len = make_lines(buf, journal_last_seq(w->j) + 1, n, LINE_W);

		if (journal_append(w->j, buf, len, n) != 0) {
			w->rc = -1;
			break;
		}
	}
	free(buf);
	return NULL;
}

static void
test_journal_reader_concurrent_with_writer(void)
{
	struct writer_arg w = { .total = 100000 };
	struct journal_conf jc;
	struct journal_reader *r;
	pthread_t th;
	uint64_t next = 1, seq, bad = 0, ends = 0;
	const char *line;
	size_t len;
	enum journal_read rc;

	fresh();
	/* small segments so the reader also races rotations */
	jc = conf(200 * 1024, 0, 0, JOURNAL_FSYNC_NEVER);
	w.j = open_ok(&jc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w.j);
	r = journal_reader_open(dir, 0, NULL);
	CU_ASSERT_FATAL(pthread_create(&th, NULL, writer_main, &w) == 0);
	while (next <= w.total) {
		rc = journal_reader_next(r, &line, &len, &seq);
		if (rc == JOURNAL_END) {
			ends++;
			sched_yield();
			continue;
		}
		if (rc != JOURNAL_LINE) {
			bad++;
			break;
		}
		if (seq != next || len != LINE_W || line[len - 1] != '\n' ||
		    journal_line_seq(line, len) != seq || memcmp(line + len - 3, "\"}\n", 3) != 0) {
			bad++;
		}
		next = seq + 1;
	}
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(w.rc, 0);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(next, w.total + 1);
	CU_ASSERT(cnt.v[CNT_journal_rotated] > 10);
	CU_ASSERT_EQUAL(journal_reader_next(r, &line, &len, &seq), JOURNAL_END);
	journal_reader_close(r);
	journal_close(w.j);
	cleanup();
}

static void
test_journal_reader_gap_after_retention(void)
{
	struct journal_conf jc;
	struct journal_reader *r, *mid;
	struct journal *j;
	uint64_t next, seq;
	const char *line;
	size_t len;
	int i;

	fresh();
	jc = conf(1000, 1000, 0, JOURNAL_FSYNC_NEVER);
	j = open_ok(&jc);
	for (i = 0; i < 4; i++) {
		append_ok(j, 3); /* segments 1 (1..9) and 10 (10..12) */
	}
	/* one reader is inside segment 1 when it is deleted */
	mid = journal_reader_open(dir, 0, NULL);
	CU_ASSERT_EQUAL(journal_reader_next(mid, &line, &len, &seq), JOURNAL_LINE);
	CU_ASSERT_EQUAL(seq, 1);
	for (i = 0; i < 6; i++) {
		append_ok(j, 3); /* segments 19 and 28 */
	}
	journal_tick_at(j, clock_ns(CLOCK_MONOTONIC_COARSE));
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_deleted], 3);
	CU_ASSERT_EQUAL(journal_first_seq(j), 28);

	r = journal_reader_open(dir, 3, NULL);
	CU_ASSERT_EQUAL(journal_reader_next(r, &line, &len, &seq), JOURNAL_GAP);
	CU_ASSERT_EQUAL(seq, 28);
	next = 28;
	CU_ASSERT_EQUAL(drain(r, &next), 3);
	journal_reader_close(r);

	/* the open file still has 2..9; then the segments after it are gone */
	for (next = 2; next <= 9; next++) {
		CU_ASSERT_EQUAL(journal_reader_next(mid, &line, &len, &seq), JOURNAL_LINE);
		CU_ASSERT_EQUAL(seq, next);
	}
	CU_ASSERT_EQUAL(journal_reader_next(mid, &line, &len, &seq), JOURNAL_GAP);
	CU_ASSERT_EQUAL(seq, 28);
	next = 28;
	CU_ASSERT_EQUAL(drain(mid, &next), 3);
	journal_reader_close(mid);
	journal_close(j);
	cleanup();
}

static void
test_journal_open_rejects_bad_segments(void)
{
	static const uint64_t gap[] = { 1, 2, 4 };
	static const uint64_t shifted[] = { 1, 2 };
	static const uint64_t ten[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	static const uint64_t overlap[] = { 5, 6, 7 };
	struct journal_conf jc;
	char path[256], *big;

	fresh();
	jc = conf(1 << 20, 0, 0, JOURNAL_FSYNC_NEVER);
	CU_ASSERT_FATAL(mkdir(root, 0750) == 0 || errno == EEXIST);
	snprintf(path, sizeof(path), "%s/j", root);
	mkdir(path, 0750);
	mkdir(dir, 0750);

	write_segment(1, gap, 3);
	open_fails(&jc, "alerts-00000000000000000001.ndjson: seq 4");

	write_segment(1, shifted, 2);
	seg_path(path, sizeof(path), 1);
	rename(path, (seg_path(path + 128, 128, 5), path + 128));
	open_fails(&jc, "alerts-00000000000000000005.ndjson: seq 1");
	unlink(path + 128);

	/* the same, in a segment bigger than the tail that is read */
	big = malloc(2000 * LINE_W);
	make_lines(big, 1, 2000, LINE_W);
	seg_path(path, sizeof(path), 7);
	write_file(path, big, 2000 * LINE_W, O_TRUNC);
	open_fails(&jc, "alerts-00000000000000000007.ndjson: its first line has seq 1");
	unlink(path);
	free(big);

	/* the last whole line has no seq */
	write_segment(1, ten, 10);
	seg_path(path, sizeof(path), 1);
	write_file(path, "{\"x\":1}\n", 8, O_APPEND);
	open_fails(&jc, "alerts-00000000000000000001.ndjson: a line at byte 1000 has no seq");

	/* a segment named lower than the previous one's last seq + 1 */
	write_segment(1, ten, 10);
	write_segment(5, overlap, 3);
	open_fails(&jc, "alerts-00000000000000000005.ndjson: starts at seq 5");
	cleanup();
}

static void
test_journal_ignores_non_segment_files(void)
{
	static const uint64_t two[] = { 1, 2 };
	struct journal_conf jc;
	struct journal *j;
	char path[256];

	fresh();
	jc = conf(1 << 20, 0, 0, JOURNAL_FSYNC_NEVER);
	snprintf(path, sizeof(path), "%s/j", root);
	mkdir(path, 0750);
	mkdir(dir, 0750);
	write_segment(1, two, 2);
	snprintf(path, sizeof(path), "%s/nats-node1.acked", dir);
	write_file(path, "17\n", 3, O_TRUNC);
	snprintf(path, sizeof(path), "%s/alerts-99.ndjson", dir);
	write_file(path, "junk\n", 5, O_TRUNC);
	snprintf(path, sizeof(path), "%s/alerts-00000000000000000099.ndjson.tmp", dir);
	write_file(path, "junk\n", 5, O_TRUNC);
	snprintf(path, sizeof(path), "%s/alerts-0000000000000000009x.ndjson", dir);
	write_file(path, "junk\n", 5, O_TRUNC);
	j = open_ok(&jc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(journal_last_seq(j), 2);
	journal_close(j);
	cleanup();
}

static void
test_journal_open_fails_where_folder_cannot_be(void)
{
	struct journal_conf jc = conf(1 << 20, 0, 0, JOURNAL_FSYNC_NEVER);

	fresh();
	snprintf(dir, sizeof(dir), "%s/file", root);
	write_file(dir, "x", 1, O_TRUNC);
	open_fails(&jc, "file");
	snprintf(dir, sizeof(dir), "%s/file/sub", root);
	open_fails(&jc, "cannot create");
	snprintf(dir, sizeof(dir), "/proc/self/journal-test");
	open_fails(&jc, "/proc/self/journal-test");
	jc.dir = NULL;
	open_fails(&jc, "no folder");
	cleanup();
}

static void
test_journal_append_failure_leaves_no_partial_batch(void)
{
	struct journal_conf jc;
	struct journal_reader *r;
	struct journal *j;
	struct rlimit old, lim;
	char path[256], *buf;
	uint64_t next = 1;
	size_t len;
	void (*oldsig)(int);

	fresh();
	jc = conf(1 << 20, 0, 0, JOURNAL_FSYNC_NEVER);
	j = open_ok(&jc);
	append_ok(j, 10);
	/* a file size limit half-way into the next batch: write(2) is short, then EFBIG */
	buf = malloc(10 * LINE_W);
	len = make_lines(buf, 11, 10, LINE_W);
	CU_ASSERT_FATAL(getrlimit(RLIMIT_FSIZE, &old) == 0);
	oldsig = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 15 * LINE_W + 7;
	CU_ASSERT_FATAL(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	CU_ASSERT_EQUAL(journal_append(j, buf, len, 10), -EFBIG);
	CU_ASSERT_FATAL(setrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, oldsig);
	CU_ASSERT_EQUAL(cnt.v[CNT_alert_journal_errors], 1);
	CU_ASSERT_EQUAL(journal_last_seq(j), 10);
	seg_path(path, sizeof(path), 1);
	CU_ASSERT_EQUAL(file_size(path), 10 * LINE_W);
	/* the same seqs go in on the next try */
	CU_ASSERT_EQUAL(journal_append(j, buf, len, 10), 0);
	CU_ASSERT_EQUAL(journal_last_seq(j), 20);
	r = journal_reader_open(dir, 0, NULL);
	CU_ASSERT_EQUAL(drain(r, &next), 20);
	journal_reader_close(r);
	free(buf);
	journal_close(j);
	cleanup();
}

/*
 * Tick at <now> until the syncer thread has done <want> syncs (or 2 s pass,
 * or, with want 0, 50 ms: whatever it does by then); returns the count.
 */
static uint64_t
settle(struct journal *j, uint64_t now, uint64_t want)
{
	int i;

	for (i = 0; i < 200; i++) {
		journal_tick_at(j, now);
		if ((want > 0 && cnt.v[CNT_journal_fsyncs] >= want) || (want == 0 && i == 5)) {
			break;
		}
		usleep(10000);
	}
	usleep(20000);
	journal_tick_at(j, now);
	return cnt.v[CNT_journal_fsyncs];
}

static void
test_journal_fsync_per_policy(void)
{
	struct journal_conf jc;
	struct journal *j;
	uint64_t base, t;

	/* always: one per append */
	fresh();
	jc = conf(1 << 20, 0, 0, JOURNAL_FSYNC_ALWAYS);
	j = open_ok(&jc);
	append_ok(j, 1); /* creates the segment: its folder is synced too */
	base = cnt.v[CNT_journal_fsyncs];
	append_ok(j, 1);
	append_ok(j, 3);
	append_ok(j, 1);
	journal_tick_at(j, clock_ns(CLOCK_MONOTONIC_COARSE) + 10000000000ull);
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_fsyncs], base + 3);
	journal_close(j);
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_fsyncs], base + 3); /* nothing left unsynced */
	cleanup();

	/* never: none, whatever the time, until close */
	fresh();
	jc = conf(1 << 20, 0, 0, JOURNAL_FSYNC_NEVER);
	j = open_ok(&jc);
	append_ok(j, 1);
	base = cnt.v[CNT_journal_fsyncs];
	append_ok(j, 2);
	t = clock_ns(CLOCK_MONOTONIC_COARSE);
	journal_tick_at(j, t + 10000000000ull);
	journal_tick_at(j, t + 20000000000ull);
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_fsyncs], base);
	journal_close(j);
	CU_ASSERT_EQUAL(cnt.v[CNT_journal_fsyncs], base + 1);
	cleanup();

	/* every 1000 ms at most: only with unsynced bytes and the interval passed (on the syncer) */
	fresh();
	jc = conf(1 << 20, 0, 0, 1000);
	j = open_ok(&jc);
	t = clock_ns(CLOCK_MONOTONIC_COARSE);
	append_ok(j, 1);
	base = settle(j, t, 0);
	append_ok(j, 1);
	CU_ASSERT_EQUAL(settle(j, t + 100000000ull, base), base);
	CU_ASSERT_EQUAL(settle(j, t + 1500000000ull, base + 1), base + 1);
	CU_ASSERT_EQUAL(settle(j, t + 3000000000ull, base + 1), base + 1); /* nothing unsynced */
	append_ok(j, 1);
	CU_ASSERT_EQUAL(settle(j, t + 3100000000ull, base + 2), base + 2); /* 1.6 s since */
	append_ok(j, 1);
	CU_ASSERT_EQUAL(settle(j, t + 3500000000ull, base + 2), base + 2); /* 0.4 s */
	CU_ASSERT_EQUAL(settle(j, t + 4100000000ull, base + 3), base + 3);
	journal_close(j);
	cleanup();
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("journal", NULL, NULL);
	CU_add_test(s, "line seq parses only the exact prefix",
	            test_journal_line_seq_parses_only_the_exact_prefix);
	CU_add_test(s, "append then read back", test_journal_append_then_read_back);
	CU_add_test(s, "seq continues after reopen", test_journal_seq_continues_after_reopen);
	CU_add_test(s, "open cuts torn last line", test_journal_open_cuts_torn_last_line);
	CU_add_test(s, "survives SIGKILL of the writer", test_journal_survives_sigkill_of_writer);
	CU_add_test(s, "rotates by size without splitting batches",
	            test_journal_rotates_by_size_without_splitting_batches);
	CU_add_test(s, "retention by bytes", test_journal_retention_by_bytes);
	CU_add_test(s, "retention by age keeps newest", test_journal_retention_by_age_keeps_newest);
	CU_add_test(s, "reader crosses segments and starts after given seq",
	            test_journal_reader_crosses_segments_and_starts_after_given_seq);
	CU_add_test(s, "reader returns END then later lines",
	            test_journal_reader_returns_end_then_later_lines);
	CU_add_test(s, "reader never returns a partial line",
	            test_journal_reader_never_returns_a_partial_line);
	CU_add_test(s, "reader concurrent with writer", test_journal_reader_concurrent_with_writer);
	CU_add_test(s, "reader GAP after retention", test_journal_reader_gap_after_retention);
	CU_add_test(s, "open rejects bad segments", test_journal_open_rejects_bad_segments);
	CU_add_test(s, "ignores non-segment files", test_journal_ignores_non_segment_files);
	CU_add_test(s, "open fails where the folder cannot be",
	            test_journal_open_fails_where_folder_cannot_be);
	CU_add_test(s, "append failure leaves no partial batch",
	            test_journal_append_failure_leaves_no_partial_batch);
	CU_add_test(s, "fsync per policy", test_journal_fsync_per_policy);
	return guard_run_tests();
}
