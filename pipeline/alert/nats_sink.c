#include "alert/nats_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <nats/nats.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include "alert/journal.h"
#include "core/log.h"

#define TOKEN_MAX       128  /* a watchlist token longer than this is cut */
#define IDLE_WAIT_MS    100  /* timers (ack timeout, state file) run at least this often */
#define RETRY_BACKOFF   100  /* ms before resending after an error or a timeout */
#define STREAM_RETRY_MS 1000 /* between checks for the stream while it is missing */
#define SAVE_EVERY_NS   1000000000ull
#define PUMP_BATCH      256 /* lines per loop turn, so timers are checked under load */

enum slot_state {
	SLOT_FREE = 0,
	SLOT_SENT,
	SLOT_ACKED,
};

/*
 * One in-flight seq. The window is seqs acked + 1 ... next - 1, contiguous
 * (a journal gap is applied only when the window is empty), and never wider
 * than max_pending, so slot seq % max_pending is unique.
 */
struct slot {
	uint64_t seq;
	uint64_t sent_ns;
	uint8_t state;
};

struct nats_sink {
	char *url;
	char *stream;
	char *subject;
	char *node;
	char *dir;
	char *state_path;
	char *state_tmp;
	char *subj_buf; /* "<subject>." + token */
	size_t subj_pfx;
	char *id_buf; /* "<node>:<seq>" */
	bool create_stream;
	uint32_t max_pending;
	uint32_t ack_timeout_ms;
	uint32_t dup_window_s;
	struct counters *c;

	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	struct journal_reader *rd;
	int efd;
	pthread_t thread;
	bool thread_started;

	/* sink thread only */
	bool stream_ready;
	bool stream_warned;
	bool at_end;
	bool gap_logged;
	bool err_logged;
	uint64_t gap_wait;  /* a journal gap up to gap_wait - 1, applied once the window is empty */
	uint64_t gaps_high; /* seqs up to here are already counted in nats_gaps */
	uint64_t high_sent; /* seqs up to here were sent before: resends count as retried */
	uint64_t retry_after; /* ns: no publishing before (backoff after an error) */
	uint64_t stream_check;
	uint64_t saved_acked;
	uint64_t saved_ns;

	/* shared with the library's threads, under mu */
	pthread_mutex_t mu;
	struct slot *win;
	uint64_t next;
	bool rewind;
	bool reconnected;
	bool closing;
	_Atomic uint64_t acked;

	_Atomic uint64_t notified;
	_Atomic int kick;
	_Atomic int sleeping;
	_Atomic int stopping;
	_Atomic uint64_t deadline_ns;
	_Atomic int cb_active;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static char *fmt_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
fmt_err(const char *fmt, ...)
{
	va_list ap;
	char *m = NULL;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0) {
		m = NULL;
	}
	va_end(ap);
	return m;
}

/* Wake the sink's thread if it sleeps: one eventfd write per sleep at most. */
static void
kick(struct nats_sink *s)
{
	uint64_t one = 1;

	atomic_store(&s->kick, 1);
	if (atomic_exchange(&s->sleeping, 0) != 0) {
		if (write(s->efd, &one, sizeof(one)) < 0) {
			/* the counter is saturated: the thread wakes anyway */
		}
	}
}

static void
set_pending(struct nats_sink *s)
{
	s->c->v[CNT_nats_pending] = s->next - 1 - atomic_load(&s->acked);
}

/* Advance acked over contiguous acknowledged seqs. Under mu. */
static void
advance(struct nats_sink *s)
{
	uint64_t a = atomic_load(&s->acked);
	struct slot *sl;

	while (a + 1 < s->next) {
		sl = &s->win[(a + 1) % s->max_pending];
		if (sl->seq != a + 1 || sl->state != SLOT_ACKED) {
			break;
		}
		sl->state = SLOT_FREE;
		a++;
	}
	atomic_store(&s->acked, a);
	set_pending(s);
}

