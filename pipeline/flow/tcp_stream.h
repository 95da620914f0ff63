/*
 * TCP stream reassembly API; the state and its lifecycle are described in
 * tcp_stream-t.h. Plain C: the packet that carries a segment is an opaque
 * <ref> managed through struct tcp_stream_ops.
 */
#ifndef FW_TCP_STREAM_H
#define FW_TCP_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/span.h"
#include "flow/tcp_stream-t.h"

/* Keeping a packet alive while one of its segments is held. */
struct tcp_stream_ops {
	/*
	 * Take a reference on <ref> whose payload <data> is about to be held.
	 * Returns the span to hold (the same bytes, or a stable copy) and sets
	 * <*handle> to what release() later gets; returns a span with ptr NULL
	 * when it cannot (counted by the stream as tcp_ooo_limit).
	 */
	struct span (*hold)(void *ref, struct span data, void **handle);
	void (*release)(void *handle);
};

/*
 * Receives in-order bytes (valid during the call only) of one direction. A
 * span with ptr NULL announces a hole of len bytes that will never be
 * delivered: the bytes of the next call do not follow those of the last.
 */
typedef void tcp_stream_data_fn(void *arg, struct span data);

/* Told once when the direction closes (FIN reached in order, RST, or end). */
typedef void tcp_stream_close_fn(void *arg);

/* Per-worker pool of held-segment nodes. */
struct tcp_seg_pool;

/* A pool of <n> nodes; NULL on allocation failure. Control plane. */
struct tcp_seg_pool *tcp_seg_pool_create(uint32_t n);

/* Frees the pool (every stream using it must be released first). Accepts NULL. */
void tcp_seg_pool_free(struct tcp_seg_pool *pool);

/* Nodes in use. */
uint32_t tcp_seg_pool_used(const struct tcp_seg_pool *pool);

/* What a stream works with; one per worker, shared by its streams. */
struct tcp_stream_env {
	struct tcp_seg_pool *pool;
	const struct tcp_stream_ops *ops;
	struct counters *c;
	uint16_t max_ooo_segs;  /* per stream */
	uint32_t max_ooo_bytes; /* per stream */
};

/*
 * Feed one segment of this direction: sequence <seq>, TCP <flags>
 * (DECODE_TH_*), <payload> living in packet <ref>. In-order bytes (and any
 * held bytes they make contiguous) go to <data_fn>; segments ahead of a hole
 * are held through env->ops; at a limit the hole is skipped (tcp_gap,
 * announced to <data_fn>), the held bytes delivered, and the new segment
 * taken in order. When FIN is
 * reached in order or RST arrives, <close_fn> is called once and the stream
 * ignores further segments. A SYN sets next_seq to seq + 1.
 */
void tcp_stream_segment(struct tcp_stream *s, const struct tcp_stream_env *env, uint32_t seq,
                        uint8_t flags, struct span payload, void *ref, tcp_stream_data_fn *data_fn,
                        tcp_stream_close_fn *close_fn, void *arg);

/*
 * End the stream now (flow evicted or capture ended): skip any hole, deliver
 * the held bytes in order, release them, and call <close_fn> if not yet
 * closed. Leaves the stream closed with nothing held.
 */
void tcp_stream_finish(struct tcp_stream *s, const struct tcp_stream_env *env,
                       tcp_stream_data_fn *data_fn, tcp_stream_close_fn *close_fn, void *arg);

#endif
