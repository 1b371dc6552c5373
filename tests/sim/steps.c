/* Membership scenarios written as step programs, the simulator acting as
 * parnikctl (docs/CASPAXOS.md section 4). A program is a list of steps run in order,
 * each when the previous one is done:
 *
 *   FILL n      one PUT per key through the proposers of mask n (cold keys)
 *   HOT n       two INC clients on the first HOT_KEYS keys through mask n,
 *               kept running; later steps wait until they progressed
 *   CUT n       every message to the nodes of mask n is lost; HEAL undoes
 *   CONFIG m P qP A qA   nodes of mask m run that config; done after a
 *               barrier (longer than any phase can last)
 *   RESCAN n    x -> x on every key through mask n
 *   CATCHUP n t the nodes of mask n copy their accepted states into node t
 *               (INSTALL); done after the network delivered them
 *   CRASH n, START n     a node stops (amnesia) / starts empty and voting
 *   VERIFY n    stop the hot clients, read every key through mask n; the
 *               checker compares each cold key with its fill
 *   DROP n      one DEL per key through mask n
 *   LAG f t y   hold back messages of type y (0: any) from the nodes of
 *               mask f to those of mask t by LAG_US; UNLAG stops (what
 *               was held still arrives late)
 *   WAIT        until every held-back message has arrived
 *   GC n w      the nodes of mask n sweep every GC_POLL_US until the nodes
 *               of mask w hold no deleted key
 *   RESTART n   node n restarts empty and not voting, as a replica does
 *               after kill -9 or as a wiped spare
 *   PLAN        a membership request (grow, shrink, replace, readmit,
 *               recover-from) planned by parnikctl's planner and carried
 *               out step by step (plans.c)
 *   SKIP k      later plans lose every step of kind k (negative tests)
 *   INTERRUPT k the next plan stops after k steps, as a parnikctl killed
 *               mid-change; the program then runs the request again
 *   QUIET       the hot clients stop; SETTLE waits out a barrier
 *
 * The positive programs follow the paper's procedures; the negative ones
 * drop one required step and must be caught in every seed, so their cuts
 * pin down exactly which acceptors hold each cold key.
 */
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "scenario.h"
#include "workload.h"

#define HOT_KEYS 2
#define PHASE_WRITES 10
#define POLL_US 500
#define GC_POLL_US 2000
#define LAG_US 50000

enum {
	FILL = 1, HOT, CUT, HEAL, CONFIG, RESCAN, CATCHUP, CRASH, START, VERIFY, END,
	DROP, LAG, UNLAG, WAIT, GC, RESTART, PLAN, SKIP, QUIET, SETTLE, INTERRUPT,
};

struct step {
	uint8_t op;
	uint16_t mask;
	uint16_t prepare;
	uint8_t qp;
	uint16_t accept;
	uint8_t qa;
	uint8_t plan_op;	/* PLAN: enum pk_plan_op; mask = node, prepare = other */
	bool catchup;		/* PLAN: --catchup */
};

static struct {
	uint64_t wait_until;
	struct sim_client *hot[2];
	uint32_t base[2];
	struct sim_client *job;		/* the FILL / RESCAN / DROP client */
	uint64_t next_sweep;		/* GC */
	struct pk_config cfgs[SIM_MAX_CONFIGS - 1];	/* sim_init installs one */
	unsigned int ncfg;
	uint8_t skip;			/* SKIP: plans lose this kind of step */
	uint8_t interrupt;		/* INTERRUPT: the next plan's steps, at most */
} st;

bool
steps_hot_progressed(void)
{
	for (unsigned int i = 0; i < 2; i++)
		if (st.hot[i] != NULL && st.hot[i]->done < st.base[i] + PHASE_WRITES)
			return false;
	return true;
}

void
steps_mark(void)
{
	for (unsigned int i = 0; i < 2; i++)
		if (st.hot[i] != NULL)
			st.base[i] = st.hot[i]->done;
}

/* A new config at the next epoch, kept alive for the whole run. */
const struct pk_config *
steps_config(uint16_t prepare, uint8_t qp, uint16_t accept, uint8_t qa)
{
	struct pk_config *c;

	if (st.ncfg == sizeof(st.cfgs) / sizeof(st.cfgs[0]))
		abort();	/* a program longer than the simulator allows */
	c = &st.cfgs[st.ncfg++];
	*c = (struct pk_config){ .epoch = st.ncfg + 1, .prepare_mask = prepare,
				 .accept_mask = accept, .prepare_quorum = qp,
				 .accept_quorum = qa, .one_rtt = true };
	return c;
}

