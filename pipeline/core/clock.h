/*
 * Clock reads in nanoseconds. clock_gettime() on CLOCK_MONOTONIC and
 * CLOCK_REALTIME goes through the vDSO: cheap enough once per burst, never
 * per byte.
 */
#ifndef FW_CLOCK_H
#define FW_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds on clock <id> (CLOCK_MONOTONIC or CLOCK_REALTIME). Any thread. */
static inline uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
