/* The simulator as parnikctl: a program's PLAN step surveys the simulated
 * cluster as parnikctl surveys the replicas (which nodes run, which vote,
 * the lists of the highest epoch, the keys each holds), asks the same
 * membership planner (ctrl/plan.c) for the steps, and carries each one out
 * under the simulator's faults:
 *
 *   INSTALL      the config reaches a random part of the running nodes
 *                first and the rest up to a phase timeout later (old and
 *                new configs run at once, as when parnikctl goes from one
 *                replica to the next); done after a barrier longer than
 *                any phase can last
 *   RESCAN n     a client rewrites every key (x -> x) through node n
 *   CATCHUP n t  node n sends its accepted states to node t (INSTALL
 *                messages over the lossy network); done after a barrier
 *   ADMIT n, COPY_FLOORS n   at once, as the control socket does them
 *   GC_HOLD, GC_RELEASE      nothing to do: the simulator's GC sweeps are
 *                program steps of their own, never run during a plan
 *
 * A negative program removes every step of one kind from its plans (for
 * example the rescans) and must then be caught.
 */
#include <string.h>

#include "parnik/config.h"
#include "plan.h"
#include "scenario.h"

static struct {
	uint16_t later;		/* INSTALL: running nodes still to get the config */
	uint64_t later_at;	/* ... then */
	uint64_t wait_until;	/* the barrier */
	struct sim_client *job;
	const struct pk_config *cfg;
	unsigned int copies;	/* CATCHUP: sends so far */
	char refused[sizeof(((struct pk_plan *)0)->reason) + 32];
} pl;

#define POLL_US 500		/* how often the executor looks, as parnikctl polls */
#define CATCHUP_SENDS 20	/* a catch-up sends again while keys are missing */

static uint16_t
running(const struct sim *s)
{
	uint16_t m = 0;

	for (uint16_t id = 0; id < s->p.nodes; id++)
		if (s->nodes[id].up)
			m |= pk_node_bit(id);
	return m;
}

/* What parnikctl's survey would read from the replicas; returns the
 * config of the highest epoch running.
 */
static const struct pk_config *
survey(const struct sim *s, struct pk_plan_view *v)
{
	const struct pk_config *cur = NULL;
	uint32_t epoch = 0;

	memset(v, 0, sizeof(*v));
	for (uint16_t id = 0; id < s->p.nodes; id++) {
		const struct sim_node *n = &s->nodes[id];

		if (!n->up)
			continue;
		v->node[id].up = true;
		v->node[id].voting = n->admitted;
		for (uint16_t w = 0; w < s->p.workers; w++)
			v->node[id].keys += pk_worker_accepted_keys(n->w[w]);
		if (n->cfg->epoch > epoch) {
			epoch = n->cfg->epoch;
			cur = n->cfg;
			v->cur = (struct pk_lists){ .prepare = n->cfg->prepare_mask,
						    .accept = n->cfg->accept_mask,
						    .qp = n->cfg->prepare_quorum,
						    .qa = n->cfg->accept_quorum };
		}
	}
	return cur;
}

static void
install_on(struct sim *s, uint16_t nodes)
{
	for (uint16_t id = 0; id < s->p.nodes; id++)
		if ((nodes & pk_node_bit(id)) != 0 && s->nodes[id].up)
			sim_set_config(s, id, pl.cfg);
}

