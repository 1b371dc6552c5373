/* Client sessions on the single-worker fixture: a retried write runs once
 * however many requests come between, an answer is held until the client
 * acknowledges it, a request naming an unknown session never runs, memory
 * stays within its bounds, and the lease runs on a clock that stops while
 * the worker does.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core_fx.h"
#include "session.h"

static const struct pk_stats *
stats(const struct fx *f)
{
	return pk_worker_stats(f->w);
}

/* Plays replica 1 until the worker answers something: a promise for each
 * PREPARE, an ACCEPTED for each ACCEPT. Returns the answer's status, or -1.
 */
static int
drive(struct fx *f, struct pk_reply *got)
{
	for (int i = 0; i < 8 && f->out.nreply == 0; i++) {
		const struct pk_send *s;
		struct pk_msg m;

		if ((s = fx_sent(f, PK_MSG_PREPARE)) != NULL)
			m = reply_to(s, PK_MSG_PROMISE, 1);
		else if ((s = fx_sent(f, PK_MSG_ACCEPT)) != NULL)
			m = reply_to(s, PK_MSG_ACCEPTED, 1);
		else
			return -1;
		fx_peer(f, &m);
	}
	if (f->out.nreply != 1)
		return -1;
	*got = f->replies[0];
	return got->msg.status;
}

static int
run(struct fx *f, const struct fx_session *s, uint64_t rid, uint8_t op, const char *key,
    const char *val, uint64_t arg, struct pk_reply *got)
{
	fx_client_in(f, s, rid, op, key, val, arg, rid);
	return drive(f, got);
}

/* Only reply in the outbox, for cookie <cookie>. */
static int
replied(const struct fx *f, uint64_t cookie)
{
	return f->out.nreply == 1 && f->replies[0].cookie == cookie ? f->replies[0].msg.status
								    : -1;
}

/* The bug this replaces: an ADD answered, then 100,000 other requests (the
 * old shared table held 65,536), then the client's retry. The retry is
 * answered from the session, with the first answer, and nothing runs.
 */
static void
test_retry_after_many_requests_runs_once(void)
{
	struct fx f;
	struct fx_session c, other;
	struct pk_reply r;
	uint64_t rounds;

	CHECK(fx_init(&f, 0, true, 64));
	CHECK(fx_open(&f, &c, 7) != 0);
	CHECK(fx_open(&f, &other, 8) != 0);
	CHECK_EQ(run(&f, &c, 100, PK_OP_ADD, "n", NULL, 1, &r), PK_OK);
	CHECK(r.msg.state.len == 1 && r.msg.state.data[0] == '1');
	CHECK_EQ(r.msg.session, c.number);
	for (uint64_t i = 0; i < 100000; i++) {
		other.acked = 1000 + i;	/* each answer acknowledged by the next request */
		CHECK_EQ(run(&f, &other, 1000 + i, PK_OP_PUT, "k", "v", 0, &r), PK_OK);
	}
	CHECK(stats(&f)->session_records <= 2);
	rounds = stats(&f)->rounds;
	fx_client_in(&f, &c, 100, PK_OP_ADD, "n", NULL, 1, 5);
	CHECK_EQ(replied(&f, 5), PK_OK);
	CHECK(f.replies[0].msg.state.len == 1 && f.replies[0].msg.state.data[0] == '1');
	CHECK_EQ(stats(&f)->rounds, rounds);
	CHECK_EQ(stats(&f)->req_dup_replied, 1);
	/* The key was added to once. */
	CHECK_EQ(run(&f, &c, 101, PK_OP_GET, "n", NULL, 0, &r), PK_OK);
	CHECK(r.msg.state.len == 1 && r.msg.state.data[0] == '1');
	CHECK_EQ(fx_fini(&f), 0);
}

/* A copy arriving while the write runs is dropped (its reply will come);
 * the answer then serves every later copy until the client acknowledges
 * it; after that a copy is stale and dropped.
 */
