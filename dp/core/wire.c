/* Encoder and strict decoder for the datagram format of docs/PROTOCOL.md.
 * Reads go through a bounds-checked cursor, so a lying length field can make
 * decoding fail but never read past the buffer.
 */
#include <string.h>

#include "parnik/auth.h"
#include "parnik/wire.h"

#define PEER_PREFIX_LEN 20
#define BALLOT_LEN 16
#define STATE_FIXED_LEN 11
#define CREQ_FIXED_LEN 46
#define CREP_FIXED_LEN 25

/* ---- little-endian cursor ---- */

struct rd {
	const uint8_t *p;
	const uint8_t *end;
	int err;		/* first error, 0 while all reads fit */
};

static inline const uint8_t *
rd_take(struct rd *r, size_t n)
{
	const uint8_t *at = r->p;

	if (r->err != 0 || (size_t)(r->end - r->p) < n) {
		if (r->err == 0)
			r->err = PK_E_LENGTH;
		return NULL;
	}
	r->p += n;
	return at;
}

/* Always inlined: every call site has a constant <n>, so the copy is one
 * load or store.
 */
static inline __attribute__((always_inline)) uint64_t
rd_uint(struct rd *r, size_t n)
{
	const uint8_t *b = rd_take(r, n);
	uint64_t v = 0;

	if (b == NULL)
		return 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(&v, b, n);	/* the wire is little-endian too */
#else
	for (size_t i = n; i-- > 0;)
		v = (v << 8) | b[i];
#endif
	return v;
}

static inline __attribute__((always_inline)) void
put_uint(uint8_t **p, uint64_t v, size_t n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(*p, &v, n);
#else
	for (size_t i = 0; i < n; i++, v >>= 8)
		(*p)[i] = (uint8_t)v;
#endif
	*p += n;
}

static void
put_bytes(uint8_t **p, const uint8_t *src, size_t n)
{
	if (n > 0)
		memcpy(*p, src, n);
	*p += n;
}

/* ---- fields ---- */

static void
rd_ballot(struct rd *r, struct pk_ballot *b)
{
	b->counter = rd_uint(r, 8);
	b->incarnation = (uint32_t)rd_uint(r, 4);
	b->node = (uint16_t)rd_uint(r, 2);
	b->worker = (uint16_t)rd_uint(r, 2);
}

static void
put_ballot(uint8_t **p, const struct pk_ballot *b)
{
	put_uint(p, b->counter, 8);
	put_uint(p, b->incarnation, 4);
	put_uint(p, b->node, 2);
	put_uint(p, b->worker, 2);
}

static void
rd_peer(struct rd *r, struct pk_peer *peer)
{
	peer->node = (uint16_t)rd_uint(r, 2);
	peer->worker = (uint16_t)rd_uint(r, 2);
	peer->incarnation = (uint32_t)rd_uint(r, 4);
	peer->epoch = (uint32_t)rd_uint(r, 4);
	peer->token = rd_uint(r, 8);
}

static void
put_peer(uint8_t **p, const struct pk_peer *peer)
{
	put_uint(p, peer->node, 2);
	put_uint(p, peer->worker, 2);
	put_uint(p, peer->incarnation, 4);
	put_uint(p, peer->epoch, 4);
	put_uint(p, peer->token, 8);
}

static int
state_check(const struct pk_wstate *s)
{
	if (s->kind > PK_KIND_TOMBSTONE)
		return PK_E_FIELD;
	if (s->len > PK_MAX_VALUE)
		return PK_E_LIMIT;
	if (s->kind == PK_KIND_ABSENT && s->len != 0)
		return PK_E_FIELD;
	if (s->kind == PK_KIND_TOMBSTONE && s->len != 0)
		return PK_E_FIELD;
	return 0;
}

static void
rd_state(struct rd *r, struct pk_wstate *s)
{
	int rc;

	s->kind = (uint8_t)rd_uint(r, 1);
	s->version = rd_uint(r, 8);
	s->len = (uint16_t)rd_uint(r, 2);
	if (r->err != 0)
		return;
	rc = state_check(s);
	if (rc != 0) {
		r->err = rc;
		return;
	}
	s->data = s->len > 0 ? rd_take(r, s->len) : NULL;
}

