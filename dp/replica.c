/* The replica loop (see replica.h): RX burst, classify, answer ARP and ICMP,
 * learn neighbours, step the core, send its messages as UDP frames, fire
 * timers, probe unresolved members, idle adaptively. Nothing here logs per
 * packet or exits: every failure is a counter.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "replica.h"

#define BURST 32

static void *
core_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void
core_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static uint64_t
now_us(const struct dp_replica *r)
{
	return (uint64_t)((double)rte_get_tsc_cycles() * 1e6 / (double)r->tsc_hz);
}

static int
port_index(const struct dp_replica *r, uint16_t port)
{
	for (unsigned int i = 0; i < r->nports; i++)
		if (r->ports[i] == port)
			return (int)i;
	return -1;
}

static void
tx_one(struct dp_replica *r, uint16_t port, struct rte_mbuf *m)
{
	if (rte_eth_tx_burst(port, 0, &m, 1) == 1) {
		r->stats.tx_frames++;
		return;
	}
	rte_pktmbuf_free(m);
	r->stats.tx_dropped++;
}

/* Sends <len> bytes of Parnik datagram as a UDP frame. */
static void
send_datagram(struct dp_replica *r, uint16_t port, const uint8_t *dst_mac, uint32_t dst_ip,
	      uint16_t src_port, uint16_t dst_port, const uint8_t *dgram, uint16_t len)
{
	int pi = port_index(r, port);
	struct rte_mbuf *m;
	uint8_t *data;
	uint16_t flen;

	if (pi < 0)
		return;
	m = rte_pktmbuf_alloc(r->pool);
	if (m == NULL) {
		r->stats.no_mbuf++;
		return;
	}
	data = rte_pktmbuf_mtod(m, uint8_t *);
	memcpy(data + DP_HDRS_LEN, dgram, len);
	flen = dp_packet_build_udp(data, r->iface[pi].mac, dst_mac, r->opt->ip, dst_ip, src_port,
				   dst_port, len);
	m->data_len = flen;
	m->pkt_len = flen;
	tx_one(r, port, m);
}

static uint32_t
member_ip(const struct dp_replica *r, uint16_t id)
{
	for (unsigned int i = 0; i < r->opt->nmembers; i++)
		if (r->opt->members[i].id == id)
			return r->opt->members[i].ip;
	return 0;
}

/* Sends a filled peer datagram to member <d>, or counts its messages as
 * waiting for ARP when the member is not resolved yet (the protocol's
 * timeouts retry them).
 */
static void
send_to_member(struct dp_replica *r, uint16_t d, uint16_t port, const struct pk_wbuf *w)
{
	const struct dp_neigh_entry *e = dp_neigh_lookup(&r->neigh, member_ip(r, d));

	if (e == NULL) {
		r->stats.no_neighbour += w->count;
		return;
	}
	send_datagram(r, e->port, e->mac, e->ip, port, port, w->buf, (uint16_t)w->len);
}

/* Sends partition <p>'s outbox: peer messages batched per member, client
 * replies one datagram each, to where their requests came from.
 */
static void
drain(struct dp_replica *r, uint16_t p)
{
	static uint8_t bufs[PK_MAX_NODES][PK_MAX_DGRAM];
	struct pk_wbuf wb[PK_MAX_NODES];
	struct pk_dgram_hdr hdr = { .cluster_id = r->opt->cluster_id,
				    .partitions = r->opt->partitions, .partition = p };
	uint16_t open = 0, port = (uint16_t)(r->opt->base_port + p);

	for (uint32_t i = 0; i < r->out.nsend; i++) {
		const struct pk_send *s = &r->out.sends[i];

		for (uint16_t d = 0; d < PK_MAX_NODES; d++) {
			if ((s->dest_mask & (1u << d)) == 0)
				continue;
			if ((open & (1u << d)) == 0) {
				pk_wire_begin(&wb[d], bufs[d], PK_MAX_DGRAM, &hdr);
				open |= (uint16_t)(1u << d);
			}
			if (pk_wire_add(&wb[d], &s->msg) == -PK_E_NOSPACE) {
				send_to_member(r, d, port, &wb[d]);
				pk_wire_begin(&wb[d], bufs[d], PK_MAX_DGRAM, &hdr);
				pk_wire_add(&wb[d], &s->msg);
			}
		}
	}
	for (uint16_t d = 0; d < PK_MAX_NODES; d++)
		if ((open & (1u << d)) != 0 && wb[d].count > 0)
			send_to_member(r, d, port, &wb[d]);
	for (uint32_t i = 0; i < r->out.nreply; i++) {
		const struct dp_client_addr *a = &r->clients[p][r->out.replies[i].cookie];
		uint8_t buf[PK_MAX_DGRAM];
		struct pk_wbuf w;

		pk_wire_begin(&w, buf, sizeof(buf), &hdr);
		if (pk_wire_add(&w, &r->out.replies[i].msg) == 0)
			send_datagram(r, a->port, a->mac, a->ip, port, a->udp_port, buf,
				      (uint16_t)w.len);
	}
	r->out.nsend = 0;
	r->out.nreply = 0;
}

