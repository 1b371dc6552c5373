/* The key table of one partition: one record per key holding the acceptor
 * state (promise, accepted ballot and value) and the proposer state (1RTT
 * cache, the round in flight, ops queued behind it), so one lookup serves
 * both roles. The index is either the core's own (open addressing over a
 * power-of-two array sized at creation: no allocation on the hot path) or
 * the host's (pk_index_ops, e.g. an RCU hash table other threads can
 * read). Either way a hard bound of max_keys.
 */
#ifndef PK_CORE_TABLE_H
#define PK_CORE_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "mem.h"

struct pk_round;
struct pk_op;

struct pk_rec {
	uint32_t hash;
	uint16_t key_len;

	/* acceptor */
	struct pk_ballot promise;
	struct pk_ballot accepted;
	struct pk_blob *value;		/* accepted value; NULL when none */

	/* proposer */
	bool cached;			/* 1RTT: cache_ballot is promised by a quorum */
	uint32_t cache_gen;		/* worker's cache generation when cached */
	struct pk_ballot cache_ballot;
	struct pk_blob *cache_value;
	struct pk_round *round;		/* in flight, or NULL */
	struct pk_op *q_head;		/* ops waiting for the next round */
	union {
		struct pk_op *q_tail;
		struct pk_rec *next_garbage;	/* removed, freed at the next call */
	};
	uint16_t q_len;
	uint8_t gc_deferrals;		/* sweeps that left it to its coordinator */

	uint8_t key[];
};

#define PK_TABLE_RECENT 256

struct pk_table {
	const struct pk_index_ops *ops;	/* host index, or NULL */
	void *index;			/* the host index */
	/* With a host index: the records found last, one per slot by hash
	 * (PK_TABLE_RECENT slots), checked before the index: a round looks its
	 * key up again (the proposer, then its own acceptor's vote) and a host
	 * index costs cache misses at every step of its walk.
	 */
	struct pk_rec **recent;
	struct pk_rec **slots;		/* own index */
	uint32_t mask;
	uint32_t count;
	uint32_t accepted;		/* records whose acceptor accepted something */
	uint32_t deleted;		/* of those, a deleted state: GC's work */
	struct pk_rec *garbage;		/* removed records, freed by pk_table_collect */
	uint32_t max;
	struct pk_mem *mem;
};

/* Sizes the index for <max_keys> at a load factor of at most 1/2. Returns 0
 * or -1 when out of memory.
 */
int pk_table_init(struct pk_table *t, struct pk_mem *mem, uint32_t max_keys);

/* Frees every record (values included) and the index. */
void pk_table_fini(struct pk_table *t);

/* Owner thread only: a find remembers what it found (recent records). */
struct pk_rec *pk_table_find(const struct pk_table *t, const uint8_t *key, uint16_t len,
			     uint32_t hash);

/* Which of the PK_TABLE_RECENT slots a hash takes (exposed for tests). */
uint32_t pk_table_recent_slot(uint32_t hash);

/* Finds or creates the record. Returns NULL when the table holds max_keys
 * records or memory ran out.
 */
struct pk_rec *pk_table_get(struct pk_table *t, const uint8_t *key, uint16_t len, uint32_t hash);

/* Takes <r> out of the index. Its memory (and its blobs') is freed only at
 * pk_table_collect, because the outbox of the current call may still point
 * at its key; the host index may defer further (RCU readers).
 */
void pk_table_remove(struct pk_table *t, struct pk_rec *r);

/* Frees the records removed since the last call. */
void pk_table_collect(struct pk_table *t);

#endif
