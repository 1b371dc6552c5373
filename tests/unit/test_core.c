/* Acceptor and proposer rules, driven one message at a time through a single
 * worker: the other replicas are played by hand.
 */
#include <string.h>

#include "check.h"
#include "core_fx.h"
#include "table.h"

/* ---- acceptor ---- */

static struct pk_msg
install_msg(uint16_t from, struct pk_ballot b, const char *key, const char *val, uint64_t version)
{
	struct pk_msg m = accept_msg(from, b, (struct pk_ballot){ 0 }, key, val, version);

	m.type = PK_MSG_INSTALL;
	m.state.origin = b;
	return m;
}

/* Catch-up: an INSTALL is taken only above the accepted ballot, raises the
 * promise to its ballot but never lowers it, and is answered INSTALLED
 * either way; an acceptor not admitted stays silent. The source side
 * copies its own accepted ballot and state.
 */
static void
test_acceptor_install_rules(void)
{
	struct fx f;
	struct pk_msg m;
	struct pk_ballot promise, accepted;
	struct pk_wstate st;
	const struct pk_send *s;

	CHECK(fx_init(&f, 0, true, 16));
	m = install_msg(1, bal(5, 2), "k", "v5", 3);
	fx_peer(&f, &m);
	CHECK((s = fx_sent(&f, PK_MSG_INSTALLED)) != NULL);
	CHECK(s->dest_mask == 2 && s->msg.peer.token == 7 &&
	      pk_ballot_cmp(&s->msg.ballot, &m.ballot) == 0);
	CHECK(pk_worker_peek(f.w, (const uint8_t *)"k", 1, &promise, &accepted, &st));
	CHECK(pk_ballot_cmp(&accepted, &m.ballot) == 0 && pk_ballot_cmp(&promise, &m.ballot) == 0);
	CHECK(st.version == 3 && st.len == 2 && memcmp(st.data, "v5", 2) == 0);
	CHECK(pk_ballot_cmp(&st.origin, &m.ballot) == 0);
	CHECK_EQ(pk_worker_accepted_keys(f.w), 1);
	/* An older copy changes nothing but is acknowledged. */
	m = install_msg(1, bal(4, 2), "k", "v4", 2);
	fx_peer(&f, &m);
	CHECK(fx_sent(&f, PK_MSG_INSTALLED) != NULL);
	CHECK(pk_worker_peek(f.w, (const uint8_t *)"k", 1, &promise, &accepted, &st));
	CHECK(accepted.counter == 5 && promise.counter == 5 && st.version == 3);
	/* A prepare at 9, then a newer copy at 6: taken, promise stays 9. */
	m = peer_msg(PK_MSG_PREPARE, 2, bal(9, 2), "k");
	fx_peer(&f, &m);
	m = install_msg(1, bal(6, 1), "k", "v6", 4);
	fx_peer(&f, &m);
	CHECK(pk_worker_peek(f.w, (const uint8_t *)"k", 1, &promise, &accepted, &st));
	CHECK(accepted.counter == 6 && promise.counter == 9 && st.version == 4);
	CHECK_EQ(pk_worker_stats(f.w)->acc_installed, 2);
	/* The source side: our accepted (6, v6) goes to node 3. */
	fx_out_reset(&f);
	CHECK_EQ(pk_worker_install(f.w, (const uint8_t *)"k", 1, 3, 99, &f.out), PK_INSTALL_SENT);
	CHECK((s = fx_sent(&f, PK_MSG_INSTALL)) != NULL);
	CHECK(s->dest_mask == 8 && s->msg.peer.token == 99 && s->msg.ballot.counter == 6);
	CHECK(s->msg.state.version == 4 && s->msg.state.len == 2);
	CHECK_EQ(pk_worker_install(f.w, (const uint8_t *)"none", 4, 3, 99, &f.out),
		 PK_INSTALL_NOTHING);
	/* A full outbox is not "nothing to copy": the caller must retry. */
	f.out.send_cap = f.out.nsend;
	CHECK_EQ(pk_worker_install(f.w, (const uint8_t *)"k", 1, 3, 99, &f.out),
		 PK_INSTALL_NO_ROOM);
	CHECK_EQ(fx_fini(&f), 0);

	CHECK(fx_init(&f, 0, false, 16));
	m = install_msg(1, bal(5, 2), "k", "v5", 3);
	fx_peer(&f, &m);
	CHECK_EQ(f.out.nsend, 0);
	CHECK_EQ(pk_worker_stats(f.w)->acc_refused, 1);
	CHECK_EQ(fx_fini(&f), 0);
}

static void
test_acceptor_prepare_rules(void)
{
	struct fx f;
	struct pk_msg m;
	const struct pk_send *s;

	CHECK(fx_init(&f, 1, true, 16));
	m = peer_msg(PK_MSG_PREPARE, 0, bal(5, 0), "k");
	fx_peer(&f, &m);
	CHECK((s = fx_sent(&f, PK_MSG_PROMISE)) != NULL);
	CHECK_EQ(s->dest_mask, 1);
	CHECK_EQ(s->msg.peer.token, 7);
	CHECK(pk_ballot_is_zero(&s->msg.ballot2));
	CHECK_EQ(s->msg.state.kind, PK_KIND_ABSENT);

	/* Lower than the promise: conflict naming the promise. */
	m = peer_msg(PK_MSG_PREPARE, 2, bal(3, 2), "k");
	fx_peer(&f, &m);
	CHECK((s = fx_sent(&f, PK_MSG_CONFLICT)) != NULL);
	CHECK_EQ(s->dest_mask, 4);
	CHECK_EQ(s->msg.reason, PK_CONFLICT);
	CHECK_EQ(s->msg.phase, PK_MSG_PREPARE);
	CHECK_EQ(s->msg.ballot2.counter, 5);

	/* The same ballot again (a retransmission) is promised again. */
	m = peer_msg(PK_MSG_PREPARE, 0, bal(5, 0), "k");
	fx_peer(&f, &m);
	CHECK(fx_sent(&f, PK_MSG_PROMISE) != NULL);
	CHECK_EQ(fx_fini(&f), 0);
}

static void
test_acceptor_accept_rules(void)
{
	struct fx f;
	struct pk_msg m;
	const struct pk_send *s;
	struct pk_ballot p, a;
	struct pk_wstate st;

	CHECK(fx_init(&f, 1, true, 16));
	m = accept_msg(0, bal(5, 0), bal(6, 0), "k", "v1", 1);
	fx_peer(&f, &m);
	CHECK(fx_sent(&f, PK_MSG_ACCEPTED) != NULL);
	CHECK(pk_worker_peek(f.w, (const uint8_t *)"k", 1, &p, &a, &st));
	CHECK_EQ(p.counter, 6);		/* the piggybacked next promise */
	CHECK_EQ(a.counter, 5);
	CHECK(st.len == 2 && memcmp(st.data, "v1", 2) == 0);

	/* Exact duplicate: acknowledged again. */
	fx_peer(&f, &m);
	CHECK(fx_sent(&f, PK_MSG_ACCEPTED) != NULL);
	CHECK_EQ(pk_worker_stats(f.w)->acc_dup_accept, 1);

	/* Same ballot, another value: refused (the promise, 6, is the
	 * first rule it breaks).
	 */
	m = accept_msg(0, bal(5, 0), bal(6, 0), "k", "v2", 1);
	fx_peer(&f, &m);
	CHECK((s = fx_sent(&f, PK_MSG_CONFLICT)) != NULL);
	CHECK_EQ(s->msg.ballot2.counter, 6);

	/* Below the promise. */
	m = accept_msg(2, bal(4, 2), bal(0, 0), "k", "x", 2);
	m.ballot2 = (struct pk_ballot){ 0 };
	fx_peer(&f, &m);
	CHECK((s = fx_sent(&f, PK_MSG_CONFLICT)) != NULL);
	CHECK_EQ(s->msg.ballot2.counter, 6);
	CHECK_EQ(s->msg.phase, PK_MSG_ACCEPT);

	/* A prepare at the accepted ballot conflicts; a higher one learns
	 * the accepted value.
	 */
	m = peer_msg(PK_MSG_PREPARE, 2, bal(5, 2), "k");
	fx_peer(&f, &m);
	CHECK(fx_sent(&f, PK_MSG_CONFLICT) != NULL);
	m = peer_msg(PK_MSG_PREPARE, 2, bal(7, 2), "k");
	fx_peer(&f, &m);
	CHECK((s = fx_sent(&f, PK_MSG_PROMISE)) != NULL);
	CHECK_EQ(s->msg.ballot2.counter, 5);
	CHECK(s->msg.state.len == 2 && memcmp(s->msg.state.data, "v1", 2) == 0);

	/* Without a next ballot, accept raises the promise to its own. */
	m = accept_msg(2, bal(9, 2), bal(0, 0), "k", "v3", 2);
	m.ballot2 = (struct pk_ballot){ 0 };
	fx_peer(&f, &m);
	CHECK(fx_sent(&f, PK_MSG_ACCEPTED) != NULL);
	CHECK(pk_worker_peek(f.w, (const uint8_t *)"k", 1, &p, &a, &st));
	CHECK(p.counter == 9 && a.counter == 9);
	CHECK_EQ(fx_fini(&f), 0);
}

