/* The CASPaxos core as one partition worker: the proposer and the acceptor of
 * one key partition on one replica, driven by three pure step functions
 * (client request, peer message, tick). Time comes in as <now>, randomness
 * as a seed at creation, memory through struct pk_env; effects go to a
 * caller-owned outbox. No I/O, clock or randomness happens inside, so the
 * simulator and the DPDK replica drive the very same code.
 *
 * Threading: a worker is single-threaded; every pk_worker_* call on one
 * worker must come from the same thread (its lcore, or the simulator).
 */
#ifndef PARNIK_WORKER_H
#define PARNIK_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parnik/config.h"
#include "parnik/stats.h"
#include "parnik/types.h"
#include "parnik/wire.h"

/* A key index kept by the host instead of the core's own open-addressing
 * table, so that records live in a structure other threads may read (the
 * replica uses a liburcu cds_lfht: its control thread enumerates keys while
 * the worker runs). The worker is the only writer. Records are opaque to
 * the host; the key bytes passed to insert live inside the record and stay
 * valid and unchanged as long as it does.
 */
struct pk_index_ops {
	/* Returns an empty index sized for <max_keys>, or NULL. */
	void *(*create)(void *ctx, uint32_t max_keys);
	/* Returns the record stored under the key, or NULL. */
	void *(*find)(void *index, const uint8_t *key, uint16_t len, uint32_t hash);
	/* Stores <rec> under the key (absent before). Returns 0, or -1 when
	 * out of memory.
	 */
	int (*insert)(void *index, const uint8_t *key, uint16_t len, uint32_t hash, void *rec);
	/* Takes the key's record out (present before). The record's memory
	 * is freed by the core through pk_env.free, which the host defers
	 * past its readers.
	 */
	void (*remove)(void *index, const uint8_t *key, uint16_t len, uint32_t hash);
	/* Teardown, no reader left: calls <fn> on every record, then frees
	 * the index.
	 */
	void (*destroy)(void *index, void (*fn)(void *arg, void *rec), void *arg);
};

/* Effects the core asks of its host. */
struct pk_env {
	/* Returns <size> bytes or NULL; never called with size 0. */
	void *(*alloc)(void *ctx, size_t size);
	/* Releases memory from alloc; the host may defer it (RCU grace). */
	void (*free)(void *ctx, void *p);
	/* Optional observer of acceptor state changes (tests, tracing). */
	void (*on_accepted)(void *ctx, const uint8_t *key, uint16_t key_len,
			    const struct pk_ballot *ballot, const struct pk_wstate *state);
	/* Optional: the host's key index; NULL for the core's own table. */
	const struct pk_index_ops *index;
	void *ctx;
};

/* Timing, in microseconds of the caller's clock. */
struct pk_tuning {
	uint64_t phase_timeout;		/* prepare or accept phase without quorum */
	uint64_t op_timeout;		/* a client op is answered by then */
	uint64_t backoff_base;		/* first retry waits up to this, doubling */
	uint64_t backoff_max;
	uint32_t max_keys;		/* key table bound: TABLE_FULL beyond */
	uint32_t max_ops;		/* operations queued or in flight */
	uint32_t max_rounds;		/* rounds running at once; a request that
					 * would start another is answered BUSY */
	uint16_t max_queue;		/* operations queued behind one key */
	uint16_t max_value;		/* value bytes accepted, <= PK_MAX_VALUE */
	/* client sessions (docs/PROTOCOL.md section 9) */
	uint32_t max_sessions;		/* sessions held; OPEN answers BUSY beyond */
	uint32_t max_session_records;	/* answers held in all sessions */
	uint32_t session_window;	/* answers held in one session */
	uint64_t session_lease;		/* a session idle this long is dropped */
	/* Test-only fault injection, never set in production: keep the 1RTT
	 * cache after an accept that missed its quorum (docs/CASPAXOS.md, pitfall P5); remove a
	 * deleted key without raising the floor (the GC's lost delete and lost
	 * update); take peer ballots and versions past the bounds (a forged
	 * maximum ballot then wedges its key).
	 */
	bool unsafe_keep_cache;
	bool unsafe_gc_no_floor;
	bool unsafe_no_bounds;
};

/* Fills <t> with defaults for a real network (ms-scale timeouts). */
void pk_tuning_default(struct pk_tuning *t);