enum { STEP_DONE, STEP_WAIT, STEP_STOP };

/* Starts step <p>: STEP_DONE when it is complete already, STEP_WAIT when
 * finished() tells, STEP_STOP when the run is out of time.
 */
static int
begin(struct sim *s, const struct step *p)
{
	switch (p->op) {
	case FILL:
		st.job = sim_add_client(s, SIM_WL_FILL, p->mask, s->p.keys);
		return STEP_WAIT;
	case RESCAN:
		st.job = sim_add_client(s, SIM_WL_SCAN, p->mask, s->p.keys);
		return STEP_WAIT;
	case DROP:
		st.job = sim_add_client(s, SIM_WL_DROP, p->mask, s->p.keys);
		return STEP_WAIT;
	case LAG:
		s->lag = (struct sim_lag){ .from = p->mask, .to = p->prepare, .type = p->qp,
					   .extra = LAG_US };
		return STEP_DONE;
	case UNLAG:
		s->lag.extra = 0;
		return STEP_DONE;
	case WAIT:
		return STEP_WAIT;
	case GC:
		st.next_sweep = s->now;
		return STEP_WAIT;
	case HOT:
		for (unsigned int i = 0; i < 2; i++) {
			if (st.hot[i] == NULL) {
				st.hot[i] = sim_add_client(s, SIM_WL_INC, p->mask, 1000000);
				st.hot[i]->hot_keys = HOT_KEYS;
			}
			st.hot[i]->node_mask = p->mask;
		}
		steps_mark();
		return STEP_WAIT;
	case CUT:
		for (uint16_t n = 0; n < s->p.nodes; n++)
			s->cut[n] = p->mask;
		return STEP_DONE;
	case HEAL:
		memset(s->cut, 0, sizeof(s->cut));
		return STEP_DONE;
	case CONFIG: {
		const struct pk_config *c = steps_config(p->prepare, p->qp, p->accept, p->qa);

		for (uint16_t n = 0; n < s->p.nodes; n++)
			if ((p->mask & (1u << n)) != 0)
				sim_set_config(s, n, c);
		st.wait_until = s->now + 3 * s->p.tuning.phase_timeout;
		steps_mark();
		return STEP_WAIT;
	}
	case CATCHUP:
		for (uint16_t n = 0; n < s->p.nodes; n++)
			if ((p->mask & (1u << n)) != 0)
				sim_install(s, n, p->accept);
		st.wait_until = s->now + 3 * s->p.tuning.phase_timeout;
		return STEP_WAIT;
	case CRASH:
		sim_crash(s, p->mask);
		return STEP_DONE;
	case START:
		sim_restart(s, p->mask, true, false);
		return STEP_DONE;
	case RESTART:
		sim_restart(s, p->mask, false, false);
		return STEP_DONE;
	case PLAN: {
		struct pk_plan_request r = { .op = (enum pk_plan_op)p->plan_op, .node = p->mask,
					     .other = p->prepare, .catchup = p->catchup };

		unsigned int limit = st.interrupt;

		st.interrupt = 0;
		return plans_run(s, &r, st.skip, limit) ? STEP_DONE : STEP_STOP;
	}
	case SKIP:
		st.skip = p->qp;
		return STEP_DONE;
	case INTERRUPT:
		st.interrupt = p->qp;
		return STEP_DONE;
	case QUIET:
		for (unsigned int i = 0; i < 2; i++)
			if (st.hot[i] != NULL) {
				st.hot[i]->target = st.hot[i]->done;
				st.hot[i] = NULL;	/* later steps wait for it no more */
			}
		return STEP_DONE;
	case SETTLE:
		st.wait_until = s->now + 3 * s->p.tuning.phase_timeout;
		return STEP_WAIT;
	case VERIFY:
		for (unsigned int i = 0; i < 2; i++)
			if (st.hot[i] != NULL)
				st.hot[i]->target = st.hot[i]->done;
		sim_add_client(s, SIM_WL_SCAN, p->mask, s->p.keys);
		return STEP_DONE;
	default:
		return STEP_DONE;
	}
}

/* One GC sweep on the nodes of <p>'s mask every GC_POLL_US, until the
 * watched nodes hold no deleted key.
 */
