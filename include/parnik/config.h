/* Acceptor membership as proposers see it: separate prepare and accept lists
 * with their own quorum sizes (CASPaxos section 2.3, flexible quorums), and a
 * config epoch. A config is immutable once published; a new one replaces it.
 */
#ifndef PARNIK_CONFIG_H
#define PARNIK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parnik/types.h"

struct pk_config {
	uint32_t epoch;
	uint16_t prepare_mask;	/* bit i set: node i is in the prepare list */
	uint16_t accept_mask;	/* bit i set: node i is in the accept list */
	uint8_t prepare_quorum;
	uint8_t accept_quorum;
	bool one_rtt;		/* piggyback the next promise on every accept */
	/* A replica in neither list still serves clients as a proposer
	 * (CASPaxos allows it; tests use it). Parnik's control plane never
	 * sets it: a spare or a replica shrunk out may not hear of the next
	 * config change, so it answers NOT_MEMBER instead.
	 */
	bool outsiders_propose;
};

static inline unsigned int
pk_mask_count(uint16_t mask)
{
	return (unsigned int)__builtin_popcount(mask);
}

/* The mask of one node id. */
static inline uint16_t
pk_node_bit(uint16_t node)
{
	return (uint16_t)(1u << node);
}

/* The majority quorum of a list. */
static inline uint8_t
pk_majority(uint16_t mask)
{
	return (uint8_t)(pk_mask_count(mask) / 2 + 1);
}

/* Node lists as text, "0,1,3": parses <s> into <mask> (false on anything
 * but ids 0..PK_MAX_NODES-1 separated by single commas), and formats
 * <mask> into <buf> ("" for none; truncated to <cap>).
 */
bool pk_ids_parse(const char *s, uint16_t *mask);
void pk_ids_format(uint16_t mask, char *buf, size_t cap);

/* Builds the plain majority config over nodes 0..n-1 (n = 2F+1 or 2F+2). */
void pk_config_majority(struct pk_config *c, unsigned int n, uint32_t epoch);

/* Returns true when every prepare quorum intersects every accept quorum of
 * <c>, which is all the CASPaxos safety proof needs (paper, appendix B).
 */
bool pk_config_quorums_intersect(const struct pk_config *c);

/* Returns true when a read may skip its accept phase: a prepare quorum that
 * agrees on one accepted ballot then proves the value sits on an accept
 * quorum, i.e. is chosen. That needs the prepare list inside the accept list
 * and qP >= qA (plain majorities); with transitional configs where qP < qA
 * two prepare quorums need not intersect and the read must write back
 * (docs/CASPAXOS.md, pitfall P7).
 */
bool pk_config_read_skip_ok(const struct pk_config *c);

#endif
