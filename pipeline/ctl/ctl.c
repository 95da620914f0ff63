#include "ctl/ctl.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"

/* Room kept past CTL_REPLY_MAX for the truncation note and the status line. */
#define REPLY_TAIL 128
#define STATUS_MAX 64

struct ctl_client {
	int fd;
	bool eof;     /* the peer half-closed: answer what is buffered, then close */
	bool closing; /* close once <out> is written (after a protocol error) */
	uint64_t last_ms;
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
	char in[CTL_LINE_MAX];
};

struct ctl_reply {
	struct ctl_client *c;
	bool line_start;
	bool truncated;
	bool oom;
};

struct ctl_server {
	int fd;
	int idle_ms;
	int n_clients;
	char *path;
	dev_t dev;
	ino_t ino;
	struct ctl_client *clients[CTL_MAX_CLIENTS];
};

static uint64_t
now_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000u;
}

static int
fill_addr(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(sa->sun_path)) {
		return -1;
	}
	memcpy(sa->sun_path, path, n + 1);
	return 0;
}

/* ---- server: output buffer and reply framing ---- */

static int
out_reserve(struct ctl_client *c, size_t more)
{
	size_t cap = c->out_cap == 0 ? 4096 : c->out_cap;
	char *bigger;

	if (c->out_len + more <= c->out_cap) {
		return 0;
	}
	while (cap < c->out_len + more) {
		cap *= 2;
	}
	bigger = realloc(c->out, cap);
	if (bigger == NULL) {
		return -1;
	}
	c->out = bigger;
	c->out_cap = cap;
	return 0;
}

static int
out_raw(struct ctl_client *c, const char *s, size_t n)
{
	if (out_reserve(c, n) != 0) {
		return -1;
	}
	memcpy(c->out + c->out_len, s, n);
	c->out_len += n;
	return 0;
}

/* Appends handler text, doubling a "." that starts a line (RFC 5321 §4.5.2 dot-stuffing). */
static int
reply_put(struct ctl_reply *r, const char *s, size_t n)
{
	struct ctl_client *c = r->c;
	size_t i = 0;

	if (r->truncated || r->oom) {
		return -1;
	}
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t run = nl == NULL ? n - i : (size_t)(nl - (s + i)) + 1;
		size_t need = run + (r->line_start && s[i] == '.' ? 1 : 0);

		if (c->out_len + need > CTL_REPLY_MAX) {
			r->truncated = true;
			return -1;
		}
		if (out_reserve(c, need) != 0) {
			r->oom = true;
			return -1;
		}
		if (r->line_start && s[i] == '.') {
			c->out[c->out_len++] = '.';
		}
		memcpy(c->out + c->out_len, s + i, run);
		c->out_len += run;
		r->line_start = nl != NULL;
		i += run;
	}
	return 0;
}

int
ctl_reply_printf(struct ctl_reply *r, const char *fmt, ...)
{
	char small[512];
	char *big = NULL;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		return -1;
	}
	if ((size_t)n >= sizeof(small)) {
		va_start(ap, fmt);
		if (vasprintf(&big, fmt, ap) < 0) {
			big = NULL;
		}
		va_end(ap);
		if (big == NULL) {
			r->oom = true;
			return -1;
		}
	}
	rc = reply_put(r, big != NULL ? big : small, (size_t)n);
	free(big);
	return rc == 0 ? n : -1;
}

