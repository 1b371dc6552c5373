/* The boundary between the control plane and the lcores (dp/plane.c),
 * driven from one thread playing both sides: a published config reaches
 * the lcores' snapshot and its barrier passes only once every lcore
 * reports it; configs are freed only after a later barrier, snapshots
 * after any reclaim; floor requests only rise; the admission, the fault
 * rule and the reports cross as published. Run under ASan, a snapshot or
 * config never freed, or freed twice, fails it too.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include <urcu/urcu-qsbr.h>

#include "check.h"
#include "parnik/config.h"
#include "plane.h"

static unsigned int kicks;

static void
count_kick(void *ctx)
{
	(void)ctx;
	kicks++;
}

static struct pk_config
config(uint32_t epoch, uint16_t members)
{
	return (struct pk_config){ .epoch = epoch, .prepare_mask = members, .accept_mask = members,
				   .prepare_quorum = pk_majority(members),
				   .accept_quorum = pk_majority(members), .one_rtt = true };
}

static unsigned int
retired_cfgs(const struct dp_plane *pl)
{
	unsigned int n = 0;

	for (const struct dp_plane_cfg *c = pl->retired_cfgs; c != NULL; c = c->next_retired)
		n++;
	return n;
}

static unsigned int
retired_snapshots(const struct dp_plane *pl)
{
	unsigned int n = 0;

	for (const struct dp_control *c = pl->retired; c != NULL; c = c->next_retired)
		n++;
	return n;
}

static void
test_a_config_crosses_and_its_barrier_waits_for_every_lcore(void)
{
	struct dp_plane pl;
	struct pk_config first = config(1, 0x7), next = config(2, 0xf), copy;

	CHECK(dp_plane_init(&pl, &first, false, 2, 4, count_kick, NULL) == 0);
	CHECK(dp_plane_barrier(&pl, 1));
	kicks = 0;
	CHECK(dp_plane_publish_config(&pl, &next) == 0);
	CHECK(kicks == 1);	/* sleeping lcores are woken */
	CHECK_EQ(dp_plane_follow(&pl)->cfg->epoch, 2);
	CHECK_EQ(dp_plane_follow(&pl)->cfg->accept_mask, 0xf);
	dp_plane_config(&pl, &copy);
	CHECK_EQ(copy.epoch, 2);
	CHECK(!dp_plane_barrier(&pl, 2));
	dp_plane_report_epochs(&pl, 0, 2, 2);
	CHECK(!dp_plane_barrier(&pl, 2));	/* lcore 1 has not switched */
	dp_plane_report_epochs(&pl, 1, 2, 1);
	CHECK(!dp_plane_barrier(&pl, 2));	/* a round of epoch 1 still counts */
	dp_plane_report_epochs(&pl, 1, 2, 2);
	CHECK(dp_plane_barrier(&pl, 2));
	dp_plane_fini(&pl);
}

static void
test_configs_are_freed_only_after_a_later_barrier(void)
{
	struct dp_plane pl;
	struct pk_config c1 = config(1, 0x7), c2 = config(2, 0xf), c3 = config(3, 0x7);

	CHECK(dp_plane_init(&pl, &c1, true, 1, 1, count_kick, NULL) == 0);
	CHECK(dp_plane_publish_config(&pl, &c2) == 0);
	CHECK(dp_plane_publish_config(&pl, &c3) == 0);
	CHECK_EQ(retired_cfgs(&pl), 2);
	CHECK_EQ(retired_snapshots(&pl), 2);
	/* Without a barrier only the snapshots go: rounds may still run
	 * epochs 1 and 2.
	 */
	dp_plane_reclaim(&pl, 0);
	CHECK_EQ(retired_snapshots(&pl), 0);
	CHECK_EQ(retired_cfgs(&pl), 2);
	/* The barrier of epoch 2 frees epoch 1's config, not epoch 2's. */
	dp_plane_reclaim(&pl, 2);
	CHECK_EQ(retired_cfgs(&pl), 1);
	CHECK_EQ(pl.retired_cfgs->cfg.epoch, 2);
	dp_plane_reclaim(&pl, 3);
	CHECK_EQ(retired_cfgs(&pl), 0);
	CHECK_EQ(dp_plane_follow(&pl)->cfg->epoch, 3);	/* the current one stays */
	dp_plane_fini(&pl);
}

static void
test_floor_requests_only_rise(void)
{
	struct dp_plane pl;
	struct pk_config c1 = config(1, 0x7);
	struct pk_floor high = { .ballot = { .counter = 50, .node = 1 }, .version = 9 };
	struct pk_floor low = { .ballot = { .counter = 10, .node = 2 }, .version = 3 };
	struct pk_floor got;
	const struct dp_control *ctl;

	CHECK(dp_plane_init(&pl, &c1, true, 1, 4, count_kick, NULL) == 0);
	CHECK(dp_plane_request_floor(&pl, 2, &high) == 0);
	CHECK(dp_plane_request_floor(&pl, 2, &low) == 0);
	ctl = dp_plane_follow(&pl);
	CHECK_EQ(ctl->floor_seq[2], 2);		/* two requests seen */
	CHECK_EQ(ctl->floor_seq[1], 0);
	CHECK_EQ(ctl->floor_want[2].ballot.counter, 50);
	CHECK_EQ(ctl->floor_want[2].version, 9);
	/* The owner's report comes back whole. */
	dp_plane_report_floor(&pl, 2, &high);
	dp_plane_floor(&pl, 2, &got);
	CHECK(pk_ballot_cmp(&got.ballot, &high.ballot) == 0 && got.version == 9);
	dp_plane_reclaim(&pl, 0);
	dp_plane_fini(&pl);
}

