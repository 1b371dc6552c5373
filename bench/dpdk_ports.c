/* parnik-bench's DPDK mode, bring-up (see dpdk_transport.h): the EAL, the
 * ports with --dpdk-queues queue pairs where the PMD has them, and the
 * replicas found by ARP (their replies taken in by the first transport's
 * receive path).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_pause.h>

#include "clock.h"
#include "eal.h"
#include "dpdk_shared.h"

#define POOL_CACHE 256
#define RING_DESC 1024		/* per queue, as dp_port_start asks */
#define MAX_EAL_ARGS 64
#define LINK_WAIT_US 5000000u	/* memif: the replica's server side must accept us */
#define ARP_WAIT_US 2000000u
#define ARP_RETRY_US 100000u

struct bench_shared bench_g;

struct bench_hop *
bench_hop_of(uint32_t ip)
{
	for (unsigned int i = 0; i < bench_g.nhops; i++)
		if (bench_g.hops[i].ip == ip)
			return &bench_g.hops[i];
	return NULL;
}

uint16_t
bench_tx(unsigned int pi, uint16_t q, struct rte_mbuf **m, uint16_t n, uint64_t *bells)
{
	struct bench_port *bp = &bench_g.ports[pi];
	bool shared = bench_g.nthreads > bp->p.ntxq;
	uint16_t sent = 0;

	if (shared)
		rte_spinlock_lock(&bp->txlock[q]);
	for (int tries = 0; sent < n && tries < 4; tries++)
		sent += rte_eth_tx_burst(bp->p.id, q, m + sent, (uint16_t)(n - sent));
	if (shared)
		rte_spinlock_unlock(&bp->txlock[q]);
	if (sent > 0 && dp_bell_present(&bp->p.bell) && dp_bell_ring(&bp->p.bell, q))
		(*bells)++;
	return sent;
}

