/* parnik-bench --echo N: the floor under Parnik's latency on the client's
 * own path. N sequential 64-byte datagrams to the first replica's UDP echo
 * port (7), each sent when the last came back, over the transport the load
 * would use (kernel UDP or the DPDK ports, sleeping the same way), and the
 * round trip's percentiles.
 */
#ifndef PARNIK_BENCH_ECHO_H
#define PARNIK_BENCH_ECHO_H

#include <stdint.h>

#include "parnik/hist.h"
#include "parnik/transport.h"

/* Returns 0 with <h> filled (nanoseconds), or -1 with <err> (no reply within a second:
 * the replica's echo is down or unreachable).
 */
int bench_echo(pk_transport_open_fn open, void *open_arg, uint32_t ip, unsigned int count,
	       struct pk_hist *h, char *err, size_t errlen);

#endif