static void
test_acceptor_refusals(void)
{
	struct fx f;
	struct pk_msg m;
	const struct pk_send *s;
	char big[PK_MAX_VALUE + 2];

	/* A restarted acceptor refuses to vote until admitted. */
	CHECK(fx_init(&f, 1, false, 1));
	m = peer_msg(PK_MSG_PREPARE, 0, bal(5, 0), "k");
	fx_peer(&f, &m);
	CHECK((s = fx_sent(&f, PK_MSG_CONFLICT)) != NULL);
	CHECK_EQ(s->msg.reason, PK_NOT_ADMITTED);
	m = accept_msg(0, bal(5, 0), bal(6, 0), "k", "v", 1);
	fx_peer(&f, &m);
	CHECK((s = fx_sent(&f, PK_MSG_CONFLICT)) != NULL);
	CHECK_EQ(s->msg.reason, PK_NOT_ADMITTED);
	pk_worker_admit(f.w, true);
	fx_peer(&f, &m);
	CHECK(fx_sent(&f, PK_MSG_ACCEPTED) != NULL);

	/* A full table refuses a new key, clearly. */
	m = peer_msg(PK_MSG_PREPARE, 0, bal(5, 0), "other");
	fx_peer(&f, &m);
	CHECK((s = fx_sent(&f, PK_MSG_CONFLICT)) != NULL);
	CHECK_EQ(s->msg.reason, PK_TABLE_FULL);

	/* An oversized value is refused, not stored. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	m = accept_msg(0, bal(8, 0), bal(9, 0), "k", big, 2);
	fx_peer(&f, &m);
	CHECK((s = fx_sent(&f, PK_MSG_CONFLICT)) != NULL);
	CHECK_EQ(s->msg.reason, PK_TOO_LARGE);

	/* A message from another partition's worker is dropped. */
	m = peer_msg(PK_MSG_PREPARE, 0, bal(5, 0), "k");
	m.peer.worker = 3;
	fx_peer(&f, &m);
	CHECK_EQ(f.out.nsend, 0);
	CHECK_EQ(pk_worker_stats(f.w)->peer_dropped, 1);
	CHECK_EQ(fx_fini(&f), 0);
}

/* After a config change, rounds still counting replies under the old
 * epoch hold the oldest epoch back until their phase ends; the retry runs
 * under the new one.
 */
static void
test_oldest_epoch_after_config_change(void)
{
	struct fx f;
	struct pk_config next;

	CHECK(fx_init(&f, 0, true, 16));
	CHECK_EQ(pk_worker_oldest_epoch(f.w), 1);
	fx_client(&f, PK_OP_PUT, "k", "v", 0, 1);
	CHECK(fx_sent(&f, PK_MSG_PREPARE) != NULL);
	next = f.cfg;
	next.epoch = 2;
	pk_worker_set_config(f.w, &next);
	CHECK_EQ(pk_worker_oldest_epoch(f.w), 1);	/* the prepare still counts */
	fx_tick(&f, 1);
	CHECK(fx_sent(&f, PK_MSG_PREPARE) == NULL);
	CHECK(fx_tick_until(&f, PK_MSG_PREPARE, 500) != NULL);	/* timed out, retried */
	CHECK_EQ(pk_worker_oldest_epoch(f.w), 2);
	CHECK_EQ(fx_sent(&f, PK_MSG_PREPARE)->msg.peer.epoch, 2);
	CHECK_EQ(fx_fini(&f), 0);
}

/* A replica without lists (restarted, waiting for the control plane to
 * hand it the cluster's config) answers UNAVAILABLE and sends nothing;
 * once it has lists it proposes again.
 */
static void
test_no_lists_unavailable(void)
{
	struct fx f;
	struct pk_config none = { .epoch = 0 }, next;

	CHECK(fx_init(&f, 0, false, 16));
	pk_worker_set_config(f.w, &none);
	fx_client(&f, PK_OP_PUT, "k", "v", 0, 1);
	CHECK_EQ(f.out.nreply, 1);
	CHECK_EQ(f.replies[0].msg.status, PK_UNAVAILABLE);
	CHECK_EQ(f.out.nsend, 0);
	next = f.cfg;
	next.epoch = 3;
	pk_worker_set_config(f.w, &next);
	fx_client(&f, PK_OP_PUT, "k", "v", 0, 2);
	CHECK(fx_sent(&f, PK_MSG_PREPARE) != NULL);
	CHECK_EQ(fx_fini(&f), 0);
}

/* A host index (pk_index_ops) as small as can be: the core must keep its
 * records there, find them again, respect max_keys, and hand every record
 * back at teardown.
 */
struct toy_index {
	struct pk_heap *heap;
	int n, finds, inserts, removes, destroyed;
	struct {
		const uint8_t *key;
		uint16_t len;
		uint32_t hash;
		void *rec;
	} e[8];
};

static struct toy_index toy;

static void *
toy_create(void *ctx, uint32_t max_keys)
{
	memset(&toy, 0, sizeof(toy));
	toy.heap = ctx;
	return max_keys <= 8 ? &toy : NULL;
}

static void *
toy_find(void *index, const uint8_t *key, uint16_t len, uint32_t hash)
{
	struct toy_index *t = index;

	t->finds++;
	for (int i = 0; i < t->n; i++)
		if (t->e[i].hash == hash && t->e[i].len == len && memcmp(t->e[i].key, key, len) == 0)
			return t->e[i].rec;
	return NULL;
}

static int
toy_insert(void *index, const uint8_t *key, uint16_t len, uint32_t hash, void *rec)
{
	struct toy_index *t = index;

	t->inserts++;
	t->e[t->n].key = key;
	t->e[t->n].len = len;
	t->e[t->n].hash = hash;
	t->e[t->n].rec = rec;
	t->n++;
	return 0;
}

static void
toy_remove(void *index, const uint8_t *key, uint16_t len, uint32_t hash)
{
	struct toy_index *t = index;

	for (int i = 0; i < t->n; i++)
		if (t->e[i].hash == hash && t->e[i].len == len &&
		    memcmp(t->e[i].key, key, len) == 0) {
			t->e[i] = t->e[--t->n];
			t->removes++;
			return;
		}
}

static void
toy_destroy(void *index, void (*fn)(void *arg, void *rec), void *arg)
{
	struct toy_index *t = index;

	for (int i = 0; i < t->n; i++) {
		fn(arg, t->e[i].rec);
		t->destroyed++;
	}
	t->n = 0;
}

