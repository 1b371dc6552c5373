/* parnik-loopback: runs the udp_cluster test fixture as a process (N
 * replicas of the real core on 127.0.0.1 over kernel UDP) so that client
 * programs can be tested without DPDK. Not a replica for real use: that is
 * parnikd. Prints "servers LIST" and serves until SIGTERM or --seconds.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "udp_cluster.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	unsigned int nodes = 3, parts = 1, seconds = 60;
	uint32_t cluster = 1;
	struct udp_cluster *uc;

	for (int i = 1; i + 1 < argc; i += 2) {
		unsigned long v = strtoul(argv[i + 1], NULL, 10);

		if (strcmp(argv[i], "--nodes") == 0)
			nodes = (unsigned int)v;
		else if (strcmp(argv[i], "--partitions") == 0)
			parts = (unsigned int)v;
		else if (strcmp(argv[i], "--cluster") == 0)
			cluster = (uint32_t)v;
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = (unsigned int)v;
		else {
			fprintf(stderr, "usage: parnik-loopback [--nodes N] [--partitions P] "
					"[--cluster ID] [--seconds S]\n");
			return 2;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	uc = udp_cluster_start(nodes, parts, cluster);
	if (uc == NULL)
		return 2;
	printf("servers %s\n", udp_cluster_servers(uc));
	fflush(stdout);
	for (unsigned int t = 0; t < seconds * 10 && !stop; t++)
		usleep(100000);
	udp_cluster_stop(uc);
	return 0;
}
