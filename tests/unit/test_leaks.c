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

/* A request pushed out of the dedupe table while in flight, then retried,
 * runs twice, and both runs finish into the retry's entry. The second
 * finish used to take a reference on its result over the first one's,
 * which was never dropped: the tombstone of the first DEL (made by the
 * 1RTT round that round_release started for it) outlived the worker. The
 * entry keeps the first answer.
 */
static void
test_dedupe_entry_finished_twice(void)
{
	struct fx f;
	struct pk_send prep, del;
	const struct pk_send *s;
	struct pk_msg m;
	char key[2] = "b";

	CHECK(fx_init_dedupe(&f, 0, true, 16, 16));
	/* PUT a, and a DEL of it queued behind (client 1, requests 1, 2). */
	fx_client_as(&f, 1, 1, PK_OP_PUT, "a", NULL, 0, 1);
	CHECK((s = fx_sent(&f, PK_MSG_PREPARE)) != NULL);
	prep = *s;
	fx_client_as(&f, 1, 2, PK_OP_DEL, "a", NULL, 0, 2);
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
	/* Sixteen newer requests wrap the table: the DEL's entry goes. */
	for (int i = 0; i < 16; i++) {
		key[0] = (char)('b' + i % 4);
		fx_client_as(&f, 2, 100 + (uint64_t)i, PK_OP_GET, key, NULL, 0, 100 + (uint64_t)i);
		CHECK_EQ(f.out.nreply, 0);
	}
	/* The client retries the DEL: unknown now, it runs again (queued). */
	fx_client_as(&f, 1, 2, PK_OP_DEL, "a", NULL, 0, 3);
	CHECK_EQ(f.out.nreply, 0);
	/* The first DEL is chosen; the retry then finds the tombstone. */
	m = reply_to(&del, PK_MSG_ACCEPTED, 1);
	fx_peer(&f, &m);
	CHECK(only_reply(&f, 2, PK_OK));
	CHECK((s = fx_sent(&f, PK_MSG_ACCEPT)) != NULL);
	m = reply_to(s, PK_MSG_ACCEPTED, 1);
	fx_peer(&f, &m);
	CHECK(only_reply(&f, 3, PK_NOT_FOUND));
	/* Another copy is answered from the table, with the first answer. */
	fx_client_as(&f, 1, 2, PK_OP_DEL, "a", NULL, 0, 4);
	CHECK(only_reply(&f, 4, PK_OK));
	CHECK_EQ(pk_worker_stats(f.w)->req_dup_replied, 1);
	CHECK_EQ(fx_fini(&f), 0);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "dedupe_entry_finished_twice", test_dedupe_entry_finished_twice },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
