/* Prometheus text exposition of a replica's figures (see metrics.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "parnik/config.h"
#include "parnik/err.h"

struct text {
	char *buf;
	size_t cap, len;
	bool full;
};

static void __attribute__((format(printf, 2, 3)))
put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len)
		t->full = true;
	else
		t->len += (size_t)n;
}

static void
family(struct text *t, const char *name, const char *type, const char *help)
{
	put(t, "# HELP parnik_%s %s\n# TYPE parnik_%s %s\n", name, help, name, type);
}

/* A counter from the lists, or a gauge when its description says so. */
static void
one(struct text *t, const char *name, const char *desc, uint64_t v)
{
	bool gauge = strstr(desc, "(a gauge)") != NULL;

	put(t, "# HELP parnik_%s%s %s\n# TYPE parnik_%s%s %s\nparnik_%s%s %" PRIu64 "\n",
	    name, gauge ? "" : "_total", desc, name, gauge ? "" : "_total",
	    gauge ? "gauge" : "counter", name, gauge ? "" : "_total", v);
}

static void
gauge(struct text *t, const char *name, const char *help, uint64_t v)
{
	family(t, name, "gauge", help);
	put(t, "parnik_%s %" PRIu64 "\n", name, v);
}

/* Buckets at powers of two nanoseconds, 1.024 us to 1.07 s: edges of the
 * replica's own histogram, so no count is interpolated. A bucket counts the
 * values below its bound: one of exactly 2^k ns lands in the next (ns
 * resolution, where Prometheus says "at most").
 */
static void
latency(struct text *t, const struct pk_hist *h)
{
	/* The count from the buckets themselves: the lcores publish words
	 * one by one, so h->count may trail them and +Inf must not fall
	 * below a finite bucket.
	 */
	uint64_t all = pk_hist_count_below(h, UINT64_MAX);

	family(t, "request_duration_seconds", "histogram",
	       "from a client request's arrival to its reply, at this replica");
	for (unsigned int k = 10; k <= 30; k++)
		put(t, "parnik_request_duration_seconds_bucket{le=\"%.10g\"} %" PRIu64 "\n",
		    (double)(1ull << k) / 1e9, pk_hist_count_below(h, 1ull << k));
	put(t, "parnik_request_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", all);
	put(t, "parnik_request_duration_seconds_sum %.9f\n", (double)h->sum / 1e9);
	put(t, "parnik_request_duration_seconds_count %" PRIu64 "\n", all);
}

static void
peers(struct text *t, const struct dp_metrics_in *in)
{
	family(t, "peer_last_heard_seconds", "gauge",
	       "seconds since a datagram from this member passed the gate (since start if never)");
	for (uint16_t n = 0; n < PK_MAX_NODES; n++)
		if (in->members & (1u << n))
			put(t, "parnik_peer_last_heard_seconds{peer=\"%u\"} %.3f\n", n,
			    (double)in->heard_age_ms[n] / 1000.0);
	family(t, "peer_heard", "gauge", "1 once this member has been heard since start");
	for (uint16_t n = 0; n < PK_MAX_NODES; n++)
		if (in->members & (1u << n))
			put(t, "parnik_peer_heard{peer=\"%u\"} %d\n", n, in->heard_ever[n] ? 1 : 0);
	family(t, "peer_silent", "gauge", "1 while this member is silent (--peer-silent-ms)");
	for (uint16_t n = 0; n < PK_MAX_NODES; n++)
		if (in->members & (1u << n))
			put(t, "parnik_peer_silent{peer=\"%u\"} %d\n", n, in->silent[n] ? 1 : 0);
}

static void
lists(struct text *t, const struct dp_metrics_in *in)
{
	family(t, "list_member", "gauge", "1 for each member of the prepare or accept list");
	for (uint16_t n = 0; n < PK_MAX_NODES; n++) {
		if (in->prepare_mask & (1u << n))
			put(t, "parnik_list_member{list=\"prepare\",member=\"%u\"} 1\n", n);
		if (in->accept_mask & (1u << n))
			put(t, "parnik_list_member{list=\"accept\",member=\"%u\"} 1\n", n);
	}
	family(t, "list_quorum", "gauge", "the quorum of each list");
	put(t, "parnik_list_quorum{list=\"prepare\"} %u\n", in->prepare_quorum);
	put(t, "parnik_list_quorum{list=\"accept\"} %u\n", in->accept_quorum);
	family(t, "list_size", "gauge", "how many members each list has");
	put(t, "parnik_list_size{list=\"prepare\"} %u\n", pk_mask_count(in->prepare_mask));
	put(t, "parnik_list_size{list=\"accept\"} %u\n", pk_mask_count(in->accept_mask));
}

static void
reasons(struct text *t, const struct dp_counters *c)
{
	family(t, "frames_dropped_total", "counter", "frames dropped before decoding, by reason");
	for (unsigned int d = 0; d < DP_DROP_COUNT; d++)
		put(t, "parnik_frames_dropped_total{reason=\"%s\"} %" PRIu64 "\n", dp_drop_name(d),
		    c->dp.drops[d]);
	family(t, "gate_refused_total", "counter",
	       "datagrams the gate refused (authentication, replay, source), by reason");
	for (unsigned int g = 1; g < DP_GATE_COUNT; g++)
		put(t, "parnik_gate_refused_total{reason=\"%s\"} %" PRIu64 "\n",
		    dp_gate_reason_name(g), c->dp.gate[g]);
	family(t, "decode_refused_total", "counter", "datagrams the decoder refused, by error");
	for (unsigned int e = 0; e < 64; e++)
		if (c->dp.decode_by_code[e] > 0)
			put(t, "parnik_decode_refused_total{error=\"%s\"} %" PRIu64 "\n",
			    pk_status_name((int)e), c->dp.decode_by_code[e]);
}

size_t
dp_metrics_format(const struct dp_metrics_in *in, char *buf, size_t cap)
{
	struct text t = { .buf = buf, .cap = cap };

	if (cap == 0)
		return 0;
	buf[0] = 0;
	family(&t, "info", "gauge", "this replica: always 1, its identity in the labels");
	put(&t, "parnik_info{node=\"%u\",cluster=\"%u\",version=\"%s\"} 1\n", in->node,
	    in->cluster_id, PARNIK_VERSION);
	gauge(&t, "epoch", "the config epoch this replica runs", in->epoch);
	gauge(&t, "voting", "1 when this replica's acceptors vote (admitted)", in->voting);
	gauge(&t, "partitions", "partitions this replica serves", in->partitions);
	gauge(&t, "workers", "worker lcores", in->workers);
	gauge(&t, "uptime_seconds", "seconds since this replica started", in->uptime_s);
	gauge(&t, "arena_bytes", "memory held by the partitions' tables and values",
	      in->arena_bytes);
	lists(&t, in);
	peers(&t, in);
#define M(name, desc) one(&t, #name, desc, in->total->dp.name);
	DP_STAT_LIST(M)
#undef M
#define M(name, desc) one(&t, #name, desc, in->total->core.name);
	PK_STAT_LIST(M)
#undef M
	reasons(&t, in->total);
	latency(&t, &in->total->latency);
	return t.full ? 0 : t.len;
}
