/* parnik-bench: load on a Parnik cluster through libparnik (kernel UDP,
 * sendmmsg / recvmmsg, several requests per datagram; or, with --dpdk, DPDK
 * ports of its own: dpdk_transport.h).
 *
 * T threads, each with its own client and up to D requests in flight, run a
 * workload (workload.h) for S seconds or N ops, in one of two loops:
 *  - closed: every completion frees a slot that is refilled at once; the
 *    latency of a request runs from its submit;
 *  - open (--rate R): requests are due at fixed or Poisson-spaced times,
 *    R per second over all threads, whatever the cluster does; the latency
 *    runs from the time a request was due, so a stall shows in full instead
 *    of being hidden (no coordinated omission). A request due while the
 *    window is full waits for a slot, and the summary tells a cluster that
 *    saturated from a client that could not send that fast.
 * It prints a per-second table and a summary (report.h); --json writes
 * everything; --check records the history and checks it for
 * linearizability.
 */
#define _GNU_SOURCE /* PR_SET_TIMERSLACK */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "dpdk_transport.h"
#include "echo.h"
#include "final_reads.h"
#include "lincheck.h"
#include "parnik/client.h"
#include "parnik/keyfile.h"
#include "parnik/hist.h"
#include "report.h"
#include "workload.h"

#define MAX_THREADS 64
#define MAX_SECONDS 3600
#define MAX_DEPTH 4096
#define VERSION_SLOTS (1u << 20)	/* per thread: last version seen, by key */
/* An open-loop send later than this with the window open is the client's
 * own delay (scheduling, CPU), not the cluster's.
 */
#define CLIENT_LATE_NS 1000000u
/* Shares of an open-loop run: completing 97% of the requests due reaches
 * the rate; 1% of the due requests delayed by a full window is a saturated
 * cluster; short of the rate otherwise, the client itself fell behind.
 */

enum exit_code { EXIT_OK = 0, EXIT_NOT_LINEARIZABLE = 1, EXIT_USAGE = 2,
		 EXIT_RATE_NOT_OFFERED = 3, EXIT_CLUSTER = 6, EXIT_PORTS = 7 };

enum { OPT_ECHO = 256, OPT_VERSION };

struct opts {
	struct pk_client_config client;
	unsigned int echo;	/* --echo N: round trips to the echo port, no load */
	uint8_t client_secret[PK_AUTH_SECRET_LEN];	/* --key */
	struct workload wl;
	unsigned int threads;
	unsigned int depth;
	unsigned int seconds;
	uint64_t max_ops;	/* per thread; 0: unbounded */
	double rate;		/* open loop, ops/s over all threads; 0: closed loop */
	bool poisson;		/* open-loop arrivals: Poisson (default) or evenly spaced */
	bool check;
	bool final_reads;	/* read every key through each replica at the end */
	unsigned int unknown_horizon_s;	/* --final-reads: an unknown write may land this late */
	bool pin;		/* thread i sends everything to replica i */
	bool sequential;	/* each key once, in order, then stop */
	const char *history;
	const char *json;
	bool threads_given;
	struct bench_dpdk_config dpdk;	/* DPDK mode when it names a port */
	const char *dpdk_ip;
	char mix_text[128];
	char dist_text[64];
};

struct worker {
	unsigned int id;
	const struct opts *o;
	pthread_t thread;
	uint64_t rng;
	struct record *rec;	/* every op, when checking */
	uint64_t nrec, cap;
	uint64_t sent;
	uint64_t by_status[64];
	uint64_t *last_version;	/* [VERSION_SLOTS], by key */
	struct sec_row *rows;	/* [MAX_SECONDS + 1] */
	struct pk_hist total;
	/* open loop */
	uint64_t not_sent, window_waits, late_sends;
	uint64_t throttled;	/* BUSY from the client's own throttle */
	struct pk_hist client_lag;
	struct pk_hist service;	/* open loop: admitted requests, from submit */
	uint64_t last_completion;	/* ns */
	atomic_bool finished;
	char err[256];
};

/* A request in flight. */
struct slot_ctx {
	uint64_t rec;		/* index into w->rec */
	uint64_t start;		/* latency origin: submit (closed) or due time (open) */
	uint64_t submitted;	/* open loop: when it was handed to the client */
	uint8_t op;
	uint32_t key;
};

static uint64_t start_ns;
static atomic_bool stop_all;
/* Keys are "<prefix>-<n>" with a prefix new for every run: the checker
 * assumes every history starts from absent keys.
 */
static char key_prefix[32];

/* Key number <k>'s name; returns its length. */
static int
key_name(char *buf, size_t size, uint32_t k)
{
	return snprintf(buf, size, "%s-%u", key_prefix, k);
}

static void
on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop_all, true);
}

static unsigned int
second_of(uint64_t t)
{
	uint64_t s = (t - start_ns) / 1000000000u;

	return s < MAX_SECONDS ? (unsigned int)s : MAX_SECONDS;
}

/* The gap to the next due request of one thread, in ns. */
static uint64_t
next_gap(struct worker *w)
{
	double mean = 1e9 * w->o->threads / w->o->rate;

	if (!w->o->poisson)
		return (uint64_t)mean;
	return (uint64_t)(-log(1.0 - (double)(workload_rand(&w->rng) >> 11) * 0x1.0p-53) * mean);
}

/* Builds and submits one request; returns false when the client refused it
 * (it was never sent).
 */
