/* One simulator run (see run.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "run.h"
#include "sim.h"

static void
params_for(const struct scenario *sc, const struct sim_run_opts *o, uint64_t seed,
	   struct sim_params *p)
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
	/* At most 16 clients: small session tables keep a run cheap (a
	 * fuzzer runs thousands a second).
	 */
	p->tuning.max_sessions = 64;
	p->tuning.max_session_records = 4096;
	p->tuning.unsafe_keep_cache = sc->keep_cache;
	p->tuning.unsafe_gc_no_floor = sc->gc_no_floor;
	p->tuning.unsafe_no_bounds = sc->no_bounds;
	p->client_timeout = 30000;
	p->time_limit = o->time_limit != 0 ? o->time_limit : 60ull * 1000 * 1000;
	p->entropy = o->entropy;
	p->entropy_len = o->entropy_len;
}

struct sim_result
sim_run_seed(const struct scenario *sc, const struct sim_run_opts *o, uint64_t seed)
{
	static struct sim s;	/* large: keep it off the stack */
	struct sim_params p;
	struct lin_result lin;
	struct sim_result r = { 0 };
	uint32_t target = o->target != 0 ? o->target
			  : o->quick ? (sc->target + 3) / 4 : sc->target;

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
	plans_reset();
	if (sc->setup != NULL)
		sc->setup(&s);
	if (sc->program != NULL)
		sc->program(&s);
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

