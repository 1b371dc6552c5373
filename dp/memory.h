/* Memory of a worker lcore's partitions: one jemalloc arena per worker, so
 * allocation and free stay on the owner's arena and never contend with
 * another lcore; and frees deferred past an RCU (QSBR) grace period,
 * because other threads (the control thread) may still be reading a record
 * or value the worker just released. Freed pointers collect in a batch that
 * goes to liburcu's call_rcu once per loop pass; the call_rcu thread
 * returns them to the arena after the grace period.
 */
#ifndef DP_MEMORY_H
#define DP_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_limbo;

struct dp_mem {
	unsigned int arena;
	struct dp_limbo *limbo;	/* frees waiting for the end of the pass */
	bool immediate;		/* set-up and teardown: no reader, free at once */
	uint64_t deferred;	/* frees handed to call_rcu */
	uint64_t batches;	/* call_rcu calls */
	uint64_t leaked;	/* frees given up: no memory for a batch */
};

/* Creates the worker's arena. Starts in immediate mode (set-up runs on the
 * main thread before any reader exists). Returns 0 or -1 (message printed).
 */
int dp_mem_init(struct dp_mem *m);

/* On the worker's own thread: allocations there use the arena through the
 * thread cache; and frees are deferred from now on.
 */
void dp_mem_bind_thread(struct dp_mem *m);

/* pk_env alloc / free, <ctx> being the struct dp_mem. */
void *dp_mem_alloc(void *ctx, size_t size);
void dp_mem_free(void *ctx, void *p);

/* End of a pass (worker thread, RCU online): hands the batch to call_rcu. */
void dp_mem_flush(struct dp_mem *m);

/* Bytes the arena has handed out and not taken back (jemalloc's stats;
 * 0 when they are not available). Any thread.
 */
uint64_t dp_mem_arena_bytes(const struct dp_mem *m);

/* Back to immediate frees, for teardown once no reader is left. */
void dp_mem_teardown(struct dp_mem *m);

#endif