static bool
issue(struct worker *w, struct pk_client *c, struct slot_ctx *x, uint64_t seq, uint64_t now)
{
	const struct opts *o = w->o;
	char key[48], val[PK_MAX_VALUE];
	struct pk_request req;
	int64_t v = (int64_t)(w->id + 1) * 1000000000 + (int64_t)seq;

	memset(&req, 0, sizeof(req));
	x->op = workload_pick_op(&o->wl, &w->rng);
	x->key = o->sequential ? w->id + (uint32_t)(w->sent * o->threads)
			       : workload_pick_key(&o->wl, &w->rng);
	req.op = x->op;
	req.key = key;
	req.key_len = (size_t)key_name(key, sizeof(key), x->key);
	if (x->op == PK_OP_PUT || x->op == PK_OP_CAS) {
		req.value = val;
		req.len = workload_format_value(&o->wl, v, val);
	}
	if (x->op == PK_OP_CAS)
		req.arg = w->last_version[x->key % VERSION_SLOTS];
	if (x->op == PK_OP_ADD)
		req.arg = (uint64_t)(int64_t)(workload_rand(&w->rng) % 9) - 4;
	if (o->check) {
		struct record *r;

		if (w->nrec == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 4096;
			w->rec = realloc(w->rec, w->cap * sizeof(*w->rec));
			if (w->rec == NULL)
				abort();
		}
		r = &w->rec[w->nrec];
		memset(r, 0, sizeof(*r));
		r->op = x->op;
		r->key = x->key;
		r->arg = req.arg;
		r->written = v;
		r->invoke = now - start_ns;
		x->rec = w->nrec;
	}
	if (pk_client_submit(c, &req, x) != 0)
		return false;
	w->nrec += o->check;
	w->sent++;
	w->rows[second_of(now)].sent++;
	return true;
}

static void
complete(struct worker *w, const struct pk_completion *d, uint64_t t)
{
	const struct opts *o = w->o;
	const struct slot_ctx *x = d->user;
	const struct pk_result *res = &d->result;
	struct sec_row *row = &w->rows[second_of(t)];
	uint64_t lat = t - x->start;

	row->done++;
	w->by_status[res->status & 63]++;
	if (res->no_reply)
		row->timeouts++;
	else if (res->status == PK_BUSY)
		row->busy++;
	else if (res->status > PK_OVERFLOW)
		row->errors++;
	/* Latency of the admitted requests: a request shed after all its
	 * tries says nothing about how long the cluster takes to serve.
	 */
	if (res->no_reply || res->status != PK_BUSY) {
		pk_hist_record(&row->lat, lat);
		pk_hist_record(&w->total, lat);
		if (o->rate > 0)
			pk_hist_record(&w->service, t - x->submitted);
	}
	/* Every definite reply carries the visible version (DEL's is its
	 * tombstone's: the key's visible version is then 0).
	 */
	if (res->status <= PK_OVERFLOW)
		w->last_version[x->key % VERSION_SLOTS] = x->op == PK_OP_DEL ? 0 : res->version;
	if (o->check)
		record_result(&w->rec[x->rec], res, t - start_ns);
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	const bool open_loop = o->rate > 0;
	struct pk_client_config cfg = o->client;
	struct slot_ctx *ctx = calloc(o->depth, sizeof(*ctx));
	uint32_t *free_ctx = calloc(o->depth, sizeof(*free_ctx));
	struct pk_completion *done = calloc(o->depth, sizeof(*done));
	struct pk_client *c;
	uint32_t nfree = o->depth;
	uint64_t seq = 0;
	uint64_t deadline = start_ns + (uint64_t)o->seconds * 1000000000u;
	/* open loop: when the next request is due, and whether the sends are
	 * behind because the window filled (from the moment a due request
	 * finds no free slot until the sends catch up with the schedule)
	 */
	uint64_t due = start_ns + (open_loop ? (uint64_t)(1e9 * w->id / o->rate) : 0);
	bool waited = false;

	prctl(PR_SET_TIMERSLACK, 1000UL);	/* wake at the due time, not 50 us after */
	cfg.home = o->pin ? (int)w->id : -1;	/* else each key to its replica */
	c = pk_client_open(&cfg, w->err, sizeof(w->err));
	if (c == NULL || ctx == NULL || free_ctx == NULL || done == NULL)
		goto out;
	for (uint32_t i = 0; i < o->depth; i++)
		free_ctx[i] = i;
	/* The schedule starts once this thread is ready to send. */
	due += record_now_ns() - start_ns;
	for (;;) {
		uint64_t now = record_now_ns();
		int64_t wait_us = 100000;
		bool more;
		int n;

		/* The op and key bounds hold for every request, not once a pass. */
		while ((more = !atomic_load(&stop_all) && now < deadline &&
			       (o->max_ops == 0 || w->sent < o->max_ops) &&
			       (!o->sequential || w->id + w->sent * o->threads < o->wl.keys) &&
			       (!open_loop || due < deadline)) &&
		       nfree > 0 && (!open_loop || due <= now)) {
			uint32_t s = free_ctx[--nfree];
			struct slot_ctx *x = &ctx[s];

			x->start = open_loop ? due : now;
			x->submitted = now;
			if (!issue(w, c, x, ++seq, now)) {
				free_ctx[nfree++] = s;
				break;
			}
			if (open_loop) {
				if (waited)
					w->window_waits++;
				else
					pk_hist_record(&w->client_lag, now - due);
				w->late_sends += !waited && now - due > CLIENT_LATE_NS;
				due += next_gap(w);
				now = record_now_ns();
				waited = waited && due <= now;
			}
		}
		if (open_loop && more && nfree == 0 && due <= now)
			waited = true;
		if (!more && pk_client_inflight(c) == 0)
			break;
		if (open_loop && more && nfree > 0)
			wait_us = due > now ? (int64_t)((due - now) / 1000u) : 0;
		n = pk_client_poll_us(c, done, (int)o->depth, wait_us);
		if (n < 0) {
			snprintf(w->err, sizeof(w->err), "client socket failed");
			break;
		}
		now = record_now_ns();
		if (n > 0)
			w->last_completion = now;
		for (int i = 0; i < n; i++) {
			complete(w, &done[i], now);
			free_ctx[nfree++] = (uint32_t)((struct slot_ctx *)done[i].user - ctx);
		}
	}
	/* Requests due before the end that never went out. */
	while (open_loop && due < deadline && !atomic_load(&stop_all)) {
		w->not_sent++;
		due += next_gap(w);
	}
	w->throttled = pk_client_throttled(c);
out:
	pk_client_close(c);
	free(ctx);
	free(free_ctx);
	free(done);
	atomic_store(&w->finished, true);
	return NULL;
}

