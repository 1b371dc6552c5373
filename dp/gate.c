/* Which datagrams may act (gate.h). Peer datagrams: the tag first (a
 * forger without the key stops here), then the trailer's sender against the
 * member list and the source address, then its replay window; after
 * decoding, every message's claimed sender against the trailer and the
 * source. The window is an IPsec-style sliding bitmap (RFC 4303 3.4.3)
 * per (partition, sender), reset only by a later start of the sender.
 */
#include <string.h>

#include "gate.h"

static const char *const reason_names[DP_GATE_COUNT] = {
	[DP_GATE_OK] = "ok",
#define DP_GATE_NAME(name, desc) [DP_##name] = #name,
	DP_GATE_LIST(DP_GATE_NAME)
#undef DP_GATE_NAME
};

const char *
dp_gate_reason_name(unsigned int reason)
{
	return reason < DP_GATE_COUNT ? reason_names[reason] : "?";
}

void
dp_gate_init(struct dp_gate *g, const struct dp_options *o, uint64_t boot_us)
{
	memset(g, 0, sizeof(*g));
	g->opt = o;
	g->boot = boot_us;
	g->peer_keyed = o->have_peer_key;
	g->client_keyed = o->have_client_key;
	if (g->peer_keyed)
		pk_auth_derive(o->peer_secret, PK_AUTH_PEER, &g->peer);
	if (g->client_keyed)
		pk_auth_derive(o->client_secret, PK_AUTH_CLIENT, &g->client);
}

bool
dp_gate_is_peer_type(uint8_t type)
{
	return type >= PK_MSG_PREPARE && type <= PK_MSG_TYPE_MAX;
}

enum dp_gate_reason
dp_replay_check(const struct dp_replay *w, uint64_t boot, uint64_t seq)
{
	if (seq == 0 || boot < w->boot)
		return boot < w->boot ? DP_gate_stale_boot : DP_gate_replay;
	if (boot > w->boot || seq > w->top)
		return DP_GATE_OK;
	if (w->top - seq >= DP_REPLAY_WINDOW || (w->seen >> (w->top - seq) & 1) != 0)
		return DP_gate_replay;
	return DP_GATE_OK;
}

void
dp_replay_take(struct dp_replay *w, uint64_t boot, uint64_t seq)
{
	if (boot > w->boot) {
		w->boot = boot;
		w->top = seq;
		w->seen = 1;
	} else if (seq > w->top) {
		uint64_t shift = seq - w->top;

		w->seen = shift >= DP_REPLAY_WINDOW ? 1 : (w->seen << shift) | 1;
		w->top = seq;
	} else if (w->top - seq < DP_REPLAY_WINDOW) {
		w->seen |= 1ull << (w->top - seq);
	}
}

/* From another member's address: peers send partition i's messages from
 * port base + i to port base + i.
 */
static bool
from_member(const struct dp_options *o, const struct dp_gate_in *in, uint16_t id)
{
	uint32_t ip = id == o->node ? 0 : dp_options_member_ip(o, id);

	return ip != 0 && ip == in->src_ip && in->src_port == o->base_port + in->partition;
}

enum dp_gate_reason
dp_gate_open(const struct dp_gate *g, const struct dp_gate_part *gp, const struct dp_gate_in *in,
	     struct dp_gate_out *out)
{
	uint8_t flags = pk_auth_flags(in->buf, in->len);
	size_t len;
	enum dp_gate_reason why;

	memset(out, 0, sizeof(*out));
	out->len = in->len;
	out->flags = flags;
	if (flags == PK_DGRAM_PEER_MAC) {
		if (!g->peer_keyed)
			return DP_gate_no_key;
		len = pk_auth_open(in->buf, in->len, &g->peer, &out->trailer);
		if (len == 0)
			return DP_gate_bad_tag;
		/* Sealed by a member for this replica, from that member's
		 * address: a datagram sealed for another replica (captured
		 * and sent here) would otherwise move our window and act here.
		 */
		if (out->trailer.node >= PK_MAX_NODES || out->trailer.to != g->opt->node ||
		    !from_member(g->opt, in, out->trailer.node))
			return DP_gate_spoofed;
		why = dp_replay_check(&gp->rx[out->trailer.node], out->trailer.boot,
				      out->trailer.seq);
		if (why != DP_GATE_OK)
			return why;
		out->len = (uint16_t)len;
	} else if (flags == PK_DGRAM_CLIENT_MAC) {
		if (!g->client_keyed)
			return DP_gate_no_key;
		len = pk_auth_open(in->buf, in->len, &g->client, &out->trailer);
		if (len == 0)
			return DP_gate_bad_tag;
		out->len = (uint16_t)len;
	}
	/* Other flags reach the decoder, which refuses them (E_FIELD). */
	return DP_GATE_OK;
}

enum dp_gate_reason
dp_gate_admit(const struct dp_gate *g, struct dp_gate_part *gp, const struct dp_gate_in *in,
	      const struct dp_gate_out *out, const struct pk_msg *msgs, int n, int *peer_node)
{
	bool sealed = out->flags == PK_DGRAM_PEER_MAC;
	int node = -1;

	for (int i = 0; i < n; i++) {
		const struct pk_msg *m = &msgs[i];

		if (!dp_gate_is_peer_type(m->type)) {
			if (sealed || node >= 0)
				return DP_gate_mixed;
			continue;
		}
		if (i > 0 && node < 0)
			return DP_gate_mixed;
		if (!sealed && g->peer_keyed)
			return DP_gate_unsealed;
		if (sealed ? m->peer.node != out->trailer.node : !from_member(g->opt, in, m->peer.node))
			return DP_gate_spoofed;
		if (node >= 0 && m->peer.node != node)
			return DP_gate_spoofed;
		node = m->peer.node;
	}
	if (sealed)
		dp_replay_take(&gp->rx[out->trailer.node], out->trailer.boot, out->trailer.seq);
	*peer_node = node;
	return DP_GATE_OK;
}

uint16_t
dp_gate_seal_peer(const struct dp_gate *g, struct dp_gate_part *gp, uint16_t to, uint8_t *buf,
		  uint16_t len, uint16_t cap)
{
	struct pk_auth_trailer t = { .node = g->opt->node, .to = to, .boot = g->boot };

	if (!g->peer_keyed)
		return len;
	t.seq = ++gp->tx_seq[to];
	return (uint16_t)pk_auth_seal(buf, len, cap, PK_DGRAM_PEER_MAC, &t, &g->peer);
}

uint16_t
dp_gate_seal_reply(const struct dp_gate *g, uint8_t *buf, uint16_t len, uint16_t cap)
{
	struct pk_auth_trailer t = { .node = g->opt->node, .boot = g->boot };

	return (uint16_t)pk_auth_seal(buf, len, cap, PK_DGRAM_CLIENT_MAC, &t, &g->client);
}
