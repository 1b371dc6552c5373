/* Per-lcore counters: publish, read, sum, print (see counters.h). */
#include <inttypes.h>
#include <string.h>

#include "counters.h"
#include "parnik/err.h"

_Static_assert(sizeof(struct dp_counters) % sizeof(uint64_t) == 0,
	       "dp_counters must be made of uint64_t only");

#define WORDS (sizeof(struct dp_counters) / sizeof(uint64_t))

void
dp_counters_publish(struct dp_counters *pub, const struct dp_counters *live)
{
	uint64_t *d = (uint64_t *)pub;
	const uint64_t *s = (const uint64_t *)live;

	for (size_t i = 0; i < WORDS; i++)
		__atomic_store_n(&d[i], s[i], __ATOMIC_RELAXED);
}

void
dp_counters_read(struct dp_counters *out, const struct dp_counters *pub)
{
	uint64_t *d = (uint64_t *)out;
	const uint64_t *s = (const uint64_t *)pub;

	for (size_t i = 0; i < WORDS; i++)
		d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

static void
add_words(uint64_t *into, const uint64_t *from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		into[i] += from[i];
}

void
dp_counters_add(struct dp_counters *into, const struct dp_counters *from)
{
	add_words((uint64_t *)&into->dp, (const uint64_t *)&from->dp,
		  sizeof(into->dp) / sizeof(uint64_t));
	add_words((uint64_t *)&into->core, (const uint64_t *)&from->core,
		  sizeof(into->core) / sizeof(uint64_t));
	pk_hist_merge(&into->latency, &from->latency);
}

void
dp_counters_print(const struct dp_counters *c, FILE *f)
{
#define DP_PRINT(name, desc) fprintf(f, "  %-22s %12" PRIu64 "  %s\n", #name, c->dp.name, desc);
	DP_STAT_LIST(DP_PRINT)
#undef DP_PRINT
	for (unsigned int d = 0; d < DP_DROP_COUNT; d++)
		if (c->dp.drops[d] > 0)
			fprintf(f, "  drop_%-17s %12" PRIu64 "\n", dp_drop_name(d), c->dp.drops[d]);
	for (unsigned int g = 1; g < DP_GATE_COUNT; g++)
		if (c->dp.gate[g] > 0)
			fprintf(f, "  %-22s %12" PRIu64 "\n", dp_gate_reason_name(g), c->dp.gate[g]);
	for (unsigned int e = 0; e < 64; e++)
		if (c->dp.decode_by_code[e] > 0)
			fprintf(f, "  decode_%-15s %12" PRIu64 "\n", pk_status_name((int)e),
				c->dp.decode_by_code[e]);
#define DP_PRINT_CORE(name, desc) fprintf(f, "  %-22s %12" PRIu64 "  %s\n", #name, c->core.name, desc);
	PK_STAT_LIST(DP_PRINT_CORE)
#undef DP_PRINT_CORE
	fprintf(f, "  %-22s %12" PRIu64 "  %s\n", "latency_count", c->latency.count,
		"client requests answered (timed in the replica)");
	fprintf(f, "  %-22s %12" PRIu64 "  %s\n", "latency_p50_ns", pk_hist_quantile(&c->latency, 0.5),
		"request arrival to reply, median");
	fprintf(f, "  %-22s %12" PRIu64 "  %s\n", "latency_p99_ns",
		pk_hist_quantile(&c->latency, 0.99), "request arrival to reply, 99th percentile");
	fprintf(f, "  %-22s %12" PRIu64 "  %s\n", "latency_max_ns", c->latency.max,
		"request arrival to reply, maximum");
}

void
dp_counters_print_lcore(const struct dp_counters *c, unsigned int lcore, FILE *f)
{
	double busy = c->dp.total_cycles > 0
			      ? 100.0 * (double)c->dp.busy_cycles / (double)c->dp.total_cycles
			      : 0.0;

	fprintf(f,
		"  lcore %u: rx %" PRIu64 " tx %" PRIu64 " handoff out %" PRIu64 " in %" PRIu64
		" requests %" PRIu64 " busy %.1f%% p50 %" PRIu64 " ns p99 %" PRIu64 " ns\n",
		lcore, c->dp.rx_frames, c->dp.tx_frames, c->dp.handoff_out, c->dp.handoff_in,
		c->latency.count, busy, pk_hist_quantile(&c->latency, 0.5),
		pk_hist_quantile(&c->latency, 0.99));
}