/* Adds record <r> of client <client> to <h>. */
static void
replay(struct lin_history *h, uint32_t client, const struct record *r, const struct workload *wl)
{
	char key[48], val[PK_MAX_VALUE], out[PK_MAX_VALUE];
	int kl = key_name(key, sizeof(key), r->key);
	/* The bytes as sent and received: a padded value is no integer to
	 * ADD, for the replica and the checker alike.
	 */
	int vl = (int)workload_format_value(wl, r->written, val);
	int ol = !r->has_result ? 0
		 : r->result_padded ? (int)workload_format_value(wl, r->result, out)
				    : snprintf(out, sizeof(out), "%" PRId64, r->result);
	uint32_t id = lin_invoke(h, client, key, (uint16_t)kl, r->op, r->arg, val, (uint16_t)vl,
				 r->invoke);

	if (r->complete != 0)	/* else never completed: unknown */
		lin_complete(h, id, r->complete, r->status, r->version, out, (uint16_t)ol);
}

/* Replays every thread's records, then the <nfinal> final reads, into one
 * history and checks it.
 */
static enum lin_verdict
check_history(struct worker *ws, unsigned int n, const struct record *final, uint64_t nfinal,
	      const struct workload *wl, const char *dump, uint64_t *total)
{
	struct lin_history *h = lin_new();
	struct lin_result res;

	/* The replicas' deletion GC may have run in this key's partition: a
	 * creation's version only has to be above the key's last.
	 */
	lin_allow_version_jumps(h);
	*total = 0;
	for (unsigned int t = 0; t < n; t++)
		for (uint64_t i = 0; i < ws[t].nrec; i++) {
			replay(h, t, &ws[t].rec[i], wl);
			(*total)++;
		}
	for (uint64_t i = 0; i < nfinal; i++) {
		replay(h, n, &final[i], wl);
		(*total)++;
	}
	if (dump != NULL) {
		FILE *f = fopen(dump, "w");

		if (f != NULL) {
			lin_dump(h, f);
			fclose(f);
		}
	}
	res = lin_check(h, stdout);
	printf("history: %" PRIu64 " ops over %u keys (%u with unknown outcome), %" PRIu64
	       " search states\n", *total, res.keys, res.unknown, res.states);
	lin_free(h);
	if (res.undecided_keys > 0 && res.bad_keys == 0) {
		printf("linearizable: undecided (search budget spent on %u keys)\n",
		       res.undecided_keys);
		return LIN_UNDECIDED;
	}
	printf("linearizable: %s\n", res.ok ? "yes" : "NO");
	return res.ok ? LIN_YES : LIN_NO;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: parnik-bench -s IPV4:PORT,... [options]\n"
		"\n"
		"cluster:\n"
		"  -s, --servers LIST     replicas (IPV4:BASEPORT,...); partition i of a replica\n"
		"                         listens on BASEPORT + i\n"
		"  -p, --partitions P     the cluster's partition count (default 1); a wrong one\n"
		"                         is reported before the run starts\n"
		"  -c, --cluster ID       cluster id (default 1)\n"
		"      --key FILE         the cluster's client key (default $PARNIK_KEY)\n"
		"      --timeout MS       per attempt (default 200); a request is sent 5 times\n"
		"      --pin              thread i sends to replica i (default: each key to one\n"
		"                         replica, the 1RTT-friendly routing)\n"
		"load:\n"
		"  -t, --threads T        client threads, each with its own socket (default 4)\n"
		"  -d, --depth D          requests in flight per thread, at most (default 16)\n"
		"  -S, --seconds S        run time (default 30, at most 3600)\n"
		"  -n, --ops N            stop each thread after N requests (default: no bound)\n"
		"  -r, --rate R           open loop: R requests/s over all threads, due at\n"
		"                         fixed times whatever the cluster does; latency runs\n"
		"                         from the time each was due (default: closed loop)\n"
		"      --arrival KIND     open-loop spacing: poisson (default) or uniform\n"
		"workload:\n"
		"  -m, --mix SPEC         weights by op, e.g. get=40,put=20,cas=20,add=20 (the\n"
		"                         default), put=1, get=90,put=10, del=1; cas writes on\n"
		"                         the version this thread last saw for the key\n"
		"      --reads PCT        PCT percent GETs, the rest the mix's writes\n"
		"  -k, --keys K           key space (default 1000, at most 10,000,000)\n"
		"      --dist D           uniform (default), zipf (theta 0.99) or zipf:THETA\n"
		"      --hot N:PCT        PCT percent of requests go to the first N keys\n"
		"      --value-size B     PUT / CAS values of B bytes (zero-padded digits, at\n"
		"                         most 1024; an ADD on one answers NOT_INTEGER, as the\n"
		"                         checker expects; default: the digits, ~10 bytes)\n"
		"      --sequential       every key once, in order (split over the threads),\n"
		"                         then stop: a fill, or a DEL of every key\n"
		"      --prefix P         key names P-0, P-1, ... (default: new for every run,\n"
		"                         since --check assumes keys that start absent)\n"
		"DPDK mode (instead of kernel UDP, no kernel on the path; --threads 1 unless\n"
		"given: each thread has its own UDP port, TX queue where the port has enough,\n"
		"and share of the RX queues, and passes on replies that land on another's):\n"
		"      --dpdk DEV         a DPDK port of this client's (repeat for several), e.g.\n"
		"                         a PCI NIC 0000:5e:00.0 (bound to vfio-pci), or\n"
		"                         net_af_packet0,iface=veth1,qdisc_bypass=1 or\n"
		"                         net_memif0,role=client,socket=/tmp/m0.sock,socket-abstract=no\n"
		"                         (bench/fabric.sh dpdk-client NAME prints them); every\n"
		"                         replica is found by ARP on whichever port reaches it\n"
		"      --dpdk-ip IPV4     this client's address on the ports' link (required)\n"
		"      --dpdk-queues Q    queue pairs per port (default 1); a memif port needs\n"
		"                         as many as the replica's worker lcores, which answer\n"
		"                         on their own queue (fabric.sh dpdk-client says so)\n"
		"      --eal \"ARGS\"       EAL arguments (default: --no-huge -m 256 --no-shconf\n"
		"                         --no-pci --log-level 4 --file-prefix parnik-bench-PID\n"
		"                         --lcores 0@(all CPUs))\n"
		"      --echo N           no load: N round trips of 64 bytes to the first\n"
		"                         replica's UDP echo port (7) over the same transport,\n"
		"                         and their percentiles (the floor under the latency)\n"
		"output:\n"
		"      --json FILE        setup, summary, open-loop figures, results by status\n"
		"                         and every second's row, as JSON\n"
		"      --check            record the history and check linearizability\n"
		"      --final-reads      after the load, read every key through each replica,\n"
		"                         check the reads with the history and count the\n"
		"                         acknowledged writes they do not show (lost writes;\n"
		"                         implies --check)\n"
		"      --unknown-horizon S  for that count, a write of unknown outcome may\n"
		"                         still land S seconds after it was sent (default 10)\n"
		"      --history FILE     also write the history (lincheck text format)\n"
		"  -h, --help             this text;  --version  the program's version\n"
		"\n"
		"Every second: ops/s (completions), [sent/s in open loop], p50 and p99 of that\n"
		"second's completions, busy (shed by the replicas after the client's retries,\n"
		"or refused by libparnik's own throttle: not applied), errors (other error\n"
		"replies) and timeouts (no reply at all).\n"
		"Latencies (of admitted requests: BUSY ones apart) come from a log-linear\n"
		"histogram (within 3.1%%), merged over threads.\n"
		"\n"
		"exit: 0 done (and linearizable with --check), 1 not linearizable, 2 usage,\n"
		"      3 open loop: this client could not offer the rate, 6 no replica answers, or\n"
		"      one runs another partition count (a silent replica among answering ones\n"
		"      is a warning: the cluster tolerates it), 7 the DPDK ports did not come up\n"
		"      or no replica answered ARP on them (some silent: a warning)\n");
}

