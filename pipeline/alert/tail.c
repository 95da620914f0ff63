#include "alert/tail.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "alert/alert_text.h"
#include "core/clock.h"

#define EXIT_USAGE         2
#define LINE_BYTES         (1u << 17) /* twice ALERT_JSON_MAX and ALERT_ECS_MAX */
#define MAX_WATCHLISTS     64
#define BACKOFF_MIN_MS     100
#define BACKOFF_MAX_MS     2000
#define CONNECT_TIMEOUT_MS 5000

static const char tail_usage[] =
        "usage: feedwatch tail [--socket PATH | HOST:PORT] [--resume SEQ] [--json | --text]\n"
        "                      [--watchlist NAME[,NAME...]]... [--severity LEVEL]\n"
        "                      [--color[=auto|always|never]] [--once] [--state FILE]\n"
        "\n"
        "Follow the alerts of a running feedwatch. On a terminal alerts are printed\n"
        "readably (in colour unless NO_COLOR is set); piped, or with --json, every line\n"
        "is passed through as NDJSON. After a lost connection it reconnects and asks for\n"
        "the alerts after the last one seen, so none is missed or shown twice.\n"
        "\n"
        "  -s, --socket PATH      the alert socket (default below);\n"
        "                         HOST:PORT, [IPv6]:PORT or tcp://HOST:PORT for the TCP\n"
        "                         listener (output.tcp), unix:PATH for any path\n"
        "  -r, --resume SEQ       start with the alerts after SEQ (from the journal)\n"
        "  -j, --json             pass the lines through as received, even on a terminal\n"
        "  -t, --text             print readably even when piped\n"
        "  -w, --watchlist NAME   only these watchlists (repeatable, or comma-separated)\n"
        "      --severity LEVEL   only alerts at LEVEL or above:\n"
        "                         info < low < medium < high < critical\n"
        "      --color[=WHEN]     auto (a terminal and NO_COLOR unset), always or never;\n"
        "                         always also prints readably when piped\n"
        "      --once             exit at the end of the stream instead of reconnecting\n"
        "                         (exit 1 if the first connection fails)\n"
        "      --state FILE       keep the last alert seq in FILE (within a second, and at\n"
        "                         exit) and start after it: restarts of tail miss nothing\n"
        "                         (a crash may repeat up to a second of alerts)\n"
        "  -h, --help             this text\n";

enum color { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct endpoint {
	const char *text; /* as given, for messages */
	bool is_unix;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char host[256];
	char port[8];
};

struct tail {
	struct endpoint ep;
	bool once;
	bool pretty;    /* readable text, else lines as received */
	bool use_color; /* SGR in the readable text */
	char *wl_args[MAX_WATCHLISTS];
	size_t n_wl_args;
	const char *wl[MAX_WATCHLISTS]; /* pointers into wl_args */
	size_t n_wl;
	int min_sev; /* -1: no severity filter */
	/* the last alert seq seen (or a hello's last_seq before any): what a reconnect asks after */
	bool have_pos;
	uint64_t pos;
	const char *state;  /* --state FILE, or NULL */
	uint64_t state_pos; /* what FILE says */
	uint64_t state_ns;  /* when it was last written (CLOCK_MONOTONIC) */
	char *buf;          /* LINE_BYTES */
	size_t have;
	bool skipping; /* inside a line longer than the buffer */
	struct alert_line *line;
	sigset_t waitmask; /* the mask during waits: SIGINT and SIGTERM open */
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
print_usage(FILE *f, const char *default_socket)
{
	fputs(tail_usage, f);
	fprintf(f, "\ndefault socket: %s\n", default_socket);
}

static int
usage_error(const char *msg, const char *default_socket)
{
	if (msg != NULL) {
		fprintf(stderr, "feedwatch: %s\n", msg);
	}
	print_usage(stderr, default_socket);
	return EXIT_USAGE;
}

static int
sev_rank(const char *s)
{
	static const char *const levels[] = { "info", "low", "medium", "high", "critical" };
	int i;

	for (i = 0; i < (int)(sizeof(levels) / sizeof(levels[0])); i++) {
		if (strcmp(s, levels[i]) == 0) {
			return i;
		}
	}
	return -1;
}

static bool
parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0') {
		return false;
	}
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10) {
			return false;
		}
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

