#include "core/port.h"

#include <dirent.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/worker.h"

/* Whether the user's EAL arguments (dpdk.eal_args, then those after --) say one of <names>. */
static bool
has_arg(int argc, char **argv, const char *const *names)
{
	int i, j;

	for (i = 0; i < argc; i++) {
		for (j = 0; names[j] != NULL; j++) {
			if (strncmp(argv[i], names[j], strlen(names[j])) == 0) {
				return true;
			}
		}
	}
	return false;
}

static bool
no_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long total = 0;

	if (f == NULL) {
		return true;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "HugePages_Total: %ld", &total) == 1) {
			break;
		}
	}
	fclose(f);
	return total == 0;
}

/*
 * net_af_packet's kernel ring drops. DPDK 22.11's PMD counts what it reads
 * but not what the kernel dropped because its ring was full (tp_drops), so
 * rte_eth_stats.imissed stays 0 while packets are lost. The counters are
 * read-and-clear per socket (packet(7), PACKET_STATISTICS): summed here.
 */
static struct {
	pthread_mutex_t mu;
	char iface[IF_NAMESIZE];
	uint64_t drops;
} afp = { .mu = PTHREAD_MUTEX_INITIALIZER };

int
port_kernel_drops(uint16_t port, uint64_t *drops)
{
	struct rte_eth_dev_info info;
	struct dirent *de;
	unsigned int ifindex;
	DIR *d;

	if (!rte_eth_dev_is_valid_port(port) || rte_eth_dev_info_get(port, &info) != 0 ||
	    info.driver_name == NULL || strcmp(info.driver_name, "net_af_packet") != 0 ||
	    afp.iface[0] == '\0') {
		return -1;
	}
	pthread_mutex_lock(&afp.mu);
	ifindex = if_nametoindex(afp.iface);
	d = opendir("/proc/self/fd");
	while (d != NULL && ifindex != 0 && (de = readdir(d)) != NULL) {
		struct sockaddr_ll sll;
		struct tpacket_stats st;
		socklen_t len = sizeof(int);
		int fd = atoi(de->d_name), domain = 0;

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || fd == dirfd(d) ||
		    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
		    domain != AF_PACKET) {
			continue;
		}
		len = sizeof(sll);
		if (getsockname(fd, (struct sockaddr *)&sll, &len) != 0 ||
		    (unsigned int)sll.sll_ifindex != ifindex) {
			continue;
		}
		len = sizeof(st);
		if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
			afp.drops += st.tp_drops;
		}
	}
	if (d != NULL) {
		closedir(d);
	}
	*drops = afp.drops;
	pthread_mutex_unlock(&afp.mu);
	return 0;
}

#define MAX_USER_ARGS (CONFIG_MAX_EAL + PORT_MAX_EAL_ARGS)

/* The user's EAL arguments: dpdk.eal_args, then those after --. Returns how many. */
static int
user_args(const struct fw_config *cfg, int user_argc, char **user_argv, char *out[MAX_USER_ARGS])
{
	int n = 0, i;
	uint32_t k;

	for (k = 0; k < cfg->n_eal_args; k++) {
		out[n++] = cfg->eal_args[k];
	}
	for (i = 0; i < user_argc && n < MAX_USER_ARGS; i++) {
		out[n++] = user_argv[i];
	}
	return n;
}

/* "--vdev=..", "--vdev ..", "--allow=..", "-a .." or "-a..": an argument that adds a port. */
static bool
adds_device(const char *a)
{
	return (strncmp(a, "--vdev", 6) == 0 && (a[6] == '=' || a[6] == '\0')) ||
	       (strncmp(a, "--allow", 7) == 0 && (a[7] == '=' || a[7] == '\0')) ||
	       (strncmp(a, "-a", 2) == 0 && a[2] != '-');
}

unsigned int
port_expected(const struct fw_config *cfg, const struct capture_src *src, int user_argc,
              char **user_argv)
{
	unsigned int n = src->n_pci > 0 ? src->n_pci : (src->pcap != NULL || src->iface != NULL);
	char *user[MAX_USER_ARGS];
	int n_user = user_args(cfg, user_argc, user_argv, user), i;

	for (i = 0; i < n_user; i++) {
		n += adds_device(user[i]);
	}
	return n > 0 ? n : 1;
}

