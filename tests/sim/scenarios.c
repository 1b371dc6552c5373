/* The scenario catalogue. The first twelve are gryadka's simulation tests
 * (docs/CASPAXOS.md section 7) with their parameters: loss 0.2 of requests, a shuffle
 * delay of 3..12 ticks (here 30..120 us), partitions toggled every few
 * writes. Then duplication, reply loss, restarts with and without amnesia,
 * 1RTT under accept timeouts, combining under one hot key, and the negative
 * tests, which pass only when the monitors or the checker catch the bug.
 */
#include <stddef.h>
#include <stdlib.h>

#include "scenario.h"

#define SHUFFLE .delay_min = 30, .delay_max = 120
#define LOSING .drop = 0.2, SHUFFLE

/* ---- partitions ---- */

/* gryadka partitioning/c1p1k1: "drop everything to a0", toggled every
 * rand(0..3) writes. Our proposer is node 0, so the acceptor cut off is
 * node 2's (node 0's own vote never crosses the network).
 */
static void
cut_to_node2(struct sim *s, uint64_t arg)
{
	(void)arg;
	for (uint16_t from = 0; from < s->p.nodes; from++)
		s->cut[from] ^= 1u << 2;
	sim_schedule_script(s, 1 + sim_rand(s) % 3000, 0);
}

/* gryadka partitioning/c2p2k2: the asymmetric cuts p1 -/-> a0 and
 * p0 -/-> a2, toggled together.
 */
static void
cut_asymmetric(struct sim *s, uint64_t arg)
{
	(void)arg;
	s->cut[1] ^= 1u << 0;
	s->cut[0] ^= 1u << 2;
	sim_schedule_script(s, 1 + sim_rand(s) % 3000, 0);
}

/* A symmetric split {0,1} | {2,3,4}: the minority side stalls until heal. */
static void
cut_minority(struct sim *s, uint64_t arg)
{
	uint16_t a = 0x3, b = 0x1c;
	bool on = (s->cut[0] & b) == 0;

	(void)arg;
	for (uint16_t n = 0; n < 5; n++)
		s->cut[n] = on ? ((1u << n) & a ? b : a) : 0;
	sim_schedule_script(s, 2000 + sim_rand(s) % 6000, 0);
}

static void
start_script(struct sim *s)
{
	sim_schedule_script(s, 1 + sim_rand(s) % 3000, 0);
}

/* ---- restarts ---- */

/* Proposer restart: node 0 crashes and comes back three times with a new
 * incarnation (its acceptor comes back empty, not admitted). The ballot
 * monitor asserts that no restarted proposer reuses a ballot.
 */
static void
restart_node0(struct sim *s, uint64_t arg)
{
	sim_restart(s, 0, false, false);
	if (arg < 2)
		sim_schedule_script(s, 3000 + sim_rand(s) % 3000, arg + 1);
}

/* Negative: the same restarts keeping the old incarnation. */
static void
restart_node0_same_incarnation(struct sim *s, uint64_t arg)
{
	sim_restart(s, 0, false, true);
	if (arg < 2)
		sim_schedule_script(s, 3000 + sim_rand(s) % 3000, arg + 1);
}

static void
amnesia_once(struct sim *s, uint64_t arg)
{
	if (arg == 0) {
		sim_crash(s, 2);
		sim_schedule_script(s, 1000, 1);
	} else {
		sim_restart(s, 2, false, false);
	}
}

/* Negative: two replicas at a time lose their memory and are let back in
 * at once, as if re-admitted without the membership procedure (pitfall
 * P8, docs/CASPAXOS.md): the survivor is outvoted and acknowledged writes vanish.
 */
static void
amnesia_admitted(struct sim *s, uint64_t arg)
{
	uint16_t a = (uint16_t)(sim_rand(s) % 3), b = (uint16_t)((a + 1 + sim_rand(s) % 2) % 3);

	sim_restart(s, a, true, false);
	sim_restart(s, b, true, false);
	if (arg < 20)
		sim_schedule_script(s, 1500 + sim_rand(s) % 1500, arg + 1);
}

