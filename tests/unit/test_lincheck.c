/* The linearizability checker itself: it accepts correct histories, allows
 * unknown ops to have happened or not, and catches stale reads, lost writes
 * and effects only a refused op could explain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lincheck.h"
#include "parnik/err.h"
#include "parnik/types.h"

static uint32_t
inv(struct lin_history *h, uint32_t c, uint8_t op, const char *val, uint64_t arg, uint64_t t)
{
	return lin_invoke(h, c, "k", 1, op, arg, val, val ? (uint16_t)strlen(val) : 0, t);
}

static void
done(struct lin_history *h, uint32_t id, uint64_t t, uint8_t st, uint64_t ver, const char *val)
{
	lin_complete(h, id, t, st, ver, val, val ? (uint16_t)strlen(val) : 0);
}

static bool
linearizable(struct lin_history *h)
{
	struct lin_result r = lin_check(h, NULL);

	lin_free(h);
	return r.ok;
}

static void
test_sequential_history(void)
{
	struct lin_history *h = lin_new();

	done(h, inv(h, 1, PK_OP_GET, NULL, 0, 1), 2, PK_NOT_FOUND, 0, NULL);
	done(h, inv(h, 1, PK_OP_PUT, "a", 0, 3), 4, PK_OK, 1, NULL);
	done(h, inv(h, 1, PK_OP_CAS, "b", 1, 5), 6, PK_OK, 2, NULL);
	done(h, inv(h, 1, PK_OP_CAS, "c", 1, 7), 8, PK_CAS_MISMATCH, 2, NULL);
	done(h, inv(h, 1, PK_OP_ADD, NULL, 3, 9), 10, PK_NOT_INTEGER, 0, NULL);
	done(h, inv(h, 1, PK_OP_DEL, NULL, 0, 11), 12, PK_OK, 0, NULL);
	done(h, inv(h, 1, PK_OP_ADD, NULL, 3, 13), 14, PK_OK, 4, "3");
	done(h, inv(h, 1, PK_OP_GET, NULL, 0, 15), 16, PK_OK, 4, "3");
	CHECK(linearizable(h));
}

static void
test_stale_read_is_caught(void)
{
	struct lin_history *h = lin_new();

	done(h, inv(h, 1, PK_OP_PUT, "a", 0, 1), 2, PK_OK, 1, NULL);
	done(h, inv(h, 1, PK_OP_PUT, "b", 0, 3), 4, PK_OK, 2, NULL);
	done(h, inv(h, 2, PK_OP_GET, NULL, 0, 5), 6, PK_OK, 1, "a");
	CHECK(!linearizable(h));
}

static void
test_concurrency_allows_either_order(void)
{
	struct lin_history *h = lin_new();
	uint32_t w, r;

	done(h, inv(h, 1, PK_OP_PUT, "a", 0, 1), 2, PK_OK, 1, NULL);
	w = inv(h, 1, PK_OP_PUT, "b", 0, 3);
	r = inv(h, 2, PK_OP_GET, NULL, 0, 4);
	done(h, r, 5, PK_OK, 1, "a");	/* read before the overlapping write */
	done(h, w, 6, PK_OK, 2, NULL);
	CHECK(linearizable(h));
}

static void
test_unknown_may_or_may_not_happen(void)
{
	struct lin_history *h = lin_new();
	uint32_t u;

	done(h, inv(h, 1, PK_OP_PUT, "a", 0, 1), 2, PK_OK, 1, NULL);
	u = inv(h, 1, PK_OP_PUT, "b", 0, 3);
	done(h, u, 4, PK_UNKNOWN_OUTCOME, 0, NULL);
	done(h, inv(h, 2, PK_OP_GET, NULL, 0, 5), 6, PK_OK, 1, "a");	/* not yet */
	done(h, inv(h, 2, PK_OP_GET, NULL, 0, 7), 8, PK_OK, 2, "b");	/* now it has */
	CHECK(linearizable(h));

	/* A client that gave up: same freedom. */
	h = lin_new();
	u = inv(h, 1, PK_OP_ADD, NULL, 5, 1);
	lin_give_up(h, u);
	done(h, inv(h, 2, PK_OP_GET, NULL, 0, 10), 11, PK_OK, 1, "5");
	CHECK(linearizable(h));
}

