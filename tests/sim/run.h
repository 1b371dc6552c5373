/* One simulator run: a scenario at one seed, checked (the monitor, the
 * linearizability checker, the scenario's own assertions, leaks). Shared by
 * parnik-sim and the cluster fuzz harness (tests/fuzz/fuzz_cluster.c).
 */
#ifndef PK_SIM_RUN_H
#define PK_SIM_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

struct sim_run_opts {
	bool quick;		/* a quarter of the scenario's ops */
	bool verbose;
	bool unsafe_quorum;	/* accept quorum 1 everywhere (negative runs) */
	const char *history;	/* write the history here */
	uint32_t target;	/* ops per client; 0: the scenario's */
	uint64_t time_limit;	/* virtual us; 0: 60 s */
	/* Bytes that replace the seeded PRNG's draws while they last
	 * (sim.h, sim_params.entropy): a fuzzer steers the run with them.
	 */
	const uint8_t *entropy;
	size_t entropy_len;
};

struct sim_result {
	uint64_t trace;
	uint64_t ops;
	uint64_t unknown;
	uint64_t violations;	/* monitor and checker together */
	uint32_t undecided;	/* keys the checker could not decide */
	bool finished;
	const char *why;	/* failure of a scenario assertion */
};

struct sim_result sim_run_seed(const struct scenario *sc, const struct sim_run_opts *o,
			       uint64_t seed);

#endif
