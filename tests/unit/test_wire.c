/* Wire codec: every message type round-trips, batches pack and split at the
 * limits, and every malformed buffer is refused with its specific code.
 */
#include <string.h>

#include "check.h"
#include "crc32c.h"
#include "parnik/auth.h"
#include "parnik/wire.h"

static const struct pk_dgram_hdr hdr = { .cluster_id = 7, .partitions = 4, .partition = 2 };
static const struct pk_wire_expect expect = { .cluster_id = 7, .partitions = 4 };

static struct pk_msg
sample(uint8_t type)
{
	static const uint8_t key[] = "user:42";
	static const uint8_t val[] = "hello world";
	struct pk_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.peer = (struct pk_peer){ .node = 3, .worker = 2, .incarnation = 99, .epoch = 5,
				   .token = 0x1122334455667788ull };
	m.ballot = (struct pk_ballot){ .counter = 1ull << 40, .incarnation = 9, .node = 3,
				       .worker = 2 };
	m.ballot2 = (struct pk_ballot){ .counter = 12, .incarnation = 1, .node = 1, .worker = 2 };
	m.key = key;
	m.key_len = sizeof(key) - 1;
	m.state = (struct pk_wstate){ .kind = PK_KIND_VALUE, .version = 17, .len = sizeof(val) - 1,
				      .data = val };
	if (type == PK_MSG_PROMISE || type == PK_MSG_ACCEPT || type == PK_MSG_INSTALL) {
		m.state.origin = (struct pk_ballot){ .counter = 41, .incarnation = 8, .node = 2,
						     .worker = 2 };
		m.state.parent = (struct pk_ballot){ .counter = 40, .incarnation = 8, .node = 1,
						     .worker = 2 };
	}
	m.client_id = 0xabcdef;
	m.request_id = 77;
	if (type == PK_MSG_CLIENT_REQ || type == PK_MSG_CLIENT_REP)
		m.session = 0x5e55;
	if (type == PK_MSG_CLIENT_REQ)
		m.acked = 70;
	m.arg = (uint64_t)-5;
	m.op = PK_OP_PUT;
	m.status = PK_CAS_MISMATCH;
	m.phase = PK_MSG_ACCEPT;
	m.reason = type == PK_MSG_HELLO_REP ? 1 : PK_CONFLICT;	/* HELLO_REP: votes */
	return m;
}

static size_t
encode1(const struct pk_msg *m, uint8_t *buf, size_t cap)
{
	struct pk_wbuf w;

	pk_wire_begin(&w, buf, cap, &hdr);
	if (pk_wire_add(&w, m) != 0)
		return 0;
	return w.len;
}

