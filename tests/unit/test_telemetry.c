/*
 * The /feedwatch/ telemetry commands through a real EAL and its telemetry
 * socket, asked the way dpdk-telemetry.py asks them.
 */
#include "core/telemetry.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_telemetry.h>

#include "guard.h"

#define N_CLIENTS 100

static struct {
	struct counters c[3];
	struct stats_src src;
	struct stats_rate rate;
	struct metrics_port ports[2];
	struct metrics_client clients[N_CLIENTS];
	struct metrics_view v;
	int fail;
} fk;

static char sock_path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];

static int
fake_view(void *arg, struct metrics_view *v)
{
	(void)arg;
	if (fk.fail) {
		return -1;
	}
	*v = fk.v;
	return 0;
}

static void
fake_init(void)
{
	unsigned int i;
	int k;

	memset(&fk, 0, sizeof(fk));
	for (i = 0; i < 3; i++) {
		for (k = 0; k < CNT__MAX; k++) {
			fk.c[i].v[k] = (uint64_t)(i + 1) * 1000u + (uint64_t)k;
		}
	}
	stats_add(&fk.src, "worker0", &fk.c[0]);
	stats_add(&fk.src, "worker1", &fk.c[1]);
	stats_add(&fk.src, "writer", &fk.c[2]);
	snprintf(fk.ports[0].name, sizeof(fk.ports[0].name), "net_pcap0");
	fk.ports[0].ipackets = 11;
	fk.ports[0].imissed = 13;
	fk.ports[0].rx_nombuf = 15;
	snprintf(fk.ports[1].name, sizeof(fk.ports[1].name), "0000:3b:00.0");
	for (i = 0; i < N_CLIENTS; i++) {
		fk.clients[i].id = 3 + i;
		snprintf(fk.clients[i].peer, sizeof(fk.clients[i].peer),
		         "[2001:db8::1234:5678:9abc]:%u", 40000 + i);
		fk.clients[i].state = "live";
		fk.clients[i].lag_alerts = 41 + i;
		fk.clients[i].lag_bytes = 42;
		fk.clients[i].sent_to = 40;
		fk.clients[i].bytes_sent = 45;
	}
	snprintf(fk.clients[0].peer, sizeof(fk.clients[0].peer), "uid 1000 \"quoted\"");
	fk.v.src = &fk.src;
	fk.v.rate = &fk.rate;
	fk.v.ports = fk.ports;
	fk.v.n_ports = 2;
	fk.v.clients = fk.clients;
	fk.v.n_clients = 2;
	fk.v.clients_known = true;
	fk.v.last_seq = 99;
	fk.v.wl.generation = 7;
	fk.v.wl.watchlists = 2;
	fk.v.wl.terms = 120;
	fk.v.wl.reloads = 5;
	fk.v.wl.reload_failed = 1;
	fk.v.wl.last_reload_s = 0.25;
	fk.v.wl.last_reload_unix = 1700000000;
	fk.v.version = "0.1.0";
	fk.v.dpdk_version = "DPDK 22.11.11";
	fk.v.hs_version = "5.4.9";
	fk.v.node = "lab1";
	fk.v.start_unix = 1690000000;
}

/* Ask <cmd> on the telemetry socket; the reply JSON, to free. */
static char *
ask(const char *cmd)
{
	struct sockaddr_un sa;
	char *buf = calloc(1, 65536);
	ssize_t n;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CU_ASSERT_FATAL(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock_path, sizeof(sock_path));
	CU_ASSERT_FATAL(connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0);
	/* the server speaks first: {"version": ..., "pid": ..., "max_output_len": ...} */
	n = recv(fd, buf, 65535, 0);
	CU_ASSERT(n > 0 && strstr(buf, "\"max_output_len\"") != NULL);
	CU_ASSERT_EQUAL(send(fd, cmd, strlen(cmd), 0), (ssize_t)strlen(cmd));
	memset(buf, 0, 65536);
	n = recv(fd, buf, 65535, 0);
	CU_ASSERT(n > 0);
	close(fd);
	return buf;
}

static void
test_stats_sums_every_source(void)
{
	char want[128], *r = ask("/feedwatch/stats");
	int k;

	CU_ASSERT_EQUAL(strncmp(r, "{\"/feedwatch/stats\":{", 21), 0);
	for (k = 0; k < CNT__MAX; k++) {
		snprintf(want, sizeof(want), "\"%s\":%llu", counters_name(k),
		         6000ull + 3ull * (unsigned long long)k);
		CU_ASSERT_PTR_NOT_NULL(strstr(r, want));
	}
	CU_ASSERT_EQUAL(strcmp(r + strlen(r) - 2, "}}"), 0);
	free(r);
}

