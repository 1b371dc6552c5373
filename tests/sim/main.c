/* parnik-sim: runs simulator scenarios over seeds.
 *
 *   parnik-sim --scenario NAME|all --seeds N [--seed S] [--unsafe-quorum]
 *              [--replay] [--quick] [--verbose] [--list]
 *
 * One line per scenario (ops completed, ops unknown, violations), then
 * "N passed, N failed". Exits 1 on any violation (or, for a negative
 * scenario, on a bug that was NOT caught) and prints the failing seed with
 * the command that replays it.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "scenario.h"
#include "sim.h"

struct opts {
	const char *scenario;
	uint64_t seed;
	unsigned int seeds;
	bool unsafe_quorum;
	bool replay;
	bool quick;
	bool verbose;
	const char *history;	/* write each seed's history here */
};

/* Runs one scenario over the seeds; returns true when it passed. */
static bool
run_scenario(const struct scenario *sc, const struct opts *o)
{
	uint64_t ops = 0, unknown = 0, violations = 0, caught = 0;
	unsigned int bad = 0;
	const struct sim_run_opts ro = { .quick = o->quick, .verbose = o->verbose,
					 .unsafe_quorum = o->unsafe_quorum,
					 .history = o->history };

	for (unsigned int i = 0; i < o->seeds; i++) {
		uint64_t seed = o->seed + i;
		struct sim_result r = sim_run_seed(sc, &ro, seed);
		const char *fail = NULL;

		/* Replay: the same seed must give the same trace, and another
		 * seed another one (or the check would prove nothing).
		 */
		if (o->replay && sim_run_seed(sc, &ro, seed).trace != r.trace)
			fail = "the same seed gave another trace";
		if (o->replay && fail == NULL && sim_run_seed(sc, &ro, seed + 7919).trace == r.trace)
			fail = "another seed gave the same trace";
		ops += r.ops;
		unknown += r.unknown;
		violations += r.violations;
		caught += r.violations > 0;
		if (fail == NULL && sc->expect_violation && !o->unsafe_quorum && r.violations == 0)
			fail = "the injected bug was not caught";
		if (fail == NULL && !sc->expect_violation && r.violations > 0)
			fail = "safety violation";
		if (fail == NULL && !sc->expect_violation && !sc->allow_stall && !o->unsafe_quorum &&
		    !r.finished)
			fail = "clients did not finish (liveness)";
		if (fail == NULL && r.undecided > 0 && !(sc->expect_violation && r.violations > 0))
			fail = "the linearizability search ran out of budget";
		if (fail == NULL && r.why != NULL)
			fail = r.why;
		if (fail == NULL)
			continue;
		bad++;
		printf("  seed %" PRIu64 ": FAIL: %s; replay: build/tests/parnik-sim --scenario %s "
		       "--seed %" PRIu64 "%s%s --verbose\n", seed, fail, sc->name, seed,
		       o->unsafe_quorum ? " --unsafe-quorum" : "", o->quick ? " --quick" : "");
	}
	printf("%-28s seeds %-4u ops %-8" PRIu64 " unknown %-6" PRIu64 " violations %-6" PRIu64,
	       sc->name, o->seeds, ops, unknown, violations);
	if (sc->expect_violation)
		printf(" negative: caught in %" PRIu64 " of %u seeds", caught, o->seeds);
	printf(" %s\n", bad == 0 ? "PASS" : "FAIL");
	fflush(stdout);
	return bad == 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: parnik-sim [--scenario NAME|all] [--seeds N] [--seed S] [--unsafe-quorum]\n"
		   "                  [--replay] [--quick] [--verbose] [--history F] [--list]\n"
		   "  --scenario   one scenario by name, or all (default all)\n"
		   "  --seeds N    seeds per scenario (default 20), from --seed (default 1)\n"
		   "  --seed S     first seed; alone, runs just that seed\n"
		   "  --unsafe-quorum  accept quorum 1 of 3: violations must be reported\n"
		   "  --replay     run each seed twice and require identical traces (and\n"
		   "               another seed, a different one)\n"
		   "  --quick      a quarter of each client's ops (sanitizer builds)\n"
		   "  --verbose    per-seed statistics, monitor and checker reports\n"
		   "  --history F  write the client history (lincheck text format) to F\n"
		   "  --list       list the scenarios\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "scenario", required_argument, NULL, 'c' },
		{ "seeds", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "unsafe-quorum", no_argument, NULL, 'u' },
		{ "replay", no_argument, NULL, 'r' },
		{ "quick", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "list", no_argument, NULL, 'l' },
		{ "history", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .scenario = "all", .seed = 1, .seeds = 20 };
	bool seeds_given = false, seed_given = false, any = false;
	unsigned int passed = 0, failed = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.scenario = optarg;
			break;
		case 'n':
			o.seeds = (unsigned int)strtoul(optarg, NULL, 10);
			seeds_given = true;
			break;
		case 's':
			o.seed = strtoull(optarg, NULL, 10);
			seed_given = true;
			break;
		case 'u':
			o.unsafe_quorum = true;
			break;
		case 'r':
			o.replay = true;
			break;
		case 'q':
			o.quick = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'H':
			o.history = optarg;
			break;
		case 'l':
			for (unsigned int i = 0; i < scenario_count; i++)
				printf("%-28s %s\n", scenarios[i].name, scenarios[i].what);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || o.seeds == 0) {
		usage(stderr);
		return 2;
	}
	if (seed_given && !seeds_given)
		o.seeds = 1;
	for (unsigned int i = 0; i < scenario_count; i++) {
		const struct scenario *sc = &scenarios[i];

		if (strcmp(o.scenario, "all") != 0 && strcmp(o.scenario, sc->name) != 0)
			continue;
		/* With accept quorum 1 forced everywhere, negative scenarios
		 * have nothing left to prove.
		 */
		if (o.unsafe_quorum && sc->expect_violation)
			continue;
		any = true;
		if (run_scenario(sc, &o))
			passed++;
		else
			failed++;
	}
	if (!any) {
		fprintf(stderr, "parnik-sim: no scenario named '%s' (see --list)\n", o.scenario);
		return 2;
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