/* Ends the reply: newline if the text lacked one, truncation note, then the status line. */
static int
reply_finish(struct ctl_reply *r, int status)
{
	struct ctl_client *c = r->c;
	char line[STATUS_MAX];
	int n;

	if (status < 0 || status > 255) {
		status = 1;
	}
	if (r->oom) {
		/* the text is incomplete in an unknown way: say so rather than send half of it */
		c->out_len = 0;
		r->line_start = true;
		status = status == 0 ? 1 : status;
		if (out_raw(c, "error: out of memory building the reply\n", 40) != 0) {
			return -1;
		}
	}
	if (!r->line_start && out_raw(c, "\n", 1) != 0) {
		return -1;
	}
	if (r->truncated) {
		n = snprintf(line, sizeof(line), "(reply cut at %d bytes)\n", CTL_REPLY_MAX);
		if (out_raw(c, line, (size_t)n) != 0) {
			return -1;
		}
	}
	if (status == 0) {
		n = snprintf(line, sizeof(line), ".ok\n");
	} else {
		n = snprintf(line, sizeof(line), ".error %d\n", status);
	}
	return out_raw(c, line, (size_t)n);
}

/* Queues a reply the server itself writes (protocol errors), with status 1. */
static int
reply_error(struct ctl_client *c, const char *msg)
{
	struct ctl_reply r = { .c = c, .line_start = true };

	reply_put(&r, msg, strlen(msg));
	return reply_finish(&r, 1);
}

/* ---- server: clients ---- */

static void
client_free(struct ctl_client *c)
{
	if (c == NULL) {
		return;
	}
	if (c->fd >= 0) {
		close(c->fd);
	}
	free(c->out);
	free(c);
}

/* Writes what it can of the pending reply. 0, or -1 if the client is gone. */
static int
client_flush(struct ctl_client *c, uint64_t now)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		c->out_off += (size_t)n;
		c->last_ms = now;
	}
	c->out_off = 0;
	c->out_len = 0;
	if (c->out_cap > 65536) {
		/* one large reply (stats, watchlists) should not pin its buffer for the session */
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
	return 0;
}

/* Reads what fits into <in>. 0, or -1 if the client is gone. */
static int
client_read(struct ctl_client *c, uint64_t now)
{
	while (!c->eof && c->in_len < sizeof(c->in)) {
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		if (n == 0) {
			c->eof = true;
			break;
		}
		c->in_len += (size_t)n;
		c->last_ms = now;
	}
	return 0;
}

/* Runs the handler on in[0, len) (line ending excluded) and queues the framed reply. */
static int
handle_line(struct ctl_client *c, size_t len, ctl_handler_fn *fn, void *arg)
{
	struct ctl_reply r = { .c = c, .line_start = true };
	char line[CTL_LINE_MAX + 1];
	int status;

	memcpy(line, c->in, len);
	if (len > 0 && line[len - 1] == '\r') {
		len--;
	}
	line[len] = '\0';
	if (memchr(line, '\0', len) != NULL) {
		return reply_error(c, "error: the request holds a NUL byte\n");
	}
	status = fn(arg, line, &r);
	return reply_finish(&r, status);
}

/*
 * Handles the client's complete request lines while its previous reply is written out, so
 * a connection holds at most one reply at a time. Adds to <*handled>. 0, or -1 to drop it.
 */
static int
client_work(struct ctl_client *c, ctl_handler_fn *fn, void *arg, int *handled)
{
	while (!c->closing && c->out_len == 0) {
		char *nl = memchr(c->in, '\n', c->in_len);
		size_t len, used;

		if (nl != NULL) {
			len = (size_t)(nl - c->in);
			used = len + 1;
		} else if (c->in_len == sizeof(c->in)) {
			/* no newline within the limit: answer once and hang up, no resync */
			c->closing = true;
			if (reply_error(c, "error: request line longer than 4096 bytes\n") != 0) {
				return -1;
			}
			return client_flush(c, now_ms());
		} else if (c->eof && c->in_len > 0) {
			len = c->in_len;
			used = len;
		} else {
			break;
		}
		if (len > 0 && !(len == 1 && c->in[0] == '\r')) {
			if (handle_line(c, len, fn, arg) != 0) {
				return -1;
			}
			(*handled)++;
			c->last_ms = now_ms();
		}
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		if (client_flush(c, c->last_ms) != 0) {
			return -1;
		}
	}
	return 0;
}

