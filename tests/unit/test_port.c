#include "core/port.h"

#include <CUnit/Basic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"

static char prog[] = "feedwatch";

/* Whether argv (argc entries) holds <arg> exactly. */
static bool
has(char **argv, int argc, const char *arg)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], arg) == 0) {
			return true;
		}
	}
	return false;
}

/* How many of argv start with <prefix>. */
static int
count_prefix(char **argv, int argc, const char *prefix)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		n += strncmp(argv[i], prefix, strlen(prefix)) == 0;
	}
	return n;
}

static struct fw_config *
defaults(void)
{
	char *err = NULL;
	struct fw_config *cfg = config_load(NULL, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	return cfg;
}

static void
test_port_pcap_runs_anywhere(void)
{
	struct fw_config *cfg = defaults();
	struct capture_src src = { .pcap = "/tmp/x.pcap" };
	char *argv[PORT_MAX_EAL_ARGS + 1], want[64];
	struct port_eal_bufs b;
	int argc = port_eal_args(prog, cfg, &src, 0, NULL, 2, 1, argv, &b);

	CU_ASSERT_STRING_EQUAL(argv[0], "feedwatch");
	CU_ASSERT_PTR_NULL(argv[argc]);
	CU_ASSERT(has(argv, argc, "--lcores=0-1"));
	CU_ASSERT(has(argv, argc, "--no-huge"));
	CU_ASSERT(has(argv, argc, "-m512"));
	CU_ASSERT(has(argv, argc, "--no-pci"));
	CU_ASSERT(has(argv, argc, "--vdev=net_pcap0,rx_pcap=/tmp/x.pcap"));
	/* a capture file gets a prefix of its own, so several can run at once */
	snprintf(want, sizeof(want), "--file-prefix=feedwatch%d", (int)getpid());
	CU_ASSERT(has(argv, argc, want));
	CU_ASSERT(!has(argv, argc, "--no-telemetry"));
	config_free(cfg);
}

static void
test_port_iface_gets_a_fixed_prefix_and_queue_pairs(void)
{
	struct fw_config *cfg = defaults();
	struct capture_src src = { .iface = "eth1" };
	char *argv[PORT_MAX_EAL_ARGS + 1];
	struct port_eal_bufs b;
	int argc = port_eal_args(prog, cfg, &src, 0, NULL, 3, 2, argv, &b);

	CU_ASSERT(has(argv, argc, "--vdev=net_af_packet0,iface=eth1,qpairs=2,framecnt=4096"));
	CU_ASSERT(has(argv, argc, "--file-prefix=feedwatch"));
	CU_ASSERT(has(argv, argc, "--no-pci"));
	config_free(cfg);
}

static void
test_port_pci_allows_each_port(void)
{
	struct fw_config *cfg = defaults();
	char p0[] = "0000:3b:00.0", p1[] = "0000:3b:00.1";
	char *pci[] = { p0, p1 };
	struct capture_src src = { .pci = pci, .n_pci = 2 };
	char *argv[PORT_MAX_EAL_ARGS + 1];
	struct port_eal_bufs b;
	int argc = port_eal_args(prog, cfg, &src, 0, NULL, 3, 1, argv, &b);

	CU_ASSERT(has(argv, argc, "--allow=0000:3b:00.0"));
	CU_ASSERT(has(argv, argc, "--allow=0000:3b:00.1"));
	CU_ASSERT(!has(argv, argc, "--no-pci"));
	CU_ASSERT_EQUAL(count_prefix(argv, argc, "--vdev"), 0);
	config_free(cfg);
}

static void
test_port_config_settings_reach_eal(void)
{
	struct fw_config *cfg = defaults();
	struct capture_src src = { .iface = "eth1" };
	char *argv[PORT_MAX_EAL_ARGS + 1];
	struct port_eal_bufs b;
	int argc;

	CU_ASSERT_EQUAL_FATAL(config_set_str(&cfg->lcores, "2-5"), 0);
	CU_ASSERT_EQUAL_FATAL(config_set_str(&cfg->file_prefix, "fw1"), 0);
	cfg->dpdk_telemetry = false;
	cfg->memory_mb = 2048;
	cfg->eal_args[0] = strdup("--socket-mem=1024,0");
	cfg->n_eal_args = 1;
	argc = port_eal_args(prog, cfg, &src, 0, NULL, 3, 1, argv, &b);
	CU_ASSERT(has(argv, argc, "--lcores=2-5"));
	CU_ASSERT(has(argv, argc, "--file-prefix=fw1"));
	CU_ASSERT(has(argv, argc, "--no-telemetry"));
	/* dpdk.eal_args says how much memory: feedwatch adds none of its own */
	CU_ASSERT(has(argv, argc, "--socket-mem=1024,0"));
	CU_ASSERT_EQUAL(count_prefix(argv, argc, "-m"), 0);
	CU_ASSERT(!has(argv, argc, "--no-huge"));
	config_free(cfg);
}

static void
test_port_user_args_replace_feedwatch_choices(void)
{
	struct fw_config *cfg = defaults();
	struct capture_src src = { .pcap = "/tmp/x.pcap" };
	char a0[] = "-l", a1[] = "0-7", a2[] = "--file-prefix=mine", a3[] = "-a", a4[] = "00:01.0",
	     a5[] = "--log-level=debug";
	char *user[] = { a0, a1, a2, a3, a4, a5 };
	char *argv[PORT_MAX_EAL_ARGS + 1];
	struct port_eal_bufs b;
	int argc = port_eal_args(prog, cfg, &src, 6, user, 2, 1, argv, &b);

	CU_ASSERT_EQUAL(count_prefix(argv, argc, "--lcores"), 0);
	CU_ASSERT_EQUAL(count_prefix(argv, argc, "--file-prefix"), 1);
	CU_ASSERT(!has(argv, argc, "--no-pci"));
	CU_ASSERT_EQUAL(count_prefix(argv, argc, "--log-level"), 1);
	/* the user's own come last, in their order */
	CU_ASSERT_STRING_EQUAL(argv[argc - 6], "-l");
	CU_ASSERT_STRING_EQUAL(argv[argc - 1], "--log-level=debug");
	config_free(cfg);
}

static void
test_port_expected_counts_every_device(void)
{
	struct fw_config *cfg = defaults();
	char p0[] = "0000:3b:00.0", p1[] = "0000:3b:00.1";
	char *pci[] = { p0, p1 };
	struct capture_src pcap = { .pcap = "/tmp/x.pcap" }, none = { 0 },
	                   two = { .pci = pci, .n_pci = 2 };
	char a0[] = "--vdev=net_pcap1,rx_pcap=/tmp/y.pcap", a1[] = "-a", a2[] = "00:02.0",
	     a3[] = "--allow=00:03.0", a4[] = "--vdevx", a5[] = "-a00:04.0";
	char *user[] = { a0, a1, a2, a3, a4, a5 };

	CU_ASSERT_EQUAL(port_expected(cfg, &pcap, 0, NULL), 1);
	CU_ASSERT_EQUAL(port_expected(cfg, &two, 0, NULL), 2);
	/* nothing named: EAL may still find one (a port given some other way) */
	CU_ASSERT_EQUAL(port_expected(cfg, &none, 0, NULL), 1);
	/* --vdev, -a X, --allow=X and -aX are devices; --vdevx is not */
	CU_ASSERT_EQUAL(port_expected(cfg, &pcap, 6, user), 5);
	cfg->eal_args[0] = strdup("--vdev=net_null0");
	cfg->n_eal_args = 1;
	CU_ASSERT_EQUAL(port_expected(cfg, &none, 0, NULL), 1);
	CU_ASSERT_EQUAL(port_expected(cfg, &pcap, 0, NULL), 2);
	config_free(cfg);
}

static void
test_port_kernel_drops_only_for_af_packet(void)
{
	uint64_t drops = 7;

	/* no such port (no EAL here): not an af_packet port */
	CU_ASSERT_EQUAL(port_kernel_drops(0, &drops), -1);
	CU_ASSERT_EQUAL(drops, 7);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("port", NULL, NULL);
	CU_add_test(s, "pcap runs anywhere", test_port_pcap_runs_anywhere);
	CU_add_test(s, "iface gets a fixed prefix and queue pairs",
	            test_port_iface_gets_a_fixed_prefix_and_queue_pairs);
	CU_add_test(s, "pci allows each port", test_port_pci_allows_each_port);
	CU_add_test(s, "config settings reach EAL", test_port_config_settings_reach_eal);
	CU_add_test(s, "user args replace feedwatch choices",
	            test_port_user_args_replace_feedwatch_choices);
	CU_add_test(s, "expected counts every device", test_port_expected_counts_every_device);
	CU_add_test(s, "kernel drops only for af_packet",
	            test_port_kernel_drops_only_for_af_packet);
	return guard_run_tests();
}
