/* Worker memory: host allocator wrappers and reference-counted blobs. */
#include <assert.h>
#include <string.h>

#include "mem.h"

void *
pk_mem_alloc(struct pk_mem *m, size_t size)
{
	return m->env.alloc(m->env.ctx, size);
}

void *
pk_mem_zalloc(struct pk_mem *m, size_t size)
{
	void *p = m->env.alloc(m->env.ctx, size);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void
pk_mem_free(struct pk_mem *m, void *p)
{
	if (p != NULL)
		m->env.free(m->env.ctx, p);
}

struct pk_blob *
pk_blob_new(struct pk_mem *m, uint8_t kind, uint64_t version, const uint8_t *data, uint16_t len)
{
	struct pk_blob *b = pk_mem_alloc(m, sizeof(*b) + len);

	if (b == NULL)
		return NULL;
	b->next_garbage = NULL;
	b->refs = 1;
	b->kind = kind;
	b->len = len;
	b->version = version;
	memset(&b->origin, 0, sizeof(b->origin));
	memset(&b->parent, 0, sizeof(b->parent));
	if (len > 0)
		memcpy(b->data, data, len);
	return b;
}

struct pk_blob *
pk_blob_from_wire(struct pk_mem *m, const struct pk_wstate *s, bool *oom)
{
	struct pk_blob *b;

	*oom = false;
	if (s->kind == PK_KIND_ABSENT && s->version == 0)
		return NULL;
	b = pk_blob_new(m, s->kind, s->version, s->data, s->len);
	if (b == NULL)
		*oom = true;
	else {
		b->origin = s->origin;
		b->parent = s->parent;
	}
	return b;
}

void
pk_blob_unref(struct pk_mem *m, struct pk_blob *b)
{
	if (b == NULL)
		return;
	assert(b->refs > 0);	/* a blob freed twice */
	if (--b->refs > 0)
		return;
	b->next_garbage = m->garbage;
	m->garbage = b;
}

void
pk_mem_collect(struct pk_mem *m)
{
	while (m->garbage != NULL) {
		struct pk_blob *b = m->garbage;

		m->garbage = b->next_garbage;
		pk_mem_free(m, b);
	}
}

void
pk_blob_to_wire(const struct pk_blob *b, struct pk_wstate *s)
{
	if (b == NULL) {
		s->kind = PK_KIND_ABSENT;
		s->version = 0;
		s->len = 0;
		s->data = NULL;
		memset(&s->origin, 0, sizeof(s->origin));
		memset(&s->parent, 0, sizeof(s->parent));
		return;
	}
	s->kind = b->kind;
	s->version = b->version;
	s->origin = b->origin;
	s->parent = b->parent;
	s->len = b->len;
	s->data = b->len > 0 ? b->data : NULL;
}

bool
pk_blob_equal_wire(const struct pk_blob *a, const struct pk_wstate *s)
{
	if (a == NULL)
		return s->kind == PK_KIND_ABSENT;
	return a->kind == s->kind && a->version == s->version && a->len == s->len &&
	       pk_ballot_cmp(&a->origin, &s->origin) == 0 &&
	       pk_ballot_cmp(&a->parent, &s->parent) == 0 &&
	       (a->len == 0 || memcmp(a->data, s->data, a->len) == 0);
}
