/* The --bootstrap census (census.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "census.h"

void
dp_census_init(struct dp_census *c, uint16_t partitions, bool active, uint64_t token)
{
	memset(c, 0, sizeof(*c));
	c->partitions = partitions;
	c->active = active;
	c->token = token;
}

static void
raise_u64(uint64_t *p, uint64_t v)
{
	uint64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (v > cur &&
	       !__atomic_compare_exchange_n(p, &cur, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

void
dp_census_note(struct dp_census *c, uint16_t node, uint16_t partition, uint64_t token,
	       uint64_t keys, uint64_t floor_version, uint32_t epoch)
{
	uint64_t bit = 1ull << (partition & 63), before;
	uint32_t e;

	if (token != c->token || node >= PK_MAX_NODES || partition >= c->partitions ||
	    partition >= 64)
		return;
	/* Claimed first (one lcore records an answer once), published last:
	 * whoever sees the answered bit (acquire) sees what it brought.
	 */
	before = __atomic_fetch_or(&c->claimed[node], bit, __ATOMIC_ACQ_REL);
	if ((before & bit) != 0)
		return;
	__atomic_fetch_add(&c->keys[node], keys, __ATOMIC_RELAXED);
	raise_u64(&c->floor[node], floor_version);
	e = __atomic_load_n(&c->epoch[node], __ATOMIC_RELAXED);
	while (epoch > e &&
	       !__atomic_compare_exchange_n(&c->epoch[node], &e, epoch, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
	__atomic_fetch_or(&c->answered[node], bit, __ATOMIC_RELEASE);
}

static uint64_t
all_partitions(const struct dp_census *c)
{
	return c->partitions >= 64 ? UINT64_MAX : (1ull << c->partitions) - 1;
}

bool
dp_census_complete(const struct dp_census *c, uint16_t members)
{
	for (uint16_t n = 0; n < PK_MAX_NODES; n++)
		if ((members & (1u << n)) != 0 &&
		    __atomic_load_n(&c->answered[n], __ATOMIC_ACQUIRE) != all_partitions(c))
			return false;
	return true;
}

unsigned int
dp_census_heard(const struct dp_census *c, uint16_t members)
{
	unsigned int n = 0;

	for (uint16_t m = 0; m < PK_MAX_NODES; m++)
		n += (members & (1u << m)) != 0 &&
		     __atomic_load_n(&c->answered[m], __ATOMIC_ACQUIRE) != 0;
	return n;
}

void
dp_census_print(const struct dp_census *c, uint16_t members, FILE *f)
{
	for (uint16_t m = 0; m < PK_MAX_NODES; m++)
		if ((members & (1u << m)) != 0)
			fprintf(f, "parnikd: census: member %u answered on partitions 0x%" PRIx64
				   " of 0x%" PRIx64 "\n", m,
				__atomic_load_n(&c->answered[m], __ATOMIC_ACQUIRE), all_partitions(c));
}

bool
dp_census_verdict(struct dp_census *c, uint16_t others, uint16_t required, char *why,
		  size_t whylen)
{
	__atomic_store_n(&c->active, false, __ATOMIC_RELAXED);
	for (uint16_t n = 0; n < PK_MAX_NODES; n++) {
		uint64_t keys, floor;
		uint32_t epoch;

		/* The answered bits first (acquire): the data they cover. */
		if ((others & (1u << n)) == 0 ||
		    __atomic_load_n(&c->answered[n], __ATOMIC_ACQUIRE) == 0)
			continue;
		keys = __atomic_load_n(&c->keys[n], __ATOMIC_RELAXED);
		floor = __atomic_load_n(&c->floor[n], __ATOMIC_RELAXED);
		epoch = __atomic_load_n(&c->epoch[n], __ATOMIC_RELAXED);
		if (keys > 0 || floor > 0 || epoch > DP_CENSUS_FIRST_EPOCH) {
			snprintf(why, whylen,
				 "member %u already holds state (%" PRIu64
				 " key(s), GC floor version %" PRIu64 ", config epoch %u)",
				 n, keys, floor, epoch);
			return false;
		}
	}
	for (uint16_t n = 0; n < PK_MAX_NODES; n++)
		if ((required & (1u << n)) != 0 &&
		    __atomic_load_n(&c->answered[n], __ATOMIC_ACQUIRE) != all_partitions(c)) {
			snprintf(why, whylen,
				 "member %u of the lists did not answer on every partition, so "
				 "nothing proves the cluster is new (start every member, check the "
				 "peer key and the clocks)",
				 n);
			return false;
		}
	return true;
}
