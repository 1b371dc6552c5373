/* Internal layout of a partition worker, shared by acceptor.c, proposer.c and
 * worker.c. Nothing outside dp/core includes this file.
 */
#ifndef PK_CORE_CORE_H
#define PK_CORE_CORE_H

#include "mem.h"
#include "ops.h"
#include "session.h"
#include "table.h"
#include "wheel.h"

enum pk_phase {
	PK_PHASE_FREE = 0,
	PK_PHASE_PREPARE = 1,
	PK_PHASE_ACCEPT = 2,
	PK_PHASE_BACKOFF = 3,	/* waiting to retry after a failed phase */
	PK_PHASE_REMOVE = 4,	/* GC round: REMOVE sent to every acceptor */
};


/* What kind of round, as data: the proposer reads these flags rather than
 * asking which caller started it. Client rounds (proposer.c) and GC rounds
 * (gc.c) are the two kinds.
 */
struct pk_round_kind {
	bool one_rtt;		/* may piggyback the next promise and keep a 1RTT cache */
	bool takes_queue;	/* client ops queued on the key join its batch */
	bool may_skip_read;	/* a read whose promises agree completes unwritten */
	bool every_acceptor;	/* the accept goes to, and needs, every acceptor of
				 * both lists (not a quorum) */
	bool quiet_if_refused;	/* the batch's op refused: the key changed since,
				 * end without writing */
	bool remove_after;	/* after the accept, REMOVE to every acceptor */
};

/* One attempt sequence on one key: a batch of combined ops, the phase under
 * way and its vote tally. Each (re)try takes a fresh ballot.
 */
struct pk_round {
	struct pk_round *next;		/* active list, or free list */
	struct pk_round *prev;
	struct pk_rec *rec;
	uint32_t gen;			/* bumped on release: stale tokens miss */
	uint8_t phase;
	bool saw_conflict;
	bool agree;			/* every promise so far names best_ballot */
	bool in_doubt;			/* newval's accept failed: fate unknown */
	bool doubted;			/* an accept carrying writes of the batch failed */
	const struct pk_round_kind *kind;
	struct pk_ballot doubt_first;	/* first failed accept of the batch */
	struct pk_ballot doubt_last;	/* latest one: newval's ballot */
	uint64_t doubt_min_version;	/* lowest version those accepts carried */
	struct pk_ballot ballot;
	struct pk_ballot next_ballot;	/* promise piggybacked on the accept */
	uint16_t voted;			/* nodes counted once each, this phase */
	uint16_t refused;
	struct pk_ballot best_ballot;	/* highest accepted ballot in promises */
	struct pk_blob *best;		/* its value */
	struct pk_blob *newval;		/* state sent in the accept */
	struct pk_op *ops;		/* the batch, in arrival order */
	struct pk_op **ops_tail;
	uint32_t nops;
	uint32_t attempts;
	uint64_t deadline;
	uint64_t phase_start;		/* when this phase's messages went out */
	struct pk_timer timer;		/* min(deadline, its ops' deadlines) */
	const struct pk_config *cfg;	/* config this phase runs under */
};

struct pk_worker {
	/* identity */
	uint32_t cluster_id;
	uint16_t node;
	uint16_t worker;
	uint16_t partitions;
	uint32_t incarnation;
	bool admitted;

	const struct pk_config *cfg;
	struct pk_tuning tuning;
	struct pk_mem mem;
	struct pk_table table;
	struct pk_sessions sessions;
	struct pk_stats stats;
	uint64_t rng;

	/* acceptor: what GC removals leave behind (gc.c). A key without a
	 * record answers as if it had promised floor.ballot and held nothing
	 * of floor.version: at least every promise and ballot the removed
	 * records held, at least their versions.
	 */
	struct pk_floor floor;

	/* the highest ballot counter a peer message showed (bounds.c) */
	uint64_t counter_seen;

	/* proposer */
	uint64_t counter;		/* last ballot counter used or reserved */
	uint32_t cache_gen;		/* 1RTT caches of other generations are void */
	struct pk_round *rounds;	/* pool, max_ops entries */
	struct pk_round *round_free;
	struct pk_round *active;	/* rounds not FREE */
	uint32_t rounds_active;		/* and how many (tuning.max_rounds) */
	struct pk_op *ops;		/* pool */
	struct pk_op *op_free;
	uint32_t ops_used;
	/* Phase latency, smoothed, and its variation (us; RFC 6298's
	 * estimator): a phase waits srtt + 4 rttvar, at least the tuned
	 * phase timeout, before it retries. Under load, rounds that take
	 * longer than the floor are then not retried while their answers
	 * are on the way (each retry would only add load). 0: no sample.
	 */
	uint64_t srtt;
	uint64_t rttvar;
	/* The slowest phase of the current and of the previous window
	 * (PHASE_WINDOW us each), and when the current one began: a phase also
	 * waits twice the slowest of the last complete window. Phase latency
	 * on a shared host has a heavy tail (a peer descheduled for a few ms),
	 * which srtt and rttvar smooth away; each retry it causes is load that
	 * makes the next phase slower still.
	 */
	uint64_t slow_cur;
	uint64_t slow_prev;
	uint64_t slow_since;
	uint64_t next_deadline;		/* at or before the wheel's first expiry */
	struct pk_wheel wheel;		/* one timer per active round */
};

