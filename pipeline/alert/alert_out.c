#include "alert/alert_out.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "alert/alert_ecs.h"
#include "alert/alert_json.h"
#include "alert/alert_text.h"
#include "alert/journal.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"

#define REQ_MAX         256            /* bytes of one request line */
#define REPLAY_CHUNK    (64u << 10)    /* journal bytes staged per replaying client */
#define CLOSE_LINGER_NS 10000000000ull /* a cut-off client's idle time before it is closed anyway */
#define EV_LISTEN_UNIX  (UINT64_MAX - 1)
#define EV_LISTEN_TCP   (UINT64_MAX - 2)
#define EV_MAX          256

enum state {
	C_FREE,
	C_WAIT,    /* hello sent; waiting output.resume_wait for a request */
	C_LIVE,    /* sending from the ring at pos */
	C_REPLAY,  /* sending from the journal until the ring holds the next line */
	C_CLOSING, /* sending its last bytes, then closed */
};

struct client {
	int fd;
	enum state state;
	bool blocked;         /* the last send met a full socket buffer: wait for EPOLLOUT */
	uint32_t id;          /* shown by ctl; unique per process */
	uint32_t gen;         /* slot reuse count: stale epoll events are ignored */
	uint64_t pos;         /* ring position of the next byte to send (C_WAIT, C_LIVE) */
	uint64_t deadline_ns; /* C_WAIT: go live; C_CLOSING: close anyway */
	/* bytes sent before anything from the ring: hello, the end of a line, a gap, replay */
	char *priv;
	size_t priv_len, priv_off, priv_cap;
	size_t gap_at;     /* offset in priv of an unsent gap line we may extend, or SIZE_MAX */
	uint64_t gap_from; /* that gap's range */
	struct journal_reader *jr;
	uint64_t next_seq; /* C_REPLAY: the next alert this client gets */
	char req[REQ_MAX];
	size_t req_len;
	char peer[64];
	uint64_t bytes_sent, skipped, replayed;
};

struct alert_out {
	struct alert_out_conf conf;
	struct counters *c;
	int ep;
	int unix_fd, tcp_fd;
	char *socket_path;
	struct client *clients; /* conf.max_clients slots */
	uint32_t *active;       /* indices of used slots */
	uint32_t n_active;
	uint32_t next_id;
	/* the shared ring of recent lines: absolute positions, index = pos & mask */
	char *ring;
	uint64_t mask;
	uint64_t head;     /* bytes ever queued */
	uint64_t head_seq; /* seq of the last line queued */
	uint64_t oldest;   /* oldest seq whose line is whole in the ring (head_seq + 1: none) */
	uint64_t *idx;     /* line start by seq: idx[seq & idx_mask] */
	uint64_t idx_mask;
	uint64_t check_at; /* head at which the clients' lag is next checked */
	uint64_t check_step;
	char line[ALERT_ECS_MAX > ALERT_JSON_MAX ? ALERT_ECS_MAX : ALERT_JSON_MAX];
	/* ctl snapshots: asked for by another thread, written by the writer thread */
	pthread_mutex_t d_mu;
	pthread_cond_t d_cv;
	int d_req;
	uint64_t d_gen;
	struct metrics_client *d_v;
	uint32_t d_n, d_cap;
	uint64_t d_last_seq;
};

/* ---- the ring ---- */

static void
ring_copy_out(const struct alert_out *o, uint64_t from, size_t len, char *dst)
{
	size_t at = (size_t)(from & o->mask), first = len;

	if (at + len > o->mask + 1) {
		first = (size_t)(o->mask + 1 - at);
	}
	memcpy(dst, o->ring + at, first);
	memcpy(dst + first, o->ring, len - first);
}