/* One client's turn after poll(): read, answer, write. 0 to keep it, -1 to drop it. */
static int
client_service(struct ctl_client *c, short revents, uint64_t now, ctl_handler_fn *fn, void *arg,
               int *handled)
{
	if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !c->closing &&
	    client_read(c, now) != 0) {
		return -1;
	}
	if (c->out_len > 0 && client_flush(c, now) != 0) {
		return -1;
	}
	if (client_work(c, fn, arg, handled) != 0) {
		return -1;
	}
	if (c->out_len == 0 && (c->closing || (c->eof && c->in_len == 0))) {
		return -1;
	}
	/* a peer that hung up entirely cannot read what is left */
	if ((revents & (POLLHUP | POLLERR)) != 0 && c->eof && c->out_len > 0) {
		return -1;
	}
	return 0;
}

static short
client_events(const struct ctl_client *c)
{
	short ev = 0;

	if (!c->eof && !c->closing && c->in_len < sizeof(c->in) && c->out_len == 0) {
		ev |= POLLIN;
	}
	if (c->out_len > 0) {
		ev |= POLLOUT;
	}
	return ev;
}

/* Accepts every pending connection. false if accept() failed for lack of resources. */
static bool
accept_clients(struct ctl_server *s, uint64_t now)
{
	static const char too_many[] = "error: too many control clients\n.error 1\n";

	for (;;) {
		struct ctl_client *c;
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED) {
				continue;
			}
			return errno == EAGAIN || errno == EWOULDBLOCK;
		}
		if (s->n_clients == CTL_MAX_CLIENTS) {
			/* best effort: the socket buffer of a fresh connection takes this */
			(void)send(fd, too_many, sizeof(too_many) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			return false;
		}
		c->fd = fd;
		c->last_ms = now;
		s->clients[s->n_clients++] = c;
	}
}

static void
drop_client(struct ctl_server *s, int i)
{
	client_free(s->clients[i]);
	s->clients[i] = NULL;
}

static void
compact_clients(struct ctl_server *s)
{
	int i, j = 0;

	for (i = 0; i < s->n_clients; i++) {
		if (s->clients[i] != NULL) {
			s->clients[j++] = s->clients[i];
		}
	}
	s->n_clients = j;
}

int
ctl_poll(struct ctl_server *s, int timeout_ms, ctl_handler_fn *fn, void *arg)
{
	struct pollfd pfd[1 + CTL_MAX_CLIENTS];
	uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	int handled = 0;

	for (;;) {
		uint64_t now = now_ms();
		int n = s->n_clients, i, wait, rc;
		bool more = true;

		wait = now >= deadline ? 0 : (int)(deadline - now);
		pfd[0].fd = s->fd;
		pfd[0].events = POLLIN;
		for (i = 0; i < n; i++) {
			uint64_t expiry = s->clients[i]->last_ms + (uint64_t)s->idle_ms;
			int left = expiry <= now ? 0 : (int)(expiry - now);

			pfd[1 + i].fd = s->clients[i]->fd;
			pfd[1 + i].events = client_events(s->clients[i]);
			if (left < wait) {
				wait = left;
			}
		}
		rc = poll(pfd, (nfds_t)(1 + n), wait);
		if (rc < 0 && errno != EINTR) {
			return -1;
		}
		now = now_ms();
		for (i = 0; rc > 0 && i < n; i++) {
			if (pfd[1 + i].revents != 0 &&
			    client_service(s->clients[i], pfd[1 + i].revents, now, fn, arg,
			                   &handled) != 0) {
				drop_client(s, i);
			}
		}
		/* after a handler ran, poll()'s view is stale: idle clients are judged next pass */
		for (i = 0; handled == 0 && i < n; i++) {
			if (s->clients[i] != NULL && (rc <= 0 || pfd[1 + i].revents == 0) &&
			    s->clients[i]->last_ms + (uint64_t)s->idle_ms <= now) {
				drop_client(s, i);
			}
		}
		compact_clients(s);
		if (rc > 0 && (pfd[0].revents & POLLIN) != 0) {
			more = accept_clients(s, now);
		}
		if (handled > 0 || !more || now >= deadline) {
			return handled;
		}
	}
}

