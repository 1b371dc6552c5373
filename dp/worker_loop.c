/* The worker loop, one per lcore: RX burst on this lcore's queue of every
 * port, classify, answer ARP and ICMP, learn neighbours, hand frames for
 * another lcore's partitions to their owner, step the core for our own,
 * batch its messages per destination into as few datagrams as the MTU
 * allows, TX burst, fire the core's timers, probe unresolved members (lcore
 * 0), publish counters, hand the pass's frees to RCU, one QSBR quiescent
 * state, idle adaptively (offline for RCU while asleep). Nothing here logs,
 * calls libc malloc or exits: every failure is a counter.
 */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <urcu/pointer.h>
#include <urcu/urcu-qsbr.h>

#include "inject.h"
#include "replica.h"

#define PUBLISH_PER_SECOND 100

/* ---- transmit ---- */

static void
tx_flush(struct dp_lcore *l, unsigned int pi)
{
	struct dp_replica *r = l->r;
	struct dp_txbuf *b = &l->tx[pi];
	const struct dp_port *p = &r->ports[pi];
	uint16_t q = (uint16_t)(l->index % p->ntxq), sent;
	bool shared = p->ntxq < r->nworkers;

	if (b->n == 0)
		return;
	if (shared)
		rte_spinlock_lock(&r->txlock[pi][q]);
	sent = rte_eth_tx_burst(p->id, q, b->m, b->n);
	if (shared)
		rte_spinlock_unlock(&r->txlock[pi][q]);
	if (sent > 0 && dp_bell_present(&p->bell) && dp_bell_ring(&p->bell, q))
		l->live.dp.bells_rung++;
	l->live.dp.tx_frames += sent;
	if (sent < b->n) {
		rte_pktmbuf_free_bulk(&b->m[sent], b->n - sent);
		l->live.dp.tx_dropped += b->n - sent;
	}
	b->n = 0;
}

static void
tx_flush_all(struct dp_lcore *l)
{
	for (unsigned int pi = 0; pi < l->r->nports; pi++)
		tx_flush(l, pi);
}

/* After a datagram's work: the ports that send at once (--tx-flush). */
static void
tx_flush_eager(struct dp_lcore *l)
{
	for (unsigned int pi = 0; pi < l->r->nports; pi++)
		if (l->r->ports[pi].tx_per_datagram)
			tx_flush(l, pi);
}

/* Queues <m> for the port, past any fault rule. */
static void
tx_put(struct dp_lcore *l, unsigned int pi, struct rte_mbuf *m)
{
	struct dp_txbuf *b = &l->tx[pi];

	b->m[b->n++] = m;
	if (b->n == DP_BURST)
		tx_flush(l, pi);
}

static void fault_frame(struct dp_lcore *l, unsigned int pi, struct rte_mbuf *m, bool out);

static void
tx_frame(struct dp_lcore *l, unsigned int pi, struct rte_mbuf *m)
{
	if (unlikely(l->faults_on))
		fault_frame(l, pi, m, true);
	else
		tx_put(l, pi, m);
}

/* Sets the length of a single-segment frame. */
static void
frame_set_len(struct rte_mbuf *m, uint16_t len)
{
	m->data_len = len;
	m->pkt_len = len;
}

/* ---- datagrams filled in place in mbufs ---- */

static bool
dgram_open(struct dp_lcore *l, struct dp_open *o, uint16_t partition)
{
	const struct dp_options *opt = l->r->opt;
	const struct pk_dgram_hdr hdr = { .cluster_id = opt->cluster_id,
					  .partitions = opt->partitions,
					  .partition = partition };

	o->m = rte_pktmbuf_alloc(l->r->pool);
	if (unlikely(o->m == NULL)) {
		l->live.dp.no_mbuf++;
		return false;
	}
	/* Room for the MAC trailer, whether or not this one gets it. */
	pk_wire_begin(&o->w, rte_pktmbuf_mtod(o->m, uint8_t *) + DP_HDRS_LEN,
		      PK_MAX_DGRAM - PK_AUTH_TRAILER_LEN, &hdr);
	return true;
}

/* Finishes the open datagram as a UDP frame from partition <partition>'s
 * port and queues it for TX.
 */
