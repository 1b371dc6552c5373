/* The control plane's clock (membership barriers, job progress): monotonic
 * microseconds. The data path uses the TSC instead (worker_loop.c).
 */
#ifndef DP_CLOCK_H
#define DP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
dp_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#endif
