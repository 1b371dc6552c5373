/* parnikctl: the operator's command line for replicas' control sockets.
 *
 *   parnikctl [-s SOCKET] COMMAND [ARGS...]
 *   parnikctl -s SOCKET[,SOCKET...] stats --watch [--seconds N]
 *   parnikctl -s SOCKET,SOCKET,... health
 *   parnikctl [-s SOCKET] metrics
 *   parnikctl -s SOCKET,SOCKET,... [--timeout S] grow|shrink|readmit NODE
 *   parnikctl -s SOCKET,SOCKET,... [--timeout S] replace OLD NEW
 *   parnikctl keygen FILE
 *
 * Options may stand anywhere on the line (getopt_long); the sockets come
 * from -s, else $PARNIKCTL_SOCKETS, else the default socket. A "socket"
 * may be tcp://HOST:PORT, a replica's --control-listen port, reached with
 * the control key (--control-key, else $PARNIKCTL_CONTROL_KEY).
 *
 * The first form sends the command as one line and prints the JSON reply.
 * The second prints a per-second table per replica. The others change the
 * cluster's membership over every replica's socket (cluster.h). Exit
 * codes: 0 the replica answered "ok": true (or the change is done); 1 it
 * answered with an error (or the change stopped); 2 usage; 6 a socket
 * cannot be reached or did not answer.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cluster.h"
#include "snapshot.h"
#include "ctl_client.h"
#include "health.h"
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
		"       parnikctl -s SOCKET,SOCKET,... health\n"
		"       parnikctl [-s SOCKET] metrics\n"
		"       parnikctl -s SOCKETS [--timeout S] [--dry-run] grow|readmit NODE [--catchup]\n"
		"       parnikctl -s SOCKETS [--timeout S] [--dry-run] shrink NODE\n"
		"       parnikctl -s SOCKETS [--timeout S] [--dry-run] replace OLD NEW [--catchup]\n"
		"       parnikctl -s SOCKETS recover-from NODE --i-accept-data-loss\n"
		"       parnikctl -s SOCKETS snapshot|restore FILE [--key KEYFILE]\n"
		"       parnikctl keygen FILE\n"
		"options (anywhere on the line):\n"
		"  -s, --socket LIST   replicas' control sockets, comma-separated (default\n"
		"                      $PARNIKCTL_SOCKETS, else %s); tcp://HOST:PORT\n"
		"                      for a replica's --control-listen port on another host\n"
		"  --control-key FILE  the key of the TCP control ports (default\n"
		"                      $PARNIKCTL_CONTROL_KEY)\n"
		"  --timeout S         give up a membership step after S seconds of retries\n"
		"                      (default 60); every membership command can be run again\n"
		"  --dry-run           membership: print the plan (every step) and change nothing\n"
		"  --catchup           growing from an odd list, copy the accepted states into\n"
		"                      NODE (catch-up) instead of the rescan: cheaper\n"
		"  -h, --help          this text;  --version  the program's version\n"
		"replica commands (one socket; the reply is printed as JSON):\n"
		"  help ping status stats config lists job floors metrics shutdown\n"
		"  keys PARTITION [FROM [LIMIT]]   the keys of a partition, a page at a time\n"
		"  add-accept|rm-accept|add-prepare|rm-prepare ID QUORUM   one list edit\n"
		"  set-config EPOCH PREPARE_IDS QP ACCEPT_IDS QA   both lists at an epoch\n"
		"  admit               let a restarted replica's acceptors vote (membership only)\n"
		"  rescan [WINDOW]  catchup NODE [WINDOW]   the membership jobs, by hand\n"
		"  gc [hold [SECONDS]|release]   sweep deletion GC now, or hold it\n"
		"  raise-floor PARTITION BALLOT VERSION   raise a partition's GC floor\n"
		"  fault [clear | [dir=in|out|both] [to=peers|clients|ID,...] [loss=PCT]\n"
		"        [dup=PCT] [delay=MS] [jitter=MS]]   impair this replica's frames\n"
		"                      (parnikd --fault-injection only: the nemesis tests)\n"
		"  stats --watch       per-second table per replica: requests/s, p50/p99 of the\n"
		"                      second, conflicts, retries, 1RTT hit rate\n"
		"  metrics             the replica's metrics in Prometheus text (what its\n"
		"                      --metrics port serves)\n"
		"  health              one table for every replica given: answers, votes,\n"
		"                      epoch, lists, keys, requests/s, p99, members heard;\n"
		"                      exit 0 healthy, 1 something is wrong (said last),\n"
		"                      6 no replica answers\n",
		DEFAULT_SOCKET);
	fprintf(f,
		"membership commands (give every replica's socket, spares included):\n"
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
		"backups (every replica's socket):\n"
		"  snapshot FILE [--key KEYFILE]  every key, read through the data path\n"
		"                      (linearizable, key by key), written sorted to FILE\n"
		"  restore FILE [--key KEYFILE]   PUT every key of FILE into an empty cluster\n"
		"keygen FILE           write a new random key (mode 0600; FILE must not exist):\n"
		"                      the cluster's --peer-key, copied to every replica, a\n"
		"                      --client-key shared with the clients, or a\n"
		"                      --control-key for the TCP control ports\n"
		"exit: 0 ok, 1 the replica refused (or the change stopped), 2 usage,\n"
		"      6 no answer\n");
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

/* Whether the list names a TCP control port (the control key is read only
 * then: a broken PARNIKCTL_CONTROL_KEY does not stop local commands).
 */
