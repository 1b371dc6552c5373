/* A log-linear latency histogram (HdrHistogram's layout, 5 sub-bucket bits):
 * values below 32 are exact; above, each power of two is split into 32
 * buckets, so a quantile is off by at most 1/32 (3.1%) of its value. Values
 * up to 2^40 (18 minutes in ns) fit; larger ones land in the last bucket.
 * Fixed size, no allocation: one per lcore or thread, merged for reports.
 */
#ifndef PARNIK_HIST_H
#define PARNIK_HIST_H

#include <stdint.h>

#define PK_HIST_SUB_BITS 5
#define PK_HIST_MAX_BITS 40
#define PK_HIST_BUCKETS ((PK_HIST_MAX_BITS - PK_HIST_SUB_BITS + 1) << PK_HIST_SUB_BITS)

struct pk_hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t buckets[PK_HIST_BUCKETS];
};

void pk_hist_reset(struct pk_hist *h);
void pk_hist_record(struct pk_hist *h, uint64_t value);
void pk_hist_merge(struct pk_hist *into, const struct pk_hist *from);

/* The value at quantile <q> (0..1): the upper edge of the bucket holding
 * it, capped at the maximum seen (a conservative figure). 0 when empty.
 */
uint64_t pk_hist_quantile(const struct pk_hist *h, double q);

/* How many values recorded were below <bound>: exact when <bound> is a
 * bucket edge (any power of two is), else the buckets wholly below it.
 */
uint64_t pk_hist_count_below(const struct pk_hist *h, uint64_t bound);

#endif
