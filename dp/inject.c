/* Control-plane requests into the workers (see inject.h). */
#include "inject.h"
#include "replica.h"

int
dp_inject_submit(struct dp_replica *r, struct dp_ireq *q)
{
	uint16_t owner = r->part[q->partition].owner;

	__atomic_store_n(&q->done, 0, __ATOMIC_RELAXED);
	if (rte_ring_mp_enqueue(r->inject[owner], q) != 0)
		return -1;
	dp_idle_kick(&r->lcores[owner]->idle);
	return 0;
}
