/* Recent client requests of one worker, keyed by (client_id, request_id):
 * a duplicated or retried request is not executed twice. While the first
 * copy is in flight, copies are dropped (its reply will come); once it is
 * answered, copies get the same reply again. Bounded and FIFO: the oldest
 * entry goes first. Requests refused before any write (BUSY, TIMEOUT, ...)
 * are forgotten, so a retry runs afresh. Client id 0 opts out.
 */
#ifndef PK_CORE_DEDUPE_H
#define PK_CORE_DEDUPE_H

#include <stdbool.h>
#include <stdint.h>

#include "mem.h"

struct pk_dedupe_entry {
	uint64_t client_id;
	uint64_t request_id;
	uint32_t next;		/* bucket chain, UINT32_MAX ends it */
	bool used;
	bool done;
	uint8_t status;
	uint8_t op;
	struct pk_blob *result;	/* state the reply reported */
};

struct pk_dedupe {
	struct pk_dedupe_entry *entries;	/* filled in ring order */
	uint32_t *buckets;
	uint32_t size;		/* power of two */
	uint32_t cursor;	/* next slot to fill: the oldest entry */
	uint32_t count;
	struct pk_mem *mem;
};

int pk_dedupe_init(struct pk_dedupe *d, struct pk_mem *mem, uint32_t size);
void pk_dedupe_fini(struct pk_dedupe *d);

/* Returns the entry for the request, or NULL. */
struct pk_dedupe_entry *pk_dedupe_find(struct pk_dedupe *d, uint64_t client_id,
				       uint64_t request_id);

/* Records a new request as in flight, evicting the oldest entry when full. */
void pk_dedupe_begin(struct pk_dedupe *d, uint64_t client_id, uint64_t request_id, uint8_t op);

/* Records the reply (taking a reference on <result>), or forgets the
 * request when <keep> is false.
 */
void pk_dedupe_finish(struct pk_dedupe *d, uint64_t client_id, uint64_t request_id, bool keep,
		      uint8_t status, struct pk_blob *result);

#endif
