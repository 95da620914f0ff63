#include "core/worker.h"

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <sched.h>
#include <time.h>

#include "core/clock.h"
#include "core/engine.h"
#include "core/wl_gen.h"
#include "net/spread.h"

#define PREFETCH_AHEAD 3
#define IDLE_GIVE_UP_NS \
	(3ull * 1000000000u) /* a capture with nothing more for this long has ended */

volatile bool worker_stop;
bool worker_yield_idle;

/* An idle poll: give the CPU away when lcores outnumber CPUs, or a poller starves its peer. */
static inline void
idle(void)
{
	if (worker_yield_idle) {
		sched_yield();
	} else {
		rte_pause();
	}
}

static struct span
hold_mbuf(void *ref, struct span data, void **handle)
{
	rte_mbuf_refcnt_update(ref, 1);
	*handle = ref;
	return data;
}

static void
release_mbuf(void *handle)
{
	rte_pktmbuf_free(handle);
}

const struct tcp_stream_ops worker_tcp_ops = { hold_mbuf, release_mbuf };

struct alert_rec *
worker_alert_get(void *arg)
{
	struct worker *w = arg;

	return alert_writer_get(w->writer);
}

void
worker_alert_flush(struct worker *w)
{
	if (w->n_alerts > 0) {
		alert_writer_submit_burst(w->writer, w->alerts, w->n_alerts, &w->c);
		w->n_alerts = 0;
	}
}

void
worker_alert_submit(void *arg, struct alert_rec *rec)
{
	struct worker *w = arg;

	w->alerts[w->n_alerts++] = rec;
	if (w->n_alerts == RTE_DIM(w->alerts)) {
		worker_alert_flush(w);
	}
}

/* Capture time from the PMD (net_pcap with the timestamp offload), else now. */
static int ts_offset = -1;
static uint64_t ts_flag;

static void
timestamps_init(void)
{
	int bit;

	ts_offset = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);
	ts_flag = bit >= 0 ? 1ull << bit : 0;
}

static inline uint64_t
packet_time(const struct rte_mbuf *m, uint64_t wall)
{
	uint64_t ts;

	if (ts_offset < 0 || ts_flag == 0 || (m->ol_flags & ts_flag) == 0) {
		return wall;
	}
	ts = *RTE_MBUF_DYNFIELD(m, ts_offset, const rte_mbuf_timestamp_t *);
	/*
	 * The unit is the driver's: net_pcap in DPDK 22.11 stores microseconds,
	 * later releases nanoseconds. Nanoseconds since the epoch have passed
	 * 1e17 since 1973, microseconds will not before the year 5000.
	 */
	return ts < 100000000000000000ull ? ts * 1000u : ts;
}

static bool
capture_done(uint16_t port, uint64_t expect, uint64_t received)
{
	struct rte_eth_stats st;

	if (expect == 0) {
		return false;
	}
	if (received >= expect) {
		return true;
	}
	/* frames the PMD could not take still count towards the end of the file */
	if (rte_eth_stats_get(port, &st) == 0 && st.ipackets + st.ierrors + st.imissed >= expect) {
		return true;
	}
	return false;
}

/*
 * The next burst for <w>: from its queue, or from its ring. Sets <*last> when
 * nothing more will come: the spreader has finished and the ring is empty.
 */
static inline uint16_t
next_burst(struct worker *w, struct rte_mbuf **pkts, bool *last)
{
	uint16_t n;
	bool fed;

	if (w->ring == NULL) {
		return rte_eth_rx_burst(w->port, w->queue, pkts, w->burst);
	}
	/* read the flag first: a frame enqueued before it was set is then dequeued below */
	fed = __atomic_load_n(&w->from->done, __ATOMIC_ACQUIRE);
	n = (uint16_t)rte_ring_sc_dequeue_burst(w->ring, (void **)pkts, w->burst, NULL);
	*last = fed && n == 0;
	return n;
}

