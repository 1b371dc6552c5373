/* Parnik's shared vocabulary: ballots, register states, operations and limits.
 * Everything here is plain data shared by the core, the replica, the control
 * plane, clients and tests; no function here touches I/O, time or memory.
 */
#ifndef PARNIK_TYPES_H
#define PARNIK_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PK_MAX_NODES 16		/* replica ids are 0..15; lists are 16-bit masks */
#define PK_MAX_KEY 250		/* key bytes; keys are never empty */
#define PK_MAX_VALUE 1024	/* value bytes: one register state fits one datagram */
#define PK_MAX_DGRAM 1472	/* UDP payload that fits a 1500-byte MTU (IPv4) */
#define PK_MAX_BATCH 64		/* messages in one datagram */

/* A ballot orders attempts. Compared field by field in this order: the
 * counter moves on every attempt and after every conflict, the incarnation
 * changes on every process start so a restarted proposer never reuses a
 * ballot (docs/CASPAXOS.md section 3, pitfall P1), node and worker make proposers
 * distinct. The all-zero ballot means "none".
 */
struct pk_ballot {
	uint64_t counter;
	uint32_t incarnation;
	uint16_t node;
	uint16_t worker;
};

/* Bounds no honest replica comes near (docs/PROTOCOL.md 10): a counter
 * moves by one per attempt, so 2^62 is centuries away and 2^48 above the
 * highest counter a worker knows is years of attempts. A peer message
 * carrying a counter or a version at or past 2^62, or a counter more than
 * 2^48 above the known, is refused (dp/core/bounds.c): one forged or
 * corrupted maximum ballot can then never wrap a counter and wedge a key
 * or a floor.
 */
#define PK_BALLOT_COUNTER_MAX (1ull << 62)
#define PK_BALLOT_COUNTER_JUMP (1ull << 48)
#define PK_VERSION_MAX (1ull << 62)

static inline int
pk_ballot_cmp(const struct pk_ballot *a, const struct pk_ballot *b)
{
	if (a->counter != b->counter)
		return a->counter < b->counter ? -1 : 1;
	if (a->incarnation != b->incarnation)
		return a->incarnation < b->incarnation ? -1 : 1;
	if (a->node != b->node)
		return a->node < b->node ? -1 : 1;
	if (a->worker != b->worker)
		return a->worker < b->worker ? -1 : 1;
	return 0;
}

static inline bool
pk_ballot_is_zero(const struct pk_ballot *b)
{
	return b->counter == 0 && b->incarnation == 0 && b->node == 0 && b->worker == 0;
}

/* An acceptor's GC floor (dp/core/gc.c): a key without a record acts as
 * promised up to <ballot> and reads as ABSENT at <version>. A floor only
 * rises, its ballot and its version each to the higher of the two.
 */
struct pk_floor {
	struct pk_ballot ballot;
	uint64_t version;
};

static inline void
pk_floor_raise(struct pk_floor *f, const struct pk_ballot *ballot, uint64_t version)
{
	if (pk_ballot_cmp(ballot, &f->ballot) > 0)
		f->ballot = *ballot;
	if (version > f->version)
		f->version = version;
}

/* Kinds of register state. A register that was never written is ABSENT; a
 * deleted one is a TOMBSTONE that keeps its version so versions never repeat
 * while it exists (physical removal is the GC's job).
 */
enum pk_kind {
	PK_KIND_ABSENT = 0,
	PK_KIND_VALUE = 1,
	PK_KIND_TOMBSTONE = 2,
};

/* Client operations. */
enum pk_opcode {
	PK_OP_GET = 1,
	PK_OP_PUT = 2,
	PK_OP_CAS = 3,		/* write iff the visible version equals arg */
	PK_OP_ADD = 4,		/* add (int64)arg to a decimal integer value */
	PK_OP_DEL = 5,		/* write a tombstone */
	/* Not an operation on a key: opens a client session with the
	 * partition (docs/PROTOCOL.md section 9); sent with no key.
	 */
	PK_OP_OPEN = 6,
};
#define PK_OP_MAX PK_OP_DEL	/* the last operation on a key */

const char *pk_op_name(unsigned int op);

/* A ballot as text, "COUNTER.INCARNATION.NODE.WORKER" (the control
 * socket's floors). Format needs PK_BALLOT_TEXT bytes; parse is strict.
 */
#define PK_BALLOT_TEXT 48
void pk_ballot_format(const struct pk_ballot *b, char *buf, size_t cap);
bool pk_ballot_parse(const char *s, struct pk_ballot *b);

#endif
