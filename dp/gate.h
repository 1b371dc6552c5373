/* The gate every Parnik datagram passes before any of it acts: which key
 * sealed it, whether its tag holds, whether a peer datagram is a replay, and
 * whether each peer message comes from the address and port of the member
 * it names. Every refusal is a reason, counted by the caller; a refused
 * datagram has no effect at all (no state change, no reply, no neighbour
 * learned). No DPDK: the worker loop calls it, tests/dp/test_gate.c drives
 * it with byte arrays.
 *
 * Replay windows and send sequences belong to one partition and are touched
 * only by that partition's owner lcore (share-nothing, no atomics).
 */
#ifndef DP_GATE_H
#define DP_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "options.h"
#include "parnik/auth.h"
#include "parnik/wire.h"

#define DP_REPLAY_WINDOW 64	/* sequence numbers remembered below the highest */

/* X(name, description): why the gate refused a datagram. */
#define DP_GATE_LIST(X)                                                               \
	X(gate_no_key, "sealed datagrams for a key this replica does not hold")       \
	X(gate_bad_tag, "sealed datagrams whose MAC did not verify")                  \
	X(gate_replay, "peer datagrams already taken, or older than the window")      \
	X(gate_stale_boot, "peer datagrams from an earlier start of their sender")    \
	X(gate_unsealed, "peer messages without the peer MAC (a key is required)")    \
	X(gate_spoofed, "peer messages not from the address and port of their member") \
	X(gate_mixed, "datagrams mixing client and peer messages")                    \
	X(gate_client_refused, "client requests without the client MAC, answered UNAUTHENTICATED")

enum dp_gate_reason {
	DP_GATE_OK = 0,
#define DP_GATE_ENUM(name, desc) DP_##name,
	DP_GATE_LIST(DP_GATE_ENUM)
#undef DP_GATE_ENUM
	DP_GATE_COUNT
};

/* One sender's window, for one partition. */
struct dp_replay {
	uint64_t boot;		/* the sender start it follows; 0: none yet */
	uint64_t top;		/* highest sequence taken */
	uint64_t seen;		/* bit i: sequence top - i taken */
};

/* A partition's side of the gate. */
struct dp_gate_part {
	struct dp_replay rx[PK_MAX_NODES];	/* by sender node */
	uint64_t tx_seq[PK_MAX_NODES];		/* last sequence sent, by receiver */
};

/* The replica's keys and identity; fixed after dp_gate_init. */
struct dp_gate {
	const struct dp_options *opt;
	bool peer_keyed;		/* peer datagrams must be sealed */
	bool client_keyed;		/* client requests must be sealed */
	struct pk_auth_key peer;
	struct pk_auth_key client;
	uint64_t boot;			/* this process's start, us since the epoch */
};

/* A datagram as it arrived: the UDP payload and where it came from. */
struct dp_gate_in {
	uint8_t *buf;
	uint16_t len;
	uint32_t src_ip;	/* network order */
	uint16_t src_port;	/* host order */
	uint16_t partition;	/* the partition its destination port names */
};

/* What the gate found: the length to decode (the trailer removed), the MAC
 * flag and, for a peer datagram, its trailer.
 */
struct dp_gate_out {
	uint16_t len;
	uint8_t flags;		/* PK_DGRAM_*_MAC or 0 */
	struct pk_auth_trailer trailer;
};

/* Derives the keys from the options' secrets. */
void dp_gate_init(struct dp_gate *g, const struct dp_options *o, uint64_t boot_us);

/* Step 1, before decoding: checks the MAC, the sender of a peer trailer
 * and its replay window (without taking the sequence yet). Returns
 * DP_GATE_OK and fills <out>, or the reason to drop.
 */
enum dp_gate_reason dp_gate_open(const struct dp_gate *g, const struct dp_gate_part *gp,
				 const struct dp_gate_in *in, struct dp_gate_out *out);

/* Step 2, after decoding <n> messages: every peer message must come from
 * the member it names (its address and, peers sending from partition i to
 * partition i, port base + partition) and, when sealed, be that of the
 * trailer's node; client requests never share a datagram with peer
 * messages. A keyed replica refuses unsealed peer messages. On DP_GATE_OK
 * the sequence of a sealed peer datagram is taken (later copies are
 * replays) and <*peer_node> is its sender (or -1 for a client datagram).
 */
enum dp_gate_reason dp_gate_admit(const struct dp_gate *g, struct dp_gate_part *gp,
				  const struct dp_gate_in *in, const struct dp_gate_out *out,
				  const struct pk_msg *msgs, int n, int *peer_node);

/* True when a client request in a datagram that passed must be answered
 * UNAUTHENTICATED: the replica requires the client key and it was not used.
 */
static inline bool
dp_gate_client_refused(const struct dp_gate *g, const struct dp_gate_out *out)
{
	return g->client_keyed && out->flags != PK_DGRAM_CLIENT_MAC;
}

/* Seals a peer datagram for member <to> (next sequence of <gp>) or a reply
 * to a sealed client request. Returns the new length, 0 if it did not fit.
 */
uint16_t dp_gate_seal_peer(const struct dp_gate *g, struct dp_gate_part *gp, uint16_t to,
			   uint8_t *buf, uint16_t len, uint16_t cap);
uint16_t dp_gate_seal_reply(const struct dp_gate *g, uint8_t *buf, uint16_t len, uint16_t cap);

/* The replay window alone, for tests: DP_GATE_OK, DP_gate_replay or
 * DP_gate_stale_boot; take marks a sequence as seen (one too old to be in
 * the window changes nothing).
 */
enum dp_gate_reason dp_replay_check(const struct dp_replay *w, uint64_t boot, uint64_t seq);
void dp_replay_take(struct dp_replay *w, uint64_t boot, uint64_t seq);

/* True for the message types replicas send each other. */
bool dp_gate_is_peer_type(uint8_t type);

const char *dp_gate_reason_name(unsigned int reason);

#endif
