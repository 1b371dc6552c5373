/* Client sessions of one worker (see session.h): a table of sessions found
 * by client id (open addressing, linear probing, backward-shift deletion),
 * an LRU list for the lease, and per session an array of entries sorted by
 * request id (client ids grow, so inserts append and acknowledgements trim
 * the front: a few cache lines per request).
 */
#include <string.h>

#include "session.h"

#define NIL UINT32_MAX
/* A gap between two events longer than this is a stall of the worker, not
 * time the clients had to renew their sessions.
 */
#define STALL_US 1000000u
#define EXPIRE_PER_CALL 8

static uint32_t
slot_of(const struct pk_sessions *t, uint64_t client_id)
{
	uint64_t h = client_id * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32) & t->index_mask;
}

int
pk_sessions_init(struct pk_sessions *t, struct pk_mem *mem, struct pk_stats *stats,
		 const struct pk_session_limits *lim, uint64_t first_number)
{
	uint32_t n = 16;

	memset(t, 0, sizeof(*t));
	t->lim = *lim;
	if (t->lim.max_sessions == 0)
		t->lim.max_sessions = 1;
	if (t->lim.per_session == 0)
		t->lim.per_session = 1;
	while (n < 2 * t->lim.max_sessions && n < (1u << 30))
		n <<= 1;
	t->mem = mem;
	t->stats = stats;
	t->index_mask = n - 1;
	t->next_number = first_number != 0 ? first_number : 1;
	t->lru_head = t->lru_tail = NIL;
	t->s = pk_mem_zalloc(mem, (size_t)t->lim.max_sessions * sizeof(*t->s));
	t->index = pk_mem_zalloc(mem, (size_t)n * sizeof(*t->index));
	if (t->s == NULL || t->index == NULL) {
		pk_mem_free(mem, t->s);
		pk_mem_free(mem, t->index);
		t->s = NULL;
		return -1;
	}
	for (uint32_t i = 0; i < t->lim.max_sessions; i++)
		t->s[i].lru_next = i + 1 < t->lim.max_sessions ? i + 1 : NIL;
	t->free_head = 0;
	return 0;
}

static void
drop_entries(struct pk_sessions *t, struct pk_session *s)
{
	for (uint32_t i = s->first; i < s->first + s->count; i++)
		pk_blob_unref(t->mem, s->entries[i].result);
	t->records -= s->count;
	t->stats->session_records = t->records;
	pk_mem_free(t->mem, s->entries);
	s->entries = NULL;
	s->first = s->count = s->cap = 0;
}

void
pk_sessions_fini(struct pk_sessions *t)
{
	if (t->s == NULL)
		return;
	for (uint32_t i = 0; i < t->lim.max_sessions; i++)
		if (t->s[i].number != 0)
			drop_entries(t, &t->s[i]);
	pk_mem_free(t->mem, t->s);
	pk_mem_free(t->mem, t->index);
	t->s = NULL;
}

void
pk_sessions_advance(struct pk_sessions *t, uint64_t now)
{
	uint64_t gap = now - t->last_now;

	if (t->last_now == 0 || now < t->last_now)
		gap = 0;
	t->clock += gap > STALL_US ? STALL_US : gap;
	t->last_now = now;
}

/* ---- the client id index ---- */

static struct pk_session *
find(const struct pk_sessions *t, uint64_t client_id)
{
	for (uint32_t i = slot_of(t, client_id);; i = (i + 1) & t->index_mask) {
		uint32_t v = t->index[i];

		if (v == 0)
			return NULL;
		if (t->s[v - 1].client_id == client_id)
			return &t->s[v - 1];
	}
}

static void
index_add(struct pk_sessions *t, uint32_t idx)
{
	uint32_t i = slot_of(t, t->s[idx].client_id);

	while (t->index[i] != 0)
		i = (i + 1) & t->index_mask;
	t->index[i] = idx + 1;
}

