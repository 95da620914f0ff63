#include "alert/latency.h"

void
latency_add(struct latency_hist *h, uint64_t us)
{
	h->n++;
	if (us > h->max_us) {
		h->max_us = us;
	}
	if (us < LATENCY_LINEAR) {
		h->lin[us]++;
		return;
	}
	h->pow2[63 - __builtin_clzll(us)]++;
}

uint64_t
latency_quantile(const struct latency_hist *h, double q)
{
	uint64_t rank, seen = 0;
	int i;

	if (h->n == 0) {
		return 0;
	}
	if (q >= 1.0) {
		return h->max_us;
	}
	/* the smallest value with at least q of the counts at or below it */
	rank = (uint64_t)(q * (double)h->n);
	if (rank >= h->n) {
		rank = h->n - 1;
	}
	for (i = 0; i < LATENCY_LINEAR; i++) {
		seen += h->lin[i];
		if (seen > rank) {
			return (uint64_t)i;
		}
	}
	for (i = 10; i < 64; i++) {
		seen += h->pow2[i];
		if (seen > rank) {
			/* the bucket's upper end, capped by the largest value seen */
			uint64_t top = i == 63 ? UINT64_MAX : (2ull << i) - 1;

			return top < h->max_us ? top : h->max_us;
		}
	}
	return h->max_us;
}
