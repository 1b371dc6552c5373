/* Counting libc allocator for tests, with an optional failure countdown. */
#include <stdlib.h>

#include "heap.h"

static void *
heap_alloc(void *ctx, size_t size)
{
	struct pk_heap *h = ctx;

	if (h->fail_after == 0)
		return NULL;
	if (h->fail_after > 0)
		h->fail_after--;
	h->live++;
	return malloc(size);
}

static void
heap_free(void *ctx, void *p)
{
	struct pk_heap *h = ctx;

	h->live--;
	free(p);
}

struct pk_env
pk_heap_env(struct pk_heap *h)
{
	struct pk_env env = { .alloc = heap_alloc, .free = heap_free, .ctx = h };

	h->live = 0;
	h->fail_after = -1;
	return env;
}
