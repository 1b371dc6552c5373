/* parnik: command-line client on libparnik.
 *
 *   parnik [-s IPV4:PORT,...] [-c CLUSTER] [-p PARTITIONS] [-t TIMEOUT_MS]
 *          [-k KEYFILE] get|put|cas|add|del KEY [VALUE] [--if-version V]
 *
 * Exit codes: 0 OK; 1 NOT_FOUND; 2 usage error; 3 CAS_MISMATCH; 4 the
 * outcome is unknown (UNKNOWN_OUTCOME, a reply lost); 5 refused (BUSY,
 * TOO_LARGE, TABLE_FULL, NOT_INTEGER, OVERFLOW, ...); 6 cannot reach the
 * cluster: when no replica answers, the pre-flight check (pk_client_check)
 * names why (no reply from an address, another partition count, a client
 * key needed); 7 UNAUTHENTICATED (the cluster requires the client key).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parnik/client.h"
#include "parnik/keyfile.h"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: parnik [options] get|put|cas|add|del KEY [VALUE] [--if-version V]\n"
		"  get KEY              print the value (and its version on stderr)\n"
		"  put KEY VALUE        set the value\n"
		"  cas KEY VALUE --if-version V   set the value if the version is V (0: absent)\n"
		"  add KEY DELTA        add an integer to a decimal integer value\n"
		"  del KEY              delete\n"
		"options:\n"
		"  -s, --servers LIST   replicas as IPV4:BASEPORT,... (default $PARNIK_SERVERS,\n"
		"                       else 127.0.0.1:7700)\n"
		"  -c, --cluster ID     cluster id (default 1)\n"
		"  -p, --partitions P   the cluster's partition count (default 1)\n"
		"  -t, --timeout MS     per attempt (default 200); 5 attempts\n"
		"  -k, --key FILE       the cluster's client key (default $PARNIK_KEY): requests\n"
		"                       sealed with it, only replies sealed with it taken\n"
		"  -h, --help           this text;  --version  the program's version\n"
		"exit: 0 ok, 1 not found, 2 usage, 3 cas mismatch, 4 outcome unknown,\n"
		"      5 refused, 6 cannot reach the cluster (the reason on stderr),\n"
		"      7 the cluster requires the client key (-k)\n");
}

/* A usage error: one line with the reason, exit 2. */
static int
usage_error(const char *fmt, const char *arg)
{
	return pk_usage_error("parnik", fmt, arg);
}

/* No replica answered: the pre-flight check says why. Returns the exit
 * code: 6 when the cluster cannot be reached and nothing was sent as a
 * write (a read, or a session that never opened), else <code> unchanged
 * (a write sent and unanswered stays unknown).
 */
static int
explain_silence(const struct pk_client_config *cfg, int status, int code)
{
	char why[256];

	if (pk_client_check(cfg, why, sizeof(why)) >= 0)
		return code;	/* the cluster answers now: a lost reply, a slow one */
	if (status == PK_UNKNOWN_OUTCOME) {
		/* Sent, unanswered: a replica may have taken it before the
		 * cluster went silent. Still unknown (4), with the reason.
		 */
		fprintf(stderr, "parnik: no replica answers now: %s\n", why);
		return code;
	}
	fprintf(stderr, "parnik: cannot reach the cluster: %s\n", why);
	return 6;
}

static int
exit_code(int status)
{
	switch (status) {
	case PK_OK:
		return 0;
	case PK_NOT_FOUND:
		return 1;
	case PK_CAS_MISMATCH:
		return 3;
	case PK_UNKNOWN_OUTCOME:
	case PK_SESSION_EXPIRED:
	case PK_TIMEOUT:
		return 4;
	case PK_UNAVAILABLE:
		return 6;
	case PK_UNAUTHENTICATED:
		return 7;
	default:
		return 5;
	}
}

