/* Wing & Gong linearizability search with Lowe's cache of (linearized set,
 * model state), over a doubly linked list of call / return entries, one key
 * at a time (a register history is linearizable iff each key's is).
 */
#define _GNU_SOURCE /* qsort_r */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lincheck.h"
#include "parnik/err.h"
#include "parnik/types.h"

#define NO_VAL UINT32_MAX
#define ANON (UINT32_MAX - 1)	/* a value no result ever showed */
#define SEARCH_BUDGET 2000000ull	/* states per key before giving up */

struct lin_op {
	uint32_t client;
	uint32_t key;		/* interned */
	uint8_t op;
	uint8_t status;
	bool done;		/* a reply arrived */
	bool gave_up;
	uint64_t arg;
	uint32_t val;		/* interned PUT / CAS value */
	uint64_t invoke;
	uint64_t complete;
	uint64_t res_version;
	uint32_t res_val;	/* interned value in the reply, or NO_VAL */
};

struct blob_ref {
	uint8_t *data;
	uint16_t len;
};

struct intern {
	struct blob_ref *items;
	uint32_t n, cap;
	uint32_t *index;	/* open addressing over items, NO_VAL = empty */
	uint32_t index_cap;
};

struct lin_history {
	struct lin_op *ops;
	uint32_t n, cap;
	struct intern keys;
	struct intern vals;
	bool version_jumps;	/* lin_allow_version_jumps() */
};

/* ---- interning ---- */

static uint64_t
fnv(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static void *
xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (p == NULL) {
		fprintf(stderr, "lincheck: out of memory\n");
		abort();
	}
	return p;
}

static void
intern_rehash(struct intern *t, uint32_t cap)
{
	free(t->index);
	t->index = xrealloc(NULL, cap * sizeof(*t->index));
	t->index_cap = cap;
	memset(t->index, 0xff, cap * sizeof(*t->index));
	for (uint32_t id = 0; id < t->n; id++) {
		uint32_t i = (uint32_t)fnv(t->items[id].data, t->items[id].len) & (cap - 1);

		while (t->index[i] != NO_VAL)
			i = (i + 1) & (cap - 1);
		t->index[i] = id;
	}
}

static uint32_t
intern_get(struct intern *t, const void *data, uint16_t len)
{
	uint32_t i;

	if (t->index_cap == 0 || 2 * (t->n + 1) > t->index_cap)
		intern_rehash(t, t->index_cap == 0 ? 64 : 2 * t->index_cap);
	for (i = (uint32_t)fnv(data, len) & (t->index_cap - 1); t->index[i] != NO_VAL;
	     i = (i + 1) & (t->index_cap - 1)) {
		struct blob_ref *b = &t->items[t->index[i]];

		if (b->len == len && (len == 0 || memcmp(b->data, data, len) == 0))
			return t->index[i];
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->items = xrealloc(t->items, t->cap * sizeof(*t->items));
	}
	t->items[t->n].data = xrealloc(NULL, len > 0 ? len : 1);
	if (len > 0)
		memcpy(t->items[t->n].data, data, len);
	t->items[t->n].len = len;
	t->index[i] = t->n;
	return t->n++;
}

static uint32_t
intern_find(const struct intern *t, const void *data, uint16_t len)
{
	if (t->index_cap == 0)
		return NO_VAL;
	for (uint32_t i = (uint32_t)fnv(data, len) & (t->index_cap - 1); t->index[i] != NO_VAL;
	     i = (i + 1) & (t->index_cap - 1)) {
		const struct blob_ref *b = &t->items[t->index[i]];

		if (b->len == len && (len == 0 || memcmp(b->data, data, len) == 0))
			return t->index[i];
	}
	return NO_VAL;
}

static void
intern_free(struct intern *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free(t->items[i].data);
	free(t->items);
	free(t->index);
}

/* ---- recording ---- */

struct lin_history *
lin_new(void)
{
	struct lin_history *h = xrealloc(NULL, sizeof(*h));

	memset(h, 0, sizeof(*h));
	return h;
}

void
lin_free(struct lin_history *h)
{
	if (h == NULL)
		return;
	intern_free(&h->keys);
	intern_free(&h->vals);
	free(h->ops);
	free(h);
}

