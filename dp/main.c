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
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "crash.h"
#include "config_sources.h"
#include "eal.h"
#include "log.h"
#include "ctl_host.h"
#include "options.h"
#include "replica.h"
#include "server.h"
#include "telemetry.h"

static struct dp_replica r;
static int stop_fd = -1;	/* eventfd: wakes the main lcore waiting for a stop */

/* From a signal handler or another thread: the workers watch the flag
 * (kicked awake if asleep), the main lcore the eventfd.
 */
static void
request_stop(void)
{
	const uint64_t one = 1;

	__atomic_store_n(&r.stop, true, __ATOMIC_RELAXED);
	dp_replica_kick_all(&r);	/* async-signal-safe: a fence, a load, a write */
	if (stop_fd >= 0 && write(stop_fd, &one, sizeof(one)) < 0)
		return;	/* the main lcore's poll times out and looks anyway */
}

static void
on_signal(int sig)
{
	int saved = errno;	/* the kicks write */

	(void)sig;
	request_stop();
	errno = saved;
}

/* Worker lcores: every lcore but the main one; all of them when the EAL
 * was given a single lcore (the main lcore then runs the only worker).
 */
static uint16_t
worker_count(void)
{
	unsigned int n = rte_lcore_count();

	return (uint16_t)(n > 1 ? n - 1 : 1);
}

/* Mbufs for every RX and TX ring, the lcore caches, the hand-off rings,
 * datagrams being built and frames an injected fault holds back, rounded
 * to 2^q - 1 as the mempool likes.
 */
static unsigned int
pool_size(unsigned int nports, uint16_t nworkers, bool faults)
{
	unsigned int n = nports * nworkers * 2048u + nworkers * (256u + 2 * DP_BURST) +
			 (unsigned int)nworkers * nworkers * 1024u + 4096u +
			 (faults ? nworkers * DP_FAULT_HELD : 0u);
	unsigned int q = 1;

	while (q - 1 < n)
		q <<= 1;
	return q - 1;
}

/* Per datagram unless told otherwise, but per pass on af_packet, where
 * every transmit burst is a sendto(). Interleaved A/B, 3 runs each, 2-core
 * VM: af_packet with the kernel client (4 x 8 in flight) 29-37k ops/s per
 * pass against 23-27k per datagram (+35% median); memif with the DPDK client
 * (256 in flight) 253k median per datagram against 256k per pass, p50 0.92
 * against 0.95 ms: a wash since the doorbells, per datagram kept for its
 * lower latency (the peers start on their part of a round sooner).
 */
static bool
tx_per_datagram(const struct dp_port *p, uint8_t policy)
{
	if (policy != DP_TX_AUTO)
		return policy == DP_TX_DATAGRAM;
	return strcmp(p->driver, "net_af_packet") != 0;
}

static int
start_ports(struct dp_port *ports, unsigned int *nports, uint16_t nworkers,
	    struct rte_mempool *pool, uint8_t tx_flush, bool rx_intr)
{
	uint16_t port;
	char why[160];

	*nports = 0;
	RTE_ETH_FOREACH_DEV(port) {
		if (*nports == DP_MAX_PORTS)
			break;
		if (dp_port_start(&ports[*nports], port, nworkers, pool, rx_intr, why,
				  sizeof(why)) != 0) {
			dp_log(DP_LOG_ERR, "port %u does not start: %s", port, why);
			return -1;
		}
		ports[*nports].tx_per_datagram = tx_per_datagram(&ports[*nports], tx_flush);
		(*nports)++;
	}
	if (*nports == 0) {
		dp_log(DP_LOG_ERR, "no DPDK port: give one with --vdev (net_af_packet, "
		       "net_tap, net_memif) or a PCI NIC");
		return -1;
	}
	return 0;
}

/* rte_flow rules where the PMD takes them; a line per port either way. */
static void
steer_ports(struct dp_replica *rep, const struct dp_options *o)
{
	uint16_t owner[DP_MAX_PARTITIONS];
	char why[160];

	dp_replica_owners(rep, owner);
	for (unsigned int i = 0; i < rep->nports; i++) {
		struct dp_port *p = &rep->ports[i];
		bool hw = dp_port_steer(p, o, owner, why, sizeof(why));

		dp_log(DP_LOG_INFO, "port %u (%s): %u RX / %u TX queue(s), wakes on arrival by %s, "
		       "frames out per %s, steering %s%s%s", p->id, p->driver, p->nrxq, p->ntxq,
		       dp_wake_kind_name(dp_wake_kind_of(&rep->lcores[0]->wake, p)),
		       p->tx_per_datagram ? "datagram" : "pass", hw ? "by rte_flow" : "in software",
		       hw ? "" : " - ", hw ? "" : why);
	}
}

/* The start line an operator looks for: who this replica is, its peers,
 * its ports and windows.
 */
