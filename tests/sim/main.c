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

struct run {
	uint64_t trace;
	uint64_t ops;
	uint64_t unknown;
	uint64_t violations;
	uint32_t undecided;	/* keys the checker could not decide */
	bool finished;
	const char *why;	/* failure of a scenario assertion */
};

static void
params_for(const struct scenario *sc, const struct opts *o, uint64_t seed, struct sim_params *p)
{
	memset(p, 0, sizeof(*p));
	p->nodes = sc->nodes;
	p->workers = 2;
	p->keys = sc->keys;
	p->net = sc->net;
	p->seed = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
	p->verbose = o->verbose;
	pk_tuning_default(&p->tuning);
	/* Virtual time: timeouts a few round trips of the 30..120 us links. */
	p->tuning.phase_timeout = 1000;
	p->tuning.op_timeout = 20000;
	p->tuning.backoff_base = 50;
	p->tuning.backoff_max = 3000;
	p->tuning.max_keys = 64;
	p->tuning.max_ops = 256;
	p->tuning.max_queue = 32;
	p->tuning.unsafe_keep_cache = sc->keep_cache;
	p->tuning.unsafe_gc_no_floor = sc->gc_no_floor;
	p->tuning.unsafe_no_bounds = sc->no_bounds;
	p->client_timeout = 30000;
	p->time_limit = 60ull * 1000 * 1000;
}

static struct run
run_seed(const struct scenario *sc, const struct opts *o, uint64_t seed)
{
	static struct sim s;	/* large: keep it off the stack */
	struct sim_params p;
	struct lin_result lin;
	struct run r = { 0 };
	uint32_t target = o->quick ? (sc->target + 3) / 4 : sc->target;

	params_for(sc, o, seed, &p);
	sim_init(&s, &p);
	if (sc->accept_quorum != 0 || o->unsafe_quorum) {
		s.cfg.accept_quorum = o->unsafe_quorum ? 1 : sc->accept_quorum;
	}
	s.script = sc->script;
	if (sc->gc)
		lin_allow_version_jumps(s.hist);
	for (unsigned int i = 0; i < sc->clients; i++)
		sim_add_client(&s, sc->workload, sc->client_nodes, target);
	if (sc->setup != NULL)
		sc->setup(&s);
	r.finished = sim_run(&s, p.time_limit);
	for (unsigned int i = 0; i < s.nclients; i++)
		r.finished &= s.clients[i].done >= s.clients[i].target;
	if (o->history != NULL) {
		FILE *f = fopen(o->history, "w");

		if (f != NULL) {
			lin_dump(s.hist, f);
			fclose(f);
		}
	}
	lin = lin_check(s.hist, o->verbose ? stdout : NULL);
	r.trace = s.trace;
	r.ops = s.stats.ops_ok;
	r.unknown = s.stats.ops_unknown;
	r.violations = s.mon.violations + lin.bad_keys;
	r.undecided = lin.undecided_keys;
	if (sc->verify != NULL && !sc->expect_violation && !o->unsafe_quorum)
		r.why = sc->verify(&s);
	if (o->verbose) {
		printf("  seed %" PRIu64 ": events %" PRIu64 ", datagrams %" PRIu64 " (dropped %" PRIu64
		       ", duplicated %" PRIu64 "), ops %" PRIu64 " definite, %" PRIu64
		       " unknown, %" PRIu64 " refused; chosen %" PRIu64 "; searched %" PRIu64
		       " states; virtual time %.1f ms; trace %016" PRIx64 "\n",
		       seed, s.stats.events, s.stats.datagrams, s.stats.dropped, s.stats.duplicated,
		       s.stats.ops_ok, s.stats.ops_unknown, s.stats.ops_refused,
		       s.mon.chosen_events, lin.states, (double)s.now / 1000.0, s.trace);
		printf("  1RTT rounds %" PRIu64 " of %" PRIu64 ", read skips %" PRIu64
		       ", queued ops %" PRIu64 ", accept failures %" PRIu64 " (adopted %" PRIu64
		       ", cleared %" PRIu64 "), replies UNKNOWN %" PRIu64 " TIMEOUT %" PRIu64
		       ", duplicates %" PRIu64 "\n",
		       SIM_STAT(&s, rounds_1rtt), SIM_STAT(&s, rounds), SIM_STAT(&s, read_skips),
		       SIM_STAT(&s, queued_ops), SIM_STAT(&s, accept_fail),
		       SIM_STAT(&s, doubt_adopted), SIM_STAT(&s, doubt_cleared),
		       SIM_STAT(&s, res_unknown), SIM_STAT(&s, res_timeout),
		       SIM_STAT(&s, req_dup_dropped) + SIM_STAT(&s, req_dup_replied));
		if (sc->gc)
			printf("  GC: %" PRIu64 " sweep calls, %" PRIu64 " answered OK, %" PRIu64
			       " removals, %" PRIu64 " floor refusals; %" PRIu64
			       " datagrams held back\n",
			       s.stats.gc_calls, s.stats.gc_removed, SIM_STAT(&s, acc_removed),
			       SIM_STAT(&s, acc_floor_refused), s.stats.lagged);
		if (s.mon.violations > 0)
			printf("  monitor: %" PRIu64 " violations; first: %s\n", s.mon.violations,
			       s.mon.first);
	}
	sim_fini(&s);
	return r;
}

/* Runs one scenario over the seeds; returns true when it passed. */
static bool
run_scenario(const struct scenario *sc, const struct opts *o)
{
	uint64_t ops = 0, unknown = 0, violations = 0, caught = 0;
	unsigned int bad = 0;

	for (unsigned int i = 0; i < o->seeds; i++) {
		uint64_t seed = o->seed + i;
		struct run r = run_seed(sc, o, seed);
		const char *fail = NULL;

		/* Replay: the same seed must give the same trace, and another
		 * seed another one (or the check would prove nothing).
		 */
		if (o->replay && run_seed(sc, o, seed).trace != r.trace)
			fail = "the same seed gave another trace";
		if (o->replay && fail == NULL && run_seed(sc, o, seed + 7919).trace == r.trace)
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
