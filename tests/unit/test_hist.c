/* The latency histogram: exact below 32, within 1/32 above, quantiles and
 * merging right on known data.
 */
#include <stdlib.h>

#include "check.h"
#include "parnik/hist.h"

static struct pk_hist h, g;

static void
test_exact_small_values(void)
{
	pk_hist_reset(&h);
	for (uint64_t v = 0; v < 32; v++)
		pk_hist_record(&h, v);
	CHECK_EQ(h.count, 32);
	CHECK_EQ(pk_hist_quantile(&h, 0.5), 15);	/* 16th of 32 values */
	CHECK_EQ(pk_hist_quantile(&h, 1.0), 31);
	CHECK_EQ(pk_hist_quantile(&h, 0.0), 0);
}

static void
test_relative_error_bound(void)
{
	uint64_t x = 12345;

	for (int i = 0; i < 100000; i++) {
		uint64_t v, got;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = x % (1ull << 39);
		pk_hist_reset(&h);
		pk_hist_record(&h, v);
		pk_hist_record(&h, v + (1ull << 39));	/* keeps max above v */
		got = pk_hist_quantile(&h, 0.5);
		CHECK(got >= v);
		CHECK((double)(got - v) <= (double)v / 32.0 + 1.0);
	}
}

static void
test_quantiles_of_a_uniform_run(void)
{
	pk_hist_reset(&h);
	for (uint64_t v = 1; v <= 100000; v++)
		pk_hist_record(&h, v * 1000);	/* 1 us .. 100 ms in ns */
	for (int p = 1; p <= 99; p++) {
		double want = p * 1000.0 * 1000.0;
		double got = (double)pk_hist_quantile(&h, p / 100.0);

		CHECK(got >= want && got <= want * (1 + 1.0 / 32));
	}
	CHECK_EQ(pk_hist_quantile(&h, 1.0), 100000ull * 1000);
	CHECK_EQ(h.min, 1000);
}

static void
test_merge(void)
{
	pk_hist_reset(&h);
	pk_hist_reset(&g);
	for (uint64_t v = 0; v < 1000; v++)
		pk_hist_record(v % 2 ? &h : &g, v);
	pk_hist_merge(&h, &g);
	CHECK_EQ(h.count, 1000);
	CHECK_EQ(h.min, 0);
	CHECK_EQ(h.max, 999);
	CHECK_EQ(h.sum, 999 * 1000 / 2);
	CHECK(pk_hist_quantile(&h, 0.5) >= 499 && pk_hist_quantile(&h, 0.5) <= 499 + 16);
	pk_hist_reset(&g);
	CHECK_EQ(pk_hist_quantile(&g, 0.99), 0);	/* empty */
	pk_hist_record(&g, UINT64_MAX);			/* beyond the range: kept */
	CHECK_EQ(pk_hist_quantile(&g, 0.5), UINT64_MAX);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "exact_small_values", test_exact_small_values },
		{ "relative_error_bound", test_relative_error_bound },
		{ "quantiles_of_a_uniform_run", test_quantiles_of_a_uniform_run },
		{ "merge", test_merge },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
