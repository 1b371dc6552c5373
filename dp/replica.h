/* One replica's data path: its ports, partition workers, neighbour table
 * and counters, and the loop that moves frames between them. This first
 * version runs every partition on one lcore; partitions on their own
 * lcores with ring hand-offs come next.
 */
#ifndef DP_REPLICA_H
#define DP_REPLICA_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "neigh.h"
#include "options.h"
#include "packet.h"
#include "parnik/worker.h"

#define DP_MAX_PORTS 8
#define DP_CLIENT_SLOTS 4096	/* reply addresses remembered per partition */

/* X(name, description): replica counters besides the core's and drops. */
#define DP_STAT_LIST(X)                                                  \
	X(rx_frames, "frames received")                                  \
	X(tx_frames, "frames sent")                                      \
	X(tx_dropped, "frames the port did not take")                    \
	X(arp_replies, "ARP requests for us answered")                   \
	X(icmp_replies, "ICMP echo requests answered")                   \
	X(arp_probes, "ARP requests sent for members")                   \
	X(decode_errors, "Parnik datagrams refused by the decoder")      \
	X(partition_mismatch, "datagram header for another partition")   \
	X(no_neighbour, "messages for a member not resolved yet")        \
	X(no_mbuf, "frames not built: mbuf pool empty")                  \
	X(idle_sleeps, "sleeps of the adaptive idle mode")

struct dp_stats {
#define DP_STAT_FIELD(name, desc) uint64_t name;
	DP_STAT_LIST(DP_STAT_FIELD)
#undef DP_STAT_FIELD
	uint64_t drops[DP_DROP_COUNT];
	uint64_t decode_by_code[64];
};

struct dp_client_addr {
	uint8_t mac[6];
	uint16_t port;		/* DPDK port */
	uint32_t ip;
	uint16_t udp_port;
};

struct dp_replica {
	const struct dp_options *opt;
	struct rte_mempool *pool;
	uint16_t ports[DP_MAX_PORTS];
	unsigned int nports;
	struct dp_iface iface[DP_MAX_PORTS];
	struct pk_config cfg;
	struct pk_worker *w[DP_MAX_PARTITIONS];
	struct dp_client_addr *clients[DP_MAX_PARTITIONS];
	uint32_t next_client[DP_MAX_PARTITIONS];
	struct dp_neigh neigh;
	struct dp_stats stats;
	struct pk_send sends[1024];
	struct pk_reply replies[1024];
	struct pk_out out;
	uint64_t tsc_hz;
};

/* Builds the workers and tables for the ports already started. Returns 0
 * or -1 (message printed).
 */
int dp_replica_init(struct dp_replica *r, const struct dp_options *o, struct rte_mempool *pool,
		    const uint16_t *ports, unsigned int nports);

/* Runs until *stop becomes true. */
void dp_replica_run(struct dp_replica *r, volatile bool *stop);

/* Prints every counter, core counters summed over partitions. */
void dp_replica_print_stats(const struct dp_replica *r, FILE *f);

void dp_replica_fini(struct dp_replica *r);

#endif
