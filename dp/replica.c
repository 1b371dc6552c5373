/* Replica set-up and tear-down (see replica.h): the initial config, the
 * partitions and their owners, the hand-off rings, the lcore states, and
 * the counter report. The loop itself is in worker_loop.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <urcu/pointer.h>
#include <urcu/urcu-qsbr.h>

#include "clock.h"
#include "index_lfht.h"
#include "log.h"
#include "replica.h"

#define RING_SIZE 1024

/* A new cluster (--bootstrap): the --lists members prepare and accept with
 * majority quorums, epoch 1. A restarted replica starts with no lists
 * (epoch 0): it answers UNAVAILABLE until the control plane gives it the
 * cluster's current config (its old one may be long gone).
 */
static void kick_all(void *r);

static void
initial_config(struct pk_config *cfg, const struct dp_options *o)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->one_rtt = o->one_rtt;
	if (!o->bootstrap)
		return;
	cfg->epoch = 1;
	cfg->prepare_mask = o->lists;
	cfg->accept_mask = o->lists;
	cfg->prepare_quorum = pk_majority(o->lists);
	cfg->accept_quorum = cfg->prepare_quorum;
}

/* A --bootstrap replica asks the other members first (census.h). */
static bool
census_needed(const struct dp_options *o)
{
	return o->bootstrap && !o->force_bootstrap && o->nmembers > 1;
}