static bool
parse_u(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (*s == '-' || *s == 0)
		return false;
	*out = strtoull(s, &end, 10);
	return *end == 0 && *out <= max;
}

/* DPDK mode: its ports, our address, one thread. Returns 0 or 2. */
static int
check_dpdk_args(struct opts *o)
{
	const char *bad = NULL;

	if (o->dpdk.nvdev == 0)
		bad = o->dpdk_ip != NULL || o->dpdk.eal != NULL || o->dpdk.queues > 0
			      ? "--dpdk-ip, --dpdk-queues and --eal go with --dpdk"
			      : NULL;
	else if (!DPDK_BUILT)
		bad = "built without DPDK (install libdpdk-dev and rebuild): no --dpdk";
	else if (o->dpdk_ip == NULL)
		bad = "--dpdk needs --dpdk-ip, this client's address on the ports' link";
	if (bad != NULL) {
		fprintf(stderr, "parnik-bench: %s\n", bad);
		return 2;
	}
	if (o->dpdk.nvdev > 0) {
		if (!o->threads_given)
			o->threads = 1;	/* one thread drives a memif cluster on a few cores */
		o->dpdk.threads = o->threads;
		o->dpdk.servers = o->client.servers;
#if DPDK_BUILT
		o->client.transport = bench_dpdk_transport_open;
#endif
	}
	return 0;
}