/* "host:port" or "[v6]:port" into <ep>; false if <s> is not of that form. */
static bool
split_host_port(const char *s, struct endpoint *ep)
{
	const char *host = s, *host_end, *colon;
	uint64_t port;
	size_t n;

	if (s[0] == '[') {
		host = s + 1;
		host_end = strchr(host, ']');
		if (host_end == NULL || host_end[1] != ':') {
			return false;
		}
		colon = host_end + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL) {
			return false; /* none, or an IPv6 address without brackets */
		}
		host_end = colon;
	}
	n = (size_t)(host_end - host);
	if (n == 0 || n >= sizeof(ep->host) || !parse_u64(colon + 1, &port) || port == 0 ||
	    port > 65535) {
		return false;
	}
	memcpy(ep->host, host, n);
	ep->host[n] = '\0';
	snprintf(ep->port, sizeof(ep->port), "%u", (unsigned)port);
	return true;
}

/*
 * --socket: unix:PATH, tcp://HOST:PORT, a path starting with '/' or '.', else
 * HOST:PORT if it is one, else a path.
 */
static const char *
parse_endpoint(const char *s, struct endpoint *ep)
{
	const char *path = s;

	memset(ep, 0, sizeof(*ep));
	ep->text = s;
	if (strncmp(s, "tcp://", 6) == 0) {
		return split_host_port(s + 6, ep) ? NULL : "--socket tcp:// needs HOST:PORT";
	}
	if (strncmp(s, "unix:", 5) == 0) {
		path = s + 5;
	} else if (s[0] != '/' && s[0] != '.' && split_host_port(s, ep)) {
		return NULL;
	}
	if (path[0] == '\0') {
		return "--socket needs a path or HOST:PORT";
	}
	if (strlen(path) >= sizeof(ep->path)) {
		return "--socket: the path is too long for a Unix socket";
	}
	ep->is_unix = true;
	strcpy(ep->path, path);
	return NULL;
}

/* --watchlist a,b: each name once, pointing into a copy kept in <t>. */
static const char *
add_watchlists(struct tail *t, const char *arg)
{
	char *copy, *tok, *save = NULL;
	size_t before = t->n_wl;

	if (t->n_wl_args == MAX_WATCHLISTS || (copy = strdup(arg)) == NULL) {
		return "too many --watchlist options";
	}
	t->wl_args[t->n_wl_args++] = copy;
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (t->n_wl == MAX_WATCHLISTS) {
			return "too many watchlist names";
		}
		t->wl[t->n_wl++] = tok;
	}
	return t->n_wl == before ? "--watchlist needs a name" : NULL;
}

/* <path>'s seq into *seq: 1, 0 when there is no such file, -1 when it holds something else. */
static int
state_read(const char *path, uint64_t *seq)
{
	char text[32] = "";
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL) {
		return errno == ENOENT ? 0 : -1;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	if (n > 0 && text[n - 1] == '\n') {
		text[n - 1] = '\0';
	}
	errno = 0;
	return parse_u64(text, seq) ? 1 : -1;
}

/*
 * Write the seq of the last alert out to --state FILE: at most once a second
 * unless <force>, and only after stdout has it, so the file never runs ahead
 * of what was written (write to a temporary name, then rename).
 */
static void
state_save(struct tail *t, bool force)
{
	char tmp[4200];
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	FILE *f;

	if (t->state == NULL || !t->have_pos || t->pos == t->state_pos ||
	    (!force && now - t->state_ns < 1000000000u)) {
		return;
	}
	fflush(stdout);
	snprintf(tmp, sizeof(tmp), "%s.tmp", t->state);
	f = fopen(tmp, "we");
	if (f == NULL || fprintf(f, "%llu\n", (unsigned long long)t->pos) < 0 || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0) {
		fprintf(stderr, "feedwatch: %s: %s\n", tmp, strerror(errno));
		if (f != NULL) {
			fclose(f);
		}
		t->state_ns = now;
		return;
	}
	fclose(f);
	if (rename(tmp, t->state) != 0) {
		fprintf(stderr, "feedwatch: %s: %s\n", t->state, strerror(errno));
	} else {
		t->state_pos = t->pos;
	}
	t->state_ns = now;
}