static uint64_t
id_seq(natsMsg *m)
{
	const char *id = NULL;
	const char *p;
	uint64_t v = 0;

	if (m == NULL || natsMsgHeader_Get(m, "Nats-Msg-Id", &id) != NATS_OK || id == NULL) {
		return 0;
	}
	p = strrchr(id, ':');
	if (p == NULL) {
		return 0;
	}
	for (p++; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return v;
}

/*
 * Library thread (the context's reply subscription). A seq counts as
 * published once, on its first ack, whether or not JetStream saw it as a
 * duplicate: a duplicate ack means an earlier send of ours was stored.
 */
static void
on_ack(jsCtx *js, natsMsg *m, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct nats_sink *s = closure;
	uint64_t seq = id_seq(m);
	struct slot *sl;

	(void)js;
	atomic_fetch_add(&s->cb_active, 1);
	pthread_mutex_lock(&s->mu);
	if (s->closing) {
		goto out;
	}
	if (pa == NULL) {
		s->c->v[CNT_nats_errors]++;
	}
	if (seq <= atomic_load(&s->acked) || seq >= s->next) {
		goto out; /* from before a rewind: the resend decides */
	}
	sl = &s->win[seq % s->max_pending];
	if (sl->seq != seq || sl->state != SLOT_SENT) {
		goto out;
	}
	if (pa != NULL) {
		sl->state = SLOT_ACKED;
		s->c->v[CNT_nats_published]++;
		advance(s);
	} else {
		(void)pae;
		s->rewind = true;
	}
	kick(s);
out:
	pthread_mutex_unlock(&s->mu);
	natsMsg_Destroy(m);
	atomic_fetch_sub(&s->cb_active, 1);
}

/* Library thread (asynchronous callbacks). */
static void
on_reconnected(natsConnection *nc, void *closure)
{
	struct nats_sink *s = closure;

	(void)nc;
	atomic_fetch_add(&s->cb_active, 1);
	pthread_mutex_lock(&s->mu);
	if (!s->closing) {
		s->c->v[CNT_nats_reconnects]++;
		s->reconnected = true;
		kick(s);
	}
	pthread_mutex_unlock(&s->mu);
	atomic_fetch_sub(&s->cb_active, 1);
}

static bool
token_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

/* Library thread: the first connection, when the server was down at start. */
static void
on_connected(natsConnection *nc, void *closure)
{
	struct nats_sink *s = closure;

	(void)nc;
	atomic_fetch_add(&s->cb_active, 1);
	pthread_mutex_lock(&s->mu);
	if (!s->closing) {
		kick(s);
	}
	pthread_mutex_unlock(&s->mu);
	atomic_fetch_sub(&s->cb_active, 1);
}

/*
 * NATS subject tokens may not hold '.', '*', '>' or white space; keep a
 * conservative set. <raw> is the JSON string body after "watchlist":" in
 * the line; \" and \\ are unescaped, other escapes are sanitised as they
 * stand.
 */
static size_t
token_from_line(const char *line, size_t len, char *out, size_t cap)
{
	static const char key[] = "\"watchlist\":\"";
	const char *p = memmem(line, len, key, sizeof(key) - 1);
	const char *end = line + len;
	size_t n = 0;
	char ch;

	if (p != NULL) {
		for (p += sizeof(key) - 1; p < end && *p != '"' && n < cap; p++) {
			ch = *p;
			if (ch == '\\' && p + 1 < end && (p[1] == '"' || p[1] == '\\')) {
				ch = *++p;
			}
			out[n++] = token_char(ch) ? ch : '_';
		}
	}
	if (n == 0) {
		out[n++] = '_';
	}
	return n;
}

/* Under no lock; the seq's slot is registered before the publish can be acked. */
static bool
send_line(struct nats_sink *s, const char *line, size_t len, uint64_t seq)
{
	natsMsg *m = NULL;
	natsStatus st;
	struct slot *sl;
	size_t n;

	pthread_mutex_lock(&s->mu);
	sl = &s->win[seq % s->max_pending];
	if (sl->seq == seq && sl->state == SLOT_ACKED) {
		s->next = seq + 1; /* stored before a rewind */
		advance(s);
		pthread_mutex_unlock(&s->mu);
		return true;
	}
	pthread_mutex_unlock(&s->mu);
	if (len > 0 && line[len - 1] == '\n') {
		len--;
	}
	n = token_from_line(line, len, s->subj_buf + s->subj_pfx, TOKEN_MAX);
	s->subj_buf[s->subj_pfx + n] = '\0';
	snprintf(s->id_buf, strlen(s->node) + 24, "%s:%" PRIu64, s->node, seq);
	st = natsMsg_Create(&m, s->subj_buf, NULL, line, (int)len);
	if (st == NATS_OK) {
		st = natsMsgHeader_Set(m, "Nats-Msg-Id", s->id_buf);
	}
	if (st != NATS_OK) {
		natsMsg_Destroy(m);
		return false;
	}
	pthread_mutex_lock(&s->mu);
	sl = &s->win[seq % s->max_pending];
	sl->seq = seq;
	sl->sent_ns = now_ns();
	sl->state = SLOT_SENT;
	s->next = seq + 1;
	if (seq <= s->high_sent) {
		s->c->v[CNT_nats_retried]++;
	} else {
		s->high_sent = seq;
	}
	set_pending(s);
	pthread_mutex_unlock(&s->mu);

	/*
	 * No MaxWait: the library would time sends out while disconnected;
	 * the sink's thread times out the oldest only while connected.
	 */
	st = js_PublishMsgAsync(s->js, &m, NULL);
	natsMsg_Destroy(m); /* no-op when the library took it */
	if (st != NATS_OK) {
		pthread_mutex_lock(&s->mu);
		s->c->v[CNT_nats_errors]++;
		s->rewind = true;
		pthread_mutex_unlock(&s->mu);
		return false;
	}
	return true;
}

/*
 * Forget everything in flight and read again from the first unacked seq.
 * The library's pending list is emptied too, so its MaxPending never counts
 * sends we have given up on; late acks for them are dropped, and the resends
 * are de-duplicated by JetStream.
 */
static void
rewind_window(struct nats_sink *s)
{
	natsMsgList pend;
	uint32_t i;
	uint64_t a;

	memset(&pend, 0, sizeof(pend));
	if (js_PublishAsyncGetPendingList(&pend, s->js) == NATS_OK) {
		natsMsgList_Destroy(&pend);
	}
	pthread_mutex_lock(&s->mu);
	/*
	 * Acked seqs past a hole stay acked: they are not sent again, and
	 * nats_published does not count them twice.
	 */
	for (i = 0; i < s->max_pending; i++) {
		if (s->win[i].state == SLOT_SENT) {
			s->win[i].state = SLOT_FREE;
		}
	}
	a = atomic_load(&s->acked);
	s->next = a + 1;
	s->rewind = false;
	set_pending(s);
	pthread_mutex_unlock(&s->mu);
	s->gap_wait = 0;
	s->at_end = false;
	s->retry_after = now_ns() + RETRY_BACKOFF * 1000000ull;
	journal_reader_seek(s->rd, a);
}

/* Lines up to <seq> - 1 are gone from the journal. Window empty; sink thread. */
static void
apply_gap(struct nats_sink *s, uint64_t seq)
{
	pthread_mutex_lock(&s->mu);
	if (seq > s->next) {
		atomic_store(&s->acked, seq - 1);
		s->next = seq;
		set_pending(s);
	}
	pthread_mutex_unlock(&s->mu);
	s->gap_wait = 0;
}

static void
note_gap(struct nats_sink *s, uint64_t seq, uint64_t next)
{
	uint64_t from = next - 1 > s->gaps_high ? next - 1 : s->gaps_high;

	if (seq - 1 > from) {
		pthread_mutex_lock(&s->mu);
		s->c->v[CNT_nats_gaps] += seq - 1 - from;
		pthread_mutex_unlock(&s->mu);
		s->gaps_high = seq - 1;
	}
	if (!s->gap_logged) {
		log_warn("nats: alerts %" PRIu64 "..%" PRIu64
		         " are gone from the journal before they were published",
		         next, seq - 1);
		s->gap_logged = true;
	}
}

/* Read and send until the window is full or the journal has nothing more. */
static bool
pump(struct nats_sink *s)
{
	const char *line = NULL;
	size_t len = 0;
	uint64_t seq = 0, next, used;
	enum journal_read rc;
	bool progressed = false;
	int i;

	for (i = 0; i < PUMP_BATCH; i++) {
		pthread_mutex_lock(&s->mu);
		next = s->next;
		used = next - 1 - atomic_load(&s->acked);
		pthread_mutex_unlock(&s->mu);
		if (s->gap_wait != 0) {
			if (used != 0) {
				break;
			}
			apply_gap(s, s->gap_wait);
			continue;
		}
		if (used >= s->max_pending) {
			break;
		}
		rc = journal_reader_next(s->rd, &line, &len, &seq);
		if (rc == JOURNAL_END) {
			s->at_end = true;
			break;
		}
		s->at_end = false;
		if (rc == JOURNAL_ERR) {
			if (!s->err_logged) {
				log_warn("nats: cannot read the journal in %s; retrying", s->dir);
				s->err_logged = true;
			}
			pthread_mutex_lock(&s->mu);
			s->rewind = true;
			pthread_mutex_unlock(&s->mu);
			s->retry_after = now_ns() + STREAM_RETRY_MS * 1000000ull;
			break;
		}
		progressed = true;
		if (rc == JOURNAL_LINE && seq < next) {
			continue; /* already in flight or acked */
		}
		if (rc == JOURNAL_GAP || seq > next) {
			note_gap(s, seq, next);
			s->gap_wait = seq;
			if (rc == JOURNAL_LINE) {
				/* no gap reported but a seq skipped: read it again after the gap */
				journal_reader_seek(s->rd, seq - 1);
			}
			continue;
		}
		if (!send_line(s, line, len, seq)) {
			s->retry_after = now_ns() + RETRY_BACKOFF * 1000000ull;
			break;
		}
	}
	return progressed;
}

static void
ensure_stream(struct nats_sink *s)
{
	jsStreamInfo *si = NULL;
	jsStreamConfig cfg;
	jsErrCode jerr = 0;
	natsStatus st;
	char *subj = NULL;
	const char *subjects[1];

	s->stream_check = now_ns() + STREAM_RETRY_MS * 1000000ull;
	st = js_GetStreamInfo(&si, s->js, s->stream, NULL, &jerr);
	if (st == NATS_OK) {
		jsStreamInfo_Destroy(si);
		s->stream_ready = true;
		return;
	}
	if ((st == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) && s->create_stream) {
		if (asprintf(&subj, "%s.>", s->subject) < 0) {
			return;
		}
		subjects[0] = subj;
		jsStreamConfig_Init(&cfg);
		cfg.Name = s->stream;
		cfg.Subjects = subjects;
		cfg.SubjectsLen = 1;
		cfg.Storage = js_FileStorage;
		cfg.Duplicates = (int64_t)s->dup_window_s * 1000000000ll;
		jerr = 0;
		st = js_AddStream(&si, s->js, &cfg, NULL, &jerr);
		free(subj);
		if (st == NATS_OK || jerr == JSStreamNameExistErr) {
			jsStreamInfo_Destroy(si);
			if (st == NATS_OK) {
				log_info("nats: created stream %s (subjects %s.>, duplicate window "
				         "%us)",
				         s->stream, s->subject, s->dup_window_s);
			}
			s->stream_ready = true;
			return;
		}
	}
	if (!s->stream_warned) {
		log_warn("nats: stream %s is not usable (%s, JetStream error %d); retrying",
		         s->stream, natsStatus_GetText(st), (int)jerr);
		s->stream_warned = true;
	}
}

/* temp + rename: a crash leaves the old value or the new one, never half. */
static int
save_state(struct nats_sink *s, uint64_t acked)
{
	FILE *f = fopen(s->state_tmp, "w");
	int rc = 0;

	if (f == NULL) {
		return -errno;
	}
	if (fprintf(f, "%" PRIu64 "\n", acked) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		rc = -errno;
	}
	if (fclose(f) != 0 && rc == 0) {
		rc = -errno;
	}
	if (rc == 0 && rename(s->state_tmp, s->state_path) != 0) {
		rc = -errno;
	}
	if (rc == 0) {
		s->saved_acked = acked;
	}
	return rc;
}

static void
maybe_save(struct nats_sink *s, uint64_t now)
{
	uint64_t a = atomic_load(&s->acked);
	int rc;

	if (a != s->saved_acked && now - s->saved_ns >= SAVE_EVERY_NS) {
		s->saved_ns = now;
		rc = save_state(s, a);
		if (rc != 0 && !s->err_logged) {
			log_warn("nats: cannot write %s: %s", s->state_path, strerror(-rc));
			s->err_logged = true;
		}
	}
}

static void
wait_work(struct nats_sink *s, int ms)
{
	struct pollfd pfd = { .fd = s->efd, .events = POLLIN };
	uint64_t v;

	atomic_store(&s->sleeping, 1);
	if (atomic_exchange(&s->kick, 0) != 0) {
		atomic_store(&s->sleeping, 0);
		return;
	}
	if (poll(&pfd, 1, ms) > 0) {
		if (read(s->efd, &v, sizeof(v)) < 0) {
			/* EAGAIN: raced with another reader of nothing */
		}
	}
	atomic_store(&s->sleeping, 0);
	atomic_store(&s->kick, 0);
}

static void *
sink_main(void *arg)
{
	struct nats_sink *s = arg;
	uint64_t now, a;
	bool connected, do_rewind, progressed, idle;
	struct slot *sl;

	for (;;) {
		now = now_ns();
		connected = natsConnection_Status(s->nc) == NATS_CONN_STATUS_CONNECTED;
		pthread_mutex_lock(&s->mu);
		if (s->reconnected) {
			/*
			 * What was buffered while down is flushed now and acked soon;
			 * what the old connection lost times out from here.
			 */
			s->reconnected = false;
			s->stream_ready = false;
			s->stream_check = 0;
			for (a = atomic_load(&s->acked) + 1; a < s->next; a++) {
				s->win[a % s->max_pending].sent_ns = now;
			}
		}
		/* no ack is due while disconnected: the sends wait in the library */
		if (connected && s->next - 1 > atomic_load(&s->acked)) {
			sl = &s->win[(atomic_load(&s->acked) + 1) % s->max_pending];
			if (sl->state == SLOT_SENT &&
			    now - sl->sent_ns > (uint64_t)s->ack_timeout_ms * 1000000ull) {
				s->rewind = true;
			}
		}
		do_rewind = s->rewind;
		pthread_mutex_unlock(&s->mu);
		if (do_rewind) {
			rewind_window(s);
		}
		if (connected && !s->stream_ready && now >= s->stream_check) {
			ensure_stream(s);
		}
		progressed = false;
		/*
		 * Publishing goes on while disconnected: up to max_pending sends
		 * wait in the library's reconnect buffer and go out first on
		 * reconnect; the rest of the backlog stays in the journal.
		 */
		if (s->stream_ready && now >= s->retry_after) {
			progressed = pump(s);
		}
		maybe_save(s, now);
		pthread_mutex_lock(&s->mu);
		idle = s->next - 1 == atomic_load(&s->acked);
		pthread_mutex_unlock(&s->mu);
		if (atomic_load(&s->stopping)) {
			if ((idle && s->at_end && s->gap_wait == 0 &&
			     atomic_load(&s->acked) >= atomic_load(&s->notified)) ||
			    now >= atomic_load(&s->deadline_ns)) {
				break;
			}
		}
		if (!progressed) {
			wait_work(s, atomic_load(&s->stopping) ? 10 : IDLE_WAIT_MS);
		}
	}
	return NULL;
}

static int
mkdir_p(const char *dir)
{
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		return -errno;
	}
	return 0;
}

