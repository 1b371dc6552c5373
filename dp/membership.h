/* One replica's side of a membership step: edit its prepare or accept list
 * (and quorum), publish the new config to its workers with RCU, and wait at
 * the barrier: every worker runs the new epoch and no round of an older
 * epoch is still counting replies. Steps are idempotent: asking for the
 * lists the replica already runs changes nothing and says so. The order of
 * steps across replicas (the paper's procedures) is parnikctl's business.
 */
#ifndef DP_MEMBERSHIP_H
#define DP_MEMBERSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replica.h"

struct dp_list_edit {
	bool prepare;		/* the prepare list, else the accept list */
	bool add;		/* add <id>, else remove it */
	uint16_t id;
	uint8_t quorum;		/* the list's quorum afterwards */
};

struct dp_step_result {
	bool changed;
	uint32_t epoch;		/* the epoch now running */
	uint64_t barrier_us;	/* how long the barrier took */
};

/* Control thread only (the single writer of the config). Returns 0, or -1
 * with <err> filled: unknown member, bad quorum, quorums that would not
 * intersect, or a barrier not reached within <timeout_ms> (the new config
 * stays published: re-running the step waits again).
 */
int dp_membership_edit(struct dp_replica *r, const struct dp_list_edit *e, unsigned int timeout_ms,
		       struct dp_step_result *out, char *err, size_t errlen);

/* Installs an explicit config (lists, quorums, and the cluster-wide epoch
 * parnikctl chose), then waits at the barrier. Idempotent: the lists
 * already running change nothing (a higher epoch for them is adopted);
 * other lists need an epoch above the running one, else it is refused
 * (a stale or conflicting step).
 */
int dp_membership_set(struct dp_replica *r, const struct pk_config *want, unsigned int timeout_ms,
		      struct dp_step_result *out, char *err, size_t errlen);

/* Lets this replica's acceptors vote (a restarted replica refuses until
 * then). Only safe once no proposer can count it in a quorum of an epoch
 * from its earlier life: refused while its own config lists it, or before
 * it has a config at all. parnikctl checks every other replica too.
 * Idempotent.
 */
int dp_membership_admit(struct dp_replica *r, char *err, size_t errlen);

#endif