/* The first seq whose line starts at or after <pos> (head_seq + 1 if none). */
static uint64_t
seq_at(const struct alert_out *o, uint64_t pos)
{
	uint64_t lo = o->oldest, hi = o->head_seq + 1;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (o->idx[mid & o->idx_mask] < pos) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

static uint64_t
line_start(const struct alert_out *o, uint64_t seq)
{
	return seq > o->head_seq ? o->head : o->idx[seq & o->idx_mask];
}

/* ---- per-client private bytes ---- */

static int
priv_reserve(struct client *cl, size_t more)
{
	size_t need, cap;
	char *p;

	if (cl->priv_off > 0 && cl->priv_off == cl->priv_len) {
		cl->priv_off = cl->priv_len = 0;
		cl->gap_at = SIZE_MAX;
	}
	need = cl->priv_len + more;
	if (need <= cl->priv_cap) {
		return 0;
	}
	cap = cl->priv_cap > 0 ? cl->priv_cap : 1024;
	while (cap < need) {
		cap *= 2;
	}
	p = realloc(cl->priv, cap);
	if (p == NULL) {
		return -1;
	}
	cl->priv = p;
	cl->priv_cap = cap;
	return 0;
}

static void
priv_add(struct client *cl, const char *s, size_t len)
{
	if (len == 0 || priv_reserve(cl, len) != 0) {
		return;
	}
	memcpy(cl->priv + cl->priv_len, s, len);
	cl->priv_len += len;
}

/* Returns true if this made a new gap line, false if it grew the unsent one. */
static bool
priv_gap(struct client *cl, uint64_t from, uint64_t to, const char *reason)
{
	char g[ALERT_JSON_NOTE_MAX];
	bool grown = false;
	size_t n;

	/* a gap not yet begun on the wire grows instead of being followed by another */
	if (cl->gap_at != SIZE_MAX && cl->gap_at >= cl->priv_off && cl->gap_at <= cl->priv_len) {
		from = cl->gap_from;
		cl->priv_len = cl->gap_at;
		grown = true;
	}
	n = alert_json_gap(g, sizeof(g), from, to, reason);
	cl->gap_at = cl->priv_len;
	cl->gap_from = from;
	priv_add(cl, g, n);
	return !grown;
}

static void
priv_notice(struct client *cl, const char *type, const char *msg, uint64_t last_seq)
{
	char n[ALERT_JSON_NOTE_MAX];

	priv_add(cl, n, alert_json_notice(n, sizeof(n), type, msg, last_seq));
	cl->gap_at = SIZE_MAX;
}

/* ---- clients ---- */

static void
client_drop(struct alert_out *o, struct client *cl)
{
	uint32_t slot = (uint32_t)(cl - o->clients), gen = cl->gen, i;

	close(cl->fd);
	journal_reader_close(cl->jr);
	free(cl->priv);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
	cl->state = C_FREE;
	cl->gen = gen + 1;
	for (i = 0; i < o->n_active; i++) {
		if (o->active[i] == slot) {
			o->active[i] = o->active[--o->n_active];
			break;
		}
	}
}

/*
 * The client leaves the ring: the rest of the line it is in goes to its
 * private bytes, so the ring may overwrite it. Returns the seq of the first
 * line it has not started.
 */
static uint64_t
finish_line(struct alert_out *o, struct client *cl)
{
	uint64_t s = seq_at(o, cl->pos), end = line_start(o, s);

	if (end > cl->pos && priv_reserve(cl, (size_t)(end - cl->pos)) == 0) {
		ring_copy_out(o, cl->pos, (size_t)(end - cl->pos), cl->priv + cl->priv_len);
		cl->priv_len += (size_t)(end - cl->pos);
		cl->gap_at = SIZE_MAX;
	}
	cl->pos = end;
	return s;
}

/* The client is past output.client_buffer: its policy, as alert_out.h describes. */
static void
fell_behind(struct alert_out *o, struct client *cl)
{
	uint64_t s = finish_line(o, cl);
	char msg[160];

	if (o->conf.slow_policy == CONFIG_SLOW_SKIP) {
		if (s <= o->head_seq) {
			if (priv_gap(cl, s, o->head_seq, "slow")) {
				counters_inc(o->c, CNT_alert_clients_gaps);
			}
			cl->skipped += o->head_seq - s + 1;
			counters_add(o->c, CNT_alert_lines_skipped, o->head_seq - s + 1);
		}
		cl->pos = o->head;
		return;
	}
	snprintf(msg, sizeof(msg),
	         "fell more than output.client_buffer (%u bytes) behind; reconnect with "
	         "{\"resume_after\":%llu}",
	         o->conf.client_buffer, (unsigned long long)(s - 1));
	priv_notice(cl, "disconnect", msg, s - 1);
	cl->state = C_CLOSING;
	cl->deadline_ns = clock_ns(CLOCK_MONOTONIC) + CLOSE_LINGER_NS;
	counters_inc(o->c, CNT_alert_clients_slow);
}

static void
check_lag(struct alert_out *o)
{
	uint32_t i;

	for (i = 0; i < o->n_active; i++) {
		struct client *cl = &o->clients[o->active[i]];

		if ((cl->state == C_LIVE || cl->state == C_WAIT) &&
		    o->head - cl->pos > o->conf.client_buffer) {
			fell_behind(o, cl);
		}
	}
}

/*
 * Send what <cl> may have now: its private bytes, then the ring. A short
 * write leaves it blocked until EPOLLOUT. Returns false if it was dropped.
 */
static bool
client_send(struct alert_out *o, struct client *cl)
{
	for (;;) {
		struct iovec iov[2];
		struct msghdr mh;
		size_t want;
		ssize_t w;
		int n = 0;

		if (cl->priv_off < cl->priv_len) {
			iov[0].iov_base = cl->priv + cl->priv_off;
			iov[0].iov_len = cl->priv_len - cl->priv_off;
			n = 1;
		} else if (cl->state == C_CLOSING) {
			client_drop(o, cl);
			return false;
		} else if (cl->state == C_REPLAY) {
			return true; /* refilled by replay_fill() */
		} else if (cl->state == C_LIVE && cl->pos < o->head) {
			size_t at = (size_t)(cl->pos & o->mask), len = (size_t)(o->head - cl->pos);

			iov[0].iov_base = o->ring + at;
			iov[0].iov_len = len;
			n = 1;
			if (at + len > o->mask + 1) {
				iov[0].iov_len = (size_t)(o->mask + 1 - at);
				iov[1].iov_base = o->ring;
				iov[1].iov_len = len - iov[0].iov_len;
				n = 2;
			}
		} else {
			return true;
		}
		want = iov[0].iov_len + (n == 2 ? iov[1].iov_len : 0);
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)n;
		w = sendmsg(cl->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				cl->blocked = true;
				return true;
			}
			client_drop(o, cl);
			return false;
		}
		cl->bytes_sent += (uint64_t)w;
		if (cl->state == C_CLOSING && w > 0) {
			/* a reader taking its last lines is given the linger again */
			cl->deadline_ns = clock_ns(CLOCK_MONOTONIC) + CLOSE_LINGER_NS;
		}
		if (cl->priv_off < cl->priv_len) {
			cl->priv_off += (size_t)w;
		} else {
			cl->pos += (uint64_t)w;
		}
		if ((size_t)w < want) {
			cl->blocked = true;
			return true;
		}
	}
}

