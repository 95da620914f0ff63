/*
 * Repeated items alert once per watchlist per window. Pollers fetch the same
 * feed again and again; an item that matched a watchlist is remembered, by a
 * 64-bit key over (feed, item identity, watchlist name), for dedup.window,
 * and repeats inside that window are suppressed.
 *
 * One table per worker (shared-nothing, no locks, not thread-safe). The
 * table is a set-associative cache: buckets of 8 ways, one cache line of
 * keys and one of capture times, so a lookup touches two lines and never
 * allocates. It remembers at most its capacity; when a bucket is full the
 * entry recorded longest ago goes (an eviction, counted), so an item may
 * alert again early under memory pressure, never be suppressed wrongly
 * (save a 64-bit key collision).
 */
#ifndef FW_DEDUP_H
#define FW_DEDUP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/span.h"

struct dedup;

/*
 * A table remembering up to <entries> keys (rounded up to a power of two, at
 * least 8; at most 2^31) for <window_ns> nanoseconds of capture time; a
 * window of 0 disables deduplication. Memory comes from mem_data_zalloc()
 * (16 bytes per entry plus one cache line), once. NULL when <entries> is
 * over the limit or memory runs out. Control plane.
 */
struct dedup *dedup_create(uint32_t entries, uint64_t window_ns);

/* Frees <d>. Accepts NULL. Control plane. */
void dedup_free(struct dedup *d);

/* The number of keys <d> can remember: <entries> as rounded by dedup_create(). */
uint32_t dedup_capacity(const struct dedup *d);

/*
 * The key of one (item, watchlist): a hash of the feed URL <feed_url>, the
 * item's identity and the watchlist's name <watchlist> (a NUL-terminated
 * string; NULL reads as ""). The identity is the first non-empty of <guid>,
 * <link>, <title> and <summary>, tagged with which one it is (a title that
 * happens to equal another item's guid is another item). Names rather than
 * indexes, so keys survive a reload that reorders watchlists. Spans may be
 * empty ({NULL, 0}). Any thread; no allocation.
 */
uint64_t dedup_key(struct span feed_url, struct span guid, struct span link, struct span title,
                   struct span summary, const char *watchlist);

/*
 * Whether <key> (any value, 0 included) was recorded less than the window
 * before <now_ns> (capture time): a repeat the caller suppresses and counts
 * (match_dedup_suppressed). A suppressed repeat does not refresh the entry:
 * an item polled forever alerts once per window. Otherwise records <key> at
 * <now_ns> and returns false. Capture time may go backwards (replayed
 * captures): an entry recorded after <now_ns> counts as recent. When the
 * key's bucket is full, the entry recorded longest ago is evicted (see
 * dedup_evictions()). Always false with a window of 0. The owning worker
 * only; O(1), no allocation.
 */
bool dedup_seen(struct dedup *d, uint64_t key, uint64_t now_ns);

/*
 * Entries evicted from full buckets since <d> was created (expired entries
 * reused are not evictions). The caller adds the growth since its last look
 * to match_dedup_evicted. The owning worker only.
 */
uint64_t dedup_evictions(const struct dedup *d);

#endif
