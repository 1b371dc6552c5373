/* The acceptors' GC floors (dp/core/gc.c) between threads. Each partition's
 * owner lcore reports its worker's floor whenever it rises; the control
 * thread reads them (`floors`) and asks a partition to raise its floor
 * (`raise-floor`) in the control snapshot, which the owner applies with its
 * counters. parnikctl copies the members' highest floors into a node before
 * it first votes, so a message delayed from before a removal cannot revive
 * the key there. Both directions cross the plane (plane.h); a reported
 * floor sits in a seqlock cell: one writer, any readers, no torn ballots.
 */
#ifndef DP_FLOORS_H
#define DP_FLOORS_H

#include <stdint.h>

#include "parnik/types.h"

struct dp_replica;
struct dp_lcore;

/* On the owner lcore, each pass: applies a raise the control thread asked
 * for, and publishes the floor of each partition that moved.
 */
void dp_floors_follow(struct dp_lcore *l);

/* On the control thread: partition <p>'s published floor. */
void dp_floors_get(struct dp_replica *r, uint16_t p, struct pk_floor *f);

/* On the control thread: raises partition <p>'s floor to at least <f> and
 * waits (up to <timeout_ms>) until its owner published it. Returns 0, -1
 * on timeout, -2 without memory for the request.
 */
int dp_floors_raise(struct dp_replica *r, uint16_t p, const struct pk_floor *f,
		    unsigned int timeout_ms);

#endif