uint32_t
lin_invoke(struct lin_history *h, uint32_t client, const void *key, uint16_t key_len, uint8_t op,
	   uint64_t arg, const void *val, uint16_t val_len, uint64_t t)
{
	struct lin_op *o;

	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 1024;
		h->ops = xrealloc(h->ops, h->cap * sizeof(*h->ops));
	}
	o = &h->ops[h->n];
	memset(o, 0, sizeof(*o));
	o->client = client;
	o->key = intern_get(&h->keys, key, key_len);
	o->op = op;
	o->arg = arg;
	o->val = (op == PK_OP_PUT || op == PK_OP_CAS) ? intern_get(&h->vals, val, val_len) : NO_VAL;
	o->invoke = t;
	o->complete = UINT64_MAX;
	o->res_val = NO_VAL;
	return h->n++;
}

void
lin_complete(struct lin_history *h, uint32_t id, uint64_t t, uint8_t status, uint64_t version,
	     const void *val, uint16_t val_len)
{
	struct lin_op *o = &h->ops[id];

	o->done = true;
	o->complete = t;
	o->status = status;
	o->res_version = version;
	if (status == PK_OK && (o->op == PK_OP_GET || o->op == PK_OP_ADD))
		o->res_val = intern_get(&h->vals, val, val_len);
}

void
lin_give_up(struct lin_history *h, uint32_t id)
{
	h->ops[id].gave_up = true;
}

bool
lin_status_unknown(int status)
{
	return status == PK_UNKNOWN_OUTCOME || status == PK_SESSION_EXPIRED;
}

/* An op that may have happened but whose result we do not know. */
static bool
is_unknown(const struct lin_op *o)
{
	return !o->done || o->gave_up || lin_status_unknown(o->status);
}

/* An op the replica refused before writing anything: it never happened. */
static bool
is_refused(const struct lin_op *o)
{
	if (is_unknown(o))
		return false;
	switch (o->status) {
	case PK_OK:
	case PK_NOT_FOUND:
	case PK_CAS_MISMATCH:
	case PK_NOT_INTEGER:
	case PK_OVERFLOW:
		return false;
	default:
		return true;
	}
}

/* ---- the model: a versioned register ---- */

/* A key's state. Versions grow by one per write. With version jumps
 * allowed, a write creating the key (onto nothing, or onto a tombstone)
 * may start anywhere above the key's last version: the replica's deletion
 * GC may have removed the tombstone, after which versions continue from a
 * floor. An op of unknown outcome that created the key then leaves its
 * version <floating>: only a lower bound, pinned by the next result that
 * shows it.
 */
struct mstate {
	uint8_t kind;
	bool floating;
	uint32_t val;
	uint64_t version;	/* exact, or the lower bound when floating */
};

static uint64_t
mstate_word(const struct mstate *s)
{
	return (uint64_t)(s->kind | (unsigned int)s->floating << 8) << 32 | s->val;
}

/* Same grammar as the replica's: a canonical decimal int64. Written apart
 * from dp/core/ops.c on purpose: the model must not share the core's bugs.
 */
