/* Control commands (see commands.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "parnik/config.h"

#define MAX_ARGS 8

static const char help_text[] =
	"help | ping | status | stats | config | lists | keys PARTITION [FROM [LIMIT]] | "
	"add-accept ID QUORUM | rm-accept ID QUORUM | add-prepare ID QUORUM | "
	"rm-prepare ID QUORUM | set-config EPOCH PREPARE_IDS QP ACCEPT_IDS QA | admit | "
	"rescan [WINDOW] | catchup NODE [WINDOW] | job | gc [hold [SECONDS]|release] | floors | "
	"raise-floor PARTITION BALLOT VERSION | fault [clear | [dir=in|out|both] "
	"[to=peers|clients|ID,...] [loss=PCT] [dup=PCT] [delay=MS] [jitter=MS]] | metrics | "
	"shutdown";

static size_t
error_reply(char *out, size_t cap, const char *msg)
{
	struct ctl_json j;

	ctl_json_init(&j, out, cap);
	ctl_json_open(&j, NULL);
	ctl_json_bool(&j, "ok", false);
	ctl_json_str(&j, "error", msg);
	ctl_json_close(&j);
	return j.len;
}

static int
split(char *line, char **argv)
{
	char *save = NULL;
	int n = 0;

	for (char *t = strtok_r(line, " \t\r", &save); t != NULL; t = strtok_r(NULL, " \t\r", &save)) {
		if (n == MAX_ARGS)
			return -1;
		argv[n++] = t;
	}
	return n;
}

static bool
parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != 0 || x > max)
		return false;
	*v = x;
	return true;
}

/* metrics: the Prometheus text as one JSON string, "text". */
static size_t
run_metrics(const struct ctl_host *h, int argc, char *out, size_t cap)
{
	static char text[CTL_METRICS_MAX];
	struct ctl_json j;
	size_t len;

	if (argc > 1)
		return error_reply(out, cap, "this command takes no argument");
	if (h->metrics == NULL || (len = h->metrics(h->ctx, text, sizeof(text))) == 0)
		return error_reply(out, cap, "no metrics (too large, or not served here)");
	ctl_json_init(&j, out, cap);
	ctl_json_open(&j, NULL);
	ctl_json_bool(&j, "ok", true);
	ctl_json_str(&j, "text", text);
	ctl_json_close(&j);
	if (j.overflow)
		return error_reply(out, cap, "reply too large");
	return j.len;
}

/* keys PARTITION [FROM [LIMIT]] */
static size_t
run_keys(const struct ctl_host *h, int argc, char **argv, char *out, size_t cap)
{
	uint64_t partition, from = 0, limit = 100;
	struct ctl_json j;

	if (argc < 2 || argc > 4 || !parse_u64(argv[1], 65535, &partition) ||
	    (argc > 2 && !parse_u64(argv[2], UINT64_MAX, &from)) ||
	    (argc > 3 && (!parse_u64(argv[3], CTL_KEYS_PAGE_MAX, &limit) || limit == 0)))
		return error_reply(out, cap, "usage: keys PARTITION [FROM [LIMIT]] (LIMIT 1..1000)");
	ctl_json_init(&j, out, cap);
	ctl_json_open(&j, NULL);
	ctl_json_bool(&j, "ok", true);
	ctl_json_u64(&j, "partition", partition);
	if (h->keys(h->ctx, (uint16_t)partition, from, (uint32_t)limit, &j) != 0)
		return error_reply(out, cap, "no such partition");
	ctl_json_close(&j);
	if (j.overflow)
		return error_reply(out, cap, "reply too large: ask for a smaller LIMIT");
	return j.len;
}

/* add-accept | rm-accept | add-prepare | rm-prepare  ID QUORUM */
static size_t
run_edit(const struct ctl_host *h, int argc, char **argv, char *out, size_t cap)
{
	bool add = strncmp(argv[0], "add-", 4) == 0;
	bool prepare = strcmp(argv[0] + 3 + add, "prepare") == 0;
	uint64_t id, quorum;
	struct ctl_json j;
	char err[160];

	if (argc != 3 || !parse_u64(argv[1], 15, &id) || !parse_u64(argv[2], 16, &quorum))
		return error_reply(out, cap, "usage: add-accept|rm-accept|add-prepare|rm-prepare "
					     "ID QUORUM (ID 0..15)");
	ctl_json_init(&j, out, cap);
	ctl_json_open(&j, NULL);
	ctl_json_bool(&j, "ok", true);
	if (h->edit_list(h->ctx, prepare, add, (uint16_t)id, (uint8_t)quorum, &j, err,
			 sizeof(err)) != 0)
		return error_reply(out, cap, err);
	ctl_json_close(&j);
	return j.len;
}

