/* Fuzz harness for the parsers of text and frames that take outside
 * input: the control socket's command line (every command, with a fake
 * replica behind it), the `fault` rule, member id lists, ballots, client
 * server lists, parnikd's command line and the frame classifier. The
 * first byte picks the parser, the rest is its input. Besides the
 * sanitizers' checks, each has a property:
 *  - a control reply is one JSON object, {"ok":...}, within its buffer;
 *  - a ballot or fault rule that parses formats back to text that parses
 *    to the same value (the round trip);
 *  - an id list parses to ids 0..15 only;
 *  - a classified frame's payload lies inside the frame.
 *
 * Built as fuzz_wire.c is: -DPK_FUZZ_STANDALONE runs a corpus as a unit
 * test (FUZZ_TEXT_BREAK=1 breaks the ballot round trip, which the check
 * must catch), otherwise a libFuzzer target.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fault_spec.h"
#include "options.h"
#include "packet.h"
#include "parnik/client.h"
#include "parnik/config.h"
#include "parnik/types.h"
#include "servers.h"

enum target { T_CONTROL, T_FAULT, T_IDS, T_BALLOT, T_SERVERS, T_OPTIONS, T_FRAME, T_COUNT };

static int taken[T_COUNT];	/* inputs each parser accepted */

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_text: %s\n", what);
	abort();
}

/* ---- a replica behind the control socket: every callback answers ---- */

static void
fill(void *ctx, struct ctl_json *j)
{
	(void)ctx;
	ctl_json_u64(j, "node", 1);
}

static int
keys(void *ctx, uint16_t partition, uint64_t from, uint32_t limit, struct ctl_json *j)
{
	(void)ctx;
	(void)from;
	(void)limit;
	ctl_json_u64(j, "partition", partition);
	return partition < 4 ? 0 : -1;
}

static int
edit_list(void *ctx, bool prepare, bool add, uint16_t id, uint8_t quorum, struct ctl_json *j,
	  char *err, size_t errlen)
{
	(void)ctx;
	(void)prepare;
	(void)add;
	(void)quorum;
	(void)j;
	snprintf(err, errlen, "no member %u", id);
	return id < 3 ? 0 : -1;
}

static int
set_config(void *ctx, uint32_t epoch, uint16_t prepare, uint8_t qp, uint16_t accept, uint8_t qa,
	   struct ctl_json *j, char *err, size_t errlen)
{
	(void)ctx;
	(void)prepare;
	(void)qp;
	(void)accept;
	(void)qa;
	(void)err;
	(void)errlen;
	ctl_json_u64(j, "epoch", epoch);
	return 0;
}

static int
admit(void *ctx, struct ctl_json *j, char *err, size_t errlen)
{
	(void)ctx;
	(void)j;
	snprintf(err, errlen, "still listed");
	return -1;
}

static int
rescan(void *ctx, uint32_t window, struct ctl_json *j, char *err, size_t errlen)
{
	(void)ctx;
	(void)err;
	(void)errlen;
	ctl_json_u64(j, "window", window);
	return 0;
}

static int
catchup(void *ctx, uint16_t target, uint32_t window, struct ctl_json *j, char *err, size_t errlen)
{
	(void)target;
	return rescan(ctx, window, j, err, errlen);
}

static int
gc(void *ctx, int action, uint32_t hold_s, struct ctl_json *j, char *err, size_t errlen)
{
	(void)action;
	return rescan(ctx, hold_s, j, err, errlen);
}

static int
raise_floor(void *ctx, uint16_t partition, const struct pk_ballot *ballot, uint64_t version,
	    struct ctl_json *j, char *err, size_t errlen)
{
	char b[PK_BALLOT_TEXT];

	(void)ctx;
	(void)version;
	pk_ballot_format(ballot, b, sizeof(b));
	ctl_json_str(j, "ballot", b);
	snprintf(err, errlen, "no partition");
	return partition < 4 ? 0 : -1;
}

static int
fault(void *ctx, const struct ctl_fault *f, struct ctl_json *j, char *err, size_t errlen)
{
	char text[160];

	(void)ctx;
	(void)err;
	(void)errlen;
	if (f != NULL)
		ctl_fault_format(f, text, sizeof(text));
	ctl_json_str(j, "fault", f != NULL ? text : "none");
	return 0;
}

static void
shutdown_fn(void *ctx)
{
	(void)ctx;
}

static const struct ctl_host host = {
	.status = fill, .stats = fill, .config = fill, .lists = fill, .keys = keys,
	.edit_list = edit_list, .set_config = set_config, .admit = admit, .rescan = rescan,
	.catchup = catchup, .gc = gc, .floors = fill, .raise_floor = raise_floor,
	.fault = fault, .job = fill, .shutdown = shutdown_fn,
};

/* ---- the parsers ---- */

static void
control(const char *line)
{
	char out[2048];
	size_t n = ctl_command_run(&host, line, out, sizeof(out));

	if (n == 0 || n >= sizeof(out) || strncmp(out, "{\"ok\":", 6) != 0 || out[n - 1] != '}')
		fail("a control reply that is not one JSON object");
	taken[T_CONTROL] += strncmp(out, "{\"ok\":true", 10) == 0;
}

