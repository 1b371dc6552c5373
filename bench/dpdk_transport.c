/* parnik-bench's DPDK transport (see dpdk_transport.h): EAL and port
 * bring-up, ARP resolution of the replicas, and the pk_transport calls over
 * rte_eth_rx_burst / rte_eth_tx_burst.
 */
#define _GNU_SOURCE /* asprintf */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#include "../dp/clock.h"
#include "../dp/client/servers.h"
#include "dpdk_transport.h"
#include "parnik/client.h"
#include "packet.h"
#include "ports.h"
#include "wake.h"

#define BURST 32
#define POOL_MBUFS 8191
#define MAX_SERVERS PK_CLIENT_MAX_SERVERS
#define MAX_EAL_ARGS 64
#define LINK_WAIT_US 5000000u	/* memif: the replica's server side must accept us */
#define ARP_WAIT_US 2000000u
#define ARP_RETRY_US 100000u
#define ARP_REPROBE_US 1000000u
/* wait(): where every queue can wake it (wake.h), it looks once and
 * sleeps until a frame arrives; spinning first only took the CPU from the
 * replicas sharing it (memif, 2 cores: p50 at 1 in flight 135-164 us with
 * a 20 us spin against 107-109 us without; 259-281k ops/s at 256 in flight
 * with a 50 us spin against 283-294k). Otherwise it spins this long, then
 * naps.
 */
#define SPIN_US 50u
#define NAP_NS 20000L

struct hop {
	uint32_t ip;
	bool resolved;
	uint16_t port;		/* index into ports[] */
	uint8_t mac[6];
};

struct bench_port {
	struct dp_port p;
	struct dp_iface ifc;	/* our MAC on it, our address and UDP port */
	struct rte_mbuf *stash[BURST];	/* received by wait(), not yet delivered */
	uint16_t nstash;
};

static struct {
	bool up;
	uint64_t last_arp;	/* us: unresolved replicas are asked again every second */
	bool open;		/* a transport is open */
	struct rte_mempool *pool;
	struct bench_port ports[BENCH_DPDK_MAX_PORTS];
	unsigned int nports;
	struct hop hops[MAX_SERVERS];
	unsigned int nhops;
	struct bench_dpdk_stats st;
	struct dp_idle_state idle;	/* sleeping in wait() */
	struct dp_wake wake;		/* every RX queue of every port */
	char describe[128];
	struct pk_transport t;
} g;

static struct hop *
hop_of(uint32_t ip)
{
	for (unsigned int i = 0; i < g.nhops; i++)
		if (g.hops[i].ip == ip)
			return &g.hops[i];
	return NULL;
}

/* Sends <n> frames on port <pi>; what the ring refuses is freed and counted. */
static void
tx(unsigned int pi, struct rte_mbuf **m, uint16_t n)
{
	uint16_t sent = 0;

	for (int tries = 0; sent < n && tries < 4; tries++)
		sent += rte_eth_tx_burst(g.ports[pi].p.id, 0, m + sent, (uint16_t)(n - sent));
	if (sent > 0 && dp_bell_present(&g.ports[pi].p.bell) && dp_bell_ring(&g.ports[pi].p.bell, 0))
		g.st.bells_rung++;
	g.st.tx_frames += sent;
	g.st.tx_full += (uint64_t)(n - sent);
	if (sent < n)
		rte_pktmbuf_free_bulk(m + sent, (unsigned int)(n - sent));
}

static void
send_arp_requests(void)
{
	for (unsigned int pi = 0; pi < g.nports; pi++) {
		struct rte_mbuf *m[MAX_SERVERS];
		uint16_t n = 0;

		for (unsigned int h = 0; h < g.nhops; h++) {
			uint8_t *f;

			if (g.hops[h].resolved || (m[n] = rte_pktmbuf_alloc(g.pool)) == NULL)
				continue;
			f = (uint8_t *)rte_pktmbuf_append(m[n], 64);
			memset(f, 0, 64);	/* padded to the Ethernet minimum */
			dp_packet_build_arp_request(f, &g.ports[pi].ifc, g.hops[h].ip);
			n++;
		}
		tx(pi, m, n);
	}
}

/* One frame from port <pi>: a reply for us is delivered, an ARP request or
 * ping for our address answered, an ARP reply from a replica learnt.
 */