/* ---- server: setup ---- */

static int
resolve_group(const char *group, gid_t *gid, char **err)
{
	struct group gr, *res = NULL;
	size_t cap = 16384;
	char *buf = NULL, *end;
	unsigned long num;
	int rc;

	for (;;) {
		char *bigger = realloc(buf, cap);

		if (bigger == NULL) {
			free(buf);
			err_set(err, "group %s: out of memory", group);
			return -1;
		}
		buf = bigger;
		rc = getgrnam_r(group, &gr, buf, cap, &res);
		if (rc != ERANGE || cap >= (1u << 24)) {
			break;
		}
		cap *= 2;
	}
	if (res != NULL) {
		*gid = res->gr_gid;
		free(buf);
		return 0;
	}
	free(buf);
	errno = 0;
	num = strtoul(group, &end, 10);
	if (group[0] >= '0' && group[0] <= '9' && *end == '\0' && errno == 0 &&
	    num <= (unsigned long)(gid_t)-2) {
		*gid = (gid_t)num;
		return 0;
	}
	err_set(err, "control socket group %s: %s", group,
	        rc != 0 ? strerror(rc) : "no such group");
	return -1;
}

/* Clears a leftover socket at <path>, refusing one a live process still answers on. */
static int
clear_stale(const char *path, const struct sockaddr_un *sa, char **err)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT) {
			return 0;
		}
		err_set(err, "control socket %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		err_set(err, "control socket %s: exists and is not a socket", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_set(err, "control socket %s: %s", path, strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	if (rc == 0 || errno == EAGAIN) {
		/* EAGAIN: a live listener whose backlog is full */
		close(fd);
		err_set(err, "control socket %s: already in use by a running process", path);
		return -1;
	}
	rc = errno;
	close(fd);
	if (rc != ECONNREFUSED && rc != ENOENT) {
		err_set(err, "control socket %s: %s", path, strerror(rc));
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		err_set(err, "control socket %s: removing the stale socket: %s", path,
		        strerror(errno));
		return -1;
	}
	return 0;
}

