#include "alert/writer.h"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "alert/alert_ecs.h"
#include "alert/alert_json.h"
#include "core/clock.h"
#include "core/err.h"

#define DRAIN_BURST 32u
/* a burst's lines; a record that would not fit starts the next burst */
#define BATCH_BYTES (DRAIN_BURST * 2048u + ALERT_JSON_MAX)

struct alert_writer {
	struct alert_writer_conf conf;
	struct rte_mempool *pool;
	struct rte_ring *ring;
	struct counters *c;
	uint64_t seq;
	struct latency_hist lat;
	size_t ends[DRAIN_BURST]; /* end of each line in batch */
	char batch[BATCH_BYTES];
	char ecs[ALERT_ECS_MAX];
};

struct alert_writer *
alert_writer_create(const struct alert_writer_conf *conf, struct counters *c, char **err)
{
	struct alert_writer *w;
	char name[RTE_MEMPOOL_NAMESIZE];

	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	w->conf = *conf;
	w->c = c;
	w->seq = conf->journal != NULL ? journal_last_seq(conf->journal) : 0;
	snprintf(name, sizeof(name), "alerts_%d", (int)getpid());
	w->pool = rte_mempool_create(name, conf->pool, sizeof(struct alert_rec), 32, 0, NULL, NULL,
	                             NULL, NULL, SOCKET_ID_ANY, 0);
	if (w->pool == NULL) {
		err_set(err, "alert record pool (%u records): %s", conf->pool,
		        rte_strerror(rte_errno));
		goto fail;
	}
	w->ring = rte_ring_create(name, rte_align32pow2(conf->ring), SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (w->ring == NULL) {
		err_set(err, "alert ring (%u slots): %s", conf->ring, rte_strerror(rte_errno));
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
alert_writer_submit_burst(struct alert_writer *w, struct alert_rec *const *recs, unsigned int n,
                          struct counters *c)
{
	unsigned int done;

	if (n == 0) {
		return;
	}
	done = rte_ring_mp_enqueue_burst(w->ring, (void *const *)recs, n, NULL);
	counters_add(c, CNT_alert_enqueued, done);
	if (done < n) {
		counters_add(c, CNT_alert_ring_full, n - done);
		rte_mempool_put_bulk(w->pool, (void *const *)&recs[done], n - done);
	}
}

/*
 * Lines [0, n) of the batch are written: journal first, then the stream.
 * If the journal refuses them, their seqs are given back and nobody sees
 * them (alert_journal_errors counts it).
 */
static void
commit(struct alert_writer *w, struct alert_rec *const *recs, const uint64_t *lat, unsigned int n)
{
	uint64_t first = w->seq - n + 1;
	size_t start = 0;
	unsigned int i;

	if (n == 0) {
		return;
	}
	if (w->conf.journal != NULL &&
	    journal_append(w->conf.journal, w->batch, w->ends[n - 1], n) != 0) {
		w->seq -= n;
		return;
	}
	counters_add(w->c, CNT_alert_written, n);
	for (i = 0; i < n && w->conf.out != NULL; i++) {
		const char *line = w->batch + start;
		size_t len = w->ends[i] - start;

		if (w->conf.ecs) {
			len = alert_ecs_encode(recs[i], first + i, lat[i], w->conf.node, w->ecs,
			                       sizeof(w->ecs));
			line = w->ecs;
			if (len == 0) {
				/* the stream must not skip a seq: the native line stands in */
				counters_inc(w->c, CNT_alert_ecs_errors);
				line = w->batch + start;
				len = w->ends[i] - start;
			}
		}
		alert_out_line(w->conf.out, first + i, line, len);
		start = w->ends[i];
	}
	if (w->conf.sink != NULL) {
		nats_sink_notify(w->conf.sink, w->seq);
	}
}

unsigned int
alert_writer_drain(struct alert_writer *w, unsigned int max)
{
	void *recs[DRAIN_BURST];
	struct alert_rec *batch[DRAIN_BURST];
	uint64_t lat[DRAIN_BURST];
	unsigned int done = 0;

	while (done < max) {
		unsigned int n, i, k = 0;
		size_t used = 0;
		uint64_t now;

		n = rte_ring_sc_dequeue_burst(w->ring, recs, RTE_MIN(DRAIN_BURST, max - done),
		                              NULL);
		if (n == 0) {
			break;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		for (i = 0; i < n; i++) {
			struct alert_rec *r = recs[i];
			uint64_t us = now > r->rx_mono_ns ? (now - r->rx_mono_ns) / 1000u : 0;
			size_t len;

			latency_add(&w->lat, us);
			if (BATCH_BYTES - used < ALERT_JSON_MAX) {
				commit(w, batch, lat, k);
				k = 0;
				used = 0;
			}
			len = alert_json_encode(r, w->seq + 1, us, w->batch + used,
			                        BATCH_BYTES - used);
			if (len > 0) {
				w->seq++;
				used += len;
				w->ends[k] = used;
				batch[k] = r;
				lat[k++] = us;
			}
		}
		commit(w, batch, lat, k);
		rte_mempool_put_bulk(w->pool, recs, n);
		done += n;
	}
	if (done > 0 && w->conf.out != NULL) {
		alert_out_flush(w->conf.out);
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
