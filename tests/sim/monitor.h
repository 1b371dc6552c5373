/* Safety monitors that watch the simulated cluster from outside the core:
 *  - one value per ballot: no proposer sends two values under one ballot;
 *  - no ballot reuse: every PREPARE carries a ballot never used before;
 *  - a chosen value is never lost: once a value is accepted by a quorum of
 *    the accept list it was sent to, every value accepted under a higher
 *    ballot descends from it (version greater, or equal with equal bytes).
 */
#ifndef PK_SIM_MONITOR_H
#define PK_SIM_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "parnik/config.h"
#include "parnik/wire.h"

struct mon_ballot;

struct monitor {
	struct mon_ballot *slots;	/* (key, ballot) -> what we know */
	uint32_t cap, n;
	struct mon_chosen *chosen;	/* per key: highest chosen ballot */
	uint32_t chosen_cap;
	uint64_t *prepares;		/* hash set of PREPARE ballots */
	uint32_t prep_cap, prep_n;
	uint64_t violations;
	uint64_t chosen_events;
	char first[512];		/* the first violation, in words */
};

void mon_init(struct monitor *m);
void mon_fini(struct monitor *m);

/* A PREPARE left a proposer. Ballots are unique per attempt across all
 * keys, so the key plays no part.
 */
void mon_prepare(struct monitor *m, const struct pk_ballot *b);

/* An ACCEPT left a proposer running <cfg>. */
void mon_accept_sent(struct monitor *m, const uint8_t *key, uint16_t key_len,
		     const struct pk_ballot *b, const struct pk_wstate *st,
		     const struct pk_config *cfg);

/* Acceptor <node> accepted (b, st). */
void mon_accepted(struct monitor *m, uint16_t node, const uint8_t *key, uint16_t key_len,
		  const struct pk_ballot *b, const struct pk_wstate *st);

#endif
