/* Leak regressions of the core on the single-worker fixture: each case
 * drives one worker down a path that once kept a reference for ever, and
 * checks that pk_worker_free gives every allocation back (fx_fini).
 */
#include <string.h>

#include "check.h"
#include "core_fx.h"

static bool
only_reply(const struct fx *f, uint64_t cookie, uint8_t status)
{
	return f->out.nreply == 1 && f->replies[0].cookie == cookie &&
	       f->replies[0].msg.status == status;
}

/* A DEL queued behind a PUT, retried while its 1RTT accept is out: the
 * copy is dropped and the round runs once. (A shared recent-request table
 * once let an evicted request run twice into one entry, whose second
 * answer took a reference over the first one's, never dropped: the first
 * DEL's tombstone outlived the worker.) The session holds one answer with
 * one reference, given back when the worker is freed.
 */
static void
test_retried_del_holds_one_answer(void)
{
	struct fx f;
	struct fx_session c;
	struct pk_send prep, del;
	const struct pk_send *s;
	struct pk_msg m;

	CHECK(fx_init(&f, 0, true, 16));
	CHECK(fx_open(&f, &c, 1) != 0);
	fx_client_in(&f, &c, 1, PK_OP_PUT, "a", "x", 0, 1);
	CHECK((s = fx_sent(&f, PK_MSG_PREPARE)) != NULL);
	prep = *s;
	fx_client_in(&f, &c, 2, PK_OP_DEL, "a", NULL, 0, 2);
	m = reply_to(&prep, PK_MSG_PROMISE, 1);
	fx_peer(&f, &m);
	CHECK((s = fx_sent(&f, PK_MSG_ACCEPT)) != NULL);
	m = reply_to(s, PK_MSG_ACCEPTED, 1);
	fx_peer(&f, &m);
	/* The PUT is answered; its round's release started the DEL's round
	 * on the 1RTT cache, whose accept carries the tombstone.
	 */
	CHECK(only_reply(&f, 1, PK_OK));
	CHECK((s = fx_sent(&f, PK_MSG_ACCEPT)) != NULL);
	CHECK(s->msg.state.kind == PK_KIND_TOMBSTONE);
	del = *s;
	fx_client_in(&f, &c, 2, PK_OP_DEL, "a", NULL, 0, 3);
	CHECK_EQ(f.out.nreply, 0);
	CHECK_EQ(f.out.nsend, 0);
	m = reply_to(&del, PK_MSG_ACCEPTED, 1);
	fx_peer(&f, &m);
	CHECK(only_reply(&f, 2, PK_OK));
	CHECK_EQ(f.replies[0].msg.state.version, 2);	/* the tombstone's version */
	fx_client_in(&f, &c, 2, PK_OP_DEL, "a", NULL, 0, 4);
	CHECK(only_reply(&f, 4, PK_OK));
	CHECK_EQ(pk_worker_stats(f.w)->req_dup_replied, 1);
	CHECK_EQ(pk_worker_stats(f.w)->req_dup_dropped, 1);
	CHECK_EQ(fx_fini(&f), 0);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "retried_del_holds_one_answer", test_retried_del_holds_one_answer },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
