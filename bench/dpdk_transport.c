/* parnik-bench's DPDK transports (see dpdk_transport.h), one per client
 * thread. Thread k's client sends from UDP port base + k on TX queue
 * k mod (the port's queues), and polls the RX queues q with q mod threads
 * = k. A replica answers on the queue of whichever of its workers served,
 * so a reply may land on another thread's queue: classify maps its UDP
 * port to its thread, and the frame goes to that thread's inbox (an MP/SC
 * rte_ring), with a kick if it sleeps (idle.h), as parnikd hands frames
 * between its workers. A thread whose client is not open (the pre-flight
 * check runs on the first alone) leaves its queues to the open ones, which
 * poll them when they can take the queue's lock (trylock), and which nap
 * rather than sleep meanwhile (their wake sources are their own queues').
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "clock.h"
#include "dpdk_shared.h"
#include "wake.h"

#define INBOX 4096
#define ARP_REPROBE_US 1000000u
/* wait(): where every queue can wake it (wake.h), it looks once and
 * sleeps until a frame arrives; spinning first only took the CPU from the
 * replicas sharing it (memif, 2 cores: p50 at 1 in flight 135-164 us with
 * a 20 us spin against 107-109 us without; 259-281k ops/s at 256 in flight
 * with a 50 us spin against 283-294k). Otherwise it spins this long, then
 * naps.
 */
#define SPIN_US 50u
#define NAP_NS 20000L

struct bench_tp {
	struct pk_transport t;	/* first: the callbacks get the transport back */
	unsigned int k;		/* thread index: UDP port base + k */
	bool open;
	bool registered;	/* we made the thread an EAL one (mempool cache) */
	struct rte_ring *inbox;	/* replies other threads received for us */
	struct rte_mbuf *stash[BENCH_BURST];	/* received by wait(), not yet delivered */
	uint16_t nstash;
	uint16_t stash_pi;
	uint64_t last_arp;	/* us: unresolved replicas are asked again every second */
	struct dp_idle_state idle;
	struct dp_wake wake;	/* our RX queues */
	struct bench_dpdk_stats st;
};

static struct bench_tp tps[BENCH_MAX_THREADS];
static rte_spinlock_t open_lock = RTE_SPINLOCK_INITIALIZER;

static uint16_t
txq(const struct bench_tp *tp, unsigned int pi)
{
	return (uint16_t)(tp->k % bench_g.ports[pi].p.ntxq);
}

static void
tx(struct bench_tp *tp, unsigned int pi, struct rte_mbuf **m, uint16_t n)
{
	uint16_t sent = bench_tx(pi, txq(tp, pi), m, n, &tp->st.bells_rung);

	tp->st.tx_frames += sent;
	tp->st.tx_full += (uint64_t)(n - sent);
	if (sent < n)
		rte_pktmbuf_free_bulk(m + sent, (unsigned int)(n - sent));
}

/* Delivers a payload frame of ours, or frees it when there is no one to
 * deliver to (fini).
 */
static void
deliver_frame(struct bench_tp *tp, unsigned int pi, struct rte_mbuf *m, pk_deliver_fn deliver,
	      void *arg)
{
	struct dp_parsed pp;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);

	dp_packet_classify(&bench_g.ports[pi].ifc, f, rte_pktmbuf_data_len(m), &pp);
	if (deliver != NULL && pp.verdict == DP_PAYLOAD)
		deliver(arg, f + pp.payload_off, pp.payload_len);
	else
		tp->st.rx_dropped++;
	rte_pktmbuf_free(m);
}

/* A frame that is not a reply for a client (<pp> its classification):
 * answers ARP and pings through TX queue <q>, learns ARP replies, counts
 * drops. Returns false for a payload, which the caller delivers; true when
 * it consumed <m>.
 */
static bool
handle_local(unsigned int pi, uint16_t q, struct rte_mbuf *m, const struct dp_parsed *pp,
		   struct bench_dpdk_stats *st)
{
	switch (pp->verdict) {
	case DP_PAYLOAD:
		return false;
	case DP_REPLY:
		m->data_len = m->pkt_len = pp->reply_len;
		st->answered++;
		if (bench_tx(pi, (uint16_t)(q % bench_g.ports[pi].p.ntxq), &m, 1, &st->bells_rung) == 1)
			st->tx_frames++;
		else
			rte_pktmbuf_free(m);
		return true;
	case DP_LEARN:
		bench_learn(pi, pp->src_ip, pp->src_mac);
		break;
	default:
		st->rx_dropped++;
		break;
	}
	rte_pktmbuf_free(m);
	return true;
}

/* One frame from port <pi>: ours is delivered, another thread's handed
 * over, the rest handled as bring-up does (ARP, ping, drops).
 */