static void
test_host_index(void)
{
	static const struct pk_index_ops ops = { toy_create, toy_find, toy_insert, toy_remove,
							     toy_destroy };
	struct pk_heap heap;
	struct pk_worker_params p;
	struct pk_config cfg;
	struct pk_send sends[8];
	struct pk_reply replies[8];
	struct pk_out out = { sends, 0, 8, replies, 0, 8 };
	struct pk_ballot promise, accepted;
	struct pk_wstate st;
	struct pk_worker *w;
	struct pk_msg m;

	memset(&heap, 0, sizeof(heap));
	heap.fail_after = -1;
	memset(&p, 0, sizeof(p));
	pk_tuning_default(&p.tuning);
	p.tuning.max_keys = 2;
	p.cluster_id = 1;
	p.node = 1;
	p.partitions = 1;
	p.incarnation = 5;
	p.admitted = true;
	p.env = pk_heap_env(&heap);
	p.env.index = &ops;
	p.env.ctx = &heap;
	pk_config_majority(&cfg, 3, 1);
	CHECK((w = pk_worker_new(&p, &cfg)) != NULL);
	m = peer_msg(PK_MSG_PREPARE, 0, bal(5, 0), "a");
	pk_worker_peer(w, &m, 1000, &out);
	CHECK(out.nsend == 1 && sends[0].msg.type == PK_MSG_PROMISE);
	m = peer_msg(PK_MSG_PREPARE, 0, bal(5, 0), "b");
	out.nsend = 0;
	pk_worker_peer(w, &m, 1000, &out);
	CHECK(out.nsend == 1 && sends[0].msg.type == PK_MSG_PROMISE);
	CHECK_EQ(toy.inserts, 2);
	/* Full: a third key is refused and not inserted. */
	m = peer_msg(PK_MSG_PREPARE, 0, bal(5, 0), "c");
	out.nsend = 0;
	pk_worker_peer(w, &m, 1000, &out);
	CHECK(out.nsend == 1 && sends[0].msg.type == PK_MSG_CONFLICT);
	CHECK_EQ(sends[0].msg.reason, PK_TABLE_FULL);
	CHECK_EQ(toy.inserts, 2);
	/* The accept lands in the record found through the index. */
	m = accept_msg(0, bal(5, 0), bal(6, 0), "a", "v", 1);
	out.nsend = 0;
	pk_worker_peer(w, &m, 1000, &out);
	CHECK(out.nsend == 1 && sends[0].msg.type == PK_MSG_ACCEPTED);
	CHECK(pk_worker_peek(w, (const uint8_t *)"a", 1, &promise, &accepted, &st));
	CHECK(st.len == 1 && st.data[0] == 'v' && accepted.counter == 5);
	/* Five lookups of three keys: the repeats may come from the table's
	 * recent records, the first of each key comes from the index.
	 */
	CHECK(toy.finds >= 3);
	pk_worker_free(w);
	CHECK_EQ(toy.destroyed, 2);
	CHECK_EQ(heap.live, 0);
}

/* The recent records in front of a host index: a record found again comes
 * from them, a removed one never does (its slot is cleared: the record is
 * freed after a grace period), and a key that shares its slot is still
 * looked up in the index.
 */
static void
test_recent_records_never_outlive_removal(void)
{
	static const struct pk_index_ops ops = { toy_create, toy_find, toy_insert, toy_remove,
							     toy_destroy };
	struct pk_heap heap;
	struct pk_mem mem;
	struct pk_table t;
	struct pk_rec *a, *b;
	uint32_t ha = 7, hb = ha + 1;

	while (pk_table_recent_slot(hb) != pk_table_recent_slot(ha))
		hb++;	/* another hash of the same slot */

	memset(&heap, 0, sizeof(heap));
	heap.fail_after = -1;
	memset(&mem, 0, sizeof(mem));
	mem.env = pk_heap_env(&heap);
	mem.env.index = &ops;
	mem.env.ctx = &heap;
	memset(&toy, 0, sizeof(toy));
	CHECK_EQ(pk_table_init(&t, &mem, 8), 0);
	CHECK((a = pk_table_get(&t, (const uint8_t *)"a", 1, ha)) != NULL);
	toy.finds = 0;
	CHECK(pk_table_find(&t, (const uint8_t *)"a", 1, ha) == a);
	CHECK_EQ(toy.finds, 0);				/* from the recent records */
	CHECK((b = pk_table_get(&t, (const uint8_t *)"b", 1, hb)) != NULL);
	CHECK(pk_table_find(&t, (const uint8_t *)"a", 1, ha) == a);	/* b took the slot */
	CHECK(toy.finds >= 1);
	pk_table_remove(&t, a);
	toy.finds = 0;
	CHECK(pk_table_find(&t, (const uint8_t *)"a", 1, ha) == NULL);
	CHECK_EQ(toy.finds, 1);				/* asked the index, which has none */
	CHECK(pk_table_find(&t, (const uint8_t *)"b", 1, hb) == b);
	pk_table_fini(&t);
	CHECK_EQ(heap.live, 0);
}

/* ---- proposer ---- */

/* Runs a PUT through prepare and accept with node 1's votes; returns the
 * accept that was sent.
 */
static struct pk_send
put_2rtt(struct fx *f, const char *key, const char *val, uint64_t cookie)
{
	struct pk_send acc = { 0 };
	const struct pk_send *s;
	struct pk_msg r;

	fx_client(f, PK_OP_PUT, key, val, 0, cookie);
	s = fx_sent(f, PK_MSG_PREPARE);
	if (s == NULL || s->dest_mask != 6)
		return acc;
	r = reply_to(s, PK_MSG_PROMISE, 1);
	fx_peer(f, &r);
	s = fx_sent(f, PK_MSG_ACCEPT);
	if (s == NULL)
		return acc;
	acc = *s;
	return acc;
}

static void
test_proposer_2rtt_then_1rtt(void)
{
	struct fx f;
	struct pk_send acc, acc2;
	struct pk_msg r;

	CHECK(fx_init(&f, 0, true, 16));
	acc = put_2rtt(&f, "k", "v1", 11);
	CHECK_EQ(acc.dest_mask, 6);
	CHECK_EQ(acc.msg.state.version, 1);
	CHECK_EQ(acc.msg.ballot2.counter, acc.msg.ballot.counter + 1);
	CHECK_EQ(acc.msg.ballot.incarnation, 5);
	r = reply_to(&acc, PK_MSG_ACCEPTED, 2);
	fx_peer(&f, &r);
	CHECK_EQ(f.out.nreply, 1);
	CHECK_EQ(f.replies[0].cookie, 11);
	CHECK_EQ(f.replies[0].msg.status, PK_OK);
	CHECK_EQ(f.replies[0].msg.state.version, 1);

	/* A late duplicate is ignored. */
	fx_peer(&f, &r);
	CHECK_EQ(f.out.nreply, 0);
	CHECK_EQ(pk_worker_stats(f.w)->replies_stale, 1);

	/* The next write goes straight to accept, under the promised next. */
	fx_client(&f, PK_OP_PUT, "k", "v2", 0, 12);
	CHECK(fx_sent(&f, PK_MSG_PREPARE) == NULL);
	CHECK(fx_sent(&f, PK_MSG_ACCEPT) != NULL);
	acc2 = *fx_sent(&f, PK_MSG_ACCEPT);
	CHECK(pk_ballot_cmp(&acc2.msg.ballot, &acc.msg.ballot2) == 0);
	CHECK_EQ(acc2.msg.state.version, 2);
	CHECK_EQ(pk_worker_stats(f.w)->rounds_1rtt, 1);
	r = reply_to(&acc2, PK_MSG_ACCEPTED, 1);
	fx_peer(&f, &r);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_OK);
	CHECK_EQ(fx_fini(&f), 0);
}

/* A 1RTT PUT of <key> that node 1 answers after <delay> us of ticks; false
 * when the accept timed out first (the answer then finds no phase).
 */
static bool
put_answered_after(struct fx *f, const char *key, uint64_t delay, uint64_t cookie)
{
	const struct pk_send *s;
	struct pk_send acc;
	struct pk_msg r;

	fx_client(f, PK_OP_PUT, key, "v", 0, cookie);
	s = fx_sent(f, PK_MSG_ACCEPT);
	if (s == NULL)
		return false;
	acc = *s;
	for (uint64_t t = 0; t < delay; t += 100)
		fx_tick(f, delay - t < 100 ? delay - t : 100);
	r = reply_to(&acc, PK_MSG_ACCEPTED, 1);
	fx_peer(f, &r);
	return f->out.nreply == 1 && f->replies[0].msg.status == PK_OK;
}