static bool
any_tcp(const char *const *paths, int n)
{
	for (int i = 0; i < n; i++)
		if (strncmp(paths[i], "tcp://", 6) == 0)
			return true;
	return false;
}

/* A usage error: one line with the reason, exit 2. */
static int
usage_error(const char *fmt, const char *arg)
{
	return pk_usage_error("parnikctl", fmt, arg);
}

int
main(int argc, char **argv)
{
	enum { OPT_TIMEOUT = 256, OPT_VERSION, OPT_CATCHUP, OPT_DRY_RUN, OPT_LOSS, OPT_WATCH,
	       OPT_SECONDS, OPT_KEY, OPT_CONTROL_KEY };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "catchup", no_argument, NULL, OPT_CATCHUP },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "i-accept-data-loss", no_argument, NULL, OPT_LOSS },
		{ "watch", no_argument, NULL, OPT_WATCH },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "control-key", required_argument, NULL, OPT_CONTROL_KEY },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *paths[MAX_SOCKETS] = { DEFAULT_SOCKET };
	char line[4096], err[256], *reply, *sockets = getenv("PARNIKCTL_SOCKETS");
	char *sub_argv[16];
	const char *key = NULL, *control_key = getenv("PARNIKCTL_CONTROL_KEY");
	json_t *parsed;
	int npaths = 1, i, rc, opt, sub_argc = 0;
	unsigned long timeout_s = 60, seconds = 0;
	bool catchup = false, dry_run = false, loss = false, watch = false;
	size_t len = 0;
	char *end, bad[3];	/* a refused short option's name */

	opterr = 0;	/* our own one-line errors */
	while ((opt = getopt_long(argc, argv, ":s:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sockets = optarg;
			break;
		case OPT_TIMEOUT:
			timeout_s = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != 0 || timeout_s == 0 ||
			    timeout_s > 86400)
				return usage_error("--timeout '%s': not a time in seconds (1..86400)",
						   optarg);
			break;
		case OPT_CATCHUP:
			catchup = true;
			break;
		case OPT_DRY_RUN:
			dry_run = true;
			break;
		case OPT_LOSS:
			loss = true;
			break;
		case OPT_WATCH:
			watch = true;
			break;
		case OPT_SECONDS:
			seconds = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != 0 || seconds == 0)
				return usage_error("--seconds '%s': not a positive count", optarg);
			break;
		case OPT_KEY:
			key = optarg;
			break;
		case OPT_CONTROL_KEY:
			control_key = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("parnikctl %s\n", PARNIK_VERSION);
			return 0;
		case ':':
			return usage_error("%s needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", pk_bad_option(argv, bad));
		}
	}
	i = optind;
	if (i == argc)
		return usage_error("no command%s", "");
	if (sockets != NULL && (npaths = split_sockets(sockets, paths)) < 1)
		return usage_error("-s '%s': no socket, or more than 16", sockets != NULL ? sockets : "");
	if (control_key != NULL && control_key[0] != 0 && any_tcp(paths, npaths)) {
		uint8_t secret[PK_AUTH_SECRET_LEN];

		if (pk_keyfile_load(control_key, secret, err, sizeof(err)) != 0) {
			fprintf(stderr, "parnikctl: --control-key: %s\n", err);
			return 2;
		}
		ctl_client_set_key(secret);
	}
	if (strcmp(argv[i], "keygen") == 0) {
		if (argc - i != 2)
			return usage_error("keygen takes one FILE%s", "");
		if (pk_keyfile_create(argv[i + 1], err, sizeof(err)) != 0) {
			fprintf(stderr, "parnikctl: keygen: %s\n", err);
			return 1;
		}
		return 0;
	}
	if (argc - i > 10)
		return usage_error("too many operands for '%s'", argv[i]);
	/* The flags a command takes go back to it, after its operands. */
	for (int k = i; k < argc; k++)
		sub_argv[sub_argc++] = argv[k];
	if (catchup)
		sub_argv[sub_argc++] = "--catchup";
	if (dry_run)
		sub_argv[sub_argc++] = "--dry-run";
	if (loss)
		sub_argv[sub_argc++] = "--i-accept-data-loss";
	if (key != NULL) {
		sub_argv[sub_argc++] = "--key";
		sub_argv[sub_argc++] = (char *)key;
	}
	sub_argv[sub_argc] = NULL;
	if ((catchup || dry_run || loss) && !ctl_cluster_is_command(argv[i]))
		return usage_error("--catchup, --dry-run and --i-accept-data-loss apply to "
				   "membership commands, not '%s'", argv[i]);
	if (key != NULL && !ctl_snapshot_is_command(argv[i]))
		return usage_error("--key applies to snapshot and restore, not '%s'", argv[i]);
	if ((watch || seconds != 0) && strcmp(argv[i], "stats") != 0)
		return usage_error("--watch and --seconds apply to stats, not '%s'", argv[i]);
	if (ctl_snapshot_is_command(argv[i]))
		return ctl_snapshot(paths, (unsigned int)npaths, sub_argc, sub_argv);
	if (ctl_cluster_is_command(argv[i]))
		return ctl_cluster(paths, (unsigned int)npaths, sub_argc, sub_argv,
				   (unsigned int)timeout_s);
	if (strcmp(argv[i], "stats") == 0 && watch) {
		if (argc - i != 1)
			return usage_error("stats --watch takes no operand ('%s')", argv[i + 1]);
		return ctl_watch(paths, (unsigned int)npaths, (unsigned int)seconds);
	}
	if (seconds != 0)
		return usage_error("--seconds goes with stats --watch%s", "");
	if (strcmp(argv[i], "health") == 0) {
		if (argc - i != 1)
			return usage_error("health takes no operand ('%s')", argv[i + 1]);
		return ctl_health(paths, (unsigned int)npaths);
	}
	if (npaths != 1)
		return usage_error("'%s' goes to one replica: give one socket with -s", argv[i]);
	for (int k = i; k < argc; k++) {
		int n = snprintf(line + len, sizeof(line) - len, "%s%s", k > i ? " " : "", argv[k]);

		if (n < 0 || (size_t)n >= sizeof(line) - len)
			return usage_error("command too long (at most %s bytes)", "4095");
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
	parsed = ctl_reply_parse(reply, err, sizeof(err));
	rc = parsed != NULL && ctl_reply_ok(parsed) ? 0 : 1;
	/* metrics: the text itself, as the HTTP endpoint serves it. */
	if (rc == 0 && strcmp(argv[i], "metrics") == 0 && ctl_reply_str(parsed, "text") != NULL)
		fputs(ctl_reply_str(parsed, "text"), stdout);
	else
		puts(reply);
	json_decref(parsed);
	free(reply);
	return rc;
}
