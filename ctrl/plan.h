/* The membership planner: turns what the replicas report and the
 * operator's request (grow, shrink, replace, readmit, recover-from) into
 * the list of steps that changes the membership safely (docs/CASPAXOS.md
 * section 4). Pure: no I/O, no clock, no randomness. parnikctl executes
 * the steps against real replicas (ctrl/cluster.c); the simulator executes
 * the same steps under its own interleavings and faults (tests/sim/plans.c),
 * so the procedure the tests check is the one operators run.
 *
 * A plan is made from a survey of the cluster as it is now, so running
 * the same request again after an interrupted change plans only what is
 * left (a node already in the accept list is not added twice; an even
 * list left by an interrupted shrink gets its rescan again).
 */
#ifndef PK_PLAN_H
#define PK_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parnik/types.h"

#define PK_PLAN_MAX_STEPS 32

/* A config's lists as the replicas run them (the epoch is the executor's:
 * it takes the next number free when the step runs).
 */
struct pk_lists {
	uint16_t prepare, accept;	/* masks of node ids */
	uint8_t qp, qa;			/* their quorums */
};

/* What the survey knows of one node id. */
struct pk_plan_node {
	bool up;		/* a process answers on its control socket */
	bool voting;		/* its acceptors vote: not restarted since admission */
	uint64_t keys;		/* keys it holds accepted states for */
};

struct pk_plan_view {
	struct pk_lists cur;	/* the lists of the highest epoch running */
	struct pk_plan_node node[PK_MAX_NODES];
};

enum pk_plan_op {
	PK_PLAN_GROW = 1,	/* node joins both lists */
	PK_PLAN_SHRINK,		/* node leaves both lists */
	PK_PLAN_REPLACE,	/* grow <other>, then shrink <node> */
	PK_PLAN_READMIT,	/* a restarted (empty) member: shrink, then grow */
	PK_PLAN_RECOVER,	/* after a lost majority: node becomes the only acceptor */
};

struct pk_plan_request {
	enum pk_plan_op op;
	uint16_t node;		/* the node named (replace: OLD) */
	uint16_t other;		/* replace: NEW */
	bool catchup;		/* grow by copying states rather than rescanning */
};

enum pk_step_kind {
	PK_STEP_GC_HOLD = 1,	/* every running replica pauses deletion GC (a lease) */
	PK_STEP_COPY_FLOORS,	/* <node> takes every other running replica's GC floors */
	PK_STEP_INSTALL,	/* every running replica runs <lists>: a new epoch, or
				 * the current one again when <lists> are the current */
	PK_STEP_ADMIT,		/* <node>'s acceptors vote again */
	PK_STEP_RESCAN,		/* <node> rewrites every key it knows (x -> x) */
	PK_STEP_CATCHUP,	/* <node> copies its accepted states into <target> */
	PK_STEP_GC_RELEASE,	/* deletion GC runs again; executed even after a
				 * failed step, so a plan never leaves GC paused */
};

struct pk_plan_step {
	enum pk_step_kind kind;
	uint16_t node;
	uint16_t target;	/* CATCHUP */
	struct pk_lists lists;	/* INSTALL */
	char why[112];		/* for the operator: what this step is for */
};

enum pk_plan_verdict {
	PK_PLAN_STEPS = 1,	/* run the steps */
	PK_PLAN_NOTHING,	/* already so: <reason> says why */
	PK_PLAN_REFUSED,	/* unsafe or impossible: <reason> says why */
};

struct pk_plan {
	enum pk_plan_verdict verdict;
	char reason[224];
	unsigned int n;
	struct pk_plan_step step[PK_PLAN_MAX_STEPS];
};

/* Plans <r> against <v> into <out>. */
void pk_plan_make(const struct pk_plan_view *v, const struct pk_plan_request *r,
		  struct pk_plan *out);

/* The step's kind as a word ("install", "rescan", ...). */
const char *pk_plan_step_name(enum pk_step_kind k);

/* One line for the operator and for tests comparing plans as data:
 * "install prepare {0,1,2}/2 accept {0,1,2,3}/3", "rescan 1",
 * "catchup 0 -> 3", "admit 3", "copy-floors 3", "gc-hold", "gc-release".
 */
void pk_plan_step_format(const struct pk_plan_step *s, char *buf, size_t cap);

/* Parses "grow N [--catchup]", "shrink N", "replace OLD NEW [--catchup]",
 * "readmit N [--catchup]", "recover-from N --i-accept-data-loss" (argv[0]
 * is the command). Returns true, or false with a one-line reason in <err>.
 */
bool pk_plan_parse(int argc, char *const *argv, struct pk_plan_request *r, char *err,
		   size_t errlen);

#endif
