/* Neighbour table: members start pending and are probed (fast, then
 * slow), ARP resolves them, static entries win, non-members never enter.
 */
#include <arpa/inet.h>
#include <string.h>

#include "check.h"
#include "neigh.h"

static void
setup(struct dp_options *o)
{
	memset(o, 0, sizeof(*o));
	o->node = 0;
	o->ip = check_ip4("198.18.0.1");
	o->nmembers = 3;
	o->members[0] = (struct dp_member){ 0, check_ip4("198.18.0.1") };
	o->members[1] = (struct dp_member){ 1, check_ip4("198.18.0.2") };
	o->members[2] = (struct dp_member){ 2, check_ip4("198.18.0.3") };
}

static void
test_probe_then_resolve(void)
{
	struct dp_options o;
	struct dp_neigh t;
	uint32_t ips[8];
	const uint8_t mac[6] = { 2, 0, 0, 0, 0, 2 };
	struct dp_hop h;
	uint64_t now = 1000;
	unsigned int probes = 0;

	setup(&o);
	dp_neigh_init(&t, &o, now);
	CHECK_EQ(t.n, 2);	/* not ourselves */
	CHECK(!dp_neigh_lookup(&t, check_ip4("198.18.0.2"), &h));
	CHECK_EQ(dp_neigh_due(&t, now, ips, 8), 2);
	CHECK_EQ(dp_neigh_due(&t, now, ips, 8), 0);	/* scheduled, not repeated */
	/* Fast probes for a second, then one a second. */
	for (uint64_t us = 0; us <= 3000000; us += 10000)
		probes += dp_neigh_due(&t, now + us, ips, 8) > 0;
	CHECK(probes >= 10 && probes <= 14);
	/* ARP (unverified) resolves a pending entry. */
	CHECK(dp_neigh_learn(&t, check_ip4("198.18.0.2"), mac, 1, now, false));
	CHECK(dp_neigh_lookup(&t, check_ip4("198.18.0.2"), &h));
	CHECK(h.port == 1 && h.mac[5] == 2 && h.mac[0] == 2);
	CHECK(!dp_neigh_learn(&t, check_ip4("198.18.0.2"), mac, 1, now, false));	/* no change */
	{
		const uint8_t moved[6] = { 2, 0, 0, 0, 0, 7 };

		/* Resolved by ARP alone, an entry may still move by ARP
		 * (an ARP race lost at start-up must not last)...
		 */
		CHECK(dp_neigh_learn(&t, check_ip4("198.18.0.2"), moved, 3, now, false));
		CHECK(dp_neigh_learn(&t, check_ip4("198.18.0.2"), mac, 1, now, false));
		/* ...but once a checked datagram confirmed it, a forged ARP
		 * frame moves nothing: the attack that cut a replica off.
		 */
		CHECK(!dp_neigh_learn(&t, check_ip4("198.18.0.2"), mac, 1, now, true));
		CHECK(!dp_neigh_learn(&t, check_ip4("198.18.0.2"), moved, 3, now + 1000, false));
		/* In the same burst (the same clock reading), or on an lcore
		 * whose clock lags the one that confirmed it: still refused.
		 */
		CHECK(!dp_neigh_learn(&t, check_ip4("198.18.0.2"), moved, 3, now, false));
		CHECK(!dp_neigh_learn(&t, check_ip4("198.18.0.2"), moved, 3, now - 1, false));
		CHECK(dp_neigh_lookup(&t, check_ip4("198.18.0.2"), &h));
		CHECK(h.port == 1 && h.mac[5] == 2);
		/* Nothing checked for DP_NEIGH_TRUST_US: ARP may move it. */
		CHECK(dp_neigh_learn(&t, check_ip4("198.18.0.2"), moved, 3,
				     now + DP_NEIGH_TRUST_US + 1, false));
		CHECK(dp_neigh_learn(&t, check_ip4("198.18.0.2"), mac, 1,
				     now + DP_NEIGH_TRUST_US + 2, true));
		/* A member that moves (another port, another MAC) is
		 * relearned from its authenticated datagrams.
		 */
		CHECK(dp_neigh_learn(&t, check_ip4("198.18.0.2"), moved, 3, now, true));
		CHECK(dp_neigh_lookup(&t, check_ip4("198.18.0.2"), &h));
		CHECK(h.port == 3 && h.mac[5] == 7);
	}
	/* Strangers do not enter the table. */
	CHECK(!dp_neigh_learn(&t, check_ip4("198.18.0.77"), mac, 0, now, true));
	CHECK(!dp_neigh_lookup(&t, check_ip4("198.18.0.77"), &h));
}

static void
test_static_wins(void)
{
	struct dp_options o;
	struct dp_neigh t;
	uint32_t ips[8];
	const uint8_t other[6] = { 2, 0, 0, 0, 0, 9 };
	struct dp_hop h;

	setup(&o);
	o.nneighbours = 1;
	o.neighbours[0] = (struct dp_neighbour){ .ip = check_ip4("198.18.0.3"),
						 .mac = { 2, 0, 0, 0, 0, 3 }, .port = 2 };
	dp_neigh_init(&t, &o, 0);
	CHECK(dp_neigh_lookup(&t, check_ip4("198.18.0.3"), &h));
	CHECK(h.mac[5] == 3 && h.port == 2);
	CHECK(!dp_neigh_learn(&t, check_ip4("198.18.0.3"), other, 0, 0, true));
	CHECK(dp_neigh_lookup(&t, check_ip4("198.18.0.3"), &h) && h.mac[5] == 3);
	/* Only the other member needs probing. */
	CHECK_EQ(dp_neigh_due(&t, 0, ips, 8), 1);
	CHECK(ips[0] == check_ip4("198.18.0.2"));
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "probe_then_resolve", test_probe_then_resolve },
		{ "static_wins", test_static_wins },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
