/* parnikctl's backup story: snapshot and restore.
 *
 *   snapshot FILE [--key KEYFILE]   every key the replicas hold (their
 *       key pages, over the control sockets, every partition of every
 *       replica given), each read with a linearizable GET through the data
 *       path (libparnik, to the members the config names); the live ones
 *       written to FILE sorted by key. Each value is as some instant of the
 *       snapshot saw it: keys are read one by one, not at one instant
 *       across keys. Written to FILE.tmp, then renamed.
 *   restore FILE [--key KEYFILE]    checks FILE whole, refuses a cluster
 *       that holds any live key, then PUTs every record. Versions start again
 *       (a restored key is at version 1).
 *
 * The file (docs/OPERATIONS.md, "Backups"): a line
 * "parnik-snapshot 1 keys N", N records "KLEN VLEN\n" + key bytes + value
 * bytes + "\n", and a last line "end N".
 */
#ifndef CTL_SNAPSHOT_H
#define CTL_SNAPSHOT_H

/* True for "snapshot" and "restore". */
int ctl_snapshot_is_command(const char *cmd);

/* Runs the command (<argv>[0]) over the replicas at <paths>; returns
 * parnikctl's exit code: 0 done, 1 failed or refused, 2 usage, 6 no
 * replica answered.
 */
int ctl_snapshot(const char **paths, unsigned int npaths, int argc, char **argv);

#endif
