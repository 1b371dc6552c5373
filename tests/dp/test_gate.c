/* The gate (dp/gate.c) as an attacker meets it: forged, altered, replayed
 * and misattributed datagrams are refused with their reason; what replicas
 * really send passes, in any order within the replay window.
 */
#include <arpa/inet.h>
#include <string.h>

#include "check.h"
#include "gate.h"

/* Replica 0 of members 0..2 at 198.18.0.1..3, base port 7700. */
static void
setup(struct dp_options *o, bool keyed)
{
	memset(o, 0, sizeof(*o));
	o->node = 0;
	o->ip = check_ip4("198.18.0.1");
	o->base_port = 7700;
	o->partitions = 2;
	o->cluster_id = 1;
	o->nmembers = 3;
	o->members[0] = (struct dp_member){ 0, check_ip4("198.18.0.1") };
	o->members[1] = (struct dp_member){ 1, check_ip4("198.18.0.2") };
	o->members[2] = (struct dp_member){ 2, check_ip4("198.18.0.3") };
	o->have_peer_key = keyed;
	o->insecure_peers = !keyed;
	memset(o->peer_secret, 0x5a, sizeof(o->peer_secret));
}

/* One ACCEPTED from <from> for partition 1, in <buf>; returns its length. */
static uint16_t
peer_dgram(uint8_t *buf, size_t cap, uint16_t from, uint8_t type)
{
	const struct pk_dgram_hdr h = { .cluster_id = 1, .partitions = 2, .partition = 1 };
	struct pk_msg m = { .type = type };
	struct pk_wbuf w;

	m.peer = (struct pk_peer){ .node = from, .worker = 1, .incarnation = 9, .epoch = 1,
				   .token = 77 };
	m.ballot = (struct pk_ballot){ .counter = 5, .incarnation = 9, .node = from, .worker = 1 };
	m.key = (const uint8_t *)"k";
	m.key_len = 1;
	if (type == PK_MSG_CLIENT_REQ) {
		m.client_id = 1;
		m.request_id = 1;
		m.op = PK_OP_GET;
	}
	pk_wire_begin(&w, buf, cap - PK_AUTH_TRAILER_LEN, &h);
	if (pk_wire_add(&w, &m) != 0)
		return 0;	/* the callers' checks then fail */
	return (uint16_t)w.len;
}

/* Runs both steps as the worker loop does; returns the first refusal. */
static enum dp_gate_reason
pass(const struct dp_gate *g, struct dp_gate_part *gp, uint8_t *buf, uint16_t len,
     const char *src, uint16_t sport, int *peer)
{
	const struct dp_gate_in in = { .buf = buf, .len = len, .src_ip = check_ip4(src),
				       .src_port = sport, .partition = 1 };
	const struct pk_wire_expect exp = { .cluster_id = 1, .partitions = 2 };
	struct pk_msg msgs[PK_MAX_BATCH];
	struct pk_dgram_hdr h;
	struct dp_gate_out out;
	enum dp_gate_reason why = dp_gate_open(g, gp, &in, &out);
	int n;

	if (why != DP_GATE_OK)
		return why;
	n = pk_wire_decode(buf, out.len, &exp, &h, msgs, PK_MAX_BATCH);
	if (n <= 0)
		return DP_GATE_COUNT;	/* no expected value: the caller's check fails */
	return dp_gate_admit(g, gp, &in, &out, msgs, n, peer);
}

/* A sealed datagram as member <from> (its own gate) would send it. */
static uint16_t
sealed_from(const struct dp_options *self, uint16_t from, uint64_t boot, uint8_t *buf, size_t cap,
	    uint16_t to)
{
	static struct dp_options sender;
	static struct dp_gate_part sgp;
	struct dp_gate g;
	uint16_t len = peer_dgram(buf, cap, from, PK_MSG_ACCEPTED);

	sender = *self;
	sender.node = from;
	dp_gate_init(&g, &sender, boot);
	return dp_gate_seal_peer(&g, &sgp, to, buf, len, (uint16_t)cap);
}

