/* Parnik's wire format: one UDP datagram carries a 16-byte header and up to
 * PK_MAX_BATCH messages (client requests and replies, prepare / promise /
 * accept / accepted / conflict). All integers are little-endian. The byte
 * layout is specified in docs/PROTOCOL.md; this header is its C binding.
 *
 * Decoding is strict and all-or-nothing: a datagram with any malformed
 * message is rejected whole with a specific PK_E_* code and no byte past the
 * buffer's end is ever read. Decoded messages point into the buffer.
 */
#ifndef PARNIK_WIRE_H
#define PARNIK_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parnik/err.h"
#include "parnik/types.h"

#define PK_WIRE_MAGIC 0x4b4e5250u	/* bytes 'P' 'R' 'N' 'K' on the wire */
#define PK_WIRE_VERSION 6
#define PK_WIRE_HDR_LEN 16
#define PK_WIRE_MSG_HDR_LEN 4

enum pk_msg_type {
	PK_MSG_CLIENT_REQ = 1,
	PK_MSG_CLIENT_REP = 2,
	PK_MSG_PREPARE = 3,
	PK_MSG_PROMISE = 4,
	PK_MSG_ACCEPT = 5,
	PK_MSG_ACCEPTED = 6,
	PK_MSG_CONFLICT = 7,
	/* Catch-up (CASPaxos 2.3.3): an acceptor's accepted (ballot, state)
	 * copied to a new acceptor, laid out as ACCEPT (next unused); the
	 * answer is laid out as ACCEPTED.
	 */
	PK_MSG_INSTALL = 8,
	PK_MSG_INSTALLED = 9,
	/* Deletion GC, last step: remove the key's record if it still holds
	 * the deleted state accepted under <ballot> (laid out as PREPARE);
	 * the answer, laid out as ACCEPTED plus a status byte in <reason>:
	 * OK (removed, or no record), CAS_MISMATCH (rewritten since) or
	 * CONFLICT (another config epoch).
	 */
	PK_MSG_REMOVE = 10,
	PK_MSG_REMOVED = 11,
	/* Who is there: a replica started with --bootstrap asks every member
	 * before its acceptors vote, and every replica greets the others once
	 * a second (keeping checked neighbours fresh). Each partition answers
	 * with its config epoch (in the peer prefix), the keys it holds an
	 * accepted state for (<arg>), its GC floor version (<state.version>:
	 * above 0 once a written key was removed) and whether it votes
	 * (<reason>: 0 or 1). No round ballot.
	 */
	PK_MSG_HELLO = 12,
	PK_MSG_HELLO_REP = 13,
};
#define PK_MSG_TYPE_MAX PK_MSG_HELLO_REP

/* Datagram header. */
struct pk_dgram_hdr {
	uint32_t cluster_id;
	uint16_t partitions;	/* the sender's partition count P */
	uint16_t partition;	/* partition this datagram is for, < P */
	uint16_t count;		/* messages that follow */
	uint8_t flags;		/* decode: PK_DGRAM_*_MAC (parnik/auth.h) or 0 */
};

/* A register state as carried by promise, accept and client reply. An
 * ABSENT state has no bytes but may carry a version: the acceptor's floor
 * version for a key it holds no record of (versions never go back across
 * a deletion's garbage collection; docs/PROTOCOL.md).
 */
struct pk_wstate {
	uint8_t kind;		/* enum pk_kind */
	uint64_t version;
	uint16_t len;
	const uint8_t *data;	/* len bytes; NULL when len == 0 */
	/* PROMISE and ACCEPT only: the ballot of the attempt that created
	 * this state (identity changes carry it unchanged), so a proposer
	 * whose accept failed can recognise its own value when another
	 * proposer adopted it. Zero for ABSENT.
	 */
	struct pk_ballot origin;
	/* PROMISE and ACCEPT only: the origin of the state this one was
	 * written over (zero when it was written over nothing, and for
	 * ABSENT): one step of the state's ancestry, so a proposer whose
	 * accept failed can recognise a rival's write built on its value.
	 */
	struct pk_ballot parent;
};