int
port_eal_args(char *prog, const struct fw_config *cfg, const struct capture_src *src, int user_argc,
              char **user_argv, unsigned int n_lcores, unsigned int n_queues, char **argv,
              struct port_eal_bufs *b)
{
	static const char *const lcores[] = { "-l", "--lcores", "-c", NULL };
	static const char *const mem[] = { "-m", "--socket-mem", "--no-huge", "--huge-dir", NULL };
	static const char *const prefixes[] = { "--file-prefix", NULL };
	static const char *const pci[] = { "--no-pci", "-a", "--allow", "-b", "--block", NULL };
	static const char *const tel[] = { "--no-telemetry", "--telemetry", NULL };
	static const char *const logl[] = { "--log-level", NULL };
	/* EAL wants mutable strings */
	static char a_nohuge[] = "--no-huge", a_nopci[] = "--no-pci", a_notel[] = "--no-telemetry",
	            a_log[] = "--log-level=lib.eal:warning";
	char *user[MAX_USER_ARGS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int argc = 0, n_user = user_args(cfg, user_argc, user_argv, user), i;
	uint32_t k;

	argv[argc++] = prog;
	if (!has_arg(n_user, user, lcores)) {
		if (cfg->lcores[0] != '\0') {
			snprintf(b->lcores, sizeof(b->lcores), "--lcores=%s", cfg->lcores);
		} else if (cpus < 1 || (long)n_lcores <= cpus) {
			/* one lcore each; more lcores than CPUs share them all (pollers then yield) */
			snprintf(b->lcores, sizeof(b->lcores), "--lcores=0-%u", n_lcores - 1);
		} else {
			snprintf(b->lcores, sizeof(b->lcores), "--lcores=(0-%u)@(0-%ld)",
			         n_lcores - 1, cpus - 1);
		}
		argv[argc++] = b->lcores;
	}
	if (!has_arg(n_user, user, mem)) {
		if (src->pcap != NULL || no_hugepages()) {
			snprintf(b->mem, sizeof(b->mem), "-m%u",
			         cfg->memory_mb > 0 ? cfg->memory_mb : 512u);
			argv[argc++] = a_nohuge;
			argv[argc++] = b->mem;
		} else if (cfg->memory_mb > 0) {
			snprintf(b->mem, sizeof(b->mem), "-m%u", cfg->memory_mb);
			argv[argc++] = b->mem;
		}
	}
	if (!has_arg(n_user, user, prefixes)) {
		/* a capture file gets its own prefix, so several can run at once */
		if (cfg->file_prefix[0] != '\0') {
			snprintf(b->prefix, sizeof(b->prefix), "--file-prefix=%s",
			         cfg->file_prefix);
		} else if (src->pcap != NULL) {
			snprintf(b->prefix, sizeof(b->prefix), "--file-prefix=feedwatch%d",
			         (int)getpid());
		} else {
			snprintf(b->prefix, sizeof(b->prefix), "--file-prefix=feedwatch");
		}
		argv[argc++] = b->prefix;
	}
	if (!has_arg(n_user, user, pci)) {
		if (src->n_pci > 0) {
			for (k = 0; k < src->n_pci && k < CONFIG_MAX_PCI; k++) {
				snprintf(b->allow[k], sizeof(b->allow[k]), "--allow=%s",
				         src->pci[k]);
				argv[argc++] = b->allow[k];
			}
		} else if (src->pcap != NULL || src->iface != NULL) {
			argv[argc++] = a_nopci;
		}
	}
	if (!cfg->dpdk_telemetry && !has_arg(n_user, user, tel)) {
		argv[argc++] = a_notel;
	}
	if (!has_arg(n_user, user, logl)) {
		argv[argc++] = a_log;
	}
	if (src->pcap != NULL) {
		snprintf(b->vdev, sizeof(b->vdev), "--vdev=net_pcap0,rx_pcap=%s", src->pcap);
		argv[argc++] = b->vdev;
	} else if (src->iface != NULL) {
		/* one queue pair per RX queue: the kernel's fanout hash spreads them */
		snprintf(b->vdev, sizeof(b->vdev),
		         "--vdev=net_af_packet0,iface=%s,qpairs=%u,framecnt=%u", src->iface,
		         n_queues, cfg->iface_frames);
		snprintf(afp.iface, sizeof(afp.iface), "%s", src->iface);
		argv[argc++] = b->vdev;
	}
	for (i = 0; i < n_user && argc < PORT_MAX_EAL_ARGS; i++) {
		argv[argc++] = user[i];
	}
	argv[argc] = NULL;
	return argc;
}

int64_t
port_count_packets(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int64_t n = 0;
	int rc;

	p = pcap_open_offline(path, errbuf);
	if (p == NULL) {
		log_err("%s", errbuf);
		return -1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		n++;
	}
	if (rc == PCAP_ERROR) {
		log_err("%s: %s", path, pcap_geterr(p));
		n = -1;
	}
	pcap_close(p);
	return n;
}

int
port_init(uint16_t port, uint16_t nq, uint16_t nb_desc, struct rte_mempool *mp)
{
	static uint8_t sym_key[52];
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t q;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0) {
		return rc;
	}
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	}
	/* frames larger than an mbuf (jumbo, GRO-merged in captures) arrive chained */
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		conf.rxmode.mtu = RTE_MIN(info.max_mtu, (uint16_t)(WORKER_MAX_FRAME - 18));
	}
	if (nq > 1 && (info.flow_type_rss_offloads & RTE_ETH_RSS_IP) != 0 &&
	    info.hash_key_size > 0 && info.hash_key_size <= sizeof(sym_key)) {
		/*
		 * Symmetric RSS: with the key 0x6d5a repeated, Toeplitz gives both
		 * directions of a connection the same hash (Woo and Park, "Scalable
		 * TCP Session Monitoring with Symmetric Receive-side Scaling").
		 * Addresses only, as the spreader hashes: a fragment, which has no
		 * ports, then reaches the queue of its flow.
		 */
		memset(sym_key, 0, sizeof(sym_key));
		for (q = 0; q < sizeof(sym_key); q += 2) {
			sym_key[q] = 0x6d;
			sym_key[q + 1] = 0x5a;
		}
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = sym_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
	} else if (nq > 1) {
		/* net_af_packet spreads by the kernel's fanout hash, symmetric since Linux 4.x */
		log_info("port %u: no Toeplitz RSS; its queues are spread by the driver", port);
	}
	rc = rte_eth_dev_configure(port, nq, 1, &conf);
	if (rc != 0) {
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_desc, NULL);
	if (rc != 0) {
		return rc;
	}
	for (q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, nb_desc, rte_eth_dev_socket_id(port), NULL,
		                            mp);
		if (rc != 0) {
			return rc;
		}
	}
	rc = rte_eth_tx_queue_setup(port, 0, 64, rte_eth_dev_socket_id(port), NULL);
	if (rc != 0) {
		return rc;
	}
	rc = rte_eth_dev_start(port);
	if (rc != 0) {
		return rc;
	}
	rte_eth_promiscuous_enable(port);
	return 0;
}