static void
dgram_close(struct dp_lcore *l, struct dp_open *o, uint16_t partition)
{
	struct dp_replica *r = l->r;
	uint8_t *payload;
	uint16_t len, plen;

	if (o->m == NULL)
		return;
	if (o->w.count == 0) {
		rte_pktmbuf_free(o->m);
		o->m = NULL;
		return;
	}
	payload = rte_pktmbuf_mtod(o->m, uint8_t *) + DP_HDRS_LEN;
	plen = (uint16_t)o->w.len;
	if (o->peer >= 0)
		plen = dp_gate_seal_peer(&r->gate, &r->part[partition].gate, (uint16_t)o->peer,
					 payload, plen, PK_MAX_DGRAM);
	else if (o->sealed)
		plen = dp_gate_seal_reply(&r->gate, payload, plen, PK_MAX_DGRAM);
	len = dp_packet_build_udp(rte_pktmbuf_mtod(o->m, uint8_t *), r->iface[o->pi].mac,
				  o->hop.mac, r->opt->ip, o->dst_ip,
				  (uint16_t)(r->opt->base_port + partition), o->dst_udp, plen,
				  r->ports[o->pi].udp_csum);
	frame_set_len(o->m, len);
	tx_frame(l, o->pi, o->m);
	o->m = NULL;
}

/* Appends <m> to <o>, sending the open datagram first when it is full. */
static void
dgram_add(struct dp_lcore *l, struct dp_open *o, uint16_t partition, const struct pk_msg *m)
{
	if (o->m == NULL && !dgram_open(l, o, partition))
		return;
	if (pk_wire_add(&o->w, m) == -PK_E_NOSPACE) {
		/* Closing keeps the destination; only the mbuf is new. */
		dgram_close(l, o, partition);
		if (!dgram_open(l, o, partition))
			return;
		(void)pk_wire_add(&o->w, m);
	}
}

/* Closes every open datagram of <partition> and sends them now on the
 * ports that send per datagram: peers start on their part of the round
 * while this lcore goes on with its burst. The others send at the end of
 * the pass.
 */
static void
dgram_close_all(struct dp_lcore *l, uint16_t partition)
{
	for (uint16_t d = 0; d < PK_MAX_NODES; d++)
		dgram_close(l, &l->peer_open[d], partition);
	dgram_close(l, &l->reply_open, partition);
	tx_flush_eager(l);
}

/* A peer message for member <d>: into its open datagram, or counted as
 * waiting for ARP when the member is not resolved (the protocol's timeouts
 * retry it).
 */
static void
emit_peer(struct dp_lcore *l, uint16_t d, uint16_t partition, const struct pk_msg *m)
{
	struct dp_replica *r = l->r;
	struct dp_open *o = &l->peer_open[d];

	if (o->m == NULL) {
		o->dst_ip = dp_options_member_ip(r->opt, d);
		if (!dp_neigh_lookup(&r->neigh, o->dst_ip, &o->hop) ||
		    r->port_index[o->hop.port] < 0) {
			l->live.dp.no_neighbour++;
			return;
		}
		o->pi = (unsigned int)r->port_index[o->hop.port];
		o->dst_udp = (uint16_t)(r->opt->base_port + partition);
		o->peer = d;
	}
	dgram_add(l, o, partition, m);
}

/* A reply to the client at <a>, through port index <pi>: batched with the
 * previous one when it goes to the same client socket (a client sends
 * several requests per datagram) and is sealed alike.
 */
static void
emit_reply_to(struct dp_lcore *l, uint16_t partition, const struct dp_client_addr *a,
	      unsigned int pi, const struct pk_msg *msg)
{
	struct dp_open *o = &l->reply_open;

	if (o->m != NULL && (o->dst_ip != a->ip || o->dst_udp != a->udp_port || o->pi != pi ||
			     o->sealed != a->sealed || memcmp(o->hop.mac, a->mac, 6) != 0))
		dgram_close(l, o, partition);
	if (o->m == NULL) {
		o->peer = -1;
		o->sealed = a->sealed;
		o->pi = pi;
		o->dst_ip = a->ip;
		o->dst_udp = a->udp_port;
		memcpy(o->hop.mac, a->mac, 6);
		o->hop.port = a->port;
	}
	dgram_add(l, o, partition, msg);
}

/* The reply to a request the core ran: to the address its cookie's slot
 * remembers.
 */
static void
emit_reply(struct dp_lcore *l, struct dp_partition *part, uint16_t partition,
	   const struct pk_reply *rep)
{
	struct dp_replica *r = l->r;
	struct dp_client_addr *a = &part->clients[rep->cookie % DP_CLIENT_SLOTS];
	int pi;

	if (unlikely((rep->cookie & DP_COOKIE_INJECTED) != 0)) {
		dp_ireq_complete(rep->cookie, rep->msg.status);
		return;
	}
	if (unlikely(rep->cookie == DP_COOKIE_SHED)) {
		emit_reply_to(l, partition, &l->shed_to, l->shed_pi, &rep->msg);
		return;
	}
	if (unlikely(a->seq != rep->cookie)) {
		l->live.dp.reply_addr_lost++;
		return;
	}
	a->waiting = false;
	pi = r->port_index[a->port];
	if (pi < 0)
		return;
	pk_hist_record(&l->live.latency,
		       (uint64_t)((double)(rte_rdtsc() - a->arrival_tsc) * r->ns_per_tsc));
	emit_reply_to(l, partition, a, (unsigned int)pi, &rep->msg);
}