/* Identity of the worker that sent a peer message, plus the round token the
 * proposer chose; acceptors echo the token unchanged.
 */
struct pk_peer {
	uint16_t node;
	uint16_t worker;
	uint32_t incarnation;
	uint32_t epoch;		/* sender's config epoch */
	uint64_t token;
};

/* One decoded (or to-be-encoded) message. Which fields are meaningful depends
 * on <type>; docs/PROTOCOL.md lists them per type.
 */
struct pk_msg {
	uint8_t type;		/* enum pk_msg_type */

	/* peer messages */
	struct pk_peer peer;
	struct pk_ballot ballot;	/* the round's ballot */
	struct pk_ballot ballot2;	/* PROMISE: accepted; ACCEPT: next; CONFLICT: seen */
	uint8_t phase;			/* CONFLICT: PK_MSG_PREPARE or PK_MSG_ACCEPT */
	uint8_t reason;			/* CONFLICT, REMOVED: enum pk_status;
					 * HELLO_REP: 1 when it votes */

	/* client messages */
	uint64_t client_id;
	uint64_t request_id;
	uint64_t session;	/* the client's session with the partition; 0: none */
	uint64_t acked;		/* CLIENT_REQ: the client is done with ids below it */
	bool too_large;		/* CLIENT_REQ decoded with a key or value over
				 * its limit: answered TOO_LARGE */
	bool shed;		/* CLIENT_REQ, set by the host, never on the wire:
				 * the host is overloaded (a standing queue at its
				 * ports), so the request is answered at once (BUSY,
				 * held in its session like any refusal) and runs
				 * nothing */
	uint64_t arg;		/* CAS: expected version; ADD: int64 delta;
				 * HELLO_REP: keys held */
	uint8_t op;		/* CLIENT_REQ: enum pk_opcode */
	uint8_t status;		/* CLIENT_REP: enum pk_status */

	/* PREPARE, ACCEPT, INSTALL, REMOVE, CLIENT_REQ */
	const uint8_t *key;
	uint16_t key_len;

	/* PROMISE, ACCEPT, CLIENT_REP (state); CLIENT_REQ (value in data/len) */
	struct pk_wstate state;
};

/* Returns the encoded size of <m> including its 4-byte message header. */
size_t pk_wire_msg_size(const struct pk_msg *m);

/* Datagram writer over a caller-owned buffer. */
struct pk_wbuf {
	uint8_t *buf;
	size_t cap;
	size_t len;
	uint16_t count;
};

/* Starts a datagram in <buf> of <cap> bytes (at least PK_WIRE_HDR_LEN). */
void pk_wire_begin(struct pk_wbuf *w, uint8_t *buf, size_t cap, const struct pk_dgram_hdr *h);

/* Appends <m>. Returns 0, -PK_E_NOSPACE when it does not fit (the buffer is
 * unchanged), or -PK_E_LIMIT / -PK_E_FIELD / -PK_E_TYPE when <m> itself is
 * invalid.
 */
int pk_wire_add(struct pk_wbuf *w, const struct pk_msg *m);

/* What the receiver insists on. */
struct pk_wire_expect {
	uint32_t cluster_id;
	uint16_t partitions;
};

/* Decodes a whole datagram into <msgs> (room for <max> entries). Returns the
 * number of messages (>= 1) or a negative -PK_E_* code; on error <msgs> holds
 * nothing usable. <hdr> receives the header when the header itself is valid.
 */
int pk_wire_decode(const uint8_t *buf, size_t len, const struct pk_wire_expect *exp,
		   struct pk_dgram_hdr *hdr, struct pk_msg *msgs, unsigned int max);

/* CRC-32C (Castagnoli; reflected polynomial 0x82F63B78, init and final xor
 * 0xFFFFFFFF) of <len> bytes: "123456789" gives 0xE3069283. Partition of a
 * key = pk_hash(key) % P.
 */
uint32_t pk_hash(const void *data, size_t len);

static inline uint16_t
pk_partition_of(const void *key, size_t len, uint16_t partitions)
{
	return (uint16_t)(pk_hash(key, len) % partitions);
}

#endif
