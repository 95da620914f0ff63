#include "alert/alert_out.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "alert/alert_ecs.h"
#include "alert/alert_json.h"
#include "alert/journal.h"
#include "core/clock.h"
#include "core/config.h"
#include "guard.h"

static char dir[] = "/tmp/fw_test_out_XXXXXX";
static char sock_path[256], journal_dir[256];

/* ---- a reader of the stream: whole lines, parsed just enough ---- */

struct reader {
	int fd;
	char *buf;
	size_t len, cap;
	bool eof;
};

static int
connect_unix(void)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, sock_path);
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	return fd;
}

static void
reader_init(struct reader *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->cap = 1 << 20;
	r->buf = malloc(r->cap);
}

static void
reader_free(struct reader *r)
{
	if (r->fd >= 0) {
		close(r->fd);
	}
	free(r->buf);
}

/* Read what is there now, without waiting. */
static void
reader_pull(struct reader *r)
{
	for (;;) {
		ssize_t n;

		if (r->len == r->cap) {
			r->cap *= 2;
			r->buf = realloc(r->buf, r->cap);
		}
		n = recv(r->fd, r->buf + r->len, r->cap - r->len, MSG_DONTWAIT);
		if (n == 0) {
			r->eof = true;
			return;
		}
		if (n < 0) {
			return;
		}
		r->len += (size_t)n;
	}
}

/* Take one whole line (without '\n') into <out>; false if none yet. */
static bool
reader_line(struct reader *r, char *out, size_t cap)
{
	char *nl = memchr(r->buf, '\n', r->len);
	size_t n;

	if (nl == NULL) {
		return false;
	}
	n = (size_t)(nl - r->buf);
	CU_ASSERT_FATAL(n < cap);
	memcpy(out, r->buf, n);
	out[n] = '\0';
	memmove(r->buf, nl + 1, r->len - n - 1);
	r->len -= n + 1;
	return true;
}

static uint64_t
field(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p != NULL ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* Poll the server for <ms>, reading every reader in between. */
static void
pump(struct alert_out *o, struct reader *rs, size_t n, int ms)
{
	uint64_t end = clock_ns(CLOCK_MONOTONIC) + (uint64_t)ms * 1000000u;
	size_t i;

	do {
		alert_out_poll(o, 1);
		for (i = 0; i < n; i++) {
			if (rs[i].fd >= 0) {
				reader_pull(&rs[i]);
			}
		}
	} while (clock_ns(CLOCK_MONOTONIC) < end);
}

/*
 * Poll and read until nothing has arrived for <quiet_ms> (every reader at
 * EOF ends it at once), or <max_ms> pass: what a fixed wait cannot promise
 * on a loaded machine or under a sanitizer.
 */
static void
pump_quiet(struct alert_out *o, struct reader *rs, size_t n, int quiet_ms, int max_ms)
{
	uint64_t start = clock_ns(CLOCK_MONOTONIC), last = start;
	size_t i;

	for (;;) {
		uint64_t now;
		size_t bytes = 0, eofs = 0;

		alert_out_poll(o, 1);
		for (i = 0; i < n; i++) {
			size_t before = rs[i].len;

			if (rs[i].fd >= 0 && !rs[i].eof) {
				reader_pull(&rs[i]);
			}
			bytes += rs[i].len - before;
			eofs += rs[i].eof;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		if (bytes > 0) {
			last = now;
		}
		if (eofs == n || now - last > (uint64_t)quiet_ms * 1000000u ||
		    now - start > (uint64_t)max_ms * 1000000u) {
			return;
		}
	}
}

/* An alert line of about <size> bytes for <seq>. */
static size_t
make_line(char *buf, uint64_t seq, size_t size)
{
	size_t n = (size_t)sprintf(buf, "{\"seq\":%llu,\"pad\":\"", (unsigned long long)seq);

	while (n < size - 3) {
		buf[n++] = 'x';
	}
	buf[n++] = '"';
	buf[n++] = '}';
	buf[n++] = '\n';
	return n;
}

static struct alert_out *
open_out(struct alert_out_conf *conf, struct counters *c, uint64_t last_seq)
{
	char *err = NULL;
	struct alert_out *o;

	memset(c, 0, sizeof(*c));
	if (conf->socket_path == NULL) {
		conf->socket_path = sock_path;
	}
	if (conf->max_clients == 0) {
		conf->max_clients = 16;
	}
	if (conf->client_buffer == 0) {
		conf->client_buffer = 65536;
	}
	if (conf->socket_mode == 0) {
		conf->socket_mode = 0660;
	}
	conf->node = "test-node";
	conf->version = "9.9";
	o = alert_out_open(conf, c, last_seq, &err);
	if (o == NULL) {
		fprintf(stderr, "\n  %s\n", err);
	}
	free(err);
	return o;
}

/* Reads lines until the first alert; checks the hello line on the way. */
static void
expect_hello(struct reader *r, uint64_t last_seq)
{
	char line[1024];

	CU_ASSERT_FATAL(reader_line(r, line, sizeof(line)));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "{\"hello\":"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"node\":\"test-node\""));
	CU_ASSERT_EQUAL(field(line, "\"last_seq\":"), last_seq);
}