struct ctl_server *
ctl_open(const char *path, unsigned int mode, const char *group, char **err)
{
	struct ctl_server *s = NULL;
	struct sockaddr_un sa;
	bool bound = false;
	struct stat st;
	gid_t gid = 0;

	if (fill_addr(&sa, path) != 0) {
		err_set(err, "control socket %s: path empty or longer than %zu bytes", path,
		        sizeof(sa.sun_path) - 1);
		return NULL;
	}
	if (group != NULL && resolve_group(group, &gid, err) != 0) {
		return NULL;
	}
	if (clear_stale(path, &sa, err) != 0) {
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		err_set(err, "control socket %s: out of memory", path);
		return NULL;
	}
	s->idle_ms = CTL_IDLE_MS;
	s->path = strdup(path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->path == NULL || s->fd < 0) {
		err_set(err, "control socket %s: %s", path, strerror(errno));
		goto fail;
	}
	/* Linux creates the socket file with the socket inode's mode minus umask: starting
	 * from <mode> means the file is never more open than asked, even before chmod() */
	(void)fchmod(s->fd, mode & 07777);
	if (bind(s->fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0) {
		err_set(err, "control socket %s: %s", path,
		        errno == EADDRINUSE ? "already in use" : strerror(errno));
		goto fail;
	}
	bound = true;
	if (chmod(path, mode & 07777) != 0) {
		err_set(err, "control socket %s: chmod %o: %s", path, mode, strerror(errno));
		goto fail;
	}
	if (group != NULL && chown(path, (uid_t)-1, gid) != 0) {
		err_set(err, "control socket %s: chown to group %s: %s", path, group,
		        strerror(errno));
		goto fail;
	}
	if (stat(path, &st) != 0 || listen(s->fd, CTL_MAX_CLIENTS) != 0) {
		err_set(err, "control socket %s: %s", path, strerror(errno));
		goto fail;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	return s;
fail:
	if (bound) {
		unlink(path);
	}
	if (s->fd >= 0) {
		close(s->fd);
	}
	free(s->path);
	free(s);
	return NULL;
}

int
ctl_fd(const struct ctl_server *s)
{
	return s->fd;
}

int
ctl_clients(const struct ctl_server *s)
{
	return s->n_clients;
}

void
ctl_set_idle_timeout(struct ctl_server *s, int ms)
{
	s->idle_ms = ms > 0 ? ms : CTL_IDLE_MS;
}

void
ctl_close(struct ctl_server *s)
{
	struct stat st;
	int i;

	if (s == NULL) {
		return;
	}
	for (i = 0; i < s->n_clients; i++) {
		client_free(s->clients[i]);
	}
	close(s->fd);
	/* a second instance may have replaced the file since: leave its socket alone */
	if (stat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino) {
		unlink(s->path);
	}
	free(s->path);
	free(s);
}

/* ---- client ---- */

enum rp_state {
	RP_LINE_START = 0,
	RP_DOT,    /* a line began with "." */
	RP_STATUS, /* collecting the status line */
	RP_TEXT,   /* inside a text line */
};

/* Reply reader; zeroed means "start". */
struct reply_parse {
	enum rp_state state;
	size_t st_len;
	char st[STATUS_MAX];
};

/* 0 ok / 1..255 error status from a status line, or -1 if it is not one. */
static int
parse_status(const char *st)
{
	char *end;
	long v;

	if (strcmp(st, "ok") == 0) {
		return 0;
	}
	if (strncmp(st, "error ", 6) != 0) {
		return -1;
	}
	v = strtol(st + 6, &end, 10);
	if (end == st + 6 || *end != '\0' || v < 1 || v > 255) {
		return -1;
	}
	return (int)v;
}

/*
 * Feeds <n> reply bytes to <rp>, copying text to <out>. Returns -2 while the status line is
 * still to come, -1 on a protocol error, else the status; <*used> is how many bytes it took.
 */
static int
reply_feed(struct reply_parse *rp, const char *buf, size_t n, FILE *out, size_t *used)
{
	const char *p = buf, *end = buf + n;

	while (p < end) {
		switch (rp->state) {
		case RP_LINE_START:
			if (*p == '.') {
				rp->state = RP_DOT;
				p++;
			} else {
				rp->state = RP_TEXT;
			}
			break;
		case RP_DOT:
			if (*p == '.') {
				/* a stuffed line: keep the second dot */
				rp->state = RP_TEXT;
			} else {
				rp->state = RP_STATUS;
				rp->st_len = 0;
			}
			break;
		case RP_STATUS:
			if (*p == '\n') {
				int st;

				if (rp->st_len > 0 && rp->st[rp->st_len - 1] == '\r') {
					rp->st_len--;
				}
				rp->st[rp->st_len] = '\0';
				p++;
				*used = (size_t)(p - buf);
				st = parse_status(rp->st);
				return st;
			}
			if (rp->st_len + 1 >= sizeof(rp->st)) {
				*used = (size_t)(p - buf);
				return -1;
			}
			rp->st[rp->st_len++] = *p++;
			break;
		case RP_TEXT: {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *stop = nl == NULL ? end : nl + 1;

			fwrite(p, 1, (size_t)(stop - p), out);
			p = stop;
			if (nl != NULL) {
				rp->state = RP_LINE_START;
			}
			break;
		}
		}
	}
	*used = n;
	return -2;
}

static int
ms_left(uint64_t deadline)
{
	uint64_t now = now_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

static void
connect_error(const char *path, int e, char **err)
{
	switch (e) {
	case ENOENT:
		err_set(err, "%s: no control socket (is feedwatch running?)", path);
		break;
	case ECONNREFUSED:
		err_set(err, "%s: connection refused (feedwatch is not running; stale socket)",
		        path);
		break;
	case EACCES:
	case EPERM:
		err_set(err,
		        "%s: permission denied (feedwatch is running as another user: run "
		        "as its user or join the socket's group)",
		        path);
		break;
	default:
		err_set(err, "%s: cannot connect: %s", path, strerror(e));
		break;
	}
}

/* Connects <fd> before <deadline>, waiting out a full backlog. 0, or an errno value. */
static int
connect_by(int fd, const struct sockaddr_un *sa, uint64_t deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		socklen_t len = sizeof(int);
		int e = 0;

		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0) {
			return 0;
		}
		if (errno == EINTR) {
			continue;
		}
		if (errno == EAGAIN) {
			/* a Unix socket's backlog is full: the server is busy, try again shortly */
			if (ms_left(deadline) == 0) {
				return ETIMEDOUT;
			}
			poll(NULL, 0, 10);
			continue;
		}
		if (errno != EINPROGRESS) {
			return errno;
		}
		if (poll(&pfd, 1, ms_left(deadline)) <= 0) {
			return ETIMEDOUT;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0) {
			return errno;
		}
		return e;
	}
}

/* Sends all of <buf> before <deadline>. 0, or an errno value. */
static int
send_by(int fd, const char *buf, size_t n, uint64_t deadline)
{
	while (n > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w >= 0) {
			buf += w;
			n -= (size_t)w;
			continue;
		}
		if (errno == EINTR) {
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			return errno;
		}
		if (poll(&pfd, 1, ms_left(deadline)) <= 0) {
			return ETIMEDOUT;
		}
	}
	return 0;
}