/* Encodes partition <p>'s outbox into open datagrams (the messages point
 * into core memory valid only until the next core call).
 */
struct drain_ctx {
	struct dp_lcore *l;
	uint16_t p;
};

static void
drain_peer(void *ctx, uint16_t to, const struct pk_msg *m)
{
	struct drain_ctx *d = ctx;

	emit_peer(d->l, to, d->p, m);
}

static void
drain_reply(void *ctx, const struct pk_reply *rep)
{
	struct drain_ctx *d = ctx;

	emit_reply(d->l, &d->l->r->part[d->p], d->p, rep);
}

static void
drain(struct dp_lcore *l, uint16_t p)
{
	struct drain_ctx d = { .l = l, .p = p };
	const struct pk_out_sink sink = { .peer = drain_peer, .reply = drain_reply, .ctx = &d };

	pk_out_drain(&l->out, &sink);
}

/* ---- receive ---- */

/* Remembers where client request <m> came from and returns its cookie; or
 * DP_COOKIE_SHED when the next slots all still hold the addresses of
 * requests the replica may yet answer: the request is then shed (answered
 * BUSY at once, to l->shed_to, where it came from).
 */
/* Whether <a> still holds the address of a request the replica may answer. */
static bool
slot_held(const struct dp_lcore *l, const struct dp_client_addr *a, uint64_t now_tsc)
{
	return a->waiting && now_tsc - a->arrival_tsc < l->r->client_hold_tsc;
}

static uint64_t
client_slot(struct dp_lcore *l, struct dp_partition *part, unsigned int pi,
	    const struct dp_parsed *pp, bool sealed)
{
	uint64_t now_tsc = rte_rdtsc();
	uint64_t seq = part->next_client;
	struct dp_client_addr *a = &part->clients[seq % DP_CLIENT_SLOTS];

	/* A slot still waiting is passed over (its request keeps its number):
	 * one the core answers late, or never (a copy dropped as a duplicate),
	 * holds up no other.
	 */
	for (unsigned int skip = 0; skip < DP_CLIENT_SLOT_SKIP && slot_held(l, a, now_tsc);
	     skip++) {
		seq = ++part->next_client;
		a = &part->clients[seq % DP_CLIENT_SLOTS];
	}
	if (slot_held(l, a, now_tsc)) {
		a = &l->shed_to;
		a->port = l->r->ports[pi].id;
		a->ip = pp->src_ip;
		a->udp_port = pp->src_port;
		a->sealed = sealed;
		memcpy(a->mac, pp->src_mac, 6);
		l->shed_pi = pi;
		l->live.dp.client_shed++;
		return DP_COOKIE_SHED;
	}
	part->next_client++;
	a->seq = seq;
	a->waiting = true;
	a->arrival_tsc = now_tsc;
	memcpy(a->mac, pp->src_mac, 6);
	a->port = l->r->ports[pi].id;
	a->ip = pp->src_ip;
	a->udp_port = pp->src_port;
	a->sealed = sealed;
	return seq;
}

/* A client request refused by the gate (the client key is required): the
 * reply says why and goes straight back to the datagram's source, taking
 * no reply slot (a flood of open requests must not push out the addresses
 * of sealed ones in flight); nothing else happens.
 */
static void
refuse_client(struct dp_lcore *l, unsigned int pi, uint16_t partition,
	      const struct dp_parsed *pp, const struct pk_msg *req)
{
	struct dp_client_addr a = { .port = l->r->ports[pi].id, .ip = pp->src_ip,
				    .udp_port = pp->src_port, .sealed = false };
	struct pk_msg rep = { .type = PK_MSG_CLIENT_REP, .client_id = req->client_id,
			      .request_id = req->request_id, .session = req->session,
			      .status = PK_UNAUTHENTICATED };

	memcpy(a.mac, pp->src_mac, 6);
	emit_reply_to(l, partition, &a, pi, &rep);
	l->live.dp.gate[DP_gate_client_refused]++;
}

/* One datagram for partition <pp->partition>: through the gate (MAC,
 * replay window, senders), decoded whole, then acted on message by
 * message. Nothing is learned from it (not even its sender's MAC address)
 * before it passed.
 */