static void
test_alert_out_every_client_gets_hello_then_every_line(void)
{
	struct alert_out_conf conf = { 0 };
	struct counters c;
	struct alert_out *o = open_out(&conf, &c, 41);
	struct reader rs[2];
	char line[256], got[1024];
	uint64_t seq;
	int k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	reader_init(&rs[0], connect_unix());
	reader_init(&rs[1], connect_unix());
	pump(o, rs, 2, 150); /* past resume_wait (0 here: live at once) */
	CU_ASSERT_EQUAL(alert_out_clients(o), 2);
	for (seq = 42; seq < 52; seq++) {
		alert_out_line(o, seq, line, make_line(line, seq, 100));
	}
	alert_out_flush(o);
	pump_quiet(o, rs, 2, 100, 5000);
	for (k = 0; k < 2; k++) {
		expect_hello(&rs[k], 41);
		for (seq = 42; seq < 52; seq++) {
			CU_ASSERT_FATAL(reader_line(&rs[k], got, sizeof(got)));
			CU_ASSERT_EQUAL(field(got, "\"seq\":"), seq);
			CU_ASSERT_EQUAL(strlen(got), 99);
		}
		CU_ASSERT_FALSE(reader_line(&rs[k], got, sizeof(got)));
	}
	CU_ASSERT_EQUAL(c.v[CNT_alert_clients_accepted], 2);
	alert_out_close(o, 100);
	/* the socket is gone after close, and clients see EOF */
	CU_ASSERT_EQUAL(access(sock_path, F_OK), -1);
	reader_pull(&rs[0]);
	CU_ASSERT_TRUE(rs[0].eof);
	reader_free(&rs[0]);
	reader_free(&rs[1]);
}

/*
 * Lines far bigger than the socket buffers: every send is short, and the
 * reader still gets whole lines, in order, each exactly once.
 */
static void
test_alert_out_short_writes_resume_mid_line(void)
{
	struct alert_out_conf conf = { .client_buffer = 8u << 20 };
	struct counters c;
	struct alert_out *o = open_out(&conf, &c, 0);
	struct reader r;
	static char line[60000], got[60000];
	uint64_t seq, want = 1;
	int small = 4096, rounds = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	reader_init(&r, socket(AF_UNIX, SOCK_STREAM, 0));
	setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	close(r.fd);
	r.fd = connect_unix();
	setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	pump(o, &r, 1, 20);
	CU_ASSERT_TRUE(reader_line(&r, got, sizeof(got))); /* hello */
	for (seq = 1; seq <= 100; seq++) {
		alert_out_line(o, seq, line, make_line(line, seq, 50000 + (size_t)seq * 7));
		alert_out_flush(o);
	}
	/* the reader reads in small sips */
	while (want <= 100 && rounds++ < 100000) {
		char sip[3000];
		ssize_t n = recv(r.fd, sip, sizeof(sip), MSG_DONTWAIT);

		if (n > 0) {
			memcpy(r.buf + r.len, sip, (size_t)n);
			r.len += (size_t)n;
		}
		alert_out_poll(o, 0);
		while (reader_line(&r, got, sizeof(got))) {
			CU_ASSERT_EQUAL(field(got, "\"seq\":"), want);
			CU_ASSERT_EQUAL(strlen(got), 50000 + want * 7 - 1);
			CU_ASSERT_EQUAL(got[strlen(got) - 1], '}');
			want++;
		}
	}
	CU_ASSERT_EQUAL(want, 101);
	CU_ASSERT_EQUAL(c.v[CNT_alert_clients_slow], 0);
	alert_out_close(o, 0);
	reader_free(&r);
}