/* ---- replay ---- */

/* Moves a replaying client onto the ring at <seq> (a line the ring holds, or head_seq + 1). */
static void
replay_done(struct alert_out *o, struct client *cl, uint64_t seq)
{
	journal_reader_close(cl->jr);
	cl->jr = NULL;
	cl->state = C_LIVE;
	cl->pos = line_start(o, seq);
}

/* Can a client start at <seq> from the ring, with room to spare before its buffer limit? */
static bool
ring_has(const struct alert_out *o, uint64_t seq)
{
	if (seq > o->head_seq) {
		return seq == o->head_seq + 1;
	}
	return seq >= o->oldest && o->head - line_start(o, seq) <= o->conf.client_buffer / 2;
}

static void
replay_line(struct alert_out *o, struct client *cl, const char *line, size_t len, uint64_t seq)
{
	if (o->conf.ecs) {
		struct alert_rec r;
		uint64_t s, lat;
		size_t n = 0;

		if (alert_text_parse(line, len, &r, &s, &lat) == 0) {
			n = alert_ecs_encode(&r, s, lat, o->conf.node, o->line, sizeof(o->line));
		}
		if (n == 0) {
			counters_inc(o->c, CNT_alert_ecs_errors);
			priv_gap(cl, seq, seq, "retention");
			return;
		}
		line = o->line;
		len = n;
	}
	priv_add(cl, line, len);
	cl->gap_at = SIZE_MAX;
	cl->replayed++;
	counters_inc(o->c, CNT_alert_replayed);
}

/* Stage the next journal lines of a replaying client whose private bytes are all sent. */
static void
replay_fill(struct alert_out *o, struct client *cl)
{
	while (cl->state == C_REPLAY && cl->priv_len - cl->priv_off < REPLAY_CHUNK) {
		const char *line;
		size_t len;
		uint64_t seq;

		if (ring_has(o, cl->next_seq)) {
			replay_done(o, cl, cl->next_seq);
			return;
		}
		switch (journal_reader_next(cl->jr, &line, &len, &seq)) {
		case JOURNAL_LINE:
			replay_line(o, cl, line, len, seq);
			cl->next_seq = seq + 1;
			break;
		case JOURNAL_GAP:
			priv_gap(cl, cl->next_seq, seq - 1, "retention");
			cl->next_seq = seq;
			break;
		case JOURNAL_END:
			/* the journal has every line written; what it lacks is not retained */
			if (cl->next_seq < o->oldest) {
				priv_gap(cl, cl->next_seq, o->oldest - 1, "retention");
				cl->next_seq = o->oldest;
			}
			replay_done(o, cl,
			            cl->next_seq <= o->head_seq ? cl->next_seq : o->head_seq + 1);
			return;
		case JOURNAL_ERR:
			priv_notice(cl, "disconnect",
			            "the journal cannot be read; see the server's log",
			            cl->next_seq - 1);
			journal_reader_close(cl->jr);
			cl->jr = NULL;
			cl->state = C_CLOSING;
			cl->deadline_ns = clock_ns(CLOCK_MONOTONIC) + CLOSE_LINGER_NS;
			return;
		}
	}
}

