#include "core/config.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"

static char dir[] = "/tmp/fw_test_config_XXXXXX";

/* Write <text> to <dir>/<name>; returns the path (static buffer). */
static const char *
write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Load <text> as a config; returns the error (heap) or NULL on success. */
static char *
load_err(const char *text)
{
	const char *path = write_file("c.yaml", text);
	char *err = NULL;
	struct fw_config *cfg = config_load(path, &err);

	config_free(cfg);
	return err;
}

static void
test_config_defaults_without_a_file(void)
{
	char *err = NULL;
	struct fw_config *cfg = config_load(NULL, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_EQUAL(cfg->n_http_ports, 3);
	CU_ASSERT_EQUAL(cfg->http_ports[0], 80);
	CU_ASSERT_EQUAL(cfg->udp_ports[0], 5140);
	CU_ASSERT_STRING_EQUAL(cfg->socket_path, "/run/feedwatch/alerts.sock");
	CU_ASSERT(cfg->ooo_segments + cfg->rx_desc < cfg->mbufs);
	config_free(cfg);
}

static void
test_config_overrides_and_resolves_relative_paths(void)
{
	char want[300];
	char *err = NULL;
	const char *path =
	        write_file("ok.yaml", "watchlists:\n  dir: lists\n"
	                              "capture:\n  http_ports: [81, 8081]\n  udp_ports: []\n"
	                              "output:\n  socket: /tmp/x.sock\n  max_clients: 3\n"
	                              "http:\n  max_body: 1048576\n  br_memcap: 0\n");
	struct fw_config *cfg = config_load(path, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	snprintf(want, sizeof(want), "%s/lists", dir);
	CU_ASSERT_STRING_EQUAL(cfg->watchlist_dir, want);
	CU_ASSERT_EQUAL(cfg->n_http_ports, 2);
	CU_ASSERT_EQUAL(cfg->http_ports[1], 8081);
	CU_ASSERT_EQUAL(cfg->n_udp_ports, 0);
	CU_ASSERT_STRING_EQUAL(cfg->socket_path, "/tmp/x.sock");
	CU_ASSERT_EQUAL(cfg->max_clients, 3);
	CU_ASSERT_EQUAL(cfg->max_body, 1048576);
	CU_ASSERT_EQUAL(cfg->br_memcap, 0);
	CU_ASSERT_EQUAL(cfg->max_ratio, 500); /* untouched default */
	CU_ASSERT_EQUAL(cfg->flows, 65536);   /* untouched default */
	config_free(cfg);
}

static void
test_config_empty_file_is_defaults(void)
{
	CU_ASSERT_PTR_NULL(load_err(""));
	CU_ASSERT_PTR_NULL(load_err("# nothing\n"));
}

static void
check_err(const char *text, const char *suffix)
{
	char *err = load_err(text);
	char want[400];

	snprintf(want, sizeof(want), "%s/c.yaml:%s", dir, suffix);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	if (err == NULL) {
		return;
	}
	if (strcmp(err, want) != 0) {
		fprintf(stderr, "\n  got  %s\n  want %s\n", err, want);
	}
	CU_ASSERT_STRING_EQUAL(err, want);
	free(err);
}

static void
test_config_rejects_unknown_settings_with_position(void)
{
	check_err("tcp:\n  max_flows: 100\n  flowz: 3\n", "3:3: tcp.flowz: unknown setting");
	check_err("nosuch:\n  a: 1\n", "2:3: nosuch.a: unknown setting");
}

static void
test_config_rejects_bad_values_with_position(void)
{
	check_err("tcp:\n  max_flows: lots\n",
	          "2:14: tcp.max_flows: 'lots' is not a whole number from 16 to 16777216");
	check_err("tcp:\n  max_flows: 3\n",
	          "2:14: tcp.max_flows: '3' is not a whole number from 16 to 16777216");
	check_err("tcp:\n  max_flows: -5\n",
	          "2:14: tcp.max_flows: '-5' is not a whole number from 16 to 16777216");
	check_err("capture:\n  http_ports: [80, 70000]\n",
	          "2:20: capture.http_ports: a port is a whole number from 1 to 65535");
	check_err("capture:\n  http_ports: 80\n",
	          "2:15: capture.http_ports: expected a list of ports, e.g. [80, 8080]");
	check_err("output:\n  socket: [a]\n", "2:11: output.socket: expected a single value");
	check_err("- a\n- b\n", "1:1: expected a mapping of sections");
	check_err("limits: 3\n", "1:9: limits: expected a mapping");
	check_err("capture:\n  verify_checksums: yes\n",
	          "2:21: capture.verify_checksums: 'yes' is not true or false");
}

static void
test_config_names_the_new_key_of_a_renamed_setting(void)
{
	check_err("limits:\n  flows: 100\n", "2:3: limits.flows: renamed: now tcp.max_flows");
	check_err("limits:\n  ooo_segments: 100\n",
	          "2:3: limits.ooo_segments: renamed: now tcp.reasm_memcap (in bytes)");
	check_err("limits:\n  max_body: 100\n", "2:3: limits.max_body: renamed: now http.max_body");
}

static void
test_config_loads_reasm_memcap_and_verify_checksums(void)
{
	char *err = NULL;
	const char *path = write_file("m.yaml", "tcp:\n  reasm_memcap: 2304000\n");
	struct fw_config *cfg = config_load(path, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->reasm_memcap, 2304000);
	CU_ASSERT_FALSE(cfg->verify_checksums);
	CU_ASSERT_EQUAL(cfg->ooo_segments, 2304000 / CONFIG_SEGMENT_BYTES);
	config_free(cfg);
	cfg = config_load(write_file("v.yaml", "capture:\n  verify_checksums: true\n"), &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_TRUE(cfg->verify_checksums);
	config_free(cfg);
	check_err("tcp:\n  reasm_memcap: 1000\n",
	          "2:17: tcp.reasm_memcap: '1000' is not a whole number from 65536 to 68719476736");
}

static void
test_config_loads_delivery_settings(void)
{
	char *err = NULL;
	struct fw_config *cfg = config_load(
	        write_file("d.yaml",
	                   "output:\n  format: ecs\n  slow_policy: skip\n  socket_mode: \"0600\"\n"
	                   "  socket_group: adm\n  tcp: 127.0.0.1:5141\n  resume_wait: 250ms\n"
	                   "journal:\n  dir: j\n  segment_bytes: 2097152\n  retain_age: 30d\n"
	                   "  fsync: 2s\n"
	                   "nats:\n  url: nats://127.0.0.1:4222\n  node: n1\n  ack_timeout: 1500\n"
	                   "  duplicate_window: 1h\n  create_stream: false\n"),
	        &err);
	char want[300];

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->out_format, CONFIG_FORMAT_ECS);
	CU_ASSERT_EQUAL(cfg->slow_policy, CONFIG_SLOW_SKIP);
	CU_ASSERT_EQUAL(cfg->socket_mode, 0600);
	CU_ASSERT_STRING_EQUAL(cfg->socket_group, "adm");
	CU_ASSERT_STRING_EQUAL(cfg->tcp_listen, "127.0.0.1:5141");
	CU_ASSERT_EQUAL(cfg->resume_wait_ms, 250);
	snprintf(want, sizeof(want), "%s/j", dir);
	CU_ASSERT_STRING_EQUAL(cfg->journal_path, want);
	CU_ASSERT_EQUAL(cfg->journal_segment_bytes, 2097152);
	CU_ASSERT_EQUAL(cfg->journal_retain_age_s, 30u * 86400);
	CU_ASSERT_EQUAL(cfg->journal_fsync_ms, 2000);
	CU_ASSERT_STRING_EQUAL(cfg->nats_url, "nats://127.0.0.1:4222");
	CU_ASSERT_STRING_EQUAL(cfg->nats_node, "n1");
	CU_ASSERT_EQUAL(cfg->nats_ack_timeout_ms, 1500);
	CU_ASSERT_EQUAL(cfg->nats_dup_window_s, 3600);
	CU_ASSERT_FALSE(cfg->nats_create_stream);
	config_free(cfg);
	cfg = config_load(write_file("f.yaml", "journal:\n  fsync: always\n"), &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->journal_fsync_ms, 0);
	config_free(cfg);
	cfg = config_load(write_file("g.yaml", "journal:\n  fsync: never\n"), &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->journal_fsync_ms, UINT32_MAX);
	config_free(cfg);
	/* the shipped defaults */
	cfg = config_load(NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->out_format, CONFIG_FORMAT_FEEDWATCH);
	CU_ASSERT_EQUAL(cfg->slow_policy, CONFIG_SLOW_DISCONNECT);
	CU_ASSERT_EQUAL(cfg->socket_mode, 0660);
	CU_ASSERT_STRING_EQUAL(cfg->journal_path, "/var/lib/feedwatch/journal");
	CU_ASSERT_EQUAL(cfg->journal_fsync_ms, 1000);
	CU_ASSERT_STRING_EQUAL(cfg->nats_url, "");
	CU_ASSERT_STRING_EQUAL(cfg->nats_stream, "FEEDWATCH");
	config_free(cfg);
}

static void
test_config_rejects_bad_delivery_settings(void)
{
	check_err("output:\n  format: xml\n",
	          "2:11: output.format: 'xml' is not one of feedwatch, ecs");
	check_err("output:\n  slow_policy: wait\n",
	          "2:16: output.slow_policy: 'wait' is not one of disconnect, skip");
	check_err(
	        "output:\n  socket_mode: 660\n",
	        "2:16: output.socket_mode: expected octal permission bits like \"0660\" (quoted)");
	check_err(
	        "output:\n  socket_mode: \"0999\"\n",
	        "2:16: output.socket_mode: expected octal permission bits like \"0660\" (quoted)");
	check_err("journal:\n  fsync: sometimes\n",
	          "2:10: journal.fsync: 'sometimes' is not always, never or a duration like 250ms, "
	          "2s or 1m (from 0 ms to 3600000 ms)");
	check_err(
	        "output:\n  resume_wait: 1h\n",
	        "2:16: output.resume_wait: '1h' is not a duration like 250ms, 2s or 1m (from 0 ms "
	        "to 10000 ms)");
	check_err(
	        "nats:\n  duplicate_window: 0\n",
	        "2:21: nats.duplicate_window: '0' is not a duration like 90s, 30m, 24h or 7d (not "
	        "0, at most 7d)");
	check_err("output:\n  journal: /x\n",
	          "2:3: output.journal: renamed: now journal.dir (a folder of segments)");
}

static void
test_config_reports_yaml_syntax_errors(void)
{
	char *err = load_err("tcp:\n  max_flows: [1\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "c.yaml:3:1: "));
	free(err);
}

static void
test_config_missing_file_names_it(void)
{
	char *err = NULL;

	CU_ASSERT_PTR_NULL(config_load("/nonexistent/feedwatch.yaml", &err));
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/feedwatch.yaml: No such file or directory");
	free(err);
}

static void
test_config_shipped_files_load(void)
{
	static const char *const files[] = { "../../configs/feedwatch.yaml",
		                             "../../configs/demo.yaml",
		                             "../integration/demo/config.yaml" };
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *err = NULL;
		struct fw_config *cfg = config_load(files[i], &err);

		if (cfg == NULL) {
			fprintf(stderr, "\n  %s\n", err);
		}
		CU_ASSERT_PTR_NOT_NULL(cfg);
		config_free(cfg);
		free(err);
	}
}

/* configs/feedwatch.yaml is the reference: every setting, at its default. */
static void
test_config_reference_file_has_every_key_at_its_default(void)
{
	char *err = NULL, *text = NULL;
	struct fw_config *ref = config_load("../../configs/feedwatch.yaml", &err);
	struct fw_config *def = config_load(NULL, &err);
	const char *diff, *name;
	size_t i, len = 0;
	FILE *f;

	CU_ASSERT_FATAL(ref != NULL && def != NULL);
	/* the reference resolves no relative path: its paths are the built-in ones */
	diff = config_diff(ref, def);
	if (diff != NULL) {
		fprintf(stderr, "\n  %s differs from its default\n", diff);
	}
	CU_ASSERT_PTR_NULL(diff);
	f = fopen("../../configs/feedwatch.yaml", "r");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT(getdelim(&text, &len, '\0', f) > 0);
	fclose(f);
	for (i = 0; (name = config_key_name(i)) != NULL; i++) {
		char section[64], line[96];
		const char *dot = strchr(name, '.'), *sec;

		snprintf(section, sizeof(section), "\n%.*s:\n", (int)(dot - name), name);
		snprintf(line, sizeof(line), "\n  %s:", dot + 1);
		sec = strstr(text, section);
		if (sec == NULL || strstr(sec, line) == NULL) {
			fprintf(stderr, "\n  %s is not in configs/feedwatch.yaml\n", name);
			CU_FAIL("a setting is not documented");
		}
	}
	free(text);
	config_free(ref);
	config_free(def);
}

static void
test_config_loads_capture_and_operations_settings(void)
{
	char *err = NULL;
	struct fw_config *cfg;

	const char *file = write_file(
	        "ops.yaml",
	        "capture:\n  pci: [\"0000:3b:00.0\", \"3b:00.1\"]\n"
	        "dpdk:\n  burst: 64\n  lcores: \"2-5\"\n  eal_args: [\"--socket-mem=1024\"]\n"
	        "  memory_mb: 2048\n  file_prefix: fw1\n  mbuf_cache: 0\n"
	        "telemetry:\n  dpdk: false\n  prometheus: 127.0.0.1:9464\n"
	        "log:\n  level: debug\n"
	        "control:\n  socket_mode: \"0600\"\n  socket_group: adm\n");
	cfg = config_load(file, &err);
	CU_ASSERT_FATAL(cfg != NULL);
	CU_ASSERT_EQUAL(cfg->n_pci, 2);
	CU_ASSERT_STRING_EQUAL(cfg->pci[0], "0000:3b:00.0");
	CU_ASSERT_STRING_EQUAL(cfg->pci[1], "3b:00.1");
	CU_ASSERT_EQUAL(cfg->burst, 64);
	CU_ASSERT_STRING_EQUAL(cfg->lcores, "2-5");
	CU_ASSERT_EQUAL(cfg->n_eal_args, 1);
	CU_ASSERT_STRING_EQUAL(cfg->eal_args[0], "--socket-mem=1024");
	CU_ASSERT_EQUAL(cfg->memory_mb, 2048);
	CU_ASSERT_STRING_EQUAL(cfg->file_prefix, "fw1");
	CU_ASSERT_EQUAL(cfg->mbuf_cache, 0);
	CU_ASSERT_FALSE(cfg->dpdk_telemetry);
	CU_ASSERT_STRING_EQUAL(cfg->prometheus, "127.0.0.1:9464");
	CU_ASSERT_EQUAL(cfg->log_level, CONFIG_LOG_DEBUG);
	CU_ASSERT_EQUAL(cfg->control_mode, 0600);
	CU_ASSERT_STRING_EQUAL(cfg->control_group, "adm");
	config_free(cfg);
	cfg = config_load(
	        write_file("iface.yaml", "capture:\n  iface: eth1\n  iface_frames: 65536\n"), &err);
	CU_ASSERT_FATAL(cfg != NULL);
	CU_ASSERT_STRING_EQUAL(cfg->iface, "eth1");
	CU_ASSERT_EQUAL(cfg->iface_frames, 65536);
	config_free(cfg);
}

static void
test_config_rejects_bad_capture_settings(void)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "capture:\n  pci: [\"0000:3b:00\"]\n",
		  ":2:9: capture.pci: a PCI address is like 0000:3b:00.0" },
		{ "capture:\n  pci: \"0000:3b:00.0\"\n",
		  ":2:8: capture.pci: expected a list of PCI addresses, e.g. [\"0000:3b:00.0\"]" },
		{ "capture:\n  iface: eth1\n  pcap: a.pcap\n",
		  ":3:3: capture.pcap: capture.pcap, capture.iface and capture.pci are "
		  "alternatives: "
		  "give one" },
		{ "dpdk:\n  burst: 0\n",
		  ":2:10: dpdk.burst: '0' is not a whole number from 1 to 256" },
		{ "dpdk:\n  eal_args: [\"\"]\n",
		  ":2:14: dpdk.eal_args: expected a non-empty string" },
		{ "log:\n  level: verbose\n",
		  ":2:10: log.level: 'verbose' is not one of error, warning, info, debug" },
		{ "telemetry:\n  dpdk: yes\n", ":2:9: telemetry.dpdk: 'yes' is not true or false" },
		{ "telemetry:\n  grafana: on\n", ":2:3: telemetry.grafana: unknown setting" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err = load_err(cases[i].text);
		size_t n = err != NULL ? strlen(err) : 0, m = strlen(cases[i].err);

		/* the message after the file's name */
		if (n < m || strcmp(err + n - m, cases[i].err) != 0 || err[n - m - 1] == ':') {
			fprintf(stderr, "\n  case %zu: got %s\n", i, err);
			CU_FAIL("wrong error");
		}
		free(err);
	}
}

