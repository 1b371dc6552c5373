/* The --bootstrap census (dp/census.c): answers counted once per member and
 * partition and only with this census's token; a new cluster (no keys, no
 * removed keys, the first epoch) passes even when reads have left bare
 * promises (floor version 0); keys, removed keys, a later epoch or a silent
 * member of the lists refuse.
 */
#include <string.h>

#include "census.h"
#include "check.h"

#define TOKEN 0x1234567u

static bool
verdict(struct dp_census *c, uint16_t others, uint16_t required, char *why)
{
	return dp_census_verdict(c, others, required, why, 200);
}

static void
test_new_cluster_passes(void)
{
	struct dp_census c;
	char why[200];

	dp_census_init(&c, 2, true, TOKEN);
	for (uint16_t n = 1; n <= 2; n++)
		for (uint16_t p = 0; p < 2; p++)
			dp_census_note(&c, n, p, TOKEN, 0, 0, 1);
	CHECK(dp_census_complete(&c, 0x6));
	CHECK_EQ(dp_census_heard(&c, 0x6), 2);
	CHECK(verdict(&c, 0x6, 0x6, why));
	CHECK(!dp_census_active(&c));
}

static void
test_state_refuses(void)
{
	struct dp_census c;
	char why[200];

	/* Keys on one partition of one member. */
	dp_census_init(&c, 2, true, TOKEN);
	dp_census_note(&c, 1, 0, TOKEN, 0, 0, 1);
	dp_census_note(&c, 1, 1, TOKEN, 5, 0, 1);
	dp_census_note(&c, 2, 0, TOKEN, 0, 0, 1);
	dp_census_note(&c, 2, 1, TOKEN, 0, 0, 1);
	CHECK(!verdict(&c, 0x6, 0x6, why));
	CHECK(strstr(why, "member 1 already holds state (5 key(s)") != NULL);
	/* Keys all removed by the GC: the floor version shows them. */
	dp_census_init(&c, 1, true, TOKEN);
	dp_census_note(&c, 1, 0, TOKEN, 0, 7, 1);
	dp_census_note(&c, 2, 0, TOKEN, 0, 0, 1);
	CHECK(!verdict(&c, 0x6, 0x6, why));
	/* A later config. */
	dp_census_init(&c, 1, true, TOKEN);
	dp_census_note(&c, 1, 0, TOKEN, 0, 0, 1);
	dp_census_note(&c, 2, 0, TOKEN, 0, 0, 3);
	CHECK(!verdict(&c, 0x6, 0x6, why));
	CHECK(strstr(why, "member 2") != NULL && strstr(why, "epoch 3") != NULL);
}

static void
test_only_this_census_counts(void)
{
	struct dp_census c;
	char why[200];

	dp_census_init(&c, 1, true, TOKEN);
	/* An answer to an earlier census (another token), replayed. */
	dp_census_note(&c, 1, 0, TOKEN + 2, 0, 0, 1);
	CHECK(!dp_census_complete(&c, 0x2));
	/* A duplicate answer counts once: keys are not added twice. */
	dp_census_note(&c, 1, 0, TOKEN, 3, 0, 1);
	dp_census_note(&c, 1, 0, TOKEN, 3, 0, 1);
	CHECK(!verdict(&c, 0x2, 0x2, why));
	CHECK(strstr(why, "(3 key(s)") != NULL);
}

static void
test_silence_refuses(void)
{
	struct dp_census c;
	char why[200];

	dp_census_init(&c, 2, true, TOKEN);
	dp_census_note(&c, 1, 0, TOKEN, 0, 0, 1);
	dp_census_note(&c, 1, 1, TOKEN, 0, 0, 1);
	dp_census_note(&c, 2, 0, TOKEN, 0, 0, 1);	/* partition 1 silent */
	CHECK(!dp_census_complete(&c, 0x6));
	CHECK(!verdict(&c, 0x6, 0x6, why));
	CHECK(strstr(why, "member 2 of the lists did not answer") != NULL);
	/* A silent spare (outside the lists) is not waited for. */
	dp_census_init(&c, 1, true, TOKEN);
	dp_census_note(&c, 1, 0, TOKEN, 0, 0, 1);
	CHECK(verdict(&c, 0x6, 0x2, why));
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "new_cluster_passes", test_new_cluster_passes },
		{ "state_refuses", test_state_refuses },
		{ "only_this_census_counts", test_only_this_census_counts },
		{ "silence_refuses", test_silence_refuses },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