static void
handle_payload(struct dp_lcore *l, unsigned int pi, uint8_t *frame, const struct dp_parsed *pp)
{
	struct dp_replica *r = l->r;
	const struct pk_wire_expect exp = { .cluster_id = r->opt->cluster_id,
					    .partitions = r->opt->partitions };
	struct pk_msg msgs[PK_MAX_BATCH];
	struct pk_dgram_hdr hdr;
	uint16_t p = pp->partition;
	struct dp_partition *part = &r->part[p];
	const struct dp_gate_in in = { .buf = frame + pp->payload_off, .len = pp->payload_len,
				       .src_ip = pp->src_ip, .src_port = pp->src_port,
				       .partition = p };
	struct dp_gate_out gout;
	enum dp_gate_reason why = dp_gate_open(&r->gate, &part->gate, &in, &gout);
	int n, peer;

	if (why != DP_GATE_OK) {
		l->live.dp.gate[why]++;
		return;
	}
	n = pk_wire_decode(in.buf, gout.len, &exp, &hdr, msgs, PK_MAX_BATCH);
	if (n < 0) {
		l->live.dp.decode_errors++;
		l->live.dp.decode_by_code[-n & 63]++;
		return;
	}
	if (hdr.partition != p) {
		l->live.dp.partition_mismatch++;
		return;
	}
	why = dp_gate_admit(&r->gate, &part->gate, &in, &gout, msgs, n, &peer);
	if (why != DP_GATE_OK) {
		l->live.dp.gate[why]++;
		return;
	}
	if (peer >= 0) {
		dp_neigh_learn(&r->neigh, pp->src_ip, pp->src_mac, r->ports[pi].id, l->now_us,
			       true);
		l->peer_heard_us[peer] = l->now_us;
	}
	for (int i = 0; i < n; i++) {
		if (msgs[i].type == PK_MSG_INSTALLED) {
			(void)dp_installs_ack(&l->installs, msgs[i].peer.node, msgs[i].peer.token);
		} else if (msgs[i].type == PK_MSG_HELLO_REP) {
			dp_census_note(&r->census, msgs[i].peer.node, p, msgs[i].peer.token,
				       msgs[i].arg, msgs[i].state.version, msgs[i].peer.epoch);
		} else if (msgs[i].type == PK_MSG_CLIENT_REQ) {
			bool sealed = gout.flags == PK_DGRAM_CLIENT_MAC;

			if (dp_gate_client_refused(&r->gate, &gout))
				refuse_client(l, pi, p, pp, &msgs[i]);
			else {
				uint64_t cookie = client_slot(l, part, pi, pp, sealed);

				msgs[i].shed = l->shedding || cookie == DP_COOKIE_SHED;
				pk_worker_client(part->w, &msgs[i], cookie, l->now_us, &l->out);
			}
		} else if (msgs[i].type != PK_MSG_CLIENT_REP) {
			pk_worker_peer(part->w, &msgs[i], l->now_us, &l->out);
		}
		drain(l, p);
	}
	dgram_close_all(l, p);
}

/* Passes <m> to the lcore owning its partition. A full ring drops the
 * frame, counted, like a NIC queue overflow.
 */
static void
handoff(struct dp_lcore *l, uint16_t owner, unsigned int pi, struct rte_mbuf *m)
{
	m->port = l->r->ports[pi].id;
	if (unlikely(rte_ring_sp_enqueue(l->r->ring[l->index][owner], m) != 0)) {
		l->live.dp.handoff_full++;
		rte_pktmbuf_free(m);
		return;
	}
	l->live.dp.handoff_out++;
	dp_idle_kick(&l->r->lcores[owner]->idle);
}

static void
handle_frame(struct dp_lcore *l, unsigned int pi, struct rte_mbuf *m)
{
	struct dp_replica *r = l->r;
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t port = r->ports[pi].id;
	struct dp_parsed pp;

	dp_packet_classify(&r->iface[pi], data, rte_pktmbuf_data_len(m), &pp);
	switch (pp.verdict) {
	case DP_REPLY:
		if (data[12] == 0x08 && data[13] == 0x06) {
			l->live.dp.arp_replies++;
			dp_neigh_learn(&r->neigh, pp.src_ip, pp.src_mac, port, l->now_us, false);
		} else {
			l->live.dp.icmp_replies++;
		}
		frame_set_len(m, pp.reply_len);
		tx_frame(l, pi, m);
		return;
	case DP_LEARN:
		dp_neigh_learn(&r->neigh, pp.src_ip, pp.src_mac, port, l->now_us, false);
		break;
	case DP_PAYLOAD: {
		uint16_t owner = r->part[pp.partition].owner;

		if (owner != l->index) {
			handoff(l, owner, pi, m);
			return;
		}
		handle_payload(l, pi, data, &pp);
		break;
	}
	default:
		l->live.dp.drops[pp.drop]++;
		break;
	}
	rte_pktmbuf_free(m);
}