static void
put_state(uint8_t **p, const struct pk_wstate *s)
{
	put_uint(p, s->kind, 1);
	put_uint(p, s->version, 8);
	put_uint(p, s->len, 2);
	put_bytes(p, s->data, s->len);
}

static void
rd_key(struct rd *r, struct pk_msg *m, uint16_t len)
{
	if (r->err != 0)
		return;
	if (len == 0) {
		r->err = PK_E_FIELD;
		return;
	}
	if (len > PK_MAX_KEY) {
		r->err = PK_E_LIMIT;
		return;
	}
	m->key_len = len;
	m->key = rd_take(r, len);
}

/* ---- sizes ---- */

size_t
pk_wire_msg_size(const struct pk_msg *m)
{
	size_t body;

	switch (m->type) {
	case PK_MSG_CLIENT_REQ:
		body = CREQ_FIXED_LEN + m->key_len + m->state.len;
		break;
	case PK_MSG_CLIENT_REP:
		body = CREP_FIXED_LEN + STATE_FIXED_LEN + m->state.len;
		break;
	case PK_MSG_PREPARE:
	case PK_MSG_REMOVE:
		body = PEER_PREFIX_LEN + BALLOT_LEN + 2 + m->key_len;
		break;
	case PK_MSG_PROMISE:
		body = PEER_PREFIX_LEN + 4 * BALLOT_LEN + STATE_FIXED_LEN + m->state.len;
		break;
	case PK_MSG_ACCEPT:
	case PK_MSG_INSTALL:
		body = PEER_PREFIX_LEN + 4 * BALLOT_LEN + 2 + m->key_len + STATE_FIXED_LEN +
		       m->state.len;
		break;
	case PK_MSG_ACCEPTED:
	case PK_MSG_INSTALLED:
		body = PEER_PREFIX_LEN + BALLOT_LEN;
		break;
	case PK_MSG_REMOVED:
		body = PEER_PREFIX_LEN + BALLOT_LEN + 1;
		break;
	case PK_MSG_CONFLICT:
		body = PEER_PREFIX_LEN + BALLOT_LEN + 2 + BALLOT_LEN;
		break;
	case PK_MSG_HELLO:
		body = PEER_PREFIX_LEN;
		break;
	case PK_MSG_HELLO_REP:
		body = PEER_PREFIX_LEN + 8 + 8 + 1;
		break;
	default:
		return 0;
	}
	return PK_WIRE_MSG_HDR_LEN + body;
}

/* ---- encoder ---- */

void
pk_wire_begin(struct pk_wbuf *w, uint8_t *buf, size_t cap, const struct pk_dgram_hdr *h)
{
	uint8_t *p = buf;

	w->buf = buf;
	w->cap = cap;
	w->count = 0;
	put_uint(&p, PK_WIRE_MAGIC, 4);
	put_uint(&p, PK_WIRE_VERSION, 1);
	put_uint(&p, 0, 1);
	put_uint(&p, 0, 2);
	put_uint(&p, h->cluster_id, 4);
	put_uint(&p, h->partitions, 2);
	put_uint(&p, h->partition, 2);
	w->len = PK_WIRE_HDR_LEN;
}

static int
msg_check(const struct pk_msg *m)
{
	bool open = m->type == PK_MSG_CLIENT_REQ && m->op == PK_OP_OPEN;
	bool keyed = (m->type == PK_MSG_CLIENT_REQ && !open) || m->type == PK_MSG_PREPARE ||
		     m->type == PK_MSG_ACCEPT || m->type == PK_MSG_INSTALL ||
		     m->type == PK_MSG_REMOVE;

	if (m->type < PK_MSG_CLIENT_REQ || m->type > PK_MSG_TYPE_MAX)
		return PK_E_TYPE;
	if (keyed && (m->key_len == 0 || m->key_len > PK_MAX_KEY))
		return m->key_len == 0 ? PK_E_FIELD : PK_E_LIMIT;
	if (m->type == PK_MSG_CLIENT_REQ) {
		if (m->op < PK_OP_GET || m->op > PK_OP_OPEN)
			return PK_E_FIELD;
		if (open && (m->key_len != 0 || m->state.len != 0 || m->arg != 0 ||
			     m->session != 0))
			return PK_E_FIELD;
		return m->state.len > PK_MAX_VALUE ? PK_E_LIMIT : 0;
	}
	if (m->type == PK_MSG_CLIENT_REP || m->type == PK_MSG_PROMISE ||
	    m->type == PK_MSG_ACCEPT || m->type == PK_MSG_INSTALL)
		return state_check(&m->state);
	return 0;
}