int
worker_main(void *arg)
{
	struct worker *w = arg;
	struct rte_mbuf *pkts[WORKER_MAX_BURST];
	uint64_t received = 0, last_rx, last_tick;
	uint16_t n, i;

	timestamps_init();
	last_rx = last_tick = clock_ns(CLOCK_MONOTONIC);
	if (w->pub != NULL) {
		wl_pub_worker_online(w->pub, w->idx);
	}
	while (!worker_stop) {
		uint64_t mono, wall;
		bool last = false;

		if (w->pub != NULL) {
			/*
			 * Between bursts nothing refers to the old generation: say so
			 * first, then load (loaded before, a generation retired meanwhile
			 * could be the one taken).
			 */
			const struct wl_gen *g;

			wl_pub_quiescent(w->pub, w->idx);
			g = wl_pub_current(w->pub);
			if (unlikely(g != w->gen)) {
				engine_use_watchlists(w->engine, g->set, g->scratch[w->idx]);
				w->gen = g;
			}
		}
		n = next_burst(w, pkts, &last);
		mono = clock_ns(CLOCK_MONOTONIC);
		if (n == 0) {
			if (last) {
				break;
			}
			if (mono - last_tick > 100000000u) {
				engine_tick(w->engine, mono);
				worker_alert_flush(w);
				last_tick = mono;
				if (capture_done(w->port, w->expect_packets, received)) {
					break;
				}
			}
			if (w->expect_packets != 0 && mono - last_rx > IDLE_GIVE_UP_NS) {
				break;
			}
			idle();
			continue;
		}
		last_rx = mono;
		wall = clock_ns(CLOCK_REALTIME);
		for (i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[i];

			if (i + PREFETCH_AHEAD < n) {
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
			}
			if (unlikely(m->nb_segs > 1)) {
				/* a frame larger than one mbuf (jumbo, or GRO-merged in a capture) */
				const void *flat = rte_pktmbuf_read(m, 0, m->pkt_len, w->linear);

				counters_inc(&w->c, CNT_rx_multiseg);
				if (flat != NULL) {
					engine_packet(w->engine, flat, m->pkt_len,
					              packet_time(m, wall), mono, NULL);
				}
			} else {
				engine_packet(w->engine, rte_pktmbuf_mtod(m, const uint8_t *),
				              m->data_len, packet_time(m, wall), mono, m);
			}
		}
		worker_alert_flush(w);
		/* the engine took its own references on mbufs it holds */
		rte_pktmbuf_free_bulk(pkts, n);
		received += n;
		if (w->expect_packets != 0 && received >= w->expect_packets) {
			break;
		}
	}
	engine_flush(w->engine);
	worker_alert_flush(w);
	if (w->pub != NULL) {
		wl_pub_worker_offline(w->pub, w->idx);
	}
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	return 0;
}

/* Hands out one burst by worker; returns the frames received. */
static uint16_t
spread_burst(struct spreader *sp, uint16_t port, uint16_t queue)
{
	struct rte_mbuf *pkts[WORKER_MAX_BURST], *by[WORKER_MAX_SPREAD][WORKER_MAX_BURST];
	unsigned int count[WORKER_MAX_SPREAD] = { 0 }, k;
	uint16_t n, i;

	n = rte_eth_rx_burst(port, queue, pkts, sp->burst);
	for (i = 0; i < n; i++) {
		/* the headers are in the first segment of a chained frame */
		k = spread_pick(
		        spread_hash(rte_pktmbuf_mtod(pkts[i], const uint8_t *), pkts[i]->data_len),
		        sp->n_rings);
		by[k][count[k]++] = pkts[i];
	}
	for (k = 0; k < sp->n_rings; k++) {
		unsigned int done = 0;

		while (done < count[k]) {
			done += rte_ring_sp_enqueue_burst(sp->rings[k], (void **)&by[k][done],
			                                  count[k] - done, NULL);
			if (done == count[k] || !sp->lossless || worker_stop) {
				break;
			}
			idle();
		}
		if (done < count[k]) {
			counters_add(&sp->c, CNT_rx_spread_full, count[k] - done);
			rte_pktmbuf_free_bulk(&by[k][done], count[k] - done);
		}
	}
	return n;
}

int
spreader_main(void *arg)
{
	struct spreader *sp = arg;
	uint64_t received = 0, last_rx = clock_ns(CLOCK_MONOTONIC), last_check = last_rx;
	uint16_t q;

	while (!worker_stop) {
		uint64_t mono;
		uint16_t n = 0;

		for (q = 0; q < sp->n_rx; q++) {
			n = (uint16_t)(n + spread_burst(sp, sp->rx_port[q], sp->rx_queue[q]));
		}
		received += n;
		if (sp->expect_packets != 0 && received >= sp->expect_packets) {
			break;
		}
		if (n > 0) {
			last_rx = clock_ns(CLOCK_MONOTONIC);
			continue;
		}
		mono = clock_ns(CLOCK_MONOTONIC);
		if (mono - last_check > 100000000u) {
			last_check = mono;
			if (capture_done(sp->rx_port[0], sp->expect_packets, received)) {
				break;
			}
		}
		if (sp->expect_packets != 0 && mono - last_rx > IDLE_GIVE_UP_NS) {
			break;
		}
		idle();
	}
	__atomic_store_n(&sp->done, true, __ATOMIC_RELEASE);
	return 0;
}