/* The phase wait follows the slow tail, not only the mean: one phase of
 * 1.9 ms among fast ones lets the phases of the next window wait 3 ms
 * without a retry (srtt + 4 rttvar alone would retry at the 2 ms floor),
 * and after a quiet window the floor holds again.
 */
static void
test_phase_waits_twice_the_slowest_recent_phase(void)
{
	struct fx f;
	struct pk_send acc;
	struct pk_msg r;
	uint64_t cookie = 100;

	CHECK(fx_init(&f, 0, true, 16));
	acc = put_2rtt(&f, "k", "v", cookie++);
	r = reply_to(&acc, PK_MSG_ACCEPTED, 1);
	fx_peer(&f, &r);
	for (int i = 0; i < 20; i++)
		CHECK(put_answered_after(&f, "k", 10, cookie++));
	CHECK(put_answered_after(&f, "k", 1900, cookie++));
	for (int i = 0; i < 20; i++)
		CHECK(put_answered_after(&f, "k", 10, cookie++));
	/* The window being filled does not count yet: a 100 ms window. */
	fx_tick(&f, 100001);
	CHECK(put_answered_after(&f, "k", 10, cookie++));
	CHECK(put_answered_after(&f, "k", 3000, cookie++));
	CHECK_EQ(pk_worker_stats(f.w)->accept_fail, 0);
	/* The window of that 3 ms phase, then one of fast phases only: the
	 * floor again.
	 */
	for (int i = 0; i < 2; i++) {
		fx_tick(&f, 100001);
		CHECK(put_answered_after(&f, "k", 10, cookie++));
	}
	CHECK(!put_answered_after(&f, "k", 3000, cookie++));
	CHECK_EQ(pk_worker_stats(f.w)->accept_fail, 1);
	CHECK_EQ(fx_fini(&f), 0);
}

static void
test_proposer_accept_timeout_settles_doubt(void)
{
	struct fx f;
	struct pk_send acc, acc2, retry;
	struct pk_msg r;
	const struct pk_send *s;

	CHECK(fx_init(&f, 0, true, 16));
	acc = put_2rtt(&f, "k", "v1", 1);
	r = reply_to(&acc, PK_MSG_ACCEPTED, 1);
	fx_peer(&f, &r);
	fx_client(&f, PK_OP_PUT, "k", "v2", 0, 2);
	acc2 = *fx_sent(&f, PK_MSG_ACCEPT);
	/* No remote acceptor answers. The write is in doubt, not failed:
	 * the 1RTT cache is dropped and a prepare under a ballot above both
	 * the one used and the one reserved for 1RTT settles it (docs/CASPAXOS.md, pitfall P5).
	 */
	fx_tick_until(&f, PK_MSG_PREPARE, 500);
	CHECK((s = fx_sent(&f, PK_MSG_PREPARE)) != NULL);
	CHECK(s->msg.ballot.counter > acc2.msg.ballot2.counter);
	CHECK_EQ(f.out.nreply, 0);
	/* Our own acceptor holds (B, v2) as its highest: the value survived,
	 * so it is proposed again under the new ballot, unchanged.
	 */
	r = reply_to(s, PK_MSG_PROMISE, 2);
	fx_peer(&f, &r);
	CHECK((s = fx_sent(&f, PK_MSG_ACCEPT)) != NULL);
	CHECK(s->msg.state.len == 2 && memcmp(s->msg.state.data, "v2", 2) == 0);
	CHECK_EQ(s->msg.state.version, 2);
	CHECK_EQ(pk_worker_stats(f.w)->doubt_adopted, 1);
	retry = *s;
	r = reply_to(&retry, PK_MSG_ACCEPTED, 2);
	fx_peer(&f, &r);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_OK);
	CHECK_EQ(f.replies[0].msg.state.version, 2);
	CHECK_EQ(fx_fini(&f), 0);
}

static void
test_proposer_superseded_doubt_is_unknown(void)
{
	struct fx f;
	struct pk_send acc, prep;
	struct pk_msg r;
	const struct pk_send *s;

	CHECK(fx_init(&f, 0, true, 16));
	acc = put_2rtt(&f, "k", "v1", 1);
	fx_tick_until(&f, PK_MSG_PREPARE, 500);
	CHECK((s = fx_sent(&f, PK_MSG_PREPARE)) != NULL);
	prep = *s;
	/* Node 1 accepted a higher ballot from someone else meanwhile: our
	 * value may or may not be its ancestor. The write is UNKNOWN.
	 */
	r = reply_to(&prep, PK_MSG_PROMISE, 1);
	r.ballot2 = acc.msg.ballot;
	r.ballot2.counter++;
	r.ballot2.node = 2;
	r.state.kind = PK_KIND_VALUE;
	r.state.version = 2;
	r.state.len = 1;
	r.state.data = (const uint8_t *)"x";
	fx_peer(&f, &r);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_UNKNOWN_OUTCOME);
	CHECK_EQ(fx_fini(&f), 0);
}

static uint8_t failed_value[PK_MAX_VALUE];

/* Drives a CAS whose 1RTT accept times out, then answers the settling
 * prepare from nodes 1 and 2 with <acc> / <st>. Node 0 is a proposer only
 * (lists {1,2}), so no local acceptor votes behind the test's back.
 */
static struct pk_send
cas_in_doubt(struct fx *f, struct pk_send *failed)
{
	struct pk_send acc = { 0 }, prep;
	struct pk_msg r;
	const struct pk_send *s;

	f->cfg = (struct pk_config){ .epoch = 2, .prepare_mask = 6, .accept_mask = 6,
				     .prepare_quorum = 2, .accept_quorum = 2, .one_rtt = true,
				     .outsiders_propose = true };
	pk_worker_set_config(f->w, &f->cfg);
	fx_client(f, PK_OP_PUT, "k", "a", 0, 1);
	prep = *fx_sent(f, PK_MSG_PREPARE);
	for (uint16_t n = 1; n <= 2; n++) {
		r = reply_to(&prep, PK_MSG_PROMISE, n);
		fx_peer(f, &r);
	}
	acc = *fx_sent(f, PK_MSG_ACCEPT);
	for (uint16_t n = 1; n <= 2; n++) {
		r = reply_to(&acc, PK_MSG_ACCEPTED, n);
		fx_peer(f, &r);
	}
	fx_client(f, PK_OP_CAS, "k", "x", 1, 2);	/* 1RTT, and lost */
	*failed = *fx_sent(f, PK_MSG_ACCEPT);
	/* Outbox data lives until the next call: keep a copy of the value. */
	memcpy(failed_value, failed->msg.state.data, failed->msg.state.len);
	failed->msg.state.data = failed_value;
	fx_tick_until(f, PK_MSG_PREPARE, 500);
	s = fx_sent(f, PK_MSG_PREPARE);
	return s != NULL ? *s : acc;
}

/* Nodes 1 and 2 both promise a state (z, v5) accepted below the failed
 * ballot: the failed value is held by no member of this prepare quorum.
 */
static void
promise_below_failed(struct fx *f, const struct pk_send *prep)
{
	for (uint16_t n = 1; n <= 2; n++) {
		struct pk_msg r = reply_to(prep, PK_MSG_PROMISE, n);

		r.ballot2 = (struct pk_ballot){ .counter = 1, .incarnation = 1, .node = 2 };
		r.state = (struct pk_wstate){ .kind = PK_KIND_VALUE, .version = 5, .len = 1,
					      .data = (const uint8_t *)"z" };
		fx_peer(f, &r);
	}
}

