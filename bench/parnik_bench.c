/* parnik-bench: closed-loop load on a Parnik cluster through libparnik.
 *
 * T threads, each with its own client and D requests in flight, run a mix
 * of GET / PUT / CAS / ADD over K keys for S seconds (or N ops). It prints
 * a per-second table (ops/s, p50, p99, errors), then a summary (throughput,
 * p50/p90/p99/p99.9/max, results by status) and, with --check, records the
 * whole history and checks it for linearizability ("linearizable: yes/no").
 * Latency is measured from the submit of a request to its completion.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lincheck.h"
#include "parnik/client.h"
#include "parnik/hist.h"

#define MAX_THREADS 64
#define MAX_SECONDS 3600

struct opts {
	struct pk_client_config client;
	unsigned int threads;
	unsigned int depth;
	unsigned int keys;
	unsigned int seconds;
	uint64_t max_ops;	/* per thread; 0: unbounded */
	unsigned int mix[PK_OP_MAX + 1];	/* weights by op */
	bool check;
	bool pin;		/* thread i sends everything to replica i */
	bool sequential;	/* each key once, in order, then stop */
	const char *history;
};

/* One operation as recorded for the checker. */
struct record {
	uint8_t op;
	uint8_t status;
	uint16_t key;
	uint64_t arg;
	int64_t written;	/* PUT / CAS value */
	uint64_t invoke;	/* ns since start */
	uint64_t complete;
	uint64_t version;
	int64_t result;		/* GET / ADD value */
	bool has_result;
};

struct worker {
	unsigned int id;
	const struct opts *o;
	pthread_t thread;
	uint64_t rng;
	struct record *rec;	/* every op, when checking */
	uint64_t nrec, cap;
	uint64_t ops;
	uint64_t by_status[64];
	uint64_t last_version[1024];
	struct pk_hist *per_second;	/* [MAX_SECONDS + 1] */
	struct pk_hist total;
	char err[256];
};

static uint64_t start_ns;
static atomic_bool stop_all;
/* Keys are "<prefix>-<n>" with a prefix new for every run: the checker
 * assumes every history starts from absent keys.
 */
static char key_prefix[32];

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
rnd(struct worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

static uint8_t
pick_op(struct worker *w)
{
	unsigned int total = 0, r;

	for (unsigned int op = 1; op <= PK_OP_MAX; op++)
		total += w->o->mix[op];
	r = (unsigned int)(rnd(w) % total);
	for (unsigned int op = 1; op <= PK_OP_MAX; op++) {
		if (r < w->o->mix[op])
			return (uint8_t)op;
		r -= w->o->mix[op];
	}
	return PK_OP_GET;
}

static bool
parse_i64(const uint8_t *p, uint16_t len, int64_t *out)
{
	char buf[24];
	char *end;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, p, len);
	buf[len] = 0;
	*out = strtoll(buf, &end, 10);
	return *end == 0;
}

struct slot_ctx {
	uint64_t rec;		/* index into w->rec, or the invoke time */
	uint64_t invoke;
	uint8_t op;
	uint16_t key;
};

