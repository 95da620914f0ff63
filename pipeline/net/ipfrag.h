/*
 * IPv4 and IPv6 fragment reassembly (RFC 791 §3.2, RFC 815, RFC 8200 §4.5),
 * one table per worker.
 *
 * decode_packet() returns DECODE_FRAG for a well-formed fragment of a TCP,
 * UDP, GRE or IP-in-IP datagram; ipfrag_add() files it under (src, dst, id, proto) and, when
 * the fragment completes its datagram, hands back the whole IP payload so the
 * caller decodes the L4 header with decode_l4_payload() and goes on as for an
 * unfragmented packet.
 *
 * Policy:
 * - Overlaps: the first copy of a byte wins (Suricata's "first"/BSD-right
 *   family, and what flow/tcp_stream does for TCP bytes). A fragment that
 *   overlaps bytes already held, duplicates included, keeps only its new
 *   bytes and counts ip_frag_overlap. Fragments that contradict each other
 *   (two different ends, bytes past the end) drop the datagram: ip_frag_bad.
 * - Time: a datagram not complete <timeout_ns> of capture time after its
 *   first fragment is dropped by ipfrag_expire() (ip_frag_timeout).
 * - Limits: at most <datagrams> in flight, each at most <max_bytes> of IP
 *   payload, and a shared byte arena; a fragment that would exceed any of
 *   them drops its datagram (ip_frag_limit). A new datagram never evicts one
 *   in flight. Holes are tracked as a short sorted list of received ranges;
 *   a datagram fragmented into more than IPFRAG_MAX_RANGES disjoint pieces at
 *   once is dropped too (ip_frag_limit).
 *
 * Memory, all allocated once by ipfrag_create() with mem_data_zalloc(), none
 * on the data path: a slot of ~450 bytes per datagram (key, ranges, a table
 * of chunk indices), a hash of 2 x datagrams buckets, one contiguous output
 * buffer of <max_bytes>, and the arena: 1 KiB chunks, 8 per datagram slot
 * (8 KiB on average, enough for a 5-fragment datagram at a 1500-byte MTU)
 * and at least 64 (one 64 KiB datagram). A datagram takes chunks as its
 * fragments arrive, so a few large ones can share the arena with many small
 * ones. At the default 1024 datagrams: 8 MiB arena + ~0.5 MiB of slots.
 *
 * IPv6 fragments (the Fragment extension header, RFC 8200 §4.5) come the
 * same way, named by (src, dst, 32-bit id, proto); the two families never
 * share a datagram.
 */
#ifndef FW_IPFRAG_H
#define FW_IPFRAG_H

#include <stdint.h>

#include "core/counters.h"
#include "core/span.h"
#include "net/decode.h"

#define IPFRAG_MAX_BYTES  65535 /* the largest IPv4 payload a datagram can have */
#define IPFRAG_MAX_RANGES 16    /* disjoint received pieces tracked per datagram */

struct ipfrag_limits {
	uint32_t datagrams;  /* in flight at once; 0 drops every fragment (ip_frag_limit) */
	uint32_t max_bytes;  /* IP payload cap per datagram, at most IPFRAG_MAX_BYTES */
	uint64_t timeout_ns; /* capture time a datagram may wait for its last fragment */
};

enum ipfrag_rc {
	IPFRAG_HELD, /* kept; the datagram is not complete yet */
	IPFRAG_DONE, /* the datagram is complete: <*out> is its IP payload */
	IPFRAG_DROP, /* the fragment (and, if counted, its datagram) was dropped */
};

struct ipfrag;

/*
 * A table sized by <lim> (not NULL), counting into <c> (which must outlive
 * it). NULL on allocation failure. Control plane.
 */
struct ipfrag *ipfrag_create(const struct ipfrag_limits *lim, struct counters *c);

/*
 * File fragment <d> (a DECODE_FRAG result; its payload is copied, so the
 * frame may go away after the call) received at capture time <now_ns>.
 * Returns IPFRAG_DONE when it completes its datagram: <*out> is then the
 * reassembled IP payload, in a buffer of the table valid until the next call
 * on <t>, and the datagram's slot is free again. IPFRAG_HELD while holes
 * remain; IPFRAG_DROP when a limit or an inconsistency dropped it (counted).
 * <out> is always set (empty unless done). Expires due datagrams first, as
 * ipfrag_expire() does. Worker thread; no allocation.
 */
enum ipfrag_rc ipfrag_add(struct ipfrag *t, const struct decoded *d, uint64_t now_ns,
                          struct span *out);

/*
 * Drop datagrams whose first fragment came <timeout_ns> or more before
 * <now_ns> (capture time), at most a small batch per call, counting
 * ip_frag_timeout. O(1) when none is due. Worker thread.
 */
void ipfrag_expire(struct ipfrag *t, uint64_t now_ns);

/* Datagrams in flight. */
uint32_t ipfrag_pending(const struct ipfrag *t);

/* Arena chunks not in use (all of them when nothing is in flight). */
uint32_t ipfrag_chunks_free(const struct ipfrag *t);

/* Frees <t> and whatever it holds. Accepts NULL. */
void ipfrag_free(struct ipfrag *t);

#endif
