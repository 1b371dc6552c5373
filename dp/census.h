/* The --bootstrap safety rail: before a replica started with --bootstrap
 * lets its acceptors vote, it asks every other member, partition by
 * partition, what it holds (HELLO / HELLO_REP, sealed like all peer
 * traffic). If any answers with keys or with a config epoch past the first,
 * the cluster exists already and this replica restarted with its original
 * command line: voting with empty memory would let it outvote the state of
 * the others, so it refuses to start (restart it without --bootstrap and
 * readmit it with parnikctl). Members that do not answer within the wait
 * cannot be asked; a brand-new cluster starts with every member empty.
 * --force-bootstrap skips the check.
 *
 * Workers record answers with atomics (any lcore); the census thread reads
 * them. No DPDK here.
 */
#ifndef DP_CENSUS_H
#define DP_CENSUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "parnik/types.h"

#define DP_CENSUS_FIRST_EPOCH 1	/* the epoch of a --bootstrap config */

struct dp_census {
	bool active;				/* atomic: workers send HELLO */
	uint16_t partitions;
	uint64_t answered[PK_MAX_NODES];	/* atomic: partitions that answered */
	uint64_t keys[PK_MAX_NODES];		/* atomic: keys they hold, summed */
	uint32_t epoch[PK_MAX_NODES];		/* atomic: the highest epoch seen */
};

void dp_census_init(struct dp_census *c, uint16_t partitions, bool active);

/* Worker side: partition <partition> of member <node> answered. Counted
 * once per (node, partition), whatever the duplicates.
 */
void dp_census_note(struct dp_census *c, uint16_t node, uint16_t partition, uint64_t keys,
		    uint32_t epoch);

static inline bool
dp_census_active(const struct dp_census *c)
{
	return __atomic_load_n(&c->active, __ATOMIC_RELAXED);
}

/* True once every member in <members> (a node mask, this replica left out)
 * answered on every partition.
 */
bool dp_census_complete(const struct dp_census *c, uint16_t members);

/* The verdict: false, with the first member holding state named in <why>,
 * when the cluster exists already; true otherwise (every answer empty, or
 * no answer). Ends the census (workers stop asking).
 */
bool dp_census_verdict(struct dp_census *c, uint16_t members, char *why, size_t whylen);

#endif
