/* Catch-up sends of a worker lcore (see installs.h). */
#include "installs.h"

static void
finish(struct dp_installs *t, struct dp_pending_install *e, uint8_t status)
{
	dp_ireq_finish(e->q, status);
	e->q = NULL;
	t->pending--;
}

void
dp_installs_send(struct dp_installs *t, struct pk_worker *w, struct dp_ireq *q, uint64_t now_us,
		 struct pk_out *out)
{
	uint64_t token = ++t->next_token;
	struct dp_pending_install *e = &t->e[token % DP_INSTALL_SLOTS];

	if (e->q != NULL)
		finish(t, e, PK_TIMEOUT);	/* evicted: its job sends it again */
	q->token = token;
	switch (pk_worker_install(w, q->key, q->key_len, q->target, token, out)) {
	case PK_INSTALL_SENT:
		break;
	case PK_INSTALL_NOTHING:
		dp_ireq_finish(q, PK_NOT_FOUND);
		return;
	case PK_INSTALL_NO_ROOM:
		/* Not sent: the job tries again rather than count it done. */
		dp_ireq_finish(q, PK_BUSY);
		return;
	}
	e->token = token;
	e->q = q;
	e->sent_us = now_us;
	t->pending++;
}

int
dp_installs_ack(struct dp_installs *t, uint16_t from, uint64_t token)
{
	struct dp_pending_install *e = &t->e[token % DP_INSTALL_SLOTS];

	if (e->q == NULL || e->token != token || e->q->target != from)
		return 0;
	finish(t, e, PK_OK);
	return 1;
}

void
dp_installs_expire(struct dp_installs *t, uint64_t now_us)
{
	if (t->pending == 0 || now_us < t->next_scan_us)
		return;
	t->next_scan_us = now_us + DP_INSTALL_TIMEOUT_US / 4;
	for (unsigned int i = 0; i < DP_INSTALL_SLOTS && t->pending > 0; i++) {
		struct dp_pending_install *e = &t->e[i];

		if (e->q != NULL && now_us - e->sent_us >= DP_INSTALL_TIMEOUT_US)
			finish(t, e, PK_TIMEOUT);
	}
}