static void
handle_payload(struct dp_replica *r, uint16_t port, const uint8_t *frame,
	       const struct dp_parsed *pp, uint64_t now)
{
	const struct pk_wire_expect exp = { .cluster_id = r->opt->cluster_id,
					    .partitions = r->opt->partitions };
	struct pk_msg msgs[PK_MAX_BATCH];
	struct pk_dgram_hdr hdr;
	uint16_t p = pp->partition;
	int n = pk_wire_decode(frame + pp->payload_off, pp->payload_len, &exp, &hdr, msgs,
			       PK_MAX_BATCH);

	if (n < 0) {
		r->stats.decode_errors++;
		r->stats.decode_by_code[-n & 63]++;
		return;
	}
	if (hdr.partition != p) {
		r->stats.partition_mismatch++;
		return;
	}
	for (int i = 0; i < n; i++) {
		if (msgs[i].type == PK_MSG_CLIENT_REQ) {
			uint32_t slot = r->next_client[p]++ % DP_CLIENT_SLOTS;
			struct dp_client_addr *a = &r->clients[p][slot];

			memcpy(a->mac, pp->src_mac, 6);
			a->port = port;
			a->ip = pp->src_ip;
			a->udp_port = pp->src_port;
			pk_worker_client(r->w[p], &msgs[i], slot, now, &r->out);
		} else if (msgs[i].type != PK_MSG_CLIENT_REP) {
			pk_worker_peer(r->w[p], &msgs[i], now, &r->out);
		}
		drain(r, p);
	}
}

/* Handles one port's RX burst; returns the number of frames. */
static uint16_t
poll_port(struct dp_replica *r, unsigned int pi, uint64_t now)
{
	struct rte_mbuf *pkts[BURST];
	uint16_t port = r->ports[pi];
	uint16_t nb = rte_eth_rx_burst(port, 0, pkts, BURST);

	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
		struct dp_parsed pp;

		r->stats.rx_frames++;
		dp_packet_classify(&r->iface[pi], data, rte_pktmbuf_data_len(m), &pp);
		switch (pp.verdict) {
		case DP_REPLY:
			if (data[12] == 0x08 && data[13] == 0x06) {
				r->stats.arp_replies++;
				dp_neigh_learn(&r->neigh, pp.src_ip, pp.src_mac, port, now);
			} else {
				r->stats.icmp_replies++;
			}
			m->data_len = pp.reply_len;
			m->pkt_len = pp.reply_len;
			tx_one(r, port, m);
			continue;
		case DP_LEARN:
			dp_neigh_learn(&r->neigh, pp.src_ip, pp.src_mac, port, now);
			break;
		case DP_PAYLOAD:
			dp_neigh_learn(&r->neigh, pp.src_ip, pp.src_mac, port, now);
			handle_payload(r, port, data, &pp, now);
			break;
		default:
			r->stats.drops[pp.drop]++;
			break;
		}
		rte_pktmbuf_free(m);
	}
	return nb;
}

static void
probe_neighbours(struct dp_replica *r, uint64_t now)
{
	uint32_t ips[16];
	unsigned int n = dp_neigh_due(&r->neigh, now, ips, 16);

	for (unsigned int i = 0; i < n; i++)
		for (unsigned int pi = 0; pi < r->nports; pi++) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(r->pool);
			uint16_t len;

			if (m == NULL) {
				r->stats.no_mbuf++;
				continue;
			}
			len = dp_packet_build_arp_request(rte_pktmbuf_mtod(m, uint8_t *),
							  &r->iface[pi], ips[i]);
			m->data_len = len;
			m->pkt_len = len;
			r->stats.arp_probes++;
			tx_one(r, r->ports[pi], m);
		}
}

void
dp_replica_run(struct dp_replica *r, volatile bool *stop)
{
	unsigned int empty = 0;

	while (!*stop) {
		uint64_t now = now_us(r);
		unsigned int got = 0;

		for (unsigned int pi = 0; pi < r->nports; pi++)
			got += poll_port(r, pi, now);
		for (uint16_t p = 0; p < r->opt->partitions; p++) {
			if (pk_worker_next_deadline(r->w[p]) > now)
				continue;
			pk_worker_tick(r->w[p], now, &r->out);
			drain(r, p);
		}
		probe_neighbours(r, now);
		if (got > 0) {
			empty = 0;
			continue;
		}
		/* Adaptive idle: after a run of empty polls, sleep a little,
		 * doubling while it stays quiet, up to --idle-max-us.
		 */
		if (r->opt->idle == DP_IDLE_ADAPTIVE && ++empty > 64) {
			unsigned int shift = empty - 64 < 16 ? empty - 64 : 16;
			uint64_t us = 16ull << shift;

			r->stats.idle_sleeps++;
			usleep((useconds_t)(us < r->opt->idle_max_us ? us : r->opt->idle_max_us));
		}
	}
}

