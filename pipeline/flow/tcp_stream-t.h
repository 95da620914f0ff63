/*
 * TCP stream reassembly, one struct tcp_stream per direction of a flow.
 *
 * In-order bytes go to the consumer straight from the packet. A segment that
 * arrives ahead of the next expected sequence number is held by reference
 * (the caller's hold/release ops keep the packet alive: an mbuf refcount in
 * the DPDK worker, a copy in the offline tools) in a per-stream list sorted
 * by sequence, with its node taken from a bounded per-worker pool. When the
 * hole fills, the held bytes are delivered and released. Bytes already
 * delivered are never delivered again (retransmissions and overlaps keep the
 * first copy). FIN and RST close the direction; a stream picked up without a
 * SYN starts at the first payload seen. All sequence arithmetic is modulo
 * 2^32.
 */
#ifndef FW_TCP_STREAM_T_H
#define FW_TCP_STREAM_T_H

#include <stdbool.h>
#include <stdint.h>

struct tcp_seg; /* private to flow/ */

struct tcp_stream {
	uint32_t next_seq;   /* next byte the consumer expects */
	bool started;        /* next_seq is known */
	bool closed;         /* FIN delivered or RST seen */
	bool fin_seen;       /* FIN received (may be ahead of a hole) */
	uint32_t fin_seq;    /* sequence number of the FIN */
	uint16_t ooo_count;  /* held segments */
	uint32_t ooo_bytes;  /* held payload bytes */
	struct tcp_seg *ooo; /* held segments, sorted by seq */
};

#endif