static void
test_round_trip_every_type(void)
{
	for (uint8_t t = PK_MSG_CLIENT_REQ; t <= PK_MSG_TYPE_MAX; t++) {
		struct pk_msg in = sample(t), out[2];
		struct pk_dgram_hdr h;
		uint8_t buf[PK_MAX_DGRAM];
		size_t len = encode1(&in, buf, sizeof(buf));

		CHECK(len == PK_WIRE_HDR_LEN + pk_wire_msg_size(&in));
		CHECK_EQ(pk_wire_decode(buf, len, &expect, &h, out, 2), 1);
		CHECK_EQ(h.partition, 2);
		CHECK_EQ(out[0].type, t);
		if (t >= PK_MSG_PREPARE)
			CHECK(memcmp(&out[0].peer, &in.peer, sizeof(in.peer)) == 0);
		if (t >= PK_MSG_PREPARE && t < PK_MSG_HELLO)
			CHECK(pk_ballot_cmp(&out[0].ballot, &in.ballot) == 0);
		if (t == PK_MSG_HELLO_REP)
			CHECK(out[0].arg == (uint64_t)-5 && out[0].reason == 1 &&
			      out[0].state.version == 17);
		if (t == PK_MSG_PROMISE || t == PK_MSG_ACCEPT || t == PK_MSG_CONFLICT)
			CHECK(pk_ballot_cmp(&out[0].ballot2, &in.ballot2) == 0);
		if (t == PK_MSG_PREPARE || t == PK_MSG_ACCEPT || t == PK_MSG_INSTALL ||
		    t == PK_MSG_REMOVE || t == PK_MSG_CLIENT_REQ) {
			CHECK_EQ(out[0].key_len, in.key_len);
			CHECK(memcmp(out[0].key, in.key, in.key_len) == 0);
		}
		if (t == PK_MSG_PROMISE || t == PK_MSG_ACCEPT || t == PK_MSG_INSTALL ||
		    t == PK_MSG_CLIENT_REP || t == PK_MSG_CLIENT_REQ) {
			CHECK_EQ(out[0].state.len, in.state.len);
			CHECK(memcmp(out[0].state.data, in.state.data, in.state.len) == 0);
			/* Peer states carry their origin and parent; client
			 * ones have neither.
			 */
			CHECK(pk_ballot_cmp(&out[0].state.origin, &in.state.origin) == 0);
			CHECK(pk_ballot_cmp(&out[0].state.parent, &in.state.parent) == 0);
		}
		if (t == PK_MSG_CLIENT_REQ) {
			CHECK_EQ(out[0].op, PK_OP_PUT);
			CHECK(out[0].arg == (uint64_t)-5);
			CHECK(out[0].client_id == 0xabcdef && out[0].request_id == 77);
		}
		if (t == PK_MSG_CLIENT_REP) {
			CHECK_EQ(out[0].status, PK_CAS_MISMATCH);
			CHECK_EQ(out[0].state.version, 17);
		}
		if (t == PK_MSG_CONFLICT)
			CHECK(out[0].phase == PK_MSG_ACCEPT && out[0].reason == PK_CONFLICT);
		if (t == PK_MSG_REMOVED)
			CHECK_EQ(out[0].reason, PK_CONFLICT);
	}
}

/* An ABSENT state carries no bytes but may carry a version: the acceptor's
 * floor version for a key it has no record of.
 */
static void
test_absent_with_version(void)
{
	struct pk_msg m = sample(PK_MSG_PROMISE), out[2];
	struct pk_dgram_hdr h;
	uint8_t buf[PK_MAX_DGRAM];
	size_t len;

	m.state = (struct pk_wstate){ .kind = PK_KIND_ABSENT, .version = 42 };
	len = encode1(&m, buf, sizeof(buf));
	CHECK(len > 0);
	CHECK_EQ(pk_wire_decode(buf, len, &expect, &h, out, 2), 1);
	CHECK_EQ(out[0].state.kind, PK_KIND_ABSENT);
	CHECK_EQ(out[0].state.version, 42);
	m.state.len = 1;
	m.state.data = (const uint8_t *)"x";
	CHECK_EQ(encode1(&m, buf, sizeof(buf)), 0);	/* but never bytes */
}

static void
test_little_endian_layout(void)
{
	struct pk_msg m = sample(PK_MSG_ACCEPTED);
	uint8_t buf[128];
	size_t len = encode1(&m, buf, sizeof(buf));

	/* docs/PROTOCOL.md: "PRNK", version 6, flags 0, count 1 (LE) ... */
	CHECK_EQ(len, 16 + 4 + 20 + 16);
	CHECK(memcmp(buf, "PRNK", 4) == 0);
	CHECK(buf[4] == 6 && buf[5] == 0 && buf[6] == 1 && buf[7] == 0);
	CHECK(buf[8] == 7 && buf[12] == 4 && buf[14] == 2);
	CHECK(buf[16] == PK_MSG_ACCEPTED && buf[17] == 0 && buf[18] == 36 && buf[19] == 0);
	CHECK(buf[20] == 3 && buf[22] == 2 && buf[24] == 99);
	CHECK(buf[32] == 0x88 && buf[39] == 0x11);
	CHECK(buf[40 + 5] == 1);	/* ballot counter 1 << 40 */
}