/* Parses the command line into <o>; returns -1 to exit 0 (help), 0 to run,
 * 2 on a usage error (already reported).
 */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "servers", required_argument, NULL, 's' },
		{ "partitions", required_argument, NULL, 'p' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' },
		{ "depth", required_argument, NULL, 'd' },
		{ "keys", required_argument, NULL, 'k' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "ops", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "arrival", required_argument, NULL, 'A' },
		{ "mix", required_argument, NULL, 'm' },
		{ "reads", required_argument, NULL, 'R' },
		{ "dist", required_argument, NULL, 'D' },
		{ "hot", required_argument, NULL, 'O' },
		{ "value-size", required_argument, NULL, 'V' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "check", no_argument, NULL, 'C' },
		{ "final-reads", no_argument, NULL, 'F' },
		{ "unknown-horizon", required_argument, NULL, 'Z' },
		{ "history", required_argument, NULL, 'H' },
		{ "json", required_argument, NULL, 'J' },
		{ "pin", no_argument, NULL, 'P' },
		{ "sequential", no_argument, NULL, 'Q' },
		{ "prefix", required_argument, NULL, 'X' },
		{ "dpdk", required_argument, NULL, 'E' },
		{ "dpdk-ip", required_argument, NULL, 'I' },
		{ "eal", required_argument, NULL, 'L' },
		{ "dpdk-queues", required_argument, NULL, 'U' },
		{ "key", required_argument, NULL, 'K' },
		{ "echo", required_argument, NULL, OPT_ECHO },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *reads = NULL, *key_file = getenv("PARNIK_KEY");
	unsigned long long v;
	int opt;

	memset(o, 0, sizeof(*o));
	pk_client_config_default(&o->client);
	o->unknown_horizon_s = UNKNOWN_HORIZON_DEFAULT_S;
	workload_default(&o->wl);
	o->threads = 4;
	o->depth = 16;
	o->seconds = 30;
	o->poisson = true;
	snprintf(o->mix_text, sizeof(o->mix_text), "get=40,put=20,cas=20,add=20");
	snprintf(o->dist_text, sizeof(o->dist_text), "uniform");
	while ((opt = getopt_long(argc, argv, "s:p:c:t:d:k:S:n:r:m:h", longopts, NULL)) != -1) {
		const char *what = NULL;

		switch (opt) {
		case 's':
			o->client.servers = optarg;
			break;
		case 'p':
			if (!parse_u(optarg, 64, &v) || v == 0)
				what = "--partitions must be 1..64";
			o->client.partitions = (uint16_t)v;
			break;
		case 'c':
			if (!parse_u(optarg, UINT32_MAX, &v))
				what = "bad --cluster";
			o->client.cluster_id = (uint32_t)v;
			break;
		case 't':
			if (!parse_u(optarg, MAX_THREADS, &v) || v == 0)
				what = "--threads must be 1..64";
			o->threads = (unsigned int)v;
			o->threads_given = true;
			break;
		case 'd':
			if (!parse_u(optarg, MAX_DEPTH, &v) || v == 0)
				what = "--depth must be 1..4096";
			o->depth = (unsigned int)v;
			break;
		case 'k':
			if (!parse_u(optarg, WL_MAX_KEYS, &v) || v == 0)
				what = "--keys must be 1..10000000";
			o->wl.keys = (uint32_t)v;
			break;
		case 'S':
			if (!parse_u(optarg, MAX_SECONDS, &v) || v == 0)
				what = "--seconds must be 1..3600";
			o->seconds = (unsigned int)v;
			break;
		case 'n':
			if (!parse_u(optarg, UINT64_MAX, &v) || v == 0)
				what = "bad --ops";
			o->max_ops = v;
			break;
		case 'r': {
			char *end;

			o->rate = strtod(optarg, &end);
			if (*end != 0 || !(o->rate >= 1 && o->rate <= 1e8))
				what = "--rate must be 1..100000000 requests/s";
			break;
		}
		case 'A':
			if (strcmp(optarg, "poisson") == 0 || strcmp(optarg, "uniform") == 0)
				o->poisson = optarg[0] == 'p';
			else
				what = "--arrival must be poisson or uniform";
			break;
		case 'm':
			if (!workload_parse_mix(&o->wl, optarg))
				what = "bad --mix (e.g. get=40,put=20,cas=20,add=20; ops get put cas "
				       "add del)";
			snprintf(o->mix_text, sizeof(o->mix_text), "%s", optarg);
			break;
		case 'R':
			reads = optarg;
			break;
		case 'D':
			if (!workload_parse_dist(&o->wl, optarg))
				what = "--dist must be uniform, zipf or zipf:THETA (0 < THETA < 1)";
			snprintf(o->dist_text, sizeof(o->dist_text), "%s", optarg);
			break;
		case 'O':
			if (!workload_parse_hot(&o->wl, optarg))
				what = "--hot must be N:PCT (N keys, PCT 0..100)";
			break;
		case 'V':
			if (!parse_u(optarg, PK_MAX_VALUE, &v))
				what = "--value-size must be 0..1024";
			o->wl.value_size = (uint32_t)v;
			break;
		case 'T':
			if (!parse_u(optarg, 600000, &v) || v == 0)
				what = "--timeout must be 1..600000 ms";
			o->client.timeout_ms = (uint32_t)v;
			break;
		case 'C':
			o->check = true;
			break;
		case 'F':
			o->final_reads = true;
			o->check = true;
			break;
		case 'Z':
			if (!parse_u(optarg, 3600, &v) || v == 0)
				what = "--unknown-horizon must be 1..3600 s";
			o->unknown_horizon_s = (unsigned int)v;
			break;
		case 'H':
			o->history = optarg;
			o->check = true;
			break;
		case 'J':
			o->json = optarg;
			break;
		case 'P':
			o->pin = true;
			break;
		case 'Q':
			o->sequential = true;
			break;
		case 'X':
			if (strlen(optarg) >= sizeof(key_prefix) || strchr(optarg, ' ') != NULL)
				what = "--prefix: at most 31 bytes, no spaces";
			else
				strcpy(key_prefix, optarg);
			break;
		case 'E':
			if (o->dpdk.nvdev == BENCH_DPDK_MAX_PORTS)
				what = "at most 8 --dpdk ports";
			else
				o->dpdk.vdev[o->dpdk.nvdev++] = optarg;
			break;
		case 'I':
			o->dpdk_ip = optarg;
			if (inet_pton(AF_INET, optarg, &o->dpdk.ip) != 1)
				what = "--dpdk-ip must be an IPv4 address";
			break;
		case 'L':
			o->dpdk.eal = optarg;
			break;
		case 'U':
			if (!parse_u(optarg, 64, &v) || v == 0)
				what = "--dpdk-queues must be 1..64";
			o->dpdk.queues = (unsigned int)v;
			break;
		case 'K':
			key_file = optarg;
			break;
		case OPT_ECHO:
			if (!parse_u(optarg, 10000000, &v) || v == 0)
				what = "--echo must be 1..10000000";
			o->echo = (unsigned int)v;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case OPT_VERSION:
			printf("parnik-bench %s\n", PARNIK_VERSION);
			return -1;
		default:
			usage(stderr);
			return 2;
		}
		if (what != NULL) {
			fprintf(stderr, "parnik-bench: %s\n", what);
			return 2;
		}
	}
	if (reads != NULL) {
		if (!parse_u(reads, 100, &v) || !workload_set_reads(&o->wl, (unsigned int)v)) {
			fprintf(stderr, "parnik-bench: --reads must be 0..100\n");
			return 2;
		}
		snprintf(o->mix_text + strlen(o->mix_text), sizeof(o->mix_text) - strlen(o->mix_text),
			 " at %s%% reads", reads);
	}
	if (o->client.servers == NULL || optind != argc) {
		fprintf(stderr, "parnik-bench: %s\n",
			optind != argc ? "unexpected argument" : "-s SERVERS is required");
		usage(stderr);
		return 2;
	}
	if (o->wl.hot_keys > 0) {
		size_t l = strlen(o->dist_text);

		snprintf(o->dist_text + l, sizeof(o->dist_text) - l, ", %u%% to %u hot",
			 o->wl.hot_pct, o->wl.hot_keys);
	}
	{
		const char *bad = workload_prepare(&o->wl);

		if (bad != NULL) {
			fprintf(stderr, "parnik-bench: %s\n", bad);
			return 2;
		}
	}
	if (o->sequential && o->rate > 0) {
		fprintf(stderr, "parnik-bench: --sequential runs closed loop only\n");
		return 2;
	}
	o->client.window = o->depth;
	if (key_file != NULL && key_file[0] != 0) {
		char err[256];

		if (pk_keyfile_load(key_file, o->client_secret, err, sizeof(err)) != 0) {
			fprintf(stderr, "parnik-bench: %s\n", err);
			return 2;
		}
		o->client.client_secret = o->client_secret;
	}
	return check_dpdk_args(o);
}

