/*
 * The NATS JetStream sink: every alert in the journal, published to
 * <subject>.<watchlist> on a JetStream stream, so alerts from many
 * monitoring servers fan in to one durable, clustered bus.
 *
 * The sink is driven by the journal, not by the writer's memory: its own
 * thread reads journal lines after the last acknowledged seq and publishes
 * them asynchronously with the header Nats-Msg-Id = "<node>:<seq>", keeping
 * at most nats.max_pending unacknowledged. A publish that fails or is not
 * acknowledged within nats.ack_timeout is sent again (nats_retried) from the
 * journal; JetStream drops the repeat by its message id within the stream's
 * duplicate window, so each alert is stored exactly once. While the server
 * is down nothing queues in memory beyond max_pending: the journal is the
 * backlog, and the sink catches up from it when the server returns. The
 * last acknowledged seq is kept in <journal dir>/nats-<node>.acked, so a
 * restart (even after SIGKILL) resumes where the stream left off.
 *
 * Watchlist names are mapped to subject tokens: characters other than
 * letters, digits, '-' and '_' become '_'.
 */
#ifndef FW_NATS_SINK_H
#define FW_NATS_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/counters.h"

struct nats_sink_conf {
	const char *url;         /* one or more servers, comma-separated */
	const char *stream;      /* JetStream stream name */
	const char *subject;     /* subject prefix: <subject>.<watchlist> */
	const char *node;        /* message ids are <node>:<seq> */
	const char *journal_dir; /* required: the sink reads what to publish from here */
	bool create_stream;      /* add the stream (subjects <subject>.>) if it is missing */
	uint32_t max_pending;
	uint32_t ack_timeout_ms;
	uint32_t dup_window_s; /* the duplicate window of a stream the sink creates */
};

struct nats_sink;

/*
 * Start the sink's thread. It connects in the background (and reconnects
 * forever), so a server that is down at start is not an error; a bad URL or
 * configuration is. <c> is the sink's own counters struct (nats_*), written
 * only by the sink's threads and read by the control side like a worker's.
 * NULL and <*err> (heap) on failure. Control plane.
 */
struct nats_sink *nats_sink_start(const struct nats_sink_conf *conf, struct counters *c,
                                  char **err);

/*
 * The writer has appended lines up to <last_seq> to the journal. Cheap (an
 * atomic store and, only if the sink sleeps, one eventfd write); writer
 * thread.
 */
void nats_sink_notify(struct nats_sink *s, uint64_t last_seq);

/* The last seq JetStream has acknowledged (any thread). */
uint64_t nats_sink_acked(const struct nats_sink *s);

/*
 * Publish what the journal holds up to the last notified seq, waiting at
 * most <drain_ms> for acknowledgements, save the acked seq, stop the thread
 * and free the sink. What was not acknowledged is published after the next
 * start. Accepts NULL. Control plane.
 */
void nats_sink_stop(struct nats_sink *s, uint32_t drain_ms);

#endif
