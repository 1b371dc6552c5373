/* Partition key index on cds_lfht (see index_lfht.h). Entries live in the
 * worker's jemalloc arena; at teardown (no reader left) they are freed at
 * once.
 */
#include <string.h>

#include <urcu/urcu-qsbr.h>
#include <urcu/rculfhash.h>

#include "index_lfht.h"
#include "memory.h"

#define INIT_BUCKETS_MAX (1u << 16)

struct dp_index {
	struct cds_lfht *ht;
	struct dp_mem *mem;
};

struct dp_index_entry {
	struct cds_lfht_node node;
	uint32_t hash;
	uint16_t len;
	const uint8_t *key;	/* inside the core's record */
	void *rec;
};

/* The core's key hash decides the partition (hash mod P), so within one
 * partition's table its low bits are all alike, and cds_lfht buckets by
 * the low bits: chains would be P times longer. A 64-bit finaliser
 * (MurmurHash3's) spreads every bit of it over the bucket bits.
 */
static unsigned long
spread(uint32_t hash)
{
	uint64_t h = hash;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (unsigned long)h;
}

struct lookup_key {
	const uint8_t *key;
	uint16_t len;
};

static int
match(struct cds_lfht_node *node, const void *arg)
{
	const struct dp_index_entry *e = caa_container_of(node, struct dp_index_entry, node);
	const struct lookup_key *k = arg;

	return e->len == k->len && memcmp(e->key, k->key, k->len) == 0;
}

static void *
index_create(void *ctx, uint32_t max_keys)
{
	struct dp_mem *mem = ctx;
	struct dp_index *ix = dp_mem_alloc(mem, sizeof(*ix));
	unsigned long init = 64;

	if (ix == NULL)
		return NULL;
	/* Start near the bound (up to 64 Ki buckets) so steady growth does
	 * not keep the resize thread busy; auto-resize covers the rest.
	 */
	while (init < max_keys && init < INIT_BUCKETS_MAX)
		init <<= 1;
	ix->mem = mem;
	ix->ht = cds_lfht_new_flavor(init, 64, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
				     &urcu_qsbr_flavor, NULL);
	if (ix->ht == NULL) {
		dp_mem_free(mem, ix);
		return NULL;
	}
	return ix;
}

static struct cds_lfht_node *
lookup(struct dp_index *ix, const uint8_t *key, uint16_t len, uint32_t hash)
{
	const struct lookup_key k = { key, len };
	struct cds_lfht_iter it;

	cds_lfht_lookup(ix->ht, spread(hash), match, &k, &it);
	return cds_lfht_iter_get_node(&it);
}

static void *
index_find(void *index, const uint8_t *key, uint16_t len, uint32_t hash)
{
	struct cds_lfht_node *node = lookup(index, key, len, hash);

	return node == NULL ? NULL : caa_container_of(node, struct dp_index_entry, node)->rec;
}

static int
index_insert(void *index, const uint8_t *key, uint16_t len, uint32_t hash, void *rec)
{
	struct dp_index *ix = index;
	struct dp_index_entry *e = dp_mem_alloc(ix->mem, sizeof(*e));

	if (e == NULL)
		return -1;
	cds_lfht_node_init(&e->node);
	e->hash = hash;
	e->len = len;
	e->key = key;
	e->rec = rec;
	cds_lfht_add(ix->ht, spread(hash), &e->node);
	return 0;
}

static void
index_remove(void *index, const uint8_t *key, uint16_t len, uint32_t hash)
{
	struct dp_index *ix = index;
	struct cds_lfht_node *node = lookup(ix, key, len, hash);

	if (node == NULL || cds_lfht_del(ix->ht, node) != 0)
		return;
	/* Readers walking the table may still hold the entry (and the key
	 * inside the record): both frees wait for a grace period.
	 */
	dp_mem_free(ix->mem, caa_container_of(node, struct dp_index_entry, node));
}

static void
index_destroy(void *index, void (*fn)(void *arg, void *rec), void *arg)
{
	struct dp_index *ix = index;
	struct cds_lfht_iter it;
	struct dp_index_entry *e;

	cds_lfht_for_each_entry(ix->ht, &it, e, node) {
		(void)cds_lfht_del(ix->ht, &e->node);
		fn(arg, e->rec);
		dp_mem_free(ix->mem, e);
	}
	/* Offline while destroying: a resize in flight may wait for a grace
	 * period, which an online caller would block.
	 */
	urcu_qsbr_thread_offline();
	(void)cds_lfht_destroy(ix->ht, NULL);
	urcu_qsbr_thread_online();
	dp_mem_free(ix->mem, ix);
}

const struct pk_index_ops dp_index_lfht_ops = {
	.create = index_create,
	.find = index_find,
	.insert = index_insert,
	.remove = index_remove,
	.destroy = index_destroy,
};

uint64_t
dp_index_lfht_walk(void *index,
		   int (*fn)(void *arg, const uint8_t *key, uint16_t len, const void *rec),
		   void *arg)
{
	struct dp_index *ix = index;
	struct cds_lfht_iter it;
	struct dp_index_entry *e;
	uint64_t n = 0;

	urcu_qsbr_read_lock();
	cds_lfht_for_each_entry(ix->ht, &it, e, node) {
		n++;
		if (fn(arg, e->key, e->len, e->rec) != 0)
			break;
	}
	urcu_qsbr_read_unlock();
	return n;
}