static void *
run(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	struct pk_client_config cfg = o->client;
	struct slot_ctx *ctx = calloc(o->depth, sizeof(*ctx));
	uint32_t *free_ctx = calloc(o->depth, sizeof(*free_ctx));
	struct pk_completion *done = calloc(o->depth, sizeof(*done));
	struct pk_client *c;
	uint32_t nfree = o->depth;
	uint64_t issued = 0, seq = 0;
	uint64_t deadline = start_ns + (uint64_t)o->seconds * 1000000000u;

	cfg.home = o->pin ? (int)w->id : -1;	/* else each key to its replica */
	c = pk_client_open(&cfg, w->err, sizeof(w->err));
	if (c == NULL || ctx == NULL || free_ctx == NULL || done == NULL)
		goto out;
	for (uint32_t i = 0; i < o->depth; i++)
		free_ctx[i] = i;
	for (;;) {
		bool more = !atomic_load(&stop_all) && now_ns() < deadline;
		int n;

		/* The op and key bounds hold for every request, not once a pass. */
		while ((more = more && (o->max_ops == 0 || issued < o->max_ops) &&
			       (!o->sequential || w->id + issued * o->threads < o->keys)) &&
		       nfree > 0) {
			uint32_t s = free_ctx[--nfree];
			struct slot_ctx *x = &ctx[s];
			char key[48], val[24];
			struct pk_request req;
			int64_t v = (int64_t)(w->id + 1) * 1000000000 + (int64_t)++seq;

			memset(&req, 0, sizeof(req));
			x->op = pick_op(w);
			x->key = o->sequential ? (uint16_t)(w->id + issued * o->threads)
					       : (uint16_t)(rnd(w) % o->keys);
			req.op = x->op;
			req.key = key;
			req.key_len = (size_t)snprintf(key, sizeof(key), "%s-%u", key_prefix, x->key);
			if (x->op == PK_OP_PUT || x->op == PK_OP_CAS) {
				req.value = val;
				req.len = (size_t)snprintf(val, sizeof(val), "%" PRId64, v);
			}
			if (x->op == PK_OP_CAS)
				req.arg = w->last_version[x->key % 1024];
			if (x->op == PK_OP_ADD)
				req.arg = (uint64_t)(int64_t)(rnd(w) % 9) - 4;
			x->invoke = now_ns();
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
				r->invoke = x->invoke - start_ns;
				x->rec = w->nrec++;
			}
			if (pk_client_submit(c, &req, x) != 0) {
				w->nrec -= o->check;	/* refused locally: never sent */
				free_ctx[nfree++] = s;
				break;
			}
			issued++;
		}
		if (!more && pk_client_inflight(c) == 0)
			break;
		n = pk_client_poll(c, done, (int)o->depth, 100);
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			struct slot_ctx *x = done[i].user;
			const struct pk_result *res = &done[i].result;
			uint64_t t = now_ns(), lat = t - x->invoke, sec = (t - start_ns) / 1000000000u;

			w->ops++;
			w->by_status[res->status & 63]++;
			pk_hist_record(&w->per_second[sec < MAX_SECONDS ? sec : MAX_SECONDS], lat);
			pk_hist_record(&w->total, lat);
			/* Every definite reply carries the visible version. */
			if (res->status <= PK_OVERFLOW)
				w->last_version[x->key % 1024] = res->version;
			if (o->check) {
				struct record *r = &w->rec[x->rec];

				r->complete = t - start_ns;
				r->status = (uint8_t)res->status;
				r->version = res->version;
				r->has_result = res->status == PK_OK &&
						(x->op == PK_OP_GET || x->op == PK_OP_ADD) &&
						parse_i64(res->value, res->len, &r->result);
			}
			free_ctx[nfree++] = (uint32_t)(x - ctx);
		}
	}
out:
	pk_client_close(c);
	free(ctx);
	free(free_ctx);
	free(done);
	return NULL;
}

static void
print_row(const char *label, const struct pk_hist *h, double seconds, uint64_t errors)
{
	printf("%8s %10.0f %9.1f %9.1f %8" PRIu64 "\n", label,
	       seconds > 0 ? (double)h->count / seconds : 0.0,
	       (double)pk_hist_quantile(h, 0.50) / 1000.0, (double)pk_hist_quantile(h, 0.99) / 1000.0,
	       errors);
	fflush(stdout);
}

/* Replays every thread's records into one history and checks it. */
static bool
check_history(struct worker *ws, unsigned int n, const char *dump)
{
	struct lin_history *h = lin_new();
	struct lin_result res;
	uint64_t total = 0;

	/* The replicas' deletion GC may have run in this key's partition: a
	 * creation's version only has to be above the key's last.
	 */
	lin_allow_version_jumps(h);

	for (unsigned int t = 0; t < n; t++)
		for (uint64_t i = 0; i < ws[t].nrec; i++) {
			const struct record *r = &ws[t].rec[i];
			char key[48], val[24], out[24];
			int kl = snprintf(key, sizeof(key), "%s-%u", key_prefix, r->key);
			int vl = snprintf(val, sizeof(val), "%" PRId64, r->written);
			int ol = r->has_result ? snprintf(out, sizeof(out), "%" PRId64, r->result) : 0;
			uint32_t id = lin_invoke(h, t, key, (uint16_t)kl, r->op, r->arg, val,
						 (uint16_t)vl, r->invoke);

			total++;
			if (r->complete == 0)
				continue;	/* never completed: unknown */
			lin_complete(h, id, r->complete, r->status, r->version, out, (uint16_t)ol);
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
	       " search states\n", total, res.keys, res.unknown, res.states);
	lin_free(h);
	if (res.undecided_keys > 0 && res.bad_keys == 0)
		printf("linearizable: undecided (search budget spent on %u keys)\n",
		       res.undecided_keys);
	else
		printf("linearizable: %s\n", res.ok ? "yes" : "NO");
	return res.ok;
}