/* Splits <text> at spaces into at most 16 arguments after argv[0]. */
static int
split(char *text, char **argv, const char *argv0)
{
	int n = 0;
	char *save = NULL;

	argv[n++] = (char *)argv0;
	for (char *t = strtok_r(text, " ", &save); t != NULL && n < 17;
	     t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	argv[n] = NULL;
	return n;
}

static bool
fault_equal(const struct ctl_fault *a, const struct ctl_fault *b)
{
	return a->loss_ppm == b->loss_ppm && a->dup_ppm == b->dup_ppm &&
	       a->delay_us == b->delay_us && a->jitter_us == b->jitter_us &&
	       a->peers == b->peers && a->clients == b->clients && a->dir == b->dir;
}

static void
fault_rule(char *text)
{
	char *argv[18], again[256], err[160];
	struct ctl_fault f, g;
	int argc = split(text, argv, "fault");

	if (argc < 2 || ctl_fault_parse(argc, argv, &f, err, sizeof(err)) != 0 || f.dir == 0)
		return;
	taken[T_FAULT]++;
	ctl_fault_format(&f, again, sizeof(again));
	argc = split(again, argv, "fault");
	if (ctl_fault_parse(argc, argv, &g, err, sizeof(err)) != 0 || !fault_equal(&f, &g))
		fail("a fault rule does not survive format and parse");
}

static void
ballot(const char *text)
{
	struct pk_ballot a, b;
	char again[PK_BALLOT_TEXT];

	if (!pk_ballot_parse(text, &a))
		return;
	taken[T_BALLOT]++;
	pk_ballot_format(&a, again, sizeof(again));
#ifdef PK_FUZZ_STANDALONE
	if (getenv("FUZZ_TEXT_BREAK") != NULL)
		again[0] = again[0] == '9' ? '1' : (char)(again[0] + 1);	/* the negative test */
#endif
	if (!pk_ballot_parse(again, &b) || pk_ballot_cmp(&a, &b) != 0)
		fail("a ballot does not survive format and parse");
}

static void
ids(const char *text)
{
	uint16_t mask = 0;

	if (pk_ids_parse(text, &mask))
		taken[T_IDS]++;
}

static void
servers(const char *text)
{
	struct sockaddr_in out[PK_CLIENT_MAX_SERVERS];
	unsigned int n = 0;
	char err[256];

	if (pk_servers_parse(text, 4, out, &n, err, sizeof(err)) == 0)
		taken[T_SERVERS]++;
	if (n > PK_CLIENT_MAX_SERVERS)
		fail("more servers than the array holds");
}

static void
options(char *text)
{
	static FILE *devnull;
	static struct dp_options o;
	char *argv[18], err[256];
	int argc = split(text, argv, "parnikd");

	if (devnull == NULL)
		devnull = fopen("/dev/null", "w");
	opterr = 0;
	optind = 0;	/* glibc: start getopt over */
	if (dp_options_parse(&o, argc, argv, devnull, err, sizeof(err)) == 0)
		taken[T_OPTIONS]++;
}

static void
frame(const uint8_t *data, size_t size)
{
	static const struct dp_iface ifc = { .mac = { 2, 0x50, 0x4b, 0, 0, 1 },
					     .ip = 0x0100a8c0, .base_port = 7700,
					     .partitions = 4 };
	uint8_t buf[2048];
	struct dp_parsed pp;
	uint16_t len = (uint16_t)(size < sizeof(buf) ? size : sizeof(buf));

	memcpy(buf, data, len);
	dp_packet_classify(&ifc, buf, len, &pp);
	if (pp.verdict == DP_PAYLOAD) {
		taken[T_FRAME]++;
		if (pp.partition >= ifc.partitions || pp.payload_off + pp.payload_len > len)
			fail("a payload outside its frame");
	}
	if (pp.verdict == DP_REPLY && pp.reply_len > len)
		fail("a reply longer than the frame it was written in");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[1024];
	size_t n;

	if (size == 0)
		return 0;
	if (data[0] % T_COUNT == T_FRAME) {
		frame(data + 1, size - 1);
		return 0;
	}
	n = size - 1 < sizeof(text) - 1 ? size - 1 : sizeof(text) - 1;
	memcpy(text, data + 1, n);
	text[n] = 0;
	switch (data[0] % T_COUNT) {
	case T_CONTROL: control(text); break;
	case T_FAULT: fault_rule(text); break;
	case T_IDS: ids(text); break;
	case T_BALLOT: ballot(text); break;
	case T_SERVERS: servers(text); break;
	default: options(text); break;
	}
	return 0;
}

#ifdef PK_FUZZ_STANDALONE
#include "standalone.h"

void
fuzz_standalone_report(int runs)
{
	printf("fuzz_text: %d input(s); taken: control %d, fault %d, ids %d, ballot %d, "
	       "servers %d, options %d, frames %d\n", runs, taken[T_CONTROL], taken[T_FAULT],
	       taken[T_IDS], taken[T_BALLOT], taken[T_SERVERS], taken[T_OPTIONS], taken[T_FRAME]);
}
#endif
