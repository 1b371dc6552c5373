/* libparnik's datagram transport: how a client's datagrams reach the
 * replicas and come back. The default is a kernel UDP socket
 * (pk_udp_transport_open); parnik-bench's DPDK mode plugs in its own DPDK
 * port through the same four calls, so the request window, batching,
 * retries and reply matching (client.c) and the pre-flight check (probe.c)
 * are one code whatever carries the datagrams.
 *
 * A transport is used by one thread at a time.
 */
#ifndef PARNIK_TRANSPORT_H
#define PARNIK_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

/* One outgoing datagram: UDP payload and destination. */
struct pk_dgram {
	uint32_t ip;		/* IPv4, network order */
	uint16_t port;		/* host order */
	uint16_t len;
	const uint8_t *data;
};

/* Called once for every datagram received; <data> is valid during the call. */
typedef void (*pk_deliver_fn)(void *arg, const uint8_t *data, size_t len);

struct pk_transport {
	/* Sends <n> datagrams. One the path refuses (a full buffer or ring)
	 * is a lost datagram, for the client's retries to cover. Returns 0,
	 * or -1 with errno on a failure that ends the client.
	 */
	int (*send)(struct pk_transport *t, const struct pk_dgram *d, unsigned int n);
	/* Delivers every datagram already received, without waiting.
	 * Returns 0, or -1 with errno.
	 */
	int (*receive)(struct pk_transport *t, pk_deliver_fn deliver, void *arg);
	/* Returns once a datagram may be ready, or after <timeout_us>.
	 * Returns 0, or -1 with errno.
	 */
	int (*wait)(struct pk_transport *t, uint64_t timeout_us);
	void (*close)(struct pk_transport *t);
};

/* Opens a transport for a client; set in pk_client_config to replace the
 * kernel UDP socket. Returns NULL with a message in <err> on failure.
 */
typedef struct pk_transport *(*pk_transport_open_fn)(void *arg, char *err, size_t errlen);

/* The default: a nonblocking kernel UDP socket on an ephemeral port,
 * sendmmsg / recvmmsg in batches.
 */
struct pk_transport *pk_udp_transport_open(void *unused, char *err, size_t errlen);

#endif
