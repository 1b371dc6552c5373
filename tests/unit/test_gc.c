/* Deletion GC in the core (dp/core/gc.c), one worker at a time with the
 * other replicas played by hand: the GC round's full-quorum write and
 * REMOVE phase, the acceptor's removal rules, the floor that stands in for
 * removed records, and the own index's deletion.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core_fx.h"

static const struct pk_ballot tomb_ballot = { .counter = 5, .incarnation = 1, .node = 0 };

/* Node 0's acceptor takes a tombstone (version 2) for <key> at <b>, and its
 * proposer's counter moves past it, as if it had written it.
 */
static void
accept_tombstone(struct fx *f, const char *key, struct pk_ballot b)
{
	struct pk_msg m = accept_msg(1, b, (struct pk_ballot){ 0 }, key, "", 2);
	struct pk_msg late = peer_msg(PK_MSG_CONFLICT, 1, bal(1, 0), key);

	late.phase = PK_MSG_ACCEPT;
	late.ballot2 = bal(b.counter, 1);
	fx_peer(f, &late);	/* a late conflict fast-forwards the counter */
	m.state.kind = PK_KIND_TOMBSTONE;
	fx_peer(f, &m);
	CHECK(fx_sent(f, PK_MSG_ACCEPTED) != NULL);
}

static void
fx_gc(struct fx *f, const char *key, uint64_t cookie)
{
	fx_out_reset(f);
	pk_worker_gc(f->w, (const uint8_t *)key, (uint16_t)strlen(key), cookie, f->now, &f->out);
}

static uint8_t
only_reply(const struct fx *f)
{
	return f->out.nreply == 1 ? f->replies[0].msg.status : 0xff;
}

/* Runs a GC round on <key> with nodes 1 and 2 answering everything; the
 * round's ballot goes to *<ballot>.
 */
static void
collect(struct fx *f, const char *key, struct pk_ballot *ballot)
{
	const struct pk_send *s;
	struct pk_send prep, acc, rem;
	struct pk_msg r;

	fx_gc(f, key, 77);
	CHECK((s = fx_sent(f, PK_MSG_PREPARE)) != NULL);
	prep = *s;
	r = reply_to(&prep, PK_MSG_PROMISE, 1);
	r.ballot2 = tomb_ballot;
	r.state.kind = PK_KIND_TOMBSTONE;
	r.state.version = 2;
	fx_peer(f, &r);
	/* The identity write goes to every acceptor, without a 1RTT promise. */
	CHECK((s = fx_sent(f, PK_MSG_ACCEPT)) != NULL);
	acc = *s;
	CHECK_EQ(acc.dest_mask, 6);
	CHECK(pk_ballot_is_zero(&acc.msg.ballot2));
	CHECK_EQ(acc.msg.state.kind, PK_KIND_TOMBSTONE);
	r = reply_to(&acc, PK_MSG_ACCEPTED, 1);
	fx_peer(f, &r);
	CHECK(fx_sent(f, PK_MSG_REMOVE) == NULL);	/* a majority is not enough */
	r = reply_to(&acc, PK_MSG_ACCEPTED, 2);
	fx_peer(f, &r);
	CHECK((s = fx_sent(f, PK_MSG_REMOVE)) != NULL);
	rem = *s;
	CHECK_EQ(rem.dest_mask, 6);
	CHECK(pk_ballot_cmp(&rem.msg.ballot, &acc.msg.ballot) == 0);
	CHECK_EQ(pk_worker_deleted_keys(f->w), 0);	/* our own acceptor: done */
	r = reply_to(&rem, PK_MSG_REMOVED, 1);
	fx_peer(f, &r);
	CHECK_EQ(f->out.nreply, 0);			/* every acceptor must answer */
	r = reply_to(&rem, PK_MSG_REMOVED, 2);
	fx_peer(f, &r);
	CHECK_EQ(only_reply(f), PK_OK);
	*ballot = acc.msg.ballot;
}

static void
test_gc_round_removes_everywhere(void)
{
	struct fx f;
	struct pk_ballot gc_ballot;
	struct pk_floor floor;

	CHECK(fx_init(&f, 0, true, 16));
	accept_tombstone(&f, "k", tomb_ballot);
	CHECK_EQ(pk_worker_deleted_keys(f.w), 1);
	collect(&f, "k", &gc_ballot);
	CHECK_EQ(pk_worker_keys(f.w), 0);
	CHECK_EQ(pk_worker_accepted_keys(f.w), 0);
	CHECK_EQ(pk_worker_stats(f.w)->gc_removed, 1);
	CHECK_EQ(pk_worker_stats(f.w)->acc_removed, 1);
	floor = pk_worker_floor(f.w);
	CHECK(pk_ballot_cmp(&floor.ballot, &gc_ballot) == 0);
	CHECK_EQ(floor.version, 2);
	CHECK_EQ(fx_fini(&f), 0);
}

