/* parnikd's data path on DPDK ring ports, in one process, with no kernel
 * interface: the test owns the rings behind a net_ring port (rte_eth_from_
 * rings), injects real Ethernet/IPv4/UDP frames carrying Parnik requests
 * and reads back what the replica transmits. A one-member cluster answers
 * alone, so every reply is checkable. Covered: ARP and ICMP answered;
 * requests for both partitions all arrive on RX queue 0, so partition 1's
 * must be handed to worker 1 over its ring; PUT/GET/ADD results and the
 * reply headers (checksums, addresses, ports); several requests per
 * datagram answered in one datagram; malformed frames counted, never
 * answered. Skips (77) when the EAL cannot start here.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <urcu/urcu-qsbr.h>

#include "check.h"
#include "index_lfht.h"
#include "options.h"
#include "packet.h"
#include "parnik/err.h"
#include "parnik/wire.h"
#include "ports.h"
#include "replica.h"

#define NQ 2
#define CLIENT_PORT 40000

static struct rte_ring *rxr[NQ], *txr[NQ];
static struct rte_mempool *pool;
static struct dp_options opt;
static struct dp_replica rep;
static uint8_t replica_mac[6];
static const uint8_t client_mac[6] = { 0x02, 0, 0, 0, 0, 0x64 };
static uint32_t client_ip, replica_ip;
static uint64_t next_request = 1;

static struct rte_mbuf *
frame(const uint8_t *bytes, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	if (m == NULL)
		return NULL;
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), bytes, len);
	m->data_len = len;
	m->pkt_len = len;
	return m;
}

static void
inject(const uint8_t *bytes, uint16_t len)
{
	struct rte_mbuf *m = frame(bytes, len);

	CHECK(m != NULL && rte_ring_enqueue(rxr[0], m) == 0);	/* always queue 0 */
}

/* Waits up to 2 s for one transmitted frame on any TX ring. */
static uint16_t
receive(uint8_t *buf, uint16_t cap)
{
	for (int i = 0; i < 2000000; i++) {
		for (int q = 0; q < NQ; q++) {
			struct rte_mbuf *m;
			uint16_t len;

			if (rte_ring_dequeue(txr[q], (void **)&m) != 0)
				continue;
			len = rte_pktmbuf_data_len(m) < cap ? rte_pktmbuf_data_len(m) : cap;
			memcpy(buf, rte_pktmbuf_mtod(m, uint8_t *), len);
			rte_pktmbuf_free(m);
			return len;
		}
		rte_delay_us_sleep(1);
	}
	return 0;
}

/* Sends <n> requests in one datagram to the key's partition. */
static void
send_requests(const struct pk_msg *reqs, int n, uint16_t partition)
{
	uint8_t buf[DP_HDRS_LEN + PK_MAX_DGRAM];
	const struct pk_dgram_hdr hdr = { .cluster_id = opt.cluster_id,
					  .partitions = opt.partitions, .partition = partition };
	struct pk_wbuf w;
	uint16_t len;

	pk_wire_begin(&w, buf + DP_HDRS_LEN, PK_MAX_DGRAM, &hdr);
	for (int i = 0; i < n; i++)
		CHECK_EQ(pk_wire_add(&w, &reqs[i]), 0);
	len = dp_packet_build_udp(buf, client_mac, replica_mac, client_ip, replica_ip,
				  CLIENT_PORT, (uint16_t)(opt.base_port + partition),
				  (uint16_t)w.len, true);
	inject(buf, len);
}

/* Reads one reply datagram and checks its headers (valid checksums, from
 * the replica's address and partition port, to the client); returns its
 * message count, or -1.
 */
static int
read_replies(struct pk_msg *msgs, int cap, uint8_t *buf, uint16_t partition)
{
	const struct dp_iface client = { .ip = 0, .base_port = CLIENT_PORT, .partitions = 1 };
	const struct pk_wire_expect exp = { .cluster_id = opt.cluster_id,
					    .partitions = opt.partitions };
	struct dp_iface ifc = client;
	struct dp_parsed pp;
	struct pk_dgram_hdr hdr;
	uint16_t len = receive(buf, DP_HDRS_LEN + PK_MAX_DGRAM);

	if (len == 0) {
		fprintf(stderr, "  no reply within 2 s\n");
		return -1;
	}
	memcpy(ifc.mac, client_mac, 6);
	ifc.ip = client_ip;
	dp_packet_classify(&ifc, buf, len, &pp);	/* checks every checksum */
	if (pp.verdict != DP_PAYLOAD || pp.src_ip != replica_ip ||
	    pp.src_port != opt.base_port + partition || memcmp(pp.src_mac, replica_mac, 6) != 0) {
		fprintf(stderr, "  bad reply frame: verdict %u drop %s\n", pp.verdict,
			dp_drop_name(pp.drop));
		return -1;
	}
	return pk_wire_decode(buf + pp.payload_off, pp.payload_len, &exp, &hdr, msgs, cap);
}

