/*
 * `feedwatch run`: EAL, ports, workers and the writer on the main lcore.
 */
#ifndef FW_RUN_H
#define FW_RUN_H

#include <stdint.h>

struct run_opts {
	const char *config;    /* NULL: built-in defaults */
	const char *pcap;      /* read this capture through net_pcap, then exit */
	const char *iface;     /* or capture live on this interface through net_af_packet */
	const char *socket;    /* overrides output.socket */
	const char *journal;   /* overrides journal.dir */
	const char *control;   /* overrides control.socket */
	uint32_t wait_clients; /* hold packets until this many alert clients are connected */
	int eal_argc;          /* EAL arguments given after "--" */
	char **eal_argv;
};

/* Run until the capture ends or a signal stops it. Returns the process exit code. */
int run_main(char *prog, const struct run_opts *o);

#endif