/* Starts step <st>; true when it is already complete. */
static bool
begin(struct sim *s, const struct pk_plan_step *st)
{
	uint16_t first = 0;

	switch (st->kind) {
	case PK_STEP_INSTALL: {
		struct pk_plan_view v;
		const struct pk_config *cur = survey(s, &v);

		/* As parnikctl does: the same lists again keep their epoch
		 * (laggards catch up); other lists take the next one.
		 */
		if (cur != NULL && cur->prepare_mask == st->lists.prepare &&
		    cur->accept_mask == st->lists.accept && cur->prepare_quorum == st->lists.qp &&
		    cur->accept_quorum == st->lists.qa)
			pl.cfg = cur;
		else
			pl.cfg = steps_config(st->lists.prepare, st->lists.qp, st->lists.accept,
					      st->lists.qa);
		for (uint16_t id = 0; id < s->p.nodes; id++)
			if (sim_chance(s, 0.5))
				first |= pk_node_bit(id);
		install_on(s, first);
		pl.later = running(s) & (uint16_t)~first;
		pl.later_at = s->now + sim_rand(s) % s->p.tuning.phase_timeout;
		pl.wait_until = s->now + 3 * s->p.tuning.phase_timeout;
		steps_mark();
		return false;
	}
	case PK_STEP_RESCAN: {
		/* The keys the node holds a record of, as its rescan job walks
		 * its own table.
		 */
		uint16_t known = sim_known_keys(s, st->node);

		if (known == 0)
			return true;
		pl.job = sim_add_client(s, SIM_WL_SCAN, pk_node_bit(st->node),
					pk_mask_count(known));
		pl.job->key_set = known;
		return false;
	}
	case PK_STEP_CATCHUP:
		sim_install(s, st->node, st->target);
		pl.copies = 1;
		pl.wait_until = s->now + 3 * s->p.tuning.phase_timeout;
		return false;
	case PK_STEP_ADMIT:
		sim_admit(s, st->node);
		return true;
	case PK_STEP_COPY_FLOORS:
		sim_copy_floors(s, st->node);
		return true;
	default:
		return true;
	}
}

static bool
finished(struct sim *s, void *arg)
{
	const struct pk_plan_step *st = arg;

	switch (st->kind) {
	case PK_STEP_INSTALL:
		if (pl.later != 0 && s->now >= pl.later_at) {
			install_on(s, pl.later);
			pl.later = 0;
			pl.wait_until = s->now + 3 * s->p.tuning.phase_timeout;
		}
		return pl.later == 0 && s->now >= pl.wait_until && steps_hot_progressed();
	case PK_STEP_RESCAN:
		return pl.job->done >= pl.job->target && steps_hot_progressed();
	case PK_STEP_CATCHUP:
		if (s->now < pl.wait_until)
			return false;
		/* The job sends again what did not arrive, as parnikd's does. */
		if (!sim_caught_up(s, st->node, st->target) && pl.copies < CATCHUP_SENDS) {
			sim_install(s, st->node, st->target);
			pl.copies++;
			pl.wait_until = s->now + 3 * s->p.tuning.phase_timeout;
			return false;
		}
		return steps_hot_progressed();
	default:
		return true;
	}
}

bool
plans_run(struct sim *s, const struct pk_plan_request *r, uint8_t skip, unsigned int limit)
{
	static struct pk_plan plan;
	struct pk_plan_view v;
	unsigned int kept = 0;

	(void)survey(s, &v);
	pk_plan_make(&v, r, &plan);
	if (plan.verdict == PK_PLAN_REFUSED && pl.refused[0] == 0)
		snprintf(pl.refused, sizeof(pl.refused), "a plan was refused: %s", plan.reason);
	for (unsigned int k = 0; k < plan.n; k++)
		if (plan.step[k].kind != skip)
			plan.step[kept++] = plan.step[k];
	plan.n = kept;
	if (limit != 0 && limit < plan.n)
		plan.n = limit;	/* parnikctl killed after <limit> steps */
	for (unsigned int k = 0; k < plan.n; k++) {
		const struct pk_plan_step *st = &plan.step[k];

		if (s->p.verbose) {
			char text[160];

			pk_plan_step_format(st, text, sizeof(text));
			fprintf(stderr, "  [%llu us] plan step %u/%u: %s\n",
				(unsigned long long)s->now, k + 1, plan.n, text);
		}
		if (!begin(s, st) && !sim_poll_until(s, POLL_US, finished, (void *)st))
			return false;
	}
	return true;
}

void
plans_reset(void)
{
	memset(&pl, 0, sizeof(pl));
}

const char *
plans_verify(struct sim *s)
{
	(void)s;
	return pl.refused[0] != 0 ? pl.refused : NULL;
}