static int
setup(void)
{
	return guard_mkdtemp(dir);
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
	s = CU_add_suite("config", setup, teardown);
	CU_add_test(s, "defaults without a file", test_config_defaults_without_a_file);
	CU_add_test(s, "overrides and resolves relative paths",
	            test_config_overrides_and_resolves_relative_paths);
	CU_add_test(s, "empty file is defaults", test_config_empty_file_is_defaults);
	CU_add_test(s, "rejects unknown settings with position",
	            test_config_rejects_unknown_settings_with_position);
	CU_add_test(s, "loads delivery settings", test_config_loads_delivery_settings);
	CU_add_test(s, "rejects bad delivery settings", test_config_rejects_bad_delivery_settings);
	CU_add_test(s, "rejects bad values with position",
	            test_config_rejects_bad_values_with_position);
	CU_add_test(s, "names the new key of a renamed setting",
	            test_config_names_the_new_key_of_a_renamed_setting);
	CU_add_test(s, "loads reasm_memcap and verify_checksums",
	            test_config_loads_reasm_memcap_and_verify_checksums);
	CU_add_test(s, "reports YAML syntax errors", test_config_reports_yaml_syntax_errors);
	CU_add_test(s, "missing file names it", test_config_missing_file_names_it);
	CU_add_test(s, "shipped files load", test_config_shipped_files_load);
	CU_add_test(s, "reference file has every key at its default",
	            test_config_reference_file_has_every_key_at_its_default);
	CU_add_test(s, "loads capture and operations settings",
	            test_config_loads_capture_and_operations_settings);
	CU_add_test(s, "rejects bad capture settings", test_config_rejects_bad_capture_settings);
	return guard_run_tests();
}
