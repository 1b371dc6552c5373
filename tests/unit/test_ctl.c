/* The control socket without a replica: a fake host behind the real
 * server. Every command answers one JSON line; bad input (unknown commands,
 * bad arguments, binary junk, over-long lines) gets an error and the
 * connection keeps working; more clients than allowed are refused while the
 * others are served; a client that never reads is cut off; keys are escaped;
 * shutdown reaches the host.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "channel.h"
#include "check.h"
#include "json.h"
#include "server.h"

static int shutdowns;
static char sock_path[108];
static struct ctl_server *server;

static void
fake_status(void *ctx, struct ctl_json *j)
{
	(void)ctx;
	ctl_json_u64(j, "node", 7);
}

static int
fake_keys(void *ctx, uint16_t partition, uint64_t from, uint32_t limit, struct ctl_json *j)
{
	static const uint8_t odd[] = { 'a', '"', '\\', 0x01, 0xff };

	(void)ctx;
	if (partition > 0)
		return -1;
	ctl_json_open_array(j, "keys");
	if (from == 0 && limit > 0)
		ctl_json_bytes(j, NULL, odd, sizeof(odd));
	ctl_json_close_array(j);
	ctl_json_i64(j, "next", -1);
	return 0;
}

static int
fake_edit(void *ctx, bool prepare, bool add, uint16_t id, uint8_t quorum, struct ctl_json *j,
	  char *err, size_t errlen)
{
	(void)ctx;
	if (id == 9) {
		snprintf(err, errlen, "node 9 is not a member");
		return -1;
	}
	ctl_json_str(j, "list", prepare ? "prepare" : "accept");
	ctl_json_bool(j, "add", add);
	ctl_json_u64(j, "id", id);
	ctl_json_u64(j, "quorum", quorum);
	return 0;
}

static int
fake_set_config(void *ctx, uint32_t epoch, uint16_t prepare, uint8_t qp, uint16_t accept,
		uint8_t qa, struct ctl_json *j, char *err, size_t errlen)
{
	(void)ctx;
	if (epoch == 1) {
		snprintf(err, errlen, "refused: stale epoch");
		return -1;
	}
	ctl_json_u64(j, "epoch", epoch);
	ctl_json_u64(j, "prepare", prepare);
	ctl_json_u64(j, "qp", qp);
	ctl_json_u64(j, "accept", accept);
	ctl_json_u64(j, "qa", qa);
	return 0;
}

static int
fake_admit(void *ctx, struct ctl_json *j, char *err, size_t errlen)
{
	(void)ctx;
	(void)j;
	snprintf(err, errlen, "refused: still listed");
	return -1;
}

static int
fake_rescan(void *ctx, uint32_t window, struct ctl_json *j, char *err, size_t errlen)
{
	(void)ctx;
	(void)err;
	(void)errlen;
	ctl_json_u64(j, "window", window);
	return 0;
}

static int
fake_catchup(void *ctx, uint16_t target, uint32_t window, struct ctl_json *j, char *err,
	     size_t errlen)
{
	(void)ctx;
	(void)err;
	(void)errlen;
	ctl_json_u64(j, "target", target);
	ctl_json_u64(j, "window", window);
	return 0;
}

static int
fake_gc(void *ctx, int action, uint32_t hold_s, struct ctl_json *j, char *err, size_t errlen)
{
	(void)ctx;
	if (action == CTL_GC_RELEASE) {
		snprintf(err, errlen, "nothing held");
		return -1;
	}
	ctl_json_bool(j, "held", action == CTL_GC_HOLD);
	if (action == CTL_GC_HOLD)
		ctl_json_u64(j, "hold_s", hold_s);
	return 0;
}

static void
fake_floors(void *ctx, struct ctl_json *j)
{
	(void)ctx;
	ctl_json_str(j, "floors", "fake");
}

/* Echoes the floor it was asked for; partition 9 does not exist. */
static int
fake_raise_floor(void *ctx, uint16_t partition, const struct pk_ballot *ballot, uint64_t version,
		 struct ctl_json *j, char *err, size_t errlen)
{
	char b[PK_BALLOT_TEXT];

	(void)ctx;
	if (partition == 9) {
		snprintf(err, errlen, "no partition 9");
		return -1;
	}
	pk_ballot_format(ballot, b, sizeof(b));
	ctl_json_str(j, "ballot", b);
	ctl_json_u64(j, "version", version);
	return 0;
}