static void
start_later(struct sim *s)
{
	sim_schedule_script(s, 3000 + sim_rand(s) % 2000, 0);
}

/* ---- deletion GC ---- */

/* Every node sweeps every 1..3 ms (the replica's sweep, much faster), so
 * GC rounds race the clients' writes, deletes and reads. With arg 1 the
 * cut to node 2 also toggles: rounds fail on it, and its tombstones are
 * taken over or collected later.
 */
enum { GC_SWEEP = 0, GC_CUT = 1 };

static void
gc_sweeps(struct sim *s, uint64_t arg)
{
	if (arg == GC_CUT) {
		for (uint16_t from = 0; from < s->p.nodes; from++)
			s->cut[from] ^= 1u << 2;
		sim_schedule_script(s, 1000 + sim_rand(s) % 5000, GC_CUT);
		return;
	}
	for (uint16_t n = 0; n < s->p.nodes; n++)
		sim_gc_sweep(s, n);
	sim_schedule_script(s, 1000 + sim_rand(s) % 2000, GC_SWEEP);
}

static void
gc_start(struct sim *s)
{
	sim_schedule_script(s, 1000, GC_SWEEP);
}

static void
gc_start_with_cuts(struct sim *s)
{
	sim_schedule_script(s, 1000, GC_SWEEP);
	sim_schedule_script(s, 2000 + sim_rand(s) % 3000, GC_CUT);
}

/* ---- verifications ---- */

static const char *
verify_combined(struct sim *s)
{
	return SIM_STAT(s, queued_ops) > 0 ? NULL : "no op was ever combined behind a round";
}

static const char *
verify_1rtt_failures(struct sim *s)
{
	if (SIM_STAT(s, rounds_1rtt) == 0)
		return "no 1RTT round ran";
	return SIM_STAT(s, accept_fail) > 0 ? NULL : "no accept ever missed its quorum";
}

static const char *
verify_gc_removed(struct sim *s)
{
	return SIM_STAT(s, acc_removed) > 0 ? NULL : "the GC never removed a key";
}

static const char *
verify_taken_over(struct sim *s)
{
	return SIM_NODE_STAT(s, 0, gc_removed) > 0
		       ? NULL
		       : "node 0 never collected a key it did not coordinate";
}

static const char *
verify_refused(struct sim *s)
{
	return SIM_NODE_STAT(s, 2, acc_refused) > 0 ? NULL
						    : "the amnesiac acceptor never refused a vote";
}

/* ---- the table ---- */

