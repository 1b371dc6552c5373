/* libparnik and the parnik CLI against a loopback cluster of real cores
 * (udp_cluster fixture): every operation, pipelining, retries, failover of
 * reads, and the CLI's exit codes. argv[1] is the parnik CLI's path.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "check.h"
#include "parnik/client.h"
#include "parnik/transport.h"
#include "parnik/wire.h"
#include "udp_cluster.h"

static const char *cli_path;

static struct pk_client *
open_client(const struct udp_cluster *uc, uint16_t parts, int home)
{
	struct pk_client_config cfg;
	char err[256];
	struct pk_client *c;

	pk_client_config_default(&cfg);
	cfg.servers = udp_cluster_servers(uc);
	cfg.cluster_id = 9;
	cfg.partitions = parts;
	cfg.timeout_ms = 100;
	cfg.home = home;
	c = pk_client_open(&cfg, err, sizeof(err));
	if (c == NULL)
		fprintf(stderr, "open: %s\n", err);
	return c;
}

static bool
value_is(const struct pk_result *r, const char *v)
{
	return r->len == strlen(v) && memcmp(r->value, v, r->len) == 0;
}

static void
test_every_operation(void)
{
	struct udp_cluster *uc = udp_cluster_start(3, 2, 9);
	struct pk_client *c = open_client(uc, 2, 1);
	struct pk_result r;
	char big[PK_MAX_VALUE + 1];

	CHECK(c != NULL);
	CHECK_EQ(pk_get(c, "a", 1, &r), PK_NOT_FOUND);
	CHECK_EQ(pk_put(c, "a", 1, "hello", 5, &r), PK_OK);
	CHECK_EQ(r.version, 1);
	CHECK_EQ(pk_get(c, "a", 1, &r), PK_OK);
	CHECK(value_is(&r, "hello") && r.version == 1);
	CHECK_EQ(pk_cas(c, "a", 1, 7, "x", 1, &r), PK_CAS_MISMATCH);
	CHECK_EQ(r.version, 1);
	CHECK_EQ(pk_cas(c, "a", 1, 1, "41", 2, &r), PK_OK);
	CHECK_EQ(pk_add(c, "a", 1, 1, &r), PK_OK);
	CHECK(value_is(&r, "42") && r.version == 3);
	CHECK_EQ(pk_add(c, "b", 1, -5, &r), PK_OK);	/* absent counts as 0 */
	CHECK(value_is(&r, "-5"));
	CHECK_EQ(pk_put(c, "s", 1, "text", 4, &r), PK_OK);
	CHECK_EQ(pk_add(c, "s", 1, 1, &r), PK_NOT_INTEGER);
	CHECK_EQ(pk_del(c, "a", 1, &r), PK_OK);
	CHECK_EQ(pk_get(c, "a", 1, &r), PK_NOT_FOUND);
	CHECK_EQ(pk_del(c, "a", 1, &r), PK_NOT_FOUND);
	memset(big, 'v', sizeof(big));
	CHECK_EQ(pk_put(c, "a", 1, big, sizeof(big), &r), PK_TOO_LARGE);
	CHECK_EQ(pk_get(c, "", 0, &r), PK_BAD_REQUEST);
	pk_client_close(c);
	udp_cluster_stop(uc);
}

/* 40 clients' worth of increments through one pipelined client: every ADD
 * is acknowledged and the counters add up.
 */
static void
test_pipelined_adds(void)
{
	struct udp_cluster *uc = udp_cluster_start(3, 2, 9);
	struct pk_client *c = open_client(uc, 2, 0);
	struct pk_completion done[64];
	uint32_t submitted = 0, ok = 0, other = 0;
	char key[16];
	struct pk_result r;

	CHECK(c != NULL);
	while (ok + other < 2000) {
		while (submitted < 2000) {
			struct pk_request req = { .op = PK_OP_ADD, .key = key, .arg = 1 };

			req.key_len = (size_t)snprintf(key, sizeof(key), "ctr%u", submitted % 20);
			if (pk_client_submit(c, &req, NULL) != 0)
				break;
			submitted++;
		}
		int n = pk_client_poll(c, done, 64, 1000);

		CHECK(n >= 0);
		for (int i = 0; i < n; i++) {
			if (done[i].result.status == PK_OK)
				ok++;
			else
				other++;
		}
	}
	CHECK_EQ(ok, 2000);
	for (unsigned int k = 0; k < 20; k++) {
		snprintf(key, sizeof(key), "ctr%u", k);
		CHECK_EQ(pk_get(c, key, strlen(key), &r), PK_OK);
		CHECK(value_is(&r, "100"));
	}
	pk_client_close(c);
	udp_cluster_stop(uc);
}