static bool
collected(struct sim *s, const struct step *p)
{
	if (sim_deleted_keys(s, p->accept) == 0)
		return true;
	if (s->now >= st.next_sweep) {
		for (uint16_t n = 0; n < s->p.nodes; n++)
			if ((p->mask & (1u << n)) != 0)
				sim_gc_sweep(s, n);
		st.next_sweep = s->now + GC_POLL_US;
	}
	return false;
}

static bool
finished(struct sim *s, void *arg)
{
	const struct step *p = arg;

	switch (p->op) {
	case FILL:
	case RESCAN:
	case DROP:
		return st.job->done >= st.job->target && steps_hot_progressed();
	case WAIT:
		return s->now > s->lag_last;
	case GC:
		return collected(s, p);
	case HOT:
		return steps_hot_progressed();
	case CONFIG:
	case CATCHUP:
		return s->now >= st.wait_until && steps_hot_progressed();
	case SETTLE:
		return s->now >= st.wait_until;
	default:
		return true;
	}
}

/* Runs <prog> top to bottom from the cluster's first config <initial>,
 * each step once the one before it is done, looking every POLL_US as a
 * controller would. Out of time (a negative program's clients may stall),
 * it stops; the run then reports what did not finish.
 */
static void
run_program(struct sim *s, const struct step *prog, const struct step *initial)
{
	memset(&st, 0, sizeof(st));
	(void)begin(s, initial);	/* everywhere at once: no barrier to wait */
	for (const struct step *p = prog; p->op != END; p++) {
		int b = begin(s, p);

		if (b == STEP_STOP ||
		    (b == STEP_WAIT && !sim_poll_until(s, POLL_US, finished, (void *)p)))
			return;
	}
}

#define ALL5 0x1f
#define ON(m, p, qp, a, qa) { CONFIG, m, p, qp, a, qa, 0, false }
#define S(op, m) { op, m, 0, 0, 0, 0, 0, false }
#define PLANNED(op, n, o, cu) { PLAN, n, o, 0, 0, 0, op, cu }
#define GROW(n) PLANNED(PK_PLAN_GROW, n, 0, false)
#define GROW_CATCHUP(n) PLANNED(PK_PLAN_GROW, n, 0, true)
#define SHRINK(n) PLANNED(PK_PLAN_SHRINK, n, 0, false)
#define REPLACE(old, new) PLANNED(PK_PLAN_REPLACE, old, new, false)
#define READMIT(n) PLANNED(PK_PLAN_READMIT, n, 0, false)
#define RECOVER(n) PLANNED(PK_PLAN_RECOVER, n, 0, false)
#define SKIPPING(kind) { SKIP, 0, 0, kind, 0, 0, 0, false }
#define INTERRUPTED(k) { INTERRUPT, 0, 0, k, 0, 0, 0, false }

/* 3 -> 4 -> 5 -> 4 -> 3 under loss and reordering, nodes 3 and 4 spare,
 * each change as parnikctl plans it; every list change reaches part of the
 * nodes first, so old and new configs run at once while the hot clients
 * write.
 */
static const struct step grow_shrink[] = {
	S(CRASH, 3), S(CRASH, 4),
	S(FILL, 0x7), S(HOT, 0x7),
	S(RESTART, 3), GROW(3),		/* accept list, rescan, prepare list */
	S(RESTART, 4), GROW(4),		/* both lists */
	SHRINK(4), S(CRASH, 4),		/* both lists, then the rescan 5 -> 4 needs */
	SHRINK(3), S(CRASH, 3),		/* prepare list, rescan, accept list */
	S(VERIFY, 0x7),
	S(END, 0),
};

/* Every kind of plan in one run under loss: grow both ways, shrink, a
 * replace of a crashed member by a wiped spare, and the readmission of a
 * member restarted in place (amnesiac), with the hot clients moved off
 * each node before it leaves. Two changes are interrupted (parnikctl
 * killed) and run again: the grow after its accept list, before the
 * rescan; the shrink after its lists, before the rescan an even list
 * needs.
 */
static const struct step every_plan[] = {
	S(CRASH, 3), S(CRASH, 4),
	S(FILL, 0x7), S(HOT, 0x7),
	S(RESTART, 3), INTERRUPTED(5), GROW(3), GROW(3),
	S(RESTART, 4), GROW(4),
	S(HOT, 0x6), INTERRUPTED(2), SHRINK(0), SHRINK(0), S(CRASH, 0),	/* {1,2,3,4} */
	S(HOT, 0xa), S(CRASH, 2), S(RESTART, 0),
	REPLACE(2, 0),					/* {0,1,3,4} */
	S(HOT, 0x18), S(RESTART, 1), READMIT(1),	/* {0,1,3,4} again */
	S(VERIFY, 0x18),
	S(END, 0),
};

