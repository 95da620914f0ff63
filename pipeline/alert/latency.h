/*
 * Packet-to-alert latency histogram, kept by the writer: 1 us buckets up to
 * 1 ms, then one bucket per power of two. Quantiles read from it are exact
 * below 1 ms and within a factor of two above. Plain C, one thread.
 */
#ifndef FW_LATENCY_H
#define FW_LATENCY_H

#include <stdint.h>

#define LATENCY_LINEAR 1024

struct latency_hist {
	uint64_t n;
	uint64_t max_us;
	uint64_t lin[LATENCY_LINEAR]; /* [i] counts i us */
	uint64_t pow2[64];            /* [k] counts 2^k .. 2^(k+1)-1 us, for k >= 10 */
};

/* Count one latency of <us> microseconds. */
void latency_add(struct latency_hist *h, uint64_t us);

/* The latency at quantile <q> (0..1) in microseconds; 0 if nothing was counted. */
uint64_t latency_quantile(const struct latency_hist *h, double q);

#endif
