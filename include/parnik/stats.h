/* Per-worker protocol counters, one X-macro list so the core increments, the
 * replica sums and the control plane prints from the same table.
 */
#ifndef PARNIK_STATS_H
#define PARNIK_STATS_H

#include <stdint.h>

#define PK_STAT_LIST(X)                                                     \
	X(req_get, "GET requests")                                          \
	X(req_put, "PUT requests")                                          \
	X(req_cas, "CAS requests")                                          \
	X(req_add, "ADD requests")                                          \
	X(req_del, "DEL requests")                                          \
	X(req_rejected, "requests refused before a round (bad, busy, full)")  \
	X(req_shed, "requests answered BUSY: max rounds running, or no room to send") \
	X(req_dup_dropped, "duplicate writes dropped while the first runs") \
	X(req_dup_replied, "duplicate writes answered again from their session") \
	X(req_expired, "requests answered SESSION_EXPIRED (no such session)") \
	X(req_stale, "requests dropped: below their session's acknowledged id") \
	X(sess_opened, "client sessions opened")                            \
	X(sess_expired, "client sessions dropped after their lease")        \
	X(sess_full, "OPENs answered BUSY: the session table is full")      \
	X(sess_busy, "writes answered BUSY: no room in their session")      \
	X(sessions_live, "client sessions held now (a gauge)")              \
	X(session_records, "answers held for retries now (a gauge)")        \
	X(res_ok, "operations answered OK or with a definite result")       \
	X(res_unknown, "operations answered UNKNOWN_OUTCOME")               \
	X(res_timeout, "operations answered TIMEOUT (never written)")       \
	X(rounds, "rounds started")                                         \
	X(rounds_1rtt, "rounds started from the 1RTT cache")                \
	X(retries, "round attempts after the first (a phase failed)")       \
	X(read_skips, "rounds finished without an accept phase")            \
	X(queued_ops, "operations queued behind a round in flight (combined)") \
	X(prepares_sent, "PREPARE messages sent")                           \
	X(accepts_sent, "ACCEPT messages sent")                             \
	X(prepare_fail, "prepare phases without a quorum")                  \
	X(accept_fail, "accept phases without a quorum")                    \
	X(doubt_adopted, "failed accepts found and finished by the retry")  \
	X(doubt_cleared, "failed accepts proven never chosen: ops re-run")  \
	X(doubt_built_on, "failed accepts found under a rival's write: finished with it") \
	X(conflicts_rcvd, "CONFLICT replies received")                      \
	X(replies_stale, "replies for no live round (late or duplicate)")   \
	X(acc_prepare, "PREPARE messages handled by the acceptor")          \
	X(acc_accept, "ACCEPT messages handled by the acceptor")            \
	X(acc_conflict, "CONFLICT replies sent by the acceptor")            \
	X(acc_dup_accept, "duplicate ACCEPTs acknowledged again")           \
	X(acc_refused, "messages refused: not admitted, table full")        \
	X(acc_install, "INSTALL messages (catch-up) handled")               \
	X(acc_installed, "INSTALLs that replaced an older accepted state")  \
	X(catchup_sent, "INSTALL messages sent (catch-up source)")          \
	X(gc_rounds, "GC rounds started (full-quorum write of a deleted key)") \
	X(gc_removed, "GC rounds that removed the key from every acceptor") \
	X(gc_rewritten, "GC rounds stopped: the key was written again")     \
	X(gc_failed, "GC rounds given up: an acceptor did not answer")      \
	X(gc_dropped, "bare promise records dropped locally (floor raised)") \
	X(acc_removed, "records removed by the acceptor (GC REMOVE)")       \
	X(acc_floor_refused, "messages refused by the floor (removed keys)") \
	X(peer_dropped, "peer messages dropped: wrong worker, bad sender")  \
	X(peer_bounds_refused, "peer messages refused: a ballot counter or version past the bounds") \
	X(acc_epoch_refused, "PREPARE/ACCEPT/INSTALL of a config epoch more than one away") \
	X(out_overflow, "outgoing messages dropped: outbox full")                \
	X(tick_deferred, "round timers put off to the next tick: outbox nearly full")

struct pk_stats {
#define PK_STAT_FIELD(name, desc) uint64_t name;
	PK_STAT_LIST(PK_STAT_FIELD)
#undef PK_STAT_FIELD
};

#endif