/* ---- injected faults (--fault-injection, faults.h) ---- */

/* The bit of the member at <ip>, or 0 for any other address (a client). */
static uint16_t
member_bit(const struct dp_replica *r, uint32_t ip)
{
	for (unsigned int i = 0; i < r->opt->nmembers; i++)
		if (r->opt->members[i].ip == ip)
			return (uint16_t)(1u << r->opt->members[i].id);
	return 0;
}

/* A frame past the fault layer: out to the port, or in to be handled. */
static void
fault_pass(struct dp_lcore *l, unsigned int pi, struct rte_mbuf *m, bool out)
{
	if (out)
		tx_put(l, pi, m);
	else
		handle_frame(l, pi, m);
}

static void
fault_deliver(struct dp_lcore *l, unsigned int pi, struct rte_mbuf *m, bool out, uint32_t delay)
{
	if (delay == 0) {
		fault_pass(l, pi, m, out);
	} else if (dp_fault_hold(&l->fault, m, (uint16_t)pi, out, l->now_us + delay)) {
		l->live.dp.fault_delayed++;
	} else {
		l->live.dp.fault_overflow++;
		rte_pktmbuf_free(m);
	}
}

/* Applies the active rule to a frame coming in or going <out>. */
static void
fault_frame(struct dp_lcore *l, unsigned int pi, struct rte_mbuf *m, bool out)
{
	struct dp_replica *r = l->r;
	uint32_t ip = dp_packet_remote_ip(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m),
					  out);
	struct dp_fault_act a;

	if (ip == 0 || !dp_fault_applies(&l->fault, out, member_bit(r, ip))) {
		fault_pass(l, pi, m, out);
		return;
	}
	dp_fault_decide(&l->fault, &a);
	if (a.copies == 0) {
		l->live.dp.fault_dropped++;
		rte_pktmbuf_free(m);
		return;
	}
	if (a.copies == 2) {
		/* Copied before the original goes on: handling may rewrite it. */
		struct rte_mbuf *dup = rte_pktmbuf_copy(m, r->pool, 0, UINT32_MAX);

		if (dup != NULL) {
			l->live.dp.fault_duplicated++;
			fault_deliver(l, pi, dup, out, a.delay_us[1]);
		} else {
			l->live.dp.no_mbuf++;
		}
	}
	fault_deliver(l, pi, m, out, a.delay_us[0]);
}

/* Each pass: follows the rule and lets the held frames that are due go
 * on (those held under a rule since cleared too). Returns how many went.
 */
static unsigned int
fault_release(struct dp_lcore *l)
{
	const struct dp_control *ctl = dp_plane_follow(&l->r->plane);
	struct dp_fault_held h;
	unsigned int n = 0;

	l->faults_on = dp_fault_follow(&l->fault, &ctl->fault, ctl->fault_seq);
	while (dp_fault_take_due(&l->fault, l->now_us, &h)) {
		fault_pass(l, h.port, h.frame, h.out);
		n++;
	}
	return n;
}

/* Load shedding on a standing queue (the idea of CoDel; --shed-queue-us,
 * off by default): a port that fills every burst that long has a queue
 * that is not draining,
 * and each request in it waits longer than the last. Until a burst comes
 * back short, new client requests are answered BUSY at once, through the
 * core (so the refusal is held in the session like any other) and at the
 * cost of a decode: the queue drains in a fraction of the time rounds
 * would take, and the requests admitted meet a short queue. Peer messages
 * are never shed: they finish the rounds already admitted.
 */
static void
follow_backlog(struct dp_lcore *l, bool full)
{
	uint32_t standing = l->r->opt->shed_queue_us;

	if (!full || standing == 0) {
		l->backlog_since = 0;
		l->shedding = false;
	} else if (l->backlog_since == 0) {
		l->backlog_since = l->now_us;
	} else if (l->now_us - l->backlog_since >= standing) {
		if (!l->shedding)
			l->live.dp.shed_episodes++;
		l->shedding = true;
	}
}

