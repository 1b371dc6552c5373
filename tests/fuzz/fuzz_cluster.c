/* Fuzz harness for whole clusters of the real core: the simulator
 * (tests/sim) runs one of its scenarios, several pk_workers per replica
 * over its network, and the input steers it. The first byte picks the
 * scenario (its faults: loss, duplication, delays that reorder,
 * partitions, crashes and amnesiac restarts, GC sweeps, membership steps,
 * forged messages), the second the ops per client (1 to 8), and the rest replaces
 * the simulator's random draws (sim.h, entropy): which datagram is lost or
 * duplicated, how long each waits, which op each client sends on which
 * key. Then:
 *  - the monitor's invariants (one value per key and version, chosen values
 *    never lost) and the linearizability checker must find nothing;
 *  - the core must free everything it allocated (sim_fini aborts on a
 *    leak).
 * Liveness is not checked: the input may well drop every message.
 *
 * Scenarios that inject a bug on purpose (negative ones) are skipped;
 * FUZZ_CLUSTER_BREAK=1 runs every input with accept quorum 1 instead, and
 * the checks must then catch a violation (the negative test).
 */
#include <stdio.h>
#include <stdlib.h>

#include "run.h"
#include "scenario.h"

/* 200 ms of virtual time: about three runs in four finish their ops by
 * then (five in six by 500 ms), and a run that does not is one whose
 * input drops or delays most messages; the shorter limit runs twice the
 * inputs per second.
 */
#define VIRTUAL_LIMIT_US (200ull * 1000)

static int runs_checked;
static uint64_t ops_total;
static uint64_t violations_total;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned int safe[64], nsafe;
	struct sim_run_opts o = { .time_limit = VIRTUAL_LIMIT_US };
	const struct scenario *sc;
	struct sim_result r;

	if (nsafe == 0)
		for (unsigned int i = 0; i < scenario_count && nsafe < 64; i++)
			if (!scenarios[i].expect_violation && !scenarios[i].no_bounds &&
			    !scenarios[i].keep_cache && !scenarios[i].gc_no_floor &&
			    scenarios[i].accept_quorum == 0)
				safe[nsafe++] = i;
	if (size < 2)
		return 0;
	sc = &scenarios[safe[data[0] % nsafe]];
	o.target = 1 + data[1] % 8;
	o.entropy = data + 2;
	o.entropy_len = size - 2;
#ifdef PK_FUZZ_STANDALONE
	o.unsafe_quorum = getenv("FUZZ_CLUSTER_BREAK") != NULL;
#endif
	r = sim_run_seed(sc, &o, 1);
	runs_checked++;
	ops_total += r.ops;
	violations_total += r.violations;
	if (r.violations > 0) {
		fprintf(stderr, "fuzz_cluster: %s: %llu violations\n", sc->name,
			(unsigned long long)r.violations);
		abort();
	}
	return 0;
}

#ifdef PK_FUZZ_STANDALONE
#include "standalone.h"

void
fuzz_standalone_report(int runs)
{
	printf("fuzz_cluster: %d input(s), %d simulated runs, %llu definite ops\n", runs,
	       runs_checked, (unsigned long long)ops_total);
}
#endif