static void
test_stats_of_one_source(void)
{
	char *r = ask("/feedwatch/stats,worker1");

	CU_ASSERT_PTR_NOT_NULL(strstr(r, "\"rx_packets\":2000,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "\"rx_bytes\":2001,"));
	free(r);
	r = ask("/feedwatch/stats,writer");
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "\"rx_packets\":3000,"));
	free(r);
}

static void
test_stats_of_unknown_source_is_null(void)
{
	char *r = ask("/feedwatch/stats,worker9");

	CU_ASSERT_STRING_EQUAL(r, "{\"/feedwatch/stats\":null}");
	free(r);
}

static void
test_sources_lists_names(void)
{
	char *r = ask("/feedwatch/sources");

	CU_ASSERT_STRING_EQUAL(r, "{\"/feedwatch/sources\":[\"worker0\",\"worker1\",\"writer\"]}");
	free(r);
}

static void
test_rates_rounded_and_only_when_known(void)
{
	char *r = ask("/feedwatch/rates");

	CU_ASSERT_STRING_EQUAL(r, "{\"/feedwatch/rates\":{}}");
	free(r);
	fk.rate.have = true;
	fk.rate.per_s[CNT_rx_packets] = 1499.6;
	fk.rate.per_s[CNT_nats_pending] = 5;
	r = ask("/feedwatch/rates");
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "{\"/feedwatch/rates\":{\"rx_packets\":1500,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "\"rx_bytes\":0,"));
	CU_ASSERT_PTR_NULL(strstr(r, "nats_pending"));
	fk.rate.have = false;
	free(r);
}

static void
test_ports_by_index(void)
{
	char *r = ask("/feedwatch/ports");

	CU_ASSERT_PTR_NOT_NULL(strstr(r, "\"0\":{\"name\":\"net_pcap0\",\"rx_packets\":11,"
	                                 "\"rx_bytes\":0,\"rx_missed\":13,\"rx_errors\":0,"
	                                 "\"rx_nombuf\":15}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "\"1\":{\"name\":\"0000:3b:00.0\","));
	free(r);
}

static void
test_clients_by_id(void)
{
	char *r = ask("/feedwatch/clients");

	CU_ASSERT_PTR_NOT_NULL(strstr(r, "\"4\":{\"peer\":\"[2001:db8::1234:5678:9abc]:40001\","
	                                 "\"state\":\"live\",\"sent_seq\":40,\"lag_alerts\":42,"
	                                 "\"lag_bytes\":42,\"skipped\":0,\"replayed\":0,"
	                                 "\"sent_bytes\":45}"));
	/* DPDK escapes the quotes: the reply stays JSON */
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "\"3\":{\"peer\":\"uid 1000 \\\"quoted\\\"\","));
	CU_ASSERT_PTR_NULL(strstr(r, "truncated"));
	free(r);
}

static void
test_clients_past_the_limit_are_counted_not_dropped_silently(void)
{
	char want[64], *r;
	unsigned int i;

	fk.v.n_clients = N_CLIENTS;
	r = ask("/feedwatch/clients");
	for (i = 0; i < TELEMETRY_MAX_CLIENTS; i++) {
		snprintf(want, sizeof(want), "\"%u\":{\"peer\"", 3 + i);
		CU_ASSERT_PTR_NOT_NULL(strstr(r, want));
	}
	snprintf(want, sizeof(want), "\"%u\":{\"peer\"", 3 + TELEMETRY_MAX_CLIENTS);
	CU_ASSERT_PTR_NULL(strstr(r, want));
	snprintf(want, sizeof(want), "\"truncated\":%u}}", N_CLIENTS - TELEMETRY_MAX_CLIENTS);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, want));
	free(r);

	fk.v.clients_known = false;
	r = ask("/feedwatch/clients");
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "{\"/feedwatch/clients\":{\"unknown\":"));
	fk.v.clients_known = true;
	fk.v.n_clients = 2;
	free(r);
}