/*
 * The last seq in the journal, from its newest segment: the names carry
 * each segment's first seq (journal.h), so only that one is read.
 */
static uint64_t
journal_tail_seq(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned long long first, best = 0;
	struct journal_reader *r = NULL;
	const char *line;
	size_t len;
	uint64_t seq = 0, last = 0;
	enum journal_read rc;
	char *err = NULL;
	int n;

	if (d == NULL) {
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		n = 0;
		if (sscanf(e->d_name, "alerts-%20llu.ndjson%n", &first, &n) == 1 &&
		    e->d_name[n] == '\0' && n > 0 && first > best) {
			best = first;
		}
	}
	closedir(d);
	if (best == 0) {
		return 0;
	}
	last = best - 1;
	r = journal_reader_open(dir, best - 1, &err);
	if (r == NULL) {
		free(err);
		return last;
	}
	while ((rc = journal_reader_next(r, &line, &len, &seq)) == JOURNAL_LINE ||
	       rc == JOURNAL_GAP) {
		last = rc == JOURNAL_LINE ? seq : seq - 1;
	}
	journal_reader_close(r);
	return last;
}

static int
load_state(struct nats_sink *s, uint64_t *acked, char **err)
{
	FILE *f = fopen(s->state_path, "r");
	unsigned long long v;
	char extra;
	int n;

	if (f == NULL) {
		if (errno != ENOENT) {
			*err = fmt_err("%s: %s", s->state_path, strerror(errno));
			return -1;
		}
		*acked = journal_tail_seq(s->dir);
		if (save_state(s, *acked) != 0) {
			*err = fmt_err("%s: %s", s->state_path, strerror(errno));
			return -1;
		}
		log_info("nats: no %s: publishing alerts after seq %" PRIu64
		         " (the journal's last)",
		         s->state_path, *acked);
		return 0;
	}
	n = fscanf(f, "%llu %c", &v, &extra);
	fclose(f);
	if (n != 1) {
		*err = fmt_err("%s: not a seq", s->state_path);
		return -1;
	}
	*acked = v;
	s->saved_acked = v;
	return 0;
}

