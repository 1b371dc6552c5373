/* Simulator scenarios: a cluster shape, a workload, network faults and an
 * optional script (partitions, crashes, membership steps), run per seed.
 */
#ifndef PK_SIM_SCENARIO_H
#define PK_SIM_SCENARIO_H

#include "sim.h"

struct scenario {
	const char *name;
	const char *what;
	unsigned int nodes;
	unsigned int keys;
	unsigned int clients;
	uint8_t workload;
	uint16_t client_nodes;		/* replicas clients talk to ("proposers") */
	uint32_t target;		/* per client: writes (INC) or ops (MIX) */
	struct sim_net net;
	uint8_t accept_quorum;		/* 0: majority */
	bool keep_cache;		/* pitfall P5 injected (docs/CASPAXOS.md) */
	bool gc;			/* deletion GC runs: versions may jump */
	bool gc_no_floor;		/* GC removes without raising the floor */
	bool expect_violation;		/* negative test: passes only if caught */
	bool allow_stall;		/* clients may run out of tries */
	bool no_bounds;			/* the core takes ballots past the bounds */
	void (*setup)(struct sim *s);	/* schedules the script */
	void (*script)(struct sim *s, uint64_t arg);
	/* A scenario written top to bottom with the step API (sim.h): it
	 * drives the cluster itself, then the run goes on until every
	 * client is done.
	 */
	void (*program)(struct sim *s);
	/* Scenario-specific assertions after the run; NULL or a reason. */
	const char *(*verify)(struct sim *s);
};

/* membership.c: gryadka's a3.a4, old, transitional and final proposers */
void a3a4_program(struct sim *s);

/* steps.c: membership and GC scenarios as step programs */
void steps_grow_shrink(struct sim *s);
void steps_every_plan(struct sim *s);
void steps_flux(struct sim *s);
void steps_flux_no_rescan(struct sim *s);
void steps_recover(struct sim *s);
void steps_five_four_five(struct sim *s);
void steps_five_four_five_no_rescan(struct sim *s);
void steps_replace_amnesiac(struct sim *s);
void steps_amnesiac_into_prepare(struct sim *s);
void steps_grow_by_catchup(struct sim *s);
void steps_grow_without_catchup(struct sim *s);
void steps_gc_lost_delete(struct sim *s);
void steps_gc_lost_update(struct sim *s);
void steps_gc_takeover(struct sim *s);

/* steps.c, for plans.c: the hot clients moved on since the last mark; a
 * new config at the next epoch, kept alive for the run.
 */
bool steps_hot_progressed(void);
void steps_mark(void);
const struct pk_config *steps_config(uint16_t prepare, uint8_t qp, uint16_t accept, uint8_t qa);

/* plans.c: parnikctl's planner run in the simulator. plans_run plans <r>
 * against the simulated cluster, less every step of kind <skip> (0: none),
 * and carries out its steps (only the first <limit>, when not 0: a
 * parnikctl killed mid-change); false when the run's time ran out first.
 * plans_verify names a plan that was refused (a scenario's verify);
 * plans_reset forgets it, at the start of a run.
 */
struct pk_plan_request;
void plans_reset(void);
bool plans_run(struct sim *s, const struct pk_plan_request *r, uint8_t skip,
	       unsigned int limit);
const char *plans_verify(struct sim *s);

/* forged.c: forged maximum ballots and versions against the bounds */
void forged_start(struct sim *s);
void forged_script(struct sim *s, uint64_t arg);
void forged_prepares_script(struct sim *s, uint64_t arg);
const char *forged_verify(struct sim *s);

extern const struct scenario scenarios[];
extern const unsigned int scenario_count;

#endif
