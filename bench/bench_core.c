/* parnik-bench-core: the CPU cost of the CASPaxos core per operation.
 *
 * Three replicas (one partition each) run in this one thread, joined by a
 * zero-cost network: every message is still encoded into datagrams,
 * batched per destination the way a worker batches its TX burst, and
 * decoded on arrival. A client on replica 0 keeps <depth> requests in
 * flight over <keys> keys with 64-byte values. Reported: operations per
 * second of CPU time of this thread, i.e. per core, for
 *   PUT 1RTT   the proposer holds each key's promise (the steady state)
 *   PUT 2RTT   1RTT off: prepare + accept for every write
 *   GET 1RTT   identity accept from the cache
 *   GET skip   1RTT off: prepare only, the accept skipped on agreement
 * Each figure is the median of --runs runs.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heap.h"
#include "parnik/worker.h"

#define NODES 3
#define QCAP 4096
#define CLUSTER 7
#define VALUE_LEN 64

struct dgram {
	uint16_t to;
	uint16_t len;
	uint8_t buf[PK_MAX_DGRAM];
};

struct bench {
	struct pk_heap heap;
	struct pk_worker *w[NODES];
	struct pk_config cfg;
	struct dgram *q;	/* FIFO of datagrams in flight */
	uint32_t head, tail;
	int32_t open[NODES];	/* datagram being filled per destination */
	struct pk_wbuf wb[NODES];
	struct pk_send sends[1024];
	struct pk_reply replies[1024];
	struct pk_out out;
	uint8_t rep_buf[PK_MAX_DGRAM];	/* client replies are encoded, then dropped */
	struct pk_wbuf rep;
	uint64_t completed;
	uint64_t failed;
	uint64_t now;
};

static const struct pk_dgram_hdr hdr = { .cluster_id = CLUSTER, .partitions = 1, .partition = 0 };

static void
close_open(struct bench *b)
{
	for (int i = 0; i < NODES; i++)
		b->open[i] = -1;
}

static void
emit(struct bench *b, uint16_t to, const struct pk_msg *m)
{
	for (;;) {
		if (b->open[to] < 0) {
			struct dgram *d = &b->q[b->tail % QCAP];

			if (b->tail - b->head >= QCAP) {
				fprintf(stderr, "bench: network queue full\n");
				exit(1);
			}
			b->open[to] = (int32_t)(b->tail++ % QCAP);
			d->to = to;
			pk_wire_begin(&b->wb[to], d->buf, PK_MAX_DGRAM, &hdr);
		}
		if (pk_wire_add(&b->wb[to], m) == 0) {
			b->q[b->open[to]].len = (uint16_t)b->wb[to].len;
			return;
		}
		b->open[to] = -1;
	}
}

static void
reply_out(struct bench *b, const struct pk_msg *m)
{
	if (m->status == PK_OK || m->status == PK_NOT_FOUND)
		b->completed++;
	else
		b->failed++;
	if (pk_wire_add(&b->rep, m) != 0) {
		pk_wire_begin(&b->rep, b->rep_buf, sizeof(b->rep_buf), &hdr);
		pk_wire_add(&b->rep, m);
	}
}

static void
drain_peer(void *ctx, uint16_t to, const struct pk_msg *m)
{
	emit(ctx, to, m);
}

static void
drain_reply(void *ctx, const struct pk_reply *r)
{
	reply_out(ctx, &r->msg);
}

static void
drain(struct bench *b)
{
	const struct pk_out_sink sink = { .peer = drain_peer, .reply = drain_reply, .ctx = b };

	pk_out_drain(&b->out, &sink);
}

/* Delivers every datagram in flight, and what they cause. */
static void
pump(struct bench *b)
{
	static const struct pk_wire_expect exp = { .cluster_id = CLUSTER, .partitions = 1 };
	struct pk_msg msgs[PK_MAX_BATCH];
	struct pk_dgram_hdr h;

	while (b->head != b->tail) {
		struct dgram *d = &b->q[b->head++ % QCAP];
		int n = pk_wire_decode(d->buf, d->len, &exp, &h, msgs, PK_MAX_BATCH);

		if (n < 0) {
			fprintf(stderr, "bench: bad datagram: %s\n", pk_strstatus(-n));
			exit(1);
		}
		/* Replies to one datagram share datagrams, like a TX burst. */
		close_open(b);
		for (int i = 0; i < n; i++) {
			if (msgs[i].type == PK_MSG_CLIENT_REQ)
				pk_worker_client(b->w[d->to], &msgs[i], 1, b->now, &b->out);
			else
				pk_worker_peer(b->w[d->to], &msgs[i], b->now, &b->out);
			drain(b);
		}
		close_open(b);
	}
}