/*
 * DPDK's log lines to stderr with their syslog priority in front, as ours
 * under journald. RTE_LOG_ERR (4) .. RTE_LOG_DEBUG (8) are syslog's 3 .. 7.
 */
static ssize_t
dpdk_log_write(void *cookie, const char *buf, size_t size)
{
	int level = rte_log_cur_msg_loglevel();
	int prio = level >= 1 && level <= 8 ? (level > 1 ? level - 1 : 0) : 6;

	(void)cookie;
	fprintf(stderr, "<%d>%.*s", prio, (int)size, buf);
	return (ssize_t)size;
}

void
port_log_to_journald(void)
{
	static cookie_io_functions_t io = { .write = dpdk_log_write };
	FILE *f;

	if (!log_journald()) {
		return;
	}
	f = fopencookie(NULL, "w", io);
	if (f != NULL) {
		setvbuf(f, NULL, _IOLBF, 0);
		rte_openlog_stream(f);
	}
}

void
port_log(uint16_t port, uint16_t nq, uint16_t nb_desc)
{
	struct rte_eth_dev_info info;
	struct rte_eth_link link;
	struct rte_ether_addr mac;
	char name[RTE_ETH_NAME_MAX_LEN] = "?", mac_s[RTE_ETHER_ADDR_FMT_SIZE] = "?", speed[32] = "";
	const char *driver = "?";

	rte_eth_dev_get_name_by_port(port, name);
	if (rte_eth_dev_info_get(port, &info) == 0 && info.driver_name != NULL) {
		driver = info.driver_name;
	}
	if (rte_eth_macaddr_get(port, &mac) == 0) {
		rte_ether_format_addr(mac_s, sizeof(mac_s), &mac);
	}
	memset(&link, 0, sizeof(link));
	rte_eth_link_get_nowait(port, &link);
	if (link.link_status && link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN &&
	    link.link_speed != RTE_ETH_SPEED_NUM_NONE) {
		snprintf(speed, sizeof(speed), " %u Mbps", link.link_speed);
	}
	log_info("port %u: %s (%s, %s), link %s%s, %u RX queue(s) of %u descriptors", port, name,
	         driver, mac_s, link.link_status ? "up" : "down", speed, nq, nb_desc);
}

void
port_log_stats(uint16_t port)
{
	struct rte_eth_stats st;
	char name[RTE_ETH_NAME_MAX_LEN] = "?";
	uint64_t drops;

	rte_eth_dev_get_name_by_port(port, name);
	if (rte_eth_stats_get(port, &st) != 0) {
		return;
	}
	if (port_kernel_drops(port, &drops) == 0) {
		st.imissed += drops;
	}
	log_info("port %u %s: %llu packets, %llu bytes received; %llu missed by the NIC, %llu "
	         "without an mbuf, %llu errors",
	         port, name, (unsigned long long)st.ipackets, (unsigned long long)st.ibytes,
	         (unsigned long long)st.imissed, (unsigned long long)st.rx_nombuf,
	         (unsigned long long)st.ierrors);
}