/* Three cycles of grow a spare, shrink an original, wipe it: after them
 * every original acceptor has been replaced, the sequence that loses all
 * data without the rescans (paper, section 2.3).
 */
#define FLUX                                                                 \
	S(CRASH, 3), S(FILL, 0x7), S(HOT, 0x7),                              \
	S(RESTART, 3), GROW(3), S(HOT, 0x6), SHRINK(0), S(CRASH, 0),         \
	S(RESTART, 0), GROW(0), S(HOT, 0xc), SHRINK(1), S(CRASH, 1),         \
	S(RESTART, 1), GROW(1), S(HOT, 0x9), SHRINK(2), S(CRASH, 2),         \
	S(VERIFY, 0xb), S(END, 0)

static const struct step flux[] = { FLUX };
static const struct step flux_no_rescan[] = { SKIPPING(PK_STEP_RESCAN), FLUX };

/* Catch-up grow, then a majority lost for good: the survivor node 0 takes
 * in what node 3 holds and serves alone; a wiped spare joins it. The hot
 * clients stop and their messages land before the loss, so every
 * committed value is on node 0 or node 3.
 */
static const struct step recover[] = {
	S(CRASH, 3), S(CRASH, 4),
	S(FILL, 0x7), S(HOT, 0x7),
	S(RESTART, 3), GROW_CATCHUP(3),
	S(QUIET, 0), S(SETTLE, 0),
	S(CRASH, 1), S(CRASH, 2),
	RECOVER(0),
	S(RESTART, 4), GROW(4),
	S(VERIFY, 0x11),
	S(END, 0),
};

/* 5 -> 4 -> 5. The cold keys are filled with nodes 0 and 1 cut off, so
 * each sits on exactly {2,3,4}. Node 4 leaves and is wiped; without the
 * plan's rescan the keys are on {2,3} only, a bare 2 of the 4 acceptors.
 * Node 4 joins again, empty and, with nodes 2 and 3 cut off, a read
 * quorum {0,1,4} finds nothing: the lost data the paper warns about.
 */
#define FIVE_FOUR_FIVE                                                       \
	S(CUT, 0x3), S(FILL, 0x4), S(HEAL, 0),                               \
	SHRINK(4), S(CRASH, 4), S(RESTART, 4), GROW(4),                      \
	S(CUT, 0xc), S(VERIFY, 0x1), S(END, 0)

static const struct step five_four_five[] = { FIVE_FOUR_FIVE };
static const struct step five_four_five_no_rescan[] = {
	SKIPPING(PK_STEP_RESCAN), FIVE_FOUR_FIVE,
};

/* Node 2 crashes and loses its memory. The cold keys were filled with
 * node 0 cut off, so they sat on exactly {1,2} and now on {1} only.
 * Replaced by spare 3 as the planner says (accept list, rescan, prepare
 * list, then node 2 out with its own rescan), the keys are on {0,1,3}:
 * with node 1 down a read through {0,3} finds them. The negative variant
 * lets the amnesiac node 2 vote again straight away, still in the prepare
 * list: a read through {0,2} finds nothing.
 */
#define AMNESIA_PREFIX                                                       \
	S(CRASH, 3), S(CUT, 0x1), S(FILL, 0x4), S(HEAL, 0), S(CRASH, 2)

static const struct step replace_amnesiac[] = {
	AMNESIA_PREFIX,
	S(RESTART, 3), REPLACE(2, 3),
	S(CUT, 0x2), S(VERIFY, 0x1), S(END, 0),
};

static const struct step amnesiac_into_prepare[] = {
	AMNESIA_PREFIX,
	S(START, 2),
	S(CUT, 0x2), S(VERIFY, 0x1), S(END, 0),
};

/* 3 -> 4 by the planner's catch-up, then node 2 out at once. The cold
 * keys sit on exactly {1,2} (filled with node 0 cut off). Nodes 0 and 1
 * (enough to have seen every committed key) copy their accepted states
 * into node 3: the keys are on {1,2,3}, 3 of 4, so dropping node 2 leaves
 * them on {1,3}, and with node 1 down a read through {0,3} finds them.
 * With the plan's catch-up steps removed they sit on {1} only and are
 * lost.
 */
#define CATCHUP_PREFIX                                                       \
	S(CRASH, 3), S(CUT, 0x1), S(FILL, 0x4), S(HEAL, 0), S(RESTART, 3)
