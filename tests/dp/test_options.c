/* parnikd's option parser: a good command line, and every kind of wrong
 * one refused with a reason before anything starts.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config_sources.h"
#include "log.h"
#include "options.h"

/* Parses a space-separated command line; returns the parser's result. */
static int
parse(struct dp_options *o, const char *line, char *err)
{
	static char buf[1024];
	char *argv[64];
	int argc = 0;
	FILE *out = fopen("/dev/null", "w");
	int rc;

	strcpy(buf, line);
	argv[argc++] = (char *)"parnikd";
	for (char *t = strtok(buf, " "); t != NULL && argc < 63; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	err[0] = 0;
	rc = dp_options_parse(o, argc, argv, out, err, 256);
	fclose(out);
	return rc;
}

#define GOOD "--node 1 --addr 198.18.0.2 --member 0=198.18.0.1 --member 1=198.18.0.2 " \
	     "--member 2=198.18.0.3 --insecure-peers"

static void
test_good_line(void)
{
	struct dp_options o;
	char err[256];
	uint32_t ip;

	CHECK_EQ(parse(&o, GOOD " --partitions 4 --port 9000 --cluster 7 --idle poll "
			       "--max-keys 1000 --max-value 512 --max-rounds 64 --sessions 4096 --session-records 8192 --session-lease-ms 5000 --bootstrap --no-1rtt "
			       "--idle-spin-us 0 --tx-flush pass "
			       "--neighbour 198.18.0.3=02:00:00:00:00:03@1", err), 0);
	CHECK_EQ(o.node, 1);
	inet_pton(AF_INET, "198.18.0.2", &ip);
	CHECK(o.ip == ip);
	CHECK_EQ(o.nmembers, 3);
	CHECK(o.partitions == 4 && o.base_port == 9000 && o.cluster_id == 7);
	CHECK(o.idle == DP_IDLE_POLL && o.max_keys == 1000 && o.max_value == 512);
	CHECK_EQ(o.max_sessions, 4096);
	CHECK_EQ(o.max_rounds, 64);
	CHECK_EQ(o.session_records, 8192);
	CHECK_EQ(o.session_lease_ms, 5000);
	CHECK_EQ(o.idle_spin_us, 0);
	CHECK_EQ(o.tx_flush, DP_TX_PASS);
	CHECK(o.bootstrap && !o.one_rtt);
	CHECK(o.nneighbours == 1 && o.neighbours[0].mac[5] == 3 && o.neighbours[0].port == 1);
	/* Defaults. */
	CHECK_EQ(parse(&o, GOOD, err), 0);
	CHECK(o.partitions == 1 && o.base_port == 7700 && o.one_rtt && !o.bootstrap);
	CHECK_EQ(o.idle_spin_us, DP_IDLE_SPIN_US_DEFAULT);
	CHECK_EQ(o.tx_flush, DP_TX_AUTO);
	CHECK_EQ(o.session_records, 65536);
	CHECK_EQ(o.session_lease_ms, 60000);
	CHECK_EQ(o.lists, 0x7);	/* every member */
	CHECK_EQ(parse(&o, GOOD " --bootstrap --lists 0,1", err), 0);
	CHECK_EQ(o.lists, 0x3);
	CHECK_EQ(parse(&o, GOOD " --lists 0,3", err), -1);
	CHECK(strstr(err, "not a --member") != NULL);
	CHECK_EQ(parse(&o, GOOD " --lists 0,,1", err), -1);
	CHECK(strstr(err, "--lists") != NULL);
	CHECK_EQ(o.idle, 0);	/* resolved at start-up from cores and lcores */
	CHECK_EQ(parse(&o, "--help", err), 1);
}

static void
test_bad_lines(void)
{
	static const char *const bad[] = {
		"--addr 198.18.0.2 --member 1=198.18.0.2",		/* no --node */
		"--node 1 --member 1=198.18.0.2",			/* no --addr */
		"--node 1 --addr 198.18.0.2",				/* no members */
		"--node 3 --addr 198.18.0.2 --member 1=198.18.0.2",	/* not a member */
		"--node 1 --addr 198.18.0.9 --member 1=198.18.0.2",	/* address differs */
		GOOD " --member 1=198.18.0.7",				/* id twice */
		GOOD " --member 5=198.18.0.3",				/* address twice */
		GOOD " --member 16=198.18.0.8",				/* id out of range */
		GOOD " --member 4",					/* no address */
		"--node x " GOOD,
		"--node 1 --addr 300.1.1.1 --member 1=198.18.0.2",
		GOOD " --partitions 0",
		GOOD " --partitions 65",
		GOOD " --port 0",
		GOOD " --port 65535 --partitions 2",			/* runs past 65535 */
		GOOD " --idle sometimes",
		GOOD " --idle-spin-us 100001",
		GOOD " --idle-spin-us -1",
		GOOD " --tx-flush sometimes",
		GOOD " --max-value 1025",
		GOOD " --max-keys 0",
		GOOD " --sessions 0",
		GOOD " --max-rounds 0",
		GOOD " --max-rounds 16385",
		GOOD " --session-records 15",
		GOOD " --session-records 16777217",
		GOOD " --session-lease-ms 999",
		GOOD " --neighbour 198.18.0.3=02:00:00:00:00",		/* short MAC */
		GOOD " --neighbour 198.18.0.3",
		GOOD " --frobnicate",
		GOOD " stray",
		GOOD " --cluster -1",
		GOOD " --neighbour 198.18.0.3=02:00:00:00:00:03@32",	/* port past RTE_MAX_ETHPORTS */
		GOOD " --neighbour 198.18.0.3=02:00:00:00:00:03@255",
		GOOD " --peer-key /nonexistent/key",
		GOOD " --client-key /nonexistent/key",
	};
	struct dp_options o;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(&o, bad[i], err);

		if (rc != -1 || err[0] == 0) {
			fprintf(stderr, "  accepted: %s\n", bad[i]);
			CHECK(rc == -1 && err[0] != 0);
		}
	}
}