/* A stream name may not hold '.', '*', '>', white space or path separators. */
static bool
valid_stream(const char *name)
{
	const char *p;

	if (name == NULL || name[0] == '\0') {
		return false;
	}
	for (p = name; *p != '\0'; p++) {
		if (*p == '.' || *p == '*' || *p == '>' || *p == '/' || *p == '\\' || *p <= ' ') {
			return false;
		}
	}
	return true;
}

static bool
valid_subject(const char *subj)
{
	const char *p;

	if (subj == NULL || subj[0] == '\0' || subj[0] == '.') {
		return false;
	}
	for (p = subj; *p != '\0'; p++) {
		if (*p == '*' || *p == '>' || *p <= ' ' ||
		    (*p == '.' && (p[1] == '.' || p[1] == '\0'))) {
			return false;
		}
	}
	return true;
}

static int
check_conf(const struct nats_sink_conf *conf, char **err)
{
	if (conf->url == NULL || conf->url[0] == '\0') {
		*err = fmt_err("nats.url: empty");
	} else if (!valid_stream(conf->stream)) {
		*err = fmt_err("nats.stream: '%s' %s", conf->stream != NULL ? conf->stream : "",
		               "is not a valid stream name");
	} else if (!valid_subject(conf->subject)) {
		*err = fmt_err("nats.subject: '%s' %s", conf->subject != NULL ? conf->subject : "",
		               "is not a valid subject prefix");
	} else if (conf->journal_dir == NULL || conf->journal_dir[0] == '\0') {
		*err = fmt_err("nats: the sink needs the journal (journal.dir)");
	} else if (conf->max_pending == 0 || conf->ack_timeout_ms == 0) {
		*err = fmt_err("nats: max_pending and ack_timeout must be positive");
	} else {
		return 0;
	}
	return -1;
}

