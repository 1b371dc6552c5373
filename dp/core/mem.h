/* Memory of one worker: allocation through the host's pk_env, and immutable
 * reference-counted register states (blobs) shared by the acceptor, the 1RTT
 * cache, rounds and replies without copying. A blob whose last reference
 * goes is freed only at the start of the next worker call, because the
 * outbox of the current call may still point into it.
 */
#ifndef PK_CORE_MEM_H
#define PK_CORE_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "parnik/worker.h"

struct pk_blob {
	struct pk_blob *next_garbage;
	uint32_t refs;
	uint8_t kind;		/* enum pk_kind; ABSENT only with a version (a
				 * floor, gc.c) or as an accepted state; else
				 * absent is NULL */
	uint16_t len;
	uint64_t version;
	struct pk_ballot origin;	/* the attempt that created it (wire.h) */
	struct pk_ballot parent;	/* the origin of the state it was written over */
	uint8_t data[];
};

struct pk_mem {
	struct pk_env env;
	struct pk_blob *garbage;
};

void *pk_mem_alloc(struct pk_mem *m, size_t size);
void *pk_mem_zalloc(struct pk_mem *m, size_t size);
void pk_mem_free(struct pk_mem *m, void *p);

/* Returns a new blob with one reference, or NULL when out of memory. */
struct pk_blob *pk_blob_new(struct pk_mem *m, uint8_t kind, uint64_t version,
			    const uint8_t *data, uint16_t len);

/* Returns a blob equal to the wire state <s> (NULL for ABSENT, and NULL with
 * *oom set when memory ran out).
 */
struct pk_blob *pk_blob_from_wire(struct pk_mem *m, const struct pk_wstate *s, bool *oom);

static inline struct pk_blob *
pk_blob_ref(struct pk_blob *b)
{
	if (b != NULL)
		b->refs++;
	return b;
}

/* Drops one reference; at zero the blob joins the garbage list. */
void pk_blob_unref(struct pk_mem *m, struct pk_blob *b);

/* Frees the garbage list. Called at the start of every worker call. */
void pk_mem_collect(struct pk_mem *m);

/* Fills the wire view of <b> (ABSENT for NULL). */
void pk_blob_to_wire(const struct pk_blob *b, struct pk_wstate *s);

/* True when <a> is the register state <s>: same kind, version and bytes. */
bool pk_blob_equal_wire(const struct pk_blob *a, const struct pk_wstate *s);

#endif
