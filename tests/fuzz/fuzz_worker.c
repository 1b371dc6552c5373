/* Fuzz harness of one pk_worker (node 0 of a 3-node majority): the input is
 * a script of client requests, peer messages from nodes 1 and 2 (hand-built,
 * answers to the worker's own outgoing messages, or whole datagrams through
 * pk_wire_decode), ticks, GC calls, config and admission changes, outbox
 * caps and allocation failures. After the script the worker is freed and
 * any byte still allocated aborts: leaks are crashes. A client cookie
 * answered twice aborts too.
 *
 * Built with -fsanitize=fuzzer it is a libFuzzer target; built with
 * -DPK_FUZZ_STANDALONE it is a plain program that runs the files (or the
 * files of the directories) named on its command line, so the corpus runs
 * as a unit test without clang. tests/fuzz/README.md has the commands.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_fx.h"
#include "heap.h"
#include "parnik/config.h"
#include "parnik/types.h"
#include "parnik/wire.h"
#include "parnik/worker.h"

/* Under AddressSanitizer a leak is also reported with the stack that
 * allocated it, before the abort.
 */
#if defined(__SANITIZE_ADDRESS__)
#define PK_FUZZ_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PK_FUZZ_LSAN 1
#endif
#endif
#ifdef PK_FUZZ_LSAN
#include <sanitizer/lsan_interface.h>
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NODE 0			/* the worker's own node; 1 and 2 are played */
#define OUT_CAP 64
#define HIST 32			/* outgoing messages remembered for answers */
#define MAX_COOKIES 4096

