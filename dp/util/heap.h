/* The one pk_env backed by libc malloc, for tests and benches: it counts
 * live allocations, so a test can assert that a worker frees everything it
 * took, and can be told to fail after a number of allocations.
 */
#ifndef PK_UTIL_HEAP_H
#define PK_UTIL_HEAP_H

#include "parnik/worker.h"

struct pk_heap {
	long live;
	long fail_after;	/* >= 0: allocations left before they fail */
};

struct pk_env pk_heap_env(struct pk_heap *h);

#endif