static void
bench_init(struct bench *b, bool one_rtt, uint32_t keys)
{
	struct pk_worker_params p;

	memset(b, 0, sizeof(*b));
	b->q = calloc(QCAP, sizeof(*b->q));
	if (b->q == NULL)
		exit(1);
	pk_config_majority(&b->cfg, NODES, 1);
	b->cfg.one_rtt = one_rtt;
	b->out = (struct pk_out){ .sends = b->sends, .send_cap = 1024, .replies = b->replies,
				  .reply_cap = 1024 };
	pk_wire_begin(&b->rep, b->rep_buf, sizeof(b->rep_buf), &hdr);
	close_open(b);
	memset(&p, 0, sizeof(p));
	pk_tuning_default(&p.tuning);
	p.tuning.max_keys = keys * 2;
	p.cluster_id = CLUSTER;
	p.partitions = 1;
	p.incarnation = 1;
	p.admitted = true;
	p.env = pk_heap_env(&b->heap);
	for (uint16_t n = 0; n < NODES; n++) {
		p.node = n;
		p.seed = n + 1;
		b->w[n] = pk_worker_new(&p, &b->cfg);
		if (b->w[n] == NULL) {
			fprintf(stderr, "bench: cannot create worker\n");
			exit(1);
		}
	}
	b->now = 1;
}

static void
bench_fini(struct bench *b)
{
	for (int n = 0; n < NODES; n++)
		pk_worker_free(b->w[n]);
	free(b->q);
}

/* Sends requests for keys [first, first + count) to replica 0 in as few
 * datagrams as they fit, then runs the network dry.
 */
/* Keys are made once: formatting them is the client's cost, not ours. */
static char (*key_names)[12];

static void
make_keys(uint32_t keys)
{
	key_names = calloc(keys, sizeof(*key_names));
	if (key_names == NULL)
		exit(1);
	for (uint32_t k = 0; k < keys; k++)
		snprintf(key_names[k], sizeof(key_names[k]), "k%08u", k);
}

static void
burst(struct bench *b, uint8_t op, uint32_t first, uint32_t count, uint32_t keys,
      uint64_t *req_id)
{
	static const uint8_t value[VALUE_LEN] = { 'v' };
	struct pk_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PK_MSG_CLIENT_REQ;
	m.op = op;
	m.client_id = 1;
	if (op == PK_OP_PUT) {
		m.state.len = VALUE_LEN;
		m.state.data = value;
	}
	close_open(b);
	for (uint32_t i = 0; i < count; i++) {
		m.key = (const uint8_t *)key_names[(first + i) % keys];
		m.key_len = 9;
		m.request_id = ++*req_id;
		emit(b, 0, &m);
	}
	close_open(b);
	pump(b);
}

static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Returns operations per CPU second. */
static double
measure(uint8_t op, bool one_rtt, uint32_t keys, uint32_t depth, uint64_t ops)
{
	struct bench b;
	uint64_t req_id = 0, done = 0;
	double t0, t1;

	bench_init(&b, one_rtt, keys);
	/* Warm up: every key written once, so caches and tables are hot. */
	for (uint32_t k = 0; k < keys; k += depth)
		burst(&b, PK_OP_PUT, k, depth, keys, &req_id);
	b.completed = 0;
	b.failed = 0;
	t0 = cpu_seconds();
	for (uint32_t first = 0; done < ops; first += depth, done += depth)
		burst(&b, op, first, depth, keys, &req_id);
	t1 = cpu_seconds();
	if (b.completed != done || b.failed != 0) {
		fprintf(stderr, "bench: %" PRIu64 " of %" PRIu64 " ops completed, %" PRIu64
			" failed\n", b.completed, done, b.failed);
		exit(1);
	}
	bench_fini(&b);
	return (double)done / (t1 - t0);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ops", required_argument, NULL, 'n' },
		{ "keys", required_argument, NULL, 'k' },
		{ "depth", required_argument, NULL, 'd' },
		{ "runs", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct {
		const char *name;
		uint8_t op;
		bool one_rtt;
	} modes[] = {
		{ "PUT 1RTT", PK_OP_PUT, true },
		{ "PUT 2RTT", PK_OP_PUT, false },
		{ "GET 1RTT", PK_OP_GET, true },
		{ "GET skip", PK_OP_GET, false },
	};
	uint64_t ops = 1000000;
	uint32_t keys = 4096, depth = 12, runs = 5;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			ops = strtoull(optarg, NULL, 10);
			break;
		case 'k':
			keys = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			depth = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		default:
			printf("usage: parnik-bench-core [--ops N] [--keys K] [--depth D] [--runs R]\n"
			       "  3 in-process replicas, zero-cost network, 64-byte values;\n"
			       "  D requests in flight per burst (default 12: one datagram)\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (ops == 0 || keys == 0 || depth == 0 || depth > 256 || runs == 0 || runs > 99) {
		fprintf(stderr, "parnik-bench-core: bad arguments (see --help)\n");
		return 2;
	}
	make_keys(keys);
	printf("parnik-bench-core: 3 replicas in one thread, %" PRIu64 " ops per run, %u keys, "
	       "%u in flight, %d-byte values, median of %u runs\n", ops, keys, depth, VALUE_LEN,
	       runs);
	printf("%-10s %14s %14s %14s\n", "mode", "ops/s/core", "ns/op", "min..max ops/s");
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		double r[99], med;

		for (uint32_t k = 0; k < runs; k++)
			r[k] = measure(modes[i].op, modes[i].one_rtt, keys, depth, ops);
		qsort(r, runs, sizeof(r[0]), cmp_double);
		med = r[runs / 2];
		printf("%-10s %14.0f %14.1f %7.0fk..%.0fk\n", modes[i].name, med, 1e9 / med,
		       r[0] / 1e3, r[runs - 1] / 1e3);
		fflush(stdout);
	}
	return 0;
}
