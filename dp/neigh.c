/* Neighbour table (see neigh.h). Fields shared between lcores are accessed
 * with relaxed atomics: each is meaningful on its own, and a hop is a single
 * word, so a reader never sees half of one MAC and half of another.
 */
#include <string.h>

#include "neigh.h"

#define PROBE_FAST_US 100000u
#define PROBE_SLOW_US 1000000u
#define PROBE_FAST_TRIES 10
#define REFRESH_US 60000000u

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

static uint64_t
hop_pack(const uint8_t mac[6], uint16_t port)
{
	uint64_t h = (uint64_t)port << 48;

	for (int i = 0; i < 6; i++)
		h |= (uint64_t)mac[i] << (8 * i);
	return h;
}

static void
hop_unpack(uint64_t h, struct dp_hop *hop)
{
	for (int i = 0; i < 6; i++)
		hop->mac[i] = (uint8_t)(h >> (8 * i));
	hop->port = (uint16_t)(h >> 48);
}

/* Confirmed by a checked peer datagram within DP_NEIGH_TRUST_US. */
static bool
trusted(const struct dp_neigh_entry *e, uint64_t now)
{
	uint64_t v = LOAD(&e->verified_us);

	/* Signed: <v> may be a hair ahead of this lcore's <now> (another
	 * lcore's clock, or now | 1), which is recent, not ancient.
	 */
	return v != 0 && (int64_t)(now - v) < (int64_t)DP_NEIGH_TRUST_US;
}

static struct dp_neigh_entry *
find(const struct dp_neigh *t, uint32_t ip)
{
	for (unsigned int i = 0; i < t->n; i++)
		if (t->e[i].ip == ip)
			return (struct dp_neigh_entry *)&t->e[i];
	return NULL;
}

void
dp_neigh_init(struct dp_neigh *t, const struct dp_options *o, uint64_t now)
{
	memset(t, 0, sizeof(*t));
	for (unsigned int i = 0; i < o->nmembers; i++) {
		struct dp_neigh_entry *e;

		if (o->members[i].id == o->node)
			continue;
		e = &t->e[t->n++];
		e->ip = o->members[i].ip;
		e->state = DP_NEIGH_PENDING;
		e->next_probe = now;
	}
	for (unsigned int i = 0; i < o->nneighbours; i++) {
		const struct dp_neighbour *s = &o->neighbours[i];
		struct dp_neigh_entry *e = find(t, s->ip);

		if (e == NULL)
			e = &t->e[t->n++];	/* a static entry for a non-member: allowed */
		e->ip = s->ip;
		e->hop = hop_pack(s->mac, s->port);
		e->state = DP_NEIGH_STATIC;
	}
}

bool
dp_neigh_lookup(const struct dp_neigh *t, uint32_t ip, struct dp_hop *hop)
{
	const struct dp_neigh_entry *e = find(t, ip);

	/* The state is published after the hop (release in learn). */
	if (e == NULL || __atomic_load_n(&e->state, __ATOMIC_ACQUIRE) == DP_NEIGH_PENDING)
		return false;
	hop_unpack(LOAD(&e->hop), hop);
	return true;
}

bool
dp_neigh_learn(struct dp_neigh *t, uint32_t ip, const uint8_t mac[6], uint16_t port, uint64_t now,
	       bool verified)
{
	struct dp_neigh_entry *e = find(t, ip);
	uint64_t h = hop_pack(mac, port);
	uint8_t state;

	if (e == NULL)
		return false;
	state = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
	if (state == DP_NEIGH_STATIC)
		return false;
	/* A forged ARP frame must not re-point an entry checked traffic
	 * confirms (a cut-off, or a man in the middle).
	 */
	if (!verified && state == DP_NEIGH_RESOLVED && trusted(e, now))
		return false;
	/* Written rarely, so the line stays unshared; never 0 ("never"). */
	if (verified && (LOAD(&e->verified_us) == 0 ||
			 LOAD(&e->verified_us) + DP_NEIGH_TRUST_US / 10 < now))
		STORE(&e->verified_us, now | 1);
	if (state == DP_NEIGH_RESOLVED && LOAD(&e->hop) == h) {
		/* Unchanged: checked traffic pushes the refresh out, writing
		 * only when it is due within half its period (keeps the line
		 * unshared). An ARP answer alone does not: an entry nothing
		 * checked confirms is probed every second.
		 */
		if (verified && LOAD(&e->next_probe) < now + REFRESH_US / 2) {
			STORE(&e->next_probe, now + REFRESH_US);
			STORE(&e->probes, 0);
		}
		return false;
	}
	STORE(&e->hop, h);
	STORE(&e->probes, 0);
	STORE(&e->next_probe, now + REFRESH_US);
	__atomic_store_n(&e->state, (uint8_t)DP_NEIGH_RESOLVED, __ATOMIC_RELEASE);
	return true;
}

unsigned int
dp_neigh_due(struct dp_neigh *t, uint64_t now, uint32_t *ips, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < t->n && n < max; i++) {
		struct dp_neigh_entry *e = &t->e[i];
		uint8_t state = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
		uint32_t probes;

		if (state == DP_NEIGH_STATIC || LOAD(&e->next_probe) > now)
			continue;
		ips[n++] = e->ip;
		probes = LOAD(&e->probes) + 1;
		STORE(&e->probes, probes);
		if (state == DP_NEIGH_RESOLVED)	/* refresh, keep using it */
			STORE(&e->next_probe, now + (trusted(e, now) ? REFRESH_US : PROBE_SLOW_US));
		else
			STORE(&e->next_probe,
			      now + (probes < PROBE_FAST_TRIES ? PROBE_FAST_US : PROBE_SLOW_US));
	}
	return n;
}