static bool
parse_mix(const char *s, unsigned int *mix)
{
	char buf[256];
	char *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return false;
	memset(mix, 0, (PK_OP_MAX + 1) * sizeof(*mix));
	strcpy(buf, s);
	for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		static const char *const names[] = { NULL, "get", "put", "cas", "add", "del" };
		char *eq = strchr(tok, '=');
		unsigned int op;

		if (eq == NULL)
			return false;
		*eq = 0;
		for (op = 1; op <= PK_OP_MAX && strcmp(tok, names[op]) != 0; op++)
			;
		if (op > PK_OP_MAX)
			return false;
		mix[op] = (unsigned int)strtoul(eq + 1, NULL, 10);
	}
	for (unsigned int op = 1; op <= PK_OP_MAX; op++)
		if (mix[op] > 0)
			return true;
	return false;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: parnik-bench -s IPV4:PORT,... [options]\n"
		"  -s, --servers LIST    replicas (IPV4:BASEPORT,...)\n"
		"  -p, --partitions P    the cluster's partition count (default 1)\n"
		"  -c, --cluster ID      cluster id (default 1)\n"
		"  -t, --threads T       client threads (default 4)\n"
		"  -d, --depth D         requests in flight per thread (default 16)\n"
		"  -k, --keys K          keys (default 1000)\n"
		"  -S, --seconds S       run time (default 30)\n"
		"  -n, --ops N           stop each thread after N ops (default: no bound)\n"
		"  -m, --mix SPEC        weights, e.g. get=40,put=20,cas=20,add=20 (the default)\n"
		"      --timeout MS      per attempt (default 200)\n"
		"      --check           record the history and check linearizability\n"
		"      --history FILE    also write the history (lincheck text format)\n"
		"      --prefix P        key names P-0, P-1, ... (default: new for every run,\n"
		"                        since --check assumes keys that start absent)\n"
		"      --pin             thread i sends to replica i (default: each key to\n"
		"                        one replica, the 1RTT-friendly routing)\n"
		"      --sequential      every key once, in order (split over the threads),\n"
		"                        then stop: a fill, or a DEL of every key\n"
		"exit: 0 done (and linearizable with --check), 1 not linearizable, 2 usage\n");
}

