/* The partition key index as a liburcu lock-free hash table (cds_lfht, QSBR
 * flavour), plugged into the core through pk_index_ops. The worker lcore is
 * the only writer; other registered QSBR threads (the control thread) may
 * look keys up or walk the table at any time without stopping it.
 */
#ifndef DP_INDEX_LFHT_H
#define DP_INDEX_LFHT_H

#include <stdint.h>

#include "parnik/worker.h"

/* The ops; create()'s ctx is the partition's struct dp_mem. */
extern const struct pk_index_ops dp_index_lfht_ops;

/* Walks every key with its core record (read side: the calling thread is a
 * registered, online QSBR thread; <rec> is for pk_rec_gc_candidate only).
 * Stops early when <fn> returns non-zero; returns the keys visited.
 */
uint64_t dp_index_lfht_walk(void *index,
			    int (*fn)(void *arg, const uint8_t *key, uint16_t len, const void *rec),
			    void *arg);

#endif
