/* Client sessions of one partition worker: exactly-once retries in the
 * style of RIFL (Lee et al., SOSP 2015) and Raft's client sessions.
 *
 * A client opens a session (OPEN) and gets a number this worker never gave
 * before (docs/PROTOCOL.md section 9); an OPEN again replaces its session. Each request then names the session
 * and carries <acked>, the lowest request id whose answer the client still
 * wants. For every write the session keeps an entry from its arrival until
 * the client acknowledges it: while it runs, copies are dropped (its reply
 * will come); once answered, copies get the same answer again, refusals
 * included (a refused request id never runs later: the client tries again
 * under a new id). Entries are never dropped before the acknowledgement,
 * so a retried write runs once. A session is only dropped whole: after its
 * lease without requests (and with nothing running), and every request
 * naming a session the worker does not hold is answered SESSION_EXPIRED,
 * never run. GETs keep no entry: running one twice is harmless.
 *
 * Memory is bounded: sessions per worker, entries per session and entries
 * in total; past a bound, OPEN or the write is answered BUSY.
 *
 * The lease runs on a session clock that stops while the worker is stopped
 * (a SIGSTOP, a long stall): requests that waited in the receive ring all
 * that time still find their sessions.
 */
#ifndef PK_CORE_SESSION_H
#define PK_CORE_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "mem.h"
#include "parnik/stats.h"
#include "parnik/wire.h"

/* How often a worker with live sessions wants a tick (us of its clock). */
#define PK_SESSION_TICK 100000u

struct pk_sess_entry {
	uint64_t rid;
	struct pk_blob *result;	/* state the reply reported */
	uint8_t status;
	uint8_t op;
	bool done;
};

struct pk_session {
	uint64_t client_id;
	uint64_t number;	/* 0: the slot is free */
	uint64_t acked;		/* the client is done with requests below it */
	uint64_t refused_below;	/* writes below it without an entry were refused */
	uint64_t last_active;	/* session clock */
	uint32_t lru_prev, lru_next;
	uint32_t running;	/* entries not answered yet */
	uint32_t first, count, cap;	/* entries[first .. first + count), by rid */
	struct pk_sess_entry *entries;
};

struct pk_session_limits {
	uint32_t max_sessions;	/* per worker */
	uint32_t max_records;	/* entries per worker */
	uint32_t per_session;	/* entries per session */
	uint64_t lease;		/* us of session clock without a request */
};

struct pk_sessions {
	struct pk_session_limits lim;
	struct pk_session *s;	/* lim.max_sessions slots */
	uint32_t *index;	/* open addressing by client id: slot + 1, 0 empty */
	uint32_t index_mask;
	uint32_t free_head;
	uint32_t lru_head, lru_tail;	/* least recently active first */
	uint32_t live;
	uint32_t records;
	uint64_t next_number;
	uint64_t clock;		/* session clock: now minus the stalls */
	uint64_t last_now;
	struct pk_mem *mem;
	struct pk_stats *stats;
};

/* <first_number> must differ from every number an earlier run of this
 * worker gave out (the host derives it from its boot time).
 */
int pk_sessions_init(struct pk_sessions *t, struct pk_mem *mem, struct pk_stats *stats,
		     const struct pk_session_limits *lim, uint64_t first_number);
void pk_sessions_fini(struct pk_sessions *t);

/* Advances the session clock to <now>, minus any gap longer than a stall
 * allowance (the worker was not running). Called with every event.
 */
void pk_sessions_advance(struct pk_sessions *t, uint64_t now);

/* OPEN from <client_id>: a new session, replacing the client's live one
 * (its held answers go). Returns the session number, or 0 when the table
 * is full.
 */
uint64_t pk_session_open(struct pk_sessions *t, uint64_t client_id);

enum pk_admit {
	PK_ADMIT_RUN,		/* run it (a write now holds an entry) */
	PK_ADMIT_RUNNING,	/* a copy of a write still running: drop it */
	PK_ADMIT_ANSWERED,	/* answered before: send <*e>'s answer again */
	PK_ADMIT_STALE,		/* below the session's acked: drop it */
	PK_ADMIT_EXPIRED,	/* no such session: answer SESSION_EXPIRED */
	PK_ADMIT_BUSY,		/* no room for its entry: answer BUSY */
};

/* Admits client request <req> (session != 0). For PK_ADMIT_ANSWERED, <*e>
 * points at the entry until the next call.
 */
enum pk_admit pk_session_admit(struct pk_sessions *t, const struct pk_msg *req,
			       const struct pk_sess_entry **e);

/* Records the answer of write <rid> of session (<client_id>, <number>),
 * taking a reference on <result>. Nothing when it holds no such entry.
 */
void pk_session_answer(struct pk_sessions *t, uint64_t client_id, uint64_t number,
		       uint64_t rid, uint8_t status, uint8_t op, struct pk_blob *result);

/* Drops sessions idle past the lease with nothing running (a few a call). */
void pk_sessions_expire(struct pk_sessions *t);

/* True for the ops that keep an entry (writes). */
static inline bool
pk_session_keeps(uint8_t op)
{
	return op != PK_OP_GET;
}

#endif