static unsigned int
poll_ports(struct dp_lcore *l)
{
	struct dp_replica *r = l->r;
	struct rte_mbuf *pkts[DP_BURST];
	unsigned int got = 0;
	bool full = false;

	for (unsigned int pi = 0; pi < r->nports; pi++) {
		uint16_t nb;

		if (l->index >= r->ports[pi].nrxq)
			continue;
		nb = rte_eth_rx_burst(r->ports[pi].id, l->index, pkts, DP_BURST);
		l->live.dp.rx_frames += nb;
		for (uint16_t i = 0; i < nb; i++) {
			if (unlikely(l->faults_on))
				fault_frame(l, pi, pkts[i], false);
			else
				handle_frame(l, pi, pkts[i]);
		}
		got += nb;
		full = full || nb == DP_BURST;
	}
	follow_backlog(l, full);
	return got;
}

static unsigned int
poll_rings(struct dp_lcore *l)
{
	struct dp_replica *r = l->r;
	struct rte_mbuf *pkts[DP_BURST];
	unsigned int got = 0;

	for (uint16_t from = 0; from < r->nworkers; from++) {
		unsigned int nb;

		if (from == l->index)
			continue;
		nb = rte_ring_sc_dequeue_burst(r->ring[from][l->index], (void **)pkts, DP_BURST,
					       NULL);
		l->live.dp.handoff_in += nb;
		for (unsigned int i = 0; i < nb; i++) {
			int pi = r->port_index[pkts[i]->port];

			if (pi < 0) {
				rte_pktmbuf_free(pkts[i]);
				continue;
			}
			handle_frame(l, (unsigned int)pi, pkts[i]);
		}
		got += nb;
	}
	return got;
}

/* The control plane's requests (inject.h), run as client requests whose
 * cookie points back at them.
 */
static unsigned int
poll_inject(struct dp_lcore *l)
{
	struct dp_replica *r = l->r;
	struct dp_ireq *q[DP_BURST];
	unsigned int nb = rte_ring_sc_dequeue_burst(r->inject[l->index], (void **)q, DP_BURST,
						    NULL);

	for (unsigned int i = 0; i < nb; i++) {
		uint16_t p = q[i]->partition;

		uint64_t cookie = DP_COOKIE_INJECTED | (uintptr_t)q[i];

		if (q[i]->kind == DP_IREQ_INSTALL) {
			dp_installs_send(&l->installs, r->part[p].w, q[i], l->now_us, &l->out);
		} else if (q[i]->kind == DP_IREQ_GC) {
			pk_worker_gc(r->part[p].w, q[i]->key, q[i]->key_len, cookie, l->now_us,
				     &l->out);
		} else {
			struct pk_msg m = { .type = PK_MSG_CLIENT_REQ, .op = q[i]->op,
					    .key = q[i]->key, .key_len = q[i]->key_len };

			pk_worker_client(r->part[p].w, &m, cookie, l->now_us, &l->out);
		}
		drain(l, p);
		dgram_close_all(l, p);
	}
	dp_installs_expire(&l->installs, l->now_us);
	l->live.dp.injected += nb;
	return nb;
}

/* True when another lcore left frames in one of our rings, or the control
 * plane a request.
 */
static bool
handoff_pending(void *arg)
{
	const struct dp_lcore *l = arg;

	if (!rte_ring_empty(l->r->inject[l->index]))
		return true;
	for (uint16_t from = 0; from < l->r->nworkers; from++)
		if (from != l->index && !rte_ring_empty(l->r->ring[from][l->index]))
			return true;
	return false;
}

/* ---- config ---- */

/* Follows a config the control thread published: every partition of this
 * lcore switches at once; then, until no round of an older epoch is still
 * counting replies, publishes the oldest epoch left (the control thread's
 * barrier waits on it).
 */
static void
follow_config(struct dp_lcore *l)
{
	const struct dp_control *ctl = dp_plane_follow(&l->r->plane);
	const struct pk_config *c = ctl->cfg;
	bool admitted = ctl->admitted;
	uint32_t oldest;

	if (admitted != l->admitted_seen) {
		for (uint16_t i = 0; i < l->nparts; i++)
			pk_worker_admit(l->r->part[l->parts[i]].w, admitted);
		l->admitted_seen = admitted;
	}
	if (c != l->cfg_seen) {
		for (uint16_t i = 0; i < l->nparts; i++)
			pk_worker_set_config(l->r->part[l->parts[i]].w, c);
		l->cfg_seen = c;
		l->barrier_pending = true;
	}
	if (!l->barrier_pending)
		return;
	oldest = c->epoch;
	for (uint16_t i = 0; i < l->nparts; i++) {
		uint32_t e = pk_worker_oldest_epoch(l->r->part[l->parts[i]].w);

		if (e < oldest)
			oldest = e;
	}
	dp_plane_report_epochs(&l->r->plane, l->index, c->epoch, oldest);
	l->barrier_pending = oldest != c->epoch;
}

