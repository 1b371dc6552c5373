/* The monotonic clock of everything outside the data path: the control
 * plane (membership barriers, job progress, parnikctl), libparnik's
 * timeouts, the benches and the test fixtures. The data path uses the TSC
 * instead (worker_loop.c), and the protocol core no clock at all: it is
 * handed the time (tests/core_purity.sh). One helper, so every part reads
 * the same clock in the same units.
 */
#ifndef PK_UTIL_CLOCK_H
#define PK_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic nanoseconds. */
static inline uint64_t
pk_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Monotonic microseconds. */
static inline uint64_t
dp_mono_us(void)
{
	return pk_mono_ns() / 1000u;
}

/* Monotonic seconds, for messages to a person. */
static inline double
pk_mono_s(void)
{
	return (double)pk_mono_ns() / 1e9;
}

#endif