/* The node's part of the state file name: the same characters as a subject token. */
static void
file_token(char *dst, const char *node)
{
	size_t n;

	for (n = 0; node[n] != '\0' && n < TOKEN_MAX; n++) {
		dst[n] = token_char(node[n]) ? node[n] : '_';
	}
	dst[n] = '\0';
}

static int
connect_nats(struct nats_sink *s, char **err)
{
	jsOptions jo;
	natsStatus st;

	st = natsOptions_Create(&s->opts);
	if (st == NATS_OK) {
		st = natsOptions_SetURL(s->opts, s->url);
	}
	if (st == NATS_OK) {
		st = natsOptions_SetName(s->opts, "feedwatch");
	}
	if (st == NATS_OK) {
		st = natsOptions_SetMaxReconnect(s->opts, -1);
	}
	if (st == NATS_OK) {
		st = natsOptions_SetReconnectWait(s->opts, 250);
	}
	if (st == NATS_OK) {
		/* with a callback, the connect does not block retrying forever */
		st = natsOptions_SetRetryOnFailedConnect(s->opts, true, on_connected, s);
	}
	if (st == NATS_OK) {
		st = natsOptions_SetReconnectedCB(s->opts, on_reconnected, s);
	}
	if (st == NATS_OK) {
		st = natsConnection_Connect(&s->nc, s->opts);
		if (st == NATS_NOT_YET_CONNECTED) {
			log_info("nats: %s is not reachable yet; connecting in the background",
			         s->url);
			st = NATS_OK;
		}
	}
	if (st == NATS_OK) {
		jsOptions_Init(&jo);
		jo.Wait = s->ack_timeout_ms;
		jo.PublishAsync.MaxPending = s->max_pending;
		jo.PublishAsync.AckHandler = on_ack;
		jo.PublishAsync.AckHandlerClosure = s;
		st = natsConnection_JetStream(&s->js, s->nc, &jo);
	}
	if (st != NATS_OK) {
		*err = fmt_err("nats.url '%s': %s", s->url, natsStatus_GetText(st));
		return -1;
	}
	return 0;
}

