/* Safety monitors for the simulator (see monitor.h). Keys are identified by
 * a 64-bit FNV hash: the simulator uses a handful of short keys.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "monitor.h"

struct mon_ballot {
	bool used;
	bool chosen;
	uint8_t quorum;		/* accept quorum of the sender's config */
	uint16_t accept_mask;	/* accept list of the sender's config */
	uint16_t holders;	/* acceptors that accepted it */
	uint64_t khash;
	struct pk_ballot b;
	uint64_t digest;
	uint64_t version;
};

struct mon_chosen {
	bool used;
	uint64_t khash;
	struct pk_ballot b;
	uint64_t digest;
	uint64_t version;
};

static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static uint64_t
key_hash(const uint8_t *key, uint16_t len)
{
	return fnv(1469598103934665603ull, key, len);
}

static uint64_t
ballot_hash(uint64_t khash, const struct pk_ballot *b)
{
	uint64_t h = khash ^ (b->counter * 0x9e3779b97f4a7c15ull);

	h ^= ((uint64_t)b->incarnation << 32 | (uint64_t)b->node << 16 | b->worker) *
	     0xc2b2ae3d27d4eb4full;
	return h;
}

/* A state's identity: its kind, version and bytes. A tombstone and an
 * ABSENT state at one version are the same state (a key deleted there):
 * once the GC removed a tombstone, a read of the key writes back ABSENT at
 * the floor version, which loses nothing.
 */
static uint64_t
state_digest(const struct pk_wstate *st)
{
	uint8_t kind = st->kind == PK_KIND_VALUE ? PK_KIND_VALUE : PK_KIND_ABSENT;
	uint64_t h = fnv(1469598103934665603ull, &kind, 1);

	h = fnv(h, &st->version, sizeof(st->version));
	return st->len > 0 ? fnv(h, st->data, st->len) : h;
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		abort();
	return p;
}

void
mon_init(struct monitor *m)
{
	memset(m, 0, sizeof(*m));
	m->cap = 4096;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	m->chosen_cap = 256;
	m->chosen = xcalloc(m->chosen_cap, sizeof(*m->chosen));
	m->prep_cap = 4096;
	m->prepares = xcalloc(m->prep_cap, sizeof(*m->prepares));
}

void
mon_fini(struct monitor *m)
{
	free(m->slots);
	free(m->chosen);
	free(m->prepares);
}

static void
violation(struct monitor *m, const char *what, const struct pk_ballot *b, uint64_t v1,
	  uint64_t v2)
{
	if (m->violations++ == 0)
		snprintf(m->first, sizeof(m->first),
			 "%s at ballot (%" PRIu64 ", inc %u, node %u, worker %u): versions %" PRIu64
			 " and %" PRIu64, what, b->counter, b->incarnation, b->node, b->worker, v1,
			 v2);
}

static struct mon_ballot *
slot_get(struct monitor *m, uint64_t khash, const struct pk_ballot *b)
{
	uint32_t i;

	if (2 * (m->n + 1) > m->cap) {
		struct mon_ballot *old = m->slots;
		uint32_t old_cap = m->cap;

		m->cap *= 2;
		m->slots = xcalloc(m->cap, sizeof(*m->slots));
		for (uint32_t j = 0; j < old_cap; j++) {
			if (!old[j].used)
				continue;
			i = (uint32_t)ballot_hash(old[j].khash, &old[j].b) & (m->cap - 1);
			while (m->slots[i].used)
				i = (i + 1) & (m->cap - 1);
			m->slots[i] = old[j];
		}
		free(old);
	}
	for (i = (uint32_t)ballot_hash(khash, b) & (m->cap - 1); m->slots[i].used;
	     i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].khash == khash && pk_ballot_cmp(&m->slots[i].b, b) == 0)
			return &m->slots[i];
	}
	m->slots[i].used = true;
	m->slots[i].khash = khash;
	m->slots[i].b = *b;
	m->n++;
	return &m->slots[i];
}

static struct mon_chosen *
chosen_get(struct monitor *m, uint64_t khash)
{
	uint32_t i;

	for (i = (uint32_t)khash & (m->chosen_cap - 1); m->chosen[i].used;
	     i = (i + 1) & (m->chosen_cap - 1)) {
		if (m->chosen[i].khash == khash)
			return &m->chosen[i];
	}
	return &m->chosen[i];	/* unused: the caller fills it */
}