static void
log_start(const struct dp_options *o)
{
	char members[PK_MAX_NODES * 20] = "", ip[INET_ADDRSTRLEN], windows[160] = "";
	size_t len = 0;

	for (unsigned int i = 0; i < o->nmembers; i++) {
		inet_ntop(AF_INET, &o->members[i].ip, ip, sizeof(ip));
		len += (size_t)snprintf(members + len, sizeof(members) - len, "%s%u=%s",
					i > 0 ? "," : "", o->members[i].id, ip);
	}
	if (o->metrics.port != 0) {
		inet_ntop(AF_INET, &o->metrics.ip, ip, sizeof(ip));
		snprintf(windows, sizeof(windows), ", metrics http://%s:%u/metrics", ip,
			 o->metrics.port);
	}
	if (o->control.port != 0) {
		size_t w = strlen(windows);

		inet_ntop(AF_INET, &o->control.ip, ip, sizeof(ip));
		snprintf(windows + w, sizeof(windows) - w, ", control tcp://%s:%u (key)", ip,
			 o->control.port);
	}
	inet_ntop(AF_INET, &o->ip, ip, sizeof(ip));
	dp_log(DP_LOG_NOTICE, "parnikd %s starting: node %u at %s, cluster %u, members %s, "
	       "UDP ports %u..%u, %u partition(s), %s%s", PARNIK_VERSION, o->node, ip,
	       o->cluster_id, members, o->base_port, o->base_port + o->partitions - 1,
	       o->partitions, o->bootstrap ? "bootstrapping a new cluster" :
	       "joining (votes once readmitted)", windows);
}

/* The last line: what this replica did in its life. */
static void
log_stop(struct dp_replica *rep)
{
	static struct dp_counters sum;

	dp_plane_counters(&rep->plane, &sum);
	dp_log(DP_LOG_NOTICE, "stopping: %llu request(s) answered (p50 %llu us, p99 %llu us), "
	       "%llu round(s), %llu retries, %llu frame(s) in, %llu out, %llu key(s) held",
	       (unsigned long long)sum.latency.count,
	       (unsigned long long)pk_hist_quantile(&sum.latency, 0.5) / 1000,
	       (unsigned long long)pk_hist_quantile(&sum.latency, 0.99) / 1000,
	       (unsigned long long)sum.core.rounds, (unsigned long long)sum.core.retries,
	       (unsigned long long)sum.dp.rx_frames, (unsigned long long)sum.dp.tx_frames,
	       (unsigned long long)sum.dp.keys);
}

static bool census_refused;

/* The --bootstrap census on a thread of its own (the main lcore may be the
 * only worker): on a refusal the replica stops and exits 2.
 */
static void *
census_thread(void *arg)
{
	struct dp_replica *rep = arg;

	if (dp_replica_census(rep) != 0) {
		census_refused = true;
		request_stop();
	}
	return NULL;
}

static void
run_workers(struct dp_replica *rep)
{
	unsigned int lcore;
	uint16_t w = 0;

	if (rte_lcore_count() == 1) {
		dp_worker_run(rep, 0);
		return;
	}
	RTE_LCORE_FOREACH_WORKER(lcore) {
		rte_eal_remote_launch(dp_worker_main, rep->lcores[w], lcore);
		w++;
	}
	/* The main lcore only waits, asleep (rte_eal_mp_wait_lcore spins): the
	 * control socket has its own thread.
	 */
	while (!__atomic_load_n(&rep->stop, __ATOMIC_RELAXED)) {
		struct pollfd pfd = { .fd = stop_fd, .events = POLLIN };

		if (stop_fd < 0)
			usleep(10000);
		else
			(void)poll(&pfd, 1, 1000);
	}
	rte_eal_mp_wait_lcore();
}

extern char **environ;

