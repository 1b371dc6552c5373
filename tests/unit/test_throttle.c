/* The client's adaptive throttle (dp/client/throttle.c), driven with a
 * clock and draws of the test's: nothing refused while the cluster
 * accepts, about the cluster's refused share refused once it sheds, and
 * back to nothing within a second after it accepts again.
 */
#include <stdio.h>

#include "check.h"
#include "throttle.h"

/* The share of <n> new requests refused at <now>, with evenly spread draws. */
static double
refused_share(struct pk_throttle *t, unsigned int n, uint64_t now)
{
	unsigned int refused = 0;

	for (unsigned int i = 0; i < n; i++)
		refused += pk_throttle_refuse(t, (i + 0.5) / n, now);
	return (double)refused / n;
}

static void
test_nothing_refused_while_accepted(void)
{
	struct pk_throttle t;
	uint64_t now = 1000;

	pk_throttle_init(&t, now);
	CHECK(refused_share(&t, 100, now) == 0);	/* no history: no refusal */
	for (int i = 0; i < 100000; i++) {
		now += 10;
		pk_throttle_answered(&t, true, now);
	}
	CHECK(refused_share(&t, 1000, now) == 0);
}

static void
test_refuses_the_refused_share_then_recovers(void)
{
	struct pk_throttle t;
	uint64_t now = 1000;
	double p;

	pk_throttle_init(&t, now);
	/* The cluster accepts half: 50% refused, less the 10% let through
	 * (p = (R - 1.1 A) / (R + 1) = 0.45).
	 */
	for (int i = 0; i < 100000; i++) {
		now += 10;
		pk_throttle_answered(&t, i % 2 == 0, now);
	}
	p = refused_share(&t, 1000, now);
	CHECK(p > 0.40 && p < 0.50);
	/* The cluster accepts everything again: within a second, nothing is
	 * refused.
	 */
	for (int i = 0; i < 100000 && now < 1000 + 1000000 + 1000000; i++) {
		now += 10;
		pk_throttle_answered(&t, true, now);
	}
	CHECK(refused_share(&t, 1000, now) == 0);
	/* And a client that stops sending forgets the episode. */
	pk_throttle_init(&t, now);
	for (int i = 0; i < 1000; i++)
		pk_throttle_answered(&t, false, now);
	CHECK(pk_throttle_p(&t) > 0.9);
	now += 10000000;
	CHECK(refused_share(&t, 100, now) == 0);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "nothing_refused_while_accepted", test_nothing_refused_while_accepted },
		{ "refuses_the_refused_share_then_recovers",
		  test_refuses_the_refused_share_then_recovers },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