/* Writes <text> to a fresh file of mode <mode>; returns its path. */
static const char *
key_file(const char *name, const char *text, mode_t mode)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/pk-test-options-%d-%s", (int)getpid(), name);
	unlink(path);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

/* Peer keys: required unless --insecure-peers, read from a private file of
 * exactly 64 hex digits; a readable-by-others or malformed file is refused
 * with a reason that says how to fix it.
 */
static void
test_keys(void)
{
	static const char hex[] = "00112233445566778899aabbccddeeff"
				  "0123456789abcdef0123456789ABCDEF\n";
	const char *base = "--node 1 --addr 198.18.0.2 --member 0=198.18.0.1 "
			   "--member 1=198.18.0.2 --member 2=198.18.0.3";
	struct dp_options o;
	char line[512], err[256];

	CHECK_EQ(parse(&o, base, err), -1);
	CHECK(strstr(err, "--peer-key") != NULL && strstr(err, "--insecure-peers") != NULL);
	snprintf(line, sizeof(line), "%s --peer-key %s", base, key_file("good", hex, 0600));
	CHECK_EQ(parse(&o, line, err), 0);
	CHECK(o.have_peer_key && !o.insecure_peers && !o.have_client_key);
	CHECK(o.peer_secret[0] == 0x00 && o.peer_secret[1] == 0x11 && o.peer_secret[31] == 0xef);
	snprintf(line, sizeof(line), "%s --peer-key %s --insecure-peers", base,
		 key_file("good", hex, 0600));
	CHECK_EQ(parse(&o, line, err), -1);
	snprintf(line, sizeof(line), "%s --peer-key %s", base, key_file("open", hex, 0640));
	CHECK_EQ(parse(&o, line, err), -1);
	CHECK(strstr(err, "chmod 600") != NULL);
	snprintf(line, sizeof(line), "%s --peer-key %s", base, key_file("world", hex, 0604));
	CHECK_EQ(parse(&o, line, err), -1);
	snprintf(line, sizeof(line), "%s --peer-key %s", base, key_file("short", "0011\n", 0600));
	CHECK_EQ(parse(&o, line, err), -1);
	CHECK(strstr(err, "64 hex digits") != NULL);
	snprintf(line, sizeof(line), "%s --peer-key %s", base,
		 key_file("nothex", "zz112233445566778899aabbccddeeff"
				    "0123456789abcdef0123456789abcdef", 0600));
	CHECK_EQ(parse(&o, line, err), -1);
	snprintf(line, sizeof(line), "%s --insecure-peers --client-key %s", base,
		 key_file("client", hex, 0400));
	CHECK_EQ(parse(&o, line, err), 0);
	CHECK(o.have_client_key && o.insecure_peers);
	for (const char *n = "good\0open\0world\0short\0nothex\0client\0"; *n; n += strlen(n) + 1)
		unlink(key_file(n, "", 0600));
}

