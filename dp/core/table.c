/* The key table: the core's own open-addressing index with linear probing
 * (backward-shift deletion, so lookups never need tombstone slots), or the
 * host's index (see table.h). Records leave only through the GC (gc.c).
 */
#include <assert.h>
#include <string.h>

#include "table.h"

int
pk_table_init(struct pk_table *t, struct pk_mem *mem, uint32_t max_keys)
{
	uint32_t size = 16;

	t->ops = mem->env.index;
	t->count = 0;
	t->max = max_keys;
	t->mem = mem;
	t->slots = NULL;
	t->recent = NULL;
	if (t->ops != NULL) {
		t->recent = pk_mem_zalloc(mem, PK_TABLE_RECENT * sizeof(*t->recent));
		if (t->recent == NULL)
			return -1;
		t->index = t->ops->create(mem->env.ctx, max_keys);
		if (t->index == NULL) {
			pk_mem_free(mem, t->recent);
			t->recent = NULL;
			return -1;
		}
		return 0;
	}
	while (size < 2 * (uint64_t)max_keys && size < (1u << 31))
		size <<= 1;
	t->slots = pk_mem_zalloc(mem, (size_t)size * sizeof(*t->slots));
	if (t->slots == NULL)
		return -1;
	t->mask = size - 1;
	return 0;
}

static void
rec_free(void *arg, void *rec)
{
	struct pk_table *t = arg;
	struct pk_rec *r = rec;

	pk_blob_unref(t->mem, r->value);
	pk_blob_unref(t->mem, r->cache_value);
	pk_mem_free(t->mem, r);
}

void
pk_table_collect(struct pk_table *t)
{
	while (t->garbage != NULL) {
		struct pk_rec *r = t->garbage;

		t->garbage = r->next_garbage;
		pk_mem_free(t->mem, r);
	}
}

void
pk_table_fini(struct pk_table *t)
{
	pk_table_collect(t);
	if (t->ops != NULL) {
		if (t->index != NULL)
			t->ops->destroy(t->index, rec_free, t);
		t->index = NULL;
		pk_mem_free(t->mem, t->recent);
		t->recent = NULL;
		pk_mem_collect(t->mem);
		return;
	}
	if (t->slots == NULL)
		return;
	for (uint32_t i = 0; i <= t->mask; i++)
		if (t->slots[i] != NULL)
			rec_free(t, t->slots[i]);
	pk_mem_collect(t->mem);
	pk_mem_free(t->mem, t->slots);
	t->slots = NULL;
}

static bool
rec_is(const struct pk_rec *r, const uint8_t *key, uint16_t len, uint32_t hash)
{
	return r->hash == hash && r->key_len == len && memcmp(r->key, key, len) == 0;
}

/* The slot of a key's hash among the recent records. Not its low bits:
 * with P (a power of two) partitions, the keys of one partition all share
 * hash mod P; a multiplicative mix spreads them.
 */
uint32_t
pk_table_recent_slot(uint32_t hash)
{
	return (hash * 0x9e3779b1u) >> 24;
}

_Static_assert(PK_TABLE_RECENT == 1u << 8, "pk_table_recent_slot keeps 8 bits");

/* The host index, through the recent records. */
static struct pk_rec *
host_find(const struct pk_table *t, const uint8_t *key, uint16_t len, uint32_t hash)
{
	struct pk_rec **slot = &t->recent[pk_table_recent_slot(hash)];
	struct pk_rec *r = *slot;

	if (r != NULL && rec_is(r, key, len, hash))
		return r;
	r = t->ops->find(t->index, key, len, hash);
	if (r != NULL)
		*slot = r;
	return r;
}

struct pk_rec *
pk_table_find(const struct pk_table *t, const uint8_t *key, uint16_t len, uint32_t hash)
{
	if (t->ops != NULL)
		return host_find(t, key, len, hash);
	for (uint32_t i = hash & t->mask;; i = (i + 1) & t->mask) {
		struct pk_rec *r = t->slots[i];

		if (r == NULL || rec_is(r, key, len, hash))
			return r;
	}
}

static struct pk_rec *
rec_new(struct pk_table *t, const uint8_t *key, uint16_t len, uint32_t hash)
{
	struct pk_rec *r = pk_mem_zalloc(t->mem, sizeof(*r) + len);

	if (r == NULL)
		return NULL;
	r->hash = hash;
	r->key_len = len;
	memcpy(r->key, key, len);
	return r;
}

struct pk_rec *
pk_table_get(struct pk_table *t, const uint8_t *key, uint16_t len, uint32_t hash)
{
	uint32_t i;
	struct pk_rec *r;

	if (t->ops != NULL) {
		r = host_find(t, key, len, hash);
		if (r != NULL || t->count >= t->max)
			return r;
		r = rec_new(t, key, len, hash);
		if (r != NULL && t->ops->insert(t->index, r->key, len, hash, r) != 0) {
			pk_mem_free(t->mem, r);
			r = NULL;
		}
		if (r != NULL)
			t->recent[pk_table_recent_slot(hash)] = r;
	} else {
		for (i = hash & t->mask; t->slots[i] != NULL; i = (i + 1) & t->mask)
			if (rec_is(t->slots[i], key, len, hash))
				return t->slots[i];
		if (t->count >= t->max)
			return NULL;
		r = rec_new(t, key, len, hash);
		if (r != NULL)
			t->slots[i] = r;
	}
	if (r != NULL)
		t->count++;
	return r;
}

/* Empties slot <i> and shifts back the entries of its probe run that may
 * move, so every key stays reachable from its home slot without gaps.
 */
static void
own_delete(struct pk_table *t, uint32_t i)
{
	uint32_t j = i;

	t->slots[i] = NULL;
	for (;;) {
		uint32_t home;

		j = (j + 1) & t->mask;
		if (t->slots[j] == NULL)
			return;
		home = t->slots[j]->hash & t->mask;
		/* The entry at j stays unless its home lies cyclically
		 * outside (i, j].
		 */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		t->slots[i] = t->slots[j];
		t->slots[j] = NULL;
		i = j;
	}
}

void
pk_table_remove(struct pk_table *t, struct pk_rec *r)
{
	if (t->ops != NULL) {
		struct pk_rec **slot = &t->recent[pk_table_recent_slot(r->hash)];

		if (*slot == r)
			*slot = NULL;	/* it is freed after a grace period */
		t->ops->remove(t->index, r->key, r->key_len, r->hash);
	} else {
		uint32_t i = r->hash & t->mask;

		while (t->slots[i] != r)
			i = (i + 1) & t->mask;
		own_delete(t, i);
	}
	assert(t->count > 0);
	t->count--;
	pk_blob_unref(t->mem, r->value);
	pk_blob_unref(t->mem, r->cache_value);
	r->value = NULL;
	r->cache_value = NULL;
	r->next_garbage = t->garbage;
	t->garbage = r;
}
