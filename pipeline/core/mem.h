/*
 * Where the data path's memory comes from. Every table a worker touches per
 * packet (flow entries and their state, held-segment nodes, feed buffers,
 * zlib arenas) is allocated once, at setup, through mem_data_zalloc(). Plain
 * C callers (unit tests, `feedwatch match`) get the C heap; `feedwatch run`
 * points it at DPDK's rte_malloc after EAL init, so that memory is
 * hugepage-backed where hugepages exist and on the workers' NUMA socket.
 * Nothing here is called per packet.
 */
#ifndef FW_MEM_H
#define FW_MEM_H

#include <stddef.h>

/* <size> zeroed bytes aligned to 64, or NULL. Control plane. */
void *mem_data_zalloc(size_t size);

/* Release memory from mem_data_zalloc(). Accepts NULL. */
void mem_data_free(void *p);

/*
 * Serve later mem_data_zalloc() calls with <zalloc> (must return zeroed,
 * 64-byte aligned memory) and <free_fn>. Call before any data-path table is
 * created and keep it until every one is freed; NULL restores the C heap.
 */
void mem_data_use(void *(*zalloc)(size_t size), void (*free_fn)(void *p));

#endif
