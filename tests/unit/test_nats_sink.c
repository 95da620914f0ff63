#include "alert/nats_sink.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alert/journal.h"
#include "core/log.h"
#include "guard.h"

/*
 * Every test runs against a real nats-server with JetStream (file storage)
 * started here; there is no mock. A missing nats-server fails the suite.
 */

static const char *server_bin;
static char tmp_root[] = "/tmp/fw-nats-XXXXXX";
static int port;
static char store[300];
static pid_t server_pid;
static char url[64];

static uint64_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
port_connects(int p)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int ok;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)p);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static int
port_free(int p)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1, ok;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)p);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static int
pick_port(void)
{
	int p, i;

	for (i = 0; i < 2000; i++) {
		p = 14222 + (int)((getpid() * 7 + i * 13) % 20000);
		if (port_free(p)) {
			return p;
		}
	}
	return -1;
}

/* Start nats-server -js on <p> with store <sd>; waits until it listens. */
static pid_t
server_start(int p, const char *sd)
{
	char ps[16], logp[400];
	pid_t pid;
	uint64_t t0;

	snprintf(ps, sizeof(ps), "%d", p);
	snprintf(logp, sizeof(logp), "%s.log", sd);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* no server outlives a killed test */
		execl(server_bin, server_bin, "-js", "-a", "127.0.0.1", "-p", ps, "-sd", sd, "-l",
		      logp, (char *)NULL);
		_exit(127);
	}
	if (pid < 0) {
		return -1;
	}
	for (t0 = ms_now(); ms_now() - t0 < 15000;) {
		if (port_connects(p)) {
			return pid;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			return -1;
		}
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static void
server_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

/* Failing here fails the run: a missing nats-server is a broken setup, not a skip. */
static int
server_init(void)
{
	static const char *const cands[] = { "/usr/sbin/nats-server", "/usr/bin/nats-server",
		                             "/usr/local/bin/nats-server" };
	size_t i;

	for (i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		if (access(cands[i], X_OK) == 0) {
			server_bin = cands[i];
		}
	}
	if (server_bin == NULL) {
		fprintf(stderr, "test_nats_sink: nats-server not found: run scripts/setup\n");
		return -1;
	}
	if (guard_mkdtemp(tmp_root) != 0) {
		return -1;
	}
	port = pick_port();
	snprintf(store, sizeof(store), "%s/store", tmp_root);
	server_pid = server_start(port, store);
	if (server_pid < 0) {
		fprintf(stderr, "test_nats_sink: cannot start %s on port %d\n", server_bin, port);
		return -1;
	}
	snprintf(url, sizeof(url), "nats://127.0.0.1:%d", port);
	log_quiet(1);
	return 0;
}

static void
server_fini(void)
{
	server_stop(server_pid);
	guard_rmtree(tmp_root);
	nats_Close();
}

/* A journal folder of its own for one test. */
static struct journal *
jopen(const char *name, char *dir, size_t dsz, struct counters *c)
{
	struct journal_conf jc;
	char *err = NULL;
	struct journal *j;

	snprintf(dir, dsz, "%s/%s", tmp_root, name);
	memset(&jc, 0, sizeof(jc));
	jc.dir = dir;
	jc.segment_bytes = 64 * 1024;
	jc.retain_bytes = 1ull << 40;
	jc.fsync_ms = JOURNAL_FSYNC_NEVER;
	j = journal_open(&jc, c, &err);
	if (j == NULL) {
		fprintf(stderr, "journal_open: %s\n", err != NULL ? err : "?");
	}
	free(err);
	return j;
}

/* Append <n> lines seq last+1 ..., watchlists cycling through <wls>. */
static void
jappend(struct journal *j, uint32_t n, const char *const *wls, size_t nwl, size_t pad)
{
	char *buf = malloc((size_t)n * (pad + 200) + 1);
	size_t len = 0;
	uint64_t seq = journal_last_seq(j);
	uint32_t i;

	for (i = 0; i < n; i++) {
		seq++;
		len += (size_t)sprintf(buf + len,
		                       "{\"seq\":%" PRIu64
		                       ",\"ts\":\"2026-11-28T10:00:00.000000Z\","
		                       "\"watchlist\":\"%s\",\"item\":{\"title\":\"",
		                       seq, wls[seq % nwl]);
		memset(buf + len, 'x', pad);
		len += pad;
		len += (size_t)sprintf(buf + len, "\"}}\n");
	}
	CU_ASSERT_EQUAL(journal_append(j, buf, len, n), 0);
	free(buf);
}

static void
sink_conf(struct nats_sink_conf *sc, const char *stream, const char *subject, const char *node,
          const char *dir)
{
	memset(sc, 0, sizeof(*sc));
	sc->url = url;
	sc->stream = stream;
	sc->subject = subject;
	sc->node = node;
	sc->journal_dir = dir;
	sc->create_stream = true;
	sc->max_pending = 64;
	sc->ack_timeout_ms = 1000;
	sc->dup_window_s = 120;
}

static int
wait_acked(const struct nats_sink *s, uint64_t seq, uint32_t ms)
{
	uint64_t t0 = ms_now();

	while (nats_sink_acked(s) < seq) {
		if (ms_now() - t0 > ms) {
			return -1;
		}
		usleep(5000);
	}
	return 0;
}

/* What a stream holds, read back with js_GetMsg by stream sequence. */
struct stored {
	uint64_t n;
	char **ids;
	char **subjects;
	char **data;
};

static void
stored_free(struct stored *st)
{
	uint64_t i;

	for (i = 0; i < st->n; i++) {
		free(st->ids[i]);
		free(st->subjects[i]);
		free(st->data[i]);
	}
	free(st->ids);
	free(st->subjects);
	free(st->data);
	memset(st, 0, sizeof(*st));
}

static int
stream_read(const char *stream, struct stored *st, jsStreamInfo **info)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsMsg *m = NULL;
	const char *id;
	uint64_t seq, last;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (natsConnection_ConnectTo(&nc, url) != NATS_OK ||
	    natsConnection_JetStream(&js, nc, NULL) != NATS_OK ||
	    js_GetStreamInfo(&si, js, stream, NULL, &jerr) != NATS_OK) {
		goto fail;
	}
	last = si->State.LastSeq;
	st->ids = calloc(last + 1, sizeof(char *));
	st->subjects = calloc(last + 1, sizeof(char *));
	st->data = calloc(last + 1, sizeof(char *));
	for (seq = si->State.FirstSeq; seq >= 1 && seq <= last; seq++) {
		if (js_GetMsg(&m, js, stream, seq, NULL, &jerr) != NATS_OK) {
			continue;
		}
		id = "";
		natsMsgHeader_Get(m, "Nats-Msg-Id", &id);
		st->ids[st->n] = strdup(id);
		st->subjects[st->n] = strdup(natsMsg_GetSubject(m));
		st->data[st->n] = strndup(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
		st->n++;
		natsMsg_Destroy(m);
	}
	rc = 0;
	if (info != NULL) {
		*info = si;
		si = NULL;
	}
fail:
	jsStreamInfo_Destroy(si);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return rc;
}

/* How many times message id "<node>:<seq>" is in <st>. */
static int
count_id(const struct stored *st, const char *node, uint64_t seq)
{
	char id[128];
	uint64_t i;
	int n = 0;

	snprintf(id, sizeof(id), "%s:%" PRIu64, node, seq);
	for (i = 0; i < st->n; i++) {
		n += strcmp(st->ids[i], id) == 0;
	}
	return n;
}

/* Each of <node>:from..to once; returns how many were not exactly once. */
static int
each_once(const struct stored *st, const char *node, uint64_t from, uint64_t to)
{
	uint64_t s;
	int bad = 0;

	for (s = from; s <= to; s++) {
		bad += count_id(st, node, s) != 1;
	}
	return bad;
}

static uint64_t
read_state(const char *dir, const char *node)
{
	char p[400];
	unsigned long long v = 0;
	FILE *f;

	snprintf(p, sizeof(p), "%s/nats-%s.acked", dir, node);
	f = fopen(p, "r");
	if (f == NULL) {
		return UINT64_MAX;
	}
	if (fscanf(f, "%llu", &v) != 1) {
		v = UINT64_MAX - 1;
	}
	fclose(f);
	return v;
}

static const char *const wl_plain[] = { "russia-diplomacy", "markets_2" };

static void
test_nats_sink_publishes_each_line_once_with_subject_and_msg_id(void)
{
	static const char *const wls[] = { "russia-diplomacy", "a.b c*>", "q\\\"x\\\\y", "",
		                           "caf\\u00e9" };
	static const char *const want[] = { "russia-diplomacy", "a_b_c__", "q_x_y", "_",
		                            "caf_u00e9" };
	struct counters jc, c;
	struct nats_sink_conf sc;
	struct nats_sink *s;
	struct journal *j;
	struct stored st;
	jsStreamInfo *si = NULL;
	char dir[300], subj[200];
	char *err = NULL;
	uint64_t i, seq;

	memset(&jc, 0, sizeof(jc));
	memset(&c, 0, sizeof(c));
	j = jopen("basic", dir, sizeof(dir), &jc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	sink_conf(&sc, "BASIC", "fw1.alerts", "node-1", dir);
	s = nats_sink_start(&sc, &c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(read_state(dir, "node-1"), 0); /* written at once when missing */
	jappend(j, 50, wls, 5, 100);
	nats_sink_notify(s, journal_last_seq(j));
	CU_ASSERT_EQUAL(wait_acked(s, 50, 10000), 0);
	nats_sink_stop(s, 2000);
	CU_ASSERT_EQUAL(read_state(dir, "node-1"), 50);
	CU_ASSERT_EQUAL(c.v[CNT_nats_published], 50);
	CU_ASSERT_EQUAL(c.v[CNT_nats_pending], 0);
	CU_ASSERT_EQUAL(c.v[CNT_nats_retried], 0);

	CU_ASSERT_EQUAL_FATAL(stream_read("BASIC", &st, &si), 0);
	CU_ASSERT_EQUAL(st.n, 50);
	CU_ASSERT_EQUAL(each_once(&st, "node-1", 1, 50), 0);
	for (i = 0; i < st.n; i++) {
		seq = strtoull(strchr(st.ids[i], ':') + 1, NULL, 10);
		snprintf(subj, sizeof(subj), "fw1.alerts.%s", want[seq % 5]);
		CU_ASSERT_STRING_EQUAL(st.subjects[i], subj);
		/* the payload is the journal line without its newline */
		CU_ASSERT_EQUAL(journal_line_seq(st.data[i], strlen(st.data[i])), seq);
		CU_ASSERT(st.data[i][strlen(st.data[i]) - 1] == '}');
	}
	/* created because it was missing, with <subject>.> and the duplicate window */
	CU_ASSERT_PTR_NOT_NULL_FATAL(si);
	CU_ASSERT_EQUAL(si->Config->SubjectsLen, 1);
	CU_ASSERT_STRING_EQUAL(si->Config->Subjects[0], "fw1.alerts.>");
	CU_ASSERT_EQUAL(si->Config->Duplicates, 120ll * 1000000000ll);
	jsStreamInfo_Destroy(si);
	stored_free(&st);
	journal_close(j);
}

static void
test_nats_sink_restart_resumes_from_state_file(void)
{
	struct counters jc, c1, c2;
	struct nats_sink_conf sc;
	struct nats_sink *s;
	struct journal *j;
	struct stored st;
	char dir[300];
	char *err = NULL;

	memset(&jc, 0, sizeof(jc));
	memset(&c1, 0, sizeof(c1));
	memset(&c2, 0, sizeof(c2));
	j = jopen("resume", dir, sizeof(dir), &jc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	sink_conf(&sc, "RESUME", "fw2.alerts", "n", dir);
	s = nats_sink_start(&sc, &c1, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	jappend(j, 30, wl_plain, 2, 50);
	nats_sink_notify(s, 30);
	CU_ASSERT_EQUAL(wait_acked(s, 30, 10000), 0);
	nats_sink_stop(s, 2000);
	CU_ASSERT_EQUAL(read_state(dir, "n"), 30);

	/* lines written while the sink was stopped are published by the next one */
	jappend(j, 20, wl_plain, 2, 50);
	s = nats_sink_start(&sc, &c2, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(nats_sink_acked(s), 30);
	nats_sink_notify(s, 50);
	CU_ASSERT_EQUAL(wait_acked(s, 50, 10000), 0);
	nats_sink_stop(s, 2000);
	CU_ASSERT_EQUAL(c2.v[CNT_nats_published], 20); /* nothing before 31 sent again */
	CU_ASSERT_EQUAL(c2.v[CNT_nats_retried], 0);
	CU_ASSERT_EQUAL(read_state(dir, "n"), 50);

	CU_ASSERT_EQUAL_FATAL(stream_read("RESUME", &st, NULL), 0);
	CU_ASSERT_EQUAL(st.n, 50);
	CU_ASSERT_EQUAL(each_once(&st, "n", 1, 50), 0);
	stored_free(&st);
	journal_close(j);
}

static void
test_nats_sink_without_state_starts_after_journal_tail(void)
{
	struct counters jc, c;
	struct nats_sink_conf sc;
	struct nats_sink *s;
	struct journal *j;
	struct stored st;
	char dir[300];
	char *err = NULL;

	memset(&jc, 0, sizeof(jc));
	memset(&c, 0, sizeof(c));
	j = jopen("tail", dir, sizeof(dir), &jc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	jappend(j, 700, wl_plain, 2, 200); /* several segments */
	sink_conf(&sc, "TAIL", "fw3.alerts", "t", dir);
	s = nats_sink_start(&sc, &c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(read_state(dir, "t"), 700);
	CU_ASSERT_EQUAL(nats_sink_acked(s), 700);
	jappend(j, 5, wl_plain, 2, 10);
	nats_sink_notify(s, 705);
	CU_ASSERT_EQUAL(wait_acked(s, 705, 10000), 0);
	nats_sink_stop(s, 2000);
	CU_ASSERT_EQUAL_FATAL(stream_read("TAIL", &st, NULL), 0);
	CU_ASSERT_EQUAL(st.n, 5);
	CU_ASSERT_EQUAL(each_once(&st, "t", 701, 705), 0);
	stored_free(&st);
	journal_close(j);
}

static void
test_nats_sink_survives_server_restart_with_every_alert_once(void)
{
	struct counters jc, c;
	struct nats_sink_conf sc;
	struct nats_sink *s;
	struct journal *j;
	struct stored st;
	char dir[300], sd[300], u[64];
	char *err = NULL;
	uint64_t max_seen = 0, pend;
	pid_t pid;
	int p, i;

	p = pick_port();
	snprintf(sd, sizeof(sd), "%s/store-restart", tmp_root);
	pid = server_start(p, sd);
	CU_ASSERT_FATAL(pid > 0);
	snprintf(u, sizeof(u), "nats://127.0.0.1:%d", p);
	memset(&jc, 0, sizeof(jc));
	memset(&c, 0, sizeof(c));
	j = jopen("restart", dir, sizeof(dir), &jc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	sink_conf(&sc, "RESTART", "fw4.alerts", "r", dir);
	sc.url = u;
	sc.max_pending = 16;
	s = nats_sink_start(&sc, &c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);

	for (i = 0; i < 10; i++) {
		jappend(j, 20, wl_plain, 2, 300);
		nats_sink_notify(s, journal_last_seq(j));
		usleep(2000);
	}
	CU_ASSERT_EQUAL(wait_acked(s, 200, 10000), 0);
	/* mid-stream: stop the server while a burst is being published */
	jappend(j, 2000, wl_plain, 2, 300);
	nats_sink_notify(s, journal_last_seq(j));
	while (nats_sink_acked(s) < 210) {
		usleep(100);
	}
	server_stop(pid);
	for (i = 0; i < 10; i++) {
		jappend(j, 20, wl_plain, 2, 300);
		nats_sink_notify(s, journal_last_seq(j));
		pend = c.v[CNT_nats_pending];
		max_seen = pend > max_seen ? pend : max_seen;
		usleep(50000);
	}
	for (i = 0; i < 20; i++) { /* the backlog stays in the journal */
		pend = c.v[CNT_nats_pending];
		max_seen = pend > max_seen ? pend : max_seen;
		usleep(10000);
	}
	CU_ASSERT(max_seen <= 16);
	CU_ASSERT(nats_sink_acked(s) < 2400);
	pid = server_start(p, sd);
	CU_ASSERT_FATAL(pid > 0);
	jappend(j, 20, wl_plain, 2, 300);
	nats_sink_notify(s, journal_last_seq(j));
	CU_ASSERT_EQUAL(wait_acked(s, 2420, 30000), 0);
	nats_sink_stop(s, 2000);
	CU_ASSERT(c.v[CNT_nats_retried] > 0 || max_seen > 0);
	CU_ASSERT(c.v[CNT_nats_reconnects] >= 1);
	CU_ASSERT_EQUAL(c.v[CNT_nats_published], 2420);
	CU_ASSERT_EQUAL(c.v[CNT_nats_pending], 0);

	snprintf(url, sizeof(url), "nats://127.0.0.1:%d", p); /* stream_read uses url */
	CU_ASSERT_EQUAL_FATAL(stream_read("RESTART", &st, NULL), 0);
	CU_ASSERT_EQUAL(st.n, 2420);
	CU_ASSERT_EQUAL(each_once(&st, "r", 1, 2420), 0);
	stored_free(&st);
	snprintf(url, sizeof(url), "nats://127.0.0.1:%d", port);
	server_stop(pid);
	journal_close(j);
}

static void
test_nats_sink_two_nodes_share_one_stream(void)
{
	struct counters jca, jcb, ca, cb;
	struct nats_sink_conf sa, sb;
	struct nats_sink *a, *b;
	struct journal *ja, *jb;
	struct stored st;
	char da[300], db[300];
	char *err = NULL;

	memset(&jca, 0, sizeof(jca));
	memset(&jcb, 0, sizeof(jcb));
	memset(&ca, 0, sizeof(ca));
	memset(&cb, 0, sizeof(cb));
	ja = jopen("node-a", da, sizeof(da), &jca);
	jb = jopen("node-b", db, sizeof(db), &jcb);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ja);
	CU_ASSERT_PTR_NOT_NULL_FATAL(jb);
	sink_conf(&sa, "SHARED", "fw5.alerts", "node-a", da);
	sink_conf(&sb, "SHARED", "fw5.alerts", "node-b", db);
	a = nats_sink_start(&sa, &ca, &err);
	b = nats_sink_start(&sb, &cb, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	jappend(ja, 40, wl_plain, 2, 100);
	jappend(jb, 25, wl_plain, 2, 100);
	nats_sink_notify(a, 40);
	nats_sink_notify(b, 25);
	CU_ASSERT_EQUAL(wait_acked(a, 40, 10000), 0);
	CU_ASSERT_EQUAL(wait_acked(b, 25, 10000), 0);
	nats_sink_stop(a, 2000);
	nats_sink_stop(b, 2000);
	CU_ASSERT_EQUAL_FATAL(stream_read("SHARED", &st, NULL), 0);
	CU_ASSERT_EQUAL(st.n, 65);
	CU_ASSERT_EQUAL(each_once(&st, "node-a", 1, 40), 0);
	CU_ASSERT_EQUAL(each_once(&st, "node-b", 1, 25), 0);
	stored_free(&st);
	journal_close(ja);
	journal_close(jb);
}

static void
test_nats_sink_server_down_at_start_is_not_an_error(void)
{
	struct counters jc, c;
	struct nats_sink_conf sc;
	struct nats_sink *s;
	struct journal *j;
	struct stored st;
	char dir[300], sd[300], u[64];
	char *err = NULL;
	pid_t pid;
	int p;

	p = pick_port();
	snprintf(u, sizeof(u), "nats://127.0.0.1:%d", p);
	memset(&jc, 0, sizeof(jc));
	memset(&c, 0, sizeof(c));
	j = jopen("late", dir, sizeof(dir), &jc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	sink_conf(&sc, "LATE", "fw6.alerts", "l", dir);
	sc.url = u;
	s = nats_sink_start(&sc, &c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	jappend(j, 10, wl_plain, 2, 10);
	nats_sink_notify(s, 10);
	usleep(300000);
	CU_ASSERT_EQUAL(nats_sink_acked(s), 0);
	snprintf(sd, sizeof(sd), "%s/store-late", tmp_root);
	pid = server_start(p, sd);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL(wait_acked(s, 10, 15000), 0);
	nats_sink_stop(s, 2000);
	CU_ASSERT_EQUAL(c.v[CNT_nats_published], 10);
	snprintf(url, sizeof(url), "%s", u);
	CU_ASSERT_EQUAL_FATAL(stream_read("LATE", &st, NULL), 0);
	CU_ASSERT_EQUAL(each_once(&st, "l", 1, 10), 0);
	stored_free(&st);
	snprintf(url, sizeof(url), "nats://127.0.0.1:%d", port);
	server_stop(pid);
	journal_close(j);
}

static void
test_nats_sink_counts_journal_gap_and_moves_on(void)
{
	struct counters jc, c;
	struct nats_sink_conf sc;
	struct nats_sink *s;
	struct journal *j;
	struct stored st;
	char dir[300], seg[400];
	char *err = NULL;
	int i;

	memset(&jc, 0, sizeof(jc));
	memset(&c, 0, sizeof(c));
	j = jopen("gap", dir, sizeof(dir), &jc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	sink_conf(&sc, "GAP", "fw7.alerts", "g", dir);
	s = nats_sink_start(&sc, &c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	nats_sink_stop(s, 0);      /* state file: 0 */
	for (i = 0; i < 10; i++) { /* 64 KiB segments; a batch is never split */
		jappend(j, 20, wl_plain, 2, 600);
	}
	/* retention took the oldest segment before the sink could publish it */
	snprintf(seg, sizeof(seg), "%s/alerts-%020llu.ndjson", dir, 1ull);
	CU_ASSERT_EQUAL_FATAL(unlink(seg), 0);
	s = nats_sink_start(&sc, &c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	nats_sink_notify(s, 200);
	CU_ASSERT_EQUAL(wait_acked(s, 200, 10000), 0);
	nats_sink_stop(s, 2000);
	CU_ASSERT(c.v[CNT_nats_gaps] > 0);
	CU_ASSERT_EQUAL_FATAL(stream_read("GAP", &st, NULL), 0);
	CU_ASSERT_EQUAL(c.v[CNT_nats_gaps] + st.n, 200);
	CU_ASSERT_EQUAL(c.v[CNT_nats_published], st.n);
	CU_ASSERT_EQUAL(each_once(&st, "g", c.v[CNT_nats_gaps] + 1, 200), 0);
	stored_free(&st);
	journal_close(j);
}

static void
test_nats_sink_bad_url_fails_at_start(void)
{
	struct counters c;
	struct nats_sink_conf sc;
	struct nats_sink *s;
	char dir[300];
	char *err = NULL;

	memset(&c, 0, sizeof(c));
	snprintf(dir, sizeof(dir), "%s/badurl", tmp_root);
	sink_conf(&sc, "BAD", "fw8.alerts", "b", dir);
	sc.url = "nats://127.0.0.1:notaport";
	s = nats_sink_start(&sc, &c, &err);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(err);
	free(err);
	err = NULL;
	sc.url = "";
	s = nats_sink_start(&sc, &c, &err);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(err);
	free(err);
	err = NULL;
	sc.url = url;
	sc.stream = "BAD.NAME";
	s = nats_sink_start(&sc, &c, &err);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(err);
	free(err);
	nats_sink_stop(NULL, 0);
}

int
main(void)
{
	CU_pSuite s;
	int rc;

	if (server_init() != 0) {
		return 1;
	}
	CU_initialize_registry();
	s = CU_add_suite("nats_sink", NULL, NULL);
	CU_add_test(s, "publishes each line once with subject and msg id",
	            test_nats_sink_publishes_each_line_once_with_subject_and_msg_id);
	CU_add_test(s, "restart resumes from the state file",
	            test_nats_sink_restart_resumes_from_state_file);
	CU_add_test(s, "without state starts after the journal's tail",
	            test_nats_sink_without_state_starts_after_journal_tail);
	CU_add_test(s, "survives a server restart with every alert once",
	            test_nats_sink_survives_server_restart_with_every_alert_once);
	CU_add_test(s, "two nodes share one stream", test_nats_sink_two_nodes_share_one_stream);
	CU_add_test(s, "server down at start is not an error",
	            test_nats_sink_server_down_at_start_is_not_an_error);
	CU_add_test(s, "counts a journal gap and moves on",
	            test_nats_sink_counts_journal_gap_and_moves_on);
	CU_add_test(s, "bad url fails at start", test_nats_sink_bad_url_fails_at_start);
	rc = guard_run_tests();
	server_fini();
	return rc;
}
