/* libparnik's side of the client key (parnik/auth.h): requests sealed with
 * it, and, once a client holds it, only sealed replies taken, so nobody on
 * the client network can forge an answer. Shared by the client and the
 * pre-flight check.
 */
#ifndef PK_CLIENT_SEAL_H
#define PK_CLIENT_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parnik/auth.h"

struct pk_client_seal {
	bool keyed;
	struct pk_auth_key key;
	uint64_t boot;		/* in the trailer: the client id */
	uint64_t seq;
};

/* <secret>: PK_AUTH_SECRET_LEN bytes, or NULL for an open client. */
void pk_client_seal_init(struct pk_client_seal *s, const uint8_t *secret, uint64_t client_id);

/* Room to leave in a datagram buffer for the trailer. */
static inline size_t
pk_client_seal_room(const struct pk_client_seal *s)
{
	return s->keyed ? PK_AUTH_TRAILER_LEN : 0;
}

/* Seals an encoded request in place (keyed clients); returns its length. */
size_t pk_client_seal_out(struct pk_client_seal *s, uint8_t *buf, size_t len, size_t cap);

/* The length of a received datagram to decode, or 0 to drop it: a keyed
 * client takes only replies sealed with its key; an open one only
 * unsealed replies.
 */
size_t pk_client_seal_in(const struct pk_client_seal *s, const uint8_t *buf, size_t len);

#endif