static void
test_cleared_doubt_still_needs_an_accept(void)
{
	struct fx f;
	struct pk_send failed, prep, acc;
	struct pk_msg r;
	const struct pk_send *s;

	CHECK(fx_init(&f, 0, true, 16));
	prep = cas_in_doubt(&f, &failed);
	CHECK_EQ(prep.msg.type, PK_MSG_PREPARE);
	/* Both promise a state (z, v5) accepted below the failed ballot:
	 * the failed value can never be chosen at its ballot, the batch runs
	 * again and the CAS now mismatches. That is not yet a definite answer:
	 * the failed value stays adoptable until an accept succeeds above it.
	 */
	promise_below_failed(&f, &prep);
	CHECK_EQ(pk_worker_stats(f.w)->doubt_cleared, 1);
	CHECK_EQ(f.out.nreply, 0);
	CHECK((s = fx_sent(&f, PK_MSG_ACCEPT)) != NULL);
	CHECK_EQ(s->msg.state.version, 5);
	acc = *s;
	for (uint16_t n = 1; n <= 2; n++) {
		r = reply_to(&acc, PK_MSG_ACCEPTED, n);
		fx_peer(&f, &r);
	}
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_CAS_MISMATCH);
	CHECK_EQ(f.replies[0].msg.state.version, 5);
	CHECK_EQ(fx_fini(&f), 0);

	/* Same, but that accept fails too and the first value turns up: the
	 * CAS may have happened after all, so it is UNKNOWN, never MISMATCH.
	 */
	CHECK(fx_init(&f, 0, true, 16));
	prep = cas_in_doubt(&f, &failed);
	promise_below_failed(&f, &prep);
	CHECK(fx_sent(&f, PK_MSG_ACCEPT) != NULL);
	fx_tick_until(&f, PK_MSG_PREPARE, 500);
	CHECK((s = fx_sent(&f, PK_MSG_PREPARE)) != NULL);
	CHECK_EQ(f.out.nreply, 0);
	prep = *s;
	r = reply_to(&prep, PK_MSG_PROMISE, 1);
	r.ballot2 = failed.msg.ballot;
	r.state = failed.msg.state;
	fx_peer(&f, &r);
	r = reply_to(&prep, PK_MSG_PROMISE, 2);
	fx_peer(&f, &r);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_UNKNOWN_OUTCOME);
	CHECK_EQ(fx_fini(&f), 0);
}

/* Nodes 1 and 2 accept <acc>. */
static void
accepted_by_both(struct fx *f, const struct pk_send *acc)
{
	struct pk_send copy = *acc;

	for (uint16_t n = 1; n <= 2; n++) {
		struct pk_msg r = reply_to(&copy, PK_MSG_ACCEPTED, n);

		fx_peer(f, &r);
	}
}

/* Both promise a state accepted above the failed ballot by another
 * proposer (node 2), with <version> and <origin>.
 */
static void
promise_above_failed(struct fx *f, const struct pk_send *prep, const struct pk_send *failed,
		     uint64_t version, const struct pk_wstate *st)
{
	for (uint16_t n = 1; n <= 2; n++) {
		struct pk_msg r = reply_to(prep, PK_MSG_PROMISE, n);

		r.ballot2 = failed->msg.ballot;
		r.ballot2.counter += 1;
		r.ballot2.node = 2;
		if (st != NULL) {
			r.state = *st;
		} else {
			r.state = (struct pk_wstate){ .kind = PK_KIND_VALUE, .version = version,
						      .len = 1, .data = (const uint8_t *)"a" };
			r.state.origin = (struct pk_ballot){ .counter = 1, .incarnation = 1,
							     .node = 2 };
		}
		fx_peer(f, &r);
	}
}

/* Another proposer adopted our failed value (an identity change, e.g. a
 * rescan, read it from one acceptor and wrote it back above us): the same
 * origin says it is ours, so the CAS's result stands once it is chosen.
 */
static void
test_doubt_adopted_by_origin(void)
{
	struct fx f;
	struct pk_send failed, prep;
	const struct pk_send *s;

	CHECK(fx_init(&f, 0, true, 16));
	prep = cas_in_doubt(&f, &failed);
	CHECK(pk_ballot_cmp(&failed.msg.state.origin, &failed.msg.ballot) == 0);
	promise_above_failed(&f, &prep, &failed, 0, &failed.msg.state);
	CHECK_EQ(pk_worker_stats(f.w)->doubt_adopted, 1);
	CHECK((s = fx_sent(&f, PK_MSG_ACCEPT)) != NULL);
	CHECK(s->msg.state.version == 2 && s->msg.state.len == 1 && s->msg.state.data[0] == 'x');
	CHECK(pk_ballot_cmp(&s->msg.state.origin, &failed.msg.ballot) == 0);
	accepted_by_both(&f, s);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_OK);
	CHECK_EQ(f.replies[0].msg.state.version, 2);
	CHECK_EQ(fx_fini(&f), 0);

	/* The same bytes and version under another origin are someone
	 * else's write, built on version 1 as ours was: had ours been chosen,
	 * a value at its version would carry its origin. So ours was not
	 * chosen: the CAS (expecting version 1) runs again and answers the
	 * version it finds, never OK and never UNKNOWN.
	 */
	CHECK(fx_init(&f, 0, true, 16));
	prep = cas_in_doubt(&f, &failed);
	{
		struct pk_wstate other = failed.msg.state;

		other.origin.node = 2;
		promise_above_failed(&f, &prep, &failed, 0, &other);
	}
	CHECK_EQ(pk_worker_stats(f.w)->doubt_cleared, 1);
	CHECK_EQ(f.out.nreply, 0);	/* a doubted batch still needs its accept */
	CHECK((s = fx_sent(&f, PK_MSG_ACCEPT)) != NULL);
	accepted_by_both(&f, s);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_CAS_MISMATCH);
	CHECK_EQ(f.replies[0].msg.state.version, 2);
	CHECK_EQ(fx_fini(&f), 0);
}

static struct pk_msg
promise_state(const struct pk_send *prep, uint16_t node, struct pk_ballot acc, uint8_t kind,
	      uint64_t version, const char *val, struct pk_ballot origin)
{
	struct pk_msg r = reply_to(prep, PK_MSG_PROMISE, node);

	r.ballot2 = acc;
	r.state.kind = kind;
	r.state.version = version;
	r.state.len = val != NULL ? (uint16_t)strlen(val) : 0;
	r.state.data = (const uint8_t *)val;
	r.state.origin = origin;
	return r;
}

/* Found by review: two zero origins are no match. The partition's floor
 * version is 100. A CAS built on a rival's X (101) sends v1 (102), which
 * only node 1 takes; the settling prepare hears two empty members (ABSENT
 * at 100, below 102): cleared, the CAS re-runs, mismatches, and proposes
 * ABSENT at 100, lost too. Meanwhile a rival adopted v1 (the CAS applied),
 * deleted it (103) and the GC removed it: the next prepare hears ABSENT at
 * 103. That is not our ABSENT at 100 (both have no origin): proposing it
 * again would answer CAS_MISMATCH for an applied CAS and take the key's
 * versions back from 103 to 100. The answer is UNKNOWN_OUTCOME.
 */
static void
test_doubt_absent_origins_never_match(void)
{
	struct fx f;
	struct pk_send prep;
	struct pk_msg r;
	const struct pk_send *s;
	const struct pk_ballot zero = { 0 };
	const struct pk_ballot r1 = { .counter = 1, .incarnation = 1, .node = 2 };

	CHECK(fx_init(&f, 0, true, 16));
	f.cfg = (struct pk_config){ .epoch = 2, .prepare_mask = 0xE, .accept_mask = 0xE,
				    .prepare_quorum = 2, .accept_quorum = 2, .one_rtt = true,
				    .outsiders_propose = true };
	pk_worker_set_config(f.w, &f.cfg);
	fx_client(&f, PK_OP_CAS, "k", "x", 101, 1);
	prep = *fx_sent(&f, PK_MSG_PREPARE);
	r = promise_state(&prep, 1, r1, PK_KIND_VALUE, 101, "X", r1);
	fx_peer(&f, &r);
	r = promise_state(&prep, 2, zero, PK_KIND_ABSENT, 100, NULL, zero);
	fx_peer(&f, &r);
	CHECK((s = fx_sent(&f, PK_MSG_ACCEPT)) != NULL);
	CHECK_EQ(s->msg.state.version, 102);
	CHECK((s = fx_tick_until(&f, PK_MSG_PREPARE, 500)) != NULL);
	prep = *s;
	r = promise_state(&prep, 2, zero, PK_KIND_ABSENT, 100, NULL, zero);
	fx_peer(&f, &r);
	r = promise_state(&prep, 3, zero, PK_KIND_ABSENT, 100, NULL, zero);
	fx_peer(&f, &r);
	CHECK_EQ(pk_worker_stats(f.w)->doubt_cleared, 1);
	CHECK((s = fx_sent(&f, PK_MSG_ACCEPT)) != NULL);
	CHECK(s->msg.state.kind == PK_KIND_ABSENT && s->msg.state.version == 100);
	CHECK((s = fx_tick_until(&f, PK_MSG_PREPARE, 500)) != NULL);
	prep = *s;
	r = promise_state(&prep, 1, zero, PK_KIND_ABSENT, 103, NULL, zero);
	fx_peer(&f, &r);
	r = promise_state(&prep, 2, zero, PK_KIND_ABSENT, 103, NULL, zero);
	fx_peer(&f, &r);
	CHECK_EQ(pk_worker_stats(f.w)->doubt_adopted, 0);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_UNKNOWN_OUTCOME);
	for (uint32_t i = 0; i < f.out.nsend; i++)
		CHECK(f.sends[i].msg.type != PK_MSG_ACCEPT || f.sends[i].msg.state.version >= 103);
	CHECK_EQ(fx_fini(&f), 0);
}