static void
test_batch_fills_then_refuses(void)
{
	struct pk_msg m = sample(PK_MSG_PREPARE), out[PK_MAX_BATCH];
	struct pk_dgram_hdr h;
	uint8_t buf[PK_MAX_DGRAM];
	struct pk_wbuf w;
	int n = 0, rc;

	pk_wire_begin(&w, buf, sizeof(buf), &hdr);
	while ((rc = pk_wire_add(&w, &m)) == 0)
		n++;
	CHECK_EQ(rc, -PK_E_NOSPACE);
	CHECK(n > 1);
	CHECK(w.len <= PK_MAX_DGRAM);
	CHECK_EQ(pk_wire_decode(buf, w.len, &expect, &h, out, PK_MAX_BATCH), n);
	CHECK_EQ(h.count, n);
	CHECK(memcmp(out[n - 1].key, "user:42", 7) == 0);

	/* The batch bound holds even in a roomy buffer. */
	{
		static uint8_t big[1 << 16];
		struct pk_msg small = sample(PK_MSG_ACCEPTED);

		pk_wire_begin(&w, big, sizeof(big), &hdr);
		n = 0;
		while (pk_wire_add(&w, &small) == 0)
			n++;
		CHECK_EQ(n, PK_MAX_BATCH);
	}
}

/* Decodes <buf> with the bytes at <at> replaced by <patch> (<n> bytes). */
static int
decode_patched(const uint8_t *buf, size_t len, size_t at, const void *patch, size_t n)
{
	uint8_t bad[PK_MAX_DGRAM + 8];
	struct pk_msg out[4];
	struct pk_dgram_hdr h;

	memcpy(bad, buf, len);
	memcpy(bad + at, patch, n);
	return pk_wire_decode(bad, len, &expect, &h, out, 4);
}

static int
decode_byte(const uint8_t *buf, size_t len, size_t at, uint8_t byte)
{
	return decode_patched(buf, len, at, &byte, 1);
}

