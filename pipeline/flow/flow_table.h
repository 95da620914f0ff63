/*
 * Per-worker flow table. A flow is keyed by its canonical 5-tuple: the two
 * endpoints sorted so that both directions of a connection find the same
 * entry. Each entry carries a fixed-size user area (the engine's per-flow
 * state) that the table zeroes on creation. The table never allocates after
 * flow_table_create(); when it is full, the flow idle the longest makes room.
 *
 * Every flow sits on one list in last-seen order (a lookup moves it to the
 * recent end), so expiry and eviction take from the idle end: O(1) a flow,
 * never a scan of the table.
 *
 * Lifecycle: lookup(create=true) makes a flow; flow_table_expire() evicts
 * flows idle longer than the timeout; flow_table_remove() ends one now (a
 * connection closed by FIN on both sides or RST);
 * flow_table_flush() ends them all (end of capture). Every eviction goes
 * through the evict callback first, so the owner can finish and free what the
 * user area holds.
 */
#ifndef FW_FLOW_TABLE_H
#define FW_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"

struct flow_key {
	uint8_t addr[2][16]; /* addr[0] <= addr[1] (with ports as tie-break) */
	uint16_t port[2];
	uint8_t proto;
	uint8_t is_ip6;
	uint8_t pad[2]; /* always zero: keys are hashed and compared bytewise */
};

struct flow_table;

/*
 * Called with the user area of a flow about to be removed (its key is still
 * readable through flow_table_key()). It must not call back into the table.
 */
typedef void flow_evict_fn(void *arg, void *user);

/*
 * Create a table for <max_flows> flows, each with <user_size> bytes of user
 * area (aligned to 64). <idle_ns>: flows unseen for longer are expired by
 * flow_table_expire(). <evict> may be NULL; <c> must not be. Returns NULL on
 * allocation failure or a zero / oversized <max_flows> (limit 2^30). Control plane.
 */
struct flow_table *flow_table_create(uint32_t max_flows, size_t user_size, uint64_t idle_ns,
                                     flow_evict_fn *evict, void *evict_arg, struct counters *c);

/* Evicts every flow (through the callback) and frees <ft>. Accepts NULL. */
void flow_table_free(struct flow_table *ft);

/*
 * Build the canonical key for a packet from <src>:<sport> to <dst>:<dport>
 * (addresses 16 bytes, IPv4 in the first 4). <*dir> is set to 0 when the
 * packet travels from key.addr[0] to key.addr[1], else 1.
 */
void flow_key_make(struct flow_key *key, const uint8_t *src, const uint8_t *dst, uint16_t sport,
                   uint16_t dport, uint8_t proto, bool is_ip6, int *dir);

/*
 * Find the flow for <key>, touching its last-seen time with <now_ns>. With
 * <create> and no such flow, make one (user area zeroed, *created = true).
 * When the table is full, the flow idle the longest is evicted first (through
 * the evict callback, counted as flow_evicted) to make room. Returns the user
 * area, or NULL if not found and not <create>. <created> may be NULL.
 */
void *flow_table_lookup(struct flow_table *ft, const struct flow_key *key, uint64_t now_ns,
                        bool create, bool *created);

/* The key of the flow whose user area is <user>. */
const struct flow_key *flow_table_key(const struct flow_table *ft, const void *user);

/* Evict the flow whose user area is <user> now (through the callback). */
void flow_table_remove(struct flow_table *ft, void *user);

/* Evict flows idle since before now_ns - idle_ns; at most <budget> of them. Returns how many. */
uint32_t flow_table_expire(struct flow_table *ft, uint64_t now_ns, uint32_t budget);

/* Evict every flow. */
void flow_table_flush(struct flow_table *ft);

/* Number of live flows. */
uint32_t flow_table_count(const struct flow_table *ft);

#endif