/* Another proposer adopted our failed value and wrote over it (its state's
 * parent is our origin, version 3 on our 2): ours is its ancestor. The
 * batch proposes that state unchanged under a new ballot, and once it is
 * chosen the CAS answers OK with the version it made (2). Written over
 * something else (another parent), the same state leaves it UNKNOWN.
 */
static void
test_doubt_settled_by_a_write_over_ours(void)
{
	struct fx f;
	struct pk_send failed, prep;
	const struct pk_send *s;
	struct pk_wstate over;

	CHECK(fx_init(&f, 0, true, 16));
	prep = cas_in_doubt(&f, &failed);
	over = (struct pk_wstate){ .kind = PK_KIND_VALUE, .version = 3, .len = 1,
				   .data = (const uint8_t *)"y" };
	over.origin = (struct pk_ballot){ .counter = 50, .incarnation = 1, .node = 2 };
	over.parent = failed.msg.state.origin;
	promise_above_failed(&f, &prep, &failed, 0, &over);
	CHECK_EQ(pk_worker_stats(f.w)->doubt_built_on, 1);
	CHECK_EQ(f.out.nreply, 0);
	CHECK((s = fx_sent(&f, PK_MSG_ACCEPT)) != NULL);
	CHECK(s->msg.state.version == 3 && s->msg.state.data[0] == 'y');
	CHECK(pk_ballot_cmp(&s->msg.state.origin, &over.origin) == 0);
	accepted_by_both(&f, s);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_OK);
	CHECK_EQ(f.replies[0].msg.state.version, 2);
	CHECK_EQ(fx_fini(&f), 0);

	CHECK(fx_init(&f, 0, true, 16));
	prep = cas_in_doubt(&f, &failed);
	over.parent = (struct pk_ballot){ .counter = 49, .incarnation = 1, .node = 2 };
	promise_above_failed(&f, &prep, &failed, 0, &over);
	CHECK_EQ(pk_worker_stats(f.w)->doubt_built_on, 0);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_UNKNOWN_OUTCOME);
	CHECK_EQ(fx_fini(&f), 0);
}

/* Someone else's ballot above ours holds a version below the one our CAS
 * proposed (2): had ours been chosen, that value would descend from it and
 * carry a version >= 2. So ours was not chosen; the batch runs again (the
 * CAS still matches version 1) and answers after its accept succeeds. At
 * version 3 (someone else's write, maybe on top of ours) it is UNKNOWN.
 */
static void
test_doubt_cleared_by_version(void)
{
	struct fx f;
	struct pk_send failed, prep;
	const struct pk_send *s;

	CHECK(fx_init(&f, 0, true, 16));
	prep = cas_in_doubt(&f, &failed);
	promise_above_failed(&f, &prep, &failed, 1, NULL);
	CHECK_EQ(pk_worker_stats(f.w)->doubt_cleared, 1);
	CHECK_EQ(f.out.nreply, 0);
	CHECK((s = fx_sent(&f, PK_MSG_ACCEPT)) != NULL);
	CHECK(s->msg.state.version == 2 && s->msg.state.data[0] == 'x');
	accepted_by_both(&f, s);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_OK);
	CHECK_EQ(fx_fini(&f), 0);

	CHECK(fx_init(&f, 0, true, 16));
	prep = cas_in_doubt(&f, &failed);
	promise_above_failed(&f, &prep, &failed, 3, NULL);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_UNKNOWN_OUTCOME);
	CHECK_EQ(fx_fini(&f), 0);
}

/* Load shedding: with max_rounds rounds running, a request that would
 * start another is answered BUSY at once and starts nothing; one on a key
 * whose round runs joins it; a round ending makes room again.
 */
static void
test_shed_past_max_rounds(void)
{
	struct fx f;
	struct pk_worker_params p;
	struct pk_send prep;
	struct pk_msg r;

	memset(&f, 0, sizeof(f));
	fx_params(&p, &f.heap, 0, true, 16, 0);
	p.tuning.max_rounds = 2;
	CHECK(fx_start(&f, &p));
	fx_client(&f, PK_OP_PUT, "a", "1", 0, 1);
	prep = *fx_sent(&f, PK_MSG_PREPARE);
	fx_client(&f, PK_OP_PUT, "b", "1", 0, 2);
	CHECK(fx_sent(&f, PK_MSG_PREPARE) != NULL);
	fx_client(&f, PK_OP_PUT, "c", "1", 0, 3);
	CHECK(f.out.nsend == 0 && f.out.nreply == 1 && f.replies[0].msg.status == PK_BUSY);
	CHECK_EQ(pk_worker_stats(f.w)->req_shed, 1);
	fx_client(&f, PK_OP_ADD, "a", NULL, 1, 4);	/* joins a's round */
	CHECK(f.out.nsend == 0 && f.out.nreply == 0);
	/* a's round ends (with the queued ADD in its next batch: still one
	 * round for a), b's runs: c is still shed; then room after a's.
	 */
	r = reply_to(&prep, PK_MSG_PROMISE, 1);
	fx_peer(&f, &r);
	r = reply_to(fx_sent(&f, PK_MSG_ACCEPT), PK_MSG_ACCEPTED, 1);
	fx_peer(&f, &r);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_OK);
	r = reply_to(fx_sent(&f, PK_MSG_ACCEPT), PK_MSG_ACCEPTED, 1);	/* the ADD, 1RTT */
	fx_peer(&f, &r);
	CHECK(f.out.nreply == 1 && f.replies[0].cookie == 4 && f.replies[0].msg.status == PK_OK);
	fx_client(&f, PK_OP_PUT, "c", "1", 0, 5);
	CHECK(fx_sent(&f, PK_MSG_PREPARE) != NULL);
	CHECK_EQ(pk_worker_stats(f.w)->req_shed, 1);
	CHECK_EQ(fx_fini(&f), 0);
}

/* Overload: 200 rounds reach their op deadline in one tick, with room for
 * 64 answers. The tick answers what fits and puts the rest off to the next
 * ticks (the caller drains between them): every op is answered once, none
 * is dropped (out_overflow stays 0).
 */
static void
test_mass_timeout_fits_the_outbox(void)
{
	struct fx f;
	struct pk_worker_params p;
	bool answered[200] = { false };
	uint32_t replies = 0;
	char key[16];

	memset(&f, 0, sizeof(f));
	fx_params(&p, &f.heap, 0, true, 256, 0);
	p.tuning.max_ops = 256;
	CHECK(fx_start(&f, &p));
	for (int i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		fx_client(&f, PK_OP_PUT, key, "1", 0, (uint64_t)i);
		CHECK(f.out.nreply == 0);	/* a round started, nothing refused */
	}
	/* Nobody answers: every round's op deadline comes at once. */
	fx_tick(&f, p.tuning.op_timeout + 1);
	for (int t = 0; t < 50 && replies < 200; t++) {
		for (uint32_t i = 0; i < f.out.nreply; i++) {
			uint64_t c = f.replies[i].cookie;

			CHECK(c < 200 && !answered[c]);
			answered[c] = true;
			replies++;
		}
		fx_tick(&f, 0);
	}
	CHECK_EQ(replies, 200);
	CHECK_EQ(pk_worker_stats(f.w)->out_overflow, 0);
	CHECK(pk_worker_stats(f.w)->tick_deferred > 0);
	CHECK_EQ(fx_fini(&f), 0);
}