/* Echoes the rule it was given in the command's grammar. */
static int
fake_fault(void *ctx, const struct ctl_fault *f, struct ctl_json *j, char *err, size_t errlen)
{
	char text[160];

	(void)ctx;
	(void)err;
	(void)errlen;
	if (f == NULL)
		snprintf(text, sizeof(text), "shown");
	else
		ctl_fault_format(f, text, sizeof(text));
	ctl_json_str(j, "fault", text);
	return 0;
}

static void
fake_job(void *ctx, struct ctl_json *j)
{
	(void)ctx;
	ctl_json_str(j, "job", "none");
}

static void
fake_shutdown(void *ctx)
{
	(void)ctx;
	shutdowns++;
}

static const struct ctl_host host = {
	.status = fake_status,
	.stats = fake_status,
	.config = fake_status,
	.lists = fake_status,
	.keys = fake_keys,
	.edit_list = fake_edit,
	.set_config = fake_set_config,
	.admit = fake_admit,
	.rescan = fake_rescan,
	.catchup = fake_catchup,
	.gc = fake_gc,
	.floors = fake_floors,
	.raise_floor = fake_raise_floor,
	.fault = fake_fault,
	.job = fake_job,
	.shutdown = fake_shutdown,
};

static int
connect_ctl(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(a.sun_path, sock_path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads one reply line (up to 2 s) into buf; returns its length or -1. */
static int
read_line(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	while (got < cap - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 2000) <= 0)
			return -1;
		n = read(fd, buf + got, 1);
		if (n <= 0)
			return -1;
		if (buf[got] == '\n') {
			buf[got] = 0;
			return (int)got;
		}
		got++;
	}
	return -1;
}

static int
ask(int fd, const char *line, char *buf, size_t cap)
{
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) != (ssize_t)strlen(line))
		return -1;
	return read_line(fd, buf, cap);
}

