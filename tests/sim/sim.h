/* Deterministic cluster simulator: N replicas of W partition workers each,
 * running the real core, on a virtual clock (microseconds) with one seeded
 * PRNG. Every message crosses a simulated network as real encoded datagrams,
 * with loss, reply loss, duplication, delay (and so reordering) and
 * directional partitions; replicas crash with amnesia and restart with a new
 * incarnation. Same seed, same trace.
 */
#ifndef PK_SIM_H
#define PK_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "heap.h"
#include "lincheck.h"
#include "monitor.h"
#include "parnik/worker.h"

#define SIM_MAX_WORKERS 4
#define SIM_MAX_CLIENTS 32
#define SIM_MAX_CONFIGS 64
#define SIM_MAX_KEYS 16
#define SIM_OUT_CAP 2048

struct sim;

/* Network faults; probabilities per datagram. */
struct sim_net {
	double drop;		/* requests to acceptors (PREPARE, ACCEPT) */
	double reply_drop;	/* acceptor replies (PROMISE, ACCEPTED, CONFLICT) */
	double dup;		/* delivered 2 or 3 times */
	double client_drop;	/* client <-> replica, both ways */
	uint64_t delay_min;	/* one-way delay, uniform in [min, max] */
	uint64_t delay_max;
};

enum sim_workload {
	SIM_WL_INC = 1,		/* gryadka's IncClient: GET then CAS(+3) */
	SIM_WL_MIX = 2,		/* random GET / PUT / CAS / ADD / DEL */
	SIM_WL_SCAN = 3,	/* one GET per key: a rescan */
	SIM_WL_FILL = 4,	/* one PUT per key */
	SIM_WL_DROP = 5,	/* one DEL per key */
};

struct sim_client {
	uint32_t id;
	uint8_t workload;
	bool active;		/* issuing ops */
	bool busy;		/* a request is in flight */
	uint16_t node_mask;	/* replicas it sends to */
	uint8_t hot_keys;	/* INC / MIX use keys [0, hot_keys); 0: all */
	uint16_t key_set;	/* SCAN: only these keys (bit k: key k); 0: all */
	uint32_t target;	/* successful writes (INC) or ops (MIX, SCAN) */
	uint32_t done;
	uint32_t attempts;
	uint64_t rng;
	/* the request in flight */
	uint64_t req_id;
	uint32_t hist_id;
	uint8_t op;
	uint8_t key;
	/* INC state: the value read, and whether the CAS is next */
	bool inc_write;
	uint64_t inc_version;
	int64_t inc_value;
	uint64_t last_version[SIM_MAX_KEYS];
	/* its session with each partition of each replica (0: none yet) */
	uint64_t session[PK_MAX_NODES][SIM_MAX_WORKERS];
};

struct sim_node {
	struct pk_heap heap;	/* first: the context of <env>, whose callbacks take the node */
	struct pk_env env;
	struct sim *sim;
	uint16_t id;
	bool up;
	bool admitted;		/* its acceptors vote (false after an amnesiac restart) */
	uint32_t incarnation;
	uint32_t starts;	/* process starts: fresh session numbers each */
	const struct pk_config *cfg;
	struct pk_worker *w[SIM_MAX_WORKERS];
	uint64_t tick_at[SIM_MAX_WORKERS];
};

struct sim_params {
	unsigned int nodes;
	unsigned int workers;
	unsigned int keys;
	struct sim_net net;
	struct pk_tuning tuning;
	uint64_t client_timeout;
	uint64_t time_limit;
	uint64_t seed;
	bool verbose;
	/* When set, the first draws of the PRNG are these bytes, 8 per
	 * draw, instead of the seed's (a fuzzer's input steering every
	 * choice: which datagram drops, how long each waits, which op a
	 * client sends); the seed's sequence takes over after them.
	 */
	const uint8_t *entropy;
	size_t entropy_len;
};

struct sim_stats {
	uint64_t events;
	uint64_t datagrams;
	uint64_t dropped;
	uint64_t duplicated;
	uint64_t ops_ok;	/* definite results */
	uint64_t ops_unknown;	/* UNKNOWN_OUTCOME or no reply */
	uint64_t ops_refused;	/* BUSY, TIMEOUT, ... */
	uint64_t lagged;	/* datagrams held back by sim_lag */
	uint64_t gc_calls;	/* pk_worker_gc calls by sweeps */
	uint64_t gc_removed;	/* ... answered OK (removed or dropped) */
};

/* Holds back datagrams from the nodes of <from> to the nodes of <to> that
 * carry a message of <type> (0: any) by <extra> microseconds: a message
 * delayed far past the rounds that follow it.
 */
struct sim_lag {
	uint16_t from;
	uint16_t to;
	uint8_t type;
	uint64_t extra;
};

struct sim {
	struct sim_params p;
	uint64_t rng;
	size_t entropy_pos;	/* bytes of p.entropy drawn */
	uint64_t now;
	uint64_t seq;
	uint64_t trace;		/* FNV hash of every event: the replay check */
	uint64_t lin_clock;

	struct sim_event *heap;
	uint32_t heap_n, heap_cap;

	struct pk_config cfg;	/* the default config, nodes share it */
	const struct pk_config *configs[SIM_MAX_CONFIGS];	/* every config installed */
	unsigned int nconfigs;
	struct sim_node nodes[PK_MAX_NODES];
	uint16_t cut[PK_MAX_NODES];	/* cut[from]: nodes it cannot reach */
	struct sim_lag lag;
	uint64_t lag_last;		/* when the last lagged datagram lands */