static void
test_duplicate_request_runs_once(void)
{
	struct fx f;
	struct pk_send acc;
	struct pk_msg req, r;

	CHECK(fx_init(&f, 0, true, 16));
	memset(&req, 0, sizeof(req));
	req.type = PK_MSG_CLIENT_REQ;
	req.op = PK_OP_ADD;
	req.key = (const uint8_t *)"n";
	req.key_len = 1;
	req.arg = 5;
	req.client_id = 9;
	req.request_id = 1;
	{
		struct fx_session s;

		CHECK((req.session = fx_open(&f, &s, 9)) != 0);
	}
	fx_out_reset(&f);
	pk_worker_client(f.w, &req, 100, f.now, &f.out);
	acc = *fx_sent(&f, PK_MSG_PREPARE);
	/* A copy while the first runs is dropped: the first will answer. */
	fx_out_reset(&f);
	pk_worker_client(f.w, &req, 101, f.now, &f.out);
	CHECK(f.out.nsend == 0 && f.out.nreply == 0);
	r = reply_to(&acc, PK_MSG_PROMISE, 1);
	fx_peer(&f, &r);
	acc = *fx_sent(&f, PK_MSG_ACCEPT);
	r = reply_to(&acc, PK_MSG_ACCEPTED, 1);
	fx_peer(&f, &r);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_OK);
	CHECK(f.replies[0].msg.state.len == 1 && f.replies[0].msg.state.data[0] == '5');
	/* A copy after the answer gets the same answer, not a second ADD. */
	fx_out_reset(&f);
	pk_worker_client(f.w, &req, 102, f.now, &f.out);
	CHECK(f.out.nsend == 0 && f.out.nreply == 1);
	CHECK_EQ(f.replies[0].cookie, 102);
	CHECK(f.replies[0].msg.state.len == 1 && f.replies[0].msg.state.data[0] == '5');
	CHECK_EQ(pk_worker_stats(f.w)->req_dup_dropped, 1);
	CHECK_EQ(pk_worker_stats(f.w)->req_dup_replied, 1);
	/* A new request id is a new operation. */
	req.request_id = 2;
	fx_out_reset(&f);
	pk_worker_client(f.w, &req, 103, f.now, &f.out);
	CHECK(fx_sent(&f, PK_MSG_ACCEPT) != NULL);	/* 1RTT from the cache */
	CHECK_EQ(fx_fini(&f), 0);
}

static void
test_proposer_conflicts_fast_forward_and_retry(void)
{
	struct fx f;
	struct pk_msg r;
	const struct pk_send *s;
	struct pk_send prep;

	CHECK(fx_init(&f, 0, true, 16));
	fx_client(&f, PK_OP_GET, "k", NULL, 0, 1);
	prep = *fx_sent(&f, PK_MSG_PREPARE);
	for (uint16_t node = 1; node <= 2; node++) {
		r = reply_to(&prep, PK_MSG_CONFLICT, node);
		r.phase = PK_MSG_PREPARE;
		r.reason = PK_CONFLICT;
		r.ballot2 = bal(100 + node, node);
		fx_peer(&f, &r);
	}
	CHECK_EQ(pk_worker_stats(f.w)->prepare_fail, 1);
	/* Retry after a bounded, random backoff with a higher ballot. */
	fx_tick_until(&f, PK_MSG_PREPARE, 100);
	CHECK((s = fx_sent(&f, PK_MSG_PREPARE)) != NULL);
	CHECK_EQ(s->msg.ballot.counter, 103);
	/* Node 1 agrees with our own empty acceptor: a chosen (empty) state,
	 * so the read completes without an accept.
	 */
	r = reply_to(s, PK_MSG_PROMISE, 1);
	fx_peer(&f, &r);
	CHECK(fx_sent(&f, PK_MSG_ACCEPT) == NULL);
	CHECK_EQ(f.out.nreply, 1);
	CHECK_EQ(f.replies[0].msg.status, PK_NOT_FOUND);
	CHECK_EQ(pk_worker_stats(f.w)->read_skips, 1);
	CHECK_EQ(fx_fini(&f), 0);
}

static void
test_proposer_read_writes_back_when_promises_disagree(void)
{
	struct fx f;
	struct pk_msg r;
	struct pk_send prep;
	const struct pk_send *s;

	CHECK(fx_init(&f, 0, true, 16));
	fx_client(&f, PK_OP_GET, "k", NULL, 0, 1);
	prep = *fx_sent(&f, PK_MSG_PREPARE);
	r = reply_to(&prep, PK_MSG_PROMISE, 2);
	r.ballot2 = bal(3, 2);
	r.state.kind = PK_KIND_VALUE;
	r.state.version = 4;
	r.state.len = 3;
	r.state.data = (const uint8_t *)"old";
	fx_peer(&f, &r);
	/* Our acceptor has nothing, node 2 has (3, "old"): not chosen for
	 * sure, so the read writes the highest value back.
	 */
	CHECK((s = fx_sent(&f, PK_MSG_ACCEPT)) != NULL);
	CHECK(s->msg.state.len == 3 && memcmp(s->msg.state.data, "old", 3) == 0);
	CHECK_EQ(s->msg.state.version, 4);
	CHECK_EQ(f.out.nreply, 0);
	r = reply_to(s, PK_MSG_ACCEPTED, 2);
	fx_peer(&f, &r);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_OK);
	CHECK(f.replies[0].msg.state.len == 3);
	CHECK_EQ(fx_fini(&f), 0);
}

static void
test_proposer_counts_each_acceptor_once(void)
{
	struct fx f;
	struct pk_msg r;
	struct pk_send prep;

	/* Five replicas: quorum 3. Node 1 promising twice is one vote. */
	CHECK(fx_init(&f, 0, true, 16));
	pk_config_majority(&f.cfg, 5, 2);
	pk_worker_set_config(f.w, &f.cfg);
	fx_client(&f, PK_OP_PUT, "k", "v", 0, 1);
	prep = *fx_sent(&f, PK_MSG_PREPARE);
	CHECK_EQ(prep.dest_mask, 0x1e);
	r = reply_to(&prep, PK_MSG_PROMISE, 1);
	fx_peer(&f, &r);
	fx_peer(&f, &r);
	CHECK(fx_sent(&f, PK_MSG_ACCEPT) == NULL);
	/* A reply from a non-member, or for another ballot, counts nothing. */
	r = reply_to(&prep, PK_MSG_PROMISE, 7);
	fx_peer(&f, &r);
	r = reply_to(&prep, PK_MSG_PROMISE, 2);
	r.ballot.counter++;
	fx_peer(&f, &r);
	CHECK(fx_sent(&f, PK_MSG_ACCEPT) == NULL);
	CHECK_EQ(pk_worker_stats(f.w)->replies_stale, 3);
	r = reply_to(&prep, PK_MSG_PROMISE, 2);
	fx_peer(&f, &r);
	CHECK(fx_sent(&f, PK_MSG_ACCEPT) != NULL);
	CHECK_EQ(fx_fini(&f), 0);
}