static void
test_refused_op_cannot_explain_an_effect(void)
{
	struct lin_history *h = lin_new();

	done(h, inv(h, 1, PK_OP_PUT, "b", 0, 1), 2, PK_TIMEOUT, 0, NULL);
	done(h, inv(h, 2, PK_OP_GET, NULL, 0, 3), 4, PK_OK, 1, "b");
	CHECK(!linearizable(h));
}

static void
test_lost_write_is_caught(void)
{
	struct lin_history *h = lin_new();

	done(h, inv(h, 1, PK_OP_ADD, NULL, 1, 1), 2, PK_OK, 1, "1");
	done(h, inv(h, 2, PK_OP_ADD, NULL, 1, 3), 4, PK_OK, 2, "2");
	done(h, inv(h, 3, PK_OP_ADD, NULL, 1, 5), 6, PK_OK, 2, "2");	/* the lost one */
	CHECK(!linearizable(h));
}

/* A retried ADD executed twice by the replicas (an old shared dedupe entry evicted
 * while the first run was in flight): the client saw one ADD, the key
 * moved twice. Both shapes are caught: a later read of 2, or the retry's
 * own reply of 2. With a second ADD whose outcome is unknown, reading 2 is
 * fine: the checker blames the double execution, not ADD.
 */
static void
test_double_applied_add_is_caught(void)
{
	struct lin_history *h = lin_new();
	uint32_t u;

	done(h, inv(h, 1, PK_OP_ADD, NULL, 1, 1), 2, PK_OK, 1, "1");
	done(h, inv(h, 2, PK_OP_GET, NULL, 0, 3), 4, PK_OK, 2, "2");
	CHECK(!linearizable(h));

	h = lin_new();
	done(h, inv(h, 1, PK_OP_ADD, NULL, 1, 1), 2, PK_OK, 2, "2");
	CHECK(!linearizable(h));

	h = lin_new();
	done(h, inv(h, 1, PK_OP_ADD, NULL, 1, 1), 2, PK_OK, 1, "1");
	u = inv(h, 1, PK_OP_ADD, NULL, 1, 3);
	done(h, u, 4, PK_UNKNOWN_OUTCOME, 0, NULL);
	done(h, inv(h, 2, PK_OP_GET, NULL, 0, 5), 6, PK_OK, 2, "2");
	CHECK(linearizable(h));
}

/* The symmetry reduction folds unobserved values and tries one of each set
 * of interchangeable unknown ops: it must still count them exactly.
 */
static void
test_reduction_counts_unknown_writes_exactly(void)
{
	for (uint64_t need = 2; need <= 4; need++) {
		struct lin_history *h = lin_new();
		bool ok;

		lin_give_up(h, inv(h, 1, PK_OP_PUT, "x1", 0, 1));
		lin_give_up(h, inv(h, 2, PK_OP_PUT, "x2", 0, 2));
		lin_give_up(h, inv(h, 3, PK_OP_PUT, "x3", 0, 3));
		/* A CAS at version <need> needs exactly <need> writes before. */
		done(h, inv(h, 4, PK_OP_CAS, "z", need, 10), 11, PK_OK, need + 1, NULL);
		ok = linearizable(h);
		CHECK(ok == (need <= 3));
	}
}

static void
test_reduction_keeps_order_constraints(void)
{
	struct lin_history *h = lin_new();

	/* The only unknown PUT starts after the read returned: it cannot
	 * explain version 1.
	 */
	done(h, inv(h, 1, PK_OP_CAS, "z", 1, 1), 2, PK_OK, 2, NULL);
	lin_give_up(h, inv(h, 2, PK_OP_PUT, "x", 0, 3));
	CHECK(!linearizable(h));

	/* Unknown DELs: any number may have happened, each needs a value. */
	h = lin_new();
	done(h, inv(h, 1, PK_OP_PUT, "a", 0, 1), 2, PK_OK, 1, NULL);
	lin_give_up(h, inv(h, 2, PK_OP_DEL, NULL, 0, 3));
	lin_give_up(h, inv(h, 3, PK_OP_DEL, NULL, 0, 4));
	done(h, inv(h, 4, PK_OP_PUT, "b", 0, 5), 6, PK_OK, 3, NULL);
	CHECK(linearizable(h));	/* one DEL happened */
	h = lin_new();
	done(h, inv(h, 1, PK_OP_PUT, "a", 0, 1), 2, PK_OK, 1, NULL);
	lin_give_up(h, inv(h, 2, PK_OP_DEL, NULL, 0, 3));
	lin_give_up(h, inv(h, 3, PK_OP_DEL, NULL, 0, 4));
	done(h, inv(h, 4, PK_OP_PUT, "b", 0, 5), 6, PK_OK, 4, NULL);
	CHECK(!linearizable(h));	/* the second DEL found nothing to delete */
}

