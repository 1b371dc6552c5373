/* The control socket: a Unix stream socket served by one control thread
 * (never a worker lcore), and optionally the same commands over TCP
 * (sealed, channel.h) and the metrics over HTTP. One command per line, one
 * JSON reply per line.
 * Abuse is contained here: lines over CTL_MAX_LINE bytes get an error and
 * are skipped, a client that does not read its replies is disconnected,
 * idle clients are closed after CTL_IDLE_SECONDS, and beyond CTL_MAX_CLIENTS
 * connections a newcomer gets an error line and is closed. None of it
 * reaches the data plane.
 */
#ifndef CTL_SERVER_H
#define CTL_SERVER_H

#include <stdint.h>

#include "host.h"

#define CTL_MAX_LINE 4096
#define CTL_MAX_CLIENTS 32	/* on the control socket */
#define CTL_MAX_TCP_CLIENTS 16	/* on the TCP control port */
#define CTL_MAX_HTTP_CLIENTS 16	/* on the metrics port */
#define CTL_MAX_PER_SOURCE 4	/* TCP or metrics connections from one host */
#define CTL_HANDSHAKE_SECONDS 10	/* to open a first sealed line, or send an HTTP request */
#define CTL_READS_PER_WAKE 4	/* reads of one client per poll wake-up */
#define CTL_IDLE_SECONDS 120
#define CTL_REPLY_MAX (256 * 1024)

struct ctl_server;

struct ctl_server_stats {
	uint64_t connections;
	uint64_t refused;	/* over CTL_MAX_CLIENTS */
	uint64_t commands;
	uint64_t errors;	/* replies with "ok": false */
	uint64_t long_lines;
	uint64_t slow_clients;	/* disconnected: replies not read */
	uint64_t idle_closed;
	uint64_t closed;	/* connections closed: connections - closed are open */
	uint64_t auth_failures;	/* TCP: bad greeting, or a line that did not open */
	uint64_t http_requests;	/* metrics requests answered (any status) */
};

/* What to listen on: the control socket always; the TCP control port and
 * the metrics port when their port is non-zero (addresses in network
 * order, 0 = every address).
 */
struct ctl_server_config {
	const char *path;
	uint32_t control_ip;
	uint16_t control_port;
	const uint8_t *control_secret;	/* 32 bytes; required with control_port */
	uint32_t metrics_ip;
	uint16_t metrics_port;
};

/* Binds <path> (a stale socket file is replaced; its directory is created)
 * and starts the control thread. Returns NULL with <err> filled.
 */
struct ctl_server *ctl_server_start(const char *path, const struct ctl_host *host, char *err,
				    size_t errlen);
/* The same with the listeners of <cfg>. */
struct ctl_server *ctl_server_start_with(const struct ctl_server_config *cfg,
					 const struct ctl_host *host, char *err, size_t errlen);

/* Stops the thread, closes every connection and removes the socket file. */
void ctl_server_stop(struct ctl_server *s);

void ctl_server_stats(const struct ctl_server *s, struct ctl_server_stats *out);

#endif