static struct pk_msg
request(uint8_t op, const char *key, const char *value, uint64_t arg)
{
	struct pk_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PK_MSG_CLIENT_REQ;
	m.client_id = 77;
	m.request_id = next_request++;
	m.op = op;
	m.arg = arg;
	m.key = (const uint8_t *)key;
	m.key_len = (uint16_t)strlen(key);
	if (value != NULL) {
		m.state.data = (const uint8_t *)value;
		m.state.len = (uint16_t)strlen(value);
	}
	return m;
}

/* A key of the given partition: <prefix><n> for the first n that hashes
 * there.
 */
static void
key_in(const char *prefix, uint16_t partition, char *key, size_t cap)
{
	for (int n = 0;; n++) {
		snprintf(key, cap, "%s%d", prefix, n);
		if (pk_partition_of(key, strlen(key), opt.partitions) == partition)
			return;
	}
}

static void
test_arp_and_icmp(void)
{
	uint8_t buf[128], got[128];
	struct dp_iface asker = { .ip = client_ip, .base_port = 1, .partitions = 1 };
	uint16_t len;

	memcpy(asker.mac, client_mac, 6);
	len = dp_packet_build_arp_request(buf, &asker, replica_ip);
	inject(buf, len);
	len = receive(got, sizeof(got));
	CHECK_EQ(len, 42);
	CHECK(got[20] == 0 && got[21] == 2);		/* ARP reply */
	CHECK(memcmp(got + 22, replica_mac, 6) == 0);	/* sender: the replica */
	CHECK(memcmp(got, client_mac, 6) == 0);

	/* ICMP echo request, 8 bytes of data: answered as an echo reply. */
	{
		uint8_t *ip = buf + DP_ETH_LEN, *icmp = ip + DP_IP_LEN;
		uint16_t sum;

		memset(buf, 0, sizeof(buf));
		memcpy(buf, replica_mac, 6);
		memcpy(buf + 6, client_mac, 6);
		buf[12] = 0x08;
		ip[0] = 0x45;
		ip[3] = DP_IP_LEN + 16;
		ip[8] = 64;
		ip[9] = 1;
		memcpy(ip + 12, &client_ip, 4);
		memcpy(ip + 16, &replica_ip, 4);
		sum = (uint16_t)~dp_csum_fold(dp_csum_add(0, ip, DP_IP_LEN));
		ip[10] = (uint8_t)(sum >> 8);
		ip[11] = (uint8_t)sum;
		icmp[0] = 8;
		memcpy(icmp + 8, "pingpong", 8);
		sum = (uint16_t)~dp_csum_fold(dp_csum_add(0, icmp, 16));
		icmp[2] = (uint8_t)(sum >> 8);
		icmp[3] = (uint8_t)sum;
		inject(buf, DP_ETH_LEN + DP_IP_LEN + 16);
		len = receive(got, sizeof(got));
		CHECK_EQ(len, DP_ETH_LEN + DP_IP_LEN + 16);
		CHECK_EQ(got[DP_ETH_LEN + DP_IP_LEN], 0);	/* echo reply */
		CHECK(memcmp(got + DP_ETH_LEN + DP_IP_LEN + 8, "pingpong", 8) == 0);
		CHECK(memcmp(got + DP_ETH_LEN + 16, &client_ip, 4) == 0);
	}
}