int
main(int argc, char **argv)
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
		{ "mix", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "check", no_argument, NULL, 'C' },
		{ "history", required_argument, NULL, 'H' },
		{ "pin", no_argument, NULL, 'P' },
		{ "sequential", no_argument, NULL, 'Q' },
		{ "prefix", required_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct worker ws[MAX_THREADS];
	struct opts o;
	struct pk_hist sum;
	uint64_t by_status[64] = { 0 }, errors = 0;
	unsigned int shown = 0;
	int opt;
	bool ok = true;

	memset(&o, 0, sizeof(o));
	pk_client_config_default(&o.client);
	o.threads = 4;
	o.depth = 16;
	o.keys = 1000;
	o.seconds = 30;
	parse_mix("get=40,put=20,cas=20,add=20", o.mix);
	while ((opt = getopt_long(argc, argv, "s:p:c:t:d:k:S:n:m:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			o.client.servers = optarg;
			break;
		case 'p':
			o.client.partitions = (uint16_t)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			o.client.cluster_id = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 't':
			o.threads = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			o.depth = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'k':
			o.keys = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'S':
			o.seconds = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			o.max_ops = strtoull(optarg, NULL, 10);
			break;
		case 'm':
			if (!parse_mix(optarg, o.mix)) {
				fprintf(stderr, "parnik-bench: bad --mix '%s'\n", optarg);
				return 2;
			}
			break;
		case 'T':
			o.client.timeout_ms = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'C':
			o.check = true;
			break;
		case 'H':
			o.history = optarg;
			o.check = true;
			break;
		case 'P':
			o.pin = true;
			break;
		case 'Q':
			o.sequential = true;
			break;
		case 'X':
			if (strlen(optarg) >= sizeof(key_prefix))
				goto bad;
			strcpy(key_prefix, optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
bad:
			usage(stderr);
			return 2;
		}
	}
	if (o.client.servers == NULL || o.threads == 0 || o.threads > MAX_THREADS ||
	    o.depth == 0 || o.depth > 4096 || o.keys == 0 || o.keys > 65535 || o.seconds == 0 ||
	    o.seconds > MAX_SECONDS || o.client.partitions == 0 || optind != argc) {
		usage(stderr);
		return 2;
	}
	o.client.window = o.depth;
	start_ns = now_ns();
	if (key_prefix[0] == 0)
		snprintf(key_prefix, sizeof(key_prefix), "b%" PRIx64,
			 (uint64_t)time(NULL) * 1000003u ^ start_ns ^ (uint64_t)getpid());
	for (unsigned int t = 0; t < o.threads; t++) {
		ws[t].id = t;
		ws[t].o = &o;
		ws[t].rng = 0x9e3779b97f4a7c15ull * (t + 1);
		ws[t].per_second = calloc(MAX_SECONDS + 1, sizeof(struct pk_hist));
		if (ws[t].per_second == NULL)
			return 2;
		for (unsigned int s = 0; s <= MAX_SECONDS; s++)
			pk_hist_reset(&ws[t].per_second[s]);
		pk_hist_reset(&ws[t].total);
		if (pthread_create(&ws[t].thread, NULL, run, &ws[t]) != 0) {
			perror("pthread_create");
			return 2;
		}
	}
	printf("%8s %10s %9s %9s %8s\n", "second", "ops/s", "p50 us", "p99 us", "");
	/* One row per finished second, read with a little grace after it. */
	while (shown < o.seconds) {
		struct pk_hist row;
		uint64_t due = start_ns + (uint64_t)(shown + 1) * 1000000000u + 50000000u;
		uint64_t now = now_ns();
		char label[16];

		if (now < due) {
			uint64_t d = due - now;
			struct timespec ts = { .tv_sec = (time_t)(d / 1000000000u),
					       .tv_nsec = (long)(d % 1000000000u) };

			nanosleep(&ts, NULL);
		}
		pk_hist_reset(&row);
		for (unsigned int t = 0; t < o.threads; t++)
			pk_hist_merge(&row, &ws[t].per_second[shown]);
		snprintf(label, sizeof(label), "%u", shown + 1);
		print_row(label, &row, 1.0, 0);
		shown++;
		if (o.max_ops != 0 && row.count == 0)
			break;	/* every thread reached its bound */
	}
	pk_hist_reset(&sum);
	for (unsigned int t = 0; t < o.threads; t++) {
		pthread_join(ws[t].thread, NULL);
		if (ws[t].err[0] != 0) {
			fprintf(stderr, "parnik-bench: %s\n", ws[t].err);
			return 2;
		}
		pk_hist_merge(&sum, &ws[t].total);
		for (unsigned int s = 0; s < 64; s++)
			by_status[s] += ws[t].by_status[s];
	}
	{
		double secs = (double)(now_ns() - start_ns) / 1e9;

		printf("\nsummary: %" PRIu64 " ops in %.1f s, %.0f ops/s; %u threads x %u in flight, "
		       "%u keys\n", sum.count, secs, (double)sum.count / secs, o.threads, o.depth,
		       o.keys);
	}
	printf("latency us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
	       (double)pk_hist_quantile(&sum, 0.5) / 1e3, (double)pk_hist_quantile(&sum, 0.9) / 1e3,
	       (double)pk_hist_quantile(&sum, 0.99) / 1e3,
	       (double)pk_hist_quantile(&sum, 0.999) / 1e3, (double)sum.max / 1e3);
	printf("results:");
	for (unsigned int s = 0; s < 64; s++) {
		if (by_status[s] == 0)
			continue;
		printf(" %s %" PRIu64, pk_status_name((int)s), by_status[s]);
		if (s > PK_OVERFLOW)
			errors += by_status[s];
	}
	printf("\nerrors (unknown outcome, busy, timeouts, ...): %" PRIu64 "\n", errors);
	if (o.check)
		ok = check_history(ws, o.threads, o.history);
	for (unsigned int t = 0; t < o.threads; t++) {
		free(ws[t].rec);
		free(ws[t].per_second);
	}
	return ok ? 0 : 1;
}