static int
decode_u16(const uint8_t *buf, size_t len, size_t at, uint16_t v)
{
	uint8_t le[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	return decode_patched(buf, len, at, le, 2);
}

static void
test_header_errors(void)
{
	struct pk_msg m = sample(PK_MSG_ACCEPTED), out[4];
	struct pk_dgram_hdr h;
	uint8_t buf[128];
	size_t len = encode1(&m, buf, sizeof(buf));
	struct pk_wire_expect other = expect;

	CHECK_EQ(pk_wire_decode(buf, 10, &expect, &h, out, 4), -PK_E_TRUNCATED);
	CHECK_EQ(decode_byte(buf, len, 0, 'X'), -PK_E_MAGIC);
	CHECK_EQ(decode_byte(buf, len, 4, 1), -PK_E_VERSION);	/* version 1: no origin */
	CHECK_EQ(decode_byte(buf, len, 4, 2), -PK_E_VERSION);	/* 2: no REMOVE, no floor */
	CHECK_EQ(decode_byte(buf, len, 4, 3), -PK_E_VERSION);	/* 3: no MAC trailer */
	CHECK_EQ(decode_byte(buf, len, 4, 4), -PK_E_VERSION);	/* 4: no receiver in it */
	CHECK_EQ(decode_byte(buf, len, 4, 5), -PK_E_VERSION);	/* 5: no client sessions */
	CHECK_EQ(decode_byte(buf, len, 4, 7), -PK_E_VERSION);
	/* The two MAC flags pass (the caller checked and cut the trailer),
	 * and are reported; anything else, both at once included, is refused.
	 */
	CHECK_EQ(decode_byte(buf, len, 5, PK_DGRAM_PEER_MAC), 1);
	buf[5] = PK_DGRAM_CLIENT_MAC;
	CHECK_EQ(pk_wire_decode(buf, len, &expect, &h, out, 4), 1);
	CHECK_EQ(h.flags, PK_DGRAM_CLIENT_MAC);
	buf[5] = 0;
	CHECK_EQ(decode_byte(buf, len, 5, 3), -PK_E_FIELD);
	CHECK_EQ(decode_byte(buf, len, 5, 4), -PK_E_FIELD);
	other.cluster_id = 8;
	CHECK_EQ(pk_wire_decode(buf, len, &other, &h, out, 4), -PK_E_CLUSTER);
	other = expect;
	other.partitions = 5;
	CHECK_EQ(pk_wire_decode(buf, len, &other, &h, out, 4), -PK_E_PARTITIONS);
	CHECK_EQ(decode_byte(buf, len, 14, 4), -PK_E_PARTITION);
	CHECK_EQ(decode_byte(buf, len, 6, 0), -PK_E_LENGTH);
	CHECK_EQ(decode_byte(buf, len, 6, 2), -PK_E_TRUNCATED);	/* says 2, holds 1 */
	CHECK_EQ(decode_byte(buf, len, 6, 5), -PK_E_LIMIT);	/* over the caller's room */
	CHECK_EQ(decode_byte(buf, len, 6, PK_MAX_BATCH + 1), -PK_E_LIMIT);
	CHECK_EQ(pk_wire_decode(buf, len, &expect, &h, out, 4), 1);
}

static void
test_message_errors(void)
{
	static const uint8_t zero_ballot[16] = { 0 };
	struct pk_msg m = sample(PK_MSG_ACCEPT), out[2];
	struct pk_dgram_hdr h;
	uint8_t buf[PK_MAX_DGRAM], longer[PK_MAX_DGRAM + 1];
	size_t len = encode1(&m, buf, sizeof(buf));
	size_t body = PK_WIRE_HDR_LEN + PK_WIRE_MSG_HDR_LEN;
	size_t key_len_at = body + 20 + 32;
	size_t state_at = key_len_at + 2 + 7 + 32;	/* after origin and parent */

	CHECK_EQ(decode_byte(buf, len, 16, 0), -PK_E_TYPE);
	CHECK_EQ(decode_byte(buf, len, 16, PK_MSG_TYPE_MAX + 1), -PK_E_TYPE);
	CHECK_EQ(decode_byte(buf, len, 17, 1), -PK_E_FIELD);
	CHECK_EQ(decode_u16(buf, len, 18, 0x0fff), -PK_E_TRUNCATED);	/* body past the end */
	CHECK_EQ(decode_u16(buf, len, key_len_at, 200), -PK_E_LENGTH);	/* key past the body */
	CHECK_EQ(decode_u16(buf, len, key_len_at, PK_MAX_KEY + 1), -PK_E_LIMIT);
	CHECK_EQ(decode_u16(buf, len, key_len_at, 0), -PK_E_FIELD);
	CHECK_EQ(decode_byte(buf, len, state_at, 9), -PK_E_FIELD);	/* kind */
	CHECK_EQ(decode_byte(buf, len, state_at, PK_KIND_TOMBSTONE), -PK_E_FIELD);
	CHECK_EQ(decode_u16(buf, len, state_at + 9, PK_MAX_VALUE + 1), -PK_E_LIMIT);
	CHECK_EQ(decode_patched(buf, len, body + 20, zero_ballot, 16), -PK_E_FIELD);
	/* Trailing bytes after the last message. */
	memcpy(longer, buf, len);
	longer[len] = 0;
	CHECK_EQ(pk_wire_decode(longer, len + 1, &expect, &h, out, 2), -PK_E_LENGTH);
	/* Every truncation of a valid datagram is refused. */
	for (size_t cut = 0; cut < len; cut++)
		CHECK(pk_wire_decode(buf, cut, &expect, &h, out, 2) < 0);
}

static void
test_encoder_refuses_invalid(void)
{
	struct pk_msg m = sample(PK_MSG_CLIENT_REQ);
	uint8_t buf[PK_MAX_DGRAM];
	struct pk_wbuf w;

	pk_wire_begin(&w, buf, sizeof(buf), &hdr);
	m.key_len = PK_MAX_KEY + 1;
	CHECK_EQ(pk_wire_add(&w, &m), -PK_E_LIMIT);
	m = sample(PK_MSG_CLIENT_REQ);
	m.op = 9;
	CHECK_EQ(pk_wire_add(&w, &m), -PK_E_FIELD);
	m = sample(PK_MSG_PROMISE);
	m.state.kind = PK_KIND_ABSENT;
	CHECK_EQ(pk_wire_add(&w, &m), -PK_E_FIELD);
	m.type = 0;
	CHECK_EQ(pk_wire_add(&w, &m), -PK_E_TYPE);
	CHECK_EQ(w.count, 0);
	CHECK_EQ(w.len, PK_WIRE_HDR_LEN);
}

/* Random corruption of valid batches: decoding may fail but must not read
 * out of bounds (run under ASan) and what it accepts re-encodes to the same
 * bytes.
 */
static void
test_mutations_never_overread(void)
{
	uint64_t x = 0x12345;
	unsigned int accepted = 0;

	for (int iter = 0; iter < 200000; iter++) {
		uint8_t buf[PK_MAX_DGRAM], re[PK_MAX_DGRAM];
		struct pk_msg out[PK_MAX_BATCH];
		struct pk_dgram_hdr h;
		struct pk_wbuf w;
		int n, flips;
		size_t len;

		pk_wire_begin(&w, buf, sizeof(buf), &hdr);
		for (int k = 0; k < 1 + iter % 5; k++) {
			struct pk_msg m = sample((uint8_t)(1 + (iter + k) % PK_MSG_TYPE_MAX));

			pk_wire_add(&w, &m);
		}
		len = w.len;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		flips = 1 + (int)(x % 3);
		for (int f = 0; f < flips; f++)
			buf[(x >> (8 * f + 8)) % len] ^= (uint8_t)(1u << ((x >> (40 + f)) % 8));
		if (x % 7 == 0)
			len -= (x >> 20) % len;
		n = pk_wire_decode(buf, len, &expect, &h, out, PK_MAX_BATCH);
		if (n <= 0)
			continue;
		accepted++;
		pk_wire_begin(&w, re, sizeof(re), &h);
		for (int k = 0; k < n; k++)
			CHECK_EQ(pk_wire_add(&w, &out[k]), 0);
		CHECK_EQ(w.len, len);
		re[5] = h.flags;	/* the encoder leaves MAC flags to pk_auth_seal */
		CHECK(memcmp(re, buf, len) == 0);
	}
	CHECK(accepted > 0);	/* some flips land in payload bytes */
}

/* The body sizes docs/PROTOCOL.md gives, for k = 7 key bytes and v = 11
 * value bytes.
 */
/* CLIENT_REQ's and CLIENT_REP's byte layout (docs/PROTOCOL.md 6.1, 6.2),
 * OPEN's rules, and a request over a limit decoded for a TOO_LARGE answer.
 */
static void
test_client_layout(void)
{
	struct pk_msg m = sample(PK_MSG_CLIENT_REQ), out[2];
	struct pk_dgram_hdr h;
	uint8_t buf[2048];
	size_t len = encode1(&m, buf, sizeof(buf));
	const uint8_t *b = buf + 16 + 4;

	CHECK_EQ(len, 16 + 4 + 46 + 7 + 11);
	CHECK(b[0] == 0xef && b[8] == 77 && b[16] == 0x55 && b[17] == 0x5e && b[24] == 70);
	CHECK(b[32] == PK_OP_PUT && b[33] == 0 && b[34] == 7 && b[36] == 11 && b[38] == 0xfb);
	CHECK(memcmp(b + 46, "user:42", 7) == 0);
	m = sample(PK_MSG_CLIENT_REP);
	len = encode1(&m, buf, sizeof(buf));
	CHECK_EQ(len, 16 + 4 + 36 + 11);
	CHECK(b[16] == 0x55 && b[24] == PK_CAS_MISMATCH && b[25] == PK_KIND_VALUE && b[26] == 17);

	/* OPEN: no key, no value, no argument, no session. */
	m = sample(PK_MSG_CLIENT_REQ);
	m.op = PK_OP_OPEN;
	CHECK_EQ(encode1(&m, buf, sizeof(buf)), 0);
	m.key_len = 0;
	m.state.len = 0;
	m.arg = 0;
	m.session = 0;
	len = encode1(&m, buf, sizeof(buf));
	CHECK_EQ(len, 16 + 4 + 46);
	CHECK_EQ(pk_wire_decode(buf, len, &expect, &h, out, 2), 1);
	CHECK(out[0].op == PK_OP_OPEN && out[0].acked == 70);
	buf[16 + 4 + 16] = 1;	/* a session */
	CHECK_EQ(pk_wire_decode(buf, len, &expect, &h, out, 2), -PK_E_FIELD);
	/* Key length 0 on an operation on a key is malformed. */
	m = sample(PK_MSG_CLIENT_REQ);
	m.key_len = 0;
	CHECK_EQ(encode1(&m, buf, sizeof(buf)), 0);

	/* A 251-byte key and a 1025-byte value are decoded, marked too large. */
	{
		static uint8_t big[1100];
		struct pk_wbuf w;

		memset(big, 'k', sizeof(big));
		m = sample(PK_MSG_CLIENT_REQ);
		m.key = big;
		m.key_len = 250;
		m.state.data = big;
		m.state.len = 1024;
		pk_wire_begin(&w, buf, sizeof(buf), &hdr);
		CHECK_EQ(pk_wire_add(&w, &m), 0);
		CHECK_EQ(pk_wire_decode(buf, w.len, &expect, &h, out, 2), 1);
		CHECK(!out[0].too_large);
		/* One more value byte: patch val_len and append it. */
		buf[16 + 4 + 36] = (uint8_t)(1025 & 0xff);
		buf[16 + 4 + 37] = (uint8_t)(1025 >> 8);
		buf[16 + 2] = (uint8_t)((46 + 250 + 1025) & 0xff);
		buf[16 + 3] = (uint8_t)((46 + 250 + 1025) >> 8);
		buf[w.len] = 'v';
		CHECK_EQ(pk_wire_decode(buf, w.len + 1, &expect, &h, out, 2), 1);
		CHECK(out[0].too_large && out[0].state.len == 1025);
	}
}

static void
test_documented_sizes(void)
{
	static const size_t body[] = { 0, 46 + 7 + 11, 36 + 11, 38 + 7, 95 + 11, 97 + 7 + 11,
				       36, 54, 97 + 7 + 11, 36, 38 + 7, 37, 20, 37 };

	for (uint8_t t = PK_MSG_CLIENT_REQ; t <= PK_MSG_TYPE_MAX; t++) {
		struct pk_msg m = sample(t);

		CHECK_EQ(pk_wire_msg_size(&m), PK_WIRE_MSG_HDR_LEN + body[t]);
	}
}

static void
test_crc32c(void)
{
	CHECK(pk_hash("123456789", 9) == 0xe3069283u);
	CHECK(pk_hash("", 0) == 0);
	CHECK_EQ(pk_partition_of("123456789", 9, 4), 0xe3069283u % 4);
}

/* The CPU's CRC instruction and the table agree on every length and
 * alignment (the instruction path takes 8 bytes at a time, then the tail).
 */
static void
test_crc32c_instruction_matches_the_table(void)
{
	uint8_t buf[300];

	printf("     crc32c: %s\n", pk_crc32c_hw() ? "CPU instruction" : "table (no instruction)");
	check_fill(buf, sizeof(buf), 88172645463325252ull);
	for (size_t off = 0; off < 9; off++)
		for (size_t len = 0; len + off <= sizeof(buf); len += 1 + len / 16)
			CHECK_EQ(pk_crc32c_instruction(0xffffffffu, buf + off, len),
				 pk_crc32c_portable(0xffffffffu, buf + off, len));
	CHECK_EQ(pk_crc32c_portable(0xffffffffu, "123456789", 9) ^ 0xffffffffu, 0xe3069283u);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "round_trip_every_type", test_round_trip_every_type },
		{ "little_endian_layout", test_little_endian_layout },
		{ "batch_fills_then_refuses", test_batch_fills_then_refuses },
		{ "header_errors", test_header_errors },
		{ "message_errors", test_message_errors },
		{ "encoder_refuses_invalid", test_encoder_refuses_invalid },
		{ "mutations_never_overread", test_mutations_never_overread },
		{ "documented_sizes", test_documented_sizes },
		{ "client_layout", test_client_layout },
		{ "absent_with_version", test_absent_with_version },
		{ "crc32c", test_crc32c },
		{ "crc32c_instruction_matches_the_table", test_crc32c_instruction_matches_the_table },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
