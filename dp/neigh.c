/* Neighbour table (see neigh.h). */
#include <string.h>

#include "neigh.h"

#define PROBE_FAST_US 100000u
#define PROBE_SLOW_US 1000000u
#define PROBE_FAST_TRIES 10
#define REFRESH_US 60000000u

static struct dp_neigh_entry *
find(struct dp_neigh *t, uint32_t ip)
{
	for (unsigned int i = 0; i < t->n; i++)
		if (t->e[i].ip == ip)
			return &t->e[i];
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
		memcpy(e->mac, s->mac, 6);
		e->port = s->port;
		e->state = DP_NEIGH_STATIC;
	}
}

const struct dp_neigh_entry *
dp_neigh_lookup(const struct dp_neigh *t, uint32_t ip)
{
	for (unsigned int i = 0; i < t->n; i++)
		if (t->e[i].ip == ip)
			return t->e[i].state == DP_NEIGH_PENDING ? NULL : &t->e[i];
	return NULL;
}

bool
dp_neigh_learn(struct dp_neigh *t, uint32_t ip, const uint8_t mac[6], uint16_t port, uint64_t now)
{
	struct dp_neigh_entry *e = find(t, ip);
	bool changed;

	if (e == NULL || e->state == DP_NEIGH_STATIC)
		return false;
	changed = e->state != DP_NEIGH_RESOLVED || memcmp(e->mac, mac, 6) != 0 || e->port != port;
	memcpy(e->mac, mac, 6);
	e->port = port;
	e->state = DP_NEIGH_RESOLVED;
	e->probes = 0;
	e->next_probe = now + REFRESH_US;
	return changed;
}

unsigned int
dp_neigh_due(struct dp_neigh *t, uint64_t now, uint32_t *ips, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < t->n && n < max; i++) {
		struct dp_neigh_entry *e = &t->e[i];

		if (e->state == DP_NEIGH_STATIC || e->next_probe > now)
			continue;
		ips[n++] = e->ip;
		e->probes++;
		if (e->state == DP_NEIGH_RESOLVED)
			e->next_probe = now + REFRESH_US;	/* refresh, keep using it */
		else
			e->next_probe = now + (e->probes < PROBE_FAST_TRIES ? PROBE_FAST_US
									    : PROBE_SLOW_US);
	}
	return n;
}