/* A caller that polls one completion at a time while it keeps the window
 * full: completions waiting to be polled hold their place in the window,
 * so the client never queues more than it has room for (this overflowed
 * the ready queue under ASan before) and every request completes.
 */
static void
test_slow_poller_keeps_the_window(void)
{
	struct udp_cluster *uc = udp_cluster_start(3, 1, 9);
	struct pk_client_config cfg;
	struct pk_completion done;
	struct pk_client *c;
	uint32_t submitted = 0, completed = 0, refused = 0;
	char err[256], key[16];

	pk_client_config_default(&cfg);
	cfg.servers = udp_cluster_servers(uc);
	cfg.cluster_id = 9;
	cfg.window = 16;
	c = pk_client_open(&cfg, err, sizeof(err));
	CHECK(c != NULL);
	while (completed < 500) {
		while (submitted < 500) {
			struct pk_request req = { .op = PK_OP_PUT, .key = key, .value = "v", .len = 1 };

			req.key_len = (size_t)snprintf(key, sizeof(key), "w%u", submitted % 50);
			if (pk_client_submit(c, &req, NULL) != 0) {
				refused++;
				break;
			}
			submitted++;
		}
		usleep(2000);	/* the replies are in when the poll comes */
		int n = pk_client_poll(c, &done, 1, 1000);

		CHECK(n >= 0);
		CHECK(n == 0 || done.result.status == PK_OK);
		completed += (uint32_t)n;
		CHECK(pk_client_inflight(c) <= 16);
	}
	CHECK(refused > 0);	/* the window did fill */
	pk_client_close(c);
	udp_cluster_stop(uc);
}

/* A transport whose "cluster" sheds everything: OPEN is answered with a
 * session, every request BUSY. It counts the requests it sees.
 */
struct shedder {
	struct pk_transport t;
	uint8_t replies[64][PK_MAX_DGRAM];
	uint16_t lens[64];
	unsigned int n;
	uint64_t requests;
	uint16_t partitions;	/* the cluster's (0: 1) */
	int serves;		/* this partition answers OK, the others BUSY (-1: none) */
};

static int
shed_send(struct pk_transport *t, const struct pk_dgram *d, unsigned int n)
{
	struct shedder *sh = (struct shedder *)t;
	const struct pk_wire_expect exp = { .cluster_id = 1,
					    .partitions = sh->partitions > 0 ? sh->partitions : 1 };

	for (unsigned int i = 0; i < n; i++) {
		struct pk_msg msgs[PK_MAX_BATCH];
		struct pk_dgram_hdr hdr;
		struct pk_wbuf w;
		int got = pk_wire_decode(d[i].data, d[i].len, &exp, &hdr, msgs, PK_MAX_BATCH);

		if (got <= 0 || sh->n == 64)
			continue;	/* lost: the client's timeouts cover it */
		pk_wire_begin(&w, sh->replies[sh->n], PK_MAX_DGRAM, &hdr);
		for (int k = 0; k < got; k++) {
			struct pk_msg r = { .type = PK_MSG_CLIENT_REP, .client_id = msgs[k].client_id,
					    .request_id = msgs[k].request_id,
					    .session = msgs[k].session, .status = PK_BUSY };

			if (msgs[k].op == PK_OP_OPEN) {
				r.session = 77;
				r.status = PK_OK;
				r.state.version = 60000;
			} else {
				sh->requests++;
				if (hdr.partition == sh->serves) {
					r.status = PK_OK;
					r.state.version = 1;
				}
			}
			(void)pk_wire_add(&w, &r);
		}
		sh->lens[sh->n++] = (uint16_t)w.len;
	}
	return 0;
}

static int
shed_receive(struct pk_transport *t, pk_deliver_fn deliver, void *arg)
{
	struct shedder *sh = (struct shedder *)t;

	for (unsigned int i = 0; i < sh->n; i++)
		deliver(arg, sh->replies[i], sh->lens[i]);
	sh->n = 0;
	return 0;
}

static int
shed_wait(struct pk_transport *t, uint64_t timeout_us)
{
	(void)t;
	if (((struct shedder *)t)->n == 0)
		usleep(timeout_us < 1000 ? (useconds_t)timeout_us : 1000);
	return 0;
}

static void
shed_close(struct pk_transport *t)
{
	(void)t;
}

static struct pk_transport *
shed_open(void *arg, char *err, size_t errlen)
{
	struct shedder *sh = arg;

	(void)err;
	(void)errlen;
	sh->t = (struct pk_transport){ .send = shed_send, .receive = shed_receive,
				       .wait = shed_wait, .close = shed_close };
	return &sh->t;
}

