/* The single-worker fixture of the core unit tests: one pk_worker driven a
 * message at a time, the other replicas played by hand (fx_peer with
 * peer_msg / accept_msg / reply_to), its outbox inspected with fx_sent.
 */
#ifndef TESTS_CORE_FX_H
#define TESTS_CORE_FX_H

#include <stdbool.h>
#include <stdint.h>

#include "heap.h"
#include "parnik/worker.h"

struct fx {
	struct pk_heap heap;
	struct pk_config cfg;
	struct pk_worker *w;
	struct pk_send sends[64];
	struct pk_reply replies[64];
	struct pk_out out;
	uint64_t now;
};

void fx_out_reset(struct fx *f);
bool fx_init(struct fx *f, uint16_t node, bool admitted, uint32_t max_keys);
/* The fixture's worker parameters (partition 0 of 1, small pools, a test
 * heap), for harnesses that build their own worker.
 */
void fx_params(struct pk_worker_params *p, struct pk_heap *heap, uint16_t node, bool admitted,
	       uint32_t max_keys, uint32_t max_records);
/* The same with room for <max_records> session answers, in all sessions and
 * in one (0: the defaults).
 */
bool fx_init_sessions(struct fx *f, uint16_t node, bool admitted, uint32_t max_keys,
		      uint32_t max_records);
/* Starts the fixture's worker from <p> (fx_params into a zeroed <f>, then
 * changed by the test) under a 3-node majority config.
 */
bool fx_start(struct fx *f, const struct pk_worker_params *p);
/* Frees the worker; returns the bytes still allocated (0: no leak). */
long fx_fini(struct fx *f);
struct pk_ballot bal(uint64_t counter, uint16_t node);
struct pk_msg peer_msg(uint8_t type, uint16_t from, struct pk_ballot b, const char *key);
struct pk_msg accept_msg(uint16_t from, struct pk_ballot b, struct pk_ballot next, const char *key,
			 const char *val, uint64_t version);
void fx_peer(struct fx *f, const struct pk_msg *m);
void fx_client(struct fx *f, uint8_t op, const char *key, const char *val, uint64_t arg,
	       uint64_t cookie);
/* The same as client <client_id> with its request id, without a session. */
void fx_client_as(struct fx *f, uint64_t client_id, uint64_t request_id, uint8_t op,
		  const char *key, const char *val, uint64_t arg, uint64_t cookie);
/* A client's session as it sends it: number 0 is none. */
struct fx_session {
	uint64_t client_id;
	uint64_t number;
	uint64_t acked;		/* sent with each request */
};
/* OPENs a session for <client_id> into <s>; returns its number (0 when
 * refused: the reply is left in the outbox).
 */
uint64_t fx_open(struct fx *f, struct fx_session *s, uint64_t client_id);
/* A request in session <s>. */
void fx_client_in(struct fx *f, const struct fx_session *s, uint64_t request_id, uint8_t op,
		  const char *key, const char *val, uint64_t arg, uint64_t cookie);
void fx_tick(struct fx *f, uint64_t advance);
/* The single outgoing peer message of <type> still addressed to someone
 * (NULL if none or several). */
const struct pk_send *fx_sent(const struct fx *f, uint8_t type);
/* Ticks (up to 1000 x <step> us) until a message of <type> goes out. */
const struct pk_send *fx_tick_until(struct fx *f, uint8_t type, uint64_t step);
/* A reply from <node> to the proposer's message <s>. */
struct pk_msg reply_to(const struct pk_send *s, uint8_t type, uint16_t node);

#endif
