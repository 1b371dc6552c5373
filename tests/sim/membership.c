/* The gryadka membership scenario a3.a4 (docs/CASPAXOS.md section 4;
 * gryadka simulation/membership), the simulator acting as the membership
 * controller by hand rather than through the planner: it checks the
 * protocol, not the procedure, by running old (A{0..2}/2), transitional
 * (P{0..2}/2, A{0..3}/3) and final (P=A={0..3}/3) proposers at once, with
 * a rescan (x -> x on every key) before the prepare list grows. The
 * planned procedures run in steps.c (the other membership scenarios).
 *
 * "Every proposer runs the new config" is a barrier: after switching, the
 * program waits longer than any phase can last (3 phase timeouts) before
 * the next step, so no round started under the old config still counts.
 */
#include <string.h>

#include "scenario.h"
#include "workload.h"

#define PHASE_WRITES 10
#define POLL_US 500
#define HOT_KEYS 2		/* keys the clients keep writing; the rest go cold */

static struct pk_config cfgs[3];

static const struct pk_config *
majorities(unsigned int i, uint16_t prepare, uint16_t accept)
{
	cfgs[i] = (struct pk_config){ .epoch = i + 2, .prepare_mask = prepare,
				      .accept_mask = accept, .prepare_quorum = pk_majority(prepare),
				      .accept_quorum = pk_majority(accept), .one_rtt = true };
	return &cfgs[i];
}

/* Switches the nodes of <nodes> to <c>, then waits out the barrier. */
static bool
switch_to(struct sim *s, uint16_t nodes, const struct pk_config *c)
{
	for (uint16_t n = 0; n < s->p.nodes; n++)
		if ((nodes & pk_node_bit(n)) != 0)
			sim_set_config(s, n, c);
	return sim_wait(s, 3 * s->p.tuning.phase_timeout);
}

static struct sim_client *
writer(struct sim *s, uint16_t nodes)
{
	struct sim_client *c = sim_add_client(s, SIM_WL_INC, nodes, 1000000);

	c->hot_keys = HOT_KEYS;
	return c;
}

static void
stop(struct sim_client *c)
{
	c->target = c->done;
}

/* Both writers made PHASE_WRITES more writes from here on. */
struct two_progress {
	struct sim_client *a, *b;
	uint32_t a0, b0;
};

static bool
both_progressed(struct sim *s, void *arg)
{
	const struct two_progress *t = arg;

	(void)s;
	return t->a->done >= t->a0 + PHASE_WRITES && t->b->done >= t->b0 + PHASE_WRITES;
}

static bool
progress(struct sim *s, struct sim_client *a, struct sim_client *b)
{
	struct two_progress t = { .a = a, .b = b, .a0 = a->done, .b0 = b->done };

	return sim_poll_until(s, POLL_US, both_progressed, &t);
}

void
a3a4_program(struct sim *s)
{
	const struct pk_config *transitional, *final;
	struct sim_client *c0, *c1, *c2, *c3, *c4, *c5, *fill, *scan;

	/* Node 3 is the new acceptor: up, empty, in no list yet. */
	(void)switch_to(s, 0xf, majorities(0, 0x7, 0x7));
	fill = sim_add_client(s, SIM_WL_FILL, 0x3, s->p.keys);
	if (!sim_until_done(s, fill))
		return;
	/* Old config: c0 on p0, c1 on p1. */
	c0 = writer(s, 0x1);
	c1 = writer(s, 0x2);
	if (!progress(s, c0, c1))
		return;
	/* p2, p3 transitional: old (c0) and transitional (c2) at once. */
	stop(c1);
	transitional = majorities(1, 0x7, 0xf);
	c2 = writer(s, 0xc);
	if (!switch_to(s, 0xc, transitional) || !progress(s, c0, c2))
		return;
	/* p0, p1 transitional too: every proposer is; rescan. */
	stop(c0);
	c3 = writer(s, 0x3);
	if (!switch_to(s, 0x3, transitional))
		return;
	scan = sim_add_client(s, SIM_WL_SCAN, 0xf, s->p.keys);
	if (!sim_until_done(s, scan) || !progress(s, c2, c3))
		return;
	/* p2, p3 final: transitional (c3) and final (c4) at once. */
	stop(c2);
	final = majorities(2, 0xf, 0xf);
	c4 = writer(s, 0xc);
	if (!switch_to(s, 0xc, final) || !progress(s, c3, c4))
		return;
	/* p0, p1 final. */
	stop(c3);
	c5 = writer(s, 0xf);
	if (!switch_to(s, 0x3, final) || !progress(s, c4, c5))
		return;
	stop(c4);
	stop(c5);
	/* Every key read back; the checker compares each cold key with its
	 * fill.
	 */
	sim_add_client(s, SIM_WL_SCAN, 0xf, s->p.keys);
}