struct pk_worker_params {
	uint32_t cluster_id;
	uint16_t node;			/* this replica, < PK_MAX_NODES */
	uint16_t worker;		/* partition index, < partitions */
	uint16_t partitions;
	uint32_t incarnation;		/* new on every process start, > 0 */
	bool admitted;			/* acceptor may vote (false after amnesia) */
	uint64_t seed;			/* backoff jitter */
	/* The first client session number; it must exceed every number an
	 * earlier run of this partition gave out (the host uses its boot
	 * time), so a session of a dead process is never taken for a live one.
	 */
	uint64_t session_base;
	struct pk_tuning tuning;
	struct pk_env env;
};

/* A peer message to send: to every node in <dest_mask>, same partition. */
struct pk_send {
	uint16_t dest_mask;
	struct pk_msg msg;
};

/* A client reply, addressed by the cookie given with the request. */
struct pk_reply {
	uint64_t cookie;
	struct pk_msg msg;
};

/* The outbox. Messages point into worker memory that stays valid until the
 * next pk_worker_* call on the same worker: drain (encode) them before.
 * Entries whose send dest_mask is 0 were consumed locally; skip them.
 */
struct pk_out {
	struct pk_send *sends;
	uint32_t nsend;
	uint32_t send_cap;
	struct pk_reply *replies;
	uint32_t nreply;
	uint32_t reply_cap;
};

/* Where an outbox drains to: <peer> once per destination node of each
 * send, then <sent> (when not NULL: a sink that batches peer messages
 * sends what it holds), then <reply> once per client reply.
 */
struct pk_out_sink {
	void (*peer)(void *ctx, uint16_t to, const struct pk_msg *m);
	void (*sent)(void *ctx);
	void (*reply)(void *ctx, const struct pk_reply *r);
	void *ctx;
};

/* Hands every message of <out> to <sink>, in order (each send to its
 * destinations, lowest node first; then the replies), and empties <out>.
 * The one drain of every driver of the core (parnikd's lcore loop, the
 * simulator, the UDP test cluster, the core bench). Inline, so a driver
 * whose sink is known at compile time calls it directly.
 */
static inline void
pk_out_drain(struct pk_out *out, const struct pk_out_sink *sink)
{
	for (uint32_t i = 0; i < out->nsend; i++) {
		const struct pk_send *s = &out->sends[i];

		for (uint16_t to = 0; to < PK_MAX_NODES; to++)
			if ((s->dest_mask & (1u << to)) != 0)
				sink->peer(sink->ctx, to, &s->msg);
	}
	if (sink->sent != NULL)
		sink->sent(sink->ctx);
	for (uint32_t i = 0; i < out->nreply; i++)
		sink->reply(sink->ctx, &out->replies[i]);
	out->nsend = 0;
	out->nreply = 0;
}

struct pk_worker;

/* Creates a worker running <cfg> (the caller keeps <cfg> alive until it is
 * replaced and no round uses it). Returns NULL on bad params or no memory.
 */
struct pk_worker *pk_worker_new(const struct pk_worker_params *p, const struct pk_config *cfg);

/* Frees the worker and everything it holds. */
void pk_worker_free(struct pk_worker *w);

/* Handles one client request (a decoded PK_MSG_CLIENT_REQ). The reply comes
 * now (an error, a read skipped) or from a later call, carrying <cookie>.
 */
void pk_worker_client(struct pk_worker *w, const struct pk_msg *req, uint64_t cookie,
		      uint64_t now, struct pk_out *out);

/* Handles one peer message (PREPARE, PROMISE, ACCEPT, ACCEPTED, CONFLICT). */
void pk_worker_peer(struct pk_worker *w, const struct pk_msg *m, uint64_t now,
		    struct pk_out *out);

/* Puts a HELLO with <token> for the members of <dest_mask> (never this
 * replica) into <out>: the --bootstrap census and the greeting that keeps
 * checked neighbours fresh. Each answers HELLO_REP with what its partition
 * holds (wire.h); the caller, not the core, reads those answers.
 */
void pk_worker_hello(struct pk_worker *w, uint64_t token, uint16_t dest_mask,
		     struct pk_out *out);

/* Fires due timers: phase timeouts, retries after backoff, op deadlines. */
void pk_worker_tick(struct pk_worker *w, uint64_t now, struct pk_out *out);