static void
sink_free(struct nats_sink *s)
{
	int i;

	if (s == NULL) {
		return;
	}
	if (s->nc != NULL) {
		pthread_mutex_lock(&s->mu);
		s->closing = true;
		pthread_mutex_unlock(&s->mu);
		natsConnection_Close(s->nc);
		/*
		 * The library gives no way to join its callback threads: closing
		 * stops new deliveries; wait out any callback still running.
		 */
		for (i = 0; i < 2; i++) {
			while (atomic_load(&s->cb_active) != 0) {
				usleep(1000);
			}
			usleep(10000);
		}
	}
	jsCtx_Destroy(s->js);
	natsConnection_Destroy(s->nc);
	natsOptions_Destroy(s->opts);
	journal_reader_close(s->rd);
	if (s->efd >= 0) {
		close(s->efd);
	}
	pthread_mutex_destroy(&s->mu);
	free(s->win);
	free(s->url);
	free(s->stream);
	free(s->subject);
	free(s->node);
	free(s->dir);
	free(s->state_path);
	free(s->state_tmp);
	free(s->subj_buf);
	free(s->id_buf);
	free(s);
}

struct nats_sink *
nats_sink_start(const struct nats_sink_conf *conf, struct counters *c, char **err)
{
	struct nats_sink *s = NULL;
	char host[256];
	char ftok[TOKEN_MAX + 1];
	const char *node;
	uint64_t acked = 0;
	int rc;

	*err = NULL;
	if (check_conf(conf, err) != 0) {
		return NULL;
	}
	node = conf->node;
	if (node == NULL || node[0] == '\0') {
		if (gethostname(host, sizeof(host)) != 0) {
			snprintf(host, sizeof(host), "feedwatch");
		}
		host[sizeof(host) - 1] = '\0';
		node = host;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		goto nomem;
	}
	s->efd = -1;
	pthread_mutex_init(&s->mu, NULL);
	s->c = c;
	s->create_stream = conf->create_stream;
	s->max_pending = conf->max_pending;
	s->ack_timeout_ms = conf->ack_timeout_ms;
	s->dup_window_s = conf->dup_window_s;
	s->url = strdup(conf->url);
	s->stream = strdup(conf->stream);
	s->subject = strdup(conf->subject);
	s->node = strdup(node);
	s->dir = strdup(conf->journal_dir);
	s->win = calloc(conf->max_pending, sizeof(*s->win));
	s->subj_pfx = strlen(conf->subject) + 1;
	s->subj_buf = malloc(s->subj_pfx + TOKEN_MAX + 1);
	s->id_buf = malloc(strlen(node) + 24);
	file_token(ftok, node);
	if (asprintf(&s->state_path, "%s/nats-%s.acked", conf->journal_dir, ftok) < 0) {
		s->state_path = NULL;
	}
	if (asprintf(&s->state_tmp, "%s/.nats-%s.acked.tmp", conf->journal_dir, ftok) < 0) {
		s->state_tmp = NULL;
	}
	if (s->url == NULL || s->stream == NULL || s->subject == NULL || s->node == NULL ||
	    s->dir == NULL || s->win == NULL || s->subj_buf == NULL || s->id_buf == NULL ||
	    s->state_path == NULL || s->state_tmp == NULL) {
		goto nomem;
	}
	memcpy(s->subj_buf, conf->subject, s->subj_pfx - 1);
	s->subj_buf[s->subj_pfx - 1] = '.';

	rc = mkdir_p(s->dir);
	if (rc != 0) {
		*err = fmt_err("%s: %s", s->dir, strerror(-rc));
		goto fail;
	}
	if (load_state(s, &acked, err) != 0) {
		goto fail;
	}
	atomic_store(&s->acked, acked);
	atomic_store(&s->notified, acked);
	s->next = acked + 1;
	s->high_sent = acked;
	s->gaps_high = acked;
	s->saved_ns = now_ns();
	c->v[CNT_nats_pending] = 0;
	s->rd = journal_reader_open(s->dir, acked, err);
	if (s->rd == NULL) {
		goto fail;
	}
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->efd < 0) {
		*err = fmt_err("eventfd: %s", strerror(errno));
		goto fail;
	}
	if (connect_nats(s, err) != 0) {
		goto fail;
	}
	rc = pthread_create(&s->thread, NULL, sink_main, s);
	if (rc != 0) {
		*err = fmt_err("nats: cannot start a thread: %s", strerror(rc));
		goto fail;
	}
	s->thread_started = true;
	log_info("nats: publishing %s/alerts-* to %s, stream %s, as %s, after seq %" PRIu64, s->dir,
	         s->url, s->stream, s->node, acked);
	return s;
nomem:
	*err = fmt_err("nats: %s", strerror(ENOMEM));
fail:
	sink_free(s);
	return NULL;
}

void
nats_sink_notify(struct nats_sink *s, uint64_t last_seq)
{
	atomic_store(&s->notified, last_seq);
	kick(s);
}

uint64_t
nats_sink_acked(const struct nats_sink *s)
{
	return atomic_load(&s->acked);
}

void
nats_sink_stop(struct nats_sink *s, uint32_t drain_ms)
{
	uint64_t a;
	int rc;

	if (s == NULL) {
		return;
	}
	if (s->thread_started) {
		atomic_store(&s->deadline_ns, now_ns() + (uint64_t)drain_ms * 1000000ull);
		atomic_store(&s->stopping, 1);
		kick(s);
		pthread_join(s->thread, NULL);
	}
	a = atomic_load(&s->acked);
	rc = save_state(s, a);
	if (rc != 0) {
		log_warn("nats: cannot write %s: %s", s->state_path, strerror(-rc));
	}
	log_info("nats: stopped at seq %" PRIu64 " acknowledged, %" PRIu64 " pending", a,
	         s->c->v[CNT_nats_pending]);
	sink_free(s);
}