/* ---- timers, probes, counters ---- */

static void
tick_partitions(struct dp_lcore *l)
{
	for (uint16_t i = 0; i < l->nparts; i++) {
		uint16_t p = l->parts[i];
		struct pk_worker *w = l->r->part[p].w;

		if (pk_worker_next_deadline(w) > l->now_us)
			continue;
		pk_worker_tick(w, l->now_us, &l->out);
		drain(l, p);
		dgram_close_all(l, p);
	}
}

/* A HELLO from each of this lcore's partitions to the same partition of
 * every other member: every 50 ms while a --bootstrap census runs, then
 * once a second for good. The answers (HELLO_REP) are checked like all
 * peer traffic, so they keep the neighbour entries confirmed (neigh.h).
 */
static void
greet(struct dp_lcore *l)
{
	struct dp_replica *r = l->r;
	uint16_t others, resolved = 0;

	if (l->now_us < l->census_next)
		return;
	l->census_next = l->now_us + (dp_census_active(&r->census) ? 50000 : 1000000);
	/* Unresolved members are ARP's business (a greeting to them would
	 * only count as no_neighbour).
	 */
	others = dp_replica_others(r);
	for (uint16_t d = 0; d < PK_MAX_NODES; d++) {
		struct dp_hop hop;

		if ((others & (1u << d)) != 0 &&
		    dp_neigh_lookup(&r->neigh, dp_options_member_ip(r->opt, d), &hop))
			resolved |= (uint16_t)(1u << d);
	}
	for (uint16_t i = 0; i < l->nparts; i++) {
		uint16_t p = l->parts[i];

		pk_worker_hello(r->part[p].w, r->census.token, resolved, &l->out);
		drain(l, p);
		dgram_close_all(l, p);
	}
}

static void
probe_neighbours(struct dp_lcore *l)
{
	struct dp_replica *r = l->r;
	uint32_t ips[16];
	unsigned int n = dp_neigh_due(&r->neigh, l->now_us, ips, 16);

	for (unsigned int i = 0; i < n; i++)
		for (unsigned int pi = 0; pi < r->nports; pi++) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(r->pool);
			uint16_t len;

			if (m == NULL) {
				l->live.dp.no_mbuf++;
				continue;
			}
			len = dp_packet_build_arp_request(rte_pktmbuf_mtod(m, uint8_t *),
							  &r->iface[pi], ips[i]);
			frame_set_len(m, len);
			l->live.dp.arp_probes++;
			tx_frame(l, pi, m);
		}
	if (n > 0)
		tx_flush_all(l);
}

static void
publish(struct dp_lcore *l)
{
	memset(&l->live.core, 0, sizeof(l->live.core));
	l->live.dp.keys = 0;
	l->live.dp.keys_accepted = 0;
	l->live.dp.tombstones = 0;
	for (uint16_t i = 0; i < l->nparts; i++) {
		const struct pk_stats *s = pk_worker_stats(l->r->part[l->parts[i]].w);

		l->live.dp.keys += pk_worker_keys(l->r->part[l->parts[i]].w);
		l->live.dp.keys_accepted += pk_worker_accepted_keys(l->r->part[l->parts[i]].w);
		l->live.dp.tombstones += pk_worker_deleted_keys(l->r->part[l->parts[i]].w);
#define DP_SUM(name, desc) l->live.core.name += s->name;
		PK_STAT_LIST(DP_SUM)
#undef DP_SUM
	}
	l->live.dp.frees_deferred = l->mem.deferred;
	l->live.dp.rcu_batches = l->mem.batches;
	l->live.dp.frees_leaked = l->mem.leaked;
	l->live.dp.idle_sleeps = l->idle.sleeps;
	l->live.dp.idle_kicks = __atomic_load_n(&l->idle.kicks, __ATOMIC_RELAXED);
	l->live.dp.idle_woken = l->idle.woken;
	dp_plane_report_counters(&l->r->plane, l->index, &l->live, dp_mem_arena_bytes(&l->mem));
	dp_plane_report_peers(&l->r->plane, l->index, l->peer_heard_us);
}

/* At shutdown: the held frames are dropped, as a link going down would. */
static void
fault_drop_held(struct dp_lcore *l)
{
	struct dp_fault_held h;

	while (dp_fault_take_due(&l->fault, UINT64_MAX, &h))
		rte_pktmbuf_free(h.frame);
}