/* {"resume_after":N}: alerts N+1 onward, then live (see alert_out.h). */
static void
resume(struct alert_out *o, struct client *cl, uint64_t after)
{
	char msg[160];
	uint64_t from = after + 1;
	char *err = NULL;

	if (cl->state == C_LIVE || cl->state == C_WAIT) {
		finish_line(o, cl);
	}
	journal_reader_close(cl->jr);
	cl->jr = NULL;
	cl->state = C_LIVE;
	if (after > o->head_seq) {
		snprintf(msg, sizeof(msg),
		         "resume_after %llu is past the last alert, %llu: live from %llu",
		         (unsigned long long)after, (unsigned long long)o->head_seq,
		         (unsigned long long)(o->head_seq + 1));
		priv_notice(cl, "error", msg, o->head_seq);
		cl->pos = o->head;
		return;
	}
	if (ring_has(o, from)) {
		cl->pos = line_start(o, from);
		return;
	}
	if (o->conf.journal_dir != NULL && o->conf.journal_dir[0] != '\0') {
		cl->jr = journal_reader_open(o->conf.journal_dir, after, &err);
		if (cl->jr != NULL) {
			cl->state = C_REPLAY;
			cl->next_seq = from;
			replay_fill(o, cl);
			return;
		}
		log_warn("alert client %u: %s", cl->id, err);
		free(err);
	}
	/* no journal: what the ring no longer holds is gone */
	while (!ring_has(o, from)) {
		from++;
	}
	priv_gap(cl, after + 1, from - 1, "retention");
	cl->pos = line_start(o, from);
}

/* One request line from a client. */
static void
request(struct alert_out *o, struct client *cl, const char *s, size_t len)
{
	static const char key[] = "\"resume_after\"";
	const char *p = s, *end = s + len;
	uint64_t n = 0;
	int digits = 0;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) {
		p++;
	}
	if (p == end) {
		return; /* a blank line */
	}
	if (*p++ != '{') {
		goto bad;
	}
	while (p < end && (*p == ' ' || *p == '\t')) {
		p++;
	}
	if ((size_t)(end - p) < sizeof(key) - 1 || memcmp(p, key, sizeof(key) - 1) != 0) {
		goto bad;
	}
	p += sizeof(key) - 1;
	while (p < end && (*p == ' ' || *p == '\t')) {
		p++;
	}
	if (p == end || *p++ != ':') {
		goto bad;
	}
	while (p < end && (*p == ' ' || *p == '\t')) {
		p++;
	}
	while (p < end && *p >= '0' && *p <= '9' && digits < 19) {
		n = n * 10 + (uint64_t)(*p++ - '0');
		digits++;
	}
	while (p < end && (*p == ' ' || *p == '\t')) {
		p++;
	}
	if (digits == 0 || p == end || *p++ != '}') {
		goto bad;
	}
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) {
		p++;
	}
	if (p != end) {
		goto bad;
	}
	resume(o, cl, n);
	return;
bad:
	counters_inc(o->c, CNT_alert_requests_bad);
	if (cl->state == C_LIVE || cl->state == C_WAIT) {
		finish_line(o, cl);
	}
	priv_notice(cl, "error", "not a request: send {\"resume_after\":N} and a newline",
	            o->head_seq);
}

static void
client_read(struct alert_out *o, struct client *cl)
{
	for (;;) {
		ssize_t r = recv(cl->fd, cl->req + cl->req_len, sizeof(cl->req) - cl->req_len,
		                 MSG_DONTWAIT);
		char *nl;

		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			/* 0: the client shut its sending side and may still read */
			if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
				client_drop(o, cl);
			}
			return;
		}
		cl->req_len += (size_t)r;
		while ((nl = memchr(cl->req, '\n', cl->req_len)) != NULL) {
			size_t n = (size_t)(nl - cl->req);

			if (cl->state != C_CLOSING) {
				request(o, cl, cl->req, n);
				if (cl->state == C_WAIT) {
					cl->state = C_LIVE;
				}
			}
			memmove(cl->req, nl + 1, cl->req_len - n - 1);
			cl->req_len -= n + 1;
		}
		if (cl->req_len == sizeof(cl->req)) {
			counters_inc(o->c, CNT_alert_requests_bad);
			cl->req_len = 0;
			if (cl->state != C_CLOSING) {
				if (cl->state == C_LIVE || cl->state == C_WAIT) {
					finish_line(o, cl);
				}
				priv_notice(cl, "disconnect",
				            "a request line longer than 256 bytes",
				            seq_at(o, cl->pos) - 1);
				cl->state = C_CLOSING;
				cl->deadline_ns = clock_ns(CLOCK_MONOTONIC) + CLOSE_LINGER_NS;
			}
		}
	}
}

