/* libparnik: pk_client_check, a pre-flight of a client config. Every replica
 * gets one GET; a silent one is asked again under every other partition
 * count, because a replica drops a datagram whose partition count differs
 * from its own without a word: so a mismatch reads as "runs Q partitions,
 * not P" and real silence as "no reply", instead of a run of timeouts.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "parnik/client.h"
#include "parnik/wire.h"
#include "seal.h"
#include "servers.h"

/* Partition counts tried on a silent replica (parnikd allows 1..64). */
#define PROBE_MAX_PARTITIONS 64
#define PROBE_KEY "parnik-probe"

struct probe_target {
	struct sockaddr_in addr;	/* base port */
	int answered_partitions;	/* 0: silent so far */
	bool unauthenticated;		/* it wants the client key we lack */
};

/* One GET, to partition 0 (the base port) or the key's own partition, with
 * the replica index and the partition count in its request id.
 */
static void
send_probe(struct pk_transport *net, struct pk_client_seal *seal, uint32_t cluster_id,
	   uint64_t client_id, const struct probe_target *t, unsigned int idx, uint16_t partitions,
	   bool key_partition)
{
	uint16_t partition = key_partition
				     ? (uint16_t)(pk_hash(PROBE_KEY, strlen(PROBE_KEY)) % partitions)
				     : 0;
	struct pk_dgram_hdr hdr = { .cluster_id = cluster_id, .partitions = partitions,
				    .partition = partition };
	uint8_t buf[256];
	struct pk_wbuf w;
	struct pk_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PK_MSG_CLIENT_REQ;
	m.client_id = client_id;
	m.request_id = ((uint64_t)idx << 16) | partitions;
	m.op = PK_OP_GET;
	m.key = (const uint8_t *)PROBE_KEY;
	m.key_len = (uint16_t)strlen(PROBE_KEY);
	pk_wire_begin(&w, buf, sizeof(buf) - pk_client_seal_room(seal), &hdr);
	if (pk_wire_add(&w, &m) != 0)
		return;
	/* A lost probe is asked again; a failing transport shows as silence. */
	(void)net->send(net, &(struct pk_dgram){ .ip = t->addr.sin_addr.s_addr,
						 .port = (uint16_t)(ntohs(t->addr.sin_port) + partition),
						 .len = (uint16_t)pk_client_seal_out(seal, buf, w.len,
										     sizeof(buf)),
						 .data = buf }, 1);
}

static bool
all_answered(const struct probe_target *t, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (t[i].answered_partitions == 0)
			return false;
	return true;
}

struct probe_round {
	uint32_t cluster_id;
	uint64_t client_id;
	struct pk_client_seal seal;
	struct probe_target *t;
	unsigned int n;
};

/* One reply names (replica, partitions) in its request id. */
static void
take_reply(void *arg, const uint8_t *buf, size_t len)
{
	struct probe_round *r = arg;
	struct pk_msg msgs[PK_MAX_BATCH];
	struct pk_dgram_hdr hdr;
	/* A reply carries the replica's own partition count. */
	struct pk_wire_expect exp = { .cluster_id = r->cluster_id, .partitions = 1 };
	size_t open_len = pk_client_seal_in(&r->seal, buf, len);
	int k;

	if (open_len == 0)
		return;
	k = pk_wire_decode(buf, open_len, &exp, &hdr, msgs, PK_MAX_BATCH);
	if (k == -PK_E_PARTITIONS) {	/* the header decoded: take its count */
		exp.partitions = hdr.partitions;
		k = pk_wire_decode(buf, open_len, &exp, &hdr, msgs, PK_MAX_BATCH);
	}
	for (int i = 0; i < k; i++) {
		unsigned int idx = (unsigned int)(msgs[i].request_id >> 16);

		if (msgs[i].type == PK_MSG_CLIENT_REP && msgs[i].client_id == r->client_id &&
		    idx < r->n && r->t[idx].answered_partitions == 0) {
			r->t[idx].answered_partitions = (int)(msgs[i].request_id & 0xffff);
			r->t[idx].unauthenticated = msgs[i].status == PK_UNAUTHENTICATED;
		}
	}
}