/* set-config EPOCH PREPARE_IDS QP ACCEPT_IDS QA */
static size_t
run_set_config(const struct ctl_host *h, int argc, char **argv, char *out, size_t cap)
{
	uint64_t epoch, qp, qa;
	uint16_t prepare, accept;
	struct ctl_json j;
	char err[200];

	if (argc != 6 || !parse_u64(argv[1], UINT32_MAX, &epoch) || epoch == 0 ||
	    !pk_ids_parse(argv[2], &prepare) || !parse_u64(argv[3], 16, &qp) ||
	    !pk_ids_parse(argv[4], &accept) || !parse_u64(argv[5], 16, &qa))
		return error_reply(out, cap, "usage: set-config EPOCH PREPARE_IDS QP ACCEPT_IDS QA "
					     "(e.g. set-config 7 0,1,2 2 0,1,2,3 3)");
	ctl_json_init(&j, out, cap);
	ctl_json_open(&j, NULL);
	ctl_json_bool(&j, "ok", true);
	if (h->set_config(h->ctx, (uint32_t)epoch, prepare, (uint8_t)qp, accept, (uint8_t)qa, &j,
			  err, sizeof(err)) != 0)
		return error_reply(out, cap, err);
	ctl_json_close(&j);
	return j.len;
}

/* admit | rescan [WINDOW] | catchup NODE [WINDOW] | job */
static size_t
run_job_command(const struct ctl_host *h, int argc, char **argv, char *out, size_t cap)
{
	bool rescan = strcmp(argv[0], "rescan") == 0;
	bool catchup = strcmp(argv[0], "catchup") == 0;
	uint64_t window = 64, node = 0;
	struct ctl_json j;
	char err[200];
	int rc = 0;

	if (rescan && (argc > 2 || (argc == 2 && !parse_u64(argv[1], 1024, &window))))
		return error_reply(out, cap, "usage: rescan [WINDOW] (1..1024)");
	if (catchup && (argc < 2 || argc > 3 || !parse_u64(argv[1], 15, &node) ||
			(argc == 3 && !parse_u64(argv[2], 1024, &window))))
		return error_reply(out, cap, "usage: catchup NODE [WINDOW] (NODE 0..15, "
					     "WINDOW 1..1024)");
	if (!rescan && !catchup && argc != 1)
		return error_reply(out, cap, "this command takes no argument");
	ctl_json_init(&j, out, cap);
	ctl_json_open(&j, NULL);
	ctl_json_bool(&j, "ok", true);
	if (rescan)
		rc = h->rescan(h->ctx, (uint32_t)window, &j, err, sizeof(err));
	else if (catchup)
		rc = h->catchup(h->ctx, (uint16_t)node, (uint32_t)window, &j, err, sizeof(err));
	else if (strcmp(argv[0], "admit") == 0)
		rc = h->admit(h->ctx, &j, err, sizeof(err));
	else
		h->job(h->ctx, &j);
	if (rc != 0)
		return error_reply(out, cap, err);
	ctl_json_close(&j);
	return j.len;
}

/* gc | gc hold [SECONDS] | gc release */
static size_t
run_gc(const struct ctl_host *h, int argc, char **argv, char *out, size_t cap)
{
	int action = CTL_GC_SWEEP;
	uint64_t hold_s = CTL_GC_HOLD_DEFAULT_S;
	struct ctl_json j;
	char err[200];

	if ((argc == 2 || argc == 3) && strcmp(argv[1], "hold") == 0 &&
	    (argc == 2 || (parse_u64(argv[2], CTL_GC_HOLD_MAX_S, &hold_s) && hold_s > 0)))
		action = CTL_GC_HOLD;
	else if (argc == 2 && strcmp(argv[1], "release") == 0)
		action = CTL_GC_RELEASE;
	else if (argc != 1)
		return error_reply(out, cap, "usage: gc [hold [SECONDS 1..86400, default 600] | "
				   "release]");
	ctl_json_init(&j, out, cap);
	ctl_json_open(&j, NULL);
	ctl_json_bool(&j, "ok", true);
	if (h->gc(h->ctx, action, (uint32_t)hold_s, &j, err, sizeof(err)) != 0)
		return error_reply(out, cap, err);
	ctl_json_close(&j);
	return j.len;
}