static int
make_partitions(struct dp_replica *r, const struct dp_options *o)
{
	struct pk_worker_params wp;
	struct timespec ts;

	memset(&wp, 0, sizeof(wp));
	pk_tuning_default(&wp.tuning);
	wp.tuning.max_keys = o->max_keys;
	wp.tuning.max_rounds = o->max_rounds;
	wp.tuning.max_sessions = o->max_sessions;
	wp.tuning.max_session_records = o->session_records;
	wp.tuning.session_lease = (uint64_t)o->session_lease_ms * 1000u;
	wp.tuning.max_value = o->max_value;
	wp.cluster_id = o->cluster_id;
	wp.node = o->node;
	wp.partitions = o->partitions;
	/* A new incarnation per start (milliseconds of wall time): a
	 * restarted proposer never reuses a ballot of its previous life.
	 */
	clock_gettime(CLOCK_REALTIME, &ts);
	wp.incarnation = (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u) | 1u;
	wp.admitted = o->bootstrap && !census_needed(o);
	/* Session numbers start above any an earlier run gave out: its boot
	 * time in microseconds, times 4096 (one run opens fewer than 4096
	 * sessions per microsecond it lived).
	 */
	wp.session_base = ((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u) << 12;
	for (uint16_t p = 0; p < o->partitions; p++) {
		struct dp_partition *part = &r->part[p];

		wp.worker = p;
		wp.seed = rte_get_tsc_cycles() ^ ((uint64_t)p << 32);
		/* Records in a cds_lfht, memory in the owner's arena. */
		wp.env = (struct pk_env){ .alloc = dp_mem_alloc, .free = dp_mem_free,
					  .index = &dp_index_lfht_ops,
					  .ctx = &r->lcores[part->owner]->mem };
		part->w = pk_worker_new(&wp, dp_plane_follow(&r->plane)->cfg);
		part->clients = calloc(DP_CLIENT_SLOTS, sizeof(*part->clients));
		if (part->w == NULL || part->clients == NULL) {
			dp_log(DP_LOG_ERR, "out of memory for partition %u", p);
			return -1;
		}
		r->plane.index[p] = pk_worker_index(part->w);
		/* Slot 0's seq 0 must not match cookie 0 before it is used. */
		for (uint32_t s = 0; s < DP_CLIENT_SLOTS; s++)
			part->clients[s].seq = UINT64_MAX;
	}
	return 0;
}

static int
make_lcores(struct dp_replica *r)
{
	for (uint16_t w = 0; w < r->nworkers; w++) {
		struct dp_lcore *l = rte_zmalloc("pk_lcore", sizeof(*l), RTE_CACHE_LINE_SIZE);

		if (l == NULL) {
			dp_log(DP_LOG_ERR, "out of memory for lcore state");
			return -1;
		}
		l->r = r;
		l->index = w;
		l->cfg_seen = dp_plane_follow(&r->plane)->cfg;
		l->admitted_seen = dp_plane_follow(&r->plane)->admitted;
		l->out = (struct pk_out){ .sends = l->sends, .send_cap = DP_OUTBOX,
					  .replies = l->replies, .reply_cap = DP_OUTBOX };
		pk_hist_reset(&l->live.latency);
		/* Distinct draws per replica and lcore; reproducibility is not
		 * the point of this layer (the simulator has seeds).
		 */
		dp_fault_lcore_init(&l->fault, rte_rdtsc() ^ ((uint64_t)r->opt->node << 48) ^
							 ((uint64_t)w << 40));
		if (dp_mem_init(&l->mem) != 0)
			return -1;
		if (dp_idle_init(&l->idle) != 0) {
			dp_log(DP_LOG_ERR, "no eventfd for the idle mode");
			return -1;
		}
		/* Worker w polls RX queue w of every port that has one. */
		dp_wake_init(&l->wake);
		for (unsigned int pi = 0; pi < r->nports; pi++)
			if (w < r->ports[pi].nrxq)
				(void)dp_wake_add(&l->wake, &l->idle, &r->ports[pi], w);
		for (uint16_t p = 0; p < r->opt->partitions; p++)
			if (r->part[p].owner == w)
				l->parts[l->nparts++] = p;
		r->lcores[w] = l;
	}
	/* One MP/SC ring per worker for the control plane's requests. */
	for (uint16_t w = 0; w < r->nworkers; w++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "pk_inject_%u", w);
		r->inject[w] = rte_ring_create(name, RING_SIZE, (int)rte_socket_id(),
					       RING_F_SC_DEQ);
		if (r->inject[w] == NULL) {
			dp_log(DP_LOG_ERR, "cannot create ring %s (memory: -m)", name);
			return -1;
		}
	}
	/* One SP/SC ring per ordered pair of distinct workers. */
	for (uint16_t a = 0; a < r->nworkers; a++)
		for (uint16_t b = 0; b < r->nworkers; b++) {
			char name[RTE_RING_NAMESIZE];

			if (a == b)
				continue;
			snprintf(name, sizeof(name), "pk_handoff_%u_%u", a, b);
			r->ring[a][b] = rte_ring_create(name, RING_SIZE, (int)rte_socket_id(),
							RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (r->ring[a][b] == NULL) {
				dp_log(DP_LOG_ERR, "cannot create ring %s (memory: -m)", name);
				return -1;
			}
		}
	return 0;
}

_Static_assert(DP_MAX_PORT_ID < RTE_MAX_ETHPORTS, "--neighbour port ids index port_index");

int
dp_replica_init(struct dp_replica *r, const struct dp_options *o, struct rte_mempool *pool,
		const struct dp_port *ports, unsigned int nports, uint16_t nworkers)
{
	memset(r, 0, sizeof(*r));
	r->opt = o;
	r->pool = pool;
	r->tsc_hz = rte_get_tsc_hz();
	r->client_hold_tsc = r->tsc_hz / 1000000u * DP_CLIENT_SLOT_HOLD_US;
	r->ns_per_tsc = 1e9 / (double)r->tsc_hz;
	r->nworkers = nworkers;
	memset(r->port_index, -1, sizeof(r->port_index));
	r->nports = nports;
	for (unsigned int i = 0; i < nports; i++) {
		struct rte_ether_addr mac;

		r->ports[i] = ports[i];
		r->port_index[ports[i].id] = (int8_t)i;
		rte_eth_macaddr_get(ports[i].id, &mac);
		memcpy(r->iface[i].mac, mac.addr_bytes, 6);
		r->iface[i].ip = o->ip;
		r->iface[i].base_port = o->base_port;
		r->iface[i].partitions = o->partitions;
		for (unsigned int w = 0; w < DP_MAX_WORKERS; w++)
			rte_spinlock_init(&r->txlock[i][w]);
	}
	{
		/* The start time in the peer MAC trailer: receivers follow a
		 * sender's latest start and refuse its earlier ones (gate.h).
		 */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		dp_gate_init(&r->gate, o,
			     (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	}
	{
		struct pk_config first;

		initial_config(&first, o);
		if (dp_plane_init(&r->plane, &first, o->bootstrap && !census_needed(o), nworkers,
				  o->partitions, kick_all, r) != 0)
			return -1;
	}
	{
		/* The census token: answers recorded from an earlier census
		 * (replayed to a replica whose windows are new) never match.
		 */
		uint64_t token = 0;

		if (getrandom(&token, sizeof(token), 0) != (ssize_t)sizeof(token))
			token = rte_get_tsc_cycles();
		dp_census_init(&r->census, o->partitions, census_needed(o), token | 1);
	}
	dp_jobs_init(&r->jobs, r);
	for (uint16_t p = 0; p < o->partitions; p++)
		r->part[p].owner = (uint16_t)(p % nworkers);
	urcu_qsbr_register_thread();
	urcu_qsbr_thread_offline();
	if (make_lcores(r) != 0 || make_partitions(r, o) != 0)
		return -1;
	dp_neigh_init(&r->neigh, o,
		      (uint64_t)((double)rte_get_tsc_cycles() * 1e6 / (double)r->tsc_hz));
	return 0;
}

static void
kick_all(void *r)
{
	dp_replica_kick_all(r);
}

void
dp_replica_kick_all(struct dp_replica *r)
{
	for (uint16_t w = 0; w < r->nworkers; w++)
		if (r->lcores[w] != NULL)
			dp_idle_kick(&r->lcores[w]->idle);
}

uint16_t
dp_replica_others(const struct dp_replica *r)
{
	uint16_t mask = 0;

	for (unsigned int i = 0; i < r->opt->nmembers; i++)
		if (r->opt->members[i].id != r->opt->node)
			mask |= (uint16_t)(1u << r->opt->members[i].id);
	return mask;
}

/* How long the spares (members outside the lists) may take to answer once
 * the lists' members have: they are asked too, but not waited for.
 */
#define CENSUS_SPARES_MS 300

/* The census's answers, a log line each (census.c prints to a stream). */
static void
log_census(const struct dp_census *c, uint16_t others)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return;
	dp_census_print(c, others, f);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		dp_log(DP_LOG_ERR, "%s", strncmp(line, "parnikd: ", 9) == 0 ? line + 9 : line);
	free(text);
}

int
dp_replica_census(struct dp_replica *r)
{
	uint16_t others = dp_replica_others(r);
	/* Lists of this replica alone (a test bench): then every member. */
	uint16_t required = (others & r->opt->lists) != 0 ? others & r->opt->lists : others;
	uint64_t t0 = dp_mono_us() / 1000, lists_done = 0;
	char why[256];

	for (;;) {
		uint64_t now = dp_mono_us() / 1000;

		if (lists_done == 0 && dp_census_complete(&r->census, required))
			lists_done = now;
		if (dp_census_complete(&r->census, others) ||
		    (lists_done != 0 && now - lists_done >= CENSUS_SPARES_MS) ||
		    now - t0 >= r->opt->bootstrap_wait_ms ||
		    __atomic_load_n(&r->stop, __ATOMIC_RELAXED))
			break;
		usleep(5000);
	}
	if (!dp_census_verdict(&r->census, others, required, why, sizeof(why))) {
		log_census(&r->census, others);
		dp_log(DP_LOG_ERR,
		       "refusing --bootstrap: %s. A replica that restarted must not "
		       "vote with empty memory: start it without --bootstrap and readmit it "
		       "(parnikctl -s SOCKETS readmit %u); --force-bootstrap only to build a "
		       "brand-new cluster.",
		       why, r->opt->node);
		return -1;
	}
	dp_log(DP_LOG_NOTICE, "bootstrap: %u of %u other member(s) answered, none holds state: "
	       "voting", dp_census_heard(&r->census, others), pk_mask_count(others));
	if (dp_plane_admit(&r->plane) != 0) {
		dp_log(DP_LOG_ERR, "out of memory admitting the acceptors");
		return -1;
	}
	return 0;
}

bool
dp_replica_is_member(const struct dp_replica *r, uint16_t id)
{
	for (unsigned int i = 0; i < r->opt->nmembers; i++)
		if (r->opt->members[i].id == id)
			return true;
	return false;
}

void
dp_replica_owners(const struct dp_replica *r, uint16_t *owner)
{
	for (uint16_t p = 0; p < r->opt->partitions; p++)
		owner[p] = r->part[p].owner;
}

void
dp_replica_print_stats(const struct dp_replica *r, FILE *f)
{
	static struct dp_counters sum;
	static struct dp_report one;

	dp_plane_counters(&r->plane, &sum);
	fprintf(f, "parnikd node %u counters (%u worker lcore(s), %u partition(s)):\n",
		r->opt->node, r->nworkers, r->opt->partitions);
	dp_counters_print(&sum, f);
	for (uint16_t w = 0; w < r->nworkers; w++) {
		dp_plane_report(&r->plane, w, &one);
		dp_counters_print_lcore(&one.counters, one.lcore_id, f);
	}
	for (unsigned int i = 0; i < r->nports; i++) {
		struct rte_eth_stats es;

		if (rte_eth_stats_get(r->ports[i].id, &es) != 0)
			continue;
		fprintf(f,
			"  port %u (%s): rx %" PRIu64 " tx %" PRIu64 " missed %" PRIu64
			" rx_errors %" PRIu64 " tx_errors %" PRIu64 "\n",
			r->ports[i].id, r->ports[i].driver, es.ipackets, es.opackets, es.imissed,
			es.ierrors, es.oerrors);
	}
}

void
dp_replica_fini(struct dp_replica *r)
{
	/* The workers are gone: a job still running gives up, and nothing
	 * reads the tables any more.
	 */
	dp_jobs_fini(&r->jobs);
	urcu_qsbr_thread_online();
	for (uint16_t w = 0; w < r->nworkers; w++)
		if (r->lcores[w] != NULL)
			dp_mem_teardown(&r->lcores[w]->mem);
	for (uint16_t p = 0; p < r->opt->partitions; p++) {
		pk_worker_free(r->part[p].w);
		free(r->part[p].clients);
	}
	urcu_qsbr_thread_offline();
	urcu_qsbr_barrier();	/* the deferred frees of the run, done */
	urcu_qsbr_unregister_thread();
	dp_plane_fini(&r->plane);
	for (uint16_t a = 0; a < r->nworkers; a++) {
		for (uint16_t b = 0; b < r->nworkers; b++) {
			struct rte_mbuf *m;

			if (r->ring[a][b] == NULL)
				continue;
			while (rte_ring_dequeue(r->ring[a][b], (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(r->ring[a][b]);
		}
		rte_ring_free(r->inject[a]);	/* its requests belong to the jobs */
		if (r->lcores[a] != NULL) {
			dp_wake_fini(&r->lcores[a]->wake);
			dp_idle_fini(&r->lcores[a]->idle);
		}
		rte_free(r->lcores[a]);
	}
}