int
main(int argc, char **argv)
{
	struct dp_options o;
	struct rte_mempool *pool;
	static struct dp_port ports[DP_MAX_PORTS];
	unsigned int nports = 0;
	uint16_t nworkers;
	struct ctl_host host;
	struct ctl_server *ctl;
	char err[256];
	int sep, rc;
	pthread_t census_tid;
	bool census_started = false;

	/* Our options are those after "--"; parse them before the EAL. */
	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		if (strcmp(argv[sep], "--help") == 0 || strcmp(argv[sep], "-h") == 0) {
			dp_options_usage(stdout);
			return 0;
		} else if (strcmp(argv[sep], "--version") == 0) {
			printf("parnikd %s\n", PARNIK_VERSION);
			return 0;
		}
	{
		int app_argc = sep < argc ? argc - sep : 1;
		char **app_argv = sep < argc ? argv + sep : argv;
		static struct dp_config_args merged;

		/* Options from --config FILE and PARNIKD_* first, flags over them. */
		rc = dp_config_merge(app_argc, app_argv, environ, &merged, err, sizeof(err));
		if (rc == 0)
			rc = dp_options_parse(&o, merged.argc, merged.argv, stdout, err,
					      sizeof(err));
		if (rc == 0 && merged.print) {
			dp_config_print(&merged, stdout);
			rc = 1;
		}
	}
	if (rc == 1)
		return 0;
	if (rc != 0) {
		fprintf(stderr, "parnikd: %s (see parnikd --help)\n", err);
		return 2;
	}
	dp_log_open("parnikd", o.log_syslog);
	if (rte_eal_init(sep, argv) < 0) {
		fprintf(stderr, "parnikd: EAL start failed (see the EAL's message above)\n");
		return 1;
	}
	dp_log_register(o.log_level);
	if (o.insecure_peers)
		dp_log(DP_LOG_WARNING,
		       "--insecure-peers: replica-to-replica messages are NOT authenticated. "
		       "Anyone who can send UDP to this replica's ports and forge a member's "
		       "source address can rewrite, delete or lock any key. Use --peer-key "
		       "outside test benches.");
	log_start(&o);
	dp_crash_report_install();
	nworkers = worker_count();
	if (nworkers > o.partitions || nworkers > DP_MAX_WORKERS) {
		dp_log(DP_LOG_ERR, "%u worker lcores for %u partition(s): give at most one "
		       "worker lcore per partition (and at most %d)",
		       nworkers, o.partitions, DP_MAX_WORKERS);
		dp_eal_cleanup();
		return 2;
	}
	if (o.idle == 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);

		/* Adaptive when lcores outnumber cores: busy polling would
		 * starve whoever shares them.
		 */
		o.idle = (long)rte_lcore_count() >= cores ? DP_IDLE_ADAPTIVE : DP_IDLE_POLL;
	}
	pool = rte_pktmbuf_pool_create("pk_mbufs", pool_size(rte_eth_dev_count_avail(), nworkers, o.fault_injection), 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL) {
		dp_log(DP_LOG_ERR, "cannot create the mbuf pool (memory: -m)");
		dp_eal_cleanup();
		return 1;
	}
	if (start_ports(ports, &nports, nworkers, pool, o.tx_flush, o.idle == DP_IDLE_ADAPTIVE) != 0 ||
	    dp_replica_init(&r, &o, pool, ports, nports, nworkers) != 0) {
		dp_eal_cleanup();
		return 1;
	}
	steer_ports(&r, &o);
	/* Telemetry is a window, not a duty: without it the replica serves. */
	(void)dp_telemetry_register(&r);
	stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* A peer that hangs up (control or telemetry client) must cost an
	 * EPIPE, never the replica.
	 */
	signal(SIGPIPE, SIG_IGN);
	dp_ctl_host_init(&host, &r, request_stop);
	{
		const struct ctl_server_config listen = {
			.path = o.ctl_path,
			.control_ip = o.control.ip, .control_port = o.control.port,
			.control_secret = o.have_control_key ? o.control_secret : NULL,
			.metrics_ip = o.metrics.ip, .metrics_port = o.metrics.port,
		};

		ctl = ctl_server_start_with(&listen, &host, err, sizeof(err));
	}
	if (ctl == NULL) {
		dp_log(DP_LOG_ERR, "%s", err);
		for (unsigned int i = 0; i < nports; i++)
			dp_port_stop(&r.ports[i]);
		dp_eal_cleanup();
		return 1;
	}
	dp_log(DP_LOG_NOTICE, "node %u serving %u partition(s) with %u worker lcore(s) on %u port(s), "
	       "idle %s, control socket %s, peers %s, clients %s",
	       o.node, o.partitions, nworkers, nports, o.idle == DP_IDLE_POLL ? "poll" : "adaptive",
	       o.ctl_path, o.have_peer_key ? "sealed (peer key)" : "INSECURE (no peer key)",
	       o.have_client_key ? "need the client key" : "open");
	if (dp_gc_sched_start(&r.gc, &r, o.gc_interval_ms) != 0)
		dp_log(DP_LOG_WARNING, "no GC scheduler thread; `gc` sweeps only");
	if (dp_census_active(&r.census)) {
		/* Joined whenever it started, even if it ends at once. */
		census_started = pthread_create(&census_tid, NULL, census_thread, &r) == 0;
		if (!census_started) {
			dp_log(DP_LOG_ERR, "no thread for the --bootstrap census");
			request_stop();
			census_refused = true;
		}
	}
	run_workers(&r);
	if (census_started)
		pthread_join(census_tid, NULL);
	dp_gc_sched_stop(&r.gc);
	ctl_server_stop(ctl);
	log_stop(&r);
	{
		FILE *f = o.stats_file[0] != 0 ? fopen(o.stats_file, "w") : stdout;

		dp_replica_print_stats(&r, f != NULL ? f : stdout);
		if (f != NULL && f != stdout)
			fclose(f);
	}
	/* A second signal now must not kick lcores that are being freed. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	dp_replica_fini(&r);
	for (unsigned int i = 0; i < nports; i++)
		dp_port_stop(&r.ports[i]);
	dp_eal_cleanup();
	return census_refused ? 2 : 0;
}