int
pk_wire_add(struct pk_wbuf *w, const struct pk_msg *m)
{
	size_t size;
	uint8_t *p;
	int rc = msg_check(m);

	if (rc != 0)
		return -rc;
	size = pk_wire_msg_size(m);
	if (w->count >= PK_MAX_BATCH || w->cap - w->len < size)
		return -PK_E_NOSPACE;
	p = w->buf + w->len;
	put_uint(&p, m->type, 1);
	put_uint(&p, 0, 1);
	put_uint(&p, size - PK_WIRE_MSG_HDR_LEN, 2);
	switch (m->type) {
	case PK_MSG_CLIENT_REQ:
		put_uint(&p, m->client_id, 8);
		put_uint(&p, m->request_id, 8);
		put_uint(&p, m->session, 8);
		put_uint(&p, m->acked, 8);
		put_uint(&p, m->op, 1);
		put_uint(&p, 0, 1);
		put_uint(&p, m->key_len, 2);
		put_uint(&p, m->state.len, 2);
		put_uint(&p, m->arg, 8);
		put_bytes(&p, m->key, m->key_len);
		put_bytes(&p, m->state.data, m->state.len);
		break;
	case PK_MSG_CLIENT_REP:
		put_uint(&p, m->client_id, 8);
		put_uint(&p, m->request_id, 8);
		put_uint(&p, m->session, 8);
		put_uint(&p, m->status, 1);
		put_state(&p, &m->state);
		break;
	case PK_MSG_PREPARE:
	case PK_MSG_REMOVE:
		put_peer(&p, &m->peer);
		put_ballot(&p, &m->ballot);
		put_uint(&p, m->key_len, 2);
		put_bytes(&p, m->key, m->key_len);
		break;
	case PK_MSG_PROMISE:
		put_peer(&p, &m->peer);
		put_ballot(&p, &m->ballot);
		put_ballot(&p, &m->ballot2);
		put_ballot(&p, &m->state.origin);
		put_ballot(&p, &m->state.parent);
		put_state(&p, &m->state);
		break;
	case PK_MSG_ACCEPT:
	case PK_MSG_INSTALL:
		put_peer(&p, &m->peer);
		put_ballot(&p, &m->ballot);
		put_ballot(&p, &m->ballot2);
		put_uint(&p, m->key_len, 2);
		put_bytes(&p, m->key, m->key_len);
		put_ballot(&p, &m->state.origin);
		put_ballot(&p, &m->state.parent);
		put_state(&p, &m->state);
		break;
	case PK_MSG_ACCEPTED:
	case PK_MSG_INSTALLED:
		put_peer(&p, &m->peer);
		put_ballot(&p, &m->ballot);
		break;
	case PK_MSG_REMOVED:
		put_peer(&p, &m->peer);
		put_ballot(&p, &m->ballot);
		put_uint(&p, m->reason, 1);
		break;
	case PK_MSG_CONFLICT:
		put_peer(&p, &m->peer);
		put_ballot(&p, &m->ballot);
		put_uint(&p, m->phase, 1);
		put_uint(&p, m->reason, 1);
		put_ballot(&p, &m->ballot2);
		break;
	case PK_MSG_HELLO:
		put_peer(&p, &m->peer);
		break;
	case PK_MSG_HELLO_REP:
		put_peer(&p, &m->peer);
		put_uint(&p, m->arg, 8);
		put_uint(&p, m->state.version, 8);
		put_uint(&p, m->reason, 1);
		break;
	}
	w->len += size;
	w->count++;
	/* The count lives at offset 6; keeping it current makes the buffer a
	 * valid datagram after every successful add.
	 */
	p = w->buf + 6;
	put_uint(&p, w->count, 2);
	return 0;
}

