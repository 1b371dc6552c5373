/* The one boundary between parnikd's control plane (the control thread,
 * its jobs, the --bootstrap census, DPDK telemetry) and its data plane (the
 * worker lcores). Everything that crosses goes through this interface:
 *
 *   down  one immutable control snapshot (struct dp_control: the config to
 *         run, the admission, the floors asked of each partition, the
 *         fault-injection rule),
 *         published with RCU; each lcore reads it once per pass. Retired
 *         snapshots, and configs once the barrier of a later epoch has
 *         passed, are freed after a grace period (dp_plane_reclaim).
 *   up    one report per lcore (struct dp_report: the epoch it runs and
 *         the oldest one still counting, its counters and arena size) and
 *         one published floor per partition, each written by its owner
 *         only.
 *   work  functions run on a partition's owner go through the inject ring
 *         (inject.h); walks over a partition's keys through dp_plane_walk.
 *
 * Publishers (control thread, census) are serialised by the plane's lock;
 * the lcores never take it.
 */
#ifndef DP_PLANE_H
#define DP_PLANE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "counters.h"
#include "faults.h"
#include "options.h"
#include "parnik/worker.h"

#define DP_MAX_WORKERS 16

/* A published floor: a seqlock cell, one writer, any readers, no torn
 * ballots.
 */
struct dp_floor_cell {
	uint32_t seq;		/* odd while the writer is inside */
	uint64_t counter;
	uint32_t incarnation;
	uint16_t node;
	uint16_t worker;
	uint64_t version;
};

/* Down: what every lcore follows. Its fields never change once published
 * (but for <next_retired>, which only the publishers use).
 */
struct dp_control {
	const struct pk_config *cfg;
	bool admitted;
	uint32_t floor_seq[DP_MAX_PARTITIONS];		/* bumped by each raise asked */
	struct pk_floor floor_want[DP_MAX_PARTITIONS];	/* the floor asked */
	uint32_t fault_seq;				/* bumped by each `fault` */
	struct dp_fault_rule fault;			/* --fault-injection's rule */
	struct dp_control *next_retired;		/* the plane's, once replaced */
};

/* Up: what one lcore reports. Its own cache lines; only it writes. */
struct dp_report {
	uint32_t lcore_id;	/* the EAL lcore it runs on */
	uint32_t epoch_seen;	/* the epoch its partitions run */
	uint32_t oldest_epoch;	/* the oldest epoch a round of theirs still counts in */
	uint64_t arena_bytes;	/* its partitions' memory */
	uint64_t peer_heard_us[PK_MAX_NODES];	/* TSC-based us of each member's last
						 * datagram through the gate; 0: never */
	struct dp_counters counters;
} __attribute__((aligned(64)));

/* A config as published: the lcores' rounds point at <cfg> until the
 * barrier of a later epoch has passed.
 */
struct dp_plane_cfg {
	struct pk_config cfg;
	struct dp_plane_cfg *next_retired;
};

struct dp_plane {
	/* RCU-published; read by every lcore each pass, so on a line of its
	 * own, away from the lock the control side takes.
	 */
	struct dp_control *control __attribute__((aligned(64)));
	pthread_mutex_t lock __attribute__((aligned(64)));	/* publishers only */
	struct dp_control *retired;	/* replaced snapshots, to free */
	struct dp_plane_cfg *cfg;	/* the config of <control> */
	struct dp_plane_cfg *retired_cfgs;	/* replaced configs, to free */
	struct pk_config current;	/* a copy of cfg, under lock, for any thread */
	uint16_t nworkers;
	uint16_t partitions;
	void *index[DP_MAX_PARTITIONS];	/* each partition's key index, for walks */
	void (*kick)(void *ctx);	/* wakes every sleeping lcore after a publish */
	void *kick_ctx;
	struct dp_report report[DP_MAX_WORKERS];
	struct dp_floor_cell floor[DP_MAX_PARTITIONS];	/* published by each owner */
};