static void
test_seal_and_open(void)
{
	struct pk_auth_key k1, k2;
	uint8_t secret[PK_AUTH_SECRET_LEN] = { 1 }, buf[256];
	const struct pk_auth_trailer t = { .node = 2, .boot = 123456789, .seq = 42 };
	struct pk_auth_trailer got;
	uint16_t len = peer_dgram(buf, sizeof(buf), 2, PK_MSG_ACCEPTED);
	size_t sealed;

	pk_auth_derive(secret, PK_AUTH_PEER, &k1);
	pk_auth_derive(secret, PK_AUTH_CLIENT, &k2);
	CHECK(memcmp(k1.k, k2.k, sizeof(k1.k)) != 0);	/* one secret, two keys */
	sealed = pk_auth_seal(buf, len, sizeof(buf), PK_DGRAM_PEER_MAC, &t, &k1);
	CHECK_EQ(sealed, (size_t)len + PK_AUTH_TRAILER_LEN);
	CHECK_EQ(pk_auth_flags(buf, sealed), PK_DGRAM_PEER_MAC);
	CHECK_EQ(pk_auth_open(buf, sealed, &k1, &got), len);
	CHECK(got.node == 2 && got.boot == 123456789 && got.seq == 42);
	CHECK_EQ(pk_auth_open(buf, sealed, &k2, &got), 0);	/* the other key */
	/* Every single bit flipped anywhere, header, body, trailer or tag,
	 * fails the check.
	 */
	for (size_t i = 0; i < sealed * 8; i++) {
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		CHECK_EQ(pk_auth_open(buf, sealed, &k1, &got), 0);
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	CHECK_EQ(pk_auth_open(buf, sealed - 1, &k1, &got), 0);	/* truncated */
	CHECK_EQ(pk_auth_open(buf, 20, &k1, &got), 0);
	CHECK_EQ(pk_auth_seal(buf, len, len + PK_AUTH_TRAILER_LEN - 1, PK_DGRAM_PEER_MAC, &t, &k1), 0);
}

/* The vectors docs/PROTOCOL.md section 12 gives (tests/cluster/pkforge.py,
 * written from the document alone, computes the same): SipHash-2-4-128 of
 * bytes 00..0e under key 00..0f (the SipHash reference's own vector), and
 * the peer and client keys derived from the secret 00..1f.
 */
static void
test_vectors(void)
{
	static const uint8_t want_tag[16] = { 0x54, 0x93, 0xe9, 0x99, 0x33, 0xb0, 0xa8, 0x11,
					      0x7e, 0x08, 0xec, 0x0f, 0x97, 0xcf, 0xc3, 0xd9 };
	static const uint8_t want_key[16] = { 0xe5, 0x00, 0x2c, 0x11, 0xa2, 0x91, 0xee, 0x14,
					      0xe1, 0xf9, 0xc4, 0xd6, 0xc2, 0x8a, 0xfd, 0x09 };
	static const uint8_t want_client_key[16] = { 0x72, 0x92, 0x1b, 0xc1, 0x01, 0x26, 0x90, 0xe0,
						     0xb8, 0x48, 0xf6, 0x86, 0x9b, 0xbe, 0x6b, 0x36 };
	uint8_t secret[PK_AUTH_SECRET_LEN], in[15 + 16];
	struct pk_auth_key k;

	for (int i = 0; i < PK_AUTH_SECRET_LEN; i++)
		secret[i] = (uint8_t)i;
	pk_auth_derive(secret, PK_AUTH_PEER, &k);
	CHECK(memcmp(k.k, want_key, 16) == 0);
	pk_auth_derive(secret, PK_AUTH_CLIENT, &k);
	CHECK(memcmp(k.k, want_client_key, 16) == 0);
	for (int i = 0; i < 16; i++)
		k.k[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		in[i] = (uint8_t)i;
	memcpy(in + 15, want_tag, 16);
	CHECK(pk_auth_check_tag(in, 15, &k, in + 15));
	in[0] ^= 1;
	CHECK(!pk_auth_check_tag(in, 15, &k, in + 15));
}

static void
test_replay_window(void)
{
	struct dp_replay w = { 0 };

	CHECK_EQ(dp_replay_check(&w, 100, 0), DP_gate_replay);	/* sequences start at 1 */
	CHECK_EQ(dp_replay_check(&w, 100, 5), DP_GATE_OK);
	dp_replay_take(&w, 100, 5);
	CHECK_EQ(dp_replay_check(&w, 100, 5), DP_gate_replay);
	/* Reordered within the window: each taken once. */
	CHECK_EQ(dp_replay_check(&w, 100, 3), DP_GATE_OK);
	dp_replay_take(&w, 100, 3);
	CHECK_EQ(dp_replay_check(&w, 100, 3), DP_gate_replay);
	CHECK_EQ(dp_replay_check(&w, 100, 4), DP_GATE_OK);
	dp_replay_take(&w, 100, 70);
	CHECK_EQ(dp_replay_check(&w, 100, 5), DP_gate_replay);	/* fell out of the window */
	CHECK_EQ(dp_replay_check(&w, 100, 7), DP_GATE_OK);	/* 63 below the top */
	CHECK_EQ(dp_replay_check(&w, 100, 6), DP_gate_replay);	/* 64 below */
	CHECK_EQ(dp_replay_check(&w, 100, 70), DP_gate_replay);
	dp_replay_take(&w, 100, 1000);
	CHECK_EQ(dp_replay_check(&w, 100, 999), DP_GATE_OK);
	CHECK_EQ(dp_replay_check(&w, 100, 1000), DP_gate_replay);
	/* A later start of the sender begins a new window; its earlier start
	 * is refused from then on, whatever the sequence.
	 */
	CHECK_EQ(dp_replay_check(&w, 200, 1), DP_GATE_OK);
	dp_replay_take(&w, 200, 1);
	CHECK_EQ(dp_replay_check(&w, 100, 5000), DP_gate_stale_boot);
	CHECK_EQ(dp_replay_check(&w, 200, 1), DP_gate_replay);
}

static void
test_keyed_gate(void)
{
	struct dp_options o;
	struct dp_gate g;
	struct dp_gate_part gp;
	uint8_t buf[512], copy[512];
	uint16_t len;
	int peer = -7;

	setup(&o, true);
	dp_gate_init(&g, &o, 1000);
	memset(&gp, 0, sizeof(gp));
	/* What member 1 really sends passes once; its replay does not. */
	len = sealed_from(&o, 1, 500, buf, sizeof(buf), 0);
	memcpy(copy, buf, len);
	CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.2", 7701, &peer), DP_GATE_OK);
	CHECK_EQ(peer, 1);
	CHECK_EQ(pass(&g, &gp, copy, len, "198.18.0.2", 7701, &peer), DP_gate_replay);
	/* The same datagram, unsealed: refused, whatever its source. */
	len = peer_dgram(buf, sizeof(buf), 1, PK_MSG_ACCEPT);
	CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.2", 7701, &peer), DP_gate_unsealed);
	/* Sealed with another key (an attacker's): bad tag. */
	{
		struct dp_options evil = o;

		memset(evil.peer_secret, 0x66, sizeof(evil.peer_secret));
		len = sealed_from(&evil, 1, 500, buf, sizeof(buf), 0);
		CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.2", 7701, &peer), DP_gate_bad_tag);
	}
	/* A real sealed datagram relayed from elsewhere (another address or
	 * port than member 1's): spoofed.
	 */
	len = sealed_from(&o, 1, 500, buf, sizeof(buf), 0);
	CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.9", 7701, &peer), DP_gate_spoofed);
	CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.2", 40000, &peer), DP_gate_spoofed);
	/* Sealed as ourselves, or as a node that is no member. */
	len = sealed_from(&o, 0, 500, buf, sizeof(buf), 0);
	CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.1", 7701, &peer), DP_gate_spoofed);
	len = sealed_from(&o, 5, 500, buf, sizeof(buf), 0);
	CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.2", 7701, &peer), DP_gate_spoofed);
	/* Sealed by member 1 for member 2, captured and sent here from 1's
	 * address: refused, and our window for member 1 does not move.
	 */
	len = sealed_from(&o, 1, 900, buf, sizeof(buf), 2);
	CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.2", 7701, &peer), DP_gate_spoofed);
	CHECK(gp.rx[1].boot == 500);
	/* A member's earlier start is refused once a later one spoke. */
	len = sealed_from(&o, 1, 900, buf, sizeof(buf), 0);
	CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.2", 7701, &peer), DP_GATE_OK);
	len = sealed_from(&o, 1, 500, buf, sizeof(buf), 0);
	CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.2", 7701, &peer), DP_gate_stale_boot);
	/* Client requests: never in a sealed peer datagram. */
	{
		struct dp_gate sg;
		struct dp_options s1 = o;
		static struct dp_gate_part sgp;
		const struct pk_dgram_hdr h = { .cluster_id = 1, .partitions = 2, .partition = 1 };
		struct pk_msg m = { .type = PK_MSG_CLIENT_REQ, .client_id = 1, .request_id = 1,
				    .op = PK_OP_GET, .key = (const uint8_t *)"k", .key_len = 1 };
		struct pk_wbuf w;

		s1.node = 1;
		dp_gate_init(&sg, &s1, 900);
		pk_wire_begin(&w, buf, sizeof(buf) - PK_AUTH_TRAILER_LEN, &h);
		CHECK_EQ(pk_wire_add(&w, &m), 0);
		len = dp_gate_seal_peer(&sg, &sgp, 0, buf, (uint16_t)w.len, sizeof(buf));
		CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.2", 7701, &peer), DP_gate_mixed);
	}
	/* An open client request passes (no client key) as a client datagram. */
	len = peer_dgram(buf, sizeof(buf), 1, PK_MSG_CLIENT_REQ);
	CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.9", 40000, &peer), DP_GATE_OK);
	CHECK_EQ(peer, -1);
}

static void
test_insecure_gate(void)
{
	struct dp_options o;
	struct dp_gate g;
	struct dp_gate_part gp;
	uint8_t buf[512];
	uint16_t len;
	int peer;

	setup(&o, false);
	dp_gate_init(&g, &o, 1000);
	memset(&gp, 0, sizeof(gp));
	/* Without a key, a peer message must come from its member's address
	 * and port: the client network cannot pose as a replica (only an
	 * attacker who forges the source address can).
	 */
	len = peer_dgram(buf, sizeof(buf), 2, PK_MSG_ACCEPT);
	CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.3", 7701, &peer), DP_GATE_OK);
	CHECK_EQ(peer, 2);
	CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.9", 7701, &peer), DP_gate_spoofed);
	CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.2", 7701, &peer), DP_gate_spoofed);
	CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.3", 7700, &peer), DP_gate_spoofed);
	/* A sealed datagram to a replica without the key: no key. */
	{
		struct dp_options keyed = o;

		keyed.have_peer_key = true;
		len = sealed_from(&keyed, 2, 1, buf, sizeof(buf), 0);
		CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.3", 7701, &peer), DP_gate_no_key);
	}
}

static void
test_client_key(void)
{
	struct dp_options o;
	struct dp_gate g, cg;
	struct dp_gate_part gp;
	struct dp_gate_out out;
	uint8_t buf[512];
	uint16_t len;
	int peer;

	setup(&o, true);
	o.have_client_key = true;
	memset(o.client_secret, 0x33, sizeof(o.client_secret));
	dp_gate_init(&g, &o, 1000);
	memset(&gp, 0, sizeof(gp));
	/* An open request passes the gate but must be refused. */
	len = peer_dgram(buf, sizeof(buf), 1, PK_MSG_CLIENT_REQ);
	{
		const struct dp_gate_in in = { .buf = buf, .len = len, .src_ip = check_ip4("198.18.0.9"),
					       .src_port = 40000, .partition = 1 };

		CHECK_EQ(dp_gate_open(&g, &gp, &in, &out), DP_GATE_OK);
		CHECK(dp_gate_client_refused(&g, &out));
	}
	/* Sealed by a key holder (the replica's reply sealer is the client's
	 * too): passes and is not refused.
	 */
	cg = g;
	len = dp_gate_seal_reply(&cg, buf, len, sizeof(buf));
	CHECK(len > 0);
	{
		const struct dp_gate_in in = { .buf = buf, .len = len, .src_ip = check_ip4("198.18.0.9"),
					       .src_port = 40000, .partition = 1 };

		CHECK_EQ(dp_gate_open(&g, &gp, &in, &out), DP_GATE_OK);
		CHECK(!dp_gate_client_refused(&g, &out));
	}
	CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.9", 40000, &peer), DP_GATE_OK);
	buf[20] ^= 1;
	CHECK_EQ(pass(&g, &gp, buf, len, "198.18.0.9", 40000, &peer), DP_gate_bad_tag);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "vectors", test_vectors },
		{ "seal_and_open", test_seal_and_open },
		{ "replay_window", test_replay_window },
		{ "keyed_gate", test_keyed_gate },
		{ "insecure_gate", test_insecure_gate },
		{ "client_key", test_client_key },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