/* ---- decoder ---- */

/* A request whose key or value is over its limit is still decoded (its
 * bytes are all there) and marked, so the replica can answer TOO_LARGE
 * instead of dropping it unanswered.
 */
static void
decode_client_req(struct rd *r, struct pk_msg *m)
{
	uint16_t key_len;

	m->client_id = rd_uint(r, 8);
	m->request_id = rd_uint(r, 8);
	m->session = rd_uint(r, 8);
	m->acked = rd_uint(r, 8);
	m->op = (uint8_t)rd_uint(r, 1);
	if (rd_uint(r, 1) != 0 && r->err == 0)
		r->err = PK_E_FIELD;
	key_len = (uint16_t)rd_uint(r, 2);
	m->state.len = (uint16_t)rd_uint(r, 2);
	m->arg = rd_uint(r, 8);
	if (r->err != 0)
		return;
	if (m->op < PK_OP_GET || m->op > PK_OP_OPEN) {
		r->err = PK_E_FIELD;
		return;
	}
	if (m->op == PK_OP_OPEN) {
		if (key_len != 0 || m->state.len != 0 || m->arg != 0 || m->session != 0)
			r->err = PK_E_FIELD;
		return;
	}
	if (key_len == 0) {
		r->err = PK_E_FIELD;
		return;
	}
	m->too_large = key_len > PK_MAX_KEY || m->state.len > PK_MAX_VALUE;
	m->key_len = key_len;
	m->key = rd_take(r, key_len);
	m->state.data = m->state.len > 0 ? rd_take(r, m->state.len) : NULL;
}

static void
decode_body(struct rd *r, uint8_t type, struct pk_msg *m)
{
	switch (type) {
	case PK_MSG_CLIENT_REQ:
		decode_client_req(r, m);
		break;
	case PK_MSG_CLIENT_REP:
		m->client_id = rd_uint(r, 8);
		m->request_id = rd_uint(r, 8);
		m->session = rd_uint(r, 8);
		m->status = (uint8_t)rd_uint(r, 1);
		rd_state(r, &m->state);
		break;
	case PK_MSG_PREPARE:
	case PK_MSG_REMOVE:
		rd_peer(r, &m->peer);
		rd_ballot(r, &m->ballot);
		rd_key(r, m, (uint16_t)rd_uint(r, 2));
		break;
	case PK_MSG_PROMISE:
		rd_peer(r, &m->peer);
		rd_ballot(r, &m->ballot);
		rd_ballot(r, &m->ballot2);
		rd_ballot(r, &m->state.origin);
		rd_ballot(r, &m->state.parent);
		rd_state(r, &m->state);
		break;
	case PK_MSG_ACCEPT:
	case PK_MSG_INSTALL:
		rd_peer(r, &m->peer);
		rd_ballot(r, &m->ballot);
		rd_ballot(r, &m->ballot2);
		rd_key(r, m, (uint16_t)rd_uint(r, 2));
		rd_ballot(r, &m->state.origin);
		rd_ballot(r, &m->state.parent);
		rd_state(r, &m->state);
		break;
	case PK_MSG_ACCEPTED:
	case PK_MSG_INSTALLED:
		rd_peer(r, &m->peer);
		rd_ballot(r, &m->ballot);
		break;
	case PK_MSG_REMOVED:
		rd_peer(r, &m->peer);
		rd_ballot(r, &m->ballot);
		m->reason = (uint8_t)rd_uint(r, 1);
		break;
	case PK_MSG_CONFLICT:
		rd_peer(r, &m->peer);
		rd_ballot(r, &m->ballot);
		m->phase = (uint8_t)rd_uint(r, 1);
		m->reason = (uint8_t)rd_uint(r, 1);
		rd_ballot(r, &m->ballot2);
		if (r->err == 0 && m->phase != PK_MSG_PREPARE && m->phase != PK_MSG_ACCEPT)
			r->err = PK_E_FIELD;
		break;
	case PK_MSG_HELLO:
		rd_peer(r, &m->peer);
		break;
	case PK_MSG_HELLO_REP:
		rd_peer(r, &m->peer);
		m->arg = rd_uint(r, 8);
		m->state.version = rd_uint(r, 8);
		m->reason = (uint8_t)rd_uint(r, 1);
		if (r->err == 0 && m->reason > 1)
			r->err = PK_E_FIELD;
		break;
	}
	/* A round's ballot is never zero: zero means "none" everywhere (the
	 * census messages carry none).
	 */
	if (r->err == 0 && type >= PK_MSG_PREPARE && type < PK_MSG_HELLO &&
	    pk_ballot_is_zero(&m->ballot))
		r->err = PK_E_FIELD;
	if (r->err == 0 && r->p != r->end)
		r->err = PK_E_LENGTH;
}