int
dp_replica_init(struct dp_replica *r, const struct dp_options *o, struct rte_mempool *pool,
		const uint16_t *ports, unsigned int nports)
{
	struct pk_worker_params wp;
	struct timespec ts;

	memset(r, 0, sizeof(*r));
	r->opt = o;
	r->pool = pool;
	r->tsc_hz = rte_get_tsc_hz();
	r->out = (struct pk_out){ .sends = r->sends, .send_cap = 1024, .replies = r->replies,
				  .reply_cap = 1024 };
	r->nports = nports;
	for (unsigned int i = 0; i < nports; i++) {
		struct rte_ether_addr mac;

		r->ports[i] = ports[i];
		rte_eth_macaddr_get(ports[i], &mac);
		memcpy(r->iface[i].mac, mac.addr_bytes, 6);
		r->iface[i].ip = o->ip;
		r->iface[i].base_port = o->base_port;
		r->iface[i].partitions = o->partitions;
	}
	memset(&r->cfg, 0, sizeof(r->cfg));
	r->cfg.epoch = 1;
	for (unsigned int i = 0; i < o->nmembers; i++)
		r->cfg.prepare_mask |= (uint16_t)(1u << o->members[i].id);
	r->cfg.accept_mask = r->cfg.prepare_mask;
	r->cfg.prepare_quorum = (uint8_t)(o->nmembers / 2 + 1);
	r->cfg.accept_quorum = r->cfg.prepare_quorum;
	r->cfg.one_rtt = o->one_rtt;
	memset(&wp, 0, sizeof(wp));
	pk_tuning_default(&wp.tuning);
	wp.tuning.max_keys = o->max_keys;
	wp.tuning.max_value = o->max_value;
	wp.cluster_id = o->cluster_id;
	wp.node = o->node;
	wp.partitions = o->partitions;
	/* A new incarnation per start (milliseconds of wall time): a
	 * restarted proposer never reuses a ballot of its previous life.
	 */
	clock_gettime(CLOCK_REALTIME, &ts);
	wp.incarnation = (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u) | 1u;
	wp.admitted = o->bootstrap;
	wp.env = (struct pk_env){ .alloc = core_alloc, .free = core_free };
	for (uint16_t p = 0; p < o->partitions; p++) {
		wp.worker = p;
		wp.seed = rte_get_tsc_cycles() ^ ((uint64_t)p << 32);
		r->w[p] = pk_worker_new(&wp, &r->cfg);
		r->clients[p] = calloc(DP_CLIENT_SLOTS, sizeof(*r->clients[p]));
		if (r->w[p] == NULL || r->clients[p] == NULL) {
			fprintf(stderr, "parnikd: out of memory for partition %u\n", p);
			return -1;
		}
	}
	dp_neigh_init(&r->neigh, o, now_us(r));
	return 0;
}

void
dp_replica_print_stats(const struct dp_replica *r, FILE *f)
{
	struct pk_stats sum;

	memset(&sum, 0, sizeof(sum));
	for (uint16_t p = 0; p < r->opt->partitions; p++) {
		const struct pk_stats *s = pk_worker_stats(r->w[p]);

#define DP_SUM(name, desc) sum.name += s->name;
		PK_STAT_LIST(DP_SUM)
#undef DP_SUM
	}
	fprintf(f, "parnikd node %u counters:\n", r->opt->node);
#define DP_PRINT(name, desc) fprintf(f, "  %-22s %12" PRIu64 "  %s\n", #name, r->stats.name, desc);
	DP_STAT_LIST(DP_PRINT)
#undef DP_PRINT
	for (unsigned int d = 0; d < DP_DROP_COUNT; d++)
		if (r->stats.drops[d] > 0)
			fprintf(f, "  drop_%-17s %12" PRIu64 "\n", dp_drop_name(d), r->stats.drops[d]);
	for (unsigned int c = 0; c < 64; c++)
		if (r->stats.decode_by_code[c] > 0)
			fprintf(f, "  decode_%-15s %12" PRIu64 "\n", pk_status_name((int)c),
				r->stats.decode_by_code[c]);
#define DP_PRINT_CORE(name, desc) fprintf(f, "  %-22s %12" PRIu64 "  %s\n", #name, sum.name, desc);
	PK_STAT_LIST(DP_PRINT_CORE)
#undef DP_PRINT_CORE
}

void
dp_replica_fini(struct dp_replica *r)
{
	for (uint16_t p = 0; p < r->opt->partitions; p++) {
		pk_worker_free(r->w[p]);
		free(r->clients[p]);
	}
}