/* A reader that stops reading: disconnected with a notice; the others never wait. */
static void
test_alert_out_slow_reader_gets_a_notice_and_is_disconnected(void)
{
	struct alert_out_conf conf = { .client_buffer = 65536 };
	struct counters c;
	struct alert_out *o = open_out(&conf, &c, 0);
	struct reader rs[2];
	char line[1000], got[2048];
	uint64_t seq, last = 0, fast = 0;
	int small = 4096;
	int extra = 0;
	bool notice = false;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	reader_init(&rs[0], connect_unix()); /* slow */
	reader_init(&rs[1], connect_unix()); /* fast */
	setsockopt(rs[0].fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	pump(o, rs, 2, 10);
	/* until the slow one is cut off, and 100 lines more (within its linger) */
	for (seq = 1; seq <= 2000 && (c.v[CNT_alert_clients_slow] == 0 || ++extra <= 100); seq++) {
		alert_out_line(o, seq, line, make_line(line, seq, sizeof(line)));
		alert_out_flush(o);
		alert_out_poll(o, 0);
		reader_pull(&rs[1]);
	}
	pump_quiet(o, &rs[1], 1, 100, 5000);
	expect_hello(&rs[1], 0);
	while (reader_line(&rs[1], got, sizeof(got))) {
		CU_ASSERT_EQUAL(field(got, "\"seq\":"), ++fast);
	}
	CU_ASSERT_EQUAL(fast, seq - 1);
	CU_ASSERT_EQUAL(c.v[CNT_alert_clients_slow], 1);
	/* now the slow one reads: whole lines in order, the notice, then EOF */
	pump_quiet(o, rs, 1, 2000, 10000);
	expect_hello(&rs[0], 0);
	while (reader_line(&rs[0], got, sizeof(got))) {
		if (strstr(got, "{\"notice\":") == got) {
			CU_ASSERT_PTR_NOT_NULL(strstr(got, "\"type\":\"disconnect\""));
			CU_ASSERT_EQUAL(field(got, "\"last_seq\":"), last);
			notice = true;
			continue;
		}
		CU_ASSERT_FALSE(notice);
		CU_ASSERT_EQUAL(field(got, "\"seq\":"), ++last);
		CU_ASSERT_EQUAL(strlen(got), sizeof(line) - 1);
	}
	CU_ASSERT_TRUE(notice);
	CU_ASSERT_TRUE(last > 0 && last < seq - 1);
	CU_ASSERT_TRUE(rs[0].eof);
	CU_ASSERT_EQUAL(alert_out_clients(o), 1);
	alert_out_close(o, 0);
	reader_free(&rs[0]);
	reader_free(&rs[1]);
}

/* skip: a gap line naming exactly what was left out, then live lines again. */
static void
test_alert_out_skip_policy_sends_a_gap_line(void)
{
	struct alert_out_conf conf = { .client_buffer = 65536, .slow_policy = CONFIG_SLOW_SKIP };
	struct counters c;
	struct alert_out *o = open_out(&conf, &c, 0);
	struct reader r;
	char line[1000], got[2048];
	uint64_t seq, want = 1, skipped = 0;
	int small = 4096, gaps = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	reader_init(&r, connect_unix());
	setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	pump(o, &r, 1, 10);
	for (seq = 1; seq <= 3000; seq++) {
		alert_out_line(o, seq, line, make_line(line, seq, sizeof(line)));
		alert_out_flush(o);
		alert_out_poll(o, 0);
		if (seq == 1500) {
			pump(o, &r, 1, 30); /* a short burst of reading in the middle */
		}
	}
	pump_quiet(o, &r, 1, 300, 10000);
	expect_hello(&r, 0);
	while (reader_line(&r, got, sizeof(got))) {
		if (strstr(got, "{\"gap\":") == got) {
			uint64_t from = field(got, "\"from\":"), to = field(got, "\"to\":");

			CU_ASSERT_EQUAL(from, want);
			CU_ASSERT_TRUE(to >= from);
			CU_ASSERT_PTR_NOT_NULL(strstr(got, "\"reason\":\"slow\""));
			skipped += to - from + 1;
			want = to + 1;
			gaps++;
			continue;
		}
		CU_ASSERT_EQUAL(field(got, "\"seq\":"), want);
		want++;
	}
	CU_ASSERT_EQUAL(want, 3001); /* every seq either received or inside a gap */
	CU_ASSERT_TRUE(gaps >= 1);
	CU_ASSERT_EQUAL(c.v[CNT_alert_lines_skipped], skipped);
	CU_ASSERT_EQUAL(c.v[CNT_alert_clients_gaps], (uint64_t)gaps);
	CU_ASSERT_EQUAL(c.v[CNT_alert_clients_slow], 0);
	CU_ASSERT_EQUAL(alert_out_clients(o), 1);
	alert_out_close(o, 0);
	reader_free(&r);
}

static void
send_str(int fd, const char *s)
{
	CU_ASSERT_EQUAL(send(fd, s, strlen(s), 0), (ssize_t)strlen(s));
}

/* Reads alerts and gaps from <r> until EOF-free silence; returns the next seq expected. */
static uint64_t
expect_run(struct reader *r, uint64_t want, uint64_t *gap_from, uint64_t *gap_to)
{
	char got[4096];

	while (reader_line(r, got, sizeof(got))) {
		if (strstr(got, "{\"gap\":") == got) {
			*gap_from = field(got, "\"from\":");
			*gap_to = field(got, "\"to\":");
			CU_ASSERT_EQUAL(*gap_from, want);
			want = *gap_to + 1;
			continue;
		}
		if (field(got, "\"seq\":") != want) {
			fprintf(stderr, "\n  expected seq %llu, got: %.80s\n",
			        (unsigned long long)want, got);
			CU_FAIL("out of order");
			return 0;
		}
		want++;
	}
	return want;
}

/* resume_after within the ring: N+1 onward, then live, nothing twice. */
static void
test_alert_out_resume_from_the_ring(void)
{
	struct alert_out_conf conf = { .resume_wait_ms = 5000 };
	struct counters c;
	struct alert_out *o = open_out(&conf, &c, 0);
	struct reader r;
	char line[300];
	uint64_t seq, gf = 0, gt = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	for (seq = 1; seq <= 50; seq++) {
		alert_out_line(o, seq, line, make_line(line, seq, 200));
	}
	reader_init(&r, connect_unix());
	pump(o, &r, 1, 10);
	/* nothing but the hello before the request (or the wait) */
	expect_hello(&r, 50);
	CU_ASSERT_EQUAL(r.len, 0);
	send_str(r.fd, "{\"resume_after\":20}\n");
	pump_quiet(o, &r, 1, 100, 5000);
	for (seq = 51; seq <= 60; seq++) {
		alert_out_line(o, seq, line, make_line(line, seq, 200));
	}
	alert_out_flush(o);
	pump_quiet(o, &r, 1, 100, 5000);
	CU_ASSERT_EQUAL(expect_run(&r, 21, &gf, &gt), 61);
	CU_ASSERT_EQUAL(gf, 0);
	alert_out_close(o, 0);
	reader_free(&r);
}

/* A reader that sends nothing is live from the moment it connected, after resume_wait. */
static void
test_alert_out_silent_reader_goes_live_from_connect(void)
{
	struct alert_out_conf conf = { .resume_wait_ms = 300 };
	struct counters c;
	struct alert_out *o = open_out(&conf, &c, 0);
	struct reader r;
	char line[300];
	uint64_t seq, gf = 0, gt = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	for (seq = 1; seq <= 5; seq++) {
		alert_out_line(o, seq, line, make_line(line, seq, 200));
	}
	reader_init(&r, connect_unix());
	pump(o, &r, 1, 5);
	/* alerts written during the wait are not lost */
	for (seq = 6; seq <= 8; seq++) {
		alert_out_line(o, seq, line, make_line(line, seq, 200));
	}
	alert_out_flush(o);
	pump(o, &r, 1, 5);
	expect_hello(&r, 5);
	CU_ASSERT_EQUAL(r.len, 0);
	pump(o, &r, 1, 350); /* past the wait */
	pump_quiet(o, &r, 1, 100, 5000);
	CU_ASSERT_EQUAL(expect_run(&r, 6, &gf, &gt), 9);
	alert_out_close(o, 0);
	reader_free(&r);
}

/* resume_after older than the ring: replayed from the journal, then the ring, then live. */
static void
test_alert_out_resume_replays_the_journal(void)
{
	struct journal_conf jc = { .dir = journal_dir,
		                   .segment_bytes = 1u << 20,
		                   .retain_bytes = 1ull << 30,
		                   .fsync_ms = JOURNAL_FSYNC_NEVER };
	struct alert_out_conf conf = { .client_buffer = 65536,
		                       .journal_dir = journal_dir,
		                       .resume_wait_ms = 1000 };
	struct counters c, jcnt;
	struct alert_out *o;
	struct journal *j;
	struct reader r;
	char *err = NULL;
	char line[1000];
	uint64_t seq, gf = 0, gt = 0;

	memset(&jcnt, 0, sizeof(jcnt));
	j = journal_open(&jc, &jcnt, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	o = open_out(&conf, &c, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	/* 5,000 lines of 1,000 bytes: far more than the ring keeps */
	for (seq = 1; seq <= 5000; seq++) {
		size_t n = make_line(line, seq, sizeof(line));

		CU_ASSERT_EQUAL_FATAL(journal_append(j, line, n, 1), 0);
		alert_out_line(o, seq, line, n);
	}
	reader_init(&r, connect_unix());
	pump(o, &r, 1, 5);
	send_str(r.fd, "{\"resume_after\":10}\n");
	/* live lines keep coming while it replays */
	for (seq = 5001; seq <= 5100; seq++) {
		size_t n = make_line(line, seq, sizeof(line));

		CU_ASSERT_EQUAL_FATAL(journal_append(j, line, n, 1), 0);
		alert_out_line(o, seq, line, n);
		alert_out_flush(o);
		pump(o, &r, 1, 1);
	}
	pump_quiet(o, &r, 1, 300, 20000);
	expect_hello(&r, 5000);
	CU_ASSERT_EQUAL(expect_run(&r, 11, &gf, &gt), 5101);
	CU_ASSERT_EQUAL(gf, 0); /* nothing skipped */
	CU_ASSERT_TRUE(c.v[CNT_alert_replayed] > 4000);
	alert_out_close(o, 0);
	journal_close(j);
	reader_free(&r);
}

/* With output.format: ecs the journal stays native; a replay converts each line. */
static void
test_alert_out_replay_converts_journal_lines_to_ecs(void)
{
	struct journal_conf jc = { .dir = journal_dir,
		                   .segment_bytes = 1u << 20,
		                   .retain_bytes = 1ull << 30,
		                   .fsync_ms = JOURNAL_FSYNC_NEVER };
	struct alert_out_conf conf = { .client_buffer = 65536,
		                       .journal_dir = journal_dir,
		                       .resume_wait_ms = 1000,
		                       .ecs = true };
	struct counters c, jcnt;
	struct alert_rec r;
	struct alert_out *o;
	struct journal *j;
	struct reader rd;
	char *err = NULL;
	static char line[ALERT_JSON_MAX], ecs[ALERT_ECS_MAX], got[ALERT_ECS_MAX];
	uint64_t seq, base;

	guard_rmtree(journal_dir);
	memset(&jcnt, 0, sizeof(jcnt));
	j = journal_open(&jc, &jcnt, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	base = journal_last_seq(j);
	o = open_out(&conf, &c, base);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	memset(&r, 0, sizeof(r));
	strcpy(r.watchlist, "russia-diplomacy");
	strcpy(r.wl_version, "7");
	strcpy(r.severity, "high");
	strcpy(r.title, "Lavrov \"arrives\"");
	strcpy(r.flow_src, "198.18.0.10:80");
	strcpy(r.flow_dst, "198.18.0.20:5000");
	strcpy(r.flow_proto, "tcp");
	strcpy(r.feed_format, "atom");
	r.n_hits = 1;
	strcpy(r.hits[0].term, "Lavrov");
	strcpy(r.hits[0].field, "title");
	/* 3,000 alerts: the ring (2 x 64 KiB of ECS lines) keeps only the last */
	for (seq = base + 1; seq <= base + 3000; seq++) {
		size_t n = alert_json_encode(&r, seq, 5, line, sizeof(line));
		size_t e = alert_ecs_encode(&r, seq, 5, "test-node", ecs, sizeof(ecs));

		CU_ASSERT_EQUAL_FATAL(journal_append(j, line, n, 1), 0);
		alert_out_line(o, seq, ecs, e);
	}
	reader_init(&rd, connect_unix());
	pump(o, &rd, 1, 5);
	send_str(rd.fd, "{\"resume_after\":0}\n");
	pump_quiet(o, &rd, 1, 300, 20000);
	expect_hello(&rd, base + 3000);
	for (seq = base + 1; seq <= base + 3000; seq++) {
		char want[64];

		if (!reader_line(&rd, got, sizeof(got))) {
			CU_FAIL("a line is missing");
			break;
		}
		snprintf(want, sizeof(want), "\"sequence\":%llu,", (unsigned long long)seq);
		CU_ASSERT_PTR_NOT_NULL(strstr(got, want));
		CU_ASSERT_PTR_NOT_NULL(strstr(got, "\"kind\":\"alert\""));
		CU_ASSERT_PTR_NOT_NULL(strstr(got, "\"version\":\"7\""));
	}
	CU_ASSERT_TRUE(c.v[CNT_alert_replayed] > 2000);
	CU_ASSERT_EQUAL(c.v[CNT_alert_ecs_errors], 0);
	alert_out_close(o, 0);
	journal_close(j);
	reader_free(&rd);
}

/* Without a journal, what the ring no longer holds is one retention gap. */
static void
test_alert_out_resume_without_journal_reports_the_gap(void)
{
	struct alert_out_conf conf = { .client_buffer = 65536 };
	struct counters c;
	struct alert_out *o = open_out(&conf, &c, 0);
	struct reader r;
	char line[1000], got[2048];
	uint64_t seq, next;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	for (seq = 1; seq <= 3000; seq++) {
		alert_out_line(o, seq, line, make_line(line, seq, sizeof(line)));
	}
	reader_init(&r, connect_unix());
	pump(o, &r, 1, 5);
	send_str(r.fd, "{\"resume_after\":0}\n");
	pump_quiet(o, &r, 1, 300, 10000);
	expect_hello(&r, 3000);
	CU_ASSERT_FATAL(reader_line(&r, got, sizeof(got)));
	CU_ASSERT_PTR_NOT_NULL(strstr(got, "{\"gap\":{\"from\":1,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(got, "\"reason\":\"retention\""));
	next = field(got, "\"to\":") + 1;
	CU_ASSERT_TRUE(next > 1 && next <= 3000);
	while (reader_line(&r, got, sizeof(got))) {
		CU_ASSERT_EQUAL(field(got, "\"seq\":"), next);
		next++;
	}
	CU_ASSERT_EQUAL(next, 3001);
	alert_out_close(o, 0);
	reader_free(&r);
}

static void
test_alert_out_bad_and_future_requests_get_an_error_notice(void)
{
	struct alert_out_conf conf = { .resume_wait_ms = 1000 };
	struct counters c;
	struct alert_out *o = open_out(&conf, &c, 7);
	struct reader r;
	char got[1024], line[300];

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	reader_init(&r, connect_unix());
	pump(o, &r, 1, 5);
	send_str(r.fd, "hello?\n{\"resume_after\":99}\n");
	pump(o, &r, 1, 10);
	alert_out_line(o, 8, line, make_line(line, 8, 200));
	alert_out_flush(o);
	pump_quiet(o, &r, 1, 100, 5000);
	expect_hello(&r, 7);
	CU_ASSERT_FATAL(reader_line(&r, got, sizeof(got)));
	CU_ASSERT_PTR_NOT_NULL(strstr(got, "{\"notice\":{\"type\":\"error\""));
	CU_ASSERT_FATAL(reader_line(&r, got, sizeof(got)));
	CU_ASSERT_PTR_NOT_NULL(strstr(got, "{\"notice\":{\"type\":\"error\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(got, "past the last alert"));
	CU_ASSERT_FATAL(reader_line(&r, got, sizeof(got)));
	CU_ASSERT_EQUAL(field(got, "\"seq\":"), 8);
	CU_ASSERT_EQUAL(c.v[CNT_alert_requests_bad], 1);
	alert_out_close(o, 0);
	reader_free(&r);
}

static void
test_alert_out_refuses_clients_beyond_the_limit_with_a_notice(void)
{
	struct alert_out_conf conf = { .max_clients = 1 };
	struct counters c;
	struct alert_out *o = open_out(&conf, &c, 0);
	struct reader rs[2];
	char got[1024];

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	reader_init(&rs[0], connect_unix());
	reader_init(&rs[1], connect_unix());
	pump_quiet(o, rs, 2, 100, 5000);
	CU_ASSERT_EQUAL(alert_out_clients(o), 1);
	CU_ASSERT_EQUAL(c.v[CNT_alert_clients_refused], 1);
	CU_ASSERT_FATAL(reader_line(&rs[1], got, sizeof(got)));
	CU_ASSERT_PTR_NOT_NULL(strstr(got, "too many clients"));
	CU_ASSERT_TRUE(rs[1].eof);
	alert_out_close(o, 0);
	reader_free(&rs[0]);
	reader_free(&rs[1]);
}

static void
test_alert_out_notices_a_client_that_left(void)
{
	struct alert_out_conf conf = { 0 };
	struct counters c;
	struct alert_out *o = open_out(&conf, &c, 0);
	int a;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	a = connect_unix();
	alert_out_poll(o, 10);
	CU_ASSERT_EQUAL(alert_out_clients(o), 1);
	close(a);
	alert_out_poll(o, 10);
	CU_ASSERT_EQUAL(alert_out_clients(o), 0);
	alert_out_close(o, 0);
}

/* 1,000 readers at once: each gets every line, whole and in order. */
static void
test_alert_out_a_thousand_clients(void)
{
	enum { N = 1000, LINES = 200 };
	struct alert_out_conf conf = { .max_clients = N };
	struct rlimit rl = { 4096, 4096 };
	struct counters c;
	struct alert_out *o;
	struct reader *rs = calloc(N, sizeof(*rs));
	char line[600];
	uint64_t seq;
	int i, ok = 0;

	setrlimit(RLIMIT_NOFILE, &rl);
	o = open_out(&conf, &c, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	for (i = 0; i < N; i++) {
		reader_init(&rs[i], connect_unix());
		if (i % 100 == 99) {
			alert_out_poll(o, 0); /* the listen backlog is 512 */
		}
	}
	pump(o, rs, N, 50);
	CU_ASSERT_EQUAL(alert_out_clients(o), N);
	for (seq = 1; seq <= LINES; seq++) {
		alert_out_line(o, seq, line, make_line(line, seq, sizeof(line)));
		if (seq % 20 == 0) {
			alert_out_flush(o);
			pump(o, rs, N, 1);
		}
	}
	pump_quiet(o, rs, N, 300, 20000);
	for (i = 0; i < N; i++) {
		char got[1024];
		uint64_t want = 1;

		expect_hello(&rs[i], 0);
		while (reader_line(&rs[i], got, sizeof(got))) {
			if (field(got, "\"seq\":") != want || strlen(got) != sizeof(line) - 1) {
				break;
			}
			want++;
		}
		ok += want == LINES + 1;
	}
	CU_ASSERT_EQUAL(ok, N);
	CU_ASSERT_EQUAL(c.v[CNT_alert_clients_slow], 0);
	alert_out_close(o, 0);
	for (i = 0; i < N; i++) {
		reader_free(&rs[i]);
	}
	free(rs);
}

static void
test_alert_out_tcp_listener_serves_the_same_stream(void)
{
	struct alert_out_conf conf = { 0 };
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct counters c;
	struct alert_out *o;
	struct reader r;
	char spec[64], line[300], got[1024];
	int probe = socket(AF_INET, SOCK_STREAM, 0), fd;

	/* a free loopback port */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(bind(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	getsockname(probe, (struct sockaddr *)&sa, &sl);
	close(probe);
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", ntohs(sa.sin_port));
	conf.tcp_listen = spec;
	o = open_out(&conf, &c, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	reader_init(&r, fd);
	pump(o, &r, 1, 20);
	alert_out_line(o, 1, line, make_line(line, 1, 200));
	alert_out_flush(o);
	pump_quiet(o, &r, 1, 100, 5000);
	expect_hello(&r, 0);
	CU_ASSERT_FATAL(reader_line(&r, got, sizeof(got)));
	CU_ASSERT_EQUAL(field(got, "\"seq\":"), 1);
	alert_out_close(o, 0);
	reader_free(&r);
}

static void
test_alert_out_socket_mode_and_a_live_socket_is_not_stolen(void)
{
	struct alert_out_conf conf = { .socket_mode = 0600 };
	struct counters c;
	struct alert_out *o = open_out(&conf, &c, 0), *o2;
	struct alert_out_conf conf2 = { 0 };
	struct stat st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL_FATAL(stat(sock_path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT_TRUE(S_ISSOCK(st.st_mode));
	o2 = open_out(&conf2, &c, 0);
	CU_ASSERT_PTR_NULL(o2);
	alert_out_close(o2, 0);
	alert_out_close(o, 0);
	/* a stale socket file (nobody listening) is replaced */
	{
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un sa;

		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		strcpy(sa.sun_path, sock_path);
		CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(fd);
	}
	o = open_out(&conf2, &c, 0);
	CU_ASSERT_PTR_NOT_NULL(o);
	alert_out_close(o, 0);
}

static void
test_alert_out_unknown_group_and_bad_paths_are_errors(void)
{
	struct alert_out_conf conf = { .socket_path = "/nonexistent/dir/a.sock" };
	struct counters c;
	char *err = NULL;

	conf.max_clients = 1;
	conf.client_buffer = 65536;
	conf.socket_mode = 0660;
	CU_ASSERT_PTR_NULL(alert_out_open(&conf, &c, 0, &err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/dir/a.sock: cannot listen"));
	free(err);
	err = NULL;
	conf.socket_path = sock_path;
	conf.socket_group = "no-such-group-here";
	CU_ASSERT_PTR_NULL(alert_out_open(&conf, &c, 0, &err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no group named 'no-such-group-here'"));
	free(err);
	err = NULL;
	conf.socket_group = NULL;
	conf.tcp_listen = "localhost";
	CU_ASSERT_PTR_NULL(alert_out_open(&conf, &c, 0, &err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is not addr:port"));
	free(err);
}

struct describe_call {
	struct alert_out *o;
	char text[4096];
	volatile bool done;
};

static void *
describe_thread(void *arg)
{
	struct describe_call *d = arg;

	alert_out_describe(d->o, d->text, sizeof(d->text), 2000);
	d->done = true;
	return NULL;
}

/* ctl's view, asked for from another thread and answered by the writer's poll. */
static void
test_alert_out_describe_lists_each_client_and_its_lag(void)
{
	struct alert_out_conf conf = { 0 };
	struct counters c;
	struct alert_out *o = open_out(&conf, &c, 0);
	struct describe_call d;
	struct reader r;
	char text[256], line[300];
	pthread_t t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	reader_init(&r, connect_unix());
	pump(o, &r, 1, 10);
	alert_out_line(o, 1, line, make_line(line, 1, 200));
	alert_out_line(o, 2, line, make_line(line, 2, 200)); /* not flushed: two behind */
	memset(&d, 0, sizeof(d));
	d.o = o;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, describe_thread, &d), 0);
	while (!d.done) {
		alert_out_poll(o, 0);
	}
	pthread_join(t, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.text, "clients 1, last seq 2, policy disconnect\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(d.text, "client 1 peer unix state live"));
	/* polled in between: flushed, so nothing is behind any more */
	CU_ASSERT_PTR_NOT_NULL(strstr(d.text, "lag_alerts 0 "));
	/* nobody polls: the caller is told, not blocked */
	CU_ASSERT_TRUE(alert_out_describe(o, text, sizeof(text), 10) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "did not answer"));
	alert_out_close(o, 0);
	reader_free(&r);
}

static int
setup(void)
{
	if (guard_mkdtemp(dir) != 0) {
		return -1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/a.sock", dir);
	snprintf(journal_dir, sizeof(journal_dir), "%s/journal", dir);
	return 0;
}

static int
teardown(void)
{
	return guard_rmtree(dir);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("alert_out", setup, teardown);
	CU_add_test(s, "every client gets hello then every line",
	            test_alert_out_every_client_gets_hello_then_every_line);
	CU_add_test(s, "short writes resume mid-line", test_alert_out_short_writes_resume_mid_line);
	CU_add_test(s, "slow reader gets a notice and is disconnected",
	            test_alert_out_slow_reader_gets_a_notice_and_is_disconnected);
	CU_add_test(s, "skip policy sends a gap line", test_alert_out_skip_policy_sends_a_gap_line);
	CU_add_test(s, "resume from the ring", test_alert_out_resume_from_the_ring);
	CU_add_test(s, "silent reader goes live from connect",
	            test_alert_out_silent_reader_goes_live_from_connect);
	CU_add_test(s, "resume replays the journal", test_alert_out_resume_replays_the_journal);
	CU_add_test(s, "replay converts journal lines to ECS",
	            test_alert_out_replay_converts_journal_lines_to_ecs);
	CU_add_test(s, "resume without journal reports the gap",
	            test_alert_out_resume_without_journal_reports_the_gap);
	CU_add_test(s, "bad and future requests get an error notice",
	            test_alert_out_bad_and_future_requests_get_an_error_notice);
	CU_add_test(s, "refuses clients beyond the limit with a notice",
	            test_alert_out_refuses_clients_beyond_the_limit_with_a_notice);
	CU_add_test(s, "notices a client that left", test_alert_out_notices_a_client_that_left);
	CU_add_test(s, "a thousand clients", test_alert_out_a_thousand_clients);
	CU_add_test(s, "tcp listener serves the same stream",
	            test_alert_out_tcp_listener_serves_the_same_stream);
	CU_add_test(s, "socket mode, and a live socket is not stolen",
	            test_alert_out_socket_mode_and_a_live_socket_is_not_stolen);
	CU_add_test(s, "unknown group and bad paths are errors",
	            test_alert_out_unknown_group_and_bad_paths_are_errors);
	CU_add_test(s, "describe lists each client and its lag",
	            test_alert_out_describe_lists_each_client_and_its_lag);
	return guard_run_tests();
}
