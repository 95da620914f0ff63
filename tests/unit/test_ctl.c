#include "ctl/ctl.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"

/* ---- rig: a scratch folder, a server thread and raw clients ---- */

static char dir[64];
static char sock[96];

struct rig {
	struct ctl_server *s;
	pthread_t th;
	int stop;
	int handled;
	int poll_failed; /* CUnit is not thread-safe: the server thread only records */
};

static uint64_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The commands the tests speak; anything else is "unknown", as the real handler says. */
static int
handler(void *arg, const char *cmd, struct ctl_reply *r)
{
	int i;

	(void)arg;
	if (strncmp(cmd, "echo ", 5) == 0) {
		ctl_reply_printf(r, "%s\n", cmd + 5);
		return 0;
	}
	if (strcmp(cmd, "multi") == 0) {
		ctl_reply_printf(r, "line one\n.ok\n");
		ctl_reply_printf(r, "..two dots\n.\n");
		ctl_reply_printf(r, ".error 3\nlast");
		ctl_reply_printf(r, " line\n");
		return 0;
	}
	if (strcmp(cmd, "noeol") == 0) {
		ctl_reply_printf(r, "abc");
		return 0;
	}
	if (strcmp(cmd, "fail") == 0) {
		ctl_reply_printf(r, "boom\n");
		return 1;
	}
	if (strncmp(cmd, "status ", 7) == 0) {
		return atoi(cmd + 7);
	}
	if (strcmp(cmd, "big") == 0) {
		/* 2 MiB of text: more than a reply may hold */
		for (i = 0; i < 32768; i++) {
			if (ctl_reply_printf(r, "%063d\n", i) < 0) {
				break;
			}
		}
		return 0;
	}
	if (strcmp(cmd, "huge-line") == 0) {
		char *s = malloc(100000);

		memset(s, 'h', 99999);
		s[99999] = '\0';
		ctl_reply_printf(r, "%s\n", s);
		free(s);
		return 0;
	}
	ctl_reply_printf(r, "unknown command: %s\n", cmd);
	return 1;
}

static void *
server_main(void *arg)
{
	struct rig *g = arg;

	while (!__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE)) {
		int n = ctl_poll(g->s, 20, handler, NULL);

		if (n < 0) {
			__atomic_store_n(&g->poll_failed, 1, __ATOMIC_RELAXED);
		}
		if (n > 0) {
			__atomic_add_fetch(&g->handled, n, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void
scratch(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fw_ctl_XXXXXX");
	CU_ASSERT_FATAL(guard_mkdtemp(dir) == 0);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
}

static void
rig_start(struct rig *g, int idle_ms)
{
	char *err = NULL;

	memset(g, 0, sizeof(*g));
	scratch();
	g->s = ctl_open(sock, 0600, NULL, &err);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_FATAL(g->s != NULL);
	if (idle_ms > 0) {
		ctl_set_idle_timeout(g->s, idle_ms);
	}
	CU_ASSERT_FATAL(pthread_create(&g->th, NULL, server_main, g) == 0);
}

static void
rig_stop(struct rig *g)
{
	__atomic_store_n(&g->stop, 1, __ATOMIC_RELEASE);
	pthread_join(g->th, NULL);
	CU_ASSERT_EQUAL(g->poll_failed, 0);
	ctl_close(g->s);
	guard_rmtree(dir);
}

/* ctl_request() into a heap string; returns the status. */
static int
request(const char *cmd, char **text, char **err)
{
	size_t len = 0;
	FILE *out = open_memstream(text, &len);
	int rc;

	rc = ctl_request(sock, cmd, out, 5000, err);
	fclose(out);
	return rc;
}

static int
raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	CU_ASSERT_FATAL(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	CU_ASSERT_FATAL(connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0);
	return fd;
}

static void
raw_send(int fd, const char *s, size_t n)
{
	CU_ASSERT_FATAL(send(fd, s, n, MSG_NOSIGNAL) == (ssize_t)n);
}

/* Whether buf holds a complete reply: its last line is a status line. */
static bool
has_status(const char *buf, size_t len)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			if (i > start && buf[start] == '.' && buf[start + 1] != '.') {
				return true;
			}
			start = i + 1;
		}
	}
	return false;
}

/*
 * Reads into buf (NUL-terminated) until a status line arrives (<until_eof> false) or the
 * peer closes (true), or <timeout_ms> passes. Returns the length; *eof tells whether the
 * peer closed.
 */