static void
peer_name(int fd, char *buf, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	snprintf(buf, cap, "unix");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0) {
		return;
	}
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(buf, cap, "%s:%u", host, ntohs(a->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(buf, cap, "[%s]:%u", host, ntohs(a->sin6_port));
	}
}

static void
accept_clients(struct alert_out *o, int lfd, bool tcp)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
		struct epoll_event ev;
		struct client *cl;
		char hello[ALERT_JSON_NOTE_MAX];
		uint32_t slot;

		if (fd < 0) {
			return;
		}
		if (o->n_active == o->conf.max_clients) {
			size_t n = alert_json_notice(hello, sizeof(hello), "disconnect",
			                             "too many clients (output.max_clients)",
			                             o->head_seq);

			counters_inc(o->c, CNT_alert_clients_refused);
			(void)!send(fd, hello, n, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		for (slot = 0; o->clients[slot].state != C_FREE; slot++) {
		}
		cl = &o->clients[slot];
		if (tcp) {
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
		ev.data.u64 = (uint64_t)cl->gen << 32 | slot;
		if (epoll_ctl(o->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			counters_inc(o->c, CNT_alert_clients_refused);
			close(fd);
			continue;
		}
		cl->fd = fd;
		cl->id = ++o->next_id;
		cl->state = o->conf.resume_wait_ms > 0 ? C_WAIT : C_LIVE;
		cl->deadline_ns =
		        clock_ns(CLOCK_MONOTONIC) + (uint64_t)o->conf.resume_wait_ms * 1000000u;
		cl->pos = o->head;
		cl->gap_at = SIZE_MAX;
		peer_name(fd, cl->peer, sizeof(cl->peer));
		priv_add(cl, hello,
		         alert_json_hello(hello, sizeof(hello), o->conf.version, o->conf.node,
		                          o->conf.ecs ? "ecs" : "feedwatch", o->head_seq));
		o->active[o->n_active++] = slot;
		counters_inc(o->c, CNT_alert_clients_accepted);
		client_send(o, cl);
	}
}

/* ---- listening ---- */

static int
listen_unix(struct alert_out *o, const struct alert_out_conf *conf, char **err)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, probe;

	if (strlen(conf->socket_path) >= sizeof(sa.sun_path)) {
		err_set(err, "%s: socket path too long", conf->socket_path);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, conf->socket_path);
	/* a socket file another process still serves is not stale */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		err_set(err, "%s: another process is serving this socket", conf->socket_path);
		return -1;
	}
	if (probe >= 0) {
		close(probe);
	}
	unlink(conf->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_set(err, "socket: %s", strerror(errno));
		return -1;
	}
	o->unix_fd = fd;
	/* created with no more than the configured mode: no window where others may connect */
	old = umask((mode_t)(~conf->socket_mode & 0777));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		umask(old);
		err_set(err, "%s: cannot listen: %s", conf->socket_path, strerror(errno));
		return -1;
	}
	umask(old);
	o->socket_path = strdup(conf->socket_path);
	if (o->socket_path == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	if (chmod(conf->socket_path, (mode_t)conf->socket_mode) != 0) {
		err_set(err, "%s: chmod: %s", conf->socket_path, strerror(errno));
		return -1;
	}
	if (conf->socket_group != NULL && conf->socket_group[0] != '\0') {
		struct group gr, *g = NULL;
		char buf[4096];

		if (getgrnam_r(conf->socket_group, &gr, buf, sizeof(buf), &g) != 0 || g == NULL) {
			err_set(err, "output.socket_group: no group named '%s'",
			        conf->socket_group);
			return -1;
		}
		if (chown(conf->socket_path, (uid_t)-1, g->gr_gid) != 0) {
			err_set(err, "%s: chown to group %s: %s", conf->socket_path,
			        conf->socket_group, strerror(errno));
			return -1;
		}
	}
	if (listen(fd, 512) != 0) {
		err_set(err, "%s: cannot listen: %s", conf->socket_path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
listen_tcp(struct alert_out *o, const char *spec, char **err)
{
	struct addrinfo hints, *ai = NULL;
	char host[128];
	const char *colon, *h = host;
	size_t hl;
	int fd, one = 1, rc;

	colon = strrchr(spec, ':');
	if (colon == NULL || colon == spec || colon[1] == '\0' ||
	    (size_t)(colon - spec) >= sizeof(host)) {
		err_set(err,
		        "output.tcp: '%s' is not addr:port (e.g. 127.0.0.1:5141 or [::1]:5141)",
		        spec);
		return -1;
	}
	hl = (size_t)(colon - spec);
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		h = host + 1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	rc = getaddrinfo(h, colon + 1, &hints, &ai);
	if (rc != 0) {
		err_set(err, "output.tcp: '%s': %s", spec, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_set(err, "socket: %s", strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	o->tcp_fd = fd;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 512) != 0) {
		err_set(err, "output.tcp: cannot listen on %s: %s", spec, strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	return 0;
}

static int
watch_fd(struct alert_out *o, int fd, uint64_t tag)
{
	struct epoll_event ev;

	ev.events = EPOLLIN;
	ev.data.u64 = tag;
	return epoll_ctl(o->ep, EPOLL_CTL_ADD, fd, &ev);
}

struct alert_out *
alert_out_open(const struct alert_out_conf *conf, struct counters *c, uint64_t last_seq, char **err)
{
	struct alert_out *o;
	uint64_t cap = 1u << 20;
	uint32_t i;

	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	o->conf = *conf;
	o->c = c;
	o->unix_fd = o->tcp_fd = -1;
	pthread_mutex_init(&o->d_mu, NULL);
	pthread_cond_init(&o->d_cv, NULL);
	if (o->conf.max_clients == 0) {
		o->conf.max_clients = 1;
	}
	if (o->conf.client_buffer < 65536) {
		o->conf.client_buffer = 65536;
	}
	/* room for every client's allowance, the lines between two lag checks, and a line */
	while (cap < 2ull * o->conf.client_buffer + 2ull * sizeof(o->line)) {
		cap <<= 1;
	}
	o->mask = cap - 1;
	o->check_step = (cap - o->conf.client_buffer - sizeof(o->line)) / 2;
	o->idx_mask = cap / 64 - 1;
	o->head_seq = last_seq;
	o->oldest = last_seq + 1;
	o->check_at = o->check_step;
	o->ring = malloc(cap);
	o->idx = calloc(cap / 64, sizeof(*o->idx));
	o->clients = calloc(o->conf.max_clients, sizeof(*o->clients));
	o->active = calloc(o->conf.max_clients, sizeof(*o->active));
	o->ep = epoll_create1(EPOLL_CLOEXEC);
	if (o->ring == NULL || o->idx == NULL || o->clients == NULL || o->active == NULL) {
		err_set(err, "out of memory for the alert stream (%llu bytes of ring)",
		        (unsigned long long)cap);
		goto fail;
	}
	if (o->ep < 0) {
		err_set(err, "epoll: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < o->conf.max_clients; i++) {
		o->clients[i].fd = -1;
	}
	if (conf->socket_path != NULL && conf->socket_path[0] != '\0' &&
	    (listen_unix(o, conf, err) != 0 || watch_fd(o, o->unix_fd, EV_LISTEN_UNIX) != 0)) {
		goto fail;
	}
	if (conf->tcp_listen != NULL && conf->tcp_listen[0] != '\0' &&
	    (listen_tcp(o, conf->tcp_listen, err) != 0 ||
	     watch_fd(o, o->tcp_fd, EV_LISTEN_TCP) != 0)) {
		goto fail;
	}
	return o;
fail:
	alert_out_close(o, 0);
	return NULL;
}

void
alert_out_line(struct alert_out *o, uint64_t seq, const char *line, size_t len)
{
	uint64_t cap = o->mask + 1;
	size_t at = (size_t)(o->head & o->mask), first = len;

	if (at + len > cap) {
		first = (size_t)(cap - at);
	}
	memcpy(o->ring + at, line, first);
	memcpy(o->ring, line + first, len - first);
	o->idx[seq & o->idx_mask] = o->head;
	o->head += len;
	o->head_seq = seq;
	while (o->oldest <= o->head_seq && (o->head - o->idx[o->oldest & o->idx_mask] > cap ||
	                                    o->head_seq - o->oldest >= o->idx_mask)) {
		o->oldest++;
	}
	if (o->head >= o->check_at) {
		check_lag(o);
		o->check_at = o->head + o->check_step;
	}
}

void
alert_out_flush(struct alert_out *o)
{
	uint32_t i;

	counters_inc(o->c, CNT_alert_flushes);
	for (i = 0; i < o->n_active;) {
		struct client *cl = &o->clients[o->active[i]];
		uint32_t before = o->n_active;

		if (!cl->blocked && cl->state == C_LIVE && cl->pos < o->head) {
			client_send(o, cl);
		}
		if (o->n_active == before) {
			i++; /* a dropped client's slot now holds the last active one */
		}
	}
}

/* Ctl's snapshot, built on the writer thread when asked for. */
static void
snapshot_build(struct alert_out *o)
{
	static const char *const names[] = { "free", "waiting", "live", "replay", "closing" };
	uint32_t i;

	if (o->n_active > o->d_cap) {
		struct metrics_client *v = realloc(o->d_v, (size_t)o->n_active * sizeof(*v));

		if (v == NULL) {
			return;
		}
		o->d_v = v;
		o->d_cap = o->n_active;
	}
	for (i = 0; i < o->n_active; i++) {
		const struct client *cl = &o->clients[o->active[i]];
		struct metrics_client *m = &o->d_v[i];
		uint64_t next = cl->state == C_REPLAY ? cl->next_seq : seq_at(o, cl->pos);
		uint64_t lag_bytes =
		        cl->state == C_REPLAY || cl->state == C_CLOSING ? 0 : o->head - cl->pos;

		m->id = cl->id;
		memcpy(m->peer, cl->peer, sizeof(m->peer));
		m->state = names[cl->state];
		m->sent_to = next - 1;
		m->lag_alerts = o->head_seq + 1 - next;
		m->lag_bytes = lag_bytes + cl->priv_len - cl->priv_off;
		m->skipped = cl->skipped;
		m->replayed = cl->replayed;
		m->bytes_sent = cl->bytes_sent;
	}
	o->d_n = o->n_active;
	o->d_last_seq = o->head_seq;
}

static void
housekeeping(struct alert_out *o)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	uint32_t i;

	for (i = 0; i < o->n_active;) {
		struct client *cl = &o->clients[o->active[i]];
		uint32_t before = o->n_active;

		if (cl->state == C_WAIT && now >= cl->deadline_ns) {
			cl->state = C_LIVE;
		}
		if (cl->state == C_CLOSING && now >= cl->deadline_ns) {
			client_drop(o, cl);
		} else if (cl->state == C_REPLAY && !cl->blocked) {
			/* a budget per pass, so the ring keeps being drained meanwhile */
			int rounds = 16;

			while (rounds-- > 0 && cl->state == C_REPLAY && !cl->blocked &&
			       o->n_active == before) {
				replay_fill(o, cl);
				client_send(o, cl);
			}
		} else if (!cl->blocked) {
			client_send(o, cl);
		}
		if (o->n_active == before) {
			i++;
		}
	}
	if (__atomic_load_n(&o->d_req, __ATOMIC_ACQUIRE) && pthread_mutex_trylock(&o->d_mu) == 0) {
		snapshot_build(o);
		o->d_gen++;
		__atomic_store_n(&o->d_req, 0, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&o->d_cv);
		pthread_mutex_unlock(&o->d_mu);
	}
}

void
alert_out_poll(struct alert_out *o, int timeout_ms)
{
	struct epoll_event ev[EV_MAX];
	int n, i;

	n = epoll_wait(o->ep, ev, EV_MAX, timeout_ms);
	for (i = 0; i < n; i++) {
		uint64_t tag = ev[i].data.u64;
		struct client *cl;

		if (tag == EV_LISTEN_UNIX || tag == EV_LISTEN_TCP) {
			accept_clients(o, tag == EV_LISTEN_UNIX ? o->unix_fd : o->tcp_fd,
			               tag == EV_LISTEN_TCP);
			continue;
		}
		cl = &o->clients[(uint32_t)tag];
		if (cl->state == C_FREE || cl->gen != (uint32_t)(tag >> 32)) {
			continue; /* dropped earlier in this batch */
		}
		if (ev[i].events & (EPOLLERR | EPOLLHUP)) {
			client_drop(o, cl);
			continue;
		}
		if (ev[i].events & EPOLLIN) {
			client_read(o, cl);
			if (cl->state == C_FREE || cl->gen != (uint32_t)(tag >> 32)) {
				continue;
			}
		}
		if (ev[i].events & EPOLLOUT) {
			cl->blocked = false;
		}
	}
	housekeeping(o);
}

uint32_t
alert_out_clients(const struct alert_out *o)
{
	return o->n_active;
}

size_t
alert_out_ring_bytes(const struct alert_out *o)
{
	return (size_t)(o->mask + 1);
}

int
alert_out_snapshot(struct alert_out *o, struct metrics_client *v, uint32_t cap, uint32_t *n,
                   uint64_t *last_seq, int wait_ms)
{
	struct timespec until;
	uint64_t gen, t;
	int rc = -1;

	*n = 0;
	t = clock_ns(CLOCK_REALTIME) + (uint64_t)wait_ms * 1000000u;
	until.tv_sec = (time_t)(t / 1000000000u);
	until.tv_nsec = (long)(t % 1000000000u);
	pthread_mutex_lock(&o->d_mu);
	gen = o->d_gen;
	__atomic_store_n(&o->d_req, 1, __ATOMIC_RELEASE);
	while (o->d_gen == gen) {
		if (pthread_cond_timedwait(&o->d_cv, &o->d_mu, &until) != 0) {
			break;
		}
	}
	if (o->d_gen != gen) {
		*n = o->d_n < cap ? o->d_n : cap;
		if (*n > 0) {
			memcpy(v, o->d_v, (size_t)*n * sizeof(*v));
		}
		*last_seq = o->d_last_seq;
		rc = o->d_n <= cap ? 0 : 1;
	}
	pthread_mutex_unlock(&o->d_mu);
	return rc;
}

size_t
alert_out_describe(struct alert_out *o, char *buf, size_t cap, int wait_ms)
{
	uint32_t max = (uint32_t)(cap / 120), n = 0, i;
	struct metrics_client *v = calloc(max > 0 ? max : 1, sizeof(*v));
	uint64_t last_seq = 0;
	size_t at;
	int rc;

	if (cap == 0) {
		free(v);
		return 0;
	}
	rc = v != NULL ? alert_out_snapshot(o, v, max, &n, &last_seq, wait_ms) : -1;
	if (rc < 0) {
		at = (size_t)snprintf(buf, cap, "the alert writer did not answer within %d ms\n",
		                      wait_ms);
		free(v);
		return at < cap ? at : cap - 1;
	}
	at = (size_t)snprintf(buf, cap, "clients %u, last seq %llu, policy %s\n", n,
	                      (unsigned long long)last_seq,
	                      o->conf.slow_policy == CONFIG_SLOW_SKIP ? "skip" : "disconnect");
	for (i = 0; i < n && at < cap; i++) {
		at += (size_t)snprintf(
		        buf + at, cap - at,
		        "client %u peer %s state %s sent_to %llu lag_alerts %llu "
		        "lag_bytes %llu skipped %llu replayed %llu bytes %llu\n",
		        v[i].id, v[i].peer, v[i].state, (unsigned long long)v[i].sent_to,
		        (unsigned long long)v[i].lag_alerts, (unsigned long long)v[i].lag_bytes,
		        (unsigned long long)v[i].skipped, (unsigned long long)v[i].replayed,
		        (unsigned long long)v[i].bytes_sent);
	}
	if (rc > 0 && at < cap) {
		at += (size_t)snprintf(buf + at, cap - at, "(more clients than fit this reply)\n");
	}
	free(v);
	return at < cap ? at : cap - 1;
}

void
alert_out_close(struct alert_out *o, int linger_ms)
{
	uint64_t deadline;
	uint32_t i;

	if (o == NULL) {
		return;
	}
	deadline = clock_ns(CLOCK_MONOTONIC) + (uint64_t)(linger_ms > 0 ? linger_ms : 0) * 1000000u;
	while (o->n_active > 0 && clock_ns(CLOCK_MONOTONIC) < deadline) {
		bool pending = false;

		alert_out_poll(o, 1);
		for (i = 0; i < o->n_active; i++) {
			const struct client *cl = &o->clients[o->active[i]];

			pending |= cl->priv_off < cl->priv_len || cl->state == C_REPLAY ||
			           (cl->state != C_CLOSING && cl->pos < o->head);
		}
		if (!pending) {
			break;
		}
	}
	while (o->n_active > 0) {
		client_drop(o, &o->clients[o->active[0]]);
	}
	if (o->unix_fd >= 0) {
		close(o->unix_fd);
	}
	if (o->tcp_fd >= 0) {
		close(o->tcp_fd);
	}
	if (o->ep >= 0) {
		close(o->ep);
	}
	if (o->socket_path != NULL) {
		unlink(o->socket_path);
	}
	pthread_mutex_destroy(&o->d_mu);
	pthread_cond_destroy(&o->d_cv);
	free(o->d_v);
	free(o->socket_path);
	free(o->clients);
	free(o->active);
	free(o->idx);
	free(o->ring);
	free(o);
}