/* Wait for <events> on <fd> (or just <ms> if fd < 0); -1 on a stop signal or error. */
static int
wait_for(struct tail *t, int fd, short events, int ms)
{
	struct pollfd pfd = { fd, events, 0 };
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	int n;

	for (;;) {
		if (stop) {
			return -1;
		}
		n = ppoll(fd >= 0 ? &pfd : NULL, fd >= 0 ? 1 : 0, ms >= 0 ? &ts : NULL,
		          &t->waitmask);
		if (n >= 0) {
			return n;
		}
		if (errno != EINTR) {
			return -1;
		}
	}
}

/* A non-blocking connect that a stop signal or CONNECT_TIMEOUT_MS ends. */
static int
connect_addr(struct tail *t, int family, const struct sockaddr *sa, socklen_t len, int *err)
{
	socklen_t elen = sizeof(*err);
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, sa, len) == 0) {
		return fd;
	}
	*err = errno;
	if (*err == EINPROGRESS) {
		if (wait_for(t, fd, POLLOUT, CONNECT_TIMEOUT_MS) <= 0) {
			*err = stop ? EINTR : ETIMEDOUT;
		} else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &elen) != 0) {
			*err = errno;
		} else if (*err == 0) {
			return fd;
		}
	}
	close(fd);
	return -1;
}

/* One connection attempt; -1 with <why> filled if it failed. */
static int
connect_once(struct tail *t, char *why, size_t cap)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_un sun;
	int fd = -1, err = 0, rc;

	if (t->ep.is_unix) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		strcpy(sun.sun_path, t->ep.path);
		fd = connect_addr(t, AF_UNIX, (const struct sockaddr *)&sun, sizeof(sun), &err);
		if (fd < 0) {
			snprintf(why, cap, "%s", strerror(err));
		}
		return fd;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(t->ep.host, t->ep.port, &hints, &res);
	if (rc != 0) {
		snprintf(why, cap, "%s", gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0 && !stop; ai = ai->ai_next) {
		fd = connect_addr(t, ai->ai_family, ai->ai_addr, ai->ai_addrlen, &err);
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(why, cap, "%s", strerror(err));
	}
	return fd;
}

/*
 * Connect, retrying with a backoff from 100 ms to 2 s and one line on stderr
 * while it waits. -1 on a stop signal, or at the first failure with --once.
 */
static int
connect_retry(struct tail *t)
{
	int delay = BACKOFF_MIN_MS, fd;
	bool told = false;
	char why[160];

	for (;;) {
		if (stop) {
			return -1;
		}
		fd = connect_once(t, why, sizeof(why));
		if (fd >= 0) {
			if (told) {
				fprintf(stderr, "feedwatch: %s: connected\n", t->ep.text);
			}
			return fd;
		}
		if (t->once) {
			fprintf(stderr, "feedwatch: %s: %s\n", t->ep.text, why);
			return -1;
		}
		if (!told) {
			fprintf(stderr, "feedwatch: %s: %s; waiting for feedwatch (Ctrl-C stops)\n",
			        t->ep.text, why);
			told = true;
		}
		if (wait_for(t, -1, 0, delay) < 0) {
			return -1;
		}
		delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
	}
}

static bool
wanted(const struct tail *t, const struct alert_rec *r)
{
	int sev;
	size_t i;

	if (t->n_wl > 0) {
		for (i = 0; i < t->n_wl; i++) {
			if (strcmp(r->watchlist, t->wl[i]) == 0) {
				break;
			}
		}
		if (i == t->n_wl) {
			return false;
		}
	}
	/* a label this tail does not know is shown: hiding it would lose alerts silently */
	sev = sev_rank(r->severity);
	return t->min_sev < 0 || sev < 0 || sev >= t->min_sev;
}