static void
test_reduction_unknown_adds(void)
{
	struct lin_history *h = lin_new();

	done(h, inv(h, 1, PK_OP_PUT, "10", 0, 1), 2, PK_OK, 1, NULL);
	lin_give_up(h, inv(h, 2, PK_OP_ADD, NULL, 1, 3));
	lin_give_up(h, inv(h, 3, PK_OP_ADD, NULL, 1, 4));
	done(h, inv(h, 4, PK_OP_GET, NULL, 0, 5), 6, PK_OK, 3, "12");
	CHECK(linearizable(h));
	h = lin_new();
	done(h, inv(h, 1, PK_OP_PUT, "10", 0, 1), 2, PK_OK, 1, NULL);
	lin_give_up(h, inv(h, 2, PK_OP_ADD, NULL, 1, 3));
	lin_give_up(h, inv(h, 3, PK_OP_ADD, NULL, 1, 4));
	done(h, inv(h, 4, PK_OP_GET, NULL, 0, 5), 6, PK_OK, 3, "13");
	CHECK(!linearizable(h));
}

/* An unknown PUT whose value is only seen through unknown and definite
 * ADDs built on it must not be folded away.
 */
static void
test_reduction_sees_through_add_chains(void)
{
	struct lin_history *h = lin_new();

	lin_give_up(h, inv(h, 1, PK_OP_PUT, "5", 0, 1));
	lin_give_up(h, inv(h, 2, PK_OP_ADD, NULL, 2, 2));
	done(h, inv(h, 3, PK_OP_ADD, NULL, 1, 10), 11, PK_OK, 3, "8");	/* 5 + 2 + 1 */
	CHECK(linearizable(h));
	h = lin_new();
	lin_give_up(h, inv(h, 1, PK_OP_PUT, "5", 0, 1));
	lin_give_up(h, inv(h, 2, PK_OP_ADD, NULL, 2, 2));
	done(h, inv(h, 3, PK_OP_GET, NULL, 0, 10), 11, PK_OK, 2, "7");	/* 5 + 2 */
	CHECK(linearizable(h));
	h = lin_new();
	lin_give_up(h, inv(h, 1, PK_OP_PUT, "5", 0, 1));
	lin_give_up(h, inv(h, 2, PK_OP_ADD, NULL, 2, 2));
	done(h, inv(h, 3, PK_OP_GET, NULL, 0, 10), 11, PK_OK, 2, "8");	/* no such sum */
	CHECK(!linearizable(h));
}

/* Deletion GC: a key created again after a delete (or first created in a
 * partition that collected others) may start at any version above its last
 * one, never at or below it. Only when the run allows it.
 */