	struct sim_client clients[SIM_MAX_CLIENTS];
	unsigned int nclients;
	char keys[SIM_MAX_KEYS][16];

	struct pk_send sends[SIM_OUT_CAP];
	struct pk_reply replies[SIM_OUT_CAP];
	struct pk_out out;

	struct lin_history *hist;
	struct monitor mon;
	struct sim_stats stats;

	/* scenario script: called at each SCRIPT event it scheduled */
	void (*script)(struct sim *s, uint64_t arg);
};

/* Sets up the cluster: every node up, admitted, running <s->cfg>. */
void sim_init(struct sim *s, const struct sim_params *p);
void sim_fini(struct sim *s);

uint64_t sim_rand(struct sim *s);
/* True with probability <p>. */
bool sim_chance(struct sim *s, double p);

/* Adds a client (returns it); it starts at the current time. */
struct sim_client *sim_add_client(struct sim *s, uint8_t workload, uint16_t node_mask,
				  uint32_t target);

/* Sends <c>'s next request to a random replica of its node_mask. */
void sim_client_send(struct sim *s, struct sim_client *c, uint8_t op, uint8_t key, uint64_t arg,
		     const char *val);
/* Wakes <c> (workload_next) after <delay>. */
void sim_client_wake_later(struct sim *s, struct sim_client *c, uint64_t delay);

/* Runs events until every active client is done, <until> passes, or the
 * queue empties. Returns true when every active client finished.
 */
bool sim_run(struct sim *s, uint64_t until);

/* The step API, for scenarios written top to bottom: each call runs the
 * cluster forward and returns false once the run's time limit is reached
 * (or nothing is left to happen) before what it waits for.
 *
 *   sim_step        one event
 *   sim_step_until  events until <done>(s, arg) holds (checked before each)
 *   sim_wait        every event of the next <us> microseconds, the clock
 *                   then at now + <us> (a barrier)
 *   sim_poll_until  sim_wait(<every_us>) until <done>(s, arg) holds: a
 *                   controller that looks every so often, as parnikctl
 *                   does (time moves on even when nothing happens)
 *   sim_until_done  events until client <c> has done its target
 */
bool sim_step(struct sim *s);
bool sim_step_until(struct sim *s, bool (*done)(struct sim *s, void *arg), void *arg);
bool sim_wait(struct sim *s, uint64_t us);
bool sim_poll_until(struct sim *s, uint64_t every_us, bool (*done)(struct sim *s, void *arg),
		    void *arg);
bool sim_until_done(struct sim *s, struct sim_client *c);

/* Schedules the scenario script at now + <delay> with <arg>. */
void sim_schedule_script(struct sim *s, uint64_t delay, uint64_t arg);

/* Crash with amnesia: the node's workers and their memory are gone. */
void sim_crash(struct sim *s, uint16_t node);
/* Restart with a new incarnation (or, for a negative test, the same one). */
void sim_restart(struct sim *s, uint16_t node, bool admitted, bool same_incarnation);

/* Admission: the acceptors of <node> vote (again). */
void sim_admit(struct sim *s, uint16_t node);

/* Copies the highest GC floor of every other live node into <node>,
 * partition by partition (parnikctl's raise-floor before a node votes).
 */
void sim_copy_floors(struct sim *s, uint16_t node);

/* Catch-up: node <from> copies every key's accepted state to node <to>
 * (INSTALL messages over the simulated network; nothing re-sends them).
 */
void sim_install(struct sim *s, uint16_t from, uint16_t to);

/* Deletion GC sweep on <node>: pk_worker_gc on every key, as the replica's
 * sweep job does; the answers only count in the stats.
 */
void sim_gc_sweep(struct sim *s, uint16_t node);

/* Delivers <m> to node <to> as if sent by the node it names: a forged (or
 * corrupted) message that passed the transport, for the core's bounds.
 * Never lost, never duplicated; the monitors do not see it.
 */
void sim_forge(struct sim *s, uint16_t to, const struct pk_msg *m);

/* The keys <node> holds a record of (bit k: key k), as a rescan there
 * would walk them.
 */
uint16_t sim_known_keys(const struct sim *s, uint16_t node);

/* True when <to> holds every key <from> holds accepted, at the same
 * ballot or a later one: a catch-up from <from> into <to> is complete.
 */
bool sim_caught_up(const struct sim *s, uint16_t from, uint16_t to);

/* Keys holding a deleted state on the live nodes of <mask>. */
uint32_t sim_deleted_keys(const struct sim *s, uint16_t mask);

/* Installs <cfg> (kept alive by the caller) on every worker of <node>. */
void sim_set_config(struct sim *s, uint16_t node, const struct pk_config *cfg);

/* Sums a counter over every live worker, or over those of <node>. */
uint64_t sim_stat_sum(const struct sim *s, size_t offset);
uint64_t sim_node_stat(const struct sim *s, uint16_t node, size_t offset);
#define SIM_STAT(s, field) sim_stat_sum((s), offsetof(struct pk_stats, field))
#define SIM_NODE_STAT(s, node, field) sim_node_stat((s), (node), offsetof(struct pk_stats, field))

#endif
