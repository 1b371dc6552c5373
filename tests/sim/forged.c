/* Forged messages against the core's bounds (dp/core/bounds.c), in the
 * middle of a checked workload with deletion GC. Each forgery is what an
 * attacker past the transport (or a corrupted datagram) could deliver, and
 * each used to wedge something: a PREPARE at the largest ballot locked its
 * key (the proposer's ++counter wrapped), a CONFLICT naming it wrapped the
 * proposer's counter, a tombstone and REMOVE under it raised a partition's
 * floor past every ballot, an ACCEPT at the largest version wrapped the
 * next write's. With the bounds every one is refused and counted, the
 * clients finish and the history stays linearizable. The negative twin
 * (no bounds, forged PREPAREs alone, which change no value) must be caught:
 * the wrapped counter makes proposers reuse ballots, which the ballot
 * monitor reports, and the key's clients stall.
 */
#include <string.h>

#include "scenario.h"

enum { FORGE_PREPARE, FORGE_CONFLICT, FORGE_FLOOR, FORGE_VERSION, FORGE_KINDS };

static const struct pk_ballot max_ballot = { .counter = UINT64_MAX, .incarnation = UINT32_MAX,
					     .node = 1, .worker = 0 };

/* A peer message about a random key, from a node other than <to>. */
static struct pk_msg
forged(struct sim *s, uint8_t type, uint16_t to, const char **key)
{
	struct pk_msg m;
	uint16_t from = (uint16_t)((to + 1 + sim_rand(s) % (s->p.nodes - 1)) % s->p.nodes);

	*key = s->keys[sim_rand(s) % s->p.keys];
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.peer.node = from;
	m.peer.worker = pk_partition_of(*key, strlen(*key), (uint16_t)s->p.workers);
	m.peer.incarnation = UINT32_MAX;
	m.peer.epoch = s->cfg.epoch;
	m.peer.token = sim_rand(s);
	m.ballot = max_ballot;
	m.ballot.node = from;
	m.ballot.worker = m.peer.worker;
	m.key = (const uint8_t *)*key;
	m.key_len = (uint16_t)strlen(*key);
	return m;
}

static void
forge_one(struct sim *s, unsigned int kind)
{
	uint16_t to = (uint16_t)(sim_rand(s) % s->p.nodes);
	const char *key;
	struct pk_msg m;

	switch (kind) {
	case FORGE_PREPARE:
		m = forged(s, PK_MSG_PREPARE, to, &key);
		sim_forge(s, to, &m);
		break;
	case FORGE_CONFLICT:
		/* To a proposer, as a refusal naming the largest ballot. */
		m = forged(s, PK_MSG_CONFLICT, to, &key);
		m.ballot.counter = 1 + sim_rand(s) % 8;
		m.phase = PK_MSG_PREPARE;
		m.reason = PK_CONFLICT;
		m.ballot2 = max_ballot;
		m.key = NULL;
		m.key_len = 0;
		sim_forge(s, to, &m);
		break;
	case FORGE_FLOOR:
		m = forged(s, PK_MSG_ACCEPT, to, &key);
		m.state.kind = PK_KIND_TOMBSTONE;
		m.state.version = 1;
		m.state.origin = m.ballot;
		sim_forge(s, to, &m);
		m.type = PK_MSG_REMOVE;
		memset(&m.state, 0, sizeof(m.state));
		sim_forge(s, to, &m);
		break;
	default:
		/* A sane ballot, an insane version. */
		m = forged(s, PK_MSG_ACCEPT, to, &key);
		m.ballot.counter = 1 + sim_rand(s) % 8;
		m.state.kind = PK_KIND_VALUE;
		m.state.version = UINT64_MAX - 1;
		m.state.len = 1;
		m.state.data = (const uint8_t *)"9";
		m.state.origin = m.ballot;
		sim_forge(s, to, &m);
		break;
	}
}

#define SWEEP (1ull << 40)	/* script arg: a GC sweep, not a forgery */

void
forged_start(struct sim *s)
{
	sim_schedule_script(s, 500, 0);
	sim_schedule_script(s, 1000, SWEEP);
}

/* Every kind in turn, every 0.5..2 ms, with GC sweeps on every node. */
void
forged_script(struct sim *s, uint64_t arg)
{
	if (arg & SWEEP) {
		for (uint16_t n = 0; n < s->p.nodes; n++)
			sim_gc_sweep(s, n);
		sim_schedule_script(s, 1000 + sim_rand(s) % 2000, SWEEP);
		return;
	}
	forge_one(s, (unsigned int)(arg % FORGE_KINDS));
	sim_schedule_script(s, 500 + sim_rand(s) % 1500, arg + 1);
}

/* The negative twin: a few maximum PREPAREs only. */
void
forged_prepares_script(struct sim *s, uint64_t arg)
{
	if (arg & SWEEP)
		return;
	forge_one(s, FORGE_PREPARE);
	if (arg < 8)
		sim_schedule_script(s, 500 + sim_rand(s) % 1500, arg + 1);
}

const char *
forged_verify(struct sim *s)
{
	return SIM_STAT(s, peer_bounds_refused) > 0 ? NULL : "no forged message was refused";
}