/* Earliest time at which pk_worker_tick has something to do (UINT64_MAX when
 * idle). Calling tick earlier is harmless.
 */
uint64_t pk_worker_next_deadline(const struct pk_worker *w);

/* Installs a new config: later rounds use it; the 1RTT caches are dropped
 * because a cached promise lives on the old accept quorum.
 */
void pk_worker_set_config(struct pk_worker *w, const struct pk_config *cfg);

/* The oldest config epoch a round of this worker is still counting replies
 * under (its current config's epoch when none): once it reaches a new
 * config's epoch, no round of an older one is left, and the older config
 * may be freed.
 */
uint32_t pk_worker_oldest_epoch(const struct pk_worker *w);

/* Lets a restarted (amnesiac) acceptor vote again, after the membership
 * procedure re-admitted it.
 */
void pk_worker_admit(struct pk_worker *w, bool admitted);

const struct pk_stats *pk_worker_stats(const struct pk_worker *w);

/* Keys the worker holds records for (values, tombstones, promises only). */
uint32_t pk_worker_keys(const struct pk_worker *w);

/* Keys whose acceptor accepted a state (value or tombstone): what a
 * replica brings from an earlier membership.
 */
uint32_t pk_worker_accepted_keys(const struct pk_worker *w);

/* Keys whose acceptor holds a deleted state (tombstone): the GC's work
 * still pending on this replica.
 */
uint32_t pk_worker_deleted_keys(const struct pk_worker *w);

/* Deletion GC of one key (gc.c has the whole procedure): on a record with
 * a deleted state that this node coordinates, runs the GC round (full
 * write, then REMOVE on every acceptor) and answers <cookie> when it ends:
 * OK removed everywhere, CAS_MISMATCH written again since, UNAVAILABLE or
 * TIMEOUT an acceptor did not answer (try later). Without a GC round it
 * answers at once: OK (a bare promise record dropped here), NOT_FOUND (no
 * record, or another node coordinates it), CAS_MISMATCH (a live value),
 * BUSY (operations under way on the key). A deleted key another node
 * coordinates is taken over once PK_GC_TAKEOVER calls found it still here:
 * its coordinator may have removed its own copy and given up on this one.
 */
#define PK_GC_TAKEOVER 3
void pk_worker_gc(struct pk_worker *w, const uint8_t *key, uint16_t key_len, uint64_t cookie,
		  uint64_t now, struct pk_out *out);

/* A hint for the host's sweep, callable from any thread on a record of its
 * index while its readers keep records alive (RCU): true when the record
 * holds a deleted state or nothing accepted. The worker decides for real.
 */
bool pk_rec_gc_candidate(const void *rec);

/* The acceptor's floor (struct pk_floor, gc.c). A new acceptor takes the
 * cluster's (the maximum of its members') before it votes, so a message
 * delayed from before a removal cannot revive the key there.
 */
struct pk_floor pk_worker_floor(const struct pk_worker *w);
void pk_worker_raise_floor(struct pk_worker *w, const struct pk_floor *f);

/* The host index the worker's records live in (pk_env.index), or NULL when
 * it uses its own table: lets the host's other threads walk its keys.
 */
void *pk_worker_index(const struct pk_worker *w);

/* What pk_worker_install did. */
enum pk_install_result {
	PK_INSTALL_SENT = 0,
	PK_INSTALL_NOTHING = 1,		/* no record, or nothing accepted: nothing to copy */
	PK_INSTALL_NO_ROOM = 2,		/* outbox full: try again */
};

/* Catch-up source (CASPaxos 2.3.3): puts in <out> an INSTALL to node <dest>
 * (same partition) carrying this acceptor's accepted ballot and state for
 * the key, with <token> for the answer (INSTALLED, which the host handles).
 */
enum pk_install_result pk_worker_install(struct pk_worker *w, const uint8_t *key,
					 uint16_t key_len, uint16_t dest, uint64_t token,
					 struct pk_out *out);

/* Read-only view of the acceptor state of one key, for monitors and dumps.
 * Returns false when the key has no record.
 */
bool pk_worker_peek(const struct pk_worker *w, const uint8_t *key, uint16_t key_len,
		    struct pk_ballot *promise, struct pk_ballot *accepted,
		    struct pk_wstate *state);

#endif
