/* parnik-bench's end-of-run audit (bench/final_reads.h): a final read that
 * misses a certain last write counts as a lost write; keys whose end is
 * open (overlapping writes, recent unknown outcomes) are not judged.
 */
#include <string.h>

#include "check.h"
#include "final_reads.h"

#define S 1000000000ull	/* ns */

static struct record
op(uint8_t o, uint32_t key, int64_t written, uint64_t invoke, uint64_t complete, uint8_t status)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	r.op = o;
	r.key = key;
	r.written = written;
	r.invoke = invoke;
	r.complete = complete;
	r.status = status;
	return r;
}

static struct record
read_of(uint32_t key, bool found, int64_t value)
{
	struct record r = op(PK_OP_GET, key, 0, 100 * S, 100 * S + 1, found ? PK_OK : PK_NOT_FOUND);

	r.has_result = found;
	r.result = value;
	return r;
}

static struct lost_report
audit(struct record *load, uint64_t n, const struct record *reads, uint64_t nreads, uint32_t keys)
{
	struct record *arrays[1] = { load };
	struct lost_report lr;

	lost_writes(arrays, &n, 1, reads, nreads, keys, 10 * S, &lr);
	return lr;
}

static void
test_read_missing_last_write_is_lost(void)
{
	struct record load[] = {
		op(PK_OP_PUT, 0, 7, 1 * S, 2 * S, PK_OK),
		op(PK_OP_PUT, 0, 9, 3 * S, 4 * S, PK_OK),	/* the certain last */
	};
	struct record good[] = { read_of(0, true, 9), read_of(0, true, 9) };
	struct record stale[] = { read_of(0, true, 9), read_of(0, true, 7) };
	struct record gone[] = { read_of(0, false, 0) };
	struct lost_report lr = audit(load, 2, good, 2, 1);

	CHECK_EQ(lr.lost, 0);
	CHECK_EQ(lr.decided, 1);
	CHECK_EQ(lr.reads, 2);
	lr = audit(load, 2, stale, 2, 1);
	CHECK_EQ(lr.lost, 1);
	CHECK_EQ(lr.first_lost, 0);
	lr = audit(load, 2, gone, 1, 1);
	CHECK_EQ(lr.lost, 1);
}

static void
test_add_del_and_refusals(void)
{
	struct record add = op(PK_OP_ADD, 1, 0, 5 * S, 6 * S, PK_OK);
	struct record load[] = {
		op(PK_OP_PUT, 1, 3, 1 * S, 2 * S, PK_OK),
		add,
		/* certainly changed nothing: a CAS refused, a BUSY PUT */
		op(PK_OP_CAS, 1, 44, 5 * S, 9 * S, PK_CAS_MISMATCH),
		op(PK_OP_PUT, 1, 45, 5 * S, 9 * S, PK_BUSY),
		op(PK_OP_PUT, 2, 8, 1 * S, 2 * S, PK_OK),
		op(PK_OP_DEL, 2, 0, 3 * S, 4 * S, PK_OK),
	};
	struct record reads[] = { read_of(1, true, 5), read_of(2, false, 0), read_of(3, false, 0) };
	struct record wrong[] = { read_of(1, true, 3), read_of(2, true, 8), read_of(3, true, 1) };
	struct lost_report lr;

	load[1].has_result = true;
	load[1].result = 5;	/* ADD answered the key's new value */
	lr = audit(load, 6, reads, 3, 4);
	CHECK_EQ(lr.lost, 0);
	CHECK_EQ(lr.keys, 2);
	CHECK_EQ(lr.decided, 4);	/* keys 0 and 3 were never written: absent */
	lr = audit(load, 6, wrong, 3, 4);
	CHECK_EQ(lr.lost, 3);
}

static void
test_open_ends_are_not_judged(void)
{
	struct record load[] = {
		/* key 0: two writes overlap at the end */
		op(PK_OP_PUT, 0, 1, 1 * S, 3 * S, PK_OK),
		op(PK_OP_PUT, 0, 2, 2 * S, 4 * S, PK_OK),
		/* key 1: an unknown outcome 5 s before the last certain write */
		op(PK_OP_PUT, 1, 3, 1 * S, 2 * S, PK_UNKNOWN_OUTCOME),
		op(PK_OP_PUT, 1, 4, 6 * S, 7 * S, PK_OK),
		/* key 2: one 20 s before: settled, the last write is certain */
		op(PK_OP_PUT, 2, 5, 1 * S, 0, 0),
		op(PK_OP_PUT, 2, 6, 21 * S, 22 * S, PK_OK),
	};
	struct record reads[] = { read_of(0, true, 1), read_of(1, true, 3), read_of(2, true, 5) };
	struct lost_report lr = audit(load, 6, reads, 3, 3);

	CHECK_EQ(lr.decided, 1);
	CHECK_EQ(lr.lost, 1);	/* key 2 only */
	CHECK_EQ(lr.first_lost, 2);
}

static void
test_unanswered_reads_counted(void)
{
	struct record load[] = { op(PK_OP_PUT, 0, 1, 1 * S, 2 * S, PK_OK) };
	struct record reads[] = { read_of(0, true, 1), op(PK_OP_GET, 0, 0, 50 * S, 0, 0),
				  op(PK_OP_GET, 0, 0, 50 * S, 51 * S, PK_UNKNOWN_OUTCOME) };
	struct lost_report lr = audit(load, 1, reads, 3, 1);

	CHECK_EQ(lr.reads, 1);
	CHECK_EQ(lr.unread, 2);
	CHECK_EQ(lr.lost, 0);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "read_missing_last_write_is_lost", test_read_missing_last_write_is_lost },
		{ "add_del_and_refusals", test_add_del_and_refusals },
		{ "open_ends_are_not_judged", test_open_ends_are_not_judged },
		{ "unanswered_reads_counted", test_unanswered_reads_counted },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
