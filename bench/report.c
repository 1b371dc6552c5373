/* parnik-bench's output (see report.h). Latencies are printed in
 * microseconds; the histogram keeps nanoseconds.
 */
#include "report.h"

#include <inttypes.h>
#include <string.h>

#include "parnik/err.h"

static double
us(const struct pk_hist *h, double q)
{
	return (double)pk_hist_quantile(h, q) / 1000.0;
}

/* A count over the run's span, per second. */
static double
per_s(const struct run_report *r, uint64_t count)
{
	return r->window > 0 ? (double)count / r->window : 0;
}

/* Writes whose fate the client cannot know: UNKNOWN_OUTCOME (a reply
 * saying so, or no reply at all) and SESSION_EXPIRED.
 */
static uint64_t
unknown_outcomes(const struct run_report *r)
{
	return r->by_status[PK_UNKNOWN_OUTCOME] + r->by_status[PK_SESSION_EXPIRED];
}

void
report_header(FILE *f, bool open_loop)
{
	fprintf(f, "%6s %10s%s %9s %9s %8s %8s %8s\n", "second", "ops/s",
		open_loop ? "     sent/s" : "", "p50 us", "p99 us", "busy", "errors", "timeouts");
	fflush(f);
}

void
report_row(FILE *f, unsigned int second, const struct sec_row *r, bool open_loop)
{
	fprintf(f, "%6u %10" PRIu64, second, r->done);
	if (open_loop)
		fprintf(f, " %10" PRIu64, r->sent);
	fprintf(f, " %9.1f %9.1f %8" PRIu64 " %8" PRIu64 " %8" PRIu64 "\n", us(&r->lat, 0.5),
		us(&r->lat, 0.99), r->busy, r->errors, r->timeouts);
	fflush(f);
}

static const char *
rate_verdict_text(enum rate_verdict v)
{
	switch (v) {
	case RATE_REACHED:
		return "reached";
	case RATE_SATURATED:
		return "not reached: the cluster saturated (the window stayed full)";
	case RATE_CLIENT_LIMIT:
		return "NOT OFFERED: this client could not send that fast";
	}
	return "?";
}

