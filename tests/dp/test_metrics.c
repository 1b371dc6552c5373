/* The Prometheus exposition: every family declared once before its
 * samples, counters named _total, gauges not, the latency histogram
 * cumulative with +Inf equal to the count, the peers and lists present,
 * and a buffer too small refused rather than cut.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "metrics.h"

static struct dp_counters c;

static size_t
format(char *buf, size_t cap)
{
	struct dp_metrics_in in = { .node = 2, .cluster_id = 7, .partitions = 4, .workers = 2,
				    .epoch = 5, .voting = true, .prepare_mask = 0x7,
				    .accept_mask = 0xf, .prepare_quorum = 2, .accept_quorum = 3,
				    .members = (1u << 0) | (1u << 1) | (1u << 3), .uptime_s = 9,
				    .total = &c };

	in.heard_age_ms[0] = 250;
	in.heard_ever[0] = true;
	in.heard_age_ms[3] = 4000;
	in.silent[3] = true;
	return dp_metrics_format(&in, buf, cap);
}

static uint64_t
sample(const char *text, const char *name_and_labels)
{
	char key[160];
	const char *p;

	snprintf(key, sizeof(key), "\n%s ", name_and_labels);
	p = strstr(text, key);
	if (p == NULL) {
		fprintf(stderr, "no sample %s\n", name_and_labels);
		return UINT64_MAX;
	}
	return strtoull(p + strlen(key), NULL, 10);
}

static void
test_families_and_values(void)
{
	static char buf[DP_METRICS_MAX];
	size_t n;

	memset(&c, 0, sizeof(c));
	pk_hist_reset(&c.latency);
	c.dp.rx_frames = 123;
	c.dp.keys = 42;
	c.core.req_put = 9;
	c.dp.gate[1] = 3;
	n = format(buf, sizeof(buf));
	CHECK(n > 0 && n == strlen(buf) && buf[n - 1] == '\n');
	CHECK_EQ(sample(buf, "parnik_epoch"), 5);
	CHECK_EQ(sample(buf, "parnik_voting"), 1);
	CHECK_EQ(sample(buf, "parnik_rx_frames_total"), 123);
	CHECK_EQ(sample(buf, "parnik_keys"), 42);	/* a gauge: no _total */
	CHECK(strstr(buf, "# TYPE parnik_keys gauge\n") != NULL);
	CHECK(strstr(buf, "# TYPE parnik_rx_frames_total counter\n") != NULL);
	CHECK_EQ(sample(buf, "parnik_req_put_total"), 9);
	CHECK(strstr(buf, "parnik_list_member{list=\"accept\",member=\"3\"} 1\n") != NULL);
	CHECK(strstr(buf, "parnik_list_member{list=\"prepare\",member=\"3\"}") == NULL);
	CHECK_EQ(sample(buf, "parnik_list_quorum{list=\"accept\"}"), 3);
	/* Peers: the members given, this replica never among them. */
	CHECK(strstr(buf, "parnik_peer_last_heard_seconds{peer=\"0\"} 0.250\n") != NULL);
	CHECK(strstr(buf, "parnik_peer_last_heard_seconds{peer=\"2\"}") == NULL);
	CHECK_EQ(sample(buf, "parnik_peer_silent{peer=\"3\"}"), 1);
	CHECK_EQ(sample(buf, "parnik_peer_heard{peer=\"1\"}"), 0);
	/* Every family declared once. */
	for (const char *p = strstr(buf, "# TYPE "); p != NULL; p = strstr(p + 1, "# TYPE ")) {
		char name[96], again[112];

		CHECK(sscanf(p, "# TYPE %95s", name) == 1);
		snprintf(again, sizeof(again), "# TYPE %s ", name);
		CHECK(strstr(p + 1, again) == NULL);
	}
}

static void
test_histogram_cumulative(void)
{
	static char buf[DP_METRICS_MAX];
	const uint64_t values[] = { 500, 1023, 1024, 50000, 50000, 2000000, 3000000000ull };
	uint64_t last = 0;
	const char *p;

	memset(&c, 0, sizeof(c));
	pk_hist_reset(&c.latency);
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		pk_hist_record(&c.latency, values[i]);
	}
	CHECK(format(buf, sizeof(buf)) > 0);
	/* le=1.024e-06 s holds the values below 1024 ns: 500 and 1023. */
	CHECK_EQ(sample(buf, "parnik_request_duration_seconds_bucket{le=\"1.024e-06\"}"), 2);
	for (p = strstr(buf, "parnik_request_duration_seconds_bucket{"); p != NULL;
	     p = strstr(p + 1, "parnik_request_duration_seconds_bucket{")) {
		uint64_t v = strtoull(strchr(p, ' ') + 1, NULL, 10);

		CHECK(v >= last);
		last = v;
	}
	CHECK_EQ(sample(buf, "parnik_request_duration_seconds_bucket{le=\"+Inf\"}"), 7);
	CHECK_EQ(sample(buf, "parnik_request_duration_seconds_count"), 7);
	/* 3 s is past the last finite bucket: only +Inf counts it. */
	CHECK_EQ(sample(buf, "parnik_request_duration_seconds_bucket{le=\"1.073741824\"}"), 6);
	CHECK(strstr(buf, "parnik_request_duration_seconds_sum 3.002102547\n") != NULL);
}

static void
test_too_small(void)
{
	char small[512];

	memset(&c, 0, sizeof(c));
	pk_hist_reset(&c.latency);
	CHECK_EQ(format(small, sizeof(small)), 0);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "families_and_values", test_families_and_values },
		{ "histogram_cumulative", test_histogram_cumulative },
		{ "too_small", test_too_small },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