/* After the removal, what the record held is fenced by the floor: a
 * delayed accept from before the delete (lost delete) or a write under a
 * ballot below the tombstone's (lost update) is refused with the floor; a
 * newer prepare sees ABSENT at the tombstone's version.
 */
static void
test_floor_fences_removed_keys(void)
{
	struct fx f;
	struct pk_ballot gc_ballot, old = bal(4, 2);
	struct pk_msg m;
	const struct pk_send *s;

	CHECK(fx_init(&f, 0, true, 16));
	accept_tombstone(&f, "k", tomb_ballot);
	collect(&f, "k", &gc_ballot);

	m = accept_msg(2, old, (struct pk_ballot){ 0 }, "k", "stale", 1);
	fx_peer(&f, &m);
	CHECK((s = fx_sent(&f, PK_MSG_CONFLICT)) != NULL);
	CHECK(pk_ballot_cmp(&s->msg.ballot2, &gc_ballot) == 0);
	m = peer_msg(PK_MSG_PREPARE, 1, bal(3, 1), "k");
	fx_peer(&f, &m);
	CHECK(fx_sent(&f, PK_MSG_CONFLICT) != NULL);
	CHECK_EQ(pk_worker_keys(f.w), 0);	/* refusals leave nothing behind */
	CHECK_EQ(pk_worker_stats(f.w)->acc_floor_refused, 2);

	m = peer_msg(PK_MSG_PREPARE, 1, bal(gc_ballot.counter + 1, 1), "k");
	fx_peer(&f, &m);
	CHECK((s = fx_sent(&f, PK_MSG_PROMISE)) != NULL);
	CHECK_EQ(s->msg.state.kind, PK_KIND_ABSENT);
	CHECK_EQ(s->msg.state.version, 2);
	CHECK(pk_ballot_is_zero(&s->msg.ballot2));
	/* Keys never written read at the floor version too. */
	m = peer_msg(PK_MSG_PREPARE, 1, bal(gc_ballot.counter + 1, 1), "other");
	fx_peer(&f, &m);
	CHECK((s = fx_sent(&f, PK_MSG_PROMISE)) != NULL);
	CHECK_EQ(s->msg.state.version, 2);
	CHECK_EQ(fx_fini(&f), 0);
}

/* A new write after the removal continues the key's versions. */
static void
test_versions_continue_after_removal(void)
{
	struct fx f;
	const struct pk_send *s;
	struct pk_send prep;
	struct pk_msg r;
	struct pk_ballot gc_ballot;

	CHECK(fx_init(&f, 0, true, 16));
	accept_tombstone(&f, "k", tomb_ballot);
	collect(&f, "k", &gc_ballot);
	fx_client(&f, PK_OP_PUT, "k", "again", 0, 9);
	CHECK((s = fx_sent(&f, PK_MSG_PREPARE)) != NULL);
	prep = *s;
	r = reply_to(&prep, PK_MSG_PROMISE, 1);
	r.state.version = 2;	/* node 1 removed it too: ABSENT at its floor */
	fx_peer(&f, &r);
	CHECK((s = fx_sent(&f, PK_MSG_ACCEPT)) != NULL);
	CHECK_EQ(s->msg.state.kind, PK_KIND_VALUE);
	CHECK_EQ(s->msg.state.version, 3);
	CHECK_EQ(fx_fini(&f), 0);
}

/* REMOVE takes the record only if it still holds a deleted state under
 * exactly the GC round's ballot (docs/CASPAXOS.md, pitfall P10), under the same epoch; a
 * missing record is already removed.
 */