static void
test_admission_fault_rule_and_reports_cross(void)
{
	struct dp_plane pl;
	struct pk_config c1 = config(1, 0x7);
	struct dp_fault_rule rule = { .loss_ppm = 300000, .peers = 0x2, .dir = DP_FAULT_BOTH };
	struct dp_fault_rule shown;
	static struct dp_counters live, sum;
	static struct dp_report rep;
	uint32_t seq;

	CHECK(dp_plane_init(&pl, &c1, false, 2, 2, count_kick, NULL) == 0);
	CHECK(!dp_plane_admitted(&pl) && !dp_plane_follow(&pl)->admitted);
	CHECK(dp_plane_admit(&pl) == 0);
	CHECK(dp_plane_admitted(&pl) && dp_plane_follow(&pl)->admitted);
	seq = dp_plane_follow(&pl)->fault_seq;
	CHECK(dp_plane_set_fault(&pl, &rule) == 0);
	CHECK(dp_plane_follow(&pl)->fault_seq != seq);
	CHECK_EQ(dp_plane_follow(&pl)->fault.loss_ppm, 300000);
	dp_plane_fault(&pl, &shown);
	CHECK(shown.peers == 0x2 && shown.dir == DP_FAULT_BOTH);
	memset(&live, 0, sizeof(live));
	pk_hist_reset(&live.latency);
	live.dp.keys = 7;
	dp_plane_report_lcore(&pl, 1, 5);
	dp_plane_report_counters(&pl, 1, &live, 4096);
	dp_plane_report_counters(&pl, 0, &live, 0);
	dp_plane_report(&pl, 1, &rep);
	CHECK(rep.lcore_id == 5 && rep.arena_bytes == 4096 && rep.counters.dp.keys == 7);
	dp_plane_counters(&pl, &sum);
	CHECK_EQ(sum.dp.keys, 14);
	dp_plane_reclaim(&pl, 0);
	dp_plane_fini(&pl);
}

/* An lcore following the snapshots while the control thread publishes
 * and reclaims: under ASan a snapshot or config freed too early is a
 * use-after-free here.
 */
#define RACE_STEPS 300

struct follower {
	struct dp_plane *pl;
	bool done;		/* atomic: the publisher is finished */
	uint32_t backwards;	/* epochs seen going back */
	uint64_t reads;
};

static void *
follow_loop(void *arg)
{
	struct follower *f = arg;
	uint32_t last = 0;

	urcu_qsbr_register_thread();
	while (!__atomic_load_n(&f->done, __ATOMIC_ACQUIRE)) {
		const struct dp_control *c = dp_plane_follow(f->pl);
		uint32_t e = c->cfg->epoch;

		f->backwards += e < last;
		last = e;
		/* A round that ran in the old epoch has ended: report it. */
		dp_plane_report_epochs(f->pl, 0, e, e);
		f->reads++;
		urcu_qsbr_quiescent_state();
	}
	urcu_qsbr_unregister_thread();
	return NULL;
}

static bool
barrier_of(struct dp_plane *pl, uint32_t epoch)
{
	for (int spins = 0; spins < 1000000; spins++) {
		if (dp_plane_barrier(pl, epoch))
			return true;
		sched_yield();
	}
	return false;
}

static void
test_an_lcore_follows_while_configs_are_freed(void)
{
	static struct dp_plane pl;
	struct pk_config c = config(1, 0x7);
	struct follower f = { .pl = &pl };
	pthread_t t;
	bool all_barriers = true;

	CHECK(dp_plane_init(&pl, &c, true, 1, 1, count_kick, NULL) == 0);
	CHECK(pthread_create(&t, NULL, follow_loop, &f) == 0);
	for (uint32_t e = 2; e <= RACE_STEPS; e++) {
		c = config(e, (e & 1) ? 0x7 : 0xf);
		if (dp_plane_publish_config(&pl, &c) != 0 || !barrier_of(&pl, e)) {
			all_barriers = false;
			break;
		}
		dp_plane_reclaim(&pl, e);
	}
	__atomic_store_n(&f.done, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CHECK(all_barriers);
	CHECK_EQ(f.backwards, 0);
	CHECK(f.reads > 0);
	CHECK_EQ(retired_cfgs(&pl), 0);
	dp_plane_fini(&pl);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "a_config_crosses_and_its_barrier_waits_for_every_lcore",
		  test_a_config_crosses_and_its_barrier_waits_for_every_lcore },
		{ "configs_are_freed_only_after_a_later_barrier",
		  test_configs_are_freed_only_after_a_later_barrier },
		{ "floor_requests_only_rise", test_floor_requests_only_rise },
		{ "admission_fault_rule_and_reports_cross",
		  test_admission_fault_rule_and_reports_cross },
		{ "an_lcore_follows_while_configs_are_freed",
		  test_an_lcore_follows_while_configs_are_freed },
	};
	int rc;

	/* The control thread's part: registered, offline but for walks. */
	urcu_qsbr_register_thread();
	urcu_qsbr_thread_offline();
	rc = check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
	urcu_qsbr_unregister_thread();
	return rc;
}