static bool
parse_int(const struct blob_ref *b, int64_t *out)
{
	const uint8_t *p = b->data;
	uint16_t i = 0, len = b->len;
	bool neg = len > 0 && p[0] == '-';
	__extension__ __int128 v = 0;

	if (neg)
		i = 1;
	if (i == len || len > 20 || (p[i] == '0' && len - i > 1) || (neg && p[i] == '0'))
		return false;
	for (; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	if (neg)
		v = -v;
	if (v > INT64_MAX || v < INT64_MIN)
		return false;
	*out = (int64_t)v;
	return true;
}

/* The version a write of <o> onto <s> produces, and whether it is known:
 * one more than an exact version of a live key; for a creation, or a live
 * key whose version floats, the version <o>'s result shows (it must be
 * above the bound), or a new bound when <o>'s outcome is unknown. Returns
 * false when the result cannot be.
 */
static bool
next_version(const struct lin_history *h, const struct lin_op *o, const struct mstate *s,
	     uint64_t *version, bool *floating)
{
	bool creates = s->kind != PK_KIND_VALUE;

	*floating = false;
	if ((!creates || !h->version_jumps) && !s->floating) {
		*version = s->version + 1;
		return true;
	}
	if (is_unknown(o)) {
		*version = s->version + 1;
		*floating = true;
		return true;
	}
	*version = o->res_version;
	return o->res_version > s->version;
}

/* Applies <o> to <s>. Returns false when <o>'s recorded result contradicts
 * the model (never for an unknown op).
 */
static bool
model_step(struct lin_history *h, const struct lin_op *o, uint32_t written, struct mstate *s)
{
	bool exists = s->kind == PK_KIND_VALUE;
	uint64_t vis = exists ? s->version : 0;
	uint8_t status;
	uint64_t version = 0;
	uint32_t val = NO_VAL;
	int64_t cur = 0, sum;
	char digits[24];
	bool floating = false;

	/* A live key whose version floats: a definite result that shows the
	 * version pins it (it must not be below the bound).
	 */
	if (exists && s->floating && !is_unknown(o)) {
		bool shows = true;
		uint64_t shown = o->res_version;

		if (o->op == PK_OP_CAS && o->status == PK_OK)
			shown = o->arg;
		else if ((o->op == PK_OP_PUT || o->op == PK_OP_ADD) && o->status == PK_OK)
			shown = o->res_version - 1;
		else if (!(o->op == PK_OP_GET && o->status == PK_OK) &&
			 !(o->op == PK_OP_CAS && o->status == PK_CAS_MISMATCH))
			shows = false;
		if (shows) {
			if (shown < s->version)
				return false;
			s->version = shown;
			s->floating = false;
			vis = shown;
		}
	}
	switch (o->op) {
	case PK_OP_GET:
		status = exists ? PK_OK : PK_NOT_FOUND;
		version = vis;
		val = exists ? s->val : NO_VAL;
		break;
	case PK_OP_PUT:
		status = PK_OK;
		if (!next_version(h, o, s, &version, &floating))
			return false;
		*s = (struct mstate){ PK_KIND_VALUE, floating, written, version };
		break;
	case PK_OP_CAS:
		if (exists && s->floating) {
			/* Unknown outcome, version not pinned: taking effect means
			 * the version was <arg>, possible only within the bound;
			 * not taking effect is the search leaving the op out.
			 */
			if (o->arg < s->version)
				return true;
			s->version = o->arg;
			s->floating = false;
			vis = o->arg;
		}
		if (vis != o->arg) {
			status = PK_CAS_MISMATCH;
			version = vis;
			break;
		}
		status = PK_OK;
		if (!next_version(h, o, s, &version, &floating))
			return false;
		*s = (struct mstate){ PK_KIND_VALUE, floating, written, version };
		break;
	case PK_OP_ADD:
		if (exists && s->val == ANON) {
			/* No result ever showed this value or a sum built on it
			 * (value_folding()): a definite ADD cannot have read it,
			 * and an unknown one leaves a value just as unseen.
			 */
			if (!is_unknown(o))
				return false;
			status = PK_OK;
			if (!next_version(h, o, s, &version, &floating))
				return false;
			*s = (struct mstate){ PK_KIND_VALUE, floating, ANON, version };
			break;
		}
		if (exists && !parse_int(&h->vals.items[s->val], &cur)) {
			status = PK_NOT_INTEGER;
			break;
		}
		if (__builtin_add_overflow(cur, (int64_t)o->arg, &sum)) {
			status = PK_OVERFLOW;
			break;
		}
		status = PK_OK;
		if (!next_version(h, o, s, &version, &floating))
			return false;
		snprintf(digits, sizeof(digits), "%" PRId64, sum);
		val = intern_get(&h->vals, digits, (uint16_t)strlen(digits));
		*s = (struct mstate){ PK_KIND_VALUE, floating, val, version };
		break;
	default: /* DEL */
		if (!exists) {
			status = PK_NOT_FOUND;
			break;
		}
		status = PK_OK;
		/* The tombstone's version only bounds the next creation. */
		*s = (struct mstate){ PK_KIND_TOMBSTONE, false, NO_VAL, s->version + 1 };
		break;
	}
	if (is_unknown(o))
		return true;
	if (o->status != status)
		return false;
	if (o->op == PK_OP_DEL || status == PK_NOT_INTEGER || status == PK_OVERFLOW)
		return true;
	if (status == PK_NOT_FOUND)
		return o->res_version == 0;
	if (o->res_version != version)
		return false;
	return (o->op != PK_OP_GET && o->op != PK_OP_ADD) || status != PK_OK || o->res_val == val;
}

/* ---- the search ---- */

struct entry {
	uint32_t op;		/* index into the key's op list */
	bool is_call;
	struct entry *match;	/* call <-> return */
	struct entry *prev, *next;
};

struct memo {
	uint64_t *slots;	/* per slot: hash word, state words, bitset words */
	uint32_t cap, n;
	uint32_t words;		/* bitset words */
};

static size_t
memo_stride(const struct memo *m)
{
	return 4 + m->words;	/* used flag+hash, kind/val, version, bits */
}

static uint64_t
memo_hash(const uint64_t *bits, uint32_t words, const struct mstate *s)
{
	uint64_t h = fnv(bits, words * 8) ^ (s->version * 0x9e3779b97f4a7c15ull);

	h ^= mstate_word(s) * 0xc2b2ae3d27d4eb4full;
	return h | 1;		/* 0 marks an empty slot */
}

/* Adds (bits, s); returns false when it was already there. */
static bool
memo_add(struct memo *m, const uint64_t *bits, const struct mstate *s)
{
	size_t stride = memo_stride(m);
	uint64_t h = memo_hash(bits, m->words, s);
	uint64_t sv = mstate_word(s);

	if (2 * (m->n + 1) > m->cap) {
		struct memo bigger = { .cap = m->cap ? 2 * m->cap : 1024, .words = m->words };

		bigger.slots = xrealloc(NULL, bigger.cap * stride * 8);
		memset(bigger.slots, 0, bigger.cap * stride * 8);
		for (uint32_t i = 0; i < m->cap; i++) {
			uint64_t *e = m->slots + i * stride;
			uint32_t j = (uint32_t)e[0] & (bigger.cap - 1);

			if (e[0] == 0)
				continue;
			while (bigger.slots[j * stride] != 0)
				j = (j + 1) & (bigger.cap - 1);
			memcpy(bigger.slots + j * stride, e, stride * 8);
		}
		free(m->slots);
		m->slots = bigger.slots;
		m->cap = bigger.cap;
	}
	for (uint32_t i = (uint32_t)h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		uint64_t *e = m->slots + i * stride;

		if (e[0] == 0) {
			e[0] = h;
			e[1] = sv;
			e[2] = s->version;
			memcpy(e + 4, bits, m->words * 8);
			m->n++;
			return true;
		}
		if (e[0] == h && e[1] == sv && e[2] == s->version &&
		    memcmp(e + 4, bits, m->words * 8) == 0)
			return false;
	}
}

static void
lift(struct entry *call)
{
	call->prev->next = call->next;
	if (call->next != NULL)
		call->next->prev = call->prev;
	if (call->match != NULL) {
		struct entry *ret = call->match;

		ret->prev->next = ret->next;
		if (ret->next != NULL)
			ret->next->prev = ret->prev;
	}
}

static void
unlift(struct entry *call)
{
	if (call->match != NULL) {
		struct entry *ret = call->match;

		ret->prev->next = ret;
		if (ret->next != NULL)
			ret->next->prev = ret;
	}
	call->prev->next = call;
	if (call->next != NULL)
		call->next->prev = call;
}

static int
entry_cmp(const void *a, const void *b, void *ctx)
{
	const struct entry *x = a, *y = b;
	const struct lin_op *const *ops = ctx;
	uint64_t tx = x->is_call ? ops[x->op]->invoke : ops[x->op]->complete;
	uint64_t ty = y->is_call ? ops[y->op]->invoke : ops[y->op]->complete;

	if (tx != ty)
		return tx < ty ? -1 : 1;
	/* Equal times: calls first, which only makes ops concurrent. */
	if (x->is_call != y->is_call)
		return x->is_call ? -1 : 1;
	return x->op < y->op ? -1 : (x->op > y->op);
}

enum verdict {
	LINEARIZABLE,
	NOT_LINEARIZABLE,
	UNDECIDED,		/* the search budget ran out */
};

/* Marks seen the value <base> - <sum> for every subset sum of the deltas. */
static void
mark_shifted(struct lin_history *h, int64_t base, const int64_t *sums, uint32_t nsums,
	     uint8_t *seen)
{
	for (uint32_t i = 0; i < nsums; i++) {
		int64_t v;
		char digits[24];
		uint32_t id;

		if (__builtin_sub_overflow(base, sums[i], &v))
			continue;
		snprintf(digits, sizeof(digits), "%" PRId64, v);
		id = intern_find(&h->vals, digits, (uint16_t)strlen(digits));
		if (id != NO_VAL)
			seen[id] = 1;
	}
}

/* Symmetry reduction. A written value X is folded into ANON when no
 * linearization can use its content: no result R (a GET's value, an ADD's
 * result, or an ADD's result minus its delta, the state it read) equals X
 * plus a sum of deltas of this key's unknown ADDs (any subset: those ADDs
 * may or may not have happened in between). Unknown ADDs on ANON stay ANON;
 * one that overflowed or met a non-integer acted as the identity, which the
 * search covers by leaving it out. States that differ only in folded values
 * behave alike. Unknown ops with equal effects are interchangeable: DELs;
 * PUTs of folded values; CASes of folded values at one expected version;
 * ADDs of one delta. Among pending ops of a class, trying the earliest
 * invoked suffices, as it can go anywhere a later one can. Folding is off
 * for a key with definite NOT_INTEGER / OVERFLOW results (they reveal a
 * property of the value) or more than 12 unknown ADDs.
 */
static bool
value_folding(struct lin_history *h, const struct lin_op **ops, uint32_t n, uint8_t *seen)
{
	int64_t deltas[12], sums[1 << 12];
	uint32_t ndeltas = 0, nsums = 1;

	for (uint32_t i = 0; i < n; i++) {
		const struct lin_op *o = ops[i];

		if (o->op != PK_OP_ADD)
			continue;
		if (!is_unknown(o) && (o->status == PK_NOT_INTEGER || o->status == PK_OVERFLOW))
			return false;
		if (is_unknown(o)) {
			if (ndeltas == 12)
				return false;
			deltas[ndeltas++] = (int64_t)o->arg;
		}
	}
	sums[0] = 0;
	for (uint32_t d = 0; d < ndeltas; d++)
		for (uint32_t j = 0, m = nsums; j < m; j++) {
			if (__builtin_add_overflow(sums[j], deltas[d], &sums[nsums]))
				return false;
			nsums++;
		}
	for (uint32_t i = 0; i < n; i++) {
		const struct lin_op *o = ops[i];
		int64_t r, before;

		if (is_unknown(o) || o->status != PK_OK || o->res_val == NO_VAL)
			continue;
		seen[o->res_val] = 1;
		if (!parse_int(&h->vals.items[o->res_val], &r))
			continue;
		mark_shifted(h, r, sums, nsums, seen);
		if (o->op == PK_OP_ADD && !__builtin_sub_overflow(r, (int64_t)o->arg, &before))
			mark_shifted(h, before, sums, nsums, seen);
	}
	return true;
}

static uint64_t
op_class(const struct lin_op *o, uint32_t written)
{
	const uint64_t arg = o->arg & ((1ull << 60) - 1);

	if (!is_unknown(o))
		return 0;
	if (o->op == PK_OP_DEL)
		return 1ull << 60;
	if (o->op == PK_OP_PUT && written == ANON)
		return 2ull << 60;
	if (o->op == PK_OP_CAS && written == ANON && o->arg == arg)
		return 3ull << 60 | arg;
	if (o->op == PK_OP_ADD && o->arg == arg)
		return 4ull << 60 | arg;	/* same delta, same effect */
	return 0;
}

/* Returns true when class <c> was tried already at this step; else
 * records it (when there is room: forgetting one only costs time).
 */
static bool
class_tried(uint64_t *tried, unsigned int *ntried, uint64_t c)
{
	for (unsigned int t = 0; t < *ntried; t++)
		if (tried[t] == c)
			return true;
	if (*ntried < 32)
		tried[(*ntried)++] = c;
	return false;
}

/* Checks the ops <ops[0..n)> of one key. */
static enum verdict
check_key(struct lin_history *h, const struct lin_op **ops, uint32_t n, uint64_t *explored)
{
	struct entry *entries = xrealloc(NULL, (2 * n + 1) * sizeof(*entries));
	struct entry *head = &entries[2 * n], *e;
	struct memo memo = { .words = (n + 63) / 64 };
	uint64_t *bits = xrealloc(NULL, memo.words * 8 + 8);
	struct frame {
		struct entry *call;
		struct mstate state;
		unsigned int pass;
	} *stack = xrealloc(NULL, (n + 1) * sizeof(*stack));
	uint32_t depth = 0, m = 0, returns = 0;
	struct mstate state = { PK_KIND_ABSENT, false, NO_VAL, 0 };
	enum verdict verdict = NOT_LINEARIZABLE;
	uint64_t budget = *explored + SEARCH_BUDGET;
	uint32_t *written = xrealloc(NULL, (n + 1) * sizeof(*written));
	uint64_t *cls = xrealloc(NULL, (n + 1) * sizeof(*cls));
	uint8_t *seen = xrealloc(NULL, h->vals.n + 1);
	uint64_t tried[32];
	unsigned int ntried = 0, pass = 0;
	bool fold;

	memset(seen, 0, h->vals.n + 1);
	fold = value_folding(h, ops, n, seen);
	for (uint32_t i = 0; i < n; i++) {
		written[i] = ops[i]->val;
		if (fold && written[i] != NO_VAL && !seen[written[i]])
			written[i] = ANON;
		cls[i] = op_class(ops[i], written[i]);
	}
	free(seen);

	memset(bits, 0, memo.words * 8 + 8);
	for (uint32_t i = 0; i < n; i++) {
		entries[m] = (struct entry){ .op = i, .is_call = true };
		m++;
		if (!is_unknown(ops[i])) {
			entries[m] = (struct entry){ .op = i, .is_call = false };
			m++;
			returns++;
		}
	}
	qsort_r(entries, m, sizeof(*entries), entry_cmp, ops);
	/* qsort moved entries: link calls to returns after sorting. */
	{
		uint32_t *call_at = xrealloc(NULL, (n + 1) * sizeof(*call_at));

		for (uint32_t i = 0; i < m; i++)
			if (entries[i].is_call)
				call_at[entries[i].op] = i;
		for (uint32_t i = 0; i < m; i++) {
			entries[i].match = NULL;
		}
		for (uint32_t i = 0; i < m; i++)
			if (!entries[i].is_call)
				entries[call_at[entries[i].op]].match = &entries[i];
		free(call_at);
	}
	head->prev = NULL;
	head->next = m > 0 ? &entries[0] : NULL;
	for (uint32_t i = 0; i < m; i++) {
		entries[i].prev = i == 0 ? head : &entries[i - 1];
		entries[i].next = i + 1 < m ? &entries[i + 1] : NULL;
	}
	e = head->next;
	/* Lowe's candidates at each step are the calls before the first
	 * pending return. They are tried in two passes, definite ops first and
	 * unknown ones only then: same candidates, so the search stays
	 * complete, but it no longer dives into applying optional ops before
	 * the ops that must happen.
	 */
	while (returns > 0) {
		if (e != NULL && e->is_call) {
			struct mstate next = state;
			bool unknown = e->match == NULL;

			if (unknown != (pass == 1) ||
			    (cls[e->op] != 0 && class_tried(tried, &ntried, cls[e->op]))) {
				e = e->next;
				continue;
			}
			if (++*explored > budget) {
				verdict = UNDECIDED;
				goto out;
			}
			/* An optional op that would change nothing now (a CAS at a
			 * passed version, a DEL of nothing) is better left out:
			 * the same state, and it may still apply later.
			 */
			if (model_step(h, ops[e->op], written[e->op], &next) &&
			    !(unknown && next.kind == state.kind && next.val == state.val &&
			      next.version == state.version && next.floating == state.floating)) {
				bits[e->op / 64] |= 1ull << (e->op % 64);
				if (memo_add(&memo, bits, &next)) {
					stack[depth].call = e;
					stack[depth].state = state;
					stack[depth].pass = pass;
					depth++;
					state = next;
					if (!unknown)
						returns--;
					lift(e);
					e = head->next;
					pass = 0;
					ntried = 0;
					continue;
				}
				bits[e->op / 64] &= ~(1ull << (e->op % 64));
			}
			e = e->next;
			continue;
		}
		/* The first pending return (or the end): this pass is spent. */
		if (pass == 0) {
			pass = 1;
			e = head->next;
			ntried = 0;
			continue;
		}
		/* Both passes spent: undo the last choice, try the next one. */
		if (depth == 0)
			goto out;
		depth--;
		e = stack[depth].call;
		state = stack[depth].state;
		pass = stack[depth].pass;
		bits[e->op / 64] &= ~(1ull << (e->op % 64));
		if (e->match != NULL)
			returns++;
		unlift(e);
		/* Resume after e; in pass 1, the twins up to e count as tried. */
		ntried = 0;
		if (pass == 1)
			for (struct entry *x = head->next; x != NULL && x != e->next; x = x->next)
				if (x->is_call && cls[x->op] != 0)
					class_tried(tried, &ntried, cls[x->op]);
		e = e->next;
	}
	verdict = LINEARIZABLE;
out:
	free(written);
	free(cls);
	free(memo.slots);
	free(stack);
	free(bits);
	free(entries);
	return verdict;
}

static int
by_invoke(const void *a, const void *b)
{
	const struct lin_op *x = *(const struct lin_op *const *)a;
	const struct lin_op *y = *(const struct lin_op *const *)b;

	return x->invoke < y->invoke ? -1 : (x->invoke > y->invoke);
}

static void
print_op(const struct lin_history *h, const struct lin_op *o, FILE *f)
{
	const struct blob_ref *v = o->val != NO_VAL ? &h->vals.items[o->val] : NULL;
	const struct blob_ref *r = o->res_val != NO_VAL ? &h->vals.items[o->res_val] : NULL;

	fprintf(f, "    [%" PRIu64 "..", o->invoke);
	if (is_unknown(o))
		fprintf(f, "?] ");
	else
		fprintf(f, "%" PRIu64 "] ", o->complete);
	fprintf(f, "client %u %s", o->client, pk_op_name(o->op));
	if (o->op == PK_OP_CAS || o->op == PK_OP_ADD)
		fprintf(f, " arg=%" PRId64, (int64_t)o->arg);
	if (v != NULL)
		fprintf(f, " val=%.*s", (int)v->len, (const char *)v->data);
	if (is_unknown(o))
		fprintf(f, " -> %s\n", o->gave_up || !o->done ? "no reply" : "UNKNOWN_OUTCOME");
	else
		fprintf(f, " -> %s v%" PRIu64 "%s%.*s\n", pk_status_name(o->status),
			o->res_version, r != NULL ? " " : "", r != NULL ? (int)r->len : 0,
			r != NULL ? (const char *)r->data : "");
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The history as it stood at time <t>: ops invoked before it, those still
 * running treated as pending (they may or may not have happened). A
 * linearizable history has linearizable prefixes, so the shortest failing
 * prefix can be found by binary search.
 */
static uint32_t
prefix_at(const struct lin_op **ops, uint32_t n, uint64_t t, struct lin_op *buf,
	  const struct lin_op **view)
{
	uint32_t m = 0;

	for (uint32_t i = 0; i < n && ops[i]->invoke < t; i++) {
		buf[m] = *ops[i];
		if (buf[m].complete > t)
			buf[m].done = false;
		view[m] = &buf[m];
		m++;
	}
	return m;
}

static void
report_key(struct lin_history *h, const struct lin_op **ops, uint32_t n, FILE *f)
{
	struct lin_op *buf = xrealloc(NULL, n * sizeof(*buf));
	const struct lin_op **view = xrealloc(NULL, n * sizeof(*view));
	uint64_t *cuts = xrealloc(NULL, n * sizeof(*cuts));
	const struct blob_ref *key = &h->keys.items[ops[0]->key];
	uint32_t lo = 0, hi, ncuts = 0, m;
	uint64_t explored = 0;

	/* Candidate cut points: every completion, in time order. */
	for (uint32_t i = 0; i < n; i++)
		if (!is_unknown(ops[i]))
			cuts[ncuts++] = ops[i]->complete + 1;
	qsort(cuts, ncuts, sizeof(*cuts), cmp_u64);
	hi = ncuts;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		m = prefix_at(ops, n, cuts[mid], buf, view);
		if (check_key(h, view, m, &explored) == LINEARIZABLE)
			lo = mid + 1;
		else
			hi = mid;
	}
	m = lo < ncuts ? prefix_at(ops, n, cuts[lo], buf, view) : n;
	fprintf(f, "  key '%.*s': not linearizable; shortest failing prefix: %u of %u ops "
		"(up to time %" PRIu64 "), ending:\n", (int)key->len, (const char *)key->data, m,
		n, lo < ncuts ? cuts[lo] - 1 : 0);
	for (uint32_t i = m > 16 ? m - 16 : 0; i < m; i++)
		print_op(h, ops[i], f);
	free(buf);
	free(view);
	free(cuts);
}

struct lin_result
lin_check(struct lin_history *h, FILE *report)
{
	struct lin_result res = { .ok = true, .keys = h->keys.n };
	const struct lin_op **all = xrealloc(NULL, (h->n + 1) * sizeof(*all));
	uint32_t *count = xrealloc(NULL, (h->keys.n + 1) * sizeof(*count));
	uint32_t *start = xrealloc(NULL, (h->keys.n + 1) * sizeof(*start));
	const struct lin_op **by_key = xrealloc(NULL, (h->n + 1) * sizeof(*by_key));
	uint32_t used = 0;

	memset(count, 0, (h->keys.n + 1) * sizeof(*count));
	for (uint32_t i = 0; i < h->n; i++) {
		/* A refused op never happened; an unknown read changed nothing
		 * and told nothing: neither constrains the search.
		 */
		if (is_refused(&h->ops[i]) || (is_unknown(&h->ops[i]) && h->ops[i].op == PK_OP_GET))
			continue;
		all[used++] = &h->ops[i];
		count[h->ops[i].key]++;
		res.unknown += is_unknown(&h->ops[i]);
	}
	res.ops = used;
	qsort(all, used, sizeof(*all), by_invoke);
	for (uint32_t k = 0, at = 0; k < h->keys.n; k++) {
		start[k] = at;
		at += count[k];
		count[k] = 0;
	}
	for (uint32_t i = 0; i < used; i++)
		by_key[start[all[i]->key] + count[all[i]->key]++] = all[i];
	for (uint32_t k = 0; k < h->keys.n; k++) {
		enum verdict v = LINEARIZABLE;

		if (count[k] > 0)
			v = check_key(h, by_key + start[k], count[k], &res.states);
		if (v == LINEARIZABLE)
			continue;
		res.ok = false;
		if (v == UNDECIDED) {
			res.undecided_keys++;
			if (report != NULL)
				fprintf(report, "  key '%.*s': undecided: search budget of %llu states "
					"spent (%u ops, too many unknown outcomes)\n",
					(int)h->keys.items[k].len, (const char *)h->keys.items[k].data,
					SEARCH_BUDGET, count[k]);
			continue;
		}
		res.bad_keys++;
		if (report != NULL)
			report_key(h, by_key + start[k], count[k], report);
	}
	free(all);
	free(count);
	free(start);
	free(by_key);
	return res;
}

/* ---- text format: one op a line ----
 * client op key-hex arg val-hex invoke complete|- status version resval-hex
 * ("-" for an empty hex field)
 */

static void
put_hex(FILE *f, const struct blob_ref *b)
{
	if (b == NULL || b->len == 0) {
		fputc('-', f);
		return;
	}
	for (uint16_t i = 0; i < b->len; i++)
		fprintf(f, "%02x", b->data[i]);
}

void
lin_allow_version_jumps(struct lin_history *h)
{
	h->version_jumps = true;
}

#define VERSION_JUMPS_LINE "# version-jumps"

void
lin_dump(const struct lin_history *h, FILE *out)
{
	if (h->version_jumps)
		fprintf(out, "%s\n", VERSION_JUMPS_LINE);
	for (uint32_t i = 0; i < h->n; i++) {
		const struct lin_op *o = &h->ops[i];

		fprintf(out, "%u %u ", o->client, o->op);
		put_hex(out, &h->keys.items[o->key]);
		fprintf(out, " %" PRIu64 " ", o->arg);
		put_hex(out, o->val != NO_VAL ? &h->vals.items[o->val] : NULL);
		fprintf(out, " %" PRIu64 " ", o->invoke);
		if (is_unknown(o) && o->status != PK_UNKNOWN_OUTCOME)
			fprintf(out, "- 0 0 -\n");
		else {
			fprintf(out, "%" PRIu64 " %u %" PRIu64 " ", o->complete, o->status,
				o->res_version);
			put_hex(out, o->res_val != NO_VAL ? &h->vals.items[o->res_val] : NULL);
			fputc('\n', out);
		}
	}
}

static int
get_hex(const char *s, uint8_t *buf, size_t cap)
{
	size_t n = strlen(s);

	if (strcmp(s, "-") == 0)
		return 0;
	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int byte;

		if (sscanf(s + 2 * i, "%2x", &byte) != 1)
			return -1;
		buf[i] = (uint8_t)byte;
	}
	return (int)(n / 2);
}

