/* Ballot, version and epoch bounds in the core (dp/core/bounds.c), from
 * the attacks that motivated them: one PREPARE at the largest ballot used
 * to lock its key for ever (the proposer's fast-forward plus ++counter
 * wrapped to 0), one REMOVE under it raised the partition's floor past any
 * ballot. Each test replays the forged message and shows the key or the
 * partition still works, and that honest ballots are untouched.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "core_fx.h"

static const struct pk_ballot max_ballot = { .counter = UINT64_MAX, .incarnation = UINT32_MAX,
					     .node = 1, .worker = 0 };

/* A PUT of <key> through node 0's proposer with node 1 answering: returns
 * the status of the reply (0xff when none came).
 */
static uint8_t
put_through(struct fx *f, const char *key, uint64_t cookie)
{
	const struct pk_send *s;
	struct pk_send sent;
	struct pk_msg r;

	fx_client(f, PK_OP_PUT, key, "v", 0, cookie);
	s = fx_sent(f, PK_MSG_PREPARE);
	if (s == NULL)
		s = fx_tick_until(f, PK_MSG_PREPARE, 1000);
	if (s == NULL)
		return 0xff;
	sent = *s;
	r = reply_to(&sent, PK_MSG_PROMISE, 1);
	fx_peer(f, &r);
	if ((s = fx_sent(f, PK_MSG_ACCEPT)) == NULL)
		return 0xff;
	sent = *s;
	r = reply_to(&sent, PK_MSG_ACCEPTED, 1);
	fx_peer(f, &r);
	return f->out.nreply == 1 ? f->replies[0].msg.status : 0xff;
}

static void
test_max_prepare_cannot_lock_a_key(void)
{
	struct fx f;
	struct pk_msg m = peer_msg(PK_MSG_PREPARE, 1, max_ballot, "k");

	CHECK(fx_init(&f, 0, true, 16));
	fx_peer(&f, &m);
	CHECK_EQ(f.out.nsend, 0);	/* neither PROMISE nor CONFLICT: refused */
	CHECK_EQ(pk_worker_stats(f.w)->peer_bounds_refused, 1);
	CHECK_EQ(put_through(&f, "k", 1), PK_OK);
	CHECK_EQ(put_through(&f, "k", 2), PK_OK);
	/* A counter just past the absolute bound, with an honest history
	 * right below it, is refused too: ++counter can never wrap.
	 */
	m.ballot.counter = PK_BALLOT_COUNTER_MAX + 1;
	fx_peer(&f, &m);
	CHECK_EQ(f.out.nsend, 0);
	CHECK_EQ(pk_worker_stats(f.w)->peer_bounds_refused, 2);
	CHECK_EQ(fx_fini(&f), 0);
}

/* A conflict naming the largest ballot would fast-forward the proposer's
 * counter to it: refused, and the proposer's next ballot stays small.
 */
static void
test_max_conflict_cannot_exhaust_the_counter(void)
{
	struct fx f;
	const struct pk_send *s;
	struct pk_send sent;
	struct pk_msg r;

	CHECK(fx_init(&f, 0, true, 16));
	fx_client(&f, PK_OP_PUT, "k", "v", 0, 1);
	CHECK((s = fx_sent(&f, PK_MSG_PREPARE)) != NULL);
	sent = *s;
	r = reply_to(&sent, PK_MSG_CONFLICT, 1);
	r.phase = PK_MSG_PREPARE;
	r.reason = PK_CONFLICT;
	r.ballot2 = max_ballot;
	fx_peer(&f, &r);
	CHECK_EQ(pk_worker_stats(f.w)->peer_bounds_refused, 1);
	CHECK_EQ(pk_worker_stats(f.w)->conflicts_rcvd, 0);
	r = reply_to(&sent, PK_MSG_PROMISE, 1);
	fx_peer(&f, &r);
	CHECK((s = fx_sent(&f, PK_MSG_ACCEPT)) != NULL);
	CHECK(s->msg.ballot.counter < 10);
	sent = *s;
	r = reply_to(&sent, PK_MSG_ACCEPTED, 1);
	fx_peer(&f, &r);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_OK);
	CHECK_EQ(fx_fini(&f), 0);
}

/* A jump of more than 2^48 above the highest counter known is refused; a
 * large but reachable one is not, and raises what counts as known.
 */
