#include "alert/writer.h"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "alert/alert_json.h"
#include "core/clock.h"
#include "core/err.h"

#define DRAIN_BURST 32u

struct alert_writer {
	struct rte_mempool *pool;
	struct rte_ring *ring;
	struct alert_out *out;
	struct counters *c;
	uint64_t seq;
	struct latency_hist lat;
	char line[ALERT_JSON_MAX];
};

struct alert_writer *
alert_writer_create(uint32_t pool, uint32_t ring, struct alert_out *out, struct counters *c,
                    char **err)
{
	struct alert_writer *w;
	char name[RTE_MEMPOOL_NAMESIZE];

	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	w->out = out;
	w->c = c;
	snprintf(name, sizeof(name), "alerts_%d", (int)getpid());
	w->pool = rte_mempool_create(name, pool, sizeof(struct alert_rec), 32, 0, NULL, NULL, NULL,
	                             NULL, SOCKET_ID_ANY, 0);
	if (w->pool == NULL) {
		err_set(err, "alert record pool (%u records): %s", pool, rte_strerror(rte_errno));
		goto fail;
	}
	w->ring = rte_ring_create(name, rte_align32pow2(ring), SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (w->ring == NULL) {
		err_set(err, "alert ring (%u slots): %s", ring, rte_strerror(rte_errno));
		goto fail;
	}
	return w;
fail:
	alert_writer_free(w);
	return NULL;
}

void
alert_writer_free(struct alert_writer *w)
{
	if (w == NULL) {
		return;
	}
	rte_ring_free(w->ring);
	rte_mempool_free(w->pool);
	free(w);
}

struct alert_rec *
alert_writer_get(struct alert_writer *w)
{
	void *r;

	if (rte_mempool_get(w->pool, &r) != 0) {
		return NULL;
	}
	return r;
}

void
alert_writer_submit(struct alert_writer *w, struct alert_rec *r, struct counters *c)
{
	if (rte_ring_enqueue(w->ring, r) != 0) {
		counters_inc(c, CNT_alert_ring_full);
		rte_mempool_put(w->pool, r);
		return;
	}
	counters_inc(c, CNT_alert_enqueued);
}

unsigned int
alert_writer_drain(struct alert_writer *w, unsigned int max)
{
	void *recs[DRAIN_BURST];
	unsigned int done = 0;

	while (done < max) {
		unsigned int n, i;
		uint64_t now;

		n = rte_ring_sc_dequeue_burst(w->ring, recs, RTE_MIN(DRAIN_BURST, max - done),
		                              NULL);
		if (n == 0) {
			break;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		for (i = 0; i < n; i++) {
			const struct alert_rec *r = recs[i];
			uint64_t lat = now > r->rx_mono_ns ? (now - r->rx_mono_ns) / 1000u : 0;
			size_t len =
			        alert_json_encode(r, w->seq + 1, lat, w->line, sizeof(w->line));

			latency_add(&w->lat, lat);
			if (len > 0) {
				w->seq++;
				alert_out_line(w->out, w->line, len);
				counters_inc(w->c, CNT_alert_written);
			}
		}
		rte_mempool_put_bulk(w->pool, recs, n);
		done += n;
	}
	return done;
}

uint64_t
alert_writer_seq(const struct alert_writer *w)
{
	return w->seq;
}

const struct latency_hist *
alert_writer_latency(const struct alert_writer *w)
{
	return &w->lat;
}
