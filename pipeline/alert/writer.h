/*
 * The path from workers to alert consumers: a mempool of struct alert_rec
 * and a multi-producer / single-consumer rte_ring (drop policy in
 * alert-t.h), drained on the main lcore. The writer assigns seq (the
 * journal's last + 1, 2, ... with no gap: a number is given only to a line
 * that is written), encodes a burst of records as NDJSON, appends the burst
 * to the journal with one write, and only then hands the lines to the
 * stream server (alert_out.h) and tells the NATS sink: no consumer ever sees
 * a line the journal lacks.
 */
#ifndef FW_WRITER_H
#define FW_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "alert/alert-t.h"
#include "alert/alert_out.h"
#include "alert/journal.h"
#include "alert/latency.h"
#include "alert/nats_sink.h"
#include "core/counters.h"

struct alert_writer_conf {
	uint32_t pool;           /* records in flight */
	uint32_t ring;           /* ring slots (rounded up to a power of two) */
	struct alert_out *out;   /* NULL: no stream */
	struct journal *journal; /* NULL: no journal (seq starts at 1) */
	struct nats_sink *sink;  /* NULL: no NATS */
	bool ecs;                /* the stream gets ECS lines (the journal stays native) */
	const char *node;        /* named in ECS lines */
};

struct alert_writer;

/*
 * Create the pool and ring. The sinks in <conf> are owned by the caller and
 * must outlive the writer. Counts alert_written in <c>. After
 * rte_eal_init(). NULL and <*err> on failure.
 */
struct alert_writer *alert_writer_create(const struct alert_writer_conf *conf, struct counters *c,
                                         char **err);

/* Frees the writer; the ring should be drained first. Accepts NULL. */
void alert_writer_free(struct alert_writer *w);

/* Worker side: a free record (contents undefined), or NULL when the pool is empty. */
struct alert_rec *alert_writer_get(struct alert_writer *w);

/*
 * Worker side: enqueue <n> records in one burst. Those the ring cannot take
 * go back to the pool and are counted (alert_ring_full) in the worker's <c>.
 * Never blocks.
 */
void alert_writer_submit_burst(struct alert_writer *w, struct alert_rec *const *recs,
                               unsigned int n, struct counters *c);

/*
 * Main lcore: write up to <max> queued records, in bursts, and flush them
 * to the stream's clients. Returns how many records were taken.
 */
unsigned int alert_writer_drain(struct alert_writer *w, unsigned int max);

/* The last seq assigned (the journal's last before the first alert). */
uint64_t alert_writer_seq(const struct alert_writer *w);

/* Packet-to-alert latencies of every record drained so far (main lcore). */
const struct latency_hist *alert_writer_latency(const struct alert_writer *w);

#endif