/* Against a cluster that sheds everything, the refused load is not offered
 * again and again: BUSY retries stay within their budget (10% of the
 * requests, plus 100), the client's throttle soon refuses most requests
 * itself without sending them, and every request ends BUSY.
 */
static void
test_busy_retries_have_a_budget(void)
{
	static struct shedder sh;
	struct pk_client_config cfg;
	struct pk_completion done[64];
	struct pk_client *c;
	uint32_t submitted = 0, busy = 0, other = 0;
	char err[256], key[16];

	pk_client_config_default(&cfg);
	cfg.servers = "127.0.0.1:1";
	cfg.transport = shed_open;
	cfg.transport_arg = &sh;
	cfg.window = 64;
	sh.serves = -1;
	c = pk_client_open(&cfg, err, sizeof(err));
	CHECK(c != NULL);
	while (busy + other < 2000) {
		while (submitted < 2000) {
			struct pk_request req = { .op = PK_OP_PUT, .key = key, .value = "v", .len = 1 };

			req.key_len = (size_t)snprintf(key, sizeof(key), "b%u", submitted);
			if (pk_client_submit(c, &req, NULL) != 0)
				break;
			submitted++;
		}
		int n = pk_client_poll(c, done, 64, 1000);

		CHECK(n >= 0);
		for (int i = 0; i < n; i++) {
			if (done[i].result.status == PK_BUSY)
				busy++;
			else
				other++;
		}
	}
	CHECK_EQ(busy, 2000);
	/* The first sends of those not throttled, at most 200 + 100 retries
	 * (not 2000 x 5).
	 */
	CHECK(pk_client_throttled(c) >= 1000);
	CHECK(sh.requests >= 2000 - pk_client_throttled(c) &&
	      sh.requests <= 2300 - pk_client_throttled(c));
	pk_client_close(c);
}

/* The throttle is per partition of a replica: while partition 0 sheds
 * everything, the client holds back requests for it, and none of those
 * for partition 1, which accepts them all.
 */
static void
test_throttle_holds_back_only_the_refusing_partition(void)
{
	static struct shedder sh;
	struct pk_client_config cfg;
	struct pk_completion done[64];
	struct pk_client *c;
	uint32_t submitted = 0, finished = 0, ok[2] = { 0, 0 }, busy[2] = { 0, 0 };
	char err[256], key[16];

	pk_client_config_default(&cfg);
	cfg.servers = "127.0.0.1:1";
	cfg.partitions = 2;
	cfg.transport = shed_open;
	cfg.transport_arg = &sh;
	cfg.window = 64;
	sh.partitions = 2;
	sh.serves = 1;
	c = pk_client_open(&cfg, err, sizeof(err));
	CHECK(c != NULL);
	while (finished < 4000) {
		while (submitted < 4000) {
			struct pk_request req = { .op = PK_OP_PUT, .key = key, .value = "v", .len = 1 };

			req.key_len = (size_t)snprintf(key, sizeof(key), "p%u", submitted);
			if (pk_client_submit(c, &req,
					     (void *)(uintptr_t)(1 + pk_partition_of(key, req.key_len, 2))) != 0)
				break;
			submitted++;
		}
		int n = pk_client_poll(c, done, 64, 1000);

		CHECK(n >= 0);
		for (int i = 0; i < n; i++) {
			unsigned int p = (unsigned int)((uintptr_t)done[i].user - 1);

			CHECK(p < 2);
			ok[p] += done[i].result.status == PK_OK;
			busy[p] += done[i].result.status == PK_BUSY;
		}
		finished += (uint32_t)n;
	}
	CHECK(ok[0] == 0 && busy[0] > 1000);
	CHECK(busy[1] == 0 && ok[1] > 1000);
	CHECK_EQ(ok[0] + busy[0] + ok[1] + busy[1], 4000);
	CHECK(pk_client_throttled(c) >= busy[0] / 2);
	pk_client_close(c);
}

static void
test_reads_fail_over_writes_move_home(void)
{
	struct udp_cluster *uc = udp_cluster_start(3, 1, 9);
	struct pk_client *c = open_client(uc, 1, 0);
	struct pk_result r;

	CHECK(c != NULL);
	CHECK_EQ(pk_put(c, "k", 1, "v", 1, &r), PK_OK);
	udp_cluster_kill(uc, 0);	/* the client's home replica */
	/* The read retries on the next replica; the cluster of 2 answers. */
	CHECK_EQ(pk_get(c, "k", 1, &r), PK_OK);
	CHECK(value_is(&r, "v"));
	/* New requests now start at a live replica. */
	CHECK_EQ(pk_put(c, "k", 1, "w", 1, &r), PK_OK);
	CHECK_EQ(pk_get(c, "k", 1, &r), PK_OK);
	CHECK(value_is(&r, "w"));
	pk_client_close(c);
	udp_cluster_stop(uc);
}