/* ---- setup (the main thread, before and after the lcores run) ---- */

/* Publishes the first snapshot: <initial> (copied), <admitted>. Returns 0
 * or -1 (no memory).
 */
int dp_plane_init(struct dp_plane *pl, const struct pk_config *initial, bool admitted,
		  uint16_t nworkers, uint16_t partitions, void (*kick)(void *ctx), void *kick_ctx);
/* Frees every snapshot and config: the lcores are gone. */
void dp_plane_fini(struct dp_plane *pl);

/* ---- control side ---- */

/* A copy of the config published last (any thread). */
void dp_plane_config(struct dp_plane *pl, struct pk_config *out);
/* Whether the acceptors vote (any thread). */
bool dp_plane_admitted(struct dp_plane *pl);

/* Publishes <next> as the config to run (its epoch included). Returns 0,
 * or -1 (no memory).
 */
int dp_plane_publish_config(struct dp_plane *pl, const struct pk_config *next);
/* Publishes the admission: the acceptors vote from the next pass on. */
int dp_plane_admit(struct dp_plane *pl);
/* Asks partition <p>'s owner to raise its floor to at least <f>. */
int dp_plane_request_floor(struct dp_plane *pl, uint16_t p, const struct pk_floor *f);
/* Publishes the fault-injection rule <r> (dir 0: none). */
int dp_plane_set_fault(struct dp_plane *pl, const struct dp_fault_rule *r);
/* The rule published last (any thread). */
void dp_plane_fault(struct dp_plane *pl, struct dp_fault_rule *out);

/* True once every lcore runs <epoch> and no round of an older one counts. */
bool dp_plane_barrier(const struct dp_plane *pl, uint32_t epoch);
/* Frees the snapshots replaced so far and, with <epoch> non-zero (its
 * barrier passed), the configs older than it, after an RCU grace period.
 * The control thread, offline as a QSBR reader.
 */
void dp_plane_reclaim(struct dp_plane *pl, uint32_t epoch);

/* Partition <p>'s floor as its owner published it. */
void dp_plane_floor(const struct dp_plane *pl, uint16_t p, struct pk_floor *f);
/* Lcore <w>'s report (a consistent enough copy: counters are words). */
void dp_plane_report(const struct dp_plane *pl, uint16_t w, struct dp_report *out);
/* When each member was last heard by any lcore (us on the lcores' TSC
 * clock, dp_replica_tsc_us; 0: never).
 */
void dp_plane_peers_heard(const struct dp_plane *pl, uint64_t out[PK_MAX_NODES]);
/* Every lcore's counters summed. */
void dp_plane_counters(const struct dp_plane *pl, struct dp_counters *sum);

/* Walks partition <p>'s keys while its owner runs (the calling thread is a
 * registered QSBR thread, offline; online for the walk). Returns the keys
 * visited; <fn> returns non-zero to stop.
 */
uint64_t dp_plane_walk(const struct dp_plane *pl, uint16_t p,
		       int (*fn)(void *arg, const uint8_t *key, uint16_t len, const void *rec),
		       void *arg);

/* ---- lcore side ---- */

/* The snapshot to follow this pass (inside the lcore's QSBR read side; or
 * before any lcore runs, at set-up).
 */
const struct dp_control *dp_plane_follow(const struct dp_plane *pl);
void dp_plane_report_lcore(struct dp_plane *pl, uint16_t w, unsigned int lcore_id);
void dp_plane_report_epochs(struct dp_plane *pl, uint16_t w, uint32_t seen, uint32_t oldest);
void dp_plane_report_floor(struct dp_plane *pl, uint16_t p, const struct pk_floor *f);
void dp_plane_report_counters(struct dp_plane *pl, uint16_t w, const struct dp_counters *live,
			      uint64_t arena_bytes);
void dp_plane_report_peers(struct dp_plane *pl, uint16_t w, const uint64_t heard[PK_MAX_NODES]);

#endif
