/* The core's outbox helpers: every role queues its messages through them,
 * stamped with this worker's identity and config epoch; a full outbox is
 * counted, never overrun. The bottom of the core: they call nothing else.
 */
#include <assert.h>
#include <string.h>

#include "core.h"

struct pk_send *
pk_out_send(struct pk_worker *w, struct pk_out *out, uint16_t dest_mask, uint8_t type)
{
	struct pk_send *s;

	if (out->nsend >= out->send_cap) {
		w->stats.out_overflow++;
		return NULL;
	}
	assert(w->cfg != NULL);
	s = &out->sends[out->nsend++];
	memset(s, 0, sizeof(*s));
	s->dest_mask = dest_mask;
	s->msg.type = type;
	s->msg.peer.node = w->node;
	s->msg.peer.worker = w->worker;
	s->msg.peer.incarnation = w->incarnation;
	s->msg.peer.epoch = w->cfg->epoch;
	return s;
}

struct pk_send *
pk_out_round(struct pk_worker *w, struct pk_out *out, const struct pk_round *rd,
	     uint16_t dest_mask, uint8_t type)
{
	struct pk_send *s = pk_out_send(w, out, dest_mask, type);

	if (s != NULL)
		s->msg.peer.epoch = rd->cfg->epoch;
	return s;
}

struct pk_reply *
pk_out_reply(struct pk_worker *w, struct pk_out *out, uint64_t cookie)
{
	struct pk_reply *r;

	if (out->nreply >= out->reply_cap) {
		w->stats.out_overflow++;
		return NULL;
	}
	r = &out->replies[out->nreply++];
	memset(r, 0, sizeof(*r));
	r->cookie = cookie;
	r->msg.type = PK_MSG_CLIENT_REP;
	return r;
}