void
bench_learn(unsigned int pi, uint32_t ip, const uint8_t mac[6])
{
	struct bench_hop *h = bench_hop_of(ip);

	uint8_t idle = 0;

	if (h == NULL || __atomic_load_n(&h->resolved, __ATOMIC_ACQUIRE))
		return;
	/* Two threads may hear the same replica at once (on two ports): the
	 * first to claim it writes MAC and port together; the other's answer
	 * is dropped, the next ARP round is not needed.
	 */
	if (!__atomic_compare_exchange_n(&h->learning, &idle, 1, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return;
	memcpy(h->mac, mac, 6);
	h->port = (uint16_t)pi;
	__atomic_store_n(&h->resolved, true, __ATOMIC_RELEASE);
}

unsigned int
bench_resolved_count(void)
{
	unsigned int n = 0;

	for (unsigned int h = 0; h < bench_g.nhops; h++)
		n += __atomic_load_n(&bench_g.hops[h].resolved, __ATOMIC_ACQUIRE);
	return n;
}

unsigned int
bench_arp_unresolved(uint16_t q, uint64_t *bells)
{
	unsigned int out = 0;

	for (unsigned int pi = 0; pi < bench_g.nports; pi++) {
		struct rte_mbuf *m[PK_CLIENT_MAX_SERVERS];
		uint16_t n = 0, sent;

		for (unsigned int h = 0; h < bench_g.nhops; h++) {
			uint8_t *f;

			if (__atomic_load_n(&bench_g.hops[h].resolved, __ATOMIC_ACQUIRE) ||
			    (m[n] = rte_pktmbuf_alloc(bench_g.pool)) == NULL)
				continue;
			f = (uint8_t *)rte_pktmbuf_append(m[n], 64);
			memset(f, 0, 64);	/* padded to the Ethernet minimum */
			dp_packet_build_arp_request(f, &bench_g.ports[pi].ifc, bench_g.hops[h].ip);
			n++;
		}
		sent = bench_tx(pi, (uint16_t)(q % bench_g.ports[pi].p.ntxq), m, n, bells);
		if (sent < n)
			rte_pktmbuf_free_bulk(m + sent, (unsigned int)(n - sent));
		out += sent;
	}
	return out;
}

/* Asks every replica for its MAC on every port, for up to ARP_WAIT_US.
 * Returns 0 when all answered; 1 when some did (the others are named in
 * <err>: a cluster serves with a replica down, and they are asked again
 * every second); -1 when none did.
 */
static int
resolve(struct bench_dpdk_stats *st, char *err, size_t errlen)
{
	uint64_t start = dp_mono_us(), last = 0;

	while (bench_resolved_count() < bench_g.nhops && dp_mono_us() - start <= ARP_WAIT_US) {
		uint64_t now = dp_mono_us();

		if (last == 0 || now - last >= ARP_RETRY_US) {
			st->tx_frames += bench_arp_unresolved(0, &st->bells_rung);
			last = now;
		}
		bench_dpdk_bringup_poll();
		rte_pause();
	}
	if (bench_resolved_count() == bench_g.nhops)
		return 0;
	snprintf(err, errlen, "no ARP reply on any DPDK port in %u ms from", ARP_WAIT_US / 1000);
	for (unsigned int h = 0; h < bench_g.nhops; h++)
		if (!bench_g.hops[h].resolved) {
			char a[INET_ADDRSTRLEN];
			size_t l = strlen(err);

			inet_ntop(AF_INET, &bench_g.hops[h].ip, a, sizeof(a));
			snprintf(err + l, errlen - l, " %s", a);
		}
	snprintf(err + strlen(err), errlen - strlen(err),
		 " (replica down, or not on these ports' link)");
	return bench_resolved_count() > 0 ? 1 : -1;
}

static int
wait_links(char *err, size_t errlen)
{
	uint64_t start = dp_mono_us();

	for (unsigned int pi = 0; pi < bench_g.nports; pi++) {
		struct rte_eth_link link;

		for (;;) {
			memset(&link, 0, sizeof(link));
			if (rte_eth_link_get_nowait(bench_g.ports[pi].p.id, &link) == 0 &&
			    link.link_status == RTE_ETH_LINK_UP)
				break;
			if (dp_mono_us() - start > LINK_WAIT_US) {
				snprintf(err, errlen, "DPDK port %u (%s): link down after %u s", pi,
					 bench_g.ports[pi].p.driver, LINK_WAIT_US / 1000000u);
				return -1;
			}
			usleep(10000);
		}
	}
	return 0;
}

/* A PCI address (0000:3b:00.0, with or without the domain, maybe with
 * ",args"), which the EAL takes with -a, not --vdev.
 */
static bool
is_pci(const char *dev)
{
	size_t n = strspn(dev, "0123456789abcdefABCDEF:.");

	return n > 0 && (dev[n] == 0 || dev[n] == ',') && memchr(dev, ':', n) != NULL &&
	       memchr(dev, '.', n) != NULL;
}

/* Splits <eal> (or the defaults) and the devices into an argv for
 * rte_eal_init: a PCI device with -a (and the defaults then without
 * --no-pci), a virtual one with --vdev.
 */
static int
eal_argv(const struct bench_dpdk_config *cfg, char *buf, size_t buflen, char **argv)
{
	int argc = 0;
	char *save = NULL;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	bool pci = false;

	for (unsigned int i = 0; i < cfg->nvdev; i++)
		pci = pci || is_pci(cfg->vdev[i]);
	if (cfg->eal != NULL)
		snprintf(buf, buflen, "%s", cfg->eal);
	else	/* no hugepages, no shared config; the threads free to run on any CPU */
		snprintf(buf, buflen,
			 "--no-huge -m 256 --no-shconf %s--log-level 4 "
			 "--file-prefix parnik-bench-%d --lcores 0@(0-%ld)",
			 pci ? "" : "--no-pci ", (int)getpid(), ncpu > 1 ? ncpu - 1 : 0);
	argv[argc++] = "parnik-bench";
	for (char *tok = strtok_r(buf, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
		if (argc >= MAX_EAL_ARGS - 2 * BENCH_DPDK_MAX_PORTS - 1)
			return -1;
		argv[argc++] = tok;
	}
	for (unsigned int i = 0; i < cfg->nvdev; i++) {
		argv[argc++] = is_pci(cfg->vdev[i]) ? "-a" : "--vdev";
		argv[argc++] = (char *)cfg->vdev[i];
	}
	argv[argc] = NULL;
	return argc;
}

/* One hop per distinct server address, from libparnik's own list parser. */
static int
servers_to_hops(const char *list, char *err, size_t errlen)
{
	struct pk_server servers[PK_CLIENT_MAX_SERVERS];
	unsigned int n = 0;

	if (pk_client_servers(list, servers, &n, err, errlen) != 0)
		return -1;
	for (unsigned int i = 0; i < n; i++)
		if (bench_hop_of(servers[i].ip) == NULL)
			bench_g.hops[bench_g.nhops++] = (struct bench_hop){ .ip = servers[i].ip };
	return 0;
}

/* Every port the EAL has, with <queues> queue pairs where the PMD offers
 * them. One that cannot start (a memif whose replica is down) is skipped
 * and named in <skipped>: the replicas behind the others may serve.
 */
static void
start_ports(const struct bench_dpdk_config *cfg, uint16_t local_port, char *skipped,
	    size_t skippedlen)
{
	uint16_t id;

	RTE_ETH_FOREACH_DEV(id) {
		struct bench_port *bp = &bench_g.ports[bench_g.nports];
		struct rte_ether_addr mac;
		char why[256];

		if (bench_g.nports == BENCH_DPDK_MAX_PORTS)
			break;
		if (dp_port_start(&bp->p, id, cfg->queues > 0 ? cfg->queues : 1, bench_g.pool, true,
				  why, sizeof(why)) != 0) {
			size_t l = strlen(skipped);

			(void)rte_eth_dev_close(id);	/* or its PMD keeps serving a dead port */
			snprintf(skipped + l, skippedlen - l, "%sDPDK port %u skipped: %s",
				 l > 0 ? "; " : "", id, why);
			continue;
		}
		rte_eth_macaddr_get(id, &mac);
		memcpy(bp->ifc.mac, mac.addr_bytes, 6);
		bp->ifc.ip = cfg->ip;
		/* Thread k's client has UDP port base + k: classify maps a reply
		 * to its thread as it maps a request to its partition.
		 */
		bp->ifc.base_port = local_port;
		bp->ifc.partitions = (uint16_t)bench_g.nthreads;
		for (unsigned int q = 0; q < BENCH_MAX_QUEUES; q++) {
			rte_spinlock_init(&bp->txlock[q]);
			rte_spinlock_init(&bp->rxlock[q]);
		}
		bench_g.nports++;
	}
}

/* Mbufs for every RX and TX descriptor of every port, every thread's cache
 * (up to 1.5 times its size) and the inboxes, plus room for what is in
 * flight: a NIC with many queues fills them all at start.
 */
static unsigned int
pool_size(const struct bench_dpdk_config *cfg)
{
	unsigned int q = cfg->queues > 0 ? cfg->queues : 1;
	uint64_t n = (uint64_t)cfg->nvdev * q * 2 * RING_DESC +
		     (uint64_t)(bench_g.nthreads + 1) * POOL_CACHE * 3 / 2 + 8192;
	unsigned int size = 16383;

	while (size < n && size < (1u << 22))
		size = size * 2 + 1;	/* 2^k - 1: the ring's best size */
	return size;
}

int
bench_dpdk_init(const struct bench_dpdk_config *cfg, char *err, size_t errlen)
{
	static char eal_buf[1024];
	static char *argv[MAX_EAL_ARGS];
	uint16_t local_port = (uint16_t)(49152 + getpid() % (16384 - BENCH_MAX_THREADS));
	char skipped[512] = "";
	int argc, rc;

	if (cfg->nvdev == 0) {
		snprintf(err, errlen, "DPDK mode needs at least one --dpdk port");
		return -1;
	}
	bench_g.nthreads = cfg->threads > 0 ? cfg->threads : 1;
	if (bench_g.nthreads > BENCH_MAX_THREADS) {
		snprintf(err, errlen, "DPDK mode runs at most %u threads", BENCH_MAX_THREADS);
		return -1;
	}
	if (servers_to_hops(cfg->servers, err, errlen) != 0)
		return -1;
	argc = eal_argv(cfg, eal_buf, sizeof(eal_buf), argv);
	if (argc < 0) {
		snprintf(err, errlen, "too many EAL arguments");
		return -1;
	}
	if (rte_eal_init(argc, argv) < 0) {
		snprintf(err, errlen, "EAL init failed: %s", rte_strerror(rte_errno));
		return -1;
	}
	bench_g.up = true;
	/* A cache per registered thread (bench_dpdk_transport_open registers
	 * each client thread with the EAL), so the threads do not meet on the
	 * pool's ring for every mbuf.
	 */
	bench_g.pool = rte_pktmbuf_pool_create("bench_mbufs", pool_size(cfg), POOL_CACHE, 0,
					       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (bench_g.pool == NULL) {
		snprintf(err, errlen, "mbuf pool: %s", rte_strerror(rte_errno));
		return -1;
	}
	start_ports(cfg, local_port, skipped, sizeof(skipped));
	if (bench_g.nports == 0) {
		snprintf(err, errlen, "no DPDK port came up (check the --dpdk devices)%s%s",
			 skipped[0] != 0 ? ": " : "", skipped);
		return -1;
	}
	if (bench_dpdk_transports_init(err, errlen) != 0)
		return -1;
	if (wait_links(err, errlen) != 0)
		return -1;
	rc = resolve(bench_dpdk_bringup_stats(), err, errlen);
	if (rc >= 0 && skipped[0] != 0) {
		if (rc == 0)
			snprintf(err, errlen, "%s", skipped);
		else
			snprintf(err + strlen(err), errlen - strlen(err), "; %s", skipped);
		rc = 1;
	}
	return rc;
}

const char *
bench_dpdk_describe(void)
{
	return bench_g.describe;
}

void
bench_dpdk_fini(void)
{
	if (!bench_g.up)
		return;
	bench_dpdk_transports_fini();
	for (unsigned int pi = 0; pi < bench_g.nports; pi++)
		dp_port_stop(&bench_g.ports[pi].p);
	dp_eal_cleanup();
	bench_g.up = false;
}
