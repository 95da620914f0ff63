/*
 * The alert record: what crosses from a worker to the writer.
 *
 * A worker that matches an item takes a fixed-size record from a per-process
 * mempool, copies into it everything the alert line needs (strings truncated
 * at a UTF-8 boundary to the sizes below), and enqueues it on the writer's
 * multi-producer / single-consumer ring. Nothing in a record points into a
 * packet, a flow or a watchlist generation, so the flow may end and the
 * generation may be replaced while the record waits. If the pool is empty or
 * the ring is full the alert is counted (alert_pool_empty, alert_ring_full)
 * and dropped: a worker never blocks on the writer. The writer assigns seq,
 * encodes one NDJSON line, and returns the record to the pool.
 */
#ifndef FW_ALERT_T_H
#define FW_ALERT_T_H

#include <stdint.h>

#define ALERT_MAX_HITS    16
#define ALERT_MAX_TAGS    8
#define ALERT_TERM_LEN    96
#define ALERT_NAME_LEN    64
#define ALERT_TAG_LEN     32
#define ALERT_TEXT_LEN    512 /* title, link, id, feed url */
#define ALERT_EXCERPT_LEN 320
#define ALERT_SHORT_LEN   64 /* published, addresses */

struct alert_hit {
	char term[ALERT_TERM_LEN];
	char field[16];
	uint32_t offset;
};

struct alert_rec {
	uint64_t ts_ns; /* wall clock (ns since the epoch) the last packet of the item was seen */
	uint64_t detect_ns;  /* monotonic clock when the item was matched */
	uint64_t rx_mono_ns; /* monotonic clock when that packet was received */
	uint32_t n_hits;
	uint32_t n_hits_dropped;
	uint32_t n_tags;
	char watchlist[ALERT_NAME_LEN];
	char wl_version[16]; /* the watchlist file's version: its `version:` or a content hash */
	char severity[16];
	char rule[ALERT_NAME_LEN]; /* empty: plain terms */
	char tags[ALERT_MAX_TAGS][ALERT_TAG_LEN];
	struct alert_hit hits[ALERT_MAX_HITS];
	char title[ALERT_TEXT_LEN];
	char link[ALERT_TEXT_LEN];
	char id[ALERT_TEXT_LEN];
	char published[ALERT_SHORT_LEN];
	char excerpt[ALERT_EXCERPT_LEN];
	char feed_url[ALERT_TEXT_LEN];
	char feed_format[8];
	char feed_title[256];
	char flow_src[ALERT_SHORT_LEN];
	char flow_dst[ALERT_SHORT_LEN];
	char flow_proto[8];
};

#endif
