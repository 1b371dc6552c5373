/* One table of every status and error code Parnik reports: client results,
 * wire decoding errors and acceptor refusals share the numbering, so a code
 * means the same thing in a reply, a log line and a counter.
 */
#ifndef PARNIK_ERR_H
#define PARNIK_ERR_H

/* X(name, value, message). Values are wire-visible: never renumber. */
#define PK_STATUS_LIST(X)                                                        \
	X(OK, 0, "ok")                                                           \
	X(NOT_FOUND, 1, "key not found")                                         \
	X(CAS_MISMATCH, 2, "version does not match")                             \
	X(NOT_INTEGER, 3, "value is not a decimal int64")                        \
	X(OVERFLOW, 4, "integer overflow")                                       \
	X(BUSY, 5, "too many requests queued for this key or worker")            \
	X(TOO_LARGE, 6, "key or value over the size limit")                      \
	X(UNKNOWN_OUTCOME, 7, "write may or may not have been applied")          \
	X(TIMEOUT, 8, "timed out before any write was sent; not applied")        \
	X(TABLE_FULL, 9, "key table full")                                       \
	X(BAD_REQUEST, 10, "malformed request")                                  \
	X(WRONG_PARTITION, 11, "key belongs to another partition")               \
	X(NOT_ADMITTED, 12, "acceptor not admitted to the cluster")              \
	X(CONFLICT, 13, "ballot conflict")                                       \
	X(UNAVAILABLE, 14, "replica not serving")                                \
	X(NO_MEMORY, 15, "replica out of memory")                                \
	X(UNAUTHENTICATED, 16, "the cluster requires the client key; not run")   \
	X(SESSION_EXPIRED, 17, "session unknown to the replica (expired or restarted); not run now, an earlier copy may have run") \
	X(NOT_MEMBER, 18, "replica outside the cluster's lists; not applied, ask another") \
	/* wire decoding errors */                                               \
	X(E_TRUNCATED, 32, "buffer ends inside a header or field")               \
	X(E_MAGIC, 33, "bad magic")                                              \
	X(E_VERSION, 34, "unsupported protocol version")                         \
	X(E_CLUSTER, 35, "message for another cluster")                          \
	X(E_PARTITIONS, 36, "sender runs another partition count")               \
	X(E_PARTITION, 37, "partition index out of range")                       \
	X(E_TYPE, 38, "unknown message type")                                    \
	X(E_LENGTH, 39, "length fields disagree with the buffer")                \
	X(E_LIMIT, 40, "key, value or batch over its limit")                     \
	X(E_FIELD, 41, "field value out of range")                               \
	X(E_NOSPACE, 42, "no room left in the output buffer")

enum pk_status {
#define PK_STATUS_ENUM(name, value, msg) PK_##name = value,
	PK_STATUS_LIST(PK_STATUS_ENUM)
#undef PK_STATUS_ENUM
};

/* Returns the message for <code>, or "unknown status" for a value not in the
 * table. Never NULL.
 */
const char *pk_strstatus(int code);

/* Returns the symbolic name ("CAS_MISMATCH"), or "?" for an unknown value. */
const char *pk_status_name(int code);

#endif