static void
test_copy_while_running_then_acknowledged(void)
{
	struct fx f;
	struct fx_session c;
	struct pk_reply r;
	const struct pk_send *s;
	struct pk_send prep;
	struct pk_msg m;

	CHECK(fx_init(&f, 0, true, 16));
	CHECK(fx_open(&f, &c, 7) != 0);
	fx_client_in(&f, &c, 10, PK_OP_PUT, "a", "x", 0, 1);
	CHECK((s = fx_sent(&f, PK_MSG_PREPARE)) != NULL);
	prep = *s;
	fx_client_in(&f, &c, 10, PK_OP_PUT, "a", "x", 0, 2);
	CHECK_EQ(f.out.nreply, 0);
	CHECK_EQ(f.out.nsend, 0);
	CHECK_EQ(stats(&f)->req_dup_dropped, 1);
	m = reply_to(&prep, PK_MSG_PROMISE, 1);
	fx_peer(&f, &m);
	CHECK_EQ(drive(&f, &r), PK_OK);
	CHECK_EQ(r.cookie, 1);
	CHECK_EQ(stats(&f)->session_records, 1);
	fx_client_in(&f, &c, 10, PK_OP_PUT, "a", "x", 0, 3);
	CHECK_EQ(replied(&f, 3), PK_OK);
	CHECK_EQ(f.replies[0].msg.state.version, r.msg.state.version);
	/* The next request acknowledges it: the answer goes, copies are stale. */
	c.acked = 11;
	CHECK_EQ(run(&f, &c, 11, PK_OP_GET, "a", NULL, 0, &r), PK_OK);
	CHECK_EQ(stats(&f)->session_records, 0);
	fx_client_in(&f, &c, 10, PK_OP_PUT, "a", "x", 0, 4);
	CHECK_EQ(f.out.nreply, 0);
	CHECK_EQ(f.out.nsend, 0);
	CHECK_EQ(stats(&f)->req_stale, 1);
	CHECK_EQ(fx_fini(&f), 0);
}

/* A session the worker does not hold (never opened, or one of another
 * run) is answered SESSION_EXPIRED and nothing runs; session 0 is no
 * session at all and runs.
 */
static void
test_unknown_session_never_runs(void)
{
	struct fx f;
	struct fx_session c, forged;

	CHECK(fx_init(&f, 0, true, 16));
	CHECK(fx_open(&f, &c, 7) != 0);
	forged = c;
	forged.number = c.number + 1;
	fx_client_in(&f, &forged, 1, PK_OP_ADD, "a", NULL, 1, 1);
	CHECK_EQ(replied(&f, 1), PK_SESSION_EXPIRED);
	CHECK_EQ(f.out.nsend, 0);
	forged.client_id = 99;
	forged.number = c.number;
	fx_client_in(&f, &forged, 1, PK_OP_GET, "a", NULL, 0, 2);
	CHECK_EQ(replied(&f, 2), PK_SESSION_EXPIRED);
	CHECK_EQ(stats(&f)->req_expired, 2);
	CHECK_EQ(stats(&f)->rounds, 0);
	fx_client_as(&f, 99, 1, PK_OP_GET, "a", NULL, 0, 3);
	CHECK(fx_sent(&f, PK_MSG_PREPARE) != NULL);
	CHECK_EQ(fx_fini(&f), 0);
}

/* After the lease a session is gone, its answers with it: a retry is told
 * SESSION_EXPIRED, and a new OPEN gets a new number. An idle partition
 * wants ticks while sessions live, so their leases end.
 */
static void
test_lease_expiry(void)
{
	struct fx f;
	struct fx_session c, again;
	struct pk_reply r;
	uint64_t first;

	CHECK(fx_init(&f, 0, true, 16));
	first = fx_open(&f, &c, 7);
	CHECK(first >= 1000);	/* from the fixture's session base */
	CHECK(pk_worker_next_deadline(f.w) <= f.now + PK_SESSION_TICK);
	CHECK_EQ(f.replies[0].msg.state.version, 60000);	/* the lease, ms */
	CHECK_EQ(run(&f, &c, 1, PK_OP_PUT, "a", "x", 0, &r), PK_OK);
	/* 59 s later (in steps, as a running worker sees time): still there. */
	for (int i = 0; i < 59; i++)
		fx_tick(&f, 1000000);
	fx_client_in(&f, &c, 1, PK_OP_PUT, "a", "x", 0, 2);
	CHECK_EQ(replied(&f, 2), PK_OK);
	for (int i = 0; i < 61; i++)
		fx_tick(&f, 1000000);
	CHECK_EQ(stats(&f)->sess_expired, 1);
	CHECK_EQ(stats(&f)->sessions_live, 0);
	CHECK_EQ(pk_worker_next_deadline(f.w), UINT64_MAX);	/* nothing left to time */
	CHECK_EQ(stats(&f)->session_records, 0);
	fx_client_in(&f, &c, 1, PK_OP_PUT, "a", "x", 0, 3);
	CHECK_EQ(replied(&f, 3), PK_SESSION_EXPIRED);
	CHECK(fx_open(&f, &again, 7) > first);
	CHECK_EQ(fx_fini(&f), 0);
}

/* A worker stopped for ten minutes (SIGSTOP) and resumed: the requests
 * that waited in its ring still find their sessions.
 */