/* Collects replies until every target has answered or <deadline_us>. */
static void
collect(struct pk_transport *net, struct probe_round *r, uint64_t deadline_us)
{
	while (!all_answered(r->t, r->n)) {
		uint64_t now = dp_mono_us();

		if (now >= deadline_us || net->wait(net, deadline_us - now) != 0 ||
		    net->receive(net, take_reply, r) != 0)
			return;
	}
}

int
pk_client_check(const struct pk_client_config *cfg, char *err, size_t errlen)
{
	struct probe_target t[PK_CLIENT_MAX_SERVERS];
	struct sockaddr_in addrs[PK_CLIENT_MAX_SERVERS];
	uint64_t client_id = dp_mono_us() | 1;
	struct probe_round round = { .cluster_id = cfg->cluster_id, .client_id = client_id, .t = t };
	pk_transport_open_fn open_net = cfg->transport != NULL ? cfg->transport
							       : pk_udp_transport_open;
	struct pk_transport *net;
	unsigned int n = 0, silent = 0;
	int rc = 0;
	uint32_t wait_us = cfg->timeout_ms * 1000u;

	if (cfg->partitions == 0 || cfg->timeout_ms == 0) {
		snprintf(err, errlen, "bad config: partitions and timeout must be positive");
		return -1;
	}
	if (pk_servers_parse(cfg->servers, cfg->partitions, addrs, &n, err, errlen) != 0)
		return -1;
	memset(t, 0, sizeof(t));
	for (unsigned int i = 0; i < n; i++)
		t[i].addr = addrs[i];
	round.n = n;
	pk_client_seal_init(&round.seal, cfg->client_secret, client_id);
	net = open_net(cfg->transport_arg, err, errlen);
	if (net == NULL)
		return -1;
	/* Under the configured count, a few times (a datagram may be lost). */
	for (unsigned int attempt = 0; attempt < 3 && !all_answered(t, n); attempt++) {
		for (unsigned int i = 0; i < n; i++)
			if (t[i].answered_partitions == 0)
				send_probe(net, &round.seal, cfg->cluster_id, client_id, &t[i], i,
					   cfg->partitions, true);
		collect(net, &round, dp_mono_us() + wait_us);
	}
	/* The silent ones, under every other count, on their base port. */
	for (unsigned int i = 0; i < n; i++)
		if (t[i].answered_partitions == 0)
			for (uint16_t q = 1; q <= PROBE_MAX_PARTITIONS; q++)
				if (q != cfg->partitions)
					send_probe(net, &round.seal, cfg->cluster_id, client_id, &t[i],
						   i, q, false);
	if (!all_answered(t, n))
		collect(net, &round, dp_mono_us() + wait_us);
	net->close(net);
	/* A wrong partition count is fatal; so is silence everywhere. A few
	 * silent replicas are what a cluster tolerates: reported, not fatal.
	 */
	for (unsigned int i = 0; i < n; i++) {
		char addr[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &t[i].addr.sin_addr, addr, sizeof(addr));
		if (t[i].answered_partitions != 0 && t[i].answered_partitions != cfg->partitions) {
			snprintf(err, errlen, "replica %s:%u runs %d partitions, not %u (-p)", addr,
				 ntohs(t[i].addr.sin_port), t[i].answered_partitions,
				 cfg->partitions);
			return -1;
		}
		if (t[i].unauthenticated) {
			snprintf(err, errlen,
				 "replica %s:%u requires the cluster's client key (give it with "
				 "--key FILE)", addr, ntohs(t[i].addr.sin_port));
			return -1;
		}
		if (t[i].answered_partitions == 0) {
			if (silent++ == 0)
				snprintf(err, errlen,
					 "no reply from replica %s:%u in %u ms (not running, "
					 "unreachable, another cluster id than %u%s)",
					 addr, ntohs(t[i].addr.sin_port), 4 * cfg->timeout_ms,
					 cfg->cluster_id,
					 round.seal.keyed ? ", or it does not hold this client key"
							  : "");
		}
	}
	if (silent == n)
		rc = -1;
	else if (silent > 0)
		rc = 1;
	return rc;
}