const struct scenario scenarios[] = {
	{ .name = "losing/c1p1k1", .what = "1 client, 1 proposer, 1 key; loss 0.2 + shuffle",
	  .nodes = 3, .keys = 1, .clients = 1, .workload = SIM_WL_INC, .client_nodes = 0x1,
	  .target = 200, .net = { LOSING } },
	{ .name = "losing/c2p2k2", .what = "2 clients, 2 proposers, 2 keys; loss + shuffle",
	  .nodes = 3, .keys = 2, .clients = 2, .workload = SIM_WL_INC, .client_nodes = 0x3,
	  .target = 1000, .net = { LOSING } },
	{ .name = "losing/c6p2k2", .what = "6 clients, 2 proposers, 2 keys; loss + shuffle",
	  .nodes = 3, .keys = 2, .clients = 6, .workload = SIM_WL_INC, .client_nodes = 0x3,
	  .target = 100, .net = { LOSING } },
	{ .name = "losing/c2p2k1.i", .what = "NEGATIVE: accept quorum 1 of 3 must be caught",
	  .nodes = 3, .keys = 1, .clients = 2, .workload = SIM_WL_INC, .client_nodes = 0x3,
	  .target = 200, .net = { LOSING }, .accept_quorum = 1, .expect_violation = true },
	{ .name = "shuffling/c1p1k1", .what = "1 client, 1 proposer, 1 key; shuffle",
	  .nodes = 3, .keys = 1, .clients = 1, .workload = SIM_WL_INC, .client_nodes = 0x1,
	  .target = 200, .net = { SHUFFLE } },
	{ .name = "shuffling/c1p2k2", .what = "1 client, 2 proposers, 2 keys; shuffle",
	  .nodes = 3, .keys = 2, .clients = 1, .workload = SIM_WL_INC, .client_nodes = 0x3,
	  .target = 200, .net = { SHUFFLE } },
	{ .name = "shuffling/c2p1k2", .what = "2 clients share 1 proposer, 2 keys; shuffle",
	  .nodes = 3, .keys = 2, .clients = 2, .workload = SIM_WL_INC, .client_nodes = 0x1,
	  .target = 200, .net = { SHUFFLE } },
	{ .name = "shuffling/c2p2k1", .what = "2 clients, 2 proposers, 1 key: max contention",
	  .nodes = 3, .keys = 1, .clients = 2, .workload = SIM_WL_INC, .client_nodes = 0x3,
	  .target = 500, .net = { SHUFFLE } },
	{ .name = "partitioning/c1p1k1", .what = "cut everything to one acceptor, toggled; loss",
	  .nodes = 3, .keys = 1, .clients = 1, .workload = SIM_WL_INC, .client_nodes = 0x1,
	  .target = 200, .net = { LOSING }, .setup = start_script, .script = cut_to_node2 },
	{ .name = "partitioning/c2p2k2", .what = "asymmetric cuts p1-/->a0, p0-/->a2, toggled",
	  .nodes = 3, .keys = 2, .clients = 2, .workload = SIM_WL_INC, .client_nodes = 0x3,
	  .target = 200, .net = { LOSING }, .setup = start_script, .script = cut_asymmetric },
	{ .name = "membership/c2p2k2.a3.a4",
	  .what = "3 -> 4: old, transitional, final proposers at once; rescan",
	  .nodes = 4, .keys = 8, .net = { LOSING }, .program = a3a4_program },
	{ .name = "membership/c2p2k2.flux",
	  .what = "3 x (grow a spare, shrink an original): every acceptor replaced",
	  .nodes = 4, .keys = 8, .net = { LOSING }, .program = steps_flux,
	  .verify = plans_verify },
	{ .name = "duplication/c2p2k2", .what = "every datagram may arrive 2-3 times; shuffle",
	  .nodes = 3, .keys = 2, .clients = 2, .workload = SIM_WL_INC, .client_nodes = 0x3,
	  .target = 300, .net = { .dup = 0.3, .drop = 0.05, SHUFFLE } },
	{ .name = "reply-loss/c3p3k4", .what = "30% of acceptor replies lost; random ops",
	  .nodes = 3, .keys = 4, .clients = 3, .workload = SIM_WL_MIX, .client_nodes = 0x7,
	  .target = 200, .net = { .reply_drop = 0.3, SHUFFLE } },
	{ .name = "client-loss/c3p3k12", .what = "client links lose 5%: timeouts, unknown ops",
	  .nodes = 3, .keys = 12, .clients = 3, .workload = SIM_WL_MIX, .client_nodes = 0x7,
	  .target = 300, .net = { .client_drop = 0.05, .drop = 0.05, SHUFFLE } },
	{ .name = "mix/5nodes", .what = "5 replicas, 4 clients, random ops; loss, dup, shuffle",
	  .nodes = 5, .keys = 8, .clients = 4, .workload = SIM_WL_MIX, .client_nodes = 0x1f,
	  .target = 300, .net = { .drop = 0.1, .dup = 0.05, SHUFFLE } },
	{ .name = "partition/minority5", .what = "5 replicas split 2|3, toggled; random ops",
	  .nodes = 5, .keys = 8, .clients = 4, .workload = SIM_WL_MIX, .client_nodes = 0x1f,
	  .target = 200, .net = { .drop = 0.05, SHUFFLE }, .setup = start_script,
	  .script = cut_minority },
	{ .name = "restart/proposer", .what = "node 0 restarts 3 times: no ballot is reused",
	  .nodes = 3, .keys = 2, .clients = 2, .workload = SIM_WL_INC, .client_nodes = 0x3,
	  .target = 300, .net = { .drop = 0.05, SHUFFLE }, .setup = start_later,
	  .script = restart_node0 },
	{ .name = "restart/amnesia-refused", .what = "a restarted acceptor refuses to vote",
	  .nodes = 3, .keys = 6, .clients = 3, .workload = SIM_WL_MIX, .client_nodes = 0x7,
	  .target = 300, .net = { SHUFFLE }, .setup = start_later, .script = amnesia_once,
	  .verify = verify_refused },
	{ .name = "1rtt/accept-timeouts", .what = "30% of replies lost under 1RTT: UNKNOWN, no P5",
	  .nodes = 3, .keys = 2, .clients = 3, .workload = SIM_WL_INC, .client_nodes = 0x1,
	  .target = 200, .net = { .reply_drop = 0.3, SHUFFLE }, .verify = verify_1rtt_failures },
	{ .name = "combining/hot-key", .what = "8 clients, 1 proposer, 1 key: ops combine",
	  .nodes = 3, .keys = 1, .clients = 8, .workload = SIM_WL_MIX, .client_nodes = 0x1,
	  .target = 150, .net = { SHUFFLE }, .verify = verify_combined },
	{ .name = "negative/1rtt-keeps-cache", .what = "NEGATIVE: pitfall P5 injected must be caught",
	  .nodes = 3, .keys = 1, .clients = 3, .workload = SIM_WL_INC, .client_nodes = 0x1,
	  .target = 200, .net = { .reply_drop = 0.4, SHUFFLE }, .keep_cache = true,
	  .expect_violation = true },
	{ .name = "negative/ballot-reuse", .what = "NEGATIVE: restart without a new incarnation",
	  .nodes = 3, .keys = 2, .clients = 2, .workload = SIM_WL_INC, .client_nodes = 0x3,
	  .target = 300, .net = { SHUFFLE }, .setup = start_later,
	  .script = restart_node0_same_incarnation, .expect_violation = true },
	{ .name = "negative/flux-no-rescan",
	  .what = "NEGATIVE: the flux plans with their rescans removed must be caught",
	  .nodes = 4, .keys = 8, .net = { LOSING }, .program = steps_flux_no_rescan, .expect_violation = true, .allow_stall = true },
	{ .name = "membership/3-4-5-4-3",
	  .what = "grow to 5 and shrink back; old and new configs at once; loss",
	  .nodes = 5, .keys = 8, .net = { LOSING }, .program = steps_grow_shrink, .verify = plans_verify },
	{ .name = "membership/every-plan",
	  .what = "grow both ways, shrink, replace, readmit, two interrupted; loss",
	  .nodes = 5, .keys = 8, .net = { LOSING }, .program = steps_every_plan, .verify = plans_verify },
	{ .name = "membership/recover",
	  .what = "catch-up grow, majority lost, recover-from the survivor; loss, dup",
	  .nodes = 5, .keys = 8, .net = { .drop = 0.1, .dup = 0.1, SHUFFLE },
	  .program = steps_recover, .verify = plans_verify },
	{ .name = "membership/5-4-5", .what = "5 -> 4 planned (its rescan), back to 5, 2 down",
	  .nodes = 5, .keys = 8, .net = { SHUFFLE }, .program = steps_five_four_five,
	  .verify = plans_verify },
	{ .name = "membership/replace-amnesiac",
	  .what = "crashed node 2 replaced by spare 3, then node 1 down",
	  .nodes = 4, .keys = 8, .net = { SHUFFLE }, .program = steps_replace_amnesiac,
	  .verify = plans_verify },
	{ .name = "membership/catchup",
	  .what = "3 -> 4 planned by catch-up (INSTALL), then an original out",
	  .nodes = 4, .keys = 8, .net = { SHUFFLE }, .program = steps_grow_by_catchup,
	  .verify = plans_verify },
	{ .name = "negative/grow-no-catchup",
	  .what = "NEGATIVE: the catch-up plan with its catch-ups removed",
	  .nodes = 4, .keys = 8, .net = { SHUFFLE }, .program = steps_grow_without_catchup, .expect_violation = true, .allow_stall = true },
	{ .name = "negative/5-4-no-rescan", .what = "NEGATIVE: the 5 -> 4 plan with its rescans removed",
	  .nodes = 5, .keys = 8, .net = { SHUFFLE }, .program = steps_five_four_five_no_rescan, .expect_violation = true, .allow_stall = true },
	{ .name = "negative/amnesiac-in-prepare",
	  .what = "NEGATIVE: an amnesiac votes again straight in the lists",
	  .nodes = 4, .keys = 8, .net = { SHUFFLE }, .program = steps_amnesiac_into_prepare, .expect_violation = true, .allow_stall = true },
	{ .name = "gc/mix", .what = "random ops with deletes; every node sweeps; loss, dup",
	  .nodes = 3, .keys = 4, .clients = 3, .workload = SIM_WL_MIX, .client_nodes = 0x7,
	  .target = 300, .net = { .drop = 0.1, .dup = 0.05, SHUFFLE }, .gc = true,
	  .setup = gc_start, .script = gc_sweeps, .verify = verify_gc_removed },
	{ .name = "gc/mix-cuts", .what = "the same with node 2 cut off, toggled",
	  .nodes = 3, .keys = 4, .clients = 3, .workload = SIM_WL_MIX, .client_nodes = 0x7,
	  .target = 300, .net = { .drop = 0.05, SHUFFLE }, .gc = true,
	  .setup = gc_start_with_cuts, .script = gc_sweeps, .verify = verify_gc_removed },
	{ .name = "gc/lost-delete", .what = "a fill's accept lands after the GC: refused",
	  .nodes = 3, .keys = 8, .net = { SHUFFLE }, .gc = true,
	  .program = steps_gc_lost_delete },
	{ .name = "gc/lost-update", .what = "a write under a ballot below the tombstone's",
	  .nodes = 3, .keys = 8, .net = { SHUFFLE }, .gc = true,
	  .program = steps_gc_lost_update },
	{ .name = "gc/takeover", .what = "a tombstone its coordinator gave up on is taken over",
	  .nodes = 3, .keys = 8, .net = { SHUFFLE }, .gc = true,
	  .program = steps_gc_takeover, .verify = verify_taken_over },
	{ .name = "negative/gc-lost-delete", .what = "NEGATIVE: removal without the floor",
	  .nodes = 3, .keys = 8, .net = { SHUFFLE }, .gc = true, .gc_no_floor = true,
	  .program = steps_gc_lost_delete, .expect_violation = true,
	  .allow_stall = true },
	{ .name = "negative/gc-lost-update", .what = "NEGATIVE: removal without the floor",
	  .nodes = 3, .keys = 8, .net = { SHUFFLE }, .gc = true, .gc_no_floor = true,
	  .program = steps_gc_lost_update, .expect_violation = true,
	  .allow_stall = true },
	{ .name = "forged/max-ballots", .what = "forged maximum ballots, floors and versions: refused",
	  .nodes = 3, .keys = 4, .clients = 3, .workload = SIM_WL_MIX, .client_nodes = 0x7,
	  .target = 200, .net = { .drop = 0.05, SHUFFLE }, .gc = true, .setup = forged_start,
	  .script = forged_script, .verify = forged_verify },
	{ .name = "negative/forged-no-bounds", .what = "NEGATIVE: one maximum PREPARE, no bounds",
	  .nodes = 3, .keys = 4, .clients = 3, .workload = SIM_WL_MIX, .client_nodes = 0x7,
	  .target = 200, .net = { SHUFFLE }, .no_bounds = true, .setup = forged_start,
	  .script = forged_prepares_script, .expect_violation = true, .allow_stall = true },
	{ .name = "negative/amnesia-admitted", .what = "NEGATIVE: amnesiacs let back in at once",
	  .nodes = 3, .keys = 1, .clients = 3, .workload = SIM_WL_INC, .client_nodes = 0x7,
	  .target = 400, .net = { SHUFFLE }, .setup = start_later, .script = amnesia_admitted,
	  .expect_violation = true, .allow_stall = true },
};

const unsigned int scenario_count = sizeof(scenarios) / sizeof(scenarios[0]);