/* The calls inside the core run one way:
 *
 *   worker.c (entry points, dispatch, local delivery)
 *     -> gc.c (the GC coordinator) -> proposer.c
 *     -> proposer.c, acceptor.c
 *          -> record.c, outbox.c, bounds.c, table.c, session.c, wheel.c,
 *             ops.c, mem.c (which call only one another, never up)
 *
 * tests/core_layers.py fails on any call against that order, or a circle.
 */

/* bounds.c: false (counted) when a peer message claims a ballot counter or
 * a version past the sane bounds; otherwise notes its highest counter.
 */
bool pk_bounds_admit(struct pk_worker *w, const struct pk_msg *m);
/* bounds.c: false (counted) when <m>'s config epoch is more than one away
 * from the acceptor's.
 */
bool pk_bounds_epoch(struct pk_worker *w, const struct pk_msg *m);

/* gc.c: the GC coordinator. Starts the collection of one deleted key:
 * returns the answer, or PK_OK with *started when a GC round took over
 * (it answers when it ends).
 */
uint8_t pk_gc_start(struct pk_worker *w, const uint8_t *key, uint16_t key_len, uint64_t cookie,
		    uint64_t now, struct pk_out *out, bool *started);

/* acceptor.c: handle PREPARE / ACCEPT / INSTALL / REMOVE addressed to this
 * worker's acceptor.
 */
void pk_acceptor_on_prepare(struct pk_worker *w, const struct pk_msg *m, struct pk_out *out);
void pk_acceptor_on_accept(struct pk_worker *w, const struct pk_msg *m, struct pk_out *out);
void pk_acceptor_on_install(struct pk_worker *w, const struct pk_msg *m, struct pk_out *out);
void pk_acceptor_on_remove(struct pk_worker *w, const struct pk_msg *m, struct pk_out *out);

/* proposer.c */
void pk_proposer_submit(struct pk_worker *w, const struct pk_msg *req, uint64_t cookie,
			uint64_t now, struct pk_out *out);
void pk_proposer_on_reply(struct pk_worker *w, const struct pk_msg *m, uint64_t now,
			  struct pk_out *out);
void pk_proposer_tick(struct pk_worker *w, uint64_t now, struct pk_out *out);
void pk_proposer_drop_caches(struct pk_worker *w);
/* Starts a round of <kind> on <rec> (idle, no queue) for <op>, afresh
 * from a prepare: how the GC coordinator runs its rounds.
 */
void pk_proposer_start(struct pk_worker *w, struct pk_rec *rec, struct pk_op *op,
		       const struct pk_round_kind *kind, uint64_t now, struct pk_out *out);
/* Takes an op from the pool (NULL when max_ops are in use). */
struct pk_op *pk_proposer_op_alloc(struct pk_worker *w);
void pk_proposer_fini(struct pk_worker *w);

/* record.c */
/* Forgets the 1RTT cache of one key. */
void pk_rec_drop_cache(struct pk_worker *w, struct pk_rec *rec);
/* Frees <r> when neither role holds anything in it any more. */
void pk_rec_reclaim(struct pk_worker *w, struct pk_rec *r);
/* True when the acceptor holds nothing for <r> (no promise, no state). */
static inline bool
pk_rec_is_fresh(const struct pk_rec *r)
{
	return r->value == NULL && pk_ballot_is_zero(&r->promise) &&
	       pk_ballot_is_zero(&r->accepted);
}

/* True when <r>'s accepted state is a deletion (a tombstone). */
static inline bool
pk_rec_holds_deleted(const struct pk_rec *r)
{
	return r->value != NULL && r->value->kind != PK_KIND_VALUE;
}

/* outbox.c: queue a message; NULL (and an overflow counted) when full. */
struct pk_send *pk_out_send(struct pk_worker *w, struct pk_out *out, uint16_t dest_mask,
			    uint8_t type);
/* The same for a round's message: it carries the round's config epoch. */
struct pk_send *pk_out_round(struct pk_worker *w, struct pk_out *out, const struct pk_round *rd,
			     uint16_t dest_mask, uint8_t type);
struct pk_reply *pk_out_reply(struct pk_worker *w, struct pk_out *out, uint64_t cookie);

/* worker.c: every entry point starts by freeing what the previous call
 * released (its outbox is drained by now) and ends by delivering, in
 * order, the messages from outbox entry <from> on addressed to this node.
 */
void pk_worker_collect(struct pk_worker *w);
void pk_worker_deliver_local(struct pk_worker *w, uint32_t from, uint64_t now,
			     struct pk_out *out);

#endif