/* raise-floor PARTITION COUNTER.INCARNATION.NODE.WORKER VERSION */
static size_t
run_raise_floor(const struct ctl_host *h, int argc, char **argv, char *out, size_t cap)
{
	uint64_t partition, version;
	struct pk_ballot b;
	struct ctl_json j;
	char err[200];

	if (argc != 4 || !parse_u64(argv[1], 65535, &partition) || !pk_ballot_parse(argv[2], &b) ||
	    !parse_u64(argv[3], UINT64_MAX, &version))
		return error_reply(out, cap, "usage: raise-floor PARTITION "
				   "COUNTER.INCARNATION.NODE.WORKER VERSION");
	/* The bounds peers are held to (parnik/types.h), with room to work
	 * above: a floor at them would stop the partition creating keys.
	 */
	if (b.counter > PK_BALLOT_COUNTER_MAX - PK_BALLOT_COUNTER_JUMP ||
	    version > PK_VERSION_MAX - (1ull << 32))
		return error_reply(out, cap, "raise-floor: counter or version past the bounds "
				   "(2^62, less room to work above): refused");
	ctl_json_init(&j, out, cap);
	ctl_json_open(&j, NULL);
	ctl_json_bool(&j, "ok", true);
	if (h->raise_floor(h->ctx, (uint16_t)partition, &b, version, &j, err, sizeof(err)) != 0)
		return error_reply(out, cap, err);
	ctl_json_close(&j);
	return j.len;
}

/* fault | fault clear | fault SETTING... (fault_spec.h) */
static size_t
run_fault(const struct ctl_host *h, int argc, char **argv, char *out, size_t cap)
{
	struct ctl_fault f;
	struct ctl_json j;
	char err[160];

	if (argc > 1 && ctl_fault_parse(argc, argv, &f, err, sizeof(err)) != 0)
		return error_reply(out, cap, err);
	ctl_json_init(&j, out, cap);
	ctl_json_open(&j, NULL);
	ctl_json_bool(&j, "ok", true);
	if (h->fault(h->ctx, argc > 1 ? &f : NULL, &j, err, sizeof(err)) != 0)
		return error_reply(out, cap, err);
	ctl_json_close(&j);
	return j.len;
}

static bool
is_edit(const char *cmd)
{
	return strcmp(cmd, "add-accept") == 0 || strcmp(cmd, "rm-accept") == 0 ||
	       strcmp(cmd, "add-prepare") == 0 || strcmp(cmd, "rm-prepare") == 0;
}

size_t
ctl_command_run(const struct ctl_host *h, const char *line, char *out, size_t cap)
{
	char copy[512];
	char *argv[MAX_ARGS];
	struct ctl_json j;
	int argc;
	void (*fill)(void *, struct ctl_json *) = NULL;

	if (strlen(line) >= sizeof(copy))
		return error_reply(out, cap, "command too long");
	strcpy(copy, line);
	argc = split(copy, argv);
	if (argc < 0)
		return error_reply(out, cap, "too many arguments");
	if (argc == 0)
		return error_reply(out, cap, "empty command (try: help)");
	if (strcmp(argv[0], "keys") == 0)
		return run_keys(h, argc, argv, out, cap);
	if (is_edit(argv[0]))
		return run_edit(h, argc, argv, out, cap);
	if (strcmp(argv[0], "set-config") == 0)
		return run_set_config(h, argc, argv, out, cap);
	if (strcmp(argv[0], "gc") == 0)
		return run_gc(h, argc, argv, out, cap);
	if (strcmp(argv[0], "raise-floor") == 0)
		return run_raise_floor(h, argc, argv, out, cap);
	if (strcmp(argv[0], "fault") == 0)
		return run_fault(h, argc, argv, out, cap);
	if (strcmp(argv[0], "admit") == 0 || strcmp(argv[0], "rescan") == 0 ||
	    strcmp(argv[0], "catchup") == 0 || strcmp(argv[0], "job") == 0)
		return run_job_command(h, argc, argv, out, cap);
	if (strcmp(argv[0], "metrics") == 0)
		return run_metrics(h, argc, out, cap);
	if (strcmp(argv[0], "status") == 0)
		fill = h->status;
	else if (strcmp(argv[0], "stats") == 0)
		fill = h->stats;
	else if (strcmp(argv[0], "config") == 0)
		fill = h->config;
	else if (strcmp(argv[0], "lists") == 0)
		fill = h->lists;
	else if (strcmp(argv[0], "floors") == 0)
		fill = h->floors;
	else if (strcmp(argv[0], "shutdown") != 0 && strcmp(argv[0], "help") != 0 &&
		 strcmp(argv[0], "ping") != 0) {
		char msg[96];

		snprintf(msg, sizeof(msg), "unknown command '%.40s' (try: help)", argv[0]);
		return error_reply(out, cap, msg);
	}
	if (argc > 1)
		return error_reply(out, cap, "this command takes no argument");
	ctl_json_init(&j, out, cap);
	ctl_json_open(&j, NULL);
	ctl_json_bool(&j, "ok", true);
	if (fill != NULL)
		fill(h->ctx, &j);
	else if (strcmp(argv[0], "help") == 0)
		ctl_json_str(&j, "commands", help_text);
	else if (strcmp(argv[0], "shutdown") == 0) {
		h->shutdown(h->ctx);
		ctl_json_str(&j, "shutdown", "stopping");
	}
	ctl_json_close(&j);
	if (j.overflow)
		return error_reply(out, cap, "reply too large");
	return j.len;
}