int
pk_wire_decode(const uint8_t *buf, size_t len, const struct pk_wire_expect *exp,
	       struct pk_dgram_hdr *hdr, struct pk_msg *msgs, unsigned int max)
{
	struct rd r = { .p = buf, .end = buf + len, .err = 0 };
	uint32_t magic;
	uint8_t version, flags;

	if (len < PK_WIRE_HDR_LEN)
		return -PK_E_TRUNCATED;
	magic = (uint32_t)rd_uint(&r, 4);
	version = (uint8_t)rd_uint(&r, 1);
	flags = (uint8_t)rd_uint(&r, 1);
	hdr->count = (uint16_t)rd_uint(&r, 2);
	hdr->cluster_id = (uint32_t)rd_uint(&r, 4);
	hdr->partitions = (uint16_t)rd_uint(&r, 2);
	hdr->partition = (uint16_t)rd_uint(&r, 2);
	if (magic != PK_WIRE_MAGIC)
		return -PK_E_MAGIC;
	if (version != PK_WIRE_VERSION)
		return -PK_E_VERSION;
	/* A sealed datagram arrives here without its trailer, after its tag
	 * was checked (parnik/auth.h): either MAC flag, never both.
	 */
	if (flags != 0 && flags != PK_DGRAM_PEER_MAC && flags != PK_DGRAM_CLIENT_MAC)
		return -PK_E_FIELD;
	hdr->flags = flags;
	if (hdr->cluster_id != exp->cluster_id)
		return -PK_E_CLUSTER;
	if (hdr->partitions != exp->partitions)
		return -PK_E_PARTITIONS;
	if (hdr->partition >= hdr->partitions)
		return -PK_E_PARTITION;
	if (hdr->count == 0)
		return -PK_E_LENGTH;
	if (hdr->count > PK_MAX_BATCH || hdr->count > max)
		return -PK_E_LIMIT;

	for (unsigned int i = 0; i < hdr->count; i++) {
		struct pk_msg *m = &msgs[i];
		uint8_t type, mflags;
		uint16_t body_len;
		struct rd body;

		if ((size_t)(r.end - r.p) < PK_WIRE_MSG_HDR_LEN)
			return -PK_E_TRUNCATED;
		type = (uint8_t)rd_uint(&r, 1);
		mflags = (uint8_t)rd_uint(&r, 1);
		body_len = (uint16_t)rd_uint(&r, 2);
		if (type < PK_MSG_CLIENT_REQ || type > PK_MSG_TYPE_MAX)
			return -PK_E_TYPE;
		if (mflags != 0)
			return -PK_E_FIELD;
		if ((size_t)(r.end - r.p) < body_len)
			return -PK_E_TRUNCATED;
		memset(m, 0, sizeof(*m));
		m->type = type;
		body.p = r.p;
		body.end = r.p + body_len;
		body.err = 0;
		decode_body(&body, type, m);
		if (body.err != 0)
			return -body.err;
		r.p += body_len;
	}
	if (r.p != r.end)
		return -PK_E_LENGTH;
	return hdr->count;
}

