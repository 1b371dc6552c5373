/* parnikd's own options (those after the EAL's "--"): who this replica is,
 * who the members are, and its limits. Parsing and every consistency check
 * happen here, before the EAL starts or any packet moves, so that a wrong
 * command line is one clear message and exit code 2.
 */
#ifndef DP_OPTIONS_H
#define DP_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "parnik/auth.h"
#include "parnik/types.h"

#define DP_MAX_PARTITIONS 64
#define DP_IDLE_SPIN_US_DEFAULT 20
#define DP_STR_(x) #x
#define DP_STR(x) DP_STR_(x)
#define DP_MAX_NEIGHBOURS 32
/* Highest DPDK port id a --neighbour may name (RTE_MAX_ETHPORTS is 32 in
 * Debian's DPDK; this file stays DPDK-free, replica.c checks they agree).
 */
#define DP_MAX_PORT_ID 31

/* When the frames a worker built leave its TX buffers. */
enum dp_tx_flush {
	DP_TX_AUTO = 0,		/* by port type: resolved per port in main.c, tx_per_datagram */
	DP_TX_DATAGRAM = 1,	/* after each received datagram's work */
	DP_TX_PASS = 2,		/* once, at the end of each pass */
};

enum dp_idle {
	DP_IDLE_POLL = 1,	/* busy polling: bare metal, dedicated cores */
	DP_IDLE_ADAPTIVE = 2,	/* short sleeps after empty polls: shared cores */
};

struct dp_member {
	uint16_t id;
	uint32_t ip;		/* network order */
};

struct dp_neighbour {
	uint32_t ip;		/* network order */
	uint8_t mac[6];
	uint16_t port;		/* DPDK port id it is reached through */
};

/* A TCP listening address (--metrics, --control-listen). */
struct dp_listen {
	uint32_t ip;		/* network order; 0 = every address */
	uint16_t port;		/* 0: off */
};

struct dp_options {
	uint16_t node;
	uint32_t ip;		/* this replica's address, network order */
	uint16_t base_port;
	uint16_t partitions;
	uint32_t cluster_id;
	uint8_t idle;		/* enum dp_idle; 0 until resolved at startup */
	uint32_t idle_max_us;	/* adaptive: longest sleep */
	uint32_t idle_spin_us;	/* adaptive: polling after the last work */
	uint32_t gc_interval_ms; /* GC sweeps at most this often; 0: on command */
	uint32_t max_keys;	/* per partition */
	uint32_t max_rounds;	/* rounds per partition at once (shedding) */
	uint32_t shed_queue_us;	/* shed while the ports' queue stands this long; 0: off */
	uint8_t tx_flush;	/* enum dp_tx_flush */
	uint32_t max_sessions;	/* client sessions per partition */
	uint32_t session_records;	/* answers held per partition */
	uint32_t session_lease_ms;
	uint16_t max_value;
	bool one_rtt;
	struct dp_member members[PK_MAX_NODES];
	unsigned int nmembers;
	struct dp_neighbour neighbours[DP_MAX_NEIGHBOURS];	/* static ARP */
	unsigned int nneighbours;
	bool bootstrap;		/* a new cluster: acceptors start admitted */
	bool force_bootstrap;	/* ... without asking the members first (census.h) */
	uint32_t bootstrap_wait_ms;	/* how long the census waits for answers */
	uint16_t lists;		/* --bootstrap: the initial prepare/accept lists
				 * (a mask of member ids; 0 = every member) */
	/* Peer traffic is sealed with the cluster's peer key (--peer-key);
	 * without one the replica starts only with --insecure-peers.
	 * Clients must seal their requests when a client key is given.
	 */
	bool have_peer_key;
	bool insecure_peers;
	uint8_t peer_secret[PK_AUTH_SECRET_LEN];
	bool have_client_key;
	uint8_t client_secret[PK_AUTH_SECRET_LEN];
	bool fault_injection;	/* the `fault` command may impair the ports (faults.h) */
	char stats_file[256];	/* where to print counters on shutdown; "" = stdout */
	char ctl_path[108];	/* control socket (a Unix socket path's limit) */
	/* Operators' windows, each off by default (ports 0). */
	struct dp_listen metrics;	/* --metrics: Prometheus text over HTTP */
	struct dp_listen control;	/* --control-listen: the control socket over TCP */
	bool have_control_key;		/* --control-key: required by --control-listen */
	uint8_t control_secret[PK_AUTH_SECRET_LEN];
	uint8_t log_level;		/* DP_LOG_* (log.h); 0: not given (the EAL's or info) */
	bool log_syslog;		/* --log-syslog: every log line to syslog as well */
	uint32_t peer_silent_ms;	/* a member not heard this long is logged silent */
};

/* Parses argv (the part after "--"). Returns 0, 1 for --help or --version
 * (printed to <out>), or -1 with a one-line reason in <err>.
 */
int dp_options_parse(struct dp_options *o, int argc, char **argv, FILE *out, char *err,
		     size_t errlen);

void dp_options_usage(FILE *f);

struct option;
/* The long options dp_options_parse knows (getopt_long's table, ending in
 * a zero entry).
 */
const struct option *dp_options_table(void);

/* Parses "IPV4:PORT" into <l>; false when it is not one. */
bool dp_listen_parse(const char *s, struct dp_listen *l);

/* The level named <name> (error, warning, notice, info, debug), or 0. */
uint8_t dp_log_level_parse(const char *name);

/* The address of --member <id> (network order), or 0 when it is none. */
uint32_t dp_options_member_ip(const struct dp_options *o, uint16_t id);

#endif
