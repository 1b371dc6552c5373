/* The gryadka membership scenario a3.a4 (docs/CASPAXOS.md section 4;
 * gryadka simulation/membership), the simulator acting as the membership
 * controller by hand rather than through the planner: it checks the
 * protocol, not the procedure, by running old (A{0..2}/2), transitional
 * (P{0..2}/2, A{0..3}/3) and final (P=A={0..3}/3) proposers at once, with
 * a rescan (x -> x on every key) before the prepare list grows. The
 * planned procedures run in steps.c (the other membership scenarios).
 *
 * "Every proposer runs the new config" is a barrier: after switching, the
 * script waits longer than any phase can last (3 phase timeouts) before
 * the next step, so no round started under the old config still counts.
 */
#include <string.h>

#include "scenario.h"
#include "workload.h"

#define PHASE_WRITES 10
#define POLL_US 500
#define HOT_KEYS 2		/* keys the clients keep writing; the rest go cold */

struct mstate {
	unsigned int phase;
	uint64_t wait_until;		/* barrier: no step before this */
	struct pk_config cfgs[24];	/* every config ever installed */
	unsigned int ncfg;
	struct sim_client *c[8];
	uint32_t base[8];		/* client progress at phase start */
	struct sim_client *scan;
	struct sim_client *fill;
	bool started;			/* hot clients running: the fill is done */
};

static struct mstate ms;

static const struct pk_config *
new_config(uint16_t prepare, uint16_t accept)
{
	struct pk_config *c = &ms.cfgs[ms.ncfg++];

	c->epoch = ms.ncfg + 1;
	c->prepare_mask = prepare;
	c->accept_mask = accept;
	c->prepare_quorum = (uint8_t)(pk_mask_count(prepare) / 2 + 1);
	c->accept_quorum = (uint8_t)(pk_mask_count(accept) / 2 + 1);
	c->one_rtt = true;
	return c;
}

static void
install(struct sim *s, uint16_t nodes, const struct pk_config *c)
{
	for (uint16_t n = 0; n < s->p.nodes; n++)
		if ((nodes & (1u << n)) != 0)
			sim_set_config(s, n, c);
	ms.wait_until = s->now + 3 * s->p.tuning.phase_timeout;
}

static void
stop(struct sim_client *c)
{
	c->target = c->done;
}

static bool
progressed(unsigned int i)
{
	return ms.c[i]->done >= ms.base[i] + PHASE_WRITES;
}

static void
mark(void)
{
	for (unsigned int i = 0; i < 8; i++)
		if (ms.c[i] != NULL)
			ms.base[i] = ms.c[i]->done;
}

static struct sim_client *
client(struct sim *s, unsigned int i, uint16_t nodes)
{
	ms.c[i] = sim_add_client(s, SIM_WL_INC, nodes, 1000000);
	ms.c[i]->hot_keys = HOT_KEYS;
	ms.base[i] = 0;
	return ms.c[i];
}

/* Fills every key first; returns true once the fill is done. */
static bool
filled(struct sim *s, uint16_t nodes)
{
	if (ms.fill == NULL)
		ms.fill = sim_add_client(s, SIM_WL_FILL, nodes, s->p.keys);
	return ms.fill->done >= ms.fill->target;
}

/* The end: every key read back through <nodes>; the checker compares
 * each cold key with its fill.
 */
static void
verify_all(struct sim *s, uint16_t nodes)
{
	s->hold = false;
	ms.scan = sim_add_client(s, SIM_WL_SCAN, nodes, s->p.keys);
}

static void
rescan(struct sim *s, uint16_t nodes)
{
	ms.scan = sim_add_client(s, SIM_WL_SCAN, nodes, s->p.keys);
}

static bool
rescan_done(void)
{
	return ms.scan == NULL || ms.scan->done >= ms.scan->target;
}

/* ---- a3.a4 ---- */

void
a3a4_script(struct sim *s, uint64_t arg)
{
	(void)arg;
	if (s->now < ms.wait_until) {
		sim_schedule_script(s, POLL_US, 0);
		return;
	}
	if (!ms.started) {
		if (!filled(s, 0x3))
			goto again;
		ms.started = true;
		client(s, 0, 0x1);
		client(s, 1, 0x2);
		goto again;
	}
	switch (ms.phase) {
	case 0:	/* old config: c0 on p0, c1 on p1 */
		if (!progressed(0) || !progressed(1))
			break;
		stop(ms.c[1]);
		install(s, 0xc, new_config(0x7, 0xf));	/* p2, p3 transitional */
		client(s, 2, 0xc);
		mark();
		ms.phase = 1;
		break;
	case 1:	/* old (c0) and transitional (c2) proposers at once */
		if (!progressed(0) || !progressed(2))
			break;
		stop(ms.c[0]);
		install(s, 0x3, &ms.cfgs[1]);	/* p0, p1 transitional */
		client(s, 3, 0x3);
		mark();
		ms.phase = 2;
		break;
	case 2:	/* every proposer transitional: rescan */
		rescan(s, 0xf);
		ms.phase = 3;
		break;
	case 3:
		if (!rescan_done() || !progressed(3))
			break;
		stop(ms.c[2]);
		install(s, 0xc, new_config(0xf, 0xf));	/* p2, p3 final */
		client(s, 4, 0xc);
		mark();
		ms.phase = 4;
		break;
	case 4:	/* transitional (c3) and final (c4) proposers at once */
		if (!progressed(3) || !progressed(4))
			break;
		stop(ms.c[3]);
		install(s, 0x3, &ms.cfgs[2]);	/* p0, p1 final */
		client(s, 5, 0xf);
		mark();
		ms.phase = 5;
		break;
	case 5:
		if (!progressed(4) || !progressed(5))
			break;
		stop(ms.c[4]);
		stop(ms.c[5]);
		verify_all(s, 0xf);
		return;
	}
again:
	sim_schedule_script(s, POLL_US, 0);
}

void
a3a4_setup(struct sim *s)
{
	memset(&ms, 0, sizeof(ms));
	/* Node 3 is the new acceptor: up, empty, in no list yet. */
	install(s, 0xf, new_config(0x7, 0x7));
	ms.wait_until = 0;
	filled(s, 0x3);
	s->hold = true;
	sim_schedule_script(s, POLL_US, 0);
}
