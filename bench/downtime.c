/* parnik-downtime: one client pinned to one replica, writing its own key
 * one PUT after another for a fixed time, and counting its successes per
 * bucket of time. It prints the longest window without a success and when
 * it ended, so a script that isolates a replica can tell, per client, how
 * long its service stopped (the measurement of the CASPaxos author's
 * perseus comparison). bench/downtime.sh runs three of them.
 *
 *   parnik-downtime -s IPV4:PORT [-p P] [-c ID] [--key K] [--seconds S]
 *                   [--bucket-ms MS] [--timeout MS]
 * Prints one line per bucket ("t_ms ok") when --series is given, then a
 * summary line: "longest_gap_ms G ending_at_ms E ok N failed F".
 * Times are milliseconds of the wall clock, so several processes compare.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parnik/client.h"

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
usage(void)
{
	fprintf(stderr, "usage: parnik-downtime -s IPV4:PORT [-p P] [-c ID] [--key K] "
			"[--seconds S] [--bucket-ms MS] [--timeout MS] [--series]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "servers", required_argument, NULL, 's' },
		{ "partitions", required_argument, NULL, 'p' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "bucket-ms", required_argument, NULL, 'b' },
		{ "timeout", required_argument, NULL, 't' },
		{ "series", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct pk_client_config cfg;
	const char *key = "downtime";
	unsigned int seconds = 30, bucket_ms = 100;
	bool series = false;
	struct pk_client *c;
	char err[256];
	int opt;

	pk_client_config_default(&cfg);
	cfg.timeout_ms = 50;
	cfg.attempts = 2;
	while ((opt = getopt_long(argc, argv, "s:p:c:k:S:b:t:v", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			cfg.servers = optarg;
			break;
		case 'p':
			cfg.partitions = (uint16_t)atoi(optarg);
			break;
		case 'c':
			cfg.cluster_id = (uint32_t)atoi(optarg);
			break;
		case 'k':
			key = optarg;
			break;
		case 'S':
			seconds = (unsigned int)atoi(optarg);
			break;
		case 'b':
			bucket_ms = (unsigned int)atoi(optarg);
			break;
		case 't':
			cfg.timeout_ms = (uint32_t)atoi(optarg);
			break;
		case 'v':
			series = true;
			break;
		default:
			usage();
		}
	}
	if (cfg.servers == NULL || strchr(cfg.servers, ',') != NULL || seconds == 0 ||
	    seconds > 3600 || bucket_ms == 0)
		usage();	/* one replica: the client is pinned to it */
	c = pk_client_open(&cfg, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "parnik-downtime: %s\n", err);
		return 2;
	}
	{
		uint64_t start = wall_ms(), end = start + (uint64_t)seconds * 1000u;
		uint64_t last_ok = start, gap = 0, gap_end = start, ok = 0, failed = 0;
		uint32_t nbuckets = (uint32_t)((end - start) / bucket_ms + 1);
		uint32_t *per = calloc(nbuckets, sizeof(*per));
		char value[32];

		if (per == NULL)
			return 2;
		for (uint64_t n = 0, now = start; now < end; n++, now = wall_ms()) {
			struct pk_result r;
			int len = snprintf(value, sizeof(value), "%llu", (unsigned long long)n);

			if (pk_put(c, key, strlen(key), value, (size_t)len, &r) != PK_OK) {
				failed++;
				continue;
			}
			now = wall_ms();
			ok++;
			per[(now - start) / bucket_ms < nbuckets ? (now - start) / bucket_ms
								  : nbuckets - 1]++;
			if (now - last_ok > gap) {
				gap = now - last_ok;
				gap_end = now;
			}
			last_ok = now;
		}
		if (wall_ms() - last_ok > gap) {	/* still stopped at the end */
			gap = wall_ms() - last_ok;
			gap_end = wall_ms();
		}
		if (series)
			for (uint32_t i = 0; i < nbuckets; i++)
				printf("%llu %u\n", (unsigned long long)(start + (uint64_t)i * bucket_ms),
				       per[i]);
		printf("longest_gap_ms %llu ending_at_ms %llu ok %llu failed %llu\n",
		       (unsigned long long)gap, (unsigned long long)gap_end,
		       (unsigned long long)ok, (unsigned long long)failed);
		free(per);
	}
	pk_client_close(c);
	return 0;
}
