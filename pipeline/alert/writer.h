/*
 * The path from workers to alert consumers: a mempool of struct alert_rec
 * and a multi-producer / single-consumer rte_ring (drop policy in
 * alert-t.h), drained on the main lcore, which assigns seq (1, 2, ... with
 * no gap: a number is given only to a line that is written), encodes NDJSON
 * and hands each line to struct alert_out.
 */
#ifndef FW_WRITER_H
#define FW_WRITER_H

#include <stdint.h>

#include "alert/alert-t.h"
#include "alert/alert_out.h"
#include "alert/latency.h"
#include "core/counters.h"

struct alert_writer;

/*
 * <pool> records and a ring of <ring> slots (rounded up to a power of two),
 * writing to <out> (owned by the caller, must outlive the writer). Counts
 * alert_written in <c>. After rte_eal_init(). NULL and <*err> on failure.
 */
struct alert_writer *alert_writer_create(uint32_t pool, uint32_t ring, struct alert_out *out,
                                         struct counters *c, char **err);

/* Frees the writer; the ring should be drained first. Accepts NULL. */
void alert_writer_free(struct alert_writer *w);

/* Worker side: a free record (contents undefined), or NULL when the pool is empty. */
struct alert_rec *alert_writer_get(struct alert_writer *w);

/*
 * Worker side: enqueue <r>. If the ring is full the record goes back to the
 * pool and alert_ring_full is counted in the worker's <c>. Never blocks.
 */
void alert_writer_submit(struct alert_writer *w, struct alert_rec *r, struct counters *c);

/* Main lcore: write up to <max> queued records. Returns how many were written. */
unsigned int alert_writer_drain(struct alert_writer *w, unsigned int max);

/* The last seq assigned (0 before the first alert). */
uint64_t alert_writer_seq(const struct alert_writer *w);

/* Packet-to-alert latencies of every record drained so far (main lcore). */
const struct latency_hist *alert_writer_latency(const struct alert_writer *w);

#endif
