/* libparnik: the Parnik client over kernel UDP sockets (no DPDK needed),
 * or over a transport of the caller's (transport.h).
 *
 * One client holds one UDP socket (or transport) and a window of requests in flight. The
 * synchronous calls (pk_get, pk_put, ...) are built on the pipelined API
 * (pk_client_submit / pk_client_poll), which packs several requests into one
 * datagram per destination.
 *
 * Routing: by default each key goes to one replica, chosen by its hash
 * (key affinity: the CASPaxos 1RTT path works when one proposer handles a
 * key; several proposers on one key preempt each other). A replica that
 * stops answering shifts the assignment to the next one.
 *
 * Sessions and retries (docs/PROTOCOL.md section 9): the client opens a
 * session with each partition of each replica it sends to (one round trip,
 * the first time), and every request acknowledges the answers it no longer
 * needs. A request is re-sent with the same request id after each timeout.
 * A write (PUT, CAS, ADD, DEL) is only ever re-sent to the replica and
 * session that got it first, which runs it at most once and answers every
 * copy the same; if no reply comes, its outcome is unknown
 * (PK_UNKNOWN_OUTCOME), never guessed, and if that session was lost (the
 * replica restarted) after more than one copy was sent, PK_SESSION_EXPIRED
 * (also unknown). A refused request (BUSY, NOT_MEMBER, a lost session with
 * one copy sent) is sent again under a new id; NOT_MEMBER moves it, and new
 * requests, to another replica. BUSY retries share a budget of 10% of the
 * requests submitted (plus a reserve of 100): past it, BUSY is the answer,
 * so a shedding cluster is not offered its refused load again and again.
 * And while the cluster refuses a share of the requests, the client
 * refuses about that share itself, unsent (pk_client_submit).
 * A GET moves on to the next replica after a
 * timeout. After a request finds its replica silent, the client sends new
 * requests for those keys to the next one; a request never sent (its
 * replica's OPEN got no answer) moves too.
 *
 * Threading: a client is not thread-safe; use one per thread.
 */
#ifndef PARNIK_CLIENT_H
#define PARNIK_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parnik/err.h"
#include "parnik/transport.h"
#include "parnik/types.h"

#define PK_CLIENT_MAX_SERVERS 16

/* One entry of a server list: an IPv4 address (network byte order) and
 * the base port of its partitions (host order).
 */
struct pk_server {
	uint32_t ip;
	uint16_t base_port;
};

/* Parses a server list ("IPV4:BASEPORT[,IPV4:BASEPORT...]") exactly as
 * pk_client_open does, into <out> (room for PK_CLIENT_MAX_SERVERS) and
 * its count into <n>: for transports of the caller's (transport.h) that
 * must know the replicas' addresses. Returns 0, or -1 with the offending
 * entry named in <err>.
 */
int pk_client_servers(const char *list, struct pk_server *out, unsigned int *n, char *err,
		      size_t errlen);

struct pk_client_config {
	/* Replicas as "IPV4:BASEPORT[,IPV4:BASEPORT...]": partition i of a
	 * replica listens on BASEPORT + i. Required.
	 */
	const char *servers;
	uint32_t cluster_id;	/* default 1 */
	uint16_t partitions;	/* the cluster's partition count; default 1 */
	uint32_t timeout_ms;	/* per attempt; default 200 */
	uint32_t attempts;	/* sends per request, >= 1; default 5 */
	uint32_t window;	/* requests in flight at most; default 1024, <= 65536 */
	uint64_t client_id;	/* 0: chosen at random */
	/* -1 (default): route by key; >= 0: send everything to this replica
	 * first (tests, or a client pinned to its local replica).
	 */
	int home;
	/* NULL (default): a kernel UDP socket. Otherwise every client and
	 * pre-flight check opens its transport with transport(transport_arg).
	 */
	pk_transport_open_fn transport;
	void *transport_arg;
	/* NULL (default): an open client. Otherwise the cluster's client key
	 * (PK_AUTH_SECRET_LEN bytes, pk_keyfile_load): requests are sealed
	 * with it and only replies sealed with it are taken. A cluster whose
	 * replicas require the key answers an open client UNAUTHENTICATED.
	 */
	const uint8_t *client_secret;
};

