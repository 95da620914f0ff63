/*
 * The DPDK worker lcore, shared-nothing. It polls its RX queue (one worker
 * per queue, the NIC's symmetric RSS choosing) or, when there are more
 * workers than queues, its ring from the spreader: one RX lcore that polls
 * every queue and hands each frame to a worker by a symmetric hash of its
 * addresses (net/spread.h). A worker runs each frame through its own engine
 * (core/engine.h) and frees the mbufs; an mbuf whose TCP segment must wait
 * for a hole keeps an extra reference until the stream releases it. Alerts
 * leave through the writer's ring (alert/writer.h).
 */
#ifndef FW_WORKER_H
#define FW_WORKER_H

#include <rte_common.h>
#include <stdbool.h>
#include <stdint.h>

#include "alert/writer.h"
#include "core/counters.h"

struct engine;
struct rte_ring;
struct wl_gen;
struct wl_pub;
struct spreader;

/* The most packets one rte_eth_rx_burst asks for (dpdk.burst). */
#define WORKER_MAX_BURST 256

/* The most RX queues (over all ports) one spreader polls. */
#define WORKER_MAX_RX 256

/* The largest frame a worker takes (a GRO-merged or jumbo frame spans several mbufs). */
#define WORKER_MAX_FRAME 65536

struct worker {
	struct counters c; /* first: cache-aligned, written only by this lcore */
	struct engine *engine;
	struct alert_writer *writer;
	struct wl_pub *pub;       /* watchlist generations (core/wl_gen.h) */
	const struct wl_gen *gen; /* the one the engine uses now */
	unsigned int idx;         /* this worker's QSBR thread id and scratch index */
	uint16_t port;
	uint16_t queue;
	uint16_t burst;          /* packets per RX burst (dpdk.burst, at most WORKER_MAX_BURST) */
	uint64_t expect_packets; /* stop after this many (a capture file); 0: run until stopped */
	struct rte_ring *ring;   /* frames from <from>; NULL: poll <port>, <queue> */
	const struct spreader *from;
	unsigned int n_alerts; /* records waiting to go to the writer in one burst */
	struct alert_rec *alerts[32];
	volatile bool done;               /* set by the worker after its final flush */
	uint8_t linear[WORKER_MAX_FRAME]; /* a chained mbuf, copied flat */
} __rte_cache_aligned;

/* The most workers one spreader feeds. */
#define WORKER_MAX_SPREAD 64

/*
 * The RX lcore that spreads a port's queues over the workers' rings. From a
 * capture file (<lossless>) a full ring is waited for: the file can wait, and
 * nothing is lost. From a live port a frame whose worker's ring is full is
 * dropped and counted (rx_spread_full): the spreader never waits for a worker.
 */
struct spreader {
	struct counters c;               /* first: cache-aligned, written only by this lcore */
	uint16_t rx_port[WORKER_MAX_RX]; /* the (port, queue) pairs it polls */
	uint16_t rx_queue[WORKER_MAX_RX];
	uint16_t n_rx;
	uint16_t burst;
	unsigned int n_rings;
	struct rte_ring *rings[WORKER_MAX_SPREAD]; /* single producer, single consumer */
	uint64_t expect_packets;                   /* as in struct worker */
	bool lossless;
	volatile bool done; /* set after the last frame is on a ring */
} __rte_cache_aligned;

/* Set by signal handlers or the control thread: every worker flushes and returns. */
extern volatile bool worker_stop;

/* Set before launch when lcores outnumber CPUs: idle pollers yield the CPU. */
extern bool worker_yield_idle;

/* The engine ops a worker uses (mbuf references, writer records); arg is the worker. */
extern const struct tcp_stream_ops worker_tcp_ops;
struct alert_rec *worker_alert_get(void *arg);
void worker_alert_submit(void *arg, struct alert_rec *rec);

/*
 * Hand the alerts submitted since the last call to the writer in one burst
 * (the worker loop calls it after every burst of packets). Never blocks.
 */
void worker_alert_flush(struct worker *w);

/* lcore entry point; <arg> is a struct worker. Returns 0. */
int worker_main(void *arg);

/* lcore entry point; <arg> is a struct spreader. Returns 0. */
int spreader_main(void *arg);

#endif