/* The operator's windows: a TCP control port only with its key (and the
 * key only with the port), the metrics port apart from it, log levels by
 * name, the silence threshold above the members' greeting interval.
 */
static void
test_windows_and_logs(void)
{
	static const char hex[] = "00112233445566778899aabbccddeeff"
				  "0123456789abcdef0123456789ABCDEF\n";
	const char *base = "--node 1 --addr 198.18.0.2 --member 1=198.18.0.2 --insecure-peers";
	const char *key = key_file("control", hex, 0600);
	struct dp_options o;
	char line[512], err[256];

	snprintf(line, sizeof(line), "%s --control-listen 198.18.9.1:7800 --control-key %s "
		 "--metrics 0.0.0.0:9700 --log-level debug --log-syslog --peer-silent-ms 5000",
		 base, key);
	CHECK_EQ(parse(&o, line, err), 0);
	CHECK(o.control.port == 7800 && o.control.ip == check_ip4("198.18.9.1"));
	CHECK(o.metrics.port == 9700 && o.metrics.ip == 0 && o.have_control_key);
	CHECK(o.log_level == DP_LOG_DEBUG && o.log_syslog && o.peer_silent_ms == 5000);
	snprintf(line, sizeof(line), "%s", base);
	CHECK_EQ(parse(&o, line, err), 0);
	CHECK(o.control.port == 0 && o.metrics.port == 0 && o.log_level == 0);
	CHECK_EQ(o.peer_silent_ms, 3000);
	snprintf(line, sizeof(line), "%s --control-listen 198.18.9.1:7800", base);
	CHECK_EQ(parse(&o, line, err), -1);
	CHECK(strstr(err, "needs --control-key") != NULL);
	snprintf(line, sizeof(line), "%s --control-key %s", base, key);
	CHECK_EQ(parse(&o, line, err), -1);
	CHECK(strstr(err, "without --control-listen") != NULL);
	snprintf(line, sizeof(line), "%s --control-listen 198.18.9.1:7800 --control-key %s "
		 "--metrics 198.18.9.1:7800", base, key);
	CHECK_EQ(parse(&o, line, err), -1);
	CHECK(strstr(err, "same port") != NULL);
	static const char *const bad[] = { "--metrics 9700", "--metrics host:9700",
					   "--metrics 1.2.3.4:0", "--metrics 1.2.3.4:70000",
					   "--log-level loud", "--peer-silent-ms 100",
					   "--control-listen :7800" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "%s %s", base, bad[i]);
		CHECK_EQ(parse(&o, line, err), -1);
		CHECK(err[0] != 0);
	}
	unlink(key);
}

/* Merges <args> (space-separated, after the program) with the file
 * <conf> (written first when not NULL) and <env>, then parses the result.
 * Returns the merge's or the parser's result.
 */