static void
test_remove_rules(void)
{
	struct fx f;
	struct pk_msg m;
	const struct pk_send *s;

	CHECK(fx_init(&f, 0, true, 16));
	accept_tombstone(&f, "k", tomb_ballot);
	m = peer_msg(PK_MSG_REMOVE, 1, bal(6, 0), "k");
	m.peer.epoch = f.cfg.epoch;
	fx_peer(&f, &m);
	CHECK((s = fx_sent(&f, PK_MSG_REMOVED)) != NULL);
	CHECK_EQ(s->msg.reason, PK_CAS_MISMATCH);
	m.ballot = tomb_ballot;
	m.peer.epoch = f.cfg.epoch + 1;
	fx_peer(&f, &m);
	CHECK_EQ(fx_sent(&f, PK_MSG_REMOVED)->msg.reason, PK_CONFLICT);
	CHECK_EQ(pk_worker_keys(f.w), 1);
	m.peer.epoch = f.cfg.epoch;
	fx_peer(&f, &m);
	CHECK_EQ(fx_sent(&f, PK_MSG_REMOVED)->msg.reason, PK_OK);
	CHECK_EQ(pk_worker_keys(f.w), 0);
	fx_peer(&f, &m);	/* resent: idempotent */
	CHECK_EQ(fx_sent(&f, PK_MSG_REMOVED)->msg.reason, PK_OK);

	/* A live value under that very ballot is never removed. */
	m = accept_msg(1, bal(9, 0), (struct pk_ballot){ 0 }, "v", "live", 1);
	fx_peer(&f, &m);
	m = peer_msg(PK_MSG_REMOVE, 1, bal(9, 0), "v");
	m.peer.epoch = f.cfg.epoch;
	fx_peer(&f, &m);
	CHECK_EQ(fx_sent(&f, PK_MSG_REMOVED)->msg.reason, PK_CAS_MISMATCH);
	CHECK_EQ(pk_worker_keys(f.w), 1);

	/* Not admitted (amnesiac): it holds nothing it could vouch for. */
	pk_worker_admit(f.w, false);
	fx_peer(&f, &m);
	CHECK_EQ(fx_sent(&f, PK_MSG_REMOVED)->msg.reason, PK_NOT_ADMITTED);
	CHECK_EQ(fx_fini(&f), 0);
}

/* What the sweep's hand-off answers without a round. */
static void
test_gc_answers_without_a_round(void)
{
	struct fx f;
	struct pk_msg m;
	struct pk_floor floor;

	CHECK(fx_init(&f, 0, true, 16));
	fx_gc(&f, "none", 1);
	CHECK_EQ(only_reply(&f), PK_NOT_FOUND);
	m = accept_msg(1, bal(3, 1), (struct pk_ballot){ 0 }, "live", "v", 1);
	fx_peer(&f, &m);
	fx_gc(&f, "live", 2);
	CHECK_EQ(only_reply(&f), PK_CAS_MISMATCH);
	/* Written by node 1, a member: node 1 collects it. */
	accept_tombstone(&f, "theirs", bal(4, 1));
	for (unsigned int i = 0; i < PK_GC_TAKEOVER; i++) {
		fx_gc(&f, "theirs", 3);
		CHECK_EQ(only_reply(&f), PK_NOT_FOUND);
	}
	CHECK_EQ(pk_worker_stats(f.w)->gc_rounds, 0);
	/* Still here after PK_GC_TAKEOVER sweeps: node 1 may have removed
	 * its own copy and given up on ours, so we take it over.
	 */
	fx_gc(&f, "theirs", 3);
	CHECK_EQ(f.out.nreply, 0);
	CHECK(fx_sent(&f, PK_MSG_PREPARE) != NULL);
	CHECK_EQ(pk_worker_stats(f.w)->gc_rounds, 1);
	/* Written by node 7, not a member: the lowest member (us) does. */
	accept_tombstone(&f, "orphan", bal(4, 7));
	fx_gc(&f, "orphan", 4);
	CHECK_EQ(f.out.nreply, 0);
	CHECK(fx_sent(&f, PK_MSG_PREPARE) != NULL);
	CHECK_EQ(pk_worker_stats(f.w)->gc_rounds, 2);
	fx_gc(&f, "orphan", 5);		/* its round is under way */
	CHECK_EQ(only_reply(&f), PK_BUSY);
	/* A bare promise holds nothing a quorum needs: dropped here, its
	 * promise kept by the floor.
	 */
	m = peer_msg(PK_MSG_PREPARE, 2, bal(40, 2), "bare");
	fx_peer(&f, &m);
	CHECK(fx_sent(&f, PK_MSG_PROMISE) != NULL);
	fx_gc(&f, "bare", 6);
	CHECK_EQ(only_reply(&f), PK_OK);
	CHECK_EQ(pk_worker_stats(f.w)->gc_dropped, 1);
	floor = pk_worker_floor(f.w);
	CHECK(pk_ballot_cmp(&floor.ballot, &(struct pk_ballot){ .counter = 40, .incarnation = 1,
							 .node = 2 }) == 0);
	m = peer_msg(PK_MSG_PREPARE, 1, bal(39, 1), "bare");
	fx_peer(&f, &m);
	CHECK(fx_sent(&f, PK_MSG_CONFLICT) != NULL);
	CHECK_EQ(fx_fini(&f), 0);
}

/* A key written again since the sweep saw it deleted stops the round; so
 * does an acceptor that says so at REMOVE time.
 */
