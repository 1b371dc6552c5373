/* What parnik-bench's DPDK mode shares between its bring-up (dpdk_ports.c)
 * and its per-thread transports (dpdk_transport.c): the ports, the mbuf
 * pool, the replicas found by ARP. Written during bring-up, before any
 * thread runs; after that only a replica learnt late changes (its entry is
 * published with a release store of <resolved>).
 */
#ifndef PARNIK_BENCH_DPDK_SHARED_H
#define PARNIK_BENCH_DPDK_SHARED_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "dpdk_transport.h"
#include "packet.h"
#include "parnik/client.h"
#include "ports.h"

#define BENCH_BURST 32
#define BENCH_MAX_THREADS 64
#define BENCH_MAX_QUEUES 64

struct bench_hop {
	uint32_t ip;
	bool resolved;		/* atomic: acquire before reading mac and port */
	uint8_t learning;	/* atomic: the one thread writing mac and port */
	uint16_t port;		/* index into ports[] */
	uint8_t mac[6];
};

struct bench_port {
	struct dp_port p;
	struct dp_iface ifc;	/* our MAC and address; UDP ports base_port + thread */
	rte_spinlock_t txlock[BENCH_MAX_QUEUES];	/* when threads share a TX queue */
	rte_spinlock_t rxlock[BENCH_MAX_QUEUES];	/* its owner, or one adopting it */
};

struct bench_shared {
	bool up;
	unsigned int nthreads;	/* transports, one per client thread */
	struct rte_mempool *pool;
	struct bench_port ports[BENCH_DPDK_MAX_PORTS];
	unsigned int nports;
	struct bench_hop hops[PK_CLIENT_MAX_SERVERS];
	unsigned int nhops;
	char describe[128];
};

extern struct bench_shared bench_g;

struct bench_hop *bench_hop_of(uint32_t ip);

/* Sends <n> frames on port <pi>, TX queue <q> (locked when shared);
 * returns how many the ring took (the rest are freed by the caller's
 * accounting: see the transports). Rings the peer's doorbell.
 */
uint16_t bench_tx(unsigned int pi, uint16_t q, struct rte_mbuf **m, uint16_t n, uint64_t *bells);

/* Learns a replica's MAC from its ARP reply on port <pi>: the first port a
 * replica answers on is the one used.
 */
void bench_learn(unsigned int pi, uint32_t ip, const uint8_t mac[6]);

/* ARP requests for every replica not resolved yet, on every port, through
 * TX queue <q>. Returns how many frames went out.
 */
unsigned int bench_arp_unresolved(uint16_t q, uint64_t *bells);

unsigned int bench_resolved_count(void);

/* dpdk_transport.c: the per-thread transports, set up once the ports are
 * (their wake sources need the queues), torn down before the ports; during
 * bring-up, one receive pass over every queue (ARP replies learnt, ARP and
 * pings answered) and the counters bring-up adds to (the first transport's).
 */
int bench_dpdk_transports_init(char *err, size_t errlen);
void bench_dpdk_transports_fini(void);
void bench_dpdk_bringup_poll(void);
struct bench_dpdk_stats *bench_dpdk_bringup_stats(void);

#endif
