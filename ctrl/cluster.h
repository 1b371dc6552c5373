/* parnikctl's cluster orchestration: membership changes as the CASPaxos
 * paper specifies them (paper 2.3; docs/CASPAXOS.md section 4), driven over every
 * replica's control socket.
 *
 *   grow NODE      add NODE as an acceptor. From an odd accept list (3):
 *                  accept list first (quorum F+2), rescan, then the prepare
 *                  list. From an even one (4): both lists at once (NODE must
 *                  be empty). A restarted NODE gets the config and is
 *                  re-admitted first.
 *   shrink NODE    remove NODE. From an even accept list: the prepare list
 *                  first, rescan, then the accept list. From an odd one:
 *                  both lists, then a rescan (an even list reached from an
 *                  odd one must be rescanned before any further change).
 *   replace OLD NEW   grow NEW, then shrink OLD (OLD may be dead).
 *   readmit NODE   a restarted (amnesiac) NODE still in the lists: shrink
 *                  it out, re-admit it, grow it back in.
 *   recover-from NODE --i-accept-data-loss   after a majority is lost for
 *                  good: NODE, a surviving voter, becomes the only acceptor
 *                  (lists {NODE}, quorum 1) with what it holds; refused
 *                  while a majority still votes. The others are then grown
 *                  back in, restarted empty.
 *   --catchup      (grow, replace, readmit) the odd-to-even grow copies the
 *                  sources' accepted states into NODE (CASPaxos 2.3.3)
 *                  instead of rescanning: K(F+1) records moved, not
 *                  K(2F+3). Shrinks always rescan.
 *
 *   --dry-run      print the plan and change nothing.
 *
 * The planner (plan.h) decides the steps from a survey of every replica;
 * this executor prints the plan, then carries it out. An INSTALL goes to
 * every running replica (each is a proposer) and is done when each has
 * passed its barrier; the epoch is cluster-wide (one above the highest
 * running). Steps are retried until they succeed or --timeout, and every
 * command may be run again after an interruption: the plan is made again
 * from the lists the replicas run (a rescan is repeated rather than
 * assumed done).
 */
#ifndef CTL_CLUSTER_H
#define CTL_CLUSTER_H

/* Runs "grow NODE" etc. (<argv>[0] is the command) over the replicas at
 * <paths>. Returns parnikctl's exit code: 0 done, 1 refused or failed,
 * 2 usage, 6 a replica did not answer.
 */
int ctl_cluster(const char **paths, unsigned int npaths, int argc, char **argv,
		unsigned int timeout_s);

/* True for the commands ctl_cluster runs. */
int ctl_cluster_is_command(const char *cmd);

#endif