static void
test_proposer_combines_ops_in_order(void)
{
	struct fx f;
	struct pk_msg r;
	struct pk_send acc;
	const struct pk_send *s;

	CHECK(fx_init(&f, 0, true, 16));
	acc = put_2rtt(&f, "n", "10", 1);
	/* While the PUT's accept is in flight, three more ops queue. */
	fx_client(&f, PK_OP_ADD, "n", NULL, 5, 2);
	fx_client(&f, PK_OP_CAS, "n", "x", 1, 3);	/* version will be 2: mismatch */
	fx_client(&f, PK_OP_GET, "n", NULL, 0, 4);
	fx_client(&f, PK_OP_DEL, "n", NULL, 0, 5);
	fx_client(&f, PK_OP_GET, "n", NULL, 0, 6);	/* queue bound is 4: BUSY */
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_BUSY);
	r = reply_to(&acc, PK_MSG_ACCEPTED, 1);
	fx_peer(&f, &r);
	/* The PUT completes and the queued batch goes out as one 1RTT accept. */
	CHECK_EQ(f.out.nreply, 1);
	CHECK((s = fx_sent(&f, PK_MSG_ACCEPT)) != NULL);
	CHECK_EQ(s->msg.state.kind, PK_KIND_TOMBSTONE);
	CHECK_EQ(s->msg.state.version, 3);
	acc = *s;
	r = reply_to(&acc, PK_MSG_ACCEPTED, 2);
	fx_peer(&f, &r);
	CHECK_EQ(f.out.nreply, 4);
	CHECK(f.replies[0].cookie == 2 && f.replies[0].msg.status == PK_OK);
	CHECK(f.replies[0].msg.state.len == 2 && memcmp(f.replies[0].msg.state.data, "15", 2) == 0);
	CHECK(f.replies[1].cookie == 3 && f.replies[1].msg.status == PK_CAS_MISMATCH);
	CHECK_EQ(f.replies[1].msg.state.version, 2);
	CHECK(f.replies[2].cookie == 4 && f.replies[2].msg.status == PK_OK);
	CHECK(f.replies[3].cookie == 5 && f.replies[3].msg.status == PK_OK);
	CHECK_EQ(fx_fini(&f), 0);
}

static void
test_proposer_refuses_bad_requests(void)
{
	struct fx f;
	char big[PK_MAX_VALUE + 2];

	CHECK(fx_init(&f, 0, true, 1));
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	fx_client(&f, PK_OP_PUT, "k", big, 0, 1);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_TOO_LARGE);
	fx_client(&f, PK_OP_GET, "k", "unexpected", 0, 2);
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_BAD_REQUEST);
	fx_client(&f, PK_OP_GET, "k", NULL, 0, 3);
	CHECK_EQ(f.out.nreply, 0);
	fx_client(&f, PK_OP_GET, "k2", NULL, 0, 4);	/* max_keys is 1 */
	CHECK(f.out.nreply == 1 && f.replies[0].msg.status == PK_TABLE_FULL);
	CHECK_EQ(pk_worker_stats(f.w)->req_rejected, 3);
	CHECK_EQ(fx_fini(&f), 0);
}

static void
test_op_deadline_before_any_accept_is_timeout(void)
{
	struct fx f;

	CHECK(fx_init(&f, 0, true, 16));
	fx_client(&f, PK_OP_PUT, "k", "v", 0, 1);
	/* Nobody answers prepares; the op times out as never written. */
	for (int i = 0; i < 2000 && f.out.nreply == 0; i++)
		fx_tick(&f, 1000);
	CHECK_EQ(f.out.nreply, 1);
	CHECK_EQ(f.replies[0].msg.status, PK_TIMEOUT);
	CHECK(pk_worker_next_deadline(f.w) == UINT64_MAX || f.now > 0);
	CHECK_EQ(fx_fini(&f), 0);
}

/* Node lists as text ("0,1,3"), as the options and the control socket
 * take them and parnikctl writes them.
 */
static void
test_config_ids_text(void)
{
	uint16_t m;
	char buf[64];

	CHECK(pk_ids_parse("0,1,3", &m) && m == 0xb);
	CHECK(pk_ids_parse("15", &m) && m == 0x8000);
	CHECK(!pk_ids_parse("", &m) && !pk_ids_parse("0,,1", &m) && !pk_ids_parse("0,1,", &m));
	CHECK(!pk_ids_parse("16", &m) && !pk_ids_parse("1x", &m) && !pk_ids_parse(" 1", &m));
	CHECK(!pk_ids_parse("0001", &m));
	pk_ids_format(0xb, buf, sizeof(buf));
	CHECK(strcmp(buf, "0,1,3") == 0);
	pk_ids_format(0, buf, sizeof(buf));
	CHECK(buf[0] == 0);
	pk_ids_format(0xffff, buf, 8);
	CHECK(strcmp(buf, "0,1,2,3") == 0);
	CHECK_EQ(pk_majority(0x7), 2);
	CHECK_EQ(pk_majority(0xf), 3);
}

static void
test_config_quorum_arithmetic(void)
{
	struct pk_config c;

	pk_config_majority(&c, 3, 1);
	CHECK(pk_config_quorums_intersect(&c) && pk_config_read_skip_ok(&c));
	c.accept_quorum = 1;	/* the negative test's config */
	CHECK(!pk_config_quorums_intersect(&c));
	/* 3 -> 4 step 2: prepare {0,1,2}/2, accept {0..3}/3 is safe. */
	c = (struct pk_config){ .prepare_mask = 7, .accept_mask = 15, .prepare_quorum = 2,
				.accept_quorum = 3 };
	CHECK(pk_config_quorums_intersect(&c));
	CHECK(!pk_config_read_skip_ok(&c));	/* qP < qA: reads must write */
	c.accept_quorum = 2;
	CHECK(!pk_config_quorums_intersect(&c));
	pk_config_majority(&c, 4, 1);
	CHECK_EQ(c.prepare_quorum, 3);
	CHECK(pk_config_quorums_intersect(&c));
	pk_config_majority(&c, 5, 1);
	CHECK(pk_config_quorums_intersect(&c) && c.accept_quorum == 3);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "acceptor_prepare_rules", test_acceptor_prepare_rules },
		{ "acceptor_install_rules", test_acceptor_install_rules },
		{ "acceptor_accept_rules", test_acceptor_accept_rules },
		{ "acceptor_refusals", test_acceptor_refusals },
		{ "host_index", test_host_index },
		{ "recent_records_never_outlive_removal", test_recent_records_never_outlive_removal },
		{ "oldest_epoch_after_config_change", test_oldest_epoch_after_config_change },
		{ "no_lists_unavailable", test_no_lists_unavailable },
		{ "proposer_2rtt_then_1rtt", test_proposer_2rtt_then_1rtt },
		{ "phase_waits_twice_the_slowest_recent_phase",
		  test_phase_waits_twice_the_slowest_recent_phase },
		{ "proposer_accept_timeout_settles_doubt",
		  test_proposer_accept_timeout_settles_doubt },
		{ "proposer_superseded_doubt_is_unknown", test_proposer_superseded_doubt_is_unknown },
		{ "cleared_doubt_still_needs_an_accept", test_cleared_doubt_still_needs_an_accept },
		{ "doubt_adopted_by_origin", test_doubt_adopted_by_origin },
		{ "doubt_settled_by_a_write_over_ours", test_doubt_settled_by_a_write_over_ours },
		{ "doubt_absent_origins_never_match", test_doubt_absent_origins_never_match },
		{ "shed_past_max_rounds", test_shed_past_max_rounds },
		{ "mass_timeout_fits_the_outbox", test_mass_timeout_fits_the_outbox },
		{ "doubt_cleared_by_version", test_doubt_cleared_by_version },
		{ "duplicate_request_runs_once", test_duplicate_request_runs_once },
		{ "proposer_conflicts_fast_forward_and_retry",
		  test_proposer_conflicts_fast_forward_and_retry },
		{ "proposer_read_writes_back_when_promises_disagree",
		  test_proposer_read_writes_back_when_promises_disagree },
		{ "proposer_counts_each_acceptor_once", test_proposer_counts_each_acceptor_once },
		{ "proposer_combines_ops_in_order", test_proposer_combines_ops_in_order },
		{ "proposer_refuses_bad_requests", test_proposer_refuses_bad_requests },
		{ "op_deadline_before_any_accept_is_timeout",
		  test_op_deadline_before_any_accept_is_timeout },
		{ "config_quorum_arithmetic", test_config_quorum_arithmetic },
		{ "config_ids_text", test_config_ids_text },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
