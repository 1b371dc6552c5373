/* Catch-up sends of one worker lcore (CASPaxos 2.3.3): an injected INSTALL
 * request (inject.h) becomes an INSTALL message to the target replica's
 * same partition, remembered under a fresh token until its INSTALLED
 * comes back (the request completes OK) or a timeout passes (it completes
 * TIMEOUT and the job thread sends it again). Tokens from the network are
 * only ever looked up, never trusted as pointers. Worker thread only.
 */
#ifndef DP_INSTALLS_H
#define DP_INSTALLS_H

#include <stdint.h>

#include "inject.h"
#include "parnik/worker.h"

#define DP_INSTALL_SLOTS 2048		/* > the largest job window */
#define DP_INSTALL_TIMEOUT_US 20000

struct dp_pending_install {
	uint64_t token;
	struct dp_ireq *q;		/* NULL: free */
	uint64_t sent_us;
};

struct dp_installs {
	struct dp_pending_install e[DP_INSTALL_SLOTS];
	uint64_t next_token;
	uint32_t pending;
	uint64_t next_scan_us;
};

/* Sends <q>'s INSTALL through worker <w> into <out>; a key with nothing
 * accepted completes at once (NOT_FOUND: nothing to copy), and one the
 * outbox had no room for completes BUSY (the job sends it again).
 */
void dp_installs_send(struct dp_installs *t, struct pk_worker *w, struct dp_ireq *q,
		      uint64_t now_us, struct pk_out *out);

/* An INSTALLED from node <from>: completes its request if the token is one
 * still pending for that node. Returns 1 if it did, 0 if stale.
 */
int dp_installs_ack(struct dp_installs *t, uint16_t from, uint64_t token);

/* Completes with TIMEOUT the sends older than DP_INSTALL_TIMEOUT_US. */
void dp_installs_expire(struct dp_installs *t, uint64_t now_us);

#endif