static void
test_write_to_dead_replica_is_unknown(void)
{
	struct udp_cluster *uc = udp_cluster_start(3, 1, 9);
	struct pk_client *c = open_client(uc, 1, 2);
	struct pk_result r;

	CHECK(c != NULL);
	CHECK_EQ(pk_add(c, "n", 1, 1, &r), PK_OK);	/* its session is open */
	udp_cluster_kill(uc, 2);
	/* No reply at all: the client cannot know, and does not guess. */
	CHECK_EQ(pk_add(c, "n", 1, 1, &r), PK_UNKNOWN_OUTCOME);
	pk_client_close(c);
	/* A new client: its OPEN gets no answer, so the write was never sent
	 * to that replica; it moves to the next one, and runs there once.
	 */
	c = open_client(uc, 1, 2);
	CHECK(c != NULL);
	CHECK_EQ(pk_add(c, "m", 1, 1, &r), PK_OK);
	CHECK(value_is(&r, "1"));
	pk_client_close(c);
	udp_cluster_stop(uc);
}

static void
test_check_names_what_is_wrong(void)
{
	struct udp_cluster *uc = udp_cluster_start(3, 2, 9);
	struct pk_client_config cfg;
	char err[512];

	pk_client_config_default(&cfg);
	cfg.servers = udp_cluster_servers(uc);
	cfg.cluster_id = 9;
	cfg.timeout_ms = 50;
	cfg.partitions = 2;
	CHECK_EQ(pk_client_check(&cfg, err, sizeof(err)), 0);
	/* The replicas drop datagrams of another partition count unanswered:
	 * the check still tells which count they run.
	 */
	cfg.partitions = 4;
	CHECK_EQ(pk_client_check(&cfg, err, sizeof(err)), -1);
	CHECK(strstr(err, "runs 2 partitions, not 4") != NULL);
	cfg.partitions = 2;
	/* One replica down: a warning (the cluster serves); all down: fatal. */
	udp_cluster_kill(uc, 1);
	CHECK_EQ(pk_client_check(&cfg, err, sizeof(err)), 1);
	CHECK(strstr(err, "no reply from replica") != NULL);
	udp_cluster_kill(uc, 0);
	udp_cluster_kill(uc, 2);
	CHECK_EQ(pk_client_check(&cfg, err, sizeof(err)), -1);
	CHECK(strstr(err, "no reply from replica") != NULL);
	cfg.servers = "127.0.0.1:notaport";
	CHECK_EQ(pk_client_check(&cfg, err, sizeof(err)), -1);
	CHECK(strstr(err, "bad port") != NULL);
	udp_cluster_stop(uc);
}

/* Runs shell command <cmd>, keeping what it prints in <out>; returns its
 * exit code.
 */
static int
run_shell(const char *cmd, char *out, size_t outlen)
{
	FILE *p = popen(cmd, "r");
	size_t n;
	int status;

	if (p == NULL)
		return -1;
	n = fread(out, 1, outlen - 1, p);
	out[n] = 0;
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
run_cli(const struct udp_cluster *uc, const char *args, char *out, size_t outlen)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s -s %s -c 9 -p 2 -t 100 %s 2>/dev/null", cli_path,
		 udp_cluster_servers(uc), args);
	return run_shell(cmd, out, outlen);
}

static void
test_cli_exit_codes(void)
{
	struct udp_cluster *uc = udp_cluster_start(3, 2, 9);
	char out[256];

	CHECK_EQ(run_cli(uc, "get nokey", out, sizeof(out)), 1);
	CHECK_EQ(run_cli(uc, "put k hello", out, sizeof(out)), 0);
	CHECK(strcmp(out, "OK version 1\n") == 0);
	CHECK_EQ(run_cli(uc, "get k", out, sizeof(out)), 0);
	CHECK(strcmp(out, "hello\n") == 0);
	CHECK_EQ(run_cli(uc, "cas k bye --if-version 5", out, sizeof(out)), 3);
	CHECK_EQ(run_cli(uc, "cas k bye --if-version 1", out, sizeof(out)), 0);
	CHECK_EQ(run_cli(uc, "add n 5", out, sizeof(out)), 0);
	CHECK(strcmp(out, "5\n") == 0);
	CHECK_EQ(run_cli(uc, "add k 5", out, sizeof(out)), 5);	/* NOT_INTEGER */
	CHECK_EQ(run_cli(uc, "del k", out, sizeof(out)), 0);
	CHECK_EQ(run_cli(uc, "get k", out, sizeof(out)), 1);
	CHECK_EQ(run_cli(uc, "frobnicate k", out, sizeof(out)), 2);
	CHECK_EQ(run_cli(uc, "cas k v", out, sizeof(out)), 2);	/* --if-version missing */
	CHECK_EQ(run_cli(uc, "add k notanumber", out, sizeof(out)), 2);
	udp_cluster_stop(uc);
}

