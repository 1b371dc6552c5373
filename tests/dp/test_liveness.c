/* Member liveness for the log: a member goes silent once, after the
 * threshold, comes back once, and a member never heard counts from the
 * replica's start; members outside the watch list are never reported.
 */
#include <string.h>

#include "check.h"
#include "liveness.h"

#define MS 1000ull

static unsigned int
check_at(struct dp_liveness *lv, const uint64_t *heard, uint16_t watch, uint64_t now,
	 struct dp_liveness_change *out)
{
	return dp_liveness_check(lv, heard, watch, now, out);
}

static void
test_silent_then_back(void)
{
	struct dp_liveness lv;
	struct dp_liveness_change ch[PK_MAX_NODES];
	uint64_t heard[PK_MAX_NODES] = { 0 };
	const uint16_t watch = (1u << 1) | (1u << 2);

	dp_liveness_init(&lv, 3000, 1000 * MS);
	heard[1] = heard[2] = 1500 * MS;
	CHECK_EQ(check_at(&lv, heard, watch, 2000 * MS, ch), 0);
	/* Node 2 keeps talking, node 1 stops. */
	heard[2] = 4400 * MS;
	CHECK_EQ(check_at(&lv, heard, watch, 4499 * MS, ch), 0);	/* 2999 ms: not yet */
	CHECK_EQ(check_at(&lv, heard, watch, 4500 * MS, ch), 1);
	CHECK_EQ(ch[0].node, 1);
	CHECK_EQ(ch[0].event, DP_PEER_SILENT);
	CHECK_EQ(ch[0].ms, 3000);
	CHECK(!ch[0].never_heard);
	CHECK(dp_liveness_silent(&lv, 1));
	/* Said once, not at every check. */
	heard[2] = 9000 * MS;
	CHECK_EQ(check_at(&lv, heard, watch, 9000 * MS, ch), 0);
	/* Heard again: back, after 8.5 s without a word. */
	heard[1] = 10000 * MS;
	CHECK_EQ(check_at(&lv, heard, watch, 10001 * MS, ch), 1);
	CHECK_EQ(ch[0].node, 1);
	CHECK_EQ(ch[0].event, DP_PEER_BACK);
	CHECK_EQ(ch[0].ms, 8500);
	CHECK(!dp_liveness_silent(&lv, 1));
	CHECK_EQ(check_at(&lv, heard, watch, 10002 * MS, ch), 0);
}

static void
test_never_heard_and_unwatched(void)
{
	struct dp_liveness lv;
	struct dp_liveness_change ch[PK_MAX_NODES];
	uint64_t heard[PK_MAX_NODES] = { 0 };

	dp_liveness_init(&lv, 2000, 5000 * MS);
	/* Node 3 is not watched (a spare, or this replica itself). */
	CHECK_EQ(check_at(&lv, heard, 1u << 1, 6999 * MS, ch), 0);
	CHECK_EQ(check_at(&lv, heard, 1u << 1, 7000 * MS, ch), 1);
	CHECK_EQ(ch[0].node, 1);
	CHECK(ch[0].never_heard);
	CHECK_EQ(ch[0].ms, 2000);
	/* Leaving the watch list forgets it; rejoining starts over. */
	CHECK_EQ(check_at(&lv, heard, 0, 8000 * MS, ch), 0);
	CHECK(!dp_liveness_silent(&lv, 1));
	CHECK_EQ(check_at(&lv, heard, 1u << 1, 8001 * MS, ch), 1);
	CHECK_EQ(ch[0].event, DP_PEER_SILENT);
	/* A stale datagram (heard before it went silent) is no comeback. */
	heard[1] = 4000 * MS;
	CHECK_EQ(check_at(&lv, heard, 1u << 1, 9000 * MS, ch), 0);
	CHECK(dp_liveness_silent(&lv, 1));
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "silent_then_back", test_silent_then_back },
		{ "never_heard_and_unwatched", test_never_heard_and_unwatched },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