static void
test_version_jumps_after_delete(void)
{
	struct lin_history *h;

	for (int jumps = 0; jumps <= 1; jumps++) {
		h = lin_new();
		if (jumps)
			lin_allow_version_jumps(h);
		done(h, inv(h, 1, PK_OP_PUT, "a", 0, 1), 2, PK_OK, 1, NULL);
		done(h, inv(h, 1, PK_OP_DEL, NULL, 0, 3), 4, PK_OK, 0, NULL);
		done(h, inv(h, 1, PK_OP_PUT, "b", 0, 5), 6, PK_OK, 7, NULL);
		done(h, inv(h, 2, PK_OP_GET, NULL, 0, 7), 8, PK_OK, 7, "b");
		done(h, inv(h, 2, PK_OP_CAS, "c", 7, 9), 10, PK_OK, 8, NULL);
		CHECK(linearizable(h) == (jumps == 1));
	}
	/* Never back: created at 5, deleted (6), created again at 3. */
	h = lin_new();
	lin_allow_version_jumps(h);
	done(h, inv(h, 1, PK_OP_PUT, "a", 0, 1), 2, PK_OK, 5, NULL);
	done(h, inv(h, 1, PK_OP_DEL, NULL, 0, 3), 4, PK_OK, 0, NULL);
	done(h, inv(h, 1, PK_OP_PUT, "b", 0, 5), 6, PK_OK, 6, NULL);
	CHECK(!linearizable(h));
	/* A creation of unknown outcome floats above the bound until a read
	 * shows its version, which then holds.
	 */
	h = lin_new();
	lin_allow_version_jumps(h);
	done(h, inv(h, 1, PK_OP_PUT, "a", 0, 1), 2, PK_OK, 4, NULL);
	done(h, inv(h, 1, PK_OP_DEL, NULL, 0, 3), 4, PK_OK, 0, NULL);
	lin_give_up(h, inv(h, 1, PK_OP_PUT, "x", 0, 5));
	done(h, inv(h, 2, PK_OP_GET, NULL, 0, 7), 8, PK_OK, 9, "x");
	done(h, inv(h, 2, PK_OP_ADD, NULL, 1, 9), 10, PK_NOT_INTEGER, 0, NULL);
	done(h, inv(h, 2, PK_OP_PUT, "y", 0, 11), 12, PK_OK, 10, NULL);
	CHECK(linearizable(h));
	h = lin_new();
	lin_allow_version_jumps(h);
	done(h, inv(h, 1, PK_OP_PUT, "a", 0, 1), 2, PK_OK, 4, NULL);
	done(h, inv(h, 1, PK_OP_DEL, NULL, 0, 3), 4, PK_OK, 0, NULL);
	lin_give_up(h, inv(h, 1, PK_OP_PUT, "x", 0, 5));
	done(h, inv(h, 2, PK_OP_GET, NULL, 0, 7), 8, PK_OK, 5, "x");	/* not above 5 */
	CHECK(!linearizable(h));
}

static void
test_dump_load_round_trip(void)
{
	struct lin_history *h = lin_new(), *back;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct lin_result r;

	done(h, inv(h, 1, PK_OP_PUT, "a b", 0, 1), 2, PK_OK, 1, NULL);
	lin_give_up(h, inv(h, 1, PK_OP_PUT, "c", 0, 3));
	done(h, inv(h, 2, PK_OP_GET, NULL, 0, 5), 6, PK_OK, 2, "c");
	done(h, inv(h, 2, PK_OP_GET, NULL, 0, 7), 8, PK_OK, 1, "a b");	/* stale */
	lin_dump(h, f);
	fclose(f);
	f = fmemopen(text, len, "r");
	back = lin_load(f);
	fclose(f);
	free(text);
	CHECK(back != NULL);
	r = lin_check(back, NULL);
	CHECK(!r.ok && r.ops == 4 && r.unknown == 1);
	lin_free(back);
	lin_free(h);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "sequential_history", test_sequential_history },
		{ "stale_read_is_caught", test_stale_read_is_caught },
		{ "concurrency_allows_either_order", test_concurrency_allows_either_order },
		{ "unknown_may_or_may_not_happen", test_unknown_may_or_may_not_happen },
		{ "refused_op_cannot_explain_an_effect", test_refused_op_cannot_explain_an_effect },
		{ "lost_write_is_caught", test_lost_write_is_caught },
		{ "double_applied_add_is_caught", test_double_applied_add_is_caught },
		{ "reduction_counts_unknown_writes_exactly",
		  test_reduction_counts_unknown_writes_exactly },
		{ "reduction_keeps_order_constraints", test_reduction_keeps_order_constraints },
		{ "reduction_unknown_adds", test_reduction_unknown_adds },
		{ "reduction_sees_through_add_chains", test_reduction_sees_through_add_chains },
		{ "version_jumps_after_delete", test_version_jumps_after_delete },
		{ "dump_load_round_trip", test_dump_load_round_trip },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