/* Runs the CLI with <args> (servers given) and keeps what it says on
 * stderr in <out>; returns its exit code.
 */
static int
run_cli_stderr(const char *servers, const char *args, char *out, size_t outlen)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s -s %s %s 2>&1 >/dev/null", cli_path, servers, args);
	return run_shell(cmd, out, outlen);
}

static unsigned int
lines(const char *s)
{
	unsigned int n = 0;

	for (; *s != 0; s++)
		n += *s == '\n';
	return n;
}

/* When nothing answers, the CLI says why (the pre-flight check) and exits
 * 6, as its help promises; a usage error is one line with the reason.
 */
static void
test_cli_says_why(void)
{
	struct udp_cluster *uc = udp_cluster_start(3, 2, 9);
	char servers[256], out[1024];

	snprintf(servers, sizeof(servers), "%s", udp_cluster_servers(uc));
	CHECK_EQ(run_cli_stderr(servers, "-c 9 -p 4 -t 100 get k", out, sizeof(out)), 6);
	CHECK(strstr(out, "cannot reach the cluster: replica") != NULL);
	CHECK(strstr(out, "runs 2 partitions, not 4") != NULL);
	CHECK_EQ(run_cli_stderr(servers, "-c 9 -p 2 -t 100 frobnicate k", out, sizeof(out)), 2);
	CHECK(strncmp(out, "parnik: unknown command 'frobnicate'", 36) == 0);
	CHECK_EQ(lines(out), 1);
	CHECK_EQ(run_cli_stderr(servers, "-c 9 -p nine get k", out, sizeof(out)), 2);
	CHECK(strstr(out, "--partitions 'nine'") != NULL && lines(out) == 1);
	CHECK_EQ(run_cli_stderr(servers, "--version", out, sizeof(out)), 0);
	/* The old cas syntax must fail, not print a version and exit 0. */
	CHECK_EQ(run_cli_stderr(servers, "-c 9 -p 2 cas k v --version 1", out, sizeof(out)), 2);
	CHECK(strstr(out, "--if-version") != NULL);
	udp_cluster_kill(uc, 0);
	udp_cluster_kill(uc, 1);
	udp_cluster_kill(uc, 2);
	CHECK_EQ(run_cli_stderr(servers, "-c 9 -p 2 -t 50 get k", out, sizeof(out)), 6);
	CHECK(strstr(out, "cannot reach the cluster: no reply from replica") != NULL);
	/* The session could not open: the write was never sent. */
	CHECK_EQ(run_cli_stderr(servers, "-c 9 -p 2 -t 50 put k v", out, sizeof(out)), 6);
	CHECK(strstr(out, "TIMEOUT: timed out before any write was sent") != NULL);
	CHECK(strstr(out, "cannot reach the cluster: no reply from replica") != NULL);
	udp_cluster_stop(uc);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "every_operation", test_every_operation },
		{ "pipelined_adds", test_pipelined_adds },
		{ "slow_poller_keeps_the_window", test_slow_poller_keeps_the_window },
		{ "busy_retries_have_a_budget", test_busy_retries_have_a_budget },
		{ "throttle_holds_back_only_the_refusing_partition",
		  test_throttle_holds_back_only_the_refusing_partition },
		{ "reads_fail_over_writes_move_home", test_reads_fail_over_writes_move_home },
		{ "write_to_dead_replica_is_unknown", test_write_to_dead_replica_is_unknown },
		{ "cli_exit_codes", test_cli_exit_codes },
		{ "cli_says_why", test_cli_says_why },
		{ "check_names_what_is_wrong", test_check_names_what_is_wrong },
	};

	if (argc < 2) {
		fprintf(stderr, "usage: test_client PATH-TO-parnik [case]\n");
		return 2;
	}
	cli_path = argv[1];
	return check_run(argc - 1, argv + 1, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