void
report_summary(FILE *f, const struct run_report *r)
{
	double rate = per_s(r, r->ops);

	fprintf(f, "\nsummary: %" PRIu64 " ops in %.2f s, %.0f ops/s; %s, %u thread%s x %u in "
		"flight, %u keys (%s), %s; over %s\n",
		r->ops, r->elapsed, rate, r->mode, r->threads, r->threads == 1 ? "" : "s", r->depth,
		r->keys, r->dist, r->mix, r->transport);
	if (r->rate > 0) {
		fprintf(f, "open loop: offered %.0f ops/s, sent %.0f ops/s, completed %.0f ops/s: %s\n",
			r->rate, per_s(r, r->sent), rate,
			rate_verdict_text(r->rate_verdict));
		fprintf(f, "  %" PRIu64 " due: %" PRIu64 " sent late for a full window, %" PRIu64
			" never sent, %" PRIu64 " sent over 1 ms late with the window open; that "
			"lateness: p50 %.1f us, p99 %.1f us\n",
			r->intended, r->window_waits, r->not_sent, r->late_sends,
			us(&r->client_lag, 0.5), us(&r->client_lag, 0.99));
		fprintf(f, "  latency is measured from each request's intended send time; from its "
			"send (admitted): p50 %.1f us, p99 %.1f us, p99.9 %.1f us\n",
			us(&r->service, 0.5), us(&r->service, 0.99), us(&r->service, 0.999));
	}
	fprintf(f, "latency us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
		us(&r->lat, 0.5), us(&r->lat, 0.9), us(&r->lat, 0.99), us(&r->lat, 0.999),
		(double)r->lat.max / 1e3);
	fprintf(f, "results:");
	for (unsigned int s = 0; s < 64; s++)
		if (r->by_status[s] > 0)
			fprintf(f, " %s %" PRIu64, pk_status_name((int)s), r->by_status[s]);
	fprintf(f, "\nerrors: %" PRIu64 ", busy (shed, not applied): %" PRIu64
		", timeouts (no reply at all): %" PRIu64 "\n", r->errors, r->busy, r->timeouts);
	fprintf(f, "throttled: %" PRIu64 " of the busy refused by the client itself, not sent\n",
		r->throttled);
	/* The outcomes a client cannot know, whether a reply said so or none
	 * came: what a load must keep near zero.
	 */
	fprintf(f, "unknown outcome: %" PRIu64 " of %" PRIu64 " (%.3f%%): UNKNOWN_OUTCOME %" PRIu64
		", SESSION_EXPIRED %" PRIu64 "\n", unknown_outcomes(r), r->ops,
		r->ops > 0 ? 100.0 * (double)unknown_outcomes(r) / (double)r->ops : 0.0,
		r->by_status[PK_UNKNOWN_OUTCOME], r->by_status[PK_SESSION_EXPIRED]);
	fflush(f);
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s != NULL && *s != 0; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
json_latency(FILE *f, const struct pk_hist *h)
{
	fprintf(f, "{\"count\": %" PRIu64 ", \"p50\": %.1f, \"p90\": %.1f, \"p99\": %.1f, "
		"\"p999\": %.1f, \"max\": %.1f, \"mean\": %.1f}",
		h->count, us(h, 0.5), us(h, 0.9), us(h, 0.99), us(h, 0.999), (double)h->max / 1e3,
		h->count > 0 ? (double)h->sum / (double)h->count / 1e3 : 0.0);
}

int
report_json(const char *path, const struct run_report *r)
{
	static const char *const lin[] = { "unchecked", "yes", "no", "undecided" };
	static const char *const verdict[] = { "reached", "saturated", "client_limit" };
	FILE *f = fopen(path, "w");
	bool first = true;

	if (f == NULL)
		return -1;
	fprintf(f, "{\n  \"setup\": {\"servers\": ");
	json_str(f, r->servers);
	fprintf(f, ", \"partitions\": %u, \"threads\": %u, \"depth\": %u, \"keys\": %u, "
		"\"value_size\": %u, \"seconds\": %u, \"mix\": ",
		r->partitions, r->threads, r->depth, r->keys, r->value_size, r->seconds);
	json_str(f, r->mix);
	fprintf(f, ", \"dist\": ");
	json_str(f, r->dist);
	fprintf(f, ", \"mode\": ");
	json_str(f, r->mode);
	fprintf(f, ", \"transport\": ");
	json_str(f, r->transport);
	fprintf(f, ", \"rate\": %.0f},\n", r->rate);
	fprintf(f, "  \"summary\": {\"ops\": %" PRIu64 ", \"elapsed_s\": %.3f, \"ops_per_s\": %.1f, "
		"\"errors\": %" PRIu64 ", \"busy\": %" PRIu64 ", \"throttled\": %" PRIu64
		", \"timeouts\": %" PRIu64 ", \"unknown_outcomes\": %" PRIu64 ", \"latency_us\": ",
		r->ops, r->elapsed, per_s(r, r->ops), r->errors, r->busy, r->throttled,
		r->timeouts, unknown_outcomes(r));
	json_latency(f, &r->lat);
	fprintf(f, ", \"linearizable\": \"%s\", \"history_ops\": %" PRIu64 "},\n", lin[r->lin],
		r->history_ops);
	if (r->rate > 0) {
		fprintf(f, "  \"open_loop\": {\"offered_per_s\": %.0f, \"sent_per_s\": %.1f, "
			"\"completed_per_s\": %.1f, \"due\": %" PRIu64 ", \"window_waits\": %" PRIu64
			", \"not_sent\": %" PRIu64 ", \"late_sends\": %" PRIu64 ", \"verdict\": \"%s\", "
			"\"send_lateness_us\": ",
			r->rate, per_s(r, r->sent), per_s(r, r->ops), r->intended, r->window_waits,
			r->not_sent, r->late_sends, verdict[r->rate_verdict]);
		json_latency(f, &r->client_lag);
		fprintf(f, ", \"service_latency_us\": ");
		json_latency(f, &r->service);
		fprintf(f, "},\n");
	}
	fprintf(f, "  \"results\": {");
	for (unsigned int s = 0; s < 64; s++) {
		if (r->by_status[s] == 0)
			continue;
		fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ", pk_status_name((int)s),
			r->by_status[s]);
		first = false;
	}
	fprintf(f, "},\n  \"seconds\": [\n");
	for (unsigned int i = 0; i < r->nrows; i++) {
		const struct sec_row *row = &r->rows[i];

		fprintf(f, "    {\"second\": %u, \"sent\": %" PRIu64 ", \"ops\": %" PRIu64
			", \"errors\": %" PRIu64 ", \"busy\": %" PRIu64 ", \"timeouts\": %" PRIu64
			", \"latency_us\": ",
			i + 1, row->sent, row->done, row->errors, row->busy, row->timeouts);
		json_latency(f, &row->lat);
		fprintf(f, "}%s\n", i + 1 < r->nrows ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	return fclose(f) == 0 ? 0 : -1;
}
