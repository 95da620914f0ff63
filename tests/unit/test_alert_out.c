#include "alert/alert_out.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "guard.h"

static char dir[] = "/tmp/fw_test_out_XXXXXX";
static char sock_path[256], journal_path[256];

static int
client(void)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, sock_path);
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	return fd;
}

/* Everything <fd> has to read right now (non-blocking), up to <cap>. */
static size_t
drain(int fd, char *buf, size_t cap)
{
	size_t have = 0;
	ssize_t n;

	while (have < cap && (n = recv(fd, buf + have, cap - have, MSG_DONTWAIT)) > 0) {
		have += (size_t)n;
	}
	return have;
}

static struct alert_out *
open_out(uint32_t max_clients, uint32_t buffer, struct counters *c)
{
	struct alert_out_conf conf = { sock_path, journal_path, max_clients, buffer };
	char *err = NULL;
	struct alert_out *o;

	memset(c, 0, sizeof(*c));
	unlink(journal_path);
	o = alert_out_open(&conf, c, &err);
	if (o == NULL) {
		fprintf(stderr, "%s\n", err);
	}
	free(err);
	return o;
}

static void
test_alert_out_every_client_and_the_journal_get_every_line(void)
{
	struct counters c;
	struct alert_out *o = open_out(4, 65536, &c);
	int a, b;
	char buf[256];
	FILE *j;
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	a = client();
	b = client();
	alert_out_poll(o, 10);
	CU_ASSERT_EQUAL(alert_out_clients(o), 2);
	alert_out_line(o, "{\"seq\":1}\n", 10);
	alert_out_line(o, "{\"seq\":2}\n", 10);
	alert_out_poll(o, 0);
	n = drain(a, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, 20);
	CU_ASSERT_NSTRING_EQUAL(buf, "{\"seq\":1}\n{\"seq\":2}\n", 20);
	CU_ASSERT_EQUAL(drain(b, buf, sizeof(buf)), 20);
	alert_out_close(o, 100);
	j = fopen(journal_path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	n = fread(buf, 1, sizeof(buf), j);
	fclose(j);
	CU_ASSERT_EQUAL(n, 20);
	CU_ASSERT_EQUAL(c.v[CNT_alert_clients_accepted], 2);
	/* the socket is gone after close, and clients see EOF */
	CU_ASSERT_EQUAL(access(sock_path, F_OK), -1);
	CU_ASSERT_EQUAL(recv(a, buf, sizeof(buf), 0), 0);
	close(a);
	close(b);
}

static void
test_alert_out_cuts_off_a_reader_that_falls_behind(void)
{
	struct counters c;
	struct alert_out *o = open_out(4, 65536, &c);
	char line[1000];
	char *buf = malloc(4 << 20);
	int slow, fast, i;
	size_t got = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	slow = client();
	fast = client();
	/* a small receive buffer so the kernel cannot absorb the difference */
	i = 4096;
	setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &i, sizeof(i));
	alert_out_poll(o, 10);
	for (i = 0; i < 2000; i++) {
		alert_out_line(o, line, sizeof(line));
		got += drain(fast, buf, 4 << 20);
	}
	alert_out_poll(o, 0);
	got += drain(fast, buf, 4 << 20);
	CU_ASSERT_EQUAL(got, 2000 * sizeof(line));
	CU_ASSERT_EQUAL(c.v[CNT_alert_clients_slow], 1);
	CU_ASSERT_EQUAL(alert_out_clients(o), 1);
	alert_out_close(o, 100);
	close(slow);
	close(fast);
	free(buf);
}

static void
test_alert_out_refuses_clients_beyond_the_limit(void)
{
	struct counters c;
	struct alert_out *o = open_out(1, 65536, &c);
	int a, b;
	char buf[16];

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	a = client();
	b = client();
	alert_out_poll(o, 10);
	CU_ASSERT_EQUAL(alert_out_clients(o), 1);
	CU_ASSERT_EQUAL(c.v[CNT_alert_clients_refused], 1);
	CU_ASSERT_EQUAL(recv(b, buf, sizeof(buf), 0), 0); /* closed at once */
	alert_out_close(o, 0);
	close(a);
	close(b);
}

static void
test_alert_out_notices_a_client_that_left(void)
{
	struct counters c;
	struct alert_out *o = open_out(2, 65536, &c);
	int a;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	a = client();
	alert_out_poll(o, 10);
	CU_ASSERT_EQUAL(alert_out_clients(o), 1);
	close(a);
	alert_out_poll(o, 0);
	CU_ASSERT_EQUAL(alert_out_clients(o), 0);
	alert_out_line(o, "{}\n", 3);
	alert_out_close(o, 0);
}

static void
test_alert_out_reports_an_unusable_path(void)
{
	struct alert_out_conf conf = { "/nonexistent/dir/a.sock", NULL, 1, 65536 };
	struct counters c;
	char *err = NULL;

	CU_ASSERT_PTR_NULL(alert_out_open(&conf, &c, &err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/dir/a.sock: cannot listen"));
	free(err);
}

static int
setup(void)
{
	if (guard_mkdtemp(dir) != 0) {
		return -1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/a.sock", dir);
	snprintf(journal_path, sizeof(journal_path), "%s/j.ndjson", dir);
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
	CU_add_test(s, "every client and the journal get every line",
	            test_alert_out_every_client_and_the_journal_get_every_line);
	CU_add_test(s, "cuts off a reader that falls behind",
	            test_alert_out_cuts_off_a_reader_that_falls_behind);
	CU_add_test(s, "refuses clients beyond the limit",
	            test_alert_out_refuses_clients_beyond_the_limit);
	CU_add_test(s, "notices a client that left", test_alert_out_notices_a_client_that_left);
	CU_add_test(s, "reports an unusable path", test_alert_out_reports_an_unusable_path);
	return guard_run_tests();
}