static void
test_stall_does_not_expire_sessions(void)
{
	struct fx f;
	struct fx_session c;
	struct pk_reply r;

	CHECK(fx_init(&f, 0, true, 16));
	CHECK(fx_open(&f, &c, 7) != 0);
	CHECK_EQ(run(&f, &c, 1, PK_OP_ADD, "a", NULL, 1, &r), PK_OK);
	f.now += 600u * 1000000u;
	fx_client_in(&f, &c, 1, PK_OP_ADD, "a", NULL, 1, 2);
	CHECK_EQ(replied(&f, 2), PK_OK);
	CHECK_EQ(stats(&f)->sess_expired, 0);
	CHECK_EQ(fx_fini(&f), 0);
}

/* A session whose write still runs is never dropped, however long the
 * round takes (here past a lease of 0.3 s): its answer lands in the
 * session. Once answered and idle past the lease, it goes.
 */
static void
test_running_write_keeps_its_session(void)
{
	struct fx f;
	struct fx_session c;
	struct pk_worker_params p;

	memset(&f, 0, sizeof(f));
	fx_params(&p, &f.heap, 0, true, 16, 0);
	p.tuning.session_lease = 300000;
	CHECK(fx_start(&f, &p));
	CHECK(fx_open(&f, &c, 7) != 0);
	fx_client_in(&f, &c, 2, PK_OP_ADD, "b", NULL, 1, 2);
	CHECK(fx_sent(&f, PK_MSG_PREPARE) != NULL);
	/* No peer answers. */
	for (int i = 0; i < 9; i++)
		fx_tick(&f, 100000);
	CHECK_EQ(stats(&f)->sessions_live, 1);
	/* The op gives up at 1 s: TIMEOUT (never accepted), held. */
	for (int i = 0; i < 2 && f.out.nreply == 0; i++)
		fx_tick(&f, 100000);
	CHECK_EQ(replied(&f, 2), PK_TIMEOUT);
	fx_client_in(&f, &c, 2, PK_OP_ADD, "b", NULL, 1, 3);
	CHECK_EQ(replied(&f, 3), PK_TIMEOUT);
	for (int i = 0; i < 4; i++)
		fx_tick(&f, 100000);
	CHECK_EQ(stats(&f)->sessions_live, 0);
	CHECK_EQ(fx_fini(&f), 0);
}

/* Bounds: the session's window of answers, then the table of sessions.
 * A write refused for want of room is refused again if it comes back (it
 * must never run after its client was told BUSY).
 */
static void
test_bounds_answer_busy(void)
{
	struct fx f;
	struct fx_session c;
	struct pk_reply r;

	CHECK(fx_init_sessions(&f, 0, true, 64, 16));
	CHECK(fx_open(&f, &c, 7) != 0);
	for (uint64_t i = 1; i <= 16; i++)
		CHECK_EQ(run(&f, &c, i, PK_OP_PUT, "a", "x", 0, &r), PK_OK);
	fx_client_in(&f, &c, 17, PK_OP_PUT, "a", "x", 0, 17);
	CHECK_EQ(replied(&f, 17), PK_BUSY);
	CHECK_EQ(stats(&f)->sess_busy, 1);
	/* Acknowledging 1..4 frees room; 17 stays refused, 18 runs. */
	c.acked = 5;
	fx_client_in(&f, &c, 17, PK_OP_PUT, "a", "x", 0, 18);
	CHECK_EQ(replied(&f, 18), PK_BUSY);
	CHECK_EQ(stats(&f)->sess_busy, 2);
	CHECK_EQ(run(&f, &c, 18, PK_OP_PUT, "a", "x", 0, &r), PK_OK);
	CHECK_EQ(stats(&f)->session_records, 13);	/* 5..16 and 18 */
	CHECK_EQ(fx_fini(&f), 0);

	CHECK(fx_init(&f, 0, true, 16));
	{
		struct pk_tuning t;
		unsigned int opened = 0;

		pk_tuning_default(&t);
		for (uint64_t id = 1; id <= t.max_sessions + 1; id++) {
			struct fx_session s;

			opened += fx_open(&f, &s, id) != 0;
		}
		CHECK_EQ(opened, t.max_sessions);
		CHECK_EQ(replied(&f, 0), PK_BUSY);
		CHECK_EQ(stats(&f)->sess_full, 1);
	}
	CHECK_EQ(fx_fini(&f), 0);
}

/* Every answer of a write is held, refusals too: a copy of a request that
 * was refused (here BAD_REQUEST: an ADD with a value) gets the same
 * refusal, never a run.
 */
