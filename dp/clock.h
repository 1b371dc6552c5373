/* Monotonic microseconds: the clock of the control plane (membership
 * barriers, job progress) and of libparnik's timeouts (dp/client). The data
 * path uses the TSC instead (worker_loop.c). Not in include/parnik: the
 * public headers stay clock-free with the core (tests/core_purity.sh).
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