/* Few keys, so rounds collide on them and queue; "e" is long. */
static const char *const keys[] = {
	"a", "b", "c", "d",
	"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Values: empty (a 40-byte blob, like a tombstone), integers for ADD
 * (including the int64 edges), plain bytes.
 */
static const char *const values[] = {
	"", "0", "1", "-7", "x", "9223372036854775807", "-9223372036854775808", "hello, world",
};
#define NVALUES (sizeof(values) / sizeof(values[0]))

static const uint64_t advances[] = { 0, 1, 150, 1000, 2001, 25000, 500000, 1000001 };

/* A copy of one outgoing peer message: the outbox points into worker
 * memory only valid until the next call.
 */
struct sent {
	uint8_t type;
	uint32_t epoch;
	uint64_t token;
	struct pk_ballot ballot;
	struct pk_ballot ballot2;
	uint16_t key_len;
	uint8_t key[PK_MAX_KEY];
	struct pk_wstate state;	/* data points into buf */
	uint8_t buf[PK_MAX_VALUE];
};

struct harness {
	struct pk_heap heap;
	struct pk_config cfgs[4];
	const struct pk_config *cfg;	/* the worker's current one */
	struct pk_worker *w;
	struct pk_send sends[OUT_CAP];
	struct pk_reply replies[OUT_CAP];
	struct pk_out out;
	uint32_t out_cap;
	uint64_t now;
	uint64_t next_cookie;
	uint8_t answered[MAX_COOKIES / 8];
	struct sent hist[HIST];
	uint32_t nhist;		/* total recorded; the ring keeps the last HIST */
	uint64_t session[4];	/* each client's session, once OPEN answered */
};

/* The input, read a byte at a time; zeros once it runs out. */
struct input {
	const uint8_t *p;
	const uint8_t *end;
};

static uint8_t
u8(struct input *in)
{
	return in->p < in->end ? *in->p++ : 0;
}

static bool
more(const struct input *in)
{
	return in->p < in->end;
}

static struct pk_ballot
ballot(uint64_t counter, uint16_t node)
{
	return (struct pk_ballot){ .counter = counter, .incarnation = 1, .node = node };
}

static void
out_reset(struct harness *h)
{
	h->out.sends = h->sends;
	h->out.send_cap = h->out_cap;
	h->out.nsend = 0;
	h->out.replies = h->replies;
	h->out.reply_cap = h->out_cap;
	h->out.nreply = 0;
}

/* Standalone runs print every message the worker sends and every reply
 * when FUZZ_WORKER_TRACE is set: the way to read what an input does.
 */
static bool trace;

static void
trace_out(const struct harness *h)
{
	for (uint32_t i = 0; i < h->out.nsend; i++) {
		const struct pk_msg *m = &h->sends[i].msg;

		fprintf(stderr, "  send type %u to 0x%x token %llx ballot %llu.%u key %.*s"
			" state %u v%llu len %u\n", m->type, h->sends[i].dest_mask,
			(unsigned long long)m->peer.token, (unsigned long long)m->ballot.counter,
			m->ballot.node, (int)m->key_len, (const char *)m->key, m->state.kind,
			(unsigned long long)m->state.version, m->state.len);
	}
	for (uint32_t i = 0; i < h->out.nreply; i++)
		fprintf(stderr, "  reply cookie %llu status %u version %llu\n",
			(unsigned long long)h->replies[i].cookie, h->replies[i].msg.status,
			(unsigned long long)h->replies[i].msg.state.version);
}

/* Remembers what the last call sent to the other nodes, and checks that
 * no cookie is answered twice.
 */
static void
drain(struct harness *h)
{
	if (trace)
		trace_out(h);
	for (uint32_t i = 0; i < h->out.nsend; i++) {
		const struct pk_send *s = &h->sends[i];
		struct sent *e;

		if ((s->dest_mask & (uint16_t)~(1u << NODE)) == 0)
			continue;
		e = &h->hist[h->nhist++ % HIST];
		e->type = s->msg.type;
		e->epoch = s->msg.peer.epoch;
		e->token = s->msg.peer.token;
		e->ballot = s->msg.ballot;
		e->ballot2 = s->msg.ballot2;
		e->key_len = s->msg.key_len <= PK_MAX_KEY ? s->msg.key_len : PK_MAX_KEY;
		if (e->key_len > 0)
			memcpy(e->key, s->msg.key, e->key_len);
		e->state = s->msg.state;
		if (e->state.len > PK_MAX_VALUE)
			e->state.len = PK_MAX_VALUE;
		if (e->state.len > 0) {
			memcpy(e->buf, s->msg.state.data, e->state.len);
			e->state.data = e->buf;
		} else {
			e->state.data = NULL;
		}
	}
	for (uint32_t i = 0; i < h->out.nreply; i++) {
		uint64_t c = h->replies[i].cookie;

		if (c >= MAX_COOKIES)
			continue;
		if (h->answered[c / 8] & (1u << (c % 8))) {
			fprintf(stderr, "fuzz_worker: cookie %llu answered twice\n",
				(unsigned long long)c);
			abort();
		}
		h->answered[c / 8] |= (uint8_t)(1u << (c % 8));
	}
}

static void
peer(struct harness *h, const struct pk_msg *m)
{
	out_reset(h);
	pk_worker_peer(h->w, m, h->now, &h->out);
	drain(h);
}

static struct pk_msg
new_msg(uint8_t type, uint16_t from)
{
	struct pk_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.peer.node = from;
	m.peer.incarnation = 1;
	return m;
}

/* A state from the input. b: kind (bits 0-1), value (bits 2-4), origin
 * node (bits 5-7); then its version and its origin's counter.
 */
static void
take_state(struct input *in, struct pk_wstate *s)
{
	uint8_t b = u8(in);
	const char *v = values[(b >> 2) & 7];

	memset(s, 0, sizeof(*s));
	s->kind = (uint8_t)((b & 3) % 3);
	s->version = u8(in) % 8;
	if (s->kind == PK_KIND_VALUE) {
		s->len = (uint16_t)strlen(v);
		s->data = s->len > 0 ? (const uint8_t *)v : NULL;
	}
	if (s->kind != PK_KIND_ABSENT)
		s->origin = ballot(u8(in) % 16, (uint16_t)((b >> 5) % 3));
}

static void
cmd_client(struct harness *h, struct input *in)
{
	uint8_t a = u8(in), b = u8(in), c = u8(in), d = u8(in);
	const char *key = keys[(a >> 3) % NKEYS];
	const char *val = values[(b >> 4) % NVALUES];
	struct pk_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PK_MSG_CLIENT_REQ;
	m.op = (uint8_t)(a & 7);	/* 6 is OPEN; 0 and 7 are invalid opcodes */
	m.key = (const uint8_t *)key;
	m.key_len = (uint16_t)strlen(key);
	/* ADD takes a signed delta, CAS an expected version. */
	m.arg = m.op == PK_OP_ADD ? (uint64_t)(int64_t)(int8_t)d : d % 8;
	if (m.op == PK_OP_PUT || m.op == PK_OP_CAS) {
		m.state.len = (uint16_t)strlen(val);
		m.state.data = (const uint8_t *)val;
	}
	/* A few clients, many request ids: duplicates and retries happen.
	 * Each names no session, its own, or one the worker never gave (d's
	 * top bits), and acknowledges ids below a few under its own.
	 */
	m.client_id = b % 4;
	m.request_id = c;
	switch (d >> 6) {
	case 0:
		break;
	case 3:
		m.session = h->session[m.client_id] + 1;
		break;
	default:
		m.session = h->session[m.client_id];
	}
	m.acked = (d & 0x20) != 0 ? (uint64_t)(c - (d & 7)) : 0;
	out_reset(h);
	pk_worker_client(h->w, &m, h->next_cookie++, h->now, &h->out);
	if (m.op == PK_OP_OPEN && h->out.nreply > 0 && h->replies[0].msg.status == PK_OK)
		h->session[m.client_id] = h->replies[0].msg.session;
	drain(h);
}

/* Answers one of the worker's remembered outgoing messages. a: which
 * (0 the newest); b: sender node 1 or 2 (bit 0), answer (bits 1-2: its
 * natural one, a PROMISE naming a state, CONFLICT, a wrong one), an odd
 * reason (bits 3-4 == 3), conflict ballot bump (bits 5-6).
 */
static void
cmd_reply(struct harness *h, struct input *in)
{
	uint8_t a = u8(in), b = u8(in);
	bool odd = ((b >> 3) & 3) == 3;
	const struct sent *s;
	struct pk_msg m;
	uint32_t n = h->nhist < HIST ? h->nhist : HIST;

	if (n == 0)
		return;
	s = &h->hist[(h->nhist - 1 - a % n) % HIST];
	m = new_msg(PK_MSG_PROMISE, (uint16_t)(1 + (b & 1)));
	m.peer.epoch = s->epoch;
	m.peer.token = s->token;
	m.ballot = s->ballot;
	switch ((b >> 1) & 3) {
	case 0:
		if (s->type == PK_MSG_REMOVE) {
			m.type = PK_MSG_REMOVED;
			m.reason = odd ? PK_CAS_MISMATCH : PK_OK;
		} else if (s->type == PK_MSG_INSTALL) {
			m.type = PK_MSG_INSTALLED;
		} else {
			m.type = s->type == PK_MSG_PREPARE ? PK_MSG_PROMISE : PK_MSG_ACCEPTED;
		}
		break;
	case 1: {
		/* A promise naming an accepted state: one of the worker's
		 * own accepts (its value adopted), or one from the input.
		 */
		uint8_t c = u8(in);
		const struct sent *acc = &h->hist[(h->nhist - 1 - c % n) % HIST];

		m.type = PK_MSG_PROMISE;
		if (acc->type == PK_MSG_ACCEPT && (c & 0x80) == 0) {
			m.ballot2 = acc->ballot;
			m.state = acc->state;
		} else {
			take_state(in, &m.state);
			if (m.state.kind != PK_KIND_ABSENT) {
				uint8_t d = u8(in);

				m.ballot2 = ballot(d % 16, (uint16_t)((d >> 4) % 3));
			}
		}
		break;
	}
	case 2:
		m.type = PK_MSG_CONFLICT;
		m.phase = s->type == PK_MSG_PREPARE ? PK_MSG_PREPARE : PK_MSG_ACCEPT;
		m.reason = odd ? PK_NOT_ADMITTED : PK_CONFLICT;
		m.ballot2 = s->ballot;
		m.ballot2.counter += (b >> 5) & 3;
		m.ballot2.node = (uint16_t)(1 + (b & 1));
		break;
	default:
		/* A REMOVE refused; anything else answered with the other
		 * phase's reply, which the round must ignore.
		 */
		m.type = s->type == PK_MSG_REMOVE  ? PK_MSG_REMOVED :
			 s->type == PK_MSG_PREPARE ? PK_MSG_ACCEPTED : PK_MSG_PROMISE;
		m.reason = PK_UNAVAILABLE;
		break;
	}
	peer(h, &m);
}

/* A peer message built from the input: a proposer's request to our
 * acceptor, or a stray reply. a: type (low nibble), epoch + 1 (0x10),
 * reason (0x20), phase (0x40), a second ballot (0x80); b: sender (bits
 * 0-1), ballot node (bits 2-3), token generation (high nibble); c: ballot
 * counter (bits 0-4), key (bits 5-7); d: token round index.
 */
static void
cmd_peer(struct harness *h, struct input *in)
{
	static const uint8_t types[] = {
		PK_MSG_PREPARE, PK_MSG_ACCEPT, PK_MSG_INSTALL, PK_MSG_REMOVE,
		PK_MSG_PROMISE, PK_MSG_ACCEPTED, PK_MSG_CONFLICT, PK_MSG_REMOVED,
		PK_MSG_INSTALLED, PK_MSG_CLIENT_REP,
	};
	uint8_t a = u8(in), b = u8(in), c = u8(in), d = u8(in);
	const char *key = keys[(c >> 5) % NKEYS];
	struct pk_msg m = new_msg(types[(a & 0x0f) % sizeof(types)], (uint16_t)((b & 3) % 3));

	m.peer.epoch = h->cfg->epoch + ((a & 0x10) ? 1 : 0);
	/* A few round indexes, or one past the pool. */
	m.peer.token = ((uint64_t)(d & 0x80 ? 64 + d % 4 : d % 4) << 32) | (b >> 4);
	m.ballot = ballot(c & 0x1f, (uint16_t)(((b >> 2) & 3) % 3));
	m.reason = (a & 0x20) ? PK_CAS_MISMATCH : PK_OK;
	m.phase = (a & 0x40) ? PK_MSG_PREPARE : PK_MSG_ACCEPT;
	if (a & 0x80) {
		uint8_t e = u8(in);

		m.ballot2 = ballot(e & 0x1f, (uint16_t)((e >> 5) % 3));
	}
	m.key = (const uint8_t *)key;
	m.key_len = (uint16_t)strlen(key);
	if (m.type == PK_MSG_ACCEPT || m.type == PK_MSG_INSTALL || m.type == PK_MSG_PROMISE)
		take_state(in, &m.state);
	peer(h, &m);
}

/* A datagram body from the input, behind a valid header, decoded as the
 * replica would and fed to the worker message by message.
 */
static void
cmd_raw(struct harness *h, struct input *in)
{
	static const struct pk_wire_expect exp = { .cluster_id = 1, .partitions = 1 };
	uint8_t buf[PK_WIRE_HDR_LEN + 255];
	struct pk_msg msgs[4];
	struct pk_dgram_hdr hdr;
	uint8_t count = (uint8_t)(u8(in) % 4 + 1), len = u8(in);
	int n;

	memset(buf, 0, PK_WIRE_HDR_LEN);
	buf[0] = 'P';
	buf[1] = 'R';
	buf[2] = 'N';
	buf[3] = 'K';
	buf[4] = PK_WIRE_VERSION;
	buf[6] = count;
	buf[8] = 1;	/* cluster 1 */
	buf[12] = 1;	/* one partition, partition 0 */
	for (unsigned int i = 0; i < len; i++)
		buf[PK_WIRE_HDR_LEN + i] = u8(in);
	n = pk_wire_decode(buf, PK_WIRE_HDR_LEN + (size_t)len, &exp, &hdr, msgs, 4);
	for (int i = 0; i < n; i++) {
		out_reset(h);
		if (msgs[i].type == PK_MSG_CLIENT_REQ)
			pk_worker_client(h->w, &msgs[i], h->next_cookie++, h->now, &h->out);
		else
			pk_worker_peer(h->w, &msgs[i], h->now, &h->out);
		drain(h);
	}
}

static void
cmd_tick(struct harness *h, struct input *in)
{
	h->now += advances[u8(in) % (sizeof(advances) / sizeof(advances[0]))];
	out_reset(h);
	pk_worker_tick(h->w, h->now, &h->out);
	drain(h);
}

static void
cmd_gc(struct harness *h, struct input *in)
{
	const char *key = keys[u8(in) % NKEYS];

	out_reset(h);
	pk_worker_gc(h->w, (const uint8_t *)key, (uint16_t)strlen(key), h->next_cookie++, h->now,
		     &h->out);
	drain(h);
}

static void
cmd_install(struct harness *h, struct input *in)
{
	uint8_t a = u8(in);
	const char *key = keys[a % NKEYS];

	out_reset(h);
	(void)pk_worker_install(h->w, (const uint8_t *)key, (uint16_t)strlen(key),
				(uint16_t)(1 + (a >> 4) % 2), a, &h->out);
	drain(h);
}

static void
harness_init(struct harness *h)
{
	struct pk_worker_params p;

	memset(h, 0, sizeof(*h));
	/* Room for 16 session answers: a fast worker, and a full session
	 * (BUSY, then refused for good) within reach of a short input.
	 */
	fx_params(&p, &h->heap, NODE, true, 16, 16);
	/* Eight sessions: a full table is within reach of a short input, and
	 * a worker is built per input, so the default 16k-session table would
	 * spend most of each run in page faults.
	 */
	p.tuning.max_sessions = 8;
	/* The configs a script may switch between: the start, the next
	 * epoch, without 1RTT, and without lists (a replica waiting for the
	 * control plane).
	 */
	pk_config_majority(&h->cfgs[0], 3, 1);
	pk_config_majority(&h->cfgs[1], 3, 2);
	pk_config_majority(&h->cfgs[2], 3, 3);
	h->cfgs[2].one_rtt = false;
	memset(&h->cfgs[3], 0, sizeof(h->cfgs[3]));
	h->cfgs[3].epoch = 3;
	h->cfg = &h->cfgs[0];
	h->w = pk_worker_new(&p, h->cfg);
	if (h->w == NULL)
		abort();
	h->out_cap = OUT_CAP;
	h->now = 1000;
	h->next_cookie = 1;
}

/* The input is a sequence of commands, each a byte whose low nibble picks
 * it (the high nibble is free for its own use), then its argument bytes:
 * 0-2 client request, 3-6 answer a remembered outgoing message, 7 peer
 * message, 8-9 tick, 10 GC, 11 config (high nibble: which), 12 admit (bit
 * 4 clear) or not, 13 catch-up INSTALL to a peer, 14 datagram, 15 outbox
 * room or allocation failures. make_seeds.py writes inputs by name.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct harness h;
	struct input in = { .p = data, .end = data + size };

	harness_init(&h);
#ifdef PK_FUZZ_STANDALONE
	trace = getenv("FUZZ_WORKER_TRACE") != NULL;
#endif
	while (more(&in)) {
		uint8_t cmd = u8(&in);

		if (trace)
			fprintf(stderr, "cmd 0x%02x at +%zu, now %llu\n", cmd,
				(size_t)(in.p - data) - 1, (unsigned long long)h.now);
		switch (cmd % 16) {
		case 0:
		case 1:
		case 2:
			cmd_client(&h, &in);
			break;
		case 3:
		case 4:
		case 5:
		case 6:
			cmd_reply(&h, &in);
			break;
		case 7:
			cmd_peer(&h, &in);
			break;
		case 8:
		case 9:
			cmd_tick(&h, &in);
			break;
		case 10:
			cmd_gc(&h, &in);
			break;
		case 11:
			h.cfg = &h.cfgs[(cmd >> 4) % 4];
			pk_worker_set_config(h.w, h.cfg);
			break;
		case 12:
			pk_worker_admit(h.w, (cmd & 0x10) == 0);
			break;
		case 13:
			cmd_install(&h, &in);
			break;
		case 14:
			cmd_raw(&h, &in);
			break;
		default:
			/* Outbox room (overflow paths) or an allocation failure
			 * countdown (NO_MEMORY paths); 0xff lifts both.
			 */
			if (cmd == 0xff) {
				h.out_cap = OUT_CAP;
				h.heap.fail_after = -1;
			} else if (cmd & 0x80) {
				h.heap.fail_after = (cmd >> 4) & 7;
			} else {
				h.out_cap = ((cmd >> 4) & 7) * 2u;
			}
			break;
		}
	}
	h.heap.fail_after = -1;
	pk_worker_free(h.w);
	if (h.heap.live != 0) {
		fprintf(stderr, "fuzz_worker: %ld allocations live after pk_worker_free\n",
			h.heap.live);
#ifdef PK_FUZZ_LSAN
		/* The outbox copies may point into the leaked blocks. */
		memset(&h, 0, sizeof(h));
		__lsan_do_recoverable_leak_check();
#endif
		abort();
	}
	return 0;
}

#ifdef PK_FUZZ_STANDALONE
#include "standalone.h"

void
fuzz_standalone_report(int runs)
{
	printf("fuzz_worker: %d inputs\n", runs);
}
#endif
