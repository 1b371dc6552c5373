/* Requests the control plane runs through this replica's own proposers
 * (rescan's identity reads, later GC steps): a job thread fills a struct
 * dp_ireq, hands a pointer to the partition owner's inject ring (MP/SC
 * rte_ring) and kicks it; the worker runs it as a client request whose
 * cookie is the pointer with DP_COOKIE_INJECTED set, and on the reply
 * stores the status and sets <done> with release order. The job thread
 * owns the struct throughout and reuses it only once <done> is set (the
 * core always answers, by its op deadline at the latest).
 */
#ifndef DP_INJECT_H
#define DP_INJECT_H

#include <stdbool.h>
#include <stdint.h>

#include "parnik/types.h"

#define DP_COOKIE_INJECTED (1ull << 63)	/* client cookies count up from 0 */

struct dp_replica;

enum dp_ireq_kind {
	DP_IREQ_CLIENT = 0,	/* a client request (op, key) */
	DP_IREQ_INSTALL = 1,	/* catch-up: copy the key's accepted state to <target> */
	DP_IREQ_GC = 2,		/* deletion GC of the key (pk_worker_gc) */
};

struct dp_ireq {
	uint16_t partition;
	uint8_t kind;		/* enum dp_ireq_kind */
	uint16_t target;	/* INSTALL: the node to copy to */
	uint64_t token;		/* INSTALL: the send's token (owner worker only) */
	uint8_t op;		/* enum pk_opcode */
	uint16_t key_len;
	uint8_t key[PK_MAX_KEY];
	uint8_t status;		/* enum pk_status, valid once done */
	uint32_t done;		/* atomic: 0 queued or running, 1 answered */
};

/* Hands <q> to its partition's owner. Returns 0, or -1 when the owner's
 * ring is full (try again later).
 */
int dp_inject_submit(struct dp_replica *r, struct dp_ireq *q);

static inline bool
dp_ireq_done(const struct dp_ireq *q)
{
	return __atomic_load_n(&q->done, __ATOMIC_ACQUIRE) != 0;
}

/* Worker side: records the answer to <q>. */
static inline void
dp_ireq_finish(struct dp_ireq *q, uint8_t status)
{
	q->status = status;
	__atomic_store_n(&q->done, 1, __ATOMIC_RELEASE);
}

/* Worker side: records the reply to the injected request of <cookie>. */
static inline void
dp_ireq_complete(uint64_t cookie, uint8_t status)
{
	dp_ireq_finish((struct dp_ireq *)(uintptr_t)(cookie & ~DP_COOKIE_INJECTED), status);
}

#endif