static char ports_text[160];

/* DPDK mode: the EAL, the ports and the replicas' addresses, before the
 * pre-flight check (which runs over them too). Returns 0 or -1 (reported).
 */
static int
start_ports(const struct opts *o)
{
#if DPDK_BUILT
	char err[512];
	int rc;

	if (o->dpdk.nvdev == 0)
		return 0;
	rc = bench_dpdk_init(&o->dpdk, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "parnik-bench: %s\n", err);
		bench_dpdk_fini();
		return -1;
	}
	if (rc > 0)	/* the cluster may serve without them */
		fprintf(stderr, "parnik-bench: warning: %s\n", err);
	snprintf(ports_text, sizeof(ports_text), "%s", bench_dpdk_describe());
#else
	(void)o;
#endif
	return 0;
}

/* DPDK mode: what the ports dropped, then the ports down. */
static void
stop_ports(const struct opts *o)
{
#if DPDK_BUILT
	struct bench_dpdk_stats st;

	if (o->dpdk.nvdev == 0)
		return;
	bench_dpdk_stats(&st);
	printf("DPDK ports: %" PRIu64 " frames sent, %" PRIu64 " received, %" PRIu64
	       " dropped on receive, %" PRIu64 " lost to a full TX ring or pool, %" PRIu64
	       " for a replica not resolved, %" PRIu64 " ARP / ping answered; %" PRIu64
	       " sleeps, %" PRIu64 " doorbells rung, %" PRIu64 " replies passed between threads\n",
	       st.tx_frames, st.rx_frames, st.rx_dropped, st.tx_full, st.unresolved, st.answered,
	       st.sleeps, st.bells_rung, st.handed_off);
	bench_dpdk_fini();
#else
	(void)o;
#endif
}

