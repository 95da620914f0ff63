#include "ctl/stats.h"

#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "guard.h"
#include "metrics_rig.h"

/* stats_print (feedwatch ctl stats), through a real control socket. */

struct ctl_rig {
	struct ctl_server *s;
	pthread_t th;
	volatile bool stop;
	struct fake *f;
	char dir[64];
	char sock[128];
};

static int
on_stats(void *arg, const char *cmd, struct ctl_reply *r)
{
	struct ctl_rig *g = arg;

	stats_print(&g->f->v, strcmp(cmd, "stats --json") == 0, r);
	return 0;
}

static void *
rig_main(void *arg)
{
	struct ctl_rig *g = arg;

	while (!g->stop) {
		ctl_poll(g->s, 20, on_stats, g);
	}
	return NULL;
}

static char *
ctl_stats(struct fake *f, const char *cmd)
{
	struct ctl_rig g;
	char *err = NULL, *text = NULL;
	size_t len = 0;
	FILE *out;

	memset(&g, 0, sizeof(g));
	g.f = f;
	snprintf(g.dir, sizeof(g.dir), "/tmp/fwmetrics.XXXXXX");
	CU_ASSERT_FATAL(guard_mkdtemp(g.dir) == 0);
	snprintf(g.sock, sizeof(g.sock), "%s/ctl.sock", g.dir);
	g.s = ctl_open(g.sock, 0600, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g.s);
	CU_ASSERT_FATAL(pthread_create(&g.th, NULL, rig_main, &g) == 0);
	out = open_memstream(&text, &len);
	CU_ASSERT_EQUAL(ctl_request(g.sock, cmd, out, 5000, &err), 0);
	fclose(out);
	g.stop = true;
	pthread_join(g.th, NULL);
	ctl_close(g.s);
	guard_rmtree(g.dir);
	free(err);
	return text;
}

static void
test_stats_table_shows_counters_ports_watchlists_clients(void)
{
	struct fake f;
	char *t;

	fake_init(&f, 3); /* writer, worker0, worker1: per-source columns */
	f.rate.have = true;
	f.rate.per_s[CNT_rx_packets] = 12.5;
	snprintf(f.v.wl.last_reload_error, sizeof(f.v.wl.last_reload_error), "ru.yaml:14:9: bad");
	t = ctl_stats(&f, "stats");
	CU_ASSERT_PTR_NOT_NULL(strstr(t,
	                              "counter                                   total   per second"
	                              "       writer      worker0      worker1\n"));
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(t, "\nrx_packets                                 6000         12.5"
	                  "         1000         2000         3000\n"));
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(t, "\n0    net_pcap0                            11               12"
	                  "           13           14           15\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t,
	                              "watchlists: generation 7, 2 watchlists, 120 terms, 4096 "
	                              "bytes; live since 2023-11-14T22:13:20Z (built in 0.250 s)"));
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(t, "reloads: 5, rejected: 1, last reload error: ru.yaml:14:9: bad"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "alert clients: 2, last seq 99\n"));
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(t, "\n3      127.0.0.1:5555               live               40"
	                  "         41           42         43         44             45\n"));
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(t, "feedwatch 0.1.0 (DPDK 22.11.11, hyperscan 5.4.9) on lab1"));
	free(t);

	f.v.clients_known = false;
	t = ctl_stats(&f, "stats");
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "alert clients: unknown"));
	CU_ASSERT_PTR_NULL(strstr(t, "127.0.0.1:5555"));
	free(t);
}

static void
test_stats_json_keeps_counters_rates_sources_and_adds_the_rest(void)
{
	struct fake f;
	char *t;

	fake_init(&f, 2);
	f.c[1].v[CNT_rx_bytes] = 0;
	f.rate.have = true;
	f.rate.per_s[CNT_rx_packets] = 12.5;
	snprintf(f.ports[0].name, sizeof(f.ports[0].name), "q\"\\\x01\xff");
	t = ctl_stats(&f, "stats --json");
	CU_ASSERT_EQUAL(strncmp(t, "{\"counters\":{\"rx_packets\":3000,\"rx_bytes\":1001,", 47), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(t,
	                              "},\"rates\":{\"rx_packets\":12.5},\"sources\":{\"writer\":{"
	                              "\"rx_packets\":1000,\"rx_bytes\":1001,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\"worker0\":{\"rx_packets\":2000,\"rx_multiseg\":2002,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, ",\"ports\":{\"0\":{\"name\":\"q\\\"\\\\\\u0001\\ufffd\","
	                                 "\"rx_packets\":11,\"rx_bytes\":12,\"rx_missed\":13,"
	                                 "\"rx_errors\":14,\"rx_nombuf\":15},\"1\":{"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t,
	                              ",\"clients\":{\"3\":{\"peer\":\"127.0.0.1:5555\",\"state\":"
	                              "\"live\",\"sent_seq\":40,\"lag_alerts\":41,\"lag_bytes\":42,"
	                              "\"skipped\":43,\"replayed\":44,\"sent_bytes\":45},\"4\":{"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, ",\"alert\":{\"last_seq\":99,\"clients\":2}"));
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(t, ",\"watchlists\":{\"generation\":7,\"watchlists\":2,"
	                  "\"terms\":120,\"db_bytes\":4096,\"reloads\":5,"
	                  "\"reload_failures\":1,\"last_reload_s\":0.250000,"
	                  "\"last_reload_unix\":1700000000,\"last_reload_error\":\"\"}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, ",\"info\":{\"version\":\"0.1.0\",\"dpdk\":\"DPDK "
	                                 "22.11.11\",\"hyperscan\":\"5.4.9\",\"node\":\"lab1\","
	                                 "\"start_unix\":1690000000}}\n"));
	free(t);

	f.v.clients_known = false;
	t = ctl_stats(&f, "stats --json");
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(t, ",\"clients\":{},\"alert\":{\"last_seq\":99,\"clients\":null}"));
	free(t);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("stats", NULL, NULL);
	CU_add_test(s, "table shows counters, ports, watchlists, clients",
	            test_stats_table_shows_counters_ports_watchlists_clients);
	CU_add_test(s, "--json keeps counters, rates, sources and adds the rest",
	            test_stats_json_keeps_counters_rates_sources_and_adds_the_rest);
	return guard_run_tests();
}
