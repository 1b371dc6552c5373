/* Quorum arithmetic for prepare / accept lists (caspaxos-notes b). */
#include "parnik/config.h"

void
pk_config_majority(struct pk_config *c, unsigned int n, uint32_t epoch)
{
	c->epoch = epoch;
	c->prepare_mask = (uint16_t)((1u << n) - 1);
	c->accept_mask = c->prepare_mask;
	c->prepare_quorum = (uint8_t)(n / 2 + 1);
	c->accept_quorum = (uint8_t)(n / 2 + 1);
	c->one_rtt = true;
}

/* A prepare quorum Q1 and an accept quorum Q2 can be disjoint iff Q2 can
 * take x = max(0, qA - |Al \ Pl|) members inside Pl and Q1 still finds qP
 * members of Pl outside them: qP <= |Pl| - x. Quorums larger than their
 * lists can never form, which is no safety problem but is refused too.
 */
bool
pk_config_quorums_intersect(const struct pk_config *c)
{
	unsigned int np = pk_mask_count(c->prepare_mask);
	unsigned int na = pk_mask_count(c->accept_mask);
	unsigned int acc_only = pk_mask_count(c->accept_mask & (uint16_t)~c->prepare_mask);
	unsigned int x = c->accept_quorum > acc_only ? c->accept_quorum - acc_only : 0;

	if (c->prepare_quorum == 0 || c->accept_quorum == 0 || c->prepare_quorum > np ||
	    c->accept_quorum > na)
		return false;
	return c->prepare_quorum + x > np;
}

bool
pk_config_read_skip_ok(const struct pk_config *c)
{
	return (c->prepare_mask & (uint16_t)~c->accept_mask) == 0 &&
	       c->prepare_quorum >= c->accept_quorum && pk_config_quorums_intersect(c);
}