static void
handle(struct bench_tp *tp, unsigned int pi, struct rte_mbuf *m, pk_deliver_fn deliver,
       void *arg)
{
	struct dp_parsed pp;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct bench_tp *to;

	tp->st.rx_frames++;
	if (!rte_pktmbuf_is_contiguous(m)) {
		tp->st.rx_dropped++;
		rte_pktmbuf_free(m);
		return;
	}
	dp_packet_classify(&bench_g.ports[pi].ifc, f, rte_pktmbuf_data_len(m), &pp);
	if (handle_local(pi, txq(tp, pi), m, &pp, &tp->st))
		return;
	if (pp.partition == tp->k) {
		if (deliver != NULL)
			deliver(arg, f + pp.payload_off, pp.payload_len);
		else
			tp->st.rx_dropped++;
		rte_pktmbuf_free(m);
		return;
	}
	to = &tps[pp.partition];	/* classify kept it below nthreads */
	m->port = (uint16_t)pi;	/* which port's interface parses it again */
	if (to->inbox == NULL || rte_ring_mp_enqueue(to->inbox, m) != 0) {	/* NULL: fini */
		tp->st.rx_dropped++;
		rte_pktmbuf_free(m);
		return;
	}
	tp->st.handed_off++;
	dp_idle_kick(&to->idle);
}

static void
drain_inbox(struct bench_tp *tp, pk_deliver_fn deliver, void *arg)
{
	struct rte_mbuf *m[BENCH_BURST];
	unsigned int n;

	do {
		n = rte_ring_sc_dequeue_burst(tp->inbox, (void **)m, BENCH_BURST, NULL);
		for (unsigned int i = 0; i < n; i++)
			deliver_frame(tp, m[i]->port, m[i], deliver, arg);
	} while (n == BENCH_BURST);
}

/* Receives from queue <q> of port <pi>: handles every frame (drain) or
 * stashes one burst (look). The owner waits for the queue's lock (only an
 * adopter ever holds it, briefly); an adopter passes a queue that is busy.
 * Returns how many frames it took.
 */
static uint16_t
poll_queue(struct bench_tp *tp, unsigned int pi, uint16_t q, bool own, bool look,
	   pk_deliver_fn deliver, void *arg)
{
	struct bench_port *bp = &bench_g.ports[pi];
	struct rte_mbuf *m[BENCH_BURST];
	uint16_t n, got = 0;

	if (own)
		rte_spinlock_lock(&bp->rxlock[q]);
	else if (!rte_spinlock_trylock(&bp->rxlock[q]))
		return 0;
	if (look) {
		got = tp->nstash = rte_eth_rx_burst(bp->p.id, q, tp->stash, BENCH_BURST);
		tp->stash_pi = (uint16_t)pi;
	} else {
		do {
			n = rte_eth_rx_burst(bp->p.id, q, m, BENCH_BURST);
			for (uint16_t i = 0; i < n; i++)
				handle(tp, pi, m[i], deliver, arg);
			got = (uint16_t)(got + n);
		} while (n == BENCH_BURST);
	}
	rte_spinlock_unlock(&bp->rxlock[q]);
	return got;
}

