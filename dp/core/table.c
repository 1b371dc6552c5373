/* Open-addressing key table with linear probing. Records are never removed
 * here: physical deletion belongs to the GC, which will add tombstone-aware
 * removal with backward-shift deletion.
 */
#include <string.h>

#include "table.h"

int
pk_table_init(struct pk_table *t, struct pk_mem *mem, uint32_t max_keys)
{
	uint32_t size = 16;

	while (size < 2 * (uint64_t)max_keys && size < (1u << 31))
		size <<= 1;
	t->slots = pk_mem_zalloc(mem, (size_t)size * sizeof(*t->slots));
	if (t->slots == NULL)
		return -1;
	t->mask = size - 1;
	t->count = 0;
	t->max = max_keys;
	t->mem = mem;
	return 0;
}

void
pk_table_fini(struct pk_table *t)
{
	if (t->slots == NULL)
		return;
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct pk_rec *r = t->slots[i];

		if (r == NULL)
			continue;
		pk_blob_unref(t->mem, r->value);
		pk_blob_unref(t->mem, r->cache_value);
		pk_mem_free(t->mem, r);
	}
	pk_mem_collect(t->mem);
	pk_mem_free(t->mem, t->slots);
	t->slots = NULL;
}

static bool
rec_is(const struct pk_rec *r, const uint8_t *key, uint16_t len, uint32_t hash)
{
	return r->hash == hash && r->key_len == len && memcmp(r->key, key, len) == 0;
}

struct pk_rec *
pk_table_find(const struct pk_table *t, const uint8_t *key, uint16_t len, uint32_t hash)
{
	for (uint32_t i = hash & t->mask;; i = (i + 1) & t->mask) {
		struct pk_rec *r = t->slots[i];

		if (r == NULL || rec_is(r, key, len, hash))
			return r;
	}
}

struct pk_rec *
pk_table_get(struct pk_table *t, const uint8_t *key, uint16_t len, uint32_t hash)
{
	uint32_t i;
	struct pk_rec *r;

	for (i = hash & t->mask; t->slots[i] != NULL; i = (i + 1) & t->mask) {
		if (rec_is(t->slots[i], key, len, hash))
			return t->slots[i];
	}
	if (t->count >= t->max)
		return NULL;
	r = pk_mem_zalloc(t->mem, sizeof(*r) + len);
	if (r == NULL)
		return NULL;
	r->hash = hash;
	r->key_len = len;
	memcpy(r->key, key, len);
	t->slots[i] = r;
	t->count++;
	return r;
}