static void
test_requests_both_partitions(void)
{
	uint8_t buf[DP_HDRS_LEN + PK_MAX_DGRAM];
	struct pk_msg rep_msgs[PK_MAX_BATCH];

	for (uint16_t p = 0; p < opt.partitions; p++) {
		char key[16];
		struct pk_msg req[3];
		int n;

		key_in("k", p, key, sizeof(key));
		req[0] = request(PK_OP_PUT, key, "hello", 0);
		send_requests(req, 1, p);
		n = read_replies(rep_msgs, PK_MAX_BATCH, buf, p);
		CHECK_EQ(n, 1);
		CHECK_EQ(rep_msgs[0].status, PK_OK);
		CHECK_EQ(rep_msgs[0].request_id, req[0].request_id);
		CHECK_EQ(rep_msgs[0].state.version, 1);
		/* Three requests in one datagram: a GET, an ADD on a new key
		 * of the same partition and a GET of a missing one.
		 */
		req[0] = request(PK_OP_GET, key, NULL, 0);
		{
			char nkey[24], missing[24];

			key_in("n", p, nkey, sizeof(nkey));
			key_in("m", p, missing, sizeof(missing));
			req[1] = request(PK_OP_ADD, nkey, NULL, 5);
			req[2] = request(PK_OP_GET, missing, NULL, 0);
			send_requests(req, 3, p);
			n = 0;
			{
				int got = 0, seen_get = 0, seen_add = 0, seen_missing = 0;

				while (got < 3) {
					n = read_replies(rep_msgs, PK_MAX_BATCH, buf, p);
					if (n <= 0)
						break;
					for (int i = 0; i < n; i++) {
						const struct pk_msg *r = &rep_msgs[i];

						if (r->request_id == req[0].request_id)
							seen_get = r->status == PK_OK && r->state.len == 5 &&
								   memcmp(r->state.data, "hello", 5) == 0;
						else if (r->request_id == req[1].request_id)
							seen_add = r->status == PK_OK;
						else if (r->request_id == req[2].request_id)
							seen_missing = r->status == PK_NOT_FOUND;
					}
					got += n;
				}
				CHECK_EQ(got, 3);
				CHECK(seen_get && seen_add && seen_missing);
			}
		}
	}
}

static void
test_malformed_counted(void)
{
	struct dp_counters c;
	uint64_t drops_before, decode_before, drops_after = 0, decode_after = 0;
	uint8_t buf[DP_HDRS_LEN + 96];
	uint16_t len;

	rte_delay_us_sleep(30000);	/* let the workers publish */
	dp_plane_counters(&rep.plane, &c);
	drops_before = c.dp.drops[DP_DROP_udp_checksum] + c.dp.drops[DP_DROP_ip_checksum];
	decode_before = c.dp.decode_errors;
	/* A wrong cluster id in a valid frame: refused by the decoder. */
	{
		const struct pk_dgram_hdr hdr = { .cluster_id = opt.cluster_id + 1,
						  .partitions = opt.partitions, .partition = 0 };
		struct pk_wbuf w;
		struct pk_msg req = request(PK_OP_GET, "x", NULL, 0);

		pk_wire_begin(&w, buf + DP_HDRS_LEN, 96, &hdr);
		CHECK_EQ(pk_wire_add(&w, &req), 0);
		len = dp_packet_build_udp(buf, client_mac, replica_mac, client_ip, replica_ip,
					  CLIENT_PORT, opt.base_port, (uint16_t)w.len, true);
		inject(buf, len);
		/* The same frame with one payload byte flipped: bad UDP checksum. */
		buf[len - 1] ^= 0x5a;
		inject(buf, len);
		/* And with a corrupted IP header. */
		buf[len - 1] ^= 0x5a;
		buf[DP_ETH_LEN + 8] ^= 0x01;	/* TTL */
		inject(buf, len);
	}
	for (int i = 0; i < 200 && (drops_after < drops_before + 2 || decode_after < decode_before + 1); i++) {
		rte_delay_us_sleep(10000);
		dp_plane_counters(&rep.plane, &c);
		drops_after = c.dp.drops[DP_DROP_udp_checksum] + c.dp.drops[DP_DROP_ip_checksum];
		decode_after = c.dp.decode_errors;
	}
	CHECK_EQ(drops_after, drops_before + 2);
	CHECK_EQ(decode_after, decode_before + 1);
	/* None of them was answered. */
	for (int q = 0; q < NQ; q++)
		CHECK_EQ(rte_ring_count(txr[q]), 0);
}

struct walk_find {
	const char *want;
	int found;
};

static int
walk_match(void *arg, const uint8_t *key, uint16_t len, const void *rec)
{
	struct walk_find *f = arg;

	(void)rec;
	if (len == strlen(f->want) && memcmp(key, f->want, len) == 0)
		f->found++;
	return 0;
}

/* Another thread (this one, like the control thread will) walks each
 * partition's cds_lfht under RCU while the workers keep serving; the
 * values the workers replaced went through a grace period.
 */