static void check_chosen(struct monitor *m, struct mon_ballot *e);

void
mon_prepare(struct monitor *m, const struct pk_ballot *b)
{
	uint64_t h = ballot_hash(0, b) | 1;
	uint32_t i;

	if (2 * (m->prep_n + 1) > m->prep_cap) {
		uint64_t *old = m->prepares;
		uint32_t old_cap = m->prep_cap;

		m->prep_cap *= 2;
		m->prepares = xcalloc(m->prep_cap, sizeof(*m->prepares));
		for (uint32_t j = 0; j < old_cap; j++) {
			if (old[j] == 0)
				continue;
			i = (uint32_t)old[j] & (m->prep_cap - 1);
			while (m->prepares[i] != 0)
				i = (i + 1) & (m->prep_cap - 1);
			m->prepares[i] = old[j];
		}
		free(old);
	}
	for (i = (uint32_t)h & (m->prep_cap - 1); m->prepares[i] != 0; i = (i + 1) & (m->prep_cap - 1)) {
		if (m->prepares[i] == h) {
			violation(m, "ballot reused by a new PREPARE", b, 0, 0);
			return;
		}
	}
	m->prepares[i] = h;
	m->prep_n++;
}

void
mon_accept_sent(struct monitor *m, const uint8_t *key, uint16_t key_len,
		const struct pk_ballot *b, const struct pk_wstate *st, const struct pk_config *cfg)
{
	struct mon_ballot *e = slot_get(m, key_hash(key, key_len), b);
	uint64_t d = state_digest(st);

	if (e->digest != 0 && e->digest != d) {
		violation(m, "two values sent under one ballot", b, e->version, st->version);
		return;
	}
	e->digest = d;
	e->version = st->version;
	e->accept_mask = cfg->accept_mask;
	e->quorum = cfg->accept_quorum;
	check_chosen(m, e);
}

/* True when (v, d) descends from (anc_v, anc_d) in the version chain. */
static bool
descends(uint64_t v, uint64_t d, uint64_t anc_v, uint64_t anc_d)
{
	return v > anc_v || (v == anc_v && d == anc_d);
}

/* Marks <e> chosen once a quorum of the accept list it was sent to holds
 * it, and checks it against the key's highest chosen ballot.
 */
static void
check_chosen(struct monitor *m, struct mon_ballot *e)
{
	struct mon_chosen *c = chosen_get(m, e->khash);

	if (e->chosen || e->quorum == 0 ||
	    (unsigned int)__builtin_popcount(e->holders & e->accept_mask) < e->quorum)
		return;
	e->chosen = true;
	m->chosen_events++;
	if (!c->used) {
		*c = (struct mon_chosen){ true, e->khash, e->b, e->digest, e->version };
		return;
	}
	if (pk_ballot_cmp(&e->b, &c->b) > 0) {
		if (!descends(e->version, e->digest, c->version, c->digest))
			violation(m, "chosen value lost: a later chosen value does not descend",
				  &e->b, c->version, e->version);
		c->b = e->b;
		c->digest = e->digest;
		c->version = e->version;
	} else if (!descends(c->version, c->digest, e->version, e->digest)) {
		violation(m, "chosen value lost: chosen late below a non-descendant", &e->b,
			  c->version, e->version);
	}
}

void
mon_accepted(struct monitor *m, uint16_t node, const uint8_t *key, uint16_t key_len,
	     const struct pk_ballot *b, const struct pk_wstate *st)
{
	uint64_t khash = key_hash(key, key_len);
	struct mon_ballot *e = slot_get(m, khash, b);
	struct mon_chosen *c = chosen_get(m, khash);
	uint64_t d = state_digest(st);

	if (e->digest != 0 && e->digest != d)
		violation(m, "acceptors hold two values for one ballot", b, e->version,
			  st->version);
	e->digest = d;
	e->version = st->version;
	e->holders |= (uint16_t)(1u << node);
	/* Anything accepted above a chosen ballot must descend from it. */
	if (c->used && pk_ballot_cmp(b, &c->b) > 0 && !descends(st->version, d, c->version, c->digest))
		violation(m, "value accepted above a chosen one does not descend from it", b,
			  c->version, st->version);
	check_chosen(m, e);
}
