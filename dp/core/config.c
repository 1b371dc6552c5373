/* Quorum arithmetic for prepare / accept lists (docs/CASPAXOS.md section 4). */
#include <stdio.h>

#include "parnik/config.h"

bool
pk_ids_parse(const char *s, uint16_t *mask)
{
	*mask = 0;
	for (;;) {
		unsigned int id = 0, digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 3) {
			id = id * 10 + (unsigned int)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || id >= PK_MAX_NODES || (*s != ',' && *s != 0))
			return false;
		*mask |= (uint16_t)(1u << id);
		if (*s++ == 0)
			return true;
	}
}

void
pk_ids_format(uint16_t mask, char *buf, size_t cap)
{
	size_t len = 0;

	if (cap == 0)
		return;
	buf[0] = 0;
	for (unsigned int id = 0; id < PK_MAX_NODES; id++) {
		int n;

		if ((mask & (1u << id)) == 0)
			continue;
		n = snprintf(buf + len, cap - len, "%s%u", len > 0 ? "," : "", id);
		if (n < 0 || (size_t)n >= cap - len)
			return;
		len += (size_t)n;
	}
}

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
