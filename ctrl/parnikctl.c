/* parnikctl: the operator's command line for replicas' control sockets.
 *
 *   parnikctl [-s SOCKET] COMMAND [ARGS...]
 *   parnikctl -s SOCKET[,SOCKET...] stats --watch [--seconds N]
 *   parnikctl -s SOCKET,SOCKET,... [--timeout S] grow|shrink|readmit NODE
 *   parnikctl -s SOCKET,SOCKET,... [--timeout S] replace OLD NEW
 *   parnikctl keygen FILE
 *
 * The first form sends the command as one line and prints the JSON reply.
 * The second prints a per-second table per replica. The others change the
 * cluster's membership over every replica's socket (cluster.h). Exit
 * codes: 0 the replica answered "ok": true (or the change is done); 1 it
 * answered with an error (or the change stopped); 2 usage; 6 a socket
 * cannot be reached or did not answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "snapshot.h"
#include "ctl_client.h"
#include "parnik/keyfile.h"
#include "reply.h"
#include "watch.h"

#define DEFAULT_SOCKET "/run/parnik/parnikd-0.sock"
#define REPLY_MAX (1024 * 1024)
#define MAX_SOCKETS 16

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: parnikctl [-s SOCKET] COMMAND [ARGS...]\n"
		"       parnikctl -s SOCKET[,SOCKET...] stats --watch [--seconds N]\n"
		"       parnikctl -s SOCKET,SOCKET,... [--timeout S] grow|readmit NODE [--catchup]\n"
		"       parnikctl -s SOCKET,SOCKET,... [--timeout S] shrink NODE\n"
		"       parnikctl -s SOCKET,SOCKET,... [--timeout S] replace OLD NEW [--catchup]\n"
		"       parnikctl -s SOCKET,SOCKET,... recover-from NODE --i-accept-data-loss\n"
		"       parnikctl -s SOCKET,SOCKET,... snapshot|restore FILE [--key KEYFILE]\n"
		"       parnikctl keygen FILE\n"
		"  -s, --socket PATH   a replica's control socket (default %s)\n"
		"replica commands: help ping status stats config lists keys PARTITION [FROM\n"
		"  [LIMIT]] add-accept|rm-accept|add-prepare|rm-prepare ID QUORUM\n"
		"  set-config EPOCH PREPARE_IDS QP ACCEPT_IDS QA  admit  rescan [WINDOW]\n"
		"  catchup NODE [WINDOW]  job  gc [hold [SECONDS]|release]  floors\n"
		"  raise-floor PARTITION BALLOT VERSION  shutdown\n"
		"  fault [clear | [dir=in|out|both] [to=peers|clients|ID,...] [loss=PCT]\n"
		"        [dup=PCT] [delay=MS] [jitter=MS]]\n"
		"                      impair this replica's frames (parnikd --fault-injection\n"
		"                      only): the nemesis tests' injection point\n"
		"  stats --watch       per-second table per replica: requests/s, p50/p99 of the\n"
		"                      second, conflicts, retries, 1RTT hit rate\n"
		"cluster commands (give every replica's socket, spares included):\n"
		"  grow NODE           add an acceptor (odd list: accept list, rescan, prepare\n"
		"                      list; even list: both at once). A restarted NODE is given\n"
		"                      the config and re-admitted first.\n"
		"  shrink NODE         remove an acceptor (even list: prepare list, rescan,\n"
		"                      accept list; odd list: both, then rescan)\n"
		"  replace OLD NEW     grow NEW, then shrink OLD (OLD may be dead)\n"
		"  readmit NODE        a restarted NODE still listed: shrink it out, re-admit\n"
		"                      it, grow it back\n"
		"  recover-from NODE --i-accept-data-loss\n"
		"                      after losing a majority for good: NODE, a survivor,\n"
		"                      becomes the only acceptor with what it holds (writes\n"
		"                      only the lost replicas held are lost); then restart\n"
		"                      the others empty and grow them back in\n"
		"  --catchup           growing from an odd list, copy the accepted states into\n"
		"                      NODE (catch-up) instead of the rescan: cheaper\n"
		"  --dry-run           print the plan (every step, in order) and change nothing\n"
		"  --timeout S         give up a step after S seconds of retries (default 60);\n"
		"                      every cluster command can be run again to resume\n"
		"backups (every replica's socket):\n"
		"  snapshot FILE [--key KEYFILE]  every key, read through the data path\n"
		"                      (linearizable, key by key), written sorted to FILE\n"
		"  restore FILE [--key KEYFILE]   PUT every key of FILE into an empty cluster\n"
		"keygen FILE           write a new random key (mode 0600; FILE must not exist):\n"
		"                      the cluster's --peer-key, copied to every replica, or a\n"
		"                      --client-key shared with the clients\n"
		"exit: 0 ok, 1 the replica refused, 2 usage, 6 no answer\n",
		DEFAULT_SOCKET);
}

/* Splits the comma list <arg> into <paths>; returns the count or -1. */
static int
split_sockets(char *arg, const char **paths)
{
	int n = 0;
	char *save = NULL;

	for (char *t = strtok_r(arg, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		if (n == MAX_SOCKETS)
			return -1;
		paths[n++] = t;
	}
	return n;
}

int
main(int argc, char **argv)
{
	const char *paths[MAX_SOCKETS] = { DEFAULT_SOCKET };
	char line[4096], err[256], *reply;
	json_t *parsed;
	int npaths = 1, i = 1, rc;
	unsigned long timeout_s = 60;
	size_t len = 0;

	if (i < argc && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (i < argc && strcmp(argv[i], "keygen") == 0) {
		if (argc != 3) {
			fprintf(stderr, "parnikctl: keygen FILE\n");
			return 2;
		}
		if (pk_keyfile_create(argv[2], err, sizeof(err)) != 0) {
			fprintf(stderr, "parnikctl: keygen: %s\n", err);
			return 1;
		}
		return 0;
	}
	if (i + 1 < argc && (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--socket") == 0)) {
		npaths = split_sockets(argv[i + 1], paths);
		i += 2;
	}
	if (i + 1 < argc && strcmp(argv[i], "--timeout") == 0) {
		char *end;

		timeout_s = strtoul(argv[i + 1], &end, 10);
		if (*end != 0 || timeout_s == 0 || timeout_s > 86400) {
			usage(stderr);
			return 2;
		}
		i += 2;
	}
	if (i == argc || npaths < 1) {
		usage(stderr);
		return 2;
	}
	if (ctl_snapshot_is_command(argv[i]))
		return ctl_snapshot(paths, (unsigned int)npaths, argc - i, argv + i);
	if (ctl_cluster_is_command(argv[i]))
		return ctl_cluster(paths, (unsigned int)npaths, argc - i, argv + i,
				   (unsigned int)timeout_s);
	if (strcmp(argv[i], "stats") == 0 && i + 1 < argc && strcmp(argv[i + 1], "--watch") == 0) {
		unsigned long seconds = 0;

		if (i + 2 < argc) {
			char *end;

			if (i + 4 != argc || strcmp(argv[i + 2], "--seconds") != 0 ||
			    (seconds = strtoul(argv[i + 3], &end, 10)) == 0 || *end != 0) {
				usage(stderr);
				return 2;
			}
		}
		return ctl_watch(paths, (unsigned int)npaths, (unsigned int)seconds);
	}
	if (npaths != 1) {
		fprintf(stderr, "parnikctl: one socket for %s\n", argv[i]);
		return 2;
	}
	for (int k = i; k < argc; k++) {
		int n = snprintf(line + len, sizeof(line) - len, "%s%s", k > i ? " " : "", argv[k]);

		if (n < 0 || (size_t)n >= sizeof(line) - len) {
			fprintf(stderr, "parnikctl: command too long\n");
			return 2;
		}
		len += (size_t)n;
	}
	reply = malloc(REPLY_MAX);
	if (reply == NULL)
		return 6;
	if (ctl_client_call(paths[0], line, reply, REPLY_MAX, err, sizeof(err)) != 0) {
		fprintf(stderr, "parnikctl: %s\n", err);
		free(reply);
		return 6;
	}
	puts(reply);
	parsed = ctl_reply_parse(reply, err, sizeof(err));
	rc = parsed != NULL && ctl_reply_ok(parsed) ? 0 : 1;
	json_decref(parsed);
	free(reply);
	return rc;
}
