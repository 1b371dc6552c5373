/* Bounded FIFO table of recent client requests (see dedupe.h). */
#include <string.h>

#include "dedupe.h"

#define NIL UINT32_MAX

static uint32_t
bucket_of(const struct pk_dedupe *d, uint64_t client_id, uint64_t request_id)
{
	uint64_t h = (client_id * 0x9e3779b97f4a7c15ull) ^ (request_id * 0xc2b2ae3d27d4eb4full);

	return (uint32_t)(h ^ (h >> 29)) & (d->size - 1);
}

int
pk_dedupe_init(struct pk_dedupe *d, struct pk_mem *mem, uint32_t size)
{
	uint32_t n = 16;

	while (n < size && n < (1u << 30))
		n <<= 1;
	memset(d, 0, sizeof(*d));
	d->mem = mem;
	d->size = n;
	d->entries = pk_mem_zalloc(mem, (size_t)n * sizeof(*d->entries));
	if (d->entries == NULL)
		return -1;
	d->buckets = pk_mem_alloc(mem, (size_t)n * sizeof(*d->buckets));
	if (d->buckets == NULL) {
		pk_mem_free(mem, d->entries);
		d->entries = NULL;
		return -1;
	}
	memset(d->buckets, 0xff, (size_t)n * sizeof(*d->buckets));
	return 0;
}

void
pk_dedupe_fini(struct pk_dedupe *d)
{
	if (d->entries == NULL)
		return;
	for (uint32_t i = 0; i < d->size; i++)
		pk_blob_unref(d->mem, d->entries[i].result);
	pk_mem_free(d->mem, d->entries);
	pk_mem_free(d->mem, d->buckets);
	d->entries = NULL;
}

struct pk_dedupe_entry *
pk_dedupe_find(struct pk_dedupe *d, uint64_t client_id, uint64_t request_id)
{
	for (uint32_t i = d->buckets[bucket_of(d, client_id, request_id)]; i != NIL;
	     i = d->entries[i].next) {
		struct pk_dedupe_entry *e = &d->entries[i];

		if (e->client_id == client_id && e->request_id == request_id)
			return e;
	}
	return NULL;
}

static void
forget(struct pk_dedupe *d, uint32_t idx)
{
	struct pk_dedupe_entry *e = &d->entries[idx];
	uint32_t *link = &d->buckets[bucket_of(d, e->client_id, e->request_id)];

	while (*link != idx)
		link = &d->entries[*link].next;
	*link = e->next;
	pk_blob_unref(d->mem, e->result);
	memset(e, 0, sizeof(*e));
	d->count--;
}

void
pk_dedupe_begin(struct pk_dedupe *d, uint64_t client_id, uint64_t request_id, uint8_t op)
{
	/* Slots are filled in ring order, so the one under the cursor holds
	 * the oldest entry (or a hole left by a forgotten one).
	 */
	uint32_t idx = d->cursor;
	uint32_t b = bucket_of(d, client_id, request_id);
	struct pk_dedupe_entry *e = &d->entries[idx];

	if (e->used)
		forget(d, idx);
	d->cursor = (idx + 1) & (d->size - 1);
	e->used = true;
	e->client_id = client_id;
	e->request_id = request_id;
	e->op = op;
	e->next = d->buckets[b];
	d->buckets[b] = idx;
	d->count++;
}

void
pk_dedupe_finish(struct pk_dedupe *d, uint64_t client_id, uint64_t request_id, bool keep,
		 uint8_t status, struct pk_blob *result)
{
	struct pk_dedupe_entry *e = pk_dedupe_find(d, client_id, request_id);

	if (e == NULL)
		return;		/* evicted meanwhile */
	/* Answered already: a request evicted while in flight and retried
	 * ran twice into this one entry (the per-client sessions of the
	 * exactly-once work end that). The first answer stays; taking a
	 * second result would also leak the first one's reference.
	 */
	if (e->done)
		return;
	if (!keep) {
		forget(d, (uint32_t)(e - d->entries));
		return;
	}
	e->done = true;
	e->status = status;
	e->result = pk_blob_ref(result);
}