static void
test_tables_readable_under_rcu(void)
{
	uint8_t buf[DP_HDRS_LEN + PK_MAX_DGRAM];
	struct pk_msg rep_msgs[PK_MAX_BATCH];
	struct dp_counters c;

	for (uint16_t p = 0; p < opt.partitions; p++) {
		char key[16];
		struct walk_find f = { key, 0 };
		struct pk_msg req = request(PK_OP_PUT, "", "again", 0);
		uint64_t walked;

		key_in("k", p, key, sizeof(key));
		req.key = (const uint8_t *)key;
		req.key_len = (uint16_t)strlen(key);
		send_requests(&req, 1, p);	/* replaces the value: a deferred free */
		CHECK_EQ(read_replies(rep_msgs, PK_MAX_BATCH, buf, p), 1);
		walked = dp_plane_walk(&rep.plane, p, walk_match, &f);	/* as the control thread */
		CHECK(walked >= 3);	/* the key, the added one, the missing one read */
		CHECK_EQ(f.found, 1);
	}
	rte_delay_us_sleep(30000);
	dp_plane_counters(&rep.plane, &c);
	CHECK(c.dp.frees_deferred > 0);
	CHECK(c.dp.rcu_batches > 0);
	CHECK_EQ(c.dp.frees_leaked, 0);
}

static void
test_handoff_counted(void)
{
	struct dp_counters c;

	rte_delay_us_sleep(30000);
	dp_plane_counters(&rep.plane, &c);
	/* Every partition-1 frame came in on queue 0 (worker 0). */
	CHECK(c.dp.handoff_out >= 2);
	CHECK_EQ(c.dp.handoff_out, c.dp.handoff_in);
	CHECK_EQ(c.dp.handoff_full, 0);
	CHECK(c.latency.count >= 8);
}

static int
setup(void)
{
	char *eal[] = { "test_ring_port", "--no-huge", "-m", "128", "--no-shconf",
			"--file-prefix", "pkringtest", "--no-pci", "--lcores", "(0-2)@(0-1)",
			"--log-level", "lib.eal:error", NULL };
	char *app[] = { "parnikd", "--node", "0", "--addr", "198.18.0.1", "--member",
			"0=198.18.0.1", "--partitions", "2", "--bootstrap", "--idle",
			"adaptive", "--idle-max-us", "50", "--insecure-peers", NULL };
	char err[256];
	struct dp_port port;
	unsigned int lcore;
	uint16_t w = 0;
	int id;

	if (rte_eal_init(12, eal) < 0)
		return -1;
	if (dp_options_parse(&opt, 15, app, stdout, err, sizeof(err)) != 0) {
		fprintf(stderr, "options: %s\n", err);
		return -1;
	}
	opt.idle = DP_IDLE_ADAPTIVE;
	pool = rte_pktmbuf_pool_create("test_mbufs", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	for (int q = 0; q < NQ; q++) {
		char name[32];

		snprintf(name, sizeof(name), "test_rx%d", q);
		rxr[q] = rte_ring_create(name, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "test_tx%d", q);
		txr[q] = rte_ring_create(name, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	}
	id = rte_eth_from_rings("test_ring_port", rxr, NQ, txr, NQ, 0);
	if (pool == NULL || id < 0)
		return -1;
	if (dp_port_start(&port, (uint16_t)id, 2, pool, true, err, sizeof(err)) != 0) {
		fprintf(stderr, "port: %s\n", err);
		return -1;
	}
	if (dp_replica_init(&rep, &opt, pool, &port, 1, 2) != 0)
		return -1;
	memcpy(replica_mac, rep.iface[0].mac, 6);
	replica_ip = opt.ip;
	inet_pton(AF_INET, "198.18.0.100", &client_ip);
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (w < 2)
			rte_eal_remote_launch(dp_worker_main, rep.lcores[w], lcore);
		w++;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "arp_and_icmp", test_arp_and_icmp },
		{ "requests_both_partitions", test_requests_both_partitions },
		{ "malformed_counted", test_malformed_counted },
		{ "tables_readable_under_rcu", test_tables_readable_under_rcu },
		{ "handoff_counted", test_handoff_counted },
	};
	int rc;

	if (setup() != 0) {
		printf("cannot start the EAL or the ring port here: skipped\n");
		return 77;
	}
	rc = check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
	__atomic_store_n(&rep.stop, true, __ATOMIC_RELAXED);
	rte_eal_mp_wait_lcore();
	dp_replica_fini(&rep);
	rte_eal_cleanup();
	return rc;
}