/* Whether any thread's client is closed: its queues need adopting. */
static bool
some_closed(void)
{
	for (unsigned int k = 0; k < bench_g.nthreads; k++)
		if (!__atomic_load_n(&tps[k].open, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

/* Every queue this thread polls now: its own, then those of closed
 * clients. With <look>, stops at the first burst and stashes it.
 */
static uint16_t
poll_queues(struct bench_tp *tp, bool look, pk_deliver_fn deliver, void *arg)
{
	uint16_t got = 0;
	bool adopt = some_closed();

	for (unsigned int pi = 0; pi < bench_g.nports; pi++) {
		const struct bench_port *bp = &bench_g.ports[pi];

		for (uint16_t q = 0; q < bp->p.nrxq; q++) {
			unsigned int owner = q % bench_g.nthreads;
			bool own = owner == tp->k;

			if (!own && (!adopt || __atomic_load_n(&tps[owner].open, __ATOMIC_ACQUIRE)))
				continue;
			got = (uint16_t)(got + poll_queue(tp, pi, q, own, look, deliver, arg));
			if (look && got > 0)
				return got;
		}
	}
	return got;
}

/* Handles what wait() stashed, the inbox, then everything pending on the
 * queues this thread polls.
 */
static void
drain(struct bench_tp *tp, pk_deliver_fn deliver, void *arg)
{
	for (uint16_t i = 0; i < tp->nstash; i++)
		handle(tp, tp->stash_pi, tp->stash[i], deliver, arg);
	tp->nstash = 0;
	drain_inbox(tp, deliver, arg);
	(void)poll_queues(tp, false, deliver, arg);
}

static int
dpdk_send(struct pk_transport *t, const struct pk_dgram *d, unsigned int n)
{
	struct bench_tp *tp = (struct bench_tp *)t;
	struct rte_mbuf *out[BENCH_DPDK_MAX_PORTS][BENCH_BURST];
	uint16_t nout[BENCH_DPDK_MAX_PORTS] = { 0 };

	for (unsigned int i = 0; i < n; i++) {
		const struct bench_hop *h = bench_hop_of(d[i].ip);
		const struct bench_port *bp;
		struct rte_mbuf *m;
		uint16_t pi;
		uint8_t *f;

		if (h == NULL) {
			errno = EHOSTUNREACH;
			return -1;
		}
		if (!__atomic_load_n(&h->resolved, __ATOMIC_ACQUIRE)) {
			tp->st.unresolved++;	/* lost: the client moves to another replica */
			continue;
		}
		pi = h->port;	/* fixed once resolved (bench_learn) */
		bp = &bench_g.ports[pi];
		m = rte_pktmbuf_alloc(bench_g.pool);
		if (m == NULL) {
			tp->st.tx_full++;	/* lost: the client's timeout retries it */
			continue;
		}
		f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(DP_HDRS_LEN + d[i].len));
		if (f == NULL) {
			rte_pktmbuf_free(m);
			errno = EMSGSIZE;
			return -1;
		}
		memcpy(f + DP_HDRS_LEN, d[i].data, d[i].len);
		dp_packet_build_udp(f, bp->ifc.mac, h->mac, bp->ifc.ip, h->ip,
				    (uint16_t)(bp->ifc.base_port + tp->k), d[i].port, d[i].len,
				    bp->p.udp_csum);
		out[pi][nout[pi]++] = m;
		if (nout[pi] == BENCH_BURST) {
			tx(tp, pi, out[pi], BENCH_BURST);
			nout[pi] = 0;
		}
	}
	for (unsigned int pi = 0; pi < bench_g.nports; pi++)
		if (nout[pi] > 0)
			tx(tp, pi, out[pi], nout[pi]);
	return 0;
}

static int
dpdk_receive(struct pk_transport *t, pk_deliver_fn deliver, void *arg)
{
	struct bench_tp *tp = (struct bench_tp *)t;

	if (tp->k == 0 && bench_resolved_count() < bench_g.nhops &&
	    dp_mono_us() - tp->last_arp >= ARP_REPROBE_US) {
		tp->st.tx_frames += bench_arp_unresolved(0, &tp->st.bells_rung);
		tp->last_arp = dp_mono_us();
	}
	drain(tp, deliver, arg);
	return 0;
}

/* One look at our queues and inbox: true when there is something for
 * receive() (a burst is stashed).
 */
static bool
ready(struct bench_tp *tp)
{
	if (tp->nstash > 0 || !rte_ring_empty(tp->inbox))
		return true;
	return poll_queues(tp, true, NULL, NULL) > 0;
}

/* What must end a sleep besides our own queues: a reply handed over, or a
 * thread that closed (its queues are ours to adopt now, and they have no
 * wake source of ours).
 */
static bool
inbox_pending(void *arg)
{
	const struct bench_tp *tp = arg;

	return !rte_ring_empty(tp->inbox) || some_closed();
}

static int
dpdk_wait(struct pk_transport *t, uint64_t timeout_us)
{
	struct bench_tp *tp = (struct bench_tp *)t;
	uint64_t start = dp_mono_us();

	for (;;) {
		uint64_t spent;

		if (ready(tp))
			break;
		spent = dp_mono_us() - start;
		if (spent >= timeout_us)
			break;
		if (dp_wake_on_arrival(&tp->wake) && !some_closed()) {
			/* Arm, look once more, then sleep until a frame rings. */
			dp_wake_arm(&tp->wake);
			if (ready(tp))
				break;
			tp->st.sleeps++;
			dp_idle_sleep(&tp->idle, (uint32_t)RTE_MIN(timeout_us - spent, 1000000u),
				      inbox_pending, tp);
			dp_wake_disarm(&tp->wake);
		} else if (spent < SPIN_US) {
			rte_pause();
		} else {
			struct timespec nap = { 0, NAP_NS };

			nanosleep(&nap, NULL);
		}
	}
	dp_wake_disarm(&tp->wake);
	return 0;
}

static void
dpdk_close(struct pk_transport *t)
{
	struct bench_tp *tp = (struct bench_tp *)t;

	if (tp->registered)
		rte_thread_unregister();
	tp->registered = false;
	__atomic_store_n(&tp->open, false, __ATOMIC_RELEASE);
	/* Whoever sleeps now has our queues to adopt: wake them. */
	for (unsigned int k = 0; k < bench_g.nthreads; k++)
		if (k != tp->k)
			dp_idle_kick(&tps[k].idle);
}

struct pk_transport *
bench_dpdk_transport_open(void *unused, char *err, size_t errlen)
{
	struct bench_tp *tp = NULL;

	(void)unused;
	if (!bench_g.up) {
		snprintf(err, errlen, "DPDK ports not initialised");
		return NULL;
	}
	rte_spinlock_lock(&open_lock);
	for (unsigned int k = 0; k < bench_g.nthreads && tp == NULL; k++)
		if (!__atomic_load_n(&tps[k].open, __ATOMIC_ACQUIRE)) {
			tp = &tps[k];
			__atomic_store_n(&tp->open, true, __ATOMIC_RELEASE);
		}
	rte_spinlock_unlock(&open_lock);
	if (tp == NULL) {
		snprintf(err, errlen, "all %u DPDK transports are in use (one per --threads)",
			 bench_g.nthreads);
		return NULL;
	}
	/* A client thread of ours is no EAL lcore: registered, it gets an lcore
	 * id, hence the mempool's per-lcore cache.
	 */
	tp->registered = rte_lcore_id() == LCORE_ID_ANY && rte_thread_register() == 0;
	tp->t = (struct pk_transport){ .send = dpdk_send, .receive = dpdk_receive,
				       .wait = dpdk_wait, .close = dpdk_close };
	return &tp->t;
}

int
bench_dpdk_transports_init(char *err, size_t errlen)
{
	bool complete = true;

	for (unsigned int k = 0; k < bench_g.nthreads; k++) {
		struct bench_tp *tp = &tps[k];
		char name[RTE_RING_NAMESIZE];

		tp->k = k;
		/* Safe to tear down from here on, whatever fails next. */
		dp_wake_init(&tp->wake);
		tp->idle.fd = -1;
		snprintf(name, sizeof(name), "bench_inbox_%u", k);
		tp->inbox = rte_ring_create(name, INBOX, SOCKET_ID_ANY, RING_F_SC_DEQ);
		if (tp->inbox == NULL) {
			snprintf(err, errlen, "ring %s: %s", name, rte_strerror(rte_errno));
			return -1;
		}
		if (dp_idle_init(&tp->idle) != 0) {
			snprintf(err, errlen, "no eventfd: %s", strerror(errno));
			return -1;
		}
		for (unsigned int pi = 0; pi < bench_g.nports; pi++)
			for (uint16_t q = (uint16_t)k; q < bench_g.ports[pi].p.nrxq;
			     q += (uint16_t)bench_g.nthreads)
				(void)dp_wake_add(&tp->wake, &tp->idle, &bench_g.ports[pi].p, q);
		complete = complete && dp_wake_on_arrival(&tp->wake);
	}
	snprintf(bench_g.describe, sizeof(bench_g.describe), "DPDK, %s x%u, %u thread(s), wakes by %s",
		 bench_g.ports[0].p.driver, bench_g.nports, bench_g.nthreads,
		 complete ? "arrival" : "timer");
	return 0;
}

void
bench_dpdk_transports_fini(void)
{
	/* Two passes: every frame still on a queue or in an inbox is dropped
	 * while every inbox exists (a late reply may be for any thread), and
	 * only then do the rings and descriptors go.
	 */
	for (unsigned int k = 0; k < bench_g.nthreads; k++)
		__atomic_store_n(&tps[k].open, true, __ATOMIC_RELEASE);	/* no adopting now */
	for (unsigned int k = 0; k < bench_g.nthreads; k++)
		if (tps[k].inbox != NULL)
			drain(&tps[k], NULL, NULL);
	for (unsigned int k = 0; k < bench_g.nthreads; k++) {
		struct bench_tp *tp = &tps[k];

		if (tp->inbox != NULL)
			drain_inbox(tp, NULL, NULL);
		dp_wake_fini(&tp->wake);
		dp_idle_fini(&tp->idle);
		rte_ring_free(tp->inbox);
		tp->inbox = NULL;
	}
}

void
bench_dpdk_bringup_poll(void)
{
	drain(&tps[0], NULL, NULL);	/* no client yet: ARP and pings only */
}

struct bench_dpdk_stats *
bench_dpdk_bringup_stats(void)
{
	return &tps[0].st;
}

void
bench_dpdk_stats(struct bench_dpdk_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int k = 0; k < bench_g.nthreads; k++) {
		const struct bench_dpdk_stats *s = &tps[k].st;

		out->rx_frames += s->rx_frames;
		out->tx_frames += s->tx_frames;
		out->rx_dropped += s->rx_dropped;
		out->tx_full += s->tx_full;
		out->unresolved += s->unresolved;
		out->answered += s->answered;
		out->sleeps += s->sleeps;
		out->bells_rung += s->bells_rung;
		out->handed_off += s->handed_off;
	}
}
