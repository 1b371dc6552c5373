/* Deletion garbage collection (CASPaxos paper 3.1; docs/CASPAXOS.md section 5),
 * per key, driven by the host's sweep through pk_worker_gc():
 *
 *  1. A DEL writes a tombstone with the regular quorums and is answered.
 *  2. The sweep hands the replica's deleted keys to their workers. The
 *     coordinator of a key (the node whose ballot wrote its deleted state;
 *     the lowest member when that node left) runs a GC round: a prepare,
 *     then the identity write of the deleted state to EVERY acceptor of
 *     both lists, under a ballot T (proposer.c).
 *  3. REMOVE(T) to every acceptor: each removes its record only if it
 *     still holds a deleted state accepted exactly under T (docs/CASPAXOS.md, pitfall P10),
 *     and only under the epoch the round ran in; otherwise the key was
 *     written since (or the config moved) and the GC stops. The round
 *     needs every acceptor's answer; one that is down makes it fail, and
 *     the next sweep tries again. Each step is idempotent.
 *
 * What a removal must not forget is kept per worker instead of per key:
 * the acceptor raises its floor to the record's promise and ballot, and its
 * floor version to the record's version. A key without a record then acts
 * as promised up to the floor (acceptor.c) and reads as ABSENT at the floor
 * version. This does the work of the paper's steps 2b/2c (cache drop,
 * counter fast-forward and age fence on every proposer):
 *  - lost delete: a delayed ACCEPT (or a 1RTT accept from a stale cache)
 *    for the removed key carries a ballot below T, which is below the
 *    floor: refused, as the age fence would;
 *  - lost update: any proposer, even one the GC never reached (down, or
 *    added later), that tries the key under a ballot below T is refused
 *    with the floor and fast-forwards past it, as step 2b would have made
 *    it do;
 *  - versions: a write after a removal builds on ABSENT at the floor
 *    version, so a key's versions never go back (a CAS on a version read
 *    before the DEL cannot match), and a proposer whose accept failed
 *    can still prove by versions that it was not chosen (proposer.c).
 * Unlike per-proposer ages it fences only keys without a record, so live
 * keys keep their 1RTT caches (the reason the paper gives for ages), and
 * no round in flight on another key has to fail.
 *
 * A record with nothing accepted (a bare promise, left by reads of absent
 * keys) holds nothing any quorum needs: the sweep drops it locally, raising
 * the floor to its promise.
 */
#include <string.h>

#include "core.h"

/* A GC round: a prepare, the identity write of the deleted state to every
 * acceptor of both lists (all must take it), then REMOVE to each; no
 * 1RTT, no client op joins, and a key written since ends it quietly.
 */
static const struct pk_round_kind gc_round = {
	.every_acceptor = true,
	.quiet_if_refused = true,
	.remove_after = true,
};

/* The node that collects a deleted key: the writer of its state while it is
 * a member, else the lowest member; one coordinator per key, so replicas
 * do not run the same rounds against each other. A record the coordinator
 * left here for PK_GC_TAKEOVER sweeps is taken over: a round that removed
 * the coordinator's own copy and then gave up on a silent acceptor leaves
 * it nothing to sweep. Two rounds on one key are safe, only wasteful: the
 * lower one's REMOVE no longer matches and it stops.
 */
static bool
coordinates(const struct pk_worker *w, struct pk_rec *r)
{
	uint16_t members = w->cfg->prepare_mask | w->cfg->accept_mask;
	uint16_t writer = r->accepted.node;
	bool mine;

	if (writer < PK_MAX_NODES && (members & pk_node_bit(writer)) != 0)
		mine = writer == w->node;
	else
		mine = members != 0 && (uint16_t)__builtin_ctz(members) == w->node;
	if (mine || r->gc_deferrals >= PK_GC_TAKEOVER)
		return true;
	r->gc_deferrals++;
	return false;
}

uint8_t
pk_gc_start(struct pk_worker *w, const uint8_t *key, uint16_t key_len, uint64_t cookie,
	 uint64_t now, struct pk_out *out, bool *started)
{
	uint32_t hash = pk_hash(key, key_len);
	struct pk_rec *r;
	struct pk_op *op;

	if (key_len == 0 || key_len > PK_MAX_KEY)
		return PK_BAD_REQUEST;
	if (hash % w->partitions != w->worker)
		return PK_WRONG_PARTITION;
	r = pk_table_find(&w->table, key, key_len, hash);
	if (r == NULL)
		return PK_NOT_FOUND;
	if (r->round != NULL || r->q_head != NULL)
		return PK_BUSY;
	if (r->value == NULL) {
		/* Nothing accepted: only a promise to keep, in the floor. */
		pk_floor_raise(&w->floor, &r->promise, 0);
		memset(&r->promise, 0, sizeof(r->promise));
		pk_rec_drop_cache(w, r);
		w->stats.gc_dropped++;
		pk_rec_reclaim(w, r);
		return PK_OK;
	}
	if (!pk_rec_holds_deleted(r))
		return PK_CAS_MISMATCH;
	if (!coordinates(w, r))
		return PK_NOT_FOUND;	/* another node's to collect */
	if (w->cfg->prepare_mask == 0 || w->cfg->accept_mask == 0 || !w->admitted)
		return PK_UNAVAILABLE;
	op = pk_proposer_op_alloc(w);
	if (op == NULL)
		return PK_BUSY;
	op->op = PK_OP_GC;
	op->cookie = cookie;
	op->deadline = now + w->tuning.op_timeout;
	w->stats.gc_rounds++;
	pk_proposer_start(w, r, op, &gc_round, now, out);
	*started = true;
	return PK_OK;
}

