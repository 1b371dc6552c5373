/* One replica's data path: its ports, its partitions and the worker lcores
 * that own them, the hand-off rings between those lcores, the shared
 * neighbour table and the per-lcore counters.
 *
 * Share-nothing: partition p belongs to worker owner(p) (p mod workers) and
 * only that lcore touches its core worker, client addresses and tables.
 * Worker w polls RX queue w of every port; a frame for a partition it does
 * not own goes to the owner over a single-producer/single-consumer rte_ring
 * for the pair (w, owner): rte_flow rules, where a PMD takes them, make that
 * the exception; on af_packet, tap and memif here it is the rule.
 */
#ifndef DP_REPLICA_H
#define DP_REPLICA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "census.h"
#include "counters.h"
#include "faults.h"
#include "floors.h"
#include "idle.h"
#include "installs.h"
#include "gate.h"
#include "gc_sched.h"
#include "jobs.h"
#include "memory.h"
#include "neigh.h"
#include "options.h"
#include "packet.h"
#include "parnik/worker.h"
#include "plane.h"
#include "ports.h"
#include "wake.h"

#define DP_MAX_PORTS 8
#define DP_CLIENT_SLOTS 16384	/* reply addresses remembered per partition */
/* A request whose reply address slot still waits for a reply younger than
 * this is shed (answered BUSY at once): the replica never recycles the
 * address of a request it may still answer (the core answers within its
 * op deadline, 1 s).
 */
#define DP_CLIENT_SLOT_HOLD_US 2000000u
#define DP_COOKIE_SHED (1ull << 62)	/* the reply goes to l->shed_to */
#define DP_CLIENT_SLOT_SKIP 64	/* waiting slots passed over before shedding */
#define DP_BURST 32
#define DP_OUTBOX 1024

/* Where a client request came from, to send its reply back. */
struct dp_client_addr {
	uint64_t seq;		/* the cookie it was given: stale slots are detected */
	uint64_t arrival_tsc;	/* for the replica's latency histogram */
	uint8_t mac[6];
	uint16_t port;		/* DPDK port */
	uint32_t ip;
	uint16_t udp_port;
	bool sealed;		/* the request carried the client MAC: so does the reply */
	bool waiting;		/* its reply is not out yet */
};

/* A partition, touched only by its owner lcore. */
struct dp_partition {
	struct pk_worker *w;
	struct dp_client_addr *clients;
	uint64_t next_client;
	uint16_t owner;		/* worker index */
	uint32_t floor_seq_seen;		/* the last raise it applied (plane.h) */
	struct pk_floor floor_last;		/* the floor it reported */
	struct dp_gate_part gate;		/* owner: replay windows, send sequences */
};

struct dp_txbuf {
	uint16_t n;
	struct rte_mbuf *m[DP_BURST];
};

/* A datagram being filled in an mbuf, for one peer or one client. */
struct dp_open {
	struct rte_mbuf *m;	/* NULL when none is open */
	struct pk_wbuf w;	/* writes at the UDP payload inside m */
	unsigned int pi;	/* port index */
	struct dp_hop hop;
	uint32_t dst_ip;	/* network order */
	uint16_t dst_udp;	/* host order */
	int peer;		/* the member it goes to, or -1 for a client */
	bool sealed;		/* client reply: sealed with the client key */
};

struct dp_replica;

/* One worker lcore. Cache-aligned: lcores never write each other's. */
struct dp_lcore {
	struct dp_replica *r;
	struct dp_client_addr shed_to;	/* the shed request's source (DP_COOKIE_SHED) */
	unsigned int shed_pi;		/* and the index of its port */
	uint16_t index;		/* worker index, 0..nworkers-1 */
	unsigned int lcore_id;
	uint16_t nparts;
	uint16_t parts[DP_MAX_PARTITIONS];
	struct dp_txbuf tx[DP_MAX_PORTS];
	struct pk_send sends[DP_OUTBOX];
	struct pk_reply replies[DP_OUTBOX];
	struct pk_out out;
	struct dp_open peer_open[PK_MAX_NODES];
	struct dp_open reply_open;
	uint64_t now_us;			/* this pass's clock */
	const struct pk_config *cfg_seen;	/* the config its partitions run */
	bool barrier_pending;			/* rounds of an older epoch may be left */
	bool admitted_seen;			/* the admission its partitions run */
	struct dp_mem mem;			/* its partitions' arena */
	struct dp_idle_state idle;
	struct dp_wake wake;			/* what ends a sleep on arrival */
	struct dp_installs installs;		/* catch-up sends in flight */
	uint64_t backlog_since;			/* us: every burst full since (0: none) */
	bool shedding;				/* a standing queue: BUSY to new requests */
	bool faults_on;				/* this pass: a fault rule is active */
	struct dp_fault_lcore fault;		/* --fault-injection: rule, held frames */
	struct dp_counters live;		/* reported through the plane */
	uint64_t next_publish;			/* TSC */
	uint64_t census_next;			/* us: next HELLO round */
	uint64_t peer_heard_us[PK_MAX_NODES];	/* us: each member's last datagram through the gate */
} __rte_cache_aligned;