/* Fills <c> with the defaults (servers NULL). */
void pk_client_config_default(struct pk_client_config *c);

struct pk_client;

/* Opens a client. Returns NULL with a message in <err> (of <errlen> bytes)
 * on a bad config or a socket error.
 */
struct pk_client *pk_client_open(const struct pk_client_config *cfg, char *err, size_t errlen);
void pk_client_close(struct pk_client *c);

/* Pre-flight: sends one GET to every replica of <cfg> and waits for the
 * answers (a few attempts of cfg->timeout_ms). Returns 0 when every replica
 * answers under cfg->partitions; 1 when some (not all) are silent, with the
 * first named in <err>; -1 with a message in <err> on a bad config, a
 * replica that runs another partition count ("runs 2 partitions, not 4"),
 * or no answer from any replica.
 */
int pk_client_check(const struct pk_client_config *cfg, char *err, size_t errlen);

/* The outcome of one request. <status> is an enum pk_status (pk_strstatus()
 * gives its message). <version> is the key's visible version after the op
 * (the current one for CAS_MISMATCH; for DEL, the version of the tombstone
 * it wrote); <value> holds GET's value or ADD's new value.
 */
struct pk_result {
	int status;
	bool no_reply;	/* the client gave up without any reply (TIMEOUT / UNKNOWN_OUTCOME) */
	uint64_t version;
	uint16_t len;
	uint8_t value[PK_MAX_VALUE];
};

/* Synchronous calls: return <r>->status (also on local errors such as
 * TOO_LARGE or BUSY when the window is full).
 */
int pk_get(struct pk_client *c, const void *key, size_t key_len, struct pk_result *r);
int pk_put(struct pk_client *c, const void *key, size_t key_len, const void *value,
	   size_t len, struct pk_result *r);
int pk_cas(struct pk_client *c, const void *key, size_t key_len, uint64_t expected_version,
	   const void *value, size_t len, struct pk_result *r);
int pk_add(struct pk_client *c, const void *key, size_t key_len, int64_t delta,
	   struct pk_result *r);
int pk_del(struct pk_client *c, const void *key, size_t key_len, struct pk_result *r);

/* ---- pipelined API ---- */

struct pk_request {
	uint8_t op;		/* enum pk_opcode */
	const void *key;
	size_t key_len;
	const void *value;	/* PUT, CAS */
	size_t len;
	uint64_t arg;		/* CAS: expected version; ADD: (uint64_t)delta */
};

/* Queues <req>; <user> comes back with its completion. Returns 0, or a
 * status: PK_TOO_LARGE / PK_BAD_REQUEST for an invalid request, PK_BUSY
 * when the window is full (poll, then submit again).
 *
 * Adaptive throttling: while a partition of a replica answers BUSY to
 * part of this client's requests, the client refuses about that share of
 * the new requests for it itself (the completion says BUSY, nothing is
 * sent; pk_client_throttled counts them), so an overloaded replica is not
 * also made to refuse them. It lets through 10% more than the partition
 * has been accepting, over about the last second, and stops refusing
 * within a second of it accepting again. Other partitions and replicas
 * are not held back.
 */
int pk_client_submit(struct pk_client *c, const struct pk_request *req, void *user);

struct pk_completion {
	void *user;
	struct pk_result result;
};

/* Sends what is queued, then waits up to <wait_ms> (0: don't wait, -1:
 * until something completes) for replies and timeouts. Fills at most <max>
 * completions; returns their number, or -1 with errno on a socket error.
 */
int pk_client_poll(struct pk_client *c, struct pk_completion *done, int max, int wait_ms);

/* The same with the wait in microseconds (an open-loop load generator
 * waits until its next intended send time).
 */
int pk_client_poll_us(struct pk_client *c, struct pk_completion *done, int max, int64_t wait_us);

/* Requests submitted and not yet handed out by a poll (in flight, or
 * completed and waiting for the next poll): drain until it is 0.
 */
uint32_t pk_client_inflight(const struct pk_client *c);

/* Requests this client refused itself (adaptive throttling), so far. */
uint64_t pk_client_throttled(const struct pk_client *c);

#endif
