/* The --bootstrap safety rail: before a replica started with --bootstrap
 * lets its acceptors vote, it asks every other member, partition by
 * partition, what it holds (HELLO / HELLO_REP, sealed like all peer
 * traffic, the answers matched by a token drawn at start, so answers
 * recorded from an earlier census cannot stand in). It votes only when
 * every other member of its initial lists answered on every partition and
 * no member holds keys, a GC floor version above 0 (a written key was
 * removed; a floor raised by dropping the bare promises of reads is no
 * state) or a config epoch past the first. Otherwise the cluster exists already (this replica restarted with
 * its original command line: voting with empty memory could lose what the
 * others chose), or it cannot tell: it refuses to start. Restart it
 * without --bootstrap and readmit it with parnikctl; --force-bootstrap
 * skips the check for a brand-new cluster only.
 *
 * Workers record answers with atomics (any lcore); the census thread reads
 * them. No DPDK here.
 */
#ifndef DP_CENSUS_H
#define DP_CENSUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "parnik/types.h"

#define DP_CENSUS_FIRST_EPOCH 1	/* the epoch of a --bootstrap config */

struct dp_census {
	bool active;				/* atomic: a census is under way */
	uint16_t partitions;
	uint64_t token;				/* HELLOs carry it; answers echo it */
	uint64_t claimed[PK_MAX_NODES];		/* atomic: answers being recorded */
	uint64_t answered[PK_MAX_NODES];	/* atomic: answers recorded (release) */
	uint64_t keys[PK_MAX_NODES];		/* atomic: keys they hold, summed */
	uint64_t floor[PK_MAX_NODES];		/* atomic: highest floor version */
	uint32_t epoch[PK_MAX_NODES];		/* atomic: the highest epoch seen */
};

void dp_census_init(struct dp_census *c, uint16_t partitions, bool active, uint64_t token);

/* Worker side: partition <partition> of member <node> answered HELLO
 * <token>. Counted once per (node, partition); other tokens are ignored.
 */
void dp_census_note(struct dp_census *c, uint16_t node, uint16_t partition, uint64_t token,
		    uint64_t keys, uint64_t floor_version, uint32_t epoch);

static inline bool
dp_census_active(const struct dp_census *c)
{
	return __atomic_load_n(&c->active, __ATOMIC_RELAXED);
}

/* True once every member in <members> (a node mask) answered on every
 * partition.
 */
bool dp_census_complete(const struct dp_census *c, uint16_t members);

/* How many members of <members> answered on at least one partition. */
unsigned int dp_census_heard(const struct dp_census *c, uint16_t members);

/* One line per member of <members>: the partitions it answered on, for
 * whoever must find out why a census failed.
 */
void dp_census_print(const struct dp_census *c, uint16_t members, FILE *f);

/* The verdict on <others> (every other member), of which <required> (the
 * other members of the initial lists) must all have answered: true when
 * they did and nobody holds state; false with the reason in <why>. Ends
 * the census.
 */
bool dp_census_verdict(struct dp_census *c, uint16_t others, uint16_t required, char *why,
		       size_t whylen);

#endif