static void
handle(unsigned int pi, struct rte_mbuf *m, pk_deliver_fn deliver, void *arg)
{
	struct dp_parsed pp;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct hop *h;

	g.st.rx_frames++;
	if (!rte_pktmbuf_is_contiguous(m)) {
		g.st.rx_dropped++;
		rte_pktmbuf_free(m);
		return;
	}
	dp_packet_classify(&g.ports[pi].ifc, f, rte_pktmbuf_data_len(m), &pp);
	switch (pp.verdict) {
	case DP_PAYLOAD:
		if (deliver != NULL)
			deliver(arg, f + pp.payload_off, pp.payload_len);
		else
			g.st.rx_dropped++;
		break;
	case DP_REPLY:
		m->data_len = m->pkt_len = pp.reply_len;
		g.st.answered++;
		tx(pi, &m, 1);
		return;
	case DP_LEARN:
		/* The first port a replica answers on is the one we use. */
		h = hop_of(pp.src_ip);
		if (h != NULL && !h->resolved) {
			memcpy(h->mac, pp.src_mac, 6);
			h->port = (uint16_t)pi;
			h->resolved = true;
		}
		break;
	default:
		g.st.rx_dropped++;
		break;
	}
	rte_pktmbuf_free(m);
}

/* Handles what wait() stashed on port <pi>, then everything pending. */
static void
drain(unsigned int pi, pk_deliver_fn deliver, void *arg)
{
	struct bench_port *bp = &g.ports[pi];
	struct rte_mbuf *m[BURST];
	uint16_t n;

	for (uint16_t i = 0; i < bp->nstash; i++)
		handle(pi, bp->stash[i], deliver, arg);
	bp->nstash = 0;
	for (uint16_t q = 0; q < bp->p.nrxq; q++)
		do {
			n = rte_eth_rx_burst(bp->p.id, q, m, BURST);
			for (uint16_t i = 0; i < n; i++)
				handle(pi, m[i], deliver, arg);
		} while (n == BURST);
}

static unsigned int
resolved_count(void)
{
	unsigned int n = 0;

	for (unsigned int h = 0; h < g.nhops; h++)
		n += g.hops[h].resolved;
	return n;
}

/* Asks every replica for its MAC on every port, for up to ARP_WAIT_US.
 * Returns 0 when all answered; 1 when some did (the others are named in
 * <err>: a cluster serves with a replica down, and they are asked again
 * every second); -1 when none did.
 */
static int
resolve(char *err, size_t errlen)
{
	uint64_t start = dp_mono_us(), last = 0;

	while (resolved_count() < g.nhops && dp_mono_us() - start <= ARP_WAIT_US) {
		uint64_t now = dp_mono_us();

		if (last == 0 || now - last >= ARP_RETRY_US) {
			send_arp_requests();
			last = now;
		}
		for (unsigned int pi = 0; pi < g.nports; pi++)
			drain(pi, NULL, NULL);
		rte_pause();
	}
	g.last_arp = dp_mono_us();
	if (resolved_count() == g.nhops)
		return 0;
	snprintf(err, errlen, "no ARP reply on any DPDK port in %u ms from", ARP_WAIT_US / 1000);
	for (unsigned int h = 0; h < g.nhops; h++)
		if (!g.hops[h].resolved) {
			char a[INET_ADDRSTRLEN];
			size_t l = strlen(err);

			inet_ntop(AF_INET, &g.hops[h].ip, a, sizeof(a));
			snprintf(err + l, errlen - l, " %s", a);
		}
	snprintf(err + strlen(err), errlen - strlen(err),
		 " (replica down, or not on these ports' link)");
	return resolved_count() > 0 ? 1 : -1;
}

static int
wait_links(char *err, size_t errlen)
{
	uint64_t start = dp_mono_us();

	for (unsigned int pi = 0; pi < g.nports; pi++) {
		struct rte_eth_link link;

		for (;;) {
			memset(&link, 0, sizeof(link));
			if (rte_eth_link_get_nowait(g.ports[pi].p.id, &link) == 0 &&
			    link.link_status == RTE_ETH_LINK_UP)
				break;
			if (dp_mono_us() - start > LINK_WAIT_US) {
				snprintf(err, errlen, "DPDK port %u (%s): link down after %u s", pi,
					 g.ports[pi].p.driver, LINK_WAIT_US / 1000000u);
				return -1;
			}
			usleep(10000);
		}
	}
	return 0;
}