static size_t
raw_read(int fd, char *buf, size_t cap, bool until_eof, int timeout_ms, bool *eof)
{
	uint64_t end = ms_now() + (uint64_t)timeout_ms;
	size_t len = 0;

	*eof = false;
	while (len + 1 < cap) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = ms_now();
		ssize_t n;

		if (!until_eof && has_status(buf, len)) {
			break;
		}
		if (now >= end || poll(&pfd, 1, (int)(end - now)) <= 0) {
			break;
		}
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n <= 0) {
			*eof = true;
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
	}
	buf[len] = '\0';
	return len;
}

/* ---- request / reply ---- */

static void
test_ctl_request_gets_reply_and_ok(void)
{
	struct rig g;
	char *text = NULL, *err = NULL;

	rig_start(&g, 0);
	CU_ASSERT_EQUAL(request("echo hello world", &text, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_STRING_EQUAL(text, "hello world\n");
	free(text);
	rig_stop(&g);
	CU_ASSERT_EQUAL(g.handled, 1);
}

static void
test_ctl_multi_line_reply_survives_dot_lines(void)
{
	struct rig g;
	char *text = NULL, *err = NULL;

	rig_start(&g, 0);
	CU_ASSERT_EQUAL(request("multi", &text, &err), 0);
	CU_ASSERT_STRING_EQUAL(text, "line one\n.ok\n..two dots\n.\n.error 3\nlast line\n");
	free(text);
	rig_stop(&g);
}

static void
test_ctl_wire_format_is_dot_stuffed(void)
{
	struct rig g;
	char buf[512];
	bool eof;
	int fd;

	rig_start(&g, 0);
	fd = raw_connect();
	raw_send(fd, "multi\n", 6);
	raw_read(fd, buf, sizeof(buf), false, 2000, &eof);
	CU_ASSERT_STRING_EQUAL(buf, "line one\n..ok\n...two dots\n..\n..error 3\nlast line\n.ok\n");
	raw_send(fd, "fail\r\n", 6);
	raw_read(fd, buf, sizeof(buf), false, 2000, &eof);
	CU_ASSERT_STRING_EQUAL(buf, "boom\n.error 1\n");
	close(fd);
	rig_stop(&g);
}

static void
test_ctl_reply_without_newline_gets_one(void)
{
	struct rig g;
	char *text = NULL, *err = NULL;

	rig_start(&g, 0);
	CU_ASSERT_EQUAL(request("noeol", &text, &err), 0);
	CU_ASSERT_STRING_EQUAL(text, "abc\n");
	free(text);
	rig_stop(&g);
}

static void
test_ctl_failure_status_reaches_client(void)
{
	struct rig g;
	char *text = NULL, *err = NULL;

	rig_start(&g, 0);
	CU_ASSERT_EQUAL(request("fail", &text, &err), 1);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_STRING_EQUAL(text, "boom\n");
	free(text);
	text = NULL;
	CU_ASSERT_EQUAL(request("status 7", &text, &err), 7);
	CU_ASSERT_STRING_EQUAL(text, "");
	free(text);
	text = NULL;
	/* out of range statuses still mean failure */
	CU_ASSERT_EQUAL(request("status -4", &text, &err), 1);
	free(text);
	rig_stop(&g);
}

static void
test_ctl_unknown_command_is_the_handlers_call(void)
{
	struct rig g;
	char *text = NULL, *err = NULL;

	rig_start(&g, 0);
	CU_ASSERT_EQUAL(request("frobnicate --now", &text, &err), 1);
	CU_ASSERT_STRING_EQUAL(text, "unknown command: frobnicate --now\n");
	free(text);
	rig_stop(&g);
}

static void
test_ctl_requests_on_one_connection_answer_in_order(void)
{
	static const char want[] = "a\n.ok\nb\n.ok\nboom\n.error 1\nc\n.ok\n";
	struct rig g;
	char buf[512];
	size_t len = 0;
	bool eof;
	int fd;

	rig_start(&g, 0);
	fd = raw_connect();
	/* blank lines are skipped; all four requests in one write */
	raw_send(fd, "echo a\n\necho b\nfail\r\necho c\n", 29);
	while (len < strlen(want)) {
		size_t n = raw_read(fd, buf + len, sizeof(buf) - len, false, 2000, &eof);

		if (n == 0) {
			break;
		}
		len += n;
	}
	CU_ASSERT_STRING_EQUAL(buf, want);
	close(fd);
	rig_stop(&g);
}

static void
test_ctl_half_closed_client_gets_last_line_answered(void)
{
	struct rig g;
	char buf[256];
	bool eof;
	int fd;

	rig_start(&g, 0);
	fd = raw_connect();
	/* `printf 'echo z' | socat - UNIX:path` sends no newline, then shuts down writing */
	raw_send(fd, "echo z", 6);
	shutdown(fd, SHUT_WR);
	raw_read(fd, buf, sizeof(buf), true, 2000, &eof);
	CU_ASSERT(eof);
	CU_ASSERT_STRING_EQUAL(buf, "z\n.ok\n");
	close(fd);
	rig_stop(&g);
}

static void
test_ctl_nul_byte_in_request_is_rejected(void)
{
	struct rig g;
	char buf[256];
	bool eof;
	int fd;

	rig_start(&g, 0);
	fd = raw_connect();
	raw_send(fd, "echo a\0b\n", 9);
	raw_read(fd, buf, sizeof(buf), false, 2000, &eof);
	CU_ASSERT_STRING_EQUAL(buf, "error: the request holds a NUL byte\n.error 1\n");
	close(fd);
	rig_stop(&g);
	CU_ASSERT_EQUAL(g.handled, 1);
}

/* ---- several clients, slow clients, limits ---- */

static void
test_ctl_two_clients_at_once(void)
{
	struct rig g;
	char buf[256];
	bool eof;
	int a, b;

	rig_start(&g, 0);
	a = raw_connect();
	b = raw_connect();
	raw_send(a, "echo fr", 7); /* A is mid-line while B asks and is answered */
	raw_send(b, "echo from b\n", 12);
	raw_read(b, buf, sizeof(buf), false, 2000, &eof);
	CU_ASSERT_STRING_EQUAL(buf, "from b\n.ok\n");
	raw_send(a, "om a\n", 5);
	raw_read(a, buf, sizeof(buf), false, 2000, &eof);
	CU_ASSERT_STRING_EQUAL(buf, "from a\n.ok\n");
	close(a);
	close(b);
	rig_stop(&g);
}

static void
test_ctl_silent_client_does_not_block_others_and_is_dropped(void)
{
	struct rig g;
	char *text = NULL, *err = NULL;
	uint64_t t0;
	char buf[64];
	bool eof;
	int quiet, partial;

	rig_start(&g, 300);
	quiet = raw_connect();
	partial = raw_connect();
	raw_send(partial, "echo never fin", 14);
	t0 = ms_now();
	CU_ASSERT_EQUAL(request("echo still served", &text, &err), 0);
	CU_ASSERT(ms_now() - t0 < 250);
	CU_ASSERT_STRING_EQUAL(text, "still served\n");
	free(text);
	/* both are hung up on after the idle timeout, without a reply */
	CU_ASSERT_EQUAL(raw_read(quiet, buf, sizeof(buf), true, 3000, &eof), 0);
	CU_ASSERT(eof);
	CU_ASSERT_EQUAL(raw_read(partial, buf, sizeof(buf), true, 3000, &eof), 0);
	CU_ASSERT(eof);
	CU_ASSERT(ms_now() - t0 >= 250);
	close(quiet);
	close(partial);
	rig_stop(&g);
}

static void
test_ctl_oversized_line_is_rejected_and_closed(void)
{
	struct rig g;
	char big[5000], buf[256];
	bool eof;
	int fd;

	rig_start(&g, 0);
	memset(big, 'a', sizeof(big));
	fd = raw_connect();
	raw_send(fd, big, sizeof(big));
	raw_read(fd, buf, sizeof(buf), true, 2000, &eof);
	CU_ASSERT(eof);
	CU_ASSERT_STRING_EQUAL(buf, "error: request line longer than 4096 bytes\n.error 1\n");
	close(fd);
	rig_stop(&g);
	CU_ASSERT_EQUAL(g.handled, 0);
}

static void
test_ctl_longest_line_is_accepted(void)
{
	struct rig g;
	char cmd[CTL_LINE_MAX + 1], *text = NULL, *err = NULL;

	rig_start(&g, 0);
	/* CTL_LINE_MAX - 1 characters plus the newline fill the line buffer exactly */
	memcpy(cmd, "echo ", 5);
	memset(cmd + 5, 'x', CTL_LINE_MAX - 1 - 5);
	cmd[CTL_LINE_MAX - 1] = '\0';
	CU_ASSERT_EQUAL(request(cmd, &text, &err), 0);
	CU_ASSERT(text != NULL && strlen(text) == CTL_LINE_MAX - 5);
	free(text);
	text = NULL;
	/* one more character is refused by the client before sending */
	cmd[CTL_LINE_MAX - 1] = 'x';
	cmd[CTL_LINE_MAX] = '\0';
	CU_ASSERT_EQUAL(request(cmd, &text, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(err);
	free(err);
	free(text);
	rig_stop(&g);
}

static void
test_ctl_client_refuses_multi_line_or_empty_command(void)
{
	char *text = NULL, *err = NULL;

	scratch();
	CU_ASSERT_EQUAL(request("reload\nstats", &text, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(err);
	free(err);
	err = NULL;
	free(text);
	text = NULL;
	CU_ASSERT_EQUAL(request("", &text, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(err);
	free(err);
	free(text);
	guard_rmtree(dir);
}

static void
test_ctl_too_many_clients_are_turned_away(void)
{
	struct rig g;
	int fds[CTL_MAX_CLIENTS], extra, i;
	char buf[256], *text = NULL, *err = NULL;
	bool eof;

	rig_start(&g, 0);
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		fds[i] = raw_connect();
	}
	/* the server has them all once each one has been answered */
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		raw_send(fds[i], "echo x\n", 7);
		raw_read(fds[i], buf, sizeof(buf), false, 2000, &eof);
		CU_ASSERT_STRING_EQUAL(buf, "x\n.ok\n");
	}
	extra = raw_connect();
	raw_read(extra, buf, sizeof(buf), true, 2000, &eof);
	CU_ASSERT(eof);
	CU_ASSERT_STRING_EQUAL(buf, "error: too many control clients\n.error 1\n");
	close(extra);
	/* a freed slot serves again, once the server has seen the hang-up */
	close(fds[0]);
	usleep(100000);
	CU_ASSERT_EQUAL(request("echo back", &text, &err), 0);
	CU_ASSERT_STRING_EQUAL(text, "back\n");
	free(text);
	for (i = 1; i < CTL_MAX_CLIENTS; i++) {
		close(fds[i]);
	}
	rig_stop(&g);
}

static void
test_ctl_reply_is_cut_at_the_limit(void)
{
	struct rig g;
	char *text = NULL, *err = NULL;
	size_t len;

	rig_start(&g, 0);
	CU_ASSERT_EQUAL(request("big", &text, &err), 0);
	CU_ASSERT_FATAL(text != NULL);
	len = strlen(text);
	CU_ASSERT(len <= CTL_REPLY_MAX + 64);
	CU_ASSERT(len >= CTL_REPLY_MAX - 64);
	CU_ASSERT(strncmp(text, "000000", 6) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "(reply cut at 1048576 bytes)\n"));
	free(text);
	text = NULL;
	/* a line longer than the printf scratch buffer arrives whole */
	CU_ASSERT_EQUAL(request("huge-line", &text, &err), 0);
	CU_ASSERT(text != NULL && strlen(text) == 100000 && text[99998] == 'h');
	free(text);
	rig_stop(&g);
}

static void
test_ctl_client_not_reading_does_not_block_others(void)
{
	struct rig g;
	char *text = NULL, *err = NULL;
	uint64_t t0;
	int fd;

	rig_start(&g, 0);
	fd = raw_connect();
	/* a 1 MiB reply that nobody reads fills the socket buffers */
	raw_send(fd, "big\n", 4);
	usleep(100000);
	t0 = ms_now();
	CU_ASSERT_EQUAL(request("echo still here", &text, &err), 0);
	CU_ASSERT(ms_now() - t0 < 500);
	CU_ASSERT_STRING_EQUAL(text, "still here\n");
	free(text);
	close(fd);
	rig_stop(&g);
}

static void
test_ctl_poll_waits_at_most_its_timeout(void)
{
	struct ctl_server *s;
	char *err = NULL;
	uint64_t t0, dt;
	int fd;

	scratch();
	s = ctl_open(sock, 0600, NULL, &err);
	CU_ASSERT_FATAL(s != NULL);
	t0 = ms_now();
	CU_ASSERT_EQUAL(ctl_poll(s, 0, handler, NULL), 0);
	CU_ASSERT(ms_now() - t0 < 50);
	t0 = ms_now();
	CU_ASSERT_EQUAL(ctl_poll(s, 150, handler, NULL), 0);
	dt = ms_now() - t0;
	CU_ASSERT(dt >= 140 && dt < 400);
	/* a connected client that says nothing does not stretch the wait */
	fd = raw_connect();
	t0 = ms_now();
	CU_ASSERT_EQUAL(ctl_poll(s, 150, handler, NULL), 0);
	dt = ms_now() - t0;
	CU_ASSERT(dt >= 140 && dt < 400);
	CU_ASSERT_EQUAL(ctl_clients(s), 1);
	/* a complete request returns at once with the count */
	raw_send(fd, "echo hi\n", 8);
	t0 = ms_now();
	CU_ASSERT_EQUAL(ctl_poll(s, 2000, handler, NULL), 1);
	CU_ASSERT(ms_now() - t0 < 500);
	close(fd);
	ctl_close(s);
	guard_rmtree(dir);
}

static void
test_ctl_client_times_out_on_silent_server(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *text = NULL, *err = NULL;
	size_t len = 0;
	FILE *out;
	uint64_t t0;
	int fd;

	scratch();
	/* listens, never answers */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	CU_ASSERT_FATAL(bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0);
	CU_ASSERT_FATAL(listen(fd, 4) == 0);
	out = open_memstream(&text, &len);
	t0 = ms_now();
	CU_ASSERT_EQUAL(ctl_request(sock, "reload", out, 200, &err), -1);
	CU_ASSERT(ms_now() - t0 < 1000);
	CU_ASSERT(err != NULL && strstr(err, "within 200 ms") != NULL);
	fclose(out);
	free(text);
	free(err);
	close(fd);
	guard_rmtree(dir);
}

/* ---- the socket file ---- */

static void
test_ctl_stale_socket_file_is_replaced(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_server *s;
	char *text = NULL, *err = NULL;
	int fd;

	scratch();
	/* a socket file left by a process that died */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	CU_ASSERT_FATAL(bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);
	s = ctl_open(sock, 0600, NULL, &err);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT(ctl_fd(s) >= 0);
	fd = raw_connect();
	raw_send(fd, "echo x\n", 7);
	CU_ASSERT_EQUAL(ctl_poll(s, 2000, handler, NULL), 1);
	close(fd);
	ctl_close(s);
	free(text);
	guard_rmtree(dir);
}

static void
test_ctl_live_socket_is_refused(void)
{
	struct ctl_server *a, *b;
	char *err = NULL;
	struct stat st;

	scratch();
	a = ctl_open(sock, 0600, NULL, &err);
	CU_ASSERT_FATAL(a != NULL);
	b = ctl_open(sock, 0600, NULL, &err);
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT(err != NULL && strstr(err, "already in use") != NULL);
	free(err);
	/* the running one keeps its socket */
	CU_ASSERT_EQUAL(stat(sock, &st), 0);
	ctl_close(b);
	ctl_close(a);
	CU_ASSERT(stat(sock, &st) != 0 && errno == ENOENT);
	guard_rmtree(dir);
}

static void
test_ctl_non_socket_file_is_refused(void)
{
	char *err = NULL;
	FILE *f;

	scratch();
	f = fopen(sock, "w");
	CU_ASSERT_FATAL(f != NULL);
	fclose(f);
	CU_ASSERT_PTR_NULL(ctl_open(sock, 0600, NULL, &err));
	CU_ASSERT(err != NULL && strstr(err, "not a socket") != NULL);
	free(err);
	err = NULL;
	CU_ASSERT_PTR_NULL(ctl_open("", 0600, NULL, &err));
	CU_ASSERT_PTR_NOT_NULL(err);
	free(err);
	guard_rmtree(dir);
}

static void
test_ctl_mode_and_group_are_applied(void)
{
	const struct group *gr = getgrgid(getgid());
	struct ctl_server *s;
	char *err = NULL;
	struct stat st;
	mode_t old = umask(0077);

	scratch();
	/* 0660 despite a umask that would strip the group bits */
	s = ctl_open(sock, 0660, gr != NULL ? gr->gr_name : NULL, &err);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(stat(sock, &st), 0);
	CU_ASSERT(S_ISSOCK(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0660);
	CU_ASSERT_EQUAL(st.st_gid, getgid());
	ctl_close(s);
	s = ctl_open(sock, 0600, NULL, &err);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(stat(sock, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	ctl_close(s);
	umask(old);
	guard_rmtree(dir);
}

static void
test_ctl_unknown_group_is_an_error(void)
{
	char *err = NULL;
	struct stat st;

	scratch();
	CU_ASSERT_PTR_NULL(ctl_open(sock, 0660, "no-such-group-feedwatch", &err));
	CU_ASSERT(err != NULL && strstr(err, "no-such-group-feedwatch") != NULL);
	CU_ASSERT(stat(sock, &st) != 0);
	free(err);
	guard_rmtree(dir);
}

static void
test_ctl_client_error_names_path_when_no_server(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *text = NULL, *err = NULL;
	int fd;

	scratch();
	CU_ASSERT_EQUAL(request("reload", &text, &err), -1);
	CU_ASSERT(err != NULL && strstr(err, sock) != NULL);
	CU_ASSERT(err != NULL && strstr(err, "running") != NULL);
	free(err);
	err = NULL;
	free(text);
	text = NULL;
	/* a stale socket: refused */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	CU_ASSERT_FATAL(bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);
	CU_ASSERT_EQUAL(request("reload", &text, &err), -1);
	CU_ASSERT(err != NULL && strstr(err, "not running") != NULL);
	free(err);
	free(text);
	guard_rmtree(dir);
}

static void
test_ctl_close_removes_socket_and_accepts_null(void)
{
	struct ctl_server *s;
	char *err = NULL;
	struct stat st;

	scratch();
	s = ctl_open(sock, 0600, NULL, &err);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(stat(sock, &st), 0);
	ctl_close(s);
	CU_ASSERT(stat(sock, &st) != 0 && errno == ENOENT);
	ctl_close(NULL);
	guard_rmtree(dir);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("ctl", NULL, NULL);
	CU_add_test(s, "request gets reply and ok", test_ctl_request_gets_reply_and_ok);
	CU_add_test(s, "multi-line reply survives dot lines",
	            test_ctl_multi_line_reply_survives_dot_lines);
	CU_add_test(s, "wire format is dot-stuffed", test_ctl_wire_format_is_dot_stuffed);
	CU_add_test(s, "reply without newline gets one", test_ctl_reply_without_newline_gets_one);
	CU_add_test(s, "failure status reaches client", test_ctl_failure_status_reaches_client);
	CU_add_test(s, "unknown command is the handler's call",
	            test_ctl_unknown_command_is_the_handlers_call);
	CU_add_test(s, "requests on one connection answer in order",
	            test_ctl_requests_on_one_connection_answer_in_order);
	CU_add_test(s, "half-closed client gets last line answered",
	            test_ctl_half_closed_client_gets_last_line_answered);
	CU_add_test(s, "NUL byte in request is rejected", test_ctl_nul_byte_in_request_is_rejected);
	CU_add_test(s, "two clients at once", test_ctl_two_clients_at_once);
	CU_add_test(s, "silent client does not block others and is dropped",
	            test_ctl_silent_client_does_not_block_others_and_is_dropped);
	CU_add_test(s, "oversized line is rejected and closed",
	            test_ctl_oversized_line_is_rejected_and_closed);
	CU_add_test(s, "longest line is accepted", test_ctl_longest_line_is_accepted);
	CU_add_test(s, "client refuses multi-line or empty command",
	            test_ctl_client_refuses_multi_line_or_empty_command);
	CU_add_test(s, "too many clients are turned away",
	            test_ctl_too_many_clients_are_turned_away);
	CU_add_test(s, "reply is cut at the limit", test_ctl_reply_is_cut_at_the_limit);
	CU_add_test(s, "client not reading does not block others",
	            test_ctl_client_not_reading_does_not_block_others);
	CU_add_test(s, "poll waits at most its timeout", test_ctl_poll_waits_at_most_its_timeout);
	CU_add_test(s, "client times out on silent server",
	            test_ctl_client_times_out_on_silent_server);
	CU_add_test(s, "stale socket file is replaced", test_ctl_stale_socket_file_is_replaced);
	CU_add_test(s, "live socket is refused", test_ctl_live_socket_is_refused);
	CU_add_test(s, "non-socket file is refused", test_ctl_non_socket_file_is_refused);
	CU_add_test(s, "mode and group are applied", test_ctl_mode_and_group_are_applied);
	CU_add_test(s, "unknown group is an error", test_ctl_unknown_group_is_an_error);
	CU_add_test(s, "client error names path when no server",
	            test_ctl_client_error_names_path_when_no_server);
	CU_add_test(s, "close removes socket and accepts NULL",
	            test_ctl_close_removes_socket_and_accepts_null);
	return guard_run_tests();
}