static bool
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s == 0 || *s == '-')
		return false;
	*out = strtoull(s, &end, 10);
	return *end == 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "servers", required_argument, NULL, 's' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "partitions", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "if-version", required_argument, NULL, 'V' },
		{ "version", no_argument, NULL, 'v' },
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pk_client_config cfg;
	struct pk_client *c;
	struct pk_result r;
	const char *cmd, *key, *value = NULL;
	uint64_t version = 0, num;
	bool have_version = false, show_version = false;
	char bad[3];	/* a refused short option's name */
	char err[256];
	int opt, nargs;
	const char *key_file = getenv("PARNIK_KEY");
	uint8_t secret[PK_AUTH_SECRET_LEN];

	pk_client_config_default(&cfg);
	cfg.servers = getenv("PARNIK_SERVERS") != NULL ? getenv("PARNIK_SERVERS")
						       : "127.0.0.1:7700";
	opterr = 0;	/* our own one-line errors */
	while ((opt = getopt_long(argc, argv, ":s:c:p:t:k:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			cfg.servers = optarg;
			break;
		case 'c':
			if (!parse_u64(optarg, &num) || num > UINT32_MAX)
				return usage_error("--cluster '%s': not a cluster id (0..4294967295)",
						   optarg);
			cfg.cluster_id = (uint32_t)num;
			break;
		case 'p':
			if (!parse_u64(optarg, &num) || num == 0 || num > 1024)
				return usage_error("--partitions '%s': not a partition count (1..1024)",
						   optarg);
			cfg.partitions = (uint16_t)num;
			break;
		case 't':
			if (!parse_u64(optarg, &num) || num == 0 || num > 600000)
				return usage_error("--timeout '%s': not a time in ms (1..600000)",
						   optarg);
			cfg.timeout_ms = (uint32_t)num;
			break;
		case 'k':
			key_file = optarg;
			break;
		case 'V':
			if (!parse_u64(optarg, &version))
				return usage_error("--if-version '%s': not a version", optarg);
			have_version = true;
			break;
		case 'v':
			show_version = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return usage_error("%s needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", pk_bad_option(argv, bad));
		}
	}
	nargs = argc - optind;
	/* Without a command only: "cas K V --version N" was the old cas
	 * syntax, and must not pass for a successful run.
	 */
	if (show_version && nargs > 0)
		return usage_error("--version takes no command (cas takes --if-version V)%s", "");
	if (show_version) {
		printf("parnik %s\n", PARNIK_VERSION);
		return 0;
	}
	if (nargs < 1)
		return usage_error("no command (get, put, cas, add or del)%s", "");
	cmd = argv[optind];
	if (strcmp(cmd, "get") != 0 && strcmp(cmd, "put") != 0 && strcmp(cmd, "cas") != 0 &&
	    strcmp(cmd, "add") != 0 && strcmp(cmd, "del") != 0)
		return usage_error("unknown command '%s' (get, put, cas, add or del)", cmd);
	if (nargs < 2)
		return usage_error("%s: no KEY", cmd);
	key = argv[optind + 1];
	if (nargs > 2)
		value = argv[optind + 2];
	if (nargs > 3)
		return usage_error("too many arguments ('%s')", argv[optind + 3]);
	if ((strcmp(cmd, "get") == 0 || strcmp(cmd, "del") == 0) && value != NULL)
		return usage_error("%s takes a KEY only", cmd);
	if (strcmp(cmd, "get") != 0 && strcmp(cmd, "del") != 0 && value == NULL)
		return usage_error("%s: no VALUE", cmd);
	if (have_version != (strcmp(cmd, "cas") == 0))
		return usage_error(have_version ? "--if-version applies to cas only%s"
						: "cas needs --if-version V%s", "");
	if (key_file != NULL && key_file[0] != 0) {
		if (pk_keyfile_load(key_file, secret, err, sizeof(err)) != 0) {
			fprintf(stderr, "parnik: %s\n", err);
			return 2;
		}
		cfg.client_secret = secret;
	}
	c = pk_client_open(&cfg, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "parnik: %s\n", err);
		return 2;
	}
	if (strcmp(cmd, "get") == 0) {
		pk_get(c, key, strlen(key), &r);
	} else if (strcmp(cmd, "put") == 0) {
		pk_put(c, key, strlen(key), value, strlen(value), &r);
	} else if (strcmp(cmd, "cas") == 0) {
		pk_cas(c, key, strlen(key), version, value, strlen(value), &r);
	} else if (strcmp(cmd, "add") == 0) {
		char *end;
		long long delta;

		errno = 0;
		delta = strtoll(value, &end, 10);
		if (*value == 0 || *end != 0 || errno == ERANGE) {
			fprintf(stderr, "parnik: add: DELTA '%s' is not a 64-bit integer "
					"(-9223372036854775808..9223372036854775807)\n", value);
			pk_client_close(c);
			return 2;
		}
		pk_add(c, key, strlen(key), (int64_t)delta, &r);
	} else {
		pk_del(c, key, strlen(key), &r);
	}
	pk_client_close(c);
	if (r.status == PK_OK && (strcmp(cmd, "get") == 0 || strcmp(cmd, "add") == 0)) {
		fwrite(r.value, 1, r.len, stdout);
		putchar('\n');
		fprintf(stderr, "version %" PRIu64 "\n", r.version);
	} else if (r.status == PK_OK) {
		printf("OK version %" PRIu64 "\n", r.version);
	} else if (r.status == PK_CAS_MISMATCH) {
		fprintf(stderr, "CAS_MISMATCH: %s; current version %" PRIu64 "\n",
			pk_strstatus(r.status), r.version);
	} else if (r.status == PK_UNAUTHENTICATED) {
		fprintf(stderr, "UNAUTHENTICATED: %s: give the client key with -k FILE or "
				"$PARNIK_KEY\n", pk_strstatus(r.status));
	} else {
		fprintf(stderr, "%s: %s\n", pk_status_name(r.status), pk_strstatus(r.status));
	}
	if (r.status == PK_TIMEOUT || r.status == PK_UNKNOWN_OUTCOME)
		return explain_silence(&cfg, r.status, exit_code(r.status));
	return exit_code(r.status);
}
