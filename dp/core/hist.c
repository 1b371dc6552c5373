/* Log-linear histogram (see include/parnik/hist.h). */
#include <string.h>

#include "parnik/hist.h"

#define SUB (1u << PK_HIST_SUB_BITS)

void
pk_hist_reset(struct pk_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

static unsigned int
bucket_of(uint64_t v)
{
	unsigned int k, idx;

	if (v < SUB)
		return (unsigned int)v;
	k = 63u - (unsigned int)__builtin_clzll(v);	/* v in [2^k, 2^(k+1)) */
	if (k >= PK_HIST_MAX_BITS)
		return PK_HIST_BUCKETS - 1;
	idx = ((k - PK_HIST_SUB_BITS + 1) << PK_HIST_SUB_BITS) +
	      (unsigned int)((v >> (k - PK_HIST_SUB_BITS)) & (SUB - 1));
	return idx;
}

/* The largest value that lands in bucket <b>. */
static uint64_t
bucket_top(unsigned int b)
{
	unsigned int k, sub;

	if (b < SUB)
		return b;
	k = (b >> PK_HIST_SUB_BITS) + PK_HIST_SUB_BITS - 1;
	sub = b & (SUB - 1);
	return ((uint64_t)(SUB + sub + 1) << (k - PK_HIST_SUB_BITS)) - 1;
}

void
pk_hist_record(struct pk_hist *h, uint64_t v)
{
	h->buckets[bucket_of(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void
pk_hist_merge(struct pk_hist *into, const struct pk_hist *from)
{
	for (unsigned int b = 0; b < PK_HIST_BUCKETS; b++)
		into->buckets[b] += from->buckets[b];
	into->count += from->count;
	into->sum += from->sum;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
}

uint64_t
pk_hist_count_below(const struct pk_hist *h, uint64_t bound)
{
	uint64_t n = 0;

	for (unsigned int b = 0; b < PK_HIST_BUCKETS && bucket_top(b) < bound; b++)
		n += h->buckets[b];
	return n;
}

uint64_t
pk_hist_quantile(const struct pk_hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	if (q <= 0)
		return h->min;
	/* The smallest value with at least ceil(q * count) values at or below. */
	rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	for (unsigned int b = 0; b < PK_HIST_BUCKETS; b++) {
		seen += h->buckets[b];
		if (seen >= rank) {
			uint64_t top = bucket_top(b);

			/* The last bucket also holds everything beyond the range. */
			if (b == PK_HIST_BUCKETS - 1)
				return h->max;
			return top < h->max ? top : h->max;
		}
	}
	return h->max;
}
