/* What the control thread may ask of its replica. The data plane fills
 * these from its published snapshots (counters, config) and RCU walks of
 * the tables; the control plane never touches worker internals. Every
 * callback runs on the control thread.
 */
#ifndef CTL_HOST_H
#define CTL_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fault_spec.h"
#include "json.h"
#include "parnik/types.h"

enum ctl_gc_action { CTL_GC_SWEEP, CTL_GC_HOLD, CTL_GC_RELEASE };
#define CTL_GC_HOLD_DEFAULT_S 600	/* `gc hold` without SECONDS */
#define CTL_GC_HOLD_MAX_S 86400
#define CTL_METRICS_MAX (64 * 1024)	/* the metrics text's size limit */
#define CTL_TICK_MS 250

struct ctl_host {
	void *ctx;
	/* Members of the reply object, for each read-only command. */
	void (*status)(void *ctx, struct ctl_json *j);
	void (*stats)(void *ctx, struct ctl_json *j);
	void (*config)(void *ctx, struct ctl_json *j);
	void (*lists)(void *ctx, struct ctl_json *j);
	/* A page of partition <partition>'s keys from position <from>:
	 * "keys":[...], "next" (position after the page, or -1 at the end).
	 * Returns 0, or -1 when the partition does not exist.
	 */
	int (*keys)(void *ctx, uint16_t partition, uint64_t from, uint32_t limit,
		    struct ctl_json *j);
	/* A membership step on this replica: add <id> to, or remove it from,
	 * the prepare or accept list, with that list's quorum afterwards;
	 * returns once the replica's barrier is passed. Fills "changed",
	 * "epoch", "barrier_us" and returns 0, or -1 with <err> filled.
	 */
	int (*edit_list)(void *ctx, bool prepare, bool add, uint16_t id, uint8_t quorum,
			 struct ctl_json *j, char *err, size_t errlen);
	/* Installs the whole config at a cluster-wide <epoch> (parnikctl's
	 * steps), then waits at the barrier; idempotent. Fills "changed",
	 * "epoch", "barrier_us" and the lists; returns 0, or -1 with <err>.
	 */
	int (*set_config)(void *ctx, uint32_t epoch, uint16_t prepare, uint8_t prepare_quorum,
			  uint16_t accept, uint8_t accept_quorum, struct ctl_json *j, char *err,
			  size_t errlen);
	/* Lets a restarted replica's acceptors vote; 0, or -1 with <err>. */
	int (*admit)(void *ctx, struct ctl_json *j, char *err, size_t errlen);
	/* Starts a rescan with <window> requests in flight, or reports the
	 * one running ("started": false). Fills the job's progress; returns
	 * 0, or -1 with <err>.
	 */
	int (*rescan)(void *ctx, uint32_t window, struct ctl_json *j, char *err, size_t errlen);
	/* Starts a catch-up into node <target> (or reports the job running),
	 * as rescan.
	 */
	int (*catchup)(void *ctx, uint16_t target, uint32_t window, struct ctl_json *j, char *err,
		       size_t errlen);
	/* Deletion GC: <action> CTL_GC_SWEEP starts a sweep now (or reports
	 * another job running: "started": false), CTL_GC_HOLD stops new
	 * sweeps for <hold_s> seconds and waits for one under way,
	 * CTL_GC_RELEASE lets them run. Fills "held", "hold_left_ms",
	 * "sweeps", "tombstones" and the job's progress; returns 0, or -1
	 * with <err>.
	 */
	int (*gc)(void *ctx, int action, uint32_t hold_s, struct ctl_json *j, char *err,
		  size_t errlen);
	/* Deletion GC floors, one per partition:
	 * "floors":[{"partition":P,"ballot":"C.I.N.W","version":V},...].
	 */
	void (*floors)(void *ctx, struct ctl_json *j);
	/* Raises partition <partition>'s floor to at least <ballot> and
	 * <version>, and waits until its worker runs it. Fills the floor now
	 * run; returns 0, or -1 with <err>.
	 */
	int (*raise_floor)(void *ctx, uint16_t partition, const struct pk_ballot *ballot,
			   uint64_t version, struct ctl_json *j, char *err, size_t errlen);
	/* The injected fault rule (replicas started with --fault-injection):
	 * shows it when <f> is NULL, else puts <f> in force (dir 0 clears).
	 * Fills "fault" (the rule in the command's grammar) and the frames
	 * the rule dropped, duplicated and delayed so far; returns 0, or -1
	 * with <err> (fault injection not enabled).
	 */
	int (*fault)(void *ctx, const struct ctl_fault *f, struct ctl_json *j, char *err,
		     size_t errlen);
	/* The current or last job's progress ("job":{...}). */
	void (*job)(void *ctx, struct ctl_json *j);
	/* The metrics in Prometheus text into <buf> (<cap> bytes): its length,
	 * or 0 when it does not fit.
	 */
	size_t (*metrics)(void *ctx, char *buf, size_t cap);
	/* Something an operator should hear of (a TCP control client that
	 * failed to authenticate, with its address), at most once a second.
	 * Optional.
	 */
	void (*warn)(void *ctx, const char *message);
	/* Called every CTL_TICK_MS or so on the control thread, between
	 * commands (the liveness log). Optional.
	 */
	void (*tick)(void *ctx);
	/* Asks the replica to stop, as SIGTERM does. */
	void (*shutdown)(void *ctx);
	/* Around the control thread's life (RCU registration). Optional. */
	void (*thread_begin)(void *ctx);
	void (*thread_end)(void *ctx);
};

#endif