/* --final-reads: every key through each replica, then the lost-write
 * count (final_reads.h). Returns 0, or -1 when writes were lost or the
 * reads could not run.
 */
static int
audit(const struct opts *o, struct worker *ws, struct record **final, uint64_t *nfinal)
{
	struct record *load[MAX_THREADS];
	uint64_t nrec[MAX_THREADS];
	struct lost_report lr;
	int nservers = 1;
	char err[256];

	for (const char *p = o->client.servers; *p != 0; p++)
		nservers += *p == ',';
	for (int i = 0; i < nservers; i++)
		if (final_reads_run(&o->client, i, o->wl.keys, o->depth, key_name, start_ns, final,
				    nfinal, err, sizeof(err)) != 0) {
			fprintf(stderr, "parnik-bench: %s\n", err);
			return -1;
		}
	for (unsigned int t = 0; t < o->threads; t++) {
		load[t] = ws[t].rec;
		nrec[t] = ws[t].nrec;
	}
	lost_writes(load, nrec, o->threads, *final, *nfinal, o->wl.keys,
		    (uint64_t)o->unknown_horizon_s * 1000000000u, &lr);
	printf("final reads: %u keys through %d replicas, %" PRIu64 " answered, %" PRIu64
	       " unanswered; %u keys written, %u with a certain last write\n",
	       o->wl.keys, nservers, lr.reads, lr.unread, lr.keys, lr.decided);
	if (lr.lost > 0) {
		char key[48];

		key_name(key, sizeof(key), (uint32_t)lr.first_lost);
		printf("lost writes: %u (keys whose final read misses an acknowledged write, "
		       "first %s)\n", lr.lost, key);
	} else {
		printf("lost writes: 0\n");
	}
	return lr.lost > 0 ? -1 : 0;
}

/* --echo: the round trip to the first replica's UDP echo, on the load's
 * own transport, printed as parnik-udp-pingpong prints its own.
 */
static int
echo_floor(const struct opts *o)
{
	static struct pk_hist h;
	char first[INET_ADDRSTRLEN + 8], err[256];
	uint32_t ip;
	int rc;

	/* The first server's address: what precedes its ":port" (the list was
	 * checked already).
	 */
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(o->client.servers, ":,"),
		 o->client.servers);
	if (inet_pton(AF_INET, first, &ip) != 1) {
		fprintf(stderr, "parnik-bench: --echo: '%s' is not an IPv4 address\n", first);
		return EXIT_USAGE;
	}
	rc = bench_echo(o->client.transport != NULL ? o->client.transport : pk_udp_transport_open,
			o->client.transport_arg, ip, o->echo, &h, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "parnik-bench: %s\n", err);
	else
		printf("rtt us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  (%" PRIu64
		       " round trips over %s)\n", (double)pk_hist_quantile(&h, 0.5) / 1e3,
		       (double)pk_hist_quantile(&h, 0.9) / 1e3, (double)pk_hist_quantile(&h, 0.99) / 1e3,
		       (double)pk_hist_quantile(&h, 0.999) / 1e3, (double)h.max / 1e3, h.count,
		       o->dpdk.nvdev > 0 ? ports_text : "kernel UDP");
	stop_ports(o);
	return rc == 0 ? EXIT_OK : EXIT_CLUSTER;
}

