/*
 * The capture side of `feedwatch run`: the EAL arguments a source needs
 * (capture.pcap through net_pcap, capture.iface through net_af_packet,
 * capture.pci ports), port set-up with symmetric RSS, and the start-up and
 * final lines an operator reads about each port. Control plane.
 */
#ifndef FW_PORT_H
#define FW_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

struct rte_mempool;

#define PORT_MAX_EAL_ARGS 96

/* Where packets come from: one of the three, resolved from the command line and the config. */
struct capture_src {
	const char *pcap;  /* a capture file, read once */
	const char *iface; /* a kernel interface */
	char *const *pci;  /* PCI addresses */
	uint32_t n_pci;
};

/* The strings the built argument vector points into. */
struct port_eal_bufs {
	char lcores[160];
	char mem[32];
	char prefix[96];
	char vdev[4200];
	char allow[CONFIG_MAX_PCI][32];
};

/*
 * EAL arguments into <argv> (room for PORT_MAX_EAL_ARGS + 1): <prog>, then
 * what the capture needs (lcores 0..n_lcores-1 or dpdk.lcores, memory,
 * file prefix, PCI allow list or --no-pci, telemetry, log level, the vdev of
 * <src> with <n_queues> queues), each only when dpdk.eal_args and
 * <user_argv> do not already say it, then dpdk.eal_args and <user_argv>.
 * Returns argc.
 */
int port_eal_args(char *prog, const struct fw_config *cfg, const struct capture_src *src,
                  int user_argc, char **user_argv, unsigned int n_lcores, unsigned int n_queues,
                  char **argv, struct port_eal_bufs *b);

/*
 * The ports EAL will find: capture.pci's, or the one of a capture file or an
 * interface, plus each --vdev / --allow / -a in dpdk.eal_args and <user_argv>
 * (at least 1).
 */
unsigned int port_expected(const struct fw_config *cfg, const struct capture_src *src,
                           int user_argc, char **user_argv);

/*
 * Configure and start <port> with <nq> RX queues of <nb_desc> descriptors
 * from <mp> (symmetric RSS over IP addresses when the port has Toeplitz RSS)
 * and promiscuous mode. 0 or a negative errno.
 */
int port_init(uint16_t port, uint16_t nq, uint16_t nb_desc, struct rte_mempool *mp);

/* Packets in capture file <path>, or -1 after logging why it cannot be read. */
int64_t port_count_packets(const char *path);

/*
 * For a net_af_packet port: the packets the kernel dropped because the
 * capture ring was full, summed since start, into *drops (0). -1 for other
 * ports, whose rte_eth_stats.imissed says it. Any thread.
 */
int port_kernel_drops(uint16_t port, uint64_t *drops);

/* Under journald, give DPDK's own log lines their syslog priority too. Before rte_eal_init(). */
void port_log_to_journald(void);

/* The start-up line of <port>: name, driver, MAC, link, queues. */
void port_log(uint16_t port, uint16_t nq, uint16_t nb_desc);

/* The final line of <port>: received, missed by the NIC, no mbuf, errors. */
void port_log_stats(uint16_t port);

#endif