/* How long a worker whose every queue can wake it may sleep: until its
 * next timer (a core deadline, the next HELLO round, the next scan of
 * pending installs, the next counter publication). Whatever another thread
 * asks of it (configs, fault rules, floors, stop) comes with a kick.
 */
static uint32_t
sleep_cap_us(const struct dp_lcore *l, uint64_t now_tsc)
{
	const struct dp_replica *r = l->r;
	/* The next publication is at most one period away: the longest sleep. */
	uint64_t until = l->next_publish > now_tsc
			 ? l->now_us + dp_replica_tsc_us(r, l->next_publish - now_tsc) : l->now_us;

	for (uint16_t i = 0; i < l->nparts; i++)
		until = RTE_MIN(until, pk_worker_next_deadline(r->part[l->parts[i]].w));
	until = RTE_MIN(until, l->census_next);
	if (l->installs.pending > 0)
		until = RTE_MIN(until, l->installs.next_scan_us);
	return until > l->now_us ? (uint32_t)(until - l->now_us) : 0;
}

/* The adaptive idle mode after a pass (idle.h, wake.h): keep polling, or
 * arm the wake sources and look once more, or sleep.
 */
static void
idle(struct dp_lcore *l, uint64_t now_tsc, bool worked)
{
	const struct dp_replica *r = l->r;
	/* After a busy pass nothing sleeps: spare the busy path the look. */
	bool frames_wake = !worked && dp_wake_on_arrival(&l->wake);
	uint32_t cap = worked ? 0 : frames_wake ? sleep_cap_us(l, now_tsc) : r->opt->idle_max_us;
	uint32_t us = dp_idle_after_pass(&l->idle, worked, l->now_us, r->opt->idle_spin_us, cap,
					 frames_wake);
	uint64_t due = dp_fault_next_due(&l->fault);

	/* Wake for the next held frame (its delay is the fault). */
	if (unlikely(due != UINT64_MAX) && us > 0)
		us = due <= l->now_us ? 0 : (uint32_t)RTE_MIN((uint64_t)us, due - l->now_us);
	if (us == 0) {
		dp_wake_disarm(&l->wake);
		return;
	}
	if (!l->wake.armed && l->wake.n > 0) {
		/* The next pass is the last look: what came before the arming
		 * is seen there, what comes after wakes us.
		 */
		dp_wake_arm(&l->wake);
		return;
	}
	urcu_qsbr_thread_offline();
	dp_idle_sleep(&l->idle, us, handoff_pending, l);
	urcu_qsbr_thread_online();
	dp_wake_disarm(&l->wake);
}

void
dp_worker_run(struct dp_replica *r, uint16_t index)
{
	struct dp_lcore *l = r->lcores[index];
	uint64_t publish_every = r->tsc_hz / PUBLISH_PER_SECOND;
	uint64_t last = rte_rdtsc();
	/* The main lcore runs the only worker when it is the only lcore; it
	 * registered with RCU already (dp_replica_init).
	 */
	bool on_main = rte_lcore_id() == rte_get_main_lcore();

	l->lcore_id = rte_lcore_id();
	dp_plane_report_lcore(&r->plane, index, l->lcore_id);
	if (on_main)
		urcu_qsbr_thread_online();
	else
		urcu_qsbr_register_thread();
	dp_mem_bind_thread(&l->mem);
	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		uint64_t start = rte_rdtsc(), end;
		unsigned int got;

		l->now_us = dp_replica_tsc_us(r, start);
		follow_config(l);
		got = poll_ports(l) + poll_rings(l) + poll_inject(l);
		if (unlikely(r->opt->fault_injection))
			got += fault_release(l);
		tick_partitions(l);
		greet(l);
		if (index == 0)
			probe_neighbours(l);
		tx_flush_all(l);
		dp_mem_flush(&l->mem);
		urcu_qsbr_quiescent_state();
		end = rte_rdtsc();
		l->live.dp.total_cycles += end - last;
		last = end;
		if (end >= l->next_publish) {
			publish(l);
			dp_floors_follow(l);	/* rare: with the counters */
			l->next_publish = end + publish_every;
		}
		if (got > 0)
			l->live.dp.busy_cycles += end - start;
		if (r->opt->idle == DP_IDLE_ADAPTIVE)
			idle(l, end, got > 0);
	}
	fault_drop_held(l);
	tx_flush_all(l);
	dp_mem_flush(&l->mem);
	publish(l);
	if (on_main)
		urcu_qsbr_thread_offline();
	else
		urcu_qsbr_unregister_thread();
}

int
dp_worker_main(void *arg)
{
	struct dp_lcore *l = arg;

	dp_worker_run(l->r, l->index);
	return 0;
}