/* Backward-shift deletion keeps every probe chain unbroken. */
static void
index_remove(struct pk_sessions *t, uint32_t idx)
{
	uint32_t i = slot_of(t, t->s[idx].client_id);

	while (t->index[i] != idx + 1)
		i = (i + 1) & t->index_mask;
	for (uint32_t j = (i + 1) & t->index_mask; t->index[j] != 0;
	     j = (j + 1) & t->index_mask) {
		uint32_t home = slot_of(t, t->s[t->index[j] - 1].client_id);

		/* Move j's entry into the hole unless its home lies in (i, j]. */
		if (((j - home) & t->index_mask) >= ((j - i) & t->index_mask)) {
			t->index[i] = t->index[j];
			i = j;
		}
	}
	t->index[i] = 0;
}

/* ---- the LRU list ---- */

static void
lru_unlink(struct pk_sessions *t, uint32_t idx)
{
	struct pk_session *s = &t->s[idx];

	if (s->lru_prev != NIL)
		t->s[s->lru_prev].lru_next = s->lru_next;
	else
		t->lru_head = s->lru_next;
	if (s->lru_next != NIL)
		t->s[s->lru_next].lru_prev = s->lru_prev;
	else
		t->lru_tail = s->lru_prev;
}

static void
lru_append(struct pk_sessions *t, uint32_t idx)
{
	struct pk_session *s = &t->s[idx];

	s->lru_prev = t->lru_tail;
	s->lru_next = NIL;
	if (t->lru_tail != NIL)
		t->s[t->lru_tail].lru_next = idx;
	else
		t->lru_head = idx;
	t->lru_tail = idx;
}

static void
touch(struct pk_sessions *t, struct pk_session *s)
{
	uint32_t idx = (uint32_t)(s - t->s);

	s->last_active = t->clock;
	if (t->lru_tail != idx) {
		lru_unlink(t, idx);
		lru_append(t, idx);
	}
}

static void
close_session(struct pk_sessions *t, uint32_t idx)
{
	struct pk_session *s = &t->s[idx];

	drop_entries(t, s);
	index_remove(t, idx);
	lru_unlink(t, idx);
	memset(s, 0, sizeof(*s));
	s->lru_next = t->free_head;
	t->free_head = idx;
	t->live--;
	t->stats->sessions_live = t->live;
}

static bool
expired(const struct pk_sessions *t, const struct pk_session *s)
{
	return s->running == 0 && t->clock - s->last_active > t->lim.lease;
}

void
pk_sessions_expire(struct pk_sessions *t)
{
	for (int n = 0; n < EXPIRE_PER_CALL && t->lru_head != NIL; n++) {
		if (!expired(t, &t->s[t->lru_head]))
			return;
		close_session(t, t->lru_head);
		t->stats->sess_expired++;
	}
}

uint64_t
pk_session_open(struct pk_sessions *t, uint64_t client_id)
{
	struct pk_session *s = find(t, client_id);
	uint32_t idx;

	if (s != NULL) {
		/* A new session replaces the client's old one and its held
		 * answers: a restarted client that kept its id starts its
		 * request ids over, and must never be given an answer of the
		 * last run's. Its writes still running answer nothing into it.
		 */
		drop_entries(t, s);
		s->acked = s->refused_below = 0;
		s->running = 0;
		touch(t, s);
	} else {
		pk_sessions_expire(t);
		if (t->free_head == NIL) {
			t->stats->sess_full++;
			return 0;
		}
		idx = t->free_head;
		s = &t->s[idx];
		t->free_head = s->lru_next;
		memset(s, 0, sizeof(*s));
		s->client_id = client_id;
		index_add(t, idx);
		lru_append(t, idx);
		s->last_active = t->clock;
		t->live++;
		t->stats->sessions_live = t->live;
	}
	s->number = t->next_number++;
	if (t->next_number == 0)
		t->next_number = 1;	/* 0 is no session */
	t->stats->sess_opened++;
	return s->number;
}

/* ---- entries ---- */

