/*
 * What an operator watches, in one plain snapshot (struct metrics_view) that
 * three interfaces render: `feedwatch ctl stats` (stats.c), the Prometheus
 * text endpoint (this file) and DPDK telemetry under /feedwatch/
 * (core/telemetry.c). The view holds no DPDK type: run.c fills the port
 * figures from rte_eth_stats and the rest from the control thread's state.
 *
 * Prometheus names follow its conventions
 * (https://prometheus.io/docs/practices/naming/): every name starts with
 * "feedwatch_", counters end in "_total", the thread a counter belongs to is
 * the label source="worker0" | "writer" | "nats" | "spreader", and the sum
 * over sources is left to PromQL (sum without (source) (...)).
 */
#ifndef FW_METRICS_H
#define FW_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/stats.h"

#define METRICS_MAX_PORTS 16
/* Scrapes served at once; more clients wait in the listen backlog. */
#define METRICS_HTTP_MAX_CONNS 8

/*
 * One capture port, from rte_eth_stats_get(). Its index in metrics_view.ports
 * is the label port="<i>" (feedwatch's ports are DPDK ports 0..n-1 in order).
 */
struct metrics_port {
	char name[64]; /* device name: "0000:3b:00.0", "net_af_packet0", "net_pcap0" */
	uint64_t ipackets;
	uint64_t ibytes;
	uint64_t
	        imissed; /* dropped by the NIC (RX descriptors full), or net_af_packet's kernel ring */
	uint64_t ierrors;   /* erroneous frames */
	uint64_t rx_nombuf; /* dropped for want of an mbuf */
};

/* One alert stream client (alert_out_snapshot()). */
struct metrics_client {
	uint32_t id;
	char peer[64];
	const char *state; /* "waiting", "live", "replay", "closing" (static strings) */
	uint64_t sent_to;  /* last seq sent */
	uint64_t lag_alerts;
	uint64_t lag_bytes;
	uint64_t skipped;
	uint64_t replayed;
	uint64_t bytes_sent;
};

/* The running watchlist generation and its reloads. */
struct metrics_watchlists {
	uint64_t generation;
	uint32_t watchlists;
	uint32_t terms;
	uint64_t db_bytes;
	uint64_t reloads;             /* successful */
	uint64_t reload_failed;       /* rejected: the running generation stayed */
	double last_reload_s;         /* build time of the last successful reload (or start) */
	uint64_t last_reload_unix;    /* when the running generation went live, seconds */
	char last_reload_error[1024]; /* "" when the last reload succeeded */
};

struct metrics_view {
	const struct stats_src *src; /* counters per thread */
	const struct stats_rate *rate;
	const struct metrics_port *ports;
	unsigned int n_ports;
	const struct metrics_client *clients;
	unsigned int n_clients;
	bool clients_known; /* false: the writer did not answer in time; clients unknown */
	uint64_t last_seq;  /* the last alert written */
	struct metrics_watchlists wl;
	const char *version; /* feedwatch, dpdk, hyperscan versions for build_info */
	const char *dpdk_version;
	const char *hs_version;
	const char *node;
	uint64_t start_unix; /* process start, seconds since the epoch */
};

/*
 * Prometheus text exposition format 0.0.4 of <v>, appended to the buffer
 * <*buf> of <*len> bytes used and <*cap> allocated (grown with realloc;
 * *buf may start NULL). The text is not NUL-terminated, but at least one byte
 * past *len is left allocated for the caller's NUL. Every counter is rendered
 * for every source, zeros included (stable series); per-second rates only
 * when <v>->rate->have. Returns 0, or -ENOMEM (the buffer holds what fitted).
 */
int metrics_render_prom(const struct metrics_view *v, char **buf, size_t *len, size_t *cap);

/*
 * The <i>th name of the counter table (counters_name()) that is a gauge, a
 * level rather than a running total: it is rendered feedwatch_<name> TYPE
 * gauge, without "_total" and without a per-second rate. NULL past the last.
 */
const char *metrics_gauge_name(unsigned int i);

/* Whether counter <k> is a gauge (a level, not a running total). */
bool metrics_is_gauge(int k);

/* The Prometheus listener (GET /metrics on a loopback port). */
struct metrics_http;

/*
 * The renderer metrics_http_poll() calls per scrape: fill <v> (valid until
 * the next call). Returns 0, or -1 to answer 503.
 */
typedef int metrics_view_fn(void *arg, struct metrics_view *v);

/*
 * Listen on "addr:port" or "[v6addr]:port" (TCP). Returns the server, or NULL
 * with a heap message in *err (a bad spec, an address in use).
 */
struct metrics_http *metrics_http_open(const char *listen, char **err);

/*
 * The listening socket, for the caller's poll(): readable when a client
 * connects; -1 (which poll() skips) while METRICS_HTTP_MAX_CONNS scrapes are
 * in progress, so clients waiting in the backlog do not make it spin.
 * Connections' own sockets are served inside metrics_http_poll(), so the
 * caller must call it every 100 ms or less anyway.
 */
int metrics_http_fd(const struct metrics_http *h);

/* The bound TCP port (useful after listening on port 0), or -1. */
int metrics_http_port(const struct metrics_http *h);

/* Replace the 1 s after which a silent client is dropped (tests use a short one). <ms> > 0. */
void metrics_http_set_idle_timeout(struct metrics_http *h, int ms);

/*
 * Accept, read and answer without blocking: GET (or HEAD) /metrics, any query
 * string ignored, gets 200 with fn's view rendered per scrape (503 if fn
 * returns -1); other paths 404, other methods 405, a malformed request line
 * 400. Every answer carries "Connection: close" and the connection is closed
 * once the answer is written (a large one over several calls). Bounded:
 * METRICS_HTTP_MAX_CONNS connections at once, requests (line and headers) of
 * at most 8 KiB (else 431), a client silent for a second is dropped. fn runs
 * on the calling thread. Call at least every 100 ms (the control thread
 * does). Accepts NULL.
 */
void metrics_http_poll(struct metrics_http *h, metrics_view_fn *fn, void *arg);

/* Close every connection and the listener. Accepts NULL. */
void metrics_http_close(struct metrics_http *h);

#endif