/* Splits <eal> (or the defaults) and the vdevs into an argv for rte_eal_init. */
static int
eal_argv(const struct bench_dpdk_config *cfg, char *buf, size_t buflen, char **argv)
{
	int argc = 0;
	char *save = NULL;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (cfg->eal != NULL)
		snprintf(buf, buflen, "%s", cfg->eal);
	else	/* no hugepages, no shared config; the thread free to run on any CPU */
		snprintf(buf, buflen,
			 "--no-huge -m 256 --no-shconf --no-pci --log-level 4 "
			 "--file-prefix parnik-bench-%d --lcores 0@(0-%ld)",
			 (int)getpid(), ncpu > 1 ? ncpu - 1 : 0);
	argv[argc++] = "parnik-bench";
	for (char *tok = strtok_r(buf, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
		if (argc >= MAX_EAL_ARGS - 2 * BENCH_DPDK_MAX_PORTS - 1)
			return -1;
		argv[argc++] = tok;
	}
	for (unsigned int i = 0; i < cfg->nvdev; i++) {
		argv[argc++] = "--vdev";
		argv[argc++] = (char *)cfg->vdev[i];
	}
	argv[argc] = NULL;
	return argc;
}

/* One hop per distinct server address, from libparnik's own list parser. */
static int
servers_to_hops(const char *list, char *err, size_t errlen)
{
	struct sockaddr_in addrs[PK_CLIENT_MAX_SERVERS];
	unsigned int n = 0;

	if (pk_servers_parse(list, 1, addrs, &n, err, errlen) != 0)
		return -1;
	for (unsigned int i = 0; i < n; i++)
		if (hop_of(addrs[i].sin_addr.s_addr) == NULL)
			g.hops[g.nhops++] = (struct hop){ .ip = addrs[i].sin_addr.s_addr };
	return 0;
}

int
bench_dpdk_init(const struct bench_dpdk_config *cfg, char *err, size_t errlen)
{
	static char eal_buf[1024];
	static char *argv[MAX_EAL_ARGS];
	uint16_t local_port = (uint16_t)(49152 + getpid() % 16384);
	char skipped[512] = "";
	uint16_t id;
	int argc, rc;

	if (cfg->nvdev == 0) {
		snprintf(err, errlen, "DPDK mode needs at least one --dpdk port");
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
	g.up = true;
	g.pool = rte_pktmbuf_pool_create("bench_mbufs", POOL_MBUFS, 0, 0,
					 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (g.pool == NULL) {
		snprintf(err, errlen, "mbuf pool: %s", rte_strerror(rte_errno));
		return -1;
	}
	RTE_ETH_FOREACH_DEV(id) {
		struct bench_port *bp = &g.ports[g.nports];
		struct rte_ether_addr mac;
		char why[256];

		if (g.nports == BENCH_DPDK_MAX_PORTS)
			break;
		/* A port that cannot start (a memif whose replica is down) is
		 * skipped: the replicas behind the others may serve.
		 */
		if (dp_port_start(&bp->p, id, cfg->queues > 0 ? cfg->queues : 1, g.pool, why,
				  sizeof(why)) != 0) {
			size_t l = strlen(skipped);

			(void)rte_eth_dev_close(id);	/* or its PMD keeps serving a dead port */
			snprintf(skipped + l, sizeof(skipped) - l, "%sDPDK port %u skipped: %s",
				 l > 0 ? "; " : "", id, why);
			continue;
		}
		rte_eth_macaddr_get(id, &mac);
		memcpy(bp->ifc.mac, mac.addr_bytes, 6);
		bp->ifc.ip = cfg->ip;
		bp->ifc.base_port = local_port;
		bp->ifc.partitions = 1;
		g.nports++;
	}
	if (g.nports == 0) {
		snprintf(err, errlen, "no DPDK port came up (check the --dpdk devices)%s%s",
			 skipped[0] != 0 ? ": " : "", skipped);
		return -1;
	}
	if (dp_idle_init(&g.idle) != 0) {
		snprintf(err, errlen, "no eventfd: %s", strerror(errno));
		return -1;
	}
	dp_wake_init(&g.wake);
	for (unsigned int pi = 0; pi < g.nports; pi++)
		for (uint16_t q = 0; q < g.ports[pi].p.nrxq; q++)
			(void)dp_wake_add(&g.wake, &g.idle, &g.ports[pi].p, q);
	snprintf(g.describe, sizeof(g.describe), "DPDK, %s x%u, wakes by %s", g.ports[0].p.driver,
		 g.nports, g.wake.complete ? "arrival" : "timer");
	if (wait_links(err, errlen) != 0)
		return -1;
	rc = resolve(err, errlen);
	if (rc >= 0 && skipped[0] != 0) {
		if (rc == 0)
			snprintf(err, errlen, "%s", skipped);
		else
			snprintf(err + strlen(err), errlen - strlen(err), "; %s", skipped);
		rc = 1;
	}
	return rc;
}

static int
dpdk_send(struct pk_transport *t, const struct pk_dgram *d, unsigned int n)
{
	struct rte_mbuf *out[BENCH_DPDK_MAX_PORTS][BURST];
	uint16_t nout[BENCH_DPDK_MAX_PORTS] = { 0 };

	(void)t;
	for (unsigned int i = 0; i < n; i++) {
		const struct hop *h = hop_of(d[i].ip);
		const struct bench_port *bp;
		struct rte_mbuf *m;
		uint8_t *f;

		if (h == NULL) {
			errno = EHOSTUNREACH;
			return -1;
		}
		if (!h->resolved) {
			g.st.unresolved++;	/* lost: the client moves to another replica */
			continue;
		}
		bp = &g.ports[h->port];
		m = rte_pktmbuf_alloc(g.pool);
		if (m == NULL) {
			g.st.tx_full++;	/* lost: the client's timeout retries it */
			continue;
		}
		f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(DP_HDRS_LEN + d[i].len));
		if (f == NULL) {
			rte_pktmbuf_free(m);
			errno = EMSGSIZE;
			return -1;
		}
		memcpy(f + DP_HDRS_LEN, d[i].data, d[i].len);
		dp_packet_build_udp(f, bp->ifc.mac, h->mac, bp->ifc.ip, h->ip, bp->ifc.base_port,
				    d[i].port, d[i].len, bp->p.udp_csum);
		out[h->port][nout[h->port]++] = m;
		if (nout[h->port] == BURST) {
			tx(h->port, out[h->port], BURST);
			nout[h->port] = 0;
		}
	}
	for (unsigned int pi = 0; pi < g.nports; pi++)
		if (nout[pi] > 0)
			tx(pi, out[pi], nout[pi]);
	return 0;
}

static int
dpdk_receive(struct pk_transport *t, pk_deliver_fn deliver, void *arg)
{
	(void)t;
	if (resolved_count() < g.nhops && dp_mono_us() - g.last_arp >= ARP_REPROBE_US) {
		send_arp_requests();
		g.last_arp = dp_mono_us();
	}
	for (unsigned int pi = 0; pi < g.nports; pi++)
		drain(pi, deliver, arg);
	return 0;
}

/* One look at every queue: true when something was stashed for receive(). */
static bool
stash_any(void)
{
	for (unsigned int pi = 0; pi < g.nports; pi++) {
		struct bench_port *bp = &g.ports[pi];

		for (uint16_t q = 0; q < bp->p.nrxq && bp->nstash == 0; q++)
			bp->nstash = rte_eth_rx_burst(bp->p.id, q, bp->stash, BURST);
		if (bp->nstash > 0)
			return true;
	}
	return false;
}

static bool
nothing_handed_off(void *arg)
{
	(void)arg;
	return false;	/* one thread: no other lcore hands this one work */
}

static int
dpdk_wait(struct pk_transport *t, uint64_t timeout_us)
{
	uint64_t start = dp_mono_us();

	(void)t;
	for (;;) {
		uint64_t spent;

		if (stash_any())
			break;
		spent = dp_mono_us() - start;
		if (spent >= timeout_us)
			break;
		if (g.wake.complete) {
			/* Arm, look once more, then sleep until a frame rings. */
			dp_wake_arm(&g.wake);
			if (stash_any())
				break;
			g.st.sleeps++;
			dp_idle_sleep(&g.idle, (uint32_t)RTE_MIN(timeout_us - spent, 1000000u),
				      nothing_handed_off, NULL);
			dp_wake_disarm(&g.wake);
		} else if (spent < SPIN_US) {
			rte_pause();
		} else {
			struct timespec nap = { 0, NAP_NS };

			nanosleep(&nap, NULL);
		}
	}
	dp_wake_disarm(&g.wake);
	return 0;
}

static void
dpdk_close(struct pk_transport *t)
{
	(void)t;
	g.open = false;
}

struct pk_transport *
bench_dpdk_transport_open(void *unused, char *err, size_t errlen)
{
	(void)unused;
	if (!g.up || g.open) {
		snprintf(err, errlen, g.up ? "the DPDK ports are in use by another client"
					   : "DPDK ports not initialised");
		return NULL;
	}
	g.open = true;
	g.t = (struct pk_transport){ .send = dpdk_send, .receive = dpdk_receive,
				     .wait = dpdk_wait, .close = dpdk_close };
	return &g.t;
}

const char *
bench_dpdk_describe(void)
{
	return g.describe;
}

void
bench_dpdk_stats(struct bench_dpdk_stats *out)
{
	*out = g.st;
}

void
bench_dpdk_fini(void)
{
	if (!g.up)
		return;
	dp_wake_fini(&g.wake);
	dp_idle_fini(&g.idle);
	for (unsigned int pi = 0; pi < g.nports; pi++) {
		drain(pi, NULL, NULL);
		dp_port_stop(&g.ports[pi].p);
	}
	rte_eal_cleanup();
	g.up = false;
}