int
main(int argc, char **argv)
{
	static struct worker ws[MAX_THREADS];
	static struct sec_row rows[MAX_SECONDS + 1];
	struct run_report rep;
	struct opts o;
	struct record *final = NULL;	/* --final-reads */
	uint64_t nfinal = 0;
	unsigned int shown = 0;
	char err[512];
	int rc = parse_args(argc, argv, &o);

	if (rc != 0)
		return rc < 0 ? EXIT_OK : EXIT_USAGE;
	if (start_ports(&o) != 0)
		return EXIT_PORTS;
	if (o.echo > 0)
		return echo_floor(&o);
	rc = pk_client_check(&o.client, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "parnik-bench: %s\n", err);
		return EXIT_CLUSTER;
	}
	if (rc > 0)	/* a replica down: the cluster may still serve */
		fprintf(stderr, "parnik-bench: warning: %s\n", err);
	rc = 0;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	start_ns = record_now_ns();
	if (key_prefix[0] == 0)
		snprintf(key_prefix, sizeof(key_prefix), "b%" PRIx64,
			 (uint64_t)time(NULL) * 1000003u ^ start_ns ^ (uint64_t)getpid());
	for (unsigned int t = 0; t < o.threads; t++) {
		ws[t].id = t;
		ws[t].o = &o;
		ws[t].rng = 0x9e3779b97f4a7c15ull * (t + 1) ^ start_ns;
		ws[t].rows = calloc(MAX_SECONDS + 1, sizeof(struct sec_row));
		ws[t].last_version = calloc(VERSION_SLOTS, sizeof(uint64_t));
		if (ws[t].rows == NULL || ws[t].last_version == NULL) {
			fprintf(stderr, "parnik-bench: out of memory\n");
			return EXIT_USAGE;
		}
		for (unsigned int s = 0; s <= MAX_SECONDS; s++)
			pk_hist_reset(&ws[t].rows[s].lat);
		pk_hist_reset(&ws[t].total);
		pk_hist_reset(&ws[t].client_lag);
		pk_hist_reset(&ws[t].service);
		if (pthread_create(&ws[t].thread, NULL, run, &ws[t]) != 0) {
			perror("pthread_create");
			return EXIT_USAGE;
		}
	}
	report_header(stdout, o.rate > 0);
	/* One row per finished second, read with a little grace after it. */
	while (shown < o.seconds) {
		uint64_t due = start_ns + (uint64_t)(shown + 1) * 1000000000u + 50000000u;
		uint64_t now = record_now_ns();
		bool all_finished = true;
		struct sec_row *row = &rows[shown];

		if (now < due) {
			uint64_t d = due - now;
			struct timespec ts = { .tv_sec = (time_t)(d / 1000000000u),
					       .tv_nsec = (long)(d % 1000000000u) };

			nanosleep(&ts, NULL);
		}
		pk_hist_reset(&row->lat);
		for (unsigned int t = 0; t < o.threads; t++) {
			const struct sec_row *r = &ws[t].rows[shown];

			row->sent += r->sent;
			row->done += r->done;
			row->errors += r->errors;
			row->busy += r->busy;
			row->timeouts += r->timeouts;
			pk_hist_merge(&row->lat, &r->lat);
			all_finished = all_finished && atomic_load(&ws[t].finished);
		}
		report_row(stdout, shown + 1, row, o.rate > 0);
		shown++;
		if (all_finished || atomic_load(&stop_all))
			break;	/* bounds reached, or interrupted */
	}
	memset(&rep, 0, sizeof(rep));
	pk_hist_reset(&rep.lat);
	pk_hist_reset(&rep.client_lag);
	pk_hist_reset(&rep.service);
	for (unsigned int t = 0; t < o.threads; t++) {
		pthread_join(ws[t].thread, NULL);
		if (ws[t].err[0] != 0) {
			fprintf(stderr, "parnik-bench: %s\n", ws[t].err);
			return EXIT_CLUSTER;
		}
		pk_hist_merge(&rep.lat, &ws[t].total);
		pk_hist_merge(&rep.client_lag, &ws[t].client_lag);
		pk_hist_merge(&rep.service, &ws[t].service);
		rep.sent += ws[t].sent;
		rep.not_sent += ws[t].not_sent;
		rep.window_waits += ws[t].window_waits;
		rep.late_sends += ws[t].late_sends;
		rep.throttled += ws[t].throttled;
		if (ws[t].last_completion > start_ns + (uint64_t)(rep.elapsed * 1e9))
			rep.elapsed = (double)(ws[t].last_completion - start_ns) / 1e9;
		for (unsigned int s = 0; s <= MAX_SECONDS; s++) {
			rep.errors += ws[t].rows[s].errors;
			rep.busy += ws[t].rows[s].busy;
			rep.timeouts += ws[t].rows[s].timeouts;
		}
		for (unsigned int s = 0; s < 64; s++)
			rep.by_status[s] += ws[t].by_status[s];
	}
	rep.servers = o.client.servers;
	rep.partitions = o.client.partitions;
	rep.threads = o.threads;
	rep.depth = o.depth;
	rep.keys = o.wl.keys;
	rep.value_size = o.wl.value_size;
	rep.seconds = o.seconds;
	rep.mix = o.mix_text;
	rep.dist = o.dist_text;
	rep.transport = o.dpdk.nvdev > 0 ? ports_text : "kernel UDP";
	rep.mode = o.rate > 0 ? (o.poisson ? "open loop, Poisson arrivals" : "open loop, uniform "
									   "arrivals")
			      : "closed loop";
	rep.rate = o.rate;
	rep.ops = rep.lat.count;
	/* Rates over the load's own span: the run's seconds, or less when the
	 * threads stopped early at their bounds.
	 */
	rep.window = rep.elapsed < o.seconds ? rep.elapsed : o.seconds;
	rep.intended = rep.sent + rep.not_sent;
	rep.nrows = shown;
	rep.rows = rows;
	if (o.rate > 0) {
		/* Against the requests actually due (Poisson arrivals wander
		 * around the rate), not the rate times the seconds.
		 */
		if ((double)rep.ops >= 0.97 * (double)rep.intended)
			rep.rate_verdict = RATE_REACHED;
		else if (rep.window_waits + rep.not_sent >= rep.intended / 100)
			rep.rate_verdict = RATE_SATURATED;
		else
			rep.rate_verdict = RATE_CLIENT_LIMIT;
	}
	report_summary(stdout, &rep);
	if (o.final_reads && audit(&o, ws, &final, &nfinal) != 0)
		rc = EXIT_NOT_LINEARIZABLE;
	stop_ports(&o);
	if (o.check)
		rep.lin = check_history(ws, o.threads, final, nfinal, &o.wl, o.history,
					&rep.history_ops);
	free(final);
	if (o.json != NULL && report_json(o.json, &rep) != 0) {
		fprintf(stderr, "parnik-bench: cannot write %s\n", o.json);
		rc = EXIT_USAGE;
	}
	for (unsigned int t = 0; t < o.threads; t++) {
		free(ws[t].rec);
		free(ws[t].rows);
		free(ws[t].last_version);
	}
	if (rc != 0)
		return rc;
	if (rep.lin == LIN_NO)
		return EXIT_NOT_LINEARIZABLE;
	return rep.rate_verdict == RATE_CLIENT_LIMIT ? EXIT_RATE_NOT_OFFERED : EXIT_OK;
}