#define CATCHUP_SUFFIX                                                       \
	GROW_CATCHUP(3), ON(0xf, 0xb, 2, 0xb, 2), S(CRASH, 2),               \
	S(CUT, 0x2), S(VERIFY, 0x1), S(END, 0)

static const struct step grow_by_catchup[] = { CATCHUP_PREFIX, CATCHUP_SUFFIX };
static const struct step grow_without_catchup[] = {
	SKIPPING(PK_STEP_CATCHUP), CATCHUP_PREFIX, CATCHUP_SUFFIX,
};

/* GC races (docs/CASPAXOS.md section 5), the keys filled through node 0 and deleted
 * through node 1, which then coordinates their GC.
 *
 * Lost delete: node 0's PREPARE and ACCEPT of the fill reach node 2 only
 * after the GC removed the keys everywhere. The floor refuses them; an
 * acceptor without it takes the old value, and a read through {1,2} brings
 * the deleted value back.
 */
#define LAGGED(f, t, y) { LAG, f, t, y, 0, 0, 0, false }
#define GC_ON(n, w) { GC, n, 0, 0, w, 0, 0, false }

static const struct step gc_lost_delete[] = {
	LAGGED(0x1, 0x4, 0), S(FILL, 0x1), S(UNLAG, 0),
	S(DROP, 0x2), GC_ON(0x7, 0x7), S(WAIT, 0),
	S(CUT, 0x1), S(VERIFY, 0x4), S(END, 0),
};

/* Lost update: the REMOVE to node 0 is held back, so node 0 still holds
 * the tombstone (ballot T) when node 2, whose counter never moved, writes
 * the keys through {1,2}. The floor makes node 2 write above T; without it
 * the write goes in below T, and a read through node 0 prefers the
 * tombstone: the acknowledged write is lost.
 */
static const struct step gc_lost_update[] = {
	S(FILL, 0x1), S(DROP, 0x2),
	LAGGED(0x2, 0x1, PK_MSG_REMOVE), GC_ON(0x2, 0x6), S(UNLAG, 0),
	S(CUT, 0x1), S(FILL, 0x4), S(HEAL, 0),
	S(VERIFY, 0x1), S(END, 0),
};

/* The coordinator (node 1) removes its own copy and node 2's, and its
 * REMOVE to node 0 is held back until the round gave up: node 0 must take
 * the keys over (after PK_GC_TAKEOVER sweeps) or it keeps the tombstones.
 */
static const struct step gc_takeover[] = {
	S(FILL, 0x1), S(DROP, 0x2),
	LAGGED(0x2, 0x1, PK_MSG_REMOVE), GC_ON(0x2, 0x6),
	GC_ON(0x7, 0x7), S(UNLAG, 0), S(VERIFY, 0x7), S(END, 0),
};

static const struct step three = ON(0xf, 0x7, 2, 0x7, 2);
static const struct step five = ON(ALL5, ALL5, 3, ALL5, 3);

void
steps_grow_shrink(struct sim *s)
{
	run_program(s, grow_shrink, &three);
}

void
steps_every_plan(struct sim *s)
{
	run_program(s, every_plan, &three);
}

void
steps_flux(struct sim *s)
{
	run_program(s, flux, &three);
}

void
steps_flux_no_rescan(struct sim *s)
{
	run_program(s, flux_no_rescan, &three);
}

void
steps_recover(struct sim *s)
{
	run_program(s, recover, &three);
}

void
steps_five_four_five(struct sim *s)
{
	run_program(s, five_four_five, &five);
}

void
steps_five_four_five_no_rescan(struct sim *s)
{
	run_program(s, five_four_five_no_rescan, &five);
}

void
steps_replace_amnesiac(struct sim *s)
{
	run_program(s, replace_amnesiac, &three);
}

void
steps_amnesiac_into_prepare(struct sim *s)
{
	run_program(s, amnesiac_into_prepare, &three);
}

void
steps_grow_by_catchup(struct sim *s)
{
	run_program(s, grow_by_catchup, &three);
}

void
steps_grow_without_catchup(struct sim *s)
{
	run_program(s, grow_without_catchup, &three);
}

void
steps_gc_lost_delete(struct sim *s)
{
	run_program(s, gc_lost_delete, &three);
}

void
steps_gc_lost_update(struct sim *s)
{
	run_program(s, gc_lost_update, &three);
}

void
steps_gc_takeover(struct sim *s)
{
	run_program(s, gc_takeover, &three);
}
