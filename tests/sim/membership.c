/* Membership scenarios, the simulator acting as the membership controller
 * (docs/CASPAXOS.md section 4; gryadka simulation/membership):
 *
 *  a3.a4  3 -> 4 acceptors while old (A{0..2}/2), transitional (P{0..2}/2,
 *         A{0..3}/3) and final (P=A={0..3}/3) proposers run at once, with
 *         a rescan (x -> x on every key) before the prepare list grows.
 *  flux   three cycles of stretch (3 -> 4: accept list first, rescan, then
 *         prepare list) and shrink (4 -> 3: prepare list first, rescan,
 *         then accept list, then wipe the removed acceptor), with clients
 *         rotating onto the current proposers. Each shrink removes one of
 *         the original three acceptors, so after three cycles every one
 *         has been replaced: the sequence that loses all data without the
 *         rescans (paper, section 2.3). A removed acceptor comes back only
 *         wiped (new incarnation, empty) through the accept list.
 *
 * Only the first HOT_KEYS keys are written throughout; the others are
 * filled once at the start and read back at the end: cold keys are what the
 * rescans protect (a key written during a transition is re-replicated by
 * its own writes), so they are what would go missing without them.
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
	uint16_t members;		/* flux: current acceptor set */
	uint16_t removed;		/* flux: the node taken out (wiped) */
	uint16_t originals;		/* flux: original acceptors still in */
	unsigned int cycle;
	bool skip_rescan;		/* negative test: the paper's rescan skipped */
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
	if (ms.skip_rescan)
		return;
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

/* ---- flux ---- */

static uint16_t
lowest_outside(uint16_t set, unsigned int nodes)
{
	for (uint16_t n = 0; n < nodes; n++)
		if ((set & (1u << n)) == 0)
			return n;
	return 0;
}

static void
rotate_clients(uint16_t proposers)
{
	for (unsigned int i = 0; i < 2; i++)
		ms.c[i]->node_mask = proposers;
}

void
flux_script(struct sim *s, uint64_t arg)
{
	uint16_t all = (uint16_t)((1u << s->p.nodes) - 1);
	uint16_t joiner, grown;

	(void)arg;
	if (s->now < ms.wait_until) {
		sim_schedule_script(s, POLL_US, 0);
		return;
	}
	if (!ms.started) {
		if (filled(s, 0x7)) {
			ms.started = true;
			client(s, 0, 0x7);
			client(s, 1, 0x7);
		}
		sim_schedule_script(s, POLL_US, 0);
		return;
	}
	switch (ms.phase) {
	case 0:	/* stretch, step 1: a wiped joiner enters the accept list */
		if (!progressed(0) || !progressed(1))
			break;
		joiner = lowest_outside(ms.members, s->p.nodes);
		if (!s->nodes[joiner].up)
			sim_restart(s, joiner, true, false);
		grown = (uint16_t)(ms.members | (1u << joiner));
		install(s, all, new_config(ms.members, grown));
		rotate_clients(grown);
		mark();
		ms.phase = 1;
		break;
	case 1:	/* step 2: rescan through the transitional proposers */
		rescan(s, ms.members);
		ms.phase = 2;
		break;
	case 2:	/* step 3: the prepare list grows too */
		if (!rescan_done() || !progressed(0) || !progressed(1))
			break;
		ms.members = ms.cfgs[ms.ncfg - 1].accept_mask;
		install(s, all, new_config(ms.members, ms.members));
		mark();
		ms.phase = 3;
		break;
	case 3:	/* shrink, step 1: a random member leaves the prepare list */
		if (!progressed(0) || !progressed(1))
			break;
		ms.removed = (uint16_t)__builtin_ctz(ms.originals);
		ms.originals &= (uint16_t)~(1u << ms.removed);
		install(s, all, new_config((uint16_t)(ms.members & ~(1u << ms.removed)),
					   ms.members));
		rotate_clients((uint16_t)(ms.members & ~(1u << ms.removed)));
		mark();
		ms.phase = 4;
		break;
	case 4:	/* step 2: rescan */
		rescan(s, (uint16_t)(ms.members & ~(1u << ms.removed)));
		ms.phase = 5;
		break;
	case 5:	/* step 3: it leaves the accept list, then is wiped */
		if (!rescan_done() || !progressed(0) || !progressed(1))
			break;
		ms.members &= (uint16_t)~(1u << ms.removed);
		install(s, all, new_config(ms.members, ms.members));
		mark();
		ms.phase = 6;
		break;
	case 6:
		if (s->now < ms.wait_until || !progressed(0) || !progressed(1))
			break;
		sim_crash(s, ms.removed);
		mark();
		if (++ms.cycle == 3) {
			stop(ms.c[0]);
			stop(ms.c[1]);
			verify_all(s, ms.members);
			return;
		}
		ms.phase = 0;
		break;
	}
	sim_schedule_script(s, POLL_US, 0);
}

void
flux_setup(struct sim *s)
{
	memset(&ms, 0, sizeof(ms));
	ms.members = 0x7;
	ms.originals = 0x7;
	install(s, 0xf, new_config(0x7, 0x7));
	ms.wait_until = 0;
	filled(s, 0x7);
	s->hold = true;
	sim_crash(s, 3);	/* the spare starts off */
	sim_schedule_script(s, POLL_US, 0);
}

void
flux_no_rescan_setup(struct sim *s)
{
	flux_setup(s);
	ms.skip_rescan = true;
}

