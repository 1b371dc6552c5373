/* parnikd: one Parnik replica. Parses its own options first (a bad command
 * line exits 2 before the EAL starts or any packet moves), then starts the
 * EAL, the mbuf pool and every DPDK port, and runs the replica loop until
 * SIGINT or SIGTERM; then prints its counters and exits 0.
 *
 *   parnikd [EAL options] -- --node ID --addr IPV4 --member ID=IPV4 ... [options]
 *
 * Test profile (no hugepages): --no-huge -m 256 --no-shconf --file-prefix NAME
 * --no-pci --vdev net_af_packet0,iface=IFACE,qdisc_bypass=1,framecnt=4096
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "options.h"
#include "replica.h"

static volatile bool stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = true;
}

static int
port_start(uint16_t port, struct rte_mempool *pool)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nb_rx = 1024, nb_tx = 1024;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0)
		return rc;
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc != 0)
		return rc;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rx, &nb_tx);
	if (rc != 0)
		return rc;
	rc = rte_eth_rx_queue_setup(port, 0, nb_rx, rte_eth_dev_socket_id(port), NULL, pool);
	if (rc != 0)
		return rc;
	rc = rte_eth_tx_queue_setup(port, 0, nb_tx, rte_eth_dev_socket_id(port), NULL);
	if (rc != 0)
		return rc;
	rc = rte_eth_dev_start(port);
	if (rc != 0)
		return rc;
	/* Frames for our MAC are what we want; promiscuous mode only matters
	 * on PMDs that filter, and its failure is not fatal.
	 */
	(void)rte_eth_promiscuous_enable(port);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct dp_replica r;
	struct dp_options o;
	struct rte_mempool *pool;
	uint16_t ports[DP_MAX_PORTS], port;
	unsigned int nports = 0;
	char err[256];
	int sep, rc;

	/* Our options are those after "--"; parse them before the EAL. */
	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		if (strcmp(argv[sep], "--help") == 0 || strcmp(argv[sep], "-h") == 0) {
			dp_options_usage(stdout);
			return 0;
		}
	{
		int app_argc = sep < argc ? argc - sep : 1;
		char **app_argv = sep < argc ? argv + sep : argv;

		rc = dp_options_parse(&o, app_argc, app_argv, stdout, err, sizeof(err));
	}
	if (rc == 1)
		return 0;
	if (rc != 0) {
		fprintf(stderr, "parnikd: %s (see parnikd --help)\n", err);
		return 2;
	}
	if (rte_eal_init(sep, argv) < 0) {
		fprintf(stderr, "parnikd: EAL start failed (see the EAL's message above)\n");
		return 1;
	}
	if (o.idle == 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);

		/* Adaptive when lcores outnumber cores: busy polling would
		 * starve whoever shares them.
		 */
		o.idle = (long)rte_lcore_count() >= cores ? DP_IDLE_ADAPTIVE : DP_IDLE_POLL;
	}
	pool = rte_pktmbuf_pool_create("pk_mbufs", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "parnikd: cannot create the mbuf pool (memory: -m)\n");
		rte_eal_cleanup();
		return 1;
	}
	RTE_ETH_FOREACH_DEV(port) {
		if (nports == DP_MAX_PORTS)
			break;
		rc = port_start(port, pool);
		if (rc != 0) {
			fprintf(stderr, "parnikd: port %u does not start: %s\n", port, strerror(-rc));
			rte_eal_cleanup();
			return 1;
		}
		ports[nports++] = port;
	}
	if (nports == 0) {
		fprintf(stderr, "parnikd: no DPDK port: give one with --vdev (net_af_packet, "
				"net_tap, net_memif) or a PCI NIC\n");
		rte_eal_cleanup();
		return 1;
	}
	if (dp_replica_init(&r, &o, pool, ports, nports) != 0) {
		rte_eal_cleanup();
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("parnikd: node %u serving %u partition(s) on %u port(s), idle %s\n", o.node,
	       o.partitions, nports, o.idle == DP_IDLE_POLL ? "poll" : "adaptive");
	fflush(stdout);
	dp_replica_run(&r, &stop);
	{
		FILE *f = o.stats_file[0] != 0 ? fopen(o.stats_file, "w") : stdout;

		dp_replica_print_stats(&r, f != NULL ? f : stdout);
		if (f != NULL && f != stdout)
			fclose(f);
	}
	dp_replica_fini(&r);
	for (unsigned int i = 0; i < nports; i++) {
		(void)rte_eth_dev_stop(ports[i]);
		(void)rte_eth_dev_close(ports[i]);
	}
	rte_eal_cleanup();
	return 0;
}
