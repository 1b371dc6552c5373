/* One operation of parnik-bench as recorded for the checker and the
 * end-of-run audit (final_reads.h): what was asked, when, and the answer.
 */
#ifndef BENCH_RECORD_H
#define BENCH_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"
#include "parnik/client.h"

struct record {
	uint8_t op;
	uint8_t status;
	uint32_t key;
	uint64_t arg;
	int64_t written;	/* PUT / CAS value */
	uint64_t invoke;	/* ns since start: the actual submit */
	uint64_t complete;	/* 0: never completed (unknown outcome) */
	uint64_t version;
	int64_t result;		/* GET / ADD value */
	bool has_result;
	bool result_padded;	/* the value came zero-padded (a PUT / CAS of --value-size) */
};

/* The clock of every record's times (monotonic ns): the load's and the
 * final reads' alike, so they order in one history.
 */
static inline uint64_t
record_now_ns(void)
{
	return pk_mono_ns();
}

/* Fills <r>'s answer from <res>, completed at <t> ns since the start. */
void record_result(struct record *r, const struct pk_result *res, uint64_t t);

#endif