/* Index (absolute) of the first entry with rid >= <rid>. */
static uint32_t
lower_bound(const struct pk_session *s, uint64_t rid)
{
	uint32_t lo = s->first, hi = s->first + s->count;

	/* Requests mostly arrive in id order: look at the end first. */
	if (s->count == 0 || s->entries[hi - 1].rid < rid)
		return hi;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s->entries[mid].rid < rid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct pk_sess_entry *
entry_find(const struct pk_session *s, uint64_t rid)
{
	uint32_t i = lower_bound(s, rid);

	return i < s->first + s->count && s->entries[i].rid == rid ? &s->entries[i] : NULL;
}

/* Frees the answered entries the client acknowledged (a running one
 * stops the trim until it is answered).
 */
static void
trim(struct pk_sessions *t, struct pk_session *s)
{
	while (s->count > 0 && s->entries[s->first].rid < s->acked &&
	       s->entries[s->first].done) {
		pk_blob_unref(t->mem, s->entries[s->first].result);
		s->first++;
		s->count--;
		t->records--;
	}
	if (s->count == 0)
		s->first = 0;
	t->stats->session_records = t->records;
}

/* Room for one more entry at the end of the array: slide to the front, or
 * grow (doubling, up to the per-session bound).
 */
static bool
make_room(struct pk_sessions *t, struct pk_session *s)
{
	uint32_t cap;
	struct pk_sess_entry *e;

	if (s->first + s->count < s->cap)
		return true;
	if (s->first > 0) {
		memmove(s->entries, s->entries + s->first, (size_t)s->count * sizeof(*e));
		s->first = 0;
		return true;
	}
	cap = s->cap == 0 ? 4 : s->cap * 2;
	if (cap > t->lim.per_session)
		cap = t->lim.per_session;
	if (cap <= s->cap)
		return false;
	e = pk_mem_alloc(t->mem, (size_t)cap * sizeof(*e));
	if (e == NULL)
		return false;
	if (s->count > 0)
		memcpy(e, s->entries + s->first, (size_t)s->count * sizeof(*e));
	pk_mem_free(t->mem, s->entries);
	s->entries = e;
	s->cap = cap;
	s->first = 0;
	return true;
}

static bool
entry_add(struct pk_sessions *t, struct pk_session *s, uint64_t rid, uint8_t op)
{
	uint32_t at;

	if (s->count >= t->lim.per_session || t->records >= t->lim.max_records ||
	    !make_room(t, s))
		return false;
	at = lower_bound(s, rid);
	if (at < s->first + s->count)
		memmove(&s->entries[at + 1], &s->entries[at],
			(size_t)(s->first + s->count - at) * sizeof(s->entries[0]));
	s->entries[at] = (struct pk_sess_entry){ .rid = rid, .op = op };
	s->count++;
	s->running++;
	t->records++;
	t->stats->session_records = t->records;
	return true;
}

enum pk_admit
pk_session_admit(struct pk_sessions *t, const struct pk_msg *req, const struct pk_sess_entry **e)
{
	struct pk_session *s = find(t, req->client_id);
	struct pk_sess_entry *found;

	if (s == NULL || s->number != req->session) {
		t->stats->req_expired++;
		return PK_ADMIT_EXPIRED;
	}
	touch(t, s);
	if (req->acked > s->acked) {
		s->acked = req->acked;
		trim(t, s);
	}
	if (req->request_id < s->acked) {
		t->stats->req_stale++;
		return PK_ADMIT_STALE;
	}
	if (!pk_session_keeps(req->op))
		return PK_ADMIT_RUN;
	found = entry_find(s, req->request_id);
	if (found != NULL && !found->done) {
		t->stats->req_dup_dropped++;
		return PK_ADMIT_RUNNING;
	}
	if (found != NULL) {
		t->stats->req_dup_replied++;
		*e = found;
		return PK_ADMIT_ANSWERED;
	}
	/* Refused before without an entry: refused again, so that it never
	 * runs after its client was told BUSY.
	 */
	if (req->request_id < s->refused_below || !entry_add(t, s, req->request_id, req->op)) {
		if (req->request_id >= s->refused_below)
			s->refused_below = req->request_id + 1;
		t->stats->sess_busy++;
		return PK_ADMIT_BUSY;
	}
	return PK_ADMIT_RUN;
}

void
pk_session_answer(struct pk_sessions *t, uint64_t client_id, uint64_t number, uint64_t rid,
		  uint8_t status, uint8_t op, struct pk_blob *result)
{
	struct pk_session *s = find(t, client_id);
	struct pk_sess_entry *e;

	if (s == NULL || s->number != number || (e = entry_find(s, rid)) == NULL || e->done)
		return;
	e->done = true;
	e->status = status;
	e->op = op;
	e->result = pk_blob_ref(result);
	s->running--;
	if (rid < s->acked)
		trim(t, s);
}
