/* parnik-bench's DPDK mode: the client's datagrams on DPDK ports of its
 * own (an af_packet port on a veth into the fabric's bridge, or one memif
 * port per replica), with no kernel on the path. The ports come up once per
 * process; every replica is found by ARP on every port (the replica answers
 * on the port that reaches it), and replies come back to our address and
 * UDP port. Frames are parsed and built by parnikd's own code (dp/packet.h).
 *
 * One transport per client thread (--threads with --dpdk): thread k sends
 * from UDP port base + k on its own TX queue where the port has enough, and
 * polls its share of the RX queues; a reply for another thread is handed to
 * it (dpdk_transport.c). The pre-flight check borrows the first.
 */
#ifndef PARNIK_BENCH_DPDK_TRANSPORT_H
#define PARNIK_BENCH_DPDK_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "parnik/transport.h"

#define BENCH_DPDK_MAX_PORTS 8

struct bench_dpdk_config {
	const char *eal;	/* EAL arguments, space-separated; NULL: the defaults */
	const char *vdev[BENCH_DPDK_MAX_PORTS];	/* one --vdev each */
	unsigned int nvdev;
	uint32_t ip;		/* our IPv4 address, network order */
	/* queue pairs per port (0: 1). A memif peer answers on the queue of
	 * the worker that served the request, so a replica's memif port with
	 * W queues needs W here, or the replies of W-1 workers are lost.
	 */
	unsigned int queues;
	unsigned int threads;	/* client threads, a transport each (0: 1) */
	const char *servers;	/* "IPV4:PORT,...": the replicas to resolve */
};

/* Frames the transport counted instead of delivering. */
struct bench_dpdk_stats {
	uint64_t rx_frames, tx_frames;
	uint64_t rx_dropped;	/* not for us, malformed, bad checksum, not a reply */
	uint64_t tx_full;	/* the TX ring or the mbuf pool was full: lost, retried */
	uint64_t unresolved;	/* for a replica that never answered ARP: lost */
	uint64_t answered;	/* ARP requests / pings for our address answered */
	uint64_t sleeps;	/* waits that slept until a frame (or the timeout) */
	uint64_t bells_rung;	/* memif doorbells rung: a replica's queue slept */
	uint64_t handed_off;	/* replies received for another thread, passed on */
};

/* Initialises the EAL, starts every port, waits for their links and
 * resolves every server. Returns 0; 1 when some servers (named in <err>)
 * did not answer ARP (datagrams to them are lost until they do; they are
 * asked again every second); -1 with a message in <err> on failure or when
 * no server answered.
 */
int bench_dpdk_init(const struct bench_dpdk_config *cfg, char *err, size_t errlen);

/* A pk_transport_open_fn over the ports (the argument is unused). */
struct pk_transport *bench_dpdk_transport_open(void *unused, char *err, size_t errlen);

/* What the ports are, for the report ("net_memif x3"). */
const char *bench_dpdk_describe(void);

void bench_dpdk_stats(struct bench_dpdk_stats *out);

/* Stops the ports and the EAL. */
void bench_dpdk_fini(void);

#endif