int
ctl_request(const char *path, const char *cmd, FILE *out, int timeout_ms, char **err)
{
	uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	struct reply_parse rp = { 0 };
	struct sockaddr_un sa;
	size_t len = strlen(cmd);
	char *req = NULL;
	int fd = -1, rc = -1, e;
	char buf[4096];

	if (fill_addr(&sa, path) != 0) {
		err_set(err, "%s: not a usable socket path", path);
		return -1;
	}
	if (len == 0 || len + 1 > CTL_LINE_MAX || memchr(cmd, '\n', len) != NULL) {
		err_set(err, "control command must be one line of 1 to %d bytes", CTL_LINE_MAX - 1);
		return -1;
	}
	req = malloc(len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (req == NULL || fd < 0) {
		err_set(err, "%s: %s", path, req == NULL ? "out of memory" : strerror(errno));
		goto fail;
	}
	memcpy(req, cmd, len);
	req[len] = '\n';
	e = connect_by(fd, &sa, deadline);
	if (e != 0) {
		connect_error(path, e, err);
		goto fail;
	}
	e = send_by(fd, req, len + 1, deadline);
	if (e != 0) {
		err_set(err, "%s: sending the request: %s", path, strerror(e));
		goto fail;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		size_t used;
		int st;

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (poll(&pfd, 1, ms_left(deadline)) <= 0) {
				err_set(err, "%s: no complete reply within %d ms", path,
				        timeout_ms);
				goto fail;
			}
			continue;
		}
		if (n < 0) {
			err_set(err, "%s: reading the reply: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0) {
			err_set(err, "%s: connection closed before the reply ended", path);
			goto fail;
		}
		st = reply_feed(&rp, buf, (size_t)n, out, &used);
		if (st == -1) {
			err_set(err, "%s: malformed status line in the reply", path);
			goto fail;
		}
		if (st >= 0) {
			rc = st;
			break;
		}
	}
fail:
	if (fd >= 0) {
		close(fd);
	}
	free(req);
	return rc;
}
