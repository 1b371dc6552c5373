/* Client operations as CASPaxos change functions f(state) -> state
 * (paper section 2.2): GET is the identity, PUT / CAS / ADD / DEL write a new
 * state whose version is one more than the old one (a tombstone's version
 * counts, so versions never repeat while a key has a record).
 */
#ifndef PK_CORE_OPS_H
#define PK_CORE_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "mem.h"

/* Internal op of a GC round (never from a client): the identity on a
 * deleted state (OK), refused on a live one (CAS_MISMATCH).
 */
#define PK_OP_GC 16

struct pk_op {
	struct pk_op *next;
	uint64_t cookie;
	uint64_t client_id;
	uint64_t session;		/* 0: no session */
	uint64_t request_id;
	uint64_t arg;
	uint64_t deadline;
	uint8_t op;			/* enum pk_opcode */
	uint8_t status;			/* enum pk_status, once applied */
	bool wrote;			/* changed the state when last applied */
	bool maybe_applied;		/* an accept carrying its write failed */
	struct pk_blob *input;		/* PUT / CAS value */
	struct pk_blob *result;		/* state reported to the client */
};

/* Version a client sees: 0 for an absent or deleted key. */
static inline uint64_t
pk_visible_version(const struct pk_blob *s)
{
	return s != NULL && s->kind == PK_KIND_VALUE ? s->version : 0;
}

/* Applies <op> to *state, replacing *state (and taking a reference) when
 * the op writes. Sets op->status, op->wrote and op->result. Returns false
 * only when memory ran out (status NO_MEMORY, state unchanged).
 */
bool pk_op_apply(struct pk_mem *m, struct pk_op *op, struct pk_blob **state);

/* Parses a decimal int64 ("-12", no sign '+', no spaces, no leading zeros
 * beyond "0"). Returns false when <p> is not one.
 */
bool pk_int_parse(const uint8_t *p, uint16_t len, int64_t *out);

/* Writes <v> in decimal into <buf> (room for 20 bytes). Returns the length. */
uint16_t pk_int_format(int64_t v, uint8_t *buf);

#endif
