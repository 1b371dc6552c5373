/* Datagram authentication (docs/PROTOCOL.md section 12): a 36-byte trailer
 * after the last message, ending in a 128-bit SipHash-2-4 tag over every
 * byte before the tag, under a 16-byte key derived from a 32-byte secret.
 * Replicas seal every replica-to-replica datagram with the cluster's peer
 * key (header flag PK_DGRAM_PEER_MAC); clients that hold the client key
 * seal their requests, and replicas seal the replies to them, with that key
 * (PK_DGRAM_CLIENT_MAC).
 *
 * The functions are pure (no clock, no randomness, no I/O): the replica,
 * the client library and the tests share them. Reading a key file, which
 * is I/O, is pk_keyfile_load in libparnik.
 */
#ifndef PARNIK_AUTH_H
#define PARNIK_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PK_DGRAM_PEER_MAC 0x01	 /* header flags: sealed with the peer key */
#define PK_DGRAM_CLIENT_MAC 0x02 /* header flags: sealed with the client key */

#define PK_AUTH_SECRET_LEN 32	/* a key file's secret */
#define PK_AUTH_KEY_LEN 16	/* SipHash-2-4 key */
#define PK_AUTH_TAG_LEN 16	/* SipHash-2-4 with 128-bit output */
#define PK_AUTH_TRAILER_LEN 36	/* node 2, to 2, boot 8, seq 8, tag 16 */

/* Which key a secret is turned into: the two never share a key, even when
 * an operator gives the same file for both.
 */
enum pk_auth_purpose {
	PK_AUTH_PEER = 1,
	PK_AUTH_CLIENT = 2,
};

struct pk_auth_key {
	uint8_t k[PK_AUTH_KEY_LEN];
};

/* What the trailer says besides the tag. For peer datagrams: the sender's
 * node id, the receiver's (a datagram sealed for one member is refused by
 * every other), the sender's process start time (microseconds since the
 * Unix epoch) and a sequence number per (sender partition, receiver)
 * starting at 1; the receiver refuses replays with them (dp/gate.h).
 * Client datagrams carry what the sender likes; nothing checks them.
 */
struct pk_auth_trailer {
	uint16_t node;
	uint16_t to;
	uint64_t boot;
	uint64_t seq;
};

/* Derives the MAC key for <purpose> from a 32-byte secret. */
void pk_auth_derive(const uint8_t secret[PK_AUTH_SECRET_LEN], enum pk_auth_purpose purpose,
		    struct pk_auth_key *key);

/* Seals the encoded datagram of <len> bytes at <buf> (room for <cap>):
 * sets header flag <flag> (PK_DGRAM_PEER_MAC or PK_DGRAM_CLIENT_MAC),
 * appends the trailer and its tag. Returns the new length, or 0 when
 * <len> + PK_AUTH_TRAILER_LEN exceeds <cap> or <len> is shorter than a
 * datagram header (nothing written).
 */
size_t pk_auth_seal(uint8_t *buf, size_t len, size_t cap, uint8_t flag,
		    const struct pk_auth_trailer *t, const struct pk_auth_key *key);

/* The header flags of a datagram of <len> bytes (0 when it is too short
 * to have a header), read before deciding which key to check it with.
 */
uint8_t pk_auth_flags(const uint8_t *buf, size_t len);

/* True when <tag> is the tag of the <len> bytes at <buf> under <key>
 * (constant time). pk_auth_open uses it; tests check the vectors with it.
 */
bool pk_auth_check_tag(const uint8_t *buf, size_t len, const struct pk_auth_key *key,
		       const uint8_t tag[PK_AUTH_TAG_LEN]);

/* Checks the tag of a sealed datagram of <len> bytes in constant time.
 * Returns the length of the datagram without its trailer (what
 * pk_wire_decode takes) and fills <t>, or 0 when the datagram is too short
 * or the tag is wrong (nothing filled).
 */
size_t pk_auth_open(const uint8_t *buf, size_t len, const struct pk_auth_key *key,
		    struct pk_auth_trailer *t);

#endif