struct lin_history *
lin_load(FILE *in)
{
	struct lin_history *h = lin_new();
	char line[8192];

	while (fgets(line, sizeof(line), in) != NULL) {
		char key_hex[1024], val_hex[4096], done[32], res_hex[4096];
		unsigned int client, op, status = 0;
		uint64_t arg, invoke, version = 0;
		uint8_t key[PK_MAX_KEY], val[PK_MAX_VALUE], res[PK_MAX_VALUE];
		int kl, vl, rl = 0, fields;
		uint32_t id;

		if (strncmp(line, VERSION_JUMPS_LINE, strlen(VERSION_JUMPS_LINE)) == 0)
			h->version_jumps = true;
		fields = sscanf(line, "%u %u %1023s %" SCNu64 " %4095s %" SCNu64 " %31s %u %" SCNu64
			       " %4095s", &client, &op, key_hex, &arg, val_hex, &invoke, done,
			       &status, &version, res_hex);
		if (fields < 7)
			continue;
		kl = get_hex(key_hex, key, sizeof(key));
		vl = get_hex(val_hex, val, sizeof(val));
		if (kl <= 0 || vl < 0 || op < PK_OP_GET || op > PK_OP_MAX) {
			lin_free(h);
			return NULL;
		}
		id = lin_invoke(h, client, key, (uint16_t)kl, (uint8_t)op, arg, val, (uint16_t)vl,
				invoke);
		if (strcmp(done, "-") == 0 || fields < 10)
			continue;
		rl = get_hex(res_hex, res, sizeof(res));
		if (rl < 0) {
			lin_free(h);
			return NULL;
		}
		lin_complete(h, id, strtoull(done, NULL, 10), (uint8_t)status, version, res,
			     (uint16_t)rl);
	}
	return h;
}
