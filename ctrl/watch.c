/* The stats table of parnikctl (see watch.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"
#include "parnik/hist.h"
#include "reply.h"
#include "watch.h"

#define REPLY_MAX (256 * 1024)
#define MAX_REPLICAS 16

#define sample ctl_stats_sample

int
ctl_stats_sample_parse(const char *text, struct sample *s)
{
	char err[128];
	json_t *r = ctl_reply_parse(text, err, sizeof(err)), *hist, *pair;
	size_t k;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (r == NULL)
		return -1;
	hist = ctl_reply_at(r, "total.latency_hist");
	if (!ctl_reply_u64(r, "total.latency_ns.count", &s->requests) ||
	    !ctl_reply_u64(r, "total.rounds", &s->rounds) ||
	    !ctl_reply_u64(r, "total.rounds_1rtt", &s->rounds_1rtt) ||
	    !ctl_reply_u64(r, "total.conflicts_rcvd", &s->conflicts) ||
	    !ctl_reply_u64(r, "total.retries", &s->retries) || !json_is_array(hist))
		goto out;
	json_array_foreach(hist, k, pair) {
		json_t *b = json_array_get(pair, 0), *c = json_array_get(pair, 1);

		if (!json_is_integer(b) || !json_is_integer(c) || json_integer_value(b) < 0 ||
		    json_integer_value(b) >= PK_HIST_BUCKETS || json_integer_value(c) < 0)
			goto out;
		s->buckets[json_integer_value(b)] = (uint64_t)json_integer_value(c);
	}
	rc = 0;
out:
	json_decref(r);
	return rc;
}

uint64_t
ctl_stats_quantile(const struct sample *now, const struct sample *was, double q)
{
	static struct pk_hist d;

	pk_hist_reset(&d);
	for (unsigned int b = 0; b < PK_HIST_BUCKETS; b++) {
		d.buckets[b] = now->buckets[b] - was->buckets[b];
		d.count += d.buckets[b];
	}
	d.max = UINT64_MAX;	/* quantiles from buckets alone */
	return pk_hist_quantile(&d, q);
}

static void
print_row(unsigned int t, unsigned int i, const struct sample *now, const struct sample *was)
{
	uint64_t rounds = now->rounds - was->rounds;

	printf("%6u %7u %10llu %9.1f %9.1f %9llu %9llu %7.1f%%\n", t, i,
	       (unsigned long long)(now->requests - was->requests),
	       (double)ctl_stats_quantile(now, was, 0.5) / 1000.0,
	       (double)ctl_stats_quantile(now, was, 0.99) / 1000.0,
	       (unsigned long long)(now->conflicts - was->conflicts),
	       (unsigned long long)(now->retries - was->retries),
	       rounds > 0 ? 100.0 * (double)(now->rounds_1rtt - was->rounds_1rtt) / (double)rounds
			  : 0.0);
}

int
ctl_watch(const char *const *paths, unsigned int n, unsigned int seconds)
{
	static struct sample prev[MAX_REPLICAS], cur;
	char *reply = malloc(REPLY_MAX);
	char err[256] = "";
	int rc = 0;

	if (reply == NULL || n > MAX_REPLICAS)
		return 2;
	for (unsigned int i = 0; i < n; i++)
		if (ctl_client_call(paths[i], "stats", reply, REPLY_MAX, err, sizeof(err)) != 0 ||
		    ctl_stats_sample_parse(reply, &prev[i]) != 0) {
			fprintf(stderr, "parnikctl: %s: %s\n", paths[i],
				err[0] != 0 ? err : "unreadable stats reply");
			free(reply);
			return 6;
		}
	printf("%6s %7s %10s %9s %9s %9s %9s %8s\n", "second", "replica", "requests/s", "p50 us",
	       "p99 us", "conflicts", "retries", "1rtt");
	for (unsigned int t = 1; seconds == 0 || t <= seconds; t++) {
		sleep(1);
		for (unsigned int i = 0; i < n; i++) {
			if (ctl_client_call(paths[i], "stats", reply, REPLY_MAX, err, sizeof(err)) != 0 ||
			    ctl_stats_sample_parse(reply, &cur) != 0) {
				printf("%6u %7u %10s\n", t, i, "(no answer)");
				rc = 6;
				continue;
			}
			print_row(t, i, &cur, &prev[i]);
			prev[i] = cur;
		}
		fflush(stdout);
	}
	free(reply);
	return rc;
}