static void
test_watchlists_and_info(void)
{
	char *r = ask("/feedwatch/watchlists");

	CU_ASSERT_STRING_EQUAL(r,
	                       "{\"/feedwatch/watchlists\":{\"generation\":7,\"watchlists\":2,"
	                       "\"terms\":120,\"db_bytes\":0,\"reloads\":5,\"reload_failures\":1,"
	                       "\"last_reload_us\":250000,\"last_reload_unix\":1700000000,"
	                       "\"last_reload_error\":\"\"}}");
	free(r);
	/* a long error is cut to fit, and non-ASCII shown as '?' (DPDK mangles it) */
	memset(fk.v.wl.last_reload_error, 0, sizeof(fk.v.wl.last_reload_error));
	memcpy(fk.v.wl.last_reload_error, "x.yaml:1:2: caf\xc3\xa9 \xff\n", 20);
	memset(fk.v.wl.last_reload_error + 20, 'a', 200);
	r = ask("/feedwatch/watchlists");
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "\"last_reload_error\":\"x.yaml:1:2: caf? ?\\naaaa"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "aaa\"}}"));
	CU_ASSERT_EQUAL(strlen(strstr(r, "x.yaml")), RTE_TEL_MAX_STRING_LEN - 1 + 1 + 3);
	fk.v.wl.last_reload_error[0] = 0;
	free(r);
	r = ask("/feedwatch/info");
	CU_ASSERT_STRING_EQUAL(r, "{\"/feedwatch/info\":{\"version\":\"0.1.0\",\"dpdk\":\"DPDK "
	                          "22.11.11\",\"hyperscan\":\"5.4.9\",\"node\":\"lab1\","
	                          "\"start_unix\":1690000000}}");
	free(r);
}

static void
test_failing_view_and_unregister_answer_null(void)
{
	char *r;

	fk.fail = 1;
	r = ask("/feedwatch/info");
	CU_ASSERT_STRING_EQUAL(r, "{\"/feedwatch/info\":null}");
	free(r);
	fk.fail = 0;
	telemetry_unregister();
	r = ask("/feedwatch/stats");
	CU_ASSERT_STRING_EQUAL(r, "{\"/feedwatch/stats\":null}");
	free(r);
}

int
main(void)
{
	static const char *const args[] = {
		"test_telemetry",        "--no-huge",   "-m",           "64", "--no-pci",
		"--file-prefix=fwtel%d", "--log-level", "lib.eal:error"
	};
	char argbuf[8][64], *argv[9], runtime[PATH_MAX];
	CU_pSuite s;
	unsigned int i;
	int rc;

	/* a prefix of our own: its runtime folder holds the telemetry socket, removed at the end */
	for (i = 0; i < 8; i++) {
		if (strchr(args[i], '%') != NULL) {
			snprintf(argbuf[i], sizeof(argbuf[i]), "--file-prefix=fwtel%d",
			         (int)getpid());
		} else {
			snprintf(argbuf[i], sizeof(argbuf[i]), "%s", args[i]);
		}
		argv[i] = argbuf[i];
	}
	argv[8] = NULL;
	if (rte_eal_init(8, argv) < 0) {
		fprintf(stderr, "test_telemetry: rte_eal_init failed: %s (skipped)\n",
		        strerror(rte_errno));
		return 77;
	}
	snprintf(runtime, sizeof(runtime), "%s", rte_eal_get_runtime_dir());
	if (strlen(runtime) + sizeof("/dpdk_telemetry.v2") > sizeof(sock_path)) {
		fprintf(stderr, "test_telemetry: runtime folder %s too long\n", runtime);
		return 1;
	}
	memcpy(sock_path, runtime, strlen(runtime));
	memcpy(sock_path + strlen(runtime), "/dpdk_telemetry.v2", sizeof("/dpdk_telemetry.v2"));
	fake_init();
	rc = telemetry_register(fake_view, NULL);
	if (rc != 0) {
		fprintf(stderr, "test_telemetry: telemetry_register: %s\n", strerror(-rc));
	}

	CU_initialize_registry();
	s = CU_add_suite("telemetry", NULL, NULL);
	CU_add_test(s, "stats sums every source", test_stats_sums_every_source);
	CU_add_test(s, "stats of one source", test_stats_of_one_source);
	CU_add_test(s, "stats of an unknown source is null", test_stats_of_unknown_source_is_null);
	CU_add_test(s, "sources lists names", test_sources_lists_names);
	CU_add_test(s, "rates rounded and only when known", test_rates_rounded_and_only_when_known);
	CU_add_test(s, "ports by index", test_ports_by_index);
	CU_add_test(s, "clients by id", test_clients_by_id);
	CU_add_test(s, "clients past the limit are counted",
	            test_clients_past_the_limit_are_counted_not_dropped_silently);
	CU_add_test(s, "watchlists and info", test_watchlists_and_info);
	CU_add_test(s, "a failing view and unregister answer null",
	            test_failing_view_and_unregister_answer_null);
	if (rc != 0) {
		CU_cleanup_registry();
		rte_eal_cleanup();
		guard_rmtree(runtime);
		return 1;
	}
	rc = guard_run_tests();
	rte_eal_cleanup();
	guard_rmtree(runtime);
	return rc;
}
