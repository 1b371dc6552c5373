/* Worker memory: jemalloc arenas and RCU-deferred frees (see memory.h). */
#include <stdio.h>

#include <jemalloc/jemalloc.h>
#include <urcu/urcu-qsbr.h>

#include "memory.h"

#define LIMBO_MAX 256

struct dp_limbo {
	struct rcu_head head;
	unsigned int n;
	void *p[LIMBO_MAX];
};

/* The arena this thread is bound to, or -1. */
static __thread int bound_arena = -1;

int
dp_mem_init(struct dp_mem *m)
{
	size_t len = sizeof(m->arena);

	m->limbo = NULL;
	m->immediate = true;
	m->deferred = m->batches = m->leaked = 0;
	if (mallctl("arenas.create", &m->arena, &len, NULL, 0) != 0) {
		fprintf(stderr, "parnikd: jemalloc cannot create an arena\n");
		return -1;
	}
	return 0;
}

void
dp_mem_bind_thread(struct dp_mem *m)
{
	unsigned int a = m->arena;

	if (mallctl("thread.arena", NULL, NULL, &a, sizeof(a)) == 0)
		bound_arena = (int)a;
	m->immediate = false;
}

void *
dp_mem_alloc(void *ctx, size_t size)
{
	const struct dp_mem *m = ctx;

	/* On the owner, through its thread cache; elsewhere (set-up on the
	 * main thread) straight from the arena.
	 */
	if (bound_arena == (int)m->arena)
		return mallocx(size, 0);
	return mallocx(size, MALLOCX_ARENA(m->arena) | MALLOCX_TCACHE_NONE);
}

static void
free_now(void *p)
{
	/* No thread cache: the memory goes back to the arena it came from,
	 * not to the cache of whichever thread frees it.
	 */
	dallocx(p, MALLOCX_TCACHE_NONE);
}

static void
free_batch(struct rcu_head *head)
{
	struct dp_limbo *b = caa_container_of(head, struct dp_limbo, head);

	for (unsigned int i = 0; i < b->n; i++)
		free_now(b->p[i]);
	free_now(b);
}

void
dp_mem_flush(struct dp_mem *m)
{
	if (m->limbo == NULL)
		return;
	urcu_qsbr_call_rcu(&m->limbo->head, free_batch);
	m->limbo = NULL;
	m->batches++;
}

void
dp_mem_free(void *ctx, void *p)
{
	struct dp_mem *m = ctx;

	if (p == NULL)
		return;
	if (m->immediate) {
		free_now(p);
		return;
	}
	if (m->limbo == NULL) {
		m->limbo = dp_mem_alloc(m, sizeof(*m->limbo));
		if (m->limbo == NULL) {
			/* Freeing now could pull memory from under a
			 * reader: leaking (counted) is the safe side.
			 */
			m->leaked++;
			return;
		}
		m->limbo->n = 0;
	}
	m->limbo->p[m->limbo->n++] = p;
	m->deferred++;
	if (m->limbo->n == LIMBO_MAX)
		dp_mem_flush(m);
}

void
dp_mem_teardown(struct dp_mem *m)
{
	m->immediate = true;
}

uint64_t
dp_mem_arena_bytes(const struct dp_mem *m)
{
	uint64_t epoch = 1;
	size_t len = sizeof(epoch), small = 0, large = 0, slen = sizeof(size_t);
	char name[64];

	/* Refreshes jemalloc's statistics snapshot (all arenas). */
	(void)mallctl("epoch", &epoch, &len, &epoch, sizeof(epoch));
	snprintf(name, sizeof(name), "stats.arenas.%u.small.allocated", m->arena);
	if (mallctl(name, &small, &slen, NULL, 0) != 0)
		return 0;
	snprintf(name, sizeof(name), "stats.arenas.%u.large.allocated", m->arena);
	slen = sizeof(size_t);
	if (mallctl(name, &large, &slen, NULL, 0) != 0)
		large = 0;
	return (uint64_t)small + large;
}