static void
test_counter_jumps(void)
{
	struct fx f;
	struct pk_msg m = peer_msg(PK_MSG_PREPARE, 1, bal(PK_BALLOT_COUNTER_JUMP + 2, 1), "a");

	CHECK(fx_init(&f, 0, true, 16));
	fx_peer(&f, &m);
	CHECK_EQ(f.out.nsend, 0);
	m.ballot.counter = PK_BALLOT_COUNTER_JUMP - 1;
	fx_peer(&f, &m);
	CHECK(fx_sent(&f, PK_MSG_PROMISE) != NULL);
	m = peer_msg(PK_MSG_PREPARE, 1, bal(2 * PK_BALLOT_COUNTER_JUMP - 2, 1), "b");
	fx_peer(&f, &m);
	CHECK(fx_sent(&f, PK_MSG_PROMISE) != NULL);
	CHECK_EQ(pk_worker_stats(f.w)->peer_bounds_refused, 1);
	CHECK_EQ(fx_fini(&f), 0);
}

/* Versions near 2^64 would wrap on the next write. */
static void
test_version_bound(void)
{
	struct fx f;
	struct pk_msg m = accept_msg(1, bal(3, 1), (struct pk_ballot){ 0 }, "k", "x",
				     PK_VERSION_MAX + 1);

	CHECK(fx_init(&f, 0, true, 16));
	fx_peer(&f, &m);
	CHECK_EQ(f.out.nsend, 0);
	m.state.version = 999;
	fx_peer(&f, &m);
	CHECK(fx_sent(&f, PK_MSG_ACCEPTED) != NULL);
	CHECK_EQ(pk_worker_stats(f.w)->peer_bounds_refused, 1);
	CHECK_EQ(fx_fini(&f), 0);
}

/* A tombstone and REMOVE under the largest ballot would raise the floor
 * past every ballot: no key of the partition could be created again.
 */
static void
test_max_remove_cannot_poison_the_floor(void)
{
	struct fx f;
	struct pk_msg m = accept_msg(1, max_ballot, (struct pk_ballot){ 0 }, "junk", "", 3);
	struct pk_msg rm = peer_msg(PK_MSG_REMOVE, 1, max_ballot, "junk");
	struct pk_floor floor;

	CHECK(fx_init(&f, 0, true, 16));
	m.state.kind = PK_KIND_TOMBSTONE;
	fx_peer(&f, &m);
	CHECK_EQ(f.out.nsend, 0);
	rm.peer.epoch = f.cfg.epoch;
	fx_peer(&f, &rm);
	CHECK_EQ(f.out.nsend, 0);
	floor = pk_worker_floor(f.w);
	CHECK(floor.ballot.counter == 0 && floor.version == 0);
	CHECK_EQ(put_through(&f, "new-key", 1), PK_OK);
	CHECK_EQ(fx_fini(&f), 0);
}

/* An acceptor votes for rounds of its epoch and the adjacent ones only. */
static void
test_epoch_window(void)
{
	struct fx f;
	struct pk_msg m = peer_msg(PK_MSG_PREPARE, 1, bal(3, 1), "k");
	uint32_t e;

	CHECK(fx_init(&f, 0, true, 16));
	e = f.cfg.epoch;
	m.peer.epoch = e + 2;
	fx_peer(&f, &m);
	CHECK_EQ(f.out.nsend, 0);
	CHECK_EQ(pk_worker_stats(f.w)->acc_epoch_refused, 1);
	m.peer.epoch = e + 1;
	fx_peer(&f, &m);
	CHECK(fx_sent(&f, PK_MSG_PROMISE) != NULL);
	m.ballot.counter = 4;
	m.peer.epoch = e;
	fx_peer(&f, &m);
	CHECK(fx_sent(&f, PK_MSG_PROMISE) != NULL);
	m.ballot.counter = 5;
	m.peer.epoch = 0xffffffffu;	/* "e - 2" for any small e */
	fx_peer(&f, &m);
	CHECK_EQ(f.out.nsend, 0);
	CHECK_EQ(pk_worker_stats(f.w)->acc_epoch_refused, 2);
	CHECK_EQ(fx_fini(&f), 0);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "max_prepare_cannot_lock_a_key", test_max_prepare_cannot_lock_a_key },
		{ "max_conflict_cannot_exhaust_the_counter",
		  test_max_conflict_cannot_exhaust_the_counter },
		{ "counter_jumps", test_counter_jumps },
		{ "version_bound", test_version_bound },
		{ "max_remove_cannot_poison_the_floor", test_max_remove_cannot_poison_the_floor },
		{ "epoch_window", test_epoch_window },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