static void
pass_through(const char *line, size_t len)
{
	fwrite(line, 1, len, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

static void
tell_gap(const struct alert_line *l)
{
	if (strcmp(l->reason, "slow") == 0) {
		fprintf(stderr,
		        "feedwatch: alerts %llu..%llu were skipped (slow reader); "
		        "`feedwatch tail --resume %llu` replays them\n",
		        (unsigned long long)l->from, (unsigned long long)l->to,
		        (unsigned long long)(l->from - 1));
	} else {
		fprintf(stderr, "feedwatch: alerts %llu..%llu are no longer in the journal (%s)\n",
		        (unsigned long long)l->from, (unsigned long long)l->to,
		        l->reason[0] != '\0' ? l->reason : "gap");
	}
}

static void
handle_line(struct tail *t, const char *line, size_t len)
{
	struct alert_line *l = t->line;

	switch (alert_text_parse_line(line, len, l)) {
	case ALERT_LINE_ALERT:
		if (t->have_pos && l->seq <= t->pos) {
			return; /* sent again after a reconnect race */
		}
		t->pos = l->seq;
		t->have_pos = true;
		if (!wanted(t, &l->rec)) {
			return;
		}
		if (!t->pretty) {
			pass_through(line, len);
			return;
		}
		alert_text_print_color(stdout, &l->rec, l->seq, l->latency_us, t->use_color);
		fflush(stdout);
		return;
	case ALERT_LINE_HELLO:
		if (!t->have_pos) {
			t->pos = l->last_seq;
			t->have_pos = true;
		} else if (l->last_seq < t->pos) {
			fprintf(stderr,
			        "feedwatch: the server's last alert is #%llu, before #%llu seen "
			        "here "
			        "(its journal was reset?); following it from there\n",
			        (unsigned long long)l->last_seq, (unsigned long long)t->pos);
			t->pos = l->last_seq;
		}
		if (t->pretty) {
			fprintf(stderr,
			        "feedwatch: connected to %s (feedwatch %s on %s, last alert "
			        "#%llu)\n",
			        t->ep.text, l->version, l->node, (unsigned long long)l->last_seq);
		}
		break;
	case ALERT_LINE_GAP:
		if (t->pretty) {
			tell_gap(l);
		}
		break;
	case ALERT_LINE_NOTICE:
		if (t->pretty && strcmp(l->type, "disconnect") == 0) {
			fprintf(stderr, "feedwatch: the server is closing the connection: %s\n",
			        l->message);
		} else if (t->pretty) {
			fprintf(stderr, "feedwatch: the server says: %s: %s\n", l->type,
			        l->message);
		}
		break;
	case ALERT_LINE_OTHER:
		if (t->pretty) {
			fprintf(stderr, "feedwatch: not an alert stream line (%zu bytes) skipped\n",
			        len);
		}
		break;
	}
	if (!t->pretty) {
		pass_through(line, len);
	}
}

/* Whole lines from <fd> until the end of the stream, an error or a stop signal. */
static void
read_stream(struct tail *t, int fd)
{
	t->have = 0;
	t->skipping = false;
	for (;;) {
		size_t start = 0, scan = t->have;
		const char *nl;
		ssize_t n;

		int ready = wait_for(
		        t, fd, POLLIN,
		        t->state != NULL && t->have_pos && t->pos != t->state_pos ? 1000 : -1);

		if (ready < 0) {
			return;
		}
		state_save(t, false);
		if (ready == 0) {
			continue;
		}
		n = read(fd, t->buf + t->have, LINE_BYTES - t->have);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			continue;
		}
		if (n <= 0) {
			return; /* a partial last line is not a line: dropped */
		}
		t->have += (size_t)n;
		while ((nl = memchr(t->buf + scan, '\n', t->have - scan)) != NULL) {
			size_t end = (size_t)(nl - t->buf);

			if (t->skipping) {
				t->skipping = false;
			} else {
				handle_line(t, t->buf + start, end - start);
			}
			start = scan = end + 1;
		}
		t->have -= start;
		memmove(t->buf, t->buf + start, t->have);
		if (t->have == LINE_BYTES) {
			if (!t->skipping) {
				fprintf(stderr,
				        "feedwatch: a line longer than %u bytes was skipped\n",
				        LINE_BYTES);
			}
			t->skipping = true;
			t->have = 0;
		}
	}
}

/* {"resume_after":N}: the server sends N+1 onward, then goes live. */
static bool
send_resume(int fd, uint64_t after)
{
	char req[48];
	int n = snprintf(req, sizeof(req), "{\"resume_after\":%llu}\n", (unsigned long long)after);

	return send(fd, req, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n;
}

static int
run(struct tail *t)
{
	bool connected = false;
	int fd;

	for (;;) {
		fd = connect_retry(t);
		if (fd < 0) {
			return stop || connected ? 0 : 1;
		}
		connected = true;
		if (!t->have_pos || send_resume(fd, t->pos)) {
			read_stream(t, fd);
		}
		close(fd);
		if (stop || t->once) {
			return 0;
		}
		/* a server that accepts and closes at once must not make this spin */
		if (wait_for(t, -1, 0, BACKOFF_MIN_MS) < 0) {
			return 0;
		}
	}
}

int
tail_main(int argc, char **argv, const char *default_socket)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "resume", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "text", no_argument, NULL, 't' },
		{ "watchlist", required_argument, NULL, 'w' },
		{ "severity", required_argument, NULL, 'S' },
		{ "color", optional_argument, NULL, 'C' },
		{ "colour", optional_argument, NULL, 'C' },
		{ "once", no_argument, NULL, 'O' },
		{ "state", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa, old_int, old_term;
	const char *socket_arg = default_socket, *err = NULL, *no_color;
	enum color color = COLOR_AUTO;
	bool json = false, text = false, tty;
	sigset_t block, orig;
	struct tail t;
	int c, rc = EXIT_USAGE;

	memset(&t, 0, sizeof(t));
	t.min_sev = -1;
	while (err == NULL && (c = getopt_long(argc, argv, "s:r:jtw:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			socket_arg = optarg;
			break;
		case 'r':
			if (!parse_u64(optarg, &t.pos)) {
				err = "--resume needs a sequence number";
			}
			t.have_pos = true;
			break;
		case 'j':
			json = true;
			break;
		case 't':
			text = true;
			break;
		case 'w':
			err = add_watchlists(&t, optarg);
			break;
		case 'S':
			t.min_sev = sev_rank(optarg);
			if (t.min_sev < 0) {
				err = "--severity is one of info, low, medium, high, critical";
			}
			break;
		case 'C':
			if (optarg == NULL || strcmp(optarg, "always") == 0) {
				color = COLOR_ALWAYS;
			} else if (strcmp(optarg, "never") == 0) {
				color = COLOR_NEVER;
			} else if (strcmp(optarg, "auto") == 0) {
				color = COLOR_AUTO;
			} else {
				err = "--color is auto, always or never";
			}
			break;
		case 'O':
			t.once = true;
			break;
		case 'T':
			t.state = optarg;
			break;
		case 'h':
			print_usage(stdout, default_socket);
			rc = 0;
			goto fail;
		default:
			rc = usage_error(NULL, default_socket);
			goto fail;
		}
	}
	if (err == NULL && optind < argc) {
		err = "tail takes no arguments";
	}
	if (err == NULL && json && text) {
		err = "give --json or --text, not both";
	}
	if (err == NULL) {
		err = parse_endpoint(socket_arg, &t.ep);
	}
	if (err != NULL) {
		rc = usage_error(err, default_socket);
		goto fail;
	}
	if (t.state != NULL) {
		int got = state_read(t.state, &t.state_pos);

		if (got < 0) {
			fprintf(stderr, "feedwatch: %s: not a state file of feedwatch tail (%s)\n",
			        t.state, errno != 0 ? strerror(errno) : "no sequence number");
			rc = 1;
			goto fail;
		}
		if (got > 0 && !t.have_pos) {
			t.pos = t.state_pos; /* --resume wins over the file */
			t.have_pos = true;
		}
	}
	tty = isatty(STDOUT_FILENO) == 1;
	no_color = getenv("NO_COLOR");
	t.pretty = !json && (tty || text || color == COLOR_ALWAYS);
	t.use_color = t.pretty &&
	              (color == COLOR_ALWAYS ||
	               (color == COLOR_AUTO && tty && (no_color == NULL || *no_color == '\0')));
	t.buf = malloc(LINE_BYTES);
	t.line = malloc(sizeof(*t.line));
	if (t.buf == NULL || t.line == NULL) {
		fprintf(stderr, "feedwatch: out of memory\n");
		rc = 1;
		goto fail;
	}

	/* SIGINT/SIGTERM end the waits (ppoll opens them) and nothing else */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	t.waitmask = orig;
	sigdelset(&t.waitmask, SIGINT);
	sigdelset(&t.waitmask, SIGTERM);
	stop = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = run(&t);
	state_save(&t, true);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigprocmask(SIG_SETMASK, &orig, NULL);
fail:
	free(t.line);
	free(t.buf);
	while (t.n_wl_args > 0) {
		free(t.wl_args[--t.n_wl_args]);
	}
	return rc;
}
