/* A test fixture: N replicas of P partition workers running the real core
 * behind kernel UDP sockets on 127.0.0.1, served by one background thread.
 * It lets client tests run without DPDK, namespaces or root; parnikd is the
 * real replica.
 */
#ifndef PK_TEST_UDP_CLUSTER_H
#define PK_TEST_UDP_CLUSTER_H

#include <stdint.h>

struct udp_cluster;

/* Starts the cluster (replica i listens on base_i + p for partition p).
 * Returns NULL when sockets cannot be had.
 */
struct udp_cluster *udp_cluster_start(unsigned int nodes, unsigned int partitions,
				      uint32_t cluster_id);

/* "127.0.0.1:B0,127.0.0.1:B1,...", for pk_client_config.servers. */
const char *udp_cluster_servers(const struct udp_cluster *uc);

/* Replica <node> stops answering (its sockets close): a crash. */
void udp_cluster_kill(struct udp_cluster *uc, unsigned int node);

/* Stops the thread and frees everything. */
void udp_cluster_stop(struct udp_cluster *uc);

#endif