static void
test_gc_round_stops_when_rewritten(void)
{
	struct fx f;
	struct pk_send prep;
	struct pk_msg r;

	CHECK(fx_init(&f, 0, true, 16));
	accept_tombstone(&f, "k", tomb_ballot);
	fx_gc(&f, "k", 1);
	prep = *fx_sent(&f, PK_MSG_PREPARE);
	r = reply_to(&prep, PK_MSG_PROMISE, 1);
	r.ballot2 = bal(6, 1);
	r.state = (struct pk_wstate){ .kind = PK_KIND_VALUE, .version = 3, .len = 1,
				      .data = (const uint8_t *)"x" };
	fx_peer(&f, &r);
	CHECK_EQ(only_reply(&f), PK_CAS_MISMATCH);
	CHECK(fx_sent(&f, PK_MSG_ACCEPT) == NULL);
	CHECK_EQ(pk_worker_stats(f.w)->gc_rewritten, 1);
	CHECK_EQ(pk_worker_keys(f.w), 1);
	CHECK_EQ(fx_fini(&f), 0);
}

/* An acceptor that never answers the REMOVE: the round gives up (the next
 * sweep tries again) and nothing is left in flight.
 */
static void
test_gc_round_gives_up_on_a_silent_acceptor(void)
{
	struct fx f;
	struct pk_send prep, acc, rem;
	struct pk_msg r;
	int sends = 0;

	CHECK(fx_init(&f, 0, true, 16));
	accept_tombstone(&f, "k", tomb_ballot);
	fx_gc(&f, "k", 1);
	prep = *fx_sent(&f, PK_MSG_PREPARE);
	r = reply_to(&prep, PK_MSG_PROMISE, 1);
	fx_peer(&f, &r);
	acc = *fx_sent(&f, PK_MSG_ACCEPT);
	for (uint16_t n = 1; n <= 2; n++) {
		r = reply_to(&acc, PK_MSG_ACCEPTED, n);
		fx_peer(&f, &r);
	}
	rem = *fx_sent(&f, PK_MSG_REMOVE);
	r = reply_to(&rem, PK_MSG_REMOVED, 1);
	fx_peer(&f, &r);
	for (int i = 0; i < 100 && f.out.nreply == 0; i++) {
		fx_tick(&f, 5000);
		if (fx_sent(&f, PK_MSG_REMOVE) != NULL) {
			CHECK_EQ(fx_sent(&f, PK_MSG_REMOVE)->dest_mask, 4);	/* only node 2 */
			sends++;
		}
	}
	CHECK_EQ(only_reply(&f), PK_UNAVAILABLE);
	CHECK(sends >= 3);
	CHECK_EQ(pk_worker_stats(f.w)->gc_failed, 1);
	CHECK_EQ(pk_worker_next_deadline(f.w), UINT64_MAX);
	CHECK_EQ(fx_fini(&f), 0);
}

/* The own index's backward-shift deletion keeps every other key reachable
 * whatever the order of removals (a small table: long probe runs).
 */
static void
test_removal_keeps_other_keys_reachable(void)
{
	struct fx f;
	char key[16];
	struct pk_ballot p, a;
	struct pk_wstate st;
	bool removed[24] = { false };

	CHECK(fx_init(&f, 0, true, 24));
	for (int i = 0; i < 24; i++) {
		struct pk_msg m;

		snprintf(key, sizeof(key), "key%d", i);
		m = peer_msg(PK_MSG_PREPARE, 1, bal(100 + (uint64_t)i, 1), key);
		fx_peer(&f, &m);
	}
	CHECK_EQ(pk_worker_keys(f.w), 24);
	for (int step = 0; step < 16; step++) {
		int i = (step * 7 + 3) % 24;

		snprintf(key, sizeof(key), "key%d", i);
		fx_gc(&f, key, 1);
		CHECK_EQ(only_reply(&f), PK_OK);
		removed[i] = true;
		for (int k = 0; k < 24; k++) {
			snprintf(key, sizeof(key), "key%d", k);
			CHECK_EQ(pk_worker_peek(f.w, (const uint8_t *)key, (uint16_t)strlen(key), &p,
						&a, &st),
				 !removed[k]);
		}
	}
	CHECK_EQ(pk_worker_keys(f.w), 8);
	CHECK_EQ(fx_fini(&f), 0);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "gc_round_removes_everywhere", test_gc_round_removes_everywhere },
		{ "floor_fences_removed_keys", test_floor_fences_removed_keys },
		{ "versions_continue_after_removal", test_versions_continue_after_removal },
		{ "remove_rules", test_remove_rules },
		{ "gc_answers_without_a_round", test_gc_answers_without_a_round },
		{ "gc_round_stops_when_rewritten", test_gc_round_stops_when_rewritten },
		{ "gc_round_gives_up_on_a_silent_acceptor",
		  test_gc_round_gives_up_on_a_silent_acceptor },
		{ "removal_keeps_other_keys_reachable", test_removal_keeps_other_keys_reachable },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
