/* A key's record as both roles share it: dropping the proposer's 1RTT
 * cache, freeing the record once neither role holds anything in it, and
 * telling the host's GC sweep which records it may hand over.
 */
#include "core.h"

void
pk_rec_drop_cache(struct pk_worker *w, struct pk_rec *rec)
{
	rec->cached = false;
	pk_blob_unref(&w->mem, rec->cache_value);
	rec->cache_value = NULL;
}

void
pk_rec_reclaim(struct pk_worker *w, struct pk_rec *r)
{
	bool cached = r->cached && r->cache_gen == w->cache_gen;

	/* A live 1RTT cache keeps a proposer-only record (the sweep drops
	 * it when it goes idle for good).
	 */
	if (r->round == NULL && r->q_head == NULL && !cached && pk_rec_is_fresh(r))
		pk_table_remove(&w->table, r);
}

bool
pk_rec_gc_candidate(const void *rec)
{
	const struct pk_rec *r = rec;
	const struct pk_blob *v = __atomic_load_n(&r->value, __ATOMIC_ACQUIRE);

	return v == NULL || v->kind != PK_KIND_VALUE;
}