static int
merged(struct dp_options *o, struct dp_config_args *a, const char *conf, char *const *env,
       const char *args, char *err)
{
	static char buf[1024], path[64];
	char *argv[64];
	int argc = 0, rc;
	FILE *out;

	snprintf(buf, sizeof(buf), "%s", args);
	argv[argc++] = (char *)"parnikd";
	if (conf != NULL) {
		FILE *f;

		snprintf(path, sizeof(path), "/tmp/test_options.%d.conf", (int)getpid());
		f = fopen(path, "w");
		if (f == NULL)
			return -2;
		fputs(conf, f);
		fclose(f);
		argv[argc++] = (char *)"--config";
		argv[argc++] = path;
	}
	for (char *t = strtok(buf, " "); t != NULL && argc < 63; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	err[0] = 0;
	rc = dp_config_merge(argc, argv, env, a, err, 256);
	if (conf != NULL)
		unlink(path);
	if (rc != 0)
		return rc;
	out = fopen("/dev/null", "w");
	rc = dp_options_parse(o, a->argc, a->argv, out, err, 256);
	fclose(out);
	return rc;
}

#define CONF "# replica 1\n"                                                      \
	     "node = 1\naddr = 198.18.0.2   # its own\n"                            \
	     "member = 0=198.18.0.1\nmember 1=198.18.0.2\nmember = 2=198.18.0.3\n" \
	     "insecure-peers\npartitions = 4\nmax-rounds = 64\n"

static void
test_flags_over_environment_over_file(void)
{
	static struct dp_options o;
	struct dp_config_args a;
	char err[256];
	char *env[] = { (char *)"PARNIKD_PARTITIONS=2", (char *)"PARNIKD_MAX_ROUNDS=128",
			(char *)"PARNIKD_EAL=-l 0-2", (char *)"PATH=/bin", NULL };

	CHECK_EQ(merged(&o, &a, CONF, env, "--max-rounds 512", err), 0);
	CHECK_EQ(o.node, 1);			/* the file alone */
	CHECK_EQ(o.nmembers, 3);
	CHECK(o.insecure_peers);
	CHECK_EQ(o.partitions, 2);		/* the environment over the file */
	CHECK_EQ(o.max_rounds, 512);		/* the flag over both */
	dp_config_free(&a);
	/* The same file alone. */
	CHECK_EQ(merged(&o, &a, CONF, NULL, "", err), 0);
	CHECK_EQ(o.partitions, 4);
	CHECK_EQ(o.max_rounds, 64);
	dp_config_free(&a);
}

static void
test_a_repeated_option_is_replaced_whole(void)
{
	static struct dp_options o;
	struct dp_config_args a;
	char err[256];
	char *env[] = { (char *)"PARNIKD_MEMBER=0=198.18.0.1 1=198.18.0.2 3=198.18.0.4", NULL };

	CHECK_EQ(merged(&o, &a, CONF, env, "", err), 0);
	CHECK_EQ(o.nmembers, 3);
	CHECK(dp_options_member_ip(&o, 3) != 0);	/* the environment's list */
	CHECK(dp_options_member_ip(&o, 2) == 0);	/* the file's, gone */
	dp_config_free(&a);
	CHECK_EQ(merged(&o, &a, CONF, env, "--member 0=198.18.0.1 --member 1=198.18.0.2", err),
		 0);
	CHECK_EQ(o.nmembers, 2);
	dp_config_free(&a);
}

static void
test_bad_sources_say_where(void)
{
	static struct dp_options o;
	struct dp_config_args a;
	char err[256];
	char *bad_bool[] = { (char *)"PARNIKD_INSECURE_PEERS=maybe", NULL };

	CHECK_EQ(merged(&o, &a, "node = 1\nnod = 2\n", NULL, "", err), -1);
	CHECK(strstr(err, ".conf:2: unknown option 'nod'") != NULL);
	CHECK_EQ(merged(&o, &a, "node\n", NULL, "", err), -1);
	CHECK(strstr(err, ":1: node needs a value") != NULL);
	CHECK_EQ(merged(&o, &a, "help\n", NULL, "", err), -1);	/* flags only */
	CHECK_EQ(merged(&o, &a, CONF, bad_bool, "", err), -1);
	CHECK(strstr(err, "$PARNIKD_INSECURE_PEERS: insecure-peers takes true or false") != NULL);
	CHECK_EQ(merged(&o, &a, NULL, NULL, "--config /nonexistent/parnikd.conf", err), -1);
	CHECK(strstr(err, "--config /nonexistent/parnikd.conf") != NULL);
	/* What the parser refuses is still refused, whatever the source. */
	CHECK_EQ(merged(&o, &a, CONF, NULL, "--partitions 0", err), -1);
	dp_config_free(&a);
}

static void
test_print_config_names_each_source(void)
{
	static struct dp_options o;
	struct dp_config_args a;
	char err[256], text[2048];
	char *env[] = { (char *)"PARNIKD_PARTITIONS=2", NULL };
	FILE *f;
	size_t n;

	CHECK_EQ(merged(&o, &a, CONF, env, "--print-config --port 7800", err), 0);
	CHECK(a.print);
	f = tmpfile();
	CHECK(f != NULL);
	dp_config_print(&a, f);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = 0;
	fclose(f);
	CHECK(strstr(text, "node = 1") != NULL);
	CHECK(strstr(text, "partitions = 2 ") != NULL && strstr(text, "partitions = 4") == NULL);
	CHECK(strstr(text, "# environment") != NULL);
	CHECK(strstr(text, "port = 7800") != NULL && strstr(text, "# command line") != NULL);
	CHECK(strstr(text, "insecure-peers = true") != NULL);
	dp_config_free(&a);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "good_line", test_good_line },
		{ "bad_lines", test_bad_lines },
		{ "keys", test_keys },
		{ "windows_and_logs", test_windows_and_logs },
		{ "flags_over_environment_over_file", test_flags_over_environment_over_file },
		{ "a_repeated_option_is_replaced_whole", test_a_repeated_option_is_replaced_whole },
		{ "bad_sources_say_where", test_bad_sources_say_where },
		{ "print_config_names_each_source", test_print_config_names_each_source },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