static void
test_commands(void)
{
	char buf[4096];
	int fd = connect_ctl();

	CHECK(fd >= 0);
	CHECK(ask(fd, "status\n", buf, sizeof(buf)) > 0);
	CHECK(strcmp(buf, "{\"ok\":true,\"node\":7}") == 0);
	CHECK(ask(fd, "ping\n", buf, sizeof(buf)) > 0 && strcmp(buf, "{\"ok\":true}") == 0);
	CHECK(ask(fd, "help\n", buf, sizeof(buf)) > 0 && strstr(buf, "keys PARTITION") != NULL);
	CHECK(ask(fd, "keys 0\n", buf, sizeof(buf)) > 0);
	CHECK(strcmp(buf, "{\"ok\":true,\"partition\":0,\"keys\":[\"a\\\"\\\\\\u0001\\u00ff\"],"
			  "\"next\":-1}") == 0);
	CHECK(ask(fd, "keys 3\n", buf, sizeof(buf)) > 0 && strstr(buf, "no such partition") != NULL);
	CHECK(ask(fd, "keys 0 1 5000\n", buf, sizeof(buf)) > 0 && strstr(buf, "usage") != NULL);
	CHECK(ask(fd, "status now\n", buf, sizeof(buf)) > 0 && strstr(buf, "no argument") != NULL);
	CHECK(ask(fd, "frobnicate\n", buf, sizeof(buf)) > 0 && strstr(buf, "unknown command") != NULL);
	CHECK(ask(fd, "\n", buf, sizeof(buf)) > 0 && strstr(buf, "empty command") != NULL);
	CHECK(ask(fd, "a b c d e f g h i j\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "too many arguments") != NULL);
	/* Several commands in one write: one reply each, in order. */
	CHECK(write(fd, "ping\nstatus\n", 12) == 12);
	CHECK(read_line(fd, buf, sizeof(buf)) > 0 && strcmp(buf, "{\"ok\":true}") == 0);
	CHECK(read_line(fd, buf, sizeof(buf)) > 0 && strstr(buf, "\"node\":7") != NULL);
	/* Membership steps: parsed, passed on, errors reported. */
	CHECK(ask(fd, "add-accept 3 3\n", buf, sizeof(buf)) > 0);
	CHECK(strcmp(buf, "{\"ok\":true,\"list\":\"accept\",\"add\":true,\"id\":3,\"quorum\":3}") == 0);
	CHECK(ask(fd, "rm-prepare 1 2\n", buf, sizeof(buf)) > 0);
	CHECK(strcmp(buf, "{\"ok\":true,\"list\":\"prepare\",\"add\":false,\"id\":1,\"quorum\":2}") == 0);
	CHECK(ask(fd, "rm-accept 9 2\n", buf, sizeof(buf)) > 0 && strstr(buf, "not a member") != NULL);
	CHECK(ask(fd, "add-prepare 16 2\n", buf, sizeof(buf)) > 0 && strstr(buf, "usage") != NULL);
	CHECK(ask(fd, "add-prepare 1\n", buf, sizeof(buf)) > 0 && strstr(buf, "usage") != NULL);
	/* Whole configs: ids lists parsed into masks. */
	CHECK(ask(fd, "set-config 7 0,1,2 2 0,1,2,3 3\n", buf, sizeof(buf)) > 0);
	CHECK(strcmp(buf, "{\"ok\":true,\"epoch\":7,\"prepare\":7,\"qp\":2,\"accept\":15,"
			  "\"qa\":3}") == 0);
	CHECK(ask(fd, "set-config 1 0,1,2 2 0,1,2 2\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "stale epoch") != NULL);
	CHECK(ask(fd, "set-config 7 0,1,16 2 0,1,2 2\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "usage") != NULL);
	CHECK(ask(fd, "set-config 7 0,,1 2 0,1,2 2\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "usage") != NULL);
	CHECK(ask(fd, "set-config 0 0 1 0 1\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "usage") != NULL);
	CHECK(ask(fd, "admit\n", buf, sizeof(buf)) > 0 && strstr(buf, "still listed") != NULL);
	CHECK(ask(fd, "rescan\n", buf, sizeof(buf)) > 0 && strstr(buf, "\"window\":64") != NULL);
	CHECK(ask(fd, "rescan 8\n", buf, sizeof(buf)) > 0 && strstr(buf, "\"window\":8") != NULL);
	CHECK(ask(fd, "rescan 0x\n", buf, sizeof(buf)) > 0 && strstr(buf, "usage") != NULL);
	CHECK(ask(fd, "job now\n", buf, sizeof(buf)) > 0 && strstr(buf, "no argument") != NULL);
	CHECK(ask(fd, "catchup 3 16\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "\"target\":3,\"window\":16") != NULL);
	CHECK(ask(fd, "catchup\n", buf, sizeof(buf)) > 0 && strstr(buf, "usage") != NULL);
	CHECK(ask(fd, "catchup 16\n", buf, sizeof(buf)) > 0 && strstr(buf, "usage") != NULL);
	CHECK(ask(fd, "gc hold\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "\"held\":true,\"hold_s\":600") != NULL);
	CHECK(ask(fd, "gc hold 30\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "\"held\":true,\"hold_s\":30") != NULL);
	CHECK(ask(fd, "gc hold 0\n", buf, sizeof(buf)) > 0 && strstr(buf, "usage: gc") != NULL);
	CHECK(ask(fd, "gc hold 86401\n", buf, sizeof(buf)) > 0 && strstr(buf, "usage: gc") != NULL);
	CHECK(ask(fd, "gc release 5\n", buf, sizeof(buf)) > 0 && strstr(buf, "usage: gc") != NULL);
	CHECK(ask(fd, "gc\n", buf, sizeof(buf)) > 0 && strstr(buf, "\"held\":false") != NULL);
	CHECK(ask(fd, "gc release\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "nothing held") != NULL);
	CHECK(ask(fd, "gc now\n", buf, sizeof(buf)) > 0 && strstr(buf, "usage: gc") != NULL);
	CHECK(ask(fd, "floors\n", buf, sizeof(buf)) > 0 && strstr(buf, "\"floors\":\"fake\"") != NULL);
	CHECK(ask(fd, "raise-floor 1 4611404543450677248.4294967295.2.1 42\n", buf, sizeof(buf)) >
		      0 &&
	      strstr(buf, "\"ballot\":\"4611404543450677248.4294967295.2.1\",\"version\":42") !=
		      NULL);
	/* 2^62 - 1 would leave no ballot above it that peers take. */
	CHECK(ask(fd, "raise-floor 1 4611686018427387903.1.2.1 42\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "past the bounds") != NULL);
	CHECK(ask(fd, "raise-floor 1 5.1.2.1 4611686018427387903\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "past the bounds") != NULL);
	/* Past the bounds (2^62): a floor there would stop key creation. */
	CHECK(ask(fd, "raise-floor 1 18446744073709551615.4294967295.2.1 42\n", buf, sizeof(buf)) >
		      0 &&
	      strstr(buf, "past the bounds") != NULL);
	CHECK(ask(fd, "raise-floor 1 5.1.2.1 18446744073709551615\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "past the bounds") != NULL);
	CHECK(ask(fd, "raise-floor 9 1.1.0.0 0\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "no partition 9") != NULL);
	/* counter past 2^64, incarnation past 2^32, a part missing, junk */
	CHECK(ask(fd, "raise-floor 1 18446744073709551616.1.0.0 0\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "usage: raise-floor") != NULL);
	CHECK(ask(fd, "raise-floor 1 1.4294967296.0.0 0\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "usage: raise-floor") != NULL);
	CHECK(ask(fd, "raise-floor 1 1.1.0 0\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "usage: raise-floor") != NULL);
	CHECK(ask(fd, "raise-floor 1 1.1.0.0x 0\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "usage: raise-floor") != NULL);
	CHECK(ask(fd, "raise-floor 1 1.1.0.0\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "usage: raise-floor") != NULL);
	CHECK(ask(fd, "shutdown\n", buf, sizeof(buf)) > 0 && shutdowns == 1);
	close(fd);
}

/* The fault rule's grammar: what each setting means, the defaults, and a
 * clear refusal of everything else.
 */
static void
test_fault_grammar(void)
{
	char buf[4096];
	int fd = connect_ctl();

	CHECK(fd >= 0);
	CHECK(ask(fd, "fault\n", buf, sizeof(buf)) > 0 && strstr(buf, "\"fault\":\"shown\"") != NULL);
	CHECK(ask(fd, "fault clear\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "\"fault\":\"none\"") != NULL);
	CHECK(ask(fd, "fault loss=30\n", buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "\"dir=both to=peers,clients loss=30.0000 dup=0.0000 delay=0.000 "
			  "jitter=0.000\"") != NULL);
	CHECK(ask(fd, "fault dir=in to=2,0 dup=0.5 delay=1.25 jitter=0.001\n", buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "\"dir=in to=0,2 loss=0.0000 dup=0.5000 delay=1.250 jitter=0.001\"") !=
	      NULL);
	CHECK(ask(fd, "fault to=clients dir=out loss=100\n", buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "\"dir=out to=clients loss=100.0000") != NULL);
	/* Refused: no effect, unknown settings, values out of range or odd. */
	CHECK(ask(fd, "fault to=peers\n", buf, sizeof(buf)) > 0 && strstr(buf, "no effect") != NULL);
	CHECK(ask(fd, "fault loss=100.0001\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "percentage") != NULL);
	CHECK(ask(fd, "fault loss=101\n", buf, sizeof(buf)) > 0 && strstr(buf, "percentage") != NULL);
	CHECK(ask(fd, "fault loss=-1\n", buf, sizeof(buf)) > 0 && strstr(buf, "percentage") != NULL);
	CHECK(ask(fd, "fault loss=.\n", buf, sizeof(buf)) > 0 && strstr(buf, "percentage") != NULL);
	CHECK(ask(fd, "fault loss=1.2.3\n", buf, sizeof(buf)) > 0 && strstr(buf, "percentage") != NULL);
	CHECK(ask(fd, "fault delay=10001\n", buf, sizeof(buf)) > 0 && strstr(buf, "time") != NULL);
	CHECK(ask(fd, "fault delay=6000 jitter=5000\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "more than 10000") != NULL);
	CHECK(ask(fd, "fault to=16 loss=1\n", buf, sizeof(buf)) > 0 && strstr(buf, "member ids") != NULL);
	CHECK(ask(fd, "fault to= loss=1\n", buf, sizeof(buf)) > 0 && strstr(buf, "member ids") != NULL);
	CHECK(ask(fd, "fault dir=up loss=1\n", buf, sizeof(buf)) > 0 && strstr(buf, "in, out") != NULL);
	CHECK(ask(fd, "fault loss\n", buf, sizeof(buf)) > 0 && strstr(buf, "KEY=VALUE") != NULL);
	CHECK(ask(fd, "fault speed=3\n", buf, sizeof(buf)) > 0 &&
	      strstr(buf, "unknown setting") != NULL);
	close(fd);
}

/* Clients that stop reading before their reply (here: the read side shut,
 * so the server's write meets EPIPE every time): the write fails quietly
 * instead of raising SIGPIPE, which would kill the process hosting the
 * server (the replica).
 */
static void
test_client_gone_before_reply(void)
{
	char buf[256];
	int fd, gone[8];

	for (int i = 0; i < 8; i++) {
		gone[i] = connect_ctl();
		CHECK(gone[i] >= 0);
		CHECK(shutdown(gone[i], SHUT_RD) == 0);
		CHECK(send(gone[i], "help\n", 5, MSG_NOSIGNAL) == 5);
	}
	usleep(200000);
	for (int i = 0; i < 8; i++)
		close(gone[i]);
	fd = connect_ctl();
	CHECK(fd >= 0);
	CHECK(ask(fd, "ping\n", buf, sizeof(buf)) > 0 && strcmp(buf, "{\"ok\":true}") == 0);
	close(fd);
}

static void
test_junk_and_long_lines(void)
{
	static char big[3 * CTL_MAX_LINE];
	char buf[4096];
	int fd = connect_ctl();

	CHECK(fd >= 0);
	/* Binary junk: errors, never a crash. */
	srand(11);
	for (int i = 0; i < 200; i++) {
		char junk[64];
		int n = 1 + rand() % 60;

		for (int k = 0; k < n; k++) {
			junk[k] = (char)(rand() % 256);
			if (junk[k] == '\n')
				junk[k] = 'x';
		}
		junk[n] = '\n';
		CHECK(write(fd, junk, (size_t)n + 1) == n + 1);
		CHECK(read_line(fd, buf, sizeof(buf)) > 0);
		CHECK(strncmp(buf, "{\"ok\":", 6) == 0);
	}
	/* A line three buffers long: one error, then the next line works. */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\n';
	CHECK(write(fd, big, sizeof(big)) == (ssize_t)sizeof(big));
	CHECK(read_line(fd, buf, sizeof(buf)) > 0 && strstr(buf, "line too long") != NULL);
	CHECK(ask(fd, "ping\n", buf, sizeof(buf)) > 0 && strcmp(buf, "{\"ok\":true}") == 0);
	close(fd);
}

/* Waits (up to 2 s) until the server has closed every earlier client:
 * slots freed asynchronously would otherwise count against the limit.
 */
static void
wait_no_clients(void)
{
	struct ctl_server_stats st;

	for (int i = 0; i < 200; i++) {
		ctl_server_stats(server, &st);
		if (st.connections == st.closed)
			return;
		usleep(10000);
	}
}

static void
test_too_many_clients(void)
{
	int fds[CTL_MAX_CLIENTS + 4];
	char buf[256];
	int refused = 0;

	wait_no_clients();
	for (int i = 0; i < CTL_MAX_CLIENTS + 4; i++) {
		fds[i] = connect_ctl();
		CHECK(fds[i] >= 0);
	}
	/* The first CTL_MAX_CLIENTS are served; the others were told why. */
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		CHECK(ask(fds[i], "ping\n", buf, sizeof(buf)) > 0 && strcmp(buf, "{\"ok\":true}") == 0);
	for (int i = CTL_MAX_CLIENTS; i < CTL_MAX_CLIENTS + 4; i++)
		if (read_line(fds[i], buf, sizeof(buf)) > 0 && strstr(buf, "too many") != NULL)
			refused++;
	CHECK_EQ(refused, 4);
	for (int i = 0; i < CTL_MAX_CLIENTS + 4; i++)
		close(fds[i]);
	/* Slots come back once closed. */
	wait_no_clients();
	{
		int fd = connect_ctl();

		CHECK(fd >= 0 && ask(fd, "ping\n", buf, sizeof(buf)) > 0);
		CHECK(strcmp(buf, "{\"ok\":true}") == 0);
		close(fd);
	}
}

static void
test_slow_client_cut_off(void)
{
	static char burst[64 * 1024];
	char buf[256];
	int slow, fd;
	size_t sent = 0;

	wait_no_clients();
	slow = connect_ctl();
	CHECK(slow >= 0);
	/* Thousands of "help" without reading a reply: the replies pile up
	 * until the server gives up on this client.
	 */
	for (size_t i = 0; i + 5 <= sizeof(burst); i += 5)
		memcpy(burst + i, "help\n", 5);
	for (int round = 0; round < 40; round++) {
		struct pollfd p = { .fd = slow, .events = POLLOUT };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			break;
		n = send(slow, burst, sizeof(burst), MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	CHECK(sent > 0);
	/* Others are still served, and the slow one was cut off. */
	fd = connect_ctl();
	CHECK(fd >= 0 && ask(fd, "ping\n", buf, sizeof(buf)) > 0);
	close(fd);
	close(slow);
	{
		struct ctl_server_stats st;

		ctl_server_stats(server, &st);
		CHECK_EQ(st.slow_clients, 1);
	}
}

/* The socket is born 0600 in a directory made 0700; a directory others
 * may write (not sticky) is refused, since they could swap the socket.
 */
static void
test_socket_is_private(void)
{
	char dir[128], path[160], err[256];
	struct stat st;
	struct ctl_server *other;

	snprintf(dir, sizeof(dir), "%s", sock_path);
	*strrchr(dir, '/') = 0;
	CHECK(stat(sock_path, &st) == 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	CHECK(stat(dir, &st) == 0);
	CHECK_EQ(st.st_mode & 0777, 0700);
	snprintf(dir, sizeof(dir), "/tmp/pk-ctl-open-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	CHECK(mkdir(dir, 0700) == 0);
	CHECK(chmod(dir, 0777) == 0);
	other = ctl_server_start(path, &host, err, sizeof(err));
	CHECK(other == NULL);
	if (other != NULL)
		ctl_server_stop(other);
	CHECK(strstr(err, "writable by others") != NULL);
	rmdir(dir);
}

static size_t
fake_metrics(void *ctx, char *buf, size_t cap)
{
	(void)ctx;
	return (size_t)snprintf(buf, cap, "# TYPE parnik_up gauge\nparnik_up 1\n");
}

static bool
put_str(int fd, const char *text)
{
	return write(fd, text, strlen(text)) == (ssize_t)strlen(text);
}

static int
tcp_connect(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Everything the peer sends until it closes (at most <cap> - 1 bytes). */
static size_t
read_all(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 3000) <= 0)
			break;
		n = read(fd, buf + got, cap - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = 0;
	return got;
}

/* The metrics port and the TCP control port of a second server: a request
 * split across writes, a half-closed client still answered, 404, 405 with
 * its Allow header, 431 for an endless header; the TCP port greets with a
 * nonce, refuses a plain command and a host's fifth connection.
 */
static void
test_http_and_tcp_listeners(void)
{
	static const uint8_t key[32] = { 7 };
	static char big[8192];
	char dir[64], path[96], err[256], buf[4096];
	uint16_t base = (uint16_t)(20000 + getpid() % 20000);
	struct ctl_host h = host;
	struct ctl_server_config cfg = { .path = path, .control_ip = htonl(INADDR_LOOPBACK),
					 .control_port = base, .control_secret = key,
					 .metrics_ip = htonl(INADDR_LOOPBACK),
					 .metrics_port = (uint16_t)(base + 1) };
	struct ctl_server *other;
	int fd, fds[6], shutdowns_before = shutdowns;

	h.metrics = fake_metrics;
	snprintf(dir, sizeof(dir), "/tmp/pk-ctl-net-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	other = ctl_server_start_with(&cfg, &h, err, sizeof(err));
	CHECK(other != NULL);
	if (other == NULL) {
		printf("  %s\n", err);
		return;
	}
	/* Split across writes, then half-closed: answered in full. */
	fd = tcp_connect(cfg.metrics_port);
	CHECK(fd >= 0 && put_str(fd, "GET /metr"));
	usleep(50000);
	CHECK(put_str(fd, "ics HTTP/1.1\r\nHost: x\r\n\r\n"));
	shutdown(fd, SHUT_WR);
	read_all(fd, buf, sizeof(buf));
	close(fd);
	CHECK(strncmp(buf, "HTTP/1.0 200 OK\r\n", 17) == 0);
	CHECK(strstr(buf, "\r\n\r\n# TYPE parnik_up gauge\nparnik_up 1\n") != NULL);
	CHECK(strstr(buf, "parnik_control_http_requests_total ") != NULL);
	fd = tcp_connect(cfg.metrics_port);
	CHECK(fd >= 0 && put_str(fd, "GET /other HTTP/1.0\r\n\r\n"));
	read_all(fd, buf, sizeof(buf));
	close(fd);
	CHECK(strncmp(buf, "HTTP/1.0 404 ", 13) == 0);
	fd = tcp_connect(cfg.metrics_port);
	CHECK(fd >= 0 && put_str(fd, "POST /metrics HTTP/1.0\r\n\r\n"));
	read_all(fd, buf, sizeof(buf));
	close(fd);
	CHECK(strncmp(buf, "HTTP/1.0 405 ", 13) == 0 && strstr(buf, "\r\nAllow: GET\r\n") != NULL);
	memset(big, 'a', sizeof(big));
	fd = tcp_connect(cfg.metrics_port);
	CHECK(fd >= 0 && write(fd, big, sizeof(big)) > 0);
	read_all(fd, buf, sizeof(buf));
	close(fd);
	CHECK(strncmp(buf, "HTTP/1.0 431 ", 13) == 0);
	/* TCP control: the greeting, then a plain command refused. */
	fd = tcp_connect(cfg.control_port);
	CHECK(fd >= 0 && read_line(fd, buf, sizeof(buf)) > 0);
	CHECK(strncmp(buf, CTL_CHAN_GREETING, sizeof(CTL_CHAN_GREETING) - 1) == 0);
	CHECK(put_str(fd, "shutdown\n"));
	read_all(fd, buf, sizeof(buf));
	close(fd);
	CHECK(strstr(buf, "expected the client nonce") != NULL);
	CHECK_EQ(shutdowns, shutdowns_before);
	/* One host gets CTL_MAX_PER_SOURCE connections; the next is closed. */
	for (int i = 0; i < CTL_MAX_PER_SOURCE + 1; i++)
		fds[i] = tcp_connect(cfg.control_port);
	for (int i = 0; i < CTL_MAX_PER_SOURCE; i++)
		CHECK(fds[i] >= 0 && read_line(fds[i], buf, sizeof(buf)) > 0 &&
		      strncmp(buf, CTL_CHAN_GREETING, sizeof(CTL_CHAN_GREETING) - 1) == 0);
	CHECK(fds[CTL_MAX_PER_SOURCE] < 0 ||
	      read_all(fds[CTL_MAX_PER_SOURCE], buf, sizeof(buf)) == 0);
	for (int i = 0; i < CTL_MAX_PER_SOURCE + 1; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	ctl_server_stop(other);
	rmdir(dir);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "commands", test_commands },
		{ "fault_grammar", test_fault_grammar },
		{ "junk_and_long_lines", test_junk_and_long_lines },
		{ "client_gone_before_reply", test_client_gone_before_reply },
		{ "too_many_clients", test_too_many_clients },
		{ "slow_client_cut_off", test_slow_client_cut_off },
		{ "socket_is_private", test_socket_is_private },
		{ "http_and_tcp_listeners", test_http_and_tcp_listeners },
	};
	struct ctl_server_stats st;
	struct ctl_server *s;
	char err[256];

	int rc;

	snprintf(sock_path, sizeof(sock_path), "/tmp/pk-ctl-test-%d/ctl.sock", (int)getpid());
	s = server = ctl_server_start(sock_path, &host, err, sizeof(err));
	if (s == NULL) {
		printf("cannot start: %s\n", err);
		return 1;
	}
	rc = check_run(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
	ctl_server_stats(s, &st);
	printf("control server: %llu connections, %llu refused, %llu commands, %llu errors, "
	       "%llu long lines, %llu slow clients cut off\n",
	       (unsigned long long)st.connections, (unsigned long long)st.refused,
	       (unsigned long long)st.commands, (unsigned long long)st.errors,
	       (unsigned long long)st.long_lines, (unsigned long long)st.slow_clients);
	ctl_server_stop(s);
	if (access(sock_path, F_OK) == 0) {
		printf("socket file left behind\n");
		rc = 1;
	}
	*strrchr(sock_path, '/') = 0;
	rmdir(sock_path);
	return rc;
}
