/*
 * The DPDK worker lcore: one per RX queue, shared-nothing. It polls its queue
 * in bursts, runs each frame through its own engine (core/engine.h) and frees
 * the mbufs; an mbuf whose TCP segment must wait for a hole keeps an extra
 * reference until the stream releases it. Alerts leave through the writer's
 * ring (alert/writer.h).
 */
#ifndef FW_WORKER_H
#define FW_WORKER_H

#include <rte_common.h>
#include <stdbool.h>
#include <stdint.h>

#include "alert/writer.h"
#include "core/counters.h"

struct engine;

/* The largest frame a worker takes (a GRO-merged or jumbo frame spans several mbufs). */
#define WORKER_MAX_FRAME 65536

struct worker {
	struct counters c; /* first: cache-aligned, written only by this lcore */
	struct engine *engine;
	struct alert_writer *writer;
	uint16_t port;
	uint16_t queue;
	uint64_t expect_packets; /* stop after this many (a capture file); 0: run until stopped */
	volatile bool done;      /* set by the worker after its final flush */
	uint8_t linear[WORKER_MAX_FRAME]; /* a chained mbuf, copied flat */
} __rte_cache_aligned;

/* Set by signal handlers or the control thread: every worker flushes and returns. */
extern volatile bool worker_stop;

/* The engine ops a worker uses (mbuf references, writer records); arg is the worker. */
extern const struct tcp_stream_ops worker_tcp_ops;
struct alert_rec *worker_alert_get(void *arg);
void worker_alert_submit(void *arg, struct alert_rec *rec);

/* lcore entry point; <arg> is a struct worker. Returns 0. */
int worker_main(void *arg);

#endif