static void
test_refusals_are_held(void)
{
	struct fx f;
	struct fx_session c;

	CHECK(fx_init(&f, 0, true, 16));
	CHECK(fx_open(&f, &c, 7) != 0);
	fx_client_in(&f, &c, 1, PK_OP_ADD, "a", "v", 1, 1);	/* a value with ADD */
	CHECK_EQ(replied(&f, 1), PK_BAD_REQUEST);
	fx_client_in(&f, &c, 1, PK_OP_ADD, "a", "v", 1, 2);
	CHECK_EQ(replied(&f, 2), PK_BAD_REQUEST);
	CHECK_EQ(stats(&f)->req_dup_replied, 1);
	CHECK_EQ(stats(&f)->rounds, 0);
	CHECK_EQ(fx_fini(&f), 0);
}

/* OPEN again replaces the session: a client restarted with the same id
 * starts its request ids over and must not get the last run's answers.
 */
static void
test_open_again_replaces(void)
{
	struct fx f;
	struct fx_session old, now;
	struct pk_reply r;

	CHECK(fx_init(&f, 0, true, 16));
	CHECK(fx_open(&f, &old, 7) != 0);
	CHECK_EQ(run(&f, &old, 1, PK_OP_ADD, "a", NULL, 1, &r), PK_OK);
	CHECK(fx_open(&f, &now, 7) > old.number);
	CHECK_EQ(stats(&f)->session_records, 0);
	CHECK_EQ(stats(&f)->sessions_live, 1);
	CHECK_EQ(run(&f, &now, 1, PK_OP_ADD, "a", NULL, 1, &r), PK_OK);
	CHECK(r.msg.state.len == 1 && r.msg.state.data[0] == '2');	/* ran: a new request */
	fx_client_in(&f, &old, 1, PK_OP_ADD, "a", NULL, 1, 9);
	CHECK_EQ(replied(&f, 9), PK_SESSION_EXPIRED);
	CHECK_EQ(fx_fini(&f), 0);
}

/* A request the host cannot hold a reply address for (shed) is answered
 * BUSY at once and runs nothing; the session holds that answer, so a copy
 * arriving later (with room again) is refused too, never run.
 */
static void
test_shed_request_is_held_refused(void)
{
	struct fx f;
	struct fx_session c;
	struct pk_msg m;

	CHECK(fx_init(&f, 0, true, 16));
	CHECK(fx_open(&f, &c, 7) != 0);
	memset(&m, 0, sizeof(m));
	m.type = PK_MSG_CLIENT_REQ;
	m.op = PK_OP_ADD;
	m.key = (const uint8_t *)"a";
	m.key_len = 1;
	m.arg = 1;
	m.client_id = 7;
	m.session = c.number;
	m.request_id = 3;
	m.shed = true;
	fx_out_reset(&f);
	pk_worker_client(f.w, &m, 1, f.now, &f.out);
	CHECK_EQ(replied(&f, 1), PK_BUSY);
	CHECK_EQ(f.out.nsend, 0);
	CHECK_EQ(stats(&f)->req_shed, 1);
	m.shed = false;
	fx_out_reset(&f);
	pk_worker_client(f.w, &m, 2, f.now, &f.out);
	CHECK_EQ(replied(&f, 2), PK_BUSY);
	CHECK_EQ(f.out.nsend, 0);
	CHECK_EQ(stats(&f)->rounds, 0);
	CHECK_EQ(fx_fini(&f), 0);
}

/* Worker freed with answers held and a write running: nothing leaks. */
static void
test_free_with_sessions_leaks_nothing(void)
{
	struct fx f;
	struct fx_session c;
	struct pk_reply r;

	CHECK(fx_init(&f, 0, true, 16));
	CHECK(fx_open(&f, &c, 7) != 0);
	CHECK_EQ(run(&f, &c, 1, PK_OP_PUT, "a", "x", 0, &r), PK_OK);
	CHECK_EQ(run(&f, &c, 2, PK_OP_ADD, "b", NULL, 5, &r), PK_OK);
	fx_client_in(&f, &c, 3, PK_OP_DEL, "a", NULL, 0, 3);
	CHECK_EQ(stats(&f)->session_records, 3);
	CHECK_EQ(fx_fini(&f), 0);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "retry_after_many_requests_runs_once", test_retry_after_many_requests_runs_once },
		{ "copy_while_running_then_acknowledged", test_copy_while_running_then_acknowledged },
		{ "unknown_session_never_runs", test_unknown_session_never_runs },
		{ "lease_expiry", test_lease_expiry },
		{ "stall_does_not_expire_sessions", test_stall_does_not_expire_sessions },
		{ "running_write_keeps_its_session", test_running_write_keeps_its_session },
		{ "bounds_answer_busy", test_bounds_answer_busy },
		{ "refusals_are_held", test_refusals_are_held },
		{ "open_again_replaces", test_open_again_replaces },
		{ "shed_request_is_held_refused", test_shed_request_is_held_refused },
		{ "free_with_sessions_leaks_nothing", test_free_with_sessions_leaks_nothing },
	};

	return check_run(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
