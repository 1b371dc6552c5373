/* A pk_env backed by libc malloc that counts live allocations, so tests can
 * assert that a worker frees everything it took.
 */
#ifndef PK_TEST_HEAP_H
#define PK_TEST_HEAP_H

#include "parnik/worker.h"

struct test_heap {
	long live;
	long fail_after;	/* >= 0: allocations left before they fail */
};

struct pk_env test_heap_env(struct test_heap *h);

#endif