struct dp_replica {
	const struct dp_options *opt;
	struct rte_mempool *pool;
	struct dp_port ports[DP_MAX_PORTS];
	unsigned int nports;
	int8_t port_index[RTE_MAX_ETHPORTS];	/* DPDK port id -> index, -1 */
	struct dp_iface iface[DP_MAX_PORTS];
	rte_spinlock_t txlock[DP_MAX_PORTS][DP_MAX_WORKERS];	/* shared TX queues only */
	/* Everything between the control thread and the lcores (plane.h):
	 * the config, the admission and floor requests down, the reports up.
	 */
	struct dp_plane plane;
	struct dp_partition part[DP_MAX_PARTITIONS];
	uint16_t nworkers;
	struct dp_lcore *lcores[DP_MAX_WORKERS];
	struct rte_ring *ring[DP_MAX_WORKERS][DP_MAX_WORKERS];	/* [from][to] */
	struct rte_ring *inject[DP_MAX_WORKERS];	/* control-plane requests (inject.h) */
	struct dp_neigh neigh;
	struct dp_gate gate;	/* keys and identity: fixed after init */
	struct dp_census census;	/* --bootstrap: what the members hold */
	uint64_t tsc_hz;
	uint64_t client_hold_tsc;	/* DP_CLIENT_SLOT_HOLD_US in TSC cycles */
	double ns_per_tsc;
	bool stop;		/* set by the main thread; read with an atomic load */
	struct dp_jobs jobs;	/* rescan and other long control-plane work */
	struct dp_gc_sched gc;	/* when deletion GC sweeps */
};

/* Builds partitions, workers, rings and tables for <nworkers> lcores on the
 * ports already started (<ports>, <nports>). Returns 0 or -1 (message
 * printed). The calling (main) thread becomes a QSBR reader, offline until
 * dp_replica_fini, which must run on the same thread once the workers are
 * done.
 */
int dp_replica_init(struct dp_replica *r, const struct dp_options *o, struct rte_mempool *pool,
		    const struct dp_port *ports, unsigned int nports, uint16_t nworkers);

/* The owner (worker index) of each partition, for rte_flow rules. */
void dp_replica_owners(const struct dp_replica *r, uint16_t *owner);

/* The worker loop of lcore <index> (worker_loop.c); returns when r->stop. */
void dp_worker_run(struct dp_replica *r, uint16_t index);

/* lcore_function_t wrapper: <arg> is the struct dp_lcore. */
int dp_worker_main(void *arg);

/* The --bootstrap census (census.h): waits for the members' answers up to
 * --bootstrap-wait, then lets the acceptors vote (returns 0) or, when the
 * cluster exists already, says why on stderr and returns -1 (the caller
 * stops the replica). Runs on its own thread while the workers serve.
 */
int dp_replica_census(struct dp_replica *r);

/* Every --member but this replica, as a node mask. */
uint16_t dp_replica_others(const struct dp_replica *r);

/* TSC cycles as microseconds: the data path's clock (every lcore's now_us,
 * the peers' last-heard times), readable from any thread.
 */
static inline uint64_t
dp_replica_tsc_us(const struct dp_replica *r, uint64_t tsc)
{
	return (uint64_t)((double)tsc * 1e6 / (double)r->tsc_hz);
}

/* After publishing something every worker must follow (a config, the
 * admission, a fault rule, a floor, the stop): wakes those asleep, which
 * would otherwise see it only at their next timer (up to 10 ms).
 */
void dp_replica_kick_all(struct dp_replica *r);

/* True when node <id> is a --member. */
bool dp_replica_is_member(const struct dp_replica *r, uint16_t id);

/* Prints the totals and one line per lcore. */
void dp_replica_print_stats(const struct dp_replica *r, FILE *f);

void dp_replica_fini(struct dp_replica *r);

#endif
