/*
 * Which worker a frame belongs to, when one RX lcore spreads a single queue
 * over several workers. The hash is symmetric (both directions of a
 * connection give the same value) and depends only on the innermost IP
 * addresses, so every fragment of a datagram lands on the worker that holds
 * the flow the reassembled datagram belongs to. Plain C; no DPDK type.
 */
#ifndef FW_SPREAD_H
#define FW_SPREAD_H

#include <stddef.h>
#include <stdint.h>

/*
 * The symmetric hash of the addresses of the TCP or UDP packet (or fragment)
 * in the <len> bytes at <frame>, or 0 for a frame decode drops (the worker
 * that gets it counts why). Any thread; no allocation.
 */
uint32_t spread_hash(const uint8_t *frame, size_t len);

/* The worker, from 0 to <n> - 1, for hash <h>; <n> > 0. */
static inline unsigned int
spread_pick(uint32_t h, unsigned int n)
{
	return (unsigned int)(((uint64_t)h * n) >> 32);
}

#endif
